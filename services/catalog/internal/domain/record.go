package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"yaosu.dev/pkg/errs"
)

// Enumerated values. They are the names of the catalogv1 enum values, so the gRPC adapter
// converts by name and a test keeps the two in step.
const (
	KindDataResource = "ASSET_KIND_DATA_RESOURCE"
	KindDataProduct  = "ASSET_KIND_DATA_PRODUCT"

	GradeGeneral   = "GRADE_GENERAL"
	GradeImportant = "GRADE_IMPORTANT"
	GradeCore      = "GRADE_CORE"

	SharingUnconditional = "SHARING_ATTRIBUTE_UNCONDITIONAL"
	SharingConditional   = "SHARING_ATTRIBUTE_CONDITIONAL"
	SharingNotShared     = "SHARING_ATTRIBUTE_NOT_SHARED"

	OpenUnconditional = "OPEN_ATTRIBUTE_UNCONDITIONAL"
	OpenConditional   = "OPEN_ATTRIBUTE_CONDITIONAL"
	OpenNotOpen       = "OPEN_ATTRIBUTE_NOT_OPEN"
)

// Record is the descriptive part of an asset: everything the holder declares. Its JSON form
// uses the API's field names, so field masks, revision diffs and the stored document all
// speak the same paths (e.g. `catalogue.resource_code`).
type Record struct {
	DisplayName        string     `json:"display_name,omitempty"`
	Summary            string     `json:"summary,omitempty"`
	HolderOrganisation string     `json:"holder_organisation,omitempty"`
	Kind               string     `json:"kind,omitempty"`
	ProductForm        string     `json:"product_form,omitempty"`
	HolderName         string     `json:"holder_name,omitempty"`
	Agent              *Agent     `json:"agent,omitempty"`
	DataSource         string     `json:"data_source,omitempty"`
	LegalBasis         string     `json:"legal_basis,omitempty"`
	Evidence           []Document `json:"evidence,omitempty"`
	Category           string     `json:"category,omitempty"`
	CodeListVersion    string     `json:"code_list_version,omitempty"`
	Sectors            []string   `json:"sectors,omitempty"`
	Grade              string     `json:"grade,omitempty"`
	SharingAttribute   string     `json:"sharing_attribute,omitempty"`
	SharingConditions  string     `json:"sharing_conditions,omitempty"`
	SharingBasis       string     `json:"sharing_basis,omitempty"`
	OpenAttribute      string     `json:"open_attribute,omitempty"`
	OpenConditions     string     `json:"open_conditions,omitempty"`
	DataFormat         string     `json:"data_format,omitempty"`
	// int64 travels as a JSON string, as protojson writes it.
	VolumeRecords    int64      `json:"volume_records,omitempty,string"`
	VolumeBytes      int64      `json:"volume_bytes,omitempty,string"`
	UpdateCycle      string     `json:"update_cycle,omitempty"`
	CoverageStart    string     `json:"coverage_start,omitempty"`
	CoverageEnd      string     `json:"coverage_end,omitempty"`
	StorageLocation  string     `json:"storage_location,omitempty"`
	StorageMode      string     `json:"storage_mode,omitempty"`
	SecurityMeasures string     `json:"security_measures,omitempty"`
	Fields           []Field    `json:"fields,omitempty"`
	Contacts         []Contact  `json:"contacts,omitempty"`
	Tags             []string   `json:"tags,omitempty"`
	Catalogue        *Catalogue `json:"catalogue,omitempty"`
}

// Agent is the agent (委托代理) filing for the holder.
type Agent struct {
	Organisation string `json:"organisation,omitempty"`
	Name         string `json:"name,omitempty"`
}

// Document is an evidence document referenced by its SHA-256.
type Document struct {
	Name      string `json:"name,omitempty"`
	SHA256    string `json:"sha256,omitempty"`
	SizeBytes int64  `json:"size_bytes,omitempty,string"`
	Kind      string `json:"kind,omitempty"`
}

