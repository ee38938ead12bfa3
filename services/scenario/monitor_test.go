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

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/scenario/internal/domain"
)

// alertsOf lists a link's alerts (any state) as its operator sees them, by rule.
func (h *harness) alertsOf(org, link string) map[string][]*scenariov1.Alert {
	h.t.Helper()
	out, err := h.listAlertsOf(org, link)
	require.NoError(h.t, err)
	return out
}

// countRule counts a link's alerts of a rule; -1 on error. For Eventually and Never,
// whose last call may still run as the test ends (and must not fail it then).
func (h *harness) countRule(org, link, rule string) int {
	out, err := h.listAlertsOf(org, link)
	if err != nil {
		return -1
	}
	return len(out[rule])
}

func (h *harness) spikes(org, link string) int { return h.countRule(org, link, domain.RuleVolumeSpike) }

func (h *harness) listAlertsOf(org, link string) (map[string][]*scenariov1.Alert, error) {
	resp, err := h.client.ListAlerts(h.operator(org), &scenariov1.ListAlertsRequest{PageSize: 500, Link: link})
	if err != nil {
		return nil, err
	}
	out := map[string][]*scenariov1.Alert{}
	for _, a := range resp.GetAlerts() {
		out[a.GetRule()] = append(out[a.GetRule()], a)
	}
	return out, nil
}

func reasons(resp *scenariov1.ReportUsageResponse) map[string]string {
	out := map[string]string{}
	for _, d := range resp.GetDenials() {
		out[d.GetRecordId()] = d.GetReason()
	}
	return out
}

