package domain_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"yaosu.dev/services/rights/internal/domain"
)

// TestCheckGraphMatchesGrantEvaluation: Evaluate, which runs over the compact CheckGraph,
// gives exactly (chain and detail text included) the decisions of the plain evaluation
// over the graph's *Grant map written below (what Evaluate was before the CheckGraph), on
// the property test's random worlds and revocations. The reference of
// TestEvaluateMatchesReference checks the rules; this keeps the wording and the choice
// among candidates.
func TestCheckGraphMatchesGrantEvaluation(t *testing.T) {
	t.Parallel()
	seed := *evaluateSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("reproduce with: go test ./internal/domain/ -run TestCheckGraphMatchesGrantEvaluation -evaluate.seed=%d", seed)
		}
	})
	r := rand.New(rand.NewPCG(seed, seed^0x3c6ef372fe94f82b))
	checks := 0
	same := func(in domain.CheckInput, g *domain.Graph) {
		t.Helper()
		got := domain.Evaluate(in, g, fakeCondition)
		want := plainEvaluate(in, g, fakeCondition)
		checks++
		if got.Allowed != want.Allowed || got.Holder != want.Holder || !slices.Equal(got.Chain, want.Chain) ||
			got.Denial != want.Denial || got.Detail != want.Detail {
			t.Fatalf("check %+v\nCheckGraph: %+v\nplain:      %+v\ngraph:\n%s", in, got, want, dumpGraph(g))
		}
	}
	for range *evaluateWorlds {
		w := newPropWorld(r)
		for range 40 {
			in := w.randomCheck(r)
			g := w.graphs[in.AssetID]
			if g == nil {
				g = &domain.Graph{}
				g.Index()
			}
			same(in, g)
		}
		for _, assetID := range w.ids {
			g := w.graphs[assetID]
			if len(g.Grants) == 0 {
				continue
			}
			victim := pickGrant(r, g)
			revoked := withRevoked(g, victim.ID)
			below := descendants(g, victim.ID)
			for range 10 {
				in := domain.CheckInput{}
				w.aim(r, &in, pick(r, below))
				same(in, g)
				same(in, revoked)
			}
		}
	}
	t.Logf("seed %d: %d checks", seed, checks)
}

// TestCheckGraphTimes: the window's bounds hold to the nanosecond and beyond the years
// UnixNano can count.
func TestCheckGraphTimes(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 1, 1, 0, 0, 0, 500, time.UTC)
	until := time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC)
	g := &domain.Graph{
		Asset: &domain.Asset{ID: "a", Holder: "H", State: "REGISTERED", Grade: "GRADE_GENERAL"},
		Rule:  domain.GradeRule{GrantsAllowed: true},
		Grants: map[string]*domain.Grant{"g1": {ID: "g1", AssetID: "a", Right: domain.RightProcessingUse, Grantor: "H", Grantee: "O",
			Scope:     domain.Scope{Purposes: []string{"COMMERCE"}, DeliveryForms: []string{domain.FormAPI}},
			ValidFrom: from, ValidUntil: until, State: domain.StateActive}},
	}
	g.Index()
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		{from.Add(-time.Nanosecond), false}, {from, true}, {from.In(time.FixedZone("CST", 8*3600)), true},
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), true}, {until.Add(-time.Nanosecond), true}, {until, false},
	} {
		in := domain.CheckInput{Organisation: "O", AssetID: "a", Right: domain.RightProcessingUse, Purpose: "COMMERCE",
			DeliveryForm: domain.FormAPI, At: c.at}
		if d := domain.Evaluate(in, g, fakeCondition); d.Allowed != c.want {
			t.Errorf("at %v: %+v, want allowed %v", c.at, d, c.want)
		}
		if d := plainEvaluate(in, g, fakeCondition); d.Allowed != c.want {
			t.Errorf("plain, at %v: %+v, want allowed %v", c.at, d, c.want)
		}
	}
}

