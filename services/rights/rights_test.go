package rights_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/services/rights/internal/domain"
)

const (
	registered = catalogv1.AssetState_ASSET_STATE_REGISTERED
	general    = catalogv1.Grade_GRADE_GENERAL
)

// TestChainsCascadeAndChecks: a holder grants, the grantee sub-licenses twice; checks
// follow the chain; revoking a link stops everything beneath it at once.
func TestChainsCascadeAndChecks(t *testing.T) {
	h := newHarness(t)
	asset := h.registered(orgA, general)

	// The holder itself may do anything with its asset.
	resp := h.check(checkReq(orgA, asset))
	require.True(t, resp.GetAllowed())
	require.True(t, resp.GetHolder())

	// Nobody else, yet.
	resp = h.check(checkReq(orgD, asset))
	require.False(t, resp.GetAllowed())
	require.Equal(t, rightsv1.DenialReason_DENIAL_REASON_NO_GRANT, resp.GetDenialReason())

	gb := h.grant(h.admin(orgA), grantSpec(asset, orgB, 2))
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_ACTIVE, gb.GetState())
	require.EqualValues(t, 1, gb.GetDepth())
	spec := grantSpec(asset, orgC, 1)
	spec.Parent = gb.GetName()
	gc := h.grant(h.admin(orgB), spec)
	require.EqualValues(t, 2, gc.GetDepth())
	spec = grantSpec(asset, orgD, 0)
	spec.Parent = gc.GetName()
	gd := h.grant(h.admin(orgC), spec)

	resp = h.check(checkReq(orgD, asset))
	require.True(t, resp.GetAllowed(), resp.GetDetail())
	require.Equal(t, []string{gd.GetName(), gc.GetName(), gb.GetName()}, resp.GetChain())

	// Outside the scope: purpose, form, region.
	req := checkReq(orgD, asset)
	req.Purpose = "HEALTHCARE"
	require.Equal(t, rightsv1.DenialReason_DENIAL_REASON_PURPOSE_NOT_GRANTED, h.check(req).GetDenialReason())
	req = checkReq(orgD, asset)
	req.DeliveryForm = rightsv1.DeliveryForm_DELIVERY_FORM_RAW_COPY
	require.Equal(t, rightsv1.DenialReason_DENIAL_REASON_DELIVERY_FORM_NOT_GRANTED, h.check(req).GetDenialReason())
	req = checkReq(orgD, asset)
	req.Region = "110000"
	require.Equal(t, rightsv1.DenialReason_DENIAL_REASON_REGION_NOT_GRANTED, h.check(req).GetDenialReason())

	// D may not sub-license further (its grant allows depth 0).
	spec = grantSpec(asset, orgB, 0)
	spec.Parent = gd.GetName()
	_, err := h.client.CreateGrant(h.admin(orgD), &rightsv1.CreateGrantRequest{Grant: spec})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonSublicensingNotAllowed)

	// Revoking the middle link revokes everything beneath, and checks deny within 100 ms.
	rev, err := h.client.RevokeGrant(h.admin(orgB), &rightsv1.RevokeGrantRequest{Name: gc.GetName(), Reason: "合同终止"})
	require.NoError(t, err)
	require.Equal(t, []string{gd.GetName()}, rev.GetCascaded())
	start := time.Now()
	require.Eventually(t, func() bool { return !h.check(checkReq(orgD, asset)).GetAllowed() }, 100*time.Millisecond, 2*time.Millisecond,
		"a revoked chain must stop allowing within 100 ms")
	t.Logf("revocation took effect after %v", time.Since(start))
	got, err := h.client.GetGrant(h.admin(orgC), &rightsv1.GetGrantRequest{Name: gd.GetName()})
	require.NoError(t, err)
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_REVOKED, got.GetGrant().GetState())
	require.True(t, h.check(checkReq(orgB, asset)).GetAllowed(), "the grant above the revoked one stays")

	// History of the cascaded grant.
	hist, err := h.client.ListGrantHistory(h.admin(orgD), &rightsv1.ListGrantHistoryRequest{Name: gd.GetName()})
	require.NoError(t, err)
	require.Len(t, hist.GetChanges(), 2)
	require.Equal(t, "cascade_revoke", hist.GetChanges()[1].GetAction())
}

