package scenario_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/services/scenario/internal/domain"
)

const (
	allowedOutcome = "ALLOWED"
	openAlert      = scenariov1.AlertState_ALERT_STATE_OPEN
	ackAlert       = scenariov1.AlertState_ALERT_STATE_ACKNOWLEDGED
	resolvedAlert  = scenariov1.AlertState_ALERT_STATE_RESOLVED
)

// ingest is an internal system reporting usage.
func (h *harness) ingest() context.Context {
	return h.as("system:api-gateway", orgA, auth.RoleService)
}

// activeLink makes an active transport scenario of orgB with an API link of a new asset of
// orgA under a new grant; it returns the scenario, the link and the grant.
func (h *harness) activeLink() (*scenariov1.Scenario, *scenariov1.Link, *rightsv1.Grant) {
	h.t.Helper()
	asset := h.registered(orgA)
	g := h.grant(orgA, asset, orgB)
	sc := h.propose(orgB, "公交客流")
	sc, err := h.transition(h.operator(orgB), sc.GetName(), activate)
	require.NoError(h.t, err)
	resp, err := h.link(h.operator(orgB), sc.GetName(), asset, g.GetName(), formAPI)
	require.NoError(h.t, err)
	return sc, resp.GetLink(), g
}

// records makes n API usage records through link over the hour up to now (after the link was made), ids prefix-0..n-1;
// record i has i+1 calls, 10·(i+1) records and 100·(i+1) bytes.
func records(link, prefix string, n int) []*scenariov1.UsageRecord {
	now := time.Now()
	out := make([]*scenariov1.UsageRecord, n)
	for i := range out {
		out[i] = &scenariov1.UsageRecord{RecordId: fmt.Sprintf("%s-%d", prefix, i), Link: link, DeliveryForm: formAPI,
			Calls: int64(i + 1), Records: int64(10 * (i + 1)), Bytes: int64(100 * (i + 1)),
			WindowStart: tsp(now.Add(-time.Hour)), WindowEnd: tsp(now)}
	}
	return out
}

// report streams batches from one reporting system.
func (h *harness) report(ctx context.Context, system string, batches ...[]*scenariov1.UsageRecord) (*scenariov1.ReportUsageResponse, error) {
	stream, err := h.client.ReportUsage(ctx)
	require.NoError(h.t, err)
	for _, b := range batches {
		if err := stream.Send(&scenariov1.ReportUsageRequest{ReportingSystem: system, Records: b}); err != nil {
			break // the server ended the stream: CloseAndRecv returns why
		}
	}
	return stream.CloseAndRecv()
}

type sums struct{ calls, records, bytes, denied int64 }

func (h *harness) daily(link string) sums {
	h.t.Helper()
	_, id, _ := strings.Cut(link, "/links/")
	var s sums
	require.NoError(h.t, h.spool.QueryRow(context.Background(), `SELECT coalesce(sum(calls), 0), coalesce(sum(records), 0),
		coalesce(sum(bytes), 0), coalesce(sum(denied), 0) FROM usage_daily WHERE link_id = $1`, id).
		Scan(&s.calls, &s.records, &s.bytes, &s.denied))
	return s
}

func eventsOfType(evs []*eventsv1.Event, typ string) []*eventsv1.Event {
	var out []*eventsv1.Event
	for _, ev := range evs {
		if ev.GetType() == typ {
			out = append(out, ev)
		}
	}
	return out
}

