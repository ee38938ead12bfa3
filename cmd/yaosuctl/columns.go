package main

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/codelist"
)

// cellFormat says how a column's cells spell the field's value.
type cellFormat int

const (
	formatText     cellFormat = iota // the string as is
	formatInt                        // a whole number; thousands separators allowed
	formatEnum                       // the Chinese label or the enum name
	formatCode                       // a code of codeList, or its Chinese label
	formatCodes                      // several codes of codeList, split by ; or ；
	formatDate                       // YYYY-MM-DD (also 2024/1/5, 2024年1月5日, Excel dates)
	formatList                       // several strings, split by ; or ；
	formatFields                     // data items: name:type:description[:敏感], split by ;
	formatEvidence                   // documents: name|sha256|size[|kind], split by ;
	formatContacts                   // people: name|role|phone|email, split by ;
)

var formatHelp = map[cellFormat]string{
	formatText:     "文本",
	formatInt:      "整数（可带千位分隔符）",
	formatEnum:     "选项：填中文名称或英文枚举名",
	formatCode:     "代码：填代码表中的代码、中文名称、英文名称或别名",
	formatCodes:    "多个代码，用 ; 或 ； 分隔；每个填代码、中文名称、英文名称或别名",
	formatDate:     "日期 YYYY-MM-DD（也接受 2024/1/5、2024年1月5日 和 Excel 日期）",
	formatList:     "多个值，用 ; 或 ； 分隔",
	formatFields:   "每项 名称:类型:描述[:敏感]，多项用 ; 分隔；值中的 : 或 ; 前加 \\",
	formatEvidence: "每份 文件名|SHA-256(64位十六进制)|字节数[|类型]，多份用 ; 分隔",
	formatContacts: "每人 姓名|角色|电话|邮箱，多人用 ; 分隔",
}

// column is one column of the catalogue spreadsheet that `asset template`, `asset import`
// and `asset export` share: its header, the Asset field it fills and how its cells read.
type column struct {
	zh       string // the Chinese name; the header is zh(path)
	path     string // Asset field path
	format   cellFormat
	codeList string   // for formatCode and formatCodes: the code list's name
	aliases  []string // other headers accepted on import (catalogue standard names)
	required string   // when a first registration needs it: "必填" or the condition
	help     string   // what goes in it, for the 说明 sheet
	// id marks the asset id column (资产标识, the output-only `name`): export fills it, import
	// sends it as ImportRow.existing so that the row updates that asset instead of creating one.
	id bool

	fds []protoreflect.FieldDescriptor
}

// header is what the column's first cell says: the Chinese name with the field path.
func (c *column) header() string { return c.zh + "(" + c.path + ")" }

