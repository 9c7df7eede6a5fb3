package validate

import (
	"context"
	"errors"
	"io"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
)

// Scanner reads and validates the rows of one file, one at a time. A
// goroutine reads and decodes rows ahead in small batches while the
// caller validates, so that both cores work; Close stops it. A Scanner is
// not safe for concurrent use.
type Scanner struct {
	r       *allocfile.Reader
	v       *Validator
	batches chan batch
	stop    chan struct{}
	done    chan struct{}
	cur     batch
	pos     int
	err     error
	src     source
}

// batch is a run of rows read ahead; err ends the stream after the rows.
type batch struct {
	rows []*allocfile.Row
	err  error
}

const batchSize = 256

// NewScanner reads the header of src (the file called name) and checks its
// columns. know is the [Knowledge] of an earlier pass, or nil. Call Close
// when done.
func NewScanner(name string, src io.Reader, opts Options, know *Knowledge) (*Scanner, error) {
	in, err := openSheet(name, src, opts.Sheet, opts.TempDir)
	if err != nil {
		return nil, err
	}
	r, err := allocfile.NewReaderWith(in.name, in.r, allocfile.Options{Map: opts.Columns, Sheet: in.sheet})
	if err != nil {
		in.close()
		return nil, in.locate(err)
	}
	v, err := New(in.name, r.Header(), opts, know)
	if err != nil {
		in.close()
		return nil, in.locate(err)
	}
	v.sheet = in.sheet
	s := &Scanner{r: r, v: v, src: in, batches: make(chan batch, 4), stop: make(chan struct{}), done: make(chan struct{})}
	go s.readAhead()
	return s, nil
}

func (s *Scanner) readAhead() {
	defer close(s.done)
	defer close(s.batches)
	for {
		b := batch{rows: make([]*allocfile.Row, 0, batchSize)}
		for len(b.rows) < batchSize {
			row, err := s.r.Read()
			if err != nil {
				b.err = err
				break
			}
			b.rows = append(b.rows, row)
		}
		select {
		case s.batches <- b:
		case <-s.stop:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// Close stops reading ahead. It is safe to call more than once.
func (s *Scanner) Close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	s.src.close()
}

// Header returns the file's resolved header.
func (s *Scanner) Header() *allocfile.Header { return s.r.Header() }

// Validator returns the validator, for NeedsSecondPass and Knowledge.
func (s *Scanner) Validator() *Validator { return s.v }

// Next returns the next validated row, or io.EOF after the last one. Rows
// of the sheet's layout (see Validator.skip) are passed over.
func (s *Scanner) Next() (*reward.Item, error) {
	for {
		row, err := s.nextRow()
		if err != nil {
			return nil, err
		}
		s.src.cells(row)
		if !s.v.skip(row) {
			return s.v.Check(row), nil
		}
	}
}

// nextRow returns the next row read ahead.
func (s *Scanner) nextRow() (*allocfile.Row, error) {
	for s.pos >= len(s.cur.rows) {
		if s.err != nil || s.cur.err != nil {
			if s.err == nil {
				s.err = s.cur.err
				if errors.Is(s.err, io.EOF) {
					if err := s.v.finish(); err != nil {
						s.err = err
					}
				}
			}
			return nil, s.err
		}
		b, ok := <-s.batches
		if !ok {
			s.err = io.ErrUnexpectedEOF
			return nil, s.err
		}
		s.cur, s.pos = b, 0
	}
	row := s.cur.rows[s.pos]
	s.cur.rows[s.pos] = nil
	s.pos++
	return row, nil
}

// Plan returns the plan of the rows read so far; call it after Next has
// returned io.EOF.
func (s *Scanner) Plan() *Plan {
	s.v.plan.BlankRows = s.r.BlankRows()
	return s.v.Plan()
}

// Pass is the result of one pass over a file.
type Pass struct {
	Header    *allocfile.Header
	Validator *Validator
	Plan      *Plan
}

// Stream reads every row of src (the file called name), validates it and
// calls each with the item, in file order. It stops at the first error
// from each, from the file, or from ctx. Memory does not grow with the
// file beyond the validator's hashes.
func Stream(ctx context.Context, name string, src io.Reader, opts Options, know *Knowledge, each func(*reward.Item) error) (*Pass, error) {
	s, err := NewScanner(name, src, opts, know)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		it, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := each(it); err != nil {
			return nil, err
		}
	}
	return &Pass{Header: s.Header(), Validator: s.v, Plan: s.Plan()}, nil
}