// TestUsageIsCountedOnce: allowed usage is summed per link and day; the same records
// again are duplicates and change nothing.
func TestUsageIsCountedOnce(t *testing.T) {
	h := newHarness(t)
	_, l, _ := h.activeLink()
	b1, b2 := records(l.GetName(), "r", 3), records(l.GetName(), "s", 2)
	resp, err := h.report(h.ingest(), "api-gateway", b1, b2)
	require.NoError(t, err)
	require.EqualValues(t, 5, resp.GetAllowed())
	require.Zero(t, resp.GetDenied())
	require.Zero(t, resp.GetDuplicates())
	want := sums{}
	for _, r := range append(append([]*scenariov1.UsageRecord{}, b1...), b2...) {
		want.calls, want.records, want.bytes = want.calls+r.GetCalls(), want.records+r.GetRecords(), want.bytes+r.GetBytes()
	}
	require.Equal(t, want, h.daily(l.GetName()))
	var n int
	require.NoError(t, h.spool.QueryRow(context.Background(), `SELECT count(*) FROM usage_records
		WHERE reporting_system = 'api-gateway' AND outcome = $1`, allowedOutcome).Scan(&n))
	require.Equal(t, 5, n)

	// Again, in one batch, with a repeat inside the batch too: all duplicates, sums unchanged.
	again := append(append(append([]*scenariov1.UsageRecord{}, b1...), b2...), b1[0])
	resp, err = h.report(h.ingest(), "api-gateway", again)
	require.NoError(t, err)
	require.Zero(t, resp.GetAllowed())
	require.Zero(t, resp.GetDenied())
	require.EqualValues(t, 6, resp.GetDuplicates())
	require.Equal(t, want, h.daily(l.GetName()))

	// The same record ids from another system are other records.
	resp, err = h.report(h.ingest(), "bi-platform", records(l.GetName(), "r", 1))
	require.NoError(t, err)
	require.EqualValues(t, 1, resp.GetAllowed())
	want.calls, want.records, want.bytes = want.calls+1, want.records+10, want.bytes+100

	// One usage.recorded per batch, with the batch's sums per link.
	var got []*eventsv1.UsageRecorded
	require.Eventually(t, func() bool {
		got = nil
		for _, ev := range eventsOfType(h.scenarioEvents(1), "scenario.usage.recorded") {
			var p eventsv1.UsageRecorded
			require.NoError(t, ev.GetPayload().UnmarshalTo(&p))
			got = append(got, &p)
		}
		return len(got) >= 3
	}, 10*time.Second, 50*time.Millisecond)
	require.Len(t, got, 3)
	require.Len(t, got[0].GetLinks(), 1)
	first := got[0].GetLinks()[0]
	require.Equal(t, l.GetName(), first.GetLink())
	require.Equal(t, l.GetAsset(), first.GetAsset())
	require.EqualValues(t, 3, first.GetRecordCount())
	require.EqualValues(t, 6, first.GetCalls())
	require.EqualValues(t, 60, first.GetRecords())
	require.EqualValues(t, 600, first.GetBytes())
	require.EqualValues(t, 2, got[1].GetLinks()[0].GetRecordCount())
	require.Equal(t, "bi-platform", got[2].GetReportingSystem())
	require.Equal(t, want, h.daily(l.GetName()))

	// The scenario's operator may report; other organisations and roles may not.
	resp, err = h.report(h.operator(orgB), "manual", records(l.GetName(), "m", 1))
	require.NoError(t, err)
	require.EqualValues(t, 1, resp.GetAllowed())
	_, err = h.report(h.operator(orgC), "manual", records(l.GetName(), "c", 1))
	requireStatus(t, err, codes.NotFound, domain.ReasonScenarioNotFound)
	_, err = h.report(h.as("registrar", orgB, auth.RoleRegistrar), "manual", records(l.GetName(), "x", 1))
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	_, err = h.report(h.ingest(), "a", records(l.GetName(), "y", 1), records(l.GetName(), "z", 1)[:1])
	require.NoError(t, err, "the same system throughout")
	_, err = h.report(h.ingest(), "a", records(l.GetName(), "y2", 1))
	require.NoError(t, err)
	stream, err := h.client.ReportUsage(h.ingest())
	require.NoError(t, err)
	require.NoError(t, stream.Send(&scenariov1.ReportUsageRequest{ReportingSystem: "a", Records: records(l.GetName(), "w", 1)}))
	_ = stream.Send(&scenariov1.ReportUsageRequest{ReportingSystem: "b", Records: records(l.GetName(), "v", 1)})
	_, err = stream.CloseAndRecv()
	requireStatus(t, err, codes.InvalidArgument, domain.ReasonReportingSystem)

	// Other forms, unknown links and suspended scenarios are denied.
	bad := records(l.GetName(), "d", 2)
	bad[0].DeliveryForm = formMod
	sid, _, _ := strings.Cut(l.GetName(), "/links/")
	bad[1].Link = sid + "/links/" + uuid.NewString()
	resp, err = h.report(h.ingest(), "api-gateway", bad)
	require.NoError(t, err)
	require.EqualValues(t, 2, resp.GetDenied())
	require.Equal(t, domain.DenyFormNotLinked, resp.GetDenials()[0].GetReason())
	require.Equal(t, domain.DenyLinkNotFound, resp.GetDenials()[1].GetReason())
	_, err = h.transition(h.operator(orgB), sid, suspend)
	require.NoError(t, err)
	resp, err = h.report(h.ingest(), "api-gateway", records(l.GetName(), "e", 1))
	require.NoError(t, err)
	require.EqualValues(t, 1, resp.GetDenied())
	require.Equal(t, domain.DenyScenarioNotActive, resp.GetDenials()[0].GetReason())
}

