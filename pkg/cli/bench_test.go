package cli

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/exitcode"
	"github.com/rewardbatch/rewardbatch/pkg/samplegen"
)

// BenchmarkValidateMillionRows runs `rewardbatch validate` on a generated
// 1,000,000-row file (about 114 MB) and reports rows per second and the
// process's peak resident memory:
//
//	go test -run '^$' -bench ValidateMillionRows -benchtime 3x ./pkg/cli
func BenchmarkValidateMillionRows(b *testing.B) { benchValidate(b, 1_000_000, 0) }

// BenchmarkValidateThreeMillionRows is the memory bound of the validator:
// a 3,000,000-row file (about 347 MB) must validate in at most 150 MB of
// peak resident memory (peak-RSS-MB, read from VmHWM, the kernel's record
// of this process's peak, reset before the benchmark starts):
//
//	go test -run '^$' -bench ValidateThreeMillionRows -benchtime 1x ./pkg/cli
func BenchmarkValidateThreeMillionRows(b *testing.B) { benchValidate(b, 3_000_000, 150) }

// BenchmarkWorkbookMillionRows validates the same 1,000,000 rows as an
// .xlsx workbook laid out as Excel saves one (text in the shared-strings
// table, mobiles and amounts stored as numbers), within the same memory
// bound as a CSV file:
//
//	go test -run '^$' -bench WorkbookMillionRows -benchtime 1x ./pkg/cli
func BenchmarkWorkbookMillionRows(b *testing.B) {
	csvPath := writeRows(b, 1_000_000)
	path := filepath.Join(b.TempDir(), "rows.xlsx")
	if err := csvToXLSX(csvPath, path); err != nil {
		b.Fatal(err)
	}
	measureValidate(b, path, 1_000_000, 150)
}

// The parts of a one-sheet workbook, as Excel writes them.
const (
	xlsxContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`
	xlsxRootRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`
	xlsxWorkbook = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`
	xlsxWorkbookRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`
	xlsxStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`
)

// csvToXLSX writes the CSV file's rows into a workbook's first sheet as
// Excel saves one: text in the shared-strings table (a value seen before
// refers to the same string, as long as the table of values seen stays
// small), the cells that are numbers as numbers, amounts formatted with
// 2 decimals. It streams, so that the memory it takes does not count in
// the validation's.
func csvToXLSX(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, p := range [][2]string{{"[Content_Types].xml", xlsxContentTypes}, {"_rels/.rels", xlsxRootRels},
		{"xl/workbook.xml", xlsxWorkbook}, {"xl/_rels/workbook.xml.rels", xlsxWorkbookRels}, {"xl/styles.xml", xlsxStyles}} {
		w, err := zw.Create(p[0])
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, p[1]); err != nil {
			return err
		}
	}
	strs, err := os.CreateTemp(filepath.Dir(to), "strings-*")
	if err != nil {
		return err
	}
	defer os.Remove(strs.Name())
	defer strs.Close()
	n, err := writeSheet(zw, in, strs)
	if err != nil {
		return err
	}
	w, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="%d">`, n)
	if _, err := strs.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(w, strs); err != nil {
		return err
	}
	io.WriteString(w, `</sst>`) //nolint:errcheck // the zip writer keeps the error for Close
	if err := zw.Close(); err != nil {
		return err
	}
	return out.Close()
}

// writeSheet writes the sheet's XML, and the shared-strings items into
// strs; it returns their number.
func writeSheet(zw *zip.Writer, in io.Reader, strs io.Writer) (int, error) {
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return 0, err
	}
	sw, ss := bufio.NewWriterSize(w, 1<<20), bufio.NewWriterSize(strs, 1<<20)
	sw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	seen, count := map[string]int{}, 0
	r := csv.NewReader(bufio.NewReaderSize(in, 1<<20))
	var header []string
	for n := 1; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		if n == 1 {
			header = slices.Clone(rec)
		}
		fmt.Fprintf(sw, `<row r="%d" spans="1:%d">`, n, len(rec))
		for i, c := range rec {
			ref := string(rune('A'+i)) + strconv.Itoa(n)
			switch {
			case c == "":
			case n > 1 && c[0] != '0' && number(c) != "" && header[i] == "loadAmount":
				fmt.Fprintf(sw, `<c r="%s" s="1"><v>%s</v></c>`, ref, number(c))
			case n > 1 && c[0] != '0' && number(c) != "":
				fmt.Fprintf(sw, `<c r="%s"><v>%s</v></c>`, ref, number(c))
			default:
				k, ok := seen[c]
				if !ok {
					k, count = count, count+1
					if len(seen) < 100_000 {
						seen[c] = k
					}
					ss.WriteString("<si><t>")
					xml.EscapeText(ss, []byte(c)) //nolint:errcheck // the writer keeps the error for Flush
					ss.WriteString("</t></si>")
				}
				fmt.Fprintf(sw, `<c r="%s" t="s"><v>%d</v></c>`, ref, k)
			}
		}
		sw.WriteString("</row>")
	}
	sw.WriteString(`</sheetData></worksheet>`)
	return count, errors.Join(sw.Flush(), ss.Flush())
}

// number is s as Excel stores the number it is (1250.50 as 1250.5), or
// "" when s is not one.
func number(s string) string {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || s[0] < '0' || s[0] > '9' {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// writeRows writes a generated CSV file of the given rows.
func writeRows(b *testing.B, rows int) string {
	path := filepath.Join(b.TempDir(), "rows.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := samplegen.Write(w, samplegen.Options{Rows: rows, Seed: 1, Batch: "M", TopUps: 20, Debits: 10}); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	_ = f.Close()
	return path
}

// benchValidate validates a generated file of the given rows; a positive
// maxMB fails the benchmark when the peak resident memory exceeds it.
func benchValidate(b *testing.B, rows int, maxMB float64) {
	measureValidate(b, writeRows(b, rows), rows, maxMB)
}

// measureValidate runs validate on path b.N times and reports rows/s and
// the peak resident memory.
func measureValidate(b *testing.B, path string, rows int, maxMB float64) {
	// The collector's setting of the program (cmd/rewardbatch sets it
	// unless GOGC is set), so that the memory measured is the program's.
	if _, set := os.LookupEnv("GOGC"); !set {
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	resetPeakRSS()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := filepath.Join(b.TempDir(), "run")
		code := Execute(context.Background(), []string{"validate", "--log-level", "error", "--out", out, path},
			io.Discard, io.Discard, func(string) (string, bool) { return "", false })
		if code != exitcode.OK {
			b.Fatalf("validate exited %d", code)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if mb, ok := peakRSSMB(); ok {
		b.ReportMetric(mb, "peak-RSS-MB")
		if maxMB > 0 && mb > maxMB {
			b.Errorf("validating %d rows took %.0f MB of peak resident memory; the bound is %.0f MB", rows, mb, maxMB)
		}
	}
}

// resetPeakRSS returns freed memory to the system and resets the
// kernel's record of the peak (VmHWM), so that a benchmark run after
// another one in the same process reports its own peak.
func resetPeakRSS() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSSMB returns the process's peak resident memory in MiB since the
// last resetPeakRSS: VmHWM from /proc/self/status, or getrusage's maxrss
// (the peak of the whole process) where /proc is missing.
func peakRSSMB() (float64, bool) {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64); err == nil {
					return kb / 1024, true
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return float64(ru.Maxrss) / 1024, true
}
