package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/catalog/internal/domain"
)

// Import outcomes, short.
const (
	oCreated   = catalogv1.ImportRowResult_OUTCOME_CREATED
	oUpdated   = catalogv1.ImportRowResult_OUTCOME_UPDATED
	oDuplicate = catalogv1.ImportRowResult_OUTCOME_DUPLICATE
	oInvalid   = catalogv1.ImportRowResult_OUTCOME_INVALID
	oValid     = catalogv1.ImportRowResult_OUTCOME_VALID
)

// importRow is a catalogue row of holder with resource code code; its import key is
// derived from both, as the client derives it.
func importRow(n int64, holder, name, code string, edit func(a *catalogv1.Asset)) *catalogv1.ImportRow {
	a := completeAsset(holder, name)
	a.Catalogue.ResourceCode = code
	if edit != nil {
		edit(a)
	}
	return &catalogv1.ImportRow{Row: n, ImportKey: uuid.NewSHA1(uuid.NameSpaceOID, []byte(holder+code+name)).String(), Asset: a}
}

func (h *harness) importRows(ctx context.Context, validateOnly bool, rows ...*catalogv1.ImportRow) *catalogv1.ImportAssetsResponse {
	h.t.Helper()
	resp, err := h.client.ImportAssets(ctx, &catalogv1.ImportAssetsRequest{Rows: rows, ValidateOnly: validateOnly})
	require.NoError(h.t, err)
	require.Len(h.t, resp.GetResults(), len(rows))
	for i, r := range resp.GetResults() {
		require.Equal(h.t, rows[i].GetRow(), r.GetRow(), "results come in row order")
	}
	return resp
}

func outcomesOf(r *catalogv1.ImportAssetsResponse) []catalogv1.ImportRowResult_Outcome {
	var out []catalogv1.ImportRowResult_Outcome
	for _, x := range r.GetResults() {
		out = append(out, x.GetOutcome())
	}
	return out
}

func violatedFields(r *catalogv1.ImportRowResult) []string {
	var out []string
	for _, v := range r.GetViolations() {
		out = append(out, v.GetField())
	}
	return out
}

