package catalog_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

// Regression tests for what a review of the import found: a re-import must not clear what
// the sheet has no column for, ids and keys match whatever way a UUID is spelt, one row's
// bad character never fails the batch, and an alias is no change.

// A sheet without an evidence column, imported again after documents were attached,
// changes only its own columns (the row's update_mask).
func TestImportRowChangesOnlyItsColumns(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	sheet := func(n int64, summary string) *catalogv1.ImportRow {
		r := importRow(n, orgA, "掩码一", "430001/1", func(a *catalogv1.Asset) { a.Summary, a.Evidence = summary, nil })
		r.UpdateMask = &fieldmaskpb.FieldMask{Paths: []string{"display_name", "summary", "holder_organisation", "catalogue.resource_code", "name"}}
		return r
	}
	created := h.importRows(who.registrar, false, sheet(2, "第一版"))
	require.Equal(t, oCreated, created.GetResults()[0].GetOutcome())
	name := created.GetResults()[0].GetAsset()

	// The power of attorney is attached after the import.
	a := h.get(who.registrar, name)
	poa := &catalogv1.Document{Name: "授权委托书.pdf", Kind: "power_of_attorney", SizeBytes: 10, Sha256: strings.Repeat("ab", 32)}
	_, err := h.client.UpdateAsset(who.registrar, &catalogv1.UpdateAssetRequest{
		Asset:      &catalogv1.Asset{Name: name, Evidence: append(a.GetEvidence(), poa)},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"evidence"}}})
	require.NoError(t, err)

	again := h.importRows(who.registrar, false, sheet(2, "第一版"))
	require.Equal(t, oDuplicate, again.GetResults()[0].GetOutcome(), "the same sheet again changes nothing")
	edited := h.importRows(who.registrar, false, sheet(2, "第二版"))
	require.Equal(t, oUpdated, edited.GetResults()[0].GetOutcome())
	got := h.get(who.registrar, name)
	require.Equal(t, "第二版", got.GetSummary())
	require.True(t, proto.Equal(poa, got.GetEvidence()[len(got.GetEvidence())-1]), "the attached document stays: %v", got.GetEvidence())

	// A mask naming a field that does not exist is the row's fault.
	bad := sheet(3, "第三版")
	bad.UpdateMask.Paths = append(bad.UpdateMask.Paths, "no_such_field")
	res := h.importRows(who.registrar, false, bad).GetResults()[0]
	require.Equal(t, oInvalid, res.GetOutcome())
	require.Equal(t, []string{"update_mask"}, violatedFields(res))
}

// A UUID spelt in upper case, in braces or as a URN names the same asset and key.
func TestImportMatchesUUIDsHoweverSpelt(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	row := importRow(2, orgA, "大小写", "430002/1", nil)
	noCode := importRow(3, orgA, "无代码", "", nil) // matched by its import key alone
	created := h.importRows(who.registrar, false, row, noCode)
	require.Equal(t, []catalogv1.ImportRowResult_Outcome{oCreated, oCreated}, outcomesOf(created))
	id := strings.TrimPrefix(created.GetResults()[0].GetAsset(), "assets/")

	upperKey := proto.Clone(noCode).(*catalogv1.ImportRow)
	upperKey.ImportKey = strings.ToUpper(noCode.GetImportKey())
	byID := func(n int64, spelt string) *catalogv1.ImportRow {
		r := exportRow(n, h.get(who.registrar, "assets/"+id))
		r.Existing = "assets/" + spelt
		return r
	}
	before := h.writes()
	resp := h.importRows(who.registrar, false, upperKey, byID(4, strings.ToUpper(id)), byID(5, "{"+id+"}"), byID(6, "urn:uuid:"+id))
	require.Equal(t, []catalogv1.ImportRowResult_Outcome{oDuplicate, oDuplicate, oDuplicate, oDuplicate}, outcomesOf(resp))
	require.Equal(t, created.GetResults()[1].GetAsset(), resp.GetResults()[0].GetAsset())
	require.Equal(t, before, h.writes())
}

// A NUL character in one row's cell makes that row invalid; the others are imported (it
// once reached Postgres and failed the whole batch as an internal error).
func TestImportRefusesANULInItsRow(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	resp := h.importRows(who.registrar, false,
		importRow(2, orgA, "空字符一", "430003/1", nil),
		importRow(3, orgA, "空字\x00符二", "430003/2", nil),
		importRow(4, orgA, "空字符三", "430003/3", func(a *catalogv1.Asset) { a.Tags = []string{"a\x00"} }))
	require.Equal(t, []catalogv1.ImportRowResult_Outcome{oCreated, oInvalid, oInvalid}, outcomesOf(resp))
	require.Equal(t, []string{"display_name"}, violatedFields(resp.GetResults()[1]))
	require.Equal(t, []string{"tags[0]"}, violatedFields(resp.GetResults()[2]))
	require.NotEmpty(t, resp.GetResults()[1].GetViolations()[0].GetDescriptionZh())
}

// An office word (接口) and its code (API) are the same value: two rows of one batch that
// differ only so describe one asset, and a re-import in words changes nothing.
func TestImportAliasIsNoChange(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	inWords := func(n int64) *catalogv1.ImportRow {
		return importRow(n, orgA, "别名", "430004/1", func(a *catalogv1.Asset) { a.Catalogue.SharingMethod, a.UpdateCycle = "接口", "每天" })
	}
	resp := h.importRows(who.registrar, false, inWords(2), inWords(3))
	require.Equal(t, []catalogv1.ImportRowResult_Outcome{oCreated, oDuplicate}, outcomesOf(resp))
	got := h.get(who.registrar, resp.GetResults()[0].GetAsset())
	require.Equal(t, "API", got.GetCatalogue().GetSharingMethod())
	require.Equal(t, "DAILY", got.GetUpdateCycle())
	require.Equal(t, oDuplicate, h.importRows(who.registrar, false, inWords(2)).GetResults()[0].GetOutcome())
}
