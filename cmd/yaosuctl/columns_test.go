package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

// TestEveryWritableFieldHasAColumn walks the Asset descriptor: a field added to the proto
// without a column fails here, so exports never silently drop it.
func TestEveryWritableFieldHasAColumn(t *testing.T) {
	t.Parallel()
	writable := map[string]bool{}
	for _, p := range writableAssetPaths() {
		writable[p] = true
		require.NotNil(t, columnByPath(p), "no column for the writable Asset field %s: add one to columns.go", p)
	}
	seenPath, seenHeader := map[string]bool{}, map[string]bool{}
	for _, c := range columns {
		if c.id {
			require.Equal(t, "name", c.path, "the id column holds the asset's name")
			continue
		}
		require.True(t, writable[c.path], "column %s holds %s, which is not a writable Asset field", c.zh, c.path)
		require.False(t, seenPath[c.path], "two columns hold %s", c.path)
		require.False(t, seenHeader[c.zh], "two columns are called %s", c.zh)
		seenPath[c.path], seenHeader[c.zh] = true, true
		require.NotEmpty(t, c.help, c.path)
		if c.format == formatCode || c.format == formatCodes {
			require.NotEmpty(t, c.codeList, c.path)
		}
	}
	// Every accepted header spelling means one column only.
	owner := map[string]string{}
	for _, c := range columns {
		for _, h := range append([]string{c.header(), c.zh, c.path}, c.aliases...) {
			k := headerKey(h)
			if prev, ok := owner[k]; ok {
				require.Equal(t, prev, c.path, "header %q is claimed by %s and %s", h, prev, c.path)
			}
			owner[k] = c.path
		}
	}
}

// fill sets every field of m to a non-zero value that its column can carry, with the
// characters that need escaping in the many-valued cells. Output-only Asset fields stay
// unset. A new field gets a value too, so the round trip fails until a column carries it.
func fill(t *testing.T, m protoreflect.Message, prefix string, seed int) {
	t.Helper()
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		path := prefix + string(fd.Name())
		if prefix == "" && outputOnlyPaths[path] {
			continue
		}
		if fd.Message() != nil && !fd.IsList() {
			fill(t, m.Mutable(fd).Message(), path+".", seed)
			continue
		}
		if fd.IsList() {
			l := m.Mutable(fd).List()
			for j := range 2 {
				if fd.Message() != nil {
					e := l.NewElement()
					fill(t, e.Message(), path+".", seed+j)
					l.Append(e)
				} else {
					l.Append(sampleScalar(fd, path, seed+j))
				}
			}
			continue
		}
		m.Set(fd, sampleScalar(fd, path, seed))
	}
}

func sampleScalar(fd protoreflect.FieldDescriptor, path string, seed int) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(fd.Enum().Values().Get(fd.Enum().Values().Len() - 1).Number())
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.Int64Kind:
		return protoreflect.ValueOfInt64(int64(1234567 + seed))
	case protoreflect.StringKind:
		switch c := columnByPath(path); {
		case fd.Name() == "sha256":
			return protoreflect.ValueOfString(fmt.Sprintf("%064x", seed+1))
		case c != nil && c.format == formatDate:
			return protoreflect.ValueOfString(fmt.Sprintf("2024-0%d-2%d", seed+1, seed))
		case c != nil && (c.format == formatText || c.format == formatCode) && path != "display_name":
			return protoreflect.ValueOfString(fmt.Sprintf("%s 值%d; a:b|c\\d", fd.Name(), seed))
		}
		// In a many-valued cell: the separators must survive.
		return protoreflect.ValueOfString(fmt.Sprintf("%s 值%d; a:b|c\\d：e；f", fd.Name(), seed))
	}
	panic(fmt.Sprintf("sampleScalar: %s has kind %s: teach the test (and the columns) about it", path, fd.Kind()))
}

