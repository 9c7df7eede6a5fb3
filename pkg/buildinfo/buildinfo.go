// Package buildinfo says which build of rewardbatch is running: its
// version, commit, build date and Go version. The values come from the
// binary's embedded build information (a `go install ...@v1.2.3` reports
// v1.2.3; a build inside a git checkout reports the commit), and the
// release build overrides them with -ldflags -X (see the Makefile).
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time with, for example,
// -ldflags "-X github.com/rewardbatch/rewardbatch/pkg/buildinfo.version=v1.2.3".
// An empty value leaves the embedded build information in charge.
var (
	version string
	commit  string
	date    string
)

// Unknown is shown for a fact that the build did not record.
const Unknown = "unknown"

// Info describes one build. The zero value is not useful; use [Get].
type Info struct {
	Version   string `json:"version"`   // a tag such as v1.2.3, a pseudo-version, or "dev"
	Commit    string `json:"commit"`    // the first 12 hex digits of the revision, or "unknown"
	Date      string `json:"buildDate"` // RFC 3339 commit or build time, or "unknown"
	GoVersion string `json:"goVersion"` // the toolchain that built the binary
	Platform  string `json:"platform"`  // GOOS/GOARCH
	Modified  bool   `json:"modified"`  // built from a checkout with uncommitted changes
}

// Get returns the running binary's build information. It is safe for
// concurrent use.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(bi, ldflags{version: version, commit: commit, date: date})
}

// ldflags are the values a release build sets with -X.
type ldflags struct{ version, commit, date string }

// resolve merges the embedded build information with the -X overrides: an
// override wins, then the VCS stamp, then what a pseudo-version encodes.
func resolve(bi *debug.BuildInfo, o ldflags) Info {
	info := Info{Version: "dev", Commit: Unknown, Date: Unknown, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			info.Version = v
		}
		if t, rev, ok := pseudoVersion(bi.Main.Version); ok {
			info.Date, info.Commit = t, rev
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = short(s.Value)
			case "vcs.time":
				info.Date = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	info.Version = or(o.version, info.Version)
	info.Commit = or(short(o.commit), info.Commit)
	info.Date = or(o.date, info.Date)
	return info
}

// pseudoVersion reads the time and revision out of a Go pseudo-version such
// as v0.0.0-20261126134100-0123456789ab (optionally +dirty).
func pseudoVersion(v string) (date, rev string, ok bool) {
	v, _, _ = strings.Cut(v, "+")
	parts := strings.Split(v, "-")
	if len(parts) < 3 {
		return "", "", false
	}
	rev = parts[len(parts)-1]
	ts := parts[len(parts)-2]
	if i := strings.LastIndexByte(ts, '.'); i >= 0 { // v1.2.4-0.20261126134100-abc
		ts = ts[i+1:]
	}
	if len(rev) != 12 || !isDigits(ts) || len(ts) != 14 || !isHex(rev) {
		return "", "", false
	}
	date = fmt.Sprintf("%s-%s-%sT%s:%s:%sZ", ts[0:4], ts[4:6], ts[6:8], ts[8:10], ts[10:12], ts[12:14])
	return date, rev, true
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return s != ""
}

// Short is the version with the commit when it is known, for summary.json
// and logs: "v1.2.3 (0123456789ab)".
func (i Info) Short() string {
	s := i.Version
	if i.Commit != Unknown && !strings.Contains(i.Version, i.Commit) {
		s += " (" + i.Commit + ")"
	}
	if i.Modified && !strings.HasSuffix(i.Version, "+dirty") {
		s += " (modified)"
	}
	return s
}

// String is the multi-line text of `rewardbatch version`.
func (i Info) String() string {
	modified := ""
	if i.Modified {
		modified = " (with uncommitted changes)"
	}
	return fmt.Sprintf("rewardbatch %s\n  commit:     %s%s\n  built:      %s\n  go version: %s\n  platform:   %s\n",
		i.Version, i.Commit, modified, i.Date, i.GoVersion, i.Platform)
}
