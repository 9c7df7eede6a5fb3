package config

import (
	"errors"
	"testing"
)

func TestDefaultPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		goos string
		env  map[string]string
		want Paths
	}{
		{"windows LocalAppData", "windows", map[string]string{"LOCALAPPDATA": `C:\Users\asha\AppData\Local`, "HOME": "/ignored"},
			Paths{`C:\Users\asha\AppData\Local\rewardbatch\ledger.db`, `C:\Users\asha\AppData\Local\rewardbatch\reports`}},
		{"windows trailing separator", "windows", map[string]string{"LOCALAPPDATA": `D:\data\`},
			Paths{`D:\data\rewardbatch\ledger.db`, `D:\data\rewardbatch\reports`}},
		{"windows without LocalAppData", "windows", map[string]string{"USERPROFILE": `C:\Users\svc`},
			Paths{`C:\Users\svc\AppData\Local\rewardbatch\ledger.db`, `C:\Users\svc\AppData\Local\rewardbatch\reports`}},
		{"linux XDG", "linux", map[string]string{"XDG_STATE_HOME": "/var/lib/x/", "HOME": "/home/a"},
			Paths{"/var/lib/x/rewardbatch/ledger.db", "reports"}},
		{"linux HOME", "linux", map[string]string{"HOME": "/home/a"},
			Paths{"/home/a/.local/state/rewardbatch/ledger.db", "reports"}},
		{"darwin HOME", "darwin", map[string]string{"HOME": "/Users/a"},
			Paths{"/Users/a/.local/state/rewardbatch/ledger.db", "reports"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DefaultPaths(tt.goos, mapEnv(tt.env))
			if err != nil || got != tt.want {
				t.Errorf("DefaultPaths = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	for _, goos := range []string{"windows", "linux"} {
		if _, err := DefaultPaths(goos, mapEnv(map[string]string{"LOCALAPPDATA": "", "HOME": ""})); !errors.Is(err, ErrNoHome) {
			t.Errorf("%s without a home: err = %v, want ErrNoHome", goos, err)
		}
	}
}

func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}
