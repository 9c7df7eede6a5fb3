package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// FlagName is the flag that names the config file; EnvFile is the variable
// that does when the flag is not given.
const (
	FlagName = "config"
	EnvFile  = "REWARDBATCH_CONFIG"
)

// File is a loaded YAML config file. It is read-only after [Load] and safe
// for concurrent use.
type File struct {
	Path string
	k    *koanf.Koanf
	mode fs.FileMode
}

// ErrFile is wrapped by every error about a config file's content.
var ErrFile = errors.New("config file")

// Load reads and parses a YAML config file.
func Load(path string) (*File, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	k := koanf.New(".")
	if err := k.Load(rawbytes.Provider(b), yaml.Parser()); err != nil {
		return nil, fmt.Errorf("%w %s: not valid YAML (%w); write one 'flag-name: value' per line", ErrFile, path, err)
	}
	return &File{Path: path, k: k, mode: info.Mode().Perm()}, nil
}

// PathFrom returns the config file named by --config on fs, else by
// $REWARDBATCH_CONFIG, else "" (no file).
func PathFrom(fs *pflag.FlagSet, lookupEnv func(string) (string, bool)) string {
	if f := fs.Lookup(FlagName); f != nil && f.Changed {
		return f.Value.String()
	}
	if v, ok := lookupEnv(EnvFile); ok {
		return v
	}
	return ""
}

// value returns the file's value for a flag of a command: the command's
// section first, then the top level.
func (f *File) value(command, flag string) (key string, v any, ok bool) {
	if f == nil {
		return "", nil, false
	}
	for _, key := range []string{command + "." + flag, flag} {
		if command == "" && key != flag {
			continue
		}
		if f.k.Exists(key) {
			if v := f.k.Get(key); v != nil {
				return key, v, true
			}
		}
	}
	return "", nil, false
}

// Unknown lists the keys of the file that no command knows: a top-level key
// must be a flag of some command, and a key inside a command's section a
// flag of that command. commands maps each command's name to its flags.
// Callers refuse such a file, since a misspelt key would be silently
// ignored.
func (f *File) Unknown(commands map[string]*pflag.FlagSet) []string {
	var unknown []string
	for _, key := range f.k.Keys() {
		section, flag, nested := strings.Cut(key, ".")
		switch {
		case nested && commands[section] != nil:
			if commands[section].Lookup(flag) == nil {
				unknown = append(unknown, key)
			}
		case nested || !anyHas(commands, key):
			unknown = append(unknown, key)
		}
	}
	sort.Strings(unknown)
	return unknown
}

func anyHas(commands map[string]*pflag.FlagSet, flag string) bool {
	for _, fs := range commands {
		if fs.Lookup(flag) != nil {
			return true
		}
	}
	return false
}

// checkPrivate refuses a file that holds a secret and that group or others
// can read. Windows has no such mode bits.
func (f *File) checkPrivate(flag string) error {
	if runtime.GOOS == "windows" || f.mode&0o077 == 0 {
		return nil
	}
	return fmt.Errorf("%w %s holds %q but other users can read it (mode %04o): run 'chmod 600 %s', or move the secret to its environment variable",
		ErrFile, f.Path, flag, f.mode, f.Path)
}
