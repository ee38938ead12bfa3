package domain

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"yaosu.dev/pkg/uscc"
)

// UnitKind is the type of a unit (单位) for the ledger's rules: which regime governs its data
// assets and what it may do with them. The zero value means "not set" and is used only by
// UnitType.Override.
type UnitKind int

// Unit kinds.
const (
	UnitKindUnset UnitKind = iota
	// UnitAdministrative is an administrative unit (行政单位): 机关, USCC kind 11.
	UnitAdministrative
	// UnitPublicInstitution is a public institution (事业单位), USCC kind 12.
	UnitPublicInstitution
	// UnitEnterprise is an enterprise (企业) registered with market regulation, USCC kind 91.
	UnitEnterprise
	// UnitOther is every other unit: social organisations, individual businesses,
	// co-operatives, units with a code the ledger cannot read.
	UnitOther
)

// enumNames are the names of one value of an enum: the stable name (storage, API), English
// and Chinese. The enums of this package keep them in a table indexed by value.
type enumNames struct{ name, en, zh string }

// namesOf is table[k], or "unknown" / "未知" when k is outside the table.
func namesOf[K ~int](table []enumNames, k K) enumNames {
	if k < 0 || int(k) >= len(table) {
		return enumNames{"unknown", "unknown", "未知"}
	}
	return table[k]
}

var unitKindNames = [...]enumNames{
	UnitKindUnset:         {"unset", "not set", "未设置"},
	UnitAdministrative:    {"administrative", "administrative unit", "行政单位"},
	UnitPublicInstitution: {"public_institution", "public institution", "事业单位"},
	UnitEnterprise:        {"enterprise", "enterprise", "企业"},
	UnitOther:             {"other", "other unit", "其他单位"},
}

// Valid reports whether k is one of the four unit kinds (not UnitKindUnset).
func (k UnitKind) Valid() bool { return k >= UnitAdministrative && k <= UnitOther }

// String is the stable name used in storage and the API ("public_institution").
func (k UnitKind) String() string { return namesOf(unitKindNames[:], k).name }

// En and Zh name the kind for people.
func (k UnitKind) En() string { return namesOf(unitKindNames[:], k).en }

// Zh names the kind in Chinese.
func (k UnitKind) Zh() string { return namesOf(unitKindNames[:], k).zh }

// ParseUnitKind reads a kind by its stable name.
func ParseUnitKind(s string) (UnitKind, error) {
	for k := UnitAdministrative; k <= UnitOther; k++ {
		if unitKindNames[k].name == s {
			return k, nil
		}
	}
	return UnitKindUnset, &RuleError{ReasonInvalidUnitType,
		"unit type " + strconv.Quote(s) + " is not one of administrative, public_institution, enterprise, other",
		"单位类型" + strconv.Quote(s) + "无效，应为行政单位、事业单位、企业或其他单位之一"}
}

// Regime is the body of rules that governs a unit's data assets.
type Regime int

// Regimes.
const (
	// RegimeUndetermined: neither text names the unit (social organisations, foundations,
	// individual businesses, co-operatives keep their own accounting systems). Rules that
	// depend on the regime must treat it explicitly; an admin override of the unit type
	// settles it where one of the regimes does apply.
	RegimeUndetermined Regime = iota
	// RegimePublicSector: administrative units and public institutions (行政事业单位) follow
	// 财资〔2024〕1号 《关于加强行政事业单位数据资产管理的通知》.
	RegimePublicSector
	// RegimeEnterprise: enterprises follow 财会〔2023〕11号 《企业数据资源相关会计处理暂行规定》
	// (in force since 2024-01-01).
	RegimeEnterprise
)

// String is the regime's stable name.
func (r Regime) String() string {
	switch r {
	case RegimePublicSector:
		return "public_sector"
	case RegimeEnterprise:
		return "enterprise"
	}
	return "undetermined"
}

// Document cites the text that governs the regime ("" when undetermined).
func (r Regime) Document() string {
	switch r {
	case RegimePublicSector:
		return "财资〔2024〕1号"
	case RegimeEnterprise:
		return "财会〔2023〕11号"
	}
	return ""
}

