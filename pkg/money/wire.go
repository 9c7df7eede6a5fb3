package money

import (
	"strconv"
	"strings"
)

// maxWireIntegerDigits bounds the integer part of a number EnKash sends:
// fifteen digits of hundredths still fit an int64 with room for sums.
const maxWireIntegerDigits = 15

// maxWireExponent bounds the exponent of a number EnKash sends, so that a
// hostile "1E999999999" costs nothing; no double needs more.
const maxWireExponent = 400

// wireFix is the fix of every ParseWire error: the number came from EnKash,
// not from a person.
const wireFix = "this number came from EnKash's answer; report the answer to EnKash"

// ParseWire reads a number that EnKash (a machine) wrote, in any JSON form:
// an integer ("25000000"), a decimal ("100.0", "25000000.00"), an exponent
// as Java prints doubles ("2.5E7", "1.2345678E7", "1E+2"), a negative
// number, or any of these inside a JSON string ("\"25000000.00\"").
//
// It is exact: it refuses, with a [*ParseError], a number whose value has
// non-zero digits beyond hundredths, more than 15 integer digits or an
// exponent beyond ±400, rather than round it. Zeros beyond hundredths are harmless ("100.000" is
// 100.00). A plain decimal keeps the fraction digits it was written with (at
// most two); an exponent form is written with the digits its value needs.
// Numbers typed by people go through the strict [Parse] instead, which
// refuses exponents because a spreadsheet may have lost digits.
func ParseWire(s string) (Amount, error) {
	fail := func(kind ErrorKind, problem string) (Amount, error) {
		return Amount{}, &ParseError{Input: s, Kind: kind, Problem: problem, Fix: wireFix}
	}
	t := strings.TrimSpace(s)
	if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' {
		t = strings.TrimSpace(t[1 : len(t)-1])
	}
	if t == "" || t == "null" {
		return fail(KindEmpty, "is empty")
	}
	neg := strings.HasPrefix(t, "-")
	whole, frac, exp, ok := splitWire(strings.TrimPrefix(t, "-"))
	switch {
	case !ok:
		return fail(KindNotANumber, "is not a number")
	case exp > maxWireExponent || exp < -maxWireExponent:
		return fail(KindTooLarge, "has an exponent out of range")
	}
	// The value is 0.digits × 10^point once leading zeros are gone.
	all := whole + frac
	digits := strings.TrimLeft(all, "0")
	point := len(whole) + exp - (len(all) - len(digits))
	digits = strings.TrimRight(digits, "0")
	scale := 0
	if exp == 0 {
		scale = min(len(frac), 2) // "100.0" and "25000000.00" stay as written
	}
	if digits == "" {
		return Amount{scale: int8(scale)}, nil
	}
	fracDigits := max(len(digits)-point, 0)
	switch {
	case point > maxWireIntegerDigits:
		return fail(KindTooLarge, "is too large")
	case fracDigits > 2:
		return fail(KindTooManyDecimals, "has non-zero digits beyond hundredths")
	}
	n, _ := strconv.ParseInt(digits, 10, 64) // at most 17 digits here
	for range point + 2 - len(digits) {
		n *= 10
	}
	if neg {
		n = -n
	}
	return Amount{hundredths: n, scale: int8(max(scale, fracDigits))}, nil
}

// splitWire splits t (without its sign) into the digits before and after
// the point and the exponent, clamped to ±(maxWireExponent+1). ok is false
// when t is not digits, an optional point followed by digits, and an
// optional exponent.
func splitWire(t string) (whole, frac string, exp int, ok bool) {
	mant, e, hasExp := strings.Cut(strings.ToLower(t), "e")
	whole, frac, hasDot := strings.Cut(mant, ".")
	if whole == "" || !allDigits(whole) || !allDigits(frac) || (hasDot && frac == "") {
		return "", "", 0, false
	}
	if !hasExp {
		return whole, frac, 0, true
	}
	sign := 1
	if e != "" && (e[0] == '+' || e[0] == '-') {
		if e[0] == '-' {
			sign = -1
		}
		e = e[1:]
	}
	if e == "" || !allDigits(e) {
		return "", "", 0, false
	}
	e = strings.TrimLeft(e, "0")
	n := maxWireExponent + 1
	if len(e) <= 3 {
		n, _ = strconv.Atoi("0" + e)
		n = min(n, maxWireExponent+1)
	}
	return whole, frac, sign * n, true
}