func TestColumnsRoundTripEveryField(t *testing.T) {
	t.Parallel()
	a := &catalogv1.Asset{}
	fill(t, a.ProtoReflect(), "", 0)
	row := formatRow(a, nil)
	cols, err := mapHeader(headerRow())
	require.NoError(t, err)
	back, errs := parseRow(cols, row, noCodes)
	require.Empty(t, errs)
	require.True(t, proto.Equal(a, back), "row → asset lost something:\nwant %v\ngot  %v", a, back)
	require.Equal(t, row, formatRow(back, nil), "asset → row → asset → row is stable")
}

func noCodes(string) (*codeBook, error) { return nil, nil }

func testCodeBook() *codeBook {
	return newCodeBook(&catalogv1.ListCodeListsResponse{Version: "2024.1", Lists: []*catalogv1.CodeList{
		{List: "category", Codes: []*catalogv1.Code{{Code: "A01", LabelZh: "农业数据", LabelEn: "Agriculture"}, {Code: "C13", LabelZh: "工业数据"}}},
		{List: "sector", Codes: []*catalogv1.Code{{Code: "industrial_manufacturing", LabelZh: "工业制造"}, {Code: "transport", LabelZh: "交通运输"}}},
		{List: "update_cycle", Codes: []*catalogv1.Code{{Code: "realtime", LabelZh: "实时", LabelEn: "Real time", Aliases: []string{"每5分钟", "准实时"}},
			{Code: "daily", LabelZh: "每日"}, {Code: "monthly", LabelZh: "每月"}}},
		{List: "sharing_method", Codes: []*catalogv1.Code{{Code: "api", LabelZh: "接口共享", LabelEn: "API", Aliases: []string{"接口"}},
			{Code: "file", LabelZh: "文件共享", Aliases: []string{"文件", "FTP"}}}},
	}})
}

func TestParseRowChineseLabelsAndCodes(t *testing.T) {
	t.Parallel()
	header := []string{"资源名称", "（类型）", "资产类型", "数据分级", "共享属性", "开放属性", "数据分类", "应用领域", "更新周期", "共享方式",
		"发布日期", "时间范围起", "数据量（条）", "标签", "信息项"}
	header[1] = "持有单位统一社会信用代码（holder_organisation）"
	cols, err := mapHeader(header)
	require.NoError(t, err)
	cells := []string{" 企业登记信息 ", testOrg, "数据产品", "重要数据", "有条件共享", "不予开放", "工业数据", "工业制造；transport", "每日", "API",
		"2024年3月1日", "45292", "12,000", "市场主体; 登记", "统一社会信用代码:字符型:18 位:是;名称"}
	book := testCodeBook()
	a, errs := parseRow(cols, cells, func(v string) (*codeBook, error) { return book, nil })
	require.Empty(t, errs)
	want := &catalogv1.Asset{
		DisplayName: "企业登记信息", HolderOrganisation: testOrg,
		Kind: catalogv1.AssetKind_ASSET_KIND_DATA_PRODUCT, Grade: catalogv1.Grade_GRADE_IMPORTANT,
		SharingAttribute: catalogv1.SharingAttribute_SHARING_ATTRIBUTE_CONDITIONAL, OpenAttribute: catalogv1.OpenAttribute_OPEN_ATTRIBUTE_NOT_OPEN,
		Category: "C13", Sectors: []string{"industrial_manufacturing", "transport"}, UpdateCycle: "daily",
		Catalogue:     &catalogv1.CatalogueMetadata{SharingMethod: "api", PublicationDate: "2024-03-01"},
		CoverageStart: "2024-01-01", VolumeRecords: 12000, Tags: []string{"市场主体", "登记"},
		Fields: []*catalogv1.DataField{{Name: "统一社会信用代码", Type: "字符型", Description: "18 位", Sensitive: true}, {Name: "名称"}},
	}
	require.True(t, proto.Equal(want, a), "got %v", a)

	// Faults name the column; every bad cell of the row is reported.
	cells = []string{"", testOrg, "数据商品", "顶级", "有条件共享", "不予开放", "渔业数据", "工业制造", "每日", "", "2024-02-30", "昨天", "-5", "", "车牌:字符型::敏感"}
	_, errs = parseRow(cols, cells, func(v string) (*codeBook, error) { return book, nil })
	got := map[string]string{}
	for _, e := range errs {
		got[e.column] = e.reason
	}
	require.Len(t, got, 6, "%v", errs)
	require.Contains(t, got["登记对象类型(kind)"], `"数据商品" 不是可选值，请填：数据资源、数据产品（"数据商品" is not one of DATA_RESOURCE (数据资源), DATA_PRODUCT (数据产品)）`)
	require.Contains(t, got["数据分级(grade)"], `"顶级"`)
	require.Contains(t, got["数据分类(category)"], `"渔业数据" is neither a code nor a label of code list category (version 2024.1); accepted labels: 农业数据, 工业数据`)
	require.Contains(t, got["数据分类(category)"], `"渔业数据" 不在代码表 category 中；可填：农业数据、工业数据`, "Chinese first")
	require.Contains(t, got["发布日期(catalogue.publication_date)"], "not a real date")
	require.Contains(t, got["时间范围起(coverage_start)"], "not a date")
	require.Contains(t, got["数据量（条）(volume_records)"], "negative")
}

