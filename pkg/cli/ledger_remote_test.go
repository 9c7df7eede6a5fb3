// These tests need the engine's remote check: a reference the ledger has
// never seen (PriorNew) is looked up at EnKash before its first send, and
// PriorRejected is reported, not resent.

package cli

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/enkash"
	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/ledger"
)

func TestASecondLedgerForTheSameFileSendsNothingAgain(t *testing.T) {
	t.Parallel()
	tr := paidOnce(t)
	tr.state = filepath.Join(t.TempDir(), "other", ledger.FileName) // a fresh container, a new laptop
	code, stdout, stderr := tr.run(t, sample, nil)
	require.Equal(t, exitcode.OK, code, stderr)
	assert.Contains(t, stdout, "Note: the ledger has no record of this EnKash account yet")
	assert.Contains(t, stdout, "SKIPPED 200")
	tr.assertOnce(t, 200)
}

func TestEditedLedgerKeysSendNothingAgain(t *testing.T) {
	t.Parallel()
	tr := paidOnce(t)
	db, err := sql.Open("sqlite", "file:"+tr.state)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE refs SET reference = reference || '-edited'`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	code, stdout, stderr := tr.run(t, sample, nil)
	require.Equal(t, exitcode.OK, code, stderr)
	assert.Contains(t, stdout, "SKIPPED 200", "every reference the ledger no longer knows was found at EnKash")
	tr.assertOnce(t, 200)
}

func TestARunAfterTheLedgerWasDeletedMidRunPaysEachRowOnce(t *testing.T) {
	t.Parallel()
	tr := paidOnce(t)
	require.NoError(t, os.Remove(tr.state))
	code, stdout, stderr := tr.run(t, sample, nil)
	require.Equal(t, exitcode.OK, code, stderr)
	assert.Contains(t, stdout, "SKIPPED 200")
	tr.assertOnce(t, 200)
}

func TestAnUnchangedRefusedRowIsNotResent(t *testing.T) {
	t.Parallel()
	tr := newTrial(t)
	orig := filepath.Join(t.TempDir(), "orig.csv")
	require.NoError(t, os.WriteFile(orig, []byte("operation,uniqueReferenceNumber,firstName,title,gender,email,mobile,loadAmount,enkashCardId\n"+
		"topup,FIX-2,,,,,,250,EKC9999999\n"), 0o600))
	code, _, stderr := tr.run(t, orig, nil)
	require.Equal(t, exitcode.RowsFailed, code, stderr)
	sent := tr.env.Stats().Count("requests " + enkash.PathCreateAllocate)
	code, _, stderr = tr.run(t, orig, nil)
	require.Equal(t, exitcode.RowsFailed, code, stderr)
	assert.Equal(t, sent, tr.env.Stats().Count("requests "+enkash.PathCreateAllocate), "not sent again")
	results, err := os.ReadFile(filepath.Join(tr.folder(2), "results.csv"))
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(results), "EnKash refused this reference in run run-a"), "%s", results)
}
