package validate

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// DefaultSpillAt is the number of key hashes the first pass keeps in
// memory (8 bytes each, 32 MiB) before it sorts them and moves them to a
// temporary file. A 1,000,000-row file has about 3,000,000 keys and never
// touches the disk; a 3,000,000-row file writes two sorted runs.
const DefaultSpillAt = 4 << 20

// collector gathers the 64-bit hash of every key of a file (reference,
// card, e-mail, mobile) and finds the hashes that occur more than once.
//
// While the keys fit, they go into an open-addressing set that finds a
// repeat as it is added, at the cost of one probe sequence. When the set
// would grow beyond limit slots, its keys are sorted in place and written
// to an unlinked temporary file as a run; from then on hashes are appended
// to the same memory and written as a sorted run each time it is full, and
// the runs are merged at the end. Memory stays at limit*8 bytes however
// large the file is. Equal hashes are only candidates: the second pass
// compares the rows' values exactly.
type collector struct {
	set   []uint64 // the open-addressing set (0 marks a free slot); nil once spilled
	n     int      // keys in set
	hits  []uint64 // keys added to set a second time
	buf   []uint64 // hashes since the first spill
	limit int
	dir   string
	file  *os.File // the sorted runs, back to back; nil until the first spill
	w     *bufio.Writer
	runs  []int64 // the number of hashes in each run on disk
	err   error
}

func newCollector(limit int, dir string) *collector {
	if limit <= 0 {
		limit = DefaultSpillAt
	}
	size := 2 // a power of two, at most limit (but at least 2)
	for size*2 <= min(1024, limit) {
		size *= 2
	}
	return &collector{limit: limit, dir: dir, set: make([]uint64, size)}
}

// add adds a hash; 0 is never given (see [Validator.key]).
func (c *collector) add(h uint64) {
	if c.set == nil {
		if len(c.buf) == c.limit {
			c.spill()
		}
		c.buf = append(c.buf, h)
		return
	}
	if (c.n+1)*4 > len(c.set)*3 {
		if 2*len(c.set) > c.limit {
			c.buf = c.set[:0]
			for _, k := range c.set { // compact in place, then sort and write
				if k != 0 {
					c.buf = append(c.buf, k)
				}
			}
			c.set = nil
			c.spill()
			c.buf = append(c.buf, h)
			return
		}
		c.grow()
	}
	mask := uint64(len(c.set) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch c.set[i] {
		case h:
			c.hits = append(c.hits, h)
			return
		case 0:
			c.set[i] = h
			c.n++
			return
		}
	}
}

func (c *collector) grow() {
	old := c.set
	c.set = make([]uint64, 2*len(old))
	mask := uint64(len(c.set) - 1)
	for _, k := range old {
		if k == 0 {
			continue
		}
		i := k & mask
		for c.set[i] != 0 {
			i = (i + 1) & mask
		}
		c.set[i] = k
	}
}

// spill sorts the hashes in memory and appends them to the file as a run.
func (c *collector) spill() {
	if c.err != nil {
		c.buf = c.buf[:0]
		return
	}
	if c.file == nil {
		f, err := os.CreateTemp(c.dir, "rewardbatch-keys-*")
		if err != nil {
			c.err = fmt.Errorf("the file is too large to check for duplicates in memory, and a temporary file could not be created (set TMPDIR to a writable folder): %w", err)
			return
		}
		_ = os.Remove(f.Name()) // unlinked: it goes away with the process, whatever happens
		c.file, c.w = f, bufio.NewWriterSize(f, 1<<16)
	}
	slices.Sort(c.buf)
	var b [8]byte
	for _, h := range c.buf {
		binary.LittleEndian.PutUint64(b[:], h)
		if _, err := c.w.Write(b[:]); err != nil {
			c.err = fmt.Errorf("writing the temporary file of duplicate checks: %w", err)
			break
		}
	}
	c.runs = append(c.runs, int64(len(c.buf)))
	c.buf = c.buf[:0]
}

// duplicates returns, sorted, every hash added more than once, and frees
// the memory and the temporary file.
func (c *collector) duplicates() ([]uint64, error) {
	defer c.close()
	if c.err != nil {
		return nil, c.err
	}
	slices.Sort(c.hits)
	hits := slices.Compact(c.hits)
	if c.file == nil {
		return hits, nil
	}
	slices.Sort(c.buf)
	if err := c.w.Flush(); err != nil {
		return nil, fmt.Errorf("writing the temporary file of duplicate checks: %w", err)
	}
	runs := []run{&sliceRun{s: c.buf}}
	var off int64
	for _, n := range c.runs {
		runs = append(runs, &fileRun{r: bufio.NewReaderSize(io.NewSectionReader(c.file, off*8, n*8), 1<<15), left: n})
		off += n
	}
	dups := dupsOf(runs...)
	if err := readErr(runs); err != nil {
		return nil, err
	}
	// A hit of the set is in one run only once: add the hits back.
	out := append(dups, hits...)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// readErr returns the first read error of the runs on disk.
func readErr(runs []run) error {
	for _, r := range runs {
		if fr, ok := r.(*fileRun); ok && fr.err != nil {
			return fmt.Errorf("reading the temporary file of duplicate checks: %w", fr.err)
		}
	}
	return nil
}

func (c *collector) close() {
	c.buf, c.set, c.hits = nil, nil, nil
	if c.file != nil {
		_ = c.file.Close()
		c.file = nil
	}
}

// run is a sorted sequence of hashes.
type run interface {
	// peek returns the current hash; ok is false at the end.
	peek() (h uint64, ok bool)
	next()
}

type sliceRun struct {
	s []uint64
	i int
}

func (r *sliceRun) peek() (uint64, bool) {
	if r.i < len(r.s) {
		return r.s[r.i], true
	}
	return 0, false
}
func (r *sliceRun) next() { r.i++ }

type fileRun struct {
	r    *bufio.Reader
	left int64
	cur  uint64
	has  bool
	err  error
}

func (r *fileRun) peek() (uint64, bool) {
	if !r.has && r.left > 0 && r.err == nil {
		var b [8]byte
		if _, err := io.ReadFull(r.r, b[:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			r.err = err
			return 0, false
		}
		r.cur, r.has = binary.LittleEndian.Uint64(b[:]), true
		r.left--
	}
	return r.cur, r.has
}
func (r *fileRun) next() { r.has = false }

// dupsOf merges sorted runs and returns the hashes that occur twice or
// more, in order.
func dupsOf(runs ...run) []uint64 {
	var out []uint64
	for {
		low, any := uint64(0), false
		for _, r := range runs {
			if h, ok := r.peek(); ok && (!any || h < low) {
				low, any = h, true
			}
		}
		if !any {
			return out
		}
		n := 0
		for _, r := range runs {
			for h, ok := r.peek(); ok && h == low; h, ok = r.peek() {
				n++
				r.next()
			}
		}
		if n > 1 {
			out = append(out, low)
		}
	}
}
