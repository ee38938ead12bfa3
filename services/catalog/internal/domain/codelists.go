package domain

import (
	"fmt"
	"strings"
)

// CodeEntry is one code of a list and its labels.
type CodeEntry struct {
	Code, LabelZh, LabelEn string
}

// Code-list names added with version 2026.1, and the lists that label the enumerations.
const (
	// ListTheme is 主题分类 (GB/T 21063.4), beside the industry classification ListCategory
	// (GB/T 4754 门类, the industry field of GB/T 43697).
	ListTheme        = "theme"
	ListDocumentKind = "document_kind"

	ListKind             = "kind"
	ListGrade            = "grade"
	ListSharingAttribute = "sharing_attribute"
	ListOpenAttribute    = "open_attribute"
)

// listNames name each list in messages, in English and Chinese.
var listNames = map[string][2]string{
	ListCategory:         {"industry category (GB/T 4754 section)", "行业分类（GB/T 4754 门类）"},
	ListTheme:            {"theme", "主题分类"},
	ListSector:           {"sector", "应用领域"},
	ListProductForm:      {"product form", "产品形态"},
	ListUpdateCycle:      {"update cycle", "更新周期"},
	ListStorageMode:      {"storage mode", "存储方式"},
	ListSharingMethod:    {"sharing method", "共享方式"},
	ListRefusalReason:    {"refusal reason", "不予受理或不予登记的理由"},
	ListDocumentKind:     {"document kind", "材料类型"},
	ListKind:             {"kind", "登记对象类型"},
	ListGrade:            {"grade", "数据分级"},
	ListSharingAttribute: {"sharing attribute", "共享属性"},
	ListOpenAttribute:    {"open attribute", "开放属性"},
}

// ResolveCodes replaces every coded value of r written as a label or an alias (接口 for the
// API sharing method, 卫生健康 for a theme) by its code. Values that stand for nothing are
// left as they are for checkCodes to report. A record citing another version than codes is
// left alone: its version is wrong, and that is what Validate reports. Validate calls it
// first; code that compares an incoming record with a stored one before validating (an
// import matching an existing asset) calls it too, so 接口 and API compare equal.
func (r *Record) ResolveCodes(codes CodeLists) {
	if r.CodeListVersion != "" && r.CodeListVersion != codes.Version() {
		return
	}
	resolve := func(list string, p *string) {
		if *p == "" {
			return
		}
		if code, ok := codes.Resolve(list, *p); ok {
			*p = code
		}
	}
	resolve(ListKind, &r.Kind)
	resolve(ListGrade, &r.Grade)
	resolve(ListSharingAttribute, &r.SharingAttribute)
	resolve(ListOpenAttribute, &r.OpenAttribute)
	resolve(ListCategory, &r.Category)
	resolve(ListProductForm, &r.ProductForm)
	resolve(ListUpdateCycle, &r.UpdateCycle)
	resolve(ListStorageMode, &r.StorageMode)
	if len(r.Sectors) > 0 {
		for i := range r.Sectors {
			resolve(ListSector, &r.Sectors[i])
		}
		r.Sectors = trimList(r.Sectors) // 工业 and INDUSTRIAL_MANUFACTURING are one sector
	}
	if c := r.Catalogue; c != nil {
		resolve(ListSharingMethod, &c.SharingMethod)
		resolve(ListTheme, &c.Theme)
	}
	for i := range r.Evidence {
		resolve(ListDocumentKind, &r.Evidence[i].Kind)
	}
}

// checkCodes adds a violation for every coded value of r that is not a code of its list in
// the cited version.
func (r *Record) checkCodes(v *violations, codes CodeLists) {
	if r.CodeListVersion != "" && r.CodeListVersion != codes.Version() {
		v.add(ReasonUnknownCode, "code_list_version", "unknown code-list version "+r.CodeListVersion,
			"未知的代码表版本 "+r.CodeListVersion)
		return
	}
	check := func(path, list, value string) {
		if value != "" && !codes.Has(list, value) {
			en, zh := UnknownCode(codes, list, value)
			v.add(ReasonUnknownCode, path, en, zh)
		}
	}
	check("category", ListCategory, r.Category)
	check("product_form", ListProductForm, r.ProductForm)
	check("update_cycle", ListUpdateCycle, r.UpdateCycle)
	check("storage_mode", ListStorageMode, r.StorageMode)
	for i, s := range r.Sectors {
		check(fmt.Sprintf("sectors[%d]", i), ListSector, s)
	}
	if c := r.Catalogue; c != nil {
		check("catalogue.sharing_method", ListSharingMethod, c.SharingMethod)
		check("catalogue.theme", ListTheme, c.Theme)
	}
	// Document kinds are a code list from 2026.1 on; records citing 2024.1 keep the free
	// text they were stored with.
	if len(codes.Entries(ListDocumentKind)) > 0 {
		for i, d := range r.Evidence {
			check(fmt.Sprintf("evidence[%d].kind", i), ListDocumentKind, d.Kind)
		}
	}
}

// UnknownCode is the English and Chinese text of a value that is not in list: it names the
// labels that are accepted, so the person who wrote the value can pick one.
func UnknownCode(codes CodeLists, list, value string) (en, zh string) {
	name, ok := listNames[list]
	if !ok {
		name = [2]string{list, list}
	}
	entries := codes.Entries(list)
	if len(entries) == 0 {
		return fmt.Sprintf("unknown %s %q: code-list version %s has no %s list; cite a later version in code_list_version",
				name[0], value, codes.Version(), list),
			fmt.Sprintf("未知的%s“%s”：代码表版本 %s 没有%s代码表，请在 code_list_version 中引用更新的版本",
				name[1], value, codes.Version(), name[1])
	}
	labels := make([]string, len(entries))
	for i, e := range entries {
		labels[i] = e.LabelZh
	}
	return fmt.Sprintf("unknown %s %q: accepted %s, their codes or aliases (code list %s, version %s)",
			name[0], value, strings.Join(labels, ", "), list, codes.Version()),
		fmt.Sprintf("未知的%s“%s”：可填 %s，或其代码、别名（代码表 %s，版本 %s）",
			name[1], value, strings.Join(labels, "、"), list, codes.Version())
}

// ResolveCodes replaces the command's reason code, if written as a label or an alias of
// the refusal_reason list, by its code; the app calls it once the command's code lists are
// known, so the decision, its history step and its event carry the code.
func (c *Command) ResolveCodes() {
	if c.Codes == nil || c.ReasonCode == "" {
		return
	}
	if code, ok := c.Codes.Resolve(ListRefusalReason, c.ReasonCode); ok {
		c.ReasonCode = code
	}
}
