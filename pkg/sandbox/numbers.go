package sandbox

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// The ways the server prints numbers ([Options.NumberStyle]).
const (
	NumberPlain  = "plain"  // the amount's own digits: 100, 900.25 (default)
	NumberDouble = "double" // as Java prints a double (Jackson): 100.0, 2.5E7, 1.2345678E7
	NumberString = "string" // a JSON string with two decimals: "25000000.00"
)

// ParseNumberStyle checks a number style's name.
func ParseNumberStyle(s string) (string, error) {
	switch s {
	case NumberPlain, NumberDouble, NumberString:
		return s, nil
	}
	return "", fmt.Errorf("number style %q: want %s, %s or %s", s, NumberPlain, NumberDouble, NumberString)
}

// number renders an amount (a balance, an amount, an otbBalance) as the
// server prints numbers.
func (s *Server) number(a money.Amount) json.RawMessage {
	switch s.opts.NumberStyle {
	case NumberDouble:
		return json.RawMessage(javaDouble(a))
	case NumberString:
		return json.RawMessage(strconv.Quote(a.Fixed2()))
	}
	return json.RawMessage(a.String())
}

// javaDouble writes a as Java's Double.toString does: plain with at least
// one fraction digit below 10^7, else d.dddE<n>. Amounts have two decimals
// at most, so they are never below Java's other threshold, 10^-3.
func javaDouble(a money.Amount) string {
	n := a.Hundredths()
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	whole := strconv.FormatInt(n/100, 10)
	frac := strings.TrimRight(fmt.Sprintf("%02d", n%100), "0")
	if n/100 < 10_000_000 {
		return sign + whole + "." + orZero(frac)
	}
	digits := whole + frac
	return sign + digits[:1] + "." + orZero(strings.TrimRight(digits[1:], "0")) + "E" + strconv.Itoa(len(whole)-1)
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}