// plainEvaluate is the evaluation over *Grant maps that Evaluate was before it ran over a
// CheckGraph.
func plainEvaluate(in domain.CheckInput, g *domain.Graph, cond domain.ConditionFunc) domain.Decision {
	deny := func(reason, format string, args ...any) domain.Decision {
		return domain.Decision{Denial: reason, Detail: fmt.Sprintf(format, args...)}
	}
	a := g.Asset
	switch {
	case a == nil:
		return deny(domain.DenyAssetUnknown, "assets/%s is not registered", in.AssetID)
	case a.State == "SUSPENDED":
		return deny(domain.DenyAssetSuspended, "assets/%s is suspended", in.AssetID)
	case a.State != "REGISTERED":
		return deny(domain.DenyAssetEnded, "assets/%s is %s", in.AssetID, a.State)
	}
	if in.Organisation == a.Holder {
		return domain.Decision{Allowed: true, Holder: true}
	}
	if in.Right == domain.RightHolding {
		return deny(domain.DenyNoGrant, "%s does not hold assets/%s", in.Organisation, in.AssetID)
	}
	if !g.Rule.GrantsAllowed || g.Rule.Forbids([]string{in.DeliveryForm}) != "" {
		return deny(domain.DenyGradePolicy, "the grade policy forbids %s use of %s data", in.DeliveryForm, a.Grade)
	}
	var candidates []*domain.Grant
	for _, gr := range g.Grants {
		if gr.Grantee == in.Organisation && gr.Right == in.Right {
			candidates = append(candidates, gr)
		}
	}
	slices.SortFunc(candidates, func(a, b *domain.Grant) int {
		if c := a.CreateTime.Compare(b.CreateTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(candidates) == 0 {
		return deny(domain.DenyNoGrant, "no %s grant on assets/%s to %s", in.Right, in.AssetID, in.Organisation)
	}
	stages := []string{domain.DenyGrantNotActive, domain.DenyOutsideValidity, domain.DenyPurpose, domain.DenyDeliveryForm,
		domain.DenyRegion, domain.DenyChainBroken, domain.DenyConditionFalse}
	evaluateGrant := func(c *domain.Grant) (int, string, []string) {
		switch {
		case c.State != domain.StateActive:
			return 0, fmt.Sprintf("%s is %s", c.Name(), c.State), nil
		case in.At.Before(c.ValidFrom) || !in.At.Before(c.ValidUntil):
			return 1, fmt.Sprintf("%s is valid %s – %s", c.Name(), c.ValidFrom.UTC().Format(time.RFC3339), c.ValidUntil.UTC().Format(time.RFC3339)), nil
		case !slices.Contains(c.Scope.Purposes, in.Purpose):
			return 2, fmt.Sprintf("%s does not cover purpose %s", c.Name(), in.Purpose), nil
		case !slices.Contains(c.Scope.DeliveryForms, in.DeliveryForm):
			return 3, fmt.Sprintf("%s does not cover delivery form %s", c.Name(), in.DeliveryForm), nil
		case !c.Scope.CoversRegion(in.Region):
			return 4, fmt.Sprintf("%s does not cover region %q", c.Name(), in.Region), nil
		}
		chain := []string{c.Name()}
		for p := c; p.ParentID != ""; {
			parent := g.Grants[p.ParentID]
			if parent == nil || !parent.InForce(in.At) {
				state := "missing"
				if parent != nil {
					state = string(parent.State)
				}
				return 5, fmt.Sprintf("%s rests on grants/%s, which is not in force (%s)", c.Name(), p.ParentID, state), nil
			}
			chain = append(chain, parent.Name())
			p = parent
		}
		for _, name := range chain {
			gr := g.Grants[name[len("grants/"):]]
			if gr.Condition == "" {
				continue
			}
			ok, err := cond(gr, in)
			if err != nil {
				return 6, fmt.Sprintf("the condition of %s failed: %v", gr.Name(), err), nil
			}
			if !ok {
				return 6, fmt.Sprintf("the condition of %s is false", gr.Name()), nil
			}
		}
		return len(stages), "", chain
	}
	best, bestDetail := -1, ""
	for _, c := range candidates {
		stage, detail, chain := evaluateGrant(c)
		if stage == len(stages) {
			return domain.Decision{Allowed: true, Chain: chain}
		}
		if stage > best {
			best, bestDetail = stage, detail
		}
	}
	return domain.Decision{Denial: stages[best], Detail: bestDetail}
}
