package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox/sandboxtest"
)

// TestCopiedRowIsRefusedAndNothingIsSent runs `rewardbatch run` on files
// with a copied row against a sandbox that credits a repeated reference
// again, and reads the sandbox's transaction record: a copy is refused and
// nothing is sent, unless the repeat is allowed on purpose.
func TestCopiedRowIsRefusedAndNothingIsSent(t *testing.T) {
	t.Parallel()
	const (
		hdr  = "uniqueReferenceNumber,firstName,title,gender,email,mobile,loadAmount\n"
		a    = "Aarav Sharma,Mr,M,aarav@example.com,9876543210,500\n"
		b    = "Diya Patel,Ms,F,diya@example.com,9876543211,750\n"
		copy = "line 4: this row repeats line 2: the same allocate of 500.00 points to the same person. " +
			`Fix: delete the copy; if the employee really gets two payments, add --allow-repeats (or a "repeat" column saying why)`
	)
	noRef := "firstName,title,gender,email,mobile,loadAmount\n" + a + b + a
	tests := []struct {
		name   string
		file   string
		args   []string
		code   int
		stdout string
		sent   int
	}{
		{"a copy with its own reference", hdr + "R1," + a + "R2," + b + "R3," + a, nil, exitcode.InvalidInput, copy, 0},
		{"a copy with the same reference", hdr + "R1," + a + "R2," + b + "R1," + a, nil, exitcode.InvalidInput, copy, 0},
		{"a copy under --batch-id without references", noRef, []string{"--batch-id", "2026-11"}, exitcode.InvalidInput, copy, 0},
		{"a copy under --skip-invalid: the first row is paid once", hdr + "R1," + a + "R2," + b + "R3," + a, []string{"--skip-invalid"},
			exitcode.RowsFailed, "", 2},
		{"--allow-repeats pays a second time on purpose", hdr + "R1," + a + "R2," + b + "R3," + a, []string{"--allow-repeats"}, exitcode.OK,
			"line 4: this row repeats line 2: the same allocate of 500.00 points to the same person; sent as a second payment (--allow-repeats)", 3},
		{"--strict refuses the allowed repeat", hdr + "R1," + a + "R2," + b + "R3," + a, []string{"--allow-repeats", "--strict"}, exitcode.InvalidInput,
			"--strict refuses every warning", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := sandboxtest.Start(t, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain})
			in := filepath.Join(t.TempDir(), "in.csv")
			require.NoError(t, os.WriteFile(in, []byte(tt.file), 0o600))
			args := append([]string{"run", "--log-level", "error", "--rate", "1000", "--out", filepath.Join(t.TempDir(), "run")}, tt.args...)
			code, stdout, stderr := execute(t, envFor(env), append(args, in)...)
			assert.Equal(t, tt.code, code, "stdout: %s\nstderr: %s", stdout, stderr)
			assert.Contains(t, stdout, tt.stdout)
			txns := env.Transactions()
			assert.Len(t, txns, tt.sent)
			refs := map[string]bool{}
			for _, tx := range txns {
				assert.False(t, refs[tx.PGReferenceNumber], "reference %s paid twice", tx.PGReferenceNumber)
				refs[tx.PGReferenceNumber] = true
			}
			if tt.sent == 0 {
				for _, r := range env.Requests() {
					assert.False(t, strings.Contains(r.Path, "allocate"), "nothing is sent: %s", r.Path)
				}
			}
		})
	}
}
