package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

// templateRows is how far down the template's drop-down lists reach.
const templateRows = 100000

func assetTemplateCmd(g *globals) *cobra.Command {
	var (
		file    string
		offline bool
	)
	cmd := &cobra.Command{
		Use:   "template [-f FILE.xlsx] [--offline]",
		Short: "Write a 数据资源目录 spreadsheet template for `asset import`",
		Long: "Write an XLSX workbook to fill in and import with `asset import`:\n" +
			"  " + sheetCatalogue + "  the column headers and one example row (its 资源名称 starts with\n" +
			"                " + exampleMark + ": import skips it, so it may stay);\n" +
			"  " + sheetHelp + "          what each column holds, its format, whether a first registration needs it;\n" +
			"  " + sheetCodes + "        the registry's code lists: each code with its Chinese label and the\n" +
			"                aliases import also accepts; the drop-downs offer the labels.\n" +
			"Each 登记对象 (data resource or product) is one row. The code lists come from the server;\n" +
			"with --offline (or when it cannot be reached) the template has no code lists and the code\n" +
			"columns no drop-down. A .csv FILE gets only the header and the example row.",
		Example: "  yaosuctl asset template -f 数据资源目录.xlsx\n  yaosuctl asset template -f catalogue.csv --offline",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kind, err := sheetKind(file)
			if err != nil {
				return err
			}
			var book *codeBook
			if !offline {
				book, err = fetchCodeBook(cmd.Context(), g)
				if err != nil {
					fprintfErr(cmd.ErrOrStderr(), "warning: no code lists in the template (%v)\n",
						strings.SplitN(err.Error(), "\n", 2)[0])
				}
			}
			holder, _ := g.tokenOrganisation("--holder")
			example := templateExample(book, holder)
			out, commit, abort, err := createOutput(file, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			defer abort()
			if kind == "csv" {
				w, err := newCSVSheet(out)
				if err != nil {
					return err
				}
				for _, r := range [][]any{headerValues(), example} {
					if err := w.write(r); err != nil {
						return err
					}
				}
				if err := w.close(); err != nil {
					return err
				}
			} else if err := writeTemplate(out, book, example); err != nil {
				return err
			}
			if err := commit(); err != nil {
				return err
			}
			fprintfErr(cmd.ErrOrStderr(), "template written to %s\n", file)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "数据资源目录模板.xlsx", "write to `FILE` (.xlsx, or .csv for the header and example only)")
	cmd.Flags().BoolVar(&offline, "offline", false, "do not ask the server for the code lists")
	return cmd
}

// fetchCodeBook reads the current code lists from the server.
func fetchCodeBook(ctx context.Context, g *globals) (*codeBook, error) {
	var resp *catalogv1.ListCodeListsResponse
	err := g.catalogCall(ctx, func(ctx context.Context, c catalogv1.CatalogServiceClient) (err error) {
		resp, err = c.ListCodeLists(ctx, &catalogv1.ListCodeListsRequest{})
		return err
	})
	if err != nil {
		return nil, err
	}
	return newCodeBook(resp), nil
}

// templateExample is a complete example record, as a row: codes as their Chinese labels, the
// first entry of each code list.
func templateExample(book *codeBook, holder string) []any {
	if holder == "" {
		holder = "91350100M000100Y43"
	}
	first := func(list string) string {
		if book == nil || book.lists[list] == nil || len(book.lists[list].GetCodes()) == 0 {
			return ""
		}
		return book.lists[list].GetCodes()[0].GetCode()
	}
	a := &catalogv1.Asset{
		DisplayName:        exampleMark + "城市道路交通流量数据（示例行：导入时跳过）",
		Summary:            "全市主要路口 5 分钟粒度的机动车流量统计，用于交通组织优化和信号配时",
		Kind:               catalogv1.AssetKind_ASSET_KIND_DATA_RESOURCE,
		HolderOrganisation: holder,
		HolderName:         "某市交通运输局",
		DataSource:         "路口感知设备自动采集",
		LegalBasis:         "《某市道路交通安全管理条例》第十二条",
		Evidence: []*catalogv1.Document{{Name: "采集授权文件.pdf", SizeBytes: 102400, Kind: "legal_basis",
			Sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
		Category:          first("category"),
		CodeListVersion:   "",
		Sectors:           nonEmpty(first("sector")),
		Grade:             catalogv1.Grade_GRADE_GENERAL,
		SharingAttribute:  catalogv1.SharingAttribute_SHARING_ATTRIBUTE_CONDITIONAL,
		SharingConditions: "仅限政务部门用于交通管理",
		OpenAttribute:     catalogv1.OpenAttribute_OPEN_ATTRIBUTE_NOT_OPEN,
		DataFormat:        "CSV",
		VolumeRecords:     1200000,
		VolumeBytes:       536870912,
		UpdateCycle:       first("update_cycle"),
		CoverageStart:     "2024-01-01",
		StorageLocation:   "市政务云数据中心",
		StorageMode:       first("storage_mode"),
		SecurityMeasures:  "分级访问控制，传输加密，操作审计",
		Fields: []*catalogv1.DataField{
			{Name: "路口编号", Type: "字符型", Description: "路口唯一编号"},
			{Name: "统计时间", Type: "日期时间型", Description: "5 分钟统计时段的起点"},
			{Name: "车流量", Type: "数值型", Description: "时段内通过的机动车数"},
			{Name: "车牌号", Type: "字符型", Description: "抓拍车牌", Sensitive: true},
		},
		Contacts: []*catalogv1.Contact{{Name: "张伟", Role: "数据管理员", Phone: "0591-88880000", Email: "zhang.wei@example.gov.cn"}},
		Tags:     []string{"交通", "流量"},
		Catalogue: &catalogv1.CatalogueMetadata{
			ClassCategory: "主题信息资源", ClassItem: "城乡建设", ClassHeading: "交通运输",
			ResourceCode: "101001/000123", ProviderName: "某市交通运输局",
			SharingMethod: first("sharing_method"), PublicationDate: "2024-03-01", Theme: first("theme"),
		},
	}
	return rowValues(formatRow(a, book))
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// label is the Chinese label of code in list, or code when it has none.
func (b *codeBook) label(list, code string) string {
	if b == nil || b.lists[list] == nil {
		return code
	}
	for _, c := range b.lists[list].GetCodes() {
		if c.GetCode() == code && c.GetLabelZh() != "" {
			return c.GetLabelZh()
		}
	}
	return code
}

// labelsOf turns a formatted code cell (one code, or several split by ;) into labels.
func (b *codeBook) labelsOf(list, cell string) string {
	if cell == "" {
		return ""
	}
	var out []string
	for _, code := range splitList(cell, listSeparators) {
		out = append(out, escapeCell(b.exportLabel(list, code), listSeparators))
	}
	return strings.Join(out, ";")
}

// writeTemplate writes the template workbook: catalogue sheet, help sheet, code lists.
func writeTemplate(w io.Writer, book *codeBook, example []any) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheetCatalogue); err != nil {
		return err
	}
	// Sheet order: the catalogue (which import reads), the help, the code lists.
	if _, err := f.NewSheet(sheetHelp); err != nil {
		return err
	}
	if book != nil && len(book.lists) > 0 {
		if _, err := f.NewSheet(sheetCodes); err != nil {
			return err
		}
	}
	header, err := f.NewStyle(headerStyle)
	if err != nil {
		return err
	}
	h := headerValues()
	if err := f.SetSheetRow(sheetCatalogue, "A1", &h); err != nil {
		return err
	}
	if err := f.SetSheetRow(sheetCatalogue, "A2", &example); err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(columns))
	if err := f.SetCellStyle(sheetCatalogue, "A1", last+"1", header); err != nil {
		return err
	}
	for i, width := range columnWidths() {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheetCatalogue, col, col, width); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheetCatalogue, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	// Drop-downs: enum labels inline, code labels from the code-list sheet.
	codeRanges, err := writeCodeSheet(f, book, header)
	if err != nil {
		return err
	}
	for i, c := range columns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		dv := excelize.NewDataValidation(true)
		dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, templateRows)
		switch {
		case c.format == formatEnum:
			labels := enumLabelList(c.fds[len(c.fds)-1].Enum())
			if err := dv.SetDropList(labels); err != nil {
				return err
			}
			dv.SetError(excelize.DataValidationErrorStyleStop, c.zh, "请从下拉列表中选择："+strings.Join(labels, "、"))
		case c.format == formatCode && codeRanges[c.codeList] != "":
			dv.SetSqrefDropList(codeRanges[c.codeList])
			// Codes typed by hand are accepted too: warn, do not stop.
			dv.SetError(excelize.DataValidationErrorStyleWarning, c.zh, "不在下拉列表中：导入时按代码、名称和别名核对（见“"+sheetCodes+"”工作表）")
		default:
			continue
		}
		if err := f.AddDataValidation(sheetCatalogue, dv); err != nil {
			return err
		}
	}
	if err := writeHelpSheet(f, book, header); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