func TestMapHeader(t *testing.T) {
	t.Parallel()
	cols, err := mapHeader([]string{"\ufeff资源名称(display_name)", "summary", "信息资源代码", "  ", "类 （catalogue.class_category）", "数据分级*", "信息资源格式"})
	require.NoError(t, err)
	var paths []string
	for _, c := range cols {
		if c == nil {
			paths = append(paths, "")
			continue
		}
		paths = append(paths, c.path)
	}
	require.Equal(t, []string{"display_name", "summary", "catalogue.resource_code", "", "catalogue.class_category", "grade", "data_format"}, paths)

	cols, err = mapHeader([]string{"资产标识", "资源名称(display_name)", "资产标识(name)"})
	require.ErrorContains(t, err, "columns A and C both hold 资产标识(name)", "the id column by its Chinese name or its header")
	require.Nil(t, cols)
	_, err = mapHeader([]string{"资源名称", "name"})
	require.ErrorContains(t, err, `unknown column header "name"`, "a bare name is never taken for the asset id")
	_, err = mapHeader([]string{"资源名称", "备注", "密级"})
	require.ErrorContains(t, err, `unknown column header "备注" (column B), "密级" (column C)`)
	_, err = mapHeader([]string{"资源名称", "信息资源名称"})
	require.ErrorContains(t, err, "columns A and B both hold 资源名称(display_name)")
	_, err = mapHeader([]string{"", ""})
	require.ErrorContains(t, err, "no known column header")
	require.Equal(t, "AA", columnLetter(26))
	require.Equal(t, "AP", columnLetter(41))
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"2024-03-01": "2024-03-01", "2024/3/1": "2024-03-01", "2024.03.01": "2024-03-01", "2024年3月1日": "2024-03-01",
		"20240301": "2024-03-01", "45352": "2024-03-01", "45352.5": "2024-03-01", "2024-03-01 08:00:00": "2024-03-01",
		"2024-03-01T08:00:00Z": "2024-03-01",
	} {
		got, err := parseDate(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"2024-13-01", "2023-02-29", "March", "1e5"} {
		_, err := parseDate(bad)
		require.Error(t, err, bad)
	}
}