// Field is one data item (信息项).
type Field struct {
	Name        string `json:"name,omitempty"`
	Type        string `json:"type,omitempty"`
	Description string `json:"description,omitempty"`
	Sensitive   bool   `json:"sensitive,omitempty"`
}

// Contact is a person to contact.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Role  string `json:"role,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// Catalogue is the government data catalogue's core metadata (GB/T 21063).
type Catalogue struct {
	ClassCategory        string   `json:"class_category,omitempty"`
	ClassItem            string   `json:"class_item,omitempty"`
	ClassHeading         string   `json:"class_heading,omitempty"`
	ClassSubheading      string   `json:"class_subheading,omitempty"`
	ResourceCode         string   `json:"resource_code,omitempty"`
	ProviderName         string   `json:"provider_name,omitempty"`
	SharingMethod        string   `json:"sharing_method,omitempty"`
	PublicationDate      string   `json:"publication_date,omitempty"`
	RelatedResourceCodes []string `json:"related_resource_codes,omitempty"`
	// Theme is 主题分类, a code of the theme list (GB/T 21063.4), beside the industry in
	// Record.Category.
	Theme string `json:"theme,omitempty"`
}

// ResourceCode returns the catalogue resource code, "" if none.
func (r Record) ResourceCode() string {
	if r.Catalogue == nil {
		return ""
	}
	return r.Catalogue.ResourceCode
}

// Clone returns a deep copy of r.
func (r Record) Clone() Record {
	c := r
	c.Evidence = slices.Clone(r.Evidence)
	c.Sectors = slices.Clone(r.Sectors)
	c.Fields = slices.Clone(r.Fields)
	c.Contacts = slices.Clone(r.Contacts)
	c.Tags = slices.Clone(r.Tags)
	if r.Agent != nil {
		a := *r.Agent
		c.Agent = &a
	}
	if r.Catalogue != nil {
		cat := *r.Catalogue
		cat.RelatedResourceCodes = slices.Clone(r.Catalogue.RelatedResourceCodes)
		c.Catalogue = &cat
	}
	return c
}

// CodeLists answers whether a code exists in one code-list version and which code a word
// stands for. The store implements it over the code_lists tables; codes are data, not Go
// constants.
type CodeLists interface {
	// Version is the version these lists are.
	Version() string
	// Has reports whether list contains code.
	Has(list, code string) bool
	// Resolve returns the code word stands for in list: the code itself, its Chinese or
	// English label, or one of its aliases.
	Resolve(list, word string) (code string, ok bool)
	// Entries returns list's codes in list order; none when the version has no such list.
	Entries(list string) []CodeEntry
}

// Code-list names.
const (
	ListCategory      = "category"
	ListSector        = "sector"
	ListProductForm   = "product_form"
	ListUpdateCycle   = "update_cycle"
	ListStorageMode   = "storage_mode"
	ListSharingMethod = "sharing_method"
	ListRefusalReason = "refusal_reason"
)

// DocumentPowerOfAttorney is the document kind of the holder's power of attorney (授权委托书),
// which a record filed by an agent needs before submission.
const DocumentPowerOfAttorney = "power_of_attorney"

var (
	sha256Pattern       = regexp.MustCompile(`^[0-9a-f]{64}$`)
	resourceCodePattern = regexp.MustCompile(`^[0-9A-Za-z]{1,40}([/.-][0-9A-Za-z]{1,40})?$`)
	enumValues          = map[string][]string{
		"kind":              {KindDataResource, KindDataProduct},
		"grade":             {GradeGeneral, GradeImportant, GradeCore},
		"sharing_attribute": {SharingUnconditional, SharingConditional, SharingNotShared},
		"open_attribute":    {OpenUnconditional, OpenConditional, OpenNotOpen},
	}
)

