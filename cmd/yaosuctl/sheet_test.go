package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// bitWriter writes a DEFLATE bit stream (RFC 1951): fields least significant bit first,
// Huffman codes most significant bit first.
type bitWriter struct {
	out   bytes.Buffer
	acc   uint64
	nbits uint
}

func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.out.WriteByte(byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

// code writes a Huffman code of n bits.
func (w *bitWriter) code(c uint64, n uint) {
	var r uint64
	for i := uint(0); i < n; i++ {
		r = r<<1 | (c>>i)&1
	}
	w.bits(r, n)
}

// literal writes a byte with the fixed Huffman code.
func (w *bitWriter) literal(b byte) {
	if b < 144 {
		w.code(0x30+uint64(b), 8)
	} else {
		w.code(0x190+uint64(b)-144, 9)
	}
}

// bombEntry is a DEFLATE stream of prefix, fill bytes 'A' and suffix, built without
// compressing anything: after one literal 'A', every further 258 bytes are one match
// (length 258, distance 1) of 13 bits, so 1 GiB takes 6.5 MB. It returns the stream and
// the unpacked size and CRC-32, as a zip entry needs them.
func bombEntry(prefix string, fill int64, suffix string) ([]byte, int64, uint32) {
	var w bitWriter
	w.bits(1, 1) // BFINAL
	w.bits(1, 2) // BTYPE 01: fixed Huffman
	for i := range len(prefix) {
		w.literal(prefix[i])
	}
	w.literal('A')
	left := fill - 1
	for ; left >= 258; left -= 258 {
		w.code(0xc5, 8) // length symbol 285: 258
		w.code(0, 5)    // distance code 0: 1
	}
	for ; left > 0; left-- {
		w.literal('A')
	}
	for i := range len(suffix) {
		w.literal(suffix[i])
	}
	w.code(0, 7) // end of block (symbol 256)
	w.bits(0, 7) // pad to a byte
	crc := crc32.ChecksumIEEE([]byte(prefix))
	chunk := bytes.Repeat([]byte{'A'}, 1<<20)
	for left := fill; left > 0; left -= int64(len(chunk)) {
		crc = crc32.Update(crc, crc32.IEEETable, chunk[:min(left, int64(len(chunk)))])
	}
	crc = crc32.Update(crc, crc32.IEEETable, []byte(suffix))
	return w.out.Bytes(), int64(len(prefix)) + fill + int64(len(suffix)), crc
}

// writeBombXLSX writes a real XLSX file whose first sheet's cell A1 holds fill letters
// 'A', its sheet XML deflated as bombEntry does.
func writeBombXLSX(t *testing.T, path string, fill int64) (unzipped uint64) {
	t.Helper()
	var base bytes.Buffer
	f := excelize.NewFile()
	require.NoError(t, f.SetCellValue("Sheet1", "A1", "x"))
	require.NoError(t, f.Write(&base))
	zr, err := zip.NewReader(bytes.NewReader(base.Bytes()), int64(base.Len()))
	require.NoError(t, err)
	out, err := os.Create(path)
	require.NoError(t, err)
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, e := range zr.File {
		if e.Name == "xl/worksheets/sheet1.xml" {
			continue
		}
		r, err := e.Open()
		require.NoError(t, err)
		w, err := zw.Create(e.Name)
		require.NoError(t, err)
		_, err = io.Copy(w, r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
	}
	data, size, crc := bombEntry(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+
		`<row r="1"><c r="A1" t="inlineStr"><is><t>`, fill, `</t></is></c></row></sheetData></worksheet>`)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(size)})
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	for _, e := range zr.File {
		if e.Name != "xl/worksheets/sheet1.xml" {
			unzipped += e.UncompressedSize64
		}
	}
	return unzipped + uint64(size)
}

func TestBombGeneratorMakesARealSpreadsheet(t *testing.T) {
	// The generator's output, small, is a spreadsheet excelize reads back in full: the
	// 1 GiB one below is the same file with a larger fill.
	path := filepath.Join(t.TempDir(), "small.xlsx")
	writeBombXLSX(t, path, 1000)
	f, err := excelize.OpenFile(path)
	require.NoError(t, err)
	defer f.Close()
	v, err := f.GetCellValue("Sheet1", "A1")
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("A", 1000), v)

	// Over the cell limit, it is refused as it streams in.
	_, err = readSheet(path, nil, sheetLimits{fileBytes: 1 << 20, unzippedBytes: 1 << 20, rows: 10, columns: 10, cellChars: 999})
	require.ErrorContains(t, err, "the cell in row 1, column A has 1000 characters, more than --max-cell-chars 999 allows (单元格内容超过上限)")
}