func TestSplitEscaped(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"a", "b;c", "d\\"}, splitList(`a; b\;c ；d\\`, listSeparators))
	require.Equal(t, []string{`a:b\;c`, "d"}, splitEscaped(`a:b\;c;d`, ";", false))
	require.Equal(t, `a\;b\\c\:d`, escapeCell(`a;b\c:d`, ";:"))
	require.Equal(t, "n:t", formatDataField(&catalogv1.DataField{Name: "n", Type: "t"}), "no trailing empty parts")
	require.Equal(t, "n:::敏感", formatDataField(&catalogv1.DataField{Name: "n", Sensitive: true}))
	f, err := parseDataField("n:::敏感")
	require.NoError(t, err)
	require.True(t, proto.Equal(&catalogv1.DataField{Name: "n", Sensitive: true}, f))
	f, err = parseDataField("时间:日期型:格式 HH:MM")
	require.NoError(t, err)
	require.Equal(t, "格式 HH:MM", f.GetDescription(), "an unescaped colon in the description is kept")
	d, err := parseDocument("报告: 第一版.pdf:" + strings.Repeat("ab", 32) + ":2048")
	require.NoError(t, err, "name:sha256:size, name with a colon")
	require.Equal(t, "报告: 第一版.pdf", d.GetName())
	require.EqualValues(t, 2048, d.GetSizeBytes())
}

func TestReadCSVWithBOMAndGB18030(t *testing.T) {
	t.Parallel()
	text := "资源名称,数据分级\r\n企业登记信息,重要数据\r\n\"多行\n名称\",一般数据\r\n"
	rows, err := readCSV([]byte(utf8BOM+text), defaultSheetLimits)
	require.NoError(t, err)
	require.Equal(t, [][]string{{"资源名称", "数据分级"}, {"企业登记信息", "重要数据"}, {"多行\n名称", "一般数据"}}, rows)

	gbk, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	require.NoError(t, err)
	rows2, err := readCSV([]byte(gbk), defaultSheetLimits)
	require.NoError(t, err)
	require.Equal(t, rows, rows2, "Excel's 'CSV' on Chinese Windows is GB18030")

	rows, err = readCSV([]byte("资源名称\n只有一列,多一列\n"), defaultSheetLimits)
	require.NoError(t, err, "ragged rows are fine")
	require.Len(t, rows, 2)
}

// TestSheetsRoundTrip writes assets as XLSX and CSV and reads them back to the same assets.
func TestSheetsRoundTrip(t *testing.T) {
	t.Parallel()
	a := &catalogv1.Asset{}
	fill(t, a.ProtoReflect(), "", 0)
	b := &catalogv1.Asset{DisplayName: "只有名称", VolumeRecords: 0}
	for _, ext := range []string{".xlsx", ".csv"} {
		path := filepath.Join(t.TempDir(), "export"+ext)
		w, commit, abort, err := openSheetWriter(path, nil)
		require.NoError(t, err)
		require.NoError(t, w.write(headerValues()))
		require.NoError(t, w.write(rowValues(formatRow(a, nil))))
		require.NoError(t, w.write(rowValues(formatRow(b, nil))))
		require.NoError(t, commit())
		abort()
		rows, err := readSheet(path, nil, defaultSheetLimits)
		require.NoError(t, err)
		require.Len(t, rows, 3, ext)
		cols, err := mapHeader(rows[0])
		require.NoError(t, err, ext)
		for i, want := range []*catalogv1.Asset{a, b} {
			got, errs := parseRow(cols, rows[i+1], noCodes)
			require.Empty(t, errs, ext)
			require.True(t, proto.Equal(want, got), "%s row %d:\nwant %v\ngot  %v", ext, i+2, want, got)
		}
	}
}

func TestXLSXDatesAndNumbersAsExcelStoresThem(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"资源名称", "发布日期", "数据量（条）", "信息资源代码"}))
	require.NoError(t, f.SetCellValue("Sheet1", "A2", "企业登记信息"))
	style, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	require.NoError(t, err)
	require.NoError(t, f.SetCellValue("Sheet1", "B2", 45352)) // a date cell: 2024-03-01
	require.NoError(t, f.SetCellStyle("Sheet1", "B2", "B2", style))
	require.NoError(t, f.SetCellValue("Sheet1", "C2", 1200000))
	require.NoError(t, f.SetCellValue("Sheet1", "D2", 101001000123))
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	path := filepath.Join(t.TempDir(), "in.xlsx")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))

	rows, err := readSheet(path, nil, defaultSheetLimits)
	require.NoError(t, err)
	cols, err := mapHeader(rows[0])
	require.NoError(t, err)
	a, errs := parseRow(cols, rows[1], noCodes)
	require.Empty(t, errs)
	require.Equal(t, "2024-03-01", a.GetCatalogue().GetPublicationDate())
	require.EqualValues(t, 1200000, a.GetVolumeRecords())
	require.Equal(t, "101001000123", a.GetCatalogue().GetResourceCode())
}