// TestSubLicencesStayInsideTheirParent covers every containment rule.
func TestSubLicencesStayInsideTheirParent(t *testing.T) {
	h := newHarness(t)
	asset := h.registered(orgA, general)
	parent := h.grant(h.admin(orgA), grantSpec(asset, orgB, 1))
	for name, tc := range map[string]struct {
		edit   func(g *rightsv1.Grant)
		reason string
	}{
		"purpose": {func(g *rightsv1.Grant) { g.Scope.Purposes = []string{"HEALTHCARE"} }, domain.ReasonOutsideParentScope},
		"form": {func(g *rightsv1.Grant) {
			g.Scope.DeliveryForms = []rightsv1.DeliveryForm{rightsv1.DeliveryForm_DELIVERY_FORM_RAW_COPY}
		}, domain.ReasonOutsideParentScope},
		"region":   {func(g *rightsv1.Grant) { g.Scope.Regions = []string{"440000"} }, domain.ReasonOutsideParentScope},
		"anywhere": {func(g *rightsv1.Grant) { g.Scope.Regions = nil }, domain.ReasonOutsideParentScope},
		"term": {func(g *rightsv1.Grant) {
			g.ValidUntil = timestamppb.New(time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC))
		}, domain.ReasonOutsideParentScope},
		"depth":                    {func(g *rightsv1.Grant) { g.SublicenseDepth = 1 }, domain.ReasonOutsideParentScope},
		"not the parent's grantee": {func(g *rightsv1.Grant) {}, domain.ReasonGrantorNotHolder},
	} {
		t.Run(name, func(t *testing.T) {
			spec := grantSpec(asset, orgC, 0)
			spec.Parent = parent.GetName()
			tc.edit(spec)
			by := h.admin(orgB)
			if name == "not the parent's grantee" {
				by = h.admin(orgD)
			}
			_, err := h.client.CreateGrant(by, &rightsv1.CreateGrantRequest{Grant: spec})
			if name == "not the parent's grantee" {
				requireStatus(t, err, codes.PermissionDenied, domain.ReasonNotYourOrganisation)
				return
			}
			requireStatus(t, err, codes.FailedPrecondition, tc.reason)
		})
	}
	// Inside: a narrower region, one purpose, one form, a shorter term.
	spec := grantSpec(asset, orgC, 0, rightsv1.DeliveryForm_DELIVERY_FORM_MODEL)
	spec.Parent, spec.Scope.Regions, spec.Scope.Purposes = parent.GetName(), []string{"350100"}, []string{"TRANSPORT"}
	spec.ValidUntil = timestamppb.New(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	h.grant(h.admin(orgB), spec)
	// A first-level grant only from the holder.
	_, err := h.client.CreateGrant(h.admin(orgB), &rightsv1.CreateGrantRequest{Grant: grantSpec(asset, orgC, 0)})
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonNotYourOrganisation)
}

// TestExclusiveGrantsUnderConcurrency: eight concurrent exclusive grants of one right on
// one asset for overlapping terms: exactly one wins.
func TestExclusiveGrantsUnderConcurrency(t *testing.T) {
	h := newHarness(t)
	asset := h.registered(orgA, general)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for _, grantee := range []string{orgB, orgC, orgD, orgB, orgC, orgD, orgB, orgC} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spec := grantSpec(asset, grantee, 0)
			spec.Exclusive = true
			_, err := h.client.CreateGrant(h.admin(orgA), &rightsv1.CreateGrantRequest{Grant: spec})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
				return
			}
			requireStatus(t, err, codes.FailedPrecondition, domain.ReasonExclusivityConflict)
			conflicts++
		}()
	}
	wg.Wait()
	require.Equal(t, 1, wins)
	require.Equal(t, 7, conflicts)
	// A non-exclusive grant overlapping the exclusive one conflicts too; a later term does not.
	_, err := h.client.CreateGrant(h.admin(orgA), &rightsv1.CreateGrantRequest{Grant: grantSpec(asset, orgD, 0)})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonExclusivityConflict)
	later := grantSpec(asset, orgD, 0)
	later.ValidFrom = timestamppb.New(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	later.ValidUntil = timestamppb.New(time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC))
	h.grant(h.admin(orgA), later)
	// Product-operation is another right: no conflict.
	po := grantSpec(asset, orgD, 0)
	po.Right = rightsv1.Right_RIGHT_PRODUCT_OPERATION
	h.grant(h.admin(orgA), po)
}