// count returns the number of rows of a catalog table.
func (h *harness) count(table string) int {
	h.t.Helper()
	var n int
	require.NoError(h.t, h.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// writes is what the catalog has written so far: assets, revisions, events.
func (h *harness) writes() [3]int {
	return [3]int{h.count("assets"), h.count("asset_revisions"), h.count("outbox")}
}

// Issue 13: a holder code that fails the field pattern in one row (rows[75]… does not
// match regex pattern) failed the whole ImportAssets call. Each row is now validated on its
// own: the good rows are created, the bad one is INVALID with the field at fault.
func TestImportKeepsTheGoodRowsPastAMalformedOne(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	rows := []*catalogv1.ImportRow{
		importRow(2, orgA, "道路一", "400001/1", nil),
		importRow(3, orgA, "道路二", "400001/2", nil),
		importRow(77, orgA, "道路三", "400001/3", func(a *catalogv1.Asset) { a.HolderOrganisation = "9135010-M000100Y43" }),
		importRow(78, orgA, "道路四", "400001/4", nil),
		importRow(79, orgA, "道路五", "400001/5", nil),
		importRow(80, orgA, "道路六", "400001/6", nil),
	}
	rows[4].ImportKey = "not-a-uuid"
	rows[5].Existing = "assets/x"
	resp := h.importRows(who.registrar, false, rows...)
	require.Equal(t, []catalogv1.ImportRowResult_Outcome{oCreated, oCreated, oInvalid, oCreated, oInvalid, oInvalid}, outcomesOf(resp))
	bad := resp.GetResults()[2]
	require.Equal(t, errs.ReasonValidation, bad.GetReason())
	require.Equal(t, []string{"holder_organisation"}, violatedFields(bad), "the path is relative to the row's asset")
	require.NotEmpty(t, bad.GetViolations()[0].GetDescription())
	require.Empty(t, bad.GetAsset())
	require.Equal(t, []string{"import_key"}, violatedFields(resp.GetResults()[4]))
	require.Equal(t, []string{"existing"}, violatedFields(resp.GetResults()[5]))
	require.NotEmpty(t, resp.GetResults()[5].GetViolations()[0].GetDescriptionZh())
	require.Equal(t, 3, h.count("assets"))

	// Only the envelope is checked for the whole request: 1 to 1000 rows.
	_, err := h.client.ImportAssets(who.registrar, &catalogv1.ImportAssetsRequest{})
	require.Equal(t, []string{"rows"}, requireStatus(t, err, codes.InvalidArgument, errs.ReasonValidation))
	many := make([]*catalogv1.ImportRow, 1001)
	for i := range many {
		many[i] = importRow(int64(i+2), orgA, fmt.Sprintf("批量%d", i), "", nil)
	}
	_, err = h.client.ImportAssets(who.registrar, &catalogv1.ImportAssetsRequest{Rows: many})
	require.Equal(t, []string{"rows"}, requireStatus(t, err, codes.InvalidArgument, errs.ReasonValidation))
	require.Equal(t, 3, h.count("assets"))

	// A batch of only bad rows is still refused to those who may not import.
	_, err = h.client.ImportAssets(who.auditor, &catalogv1.ImportAssetsRequest{Rows: rows[2:3]})
	requireStatus(t, err, codes.PermissionDenied, errs.ReasonForbidden)
}

// validate_only applies every rule of a real import (field rules, domain rules, codes,
// clashes within the batch and with stored assets, matching, the right to file) and
// writes nothing; the real import then does what it said.
func TestImportValidateOnlyReportsWhatTheImportDoes(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	earlier := h.importRows(who.registrar, false,
		importRow(2, orgA, "已导入一", "410001/1", nil), importRow(3, orgA, "已导入二", "410001/2", nil))
	require.Equal(t, []catalogv1.ImportRowResult_Outcome{oCreated, oCreated}, outcomesOf(earlier))
	h.create(who.registrarB, func() *catalogv1.Asset {
		a := completeAsset(orgB, "他人的资源")
		a.Catalogue.ResourceCode = "419999/1"
		return a
	}())

	rows := []*catalogv1.ImportRow{
		importRow(2, orgA, "新资源", "410002/1", nil),
		importRow(3, orgA, "校验位错误", "410002/2", func(a *catalogv1.Asset) { a.HolderOrganisation = "91350100M000100Y44" }),
		importRow(4, orgA, "核心数据", "410002/3", func(a *catalogv1.Asset) { a.Grade = catalogv1.Grade_GRADE_CORE }),
		importRow(5, orgA, "共享属性矛盾", "410002/4", func(a *catalogv1.Asset) {
			a.SharingAttribute, a.SharingBasis = catalogv1.SharingAttribute_SHARING_ATTRIBUTE_NOT_SHARED, "《保密法》"
			a.OpenAttribute = catalogv1.OpenAttribute_OPEN_ATTRIBUTE_UNCONDITIONAL
		}),
		importRow(6, orgA, "", "410002/5", nil),
		importRow(7, orgA, "未知代码", "410002/6", func(a *catalogv1.Asset) { a.UpdateCycle = "ONCE_IN_A_BLUE_MOON" }),
		importRow(8, orgA, "同代码另一行", "410002/1", nil),
		importRow(9, orgA, "新资源", "410002/1", nil),
		importRow(10, orgA, "已导入一", "410001/1", func(a *catalogv1.Asset) { a.Summary = "修订后的摘要" }),
		importRow(11, orgA, "已导入二", "410001/2", nil),
		importRow(12, orgA, "占用他人代码", "419999/1", nil),
		importRow(13, unitD, "指定了其他代理", "410002/7", func(a *catalogv1.Asset) { a.Agent = &catalogv1.Agent{Organisation: unitC} }),
	}
	before := h.writes()
	dry := h.importRows(who.registrar, true, rows...)
	require.Equal(t, before, h.writes(), "validate_only writes nothing: no asset, revision or event")

	real := h.importRows(who.registrar, false, rows...)
	require.Equal(t, []catalogv1.ImportRowResult_Outcome{oCreated, oInvalid, oInvalid, oInvalid, oInvalid, oInvalid, oInvalid,
		oDuplicate, oUpdated, oDuplicate, oInvalid, oInvalid}, outcomesOf(real))
	for i, d := range dry.GetResults() {
		r := real.GetResults()[i]
		want := r.GetOutcome()
		if want == oCreated || want == oUpdated {
			want = oValid
		}
		require.Equal(t, want, d.GetOutcome(), "row %d", r.GetRow())
		require.Equal(t, r.GetReason(), d.GetReason(), "row %d", r.GetRow())
		require.Equal(t, violatedFields(r), violatedFields(d), "row %d", r.GetRow())
	}
	require.Empty(t, dry.GetResults()[0].GetAsset(), "a validate-only run names no asset it would create")
	require.Empty(t, dry.GetResults()[7].GetAsset())
	require.Equal(t, earlier.GetResults()[0].GetAsset(), dry.GetResults()[8].GetAsset(), "the match is named")

	reasons := map[int64][2]string{
		3: {domain.ReasonInvalidOrganisationCode, "holder_organisation"}, 4: {domain.ReasonCoreData, "grade"},
		5: {domain.ReasonNotSharedImpliesNotOpen, "open_attribute"}, 6: {errs.ReasonValidation, "display_name"},
		7: {domain.ReasonUnknownCode, "update_cycle"}, 8: {domain.ReasonResourceCodeTaken, "catalogue.resource_code"},
		12: {domain.ReasonResourceCodeTaken, "catalogue.resource_code"}, 13: {domain.ReasonHolderNotCallerOrg, "agent.organisation"},
	}
	for _, r := range real.GetResults() {
		if want, ok := reasons[r.GetRow()]; ok {
			require.Equal(t, want[0], r.GetReason(), "row %d", r.GetRow())
			require.Equal(t, []string{want[1]}, violatedFields(r), "row %d", r.GetRow())
		}
	}
	// Row 8 clashes with row 2 of the same import, and says so.
	require.Contains(t, real.GetResults()[6].GetViolations()[0].GetDescription(), "row 2")
	require.Contains(t, real.GetResults()[6].GetViolations()[0].GetDescriptionZh(), "第 2 行")
	// Row 9 repeats row 2: the same asset.
	require.Equal(t, real.GetResults()[0].GetAsset(), real.GetResults()[7].GetAsset())

	after := h.writes()
	require.Equal(t, [3]int{before[0] + 1, before[1] + 2, before[2] + 2}, after,
		"one draft created, one updated: two revisions, two events")
	require.Equal(t, []string{"catalog.asset.created", "catalog.asset.updated"}, h.eventTypes(earlier.GetResults()[0].GetAsset()))
}

// exportRow is an exported asset as a row: every field, output-only ones included, and the
// asset id column.
func exportRow(n int64, a *catalogv1.Asset) *catalogv1.ImportRow {
	return &catalogv1.ImportRow{Row: n, ImportKey: uuid.NewString(), Existing: a.GetName(), Asset: proto.Clone(a).(*catalogv1.Asset)}
}

// Importing an export updates or skips the assets it came from instead of creating new
// drafts: matched by the asset id column, else by the holder's resource code.
func TestImportRoundTripsAnExport(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	created := h.importRows(who.registrar, false, importRow(2, orgA, "往返一", "420001/1", nil),
		importRow(3, orgA, "往返二", "420001/2", nil), importRow(4, orgA, "往返三", "420001/3", nil))
	require.Equal(t, []catalogv1.ImportRowResult_Outcome{oCreated, oCreated, oCreated}, outcomesOf(created))
	var exported []*catalogv1.Asset
	for _, r := range created.GetResults() {
		exported = append(exported, h.get(who.registrar, r.GetAsset()))
	}

	// The export as it is: nothing changes, nothing is written.
	before := h.writes()
	var rows []*catalogv1.ImportRow
	for i, a := range exported {
		rows = append(rows, exportRow(int64(i+2), a))
	}
	again := h.importRows(who.registrar, false, rows...)
	require.Equal(t, []catalogv1.ImportRowResult_Outcome{oDuplicate, oDuplicate, oDuplicate}, outcomesOf(again))
	for i, r := range again.GetResults() {
		require.Equal(t, exported[i].GetName(), r.GetAsset())
	}
	// Without the id column the resource code finds them (a new import key each).
	for _, r := range rows {
		r.Existing, r.ImportKey = "", uuid.NewString()
	}
	require.Equal(t, []catalogv1.ImportRowResult_Outcome{oDuplicate, oDuplicate, oDuplicate}, outcomesOf(h.importRows(who.registrar, false, rows...)))
	require.Equal(t, before, h.writes())

	// An edited row updates its draft: a new revision with its event.
	edited := exportRow(2, exported[0])
	edited.Asset.Summary = "导出后修改的摘要"
	upd := h.importRows(who.registrar, false, edited)
	require.Equal(t, oUpdated, upd.GetResults()[0].GetOutcome())
	require.Equal(t, exported[0].GetName(), upd.GetResults()[0].GetAsset())
	got := h.get(who.registrar, exported[0].GetName())
	require.Equal(t, "导出后修改的摘要", got.GetSummary())
	require.Equal(t, int64(2), got.GetRevision())
	require.Equal(t, []string{"catalog.asset.created", "catalog.asset.updated"}, h.eventTypes(exported[0].GetName()))
	revs, err := h.client.ListAssetRevisions(who.registrar, &catalogv1.ListAssetRevisionsRequest{Name: exported[0].GetName()})
	require.NoError(t, err)
	require.Equal(t, "import", revs.GetRevisions()[0].GetAction())
	require.Equal(t, "catalog.asset.updated", revs.GetRevisions()[0].GetEventType())
	require.Equal(t, "summary", revs.GetRevisions()[0].GetChanges()[0].GetPath())
	require.Equal(t, oDuplicate, h.importRows(who.registrar, false, edited).GetResults()[0].GetOutcome(), "the same edit again")
	// Two rows of one batch for the same asset with different values: the office decides.
	cur := h.get(who.registrar, exported[0].GetName())
	twice := exportRow(3, cur)
	twice.Asset.Summary = "同一批中的另一版本"
	both := h.importRows(who.registrar, false, exportRow(2, cur), twice).GetResults()
	require.Equal(t, oDuplicate, both[0].GetOutcome())
	require.Equal(t, oInvalid, both[1].GetOutcome())
	require.Equal(t, []string{"existing"}, violatedFields(both[1]))
	require.Contains(t, both[1].GetViolations()[0].GetDescription(), "row 2")

	// A registered asset: unchanged, a duplicate; changed, refused with the way to change it.
	app := h.submit(who.registrar, exported[1].GetName(), catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, nil, "首次登记").GetApplication()
	h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_ACCEPT, "", "")
	passed := h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_PASS, "", "")
	require.Equal(t, 1, h.endPublicity(passed.GetApplication()))
	registered := h.get(who.registrar, exported[1].GetName())
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_REGISTERED, registered.GetState())
	require.Equal(t, oDuplicate, h.importRows(who.registrar, false, exportRow(3, registered)).GetResults()[0].GetOutcome())
	changed := exportRow(3, registered)
	changed.Asset.DisplayName = "往返二（改名）"
	before = h.writes()
	refused := h.importRows(who.registrar, false, changed).GetResults()[0]
	require.Equal(t, oInvalid, refused.GetOutcome())
	require.Equal(t, domain.ReasonInvalidTransition, refused.GetReason())
	require.Equal(t, registered.GetName(), refused.GetAsset())
	require.Contains(t, refused.GetViolations()[0].GetDescription(), "change application")
	require.Contains(t, refused.GetViolations()[0].GetDescriptionZh(), "变更登记")
	require.Equal(t, before, h.writes())
	require.Equal(t, "往返二", h.get(who.registrar, registered.GetName()).GetDisplayName())

	// The id column must name an asset the caller may act on, of the row's holder.
	moved := exportRow(4, exported[2])
	moved.Asset.HolderOrganisation = orgB
	gone := exportRow(5, exported[2])
	gone.Existing = "assets/" + uuid.NewString()
	theirs := exportRow(6, h.create(who.registrarB, completeAsset(orgB, "他人的草稿")))
	before = h.writes()
	res := h.importRows(who.registrar, false, moved, gone, theirs).GetResults()
	require.Equal(t, domain.ReasonImmutableField, res[0].GetReason())
	require.Equal(t, []string{"holder_organisation"}, violatedFields(res[0]))
	for _, r := range res[1:] {
		require.Equal(t, oInvalid, r.GetOutcome())
		require.Equal(t, domain.ReasonAssetNotFound, r.GetReason())
		require.Equal(t, []string{"existing"}, violatedFields(r), "another organisation's draft is as absent as a missing one")
		require.Empty(t, r.GetAsset())
	}
	require.Equal(t, before, h.writes())
}

