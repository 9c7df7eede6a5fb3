package job_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

func TestATokenEndpointFailingMidRunStillWritesEveryReport(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{sandbox.TokenFail503, sandbox.TokenFailHang} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, sandbox.Options{Duplicates: sandbox.DuplicateApplyAgain,
				Faults: sandbox.Faults{ExpireTokensEvery: 40, TokenFailAfter: 1, TokenFailMode: mode}})
			f.client = f.env.Client(t, func(c *enkash.Config) { c.Timeout = 200 * time.Millisecond },
				enkash.WithLoginRetry(enkash.LoginRetry{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond, GiveUpAfter: 500 * time.Millisecond}))
			l := f.withLedger(t)
			res := f.run(t, f.ledgerOptions(t, l, sample))
			assert.Contains(t, []int{exitcode.Fatal, exitcode.Incomplete}, res.Code, f.out.String())
			rows := readCSV(t, filepath.Join(res.Dir, report.ResultsFile))
			require.Len(t, rows, 201, "every row has a line")
			for _, name := range []string{report.FailedFile, report.SummaryFile} {
				_, err := os.Stat(filepath.Join(res.Dir, name))
				assert.NoError(t, err)
			}
			per := map[string]int{}
			for _, tx := range f.env.Transactions() {
				per[tx.PGReferenceNumber]++
			}
			statuses := column(rows, "status")
			for i, ref := range column(rows, "uniqueReferenceNumber") {
				assert.LessOrEqual(t, per[ref], 1, ref)
				if per[ref] > 0 {
					assert.NotContains(t, []string{"FAILED", "NOT_SENT"}, statuses[i], ref)
				}
			}
		})
	}
}
