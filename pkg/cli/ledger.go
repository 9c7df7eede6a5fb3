package cli

import (
	"context"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/rewardbatch/rewardbatch/pkg/ledger"
)

// ledgerFlags choose the ledger of a run.
type ledgerFlags struct {
	state string
	fs    *pflag.FlagSet
}

func (f *ledgerFlags) AddFlags(fs *pflag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.state, "state", "", "the ledger (SQLite) that remembers what was sent, so that no rerun pays a row twice "+
		"(default $XDG_STATE_HOME/rewardbatch/ledger.db, else ~/.local/state/rewardbatch/ledger.db; "+
		"an embedded --sandbox run uses a throw-away one)")
}

// path returns the ledger's path: --state, or the default.
func (f *ledgerFlags) path(g *globals) (string, error) {
	if f.state != "" {
		return f.state, nil
	}
	return ledger.DefaultPath(g.lookupEnv)
}

// open opens the run's ledger. An embedded sandbox run without --state gets
// a ledger in a temporary folder: its references must never be mistaken
// for real ones, and the sandbox forgets everything at exit anyway. The
// returned function closes the ledger (and removes a temporary one).
func (f *ledgerFlags) open(ctx context.Context, g *globals, sandboxRun bool) (*ledger.Ledger, func() error, error) {
	path := f.state
	var tmp string
	switch {
	case path != "":
	case sandboxRun:
		dir, err := os.MkdirTemp("", "rewardbatch-sandbox-ledger-")
		if err != nil {
			return nil, nil, err
		}
		tmp, path = dir, filepath.Join(dir, ledger.FileName)
	default:
		p, err := f.path(g)
		if err != nil {
			return nil, nil, err
		}
		path = p
	}
	l, err := ledger.Open(ctx, path)
	if err != nil {
		if tmp != "" {
			_ = os.RemoveAll(tmp)
		}
		return nil, nil, err
	}
	return l, func() error {
		err := l.Close()
		if tmp != "" {
			_ = os.RemoveAll(tmp)
		}
		return err
	}, nil
}