// writeCodeSheet lists each code list in three columns (code, Chinese label, aliases) and
// returns, per list, the defined name of its label range for drop-downs.
func writeCodeSheet(f *excelize.File, book *codeBook, header int) (map[string]string, error) {
	ranges := map[string]string{}
	if book == nil || len(book.lists) == 0 {
		return ranges, nil
	}
	col := 1
	for _, list := range codeListOrder(book) {
		l := book.lists[list]
		codeCol, _ := excelize.ColumnNumberToName(col)
		labelCol, _ := excelize.ColumnNumberToName(col + 1)
		aliasCol, _ := excelize.ColumnNumberToName(col + 2)
		if err := f.SetSheetRow(sheetCodes, codeCol+"1", &[]any{list + " 代码", list + " 名称", list + " 别名"}); err != nil {
			return nil, err
		}
		if err := f.SetCellStyle(sheetCodes, codeCol+"1", aliasCol+"1", header); err != nil {
			return nil, err
		}
		for i, c := range l.GetCodes() {
			cell := fmt.Sprintf("%s%d", codeCol, i+2)
			if err := f.SetSheetRow(sheetCodes, cell, &[]any{c.GetCode(), cmpOr(c.GetLabelZh(), c.GetCode()), codeAliases(c)}); err != nil {
				return nil, err
			}
		}
		if err := f.SetColWidth(sheetCodes, codeCol, aliasCol, 24); err != nil {
			return nil, err
		}
		if n := len(l.GetCodes()); n > 0 {
			name := "codes_" + list
			ref := fmt.Sprintf("'%s'!$%s$2:$%s$%d", sheetCodes, labelCol, labelCol, n+1)
			if err := f.SetDefinedName(&excelize.DefinedName{Name: name, RefersTo: ref}); err != nil {
				return nil, err
			}
			ranges[list] = name
		}
		col += 4
	}
	return ranges, nil
}