// columns is the one column table. Every writable Asset field has a column (a test walks the
// descriptor to keep it so), in the order of the national form, then the catalogue metadata.
var columns = mustColumns([]*column{
	{zh: "资源名称", path: "display_name", aliases: []string{"信息资源名称", "名称", "数据资源名称", "数据产品名称"}, required: "必填",
		help: "数据资源或数据产品的名称"},
	{zh: "资源摘要", path: "summary", aliases: []string{"信息资源摘要", "摘要"}, required: "必填",
		help: "数据的内容、覆盖范围和用途"},
	{zh: "登记对象类型", path: "kind", format: formatEnum, aliases: []string{"资产类型", "登记对象"}, required: "必填",
		help: "登记对象是数据资源还是数据产品"},
	{zh: "产品形态", path: "product_form", format: formatCode, codeList: "product_form", required: "数据产品必填",
		help: "数据产品的形态（数据集、API、分析报告、可视化、指数、模型、加密数据）"},
	{zh: "持有单位统一社会信用代码", path: "holder_organisation", aliases: []string{"持有单位代码", "提供方代码", "信息资源提供方代码"},
		required: "必填（可用 --holder 统一指定）", help: "18 位统一社会信用代码"},
	{zh: "持有单位名称", path: "holder_name", aliases: []string{"持有单位"}, help: "持有单位的名称"},
	{zh: "代理机构统一社会信用代码", path: "agent.organisation", help: "委托代理机构的统一社会信用代码（如有）"},
	{zh: "代理机构名称", path: "agent.name", help: "委托代理机构的名称（如有）"},
	{zh: "数据来源", path: "data_source", aliases: []string{"来源"}, required: "必填", help: "数据从何而来、如何取得"},
	{zh: "合法性依据", path: "legal_basis", aliases: []string{"法律依据", "持有依据"}, required: "必填", help: "持有数据的法律依据"},
	{zh: "证明材料", path: "evidence", format: formatEvidence, required: "至少一份",
		help: "来源合法性和依据的证明文件；类型可填 legal_basis、source、commitment_letter、other"},
	{zh: "数据分类", path: "category", format: formatCode, codeList: "category", aliases: []string{"分类", "行业分类", "行业领域"}, required: "必填",
		help: "行业领域分类：GB/T 4754 国民经济行业分类的门类（GB/T 43697 数据分类规则的行业领域维度）"},
	{zh: "主题分类", path: "catalogue.theme", format: formatCode, codeList: "theme", aliases: []string{"主题", "信息资源主题分类"},
		help: "政务信息资源主题分类（GB/T 21063.4），如 卫生健康、交通运输、自然资源"},
	{zh: "代码表版本", path: "code_list_version", help: "本行代码引用的代码表版本；空为当前版本"},
	{zh: "应用领域", path: "sectors", format: formatCodes, codeList: "sector", aliases: []string{"数据要素×领域"},
		help: "数据要素× 应用领域"},
	{zh: "数据分级", path: "grade", format: formatEnum, aliases: []string{"分级", "级别"}, required: "必填",
		help: "一般数据、重要数据（核心数据不能登记）"},
	{zh: "共享属性", path: "sharing_attribute", format: formatEnum, required: "必填", help: "无条件共享、有条件共享、不予共享"},
	{zh: "共享条件", path: "sharing_conditions", required: "有条件共享时必填", help: "有条件共享的条件"},
	{zh: "不予共享依据", path: "sharing_basis", required: "不予共享时必填", help: "不予共享的法律、行政法规或政策依据"},
	{zh: "开放属性", path: "open_attribute", format: formatEnum, required: "必填（不予共享的必须不予开放）",
		help: "无条件开放、有条件开放、不予开放"},
	{zh: "开放条件", path: "open_conditions", required: "有条件开放时必填", help: "有条件开放的条件"},
	{zh: "数据格式", path: "data_format", aliases: []string{"信息资源格式", "格式"}, required: "必填", help: "CSV、JSON、数据库表等"},
	{zh: "数据量（条）", path: "volume_records", format: formatInt, aliases: []string{"记录数"}, help: "记录条数"},
	{zh: "数据量（字节）", path: "volume_bytes", format: formatInt, aliases: []string{"字节数"}, help: "数据大小，字节"},
	{zh: "更新周期", path: "update_cycle", format: formatCode, codeList: "update_cycle", required: "必填", help: "实时、每日、每月等"},
	{zh: "时间范围起", path: "coverage_start", format: formatDate, help: "数据覆盖的第一天"},
	{zh: "时间范围止", path: "coverage_end", format: formatDate, help: "数据覆盖的最后一天；持续更新的留空"},
	{zh: "存储位置", path: "storage_location", required: "必填", help: "所在系统、数据中心或区域"},
	{zh: "存储方式", path: "storage_mode", format: formatCode, codeList: "storage_mode", help: "存储方式代码"},
	{zh: "安全措施", path: "security_measures", required: "必填", help: "已采取的安全保护措施"},
	{zh: "信息项", path: "fields", format: formatFields, aliases: []string{"信息项信息", "数据项"}, required: "至少一项",
		help: "数据项的名称、数据类型、说明；含个人信息等敏感内容的加 :敏感"},
	{zh: "联系人", path: "contacts", format: formatContacts, required: "至少一人", help: "联系人的姓名、角色、电话、邮箱"},
	{zh: "标签", path: "tags", format: formatList, aliases: []string{"关键词"}, help: "自由关键词"},
	{zh: "类", path: "catalogue.class_category", aliases: []string{"信息资源分类-类"}, help: "政务信息资源分类：类"},
	{zh: "项", path: "catalogue.class_item", aliases: []string{"信息资源分类-项"}, help: "政务信息资源分类：项"},
	{zh: "目", path: "catalogue.class_heading", aliases: []string{"信息资源分类-目"}, help: "政务信息资源分类：目"},
	{zh: "细目", path: "catalogue.class_subheading", aliases: []string{"信息资源分类-细目"}, help: "政务信息资源分类：细目"},
	{zh: "信息资源代码", path: "catalogue.resource_code", aliases: []string{"资源代码"},
		help: "分类码 + 顺序码，如 101001/000123；在登记系统中唯一"},
	{zh: "信息资源提供方", path: "catalogue.provider_name", aliases: []string{"提供方"}, help: "目录中的提供方名称"},
	{zh: "共享方式", path: "catalogue.sharing_method", format: formatCode, codeList: "sharing_method", help: "共享方式代码"},
	{zh: "发布日期", path: "catalogue.publication_date", format: formatDate, help: "目录发布日期"},
	{zh: "关联资源代码", path: "catalogue.related_resource_codes", format: formatList, help: "关联信息资源的代码"},
	{zh: "资产标识", path: "name", id: true, aliases: []string{"登记对象标识", "标识"},
		help: "登记系统中的标识（assets/…），导出时填写；导入时有标识的行更新该登记对象而不新建。新建的行留空"},
})

