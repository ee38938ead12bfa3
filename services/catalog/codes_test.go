package catalog_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/services/catalog/internal/domain"
)

// violationText returns the English description of the violation of field in err.
func violationText(t *testing.T, err error, field string) string {
	t.Helper()
	st, _ := status.FromError(err)
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field {
					return v.GetDescription()
				}
			}
		}
	}
	t.Fatalf("no violation on %s in %v", field, err)
	return ""
}

// TestOfficeVocabularyIsStoredAsCodes: a client sending the words a data office writes (接口,
// 每5分钟, 卫生健康, 交通运输 …) gets the codes stored, on create and on update, for the
// current version and for records citing 2024.1; a word that names nothing is refused with
// the accepted labels.
func TestOfficeVocabularyIsStoredAsCodes(t *testing.T) {
	h := newHarness(t)
	who := h.actors()

	a := completeAsset(orgA, "全市医疗机构诊疗数据")
	a.Category = "卫生健康"                              // alias of Q (GB/T 4754 门类)
	a.Sectors = []string{"医疗", "HEALTHCARE", "城市治理"} // alias, code, label
	a.UpdateCycle = "每5分钟"
	a.StorageMode = "政务云平台"
	a.Evidence[0].Kind = "法律依据"
	a.Catalogue = &catalogv1.CatalogueMetadata{SharingMethod: "接口", Theme: "卫生健康", ResourceCode: "101001/000001"}
	created := h.create(who.registrar, a)
	for _, got := range []*catalogv1.Asset{created, h.get(who.registrar, created.GetName())} {
		require.Equal(t, "2026.1", got.GetCodeListVersion(), "a draft without a version cites the current one")
		require.Equal(t, "API", got.GetCatalogue().GetSharingMethod())
		require.Equal(t, "CULTURE_HEALTH_SPORTS", got.GetCatalogue().GetTheme())
		require.Equal(t, "REALTIME", got.GetUpdateCycle())
		require.Equal(t, "Q", got.GetCategory())
		require.Equal(t, []string{"HEALTHCARE", "URBAN_GOVERNANCE"}, got.GetSectors(), "an alias and its code are one sector")
		require.Equal(t, "CLOUD", got.GetStorageMode())
		require.Equal(t, "legal_basis", got.GetEvidence()[0].GetKind())
	}

	// List filters take the same words.
	list, err := h.client.ListAssets(who.registrar, &catalogv1.ListAssetsRequest{Categories: []string{"卫生健康"}, Sectors: []string{"医疗"}})
	require.NoError(t, err)
	require.Len(t, list.GetAssets(), 1)
	require.Equal(t, created.GetName(), list.GetAssets()[0].GetName())

	// Update: the same resolution on the masked fields.
	resp, err := h.client.UpdateAsset(who.registrar, &catalogv1.UpdateAssetRequest{
		Asset:      &catalogv1.Asset{Name: created.GetName(), UpdateCycle: "按月", Catalogue: &catalogv1.CatalogueMetadata{SharingMethod: "库表", Theme: "交通运输"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"update_cycle", "catalogue.sharing_method", "catalogue.theme"}}})
	require.NoError(t, err)
	require.Equal(t, "MONTHLY", resp.GetAsset().GetUpdateCycle())
	require.Equal(t, "DATABASE_EXCHANGE", resp.GetAsset().GetCatalogue().GetSharingMethod())
	require.Equal(t, "INDUSTRY_TRANSPORT", resp.GetAsset().GetCatalogue().GetTheme())

	// Unknown words: INVALID_ARGUMENT naming the accepted labels.
	bad := completeAsset(orgA, "未知周期")
	bad.UpdateCycle = "每5秒"
	bad.Catalogue = &catalogv1.CatalogueMetadata{Theme: "宇宙探索"}
	_, err = h.client.CreateAsset(who.registrar, &catalogv1.CreateAssetRequest{Asset: bad})
	fields := requireStatus(t, err, codes.InvalidArgument, domain.ReasonUnknownCode)
	require.ElementsMatch(t, []string{"asset.update_cycle", "asset.catalogue.theme"}, fields)
	require.Contains(t, violationText(t, err, "asset.update_cycle"),
		`unknown update cycle "每5秒": accepted 实时, 每小时, 每日, 每周, 每月, 每季度, 每半年, 每年, 不定期, 不更新`)
	require.Contains(t, violationText(t, err, "asset.catalogue.theme"), "综合政务, 经济管理, 国土资源、能源")

	// A record citing 2024.1 still validates, its aliases resolve, and it has no theme list.
	old := completeAsset(orgA, "旧版本代码")
	old.CodeListVersion = "2024.1"
	old.Catalogue = &catalogv1.CatalogueMetadata{SharingMethod: "文件"}
	got := h.create(who.registrar, old)
	require.Equal(t, "2024.1", got.GetCodeListVersion())
	require.Equal(t, "FILE_DOWNLOAD", got.GetCatalogue().GetSharingMethod())
	old.DisplayName, old.Catalogue.Theme = "旧版本带主题", "综合政务"
	_, err = h.client.CreateAsset(who.registrar, &catalogv1.CreateAssetRequest{Asset: old})
	require.Equal(t, []string{"asset.catalogue.theme"}, requireStatus(t, err, codes.InvalidArgument, domain.ReasonUnknownCode))
	require.Contains(t, violationText(t, err, "asset.catalogue.theme"), "version 2024.1 has no theme list")

	// A reviewer's reason code may be written as its label or an alias, too.
	app := h.submit(who.registrar, got.GetName(), catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, nil, "").GetApplication()
	h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_ACCEPT, "", "")
	_, err = h.client.DecideApplication(who.reviewer, &catalogv1.DecideApplicationRequest{Name: app.GetName(),
		Decision: catalogv1.Decision_DECISION_REFUSE, ReasonCode: "看不懂", Reason: "x"})
	requireStatus(t, err, codes.InvalidArgument, domain.ReasonReasonRequired)
	require.Contains(t, violationText(t, err, "reason_code"), "属于核心数据, 数据来源不合法")
	ref := h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_REFUSE, "权属争议", "权属争议未解决")
	history := ref.GetApplication().GetHistory()
	require.Equal(t, "OWNERSHIP_DISPUTE", history[len(history)-1].GetReasonCode())
}

