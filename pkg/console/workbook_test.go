package console

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/rewardbatch/rewardbatch/pkg/console/store"
)

// TestWorkbookUpload: an .xlsx upload is checked like a CSV (the same
// rows, the same verdict) and kept as a workbook, so that its messages
// speak of sheets and cells.
func TestWorkbookUpload(t *testing.T) {
	e := newEnv(t, nil, nil)
	up := e.login("uploader")
	b := up.uploadFile("allocations-2026-11.xlsx", workbookOf(t, readSample(t)))
	if b.State != store.StateChecked {
		t.Fatalf("state %s, error %q: a valid workbook must check as a CSV does", b.State, b.CheckError)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "console", batchesDir, b.ID, "upload.xlsx")); err != nil {
		t.Fatalf("the workbook is not kept as upload.xlsx: %v", err)
	}

	// A wrong cell is shown by its row and column letter, with the row as
	// uploaded read back from the workbook.
	bad := bytes.Replace(readSample(t), []byte("@"), []byte("#"), 1)
	b = up.uploadFile("broken.xlsx", workbookOf(t, bad))
	_, page := up.get("/batches/" + b.ID)
	for _, want := range []string{`<td class="num">2</td><td>email (H)</td>`, "Row as uploaded:</span> employeeId: E000001"} {
		if b.State != store.StateInvalid || !strings.Contains(page, want) {
			t.Fatalf("state %s; the page must show %q:\n%s", b.State, want, page)
		}
	}
}

// TestTemplateDownloads: the upload page's templates are the ones
// `rewardbatch template` writes.
func TestTemplateDownloads(t *testing.T) {
	e := newEnv(t, nil, nil)
	up := e.login("uploader")
	_, page := up.get("/upload")
	for _, path := range []string{"/template.xlsx", "/template.csv"} {
		if !strings.Contains(page, `href="`+path+`"`) {
			t.Errorf("the upload page does not link %s", path)
		}
		res, body := up.get(path)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), "allocations-template") {
			t.Fatalf("%s: %d %q", path, res.StatusCode, res.Header.Get("Content-Disposition"))
		}
		if path == "/template.xlsx" {
			f, err := excelize.OpenReader(strings.NewReader(body))
			if err != nil {
				t.Fatalf("the template does not open: %v", err)
			}
			if got := f.GetSheetList(); len(got) < 2 {
				t.Errorf("sheets %v: want the data sheet and Instructions", got)
			}
			_ = f.Close()
		} else if !strings.Contains(body, "uniqueReferenceNumber") {
			t.Errorf("the CSV template has no header: %.200s", body)
		}
	}
}

// workbookOf puts a CSV file's cells, all as text, in a workbook's first
// sheet.
func workbookOf(t *testing.T, raw []byte) []byte {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	f := excelize.NewFile()
	defer f.Close()
	for i, rec := range recs {
		cells := make([]any, len(rec))
		for j, c := range rec {
			cells[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &cells); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := f.Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
