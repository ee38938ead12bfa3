package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"google.golang.org/protobuf/proto"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

func readErrorsFile(t *testing.T, path string) [][]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(raw), utf8BOM), "Excel needs the BOM")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), utf8BOM))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"行号", "列", "原因"}, rows[0])
	return rows[1:]
}

func TestImportCSVReportsBadRowsAndSkipsDuplicates(t *testing.T) {
	f := withFake(t)
	f.codeLists = testCodeBookResponse()
	dir := t.TempDir()
	file := filepath.Join(dir, "目录.csv")
	lines := []string{"资源名称,数据分级,应用领域,更新周期,信息资源代码,发布日期"}
	for i := range 10 {
		row := fmt.Sprintf("资产 %d,一般数据,工业制造,每日,101001/%06d,2024-01-01", i, i)
		switch i {
		case 2:
			row = fmt.Sprintf("资产 %d,最高级,工业制造,每日,101001/%06d,2024-01-01", i, i) // bad enum
		case 4:
			row = fmt.Sprintf("资产 %d,一般数据,采矿,每季,101001/%06d,昨天", i, i) // three bad cells
		case 6:
			row = fmt.Sprintf("资产 %d,核心数据,工业制造,每日,101001/%06d,2024-01-01", i, i) // the server refuses
		case 8:
			row = "资产 8 重名,一般数据,工业制造,每日,101001/000007,2024-01-01" // same resource code as row 9
		}
		lines = append(lines, row)
	}
	lines = append(lines, ",,,,,") // blank rows are skipped
	require.NoError(t, os.WriteFile(file, []byte(utf8BOM+strings.Join(lines, "\r\n")+"\r\n"), 0o600))

	out, errOut, err := runCLI(t, context.Background(), "asset", "import", file, "--batch", "3")
	var exit *exitError
	require.True(t, errors.As(err, &exit), "%v", err)
	require.Equal(t, 2, exit.code)
	require.ErrorContains(t, err, "4 of 10 rows are invalid")
	require.Contains(t, out, "created 6, updated 0, unchanged 0, invalid 4, skipped 0\n")
	errorsFile := filepath.Join(dir, "目录.errors.csv")
	require.Contains(t, out, "invalid rows written to "+errorsFile)
	// Progress counts the rows of the file, those refused here included: it used to count
	// only the rows sent (7 of these 10), and ended short of the file's length.
	require.Equal(t, "processed 4/10 rows\nprocessed 8/10 rows\nprocessed 10/10 rows\n", errOut,
		"plain progress lines when stderr is no terminal, one per batch, ending at the file's rows")
	for _, req := range f.imports {
		require.LessOrEqual(t, len(req.GetRows()), 3)
	}

	got := readErrorsFile(t, errorsFile)
	require.Equal(t, [][]string{
		{"4", "数据分级", `"最高级" 不是可选值，请填：一般数据、重要数据、核心数据（"最高级" is not one of GENERAL (一般数据), IMPORTANT (重要数据), CORE (核心数据)）`},
		{"6", "应用领域", `"采矿" 不在代码表 sector 中；可填：工业制造、交通运输（代码、别名见模板的“代码表”工作表）（"采矿" is neither a code nor a label of code list sector (version 2024.1); accepted labels: 工业制造, 交通运输）`},
		{"6", "更新周期", `"每季" 不在代码表 update_cycle 中；可填：实时、每日、每月（代码、别名见模板的“代码表”工作表）（"每季" is neither a code nor a label of code list update_cycle (version 2024.1); accepted labels: 实时, 每日, 每月）`},
		{"6", "发布日期", `"昨天" 不是日期，请填 YYYY-MM-DD（"昨天" is not a date (want YYYY-MM-DD)）`},
		{"8", "数据分级", "核心数据不能登记（core data cannot be registered） [ERROR_REASON_CORE_DATA_NOT_REGISTRABLE]"},
		{"10", "信息资源代码", "与第 9 行的持有单位和信息资源代码相同：每行应是不同的登记对象（same holder and resource code as row 9: each row must be a different asset）"},
	}, got, "every fault, local and from the server, sorted by row, under the file's own headers, in Chinese first")

	// What was sent: codes resolved from labels, holder from the token, keys from the code.
	first := f.imports[0].GetRows()[0]
	require.EqualValues(t, 2, first.GetRow())
	require.Equal(t, []string{"industrial_manufacturing"}, first.GetAsset().GetSectors())
	require.Equal(t, "daily", first.GetAsset().GetUpdateCycle())
	require.Equal(t, testOrg, first.GetAsset().GetHolderOrganisation())
	require.Equal(t, importKey(first.GetAsset()), first.GetImportKey())

	// Again: nothing new.
	out, _, err = runCLI(t, context.Background(), "asset", "import", file, "-o", "json", "--quiet")
	require.True(t, errors.As(err, &exit))
	require.JSONEq(t, fmt.Sprintf(`{"rows":10,"created":0,"updated":0,"unchanged":6,"invalid":4,"skipped":0,"errors_file":%q}`, errorsFile), out)

	// Fixed file: exit 0, and the stale errors file is gone.
	fixed := []string{lines[0], lines[1], "资产 新,重要数据,transport,monthly,,2024/5/6"}
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(fixed, "\n")), 0o600))
	out = mustRun(t, "asset", "import", file, "--quiet", "--holder", "91110000600037341L")
	require.Equal(t, "created 2, updated 0, unchanged 0, invalid 0, skipped 0\n", out, "another holder: other keys")
	require.NoFileExists(t, errorsFile)
	last := f.imports[len(f.imports)-1].GetRows()
	require.Equal(t, "91110000600037341L", last[1].GetAsset().GetHolderOrganisation())
	require.Equal(t, "2024-05-06", last[1].GetAsset().GetCatalogue().GetPublicationDate())
}

