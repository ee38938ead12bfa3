package catalog_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/services/catalog/internal/domain"
)

// TestRecordRulesOverGRPC checks every record rule as a client meets it.
func TestRecordRulesOverGRPC(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	for name, tc := range map[string]struct {
		edit   func(a *catalogv1.Asset)
		code   codes.Code
		reason string
		field  string
	}{
		"core data": {func(a *catalogv1.Asset) { a.Grade = catalogv1.Grade_GRADE_CORE },
			codes.FailedPrecondition, domain.ReasonCoreData, ""},
		"not shared implies not open": {func(a *catalogv1.Asset) {
			a.SharingAttribute, a.SharingBasis = catalogv1.SharingAttribute_SHARING_ATTRIBUTE_NOT_SHARED, "涉及个人隐私"
			a.OpenAttribute = catalogv1.OpenAttribute_OPEN_ATTRIBUTE_UNCONDITIONAL
		}, codes.InvalidArgument, domain.ReasonNotSharedImpliesNotOpen, "asset.open_attribute"},
		"sharing conditions required": {func(a *catalogv1.Asset) { a.SharingConditions = " " },
			codes.InvalidArgument, domain.ReasonConditionsRequired, "asset.sharing_conditions"},
		"open conditions required": {func(a *catalogv1.Asset) { a.OpenAttribute = catalogv1.OpenAttribute_OPEN_ATTRIBUTE_CONDITIONAL },
			codes.InvalidArgument, domain.ReasonConditionsRequired, "asset.open_conditions"},
		"basis required for not shared": {func(a *catalogv1.Asset) {
			a.SharingAttribute = catalogv1.SharingAttribute_SHARING_ATTRIBUTE_NOT_SHARED
		}, codes.InvalidArgument, domain.ReasonSharingBasisRequired, "asset.sharing_basis"},
		"unknown category": {func(a *catalogv1.Asset) { a.Category = "ZZ" },
			codes.InvalidArgument, domain.ReasonUnknownCode, "asset.category"},
		"unknown sector": {func(a *catalogv1.Asset) { a.Sectors = []string{"TRANSPORT", "SPACE"} },
			codes.InvalidArgument, domain.ReasonUnknownCode, "asset.sectors[1]"},
		"unknown code-list version": {func(a *catalogv1.Asset) { a.CodeListVersion = "1999.1" },
			codes.InvalidArgument, domain.ReasonUnknownCode, "asset.code_list_version"},
		"bad check digit": {func(a *catalogv1.Asset) { a.HolderOrganisation = "91350100M000100Y44" },
			codes.InvalidArgument, domain.ReasonInvalidOrganisationCode, "asset.holder_organisation"},
		"blank name": {func(a *catalogv1.Asset) { a.DisplayName = "  " },
			codes.InvalidArgument, "VALIDATION_FAILED", "asset.display_name"},
		"bad evidence hash (request validation)": {func(a *catalogv1.Asset) { a.Evidence[0].Sha256 = "abc" },
			codes.InvalidArgument, "VALIDATION_FAILED", "asset.evidence[0].sha256"},
		"coverage ends before it starts": {func(a *catalogv1.Asset) { a.CoverageEnd = "2023-01-01" },
			codes.InvalidArgument, "VALIDATION_FAILED", "asset.coverage_end"},
		"product form of a resource": {func(a *catalogv1.Asset) { a.ProductForm = "API" },
			codes.InvalidArgument, "VALIDATION_FAILED", "asset.product_form"},
	} {
		t.Run(name, func(t *testing.T) {
			a := completeAsset(orgA, "规则测试")
			tc.edit(a)
			_, err := h.client.CreateAsset(who.registrar, &catalogv1.CreateAssetRequest{Asset: a})
			fields := requireStatus(t, err, tc.code, tc.reason)
			if tc.field != "" {
				require.Contains(t, fields, tc.field)
			}
			// Every field fault reads in Chinese too (issue 13).
			_, en, zh := zhOf(t, err)
			for field, desc := range en {
				require.NotEmpty(t, zh[field], "%s: %s has no Chinese", field, desc)
			}
		})
	}

	// A draft may be incomplete; applying for registration needs the required fields.
	draft := h.create(who.registrar, &catalogv1.Asset{DisplayName: "半成品", HolderOrganisation: orgA})
	_, err := h.client.SubmitApplication(who.registrar, &catalogv1.SubmitApplicationRequest{Parent: draft.GetName(),
		Type: catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION})
	fields := requireStatus(t, err, codes.FailedPrecondition, domain.ReasonIncompleteRecord)
	require.Subset(t, fields, []string{"asset.summary", "asset.kind", "asset.legal_basis", "asset.evidence", "asset.grade",
		"asset.fields", "asset.contacts"})

	// A resource code is unique across the registry.
	a := completeAsset(orgA, "代码一")
	a.Catalogue.ResourceCode = "101001/000001"
	h.create(who.registrar, a)
	b := completeAsset(orgB, "代码二")
	b.Catalogue.ResourceCode = "101001/000001"
	_, err = h.client.CreateAsset(who.registrarB, &catalogv1.CreateAssetRequest{Asset: b})
	requireStatus(t, err, codes.AlreadyExists, domain.ReasonResourceCodeTaken)
}

