package validate

import (
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/reward"
)

// Duplicates are found in two steps. A first pass keeps only the 64-bit
// hash of every key of every row (its reference, card, e-mail and mobile;
// see [collector]) and, at the end, the hashes that occur on more than one
// row. When there are none, no row shares a key with another and the first
// pass's verdicts are final. Otherwise a second pass, given that
// [Knowledge], looks again at the rows whose keys have one of those hashes
// (the candidates) and compares them by 128-bit fingerprints from two
// other random seeds (see [fingerprint]): a 64-bit collision only makes a
// row a candidate, never a duplicate. That pass keeps tens of bytes per
// candidate row and nothing for the others.

// Key kinds: one hash space serves every set; the kind keeps an e-mail and
// a mobile with the same text apart.
const (
	keyRef    = 'r'
	keyCard   = 'c'
	keyEmail  = 'e'
	keyMobile = 'm'
)

// Knowledge is what a complete pass over a file learned that a later pass
// needs: the hashes of the keys found on more than one row, and the rows
// whose reference a later row uses for another payment. Feed it to the
// next pass's [New]. It is read-only and safe to share between passes.
type Knowledge struct {
	seed  maphash.Seed
	cands []uint64            // sorted
	retro map[uint32]retroRef // first row -> the later row that reuses its reference
}

// retroRef is a reference that a later row uses for another payment.
type retroRef struct {
	ref   string
	later uint32
}

// key returns the hash of a key of the given kind; never 0, which marks a
// free slot of the collector's set.
func (v *Validator) key(kind byte, s string) uint64 {
	return max(1, maphash.String(v.seed, s)^(uint64(kind)*0x9E3779B97F4A7C15))
}

// NeedsSecondPass reports whether the verdicts of this pass may still
// change: a first pass found keys on more than one row, or a later pass
// found a reference reused by a row after its first row had passed. Run
// the file again with [Validator.Knowledge]. Call it after the last row
// (after [Scanner.Next] returned io.EOF).
func (v *Validator) NeedsSecondPass() bool {
	if v.know == nil {
		return len(v.cands) > 0
	}
	return len(v.found) > 0
}

// Knowledge returns what this pass learned, merged with what it was given.
// Call it after the last row.
func (v *Validator) Knowledge() *Knowledge {
	if v.know == nil {
		return &Knowledge{seed: v.seed, cands: v.cands}
	}
	k := &Knowledge{seed: v.seed, cands: v.know.cands, retro: map[uint32]retroRef{}}
	for l, r := range v.know.retro {
		k.retro[l] = r
	}
	for l, r := range v.found {
		k.retro[l] = r
	}
	return k
}

// finish ends a first pass: it merges the key hashes into the candidates.
func (v *Validator) finish() error {
	if v.col == nil {
		return nil
	}
	c, err := v.col.duplicates()
	v.col, v.cands = nil, c
	return err
}

// person is one identifier of the person a row pays.
type person struct {
	kind byte
	col  string
	v    string
	what string
}

// people returns the row's identifiers; empty ones are left out by callers.
func (c *rowCheck) people() [3]person {
	a := &c.it.Allocation
	return [...]person{
		{keyCard, allocfile.ColCardID, a.EnkashCardID, "card"},
		{keyEmail, allocfile.ColEmail, c.lowerEmail(), "e-mail"},
		{keyMobile, allocfile.ColMobile, a.Mobile, "mobile"},
	}
}

// candidate reports whether one of the row's keys was seen on another row
// in the first pass, so that the exact checks must look at it.
func (c *rowCheck) candidate() bool {
	if c.cand != 0 {
		return c.cand > 0
	}
	c.cand = -1
	if c.v.know == nil || len(c.v.know.cands) == 0 {
		return false
	}
	a := &c.it.Allocation
	keys := make([]uint64, 0, 4)
	if a.Reference != "" && !c.it.Derived {
		keys = append(keys, c.v.key(keyRef, a.Reference))
	}
	for _, p := range c.people() {
		if p.v != "" {
			keys = append(keys, c.v.key(p.kind, p.v))
		}
	}
	for _, k := range keys {
		if _, ok := slices.BinarySearch(c.v.know.cands, k); ok {
			c.cand = 1
			return true
		}
	}
	return false
}

// duplicates collects the row's keys in a first pass, and compares a
// candidate row exactly with the rows before it in a later pass.
func (c *rowCheck) duplicates() {
	anyID := false
	for _, p := range c.people() {
		if p.v != "" {
			anyID = true
			if c.v.col != nil {
				c.v.col.add(c.v.key(p.kind, p.v))
			}
		}
	}
	a := &c.it.Allocation
	if c.v.col != nil && a.Reference != "" && !c.it.Derived {
		c.v.col.add(c.v.key(keyRef, a.Reference))
	}
	if c.v.col != nil || !c.candidate() {
		if anyID {
			c.v.plan.People++
		}
		return
	}
	repeatOf := c.v.ex.payment(c)
	if repeatOf != 0 {
		c.repeats(repeatOf)
	}
	c.samePerson(repeatOf != 0)
	c.sameReference()
}