func testCodeBookResponse() *catalogv1.ListCodeListsResponse {
	b := testCodeBook()
	resp := &catalogv1.ListCodeListsResponse{Version: b.version}
	for _, l := range []string{"category", "sector", "update_cycle", "sharing_method"} {
		resp.Lists = append(resp.Lists, b.lists[l])
	}
	return resp
}

func TestImportStopsOnUnknownHeaderAndBadFlags(t *testing.T) {
	f := withFake(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "x.csv")
	require.NoError(t, os.WriteFile(file, []byte("资源名称,备注\n一,二\n"), 0o600))
	_, _, err := runCLI(t, context.Background(), "asset", "import", file)
	require.ErrorContains(t, err, `unknown column header "备注" (column B)`)
	var exit *exitError
	require.False(t, errors.As(err, &exit), "exit status 1: nothing imported")
	require.Empty(t, f.imports)

	_, _, err = runCLI(t, context.Background(), "asset", "import", file, "--batch", "1001")
	require.ErrorContains(t, err, "--batch must be between 1 and 1000")
	_, _, err = runCLI(t, context.Background(), "asset", "import", filepath.Join(dir, "x.json"))
	require.ErrorContains(t, err, "want a .xlsx or .csv file")

	// Without code lists on the server the codes go as they are, with a warning; --dry-run
	// has the server check the rows and writes nothing.
	require.NoError(t, os.WriteFile(file, []byte("资源名称,更新周期\n一,每日\n"), 0o600))
	before := len(f.assets)
	out, errOut, err := runCLI(t, context.Background(), "asset", "import", file, "--dry-run")
	require.NoError(t, err)
	require.Contains(t, errOut, "warning: the server has no code lists")
	require.Equal(t, "checked 1 rows: valid 1, unchanged 0, invalid 0, skipped 0 (dry run: nothing written 未写入任何数据)\n", out)
	require.Len(t, f.imports, 1)
	require.True(t, f.imports[0].GetValidateOnly(), "a dry run asks the server to validate only")
	require.Len(t, f.assets, before, "nothing written")
}

