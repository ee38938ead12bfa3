package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/auth"
)

// TestScenarioLinksFollowRightsEndToEnd: in one process, a scenario links an asset the
// catalog registered under a grant the rights service made (LinkAsset calls rights over
// gRPC with the caller's token); revoking the grant blocks the link through the stream.
func TestScenarioLinksFollowRightsEndToEnd(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rights := rightsv1.NewRightsServiceClient(s.conn)
	scenarios := scenariov1.NewScenarioServiceClient(s.conn)
	asset := registeredAsset(t, s, ctx, orgA)

	operator := s.as(t, ctx, orgB, auth.RoleScenarioOperator)
	sc, err := scenarios.ProposeScenario(operator, &scenariov1.ProposeScenarioRequest{Scenario: &scenariov1.Scenario{
		DisplayName: "公交准点率提升", Sector: "TRANSPORT", Objective: "准点率提高 5%"}})
	require.NoError(t, err)
	link := &scenariov1.LinkAssetRequest{Parent: sc.GetScenario().GetName(), Link: &scenariov1.Link{Asset: asset,
		Right: rightsv1.Right_RIGHT_PROCESSING_USE, DeliveryForm: rightsv1.DeliveryForm_DELIVERY_FORM_API, Reason: "到站预测"}}
	_, err = scenarios.LinkAsset(operator, link)
	require.Error(t, err, "no grant yet")
	require.Contains(t, err.Error(), "NO_GRANT")

	admin := s.as(t, ctx, orgA, auth.RoleRightsAdmin)
	var grant *rightsv1.Grant
	require.Eventually(t, func() bool {
		resp, err := rights.CreateGrant(admin, &rightsv1.CreateGrantRequest{Grant: &rightsv1.Grant{
			Asset: asset, Right: rightsv1.Right_RIGHT_PROCESSING_USE, GranteeOrganisation: orgB,
			LegalBasis: &rightsv1.LegalBasis{Kind: rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_CONTRACT, DocumentNumber: "HT-2", Sha256: strings.Repeat("ef", 32)},
			Scope:      &rightsv1.Scope{Purposes: []string{"TRANSPORT"}, DeliveryForms: []rightsv1.DeliveryForm{rightsv1.DeliveryForm_DELIVERY_FORM_API}},
			ValidFrom:  timestamppb.New(time.Now().Add(-time.Hour)), ValidUntil: timestamppb.New(time.Now().Add(24 * time.Hour)),
			FeeTerms: rightsv1.FeeTerms_FEE_TERMS_PAID_CONDITIONAL}})
		grant = resp.GetGrant()
		return err == nil
	}, 10*time.Second, 50*time.Millisecond)

	linked, err := scenarios.LinkAsset(operator, link)
	require.NoError(t, err)
	require.Equal(t, grant.GetName(), linked.GetLink().GetGrant())
	require.Equal(t, []string{grant.GetName()}, linked.GetChain())

	_, err = rights.RevokeGrant(admin, &rightsv1.RevokeGrantRequest{Name: grant.GetName(), Reason: "合同终止"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		resp, err := scenarios.ListLinks(operator, &scenariov1.ListLinksRequest{Parent: sc.GetScenario().GetName()})
		require.NoError(t, err)
		return len(resp.GetLinks()) == 1 && resp.GetLinks()[0].GetState() == scenariov1.LinkState_LINK_STATE_BLOCKED
	}, 10*time.Second, 20*time.Millisecond, "the revocation did not block the link")
}
