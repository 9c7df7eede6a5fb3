package validate

import (
	"context"
	"errors"
	"io"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
)

// Scanner reads and validates the rows of one file, one at a time.
type Scanner struct {
	r *allocfile.Reader
	v *Validator
}

// NewScanner reads the header of src (the file called name) and checks its
// columns. know is the [Knowledge] of an earlier pass, or nil.
func NewScanner(name string, src io.Reader, opts Options, know *Knowledge) (*Scanner, error) {
	r, err := allocfile.NewReader(name, src)
	if err != nil {
		return nil, err
	}
	v, err := New(name, r.Header(), opts, know)
	if err != nil {
		return nil, err
	}
	return &Scanner{r: r, v: v}, nil
}

// Header returns the file's resolved header.
func (s *Scanner) Header() *allocfile.Header { return s.r.Header() }

// Validator returns the validator, for NeedsSecondPass and Knowledge.
func (s *Scanner) Validator() *Validator { return s.v }

// Next returns the next validated row, or io.EOF after the last one.
func (s *Scanner) Next() (*Item, error) {
	row, err := s.r.Read()
	if err != nil {
		return nil, err
	}
	return s.v.Check(row), nil
}

// Plan returns the plan of the rows read so far.
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
func Stream(ctx context.Context, name string, src io.Reader, opts Options, know *Knowledge, each func(*Item) error) (*Pass, error) {
	s, err := NewScanner(name, src, opts, know)
	if err != nil {
		return nil, err
	}
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