// TestUsageIsJudgedAgainstTheGrant: every record is judged against the terms of the grant
// its link rests on (carried on the link from the rights service): a form the grant does
// not allow, a purpose outside the grant or the scenario, a window outside the grant's;
// each denial raises an alert of its rule, with its severity.
func TestUsageIsJudgedAgainstTheGrant(t *testing.T) {
	h := newHarness(t)
	_, l, g := h.activeLink()
	terms := l.GetGrantTerms()
	require.NotNil(t, terms, "the link carries the grant's terms")
	require.Equal(t, g.GetValidUntil().AsTime(), terms.GetValidUntil().AsTime())
	require.Equal(t, []string{"TRANSPORT", "URBAN_GOVERNANCE"}, terms.GetPurposes())
	require.Equal(t, []rightsv1.DeliveryForm{formAPI, formMod}, terms.GetDeliveryForms())

	recs := records(l.GetName(), "j", 6)
	recs[0].DeliveryForm = rightsv1.DeliveryForm_DELIVERY_FORM_RAW_COPY // the grant does not allow it
	recs[1].DeliveryForm = formMod                                      // the grant does, the link does not
	recs[2].Purpose = "FINANCE"                                         // the grant does not allow it
	recs[3].Purpose = "URBAN_GOVERNANCE"                                // the grant does, the scenario is TRANSPORT
	recs[4].Purpose = "TRANSPORT"                                       // the scenario's own: allowed
	// recs[5] allowed.
	resp, err := h.report(h.ingest(), "api-gateway", recs)
	require.NoError(t, err)
	require.EqualValues(t, 2, resp.GetAllowed())
	require.Equal(t, map[string]string{"j-0": domain.DenyFormNotGranted, "j-1": domain.DenyFormNotLinked,
		"j-2": domain.DenyPurposeNotGranted, "j-3": domain.DenyPurposeOfScenario}, reasons(resp))
	alerts := h.alertsOf(orgB, l.GetName())
	require.Len(t, alerts, 2, "one alert per rule: %v", alerts)
	require.Len(t, alerts[domain.RuleOutsideForm], 1)
	require.Len(t, alerts[domain.RuleOutsidePurpose], 1)
	require.Equal(t, scenariov1.Severity_SEVERITY_HIGH, alerts[domain.RuleOutsideForm][0].GetSeverity())
	require.Contains(t, alerts[domain.RuleOutsideForm][0].GetDetail(), "2 usage record(s)")
	require.Contains(t, alerts[domain.RuleOutsidePurpose][0].GetDetail(), domain.DenyPurposeNotGranted)
	require.Contains(t, alerts[domain.RuleOutsidePurpose][0].GetDetail(), domain.DenyPurposeOfScenario)
	// The rule and link filters.
	byRule, err := h.client.ListAlerts(h.operator(orgB), &scenariov1.ListAlertsRequest{Rules: []string{domain.RuleOutsideForm, domain.RuleVolumeSpike}})
	require.NoError(t, err)
	require.Len(t, byRule.GetAlerts(), 1)
	require.Equal(t, domain.RuleOutsideForm, byRule.GetAlerts()[0].GetRule())
	other := strings.Split(l.GetName(), "/links/")[0] + "/links/" + uuid.NewString()
	byLink, err := h.client.ListAlerts(h.operator(orgB), &scenariov1.ListAlertsRequest{Link: other})
	require.NoError(t, err)
	require.Empty(t, byLink.GetAlerts())
	byLink, err = h.client.ListAlerts(h.operator(orgB), &scenariov1.ListAlertsRequest{Link: l.GetName()})
	require.NoError(t, err)
	require.Len(t, byLink.GetAlerts(), 2)
	_, err = h.client.ListAlerts(h.operator(orgB), &scenariov1.ListAlertsRequest{Rules: []string{"speeding"}})
	requireStatus(t, err, codes.InvalidArgument, errs.ReasonValidation)

	var purpose string
	require.NoError(t, h.spool.QueryRow(context.Background(),
		`SELECT purpose FROM usage_records WHERE record_id = 'j-4'`).Scan(&purpose))
	require.Equal(t, "TRANSPORT", purpose, "the declared purpose is kept with the record")

	// Use after the grant's end: a grant valid until two seconds from now, linked, then
	// used after it ended.
	asset := h.registered(orgA)
	now := time.Now()
	short, err := h.rights.CreateGrant(h.rightsAdmin(orgA), &rightsv1.CreateGrantRequest{Grant: shortGrant(asset, orgB, now.Add(-time.Hour), now.Add(2*time.Second))})
	require.NoError(t, err)
	sc := h.propose(orgB, "短期授权")
	_, err = h.transition(h.operator(orgB), sc.GetName(), activate)
	require.NoError(t, err)
	lr, err := h.link(h.operator(orgB), sc.GetName(), asset, short.GetGrant().GetName(), formAPI)
	require.NoError(t, err)
	time.Sleep(time.Until(now.Add(2500 * time.Millisecond)))
	// The rights service's expiry job runs hourly here: no expiry event has arrived, the
	// link is still active, and the window after the grant's end is denied all the same.
	require.Equal(t, scenariov1.LinkState_LINK_STATE_ACTIVE, h.linkState(orgB, lr.GetLink().GetName()).GetState())
	late := records(lr.GetLink().GetName(), "late", 1)
	resp, err = h.report(h.ingest(), "api-gateway", late)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"late-0": domain.DenyOutsideGrantTerm}, reasons(resp))
	term := h.alertsOf(orgB, lr.GetLink().GetName())[domain.RuleOutsideTerm]
	require.Len(t, term, 1)
	require.Equal(t, scenariov1.Severity_SEVERITY_HIGH, term[0].GetSeverity())
	// Within the grant's window, the same link allows.
	inside := records(lr.GetLink().GetName(), "inside", 1)
	inside[0].WindowStart, inside[0].WindowEnd = tsp(now.Add(-30*time.Minute)), tsp(lr.GetLink().GetCreateTime().AsTime())
	resp, err = h.report(h.ingest(), "api-gateway", inside)
	require.NoError(t, err)
	require.EqualValues(t, 1, resp.GetAllowed(), "denials: %v", resp.GetDenials())
}

