package catalog_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/services/catalog/internal/domain"
)

// Issue 12: a reviewer of organisation A accepted and passed organisation A's own
// application. A reviewer (or an admin) of the holder's organisation may not act for the
// registry on its case, even on an application a colleague filed; nothing changes when
// refused; a reviewer of another organisation decides.
func TestReviewerOfTheHolderMayNotDecideItsApplications(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	colleagues := []context.Context{h.as("carl", orgA, auth.RoleReviewer), h.as("ada", orgA, auth.RoleAdmin)}
	asset := h.create(who.registrar, completeAsset(orgA, "城市道路交通流量数据"))
	app := h.submit(who.registrar, asset.GetName(), catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, nil, "首次登记").GetApplication()
	before := h.get(who.registrar, asset.GetName())

	for _, c := range colleagues {
		for _, d := range []catalogv1.Decision{catalogv1.Decision_DECISION_ACCEPT, catalogv1.Decision_DECISION_NOT_ACCEPT} {
			_, err := h.client.DecideApplication(c, &catalogv1.DecideApplicationRequest{Name: app.GetName(), Decision: d,
				ReasonCode: "OTHER", Reason: "x"})
			requireStatus(t, err, codes.PermissionDenied, domain.ReasonConflictOfInterest)
		}
	}
	after := h.get(who.registrar, asset.GetName())
	require.Equal(t, before.GetRevision(), after.GetRevision(), "a refused decision writes nothing")
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_SUBMITTED, after.GetState())

	h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_ACCEPT, "", "")
	for _, d := range []catalogv1.Decision{catalogv1.Decision_DECISION_PASS, catalogv1.Decision_DECISION_RETURN, catalogv1.Decision_DECISION_REFUSE} {
		_, err := h.client.DecideApplication(colleagues[0], &catalogv1.DecideApplicationRequest{Name: app.GetName(), Decision: d,
			ReasonCode: "OTHER", Reason: "x"})
		requireStatus(t, err, codes.PermissionDenied, domain.ReasonConflictOfInterest)
	}
	passed := h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_PASS, "", "形式审核通过")
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_IN_PUBLICITY, passed.GetAsset().GetState())

	// Objections on its own case are decided by the other organisation's reviewer too.
	obj, err := h.client.FileObjection(who.registrarB, &catalogv1.FileObjectionRequest{Parent: app.GetName(), Text: "权属存在争议"})
	require.NoError(t, err)
	_, err = h.client.ResolveObjection(colleagues[0], &catalogv1.ResolveObjectionRequest{Name: obj.GetObjection().GetName(),
		Outcome: catalogv1.ObjectionState_OBJECTION_STATE_DISMISSED, Resolution: "异议不成立"})
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonConflictOfInterest)
	_, err = h.client.ResolveObjection(who.reviewer, &catalogv1.ResolveObjectionRequest{Name: obj.GetObjection().GetName(),
		Outcome: catalogv1.ObjectionState_OBJECTION_STATE_DISMISSED, Resolution: "异议不成立"})
	require.NoError(t, err)
	require.Equal(t, 1, h.endPublicity(passed.GetApplication()))

	// And on the registered asset: no freeze, reinstatement or disposal decision by them.
	_, err = h.client.SuspendAsset(colleagues[0], &catalogv1.SuspendAssetRequest{Name: asset.GetName(), Incident: &catalogv1.Incident{Summary: "疑似泄露"}})
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonConflictOfInterest)
	_, err = h.client.SuspendAsset(who.reviewer, &catalogv1.SuspendAssetRequest{Name: asset.GetName(), Incident: &catalogv1.Incident{Summary: "疑似泄露"}})
	require.NoError(t, err)
	_, err = h.client.ReinstateAsset(colleagues[1], &catalogv1.ReinstateAssetRequest{Name: asset.GetName(), Resolution: "排查完毕"})
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonConflictOfInterest)
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_SUSPENDED, h.get(who.registrar, asset.GetName()).GetState())
}

