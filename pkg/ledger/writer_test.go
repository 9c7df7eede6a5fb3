package ledger

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// rowsText is a file of n rows, R1 to Rn, each of 100 plus its number.
func rowsText(n int) string {
	var b strings.Builder
	b.WriteString("uniqueReferenceNumber,firstName,title,gender,email,mobile,loadAmount\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "R%d,Asha,Ms,F,asha%d@example.com,98765%05d,%d\n", i, i, i, 100+i)
	}
	return b.String()
}

func confirmed(it *reward.Item, attempts int) *reward.Outcome {
	return &reward.Outcome{Item: it, Status: reward.StatusMatched, Attempts: attempts,
		Receipt: reward.Receipt{PGReferenceNumber: "PG" + it.Allocation.Reference, EnKashCardID: "EKC1"}}
}

// readRef reads a reference's record as the ledger holds it now.
func readRef(l *Ledger, ref string) (Ref, error) {
	return scanRef(l.sql().QueryRowContext(context.Background(), `SELECT `+refColumns+` FROM refs WHERE scope = 'S' AND reference = ?`, ref))
}

func stateOf(t *testing.T, l *Ledger, ref string) Ref {
	t.Helper()
	r, err := readRef(l, ref)
	require.NoError(t, err)
	return r
}

func TestABeginOfManyRowsAnswersAsOneAtATime(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, loc string) {
		l := openAt(t, loc)
		ctx := context.Background()
		its := items(t, rowsText(100))

		j := start(t, l, "run1")
		_, err := j.Begin(ctx, its[:3])
		require.NoError(t, err)
		require.NoError(t, j.Record(confirmed(its[0], 1))) // R1 confirmed; R2 and R3 left SENDING
		require.NoError(t, j.Finish(ctx, time.Now(), 0, `{}`))

		// 101 rows in one Begin (statements of 64, 32, 4 and 1): R1 done,
		// R2 unsettled, R3 changed, R50 twice, the rest new.
		edited := items(t, strings.Replace(rowsText(100), "9876500003,103", "9876500003,999", 1))
		batch := append(append([]*reward.Item{}, edited...), edited[49])
		j2 := start(t, l, "run2")
		priors, err := j2.Begin(ctx, batch)
		require.NoError(t, err)
		require.Len(t, priors, len(batch))
		want := func(i int) reward.PriorKind {
			switch i {
			case 0:
				return reward.PriorDone
			case 1, 100: // a crash while sending; the second R50 finds the first one's claim
				return reward.PriorUnsettled
			case 2:
				return reward.PriorConflict
			}
			return reward.PriorNew
		}
		for i, p := range priors {
			assert.Equal(t, want(i), p.Kind, "row %d (%s)", i, batch[i].Allocation.Reference)
		}
		require.NoError(t, j2.Close())
		assert.Equal(t, "run2", stateOf(t, l, "R2").RunID, "the resend is claimed")
		assert.Equal(t, "103", stateOf(t, l, "R3").Amount, "a conflict changes nothing")
	})
}

func TestOutcomesGoWithTheNextBeginOrAloneSoonAfter(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, loc string) {
		l := openAt(t, loc)
		ctx := context.Background()
		its := items(t, rowsText(4))
		j := start(t, l, "run1")
		defer j.Close()
		_, err := j.Begin(ctx, its[:2])
		require.NoError(t, err)

		// Two outcomes of one reference in one commit add up, as when
		// recorded one at a time.
		require.NoError(t, j.Record(confirmed(its[0], 1)))
		require.NoError(t, j.Record(confirmed(its[0], 2)))
		_, err = j.Begin(ctx, its[2:3]) // commits the outcomes queued before it
		require.NoError(t, err)
		r1 := stateOf(t, l, "R1")
		assert.Equal(t, StateConfirmed, r1.State)
		assert.Equal(t, 3, r1.Attempts)

		// With no begin to carry it, an outcome is committed alone.
		require.NoError(t, j.Record(confirmed(its[1], 1)))
		assert.Eventually(t, func() bool {
			r, err := readRef(l, "R2")
			return err == nil && r.State == StateConfirmed
		},
			10*time.Second, outcomeWait/4, "committed within outcomeWait")
	})
}

func TestStatementsComeInPowersOfTwo(t *testing.T) {
	t.Parallel()
	sizes := func(n int) []int {
		var out []int
		for _, c := range chunks(make([]int, n)) {
			out = append(out, len(c))
		}
		return out
	}
	tests := []struct {
		rows int
		want []int
	}{
		{0, nil},
		{1, []int{1}},
		{3, []int{2, 1}},
		{64, []int{64}},
		{100, []int{64, 32, 4}},
		{200, []int{64, 64, 64, 8}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, sizes(tt.rows), "%d rows", tt.rows)
	}

	outs := func(refs ...string) []pendingOutcome {
		var out []pendingOutcome
		for _, r := range refs {
			out = append(out, pendingOutcome{ref: r})
		}
		return out
	}
	var got [][]string
	for _, c := range outcomeChunks(outs("A", "B", "C", "A", "D", "A")) {
		var refs []string
		for _, o := range c {
			refs = append(refs, o.ref)
		}
		got = append(got, refs)
	}
	assert.Equal(t, [][]string{{"A", "B"}, {"C"}, {"A", "D"}, {"A"}}, got, "never one reference twice in a statement")
}
