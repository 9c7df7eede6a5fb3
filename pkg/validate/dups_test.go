package validate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// issueTexts renders every error and warning of the items, in file order.
func issueTexts(items []*reward.Item) []string {
	var out []string
	for _, it := range items {
		for _, is := range it.Issues {
			if is.Severity != reward.SevNote {
				out = append(out, string(is.Severity)+" "+is.String())
			}
		}
	}
	return out
}

const (
	repeatFix = `delete the copy; if the employee really gets two payments, add --allow-repeats (or a "repeat" column saying why)`
	onceFix   = "if the employee should be paid once, delete this row"
	refFixTxt = "a reference names one payment: if one of the two rows is a mistake, delete it; if both payments are meant, give one of them a new reference (then both are paid)"
)

func TestRepeatedPayments(t *testing.T) {
	t.Parallel()
	r := func(ref string, edit ...string) []string {
		m := map[string]string{"uniqueReferenceNumber": ref}
		for i := 0; i+1 < len(edit); i += 2 {
			m[edit[i]] = edit[i+1]
		}
		return row(m)
	}
	tests := []struct {
		name  string
		rows  [][]string
		opts  Options
		valid []bool
		want  []string
	}{
		{"a copy with its own reference is refused", [][]string{r("R1"), r("R2")}, Options{}, []bool{true, false}, []string{
			"error line 3: this row repeats line 2: the same allocate of 500.00 points to the same person. Fix: " + repeatFix}},
		{"a copy with the same reference is refused once, as a copy", [][]string{r("R1"), r("R1")}, Options{}, []bool{true, false}, []string{
			"error line 3: this row repeats line 2: the same allocate of 500.00 points to the same person. Fix: " + repeatFix}},
		{"the same person by mobile only", [][]string{r("R1"), r("R2", "email", "other@example.com")}, Options{}, []bool{true, false}, []string{
			"error line 3: this row repeats line 2: the same allocate of 500.00 points to the same person. Fix: " + repeatFix}},
		{"the same card, amount written differently", [][]string{
			r("R1", "operation", "topup", "enkashCardId", "EKC1", "email", "", "mobile", ""),
			r("R2", "operation", "topup", "enkashCardId", "EKC1", "email", "", "mobile", "", "loadAmount", "500.00")},
			Options{}, []bool{true, false}, []string{
				"error line 3: this row repeats line 2: the same topup of 500.00 points to the same person. Fix: " + repeatFix}},
		{"every copy names the first row", [][]string{r("R1"), r("R2"), r("R3")}, Options{}, []bool{true, false, false}, []string{
			"error line 3: this row repeats line 2: the same allocate of 500.00 points to the same person. Fix: " + repeatFix,
			"error line 4: this row repeats line 2: the same allocate of 500.00 points to the same person. Fix: " + repeatFix}},
		{"--allow-repeats lets a second payment through", [][]string{r("R1"), r("R2")}, Options{AllowRepeats: true}, []bool{true, true}, []string{
			"warning line 3: this row repeats line 2: the same allocate of 500.00 points to the same person; sent as a second payment (--allow-repeats). Fix: " + onceFix}},
		{"--allow-repeats cannot pay one reference twice", [][]string{r("R1"), r("R1")}, Options{AllowRepeats: true}, []bool{true, false}, []string{
			"warning line 3: this row repeats line 2: the same allocate of 500.00 points to the same person; sent as a second payment (--allow-repeats). Fix: " + onceFix,
			"error line 3, column B (uniqueReferenceNumber): the reference R1 is also used on line 2, by the same payment; a reference is paid only once. Fix: delete the copy; if the employee really gets two payments, give this row its own reference (then both are paid)"}},
		{"--strict refuses an allowed repeat", [][]string{r("R1"), r("R2")}, Options{AllowRepeats: true, Strict: true}, []bool{true, false}, []string{
			"error line 3: this row repeats line 2: the same allocate of 500.00 points to the same person; sent as a second payment (--allow-repeats). Fix: " + onceFix +
				"; --strict refuses every warning: resolve it, or run without --strict to accept it"}},
		{"a different amount is a warning", [][]string{r("R1"), r("R2", "loadAmount", "700")}, Options{}, []bool{true, true}, []string{
			"warning line 3, column F (email): the same e-mail is also on line 2 for allocate. Fix: check that the employee should get two rows; if not, delete one",
			"warning line 3, column G (mobile): the same mobile is also on line 2 for allocate. Fix: check that the employee should get two rows; if not, delete one"}},
		{"--strict makes it an error", [][]string{r("R1"), r("R2", "loadAmount", "700", "mobile", "9876500009")}, Options{Strict: true}, []bool{true, false}, []string{
			"error line 3, column F (email): the same e-mail is also on line 2 for allocate. Fix: check that the employee should get two rows; if not, delete one; --strict refuses every warning: resolve it, or run without --strict to accept it"}},
		{"another operation is not a repeat", [][]string{r("R1"), r("R2", "operation", "debit", "enkashCardId", "EKC1")}, Options{}, []bool{true, true}, nil},
		{"one reference for two payments refuses both", [][]string{
			r("DUP"), r("OK", "email", "b@example.com", "mobile", "9876500002"), r("DUP", "email", "c@example.com", "mobile", "9876500003")},
			Options{}, []bool{false, true, false}, []string{
				"error line 2, column B (uniqueReferenceNumber): the reference DUP is used again on line 4 for another payment; both rows are refused. Fix: " + refFixTxt,
				"error line 4, column B (uniqueReferenceNumber): the reference DUP is also used on line 2 for another payment; both rows are refused. Fix: " + refFixTxt}},
		{"a copy and another payment under one reference", [][]string{
			r("DUP"), r("DUP"), r("DUP", "loadAmount", "900")},
			Options{}, []bool{false, false, false}, []string{
				"error line 2, column B (uniqueReferenceNumber): the reference DUP is used again on line 4 for another payment; both rows are refused. Fix: " + refFixTxt,
				"error line 3: this row repeats line 2: the same allocate of 500.00 points to the same person. Fix: " + repeatFix,
				"warning line 4, column F (email): the same e-mail is also on line 2 for allocate. Fix: check that the employee should get two rows; if not, delete one",
				"warning line 4, column G (mobile): the same mobile is also on line 2 for allocate. Fix: check that the employee should get two rows; if not, delete one",
				"error line 4, column B (uniqueReferenceNumber): the reference DUP is also used on line 2 for another payment; both rows are refused. Fix: " + refFixTxt}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, spill := range []int{0, 2} { // in memory, and through the temporary file
				items, plan := scan(t, csvOf(header, tt.rows...), Options{AllowRepeats: tt.opts.AllowRepeats, Strict: tt.opts.Strict,
					SpillAt: spill, TempDir: t.TempDir()})
				var valid []bool
				for _, it := range items {
					valid = append(valid, it.Valid)
				}
				assert.Equal(t, tt.valid, valid, "spill at %d", spill)
				assert.Equal(t, tt.want, issueTexts(items), "spill at %d", spill)
				assert.Equal(t, plan.RowsRead, plan.Valid+plan.Invalid)
			}
		})
	}
}

