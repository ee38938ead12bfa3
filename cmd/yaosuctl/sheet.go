package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Spreadsheet names: the catalogue sheet comes first, so that import reads it.
const (
	sheetCatalogue = "资产目录"
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

// readSheet reads the rows of a CSV file or of an XLSX file's first sheet. Cells are the
// stored values: numbers as written (not as formatted), dates as Excel serial numbers.
func readSheet(path string, stdin io.Reader) ([][]string, error) {
	kind, err := sheetKind(path)
	if err != nil {
		return nil, err
	}
	if kind == "csv" {
		raw, err := readInput(path, stdin)
		if err != nil {
			return nil, err
		}
		return readCSV(raw)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fmt.Errorf("%s has no sheet", path)
	}
	rows, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fmt.Errorf("%s, sheet %s: %w", path, sheets[0], err)
	}
	return rows, nil
}

// readCSV parses a CSV file in UTF-8 (with or without a byte-order mark) or, as Excel
// saves "CSV" on Chinese Windows, in GB18030.
func readCSV(raw []byte) ([][]string, error) {
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
	var rows [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, rec)
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
