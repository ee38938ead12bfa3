package scenario_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/scenario/internal/domain"
)

// activeLinkOf is activeLink for the operating organisation org (granted by orgA).
func (h *harness) activeLinkOf(org string) (*scenariov1.Scenario, *scenariov1.Link) {
	h.t.Helper()
	asset := h.registered(orgA)
	g := h.grant(orgA, asset, org)
	sc := h.propose(org, "城市治理")
	sc, err := h.transition(h.operator(org), sc.GetName(), activate)
	require.NoError(h.t, err)
	resp, err := h.link(h.operator(org), sc.GetName(), asset, g.GetName(), formAPI)
	require.NoError(h.t, err)
	return sc, resp.GetLink()
}

func outcome(scenario, start, end string, revenue float64) *scenariov1.Outcome {
	return &scenariov1.Outcome{Scenario: scenario, PeriodStart: start, PeriodEnd: end, RevenueYuan: revenue,
		CostSavedYuan: 1234.5, Beneficiaries: 20000, ServiceCount: 350, Note: "公交线网优化"}
}

func (h *harness) outcomeRow(scenario, start, end string) (n int, revision int64, revenue float64) {
	h.t.Helper()
	id := strings.TrimPrefix(scenario, "scenarios/")
	require.NoError(h.t, h.spool.QueryRow(context.Background(), `SELECT count(*), coalesce(max(revision), 0),
		coalesce(max(revenue_yuan), 0)::float8 FROM outcomes WHERE scenario_id = $1 AND period_start = $2 AND period_end = $3`,
		id, start, end).Scan(&n, &revision, &revenue))
	return n, revision, revenue
}

// TestRecordOutcome: the operator records an outcome; a second record for the same period
// replaces it (one row, revision 2); each is an outcome.recorded event; other organisations,
// auditors and bad periods are refused.
func TestRecordOutcome(t *testing.T) {
	h := newHarness(t)
	sc := h.propose(orgB, "公交客流")
	op := h.operator(orgB)
	first := outcome(sc.GetName(), "2026-01-01", "2026-03-31", 100000.25)
	resp, err := h.client.RecordOutcome(op, &scenariov1.RecordOutcomeRequest{Outcome: first})
	require.NoError(t, err)
	require.Equal(t, first.GetPeriodStart(), resp.GetOutcome().GetPeriodStart())
	require.Equal(t, first.GetPeriodEnd(), resp.GetOutcome().GetPeriodEnd())
	require.Equal(t, 100000.25, resp.GetOutcome().GetRevenueYuan())
	require.Equal(t, 1234.5, resp.GetOutcome().GetCostSavedYuan())
	require.EqualValues(t, 20000, resp.GetOutcome().GetBeneficiaries())
	require.EqualValues(t, 350, resp.GetOutcome().GetServiceCount())
	require.Equal(t, "公交线网优化", resp.GetOutcome().GetNote())
	n, rev, revenue := h.outcomeRow(sc.GetName(), "2026-01-01", "2026-03-31")
	require.Equal(t, 1, n)
	require.EqualValues(t, 1, rev)
	require.Equal(t, 100000.25, revenue)

	// The same period again replaces it.
	second := outcome(sc.GetName(), "2026-01-01", "2026-03-31", 250000)
	resp, err = h.client.RecordOutcome(op, &scenariov1.RecordOutcomeRequest{Outcome: second})
	require.NoError(t, err)
	require.Equal(t, 250000.0, resp.GetOutcome().GetRevenueYuan())
	n, rev, revenue = h.outcomeRow(sc.GetName(), "2026-01-01", "2026-03-31")
	require.Equal(t, 1, n)
	require.EqualValues(t, 2, rev)
	require.Equal(t, 250000.0, revenue)
	var total int
	require.NoError(t, h.spool.QueryRow(context.Background(), `SELECT count(*) FROM outcomes`).Scan(&total))
	require.Equal(t, 1, total)

	// A one-day period is fine; an end before the start or a non-date is not.
	_, err = h.client.RecordOutcome(op, &scenariov1.RecordOutcomeRequest{Outcome: outcome(sc.GetName(), "2026-04-01", "2026-04-01", 1)})
	require.NoError(t, err)
	_, err = h.client.RecordOutcome(op, &scenariov1.RecordOutcomeRequest{Outcome: outcome(sc.GetName(), "2026-03-31", "2026-01-01", 1)})
	requireStatus(t, err, codes.InvalidArgument, errs.ReasonValidation)
	_, err = h.client.RecordOutcome(op, &scenariov1.RecordOutcomeRequest{Outcome: outcome(sc.GetName(), "2026-02-30", "2026-03-01", 1)})
	requireStatus(t, err, codes.InvalidArgument, errs.ReasonValidation)

	// Other organisations do not see it; an admin of another sees it but may not record;
	// auditors may not record.
	_, err = h.client.RecordOutcome(h.operator(orgC), &scenariov1.RecordOutcomeRequest{Outcome: second})
	requireStatus(t, err, codes.NotFound, domain.ReasonScenarioNotFound)
	_, err = h.client.RecordOutcome(h.as("admin", orgC, auth.RoleAdmin), &scenariov1.RecordOutcomeRequest{Outcome: second})
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonNotYourOrganisation)
	_, err = h.client.RecordOutcome(h.as("auditor", orgB, auth.RoleAuditor), &scenariov1.RecordOutcomeRequest{Outcome: second})
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	_, rev, _ = h.outcomeRow(sc.GetName(), "2026-01-01", "2026-03-31")
	require.EqualValues(t, 2, rev, "refused records change nothing")

	// The events: one per record, with the revision, in order.
	var got []*eventsv1.OutcomeRecorded
	var evs []*eventsv1.Event
	require.Eventually(t, func() bool {
		evs = eventsOfType(h.scenarioEvents(1), "scenario.outcome.recorded")
		return len(evs) >= 3
	}, 10*time.Second, 50*time.Millisecond)
	require.Len(t, evs, 3)
	for _, ev := range evs {
		var p eventsv1.OutcomeRecorded
		require.NoError(t, ev.GetPayload().UnmarshalTo(&p))
		require.Equal(t, ev.GetResourceRevision(), p.GetRevision())
		require.Equal(t, "operator@"+orgB, ev.GetActor().GetSubject())
		got = append(got, &p)
	}
	require.Equal(t, sc.GetName()+"/outcomes/2026-01-01_2026-03-31", evs[0].GetSubject())
	require.EqualValues(t, 1, got[0].GetRevision())
	require.Equal(t, 100000.25, got[0].GetOutcome().GetRevenueYuan())
	require.Equal(t, evs[0].GetSubject(), evs[1].GetSubject())
	require.EqualValues(t, 2, got[1].GetRevision())
	require.Equal(t, 250000.0, got[1].GetOutcome().GetRevenueYuan())
	require.EqualValues(t, 1, got[2].GetRevision())
	require.Equal(t, "2026-04-01", got[2].GetOutcome().GetPeriodEnd())
}