// TestTemplateExportImportRoundTrip: the template's example row imports; an export of full
// records reads back to the same records in XLSX and CSV.
func TestTemplateExportImportRoundTrip(t *testing.T) {
	f := withFake(t)
	f.codeLists = testCodeBookResponse()
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "模板.xlsx")
	_, errOut, err := runCLI(t, context.Background(), "asset", "template", "-f", tmpl)
	require.NoError(t, err)
	require.Contains(t, errOut, "template written to "+tmpl)

	x, err := excelize.OpenFile(tmpl)
	require.NoError(t, err)
	require.Equal(t, []string{sheetCatalogue, sheetHelp, sheetCodes}, x.GetSheetList())
	rows, err := x.GetRows(sheetCatalogue)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, headerRow(), rows[0])
	help, err := x.GetRows(sheetHelp)
	require.NoError(t, err)
	require.Contains(t, strings.Join(help[len(help)-len(columns)-1], "|"), "列标题|字段路径")
	codes, err := x.GetRows(sheetCodes)
	require.NoError(t, err)
	require.Contains(t, codes[0], "update_cycle 别名", "the code sheet has an alias column per list")
	var listed []string
	for _, r := range codes[1:] {
		listed = append(listed, strings.Join(r, "|"))
	}
	require.Contains(t, strings.Join(listed, "\n"), "realtime|实时|Real time、每5分钟、准实时",
		"each code with its label and the other spellings import accepts")
	dvs, err := x.GetDataValidations(sheetCatalogue)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(dvs), 6, "drop-downs for the 4 enums and the code columns with lists")
	require.NoError(t, x.Close())

	// The example row is complete (labels resolve to codes), marked, and never imported.
	cols, err := mapHeader(rows[0])
	require.NoError(t, err)
	example, errs := parseRow(cols, rows[1], func(string) (*codeBook, error) { return testCodeBook(), nil })
	require.Empty(t, errs)
	require.True(t, strings.HasPrefix(example.GetDisplayName(), "【示例】"), example.GetDisplayName())
	require.Equal(t, "A01", example.GetCategory(), "the first category, written as its label")
	require.Equal(t, "realtime", example.GetUpdateCycle())
	require.Len(t, example.GetFields(), 4)
	require.True(t, example.GetFields()[3].GetSensitive())
	out := mustRun(t, "asset", "import", tmpl, "--quiet")
	require.Equal(t, "created 0, updated 0, unchanged 0, invalid 0, skipped 1\n", out, "the example row is skipped")
	require.Empty(t, f.imports, "nothing to send")

	// Full records out and back in.
	full := &catalogv1.Asset{}
	fill(t, full.ProtoReflect(), "", 0)
	full.Category, full.UpdateCycle, full.Sectors = "C13", "monthly", []string{"transport", "industrial_manufacturing"}
	full.Catalogue.SharingMethod = "api"
	full.Name = "assets/0198c6f2-7a4e-7b61-9f0e-000000000001"
	f.assets = []*catalogv1.Asset{full, {DisplayName: "只有名称", HolderOrganisation: testOrg}}
	for _, ext := range []string{".xlsx", ".csv"} {
		file := filepath.Join(dir, "export"+ext)
		_, errOut, err := runCLI(t, context.Background(), "asset", "export", "-f", file, "--state", "DRAFT")
		require.NoError(t, err)
		require.Contains(t, errOut, "exported 2 assets to "+file)
		rows, err := readSheet(file, nil, defaultSheetLimits)
		require.NoError(t, err)
		cols, err := mapHeader(rows[0])
		require.NoError(t, err)
		// Every coded column comes out as the label import reads, not as the code.
		cell := func(path string) string { return rows[1][slices.Index(cols, columnByPath(path))] }
		require.Equal(t, "每月", cell("update_cycle"), ext)
		require.Equal(t, "接口共享", cell("catalogue.sharing_method"), ext)
		require.Equal(t, "工业数据", cell("category"), ext)
		require.Equal(t, "交通运输;工业制造", cell("sectors"), ext)
		require.Equal(t, full.GetName(), cell("name"), "the asset id column")
		book := testCodeBook()
		for i, want := range f.assets {
			got, errs := parseRow(cols, rows[i+1], func(string) (*codeBook, error) { return book, nil })
			require.Empty(t, errs, ext)
			require.True(t, proto.Equal(want, got), "%s row %d", ext, i+2)
		}
	}
	require.Equal(t, []catalogv1.AssetState{catalogv1.AssetState_ASSET_STATE_DRAFT}, f.pageReqs[len(f.pageReqs)-1].GetStates())

	// CSV to stdout without -f.
	out = mustRun(t, "asset", "export", "--quiet")
	require.True(t, strings.HasPrefix(out, utf8BOM+"资源名称(display_name),"), out[:40])
}

