package catalog_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/services/catalog/internal/domain"
)

// roles of the workflow tests.
type actors struct {
	registrar, registrarB, reviewer, reviewer2, auditor context.Context
}

func (h *harness) actors() actors {
	return actors{
		registrar:  h.as("alice", orgA, auth.RoleRegistrar),
		registrarB: h.as("bob", orgB, auth.RoleRegistrar),
		reviewer:   h.as("rita", orgB, auth.RoleReviewer),
		reviewer2:  h.as("victor", orgB, auth.RoleReviewer),
		auditor:    h.as("audrey", orgB, auth.RoleAuditor),
	}
}

func (h *harness) create(ctx context.Context, a *catalogv1.Asset) *catalogv1.Asset {
	h.t.Helper()
	resp, err := h.client.CreateAsset(ctx, &catalogv1.CreateAssetRequest{Asset: a})
	require.NoError(h.t, err)
	return resp.GetAsset()
}

func (h *harness) submit(ctx context.Context, name string, typ catalogv1.ApplicationType, proposed *catalogv1.Asset, reason string, paths ...string) *catalogv1.SubmitApplicationResponse {
	h.t.Helper()
	req := &catalogv1.SubmitApplicationRequest{Parent: name, Type: typ, Proposed: proposed, Reason: reason}
	if len(paths) > 0 {
		req.UpdateMask = &fieldmaskpb.FieldMask{Paths: paths}
	}
	resp, err := h.client.SubmitApplication(ctx, req)
	require.NoError(h.t, err)
	return resp
}

func (h *harness) decide(ctx context.Context, app string, d catalogv1.Decision, code, reason string) *catalogv1.DecideApplicationResponse {
	h.t.Helper()
	resp, err := h.client.DecideApplication(ctx, &catalogv1.DecideApplicationRequest{Name: app, Decision: d, ReasonCode: code, Reason: reason})
	require.NoError(h.t, err)
	return resp
}

func (h *harness) get(ctx context.Context, name string) *catalogv1.Asset {
	h.t.Helper()
	resp, err := h.client.GetAsset(ctx, &catalogv1.GetAssetRequest{Name: name})
	require.NoError(h.t, err)
	return resp.GetAsset()
}

// endPublicity moves the clock past the window and runs the scheduler once.
func (h *harness) endPublicity(app *catalogv1.Application) int {
	h.t.Helper()
	h.clock.Advance(app.GetPublicityEnd().AsTime().Sub(h.clock.Now()) + time.Second)
	n, err := h.svc.EndDuePublicity(context.Background())
	require.NoError(h.t, err)
	return n
}

