package console

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/rewardbatch/rewardbatch/pkg/sheet"
)

type uploadData struct {
	MaxMB int64
	Error string
}

func (s *Server) uploadPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "upload", "Upload a file", uploadData{MaxMB: s.cfg.MaxUpload >> 20})
}

// uploadError is a refusal of an upload, with the status it answers.
type uploadError struct {
	status int
	msg    string
}

func (e *uploadError) Error() string { return e.msg }

// uploadAction stores the file under a generated name, mode 0600, checks
// it, and shows the check. The multipart body is read in order: the CSRF
// token first, so that nothing is stored for a forged form.
func (s *Server) uploadAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload+maxFormBytes)
	b, err := s.receive(r)
	if err != nil {
		var ue *uploadError
		if !errors.As(err, &ue) {
			s.cfg.Log.Error("console: upload", zap.Error(err))
			ue = &uploadError{http.StatusInternalServerError, "The file could not be stored; try again."}
		}
		s.renderStatus(w, r, ue.status, "upload", "Upload a file", uploadData{MaxMB: s.cfg.MaxUpload >> 20, Error: ue.msg})
		return
	}
	if err := s.store.AddBatch(r.Context(), b); err != nil {
		s.cfg.Log.Error("console: recording an upload", zap.Error(err))
		s.fail(w, r, http.StatusInternalServerError, "The upload could not be recorded; try again.")
		return
	}
	if err := s.check(r.Context(), &b); err != nil {
		s.cfg.Log.Error("console: checking an upload", zap.Error(err))
	}
	s.audit(r, "", "upload", b, fmt.Sprintf("%s, %d bytes, %s", b.Name, b.Size, stateLabel(b.State)))
	http.Redirect(w, r, "/batches/"+b.ID, http.StatusSeeOther)
}

func (s *Server) receive(r *http.Request) (store.Batch, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return store.Batch{}, &uploadError{http.StatusBadRequest, "Choose a CSV file to upload."}
	}
	b := store.Batch{ExpectRows: -1}
	tokenOK := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return b, &uploadError{http.StatusBadRequest, "Choose a CSV file to upload."}
		}
		if err != nil {
			return b, s.bodyError(err)
		}
		switch name := part.FormName(); {
		case name == csrfField:
			v, _ := io.ReadAll(io.LimitReader(part, 256))
			tokenOK = store.SameToken(string(v), sessionOf(r).CSRF)
		case !tokenOK:
			return b, &uploadError{http.StatusForbidden, "This form has expired or did not come from this console. Reload the page and try again."}
		case name == "batch_id" || name == "expect_rows" || name == "expect_total":
			v, _ := io.ReadAll(io.LimitReader(part, 256))
			if err := setField(&b, name, strings.TrimSpace(string(v))); err != nil {
				return b, err
			}
		case name == "file":
			return s.store1(r, part, b)
		}
	}
}

// setField stores one of the upload form's text fields in b.
func setField(b *store.Batch, name, v string) error {
	switch {
	case v == "":
	case name == "batch_id":
		b.BatchID = v
	case name == "expect_rows":
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return &uploadError{http.StatusBadRequest, fmt.Sprintf("Rows in the file: %q is not a number of rows.", v)}
		}
		b.ExpectRows = n
	case name == "expect_total":
		t, err := money.Parse(v)
		if err != nil {
			return &uploadError{http.StatusBadRequest, fmt.Sprintf("Total points: %q is not an amount (write it like 347510.50, without commas).", v)}
		}
		b.ExpectTotal = t.String()
	}
	return nil
}

// store1 writes the file part into a new batch folder.
func (s *Server) store1(r *http.Request, part *multipart.Part, b store.Batch) (store.Batch, error) {
	b.Name = displayName(part.FileName())
	b.ID, b.Uploader, b.State, b.ExitCode = newBatchID(s.now()), sessionOf(r).User.Name, store.StateInvalid, -1
	dir := s.batchDir(b.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return b, err
	}
	n, sum, err := s.copyUpload(part, s.uploadPath(b.ID))
	if err != nil {
		_ = os.RemoveAll(dir)
		return b, err
	}
	b.Size, b.FileSHA256 = n, sum
	return b, nil
}

func (s *Server) copyUpload(src io.Reader, path string) (int64, string, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	head := &headBuffer{max: 4096}
	n, err := io.Copy(io.MultiWriter(f, h, head), io.LimitReader(src, s.cfg.MaxUpload+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return n, "", s.bodyError(err)
	case n > s.cfg.MaxUpload:
		return n, "", s.tooBig()
	case n == 0:
		return n, "", &uploadError{http.StatusBadRequest, "The file is empty. Choose the allocation file again."}
	}
	switch sheet.Detect(head.b) {
	case sheet.XLSX:
		// A workbook is kept under its own name, so that every message
		// about it speaks of sheets and cells.
		if err := os.Rename(path, workbookPath(path)); err != nil {
			return n, "", err
		}
	case sheet.XLS, sheet.ODS, sheet.ZIP:
		return n, "", &uploadError{http.StatusUnsupportedMediaType,
			"This is not an .xlsx workbook or a CSV file (an old .xls, an .ods or another archive). Save it as Excel Workbook (.xlsx) or CSV UTF-8 and upload that."}
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

func (s *Server) bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return s.tooBig()
	}
	return &uploadError{http.StatusBadRequest, "The upload was interrupted; try again."}
}

func (s *Server) tooBig() error {
	return &uploadError{http.StatusRequestEntityTooLarge,
		fmt.Sprintf("The file is larger than %d MB. Split it into smaller files and upload each.", s.cfg.MaxUpload>>20)}
}

// headBuffer keeps the first bytes written to it.
type headBuffer struct {
	b   []byte
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// displayName is the base of the name the browser gave, for display only,
// bounded and valid UTF-8; it never becomes a path.
func displayName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "?")
	}
	if r := []rune(name); len(r) > 120 {
		name = string(r[:120])
	}
	if name == "." || name == "/" || name == "" {
		name = "upload.csv"
	}
	return name
}
