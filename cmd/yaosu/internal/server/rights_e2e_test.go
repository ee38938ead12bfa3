package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/pkg/auth"
)

// registeredAsset registers a complete asset of org through the real catalog: apply,
// accept, pass, and the scheduler ends the test stack's 3 s publicity window.
func registeredAsset(t *testing.T, s *stack, ctx context.Context, org string) string {
	t.Helper()
	reg := s.as(t, ctx, org, auth.RoleRegistrar)
	created, err := s.catalog.CreateAsset(reg, &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{
		DisplayName: "公交到站预测数据", Summary: "全市公交车辆到站时间预测", HolderOrganisation: org,
		Kind: catalogv1.AssetKind_ASSET_KIND_DATA_RESOURCE, DataSource: "车载定位", LegalBasis: "《公共交通条例》",
		Evidence: []*catalogv1.Document{{Name: "授权书.pdf", Sha256: strings.Repeat("ab", 32), SizeBytes: 10}},
		Category: "G", Grade: catalogv1.Grade_GRADE_GENERAL, SharingAttribute: catalogv1.SharingAttribute_SHARING_ATTRIBUTE_UNCONDITIONAL,
		OpenAttribute: catalogv1.OpenAttribute_OPEN_ATTRIBUTE_NOT_OPEN, DataFormat: "JSON", UpdateCycle: "REALTIME",
		StorageLocation: "政务云", SecurityMeasures: "加密", Fields: []*catalogv1.DataField{{Name: "line"}},
		Contacts: []*catalogv1.Contact{{Name: "王五"}},
	}})
	require.NoError(t, err)
	name := created.GetAsset().GetName()
	sub, err := s.catalog.SubmitApplication(reg, &catalogv1.SubmitApplicationRequest{Parent: name,
		Type: catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION})
	require.NoError(t, err)
	rev := s.as(t, ctx, orgB, auth.RoleReviewer)
	for _, d := range []catalogv1.Decision{catalogv1.Decision_DECISION_ACCEPT, catalogv1.Decision_DECISION_PASS} {
		_, err := s.catalog.DecideApplication(rev, &catalogv1.DecideApplicationRequest{Name: sub.GetApplication().GetName(), Decision: d})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		a, err := s.catalog.GetAsset(reg, &catalogv1.GetAssetRequest{Name: name})
		require.NoError(t, err)
		return a.GetAsset().GetState() == catalogv1.AssetState_ASSET_STATE_REGISTERED
	}, 20*time.Second, 50*time.Millisecond, "publicity did not end")
	return name
}

// TestRightsFollowTheCatalogEndToEnd: the real catalog registers, suspends and reinstates
// an asset; its events reach the rights service through the outbox, the relay and
// JetStream; checks follow within moments.
func TestRightsFollowTheCatalogEndToEnd(t *testing.T) {
	// NATS with users: `audit verify` (below) reads the stream as the auditor.
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rights := rightsv1.NewRightsServiceClient(s.conn)
	asset := registeredAsset(t, s, ctx, orgA)

	svc := s.as(t, ctx, orgA, auth.RoleService)
	check := &rightsv1.CheckRequest{Organisation: orgB, Asset: asset, Right: rightsv1.Right_RIGHT_PROCESSING_USE,
		Purpose: "TRANSPORT", DeliveryForm: rightsv1.DeliveryForm_DELIVERY_FORM_API}
	admin := s.as(t, ctx, orgA, auth.RoleRightsAdmin)
	var grant *rightsv1.Grant
	require.Eventually(t, func() bool { // the projection arrives through the stream
		resp, err := rights.CreateGrant(admin, &rightsv1.CreateGrantRequest{Grant: &rightsv1.Grant{
			Asset: asset, Right: rightsv1.Right_RIGHT_PROCESSING_USE, GranteeOrganisation: orgB,
			LegalBasis: &rightsv1.LegalBasis{Kind: rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_CONTRACT, DocumentNumber: "HT-1", Sha256: strings.Repeat("cd", 32)},
			Scope:      &rightsv1.Scope{Purposes: []string{"TRANSPORT"}, DeliveryForms: []rightsv1.DeliveryForm{rightsv1.DeliveryForm_DELIVERY_FORM_API}},
			ValidFrom:  timestamppb.New(time.Now().Add(-time.Hour)), ValidUntil: timestamppb.New(time.Now().Add(24 * time.Hour)),
			FeeTerms: rightsv1.FeeTerms_FEE_TERMS_FREE_CONDITIONAL}})
		grant = resp.GetGrant()
		return err == nil
	}, 10*time.Second, 50*time.Millisecond)
	allowed := func() bool {
		resp, err := rights.Check(svc, check)
		require.NoError(t, err)
		return resp.GetAllowed()
	}
	require.True(t, allowed())

	reviewer := s.as(t, ctx, orgB, auth.RoleReviewer)
	_, err := s.catalog.SuspendAsset(reviewer, &catalogv1.SuspendAssetRequest{Name: asset, Incident: &catalogv1.Incident{Summary: "数据异常"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return !allowed() }, 10*time.Second, 10*time.Millisecond, "suspension did not reach the checks")
	got, err := rights.GetGrant(admin, &rightsv1.GetGrantRequest{Name: grant.GetName()})
	require.NoError(t, err)
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_SUSPENDED, got.GetGrant().GetState())

	_, err = s.catalog.ReinstateAsset(reviewer, &catalogv1.ReinstateAssetRequest{Name: asset, Resolution: "已排查"})
	require.NoError(t, err)
	require.Eventually(t, allowed, 10*time.Second, 10*time.Millisecond, "reinstatement did not reach the checks")

	// Every event so far (several per catalog transition, grant events, ...) verifies in
	// the audit log: revisions included.
	ctl, must := yaosuctl(t, s)
	_ = ctl
	must("login", "--dev", "--org", orgB, "--role", "auditor")
	require.Eventually(t, func() bool {
		_, _, err := ctl("audit", "verify")
		return err == nil
	}, 20*time.Second, 200*time.Millisecond, "audit verify")
	report := must("audit", "verify")
	require.True(t, strings.HasPrefix(report, "OK: "), report)
	require.Contains(t, report, "no gaps or repeats", report)
	t.Log(report)
}
