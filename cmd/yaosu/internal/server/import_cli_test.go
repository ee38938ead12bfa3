package server_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readErrorsCSV reads an import's errors file: its lines after the header 行号, 列, 原因.
func readErrorsCSV(t *testing.T, path string) [][]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	lines, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"行号", "列", "原因"}, lines[0])
	return lines[1:]
}

// rowsOf groups errors-file lines by row number: row → column → reason.
func rowsOf(lines [][]string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, l := range lines {
		if out[l[0]] == nil {
			out[l[0]] = map[string]string{}
		}
		out[l[0]][l[1]] = l[2]
	}
	return out
}

var hanChar = regexp.MustCompile(`\p{Han}`)

// TestCatalogCLIImportOfficeCatalogue imports a city catalogue as a data office has it: a
// spreadsheet saved by LibreOffice (testdata/office-catalogue.xlsx, converted from the CSV
// beside it with `soffice --headless --infilter="CSV:44,34,76,1" --convert-to xlsx`, UTF-8) with the office's own headers and
// vocabulary (接口, 文件, 库表, 每5分钟, theme labels), several departments, and six bad rows
// among good ones: a malformed holder code in the middle of the file, a bad check digit,
// core data, a missing name, contradictory sharing attributes and an update cycle no code
// list knows. The dry run reports exactly the rows the import refuses and writes nothing;
// the import creates every good row and reports every bad one under the file's own header
// with a Chinese reason; an export imports back creating nothing, and one edited cell
// updates one asset; the template's example row is skipped.
func TestCatalogCLIImportOfficeCatalogue(t *testing.T) {
	if testing.Short() {
		t.Skip("builds yaosuctl")
	}
	s := startStack(t)
	ctl, must := yaosuctl(t, s)
	dir := t.TempDir()
	must("login", "--dev", "--org", orgA, "--role", "registrar", "--subject", "li.wei")
	file := filepath.Join("testdata", "office-catalogue.xlsx")
	const good, bad = 6, 6
	wantBad := map[string][]string{ // spreadsheet row → the columns that may be blamed
		"5":  {"信息资源提供方代码"}, // malformed holder code
		"7":  {"信息资源提供方代码"}, // bad check digit
		"8":  {"数据分级"},      // core data
		"9":  {"信息资源名称"},    // no name
		"10": {"共享属性", "开放属性"},
		"11": {"更新周期"}, // 每两周: no such update cycle
	}
	noAssets := func() {
		t.Helper()
		require.NotContains(t, must("asset", "list", "-o", "json"), "assets/", "nothing written")
	}

	// The dry run: the server judges every row, nothing is written.
	dryErrors := filepath.Join(dir, "dry.errors.csv")
	stdout, stderr, err := ctl("asset", "import", file, "--dry-run", "--errors", dryErrors)
	require.Equal(t, 2, exitCode(t, err), "%s%s", stdout, stderr)
	require.Contains(t, stdout, "checked 12 rows: valid 6, unchanged 0, invalid 6, skipped 0 (dry run: nothing written")
	noAssets()
	dry := readErrorsCSV(t, dryErrors)

	// The import.
	errorsFile := filepath.Join(dir, "errors.csv")
	stdout, stderr, err = ctl("asset", "import", file, "--errors", errorsFile, "--batch", "5")
	require.Equal(t, 2, exitCode(t, err), "%s%s", stdout, stderr)
	require.Contains(t, stdout, "created 6, updated 0, unchanged 0, invalid 6, skipped 0\n")
	require.Contains(t, stderr, "processed 12/12 rows\n", "progress counts every row of the file")
	got := readErrorsCSV(t, errorsFile)
	require.Equal(t, dry, got, "the dry run reported exactly the rows, columns and reasons of the import")
	byRow := rowsOf(got)
	require.Len(t, byRow, bad, "%v", got)
	for row, cols := range wantBad {
		require.Contains(t, byRow, row, "row %d is reported", row)
		var blamed []string
		for col, reason := range byRow[row] {
			blamed = append(blamed, col)
			require.Regexp(t, hanChar, reason, "row %s: a Chinese reason", row)
			require.NotContains(t, reason, "regex", "row %s: no pattern reaches a person", row)
			require.NotContains(t, reason, "rows[", "row %s: no index inside a batch", row)
		}
		require.True(t, slices.ContainsFunc(blamed, func(c string) bool { return slices.Contains(cols, c) }),
			"row %s blames %v, want one of %v", row, blamed, cols)
	}
	require.Contains(t, byRow["11"]["更新周期"], "每日", "an unknown value lists the accepted labels")
	require.Contains(t, byRow["11"]["更新周期"], "代码表")

	// Export: labels, not codes; the office's aliases came in as codes.
	export := filepath.Join(dir, "导出.csv")
	must("asset", "export", "-f", export, "--quiet")
	raw, err := os.ReadFile(export)
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+good)
	col := func(header string) int {
		i := slices.IndexFunc(rows[0], func(h string) bool { return strings.HasPrefix(h, header+"(") })
		require.GreaterOrEqual(t, i, 0, "no column %s in %v", header, rows[0])
		return i
	}
	byName := map[string][]string{}
	for _, r := range rows[1:] {
		byName[r[col("资源名称")]] = r
		require.Regexp(t, `^assets/[0-9a-f-]{36}$`, r[col("资产标识")], "the asset id column")
	}
	bus := byName["公交车辆到站数据"]
	require.NotNil(t, bus)
	require.Equal(t, "实时", bus[col("更新周期")], "每5分钟 is an alias of real time; exported as the label")
	require.Equal(t, "接口共享", bus[col("共享方式")], "接口 is an alias of API sharing; exported as the label")
	require.Equal(t, "文件下载", byName["医疗机构名录"][col("共享方式")])
	require.Equal(t, "库表交换", byName["不动产登记信息"][col("共享方式")])
	require.Equal(t, "文件下载", byName["中小学校名录"][col("共享方式")], "a code exported as its label")

	// Export → import: nothing new, nothing changed.
	stdout = must("asset", "import", export, "--quiet")
	require.Equal(t, "created 0, updated 0, unchanged 6, invalid 0, skipped 0\n", stdout)

	// One edited cell: one asset updated, under the same id.
	bus[col("资源摘要")] = "公交车辆实时到站时间（每 30 秒）"
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	require.NoError(t, w.WriteAll(rows))
	require.NoError(t, os.WriteFile(export, b.Bytes(), 0o600))
	stdout = must("asset", "import", export, "--quiet", "-o", "json")
	require.JSONEq(t, `{"rows":6,"created":0,"updated":1,"unchanged":5,"invalid":0,"skipped":0}`, stdout)
	require.Contains(t, must("asset", "get", bus[col("资产标识")]), "每 30 秒")

	// The template's example row is never an asset.
	tmpl := filepath.Join(dir, "模板.xlsx")
	must("asset", "template", "-f", tmpl)
	stdout = must("asset", "import", tmpl, "--quiet")
	require.Equal(t, "created 0, updated 0, unchanged 0, invalid 0, skipped 1\n", stdout)
}
