// Package mask hides personal data in logs: an e-mail keeps its first two
// letters and its domain, a mobile its last four digits.
package mask

import "strings"

// Email masks an address: "rahul@example.com" becomes "ra***@example.com".
func Email(s string) string {
	if s == "" {
		return ""
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok {
		return "***"
	}
	keep := min(2, len(local))
	if len(local) <= 2 {
		keep = min(1, len(local))
	}
	return local[:keep] + "***@" + domain
}

// Mobile masks a number: "9600098867" becomes "******8867".
func Mobile(s string) string {
	if len(s) <= 4 {
		return strings.Repeat("*", len(s))
	}
	return strings.Repeat("*", len(s)-4) + s[len(s)-4:]
}