// TestListCodeListsServesAliasesAndThemes: the current version lists the theme
// classification beside the industry one, the document kinds, and every code's aliases;
// 2024.1 is still served as it was, with aliases added.
func TestListCodeListsServesAliasesAndThemes(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	lists := func(version string) map[string]*catalogv1.CodeList {
		resp, err := h.client.ListCodeLists(who.auditor, &catalogv1.ListCodeListsRequest{Version: version})
		require.NoError(t, err)
		out := map[string]*catalogv1.CodeList{}
		for _, l := range resp.GetLists() {
			require.Equal(t, resp.GetVersion(), l.GetVersion())
			out[l.GetList()] = l
		}
		return out
	}
	code := func(l *catalogv1.CodeList, c string) *catalogv1.Code {
		for _, x := range l.GetCodes() {
			if x.GetCode() == c {
				return x
			}
		}
		t.Fatalf("%s has no code %s", l.GetList(), c)
		return nil
	}

	cur := lists("")
	require.Equal(t, "2026.1", cur["theme"].GetVersion())
	require.Len(t, cur["theme"].GetCodes(), 21, "20 themes of GB/T 21063.4 and OTHER")
	require.Equal(t, "综合政务", cur["theme"].GetCodes()[0].GetLabelZh())
	require.Subset(t, code(cur["theme"], "CULTURE_HEALTH_SPORTS").GetAliases(), []string{"卫生健康", "医疗卫生"})
	require.Len(t, cur["category"].GetCodes(), 20, "GB/T 4754 sections A–T")
	require.Equal(t, []string{"接口", "API接口", "服务接口", "接口调用"}, code(cur["sharing_method"], "API").GetAliases())
	require.Contains(t, code(cur["update_cycle"], "REALTIME").GetAliases(), "每5分钟")
	var kinds []string
	for _, c := range cur["document_kind"].GetCodes() {
		kinds = append(kinds, c.GetCode())
	}
	require.Equal(t, []string{"legal_basis", "source", "commitment_letter", "power_of_attorney", "disposal_evidence", "other"}, kinds)

	old := lists("2024.1")
	require.NotContains(t, old, "theme")
	require.NotContains(t, old, "document_kind")
	require.Contains(t, code(old["sharing_method"], "API").GetAliases(), "接口", "aliases were added to 2024.1")
	for name, l := range old {
		require.Equal(t, len(l.GetCodes()), len(cur[name].GetCodes()), "2026.1 holds every code of 2024.1 (%s)", name)
		for i, c := range l.GetCodes() {
			n := cur[name].GetCodes()[i]
			require.Equal(t, []string{c.GetCode(), c.GetLabelZh(), c.GetLabelEn()}, []string{n.GetCode(), n.GetLabelZh(), n.GetLabelEn()})
		}
	}
	require.True(t, slices.ContainsFunc(old["category"].GetCodes(), func(c *catalogv1.Code) bool { return c.GetCode() == "T" }))
}
