package job

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestFolderBaseKeepsTheMonth: a report fed back is named after the run
// whose report it is (issue 10: feeding failed.csv keeps the month).
func TestFolderBaseKeepsTheMonth(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ input, want string }{
		{"allocations-2026-11.csv", "20261127T090000Z-allocations-2026-11"},
		{"reports/20261126T080000Z-allocations-2026-11/failed.csv", "20261127T090000Z-allocations-2026-11-failed"},
		{"reports/20261126T080000Z-allocations-2026-11-SANDBOX/invalid.csv", "20261127T090000Z-allocations-2026-11-invalid"},
		{"reports/20261126T080000Z-allocations-2026-11-2/failed.csv", "20261127T090000Z-allocations-2026-11-2-failed"},
		{"downloads/failed.csv", "20261127T090000Z-failed"},
		{"reports/not-a-run/failed.csv", "20261127T090000Z-failed"},
	} {
		assert.Equal(t, tc.want, folderBase(tc.input, now, false), tc.input)
	}
}
