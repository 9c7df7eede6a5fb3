package validate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAnotherAccountIsRefused: a row for another company or reward account
// than the run's is refused, since a lost answer for it could not be
// looked up in the run's account; the run's own account, or none
// configured (a dry run without settings), passes.
func TestAnotherAccountIsRefused(t *testing.T) {
	t.Parallel()
	hdr := append(append([]string(nil), header...), "companyId", "cardAccountId")
	text := csvOf(hdr,
		append(row(map[string]string{"uniqueReferenceNumber": "R1", "email": "a@example.com", "mobile": "9876500001"}), "CEK1", "CA1"),
		append(row(map[string]string{"uniqueReferenceNumber": "R2", "email": "b@example.com", "mobile": "9876500002"}), "CEK1", "CA2"),
		append(row(map[string]string{"uniqueReferenceNumber": "R3", "email": "c@example.com", "mobile": "9876500003"}), "", ""),
	)
	items, _ := scan(t, text, Options{CompanyID: "CEK1", CardAccountID: "CA1"})
	require.Len(t, items, 3)
	assert.True(t, items[0].Valid)
	assert.False(t, items[1].Valid)
	assert.Contains(t, items[1].ErrorText(), "the row names reward account CA2, but this run is for reward account CA1")
	assert.Contains(t, items[1].ErrorText(), "ENKASH_CARD_ACCOUNT_ID=CA2")
	assert.True(t, items[2].Valid)
	assert.Equal(t, "CA1", items[2].Allocation.CardAccountID)

	items, _ = scan(t, text, Options{})
	for _, it := range items {
		assert.True(t, it.Valid, "no account configured: nothing to compare with")
	}
}