// repeats reports a row that is the same payment as an earlier one: an
// error, unless --allow-repeats or the row's repeat column lets it through
// as a second payment.
func (c *rowCheck) repeats(first uint32) {
	a := &c.it.Allocation
	problem := fmt.Sprintf("this row repeats %s %d: the same %s of %s points to the same person", c.v.lineWord(), first, a.Operation, a.Amount.Fixed2())
	const once = "if the employee should be paid once, delete this row"
	switch reason := c.repeatReason(); {
	case reason != "":
		c.add("", finding{reward.SevWarning, problem + fmt.Sprintf("; sent as a second payment, because the repeat column says %q", clip(reason)), once})
		c.repeatAllowed = true
	case c.v.opts.AllowRepeats:
		c.add("", finding{reward.SevWarning, problem + "; sent as a second payment (--allow-repeats)", once})
		c.repeatAllowed = true
	default:
		c.add("", finding{reward.SevError, problem,
			`delete the copy; if the employee really gets two payments, add --allow-repeats (or a "repeat" column saying why)`})
	}
}

// repeatReason is the row's repeat column, trimmed ("" without one).
func (c *rowCheck) repeatReason() string {
	if i := c.v.repeat; i >= 0 && i < len(c.row.Values) {
		return strings.TrimSpace(c.row.Values[i])
	}
	return ""
}

// repeatColumn finds the optional repeat column in the cells outputs carry.
func repeatColumn(hdr *allocfile.Header) int {
	j := 0
	for i, n := range hdr.Names {
		if hdr.Dropped[i] {
			continue
		}
		if isRepeatColumn(n) {
			return j
		}
		j++
	}
	return -1
}

// isRepeatColumn reports whether a header cell names the repeat column.
func isRepeatColumn(name string) bool { return strings.EqualFold(strings.TrimSpace(name), "repeat") }

// samePerson warns about a person paid twice by the same operation for a
// different amount, and counts the people.
func (c *rowCheck) samePerson(repeated bool) {
	a := &c.it.Allocation
	bit := uint8(1) << (slices.Index(reward.Operations, a.Operation) + 1)
	line, newPerson, anyID := uint32(c.row.Line), true, false
	for _, p := range c.people() {
		if p.v == "" {
			continue
		}
		anyID = true
		k := c.v.ex.fp(p.kind, p.v)
		prev, seen := c.v.ex.people[k]
		if !seen {
			c.v.ex.people[k] = seenAs{line: line, ops: bit}
			continue
		}
		newPerson = false
		if prev.ops&bit != 0 && !repeated {
			c.add(p.col, finding{reward.SevWarning,
				fmt.Sprintf("the same %s is also on %s %d for %s", p.what, c.v.lineWord(), prev.line, a.Operation),
				"check that the employee should get two rows; if not, delete one"})
		}
		prev.ops |= bit
		c.v.ex.people[k] = prev
	}
	if newPerson && anyID {
		c.v.plan.People++
	}
}

// sameReference refuses a reference used by two different payments (both
// rows), and a copy that repeats its first row's reference as a second
// payment (a reference is paid once).
func (c *rowCheck) sameReference() {
	a := &c.it.Allocation
	if a.Reference == "" || c.it.Derived {
		return
	}
	ex, line := c.v.ex, uint32(c.row.Line)
	k := ex.fp(keyRef, a.Reference)
	first, seen := ex.refs[k]
	if !seen {
		ex.refs[k] = refFirst{line: line, pays: c.pf}
		if r, ok := c.v.know.retro[line]; ok {
			c.add(allocfile.ColReference, finding{reward.SevError,
				fmt.Sprintf("the reference %s is used again on %s %d for another payment; both rows are refused", clip(r.ref), c.v.lineWord(), r.later), refFix})
		}
		return
	}
	if first.samePayment(c.pf) {
		if !c.repeatAllowed {
			return // the repeat error says it all
		}
		c.add(allocfile.ColReference, finding{reward.SevError,
			fmt.Sprintf("the reference %s is also used on %s %d, by the same payment; a reference is paid only once", clip(a.Reference), c.v.lineWord(), first.line),
			"delete the copy; if the employee really gets two payments, give this row its own reference (then both are paid)"})
		return
	}
	c.add(allocfile.ColReference, finding{reward.SevError,
		fmt.Sprintf("the reference %s is also used on %s %d for another payment; both rows are refused", clip(a.Reference), c.v.lineWord(), first.line), refFix})
	if _, known := c.v.know.retro[first.line]; !known {
		if _, noted := c.v.found[first.line]; !noted {
			c.v.found[first.line] = retroRef{ref: a.Reference, later: line}
		}
	}
}

// refFix is the fix of a reference shared by two different payments. It
// must not lead to paying a mistaken row: a new reference pays both.
const refFix = "a reference names one payment: if one of the two rows is a mistake, delete it; " +
	"if both payments are meant, give one of them a new reference (then both are paid)"

// occurrence counts the rows so far with the derived-reference key k: 1
// for a row whose keys are on no other row.
func (c *rowCheck) occurrence(k string) int {
	if !c.candidate() {
		return 1
	}
	f := c.v.ex.fp('o', k)
	c.v.ex.occ[f]++
	return int(c.v.ex.occ[f])
}