func mustColumns(cols []*column) []*column {
	md := (&catalogv1.Asset{}).ProtoReflect().Descriptor()
	for _, c := range cols {
		fds, err := resolvePath(md, c.path)
		if err != nil {
			panic(fmt.Sprintf("column %s: %v", c.zh, err))
		}
		c.fds = fds
	}
	return cols
}

// columnByPath is the column of an Asset field path, or nil.
func columnByPath(path string) *column {
	for _, c := range columns {
		if c.path == path {
			return c
		}
	}
	return nil
}

// headerKey normalises a header for matching: no spaces or required marks, ASCII
// parentheses, lower case.
func headerKey(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "\ufeff")
	s = strings.NewReplacer("（", "(", "）", ")", " ", "", "\u3000", "", "*", "", "＊", "").Replace(s)
	return strings.ToLower(s)
}

// headerIndex maps every accepted header spelling to its column.
var headerIndex = func() map[string]*column {
	idx := map[string]*column{}
	for _, c := range columns {
		spellings := append([]string{c.header(), c.zh}, c.aliases...)
		if !c.id {
			// A bare "name" is too likely to mean the resource's name to be taken for its id.
			spellings = append(spellings, c.path)
		}
		for _, h := range spellings {
			idx[headerKey(h)] = c
		}
	}
	return idx
}()

