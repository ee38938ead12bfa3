package domain_test

import (
	"go/build"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/scenario/internal/domain"
)

// TestScenarioStateMachine: every state × every action, against the table written out here.
func TestScenarioStateMachine(t *testing.T) {
	t.Parallel()
	want := map[domain.State]map[domain.Action]domain.State{
		domain.StateProposed:  {domain.ActActivate: domain.StateActive, domain.ActClose: domain.StateClosed},
		domain.StateActive:    {domain.ActSuspend: domain.StateSuspended, domain.ActClose: domain.StateClosed},
		domain.StateSuspended: {domain.ActActivate: domain.StateActive, domain.ActClose: domain.StateClosed},
	}
	for _, s := range domain.AllStates {
		for _, a := range domain.AllActions {
			sc := &domain.Scenario{State: s}
			prev, err := sc.Transition(a)
			if exp, ok := want[s][a]; ok {
				require.NoError(t, err, "%s × %s", s, a)
				require.Equal(t, exp, sc.State, "%s × %s", s, a)
				require.Equal(t, s, prev)
				continue
			}
			e, ok := errs.As(err)
			require.True(t, ok, "%s × %s must fail", s, a)
			require.Equal(t, errs.KindFailedPrecondition, e.Kind)
			require.Equal(t, domain.ReasonInvalidTransition, e.Reason)
			require.Equal(t, s, sc.State, "a refused action changes nothing")
		}
		require.Equal(t, len(want[s]) == 0, s.Final(), "%s: final iff no action leaves it", s)
	}
}

// TestLinkStateMachine: every link state × every action.
func TestLinkStateMachine(t *testing.T) {
	t.Parallel()
	want := map[domain.LinkState]map[domain.LinkAction]domain.LinkState{
		domain.LinkActive:  {domain.LinkBlock: domain.LinkBlocked, domain.LinkUnlink: domain.LinkUnlinked},
		domain.LinkBlocked: {domain.LinkUnblock: domain.LinkActive, domain.LinkUnlink: domain.LinkUnlinked},
	}
	for _, s := range domain.AllLinkStates {
		for _, a := range domain.AllLinkActions {
			l := &domain.Link{State: s, BlockedBy: "x"}
			_, err := l.Transition(a, "why", "grant:g")
			if exp, ok := want[s][a]; ok {
				require.NoError(t, err, "%s × %s", s, a)
				require.Equal(t, exp, l.State)
				if exp == domain.LinkBlocked {
					require.Equal(t, "grant:g", l.BlockedBy)
				} else {
					require.Empty(t, l.BlockedBy)
				}
				continue
			}
			require.Equal(t, domain.ReasonInvalidTransition, errs.ReasonOf(err), "%s × %s", s, a)
		}
		require.Equal(t, len(want[s]) == 0, s.Final(), "%s: final iff no action leaves it", s)
	}
}

func TestResolveGrant(t *testing.T) {
	t.Parallel()
	chain := domain.Decision{Allowed: true, Chain: []string{"g1", "g0"}}
	cases := []struct {
		name   string
		named  string
		d      domain.Decision
		grant  string
		reason string
	}{
		{"denied", "", domain.Decision{Denial: "DENIAL_REASON_NO_GRANT", Detail: "none"}, "", domain.ReasonNotAllowedByRights},
		{"named grantee grant", "g1", chain, "g1", ""},
		{"unnamed takes the grantee grant", "", chain, "g1", ""},
		{"an ancestor is not the link's grant", "g0", chain, "", domain.ReasonGrantMismatch},
		{"other grant", "gx", chain, "", domain.ReasonGrantMismatch},
		{"holder", "", domain.Decision{Allowed: true, Holder: true}, "", ""},
		{"holder naming a grant", "g1", domain.Decision{Allowed: true, Holder: true}, "", domain.ReasonGrantMismatch},
		{"allowed without chain", "", domain.Decision{Allowed: true}, "", domain.ReasonNotAllowedByRights},
	}
	for _, c := range cases {
		got, err := domain.ResolveGrant(c.named, c.d)
		if c.reason != "" {
			require.Equal(t, c.reason, errs.ReasonOf(err), c.name)
			require.Equal(t, errs.KindFailedPrecondition, errs.KindOf(err), c.name)
			continue
		}
		require.NoError(t, err, c.name)
		require.Equal(t, c.grant, got, c.name)
	}
	_, err := domain.ResolveGrant("", domain.Decision{Denial: "DENIAL_REASON_PURPOSE", Detail: "not for HEALTHCARE"})
	require.ErrorContains(t, err, "DENIAL_REASON_PURPOSE")
	require.ErrorContains(t, err, "not for HEALTHCARE")
}

func TestCallerRules(t *testing.T) {
	t.Parallel()
	s := &domain.Scenario{ID: "s", Operator: "B"}
	op := domain.Caller{Organisation: "B", Manager: true}
	require.True(t, op.CanRead(s))
	require.NoError(t, op.RequireManages(s, "x"))
	stranger := domain.Caller{Organisation: "C", Manager: true}
	require.False(t, stranger.CanRead(s))
	require.Equal(t, domain.ReasonNotYourOrganisation, errs.ReasonOf(stranger.RequireManages(s, "x")))
	auditor := domain.Caller{Organisation: "C", ReadAll: true}
	require.True(t, auditor.CanRead(s))
	require.Equal(t, errs.KindPermissionDenied, errs.KindOf(auditor.RequireManages(s, "x")))
	member := domain.Caller{Organisation: "B"}
	require.True(t, member.CanRead(s))
	require.Equal(t, errs.ReasonForbidden, errs.ReasonOf(member.RequireManages(s, "x")))
}

func TestSectorsAndReasons(t *testing.T) {
	t.Parallel()
	require.Len(t, domain.Sectors, 13, "the twelve 数据要素× sectors and OTHER")
	for _, s := range domain.Sectors {
		sc := domain.Scenario{DisplayName: "x", Sector: s}
		require.NoError(t, sc.Validate())
	}
	sc := domain.Scenario{DisplayName: "x", Sector: "SPACE"}
	require.Equal(t, domain.ReasonUnknownSector, errs.ReasonOf(sc.Validate()))
	for _, r := range domain.ErrorReasons {
		require.True(t, strings.HasPrefix(r, "ERROR_REASON_"), r)
	}
}

// The domain imports only the standard library and pkg/errs.
func TestDomainImports(t *testing.T) {
	t.Parallel()
	pkg, err := build.ImportDir(".", 0)
	require.NoError(t, err)
	for _, imp := range pkg.Imports {
		require.True(t, !strings.Contains(imp, ".") || imp == "yaosu.dev/pkg/errs", "domain imports %s", imp)
	}
}