func total(u *scenariov1.UsageTotal) sums {
	return sums{calls: u.GetCalls(), records: u.GetRecords(), bytes: u.GetBytes(), denied: u.GetDenied()}
}

func keys(us []*scenariov1.UsageTotal) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.GetKey())
	}
	return out
}

// TestUsageReport: usage ingested through ReportUsage is summed per asset and per scenario
// over the period (a day outside it excluded), for the scenarios the caller may see, with
// the outcomes overlapping the period.
func TestUsageReport(t *testing.T) {
	h := newHarness(t)
	scB, lB, _ := h.activeLink()
	scC, lC := h.activeLinkOf(orgC)
	day := time.Now().Add(-time.Hour).In(domain.UsageDay)
	today := day.Format(domain.DateLayout)
	yesterday := day.AddDate(0, 0, -1).Format(domain.DateLayout)
	older := day.AddDate(0, 0, -10)

	recsB, recsC := records(lB.GetName(), "b", 3), records(lC.GetName(), "c", 2)
	bad := records(lB.GetName(), "x", 1)
	bad[0].DeliveryForm = formMod // denied: counted as denied on lB's day
	resp, err := h.report(h.ingest(), "api-gateway", recsB, recsC, bad)
	require.NoError(t, err)
	require.EqualValues(t, 5, resp.GetAllowed())
	require.EqualValues(t, 1, resp.GetDenied())
	sum := func(rs []*scenariov1.UsageRecord) sums {
		var s sums
		for _, r := range rs {
			s.calls, s.records, s.bytes = s.calls+r.GetCalls(), s.records+r.GetRecords(), s.bytes+r.GetBytes()
		}
		return s
	}
	wantB, wantC := sum(recsB), sum(recsC)
	wantB.denied = 1

	// A day of lB's outside the period (ten days before), as the daily sums keep it.
	_, lidB, _ := strings.Cut(lB.GetName(), "/links/")
	_, err = h.spool.Exec(context.Background(), `INSERT INTO usage_daily (scenario_id, link_id, asset_id, day, calls, records, bytes, denied)
		VALUES ($1, $2, $3, $4, 1000, 10000, 100000, 7)`, strings.TrimPrefix(scB.GetName(), "scenarios/"), lidB,
		strings.TrimPrefix(lB.GetAsset(), "assets/"), time.Date(older.Year(), older.Month(), older.Day(), 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)

	// Outcomes: one overlapping the period, one wholly before it, one of orgC's.
	for _, o := range []struct {
		ctx context.Context
		o   *scenariov1.Outcome
	}{
		{h.operator(orgB), outcome(scB.GetName(), yesterday, today, 500)},
		{h.operator(orgB), outcome(scB.GetName(), older.Format(domain.DateLayout), older.Format(domain.DateLayout), 9)},
		{h.operator(orgC), outcome(scC.GetName(), today, day.AddDate(0, 1, 0).Format(domain.DateLayout), 700)},
	} {
		_, err := h.client.RecordOutcome(o.ctx, &scenariov1.RecordOutcomeRequest{Outcome: o.o})
		require.NoError(t, err)
	}

	get := func(ctx context.Context, scenario, start, end string) *scenariov1.GetUsageReportResponse {
		t.Helper()
		r, err := h.client.GetUsageReport(ctx, &scenariov1.GetUsageReportRequest{Scenario: scenario, PeriodStart: start, PeriodEnd: end})
		require.NoError(t, err)
		return r
	}

	// orgB's operator: only its scenario, today's sums only.
	r := get(h.operator(orgB), "", today, today)
	require.Len(t, r.GetPerScenario(), 1)
	require.Equal(t, scB.GetName(), r.GetPerScenario()[0].GetKey())
	require.Equal(t, wantB, total(r.GetPerScenario()[0]))
	require.Len(t, r.GetPerAsset(), 1)
	require.Equal(t, lB.GetAsset(), r.GetPerAsset()[0].GetKey())
	require.Equal(t, wantB, total(r.GetPerAsset()[0]))
	require.Len(t, r.GetOutcomes(), 1)
	require.Equal(t, scB.GetName(), r.GetOutcomes()[0].GetScenario())
	require.Equal(t, 500.0, r.GetOutcomes()[0].GetRevenueYuan())

	// orgC's operator sees only its own.
	r = get(h.operator(orgC), "", today, today)
	require.Equal(t, []string{scC.GetName()}, keys(r.GetPerScenario()))
	require.Equal(t, wantC, total(r.GetPerScenario()[0]))
	require.Equal(t, []string{lC.GetAsset()}, keys(r.GetPerAsset()))
	require.Len(t, r.GetOutcomes(), 1)
	require.Equal(t, scC.GetName(), r.GetOutcomes()[0].GetScenario())

	// Auditors and internal systems see both, sorted by key.
	for _, ctx := range []context.Context{h.as("auditor", orgA, auth.RoleAuditor), h.ingest()} {
		r = get(ctx, "", yesterday, today)
		wantScenarios, wantAssets := []string{scB.GetName(), scC.GetName()}, []string{lB.GetAsset(), lC.GetAsset()}
		if wantScenarios[0] > wantScenarios[1] {
			wantScenarios[0], wantScenarios[1] = wantScenarios[1], wantScenarios[0]
		}
		if wantAssets[0] > wantAssets[1] {
			wantAssets[0], wantAssets[1] = wantAssets[1], wantAssets[0]
		}
		require.Equal(t, wantScenarios, keys(r.GetPerScenario()))
		require.Equal(t, wantAssets, keys(r.GetPerAsset()))
		for _, u := range r.GetPerScenario() {
			want := map[string]sums{scB.GetName(): wantB, scC.GetName(): wantC}[u.GetKey()]
			require.Equal(t, want, total(u))
		}
		require.Len(t, r.GetOutcomes(), 2)
	}

	// One scenario; a stranger asking for it finds nothing.
	r = get(h.as("auditor", orgA, auth.RoleAuditor), scC.GetName(), today, today)
	require.Equal(t, []string{scC.GetName()}, keys(r.GetPerScenario()))
	_, err = h.client.GetUsageReport(h.operator(orgB), &scenariov1.GetUsageReportRequest{Scenario: scC.GetName(),
		PeriodStart: today, PeriodEnd: today})
	requireStatus(t, err, codes.NotFound, domain.ReasonScenarioNotFound)

	// The older day counts only in a period that includes it.
	oldSums := sums{calls: 1000, records: 10000, bytes: 100000, denied: 7}
	r = get(h.operator(orgB), "", older.Format(domain.DateLayout), today)
	require.Equal(t, sums{calls: wantB.calls + oldSums.calls, records: wantB.records + oldSums.records,
		bytes: wantB.bytes + oldSums.bytes, denied: wantB.denied + oldSums.denied}, total(r.GetPerScenario()[0]))
	require.Len(t, r.GetOutcomes(), 2)
	r = get(h.operator(orgB), "", older.Format(domain.DateLayout), yesterday)
	require.Equal(t, oldSums, total(r.GetPerScenario()[0]))
	r = get(h.operator(orgB), "", older.AddDate(0, 0, 1).Format(domain.DateLayout), yesterday)
	require.Empty(t, r.GetPerScenario())
	require.Empty(t, r.GetPerAsset())
	require.Len(t, r.GetOutcomes(), 1, "the outcome from yesterday to today overlaps")

	// A period ending before it starts is refused.
	_, err = h.client.GetUsageReport(h.operator(orgB), &scenariov1.GetUsageReportRequest{PeriodStart: today, PeriodEnd: yesterday})
	requireStatus(t, err, codes.InvalidArgument, errs.ReasonValidation)
}