// mapHeader finds the column of each header cell. Blank header cells map to nil (their
// cells are ignored); an unknown or repeated header is an error naming it.
func mapHeader(header []string) ([]*column, error) {
	out := make([]*column, len(header))
	seen := map[*column]int{}
	var unknown []string
	for i, h := range header {
		if headerKey(h) == "" {
			continue
		}
		c := headerIndex[headerKey(h)]
		if c == nil {
			// "资源名称(whatever)": try the part before the parenthesis.
			if zh, _, ok := strings.Cut(headerKey(h), "("); ok {
				c = headerIndex[zh]
			}
		}
		if c == nil {
			unknown = append(unknown, fmt.Sprintf("%q (column %s)", clip(strings.TrimSpace(h), maxQuoted), columnLetter(i)))
			continue
		}
		if j, dup := seen[c]; dup {
			return nil, fmt.Errorf("columns %s and %s both hold %s", columnLetter(j), columnLetter(i), c.header())
		}
		seen[c] = i
		out[i] = c
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown column header %s; known columns are listed in the 说明 sheet of `yaosuctl asset template`",
			listSome(unknown, maxListed))
	}
	if len(seen) == 0 {
		return nil, errors.New("the first row has no known column header; is it a catalogue sheet? (see `yaosuctl asset template`)")
	}
	return out, nil
}

// Error messages stay short whatever the file holds: a header row of 10 000 unknown
// columns is named by its first few, each cut to a readable length.
const (
	maxListed = 5  // items of a list in one message
	maxQuoted = 40 // characters of a quoted cell
)

// clip cuts s to n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// listSome joins the first n items and says how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s … and %d more (另有 %d 个)", strings.Join(items[:n], ", "), len(items)-n, len(items)-n)
}

// columnLetter is the spreadsheet name of the 0-based column i: A, B, ..., Z, AA, ...
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// cellFault is a fault of a cell in both languages. Error is the English (what --set and
// the other flags print, as before); the errors file of an import shows the Chinese first,
// for the people of a data office, with the English after it (reasonOf).
type cellFault struct{ zh, en string }

func (f *cellFault) Error() string { return f.en }

func faultf(zh, en string, args ...any) *cellFault {
	return &cellFault{zh: fmt.Sprintf(zh, args...), en: fmt.Sprintf(en, args...)}
}

// reasonOf is how an import's errors file says err: Chinese, then the English in brackets.
func reasonOf(err error) string {
	var f *cellFault
	if errors.As(err, &f) && f.zh != "" {
		return f.zh + "（" + err.Error() + "）"
	}
	return err.Error()
}

// parse reads one cell into a value of the column's field. book resolves code labels; nil
// takes codes as they are.
func (c *column) parse(cell string, book *codeBook) (protoreflect.Value, error) {
	leaf := c.fds[len(c.fds)-1]
	s := strings.TrimSpace(cell)
	if s == "" {
		return protoreflect.Value{}, nil
	}
	switch c.format {
	case formatText:
		return protoreflect.ValueOfString(s), nil
	case formatInt:
		n, err := parseInt(s)
		if err != nil {
			return protoreflect.Value{}, &cellFault{zh: fmt.Sprintf("%q 不是整数", s), en: err.Error()}
		}
		if n < 0 {
			return protoreflect.Value{}, faultf("%d 是负数，应为 0 或正整数", "%d is negative", n)
		}
		return protoreflect.ValueOfInt64(n), nil
	case formatEnum:
		n, err := parseEnum(leaf.Enum(), s)
		if err != nil {
			return protoreflect.Value{}, &cellFault{zh: fmt.Sprintf("%q 不是可选值，请填：%s", s, strings.Join(enumLabelList(leaf.Enum()), "、")),
				en: err.Error()}
		}
		return protoreflect.ValueOfEnum(n), nil
	case formatCode:
		code, err := book.resolve(c.codeList, s)
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfString(code), nil
	case formatDate:
		d, err := parseDate(s)
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfString(d), nil
	}
	list := (&catalogv1.Asset{}).ProtoReflect()
	for _, fd := range c.fds[:len(c.fds)-1] {
		list = list.Mutable(fd).Message()
	}
	l := list.Mutable(leaf).List()
	switch c.format {
	case formatList, formatCodes:
		for _, item := range splitList(s, listSeparators) {
			if c.format == formatCodes {
				code, err := book.resolve(c.codeList, item)
				if err != nil {
					return protoreflect.Value{}, err
				}
				item = code
			}
			l.Append(protoreflect.ValueOfString(item))
		}
	case formatFields, formatEvidence, formatContacts:
		for i, item := range splitEscaped(s, listSeparators, false) {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			var m interface{ ProtoReflect() protoreflect.Message }
			var err error
			switch c.format {
			case formatFields:
				m, err = parseDataField(item)
			case formatEvidence:
				m, err = parseDocument(item)
			default:
				m, err = parseContact(item)
			}
			if err != nil {
				var f *cellFault
				if errors.As(err, &f) {
					return protoreflect.Value{}, &cellFault{zh: fmt.Sprintf("第 %d 项：%s", i+1, f.zh), en: fmt.Sprintf("item %d: %s", i+1, f.en)}
				}
				return protoreflect.Value{}, fmt.Errorf("item %d: %w", i+1, err)
			}
			l.Append(protoreflect.ValueOfMessage(m.ProtoReflect()))
		}
	default:
		return protoreflect.Value{}, fmt.Errorf("column %s: unknown cell format %d", c.zh, c.format)
	}
	return protoreflect.ValueOfList(l), nil
}

