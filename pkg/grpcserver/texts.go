package grpcserver

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	validatepb "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Text is one fault of a field said twice: in English (the BadRequest description, for
// developers and logs) and in Chinese (its zh-CN localized_message, for the people of a
// data office). Both say what a correct value looks like, never how the rule is written.
type Text struct {
	En, Zh string
}

// How a buf.validate violation becomes words. Three tables, consulted in this order:
//
//  1. fieldTexts, keyed by the proto field's full name and the rule id, for the few fields
//     whose value means more than its shape says (a resource code, not merely "letters,
//     digits and one separator"). Services add to it at start with RegisterFieldText, next
//     to the field they own, so the wording lives with the service that knows the field.
//  2. patternTexts, keyed by the pattern itself (without an optional "^$|" that only
//     allows empty). A pattern is a shape — an asset name, a date, a unified social credit
//     code — shared by many fields (the asset name pattern is on fourteen); keying by it
//     gives every field of that shape the same words from one entry, and a new field with
//     a known pattern needs nothing. A pattern that is not here never shows its regex: it
//     reads "has the wrong format", and TestEveryRuleHasText fails until it is described.
//  3. ruleTexts, keyed by the rule id (string.max_len, enum.defined_only, ...), for rules
//     whose meaning is in their id and value: lengths, counts, bounds, enum members.
//
// The tables are here and not in each service because the shapes and rules are the API's
// (proto/yaosu), shared across services, and pkg/grpcserver is the one place every
// violation passes through; a test here walks every buf.validate rule of proto/yaosu and
// proves each has words in both languages.

var (
	fieldTextsMu sync.RWMutex
	fieldTexts   = map[fieldRule]Text{}
)

type fieldRule struct {
	field protoreflect.FullName
	rule  string
}

// RegisterFieldText gives the violation of rule (a buf.validate rule id, e.g.
// "string.pattern") on field (e.g. "yaosu.catalog.v1.CatalogueMetadata.resource_code")
// better words than the generic ones. Call it at start, before serving; a later call for
// the same field and rule replaces the text.
func RegisterFieldText(field protoreflect.FullName, rule string, t Text) {
	fieldTextsMu.Lock()
	defer fieldTextsMu.Unlock()
	fieldTexts[fieldRule{field, rule}] = t
}

func registeredText(field protoreflect.FullName, rule string) (Text, bool) {
	fieldTextsMu.RLock()
	defer fieldTextsMu.RUnlock()
	t, ok := fieldTexts[fieldRule{field, rule}]
	return t, ok
}

// exampleUUID is the UUID the texts show as an example.
const exampleUUID = "0192a6f0-0000-7000-8000-000000000000"

// uuidShapes are both spellings of "a lowercase UUID" in proto/yaosu's name patterns.
var uuidShapes = []string{"[0-9a-f-]{36}", "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"}

// patternTexts: see above. Resource names are listed by their template (assets/{uuid});
// both spellings of the UUID are added by init.
var patternTexts = map[string]Text{
	"^[0-9]{4}-[0-9]{2}-[0-9]{2}$": {
		"must be a date written YYYY-MM-DD, e.g. 2026-03-01",
		"应为日期，格式为 年-月-日（YYYY-MM-DD），如 2026-03-01"},
	"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$": {
		"must be an 18-character unified social credit code (digits and capital letters, no I, O, S, V, Z), e.g. 91350100M000100Y43",
		"应为18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z），如 91350100M000100Y43"},
	"^[0-9]{2}([0-9]{2}){0,2}$": {
		"must be an administrative division code of 2, 4 or 6 digits (province, city or county), e.g. 35, 3501, 350102",
		"应为2、4或6位行政区划代码（省、市或县），如 35、3501、350102"},
	"^[0-9a-f]{64}$": {
		"must be a SHA-256 digest: 64 lowercase hexadecimal digits",
		"应为 SHA-256 摘要：64位小写十六进制字符（0-9、a-f）"},
	"^GRADE_(GENERAL|IMPORTANT|CORE)$": {
		"must be GRADE_GENERAL, GRADE_IMPORTANT or GRADE_CORE",
		"应为 GRADE_GENERAL（一般数据）、GRADE_IMPORTANT（重要数据）或 GRADE_CORE（核心数据）"},
	"^[0-9A-Za-z]{1,40}([/.-][0-9A-Za-z]{1,40})?$": {
		"must be letters and digits (at most 40), optionally followed by one /, . or - and up to 40 more, e.g. 101001/000123",
		"应为字母和数字（最多40个），可再接一个 /、. 或 - 及最多40个字母数字，如 101001/000123"},
}

