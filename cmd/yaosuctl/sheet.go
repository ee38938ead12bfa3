package main

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/spf13/pflag"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Spreadsheet names: the catalogue sheet comes first, so that import reads it.
const (
	sheetCatalogue = "数据资源目录"
	sheetHelp      = "说明"
	sheetCodes     = "代码表"
)

const utf8BOM = "\ufeff"

// headerStyle is the look of a sheet's header row.
var headerStyle = &excelize.Style{
	Font:      &excelize.Font{Bold: true},
	Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
	Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
}

// sheetKind is the file format a path's extension names.
func sheetKind(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".xlsx", ".xlsm":
		return "xlsx", nil
	case ".csv", ".txt":
		return "csv", nil
	default:
		return "", fmt.Errorf("%s: want a .xlsx or .csv file (got %q)", path, ext)
	}
}

// sheetLimits bound what reading a spreadsheet may cost. A spreadsheet is a zip of XML:
// a 1 MB file can unpack to gigabytes, and one row can hold 16 384 columns, so every
// dimension has a limit, checked before the work it bounds (the file's size before
// reading it, the zip entries' sizes before unpacking any, each row as it streams in).
type sheetLimits struct {
	fileBytes     int64 // the file as stored
	unzippedBytes int64 // all entries of an XLSX file unpacked
	rows          int   // rows up to the last non-blank one, the header included
	columns       int   // cells of a row up to its last non-blank one
	cellChars     int   // characters of one cell
}

// defaultSheetLimits fit a catalogue of 200 000 assets with room to spare; a cell holds
// at most what Excel itself allows (32 767 characters).
var defaultSheetLimits = sheetLimits{fileBytes: 64 << 20, unzippedBytes: 256 << 20, rows: 200_000, columns: 512, cellChars: 32_767}

// addFlags sets l to the defaults and lets the command's flags change them.
func (l *sheetLimits) addFlags(f *pflag.FlagSet) {
	*l = defaultSheetLimits
	f.Int64Var(&l.fileBytes, "max-file-bytes", l.fileBytes, "refuse a spreadsheet file larger than this")
	f.Int64Var(&l.unzippedBytes, "max-unzipped-bytes", l.unzippedBytes, "refuse an XLSX file that unpacks to more than this")
	f.IntVar(&l.rows, "max-rows", l.rows, "refuse a sheet with more rows than this (the header included)")
	f.IntVar(&l.columns, "max-columns", l.columns, "refuse a row with more columns than this")
	f.IntVar(&l.cellChars, "max-cell-chars", l.cellChars, "refuse a cell with more characters than this")
}

func (l sheetLimits) validate() error {
	if l.fileBytes < 1 || l.unzippedBytes < 1 || l.rows < 1 || l.columns < 1 || l.cellChars < 1 {
		return errors.New("--max-file-bytes, --max-unzipped-bytes, --max-rows, --max-columns and --max-cell-chars must be positive")
	}
	return nil
}

// limitError is a spreadsheet over one of its limits: what, in both languages, and the
// flag that raises it.
func limitError(en, zh, flag string, limit int64) error {
	return fmt.Errorf("%s, more than --%s %d allows (%s); check the file, or raise --%s if it is right", en, flag, limit, zh, flag)
}

// readSheet reads the rows of a CSV file or of an XLSX file's first sheet within lim.
// Cells are the stored values: numbers as written (not as formatted), dates as Excel
// serial numbers. XLSX rows stream from the sheet one by one.
func readSheet(path string, stdin io.Reader, lim sheetLimits) ([][]string, error) {
	kind, err := sheetKind(path)
	if err != nil {
		return nil, err
	}
	if kind == "csv" {
		raw, err := readLimited(path, stdin, lim.fileBytes)
		if err != nil {
			return nil, err
		}
		return readCSV(raw, lim)
	}
	rows, err := readXLSX(path, lim)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// readLimited reads path ("-": stdin) if it holds at most max bytes.
func readLimited(path string, stdin io.Reader, max int64) ([]byte, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Size() > max {
			return nil, fmt.Errorf("%s: %w", path, limitError(fmt.Sprintf("the file has %d bytes", st.Size()), "文件大小超过上限", "max-file-bytes", max))
		}
		r = f
	}
	raw, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > max {
		return nil, fmt.Errorf("%s: %w", path, limitError("the input is longer", "输入大小超过上限", "max-file-bytes", max))
	}
	return raw, nil
}

