package config

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// Source says where a flag's value came from.
type Source string

// The sources, from the lowest precedence to the highest.
const (
	FromDefault Source = "default"
	FromFile    Source = "file"
	FromEnv     Source = "env"
	FromFlag    Source = "flag"
)

// Setting is one flag's value after [Loader.Apply], and where it came from.
type Setting struct {
	Name   string
	Value  []string // one item, or the items of a list flag
	Source Source
	Origin string // the variable or file (and key) the value came from
	Secret bool
}

// Loader applies the environment and a config file to a command's flags.
// The zero value applies nothing; set LookupEnv (os.LookupEnv outside
// tests) and File.
type Loader struct {
	// Command selects the file's section for this command ("run").
	Command string
	// File is the loaded config file, or nil.
	File *File
	// LookupEnv reads the environment.
	LookupEnv func(string) (string, bool)
	// Aliases are more environment variables for a flag, after its own
	// REWARDBATCH_* one: {"base-url": {"ENKASH_BASE_URL"}}. They are read
	// for secret flags too.
	Aliases map[string][]string
}

// secretAnnotation marks a flag whose value is a secret.
const secretAnnotation = "rewardbatch_secret"

// MarkSecret marks flags as secrets: never read from REWARDBATCH_*
// variables, masked by [Show], and allowed in a config file only when the
// file is private to its owner.
func MarkSecret(fs *pflag.FlagSet, names ...string) error {
	for _, n := range names {
		if err := fs.SetAnnotation(n, secretAnnotation, []string{"true"}); err != nil {
			return fmt.Errorf("config: mark %q secret: %w", n, err)
		}
	}
	return nil
}

// IsSecret reports whether [MarkSecret] marked the flag.
func IsSecret(f *pflag.Flag) bool { return len(f.Annotations[secretAnnotation]) > 0 }

// EnvName is the REWARDBATCH_* variable of a flag: "reports-dir" gives
// REWARDBATCH_REPORTS_DIR.
func EnvName(flag string) string {
	return "REWARDBATCH_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Apply gives every flag of fs that the command line did not set the value
// of its environment variable, else of the config file; a flag set that way
// counts as changed (pflag's Changed), like one given on the command line.
// It returns every flag's setting, in name order, for [Show]. The help and
// config flags are left alone. An error names the variable or the file
// and key, and the fix.
func (l Loader) Apply(fs *pflag.FlagSet) ([]Setting, error) {
	var (
		settings []Setting
		firstErr error
	)
	fs.VisitAll(func(f *pflag.Flag) {
		if firstErr != nil || f.Name == "help" || f.Name == FlagName {
			return
		}
		s, err := l.apply(fs, f)
		if err != nil {
			firstErr = err
			return
		}
		settings = append(settings, s)
	})
	return settings, firstErr
}

// apply settles one flag.
func (l Loader) apply(fs *pflag.FlagSet, f *pflag.Flag) (Setting, error) {
	s := Setting{Name: f.Name, Source: FromFlag, Secret: IsSecret(f)}
	key, fileValue, inFile := l.File.value(l.Command, f.Name)
	if inFile && s.Secret {
		// Refused even when a flag or variable wins: the file is exposed.
		if err := l.File.checkPrivate(f.Name); err != nil {
			return s, err
		}
	}
	if f.Changed {
		s.Value = values(f)
		return s, nil
	}
	if name, v, ok := l.env(f); ok {
		if err := fs.Set(f.Name, v); err != nil {
			return s, fmt.Errorf("%s: %w; unset it or give a valid value", name, err)
		}
		s.Source, s.Origin, s.Value = FromEnv, name, values(f)
		return s, nil
	}
	if inFile {
		if err := setFromFile(fs, f, fileValue); err != nil {
			return s, fmt.Errorf("%w %s: %s: %w", ErrFile, l.File.Path, key, err)
		}
		s.Source, s.Origin, s.Value = FromFile, l.File.Path+": "+key, values(f)
		return s, nil
	}
	s.Source, s.Value = FromDefault, values(f)
	return s, nil
}

// env finds the flag's variable: REWARDBATCH_* (not for secrets), then its
// aliases. An empty variable counts as unset.
func (l Loader) env(f *pflag.Flag) (name, value string, ok bool) {
	if l.LookupEnv == nil {
		return "", "", false
	}
	var names []string
	if !IsSecret(f) {
		names = append(names, EnvName(f.Name))
	}
	for _, n := range append(names, l.Aliases[f.Name]...) {
		if v, found := l.LookupEnv(n); found && v != "" {
			return n, v, true
		}
	}
	return "", "", false
}

// setFromFile sets a flag from a YAML value: a list replaces a list flag's
// items; a scalar is parsed as on the command line.
func setFromFile(fs *pflag.FlagSet, f *pflag.Flag, v any) error {
	items, isList := v.([]any)
	if !isList {
		if _, isMap := v.(map[string]any); isMap {
			return fmt.Errorf("a section, but --%s takes a value", f.Name)
		}
		return fs.Set(f.Name, fmt.Sprint(v))
	}
	sv, ok := f.Value.(pflag.SliceValue)
	if !ok {
		return fmt.Errorf("a list, but --%s takes one value", f.Name)
	}
	strs := make([]string, len(items))
	for i, it := range items {
		strs[i] = fmt.Sprint(it)
	}
	if err := sv.Replace(strs); err != nil {
		return err
	}
	f.Changed = true
	return nil
}

// values is a flag's value as text: the items of a list flag, else one.
func values(f *pflag.Flag) []string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.GetSlice()
	}
	return []string{f.Value.String()}
}