// eventTypes returns the types of the outbox events about resource, in commit order.
func (h *harness) eventTypes(resource string) []string {
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT event_type FROM outbox WHERE resource_name = $1 ORDER BY seq`, resource)
	require.NoError(h.t, err)
	var out []string
	for rows.Next() {
		var s string
		require.NoError(h.t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(h.t, rows.Err())
	return out
}

// TestRegistrationWorkflowEndToEnd drives one asset through its whole life over gRPC:
// first registration with an objection, publicity ended by the scheduler, certificate,
// a change with publicity, a correction, suspension, cancellation and disposal.
func TestRegistrationWorkflowEndToEnd(t *testing.T) {
	h := newHarness(t)
	who := h.actors()

	asset := h.create(who.registrar, completeAsset(orgA, "城市道路交通流量数据"))
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_DRAFT, asset.GetState())

	// Drafts are private: another organisation does not see it.
	_, err := h.client.GetAsset(who.registrarB, &catalogv1.GetAssetRequest{Name: asset.GetName()})
	requireStatus(t, err, codes.NotFound, domain.ReasonAssetNotFound)

	sub := h.submit(who.registrar, asset.GetName(), catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, nil, "首次登记")
	app := sub.GetApplication()
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_SUBMITTED, sub.GetAsset().GetState())
	require.Equal(t, app.GetName(), sub.GetAsset().GetOpenApplication())

	// The registrar cannot accept their own application; a reviewer can.
	_, err = h.client.DecideApplication(who.registrar, &catalogv1.DecideApplicationRequest{Name: app.GetName(), Decision: catalogv1.Decision_DECISION_ACCEPT})
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_ACCEPTED, h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_ACCEPT, "", "").GetAsset().GetState())
	passed := h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_PASS, "", "形式审核通过")
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_IN_PUBLICITY, passed.GetAsset().GetState())
	// 10 working days from Monday 2026-03-02: the window ends at 00:00 CST on Tuesday 03-17.
	require.Equal(t, time.Date(2026, 3, 16, 16, 0, 0, 0, time.UTC), passed.GetApplication().GetPublicityEnd().AsTime())

	// In publicity the asset and its application are public: another organisation objects.
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_IN_PUBLICITY, h.get(who.registrarB, asset.GetName()).GetState())
	_, err = h.client.FileObjection(who.auditor, &catalogv1.FileObjectionRequest{Parent: app.GetName(), Text: "x"})
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	obj, err := h.client.FileObjection(who.registrarB, &catalogv1.FileObjectionRequest{Parent: app.GetName(), Text: "该数据部分来源于我单位，权属存在争议"})
	require.NoError(t, err)
	require.Equal(t, catalogv1.ObjectionState_OBJECTION_STATE_RAISED, obj.GetObjection().GetState())

	// The window ends while the objection is open: the scheduler leaves it.
	require.Equal(t, 0, h.endPublicity(passed.GetApplication()))
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_IN_PUBLICITY, h.get(who.registrar, asset.GetName()).GetState())
	// Objections cannot be filed after the window.
	_, err = h.client.FileObjection(who.registrarB, &catalogv1.FileObjectionRequest{Parent: app.GetName(), Text: "late"})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonInvalidTransition)

	_, err = h.client.ResolveObjection(who.reviewer, &catalogv1.ResolveObjectionRequest{Name: obj.GetObjection().GetName(),
		Outcome: catalogv1.ObjectionState_OBJECTION_STATE_DISMISSED, Resolution: "双方已确认权属，异议不成立"})
	require.NoError(t, err)
	n, err := h.svc.EndDuePublicity(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)

	registered := h.get(who.registrarB, asset.GetName())
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_REGISTERED, registered.GetState())
	require.Equal(t, "YS-2026-00000001", registered.GetRegistrationNumber())
	require.Empty(t, registered.GetOpenApplication())

	// The certificate verifies offline against the registry's key, and says what it should.
	keyResp, err := h.client.GetRegistryKey(who.registrarB, &catalogv1.GetRegistryKeyRequest{})
	require.NoError(t, err)
	cert := h.certificate(who.registrarB, asset.GetName())
	require.False(t, cert.GetRevoked())
	text := openNote(t, cert.GetSignedNote(), keyResp.GetVerifierKey())
	require.Contains(t, text, "registration_number: YS-2026-00000001\n")
	require.Contains(t, text, "asset_name: 城市道路交通流量数据\n")
	require.Contains(t, text, "grade: GENERAL\n")
	require.Contains(t, text, "registry_name: 测试数据资产登记中心\n")
	tampered := strings.Replace(cert.GetSignedNote(), "GENERAL", "IMPORTANT", 1)
	_, err = note.Open([]byte(tampered), note.VerifierList(mustVerifier(t, keyResp.GetVerifierKey())))
	require.Error(t, err, "a tampered certificate must not verify")

	// A change: the registered version stays valid during review.
	proposed := &catalogv1.Asset{Grade: catalogv1.Grade_GRADE_IMPORTANT, Summary: "新增夜间时段数据"}
	change := h.submit(who.registrar, asset.GetName(), catalogv1.ApplicationType_APPLICATION_TYPE_CHANGE, proposed, "补充夜间数据并调整分级", "grade", "summary")
	_, err = h.client.SubmitApplication(who.registrar, &catalogv1.SubmitApplicationRequest{Parent: asset.GetName(),
		Type: catalogv1.ApplicationType_APPLICATION_TYPE_CANCELLATION, Reason: "x"})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonApplicationOpen)
	h.decide(who.reviewer, change.GetApplication().GetName(), catalogv1.Decision_DECISION_ACCEPT, "", "")
	passed = h.decide(who.reviewer2, change.GetApplication().GetName(), catalogv1.Decision_DECISION_PASS, "", "")
	during := h.get(who.registrarB, asset.GetName())
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_REGISTERED, during.GetState())
	require.Equal(t, catalogv1.Grade_GRADE_GENERAL, during.GetGrade(), "the registered version stays valid during review")
	require.Equal(t, 1, h.endPublicity(passed.GetApplication()))
	changed := h.get(who.registrar, asset.GetName())
	require.Equal(t, catalogv1.Grade_GRADE_IMPORTANT, changed.GetGrade())
	require.Equal(t, "新增夜间时段数据", changed.GetSummary())
	require.Equal(t, "YS-2026-00000001", changed.GetRegistrationNumber(), "the number is immutable")
	cert2 := h.certificate(who.registrar, asset.GetName())
	require.EqualValues(t, 2, cert2.GetSerial(), "a change of grade re-issues the certificate")
	require.Contains(t, openNote(t, cert2.GetSignedNote(), keyResp.GetVerifierKey()), "grade: IMPORTANT\n")

	// A correction takes effect when it passes review (no publicity).
	corr := h.submit(who.registrar, asset.GetName(), catalogv1.ApplicationType_APPLICATION_TYPE_CORRECTION,
		&catalogv1.Asset{DataFormat: "Parquet"}, "格式填写错误", "data_format")
	h.decide(who.reviewer, corr.GetApplication().GetName(), catalogv1.Decision_DECISION_ACCEPT, "", "")
	done := h.decide(who.reviewer, corr.GetApplication().GetName(), catalogv1.Decision_DECISION_PASS, "", "")
	require.Equal(t, catalogv1.ApplicationState_APPLICATION_STATE_APPROVED, done.GetApplication().GetState())
	require.Equal(t, "Parquet", done.GetAsset().GetDataFormat())

	// Emergency freeze and reinstatement.
	susp, err := h.client.SuspendAsset(who.reviewer, &catalogv1.SuspendAssetRequest{Name: asset.GetName(),
		Incident: &catalogv1.Incident{Summary: "疑似数据泄露", Reference: "INC-2026-007"}})
	require.NoError(t, err)
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_SUSPENDED, susp.GetAsset().GetState())
	require.Equal(t, "INC-2026-007", susp.GetAsset().GetIncident().GetReference())
	_, err = h.client.SubmitApplication(who.registrar, &catalogv1.SubmitApplicationRequest{Parent: asset.GetName(),
		Type: catalogv1.ApplicationType_APPLICATION_TYPE_CANCELLATION, Reason: "x"})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonInvalidTransition)
	rein, err := h.client.ReinstateAsset(who.reviewer, &catalogv1.ReinstateAssetRequest{Name: asset.GetName(), Resolution: "排查完毕，未发生泄露"})
	require.NoError(t, err)
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_REGISTERED, rein.GetAsset().GetState())
	require.Nil(t, rein.GetAsset().GetIncident())

	// Cancellation revokes the certificate.
	canc := h.submit(who.registrar, asset.GetName(), catalogv1.ApplicationType_APPLICATION_TYPE_CANCELLATION, nil, "数据停止采集")
	h.decide(who.reviewer, canc.GetApplication().GetName(), catalogv1.Decision_DECISION_ACCEPT, "", "")
	cancelled := h.decide(who.reviewer, canc.GetApplication().GetName(), catalogv1.Decision_DECISION_PASS, "", "").GetAsset()
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_CANCELLED, cancelled.GetState())
	cert3 := h.certificate(who.registrarB, asset.GetName())
	require.True(t, cert3.GetRevoked())
	require.Equal(t, "cancelled", cert3.GetRevokeReason())

	// Disposal: requested by the holder, approved by a second person, never by the requester.
	_, err = h.client.RequestDisposal(who.registrar, &catalogv1.RequestDisposalRequest{Name: asset.GetName(),
		Disposal: &catalogv1.Disposal{Method: "介质物理销毁", Reason: "超过保存期限"}})
	require.NoError(t, err)
	admin := h.as("alice", orgA, auth.RoleAdmin) // the requester, even with another role
	_, err = h.client.DecideDisposal(admin, &catalogv1.DecideDisposalRequest{Name: asset.GetName(), Approve: true, Note: "ok"})
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonSelfReview)
	disposed, err := h.client.DecideDisposal(who.reviewer, &catalogv1.DecideDisposalRequest{Name: asset.GetName(), Approve: true, Note: "核实销毁记录"})
	require.NoError(t, err)
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_DISPOSED, disposed.GetAsset().GetState())
	require.Equal(t, catalogv1.DisposalState_DISPOSAL_STATE_APPROVED, disposed.GetAsset().GetDisposal().GetState())
	// Terminal, and the record stays.
	_, err = h.client.SuspendAsset(who.reviewer, &catalogv1.SuspendAssetRequest{Name: asset.GetName(), Incident: &catalogv1.Incident{Summary: "x"}})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonInvalidTransition)
	require.Equal(t, "城市道路交通流量数据", h.get(who.auditor, asset.GetName()).GetDisplayName())

	// One event per transition, in order, each carrying the new revision and the actor.
	require.Equal(t, []string{
		"catalog.asset.created", "catalog.application.submitted", "catalog.application.accepted",
		"catalog.publicity.started", "catalog.objection.filed", "catalog.objection.resolved",
		"catalog.publicity.ended", "catalog.asset.registered", "catalog.certificate.issued",
		"catalog.application.submitted", "catalog.application.accepted", "catalog.publicity.started",
		"catalog.publicity.ended", "catalog.asset.changed", "catalog.certificate.revoked", "catalog.certificate.issued",
		"catalog.application.submitted", "catalog.application.accepted", "catalog.asset.corrected",
		"catalog.asset.suspended", "catalog.asset.reinstated",
		"catalog.application.submitted", "catalog.application.accepted", "catalog.asset.cancelled", "catalog.certificate.revoked",
		"catalog.disposal.requested", "catalog.disposal.approved", "catalog.asset.disposed",
	}, h.eventTypes(asset.GetName()))
	h.requireEventRevisionsMatch(asset.GetName())

	// Every revision is listed with actor, reason and a field diff.
	revs, err := h.client.ListAssetRevisions(who.auditor, &catalogv1.ListAssetRevisionsRequest{Name: asset.GetName(), PageSize: 500})
	require.NoError(t, err)
	require.EqualValues(t, disposed.GetAsset().GetRevision(), len(revs.GetRevisions()))
	byRev := map[int64]*catalogv1.AssetRevision{}
	for _, r := range revs.GetRevisions() {
		byRev[r.GetRevision()] = r
	}
	require.Equal(t, "create", byRev[1].GetAction())
	var sawGrade bool
	for _, r := range revs.GetRevisions() {
		for _, c := range r.GetChanges() {
			if c.GetPath() == "grade" {
				sawGrade = true
				require.Equal(t, `"GRADE_GENERAL"`, c.GetOldValue())
				require.Equal(t, `"GRADE_IMPORTANT"`, c.GetNewValue())
				require.Equal(t, "system:publicity", r.GetActor())
			}
		}
	}
	require.True(t, sawGrade, "the change's revision shows the grade diff")
}

// requireEventRevisionsMatch checks that every outbox event names its revision and actor.
func (h *harness) requireEventRevisionsMatch(resource string) {
	h.t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT resource_revision, body FROM outbox WHERE resource_name = $1 ORDER BY seq`, resource)
	require.NoError(h.t, err)
	defer rows.Close()
	var last int64
	for rows.Next() {
		var rev int64
		var body []byte
		require.NoError(h.t, rows.Scan(&rev, &body))
		var ev eventsv1.Event
		require.NoError(h.t, proto.Unmarshal(body, &ev))
		require.GreaterOrEqual(h.t, rev, last, "revisions never go back")
		last = rev
		require.NotEmpty(h.t, ev.GetActor().GetSubject(), ev.GetType())
		if ev.GetType() != "catalog.asset.created" {
			_, documented := domain.EventTypes[strings.TrimPrefix(ev.GetType(), "catalog.")]
			require.True(h.t, documented, "%s is not in domain.EventTypes (and so not in docs/events.md)", ev.GetType())
			var p eventsv1.AssetChanged
			require.NoError(h.t, ev.GetPayload().UnmarshalTo(&p))
			require.Equal(h.t, rev, p.GetAsset().GetRevision(), ev.GetType())
		}
	}
	require.NoError(h.t, rows.Err())
}

