package validate

import (
	"context"
	"errors"
	"io"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
)

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
	r, err := allocfile.NewReader(name, src)
	if err != nil {
		return nil, err
	}
	v, err := New(name, r.Header(), opts, know)
	if err != nil {
		return nil, err
	}
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := each(v.Check(row)); err != nil {
			return nil, err
		}
	}
	v.plan.BlankRows = r.BlankRows()
	return &Pass{Header: r.Header(), Validator: v, Plan: v.Plan()}, nil
}