func TestRepeatColumnGivesTheReason(t *testing.T) {
	t.Parallel()
	hdr := append(slices.Clone(header), "repeat")
	withReason := func(ref, reason string) []string {
		return append(row(map[string]string{"uniqueReferenceNumber": ref}), reason)
	}
	items, plan := scan(t, csvOf(hdr, withReason("R1", ""), withReason("R2", "second award: Q3 sales target"), withReason("R3", " ")), Options{})
	assert.Equal(t, []string{
		`warning line 3: this row repeats line 2: the same allocate of 500.00 points to the same person; sent as a second payment, because the repeat column says "second award: Q3 sales target". Fix: ` + onceFix,
		"error line 4: this row repeats line 2: the same allocate of 500.00 points to the same person. Fix: " + repeatFix,
	}, issueTexts(items))
	assert.Equal(t, 2, plan.Valid)
	assert.Equal(t, 1, plan.People)
	assert.Contains(t, plan.HeaderNotes, "column J (repeat) says why a row repeats an earlier payment: such a row is sent as a second payment")
}

func TestBatchIDCopiesNoLongerPass(t *testing.T) {
	t.Parallel()
	hdr := []string{"firstName", "title", "gender", "email", "mobile", "loadAmount"}
	a := []string{"Aarav Sharma", "Mr", "M", "aarav@example.com", "9876543210", "500"}
	b := []string{"Diya Patel", "Ms", "F", "diya@example.com", "9876543211", "500"}
	items, plan := scan(t, csvOf(hdr, a, b, a), Options{BatchID: "2026-11"})
	assert.Equal(t, []bool{true, true, false}, []bool{items[0].Valid, items[1].Valid, items[2].Valid})
	assert.Equal(t, []string{"error line 4: this row repeats line 2: the same allocate of 500.00 points to the same person. Fix: " + repeatFix},
		issueTexts(items))
	assert.Equal(t, 2, plan.Valid)
	// The valid rows keep the references a file without the copy gives them.
	clean, _ := scan(t, csvOf(hdr, a, b), Options{BatchID: "2026-11"})
	assert.Equal(t, clean[0].Allocation.Reference, items[0].Allocation.Reference)
	assert.Equal(t, clean[1].Allocation.Reference, items[1].Allocation.Reference)
}

