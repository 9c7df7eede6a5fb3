package notify

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// MaxAttachment is the largest summary.html attached; a larger one is
// named in the text instead.
const MaxAttachment = 5 << 20

// message builds the e-mail: the event as text, and summary.html attached
// when the run wrote one.
func message(from string, to []string, ev *Event) ([]byte, error) {
	var html []byte
	note := ""
	if ev.HTMLReport != "" {
		info, err := os.Stat(ev.HTMLReport)
		switch {
		case err != nil:
			note = "\nThe report summary.html could not be read; see the run folder.\n"
		case info.Size() > MaxAttachment:
			note = fmt.Sprintf("\nsummary.html (%d bytes) is too large to attach; see %s.\n", info.Size(), ev.HTMLReport)
		default:
			if html, err = os.ReadFile(ev.HTMLReport); err != nil {
				note = "\nThe report summary.html could not be read; see the run folder.\n"
			}
		}
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	hdr := []string{
		"From: " + from,
		"To: " + strings.Join(to, ", "),
		"Subject: " + mime.QEncoding.Encode("utf-8", ev.Title()),
		"Date: " + time.Now().Format(time.RFC1123Z),
		fmt.Sprintf("Message-ID: <%x@rewardbatch>", id),
		"MIME-Version: 1.0",
		"Auto-Submitted: auto-generated",
		"Content-Type: multipart/mixed; boundary=" + mw.Boundary(),
	}
	fmt.Fprintf(&buf, "%s\r\n\r\n", strings.Join(hdr, "\r\n"))
	if err := textPart(mw, ev.Text()+note); err != nil {
		return nil, err
	}
	if html != nil {
		if err := attach(mw, filepath.Base(ev.HTMLReport), "text/html; charset=utf-8", html); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func textPart(mw *multipart.Writer, text string) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n"))); err != nil {
		return err
	}
	return qp.Close()
}

func attach(mw *multipart.Writer, name, ctype string, data []byte) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", ctype)
	h.Set("Content-Transfer-Encoding", "base64")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		if _, err := fmt.Fprintf(w, "%s\r\n", enc[:76]); err != nil {
			return err
		}
		enc = enc[76:]
	}
	_, err = fmt.Fprintf(w, "%s\r\n", enc)
	return err
}
