// Package allocfile reads reward allocation files: CSV exported from Excel
// or written by hand, streamed row by row so that memory stays flat however
// large the file is.
//
// It accepts UTF-8 with or without a byte-order mark; CRLF, LF and stray CR
// line ends; comma, semicolon or tab delimiters (detected from the header);
// RFC 4180 quoting, including quoted fields over several lines. Header names
// are matched ignoring case, spaces, underscores and dashes, with aliases
// (name, amount, points, reference, cardId, ...). Unknown columns are kept
// and carried into every output. Positions in messages are real file lines,
// also after multi-line fields.
//
// Rows are decoded with gocsv's pull API ([gocsv.Unmarshaller]) over an
// encoding/csv reader this package owns: the header aliases are resolved
// first, then gocsv maps the columns to [Record]'s fields through its csv
// tags; no package-level gocsv setting is touched. One record is at most
// [MaxRecordBytes]. A workbook, a PDF or binary data is refused and named.
// In a report of this tool fed back, the formula guard ([Guard]) is taken
// off again ([Unguard]); any other file is read as written. A [Reader] is
// not safe for concurrent use.
package allocfile