// resourceNames are the resource-name templates of proto/yaosu, each with its Chinese noun.
var resourceNames = []struct{ template, en, zh string }{
	{"assets/{uuid}", "an asset name", "登记对象名称"},
	{"assets/{uuid}/applications/{uuid}", "an application name", "申请名称"},
	{"assets/{uuid}/applications/{uuid}/objections/{uuid}", "an objection name", "异议名称"},
	{"grants/{uuid}", "a grant name", "授权名称"},
	{"scenarios/{uuid}", "a scenario name", "场景名称"},
	{"scenarios/{uuid}/links/{uuid}", "a scenario link name", "场景数据关联名称"},
	{"alerts/{uuid}", "an alert name", "预警名称"},
}

func init() {
	for _, r := range resourceNames {
		example := strings.ReplaceAll(r.template, "{uuid}", exampleUUID)
		t := Text{
			fmt.Sprintf("must be %s, %s with each {uuid} a lowercase UUID, e.g. %s", r.en, r.template, example),
			fmt.Sprintf("应为%s，格式 %s（{uuid} 为小写 UUID），如 %s", r.zh, r.template, example),
		}
		for _, shape := range uuidShapes {
			patternTexts["^"+strings.ReplaceAll(r.template, "{uuid}", shape)+"$"] = t
		}
	}
	patternTexts["^assets/(-|[0-9a-f-]{36})$"] = Text{
		"must be assets/- (every asset) or an asset name, assets/{uuid} with a lowercase UUID, e.g. assets/" + exampleUUID,
		"应为 assets/-（全部登记对象）或登记对象名称 assets/{uuid}（{uuid} 为小写 UUID），如 assets/" + exampleUUID}
}

// optionalPrefix in front of a pattern allows the empty string as well.
const optionalPrefix = "^$|"

// patternText describes a string.pattern rule; ok is false when the pattern is unknown.
func patternText(pattern string) (Text, bool) {
	optional := strings.HasPrefix(pattern, optionalPrefix)
	t, ok := patternTexts[strings.TrimPrefix(pattern, optionalPrefix)]
	if !ok {
		return Text{"has the wrong format", "格式不正确"}, false
	}
	if optional {
		t = Text{"must be empty or " + strings.TrimPrefix(t.En, "must be "), "应留空，或" + strings.TrimPrefix(t.Zh, "应")}
	}
	return t, true
}

// Describe is the text of a violation of ruleID (a buf.validate rule id, as in
// buf.validate.Violation.rule_id) by field's value: a text registered for the field, else
// the pattern's or the rule's. ok is false when only a generic fallback was found (a test
// keeps that from happening for the rules proto/yaosu uses). Hand-written validators
// (MethodOptions.Validate) use it to report what protovalidate's path would.
func Describe(field protoreflect.FieldDescriptor, ruleID string) (t Text, ok bool) {
	if field == nil {
		return Text{"is not valid", "取值无效"}, false
	}
	if t, ok := registeredText(field.FullName(), ruleID); ok {
		return t, true
	}
	rules := typedRules(field, ruleID)
	if ruleID == "string.pattern" {
		return patternText(stringRule(rules, "pattern"))
	}
	if f, ok := ruleTexts[ruleID]; ok {
		return f(field, rules), true
	}
	if kind, op, ok := strings.Cut(ruleID, "."); ok && numericKinds[kind] && rules != nil {
		if t, ok := boundsText(rules, op); ok {
			return t, true
		}
	}
	return Text{"is not valid", "取值无效"}, false
}

// fieldRules is field's buf.validate.field option, nil if it has none.
func fieldRules(field protoreflect.FieldDescriptor) *validatepb.FieldRules {
	r, _ := proto.GetExtension(field.Options(), validatepb.E_Field).(*validatepb.FieldRules)
	return r
}