// TestGradePolicy: important data is never delivered raw; a registry can change the table.
func TestGradePolicy(t *testing.T) {
	h := newHarness(t)
	important := h.registered(orgA, catalogv1.Grade_GRADE_IMPORTANT)
	_, err := h.client.CreateGrant(h.admin(orgA), &rightsv1.CreateGrantRequest{
		Grant: grantSpec(important, orgB, 0, rightsv1.DeliveryForm_DELIVERY_FORM_RAW_COPY)})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonGradePolicy)
	h.grant(h.admin(orgA), grantSpec(important, orgB, 0, rightsv1.DeliveryForm_DELIVERY_FORM_MODEL))
	req := checkReq(orgB, important)
	req.DeliveryForm = rightsv1.DeliveryForm_DELIVERY_FORM_MODEL
	require.True(t, h.check(req).GetAllowed())

	// The registry forbids model delivery of important data: existing grants stop allowing it.
	admin := h.as("registry-admin", orgD, auth.RoleAdmin)
	_, err = h.client.UpdateGradePolicy(h.admin(orgA), &rightsv1.UpdateGradePolicyRequest{Rule: &rightsv1.GradeRule{Grade: "GRADE_IMPORTANT"}})
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	_, err = h.client.UpdateGradePolicy(admin, &rightsv1.UpdateGradePolicyRequest{Rule: &rightsv1.GradeRule{Grade: "GRADE_IMPORTANT",
		GrantsAllowed: true, ForbiddenDeliveryForms: []rightsv1.DeliveryForm{rightsv1.DeliveryForm_DELIVERY_FORM_RAW_COPY, rightsv1.DeliveryForm_DELIVERY_FORM_MODEL}}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		return h.check(req).GetDenialReason() == rightsv1.DenialReason_DENIAL_REASON_GRADE_POLICY
	}, time.Second, 5*time.Millisecond)
	// Core data: no grants at all.
	_, err = h.client.UpdateGradePolicy(admin, &rightsv1.UpdateGradePolicyRequest{Rule: &rightsv1.GradeRule{Grade: "GRADE_GENERAL"}})
	require.NoError(t, err)
	general := h.registered(orgA, general)
	_, err = h.client.CreateGrant(h.admin(orgA), &rightsv1.CreateGrantRequest{Grant: grantSpec(general, orgB, 0)})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonGradePolicy)
}

