package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rewardbatch/rewardbatch/pkg/config"
	"github.com/rewardbatch/rewardbatch/pkg/enkash"
)

// enkashAliases are the established variables of flags, read after their
// REWARDBATCH_* one, so that a config file never beats an ENKASH_*
// variable. The secrets are left out: their variables are read by
// apiFlags.secrets (see given).
var enkashAliases = map[string][]string{
	"base-url": {enkash.EnvBaseURL}, "token-url": {enkash.EnvTokenURL}, "client-id": {enkash.EnvClientID},
	"username": {enkash.EnvUsername}, "partner-id": {enkash.EnvPartnerID}, "company-id": {enkash.EnvCompanyID},
	"card-account-id": {enkash.EnvCardAccountID}, "encrypt": {enkash.EnvEncrypt}, "reference-field": {enkash.EnvRefField},
	"environment": {EnvEnvironment},
}

// configure gives the command's flags their values from the environment
// and the config file (--config or $REWARDBATCH_CONFIG), before anything
// reads them: the command line wins, then the environment, then the file,
// then the default. It records where each value came from.
func configure(g *globals, cmd *cobra.Command) error {
	fs := cmd.Flags()
	var file *config.File
	if path := config.PathFrom(fs, g.lookupEnv); path != "" {
		f, err := config.Load(path)
		if err != nil {
			return err
		}
		if unknown := f.Unknown(commandFlags(cmd.Root())); len(unknown) > 0 {
			return fmt.Errorf("%w %s: unknown setting %q: each key is a flag name (see `rewardbatch COMMAND --help`), "+
				"at the top or in a section named after a command", config.ErrFile, path, unknown[0])
		}
		file = f
	}
	settings, err := config.Loader{Command: cmd.Name(), File: file, LookupEnv: g.lookupEnv, Aliases: enkashAliases}.Apply(fs)
	if err != nil {
		return err
	}
	g.settings = settings
	g.sources = make(map[string]config.Source, len(settings))
	for _, s := range settings {
		g.sources[s.Name] = s.Source
	}
	return nil
}

// commandFlags maps every command's name (at any depth) to its flags,
// inherited ones included.
func commandFlags(root *cobra.Command) map[string]*pflag.FlagSet {
	out := map[string]*pflag.FlagSet{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		fs := pflag.NewFlagSet(c.Name(), pflag.ContinueOnError)
		fs.AddFlagSet(c.LocalFlags())
		fs.AddFlagSet(c.InheritedFlags())
		fs.AddFlagSet(c.PersistentFlags())
		out[c.Name()] = fs
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// given reports whether a secret flag gives the secret: set on the command
// line, or in the config file unless its established variable (env) is set,
// which beats a file.
func (g *globals) given(fs *pflag.FlagSet, name, env string) (given, onCommandLine bool) {
	if !fs.Changed(name) {
		return false, false
	}
	src, known := g.sources[name]
	if !known || src == config.FromFlag {
		return true, true
	}
	return !g.fileLoses(name, env), false
}

// fileLoses reports whether the flag's value came from the config file
// while its established variable (env) is set: the variable wins.
func (g *globals) fileLoses(name, env string) bool {
	if g.sources[name] != config.FromFile {
		return false
	}
	v, ok := g.lookupEnv(env)
	return ok && v != ""
}

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the settings a command would use, and where each comes from",
	}
	show := &cobra.Command{
		Use:   "show [COMMAND]",
		Short: "Print every setting of a command (default run): value and source (flag, env, file or default); secrets masked",
		Long: `config show prints the settings COMMAND (default: run) would use with this
environment and config file, one line each, with where the value came from:
the command line, an environment variable (REWARDBATCH_* or ENKASH_*), the
config file (--config FILE or $REWARDBATCH_CONFIG) and key, or the default.
A secret (--password, --client-secret) that its ENKASH_* variable gives is
listed as *** from that variable, and the settings only a variable gives
(REWARDBATCH_SMTP_URL, PGPASSWORD, ENKASH_DEDUPLICATES) are listed when set.
Secrets are shown as *** and the secrets inside URLs are masked: no secret's
value is ever printed.`,
		Example: `  rewardbatch config show
  rewardbatch --config /etc/rewardbatch.yaml config show reconcile`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "run"
			if len(args) == 1 {
				name = args[0]
			}
			target, _, err := cmd.Root().Find([]string{name})
			if err != nil || target == cmd.Root() {
				return fmt.Errorf("config show %s: no such command", name)
			}
			if err := target.ParseFlags(nil); err != nil { // merges the inherited flags
				return err
			}
			if f := target.Flags().Lookup(config.FlagName); f != nil && cmd.Flags().Changed(config.FlagName) {
				_ = target.Flags().Set(config.FlagName, cmd.Flags().Lookup(config.FlagName).Value.String())
			}
			if err := configure(g, target); err != nil {
				return err
			}
			return config.Show(g.stdout, g.shownSettings(target.Flags()))
		},
	}
	cmd.AddCommand(show)
	return cmd
}