// readXLSX streams the rows of the first sheet of an XLSX file.
func readXLSX(path string, lim sheetLimits) ([][]string, error) {
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if st.Size() > lim.fileBytes {
		return nil, limitError(fmt.Sprintf("the file has %d bytes", st.Size()), "文件大小超过上限", "max-file-bytes", lim.fileBytes)
	}
	// The zip directory declares every entry's unpacked size, and Go's zip reader fails an
	// entry that unpacks to more than it declared: summing the declared sizes bounds the
	// work before anything is unpacked.
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("not an XLSX file (不是有效的 XLSX 文件): %w", err)
	}
	var unzipped uint64
	for _, f := range z.File {
		unzipped += f.UncompressedSize64
	}
	_ = z.Close()
	if unzipped > uint64(lim.unzippedBytes) {
		return nil, limitError(fmt.Sprintf("the file unpacks to %d bytes", unzipped), "文件解压后大小超过上限", "max-unzipped-bytes", lim.unzippedBytes)
	}
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: lim.unzippedBytes,
		UnzipXMLSizeLimit: min(lim.unzippedBytes, excelize.StreamChunkSize)})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("sheet %s: %w", sheets[0], err)
	}
	defer rows.Close()
	c := rowCollector{lim: lim}
	for rows.Next() {
		row, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fmt.Errorf("sheet %s: %w", sheets[0], err)
		}
		if err := c.add(row); err != nil {
			return nil, fmt.Errorf("sheet %s: %w", sheets[0], err)
		}
	}
	if err := rows.Error(); err != nil {
		return nil, fmt.Errorf("sheet %s: %w", sheets[0], err)
	}
	return c.rows, nil
}

// rowCollector keeps rows as they stream in, within the row, column and cell limits.
// Blank rows are kept only when a non-blank row follows them (so row numbers stay those
// of the spreadsheet), so a sheet formatted down to row 1 048 576 costs nothing.
type rowCollector struct {
	lim   sheetLimits
	rows  [][]string
	blank int // blank rows not yet kept
}

func (c *rowCollector) add(row []string) error {
	last := len(row) - 1
	for last >= 0 && strings.TrimSpace(row[last]) == "" {
		last--
	}
	if last < 0 {
		c.blank++
		return nil
	}
	n := len(c.rows) + c.blank + 1 // the row's number in the sheet
	if n > c.lim.rows {
		return limitError(fmt.Sprintf("row %d holds data", n), "行数超过上限", "max-rows", int64(c.lim.rows))
	}
	if last+1 > c.lim.columns {
		return limitError(fmt.Sprintf("row %d has %d columns", n, last+1), "列数超过上限", "max-columns", int64(c.lim.columns))
	}
	for j, cell := range row[:last+1] {
		if len(cell) > c.lim.cellChars && utf8.RuneCountInString(cell) > c.lim.cellChars {
			return limitError(fmt.Sprintf("the cell in row %d, column %s has %d characters", n, columnLetter(j), utf8.RuneCountInString(cell)),
				"单元格内容超过上限", "max-cell-chars", int64(c.lim.cellChars))
		}
	}
	for ; c.blank > 0; c.blank-- {
		c.rows = append(c.rows, nil)
	}
	c.rows = append(c.rows, row)
	return nil
}

// readCSV parses a CSV file in UTF-8 (with or without a byte-order mark) or, as Excel
// saves "CSV" on Chinese Windows, in GB18030, record by record within lim.
func readCSV(raw []byte, lim sheetLimits) ([][]string, error) {
	raw = bytes.TrimPrefix(raw, []byte(utf8BOM))
	if !utf8.Valid(raw) {
		decoded, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
		if err != nil {
			return nil, errors.New("the CSV file is neither UTF-8 nor GB18030: save it as \"CSV UTF-8\"")
		}
		raw = decoded
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1 // rows may be shorter than the header
	r.ReuseRecord = false
	c := rowCollector{lim: lim}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return c.rows, nil
		}
		if err != nil {
			return nil, err
		}
		if err := c.add(rec); err != nil {
			return nil, err
		}
	}
}