// Issue 12: any reviewer read every organisation's unsubmitted drafts. A draft (never
// submitted, not accepted or withdrawn) is visible only to its organisation and auditors,
// through every read path: get, list, search, history, certificate, applications.
func TestDraftsAreVisibleOnlyToTheirOrganisation(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	colleague := h.as("carl", orgA, auth.RoleReviewer)
	draft := h.create(who.registrar, completeAsset(orgA, "企业登记信息草稿"))
	own := h.create(who.registrarB, completeAsset(orgB, "本单位交通草稿"))

	hidden := func(ctx context.Context, name string) {
		t.Helper()
		_, err := h.client.GetAsset(ctx, &catalogv1.GetAssetRequest{Name: name})
		requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)
		_, err = h.client.ListAssetRevisions(ctx, &catalogv1.ListAssetRevisionsRequest{Name: name})
		requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)
		_, err = h.client.GetCertificate(ctx, &catalogv1.GetCertificateRequest{Name: name})
		requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)
		_, err = h.client.ListApplications(ctx, &catalogv1.ListApplicationsRequest{Parent: name})
		requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)
	}
	listed := func(ctx context.Context, query string) []string {
		t.Helper()
		resp, err := h.client.ListAssets(ctx, &catalogv1.ListAssetsRequest{Query: query})
		require.NoError(t, err)
		var names []string
		for _, a := range resp.GetAssets() {
			names = append(names, a.GetName())
		}
		return names
	}
	applications := func(ctx context.Context) []string {
		t.Helper()
		resp, err := h.client.ListApplications(ctx, &catalogv1.ListApplicationsRequest{Parent: "assets/-"})
		require.NoError(t, err)
		var names []string
		for _, p := range resp.GetApplications() {
			names = append(names, p.GetName())
		}
		return names
	}

	// A draft: the other organisation's reviewer sees nothing of it, by any path.
	hidden(who.reviewer, draft.GetName())
	require.Equal(t, []string{own.GetName()}, listed(who.reviewer, ""), "their own organisation's draft only")
	require.Empty(t, listed(who.reviewer, "企业登记"), "search does not find it")
	// Its organisation (any role) and auditors do.
	for _, ctx := range []context.Context{who.registrar, colleague, who.auditor} {
		require.Equal(t, "企业登记信息草稿", h.get(ctx, draft.GetName()).GetDisplayName())
		require.Contains(t, listed(ctx, "企业登记"), draft.GetName())
	}

	// Submitted, it is the registry's business.
	app := h.submit(who.registrar, draft.GetName(), catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, nil, "首次登记").GetApplication()
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_SUBMITTED, h.get(who.reviewer, draft.GetName()).GetState())
	require.Contains(t, listed(who.reviewer, "企业登记"), draft.GetName())
	require.Contains(t, applications(who.reviewer), app.GetName())

	// Withdrawn, it is the holder's draft again: hidden from the other organisation's
	// reviewer with its applications, still visible to auditors.
	_, err := h.client.WithdrawApplication(who.registrar, &catalogv1.WithdrawApplicationRequest{Name: app.GetName(), Reason: "补充材料"})
	require.NoError(t, err)
	hidden(who.reviewer, draft.GetName())
	require.NotContains(t, listed(who.reviewer, ""), draft.GetName())
	require.NotContains(t, applications(who.reviewer), app.GetName())
	_, err = h.client.GetApplication(who.reviewer, &catalogv1.GetApplicationRequest{Name: app.GetName()})
	requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)
	require.Contains(t, applications(who.auditor), app.GetName())
	require.Contains(t, applications(colleague), app.GetName())
	// Acting on it is NOT_FOUND as well (the reviewer cannot tell it exists).
	_, err = h.client.SuspendAsset(who.reviewer, &catalogv1.SuspendAssetRequest{Name: draft.GetName(), Incident: &catalogv1.Incident{Summary: "x"}})
	requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)
}