func TestColumnForField(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"catalogue.resource_code":             "信息资源代码(catalogue.resource_code)",
		"asset.fields[2].name":                "信息项(fields)",
		"rows[3].asset.grade":                 "数据分级(grade)",
		"evidence":                            "证明材料(evidence)",
		"agent":                               "agent",
		"holder_organisation":                 "持有单位统一社会信用代码(holder_organisation)",
		"sharing_conditions":                  "共享条件(sharing_conditions)",
		"catalogue.related_resource_codes[0]": "关联资源代码(catalogue.related_resource_codes)",
	} {
		require.Equal(t, want, columnForField(path), path)
	}
}

func TestImportKeyIsStable(t *testing.T) {
	t.Parallel()
	byName := importKey(&catalogv1.Asset{HolderOrganisation: testOrg, DisplayName: "企业登记信息"})
	require.Equal(t, byName, importKey(&catalogv1.Asset{HolderOrganisation: testOrg, DisplayName: "企业登记信息", Summary: "changed"}))
	require.NotEqual(t, byName, importKey(&catalogv1.Asset{HolderOrganisation: "91110000600037341L", DisplayName: "企业登记信息"}))
	byCode := importKey(&catalogv1.Asset{HolderOrganisation: testOrg, DisplayName: "另一个名字",
		Catalogue: &catalogv1.CatalogueMetadata{ResourceCode: "101001/000123"}})
	require.Equal(t, byCode, importKey(&catalogv1.Asset{HolderOrganisation: testOrg, DisplayName: "改名后",
		Catalogue: &catalogv1.CatalogueMetadata{ResourceCode: "101001/000123"}}), "the resource code identifies the row")
	// Pinned: a change of namespace or derivation would make every earlier import look new.
	require.Equal(t, "903e3c87-43b4-5394-b2ce-aa5dc3b36a9b", byName)
}

// TestCodeBookSpellings: codes, labels (Chinese, English) and aliases resolve, whatever the
// case, width or spacing; a code wins over another entry's label, a label over another
// entry's alias; export writes the label only when it reads back as the same code.
func TestCodeBookSpellings(t *testing.T) {
	t.Parallel()
	b := newCodeBook(&catalogv1.ListCodeListsResponse{Version: "v", Lists: []*catalogv1.CodeList{{List: "l", Codes: []*catalogv1.Code{
		{Code: "A", LabelZh: "甲", LabelEn: "Alpha", Aliases: []string{"第一", "乙"}},
		{Code: "B", LabelZh: "乙", Aliases: []string{"C"}},
		{Code: "C", LabelZh: "B"},
	}}}})
	for in, want := range map[string]string{
		"A": "A", "a": "A", "甲": "A", "alpha": "A", " ALPHA ": "A", "Ａｌｐｈａ": "A", "第 一": "A",
		"乙": "B", // B's label, not A's alias
		"C": "C", // C's code, not B's alias
		"B": "B", // B's code, not C's label
	} {
		got, err := b.resolve("l", in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	_, err := b.resolve("l", "丁")
	require.ErrorContains(t, err, `"丁" is neither a code nor a label of code list l (version v); accepted labels: 甲, 乙, B`)
	require.Equal(t, "甲", b.exportLabel("l", "A"))
	require.Equal(t, "乙", b.exportLabel("l", "B"))
	require.Equal(t, "C", b.exportLabel("l", "C"), "C's label B reads back as the code B: write the code")
	require.Equal(t, "X", b.exportLabel("l", "X"), "an unknown code as it is")
}
