package ledger

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/validate"
)

func items(t *testing.T, text string) []*reward.Item {
	t.Helper()
	var out []*reward.Item
	_, err := validate.Stream(context.Background(), "in.csv", strings.NewReader(text), validate.Options{CompanyID: "C", CardAccountID: "A"}, nil,
		func(it *reward.Item) error { out = append(out, it); return nil })
	require.NoError(t, err)
	return out
}

const file = `uniqueReferenceNumber,firstName,title,gender,email,mobile,loadAmount
R1,Aarav,Mr,M,aarav@example.com,9876500001,100
R2,Diya,Ms,F,diya@example.com,9876500002,200
R3,Kabir,Mr,M,kabir@example.com,9876500003,300
`

func start(t *testing.T, l *Ledger, id string) *Journal {
	t.Helper()
	j, err := l.StartRun(context.Background(), RunInfo{ID: id, Input: "in.csv", InputSHA256: "sha", PlanHash: "plan",
		Folder: "/tmp/" + id, Scope: "S", StartedAt: time.Now()})
	require.NoError(t, err)
	return j
}

func TestPriorKindsAcrossRuns(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, loc string) {
		l := openAt(t, loc)
		ctx := context.Background()
		its := items(t, file)

		j := start(t, l, "run1")
		priors, err := j.Begin(ctx, its)
		require.NoError(t, err)
		for _, p := range priors {
			assert.Equal(t, reward.PriorNew, p.Kind)
		}
		require.NoError(t, j.Record(&reward.Outcome{Item: its[0], Status: reward.StatusMatched,
			Receipt: reward.Receipt{PGReferenceNumber: "R1", EnKashCardID: "EKC1", EnkashCardTxnID: "T1", OTBBalance: "100"}, Attempts: 1}))
		require.NoError(t, j.Record(&reward.Outcome{Item: its[1], Status: reward.StatusFailed, ErrorCode: reward.CodeRejected, Attempts: 1}))
		// its[2] was sent and the process died before its outcome was recorded.
		require.NoError(t, j.Finish(ctx, time.Now(), 4, `{}`))

		if !IsURL(loc) {
			st, err := os.Stat(loc)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
		}

		j2 := start(t, l, "run2")
		want := []reward.PriorKind{reward.PriorDone, reward.PriorRejected, reward.PriorUnsettled}
		priors, err = j2.Begin(ctx, its)
		require.NoError(t, err)
		for i, p := range priors {
			assert.Equal(t, want[i], p.Kind, "row %d", i)
			if p.Kind == reward.PriorDone {
				assert.Equal(t, "EKC1", p.EnKashCardID, "a skipped row carries the earlier ids")
				assert.Equal(t, "T1", p.EnkashCardTxnID)
			}
		}
		require.NoError(t, j2.Close())

		edited := items(t, strings.Replace(file, "9876500003,300", "9876500003,301", 1))
		j3 := start(t, l, "run3")
		p := begin1(t, j3, edited[2])
		assert.Equal(t, reward.PriorConflict, p.Kind)
		assert.Equal(t, "the reference R3 was used by run run1 for allocate 300 (ka***@example.com); this row asks for allocate 301: "+
			"not sent. If this is a new payment, give it a new reference; if it corrects the earlier one, do not resend it: "+
			"EnKash may have applied the earlier row. What differs: amount was \"300\", now \"301\"", p.Message)
		renamed := items(t, strings.Replace(file, "Aarav,Mr", "Aarav Kumar,Mr", 1))
		p = begin1(t, j3, renamed[0])
		assert.Equal(t, reward.PriorDone, p.Kind, "a corrected name is the same payment")
		require.NoError(t, j3.Close())

		runs, err := l.Runs(ctx, 10)
		require.NoError(t, err)
		require.Len(t, runs, 3)
		assert.Equal(t, "run3", runs[0].ID)
		assert.Equal(t, 4, runs[2].ExitCode)
		assert.Equal(t, -1, runs[0].ExitCode, "an unfinished run has no exit code")
	})
}

func TestScopesKeepAccountsApart(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, loc string) {
		l := openAt(t, loc)
		ctx := context.Background()
		its := items(t, file)
		j := start(t, l, "uat")
		begin1(t, j, its[0])
		require.NoError(t, j.Record(&reward.Outcome{Item: its[0], Status: reward.StatusMatched, Attempts: 1}))
		require.NoError(t, j.Close())

		j2, err := l.StartRun(ctx, RunInfo{ID: "prod", Scope: "https://pay.enkash.in|C|A", StartedAt: time.Now()})
		require.NoError(t, err)
		assert.Equal(t, reward.PriorNew, begin1(t, j2, its[0]).Kind, "a reference confirmed elsewhere is new here")
		require.NoError(t, j2.Close())
	})
}

func TestOneProcessPerLedger(t *testing.T) {
	t.Parallel()
	_, path := open(t)
	_, err := Open(context.Background(), path)
	require.True(t, errors.Is(err, ErrLocked), "%v", err)
	assert.Contains(t, err.Error(), "rewardbatch pid ")
	assert.Contains(t, err.Error(), "one run at a time per ledger")
}

func begin1(t *testing.T, j *Journal, it *reward.Item) reward.Prior {
	t.Helper()
	ps, err := j.Begin(context.Background(), []*reward.Item{it})
	require.NoError(t, err)
	require.Len(t, ps, 1)
	return ps[0]
}
