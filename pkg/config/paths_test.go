package config

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultPaths(t *testing.T) {
	t.Parallel()
	const (
		winLocal   = `C:\Users\asha\AppData\Local`
		winProfile = `C:\Users\svc`
	)
	tests := []struct {
		name string
		goos string
		env  map[string]string
		want Paths // zero: ErrNoHome
	}{
		{"windows LocalAppData", "windows", map[string]string{"LOCALAPPDATA": winLocal, "HOME": "/ignored"},
			Paths{winLocal + `\rewardbatch\ledger.db`, winLocal + `\rewardbatch\reports`}},
		{"windows LocalAppData over UserProfile", "windows", map[string]string{"LOCALAPPDATA": winLocal, "USERPROFILE": winProfile},
			Paths{winLocal + `\rewardbatch\ledger.db`, winLocal + `\rewardbatch\reports`}},
		{"windows trailing separator", "windows", map[string]string{"LOCALAPPDATA": `D:\data\`},
			Paths{`D:\data\rewardbatch\ledger.db`, `D:\data\rewardbatch\reports`}},
		{"windows without LocalAppData", "windows", map[string]string{"USERPROFILE": winProfile},
			Paths{winProfile + `\AppData\Local\rewardbatch\ledger.db`, winProfile + `\AppData\Local\rewardbatch\reports`}},
		{"windows empty LocalAppData", "windows", map[string]string{"LOCALAPPDATA": "", "USERPROFILE": winProfile},
			Paths{winProfile + `\AppData\Local\rewardbatch\ledger.db`, winProfile + `\AppData\Local\rewardbatch\reports`}},
		{"windows ignores XDG and HOME", "windows", map[string]string{"XDG_STATE_HOME": "/x", "HOME": "/h"}, Paths{}},
		{"windows with nothing", "windows", nil, Paths{}},
		{"linux XDG", "linux", map[string]string{"XDG_STATE_HOME": "/var/lib/x/", "HOME": "/home/a"},
			Paths{"/var/lib/x/rewardbatch/ledger.db", "reports"}},
		{"linux HOME", "linux", map[string]string{"HOME": "/home/a"},
			Paths{"/home/a/.local/state/rewardbatch/ledger.db", "reports"}},
		{"linux empty XDG", "linux", map[string]string{"XDG_STATE_HOME": "", "HOME": "/home/a/"},
			Paths{"/home/a/.local/state/rewardbatch/ledger.db", "reports"}},
		{"linux ignores LocalAppData", "linux", map[string]string{"LOCALAPPDATA": winLocal}, Paths{}},
		{"linux empty HOME", "linux", map[string]string{"HOME": ""}, Paths{}},
		{"darwin XDG", "darwin", map[string]string{"XDG_STATE_HOME": "/Users/a/state", "HOME": "/Users/a"},
			Paths{"/Users/a/state/rewardbatch/ledger.db", "reports"}},
		{"darwin HOME", "darwin", map[string]string{"HOME": "/Users/a"},
			Paths{"/Users/a/.local/state/rewardbatch/ledger.db", "reports"}},
		{"darwin with nothing", "darwin", nil, Paths{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DefaultPaths(tt.goos, mapEnv(tt.env))
			if tt.want == (Paths{}) {
				if !errors.Is(err, ErrNoHome) || !strings.Contains(err.Error(), "--state PATH") {
					t.Errorf("DefaultPaths = %+v, %v; want ErrNoHome saying to pass --state", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("DefaultPaths = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}
