package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// marker is written to processing/FILE.result.json once a run has ended,
// so that a crash before the last move does not run the file again.
type marker struct {
	Folder      string      `json:"folder"`
	ExitCode    int         `json:"exitCode"`
	Disposition Disposition `json:"disposition"`
	Dest        string      `json:"dest"` // the folder under done/ or failed/
}

// resume finishes what an earlier Process left in processing/.
func (b *Inbox) resume(ctx context.Context, rep *Report) error {
	dir := b.path(Processing)
	if err := b.finishMarked(dir, rep); err != nil {
		return err
	}
	files, err := list(dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		if ctx.Err() != nil {
			return nil
		}
		t := Task{Path: filepath.Join(dir, f.name), Resumed: true}
		if exists(t.Path + resultSuffix) {
			continue // its run ended; finishMarked could not move it, and said why
		}
		e := Entry{Name: f.name, Resumed: true}
		if b.RequireApproval {
			hash, state, reason, err := b.approval(ctx, t.Path, dir, b.path(Incoming))
			if state != "" {
				e.State, e.Reason, e.Err = state, reason+" (it stays in processing/)", err
				rep.Entries = append(rep.Entries, e)
				continue
			}
			t.ApprovedHash = hash
			moveApproval(b.path(Incoming), dir, f.name)
		}
		if err := b.runOne(ctx, t, &e); err != nil {
			return err
		}
		rep.Entries = append(rep.Entries, e)
	}
	return nil
}

// finishMarked moves on the files whose run had ended, without running
// them again, and removes markers whose file was already moved.
func (b *Inbox) finishMarked(dir string, rep *Report) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	for _, de := range entries {
		name, ok := strings.CutSuffix(de.Name(), resultSuffix)
		if !ok {
			continue
		}
		var m marker
		raw, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err == nil {
			err = json.Unmarshal(raw, &m)
		}
		if err != nil || (m.Disposition != ToDone && m.Disposition != ToFailed) {
			// A torn marker: the run ended but the move was never begun.
			// Running the file again is safe; losing it is not.
			_ = os.Remove(filepath.Join(dir, de.Name()))
			continue
		}
		e := Entry{Name: name, Resumed: true, Folder: m.Folder, ExitCode: m.ExitCode}
		if err := b.finish(name, m, &e); err != nil {
			return err
		}
		rep.Entries = append(rep.Entries, e)
	}
	return nil
}

// intake takes the ready files of incoming/, oldest first.
func (b *Inbox) intake(ctx context.Context, rep *Report) error {
	in := b.path(Incoming)
	files, err := list(in)
	if err != nil {
		return err
	}
	for _, f := range files {
		if ctx.Err() != nil {
			return nil
		}
		e := Entry{Name: f.name}
		t, ok := b.take(ctx, in, f, &e)
		if !ok {
			rep.Entries = append(rep.Entries, e)
			continue
		}
		if err := b.step("taken"); err != nil {
			return err
		}
		if err := b.runOne(ctx, t, &e); err != nil {
			return err
		}
		rep.Entries = append(rep.Entries, e)
	}
	return nil
}

// take moves a ready, approved file to processing/; ok is false when it
// stays, with the reason in e.
func (b *Inbox) take(ctx context.Context, in string, f file, e *Entry) (Task, bool) {
	src := filepath.Join(in, f.name)
	if age := b.now().Sub(f.mtime); age < b.Settle {
		e.State, e.Reason = StateSettling, fmt.Sprintf("changed %s ago; taken once unchanged for %s", age.Round(1e9), b.Settle)
		return Task{}, false
	}
	dst := b.path(Processing, f.name)
	if exists(dst) || exists(dst+resultSuffix) {
		e.State, e.Reason = StateWaiting, "a file of this name is still in processing/; it is taken after that one"
		return Task{}, false
	}
	t := Task{Path: dst}
	if b.RequireApproval {
		hash, state, reason, err := b.approval(ctx, src, in)
		if state != "" {
			e.State, e.Reason, e.Err = state, reason, err
			return Task{}, false
		}
		t.ApprovedHash = hash
	}
	if !unchanged(src, f) {
		e.State, e.Reason = StateSettling, "changed while being checked"
		return Task{}, false
	}
	if err := os.Rename(src, dst); err != nil {
		e.State, e.Err = StateWaiting, fmt.Errorf("inbox: take %s: %w", f.name, err)
		return Task{}, false
	}
	syncDir(in)
	moveApproval(in, b.path(Processing), f.name)
	syncDir(b.path(Processing))
	return t, true
}

// runOne runs a file in processing/ and moves it on. Its error is only a
// crash-test stop; what happened is in e.
func (b *Inbox) runOne(ctx context.Context, t Task, e *Entry) error {
	res, err := b.Run(ctx, t)
	e.Folder, e.ExitCode = res.Folder, res.ExitCode
	if err != nil {
		e.State, e.Err, e.Reason = StateRetry, err, "it stays in processing/; the next run resumes it"
		return nil
	}
	if err := b.step("ran"); err != nil {
		return err
	}
	d := b.dispose(res.ExitCode)
	if d != ToDone && d != ToFailed {
		e.State, e.Reason = StateRetry, "it stays in processing/; the next run resumes it"
		return nil
	}
	dest := filepath.Base(res.Folder)
	if res.Folder == "" {
		dest = b.now().UTC().Format("20060102T150405Z") + "-" + e.Name
	}
	m := marker{Folder: res.Folder, ExitCode: res.ExitCode, Disposition: d, Dest: dest}
	if err := writeMarker(b.path(Processing, e.Name+resultSuffix), m); err != nil {
		e.State, e.Err = StateRetry, err
		return nil
	}
	if err := b.step("marked"); err != nil {
		return err
	}
	return b.finish(e.Name, m, e)
}

// finish moves a file whose run ended, and its approval, to done/ or
// failed/, then removes its marker.
func (b *Inbox) finish(name string, m marker, e *Entry) error {
	destDir := b.path(string(m.Disposition), m.Dest)
	src := b.path(Processing, name)
	if err := os.MkdirAll(destDir, 0o750); err != nil {
		e.State, e.Err = StateRetry, fmt.Errorf("inbox: %w", err)
		return nil
	}
	if err := os.Rename(src, filepath.Join(destDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		e.State, e.Err = StateRetry, fmt.Errorf("inbox: move %s to %s: %w", name, destDir, err)
		return nil
	}
	syncDir(destDir)
	if err := b.step("moved"); err != nil {
		return err
	}
	moveApproval(b.path(Processing), destDir, name)
	if err := os.Remove(src + resultSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		e.Err = fmt.Errorf("inbox: %w", err)
	}
	syncDir(b.path(Processing))
	e.State = StateDone
	if m.Disposition == ToFailed {
		e.State = StateFailed
	}
	return nil
}
