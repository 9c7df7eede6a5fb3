package job

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/report"
	"github.com/rewardbatch/rewardbatch/pkg/sheet"
)

// DefaultMaxFileSize is the largest input read unless --max-file-size says
// otherwise.
const DefaultMaxFileSize = 1 << 30

// MaxLineBytes is the longest line of an input.
const MaxLineBytes = allocfile.MaxRecordBytes

// StillWritten is the problem of a file that changed while it was read, or
// whose last line has no line end.
const StillWritten = "the file may still be being written: wait until it is complete"

// stillWrittenFix also covers a file that is complete but lacks its last
// line end.
const stillWrittenFix = "wait until the program writing it has finished, then run again; " +
	"if the file is complete (a Google Sheets download, for one, ends without a line break), " +
	"end its last line with a line break: open it in a text editor, go to the end and press Enter"

// snapshotName names the snapshot of an input that starts with head:
// a workbook keeps its extension, so that the copy opens in Excel and
// is read as the workbook it is.
func snapshotName(head []byte) string {
	if sheet.Detect(head) == sheet.XLSX {
		return SnapshotWorkbook
	}
	return SnapshotFile
}

// SnapshotIn returns the path of the input's snapshot in the run folder
// dir: SnapshotWorkbook when the run read a workbook, else SnapshotFile.
func SnapshotIn(dir string) string {
	wb := filepath.Join(dir, SnapshotWorkbook)
	if _, err := os.Lstat(wb); err == nil {
		return wb
	}
	return filepath.Join(dir, SnapshotFile)
}

// input is where a command reads its allocation file from.
type input struct {
	name    string    // as the user gave it; StdinName for the standard input
	stdin   io.Reader // the standard input
	maxSize int64
	// dryRun: the copy serves a dry run only; it is neither synced nor
	// hashed, unless a resume check needs the hash.
	dryRun bool
	// afterChunk, in tests, runs after each chunk is copied.
	afterChunk func()
}

// snapshot copies the input into dir as SnapshotFile (SnapshotWorkbook
// for a workbook, by its content) and returns its path
// and the SHA-256 of its bytes ("" for a dry run's copy). Every later pass reads the copy, so that a
// file edited during the run cannot change what is sent, and no pass reads
// the original path again. Only a regular file is read (or the standard
// input, asked for with "-"); a FIFO, a device or a folder is refused at
// once, without being opened for reading in a way that blocks. The copy is
// refused when it passes the size cap or a line passes MaxLineBytes, when
// the file's size or modification time changes while it is read, or when
// its last line has no line end: it may still be being written. ctx stops
// the copy.
func snapshot(ctx context.Context, in input, f folder) (path, sum string, err error) {
	src, before, err := in.open(ctx)
	if err != nil {
		return "", "", err
	}
	defer src.Close()
	br := bufio.NewReaderSize(src, chunkSize)
	_, _ = br.Peek(1) // one read, whose bytes name the copy; an error comes back from the copy
	head, _ := br.Peek(br.Buffered())
	dst, err := report.CreateAtomic(filepath.Join(f.dir, snapshotName(head)))
	if err != nil {
		return "", "", fmt.Errorf("copying the input: %w", err)
	}
	if in.dryRun {
		dst.NoSync()
	}
	var h hash.Hash
	if !in.dryRun || f.resume {
		h = sha256.New()
	}
	c := copier{in: in, h: h, dst: dst}
	if err := c.copy(ctx, br); err != nil {
		dst.Abort()
		return "", "", err
	}
	if h != nil {
		sum = hex.EncodeToString(h.Sum(nil))
	}
	err = in.unchanged(src, before, c.n, c.last, c.workbook)
	if err == nil {
		err = f.checkResume(sum)
	}
	if err != nil {
		dst.Abort()
		return "", "", err
	}
	if err := dst.Commit(); err != nil {
		return "", "", fmt.Errorf("copying the input: %w", err)
	}
	return dst.Path(), sum, nil
}