// shortGrant is an API/model transport grant of asset to grantee valid over [from, until).
func shortGrant(asset, grantee string, from, until time.Time) *rightsv1.Grant {
	return &rightsv1.Grant{Asset: asset, Right: rightsv1.Right_RIGHT_PROCESSING_USE, GranteeOrganisation: grantee,
		LegalBasis: &rightsv1.LegalBasis{Kind: rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_CONTRACT, DocumentNumber: "HT-2026-002", Sha256: sha},
		Scope: &rightsv1.Scope{Purposes: []string{"TRANSPORT"},
			DeliveryForms: []rightsv1.DeliveryForm{rightsv1.DeliveryForm_DELIVERY_FORM_API}, Regions: []string{"350000"}},
		ValidFrom: tsp(from), ValidUntil: tsp(until), FeeTerms: rightsv1.FeeTerms_FEE_TERMS_FREE_CONDITIONAL}
}

// TestSuspensionsDenyByCauseAndCatchEarlierReports: usage through a suspended grant or of
// a suspended asset is denied with that cause and raises suspended_grant / suspended_asset.
// Usage already allowed for a time after the suspension (reported before the event
// reached the scenario service) raises the same rule when the event arrives.
func TestSuspensionsDenyByCauseAndCatchEarlierReports(t *testing.T) {
	h := newHarness(t)
	_, l, g := h.activeLink()

	// Reported before the suspension, for a window reaching a minute past it: allowed now.
	ahead := records(l.GetName(), "ahead", 2)
	ahead[0].WindowEnd = tsp(time.Now().Add(time.Minute))
	resp, err := h.report(h.ingest(), "api-gateway", ahead)
	require.NoError(t, err)
	require.EqualValues(t, 2, resp.GetAllowed())
	require.Empty(t, h.alertsOf(orgB, l.GetName()))

	_, err = h.rights.SuspendGrant(h.rightsAdmin(orgA), &rightsv1.SuspendGrantRequest{Name: g.GetName(), Reason: "核查"})
	require.NoError(t, err)
	h.waitLink(orgB, l.GetName(), scenariov1.LinkState_LINK_STATE_BLOCKED)
	alerts := h.alertsOf(orgB, l.GetName())
	require.Len(t, alerts[domain.RuleSuspendedGrant], 1, "the earlier report reaching past the suspension: %v", alerts)
	require.Contains(t, alerts[domain.RuleSuspendedGrant][0].GetDetail(), "1 usage record(s)")
	require.Contains(t, alerts[domain.RuleSuspendedGrant][0].GetDetail(), "grant.suspended")

	resp, err = h.report(h.ingest(), "api-gateway", records(l.GetName(), "during", 2))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"during-0": domain.DenyGrantSuspended, "during-1": domain.DenyGrantSuspended}, reasons(resp))
	require.Len(t, h.alertsOf(orgB, l.GetName())[domain.RuleSuspendedGrant], 1, "still the one OPEN alert")

	_, err = h.rights.ReinstateGrant(h.rightsAdmin(orgA), &rightsv1.ReinstateGrantRequest{Name: g.GetName(), Reason: "核查完毕"})
	require.NoError(t, err)
	h.waitLink(orgB, l.GetName(), scenariov1.LinkState_LINK_STATE_ACTIVE)

	// The asset suspended by the catalog.
	asset := l.GetAsset()
	h.assetRev[asset] = 1 // registered at revision 1 by activeLink
	h.catalogEvent("catalog.asset.suspended", asset, orgA, catalogv1.AssetState_ASSET_STATE_SUSPENDED)
	h.waitLink(orgB, l.GetName(), scenariov1.LinkState_LINK_STATE_BLOCKED)
	resp, err = h.report(h.ingest(), "api-gateway", records(l.GetName(), "asset", 1))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"asset-0": domain.DenyAssetSuspended}, reasons(resp))
	alerts = h.alertsOf(orgB, l.GetName())
	require.Len(t, alerts[domain.RuleSuspendedAsset], 1)
	require.Equal(t, scenariov1.Severity_SEVERITY_HIGH, alerts[domain.RuleSuspendedAsset][0].GetSeverity())
}

