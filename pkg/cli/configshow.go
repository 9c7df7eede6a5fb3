package cli

import (
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rewardbatch/rewardbatch/pkg/config"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/notify"
)

// secretVars are the secret flags and the established variable that gives
// each (apiFlags.secrets reads them; config.Loader does not); --NAME-file
// reads the secret from a file instead.
var secretVars = []struct{ flag, env string }{
	{"client-secret", enkash.EnvClientSecret},
	{"password", enkash.EnvPassword},
}

// envOnly are settings that only an environment variable gives, listed by
// config show when set, for the commands that have the flag named.
var envOnly = []struct {
	env, flag string
	secret    bool
}{
	{notify.EnvSMTPURL, "mail-to", false}, // a URL: its password is masked
	{"PGPASSWORD", "state", true},
	{EnvDeduplicates, "resend-after", false},
}

// shownSettings are the settings as config show prints them: g.settings,
// with each secret that its ENKASH_* variable gives (and no flag or file
// beats) shown as from that variable, a secret beaten by its --NAME-file
// or a file setting beaten by the variable saying so, and the default
// ledger where it is on this system; then the environment-only settings
// that are set. A secret's value is never copied: it shows as ***.
func (g *globals) shownSettings(fs *pflag.FlagSet) []config.Setting {
	out := slices.Clone(g.settings)
	for i, s := range out {
		for _, sv := range secretVars {
			fileFlag := sv.flag + "-file"
			v, _ := g.lookupEnv(sv.env)
			inEnv := strings.TrimSpace(v) != "" // as enkash.ConfigFromEnv reads it
			switch s.Name {
			case sv.flag:
				if given, _ := g.given(fs, sv.flag, sv.env); inEnv && !given {
					out[i].Value, out[i].Source, out[i].Origin = []string{"***"}, config.FromEnv, sv.env
				}
				if fs.Changed(fileFlag) && !g.fileLoses(fileFlag, sv.env) && out[i].Source != config.FromDefault {
					out[i].Origin = strings.TrimSpace(out[i].Origin + " (--" + fileFlag + " wins)")
				}
			case fileFlag:
				if g.fileLoses(fileFlag, sv.env) {
					out[i].Origin += " (" + sv.env + " wins)"
				}
			}
		}
	}
	for i, s := range out {
		if s.Name == "state" && s.Source == config.FromDefault {
			if p, err := config.DefaultPaths(runtime.GOOS, g.lookupEnv); err == nil {
				out[i].Value = []string{p.State} // what ledgerFlags.path uses
			}
		}
	}
	for _, e := range envOnly {
		v, _ := g.lookupEnv(e.env)
		if fs.Lookup(e.flag) == nil || strings.TrimSpace(v) == "" {
			continue
		}
		if e.secret {
			v = "***"
		}
		out = append(out, config.Setting{Name: e.env, Value: []string{v}, Source: config.FromEnv, Origin: e.env, Secret: e.secret})
	}
	return out
}