// codeAliases are the other spellings import accepts for c: its English label and its
// aliases, split by 、.
func codeAliases(c *catalogv1.Code) string {
	var out []string
	if en := c.GetLabelEn(); en != "" && en != c.GetLabelZh() {
		out = append(out, en)
	}
	out = append(out, c.GetAliases()...)
	return strings.Join(out, "、")
}

// codeListOrder is the lists the columns use first, then the others, by name.
func codeListOrder(book *codeBook) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range columns {
		if c.codeList != "" && book.lists[c.codeList] != nil && !seen[c.codeList] {
			out = append(out, c.codeList)
			seen[c.codeList] = true
		}
	}
	for _, l := range book.lists {
		if !seen[l.GetList()] {
			out = append(out, l.GetList())
			seen[l.GetList()] = true
		}
	}
	return out
}

func writeHelpSheet(f *excelize.File, book *codeBook, header int) error {
	version := "（未取得，见 yaosuctl codes list）"
	if book != nil {
		version = book.version
	}
	notes := []string{
		"数据资源目录导入模板（yaosuctl asset import）",
		"1. 每行一个登记对象（数据资源或数据产品）；第一行是列标题。列的顺序可以调整，可以删去不用的列；未知的列标题会使导入中止。",
		"2. 第 2 行是示例（资源名称以" + exampleMark + "开头），导入时自动跳过；可以照着填写，也可以删除。",
		"3. 选项列填中文名称或英文枚举名；代码列填代码、中文名称、英文名称或别名（见“" + sheetCodes + "”工作表，代码表版本 " + version + "）。",
		"4. 多个值用 ; 或 ； 分隔；值本身含有 ; 或 : 时在前面加 \\。",
		"5. 有“资产标识”的行更新该登记对象；没有时按同一持有单位的“信息资源代码”（没有代码时为同一文件以前导入的行）匹配。匹配到的草稿被更新，内容未变的报告为未变，匹配不到的才新建：同一文件或导出文件再次导入不会重复创建。",
		"6. 无效的行不会导入，写入错误文件（默认 文件名.errors.csv：行号、列、原因），其余行照常导入。导入前可用 --dry-run 由服务器检查全部规则而不写入。",
		"7. 首次登记申请需要下表中“首次登记”一栏标明的字段。",
	}
	for i, n := range notes {
		if err := f.SetCellValue(sheetHelp, fmt.Sprintf("A%d", i+1), n); err != nil {
			return err
		}
	}
	start := len(notes) + 2
	cells := []any{"列标题", "字段路径", "格式", "首次登记", "说明", "可选值"}
	if err := f.SetSheetRow(sheetHelp, fmt.Sprintf("A%d", start), &cells); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheetHelp, fmt.Sprintf("A%d", start), fmt.Sprintf("F%d", start), header); err != nil {
		return err
	}
	for i, c := range columns {
		choices := ""
		switch c.format {
		case formatEnum:
			choices = strings.Join(enumChoices(c.fds[len(c.fds)-1].Enum()), "、")
		case formatCode, formatCodes:
			choices = "代码表 " + c.codeList
			if book != nil && book.lists[c.codeList] != nil {
				var some []string
				for j, code := range book.lists[c.codeList].GetCodes() {
					if j == 8 {
						some = append(some, "…")
						break
					}
					some = append(some, code.GetCode()+" "+code.GetLabelZh())
					if len(code.GetAliases()) > 0 {
						some[len(some)-1] += "（" + strings.Join(code.GetAliases(), "、") + "）"
					}
				}
				choices += "：" + strings.Join(some, "、")
			}
		}
		row := []any{c.header(), c.path, formatHelp[c.format], c.required, c.help, choices}
		if err := f.SetSheetRow(sheetHelp, fmt.Sprintf("A%d", start+1+i), &row); err != nil {
			return err
		}
	}
	for col, width := range map[string]float64{"A": 34, "B": 32, "C": 40, "D": 22, "E": 50, "F": 60} {
		if err := f.SetColWidth(sheetHelp, col, col, width); err != nil {
			return err
		}
	}
	return nil
}