// TestVolumeSpikes: a link's day far above its declared baseline raises volume_spike as
// the usage arrives, once per day even after it is resolved; a link without a declared
// baseline is watched on the monitor's schedule against its learnt one.
func TestVolumeSpikes(t *testing.T) {
	h := newHarness(t)
	_, l, _ := h.activeLink() // declared baseline: 10 000 records a day
	big := func(prefix string, n int64) []*scenariov1.UsageRecord {
		r := records(l.GetName(), prefix, 1)
		r[0].Records = n
		return r
	}
	_, err := h.report(h.ingest(), "api-gateway", big("a", 29_000))
	require.NoError(t, err)
	require.Empty(t, h.alertsOf(orgB, l.GetName()), "2.9 × the baseline is not a spike")
	_, err = h.report(h.ingest(), "api-gateway", big("b", 2_000))
	require.NoError(t, err)
	spikes := h.alertsOf(orgB, l.GetName())[domain.RuleVolumeSpike]
	require.Len(t, spikes, 1)
	require.Equal(t, scenariov1.Severity_SEVERITY_MEDIUM, spikes[0].GetSeverity())
	require.Contains(t, spikes[0].GetDetail(), "31000 records")
	require.Contains(t, spikes[0].GetDetail(), "declared daily baseline of 10000")
	_, err = h.client.UpdateAlert(h.operator(orgB), &scenariov1.UpdateAlertRequest{Name: spikes[0].GetName(),
		State: resolvedAlert, Note: "节假日客流高峰"})
	require.NoError(t, err)
	_, err = h.report(h.ingest(), "api-gateway", big("c", 50_000))
	require.NoError(t, err)
	require.Len(t, h.alertsOf(orgB, l.GetName())[domain.RuleVolumeSpike], 1, "once a day")

	// A link without a declared baseline: ten earlier days of about 1 000 records (the
	// history is written directly: usage cannot be reported for before a link existed),
	// then 5 000 today; the monitor finds it on its next pass.
	_, l2 := h.activeLinkOf(orgB)
	_, id, _ := strings.Cut(l2.GetName(), "/links/")
	sid := strings.TrimPrefix(strings.Split(l2.GetName(), "/links/")[0], "scenarios/")
	_, err = h.spool.Exec(context.Background(), `UPDATE links SET daily_baseline_records = 0 WHERE id = $1`, id)
	require.NoError(t, err)
	today := domain.UsageDayOf(time.Now())
	for d := 1; d <= 10; d++ {
		_, err = h.spool.Exec(context.Background(), `INSERT INTO usage_daily (scenario_id, link_id, asset_id, day, calls, records, bytes)
			VALUES ($1, $2, $3, $4, 1, $5, 1)`, sid, id, strings.TrimPrefix(l2.GetAsset(), "assets/"), today.AddDate(0, 0, -d), 900+20*d)
		require.NoError(t, err)
	}
	r := records(l2.GetName(), "l2", 1)
	r[0].Records = 3_000 // about 2.9 × the mean (1 010): not yet
	r[0].WindowStart = tsp(time.Now().Add(-time.Minute))
	_, err = h.report(h.ingest(), "api-gateway", r)
	require.NoError(t, err)
	require.Never(t, func() bool { return h.spikes(orgB, l2.GetName()) != 0 }, 500*time.Millisecond, 50*time.Millisecond)
	r = records(l2.GetName(), "l2b", 1)
	r[0].Records = 2_000
	r[0].WindowStart = tsp(time.Now().Add(-time.Minute))
	_, err = h.report(h.ingest(), "api-gateway", r)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return h.spikes(orgB, l2.GetName()) == 1 }, 5*time.Second, 50*time.Millisecond)
	detail := h.alertsOf(orgB, l2.GetName())[domain.RuleVolumeSpike][0].GetDetail()
	require.Contains(t, detail, "5000 records")
	require.Contains(t, detail, "learnt daily baseline of 1010 (mean of 10 day(s)")
	require.Never(t, func() bool { return h.spikes(orgB, l2.GetName()) != 1 }, 500*time.Millisecond, 50*time.Millisecond,
		"the monitor's next passes raise no second one")
}