// sheetWriter writes rows to a CSV or XLSX file.
type sheetWriter interface {
	// write adds a row; ints are numbers in XLSX.
	write(row []any) error
	close() error
}

// csvSheet writes UTF-8 CSV with a byte-order mark, which Excel needs to read it as UTF-8.
type csvSheet struct{ w *csv.Writer }

func newCSVSheet(w io.Writer) (*csvSheet, error) {
	if _, err := io.WriteString(w, utf8BOM); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &csvSheet{w: cw}, nil
}

func (s *csvSheet) write(row []any) error {
	rec := make([]string, len(row))
	for i, c := range row {
		rec[i] = fmt.Sprint(c)
	}
	return s.w.Write(rec)
}

func (s *csvSheet) close() error {
	s.w.Flush()
	return s.w.Error()
}

// xlsxSheet streams rows into the catalogue sheet of a new workbook, saved to out on close.
type xlsxSheet struct {
	f      *excelize.File
	sw     *excelize.StreamWriter
	row    int
	out    io.Writer
	header int // style of the first row
}

func newXLSXSheet(out io.Writer, widths []float64) (*xlsxSheet, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", sheetCatalogue); err != nil {
		return nil, err
	}
	header, err := f.NewStyle(headerStyle)
	if err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheetCatalogue)
	if err != nil {
		return nil, err
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	return &xlsxSheet{f: f, sw: sw, out: out, header: header}, nil
}

func (s *xlsxSheet) write(row []any) error {
	s.row++
	cell, err := excelize.CoordinatesToCellName(1, s.row)
	if err != nil {
		return err
	}
	if s.row == 1 {
		styled := make([]any, len(row))
		for i, v := range row {
			styled[i] = excelize.Cell{StyleID: s.header, Value: v}
		}
		row = styled
	}
	return s.sw.SetRow(cell, row)
}

func (s *xlsxSheet) close() error {
	if err := s.sw.Flush(); err != nil {
		return err
	}
	if err := s.f.Write(s.out); err != nil {
		return err
	}
	return s.f.Close()
}

// openSheetWriter opens path (by its extension) for writing through a temporary file;
// "" or "-" writes CSV to stdout. commit puts the file in place.
func openSheetWriter(path string, stdout io.Writer) (sheetWriter, func() error, func(), error) {
	kind := "csv"
	if path != "" && path != "-" {
		var err error
		if kind, err = sheetKind(path); err != nil {
			return nil, nil, nil, err
		}
	}
	out, commit, abort, err := createOutput(path, stdout)
	if err != nil {
		return nil, nil, nil, err
	}
	var w sheetWriter
	if kind == "xlsx" {
		w, err = newXLSXSheet(out, columnWidths())
	} else {
		w, err = newCSVSheet(out)
	}
	if err != nil {
		abort()
		return nil, nil, nil, err
	}
	return w, func() error {
		if err := w.close(); err != nil {
			return err
		}
		return commit()
	}, abort, nil
}

// columnWidths are the XLSX column widths: wide enough for the header.
func columnWidths() []float64 {
	out := make([]float64, len(columns))
	for i, c := range columns {
		out[i] = min(max(float64(displayWidth(c.header()))+2, 12), 40)
	}
	return out
}

// rowValues is a formatted row as sheet values: whole-number columns as numbers.
func rowValues(row []string) []any {
	out := make([]any, len(row))
	for i, c := range row {
		out[i] = c
		if columns[i].format == formatInt && c != "" {
			if n, err := parseInt(c); err == nil {
				out[i] = n
			}
		}
	}
	return out
}

func headerValues() []any {
	h := headerRow()
	out := make([]any, len(h))
	for i, c := range h {
		out[i] = c
	}
	return out
}

// removeIfExists deletes a stale file, ignoring a missing one.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
