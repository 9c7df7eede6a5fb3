package validate

import (
	"encoding/binary"
	"hash/maphash"
)

// exact is what a later pass keeps about the candidate rows it has seen
// (the rows with a key whose first-pass hash is on another row): the first
// row of each reference, person and payment, keyed by a 128-bit
// fingerprint, so that a row costs tens of bytes however long its values.
type exact struct {
	h1, h2 maphash.Hash
	refs   map[fingerprint]refFirst // reference -> its first row
	people map[fingerprint]seenAs   // kind, identifier -> its first row
	pays   map[fingerprint]uint32   // kind, identifier, operation, amount -> first row
	occ    map[fingerprint]int32    // derived-reference key -> rows so far
	n      [8]byte
}

// fingerprint is a key hashed with two independent random seeds. Two
// different keys share one with a chance of 2^-128, so among the m keys a
// pass compares (at most four per candidate row) the chance of any false
// match is below m*m/2^129: under 10^-23 for 30,000,000 keys. The
// first-pass hash only selects candidates; this is the comparison.
type fingerprint [2]uint64

func newExact() *exact {
	ex := &exact{refs: map[fingerprint]refFirst{}, people: map[fingerprint]seenAs{}, pays: map[fingerprint]uint32{},
		occ: map[fingerprint]int32{}}
	ex.h1.SetSeed(maphash.MakeSeed())
	ex.h2.SetSeed(maphash.MakeSeed())
	return ex
}

// fp returns the fingerprint of a key of the given kind made of parts;
// each part is length-prefixed, so that no two lists of parts hash alike.
func (ex *exact) fp(kind byte, parts ...string) fingerprint {
	ex.h1.Reset()
	ex.h2.Reset()
	_ = ex.h1.WriteByte(kind)
	_ = ex.h2.WriteByte(kind)
	for _, p := range parts {
		binary.LittleEndian.PutUint64(ex.n[:], uint64(len(p)))
		_, _ = ex.h1.Write(ex.n[:])
		_, _ = ex.h2.Write(ex.n[:])
		_, _ = ex.h1.WriteString(p)
		_, _ = ex.h2.WriteString(p)
	}
	return fingerprint{ex.h1.Sum64(), ex.h2.Sum64()}
}

// refFirst is the first row of a reference, with the first rows of its
// payment groups (see [exact.payment]).
type refFirst struct {
	line uint32
	pays [3]uint32
}

// samePayment reports whether a row whose payment groups are pf is the
// same payment as this first row: the same operation and amount to a
// person with the same card, e-mail or mobile, that is, one shared group.
func (r refFirst) samePayment(pf [3]uint32) bool {
	for i := range pf {
		if pf[i] != 0 && pf[i] == r.pays[i] {
			return true
		}
	}
	return false
}

type seenAs struct {
	line uint32
	ops  uint8 // a bit per operation the person was seen with
}

// payment records the row's payment, one group per identifier it has
// (card, e-mail, mobile, each with the operation and amount), sets c.pf
// to the first row of each group, and returns the first earlier row that
// is the same payment, or 0.
func (ex *exact) payment(c *rowCheck) uint32 {
	a := &c.it.Allocation
	if a.Amount.IsZero() {
		return 0 // no amount, nothing to compare
	}
	line, first := uint32(c.row.Line), uint32(0)
	amount := a.Amount.Fixed2()
	for i, p := range c.people() {
		if p.v == "" {
			continue
		}
		k := ex.fp(p.kind, p.v, string(a.Operation), amount)
		l, seen := ex.pays[k]
		switch {
		case !seen:
			ex.pays[k], l = line, line
		case first == 0 || l < first:
			first = l
		}
		c.pf[i] = l
	}
	return first
}