// TestUpdateWithFieldMasksAndETags covers AIP-134 updates: masks, etags, immutables, and
// concurrent writers racing with one etag.
func TestUpdateWithFieldMasksAndETags(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	a := h.create(who.registrar, completeAsset(orgA, "更新测试"))

	upd := func(in *catalogv1.Asset, paths ...string) (*catalogv1.Asset, error) {
		resp, err := h.client.UpdateAsset(who.registrar, &catalogv1.UpdateAssetRequest{Asset: in,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}, Reason: "test"})
		return resp.GetAsset(), err
	}
	// Only the masked field changes, even though others are sent.
	got, err := upd(&catalogv1.Asset{Name: a.GetName(), Summary: "新摘要", DataFormat: "ignored", Etag: a.GetEtag()}, "summary")
	require.NoError(t, err)
	require.Equal(t, "新摘要", got.GetSummary())
	require.Equal(t, "CSV", got.GetDataFormat())
	require.Equal(t, a.GetRevision()+1, got.GetRevision())
	// Nested paths.
	got, err = upd(&catalogv1.Asset{Name: a.GetName(), Catalogue: &catalogv1.CatalogueMetadata{ResourceCode: "200001/77"}}, "catalogue.resource_code")
	require.NoError(t, err)
	require.Equal(t, "200001/77", got.GetCatalogue().GetResourceCode())
	require.Equal(t, "福州市交通运输局", got.GetCatalogue().GetProviderName(), "sibling fields stay")
	// Stale etag.
	_, err = upd(&catalogv1.Asset{Name: a.GetName(), Summary: "x", Etag: a.GetEtag()}, "summary")
	requireStatus(t, err, codes.Aborted, domain.ReasonETagMismatch)
	// Immutable, output-only and unknown paths.
	_, err = upd(&catalogv1.Asset{Name: a.GetName(), HolderOrganisation: orgB}, "holder_organisation")
	requireStatus(t, err, codes.InvalidArgument, domain.ReasonImmutableField)
	_, err = upd(&catalogv1.Asset{Name: a.GetName(), State: catalogv1.AssetState_ASSET_STATE_REGISTERED}, "state")
	requireStatus(t, err, codes.InvalidArgument, domain.ReasonImmutableField)
	_, err = upd(&catalogv1.Asset{Name: a.GetName()}, "no_such_field")
	requireStatus(t, err, codes.InvalidArgument, "VALIDATION_FAILED")
	// The rules hold on update too.
	_, err = upd(&catalogv1.Asset{Name: a.GetName(), Grade: catalogv1.Grade_GRADE_CORE}, "grade")
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonCoreData)
	// `*` replaces every writable field: unset ones are cleared.
	full := completeAsset(orgA, "整体替换")
	full.Name, full.HolderOrganisation = a.GetName(), ""
	full.Tags = nil
	got, err = upd(full, "*")
	require.NoError(t, err)
	require.Equal(t, "整体替换", got.GetDisplayName())
	require.Empty(t, got.GetTags())
	require.Equal(t, orgA, got.GetHolderOrganisation())
	// An update that changes nothing writes nothing.
	same, err := upd(&catalogv1.Asset{Name: a.GetName(), Summary: got.GetSummary()}, "summary")
	require.NoError(t, err)
	require.Equal(t, got.GetRevision(), same.GetRevision())

	// Eight writers with the same etag: exactly one wins, the rest get ABORTED.
	cur := h.get(who.registrar, a.GetName())
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, aborted := 0, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := upd(&catalogv1.Asset{Name: a.GetName(), Summary: fmt.Sprintf("writer %d", i), Etag: cur.GetEtag()}, "summary")
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if c, r, _ := statusOf(t, err); c == codes.Aborted && r == domain.ReasonETagMismatch {
				aborted++
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 1, wins)
	require.Equal(t, 7, aborted)
	require.Equal(t, cur.GetRevision()+1, h.get(who.registrar, a.GetName()).GetRevision())

	// A registered asset changes only through an application.
	app := h.submit(who.registrar, a.GetName(), catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, nil, "").GetApplication()
	_, err = upd(&catalogv1.Asset{Name: a.GetName(), Summary: "during review"}, "summary")
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonInvalidTransition)
	h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_ACCEPT, "", "")
	ret := h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_RETURN, "", "补充安全措施说明")
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_RETURNED, ret.GetAsset().GetState())
	_, err = upd(&catalogv1.Asset{Name: a.GetName(), SecurityMeasures: "分级授权、加密传输、审计日志"}, "security_measures")
	require.NoError(t, err, "a returned application's asset is corrected in place")
	res, err := h.client.ResubmitApplication(who.registrar, &catalogv1.ResubmitApplicationRequest{Name: app.GetName(), Reason: "已补充"})
	require.NoError(t, err)
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_SUBMITTED, res.GetAsset().GetState())
	h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_ACCEPT, "", "")
	_, err = h.client.DecideApplication(who.reviewer, &catalogv1.DecideApplicationRequest{Name: app.GetName(),
		Decision: catalogv1.Decision_DECISION_REFUSE, Reason: "no code"})
	requireStatus(t, err, codes.InvalidArgument, domain.ReasonReasonRequired)
	ref := h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_REFUSE, "OWNERSHIP_DISPUTE", "权属争议未解决")
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_REFUSED, ref.GetAsset().GetState())
	require.Equal(t, "OWNERSHIP_DISPUTE", ref.GetApplication().GetHistory()[len(ref.GetApplication().GetHistory())-1].GetReasonCode())
}

