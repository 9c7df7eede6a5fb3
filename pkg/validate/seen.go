package validate

// seenTable maps 64-bit key hashes to 32-bit values: the validator's memory
// of references, people and occurrences. It is an open-addressing table
// with linear probing, 12 bytes a slot, so that a million-row file's three
// million keys fit in about 48 MB and each lookup-or-insert costs one probe
// sequence. The keys are already uniform hashes, so their low bits index
// the table directly.
type seenTable struct {
	keys []uint64 // 0 marks an empty slot
	vals []uint32
	n    int
}

func (t *seenTable) index(k uint64) (int, bool) {
	mask := uint64(len(t.keys) - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case k:
			return int(i), true
		case 0:
			return int(i), false
		}
	}
}

// lookup returns the slot of key k, inserting it with value v when it is
// absent. found reports whether it was present; *val is its value either way.
func (t *seenTable) lookup(k uint64, v uint32) (val *uint32, found bool) {
	if k == 0 {
		k = 1 // 0 marks an empty slot
	}
	if (t.n+1)*4 > len(t.keys)*3 {
		t.grow()
	}
	i, found := t.index(k)
	if !found {
		t.keys[i], t.vals[i] = k, v
		t.n++
	}
	return &t.vals[i], found
}

func (t *seenTable) grow() {
	size := max(1024, 2*len(t.keys))
	old, oldVals := t.keys, t.vals
	t.keys, t.vals = make([]uint64, size), make([]uint32, size)
	for j, k := range old {
		if k != 0 {
			i, _ := t.index(k)
			t.keys[i], t.vals[i] = k, oldVals[j]
		}
	}
}