// Two imports of the same rows at once, through two replicas, create each draft once: the
// import that loses the race runs again and finds the other's drafts. The second pair
// overlaps in reverse order, which can deadlock the two inserts; that ends the same way.
func TestConcurrentImportsOfOneFileCreateEachDraftOnce(t *testing.T) {
	var rows []*catalogv1.ImportRow
	for i := range 40 {
		rows = append(rows, importRow(int64(i+2), orgA, fmt.Sprintf("并发导入%d", i), fmt.Sprintf("430001/%d", i), nil))
	}
	reversed := slices.Clone(rows[10:])
	slices.Reverse(reversed)
	for name, batches := range map[string][2][]*catalogv1.ImportRow{
		"the same file twice":   {rows, rows},
		"overlapping, reversed": {rows[:30], reversed},
	} {
		t.Run(name, func(t *testing.T) { importConcurrently(t, batches, len(rows)) })
	}
}

func importConcurrently(t *testing.T, batches [2][]*catalogv1.ImportRow, distinct int) {
	h := newHarness(t)
	who := h.actors()
	_, other := h.replica()
	var wg sync.WaitGroup
	results := make([]*catalogv1.ImportAssetsResponse, 2)
	failed := make([]error, 2)
	start := make(chan struct{})
	for i, client := range []catalogv1.CatalogServiceClient{h.client, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], failed[i] = client.ImportAssets(who.registrar, &catalogv1.ImportAssetsRequest{Rows: batches[i]})
		}()
	}
	close(start)
	wg.Wait()
	createdRows := 0
	for i := range results {
		require.NoError(t, failed[i])
		for _, r := range results[i].GetResults() {
			require.Contains(t, []catalogv1.ImportRowResult_Outcome{oCreated, oDuplicate}, r.GetOutcome())
			if r.GetOutcome() == oCreated {
				createdRows++
			}
		}
	}
	require.Equal(t, distinct, createdRows)
	require.Equal(t, distinct, h.count("assets"))
}