// TestAuthorisationPerRole checks who may see and do what.
func TestAuthorisationPerRole(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	draft := h.create(who.registrar, completeAsset(orgA, "权限测试"))

	// Creating: registrars for their own organisation, or for another as the agent (委托代理)
	// the record names (themselves, when it names none); reviewers and auditors never.
	for _, ctx := range []context.Context{who.reviewer, who.auditor} {
		_, err := h.client.CreateAsset(ctx, &catalogv1.CreateAssetRequest{Asset: completeAsset(orgB, "x")})
		requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	}
	forD := completeAsset(unitD, "x")
	forD.Agent = &catalogv1.Agent{Organisation: unitC}
	_, err := h.client.CreateAsset(who.registrar, &catalogv1.CreateAssetRequest{Asset: forD})
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonHolderNotCallerOrg)
	forD.Agent = nil
	require.Equal(t, orgA, h.create(who.registrar, forD).GetAgent().GetOrganisation())

	// Drafts are private to the holder (and auditors); the registry sees them once
	// submitted (TestDraftsAreVisibleOnlyToTheirOrganisation), with their applications.
	_, err = h.client.UpdateAsset(who.registrarB, &catalogv1.UpdateAssetRequest{Asset: &catalogv1.Asset{Name: draft.GetName(), Summary: "x"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"summary"}}})
	requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)
	require.Equal(t, draft.GetName(), h.get(who.auditor, draft.GetName()).GetName())
	_, err = h.client.GetAsset(who.reviewer, &catalogv1.GetAssetRequest{Name: draft.GetName()})
	requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)
	_, err = h.client.UpdateAsset(who.auditor, &catalogv1.UpdateAssetRequest{Asset: &catalogv1.Asset{Name: draft.GetName(), Summary: "x"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"summary"}}})
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")

	app := h.submit(who.registrar, draft.GetName(), catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, nil, "").GetApplication()
	_, err = h.client.GetApplication(who.registrarB, &catalogv1.GetApplicationRequest{Name: app.GetName()})
	requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)
	list, err := h.client.ListApplications(who.registrarB, &catalogv1.ListApplicationsRequest{Parent: "assets/-"})
	require.NoError(t, err)
	require.Empty(t, list.GetApplications())
	queue, err := h.client.ListApplications(who.reviewer, &catalogv1.ListApplicationsRequest{Parent: "assets/-",
		States: []catalogv1.ApplicationState{catalogv1.ApplicationState_APPLICATION_STATE_SUBMITTED}})
	require.NoError(t, err)
	require.Len(t, queue.GetApplications(), 1, "the reviewers' work queue")

	// Auditors decide nothing; reviewers do.
	_, err = h.client.DecideApplication(who.auditor, &catalogv1.DecideApplicationRequest{Name: app.GetName(), Decision: catalogv1.Decision_DECISION_ACCEPT})
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_ACCEPT, "", "")

	// Separation of duties: an admin who filed an application may not decide on it.
	admin := h.as("root", orgA, auth.RoleAdmin)
	other := h.create(admin, completeAsset(orgA, "管理员提交"))
	oapp := h.submit(admin, other.GetName(), catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, nil, "").GetApplication()
	_, err = h.client.DecideApplication(admin, &catalogv1.DecideApplicationRequest{Name: oapp.GetName(), Decision: catalogv1.Decision_DECISION_ACCEPT})
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonSelfReview)

	// Once public, other organisations see the asset but may not act for its holder.
	passed := h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_PASS, "", "")
	require.Equal(t, 1, h.endPublicity(passed.GetApplication()))
	_, err = h.client.SubmitApplication(who.registrarB, &catalogv1.SubmitApplicationRequest{Parent: draft.GetName(),
		Type: catalogv1.ApplicationType_APPLICATION_TYPE_CANCELLATION, Reason: "x"})
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonHolderNotCallerOrg)
	seen, err := h.client.ListAssets(who.registrarB, &catalogv1.ListAssetsRequest{})
	require.NoError(t, err)
	require.Len(t, seen.GetAssets(), 1, "registered assets only, not the admin's draft")
	require.Equal(t, draft.GetName(), seen.GetAssets()[0].GetName())
}