// Regime is the regime for units of kind k: 行政事业单位 (administrative units and public
// institutions) → 财资〔2024〕1号; enterprises → 财会〔2023〕11号; others undetermined.
func (k UnitKind) Regime() Regime {
	switch k {
	case UnitAdministrative, UnitPublicInstitution:
		return RegimePublicSector
	case UnitEnterprise:
		return RegimeEnterprise
	}
	return RegimeUndetermined
}

// USCC is a parsed unified social credit code (统一社会信用代码, GB 32100-2015): 18
// characters; position 1 the registering authority (登记管理部门代码), 2 the kind of unit
// (机构类别代码), 3–8 the administrative division of the registering authority (GB/T 2260),
// 9–17 the subject identifier (the GB 11714 organisation code), 18 the check character.
type USCC struct {
	Code      string
	Authority byte // position 1
	Kind      byte // position 2
	Division  string
	OrgCode   string
}

// ParseUSCC checks code with the rule the catalog uses (pkg/uscc: 18 characters of the
// alphabet, positions 3–8 digits, the check character right) and splits it. Surrounding spaces are ignored;
// lower case is not accepted, as in the catalog, so a code has one spelling.
func ParseUSCC(code string) (USCC, error) {
	code = strings.TrimSpace(code)
	bad := func(en, zh string) (USCC, error) {
		return USCC{}, &RuleError{ReasonInvalidUSCC, strconv.Quote(code) + " is not a unified social credit code: " + en,
			strconv.Quote(code) + "不是有效的统一社会信用代码：" + zh}
	}
	if len(code) != 18 || utf8.RuneCountInString(code) != 18 {
		return bad("it must have 18 characters", "应为18位")
	}
	switch fault, at := uscc.Check(code); fault {
	case uscc.Character:
		return bad("character "+strconv.Quote(code[at:at+1])+" is outside the GB 32100 alphabet (digits and capitals without I, O, Z, S, V)",
			"第"+strconv.Itoa(at+1)+"位字符不在GB 32100字符集内（数字及除I、O、Z、S、V以外的大写字母）")
	case uscc.Division:
		return bad("positions 3-8 (the administrative division) must be digits", "第3至8位（行政区划码）应为数字")
	case uscc.CheckCharacter:
		return bad("the check character (position 18) is wrong", "第18位校验码错误")
	}
	return USCC{Code: code, Authority: code[0], Kind: code[1], Division: code[2:8], OrgCode: code[8:17]}, nil
}

// usccKinds maps the first two characters (authority, kind) to a unit kind. Only three
// pairs lead to a regime (domain.md §7, issue 14): 11 机关 → administrative unit, 12 事业单位
// → public institution, 91 企业 → enterprise. Every other pair is UnitOther, including:
//   - 13 (群众团体 whose staffing the central staffing office manages) and 19 (other bodies
//     registered by 机构编制): they may keep government accounts, but the code does not say
//     so; an admin override settles it.
//   - 51 社会团体, 52 民办非企业单位 (社会服务机构), 53 基金会, 59: 民间非营利组织会计制度.
//   - 92 个体工商户 and 93 农民专业合作社: registered by market regulation but not
//     enterprises, and neither uses the enterprise accounting standards as of right.
//   - A1 (military public institutions, registered by the CMC's staffing office): outside the
//     civil regimes.
var usccKinds = map[string]UnitKind{
	"11": UnitAdministrative,
	"12": UnitPublicInstitution,
	"91": UnitEnterprise,
}

// usccAuthorities names the registering authorities (position 1). 1, 5, 9 and Y are in
// GB 32100-2015 itself; the others were assigned later by the code administration [U: from
// published code tables, not from the standard's text; they are used for display only, never
// for a rule].
var usccAuthorities = map[byte][2]string{
	'1': {"staffing (机构编制)", "机构编制"},
	'2': {"foreign affairs", "外交"},
	'3': {"justice", "司法行政"},
	'4': {"culture", "文化"},
	'5': {"civil affairs", "民政"},
	'6': {"tourism", "旅游"},
	'7': {"religious affairs", "宗教"},
	'8': {"trade unions", "工会"},
	'9': {"market regulation (工商)", "工商"},
	'A': {"CMC staffing office", "中央军委改革和编制办公室"},
	'N': {"agriculture", "农业"},
	'Y': {"other", "其他"},
}