// Normalize trims surrounding space from the record's text and drops empty list entries,
// so "  x " and "x" are the same record.
func (r *Record) Normalize() {
	for _, p := range []*string{&r.DisplayName, &r.Summary, &r.HolderOrganisation, &r.ProductForm, &r.HolderName,
		&r.DataSource, &r.LegalBasis, &r.Category, &r.CodeListVersion, &r.SharingConditions, &r.SharingBasis,
		&r.OpenConditions, &r.DataFormat, &r.UpdateCycle, &r.CoverageStart, &r.CoverageEnd, &r.StorageLocation,
		&r.StorageMode, &r.SecurityMeasures} {
		*p = strings.TrimSpace(*p)
	}
	r.Tags = trimList(r.Tags)
	r.Sectors = trimList(r.Sectors)
	if r.Agent != nil {
		r.Agent.Organisation, r.Agent.Name = strings.TrimSpace(r.Agent.Organisation), strings.TrimSpace(r.Agent.Name)
		if *r.Agent == (Agent{}) {
			r.Agent = nil
		}
	}
	if c := r.Catalogue; c != nil {
		for _, p := range []*string{&c.ClassCategory, &c.ClassItem, &c.ClassHeading, &c.ClassSubheading,
			&c.ResourceCode, &c.ProviderName, &c.SharingMethod, &c.PublicationDate, &c.Theme} {
			*p = strings.TrimSpace(*p)
		}
		c.RelatedResourceCodes = trimList(c.RelatedResourceCodes)
		if c.ClassCategory == "" && c.ClassItem == "" && c.ClassHeading == "" && c.ClassSubheading == "" &&
			c.ResourceCode == "" && c.ProviderName == "" && c.SharingMethod == "" && c.PublicationDate == "" &&
			c.Theme == "" && len(c.RelatedResourceCodes) == 0 {
			r.Catalogue = nil
		}
	}
	for i := range r.Fields {
		r.Fields[i].Name = strings.TrimSpace(r.Fields[i].Name)
		r.Fields[i].Type = strings.TrimSpace(r.Fields[i].Type)
	}
}