// typedRules finds the rules message (StringRules, RepeatedRules, ...) that holds ruleID
// for field: the field's own, or for a list its items' when the rule is not about the list.
func typedRules(field protoreflect.FieldDescriptor, ruleID string) protoreflect.Message {
	r := fieldRules(field)
	if r == nil {
		return nil
	}
	kind, _, _ := strings.Cut(ruleID, ".")
	m := r.ProtoReflect()
	if field.IsList() && kind != "repeated" && kind != "required" {
		if items := r.GetRepeated().GetItems(); items != nil {
			m = items.ProtoReflect()
		}
	}
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(kind))
	if fd == nil || fd.Message() == nil || !m.Has(fd) {
		return nil
	}
	return m.Get(fd).Message()
}

func stringRule(rules protoreflect.Message, name protoreflect.Name) string {
	if rules == nil {
		return ""
	}
	if fd := rules.Descriptor().Fields().ByName(name); fd != nil && rules.Has(fd) {
		return rules.Get(fd).String()
	}
	return ""
}

// scalarRule is a number-valued rule (max_len, min_items, ...) as text, "?" if absent.
func scalarRule(rules protoreflect.Message, name protoreflect.Name) string {
	if rules == nil {
		return "?"
	}
	fd := rules.Descriptor().Fields().ByName(name)
	if fd == nil || !rules.Has(fd) {
		return "?"
	}
	return scalarString(rules.Get(fd))
}

func scalarString(v protoreflect.Value) string {
	switch x := v.Interface().(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	}
	return v.String()
}

// listRule is a repeated rule's values, each rendered by name.
func listRule(rules protoreflect.Message, name protoreflect.Name, render func(protoreflect.Value) string) []string {
	if rules == nil {
		return nil
	}
	fd := rules.Descriptor().Fields().ByName(name)
	if fd == nil || !fd.IsList() {
		return nil
	}
	l := rules.Get(fd).List()
	out := make([]string, 0, l.Len())
	for i := range l.Len() {
		out = append(out, render(l.Get(i)))
	}
	return out
}

// enumName names enum number n of field's enum type (the number if it has no name).
func enumName(field protoreflect.FieldDescriptor, n protoreflect.EnumNumber) string {
	if e := field.Enum(); e != nil {
		if v := e.Values().ByNumber(n); v != nil {
			return string(v.Name())
		}
	}
	return strconv.Itoa(int(n))
}

// enumMembers lists the names of field's enum values other than the zero "unspecified".
func enumMembers(field protoreflect.FieldDescriptor) []string {
	e := field.Enum()
	if e == nil {
		return nil
	}
	var out []string
	for i := range e.Values().Len() {
		if v := e.Values().Get(i); v.Number() != 0 {
			out = append(out, string(v.Name()))
		}
	}
	return out
}

func enumList(field protoreflect.FieldDescriptor, rules protoreflect.Message, name protoreflect.Name) []string {
	return listRule(rules, name, func(v protoreflect.Value) string {
		return enumName(field, protoreflect.EnumNumber(v.Int()))
	})
}

func quotedList(rules protoreflect.Message, name protoreflect.Name) []string {
	return listRule(rules, name, func(v protoreflect.Value) string { return strconv.Quote(v.String()) })
}

func oneOf(values []string) Text {
	return Text{"must be one of: " + strings.Join(values, ", "), "应为以下之一：" + strings.Join(values, "、")}
}

func noneOf(values []string) Text {
	return Text{"must not be " + strings.Join(values, " or "), "不能为 " + strings.Join(values, "、")}
}