// usccKindNames names the kinds (position 2) of the three authorities in GB 32100-2015.
var usccKindNames = map[string]string{
	"11": "机关", "12": "事业单位", "13": "中央编办直接管理机构编制的群众团体", "19": "其他",
	"51": "社会团体", "52": "民办非企业单位", "53": "基金会", "59": "其他",
	"91": "企业", "92": "个体工商户", "93": "农民专业合作社",
}

// AuthorityZh names the registering authority in Chinese ("" if the ledger does not know it).
func (u USCC) AuthorityZh() string { return usccAuthorities[u.Authority][1] }

// AuthorityEn names the registering authority in English ("" if unknown).
func (u USCC) AuthorityEn() string { return usccAuthorities[u.Authority][0] }

// KindZh names the kind of unit in Chinese ("" if unknown).
func (u USCC) KindZh() string { return usccKindNames[string([]byte{u.Authority, u.Kind})] }

// UnitKind is the unit kind the code's first two characters give (see usccKinds).
func (u USCC) UnitKind() UnitKind {
	if k, ok := usccKinds[string([]byte{u.Authority, u.Kind})]; ok {
		return k
	}
	return UnitOther
}

// DeriveUnitKind is the unit kind of the holder of code. A malformed code gives UnitOther
// and the error, so a caller that must store something stores Other and reports the error.
func DeriveUnitKind(code string) (UnitKind, error) {
	u, err := ParseUSCC(code)
	if err != nil {
		return UnitOther, err
	}
	return u.UnitKind(), nil
}

// maxOverrideReasonRunes bounds the reason of an override.
const maxOverrideReasonRunes = 500

// UnitType is the type stored on a ledger card (issue 14): the kind derived from the
// holder's code, and an admin's override with its reason. Who overrode it and when is in
// the card's events and the audit log, not here.
type UnitType struct {
	Derived        UnitKind
	Override       UnitKind // UnitKindUnset: no override
	OverrideReason string
}

// DeriveUnitType derives the type from code with no override (see DeriveUnitKind).
func DeriveUnitType(code string) (UnitType, error) {
	k, err := DeriveUnitKind(code)
	return UnitType{Derived: k}, err
}

// Effective is the kind the ledger's rules use: the override if there is one, else the
// derived kind.
func (t UnitType) Effective() UnitKind {
	if t.Override.Valid() {
		return t.Override
	}
	return t.Derived
}

// Regime is the regime of the effective kind.
func (t UnitType) Regime() Regime { return t.Effective().Regime() }

// Overridden reports whether an admin has overridden the derived kind.
func (t UnitType) Overridden() bool { return t.Override.Valid() }

// WithOverride returns t with the kind overridden to k for reason. The reason is required:
// the derived type follows a national standard, so departing from it must be explained
// (the admin role itself is checked by the caller). An override equal to the derived kind is
// kept: it records that someone checked.
func (t UnitType) WithOverride(k UnitKind, reason string) (UnitType, error) {
	if !k.Valid() {
		return t, &RuleError{ReasonInvalidUnitType, "an override must name a unit type (use ClearOverride to remove one)",
			"覆盖须指定单位类型（取消覆盖请用清除操作）"}
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > maxOverrideReasonRunes {
		return t, &RuleError{ReasonOverrideReasonRequired,
			"overriding the unit type derived from the unified social credit code needs a reason of at most " + strconv.Itoa(maxOverrideReasonRunes) + " characters",
			"覆盖依统一社会信用代码得出的单位类型须填写理由（不超过" + strconv.Itoa(maxOverrideReasonRunes) + "字）"}
	}
	t.Override, t.OverrideReason = k, reason
	return t, nil
}

// ClearOverride returns t back on its derived kind.
func (t UnitType) ClearOverride() UnitType {
	t.Override, t.OverrideReason = UnitKindUnset, ""
	return t
}