func trimList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Validate checks what every stored record must satisfy, draft or not: well-formed values,
// codes from the cited code-list version, and the attribute rules. It returns the first
// broken rule's error, carrying every field violation found. It first replaces every coded
// value written as a label or an alias by its code (ResolveCodes), so whatever path a record
// takes to be stored, it stores codes.
//
// The order matters for the reason reported: core data first (FAILED_PRECONDITION: the
// record may be well-formed but can never be registered), then malformed fields, then the
// sharing/opening rules (INVALID_ARGUMENT with the rule's reason).
func (r *Record) Validate(codes CodeLists) error {
	r.ResolveCodes(codes)
	if r.Grade == GradeCore {
		return errs.FailedPrecondition(ReasonCoreData, "core data (核心数据) cannot be registered")
	}
	var v violations
	switch n := utf8.RuneCountInString(r.DisplayName); {
	case n == 0:
		v.add(errs.ReasonValidation, "display_name", "must not be blank", "不能为空")
	case n > 200:
		v.add(errs.ReasonValidation, "display_name", "must be at most 200 characters", "不能超过200个字符")
	}
	if !ValidUSCC(r.HolderOrganisation) {
		v.add(ReasonInvalidOrganisationCode, "holder_organisation", "not a valid unified social credit code (GB 32100 check digit)", usccZh)
	}
	if r.Agent != nil && r.Agent.Organisation != "" && !ValidUSCC(r.Agent.Organisation) {
		v.add(ReasonInvalidOrganisationCode, "agent.organisation", "not a valid unified social credit code (GB 32100 check digit)", usccZh)
	}
	for field, allowed := range enumValues {
		if val := r.enumField(field); val != "" && !slices.Contains(allowed, val) {
			v.add(errs.ReasonValidation, field, "unknown value "+val, "未知的取值 "+val+"；应为以下之一："+strings.Join(allowed, "、"))
		}
	}
	if r.Kind == KindDataResource && r.ProductForm != "" {
		v.add(errs.ReasonValidation, "product_form", "only data products have a product form", "只有数据产品才有产品形态")
	}
	checkDocuments(&v, "evidence", r.Evidence)
	seen := map[string]bool{}
	for i, f := range r.Fields {
		p := fmt.Sprintf("fields[%d].name", i)
		switch {
		case f.Name == "":
			v.add(errs.ReasonValidation, p, "must not be blank", "不能为空")
		case seen[f.Name]:
			v.add(errs.ReasonValidation, p, "duplicate field name "+f.Name, "字段名重复："+f.Name)
		}
		seen[f.Name] = true
	}
	for i, c := range r.Contacts {
		if strings.TrimSpace(c.Name) == "" {
			v.add(errs.ReasonValidation, fmt.Sprintf("contacts[%d].name", i), "must not be blank", "不能为空")
		}
	}
	if r.VolumeRecords < 0 {
		v.add(errs.ReasonValidation, "volume_records", "must not be negative", "不能为负数")
	}
	if r.VolumeBytes < 0 {
		v.add(errs.ReasonValidation, "volume_bytes", "must not be negative", "不能为负数")
	}
	start, okStart := date(r.CoverageStart)
	end, okEnd := date(r.CoverageEnd)
	if !okStart {
		v.add(errs.ReasonValidation, "coverage_start", "must be a date YYYY-MM-DD", dateZh)
	}
	if !okEnd {
		v.add(errs.ReasonValidation, "coverage_end", "must be a date YYYY-MM-DD", dateZh)
	}
	if okStart && okEnd && !start.IsZero() && !end.IsZero() && end.Before(start) {
		v.add(errs.ReasonValidation, "coverage_end", "must not be before coverage_start", "不能早于覆盖起始日期（coverage_start）")
	}
	if c := r.Catalogue; c != nil {
		if c.ResourceCode != "" && !resourceCodePattern.MatchString(c.ResourceCode) {
			v.add(errs.ReasonValidation, "catalogue.resource_code", "must be a classification code and a sequence code, e.g. 101001/000123",
				"应为信息资源代码：分类代码加顺序码，如 101001/000123")
		}
		if _, ok := date(c.PublicationDate); !ok {
			v.add(errs.ReasonValidation, "catalogue.publication_date", "must be a date YYYY-MM-DD", dateZh)
		}
	}
	r.checkCodes(&v, codes)
	// The attribute rules (domain.md §5).
	if r.SharingAttribute == SharingNotShared && r.OpenAttribute != "" && r.OpenAttribute != OpenNotOpen {
		v.add(ReasonNotSharedImpliesNotOpen, "open_attribute", "不予共享 data must be 不予开放 (OPEN_ATTRIBUTE_NOT_OPEN)",
			"不予共享的数据应为不予开放（OPEN_ATTRIBUTE_NOT_OPEN）")
	}
	if r.SharingAttribute == SharingConditional && strings.TrimSpace(r.SharingConditions) == "" {
		v.add(ReasonConditionsRequired, "sharing_conditions", "有条件共享 needs its sharing conditions", "有条件共享须填写共享条件")
	}
	if r.OpenAttribute == OpenConditional && strings.TrimSpace(r.OpenConditions) == "" {
		v.add(ReasonConditionsRequired, "open_conditions", "有条件开放 needs its opening conditions", "有条件开放须填写开放条件")
	}
	if r.SharingAttribute == SharingNotShared && strings.TrimSpace(r.SharingBasis) == "" {
		v.add(ReasonSharingBasisRequired, "sharing_basis", "不予共享 needs the legal or policy basis for not sharing",
			"不予共享须填写不予共享的法律或政策依据")
	}
	return v.err(errs.KindInvalidArgument)
}