// TestRequestApproveReject covers the request workflow and who may do what.
func TestRequestApproveReject(t *testing.T) {
	h := newHarness(t)
	asset := h.registered(orgA, general)
	spec := grantSpec(asset, orgB, 0)
	spec.Justification = "城市交通信号优化项目"
	// A grantee requests for itself only.
	_, err := h.client.RequestGrant(h.admin(orgC), &rightsv1.RequestGrantRequest{Grant: spec})
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonNotYourOrganisation)
	_, err = h.client.RequestGrant(h.as("reg", orgB, auth.RoleRegistrar), &rightsv1.RequestGrantRequest{Grant: spec})
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	req, err := h.client.RequestGrant(h.admin(orgB), &rightsv1.RequestGrantRequest{Grant: spec, RequestId: "0192f0c4-7b2e-7a3e-9d1c-2f0c4b2e7a3e"})
	require.NoError(t, err)
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_REQUESTED, req.GetGrant().GetState())
	require.Equal(t, orgA, req.GetGrant().GetGrantorOrganisation())
	again, err := h.client.RequestGrant(h.admin(orgB), &rightsv1.RequestGrantRequest{Grant: spec, RequestId: "0192f0c4-7b2e-7a3e-9d1c-2f0c4b2e7a3e"})
	require.NoError(t, err)
	require.Equal(t, req.GetGrant().GetName(), again.GetGrant().GetName(), "request_id makes requests idempotent")
	require.False(t, h.check(checkReq(orgB, asset)).GetAllowed(), "a request allows nothing")
	require.Equal(t, rightsv1.DenialReason_DENIAL_REASON_GRANT_NOT_ACTIVE, h.check(checkReq(orgB, asset)).GetDenialReason())

	// Only the grantor approves; auditors see but change nothing.
	_, err = h.client.ApproveGrant(h.admin(orgB), &rightsv1.ApproveGrantRequest{Name: req.GetGrant().GetName()})
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonNotYourOrganisation)
	auditor := h.as("audrey", orgD, auth.RoleAuditor)
	_, err = h.client.GetGrant(auditor, &rightsv1.GetGrantRequest{Name: req.GetGrant().GetName()})
	require.NoError(t, err)
	_, err = h.client.ApproveGrant(auditor, &rightsv1.ApproveGrantRequest{Name: req.GetGrant().GetName()})
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	_, err = h.client.GetGrant(h.admin(orgC), &rightsv1.GetGrantRequest{Name: req.GetGrant().GetName()})
	requireStatus(t, err, codes.NotFound, domain.ReasonGrantNotFound)
	ok, err := h.client.ApproveGrant(h.admin(orgA), &rightsv1.ApproveGrantRequest{Name: req.GetGrant().GetName(), Etag: req.GetGrant().GetEtag()})
	require.NoError(t, err)
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_ACTIVE, ok.GetGrant().GetState())
	require.Eventually(t, func() bool { return h.check(checkReq(orgB, asset)).GetAllowed() }, time.Second, 5*time.Millisecond)
	_, err = h.client.ApproveGrant(h.admin(orgA), &rightsv1.ApproveGrantRequest{Name: req.GetGrant().GetName()})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonInvalidTransition)

	spec2 := grantSpec(asset, orgC, 0)
	r2, err := h.client.RequestGrant(h.admin(orgC), &rightsv1.RequestGrantRequest{Grant: spec2})
	require.NoError(t, err)
	rej, err := h.client.RejectGrant(h.admin(orgA), &rightsv1.RejectGrantRequest{Name: r2.GetGrant().GetName(), Reason: "用途不明确"})
	require.NoError(t, err)
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_REJECTED, rej.GetGrant().GetState())

	// Checks: for one's own organisation, or any with the service role.
	_, err = h.client.Check(h.admin(orgC), checkReq(orgB, asset))
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonNotYourOrganisation)
	own, err := h.client.Check(h.admin(orgB), checkReq(orgB, asset))
	require.NoError(t, err)
	require.True(t, own.GetAllowed())
}

// TestCatalogEventsDriveGrants: the catalog suspends, reinstates and cancels the asset;
// the grants and checks follow.
func TestCatalogEventsDriveGrants(t *testing.T) {
	h := newHarness(t)
	asset := h.registered(orgA, general)
	gb := h.grant(h.admin(orgA), grantSpec(asset, orgB, 1))
	spec := grantSpec(asset, orgC, 0)
	spec.Parent = gb.GetName()
	gc := h.grant(h.admin(orgB), spec)
	require.True(t, h.check(checkReq(orgC, asset)).GetAllowed())

	h.catalogEvent("catalog.asset.suspended", asset, orgA, catalogv1.AssetState_ASSET_STATE_SUSPENDED, general)
	require.Eventually(t, func() bool {
		return h.check(checkReq(orgC, asset)).GetDenialReason() == rightsv1.DenialReason_DENIAL_REASON_ASSET_SUSPENDED
	}, time.Second, 5*time.Millisecond)
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_SUSPENDED, h.grantState(gb.GetName()))
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_SUSPENDED, h.grantState(gc.GetName()))

	// The grantor cannot reinstate what the asset's suspension suspended.
	_, err := h.client.ReinstateGrant(h.admin(orgA), &rightsv1.ReinstateGrantRequest{Name: gb.GetName(), Reason: "x"})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonInvalidTransition)

	h.catalogEvent("catalog.asset.reinstated", asset, orgA, registered, general)
	require.Eventually(t, func() bool { return h.check(checkReq(orgC, asset)).GetAllowed() }, time.Second, 5*time.Millisecond)
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_ACTIVE, h.grantState(gc.GetName()))

	h.catalogEvent("catalog.asset.cancelled", asset, orgA, catalogv1.AssetState_ASSET_STATE_CANCELLED, general)
	require.Eventually(t, func() bool {
		return h.check(checkReq(orgC, asset)).GetDenialReason() == rightsv1.DenialReason_DENIAL_REASON_ASSET_ENDED
	}, time.Second, 5*time.Millisecond)
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_REVOKED, h.grantState(gb.GetName()))
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_REVOKED, h.grantState(gc.GetName()))
}

