package report

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// TestReportsReadBackExactly: results.csv and failed.csv, with the BOM or
// without, fed back through the reader give back exactly the input's
// values (formula-like cells, leading zeros, long digit strings, dates),
// take the input's card from inputCardId and never EnKash's answer.
func TestReportsReadBackExactly(t *testing.T) {
	t.Parallel()
	cells := [][]string{ // uniqueReferenceNumber, firstName, mobile, loadAmount, remarks, enkashCardId
		{"000123", "=Aarav", "09876543210", "100", "2026-11-01", "CARD-1"},
		{"202611000000000001", "'Diya", "+91 98765 43211", "50.50", "1/2", "0007"},
		{"2.02611E+16", "José ₹", "9876543212", "10", "'", ""},
	}
	for _, style := range []Style{{}, {NoBOM: true}} {
		dir := t.TempDir()
		r, err := CreateResults(dir, header(t, "uniqueReferenceNumber,firstName,mobile,loadAmount,remarks,enkashCardId"), style)
		require.NoError(t, err)
		for i, c := range cells {
			it := &reward.Item{Line: i + 2, Values: c, Valid: true, Allocation: reward.Allocation{Reference: c[0], Mobile: "9876543210"}}
			require.NoError(t, r.Add(&reward.Outcome{Item: it, Status: reward.StatusFailed, Receipt: reward.Receipt{EnKashCardID: "ENKASH-CARD"}}))
		}
		require.NoError(t, r.Commit())
		for _, name := range []string{ResultsFile, FailedFile} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			require.NoError(t, err)
			assert.Equal(t, !style.NoBOM, string(b[:3]) == BOM, "%s: the BOM", name)
			f, err := os.Open(filepath.Join(dir, name))
			require.NoError(t, err)
			rd, err := allocfile.NewReader(name, f)
			require.NoError(t, err)
			for _, want := range cells {
				row, err := rd.Read()
				require.NoError(t, err, name)
				assert.Equal(t, want, row.Values, name)
				assert.Equal(t, want[5], row.Record.CardID, "%s: the input's card, not EnKash's", name)
				assert.Equal(t, want[2], row.Record.Mobile, "%s: the input's mobile, not the one sent", name)
			}
			_, err = rd.Read()
			require.ErrorIs(t, err, io.EOF)
			require.NoError(t, f.Close())
		}
	}
}
