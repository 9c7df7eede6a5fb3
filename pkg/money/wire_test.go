package money

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseWireReadsEveryJSONForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, out string
		hundredths    int64
	}{
		{"integer", "25000000", "25000000", 2500000000},
		{"Jackson double", "2.5E7", "25000000", 2500000000},
		{"Jackson double, more digits", "1.2345678E7", "12345678", 1234567800},
		{"lower-case exponent with sign", "1.5e+2", "150", 15000},
		{"negative exponent", "12345E-2", "123.45", 12345},
		{"exponent leaving one decimal", "1.2345678E6", "1234567.8", 123456780},
		{"double of a whole number", "100.0", "100.0", 10000},
		{"string with two decimals", `"25000000.00"`, "25000000.00", 2500000000},
		{"string with an exponent", `"2.5E7"`, "25000000", 2500000000},
		{"zeros beyond hundredths", "100.000", "100.00", 10000},
		{"negative balance", "-12.5", "-12.5", -1250},
		{"zero as a double", "0.0", "0.0", 0},
		{"zero with an exponent", "0E300", "0", 0},
		{"smallest", "1E-2", "0.01", 1},
		{"leading zeros are harmless on the wire", "007", "7", 700},
		{"fifteen integer digits", "999999999999999.99", "999999999999999.99", 99999999999999999},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := ParseWire(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.out, a.String())
			assert.Equal(t, tt.hundredths, a.Hundredths())
		})
	}
}

func TestParseWireNeverRounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		kind     ErrorKind
	}{
		{"empty", "", KindEmpty},
		{"null", "null", KindEmpty},
		{"empty string", `""`, KindEmpty},
		{"three decimals", "0.125", KindTooManyDecimals},
		{"an exponent that leaves three decimals", "1.2345E1", KindTooManyDecimals},
		{"tiny", "1E-400", KindTooManyDecimals},
		{"huge", "1E400", KindTooLarge},
		{"hostile exponent", "1E999999999999", KindTooLarge},
		{"zero with a hostile exponent", "0E10000000000000000000", KindTooLarge},
		{"sixteen integer digits", "1234567890123456", KindTooLarge},
		{"words", "abc", KindNotANumber},
		{"NaN", "NaN", KindNotANumber},
		{"Infinity", "Infinity", KindNotANumber},
		{"thousands separator", `"25,000"`, KindNotANumber},
		{"bare fraction", ".5", KindNotANumber},
		{"trailing point", "5.", KindNotANumber},
		{"exponent without digits", "1E", KindNotANumber},
		{"double sign", "--5", KindNotANumber},
		{"hex", "0x1F", KindNotANumber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseWire(tt.in)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.True(t, errors.Is(err, ErrInvalid))
			assert.Equal(t, tt.kind, pe.Kind, pe.Problem)
			assert.Equal(t, wireFix, pe.Fix)
		})
	}
}

func TestUnmarshalJSONReadsWireNumbers(t *testing.T) {
	t.Parallel()
	var v struct {
		A, B, C Amount
	}
	require.NoError(t, json.Unmarshal([]byte(`{"A":2.5E7,"B":"100.50","C":null}`), &v))
	assert.Equal(t, "25000000", v.A.String())
	assert.Equal(t, "100.50", v.B.String())
	assert.True(t, v.C.IsZero(), "null leaves the amount alone")
	assert.Error(t, json.Unmarshal([]byte(`{"A":0.125}`), &v), "never rounded")
}

// FuzzParseWire checks ParseWire against math/big: whatever it accepts is
// exactly the value big.Rat reads, and its text reads back to itself.
func FuzzParseWire(f *testing.F) {
	for _, s := range []string{"2.5E7", "1.2345678E7", "100.0", `"25000000.00"`, "-0.5", "1e-2", "0.125", "1E400", "007", "9.99999999999999999E14"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseWire(s)
		if err != nil {
			return
		}
		want, ok := new(big.Rat).SetString(unquote(s))
		if !ok {
			t.Fatalf("ParseWire(%q) accepted what math/big cannot read", s)
		}
		if got := big.NewRat(a.Hundredths(), 100); got.Cmp(want) != 0 {
			t.Fatalf("ParseWire(%q) = %s hundredths, want %s", s, got.FloatString(2), want.FloatString(4))
		}
		b, err := ParseWire(a.String())
		if err != nil || b != a {
			t.Fatalf("round trip of %q through %q: %v, %v", s, a.String(), b, err)
		}
	})
}

// unquote strips what ParseWire strips around a number: spaces and one
// pair of double quotes.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}
