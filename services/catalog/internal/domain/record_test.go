package domain_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/catalog/internal/domain"
)

func TestCompleteRecordIsValid(t *testing.T) {
	t.Parallel()
	r := completeRecord()
	require.NoError(t, r.Validate(codes))
	require.NoError(t, r.CheckComplete())
	r.CodeListVersion = codes.Version()
	require.NoError(t, r.Validate(codes))
}

func TestValidateRules(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		edit   func(*domain.Record)
		kind   errs.Kind
		reason string
		fields []string
	}{
		"core data": {func(r *domain.Record) { r.Grade = domain.GradeCore }, errs.KindFailedPrecondition, domain.ReasonCoreData, nil},
		"core data beats malformed fields": {func(r *domain.Record) { r.Grade, r.DisplayName, r.HolderOrganisation = domain.GradeCore, "", "bad" },
			errs.KindFailedPrecondition, domain.ReasonCoreData, nil},
		"not shared but open": {func(r *domain.Record) {
			r.SharingAttribute, r.SharingBasis, r.OpenAttribute = domain.SharingNotShared, "涉及国家秘密以外的敏感信息", domain.OpenUnconditional
		}, errs.KindInvalidArgument, domain.ReasonNotSharedImpliesNotOpen, []string{"asset.open_attribute"}},
		"not shared but conditionally open": {func(r *domain.Record) {
			r.SharingAttribute, r.SharingBasis = domain.SharingNotShared, "依据"
			r.OpenAttribute, r.OpenConditions = domain.OpenConditional, "仅限科研"
		}, errs.KindInvalidArgument, domain.ReasonNotSharedImpliesNotOpen, []string{"asset.open_attribute"}},
		"conditional sharing without conditions": {func(r *domain.Record) { r.SharingAttribute, r.SharingConditions = domain.SharingConditional, "  " },
			errs.KindInvalidArgument, domain.ReasonConditionsRequired, []string{"asset.sharing_conditions"}},
		"conditional opening without conditions": {func(r *domain.Record) { r.OpenAttribute = domain.OpenConditional },
			errs.KindInvalidArgument, domain.ReasonConditionsRequired, []string{"asset.open_conditions"}},
		"both conditional without conditions": {func(r *domain.Record) {
			r.SharingAttribute, r.OpenAttribute = domain.SharingConditional, domain.OpenConditional
		}, errs.KindInvalidArgument, domain.ReasonConditionsRequired, []string{"asset.sharing_conditions", "asset.open_conditions"}},
		"not shared without basis": {func(r *domain.Record) {
			r.SharingAttribute, r.OpenAttribute = domain.SharingNotShared, domain.OpenNotOpen
		}, errs.KindInvalidArgument, domain.ReasonSharingBasisRequired, []string{"asset.sharing_basis"}},
		"not shared, open and no basis": {func(r *domain.Record) { r.SharingAttribute = domain.SharingNotShared },
			errs.KindInvalidArgument, domain.ReasonNotSharedImpliesNotOpen, []string{"asset.open_attribute", "asset.sharing_basis"}},
		"unknown category": {func(r *domain.Record) { r.Category = "C99" },
			errs.KindInvalidArgument, domain.ReasonUnknownCode, []string{"asset.category"}},
		"unknown product form": {func(r *domain.Record) { r.Kind, r.ProductForm = domain.KindDataProduct, "MODEL" },
			errs.KindInvalidArgument, domain.ReasonUnknownCode, []string{"asset.product_form"}},
		"unknown update cycle": {func(r *domain.Record) { r.UpdateCycle = "HOURLY" },
			errs.KindInvalidArgument, domain.ReasonUnknownCode, []string{"asset.update_cycle"}},
		"unknown storage mode": {func(r *domain.Record) { r.StorageMode = "TAPE" },
			errs.KindInvalidArgument, domain.ReasonUnknownCode, []string{"asset.storage_mode"}},
		"unknown sector": {func(r *domain.Record) { r.Sectors = []string{"S01", "S99"} },
			errs.KindInvalidArgument, domain.ReasonUnknownCode, []string{"asset.sectors[1]"}},
		"unknown sharing method": {func(r *domain.Record) { r.Catalogue.SharingMethod = "FAX" },
			errs.KindInvalidArgument, domain.ReasonUnknownCode, []string{"asset.catalogue.sharing_method"}},
		"unknown code-list version": {func(r *domain.Record) { r.CodeListVersion, r.Category = "2019.1", "C99" },
			errs.KindInvalidArgument, domain.ReasonUnknownCode, []string{"asset.code_list_version"}},
		"bad holder": {func(r *domain.Record) { r.HolderOrganisation = "91350100M000100Y44" },
			errs.KindInvalidArgument, domain.ReasonInvalidOrganisationCode, []string{"asset.holder_organisation"}},
		"bad agent": {func(r *domain.Record) { r.Agent = &domain.Agent{Organisation: "123", Name: "代理"} },
			errs.KindInvalidArgument, domain.ReasonInvalidOrganisationCode, []string{"asset.agent.organisation"}},
		"unknown enum value": {func(r *domain.Record) { r.Grade = "GRADE_SECRET" },
			errs.KindInvalidArgument, errs.ReasonValidation, []string{"asset.grade"}},
		"product form on a resource": {func(r *domain.Record) { r.ProductForm = "API" },
			errs.KindInvalidArgument, errs.ReasonValidation, []string{"asset.product_form"}},
		"bad evidence": {func(r *domain.Record) {
			r.Evidence = []domain.Document{{Name: " ", SHA256: strings.ToUpper(sha), SizeBytes: -1}}
		}, errs.KindInvalidArgument, errs.ReasonValidation, []string{"asset.evidence[0].name", "asset.evidence[0].sha256", "asset.evidence[0].size_bytes"}},
		"fields": {func(r *domain.Record) { r.Fields = []domain.Field{{Name: "a"}, {Name: ""}, {Name: "a"}} },
			errs.KindInvalidArgument, errs.ReasonValidation, []string{"asset.fields[1].name", "asset.fields[2].name"}},
		"contact": {func(r *domain.Record) { r.Contacts = []domain.Contact{{Phone: "1"}} },
			errs.KindInvalidArgument, errs.ReasonValidation, []string{"asset.contacts[0].name"}},
		"negative volume": {func(r *domain.Record) { r.VolumeRecords, r.VolumeBytes = -1, -2 },
			errs.KindInvalidArgument, errs.ReasonValidation, []string{"asset.volume_records", "asset.volume_bytes"}},
		"dates": {func(r *domain.Record) { r.CoverageStart, r.CoverageEnd = "2020/01/01", "2020-13-01" },
			errs.KindInvalidArgument, errs.ReasonValidation, []string{"asset.coverage_start", "asset.coverage_end"}},
		"coverage ends before it starts": {func(r *domain.Record) { r.CoverageStart, r.CoverageEnd = "2021-01-01", "2020-12-31" },
			errs.KindInvalidArgument, errs.ReasonValidation, []string{"asset.coverage_end"}},
		"catalogue": {func(r *domain.Record) { r.Catalogue.ResourceCode, r.Catalogue.PublicationDate = "10 1001", "May 2024" },
			errs.KindInvalidArgument, errs.ReasonValidation, []string{"asset.catalogue.resource_code", "asset.catalogue.publication_date"}},
		"long name": {func(r *domain.Record) { r.DisplayName = strings.Repeat("a", 201) },
			errs.KindInvalidArgument, errs.ReasonValidation, []string{"asset.display_name"}},
		"a named rule beats the generic reason": {func(r *domain.Record) { r.DisplayName, r.Category = "", "C99" },
			errs.KindInvalidArgument, domain.ReasonUnknownCode, []string{"asset.display_name", "asset.category"}},
		"the first named rule wins": {func(r *domain.Record) { r.HolderOrganisation, r.OpenAttribute = "bad", domain.OpenConditional },
			errs.KindInvalidArgument, domain.ReasonInvalidOrganisationCode, []string{"asset.holder_organisation", "asset.open_conditions"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := completeRecord()
			tc.edit(&r)
			err := r.Validate(codes)
			requireErr(t, err, tc.kind, tc.reason)
			if tc.fields != nil {
				require.Equal(t, tc.fields, fields(t, err))
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	t.Parallel()
	for name, edit := range map[string]func(*domain.Record){
		"not shared, not open, with basis": func(r *domain.Record) {
			r.SharingAttribute, r.OpenAttribute, r.SharingBasis = domain.SharingNotShared, domain.OpenNotOpen, "《个人信息保护法》"
		},
		"not shared, opening not yet stated": func(r *domain.Record) {
			r.SharingAttribute, r.OpenAttribute, r.SharingBasis = domain.SharingNotShared, "", "依据"
		},
		"conditional with conditions": func(r *domain.Record) {
			r.SharingAttribute, r.SharingConditions = domain.SharingConditional, "仅限政务用途"
			r.OpenAttribute, r.OpenConditions = domain.OpenConditional, "申请后开放"
		},
		"important data":        func(r *domain.Record) { r.Grade = domain.GradeImportant },
		"a product with a form": func(r *domain.Record) { r.Kind, r.ProductForm = domain.KindDataProduct, "API" },
		"a valid agent":         func(r *domain.Record) { r.Agent = &domain.Agent{Organisation: otherOrg, Name: "代理机构"} },
		"agent without code":    func(r *domain.Record) { r.Agent = &domain.Agent{Name: "个人代理"} },
		"200 characters":        func(r *domain.Record) { r.DisplayName = strings.Repeat("数", 200) },
		"resource code forms":   func(r *domain.Record) { r.Catalogue.ResourceCode = "A1-0001" },
		"no catalogue":          func(r *domain.Record) { r.Catalogue = nil },
		"empty optional values": func(r *domain.Record) {
			r.CoverageStart, r.CoverageEnd, r.Category, r.Sectors, r.UpdateCycle, r.StorageMode = "", "", "", nil, "", ""
		},
	} {
		r := completeRecord()
		edit(&r)
		require.NoError(t, r.Validate(codes), name)
	}
}

func TestCheckComplete(t *testing.T) {
	t.Parallel()
	r := domain.Record{DisplayName: "x", HolderOrganisation: ownOrg}
	err := r.CheckComplete()
	requireErr(t, err, errs.KindFailedPrecondition, domain.ReasonIncompleteRecord)
	require.Equal(t, []string{"asset.summary", "asset.kind", "asset.data_source", "asset.legal_basis", "asset.evidence",
		"asset.category", "asset.grade", "asset.sharing_attribute", "asset.open_attribute", "asset.data_format",
		"asset.update_cycle", "asset.storage_location", "asset.security_measures", "asset.fields", "asset.contacts"},
		fields(t, err))

	r = completeRecord()
	r.Kind = domain.KindDataProduct
	err = r.CheckComplete()
	requireErr(t, err, errs.KindFailedPrecondition, domain.ReasonIncompleteRecord)
	require.Equal(t, []string{"asset.product_form"}, fields(t, err))

	r = completeRecord()
	r.Agent, r.Tags, r.Catalogue, r.HolderName, r.VolumeBytes = nil, nil, nil, "", 0
	require.NoError(t, r.CheckComplete(), "optional fields")

	// Every missing field is listed in English and Chinese.
	r = domain.Record{DisplayName: "x", HolderOrganisation: ownOrg}
	e, _ := errs.As(r.CheckComplete())
	for _, v := range e.Violations {
		require.NotEmpty(t, v.Description, v.Field)
		require.NotEmpty(t, v.DescriptionZh, v.Field)
	}

	// A record an agent (委托代理) files needs the power of attorney (授权委托书), whether the
	// agent names an organisation or only a person.
	for _, agent := range []*domain.Agent{{Organisation: otherOrg}, {Name: "个人代理"}} {
		r = completeRecord()
		r.Agent = agent
		err = r.CheckComplete()
		requireErr(t, err, errs.KindFailedPrecondition, domain.ReasonIncompleteRecord)
		require.Equal(t, []string{"asset.evidence"}, fields(t, err))
		e, _ := errs.As(err)
		require.Contains(t, e.Violations[0].Description, domain.DocumentPowerOfAttorney)
		require.Contains(t, e.Violations[0].DescriptionZh, "授权委托书")
		r = withPowerOfAttorney(r)
		require.NoError(t, r.CheckComplete())
	}
	r = domain.Record{DisplayName: "x", HolderOrganisation: ownOrg, Agent: &domain.Agent{Organisation: otherOrg}}
	err = r.CheckComplete()
	require.Equal(t, 2, strings.Count(strings.Join(fields(t, err), " "), "asset.evidence"),
		"no evidence at all: missing, and no power of attorney")
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	r := domain.Record{
		DisplayName:  "  名称\t",
		Summary:      "\n摘要 ",
		LegalBasis:   " 依据 ",
		Tags:         []string{" 交通", "", "交通 ", "流量", "  "},
		Sectors:      []string{"S01", " S01 ", "S02"},
		Agent:        &domain.Agent{Organisation: "  ", Name: " "},
		Catalogue:    &domain.Catalogue{ResourceCode: "  ", RelatedResourceCodes: []string{" ", ""}},
		Fields:       []domain.Field{{Name: " road_id ", Type: " string "}},
		StorageMode:  " CLOUD ",
		SharingBasis: "  ",
	}
	r.Normalize()
	require.Equal(t, "名称", r.DisplayName)
	require.Equal(t, "摘要", r.Summary)
	require.Equal(t, "依据", r.LegalBasis)
	require.Equal(t, []string{"交通", "流量"}, r.Tags)
	require.Equal(t, []string{"S01", "S02"}, r.Sectors)
	require.Nil(t, r.Agent, "an empty agent is no agent")
	require.Nil(t, r.Catalogue, "an empty catalogue is no catalogue")
	require.Equal(t, domain.Field{Name: "road_id", Type: "string"}, r.Fields[0])
	require.Equal(t, "CLOUD", r.StorageMode)
	require.Empty(t, r.SharingBasis)

	r = domain.Record{Agent: &domain.Agent{Name: " 代理 "}, Catalogue: &domain.Catalogue{RelatedResourceCodes: []string{" 1/2 ", "1/2"}}}
	r.Normalize()
	require.Equal(t, &domain.Agent{Name: "代理"}, r.Agent)
	require.Equal(t, []string{"1/2"}, r.Catalogue.RelatedResourceCodes)

	// Normalising twice changes nothing more.
	c := completeRecord()
	c.Normalize()
	d := c.Clone()
	d.Normalize()
	require.Equal(t, c, d)
}

func TestCloneIsDeep(t *testing.T) {
	t.Parallel()
	r := completeRecord()
	r.Agent = &domain.Agent{Name: "代理"}
	c := r.Clone()
	require.Equal(t, r, c)
	c.Tags[0], c.Fields[0].Name, c.Evidence[0].Name = "x", "x", "x"
	c.Catalogue.ResourceCode, c.Agent.Name = "x", "x"
	require.Equal(t, completeRecord().Tags, r.Tags)
	require.Equal(t, "road_id", r.Fields[0].Name)
	require.Equal(t, "采集批复.pdf", r.Evidence[0].Name)
	require.Equal(t, "101001/000123", r.Catalogue.ResourceCode)
	require.Equal(t, "101001/000123", r.ResourceCode())
	require.Equal(t, "代理", r.Agent.Name)
	require.Empty(t, domain.Record{}.ResourceCode())
}

func TestDiff(t *testing.T) {
	t.Parallel()
	old := completeRecord()
	require.Empty(t, domain.Diff(old, old.Clone()), "unchanged")
	require.Empty(t, domain.ChangedPaths(domain.Record{}, domain.Record{}))

	// Nested messages are compared field by field.
	nw := old.Clone()
	nw.Catalogue.ResourceCode = "101001/000999"
	require.Equal(t, []domain.FieldChange{{Path: "catalogue.resource_code", OldValue: `"101001/000123"`, NewValue: `"101001/000999"`}},
		domain.Diff(old, nw))

	// A nested message that appears or disappears lists its set fields.
	nw = old.Clone()
	nw.Agent = &domain.Agent{Organisation: otherOrg, Name: "代理"}
	require.Equal(t, []domain.FieldChange{
		{Path: "agent.name", NewValue: `"代理"`},
		{Path: "agent.organisation", NewValue: `"` + otherOrg + `"`},
	}, domain.Diff(old, nw))
	require.Equal(t, []string{"catalogue.class_category", "catalogue.class_heading", "catalogue.class_item",
		"catalogue.publication_date", "catalogue.resource_code", "catalogue.sharing_method"},
		domain.ChangedPaths(old, func() domain.Record { r := old.Clone(); r.Catalogue = nil; return r }()))

	// Lists are compared whole.
	nw = old.Clone()
	nw.Fields[1].Description = "五分钟流量"
	nw.Tags = append(nw.Tags, "流量")
	d := domain.Diff(old, nw)
	require.Equal(t, []string{"fields", "tags"}, domain.ChangedPaths(old, nw))
	require.Equal(t, `["交通"]`, d[1].OldValue)
	require.Equal(t, `["交通","流量"]`, d[1].NewValue)
	require.Contains(t, d[0].NewValue, "五分钟流量")
	require.Contains(t, d[0].NewValue, "road_id", "the whole list, not the element")
	nw = old.Clone()
	nw.Catalogue.RelatedResourceCodes = []string{"1/2"}
	require.Equal(t, []string{"catalogue.related_resource_codes"}, domain.ChangedPaths(old, nw))

	// Unset values are "", and the paths come sorted.
	nw = old.Clone()
	nw.Summary, nw.HolderName, nw.VolumeRecords = "", "新名称", 5
	require.Equal(t, []domain.FieldChange{
		{Path: "holder_name", OldValue: `"某市交通运输局"`, NewValue: `"新名称"`},
		{Path: "summary", OldValue: `"全市主干道路每五分钟的交通流量"`},
		{Path: "volume_records", OldValue: `"1000000"`, NewValue: `"5"`},
	}, domain.Diff(old, nw))
}
