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
	link := func(st domain.LinkState) *domain.Link {
		return &domain.Link{State: st, DeliveryForm: "API", CreateTime: now.Add(-24 * time.Hour)}
	}
	active := &domain.Scenario{State: domain.StateActive}
	rec := func(form string, end time.Time) *domain.UsageRecord {
		return &domain.UsageRecord{DeliveryForm: form, WindowStart: end.Add(-time.Hour), WindowEnd: end}
	}
	cases := []struct {
		name   string
		r      *domain.UsageRecord
		l      *domain.Link
		s      *domain.Scenario
		reason string
	}{
		{"allowed", rec("API", now), link(domain.LinkActive), active, ""},
		{"no link", rec("API", now), nil, nil, domain.DenyLinkNotFound},
		{"blocked", rec("API", now), link(domain.LinkBlocked), active, domain.DenyLinkBlocked},
		{"unlinked", rec("API", now), link(domain.LinkUnlinked), active, domain.DenyLinkUnlinked},
		{"suspended scenario", rec("API", now), link(domain.LinkActive), &domain.Scenario{State: domain.StateSuspended}, domain.DenyScenarioNotActive},
		{"proposed scenario", rec("API", now), link(domain.LinkActive), &domain.Scenario{State: domain.StateProposed}, domain.DenyScenarioNotActive},
		{"other form", rec("MODEL", now), link(domain.LinkActive), active, domain.DenyFormNotLinked},
		{"before the link", rec("API", now.Add(-48*time.Hour)), link(domain.LinkActive), active, domain.DenyWindowBeforeLink},
		{"in the future", rec("API", now.Add(time.Hour)), link(domain.LinkActive), active, domain.DenyWindowInFuture},
		{"within the skew", rec("API", now.Add(time.Minute)), link(domain.LinkActive), active, ""},
	}
	for _, c := range cases {
		outcome, reason := domain.Judge(c.r, c.l, c.s, now)
		require.Equal(t, c.reason, reason, c.name)
		if c.reason == "" {
			require.Equal(t, domain.OutcomeAllowed, outcome, c.name)
		} else {
			require.Equal(t, domain.OutcomeDenied, outcome, c.name)
		}
	}
	// Days are counted in UTC+8: 20:00 UTC is the next day in China.
	r := &domain.UsageRecord{WindowStart: time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)}
	require.Equal(t, time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), r.Day())
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