func TestTemplateOffline(t *testing.T) {
	isolate(t)
	t.Setenv(envAddr, "127.0.0.1:1")
	dir := t.TempDir()
	out, errOut, err := runCLI(t, context.Background(), "asset", "template", "-f", filepath.Join(dir, "t.xlsx"))
	require.NoError(t, err, "no server, no login: a template without code lists")
	require.Empty(t, out)
	require.Contains(t, errOut, "warning: no code lists in the template")
	x, err := excelize.OpenFile(filepath.Join(dir, "t.xlsx"))
	require.NoError(t, err)
	defer x.Close()
	require.Equal(t, []string{sheetCatalogue, sheetHelp}, x.GetSheetList())

	mustRun(t, "asset", "template", "-f", filepath.Join(dir, "t.csv"), "--offline")
	rows, err := readSheet(filepath.Join(dir, "t.csv"), nil, defaultSheetLimits)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	cols, err := mapHeader(rows[0])
	require.NoError(t, err)
	_, errs := parseRow(cols, rows[1], noCodes)
	require.Empty(t, errs)
}

// writeCSV writes lines as a UTF-8 CSV file with a BOM, as Excel saves "CSV UTF-8".
func writeCSV(t *testing.T, path string, lines ...string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(utf8BOM+strings.Join(lines, "\r\n")+"\r\n"), 0o600))
}

// TestImportKeepsEveryRowWhenTheServerRefusesTheBatch: a server that judges a request as a
// whole refuses it for one malformed holder code in the middle of the file. The import
// used to stop there with `rows[3]… does not match regex pattern` and nothing in the errors
// file; now the other rows import and the bad one is reported under the file's header, in
// words, with no pattern.
func TestImportKeepsEveryRowWhenTheServerRefusesTheBatch(t *testing.T) {
	f := withFake(t)
	f.codeLists = testCodeBookResponse()
	f.wholeBatch = true
	dir := t.TempDir()
	file := filepath.Join(dir, "目录.csv")
	lines := []string{"名称,持有单位代码,更新周期"}
	for i := range 7 {
		holder := testOrg
		if i == 3 {
			holder = "9135010O-M00010Y4" // a letter O and a dash: not a credit code
		}
		lines = append(lines, fmt.Sprintf("资源 %d,%s,每日", i, holder))
	}
	writeCSV(t, file, lines...)

	out, _, err := runCLI(t, context.Background(), "asset", "import", file, "--quiet")
	var exit *exitError
	require.True(t, errors.As(err, &exit), "%v", err)
	require.Equal(t, 2, exit.code)
	require.Equal(t, "created 6, updated 0, unchanged 0, invalid 1, skipped 0\ninvalid rows written to "+
		filepath.Join(dir, "目录.errors.csv")+"\n", out)
	got := readErrorsFile(t, filepath.Join(dir, "目录.errors.csv"))
	require.Equal(t, [][]string{{"5", "持有单位代码", "格式不正确（the value is not in the expected format）"}}, got)
	require.Len(t, f.assets, 1+6, "the six good rows were created")
	require.Greater(t, len(f.imports), 1, "the refused batch was sent again without the bad row")

	// A refusal that names no row: the batch is halved down to the bad row.
	f.wholeBatchUnnamed = true
	lines[2] = "资源 1 新,9135010O-M00010Y4,每日"
	lines[6] = "资源 5 新," + testOrg + ",每日"
	writeCSV(t, file, lines...)
	calls := len(f.imports)
	out, _, err = runCLI(t, context.Background(), "asset", "import", file, "--quiet")
	require.True(t, errors.As(err, &exit), "%v", err)
	require.Contains(t, out, "created 1, updated 0, unchanged 4, invalid 2, skipped 0\n")
	got = readErrorsFile(t, filepath.Join(dir, "目录.errors.csv"))
	require.Equal(t, [][]string{{"3", "-", "服务器拒绝了本行（validation failed）"}, {"5", "-", "服务器拒绝了本行（validation failed）"}},
		got, "each bad row found and reported (with no field named, for the row as a whole)")
	require.LessOrEqual(t, len(f.imports)-calls, 2*7, "halving costs a few calls per bad row, not one per row")
	f.wholeBatchUnnamed = false
	lines[2] = "资源 1," + testOrg + ",每日"

	// A server that judges each row reports the same row the same way, with its own words.
	f.wholeBatch = false
	lines[4] = "资源 3 改,9135010O-M00010Y4,每日"
	writeCSV(t, file, lines...)
	out, _, err = runCLI(t, context.Background(), "asset", "import", file, "--quiet")
	require.True(t, errors.As(err, &exit), "%v", err)
	require.Contains(t, out, "created 0, updated 0, unchanged 6, invalid 1, skipped 0\n")
	got = readErrorsFile(t, filepath.Join(dir, "目录.errors.csv"))
	require.Equal(t, [][]string{{"5", "持有单位代码", "应为 18 位统一社会信用代码（must be a unified social credit code of 18 characters）"}}, got)
}