// TestEveryHashCollidingStillGivesExactVerdicts stands in for a 64-bit
// collision: the knowledge marks every key of every row as seen twice, and
// the exact comparison must still find no duplicate among distinct rows,
// and the real ones among copies.
func TestEveryHashCollidingStillGivesExactVerdicts(t *testing.T) {
	t.Parallel()
	var rows [][]string
	for i := range 40 {
		rows = append(rows, row(map[string]string{"uniqueReferenceNumber": fmt.Sprintf("R%d", i),
			"email": fmt.Sprintf("p%d@example.com", i), "mobile": fmt.Sprintf("98765%05d", i+1)}))
	}
	rows = append(rows, rows[7]) // one true duplicate: the same reference and payment
	text := csvOf(header, rows...)

	first, err := Stream(context.Background(), "in.csv", strings.NewReader(text), Options{SpillAt: 1 << 20}, nil, func(*reward.Item) error { return nil })
	require.NoError(t, err)
	require.True(t, first.Validator.NeedsSecondPass(), "the copy's keys are candidates")
	know := first.Validator.Knowledge()
	all := &Knowledge{seed: know.seed}
	_, err = Stream(context.Background(), "in.csv", strings.NewReader(text), Options{}, nil, func(it *reward.Item) error {
		v := &Validator{seed: know.seed}
		a := it.Allocation
		all.cands = append(all.cands, v.key(keyRef, a.Reference), v.key(keyEmail, a.Email), v.key(keyMobile, a.Mobile))
		return nil
	})
	require.NoError(t, err)
	slices.Sort(all.cands)

	var items []*reward.Item
	p, err := Stream(context.Background(), "in.csv", strings.NewReader(text), Options{}, all, func(it *reward.Item) error { items = append(items, it); return nil })
	require.NoError(t, err)
	assert.False(t, p.Validator.NeedsSecondPass())
	assert.Equal(t, []string{"error line 42: this row repeats line 9: the same allocate of 500.00 points to the same person. Fix: " + repeatFix},
		issueTexts(items))
	assert.Equal(t, 40, p.Plan.Valid)
	assert.Equal(t, 40, p.Plan.People)
}

func TestCollectorMergesRunsFromDisk(t *testing.T) {
	t.Parallel()
	c := newCollector(3, t.TempDir())
	for _, h := range []uint64{9, 1, 5, 7, 5, 2, 9, 3, 11, 1, 4, 4, 4, 8} {
		c.add(h)
	}
	require.NotNil(t, c.file, "runs went to disk")
	got, err := c.duplicates()
	require.NoError(t, err)
	assert.Equal(t, []uint64{1, 4, 5, 9}, got)
	assert.Nil(t, c.file, "the temporary file is closed")

	// A repeat found by the in-memory set before the first spill, one
	// across the spill, and one after it.
	mixed := newCollector(8, t.TempDir())
	for _, h := range []uint64{5, 5, 1, 2, 3, 4, 6, 10, 1, 7, 12, 7, 13} {
		mixed.add(h)
	}
	require.NotNil(t, mixed.file)
	got, err = mixed.duplicates()
	require.NoError(t, err)
	assert.Equal(t, []uint64{1, 5, 7}, got)

	mem := newCollector(100, "")
	for _, h := range []uint64{3, 3, 3, 1, 2, 2} {
		mem.add(h)
	}
	got, err = mem.duplicates()
	require.NoError(t, err)
	assert.Equal(t, []uint64{2, 3}, got)
}

func TestCollectorReportsAnUnusableTempDir(t *testing.T) {
	t.Parallel()
	c := newCollector(1, "/nonexistent/rewardbatch-test")
	c.add(1)
	c.add(2)
	_, err := c.duplicates()
	assert.ErrorContains(t, err, "the file is too large to check for duplicates in memory, and a temporary file could not be created (set TMPDIR to a writable folder)")
}