// Filing as an agent (委托代理): a registrar of the municipal data bureau imports rows held
// by two departments, sees and edits the drafts and submits them once the power of
// attorney is attached; a registrar of an unrelated organisation neither sees nor touches
// them.
func TestAgentFilesForOtherUnits(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	bureauReg := h.as("bao", bureau, auth.RoleRegistrar)
	holderC := h.as("cui", unitC, auth.RoleRegistrar)
	unrelated := who.registrarB

	rowC := importRow(2, unitC, "卫生健康委员会 医疗机构名录", "440001/1", func(a *catalogv1.Asset) { a.Agent = &catalogv1.Agent{Name: "市大数据局"} })
	rowD := importRow(3, unitD, "交通运输局 公交线路", "440001/2", nil)
	resp := h.importRows(bureauReg, false, rowC, rowD)
	require.Equal(t, []catalogv1.ImportRowResult_Outcome{oCreated, oCreated}, outcomesOf(resp))
	c, d := resp.GetResults()[0].GetAsset(), resp.GetResults()[1].GetAsset()
	require.True(t, proto.Equal(&catalogv1.Agent{Organisation: bureau, Name: "市大数据局"}, h.get(bureauReg, c).GetAgent()),
		"the bureau is recorded as agent; the name given stays")
	require.Equal(t, bureau, h.get(bureauReg, d).GetAgent().GetOrganisation())
	require.Equal(t, oDuplicate, h.importRows(bureauReg, false, rowC).GetResults()[0].GetOutcome(), "re-import by the agent")

	// Visible to the agent and the holder, not to an unrelated organisation.
	names := func(ctx context.Context) []string {
		resp, err := h.client.ListAssets(ctx, &catalogv1.ListAssetsRequest{})
		require.NoError(t, err)
		var out []string
		for _, a := range resp.GetAssets() {
			out = append(out, a.GetName())
		}
		return out
	}
	require.ElementsMatch(t, []string{c, d}, names(bureauReg))
	require.Equal(t, []string{c}, names(holderC))
	require.Empty(t, names(unrelated))
	_, err := h.client.GetAsset(unrelated, &catalogv1.GetAssetRequest{Name: c})
	requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)
	_, err = h.client.UpdateAsset(unrelated, &catalogv1.UpdateAssetRequest{Asset: &catalogv1.Asset{Name: c, Summary: "x"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"summary"}}})
	requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)
	theirs := importRow(2, unitC, "卫生健康委员会 医疗机构名录", "440001/1", func(a *catalogv1.Asset) { a.Summary = "篡改" })
	byExisting := proto.Clone(theirs).(*catalogv1.ImportRow)
	byExisting.Existing = c
	before := h.writes()
	res := h.importRows(unrelated, false, theirs, byExisting).GetResults()
	require.Equal(t, oInvalid, res[0].GetOutcome())
	// The code is "taken", as for a new draft: who holds an asset they cannot see (a draft)
	// is not told, not even by a dry run.
	require.Equal(t, domain.ReasonResourceCodeTaken, res[0].GetReason())
	require.Empty(t, res[0].GetAsset(), "nor is the asset named to them")
	require.Equal(t, domain.ReasonAssetNotFound, res[1].GetReason())
	require.Equal(t, before, h.writes())

	// The agent cannot change the holder.
	_, err = h.client.UpdateAsset(bureauReg, &catalogv1.UpdateAssetRequest{Asset: &catalogv1.Asset{Name: c, HolderOrganisation: unitD},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"holder_organisation"}}})
	requireStatus(t, err, codes.InvalidArgument, domain.ReasonImmutableField)

	// Submission needs the power of attorney (授权委托书), for real and validate-only alike.
	for _, validateOnly := range []bool{true, false} {
		_, err = h.client.SubmitApplication(bureauReg, &catalogv1.SubmitApplicationRequest{Parent: c,
			Type: catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, ValidateOnly: validateOnly})
		require.Equal(t, []string{"asset.evidence"}, requireStatus(t, err, codes.FailedPrecondition, domain.ReasonIncompleteRecord))
	}
	evidence := append(h.get(bureauReg, c).GetEvidence(), &catalogv1.Document{Name: "授权委托书.pdf", Kind: domain.DocumentPowerOfAttorney,
		Sha256: strings.Repeat("ab", 32), SizeBytes: 4096})
	_, err = h.client.UpdateAsset(bureauReg, &catalogv1.UpdateAssetRequest{Asset: &catalogv1.Asset{Name: c, Evidence: evidence},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"evidence"}}})
	require.NoError(t, err)
	_, err = h.client.SubmitApplication(unrelated, &catalogv1.SubmitApplicationRequest{Parent: c,
		Type: catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION})
	requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)
	sub := h.submit(bureauReg, c, catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, nil, "代为首次登记")
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_SUBMITTED, sub.GetAsset().GetState())
	apps, err := h.client.ListApplications(bureauReg, &catalogv1.ListApplicationsRequest{Parent: "assets/-"})
	require.NoError(t, err)
	require.Len(t, apps.GetApplications(), 1, "the agent follows its applications")
	apps, err = h.client.ListApplications(unrelated, &catalogv1.ListApplicationsRequest{Parent: "assets/-"})
	require.NoError(t, err)
	require.Empty(t, apps.GetApplications())
}

