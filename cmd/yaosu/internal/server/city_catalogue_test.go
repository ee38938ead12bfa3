package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// The city catalogue in testdata is a data office's catalogue as it keeps it: GB/T 21063 core
// metadata in the office's own words (接口 / 文件 / 库表, 每5分钟, themes such as 卫生健康), 300
// rows from 15 departments, saved as XLSX by LibreOffice (holder codes as text cells, dates as
// date cells), with nine deliberately bad rows. testdata/city-catalogue/gen.py writes it.
const (
	cityCatalogue = "testdata/city-catalogue/city-catalogue.xlsx"
	// bureau is the municipal data bureau: it files for the departments as their agent.
	bureau = "11350100MB1234567N"
)

// cityBadRows are the spreadsheet rows that must be refused, each with the column (as the
// file heads it) at fault.
var cityBadRows = map[int]string{
	75:  "提供方代码",  // malformed holder code (17 characters)
	90:  "提供方代码",  // bad check digit
	122: "数据分级",   // core data
	143: "信息资源名称", // missing name
	162: "开放属性",   // not shared, yet open
	201: "共享条件",   // conditional sharing without its conditions
	224: "不予共享依据", // not shared, without a basis
	253: "更新周期",   // 每5秒: not an update cycle
	282: "信息资源代码", // a space in the resource code
}

// TestCityCatalogueImport imports the office's catalogue as the bureau's registrar, filing for
// the departments: every good row is imported, every bad row is in the errors file with its
// spreadsheet row, its column and a Chinese reason; the dry run reports the same rows; export
// then import creates nothing new.
func TestCityCatalogueImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds yaosuctl")
	}
	s := startStack(t)
	ctl, must := yaosuctl(t, s)
	dir := t.TempDir()
	file := filepath.Join(dir, "市级数据资源目录.xlsx")
	raw, err := os.ReadFile(cityCatalogue)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, raw, 0o644))
	must("login", "--dev", "--org", bureau, "--role", "registrar", "--subject", "chen.jing")

	type summary struct {
		Rows, Created, Updated, Unchanged, Valid, Invalid, Skipped int
	}
	importFile := func(path string, extra ...string) (summary, map[int][]string) {
		t.Helper()
		errorsFile := filepath.Join(dir, "errors.csv")
		args := append([]string{"asset", "import", path, "--errors", errorsFile, "-o", "json", "--quiet"}, extra...)
		stdout, stderr, err := ctl(args...)
		var sum summary
		require.NoError(t, json.Unmarshal([]byte(stdout), &sum), "%s\n%s", stdout, stderr)
		rows := map[int][]string{}
		if sum.Invalid == 0 {
			require.NoError(t, err, stderr)
			return sum, rows
		}
		require.Equal(t, 2, exitCode(t, err), "exit 2: some rows invalid\n%s", stderr)
		for _, l := range readErrorsCSV(t, errorsFile) {
			row, err := strconv.Atoi(l[0])
			require.NoError(t, err)
			require.Regexp(t, hanChar, l[2], "row %d: the reason is in Chinese", row)
			require.NotContains(t, l[2], "regex", "row %d: no regular expression reaches the office", row)
			rows[row] = append(rows[row], l[1])
		}
		return sum, rows
	}
	listAssets := func(query string) []map[string]any {
		t.Helper()
		var resp struct{ Assets []map[string]any }
		require.NoError(t, json.Unmarshal([]byte(must("asset", "list", "--query", query, "-o", "json")), &resp))
		return resp.Assets
	}
	checkBad := func(rows map[int][]string) {
		t.Helper()
		require.Len(t, rows, len(cityBadRows), "%v", rows)
		for row, col := range cityBadRows {
			require.Contains(t, rows[row], col, "row %d", row)
		}
	}

	dry, dryRows := importFile(file, "--dry-run")
	require.Equal(t, summary{Rows: 300, Valid: 291, Invalid: 9}, dry)
	checkBad(dryRows)
	require.Empty(t, listAssets("医疗机构执业登记"), "the dry run wrote nothing")

	sum, realRows := importFile(file)
	require.Equal(t, summary{Rows: 300, Created: 291, Invalid: 9}, sum)
	checkBad(realRows)
	require.Equal(t, dryRows, realRows, "the dry run reports exactly the rows the import refuses")

	// The office's words were stored as codes; the bureau is recorded as the agent.
	listed := listAssets("公交车辆实时位置")
	require.NotEmpty(t, listed)
	a := listed[0]
	require.Equal(t, bureau, a["agent"].(map[string]any)["organisation"])
	cat := a["catalogue"].(map[string]any)
	require.NotEmpty(t, cat["theme"])
	require.Regexp(t, `^[A-Z_]+$`, cat["sharingMethod"])
	require.Regexp(t, `^[A-Z_]+$`, a["updateCycle"])

	// The bureau attaches the unit's power of attorney; the office then imports its file
	// again (after fixing nothing): every good row is unchanged and the document stays,
	// since the file has no evidence column.
	name := a["name"].(string)
	poa := filepath.Join(dir, "授权委托书.pdf")
	require.NoError(t, os.WriteFile(poa, []byte("%PDF-1.4 授权委托书"), 0o644))
	must("asset", "attach", name, poa, "--kind", "power_of_attorney")
	again, _ := importFile(file)
	require.Equal(t, summary{Rows: 300, Unchanged: 291, Invalid: 9}, again)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(must("asset", "get", name, "-o", "json")), &got))
	require.Len(t, got["evidence"], 1, "the power of attorney survives the re-import")

	// Export, then import the export: nothing new.
	exported := filepath.Join(dir, "export.csv")
	must("asset", "export", "-f", exported)
	again, _ = importFile(exported)
	require.Equal(t, summary{Rows: 291, Unchanged: 291}, again)
}
