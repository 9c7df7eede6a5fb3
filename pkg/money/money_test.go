package money

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, out string
		hundredths    int64
	}{
		{"whole", "500", "500", 50000},
		{"one decimal keeps its digits", "99.5", "99.5", 9950},
		{"two decimals keep their digits", "100.50", "100.50", 10050},
		{"smallest", "0.01", "0.01", 1},
		{"zero is a number (positivity is a validation rule)", "0", "0", 0},
		{"spaces trimmed", "  42 ", "42", 4200},
		{"twelve integer digits", "999999999999", "999999999999", 99999999999900},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := Parse(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.out, a.String())
			assert.Equal(t, tt.hundredths, a.Hundredths())
			b, err := json.Marshal(a)
			require.NoError(t, err)
			assert.Equal(t, tt.out, string(b), "the API must receive exactly the file's digits")
		})
	}
}

func TestParseRefusesWhatExcelDoes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		kind     ErrorKind
		problem  string
		fix      string
	}{
		{"empty", " ", KindEmpty, "is empty", "enter the number of points, for example 500"},
		{"rupee sign", "₹500", KindCurrencySign, "has a currency sign", "remove the currency sign and keep only the number (format the column as Number, not Currency)"},
		{"Rs prefix", "Rs. 500", KindCurrencySign, "has a currency sign", "remove the currency sign and keep only the number (format the column as Number, not Currency)"},
		{"INR suffix", "500 INR", KindCurrencySign, "has a currency sign", "remove the currency sign and keep only the number (format the column as Number, not Currency)"},
		{"western thousands", "1,500", KindThousandsSeparator, "has a thousands separator", "remove the commas: write 1500"},
		{"indian lakh grouping", "1,00,000", KindThousandsSeparator, "has a thousands separator", "remove the commas: write 100000"},
		{"grouped with decimals", "12,345.50", KindThousandsSeparator, "has a thousands separator", "remove the commas: write 12345.50"},
		{"decimal comma", "10,5", KindDecimalComma, "uses a decimal comma", "use a point for decimals and no separators: write 10.5 (check the spreadsheet's region settings)"},
		{"european", "1.000,50", KindDecimalComma, "uses a decimal comma", "use a point for decimals and no separators: write 1000.50 (check the spreadsheet's region settings)"},
		{"three decimals never rounded", "10.505", KindTooManyDecimals, "has more than 2 decimals", "round the amount to 2 decimals in the spreadsheet yourself; the tool never rounds money"},
		{"scientific", "1.5E+05", KindScientific, "is in scientific notation, which may have lost digits", "format the column as Number with 2 decimals and re-enter the amount"},
		{"negative", "-50", KindNegative, "is negative", "write a positive number of points; to take points back use operation debit"},
		{"accounting negative", "(50)", KindNegative, "is negative", "write a positive number of points; to take points back use operation debit"},
		{"leading zero", "0100", KindLeadingZero, "has a leading zero", "remove the leading zeros"},
		{"bare fraction", ".5", KindNotANumber, "has no digits before the decimal point", "write 0.5, not .5"},
		{"words", "five hundred", KindNotANumber, "is not a number", "write the points as digits, for example 500 or 99.50"},
		{"space grouping", "1 00 000", KindThousandsSeparator, "has a space or apostrophe used as a thousands separator", "remove the separator: write 100000"},
		{"too large", "1234567890123", KindTooLarge, "is too large", "check the amount; it has more than 12 digits"},
		{"hex is not a number", "0x1F", KindNotANumber, "is not a number", "write the points as digits, for example 500 or 99.50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.in)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.True(t, errors.Is(err, ErrInvalid))
			assert.Equal(t, tt.kind, pe.Kind)
			assert.Equal(t, tt.problem, pe.Problem)
			assert.Equal(t, tt.fix, pe.Fix)
		})
	}
}

func TestSumsAreExact(t *testing.T) {
	t.Parallel()
	var total Amount
	tenth, err := Parse("0.1")
	require.NoError(t, err)
	for range 1000 {
		total = total.Add(tenth)
	}
	assert.Equal(t, "100.00", total.Fixed2(), "a float sum would drift; hundredths must not")
	assert.Equal(t, 0, total.Cmp(FromHundredths(10000)))
	assert.Equal(t, "-0.10", FromHundredths(0).Sub(tenth).Fixed2())
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"500", "99.50", "1,00,000", "10,5", "₹5", "1e5", "-1", ".5", "0.001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		b, err := Parse(a.String())
		if err != nil {
			t.Fatalf("Parse(%q) gave %q which does not parse: %v", s, a.String(), err)
		}
		if b != a {
			t.Fatalf("round trip changed %q: %v != %v", s, a, b)
		}
	})
}