// TestImportDryRunReportsWhatTheImportRefuses: the dry run has the server apply its rules
// (core data here, which no check in the client knows), writes nothing, and reports exactly
// the rows the real import then refuses.
func TestImportDryRunReportsWhatTheImportRefuses(t *testing.T) {
	f := withFake(t)
	f.codeLists = testCodeBookResponse()
	dir := t.TempDir()
	file := filepath.Join(dir, "目录.csv")
	writeCSV(t, file, "资源名称,数据分级,更新周期,持有单位统一社会信用代码",
		"甲,一般数据,每日,"+testOrg,
		"乙,核心数据,每日,"+testOrg,         // the server refuses it
		"丙,一般数据,每季,"+testOrg,         // the client refuses it
		"丁,一般数据,每月,91350100M00010Y4", // the server refuses it: 17 characters
		"戊,重要数据,每月,"+testOrg)
	errorsFile := filepath.Join(dir, "errors.csv")
	before := len(f.assets)
	out, _, err := runCLI(t, context.Background(), "asset", "import", file, "--dry-run", "--errors", errorsFile, "-o", "json")
	var exit *exitError
	require.True(t, errors.As(err, &exit), "%v", err)
	require.ErrorContains(t, err, "3 of 5 rows are invalid and would not be imported")
	require.JSONEq(t, fmt.Sprintf(`{"rows":5,"created":0,"updated":0,"unchanged":0,"valid":2,"invalid":3,"skipped":0,"dry_run":true,"errors_file":%q}`,
		errorsFile), out)
	require.Len(t, f.assets, before, "a dry run writes nothing")
	for _, req := range f.imports {
		require.True(t, req.GetValidateOnly())
	}
	dry := readErrorsFile(t, errorsFile)
	require.Equal(t, []string{"3", "4", "5"}, []string{dry[0][0], dry[1][0], dry[2][0]})

	out = mustRunExit(t, 2, "asset", "import", file, "--errors", errorsFile, "--quiet")
	require.Equal(t, "created 2, updated 0, unchanged 0, invalid 3, skipped 0\ninvalid rows written to "+errorsFile+"\n", out)
	require.Equal(t, dry, readErrorsFile(t, errorsFile), "the dry run reported exactly these rows, for the same reasons")
}

// mustRunExit runs yaosuctl, wants exit status code, and returns stdout.
func mustRunExit(t *testing.T, code int, args ...string) string {
	t.Helper()
	out, errOut, err := runCLI(t, context.Background(), args...)
	var exit *exitError
	require.True(t, errors.As(err, &exit), "yaosuctl %s: %v\n%s", strings.Join(args, " "), err, errOut)
	require.Equal(t, code, exit.code)
	return out
}