// ruleTexts: see above. Each renders the rule's values from the field's rules.
var ruleTexts = map[string]func(field protoreflect.FieldDescriptor, rules protoreflect.Message) Text{
	"required": func(protoreflect.FieldDescriptor, protoreflect.Message) Text {
		return Text{"is required", "必须填写"}
	},
	"string.min_len": func(_ protoreflect.FieldDescriptor, r protoreflect.Message) Text {
		if n := scalarRule(r, "min_len"); n != "1" {
			return Text{"must be at least " + n + " characters", "至少应有" + n + "个字符"}
		}
		return Text{"must not be empty", "不能为空"}
	},
	"string.max_len": func(_ protoreflect.FieldDescriptor, r protoreflect.Message) Text {
		n := scalarRule(r, "max_len")
		return Text{"must be at most " + n + " characters", "不能超过" + n + "个字符"}
	},
	"string.len": func(_ protoreflect.FieldDescriptor, r protoreflect.Message) Text {
		n := scalarRule(r, "len")
		return Text{"must be exactly " + n + " characters", "应为" + n + "个字符"}
	},
	"string.uuid": func(protoreflect.FieldDescriptor, protoreflect.Message) Text {
		return Text{"must be a UUID, e.g. " + exampleUUID, "应为 UUID，如 " + exampleUUID}
	},
	"string.uuid_empty": func(protoreflect.FieldDescriptor, protoreflect.Message) Text {
		return Text{"is required: a UUID, e.g. " + exampleUUID, "必须填写：UUID，如 " + exampleUUID}
	},
	"string.in": func(_ protoreflect.FieldDescriptor, r protoreflect.Message) Text {
		return oneOf(quotedList(r, "in"))
	},
	"string.not_in": func(_ protoreflect.FieldDescriptor, r protoreflect.Message) Text {
		return noneOf(quotedList(r, "not_in"))
	},
	"repeated.min_items": func(_ protoreflect.FieldDescriptor, r protoreflect.Message) Text {
		n := scalarRule(r, "min_items")
		return Text{"must have at least " + n + " item(s)", "至少应有" + n + "项"}
	},
	"repeated.max_items": func(_ protoreflect.FieldDescriptor, r protoreflect.Message) Text {
		n := scalarRule(r, "max_items")
		return Text{"must have at most " + n + " items", "不能超过" + n + "项"}
	},
	"repeated.unique": func(protoreflect.FieldDescriptor, protoreflect.Message) Text {
		return Text{"must not list an item twice", "不能有重复项"}
	},
	"enum.defined_only": func(f protoreflect.FieldDescriptor, _ protoreflect.Message) Text {
		return oneOf(enumMembers(f))
	},
	"enum.in": func(f protoreflect.FieldDescriptor, r protoreflect.Message) Text {
		return oneOf(enumList(f, r, "in"))
	},
	"enum.not_in": func(f protoreflect.FieldDescriptor, r protoreflect.Message) Text {
		names := enumList(f, r, "not_in")
		if len(names) == 1 && strings.HasSuffix(names[0], "_UNSPECIFIED") {
			m := enumMembers(f)
			return Text{"must be set to one of: " + strings.Join(m, ", "), "必须选择以下之一：" + strings.Join(m, "、")}
		}
		return noneOf(names)
	},
	"enum.const": func(f protoreflect.FieldDescriptor, r protoreflect.Message) Text {
		n := enumName(f, protoreflect.EnumNumber(0))
		if r != nil {
			if fd := r.Descriptor().Fields().ByName("const"); fd != nil {
				n = enumName(f, protoreflect.EnumNumber(r.Get(fd).Int()))
			}
		}
		return Text{"must be " + n, "应为 " + n}
	},
}

// numericKinds are the rule kinds whose ids are bounds (int32.gte, double.gt_lt, ...).
var numericKinds = map[string]bool{"int32": true, "int64": true, "uint32": true, "uint64": true,
	"sint32": true, "sint64": true, "fixed32": true, "fixed64": true, "sfixed32": true,
	"sfixed64": true, "float": true, "double": true}

// boundsText describes a numeric rule (op: gt, gte_lte, const, in, finite, ...) from the
// bounds set in rules, so "int32.gte_lte" reads "must be at least 0 and at most 5".
func boundsText(rules protoreflect.Message, op string) (Text, bool) {
	switch op {
	case "const":
		v := scalarRule(rules, "const")
		return Text{"must be " + v, "应为 " + v}, true
	case "in":
		return oneOf(listRule(rules, "in", scalarString)), true
	case "not_in":
		return noneOf(listRule(rules, "not_in", scalarString)), true
	case "finite":
		return Text{"must be a finite number", "应为有限数值"}, true
	}
	words := []struct {
		name   protoreflect.Name
		en, zh string
	}{{"gt", "greater than", "大于"}, {"gte", "at least", "不小于"}, {"lt", "less than", "小于"}, {"lte", "at most", "不大于"}}
	var en, zh []string
	for _, w := range words {
		if v := scalarRule(rules, w.name); v != "?" {
			en, zh = append(en, w.en+" "+v), append(zh, w.zh+v)
		}
	}
	if len(en) == 0 {
		return Text{}, false
	}
	joinEn, joinZh := " and ", "且"
	if strings.HasSuffix(op, "_exclusive") {
		joinEn, joinZh = " or ", "或"
	}
	return Text{"must be " + strings.Join(en, joinEn), "应" + strings.Join(zh, joinZh)}, true
}