// TestRawRecordsArePurgedAfterRetention: a record for a window older than the retention
// is denied (its earlier copy may have been purged); raw records past the retention are
// purged by the monitor, while the daily sums stay.
func TestRawRecordsArePurgedAfterRetention(t *testing.T) {
	h := newHarness(t)
	_, l, _ := h.activeLink()
	resp, err := h.report(h.ingest(), "api-gateway", records(l.GetName(), "fresh", 3))
	require.NoError(t, err)
	require.EqualValues(t, 3, resp.GetAllowed())
	old := records(l.GetName(), "old", 1)
	old[0].WindowStart, old[0].WindowEnd = tsp(time.Now().Add(-retention-time.Hour)), tsp(time.Now().Add(-retention+time.Hour))
	resp, err = h.report(h.ingest(), "api-gateway", old)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"old-0": domain.DenyWindowTooOld}, reasons(resp))

	// Age two of the fresh records past the retention (and an hour's margin), as if they
	// had been kept that long.
	_, err = h.spool.Exec(context.Background(), `UPDATE usage_records SET window_start = window_start - $1::interval
		WHERE record_id IN ('fresh-0', 'fresh-1')`, fmt.Sprintf("%d hours", int(retention.Hours())+2))
	require.NoError(t, err)
	count := func() (n int) {
		require.NoError(t, h.spool.QueryRow(context.Background(), `SELECT count(*) FROM usage_records`).Scan(&n))
		return n
	}
	require.Eventually(t, func() bool { return count() == 1 }, 5*time.Second, 50*time.Millisecond,
		"fresh-0, fresh-1 and the old denied record purged; fresh-2 kept")
	var kept string
	require.NoError(t, h.spool.QueryRow(context.Background(), `SELECT record_id FROM usage_records`).Scan(&kept))
	require.Equal(t, "fresh-2", kept)
	require.Equal(t, sums{calls: 6, records: 60, bytes: 600, denied: 1}, h.daily(l.GetName()), "the daily sums stay")
}

// TestMonitorCatchesUsageCommittedAfterABlock: a batch judged just before a block and
// committed just after it escapes the consumer's check (the rows were not yet visible);
// the monitor's next pass raises the rule's alert for it, once.
func TestMonitorCatchesUsageCommittedAfterABlock(t *testing.T) {
	h := newHarness(t)
	_, l, g := h.activeLink()
	_, err := h.rights.SuspendGrant(h.rightsAdmin(orgA), &rightsv1.SuspendGrantRequest{Name: g.GetName(), Reason: "核查"})
	require.NoError(t, err)
	h.waitLink(orgB, l.GetName(), scenariov1.LinkState_LINK_STATE_BLOCKED)
	require.Never(t, func() bool { return h.countRule(orgB, l.GetName(), domain.RuleSuspendedGrant) != 0 },
		300*time.Millisecond, 50*time.Millisecond, "nothing was allowed after the suspension")

	// The in-flight batch's row, as it lands after the block: allowed, for a window that
	// reaches past the suspension.
	_, lid, _ := strings.Cut(l.GetName(), "/links/")
	sid := strings.TrimPrefix(strings.Split(l.GetName(), "/links/")[0], "scenarios/")
	_, err = h.spool.Exec(context.Background(), `INSERT INTO usage_records (reporting_system, record_id, link_id,
		scenario_id, asset_id, delivery_form, calls, records, bytes, window_start, window_end, outcome, receive_time)
		VALUES ('api-gateway', 'inflight-0', $1, $2, $3, 'API', 1, 10, 100, now() - interval '1 minute', now(), 'ALLOWED', now())`,
		lid, sid, strings.TrimPrefix(l.GetAsset(), "assets/"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return h.countRule(orgB, l.GetName(), domain.RuleSuspendedGrant) == 1 },
		5*time.Second, 50*time.Millisecond)
	al := h.alertsOf(orgB, l.GetName())[domain.RuleSuspendedGrant][0]
	require.Contains(t, al.GetDetail(), "1 usage record(s)")
	_, err = h.client.UpdateAlert(h.operator(orgB), &scenariov1.UpdateAlertRequest{Name: al.GetName(), State: resolvedAlert})
	require.NoError(t, err)
	require.Never(t, func() bool { return h.countRule(orgB, l.GetName(), domain.RuleSuspendedGrant) != 1 },
		500*time.Millisecond, 50*time.Millisecond, "resolved, it is not raised again by the next passes")
}