func (h *harness) grantState(name string) rightsv1.GrantState {
	h.t.Helper()
	resp, err := h.client.GetGrant(h.as("audrey", orgD, auth.RoleAuditor), &rightsv1.GetGrantRequest{Name: name})
	require.NoError(h.t, err)
	return resp.GetGrant().GetState()
}

// TestExpiryAndPointInTime: checks honour the window before the expiry job runs; the job
// expires the grant and what is beneath it; auditors ask what held at a past time.
func TestExpiryAndPointInTime(t *testing.T) {
	h := newHarness(t)
	asset := h.registered(orgA, general)
	spec := grantSpec(asset, orgB, 1)
	spec.ValidUntil = timestamppb.New(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	gb := h.grant(h.admin(orgA), spec)
	sub := grantSpec(asset, orgC, 0)
	sub.Parent, sub.ValidUntil = gb.GetName(), spec.ValidUntil
	h.grant(h.admin(orgB), sub)
	before := h.clock.Now()
	require.True(t, h.check(checkReq(orgC, asset)).GetAllowed())

	h.clock.Advance(10 * 24 * time.Hour) // past the window; the job has not run
	resp := h.check(checkReq(orgC, asset))
	require.False(t, resp.GetAllowed())
	require.Equal(t, rightsv1.DenialReason_DENIAL_REASON_OUTSIDE_VALIDITY, resp.GetDenialReason())
	n, err := h.svc.ExpireDue(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, n, "the grant and its sub-licence")
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_EXPIRED, h.grantState(gb.GetName()))

	// As of before: allowed, with its chain; only for auditors and internal systems.
	auditor := h.as("audrey", orgD, auth.RoleAuditor)
	past := checkReq(orgC, asset)
	past.AsOf = timestamppb.New(before)
	got, err := h.client.Check(auditor, past)
	require.NoError(t, err)
	require.True(t, got.GetAllowed(), got.GetDetail())
	require.Len(t, got.GetChain(), 2)
	_, err = h.client.Check(h.admin(orgC), past)
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	who, err := h.client.LookupGrantees(auditor, &rightsv1.LookupGranteesRequest{Asset: asset, AsOf: timestamppb.New(before)})
	require.NoError(t, err)
	require.Equal(t, orgA, who.GetHolding().GetHolderOrganisation())
	require.Len(t, who.GetGrants(), 2)
	now, err := h.client.LookupGrantees(auditor, &rightsv1.LookupGranteesRequest{Asset: asset})
	require.NoError(t, err)
	require.Empty(t, now.GetGrants())
}

// TestTransferKeepsGrantsAndHistory: a holding moves by merger; the old holder's grants
// stay in force, granted by the new holder; "as of" still names the old holder.
func TestTransferKeepsGrantsAndHistory(t *testing.T) {
	h := newHarness(t)
	asset := h.registered(orgA, general)
	gb := h.grant(h.admin(orgA), grantSpec(asset, orgB, 0))
	before := h.clock.Now()
	h.clock.Advance(time.Hour)
	basis := &rightsv1.LegalBasis{Kind: rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_AUTHORISATION, DocumentNumber: "榕政〔2026〕1号", Sha256: sha}
	_, err := h.client.TransferRight(h.admin(orgB), &rightsv1.TransferRightRequest{Asset: asset, ToOrganisation: orgD,
		Cause: rightsv1.TransferCause_TRANSFER_CAUSE_MERGER, LegalBasis: basis})
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonNotYourOrganisation)
	_, err = h.client.TransferRight(h.admin(orgA), &rightsv1.TransferRightRequest{Asset: asset, ToOrganisation: orgD,
		Cause: rightsv1.TransferCause_TRANSFER_CAUSE_MERGER, LegalBasis: basis})
	require.NoError(t, err)
	require.Equal(t, orgD, h.grantGrantor(gb.GetName()))
	require.True(t, h.check(checkReq(orgB, asset)).GetAllowed())
	require.True(t, h.check(checkReq(orgD, asset)).GetHolder())
	require.False(t, h.check(checkReq(orgA, asset)).GetAllowed(), "the old holder holds nothing now")

	auditor := h.as("audrey", orgC, auth.RoleAuditor)
	hold, err := h.client.GetHolding(auditor, &rightsv1.GetHoldingRequest{Asset: asset, AsOf: timestamppb.New(before)})
	require.NoError(t, err)
	require.Equal(t, orgA, hold.GetHolding().GetHolderOrganisation())
	require.Len(t, hold.GetHistory(), 2)
	require.Equal(t, "merger", hold.GetHistory()[1].GetCause())
	mine, err := h.client.LookupGrants(h.admin(orgD), &rightsv1.LookupGrantsRequest{Organisation: orgD})
	require.NoError(t, err)
	require.Len(t, mine.GetHoldings(), 1)
}