// TestDeniedUsageRaisesAlerts: usage through a link a revoked grant blocked (through the
// rights service's events) is denied, raises one OPEN alert and a usage.denied event; the
// operator resolves the alert.
func TestDeniedUsageRaisesAlerts(t *testing.T) {
	h := newHarness(t)
	sc, l, g := h.activeLink()
	op := h.operator(orgB)
	_, err := h.rights.RevokeGrant(h.rightsAdmin(orgA), &rightsv1.RevokeGrantRequest{Name: g.GetName(), Reason: "合同终止"})
	require.NoError(t, err)
	h.waitLink(orgB, l.GetName(), scenariov1.LinkState_LINK_STATE_BLOCKED)

	resp, err := h.report(h.ingest(), "api-gateway", records(l.GetName(), "r", 3))
	require.NoError(t, err)
	require.Zero(t, resp.GetAllowed())
	require.EqualValues(t, 3, resp.GetDenied())
	for _, d := range resp.GetDenials() {
		require.Equal(t, domain.DenyGrantRevoked, d.GetReason())
	}
	require.Equal(t, sums{denied: 3}, h.daily(l.GetName()))

	list, err := h.client.ListAlerts(op, &scenariov1.ListAlertsRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetAlerts(), 1)
	al := list.GetAlerts()[0]
	require.Equal(t, openAlert, al.GetState())
	require.Equal(t, "denied_usage", al.GetRule())
	require.Equal(t, scenariov1.Severity_SEVERITY_HIGH, al.GetSeverity())
	require.Equal(t, l.GetName(), al.GetLink())
	require.Equal(t, sc.GetName(), al.GetScenario())
	require.Contains(t, al.GetDetail(), "GRANT_REVOKED")
	require.Contains(t, al.GetDetail(), "grant.revoked")

	// More denied usage while it is open: no second alert.
	resp, err = h.report(h.ingest(), "api-gateway", records(l.GetName(), "s", 2))
	require.NoError(t, err)
	require.EqualValues(t, 2, resp.GetDenied())
	list, err = h.client.ListAlerts(op, &scenariov1.ListAlertsRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetAlerts(), 1)
	require.Equal(t, sums{denied: 5}, h.daily(l.GetName()))

	// The events: one usage.denied per batch with the record ids, one alert.raised.
	var denied []*eventsv1.UsageDenied
	var raised []*eventsv1.Event
	require.Eventually(t, func() bool {
		evs := h.scenarioEvents(1)
		denied = nil
		for _, ev := range eventsOfType(evs, "scenario.usage.denied") {
			var p eventsv1.UsageDenied
			require.NoError(t, ev.GetPayload().UnmarshalTo(&p))
			denied = append(denied, &p)
		}
		raised = eventsOfType(evs, "scenario.alert.raised")
		return len(denied) >= 2 && len(raised) >= 1
	}, 10*time.Second, 50*time.Millisecond)
	require.Len(t, denied, 2)
	require.Equal(t, []string{"r-0", "r-1", "r-2"}, denied[0].GetRecordIds())
	require.Equal(t, domain.DenyGrantRevoked, denied[0].GetReason())
	require.Equal(t, l.GetName(), denied[0].GetLink())
	require.Equal(t, sc.GetName(), denied[0].GetScenario())
	require.Len(t, raised, 1)
	require.Equal(t, al.GetName(), raised[0].GetSubject())
	require.EqualValues(t, 1, raised[0].GetResourceRevision())

	// Filters and visibility.
	filter := func(ctx context.Context, req *scenariov1.ListAlertsRequest) int {
		resp, err := h.client.ListAlerts(ctx, req)
		require.NoError(t, err)
		return len(resp.GetAlerts())
	}
	require.Equal(t, 0, filter(op, &scenariov1.ListAlertsRequest{States: []scenariov1.AlertState{resolvedAlert}}))
	require.Equal(t, 1, filter(op, &scenariov1.ListAlertsRequest{States: []scenariov1.AlertState{openAlert, ackAlert}}))
	require.Equal(t, 1, filter(op, &scenariov1.ListAlertsRequest{MinSeverity: scenariov1.Severity_SEVERITY_HIGH}))
	require.Equal(t, 1, filter(op, &scenariov1.ListAlertsRequest{Scenario: sc.GetName()}))
	require.Equal(t, 0, filter(op, &scenariov1.ListAlertsRequest{Scenario: "scenarios/" + uuid.NewString()}))
	require.Equal(t, 0, filter(h.operator(orgC), &scenariov1.ListAlertsRequest{}))
	require.Equal(t, 1, filter(h.as("auditor", orgC, auth.RoleAuditor), &scenariov1.ListAlertsRequest{}))

	// Updating: strangers do not see it, auditors may not change it, the operator does.
	_, err = h.client.UpdateAlert(h.operator(orgC), &scenariov1.UpdateAlertRequest{Name: al.GetName(), State: ackAlert})
	requireStatus(t, err, codes.NotFound, domain.ReasonAlertNotFound)
	_, err = h.client.UpdateAlert(h.as("auditor", orgC, auth.RoleAuditor), &scenariov1.UpdateAlertRequest{Name: al.GetName(), State: ackAlert})
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	_, err = h.client.UpdateAlert(op, &scenariov1.UpdateAlertRequest{Name: "alerts/" + uuid.NewString(), State: ackAlert})
	requireStatus(t, err, codes.NotFound, domain.ReasonAlertNotFound)
	up, err := h.client.UpdateAlert(op, &scenariov1.UpdateAlertRequest{Name: al.GetName(), State: ackAlert, Assignee: "张工"})
	require.NoError(t, err)
	require.Equal(t, ackAlert, up.GetAlert().GetState())
	require.Equal(t, "张工", up.GetAlert().GetAssignee())
	up, err = h.client.UpdateAlert(op, &scenariov1.UpdateAlertRequest{Name: al.GetName(), State: resolvedAlert, Note: "已解除关联"})
	require.NoError(t, err)
	require.Equal(t, resolvedAlert, up.GetAlert().GetState())
	require.Equal(t, "张工", up.GetAlert().GetAssignee())
	_, err = h.client.UpdateAlert(op, &scenariov1.UpdateAlertRequest{Name: al.GetName(), State: ackAlert})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonInvalidTransition)
	require.Equal(t, 1, filter(op, &scenariov1.ListAlertsRequest{States: []scenariov1.AlertState{resolvedAlert}}))
	require.Equal(t, 0, filter(op, &scenariov1.ListAlertsRequest{States: []scenariov1.AlertState{openAlert}}))
	var hist []string
	rows, err := h.spool.Query(context.Background(), `SELECT action || ':' || state FROM alert_history
		WHERE alert_id = $1 ORDER BY revision`, strings.TrimPrefix(al.GetName(), "alerts/"))
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		hist = append(hist, s)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"raise:OPEN", "acknowledge:ACKNOWLEDGED", "resolve:RESOLVED"}, hist)
	require.Eventually(t, func() bool {
		for _, ev := range eventsOfType(h.scenarioEvents(1), "scenario.alert.resolved") {
			var p eventsv1.AlertChanged
			require.NoError(t, ev.GetPayload().UnmarshalTo(&p))
			return ev.GetSubject() == al.GetName() && ev.GetResourceRevision() == 3 && p.GetNote() == "已解除关联" &&
				p.GetPreviousState() == ackAlert && p.GetAlert().GetState() == resolvedAlert
		}
		return false
	}, 10*time.Second, 50*time.Millisecond, "no alert.resolved")

	// Denied again once resolved: a new alert; pages of one, newest first.
	_, err = h.report(h.ingest(), "api-gateway", records(l.GetName(), "t", 1))
	require.NoError(t, err)
	var names []string
	token := ""
	for {
		resp, err := h.client.ListAlerts(op, &scenariov1.ListAlertsRequest{PageSize: 1, PageToken: token})
		require.NoError(t, err)
		for _, a := range resp.GetAlerts() {
			names = append(names, a.GetName())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	require.Len(t, names, 2)
	require.Equal(t, al.GetName(), names[1])
	first, err := h.client.ListAlerts(op, &scenariov1.ListAlertsRequest{PageSize: 1})
	require.NoError(t, err)
	_, err = h.client.ListAlerts(op, &scenariov1.ListAlertsRequest{PageSize: 1, PageToken: first.GetNextPageToken(),
		States: []scenariov1.AlertState{openAlert}})
	requireStatus(t, err, codes.InvalidArgument, domain.ReasonInvalidPageToken)
}
