package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
)

func TestParseReportMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in        string
		file, dir os.FileMode
		ok        bool
	}{
		{"0600", 0o600, 0o700, true},
		{"0640", 0o640, 0o750, true},
		{"0660", 0o660, 0o770, true},
		{"0640/0710", 0o640, 0o710, true},
		{"0644", 0, 0, false}, // others never read personal data
		{"0400", 0, 0, false}, // the owner must be able to rewrite reports
		{"0620", 0, 0, false}, // group write without read
		{"0640/0755", 0, 0, false},
		{"rw-r-----", 0, 0, false},
	}
	for _, tt := range tests {
		m, err := parseReportMode(tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, reportMode{file: tt.file, dir: tt.dir}, m, tt.in)
	}
}

// TestReportModeThroughAValidation: --report-mode 0640 leaves the run
// folder 0750 and its files 0640; a bad mode is refused before anything.
func TestReportModeThroughAValidation(t *testing.T) {
	t.Parallel()
	reports := filepath.Join(t.TempDir(), "reports")
	code, _, stderr := execute(t, nil, "validate", "--report-mode", "0640", "--reports-dir", reports, sample)
	require.Equal(t, exitcode.OK, code, stderr)
	modes := map[string]os.FileMode{}
	require.NoError(t, filepath.WalkDir(reports, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		fi, err := d.Info()
		require.NoError(t, err)
		modes[path] = fi.Mode().Perm()
		return nil
	}))
	require.Greater(t, len(modes), 3)
	for path, m := range modes {
		fi, _ := os.Stat(path)
		if fi.IsDir() {
			assert.Equal(t, os.FileMode(0o750), m, path)
		} else {
			assert.Equal(t, os.FileMode(0o640), m, path)
		}
	}
	code, _, stderr = execute(t, nil, "validate", "--report-mode", "0644", "--reports-dir", reports, sample)
	assert.Equal(t, exitcode.Fatal, code)
	assert.Contains(t, stderr, "--report-mode")
}

func TestDefaultReportsDir(t *testing.T) {
	t.Parallel()
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"LOCALAPPDATA": `C:\Users\hr\AppData\Local`}[k]
		return v, ok
	}
	assert.Equal(t, "reports", defaultReportsDir("linux", env))
	assert.Equal(t, `C:\Users\hr\AppData\Local\rewardbatch\reports`, defaultReportsDir("windows", env))
	assert.Equal(t, "reports", defaultReportsDir("windows", func(string) (string, bool) { return "", false }))
}