func (h *harness) grantGrantor(name string) string {
	resp, err := h.client.GetGrant(h.as("audrey", orgD, auth.RoleAuditor), &rightsv1.GetGrantRequest{Name: name})
	require.NoError(h.t, err)
	return resp.GetGrant().GetGrantorOrganisation()
}

// TestConditionsAndDenialEvents: a CEL condition over the check's context; denied checks
// are counted and published as one event.
func TestConditionsAndDenialEvents(t *testing.T) {
	h := newHarness(t)
	asset := h.registered(orgA, general)
	bad := grantSpec(asset, orgB, 0)
	bad.Condition = "context.project +"
	_, err := h.client.CreateGrant(h.admin(orgA), &rightsv1.CreateGrantRequest{Grant: bad})
	requireStatus(t, err, codes.InvalidArgument, domain.ReasonInvalidCondition)
	spec := grantSpec(asset, orgB, 0)
	spec.Condition = `context.project == "P-17"`
	h.grant(h.admin(orgA), spec)

	req := checkReq(orgB, asset)
	ctxMap, _ := structpb.NewStruct(map[string]any{"project": "P-17"})
	req.Context = ctxMap
	require.True(t, h.check(req).GetAllowed())
	req.Context, _ = structpb.NewStruct(map[string]any{"project": "P-99"})
	require.Equal(t, rightsv1.DenialReason_DENIAL_REASON_CONDITION_FALSE, h.check(req).GetDenialReason())
	for range 4 {
		h.check(checkReq(orgC, asset)) // NO_GRANT
	}
	require.NoError(t, h.svc.FlushDenials(context.Background()))
	var n int
	require.NoError(t, h.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE event_type = 'rights.check.denied'`).Scan(&n))
	require.Equal(t, 1, n, "one aggregated event")
}

// TestAuthorisedOperation: an authorised-operation agreement keeps raw data in its domain,
// rests on an authorisation, and its start and end are announced.
func TestAuthorisedOperation(t *testing.T) {
	h := newHarness(t)
	asset := h.registered(orgA, general)
	spec := grantSpec(asset, orgB, 0, rightsv1.DeliveryForm_DELIVERY_FORM_RAW_COPY)
	spec.Right, spec.AuthorisedOperation = rightsv1.Right_RIGHT_PRODUCT_OPERATION, true
	spec.LegalBasis.Kind = rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_AUTHORISATION
	_, err := h.client.CreateGrant(h.admin(orgA), &rightsv1.CreateGrantRequest{Grant: spec})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonRawDataStays)
	spec = grantSpec(asset, orgB, 0, rightsv1.DeliveryForm_DELIVERY_FORM_MODEL, rightsv1.DeliveryForm_DELIVERY_FORM_VERIFICATION)
	spec.Right, spec.AuthorisedOperation = rightsv1.Right_RIGHT_PRODUCT_OPERATION, true
	_, err = h.client.CreateGrant(h.admin(orgA), &rightsv1.CreateGrantRequest{Grant: spec})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonRawDataStays) // a contract is not an authorisation
	spec.LegalBasis.Kind = rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_AUTHORISATION
	op := h.grant(h.admin(orgA), spec)
	require.True(t, op.GetAuthorisedOperation())
	_, err = h.client.RevokeGrant(h.admin(orgA), &rightsv1.RevokeGrantRequest{Name: op.GetName(), Reason: "协议终止"})
	require.NoError(t, err)
	rows, err := h.pool.Query(context.Background(), `SELECT event_type, resource_revision FROM outbox WHERE resource_name = $1 ORDER BY seq`, op.GetName())
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var typ string
		var rev int64
		require.NoError(t, rows.Scan(&typ, &rev))
		got = append(got, typ)
	}
	require.Equal(t, []string{"rights.grant.activated", "rights.operation.authorised", "rights.grant.revoked", "rights.operation.terminated"}, got)
}

// TestBatchCheckAndLookups: batch answers in order; lookups list what is in force, paged.
func TestBatchCheckAndLookups(t *testing.T) {
	h := newHarness(t)
	a1 := h.registered(orgA, general)
	a2 := h.registered(orgA, general)
	g1 := h.grant(h.admin(orgA), grantSpec(a1, orgB, 0))
	h.grant(h.admin(orgA), grantSpec(a2, orgB, 0))
	gc := h.grant(h.admin(orgA), grantSpec(a1, orgC, 0))
	_, err := h.client.RevokeGrant(h.admin(orgA), &rightsv1.RevokeGrantRequest{Name: gc.GetName(), Reason: "x"})
	require.NoError(t, err)

	svc := h.as("svc", orgD, auth.RoleService)
	batch, err := h.client.BatchCheck(svc, &rightsv1.BatchCheckRequest{Checks: []*rightsv1.CheckRequest{
		checkReq(orgB, a1), checkReq(orgC, a1), checkReq(orgD, a2), checkReq(orgA, a2)}})
	require.NoError(t, err)
	var allowed []bool
	for _, r := range batch.GetResults() {
		allowed = append(allowed, r.GetAllowed())
	}
	require.Equal(t, []bool{true, false, false, true}, allowed)
	require.Equal(t, rightsv1.DenialReason_DENIAL_REASON_GRANT_NOT_ACTIVE, batch.GetResults()[1].GetDenialReason())

	// What may B do: both grants, one per page.
	p1, err := h.client.LookupGrants(h.admin(orgB), &rightsv1.LookupGrantsRequest{Organisation: orgB, PageSize: 1})
	require.NoError(t, err)
	require.Len(t, p1.GetGrants(), 1)
	require.NotEmpty(t, p1.GetNextPageToken())
	p2, err := h.client.LookupGrants(h.admin(orgB), &rightsv1.LookupGrantsRequest{Organisation: orgB, PageSize: 1, PageToken: p1.GetNextPageToken()})
	require.NoError(t, err)
	require.Len(t, p2.GetGrants(), 1)
	require.NotEqual(t, p1.GetGrants()[0].GetName(), p2.GetGrants()[0].GetName())
	_, err = h.client.LookupGrants(h.admin(orgC), &rightsv1.LookupGrantsRequest{Organisation: orgB})
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonNotYourOrganisation)

	// Who may use a1: the holder, and B (C's grant is revoked).
	who, err := h.client.LookupGrantees(h.admin(orgA), &rightsv1.LookupGranteesRequest{Asset: a1})
	require.NoError(t, err)
	require.Equal(t, orgA, who.GetHolding().GetHolderOrganisation())
	require.Len(t, who.GetGrants(), 1)
	require.Equal(t, g1.GetName(), who.GetGrants()[0].GetName())

	list, err := h.client.ListGrants(h.admin(orgA), &rightsv1.ListGrantsRequest{Asset: a1,
		States: []rightsv1.GrantState{rightsv1.GrantState_GRANT_STATE_REVOKED}})
	require.NoError(t, err)
	require.Len(t, list.GetGrants(), 1)
	mine, err := h.client.ListGrants(h.admin(orgC), &rightsv1.ListGrantsRequest{})
	require.NoError(t, err)
	require.Len(t, mine.GetGrants(), 1, "an organisation sees its own grants only")
}

// TestManyDenialsBecomeSeveralEvents: a busy window with thousands of distinct denials is
// published as several events, each under the outbox's size limit, in one flush.
func TestManyDenialsBecomeSeveralEvents(t *testing.T) {
	h := newHarness(t)
	svc := h.as("svc", orgA, auth.RoleService)
	batch := &rightsv1.BatchCheckRequest{}
	for i := range 4100 {
		batch.Checks = append(batch.Checks, checkReq(orgB, "assets/"+uuid.NewString()))
		if len(batch.Checks) == 100 || i == 4099 {
			_, err := h.client.BatchCheck(svc, batch)
			require.NoError(t, err)
			batch.Checks = nil
		}
	}
	require.NoError(t, h.svc.FlushDenials(context.Background()))
	rows, err := h.pool.Query(context.Background(), `SELECT length(body) FROM outbox WHERE event_type = 'rights.check.denied'`)
	require.NoError(t, err)
	var sizes []int
	for rows.Next() {
		var n int
		require.NoError(t, rows.Scan(&n))
		sizes = append(sizes, n)
	}
	require.Len(t, sizes, 3, "4100 distinct denials: 2000 + 2000 + 100")
	for _, n := range sizes {
		require.Less(t, n, messaging.MaxEventBytes)
	}
}

// TestCheckValidation: Check and BatchCheck refuse requests that break their rules with
// the field violations protovalidate gives (they are validated by hand on the server:
// grpcapi.MethodOptions), before any authorisation or work.
func TestCheckValidation(t *testing.T) {
	h := newHarness(t)
	asset := h.registered(orgA, general)
	fields := func(err error) []string {
		t.Helper()
		requireStatus(t, err, codes.InvalidArgument, "VALIDATION_FAILED")
		var out []string
		for _, d := range status.Convert(err).Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				for _, v := range br.GetFieldViolations() {
					require.Equal(t, "zh-CN", v.GetLocalizedMessage().GetLocale(), v.GetField())
					out = append(out, v.GetField()+": "+v.GetDescription()+" / "+v.GetLocalizedMessage().GetMessage())
				}
			}
		}
		return out
	}
	svc := h.as("svc", orgA, auth.RoleService)

	// Regression (issue 13): the refusals named the regular expression
	// ("does not match regex pattern `^assets/[0-9a-f]{8}-...`"); they say what a good value is.
	bad := checkReq(orgB, strings.TrimPrefix(asset, "assets/"))
	bad.Right, bad.Region = rightsv1.Right_RIGHT_UNSPECIFIED, "3501001"
	_, err := h.client.Check(svc, bad)
	require.Equal(t, []string{
		"asset: must be an asset name, assets/{uuid} with each {uuid} a lowercase UUID, e.g. assets/0192a6f0-0000-7000-8000-000000000000" +
			" / 应为登记对象名称，格式 assets/{uuid}（{uuid} 为小写 UUID），如 assets/0192a6f0-0000-7000-8000-000000000000",
		"right: must be set to one of: RIGHT_HOLDING, RIGHT_PROCESSING_USE, RIGHT_PRODUCT_OPERATION" +
			" / 必须选择以下之一：RIGHT_HOLDING、RIGHT_PROCESSING_USE、RIGHT_PRODUCT_OPERATION",
		"region: must be empty or an administrative division code of 2, 4 or 6 digits (province, city or county), e.g. 35, 3501, 350102" +
			" / 应留空，或为2、4或6位行政区划代码（省、市或县），如 35、3501、350102",
	}, fields(err))
	require.Equal(t, "invalid request: 3 field violations", status.Convert(err).Message())

	_, err = h.client.BatchCheck(svc, &rightsv1.BatchCheckRequest{})
	require.Equal(t, []string{"checks: must have at least 1 item(s) / 至少应有1项"}, fields(err))
	bad = checkReq("nobody", asset)
	bad.DeliveryForm = 42
	_, err = h.client.BatchCheck(svc, &rightsv1.BatchCheckRequest{Checks: []*rightsv1.CheckRequest{checkReq(orgB, asset), bad}})
	require.Equal(t, []string{
		"checks[1].organisation: must be an 18-character unified social credit code (digits and capital letters, no I, O, S, V, Z), e.g. 91350100M000100Y43" +
			" / 应为18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z），如 91350100M000100Y43",
		"checks[1].delivery_form: must be one of: DELIVERY_FORM_RAW_COPY, DELIVERY_FORM_API, DELIVERY_FORM_MODEL, DELIVERY_FORM_VERIFICATION, DELIVERY_FORM_AGGREGATE" +
			" / 应为以下之一：DELIVERY_FORM_RAW_COPY、DELIVERY_FORM_API、DELIVERY_FORM_MODEL、DELIVERY_FORM_VERIFICATION、DELIVERY_FORM_AGGREGATE",
	}, fields(err))

	// Valid requests still pass.
	resp, err := h.client.BatchCheck(svc, &rightsv1.BatchCheckRequest{Checks: []*rightsv1.CheckRequest{checkReq(orgB, asset), checkReq(orgA, asset)}})
	require.NoError(t, err)
	require.False(t, resp.GetResults()[0].GetAllowed())
	require.True(t, resp.GetResults()[1].GetHolder())
}