// TestExportImportRoundTripCreatesNothing: importing an export matches every row to its
// asset by the id column: nothing is created, nothing changes; after one cell is edited,
// exactly that asset is updated.
func TestExportImportRoundTripCreatesNothing(t *testing.T) {
	f := withFake(t)
	f.codeLists = testCodeBookResponse()
	f.assets = nil
	for i := range 3 {
		f.assets = append(f.assets, &catalogv1.Asset{Name: fmt.Sprintf("assets/0198c6f2-7a4e-7b61-9f0e-%012d", i+1),
			DisplayName: fmt.Sprintf("资源 %d", i), HolderOrganisation: testOrg, Summary: "摘要", UpdateCycle: "monthly",
			Grade: catalogv1.Grade_GRADE_GENERAL, Catalogue: &catalogv1.CatalogueMetadata{SharingMethod: "file"}})
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "导出.csv")
	mustRun(t, "asset", "export", "-f", file, "--quiet")

	out := mustRun(t, "asset", "import", file, "--quiet")
	require.Equal(t, "created 0, updated 0, unchanged 3, invalid 0, skipped 0\n", out)
	require.Len(t, f.assets, 3, "no new draft")
	for i, r := range f.imports[0].GetRows() {
		require.Equal(t, f.assets[i].GetName(), r.GetExisting(), "the id column names the asset")
		require.Empty(t, r.GetAsset().GetName(), "the id travels as existing, not inside the asset")
	}

	// Edit one cell: one asset updated, the others unchanged.
	rows, err := readSheet(file, nil, defaultSheetLimits)
	require.NoError(t, err)
	cols, err := mapHeader(rows[0])
	require.NoError(t, err)
	rows[2][slices.Index(cols, columnByPath("summary"))] = "新摘要"
	var lines []string
	for _, r := range rows {
		var b strings.Builder
		w := csv.NewWriter(&b)
		require.NoError(t, w.Write(r))
		w.Flush()
		lines = append(lines, strings.TrimSuffix(b.String(), "\n"))
	}
	writeCSV(t, file, lines...)
	out = mustRun(t, "asset", "import", file, "-o", "json", "--quiet")
	require.JSONEq(t, `{"rows":3,"created":0,"updated":1,"unchanged":2,"invalid":0,"skipped":0}`, out)
	require.Equal(t, "新摘要", f.assets[1].GetSummary())
	require.Len(t, f.assets, 3)

	// A malformed id is the row's fault, under its column.
	rows[1][slices.Index(cols, columnByPath("name"))] = "assets/not-an-id"
	lines[1] = strings.Replace(lines[1], f.assets[0].GetName(), "assets/not-an-id", 1)
	writeCSV(t, file, lines...)
	mustRunExit(t, 2, "asset", "import", file, "--quiet")
	got := readErrorsFile(t, filepath.Join(dir, "导出.errors.csv"))
	require.Len(t, got, 1)
	require.Equal(t, []string{"2", "资产标识(name)"}, got[0][:2])
	require.Contains(t, got[0][2], "不是登记对象标识")
}

// TestImportTakesOfficeVocabulary: the words offices write (aliases, English labels, codes,
// full-width and spaced spellings) resolve to codes; a word that matches nothing is refused
// with the labels it could have been.
func TestImportTakesOfficeVocabulary(t *testing.T) {
	f := withFake(t)
	f.codeLists = testCodeBookResponse()
	dir := t.TempDir()
	file := filepath.Join(dir, "目录.csv")
	writeCSV(t, file, "资源名称,更新周期,共享方式",
		"甲,每5分钟,接口",
		"乙,Real Time,文件",
		"丙,ｄａｉｌｙ,ftp",
		"丁,每 5 分钟,API",
		"戊,每季度,邮寄")
	mustRunExit(t, 2, "asset", "import", file, "--quiet")
	var got [][2]string
	for _, r := range f.imports[0].GetRows() {
		got = append(got, [2]string{r.GetAsset().GetUpdateCycle(), r.GetAsset().GetCatalogue().GetSharingMethod()})
	}
	require.Equal(t, [][2]string{{"realtime", "api"}, {"realtime", "file"}, {"daily", "file"}, {"realtime", "api"}}, got)
	errs := readErrorsFile(t, filepath.Join(dir, "目录.errors.csv"))
	require.Len(t, errs, 2)
	require.Equal(t, []string{"6", "更新周期"}, errs[0][:2])
	require.Contains(t, errs[0][2], "可填：实时、每日、每月")
	require.Contains(t, errs[0][2], "代码表")
	require.Equal(t, []string{"6", "共享方式"}, errs[1][:2])
	require.Contains(t, errs[1][2], "可填：接口共享、文件共享")
}