// CheckComplete checks that the record has what a registration application needs
// (ERROR_REASON_INCOMPLETE_RECORD): one violation per missing field, every one of them, so
// a registrar sees the whole list at once (`yaosuctl asset check`). A record filed by an
// agent (委托代理) also needs the holder's power of attorney (授权委托书) among its evidence.
func (r *Record) CheckComplete() error {
	var v violations
	missing := func(path string, empty bool) {
		if empty {
			v.add(ReasonIncompleteRecord, path, "required before submission", "提交登记申请前必须填写")
		}
	}
	missing("summary", r.Summary == "")
	missing("kind", r.Kind == "")
	missing("product_form", r.Kind == KindDataProduct && r.ProductForm == "")
	missing("data_source", r.DataSource == "")
	missing("legal_basis", r.LegalBasis == "")
	missing("evidence", len(r.Evidence) == 0)
	if r.Agent != nil && !slices.ContainsFunc(r.Evidence, func(d Document) bool { return d.Kind == DocumentPowerOfAttorney }) {
		v.add(ReasonIncompleteRecord, "evidence",
			"an agent (委托代理) files this record: attach the holder's power of attorney (a document of kind "+DocumentPowerOfAttorney+")",
			"该记录由代理单位办理：须附持有单位的授权委托书（文件类型 "+DocumentPowerOfAttorney+"）")
	}
	missing("category", r.Category == "")
	missing("grade", r.Grade == "")
	missing("sharing_attribute", r.SharingAttribute == "")
	missing("open_attribute", r.OpenAttribute == "")
	missing("data_format", r.DataFormat == "")
	missing("update_cycle", r.UpdateCycle == "")
	missing("storage_location", r.StorageLocation == "")
	missing("security_measures", r.SecurityMeasures == "")
	missing("fields", len(r.Fields) == 0)
	missing("contacts", len(r.Contacts) == 0)
	return v.err(errs.KindFailedPrecondition)
}

func (r *Record) enumField(name string) string {
	switch name {
	case "kind":
		return r.Kind
	case "grade":
		return r.Grade
	case "sharing_attribute":
		return r.SharingAttribute
	case "open_attribute":
		return r.OpenAttribute
	}
	return ""
}

// The Chinese texts several rules share.
const (
	usccZh = "不是有效的统一社会信用代码（GB 32100 校验码不符）"
	dateZh = "应为日期，格式为 年-月-日（YYYY-MM-DD），如 2026-03-01"
)

func date(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// violations collects field violations; the error's reason is the first violation's rule.
type violations struct {
	reason string
	list   []errs.FieldViolation
}

// add records that field breaks reason's rule, described in English (en) and Chinese (zh).
func (v *violations) add(reason, field, en, zh string) {
	if v.reason == "" || (v.reason == errs.ReasonValidation && reason != errs.ReasonValidation) {
		// A named rule beats the generic reason, so callers can branch on it.
		v.reason = reason
	}
	if !strings.HasPrefix(field, "disposal.") {
		field = "asset." + field
	}
	v.list = append(v.list, errs.Violation(field, en, zh))
}

func (v *violations) err(kind errs.Kind) error {
	if len(v.list) == 0 {
		return nil
	}
	e := errs.InvalidArgument(v.reason, v.list...)
	e.Kind = kind
	return e
}

// checkDocuments adds the violations of docs, found at path.
func checkDocuments(v *violations, path string, docs []Document) {
	for i, d := range docs {
		p := fmt.Sprintf("%s[%d]", path, i)
		if strings.TrimSpace(d.Name) == "" {
			v.add(errs.ReasonValidation, p+".name", "must not be blank", "不能为空")
		}
		if !sha256Pattern.MatchString(d.SHA256) {
			v.add(errs.ReasonValidation, p+".sha256", "must be 64 lowercase hex digits", "应为 SHA-256 摘要：64位小写十六进制字符")
		}
		if d.SizeBytes < 0 {
			v.add(errs.ReasonValidation, p+".size_bytes", "must not be negative", "不能为负数")
		}
	}
}

// validateDocuments checks documents outside the record (disposal evidence) by the same
// rules as the record's evidence.
func (r *Record) validateDocuments(path string) error {
	var v violations
	checkDocuments(&v, path, r.Evidence)
	return v.err(errs.KindInvalidArgument)
}