// format writes a field value the way parse reads it; "" when unset.
func (c *column) formatCell(a *catalogv1.Asset) string {
	v, ok := getPath(a.ProtoReflect(), c.fds)
	if !ok {
		return ""
	}
	leaf := c.fds[len(c.fds)-1]
	switch c.format {
	case formatText, formatCode, formatDate:
		return v.String()
	case formatInt:
		return strconv.FormatInt(v.Int(), 10)
	case formatEnum:
		return enumLabel(leaf.Enum(), v.Enum())
	}
	l := v.List()
	items := make([]string, 0, l.Len())
	for i := range l.Len() {
		switch c.format {
		case formatList, formatCodes:
			items = append(items, escapeCell(l.Get(i).String(), listSeparators))
		case formatFields:
			items = append(items, formatDataField(l.Get(i).Message().Interface().(*catalogv1.DataField)))
		case formatEvidence:
			items = append(items, formatDocument(l.Get(i).Message().Interface().(*catalogv1.Document)))
		case formatContacts:
			items = append(items, formatContact(l.Get(i).Message().Interface().(*catalogv1.Contact)))
		}
	}
	return strings.Join(items, ";")
}

// listSeparators split the values of a many-valued cell; itemSeparators the parts of one
// value (a data item, document or contact).
const (
	listSeparators = ";；\n"
	partSeparators = ":：|｜"
)

// splitEscaped splits s at any of seps. A backslash makes the next character literal; with
// unescape the backslashes are removed, otherwise kept for a later split.
func splitEscaped(s, seps string, unescape bool) []string {
	var out []string
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '\\' && i+1 < len(rs) {
			if !unescape {
				b.WriteRune(r)
			}
			i++
			b.WriteRune(rs[i])
			continue
		}
		if strings.ContainsRune(seps, r) {
			out = append(out, b.String())
			b.Reset()
			continue
		}
		b.WriteRune(r)
	}
	return append(out, b.String())
}

