package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-11-20T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		o    ldflags
		want Info
	}{
		{"no build info", nil, ldflags{},
			Info{Version: "dev", Commit: Unknown, Date: Unknown}},
		{"go install of a tag", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}}, ldflags{},
			Info{Version: "v1.4.0", Commit: Unknown, Date: Unknown, GoVersion: "go1.26.8"}},
		{"go install of a commit", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261126134100-0123456789ab"}}, ldflags{},
			Info{Version: "v0.0.0-20261126134100-0123456789ab", Commit: "0123456789ab", Date: "2026-11-26T13:41:00Z", GoVersion: "go1.26.8"}},
		{"pseudo-version after a tag", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.1-0.20261126134100-0123456789ab+dirty"}}, ldflags{},
			Info{Version: "v1.4.1-0.20261126134100-0123456789ab+dirty", Commit: "0123456789ab", Date: "2026-11-26T13:41:00Z"}},
		{"checkout build with vcs stamp", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, ldflags{},
			Info{Version: "dev", Commit: "0123456789ab", Date: "2026-11-20T10:00:00Z", Modified: true}},
		{"ldflags override everything", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs},
			ldflags{version: "v2.0.0", commit: "fedcba9876543210", date: "2026-11-26T00:00:00Z"},
			Info{Version: "v2.0.0", Commit: "fedcba987654", Date: "2026-11-26T00:00:00Z", Modified: true}},
		{"not a pseudo-version", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0-rc-1"}}, ldflags{},
			Info{Version: "v1.0.0-rc-1", Commit: Unknown, Date: Unknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := resolve(tt.bi, tt.o)
			if tt.want.GoVersion == "" {
				tt.want.GoVersion = got.GoVersion // the running toolchain
			}
			tt.want.Platform = got.Platform
			if got != tt.want {
				t.Errorf("resolve:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	i := Info{Version: "v1.4.0", Commit: "0123456789ab", Date: "2026-11-26T13:41:00Z", GoVersion: "go1.26.8", Platform: "linux/amd64"}
	if got, want := i.Short(), "v1.4.0 (0123456789ab)"; got != want {
		t.Errorf("Short = %q, want %q", got, want)
	}
	for _, want := range []string{"rewardbatch v1.4.0\n", "commit:     0123456789ab\n", "built:      2026-11-26T13:41:00Z\n",
		"go version: go1.26.8\n", "platform:   linux/amd64\n"} {
		if !strings.Contains(i.String(), want) {
			t.Errorf("String() = %q, lacks %q", i.String(), want)
		}
	}
	pseudo := Info{Version: "v0.0.0-20261126134100-0123456789ab", Commit: "0123456789ab"}
	if got := pseudo.Short(); got != pseudo.Version {
		t.Errorf("Short of a pseudo-version repeats the commit: %q", got)
	}
}