// The fault run's file: 6.5 MB that unpacks to 1 GiB. It is refused from the zip
// directory, before anything is unpacked: the CLI allocates almost nothing and exits
// non-zero with a message naming the limit.
func TestZipBombIsRefusedBeforeUnpacking(t *testing.T) {
	withFake(t)
	path := filepath.Join(t.TempDir(), "bomb.xlsx")
	unzipped := writeBombXLSX(t, path, 1<<30)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Less(t, st.Size(), int64(8<<20))

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err = runCLI(t, context.Background(), "asset", "import", path)
	runtime.ReadMemStats(&after)
	require.ErrorContains(t, err, fmt.Sprintf("the file unpacks to %d bytes", unzipped))
	require.ErrorContains(t, err, "more than --max-unzipped-bytes 268435456 allows (文件解压后大小超过上限)")
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "nothing was unpacked")
	t.Logf("%v; allocated %d bytes", err, after.TotalAlloc-before.TotalAlloc)

	// The usage report reads spreadsheets the same way.
	_, _, err = runCLI(t, context.Background(), "scenario", "usage", path, "--system", "s")
	require.ErrorContains(t, err, "--max-unzipped-bytes")

	// The file's own size is checked first of all.
	_, _, err = runCLI(t, context.Background(), "asset", "import", path, "--max-file-bytes", "1000")
	require.ErrorContains(t, err, "more than --max-file-bytes 1000 allows (文件大小超过上限)")
}

func TestSheetRowAndColumnLimits(t *testing.T) {
	lim := sheetLimits{fileBytes: 1 << 20, unzippedBytes: 1 << 20, rows: 3, columns: 3, cellChars: 10}
	rows, err := readCSV([]byte("a,b,c,,,\n\n,,\n1,2,3\n\n\n"), lim)
	require.NoError(t, err, "trailing blank cells and blank rows do not count")
	require.Equal(t, [][]string{{"a", "b", "c", "", "", ""}, nil, {"1", "2", "3"}}, rows)
	_, err = readCSV([]byte("a\nb\nc\nd\n"), lim)
	require.ErrorContains(t, err, "row 4 holds data, more than --max-rows 3 allows (行数超过上限)")
	_, err = readCSV([]byte("a,b,c,d\n"), lim)
	require.ErrorContains(t, err, "row 1 has 4 columns, more than --max-columns 3 allows (列数超过上限)")
	_, err = readCSV([]byte("a\n"+strings.Repeat("字", 11)+"\n"), lim)
	require.ErrorContains(t, err, "the cell in row 2, column A has 11 characters")

	dir := t.TempDir()
	big := filepath.Join(dir, "big.csv")
	require.NoError(t, os.WriteFile(big, bytes.Repeat([]byte("a\n"), 100), 0o600))
	_, err = readSheet(big, nil, sheetLimits{fileBytes: 100, unzippedBytes: 1, rows: 1000, columns: 3, cellChars: 10})
	require.ErrorContains(t, err, "the file has 200 bytes, more than --max-file-bytes 100 allows")
	_, err = readSheet("-", strings.NewReader(strings.Repeat("a\n", 100)), sheetLimits{fileBytes: 100, unzippedBytes: 1, rows: 1000, columns: 3, cellChars: 10})
	require.Error(t, err) // "-" has no extension: only files name their format

	// XLSX rows stream in and stop at the limit.
	f := excelize.NewFile()
	for r := 1; r <= 50; r++ {
		require.NoError(t, f.SetCellValue("Sheet1", fmt.Sprintf("A%d", r), r))
	}
	x := filepath.Join(dir, "rows.xlsx")
	require.NoError(t, f.SaveAs(x))
	_, err = readSheet(x, nil, sheetLimits{fileBytes: 1 << 20, unzippedBytes: 1 << 20, rows: 20, columns: 3, cellChars: 10})
	require.ErrorContains(t, err, "row 21 holds data, more than --max-rows 20 allows")
	rows, err = readSheet(x, nil, defaultSheetLimits)
	require.NoError(t, err)
	require.Len(t, rows, 50)

	_, _, err = runCLI(t, context.Background(), "asset", "import", x, "--max-rows", "0")
	require.ErrorContains(t, err, "must be positive")
}

// The fault run's header of 10 000 unknown columns (200 KB) echoed in one line: the
// message stays under 1 KB whichever limit stops it.
func TestUnknownHeadersMakeAShortMessage(t *testing.T) {
	withFake(t)
	dir := t.TempDir()
	var header []string
	for i := range 10_000 {
		header = append(header, fmt.Sprintf("unknown-column-%05d", i))
	}
	header[3] = strings.Repeat("很长的列名", 100)
	path := filepath.Join(dir, "wide.csv")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(header, ",")+"\n"), 0o600))
	require.Greater(t, len(strings.Join(header, ",")), 200_000)

	for _, args := range [][]string{
		{"asset", "import", path},
		{"asset", "import", path, "--max-columns", "20000"},
		{"scenario", "usage", path, "--system", "s"},
		{"scenario", "usage", path, "--system", "s", "--max-columns", "20000"},
	} {
		_, _, err := runCLI(t, context.Background(), args...)
		require.Error(t, err, "%v", args)
		require.Less(t, len(err.Error()), 1024, "%v: %s", args, err)
		if args[0] == "asset" && len(args) > 3 {
			require.ErrorContains(t, err, `"unknown-column-00000" (column A), "unknown-column-00001" (column B)`)
			require.ErrorContains(t, err, "… and 9995 more (另有 9995 个)")
			require.ErrorContains(t, err, "很长的列名很长的列名")
		} else if len(args) == 3 || len(args) == 5 {
			require.ErrorContains(t, err, "row 1 has 10000 columns, more than --max-columns 512 allows")
		} else {
			require.ErrorContains(t, err, `unknown column "unknown-column-00000"`)
		}
	}
}