// TestSearchAndFilters covers keyword search (Chinese and English) and every list filter.
func TestSearchAndFilters(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	mk := func(name string, edit func(a *catalogv1.Asset)) string {
		a := completeAsset(orgA, name)
		a.Summary, a.Tags, a.Fields = "", nil, []*catalogv1.DataField{{Name: "id"}}
		if edit != nil {
			edit(a)
		}
		return h.create(who.registrar, a).GetName()
	}
	traffic := mk("城市道路交通流量数据", nil)
	transit := mk("公共交通刷卡记录", func(a *catalogv1.Asset) { a.Grade = catalogv1.Grade_GRADE_IMPORTANT; a.Category = "S" })
	weather := mk("Hourly weather observations", func(a *catalogv1.Asset) {
		a.Summary = "Temperature and rainfall from 120 stations"
		a.Sectors = []string{"METEOROLOGY"}
		a.Kind = catalogv1.AssetKind_ASSET_KIND_DATA_PRODUCT
		a.ProductForm = "API"
	})
	hospital := mk("医疗机构基本信息", func(a *catalogv1.Asset) {
		a.Tags = []string{"卫生健康"}
		a.Fields = []*catalogv1.DataField{{Name: "机构名称"}, {Name: "床位数"}}
		a.SharingAttribute, a.SharingBasis = catalogv1.SharingAttribute_SHARING_ATTRIBUTE_NOT_SHARED, "含敏感信息"
		a.SharingConditions = ""
	})
	h.clock.Advance(time.Hour)
	later := mk("Traffic incidents 交通事故", nil)

	search := func(_ any, req *catalogv1.ListAssetsRequest) []string {
		t.Helper()
		resp, err := h.client.ListAssets(who.registrar, req)
		require.NoError(t, err)
		var out []string
		for _, a := range resp.GetAssets() {
			out = append(out, a.GetName())
		}
		sort.Strings(out)
		return out
	}
	sorted := func(s ...string) []string { sort.Strings(s); return s }
	q := func(s string) *catalogv1.ListAssetsRequest { return &catalogv1.ListAssetsRequest{Query: s} }
	require.Equal(t, sorted(traffic, transit, later), search(nil, q("交通")), "a two-character word")
	require.Equal(t, sorted(traffic), search(nil, q("交通流量")), "a four-character word")
	require.Equal(t, sorted(traffic), search(nil, q("道路 流量")), "every term must match")
	require.Empty(t, search(nil, q("交量")), "characters that are not adjacent do not match")
	require.Equal(t, sorted(weather), search(nil, q("WEATHER")), "English, case-insensitive")
	require.Equal(t, sorted(weather), search(nil, q("rain")), "English word prefix, in the summary")
	require.Equal(t, sorted(later), search(nil, q("traffic 事故")), "mixed scripts")
	require.Equal(t, sorted(hospital), search(nil, q("床位")), "field names")
	require.Equal(t, sorted(hospital), search(nil, q("健康")), "tags")
	require.Empty(t, search(nil, q("!!!")))

	require.Equal(t, sorted(transit), search(nil, &catalogv1.ListAssetsRequest{Grades: []catalogv1.Grade{catalogv1.Grade_GRADE_IMPORTANT}}))
	require.Equal(t, sorted(transit), search(nil, &catalogv1.ListAssetsRequest{Categories: []string{"S"}}))
	require.Equal(t, sorted(weather), search(nil, &catalogv1.ListAssetsRequest{Sectors: []string{"METEOROLOGY"}}))
	require.Equal(t, sorted(weather), search(nil, &catalogv1.ListAssetsRequest{Kinds: []catalogv1.AssetKind{catalogv1.AssetKind_ASSET_KIND_DATA_PRODUCT}}))
	require.Equal(t, sorted(hospital), search(nil, &catalogv1.ListAssetsRequest{SharingAttributes: []catalogv1.SharingAttribute{catalogv1.SharingAttribute_SHARING_ATTRIBUTE_NOT_SHARED}}))
	require.Len(t, search(nil, &catalogv1.ListAssetsRequest{OpenAttributes: []catalogv1.OpenAttribute{catalogv1.OpenAttribute_OPEN_ATTRIBUTE_NOT_OPEN}}), 5)
	require.Equal(t, sorted(later), search(nil, &catalogv1.ListAssetsRequest{UpdatedSince: timestamppb.New(h.clock.Now())}))
	require.Len(t, search(nil, &catalogv1.ListAssetsRequest{HolderOrganisation: orgA, States: []catalogv1.AssetState{catalogv1.AssetState_ASSET_STATE_DRAFT}}), 5)
	require.Empty(t, search(nil, &catalogv1.ListAssetsRequest{States: []catalogv1.AssetState{catalogv1.AssetState_ASSET_STATE_REGISTERED}}))

	// Paging through a search is stable and the token is bound to the query.
	p1, err := h.client.ListAssets(who.registrar, &catalogv1.ListAssetsRequest{Query: "交通", PageSize: 2})
	require.NoError(t, err)
	require.Len(t, p1.GetAssets(), 2)
	require.Equal(t, later, p1.GetAssets()[0].GetName(), "newest first")
	mk("交通新资产", nil) // inserted between pages
	p2, err := h.client.ListAssets(who.registrar, &catalogv1.ListAssetsRequest{Query: "交通", PageSize: 2, PageToken: p1.GetNextPageToken()})
	require.NoError(t, err)
	require.Len(t, p2.GetAssets(), 1)
	require.Equal(t, traffic, p2.GetAssets()[0].GetName())
	require.Empty(t, p2.GetNextPageToken())
	_, err = h.client.ListAssets(who.registrar, &catalogv1.ListAssetsRequest{Query: "数据", PageSize: 2, PageToken: p1.GetNextPageToken()})
	requireStatus(t, err, codes.InvalidArgument, domain.ReasonInvalidPageToken)
}

