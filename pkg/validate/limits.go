package validate

import (
	"fmt"
	"unicode/utf8"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Field length limits, in characters. The EnKash reference pages give no
// lengths, so each comes from the standard or column size the value must
// fit; a longer value is refused here rather than by EnKash (which answered
// a 10 MB first name with "Invalid encrypted request").
const (
	// MaxFirstNameLen bounds firstName (the bulk API's name): 100
	// characters, a common name column size and far beyond a real name.
	MaxFirstNameLen = 100
	// MaxEmailLen bounds email: 254 characters, the longest address
	// SMTP can carry (RFC 5321's 256-octet path less its angle brackets).
	MaxEmailLen = 254
	// MaxRemarksLen bounds remarks (sent by the bulk API): 250 characters,
	// a common VARCHAR(250) free-text column.
	MaxRemarksLen = 250
	// MaxReferenceLen bounds the reference: 40 characters, the tool's own
	// limit, which its derived references (RB-<batch>-<16>) stay within.
	MaxReferenceLen = 40
)

var maxLen = map[string]int{
	allocfile.ColFirstName: MaxFirstNameLen,
	allocfile.ColEmail:     MaxEmailLen,
	allocfile.ColRemarks:   MaxRemarksLen,
	// the reference is checked with its characters, in checkReference
}

// checkLength refuses a value longer than its column's limit.
func checkLength(col, v string) *finding {
	limit, ok := maxLen[col]
	if !ok || len(v) <= limit { // bytes >= characters: most values stop here
		return nil
	}
	if n := utf8.RuneCountInString(v); n > limit {
		return &finding{reward.SevError, fmt.Sprintf("the %s is %d characters long; EnKash takes at most %d", col, n, limit),
			fmt.Sprintf("shorten it to at most %d characters", limit)}
	}
	return nil
}

// clipAt is the longest value quoted whole in a message or a report.
const clipAt = 100

// clip shortens a value for a message or a report: a cell can be
// megabytes long, and a message must stay short.
func clip(v string) string {
	if len(v) <= clipAt {
		return v
	}
	cut, n := 0, 0
	for i := range v {
		if n == clipAt-20 {
			cut = i
			break
		}
		n++
	}
	if cut == 0 {
		return v // fewer characters than bytes: short enough
	}
	return fmt.Sprintf("%s... (%d characters in all)", v[:cut], utf8.RuneCountInString(v))
}
