package chaos

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/auth"
)

// linked is a registered asset of orgA, a processing-use grant to orgB and orgB's
// scenario link that rests on it: the state the ordering and forgery cases act on.
type linked struct {
	asset, grant, scenario, link string
}

// registerAndLink builds linked through replica 0, with a reviewer of another
// organisation (a reviewer may not decide their own organisation's application).
func (h *harness) registerAndLink(ctx context.Context) linked {
	h.t.Helper()
	conn := h.replicas[0].conn
	catalog := catalogv1.NewCatalogServiceClient(conn)
	rights := rightsv1.NewRightsServiceClient(conn)
	scenarios := scenariov1.NewScenarioServiceClient(conn)
	reg := h.as(ctx, orgA, auth.RoleRegistrar)
	created, err := catalog.CreateAsset(reg, &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{
		DisplayName: "公交到站预测数据", Summary: "全市公交车辆到站时间预测", HolderOrganisation: orgA,
		Kind: catalogv1.AssetKind_ASSET_KIND_DATA_RESOURCE, DataSource: "车载定位", LegalBasis: "《公共交通条例》",
		Evidence: []*catalogv1.Document{{Name: "授权书.pdf", Sha256: strings.Repeat("ab", 32), SizeBytes: 10}},
		Category: "G", Grade: catalogv1.Grade_GRADE_GENERAL, SharingAttribute: catalogv1.SharingAttribute_SHARING_ATTRIBUTE_UNCONDITIONAL,
		OpenAttribute: catalogv1.OpenAttribute_OPEN_ATTRIBUTE_NOT_OPEN, DataFormat: "JSON", UpdateCycle: "REALTIME",
		StorageLocation: "政务云", SecurityMeasures: "加密", Fields: []*catalogv1.DataField{{Name: "line"}},
		Contacts: []*catalogv1.Contact{{Name: "王五"}},
	}})
	h.must(err, "create asset")
	var l linked
	l.asset = created.GetAsset().GetName()
	sub, err := catalog.SubmitApplication(reg, &catalogv1.SubmitApplicationRequest{Parent: l.asset,
		Type: catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION})
	h.must(err, "submit")
	rev := h.as(ctx, orgB, auth.RoleReviewer)
	for _, d := range []catalogv1.Decision{catalogv1.Decision_DECISION_ACCEPT, catalogv1.Decision_DECISION_PASS} {
		_, err := catalog.DecideApplication(rev, &catalogv1.DecideApplicationRequest{Name: sub.GetApplication().GetName(), Decision: d})
		h.must(err, "decide "+d.String())
	}
	h.must(poll(30*time.Second, 50*time.Millisecond, func() bool {
		a, err := catalog.GetAsset(reg, &catalogv1.GetAssetRequest{Name: l.asset})
		return err == nil && a.GetAsset().GetState() == catalogv1.AssetState_ASSET_STATE_REGISTERED
	}), "publicity did not end")

	admin := h.as(ctx, orgA, auth.RoleRightsAdmin)
	// Rights learns of the registration from the catalog's events: wait for it.
	h.must(poll(30*time.Second, 50*time.Millisecond, func() bool {
		resp, err := rights.CreateGrant(admin, &rightsv1.CreateGrantRequest{Grant: &rightsv1.Grant{
			Asset: l.asset, Right: rightsv1.Right_RIGHT_PROCESSING_USE, GranteeOrganisation: orgB,
			LegalBasis: &rightsv1.LegalBasis{Kind: rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_CONTRACT, DocumentNumber: "HT-CHAOS", Sha256: strings.Repeat("ef", 32)},
			Scope:      &rightsv1.Scope{Purposes: []string{"TRANSPORT"}, DeliveryForms: []rightsv1.DeliveryForm{rightsv1.DeliveryForm_DELIVERY_FORM_API}},
			ValidFrom:  timestamppb.New(time.Now().Add(-time.Hour)), ValidUntil: timestamppb.New(time.Now().Add(24 * time.Hour)),
			FeeTerms: rightsv1.FeeTerms_FEE_TERMS_PAID_CONDITIONAL}})
		l.grant = resp.GetGrant().GetName()
		return err == nil
	}), "grant")

	operator := h.as(ctx, orgB, auth.RoleScenarioOperator)
	sc, err := scenarios.ProposeScenario(operator, &scenariov1.ProposeScenarioRequest{Scenario: &scenariov1.Scenario{
		DisplayName: "公交准点率提升", Sector: "TRANSPORT", Objective: "准点率提高 5%"}})
	h.must(err, "propose scenario")
	l.scenario = sc.GetScenario().GetName()
	linkedResp, err := scenarios.LinkAsset(operator, &scenariov1.LinkAssetRequest{Parent: l.scenario, Link: &scenariov1.Link{
		Asset: l.asset, Right: rightsv1.Right_RIGHT_PROCESSING_USE, DeliveryForm: rightsv1.DeliveryForm_DELIVERY_FORM_API, Reason: "到站预测"}})
	h.must(err, "link")
	l.link = linkedResp.GetLink().GetName()
	return l
}

// grantState is the grant's state as rights holds it.
func (h *harness) grantState(ctx context.Context, l linked) rightsv1.GrantState {
	h.t.Helper()
	g, err := rightsv1.NewRightsServiceClient(h.replicas[0].conn).GetGrant(h.as(ctx, orgA, auth.RoleRightsAdmin), &rightsv1.GetGrantRequest{Name: l.grant})
	h.must(err, "get grant")
	return g.GetGrant().GetState()
}

// linkState is the link's state as the scenario service holds it.
func (h *harness) linkState(ctx context.Context, l linked) scenariov1.LinkState {
	h.t.Helper()
	resp, err := scenariov1.NewScenarioServiceClient(h.replicas[0].conn).ListLinks(h.as(ctx, orgB, auth.RoleScenarioOperator),
		&scenariov1.ListLinksRequest{Parent: l.scenario})
	h.must(err, "list links")
	for _, k := range resp.GetLinks() {
		if k.GetName() == l.link {
			return k.GetState()
		}
	}
	h.t.Fatalf("link %s not listed", l.link)
	return 0
}

// flip suspends and reinstates the grant n calls in a row, starting from its current
// state (an odd n leaves it in the other state), alternating the replica that takes each
// call. Every call must succeed.
func (h *harness) flip(ctx context.Context, l linked, n int) {
	h.t.Helper()
	admin := h.as(ctx, orgA, auth.RoleRightsAdmin)
	suspend := h.grantState(ctx, l) == rightsv1.GrantState_GRANT_STATE_ACTIVE
	for i := range n {
		rights := rightsv1.NewRightsServiceClient(h.replicas[i%len(h.replicas)].conn)
		var err error
		if suspend {
			_, err = rights.SuspendGrant(admin, &rightsv1.SuspendGrantRequest{Name: l.grant, Reason: fmt.Sprintf("核查 %d", i)})
		} else {
			_, err = rights.ReinstateGrant(admin, &rightsv1.ReinstateGrantRequest{Name: l.grant, Reason: fmt.Sprintf("恢复 %d", i)})
		}
		h.must(err, fmt.Sprintf("flip %d (suspend=%v)", i, suspend))
		suspend = !suspend
	}
}

func (h *harness) must(err error, what string) {
	h.t.Helper()
	if err != nil {
		h.t.Fatalf("%s: %v", what, err)
	}
}