// open opens the input for reading only. before is nil for the standard
// input.
func (in input) open(ctx context.Context) (io.ReadCloser, os.FileInfo, error) {
	if in.name == StdinName {
		if in.stdin == nil {
			return nil, nil, errors.New("reading the standard input: none is attached")
		}
		return newCtxReader(ctx, in.stdin), nil, nil
	}
	fi, err := os.Stat(in.name) // follows a symlink; opens nothing
	if err != nil {
		return nil, nil, fmt.Errorf("opening the input: %w", err)
	}
	if err := in.regular(fi); err != nil {
		return nil, nil, err
	}
	// O_NONBLOCK: should the path have become a FIFO since, opening it
	// must not wait for a writer.
	f, err := os.OpenFile(in.name, os.O_RDONLY|oNonBlock, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the input: %w", err)
	}
	before, err := f.Stat()
	if err == nil && !os.SameFile(fi, before) {
		err = in.refuse("the file was replaced while it was opened: "+StillWritten, stillWrittenFix)
	} else if err == nil {
		err = in.regular(before)
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, before, nil
}

// regular refuses anything but a regular file within the size cap.
func (in input) regular(fi os.FileInfo) error {
	what := ""
	switch m := fi.Mode(); {
	case m.IsRegular():
		if fi.Size() > in.maxSize {
			return in.tooLarge()
		}
		return nil
	case m.IsDir():
		what = "a folder"
	case m&os.ModeNamedPipe != 0:
		what = "a FIFO (a named pipe)"
	case m&os.ModeSocket != 0:
		what = "a socket"
	case m&os.ModeDevice != 0:
		what = "a device"
	default:
		what = "not a regular file"
	}
	return in.refuse(fmt.Sprintf("this is %s, not a regular file; only a file can be checked and sent", what),
		"give the path of the CSV file itself; to read a pipe on purpose, give - and send it to the standard input")
}

func (in input) tooLarge() error {
	return in.refuse(fmt.Sprintf("the file is larger than %d bytes (--max-file-size)", in.maxSize),
		"split the file, or raise --max-file-size if it really is this large")
}

func (in input) refuse(problem, fix string) error {
	return &allocfile.FileError{File: in.name, Problem: problem, Fix: fix}
}

// unchanged refuses a copy of n bytes, whose last byte is last, when the
// file may still be being written.
func (in input) unchanged(src io.Reader, before os.FileInfo, n int64, last byte, workbook bool) error {
	if f, ok := src.(*os.File); ok && before != nil {
		after, err := f.Stat()
		if err != nil {
			return fmt.Errorf("reading the input: %w", err)
		}
		if n != before.Size() || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
			return in.refuse("the file changed while it was read: "+StillWritten, stillWrittenFix)
		}
	}
	if n > 0 && !workbook && last != '\n' && last != '\r' {
		return in.refuse("its last line has no line end: "+StillWritten, stillWrittenFix)
	}
	return nil
}

// copier copies the input, checking the size and line caps as it goes.
type copier struct {
	in    input
	h     hash.Hash // nil: no hash wanted
	dst   io.Writer
	n     int64 // bytes copied
	lines int   // line ends seen
	open  int64 // bytes since the last line end
	last  byte
	// workbook: the input is a workbook or an archive (by its first
	// bytes), copied as it is; it has no lines to check.
	workbook bool
}

const chunkSize = 256 << 10

func (c *copier) copy(ctx context.Context, src io.Reader) error {
	buf := make([]byte, chunkSize)
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("copying the input: %w", err)
		}
		k, rerr := src.Read(buf)
		if k > 0 {
			if err := c.chunk(buf[:k]); err != nil {
				return err
			}
			if c.in.afterChunk != nil {
				c.in.afterChunk()
			}
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("copying the input: %w", rerr)
		}
	}
}

func (c *copier) chunk(b []byte) error {
	if c.n == 0 {
		c.workbook = sheet.Detect(b) != sheet.CSV // the reader names it, and reads an .xlsx
	}
	c.n += int64(len(b))
	if c.n > c.in.maxSize {
		return c.in.tooLarge()
	}
	if c.workbook {
		return c.keep(b)
	}
	first := firstLineEnd(b)
	if first < 0 {
		c.open += int64(len(b))
	} else {
		c.open += int64(first) // the line that ends here; lines wholly inside b are shorter than the cap
	}
	if c.open > MaxLineBytes {
		return c.in.refuse(fmt.Sprintf("line %d is longer than %d MB; an allocation file's lines are short, so this is not one", c.lines+1, MaxLineBytes>>20),
			"check that this is the file you meant, and that its lines end with line breaks")
	}
	if first >= 0 {
		c.open = int64(len(b) - 1 - max(bytes.LastIndexByte(b, '\n'), bytes.LastIndexByte(b, '\r')))
	}
	c.lines += bytes.Count(b, []byte{'\n'})
	return c.keep(b)
}

// keep hashes and writes a checked chunk.
func (c *copier) keep(b []byte) error {
	c.last = b[len(b)-1]
	if c.h != nil {
		c.h.Write(b)
	}
	if _, err := c.dst.Write(b); err != nil {
		return fmt.Errorf("copying the input: %w", err)
	}
	return nil
}

// firstLineEnd returns the index of the first LF or CR in b, or -1.
func firstLineEnd(b []byte) int {
	lf, cr := bytes.IndexByte(b, '\n'), bytes.IndexByte(b, '\r')
	switch {
	case lf < 0:
		return cr
	case cr < 0:
		return lf
	}
	return min(lf, cr)
}

// ctxReader reads the standard input in its own goroutine, so that a
// signal (ctx) stops a copy that waits for a pipe; Close abandons the
// goroutine, which ends with the process or the pipe.
type ctxReader struct {
	ctx    context.Context
	chunks chan chunk
	done   chan struct{}
	cur    []byte
	err    error
}

type chunk struct {
	b   []byte
	err error
}

func newCtxReader(ctx context.Context, r io.Reader) *ctxReader {
	c := &ctxReader{ctx: ctx, chunks: make(chan chunk), done: make(chan struct{})}
	go func() {
		for {
			b := make([]byte, chunkSize)
			n, err := r.Read(b)
			select {
			case c.chunks <- chunk{b[:n], err}:
			case <-c.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return c
}

// Read returns the next bytes, or ctx's error once it is done.
func (c *ctxReader) Read(p []byte) (int, error) {
	for len(c.cur) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		select {
		case ch := <-c.chunks:
			c.cur, c.err = ch.b, ch.err
		case <-c.ctx.Done():
			return 0, c.ctx.Err()
		}
	}
	n := copy(p, c.cur)
	c.cur = c.cur[n:]
	return n, nil
}

// Close abandons the reading goroutine.
func (c *ctxReader) Close() error {
	close(c.done)
	return nil
}
