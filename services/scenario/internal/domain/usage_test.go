package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/scenario/internal/domain"
)

func TestJudge(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	horizon := now.AddDate(0, 0, -400)
	terms := domain.GrantTerms{ValidFrom: now.Add(-30 * 24 * time.Hour), ValidUntil: now.Add(30 * 24 * time.Hour),
		Purposes: []string{"TRANSPORT", "HEALTHCARE"}, Forms: []string{"API", "MODEL"}}
	link := func(st domain.LinkState) *domain.Link {
		return &domain.Link{State: st, DeliveryForm: "API", GrantID: "g", Grant: terms, CreateTime: now.Add(-24 * time.Hour)}
	}
	blocked := func(reason string) *domain.Link {
		l := link(domain.LinkBlocked)
		l.StateReason = reason
		return l
	}
	held := &domain.Link{State: domain.LinkActive, DeliveryForm: "RAW_COPY", CreateTime: now.Add(-24 * time.Hour)}
	active := &domain.Scenario{State: domain.StateActive, Sector: "TRANSPORT"}
	rec := func(form string, end time.Time) *domain.UsageRecord {
		return &domain.UsageRecord{DeliveryForm: form, WindowStart: end.Add(-time.Hour), WindowEnd: end}
	}
	withPurpose := func(r *domain.UsageRecord, p string) *domain.UsageRecord { r.Purpose = p; return r }
	type judgeCase struct {
		name   string
		r      *domain.UsageRecord
		l      *domain.Link
		s      *domain.Scenario
		reason string
	}
	cases := []judgeCase{
		{"allowed", rec("API", now), link(domain.LinkActive), active, ""},
		{"allowed, the scenario's purpose named", withPurpose(rec("API", now), "TRANSPORT"), link(domain.LinkActive), active, ""},
		{"holder's link: no grant terms", rec("RAW_COPY", now), held, active, ""},
		{"no link", rec("API", now), nil, nil, domain.DenyLinkNotFound},
		{"blocked, cause unknown", rec("API", now), link(domain.LinkBlocked), active, domain.DenyLinkBlocked},
		{"grant suspended", rec("API", now), blocked(domain.BlockReason("rights.grant.suspended", "grants/g")), active, domain.DenyGrantSuspended},
		{"grant revoked", rec("API", now), blocked(domain.BlockReason("rights.grant.revoked", "grants/g")), active, domain.DenyGrantRevoked},
		{"grant expired", rec("API", now), blocked(domain.BlockReason("rights.grant.expired", "grants/g")), active, domain.DenyGrantExpired},
		{"asset suspended", rec("API", now), blocked(domain.BlockReason("catalog.asset.suspended", "assets/a")), active, domain.DenyAssetSuspended},
		{"asset cancelled", rec("API", now), blocked(domain.BlockReason("catalog.asset.cancelled", "assets/a")), active, domain.DenyAssetCancelled},
		{"asset disposed", rec("API", now), blocked(domain.BlockReason("catalog.asset.disposed", "assets/a")), active, domain.DenyAssetDisposed},
		{"unlinked", rec("API", now), link(domain.LinkUnlinked), active, domain.DenyLinkUnlinked},
		{"suspended scenario", rec("API", now), link(domain.LinkActive), &domain.Scenario{State: domain.StateSuspended}, domain.DenyScenarioNotActive},
		{"proposed scenario", rec("API", now), link(domain.LinkActive), &domain.Scenario{State: domain.StateProposed}, domain.DenyScenarioNotActive},
		{"form the grant allows, the link does not name", rec("MODEL", now), link(domain.LinkActive), active, domain.DenyFormNotLinked},
		{"form the grant does not allow", rec("RAW_COPY", now), link(domain.LinkActive), active, domain.DenyFormNotGranted},
		{"holder's link, other form", rec("API", now), held, active, domain.DenyFormNotLinked},
		{"purpose the grant does not allow", withPurpose(rec("API", now), "FINANCE"), link(domain.LinkActive), active, domain.DenyPurposeNotGranted},
		{"purpose the grant allows, not the scenario's", withPurpose(rec("API", now), "HEALTHCARE"), link(domain.LinkActive), active, domain.DenyPurposeOfScenario},
		{"before the link", rec("API", now.Add(-48*time.Hour)), link(domain.LinkActive), active, domain.DenyWindowBeforeLink},
		{"in the future", rec("API", now.Add(time.Hour)), link(domain.LinkActive), active, domain.DenyWindowInFuture},
		{"within the skew", rec("API", now.Add(time.Minute)), link(domain.LinkActive), active, ""},
		{"beyond retention", rec("API", horizon), link(domain.LinkActive), active, domain.DenyWindowTooOld},
	}
	// The grant's window: a link made before its start, used before it starts; and a grant
	// that ended an hour ago whose expiry event has not arrived.
	early := link(domain.LinkActive)
	early.CreateTime, early.Grant.ValidFrom = now.Add(-72*time.Hour), now.Add(-2*time.Hour)
	ended := link(domain.LinkActive)
	ended.Grant.ValidUntil = now.Add(-time.Hour)
	cases = append(cases,
		judgeCase{"before the grant's window", rec("API", now.Add(-90*time.Minute)), early, active, domain.DenyOutsideGrantTerm},
		judgeCase{"after the grant's window, no expiry event yet", rec("API", now), ended, active, domain.DenyOutsideGrantTerm},
	)
	for _, c := range cases {
		outcome, reason := domain.Judge(c.r, c.l, c.s, now, horizon)
		require.Equal(t, c.reason, reason, c.name)
		if c.reason == "" {
			require.Equal(t, domain.OutcomeAllowed, outcome, c.name)
		} else {
			require.Equal(t, domain.OutcomeDenied, outcome, c.name)
		}
	}
	// A zero horizon (retention off) keeps every window.
	_, reason := domain.Judge(rec("API", now.AddDate(-5, 0, 0)), link(domain.LinkActive), active, now, time.Time{})
	require.Equal(t, domain.DenyWindowBeforeLink, reason)
	// Days are counted in UTC+8: 20:00 UTC is the next day in China.
	r := &domain.UsageRecord{WindowStart: time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)}
	require.Equal(t, time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), r.Day())
	require.Equal(t, time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC), domain.DayStart(r.Day()))
}