// TestImportBatches covers the batch import RPC: valid rows created, invalid rows reported
// per field, re-import adds nothing.
func TestImportBatches(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	row := func(n int64, name, code string, edit func(a *catalogv1.Asset)) *catalogv1.ImportRow {
		a := completeAsset(orgA, name)
		a.Catalogue.ResourceCode = code
		if edit != nil {
			edit(a)
		}
		return &catalogv1.ImportRow{Row: n, ImportKey: uuid.NewSHA1(uuid.NameSpaceOID, []byte(code+name)).String(), Asset: a}
	}
	rows := []*catalogv1.ImportRow{
		row(2, "导入一", "300001/1", nil),
		row(3, "导入二", "300001/2", func(a *catalogv1.Asset) { a.HolderOrganisation = "91350100M000100Y44" }),
		row(4, "导入三", "300001/3", func(a *catalogv1.Asset) { a.OpenAttribute = catalogv1.OpenAttribute_OPEN_ATTRIBUTE_CONDITIONAL }),
		row(5, "导入四", "300001/1", nil), // the same resource code as row 2
		row(6, "Import five", "300001/5", nil),
	}
	resp, err := h.client.ImportAssets(who.registrar, &catalogv1.ImportAssetsRequest{Rows: rows})
	require.NoError(t, err)
	outcomes := func(r *catalogv1.ImportAssetsResponse) []catalogv1.ImportRowResult_Outcome {
		var out []catalogv1.ImportRowResult_Outcome
		for _, x := range r.GetResults() {
			out = append(out, x.GetOutcome())
		}
		return out
	}
	C, D, I := catalogv1.ImportRowResult_OUTCOME_CREATED, catalogv1.ImportRowResult_OUTCOME_DUPLICATE, catalogv1.ImportRowResult_OUTCOME_INVALID
	require.Equal(t, []catalogv1.ImportRowResult_Outcome{C, I, I, I, C}, outcomes(resp))
	require.Equal(t, int64(3), resp.GetResults()[1].GetRow())
	require.Equal(t, domain.ReasonInvalidOrganisationCode, resp.GetResults()[1].GetReason())
	require.Equal(t, "holder_organisation", resp.GetResults()[1].GetViolations()[0].GetField())
	require.Equal(t, "open_conditions", resp.GetResults()[2].GetViolations()[0].GetField())
	require.Equal(t, domain.ReasonResourceCodeTaken, resp.GetResults()[3].GetReason())

	again, err := h.client.ImportAssets(who.registrar, &catalogv1.ImportAssetsRequest{Rows: rows})
	require.NoError(t, err)
	require.Equal(t, []catalogv1.ImportRowResult_Outcome{D, I, I, I, D}, outcomes(again))
	require.Equal(t, resp.GetResults()[0].GetAsset(), again.GetResults()[0].GetAsset())
	all, err := h.client.ListAssets(who.registrar, &catalogv1.ListAssetsRequest{})
	require.NoError(t, err)
	require.Len(t, all.GetAssets(), 2)
	require.Equal(t, []string{"catalog.asset.created"}, h.eventTypes(resp.GetResults()[0].GetAsset()))

	// Auditors import nothing.
	_, err = h.client.ImportAssets(who.auditor, &catalogv1.ImportAssetsRequest{Rows: rows[:1]})
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")

	codesResp, err := h.client.ListCodeLists(who.auditor, &catalogv1.ListCodeListsRequest{})
	require.NoError(t, err)
	require.Equal(t, "2026.1", codesResp.GetVersion())
	var sectors *catalogv1.CodeList
	for _, l := range codesResp.GetLists() {
		if l.GetList() == "sector" {
			sectors = l
		}
	}
	require.NotNil(t, sectors)
	require.Len(t, sectors.GetCodes(), 13, "the twelve 数据要素× sectors and OTHER")
	require.True(t, proto.Equal(&catalogv1.Code{Code: "INDUSTRIAL_MANUFACTURING", LabelZh: "工业制造", LabelEn: "Industrial manufacturing",
		Aliases: []string{"工业", "制造"}}, sectors.GetCodes()[0]))
}
