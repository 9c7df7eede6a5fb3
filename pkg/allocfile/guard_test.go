package allocfile

import "testing"

// TestGuardKeepsWhatExcelWouldChange: the cells Excel would run, or turn
// into a number or a date, get the apostrophe; the others are left alone.
func TestGuardKeepsWhatExcelWouldChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		guarded bool
	}{
		{"000123", true}, {"0", false}, {"9876543210", true}, {"987654321", false},
		{"202611000000000001", true}, {"2.02611E+16", false}, {"2E5", true},
		{"2026-11-01", true}, {"1-2", true}, {"01/11/2026", true}, {"1/2/3/4", false},
		{"12345-1", false}, {"100", false}, {"50.50", false}, {"R-1", false},
		{"=1", true}, {"-5", true}, {"'x", true}, {"Aarav", false}, {"", false},
	} {
		if got := Guard(tc.in) != tc.in; got != tc.guarded {
			t.Errorf("Guard(%q) guarded = %v, want %v", tc.in, got, tc.guarded)
		}
		if back := Unguard(Guard(tc.in)); back != tc.in {
			t.Errorf("Unguard(Guard(%q)) = %q", tc.in, back)
		}
	}
}

// TestUnguardDigitsTakesOffOnlyExcelsTextMarker: in a file that is not a
// report, only the apostrophe before digits Excel would change goes.
func TestUnguardDigitsTakesOffOnlyExcelsTextMarker(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"'000123": "000123", "'9876543210": "9876543210", "'2026-11-01": "2026-11-01",
		"'100": "'100", "'=1": "'=1", "'+91 98765 43210": "'+91 98765 43210", "'x": "'x", "'": "'", "''000123": "''000123",
	} {
		if got := UnguardDigits(in); got != want {
			t.Errorf("UnguardDigits(%q) = %q, want %q", in, got, want)
		}
	}
}