func (h *harness) certificate(ctx context.Context, name string) *catalogv1.Certificate {
	h.t.Helper()
	resp, err := h.client.GetCertificate(ctx, &catalogv1.GetCertificateRequest{Name: name})
	require.NoError(h.t, err)
	return resp.GetCertificate()
}

func mustVerifier(t *testing.T, key string) note.Verifier {
	v, err := note.NewVerifier(key)
	require.NoError(t, err)
	return v
}

func openNote(t *testing.T, signed, key string) string {
	t.Helper()
	n, err := note.Open([]byte(signed), note.VerifierList(mustVerifier(t, key)))
	require.NoError(t, err)
	return n.Text
}

// TestPublicitySchedulerActsOnceWithTwoReplicas ends 30 windows with two replicas racing
// on the same database: each is registered exactly once, with distinct numbers.
func TestPublicitySchedulerActsOnceWithTwoReplicas(t *testing.T) {
	h := newHarness(t)
	who := h.actors()
	svc2, _ := h.replica()
	const n = 30
	var last *catalogv1.Application
	names := make([]string, n)
	for i := range n {
		a := h.create(who.registrar, completeAsset(orgA, fmt.Sprintf("批量资产 %d", i)))
		names[i] = a.GetName()
		app := h.submit(who.registrar, a.GetName(), catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, nil, "").GetApplication()
		h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_ACCEPT, "", "")
		last = h.decide(who.reviewer, app.GetName(), catalogv1.Decision_DECISION_PASS, "", "").GetApplication()
	}
	h.clock.Advance(last.GetPublicityEnd().AsTime().Sub(h.clock.Now()) + time.Minute)
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		svc := h.svc
		if i%2 == 1 {
			svc = svc2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := svc.EndDuePublicity(context.Background())
			require.NoError(t, err)
			counts[i] = c
		}()
	}
	wg.Wait()
	require.Equal(t, n, counts[0]+counts[1]+counts[2]+counts[3], "every window ended exactly once: %v", counts)
	numbers := map[string]bool{}
	for _, name := range names {
		a := h.get(who.registrar, name)
		require.Equal(t, catalogv1.AssetState_ASSET_STATE_REGISTERED, a.GetState())
		require.False(t, numbers[a.GetRegistrationNumber()], "numbers are unique")
		numbers[a.GetRegistrationNumber()] = true
		require.Equal(t, 1, count(h.eventTypes(name), "catalog.asset.registered"))
	}
	// Nothing is left to do, and a restarted scheduler (a fresh replica) finds nothing either.
	svc3, _ := h.replica()
	c, err := svc3.EndDuePublicity(context.Background())
	require.NoError(t, err)
	require.Zero(t, c)
}

func count(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