func TestRules(t *testing.T) {
	t.Parallel()
	for reason, rule := range map[string]string{
		domain.DenyGrantSuspended: domain.RuleSuspendedGrant, domain.DenyAssetSuspended: domain.RuleSuspendedAsset,
		domain.DenyGrantExpired: domain.RuleOutsideTerm, domain.DenyOutsideGrantTerm: domain.RuleOutsideTerm,
		domain.DenyFormNotGranted: domain.RuleOutsideForm, domain.DenyFormNotLinked: domain.RuleOutsideForm,
		domain.DenyPurposeNotGranted: domain.RuleOutsidePurpose, domain.DenyPurposeOfScenario: domain.RuleOutsidePurpose,
		domain.DenyGrantRevoked: domain.RuleDeniedUsage, domain.DenyLinkUnlinked: domain.RuleDeniedUsage,
		domain.DenyWindowTooOld: domain.RuleDeniedUsage,
	} {
		require.Equal(t, rule, domain.RuleOf(reason), reason)
	}
	require.Equal(t, domain.RuleSuspendedGrant, domain.RuleOfBlock("rights.grant.suspended"))
	require.Equal(t, domain.RuleSuspendedAsset, domain.RuleOfBlock("catalog.asset.suspended"))
	require.Equal(t, domain.RuleOutsideTerm, domain.RuleOfBlock("rights.grant.expired"))
	require.Equal(t, domain.RuleDeniedUsage, domain.RuleOfBlock("rights.grant.revoked"))
	require.Equal(t, "HIGH", domain.SeverityOf(domain.RuleSuspendedGrant))
	require.Equal(t, "MEDIUM", domain.SeverityOf(domain.RuleVolumeSpike))
	require.True(t, domain.Spike(301, 100, 3))
	require.False(t, domain.Spike(300, 100, 3))
	require.False(t, domain.Spike(1_000_000, 0, 3), "no baseline, no spike")
	require.Equal(t, "grants/x", domain.CauseSubject(domain.GrantCause("x")))
	require.Equal(t, "assets/y", domain.CauseSubject(domain.AssetCause("y")))
}

func TestAlertUpdate(t *testing.T) {
	t.Parallel()
	a := &domain.Alert{ID: "a", State: domain.AlertOpen}
	_, _, err := a.Update("", "")
	require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err))
	prev, action, err := a.Update("", "x")
	require.NoError(t, err)
	require.Equal(t, domain.AlertOpen, prev)
	require.Equal(t, "assign", action)
	require.Equal(t, domain.AlertOpen, a.State)
	_, action, err = a.Update(domain.AlertAcknowledged, "")
	require.NoError(t, err)
	require.Equal(t, "acknowledge", action)
	require.Equal(t, "x", a.Assignee)
	_, action, err = a.Update(domain.AlertAcknowledged, "y")
	require.NoError(t, err, "the same state with a new assignee is an assignment")
	require.Equal(t, "assign", action)
	prev, action, err = a.Update(domain.AlertResolved, "")
	require.NoError(t, err)
	require.Equal(t, domain.AlertAcknowledged, prev)
	require.Equal(t, "resolve", action)
	_, _, err = a.Update(domain.AlertAcknowledged, "")
	require.Equal(t, domain.ReasonInvalidTransition, errs.ReasonOf(err))
	_, _, err = a.Update("", "z")
	require.Equal(t, domain.ReasonInvalidTransition, errs.ReasonOf(err), "a resolved alert is final")
}
