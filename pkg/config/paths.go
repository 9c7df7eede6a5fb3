package config

import (
	"errors"
	"fmt"
	"strings"
)

// Paths are the default places of the ledger and of the run folders.
type Paths struct {
	State   string // the ledger file
	Reports string // the folder in which each run gets its folder
}

// ErrNoHome is returned by [DefaultPaths] when the environment names no
// place for the ledger.
var ErrNoHome = errors.New("no place for the ledger")

// DefaultPaths returns the default ledger and reports locations for an
// operating system (runtime.GOOS) and environment; it is the one place
// that decides them (the ledger's file name is ledger.FileName):
//
//   - Windows: %LocalAppData%\rewardbatch\ledger.db and
//     %LocalAppData%\rewardbatch\reports (falling back to
//     %UserProfile%\AppData\Local), since a scheduled task starts in
//     C:\Windows\System32 and has no HOME;
//   - elsewhere: $XDG_STATE_HOME/rewardbatch/ledger.db, else
//     $HOME/.local/state/rewardbatch/ledger.db, and "reports" in the
//     working folder, as before.
//
// It uses the target system's separator, so it can be tested anywhere.
func DefaultPaths(goos string, lookupEnv func(string) (string, bool)) (Paths, error) {
	get := func(name string) string {
		v, _ := lookupEnv(name)
		return v
	}
	if goos == "windows" {
		base := get("LOCALAPPDATA")
		if base == "" && get("USERPROFILE") != "" {
			base = joinWindows(get("USERPROFILE"), "AppData", "Local")
		}
		if base == "" {
			return Paths{}, fmt.Errorf("%w: set LOCALAPPDATA, or pass --state PATH and --reports-dir DIR", ErrNoHome)
		}
		dir := joinWindows(base, "rewardbatch")
		return Paths{State: joinWindows(dir, "ledger.db"), Reports: joinWindows(dir, "reports")}, nil
	}
	base := get("XDG_STATE_HOME")
	if base == "" && get("HOME") != "" {
		base = strings.TrimRight(get("HOME"), "/") + "/.local/state"
	}
	if base == "" {
		return Paths{}, fmt.Errorf("%w: set XDG_STATE_HOME or HOME, or pass --state PATH", ErrNoHome)
	}
	return Paths{State: strings.TrimRight(base, "/") + "/rewardbatch/ledger.db", Reports: "reports"}, nil
}

// joinWindows joins path elements with backslashes, whatever the system
// running it.
func joinWindows(elem ...string) string {
	for i, e := range elem {
		if i > 0 {
			e = strings.TrimLeft(e, `\/`)
		}
		if i < len(elem)-1 {
			e = strings.TrimRight(e, `\/`)
		}
		elem[i] = e
	}
	return strings.Join(elem, `\`)
}