// splitList splits a many-valued cell into its trimmed, non-empty values.
func splitList(s, seps string) []string {
	var out []string
	for _, item := range splitEscaped(s, seps, true) {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// escapeCell puts a backslash before backslashes and the characters of specials.
func escapeCell(s, specials string) string {
	if !strings.ContainsAny(s, specials+"\\") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '\\' || strings.ContainsRune(specials, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// joinParts joins the parts of one value with sep, escaped, without trailing empty parts.
func joinParts(sep string, parts ...string) string {
	for len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	for i, p := range parts {
		parts[i] = escapeCell(p, listSeparators+partSeparators)
	}
	return strings.Join(parts, sep)
}

// parseDataField reads `name:type:description[:敏感]`. An unescaped ':' inside the
// description is kept.
func parseDataField(item string) (*catalogv1.DataField, error) {
	parts := splitEscaped(item, ":：", true)
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	f := &catalogv1.DataField{Name: parts[0]}
	if f.Name == "" {
		return nil, faultf("信息项 %q 没有名称（应为 名称:类型:描述[:敏感]）", "data item %q has no name (want name:type:description[:敏感])", item)
	}
	if len(parts) > 1 {
		f.Type = parts[1]
	}
	switch n := len(parts); {
	case n == 3:
		f.Description = parts[2]
	case n >= 4:
		if b, ok := parseBool(parts[n-1]); ok {
			f.Sensitive = b
			f.Description = strings.Join(parts[2:n-1], ":")
		} else {
			f.Description = strings.Join(parts[2:], ":")
		}
	}
	return f, nil
}

func formatDataField(f *catalogv1.DataField) string {
	sensitive := ""
	if f.GetSensitive() {
		sensitive = "敏感"
	}
	return joinParts(":", f.GetName(), f.GetType(), f.GetDescription(), sensitive)
}

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// parseDocument reads `name|sha256|size[|kind]`, or `name:sha256:size` (the name may then
// hold colons).
func parseDocument(item string) (*catalogv1.Document, error) {
	parts := splitEscaped(item, "|｜", true)
	if len(parts) == 1 {
		// name:sha256:size, taken from the right.
		colon := splitEscaped(item, ":：", true)
		if len(colon) >= 3 {
			n := len(colon)
			parts = []string{strings.Join(colon[:n-2], ":"), colon[n-2], colon[n-1]}
		}
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	if len(parts) < 2 || len(parts) > 4 {
		return nil, faultf("证明材料 %q 格式不对，应为 文件名|SHA-256|字节数[|类型]", "document %q: want name|sha256|size[|kind]", item)
	}
	d := &catalogv1.Document{Name: parts[0], Sha256: strings.ToLower(parts[1])}
	if d.Name == "" {
		return nil, faultf("证明材料 %q 没有文件名", "document %q has no name", item)
	}
	if !sha256Pattern.MatchString(d.Sha256) {
		return nil, faultf("证明材料 %q：%q 不是 SHA-256 摘要（64 位十六进制数字）", "document %q: %q is not a SHA-256 (64 hexadecimal digits)", d.Name, parts[1])
	}
	if len(parts) > 2 && parts[2] != "" {
		n, err := parseInt(parts[2])
		if err != nil || n < 0 {
			return nil, faultf("证明材料 %q：大小 %q 不是字节数", "document %q: size %q is not a number of bytes", d.Name, parts[2])
		}
		d.SizeBytes = n
	}
	if len(parts) > 3 {
		d.Kind = parts[3]
	}
	return d, nil
}

func formatDocument(d *catalogv1.Document) string {
	return joinParts("|", d.GetName(), d.GetSha256(), strconv.FormatInt(d.GetSizeBytes(), 10), d.GetKind())
}

// parseContact reads `name|role|phone|email`.
func parseContact(item string) (*catalogv1.Contact, error) {
	parts := splitEscaped(item, "|｜", true)
	if len(parts) > 4 {
		return nil, faultf("联系人 %q 格式不对，应为 姓名|角色|电话|邮箱", "contact %q: want name|role|phone|email", item)
	}
	parts = append(parts, "", "", "")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	c := &catalogv1.Contact{Name: parts[0], Role: parts[1], Phone: parts[2], Email: parts[3]}
	if c.Name == "" {
		return nil, faultf("联系人 %q 没有姓名", "contact %q has no name", item)
	}
	return c, nil
}

func formatContact(c *catalogv1.Contact) string {
	return joinParts("|", c.GetName(), c.GetRole(), c.GetPhone(), c.GetEmail())
}

var datePatterns = []*regexp.Regexp{
	regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`),
	regexp.MustCompile(`^(\d{4})年(\d{1,2})月(\d{1,2})日$`),
	regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`),
}

// excelEpoch is day 0 of Excel's 1900 date system (counting its phantom 1900-02-29).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// parseDate reads a date as people and spreadsheets write it and returns it as YYYY-MM-DD.
func parseDate(s string) (string, error) {
	s = strings.TrimSpace(s)
	// A date-time: keep the date.
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	for _, re := range datePatterns {
		if m := re.FindStringSubmatch(s); m != nil {
			y, _ := strconv.Atoi(m[1])
			mo, _ := strconv.Atoi(m[2])
			d, _ := strconv.Atoi(m[3])
			t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
			if t.Year() != y || int(t.Month()) != mo || t.Day() != d {
				return "", faultf("%q 不是真实存在的日期", "%q is not a real date", s)
			}
			return t.Format(time.DateOnly), nil
		}
	}
	// An Excel serial date (the raw value of a date cell).
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 1 && f < 2958466 && !strings.ContainsAny(s, "eE") {
		return excelEpoch.AddDate(0, 0, int(f)).Format(time.DateOnly), nil
	}
	return "", faultf("%q 不是日期，请填 YYYY-MM-DD", "%q is not a date (want YYYY-MM-DD)", s)
}

// codeBook resolves the codes, labels and aliases of one code-list version.
type codeBook struct {
	version string
	lists   map[string]*catalogv1.CodeList
	keys    map[string]map[string]string // list → code, label or alias (normalised) → code
}

func newCodeBook(resp *catalogv1.ListCodeListsResponse) *codeBook {
	b := &codeBook{version: resp.GetVersion(), lists: map[string]*catalogv1.CodeList{}, keys: map[string]map[string]string{}}
	for _, l := range resp.GetLists() {
		b.lists[l.GetList()] = l
		keys := map[string]string{}
		// Aliases, then labels, then codes, each overriding the one before: a code spelled
		// like another entry's label still means itself, and a label wins over an alias.
		// Within one kind the first entry keeps a spelling two entries share.
		add := func(spellings func(*catalogv1.Code) []string) {
			kind := map[string]bool{}
			for _, c := range l.GetCodes() {
				for _, sp := range spellings(c) {
					if k := codelist.Key(sp); k != "" && !kind[k] {
						kind[k] = true
						keys[k] = c.GetCode()
					}
				}
			}
		}
		add(func(c *catalogv1.Code) []string { return c.GetAliases() })
		add(func(c *catalogv1.Code) []string { return []string{c.GetLabelZh(), c.GetLabelEn()} })
		add(func(c *catalogv1.Code) []string { return []string{c.GetCode()} })
		b.keys[l.GetList()] = keys
	}
	return b
}

// resolve returns the code that s (a code, a label or an alias) stands for in list. A nil
// book, or a list the server does not publish, takes s as it is: the server checks it.
func (b *codeBook) resolve(list, s string) (string, error) {
	if b == nil || b.keys[list] == nil {
		return s, nil
	}
	if code, ok := b.keys[list][codelist.Key(s)]; ok {
		return code, nil
	}
	labels := b.acceptedLabels(list)
	return "", &cellFault{
		zh: fmt.Sprintf("%q 不在代码表 %s 中；可填：%s（代码、别名见模板的“%s”工作表）", s, list, listSomeZh(labels, maxCodesListed), sheetCodes),
		en: fmt.Sprintf("%q is neither a code nor a label of code list %s (version %s); accepted labels: %s", s, list, b.version,
			listSome(labels, maxCodesListed)),
	}
}

// maxCodesListed is how many accepted labels an unknown code's message names.
const maxCodesListed = 12

// acceptedLabels are the Chinese labels of list (the code where an entry has none).
func (b *codeBook) acceptedLabels(list string) []string {
	var out []string
	for _, c := range b.lists[list].GetCodes() {
		out = append(out, cmpOr(c.GetLabelZh(), c.GetCode()))
	}
	return out
}

// listSomeZh joins the first n items with 、 and says how many more there are.
func listSomeZh(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, "、")
	}
	return fmt.Sprintf("%s 等 %d 项", strings.Join(items[:n], "、"), len(items))
}

// exportLabel is how an export writes code in list: its Chinese label when that label reads
// back as the same code, else the code itself (so that the file always imports back).
func (b *codeBook) exportLabel(list, code string) string {
	if b == nil || b.lists[list] == nil || code == "" {
		return code
	}
	label := b.label(list, code)
	if got, ok := b.keys[list][codelist.Key(label)]; ok && got == code {
		return label
	}
	return code
}

// cellError is one fault of one cell.
type cellError struct {
	column string // the column's header
	index  int    // the column's position in the sheet
	reason string
}

// parseRow reads one data row. cols is the header mapping (nil entries are ignored);
// bookFor returns the code book of a code-list version ("" is the current one).
func parseRow(cols []*column, cells []string, bookFor func(version string) (*codeBook, error)) (*catalogv1.Asset, []cellError) {
	a := &catalogv1.Asset{}
	m := a.ProtoReflect()
	var errs []cellError
	version := ""
	for i, c := range cols {
		if c != nil && c.path == "code_list_version" && i < len(cells) {
			version = strings.TrimSpace(cells[i])
		}
	}
	book, err := bookFor(version)
	if err != nil {
		errs = append(errs, cellError{column: columnByPath("code_list_version").header(), index: slices.Index(cols, columnByPath("code_list_version")),
			reason: reasonOf(err)})
	}
	for i, c := range cols {
		if c == nil || i >= len(cells) {
			continue
		}
		v, err := c.parse(cells[i], book)
		if err != nil {
			errs = append(errs, cellError{column: c.header(), index: i, reason: reasonOf(err)})
			continue
		}
		if v.IsValid() {
			setPath(m, c.fds, v)
		}
	}
	return a, errs
}

// formatRow writes a as one row of every column, in table order: codes as the Chinese
// labels of book (as people write them and import reads them; codes without a book).
func formatRow(a *catalogv1.Asset, book *codeBook) []string {
	row := make([]string, len(columns))
	for i, c := range columns {
		row[i] = c.formatCell(a)
		switch {
		case book == nil || row[i] == "":
		case c.format == formatCode:
			row[i] = book.exportLabel(c.codeList, row[i])
		case c.format == formatCodes:
			row[i] = book.labelsOf(c.codeList, row[i])
		}
	}
	return row
}

// enumLabelList is the labels of ed's values, as a drop-down offers them.
func enumLabelList(ed protoreflect.EnumDescriptor) []string {
	var out []string
	for j := 1; j < ed.Values().Len(); j++ {
		out = append(out, enumLabel(ed, ed.Values().Get(j).Number()))
	}
	return out
}

// headerRow is the first row of a catalogue sheet.
func headerRow() []string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = c.header()
	}
	return out
}

// columnForField maps a field path from a server violation (`catalogue.resource_code`,
// `asset.fields[2].name`, `rows[3].asset.grade`) to the header of the column holding it.
func columnForField(path string) string {
	if c := columnOfField(path); c != nil {
		return c.header()
	}
	return path
}

// columnOfField is the column holding the field at path, or nil: a message field whose
// leaves are separate columns (agent, catalogue) has no single column.
func columnOfField(path string) *column {
	p := path
	if i := strings.LastIndex(p, "asset."); i >= 0 && (i == 0 || p[i-1] == '.') {
		p = p[i+len("asset."):]
	}
	best := ""
	var match *column
	for _, c := range columns {
		if p == c.path || strings.HasPrefix(p, c.path+".") || strings.HasPrefix(p, c.path+"[") {
			if len(c.path) > len(best) {
				best, match = c.path, c
			}
		}
	}
	return match
}
