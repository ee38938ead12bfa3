package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/rights/internal/domain"
)

// TestGrantStateMachine: every state × every action, against the table written out here.
func TestGrantStateMachine(t *testing.T) {
	want := map[domain.State]map[domain.Action]domain.State{
		domain.StateRequested: {domain.ActApprove: domain.StateActive, domain.ActReject: domain.StateRejected, domain.ActRevoke: domain.StateRevoked},
		domain.StateActive:    {domain.ActRevoke: domain.StateRevoked, domain.ActSuspend: domain.StateSuspended, domain.ActExpire: domain.StateExpired},
		domain.StateSuspended: {domain.ActRevoke: domain.StateRevoked, domain.ActReinstate: domain.StateActive, domain.ActExpire: domain.StateExpired},
	}
	for _, s := range domain.AllStates {
		for _, a := range domain.AllActions {
			next, err := domain.Next(s, a)
			if exp, ok := want[s][a]; ok {
				require.NoError(t, err, "%s × %s", s, a)
				require.Equal(t, exp, next, "%s × %s", s, a)
				continue
			}
			e, ok := errs.As(err)
			require.True(t, ok, "%s × %s must fail", s, a)
			require.Equal(t, errs.KindFailedPrecondition, e.Kind)
			require.Equal(t, domain.ReasonInvalidTransition, e.Reason)
		}
		require.Equal(t, len(want[s]) == 0, s.Final(), "%s: final iff no action leaves it", s)
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestPlacementRules covers domain.Check's invariants one by one.
func TestPlacementRules(t *testing.T) {
	asset := &domain.Asset{ID: "a1", Holder: "H", Grade: "GRADE_GENERAL", State: "REGISTERED"}
	open := domain.GradeRule{Grade: "GRADE_GENERAL", GrantsAllowed: true}
	base := func() domain.Grant {
		return domain.Grant{ID: "g", AssetID: "a1", Right: domain.RightProcessingUse, Grantor: "H", Grantee: "B",
			LegalBasis: domain.LegalBasis{Kind: "CONTRACT"}, ValidFrom: day(2026, 1, 1), ValidUntil: day(2027, 1, 1),
			Scope: domain.Scope{Purposes: []string{"TRANSPORT"}, DeliveryForms: []string{domain.FormAPI}, Regions: []string{"350000"}}}
	}
	parent := base()
	parent.ID, parent.State, parent.Depth, parent.SublicenseDepth = "p", domain.StateActive, 1, 1
	cases := []struct {
		name   string
		edit   func(g *domain.Grant, p *domain.Placement)
		reason string
	}{
		{"ok", func(*domain.Grant, *domain.Placement) {}, ""},
		{"window", func(g *domain.Grant, _ *domain.Placement) { g.ValidUntil = g.ValidFrom }, domain.ReasonInvalidWindow},
		{"purpose", func(g *domain.Grant, _ *domain.Placement) { g.Scope.Purposes = []string{"SPACE"} }, domain.ReasonUnknownPurpose},
		{"other needs text", func(g *domain.Grant, _ *domain.Placement) { g.Scope.Purposes = []string{"OTHER"} }, domain.ReasonUnknownPurpose},
		{"self", func(g *domain.Grant, _ *domain.Placement) { g.Grantee = "H" }, domain.ReasonSelfGrant},
		{"unregistered", func(_ *domain.Grant, p *domain.Placement) {
			p.Asset = &domain.Asset{ID: "a1", Holder: "H", State: "SUSPENDED"}
		}, domain.ReasonAssetNotRegistered},
		{"unknown asset", func(_ *domain.Grant, p *domain.Placement) { p.Asset = nil }, domain.ReasonAssetNotRegistered},
		{"core", func(_ *domain.Grant, p *domain.Placement) { p.Rule.GrantsAllowed = false }, domain.ReasonGradePolicy},
		{"raw copy of important", func(g *domain.Grant, p *domain.Placement) {
			p.Rule.ForbiddenDeliveryForms = []string{domain.FormRawCopy}
			g.Scope.DeliveryForms = []string{domain.FormRawCopy}
		}, domain.ReasonGradePolicy},
		{"not holder", func(g *domain.Grant, _ *domain.Placement) { g.Grantor = "X" }, domain.ReasonGrantorNotHolder},
		{"sub-licence ok", func(g *domain.Grant, p *domain.Placement) {
			g.Grantor, g.Grantee, g.ParentID, p.Parent = "B", "C", "p", &parent
		}, ""},
		{"sub-licence region outside", func(g *domain.Grant, p *domain.Placement) {
			g.Grantor, g.Grantee, g.ParentID, p.Parent = "B", "C", "p", &parent
			g.Scope.Regions = []string{"110000"}
		}, domain.ReasonOutsideParentScope},
		{"sub-licence depth", func(g *domain.Grant, p *domain.Placement) {
			g.Grantor, g.Grantee, g.ParentID, p.Parent, g.SublicenseDepth = "B", "C", "p", &parent, 1
		}, domain.ReasonOutsideParentScope},
		{"exclusive sibling", func(g *domain.Grant, p *domain.Placement) {
			s := base()
			s.ID, s.Grantee, s.State, s.Exclusive = "s", "D", domain.StateActive, true
			p.Siblings = []*domain.Grant{&s}
		}, domain.ReasonExclusivityConflict},
		{"exclusive sibling, later term", func(g *domain.Grant, p *domain.Placement) {
			s := base()
			s.ID, s.Grantee, s.State, s.Exclusive, s.ValidFrom, s.ValidUntil = "s", "D", domain.StateActive, true, day(2027, 1, 1), day(2028, 1, 1)
			p.Siblings = []*domain.Grant{&s}
		}, ""},
		{"revoked exclusive sibling", func(g *domain.Grant, p *domain.Placement) {
			s := base()
			s.ID, s.Grantee, s.State, s.Exclusive = "s", "D", domain.StateRevoked, true
			p.Siblings = []*domain.Grant{&s}
		}, ""},
		{"authorised operation, raw copy", func(g *domain.Grant, _ *domain.Placement) {
			g.AuthorisedOperation, g.LegalBasis.Kind, g.Scope.DeliveryForms = true, "AUTHORISATION", []string{domain.FormRawCopy}
		}, domain.ReasonRawDataStays},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := base()
			p := domain.Placement{Asset: asset, Rule: open, Purposes: map[string]bool{"TRANSPORT": true, "OTHER": true}}
			c.edit(&g, &p)
			err := domain.Check(&g, p)
			if c.reason == "" {
				require.NoError(t, err)
				return
			}
			require.Equal(t, c.reason, errs.ReasonOf(err), "%v", err)
		})
	}
}