// SubmitApplication with validate_only runs every check of a submission and files
// nothing; a name-only draft gets every missing field at once.
func TestSubmitValidateOnly(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	bare := h.create(who.registrar, &catalogv1.Asset{DisplayName: "只有名称", HolderOrganisation: orgA})
	_, err := h.client.SubmitApplication(who.registrar, &catalogv1.SubmitApplicationRequest{Parent: bare.GetName(),
		Type: catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, ValidateOnly: true})
	fields := requireStatus(t, err, codes.FailedPrecondition, domain.ReasonIncompleteRecord)
	require.Equal(t, []string{"asset.summary", "asset.kind", "asset.data_source", "asset.legal_basis", "asset.evidence",
		"asset.category", "asset.grade", "asset.sharing_attribute", "asset.open_attribute", "asset.data_format",
		"asset.update_cycle", "asset.storage_location", "asset.security_measures", "asset.fields", "asset.contacts"}, fields)

	full := h.create(who.registrar, completeAsset(orgA, "完整草稿"))
	before := h.writes()
	resp, err := h.client.SubmitApplication(who.registrar, &catalogv1.SubmitApplicationRequest{Parent: full.GetName(),
		Type: catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, ValidateOnly: true})
	require.NoError(t, err)
	require.Nil(t, resp.GetApplication())
	require.Nil(t, resp.GetAsset())
	require.Equal(t, before, h.writes())
	require.Equal(t, 0, h.count("applications"))
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_DRAFT, h.get(who.registrar, full.GetName()).GetState())

	// The same refusals as the real call: another organisation, a reviewer.
	for _, ctx := range []context.Context{who.registrarB, who.reviewer} {
		_, err = h.client.SubmitApplication(ctx, &catalogv1.SubmitApplicationRequest{Parent: full.GetName(),
			Type: catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, ValidateOnly: true})
		requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)
	}
	h.submit(who.registrar, full.GetName(), catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, nil, "首次登记")
	_, err = h.client.SubmitApplication(who.registrar, &catalogv1.SubmitApplicationRequest{Parent: full.GetName(),
		Type: catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, ValidateOnly: true})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonInvalidTransition)
}
