package domain_test

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/services/rights/internal/domain"
)

// The property: domain.Evaluate agrees with a brute-force reference written here from the
// rules (domain.md §4–5), on random grant graphs, times and revocations. Run with
// -evaluate.seed=N to repeat a failure; -evaluate.worlds to run longer.
var (
	evaluateSeed   = flag.Uint64("evaluate.seed", 0, "seed of TestEvaluateMatchesReference (0: random)")
	evaluateWorlds = flag.Int("evaluate.worlds", 500, "random worlds TestEvaluateMatchesReference generates")
)

var (
	propPurposes = []string{"COMMERCE", "TRANSPORT", "HEALTHCARE", "OTHER"}
	// checks also ask for a purpose no grant has.
	propCheckPurposes = append(slices.Clone(propPurposes), "MODERN_AGRICULTURE")
	propForms         = []string{domain.FormRawCopy, domain.FormAPI, domain.FormModel, domain.FormVerification, domain.FormAggregate}
	// Division codes in both spellings: 35 = 350000 (province), 3501 = 350100 (city).
	propRegions      = []string{"35", "350000", "3501", "350100", "3502", "350102", "350103", "350203", "44", "4401", "440103"}
	propCheckRegions = append(slices.Clone(propRegions), "", "110000", "1101")
	propGrades       = []string{"GRADE_GENERAL", "GRADE_IMPORTANT", "GRADE_CORE"}
	propBase         = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// propWorld is a few assets, each with its graph, over a handful of organisations.
type propWorld struct {
	orgs   []string
	graphs map[string]*domain.Graph // by asset id; an id without an asset is in it too
	ids    []string                 // asset ids in a stable order
	nextID int
}

func (w *propWorld) id(r *rand.Rand) string {
	w.nextID++
	// Ids are not in creation order, so the (create time, id) order of candidates is not
	// generation order.
	return fmt.Sprintf("%04x-%d", r.IntN(1<<16), w.nextID)
}

func pickSubset[T any](r *rand.Rand, from []T, minN, maxN int) []T {
	n := minN + r.IntN(maxN-minN+1)
	perm := r.Perm(len(from))
	out := make([]T, 0, n)
	for _, i := range perm[:min(n, len(from))] {
		out = append(out, from[i])
	}
	return out
}

func pick[T any](r *rand.Rand, from []T) T { return from[r.IntN(len(from))] }

func randomState(r *rand.Rand) domain.State {
	if r.IntN(10) < 6 {
		return domain.StateActive
	}
	return pick(r, domain.AllStates)
}

func randomCondition(r *rand.Rand) string {
	switch n := r.IntN(20); {
	case n < 2:
		return "ctx:project=" + pick(r, []string{"P1", "P2"})
	case n < 3:
		return "ctx:team=" + pick(r, []string{"red", "blue"})
	case n < 4:
		return "error"
	}
	return ""
}

// newPropWorld generates assets and well-formed grant graphs: sub-licences stay inside
// their parent's scope and term, are granted by the parent's grantee, and first-level
// grants by the holder (what domain.Check enforces when grants are made). States are
// random, so parents may be revoked, suspended or expired above active children.
func newPropWorld(r *rand.Rand) *propWorld {
	w := &propWorld{graphs: map[string]*domain.Graph{}}
	for i := range 5 {
		w.orgs = append(w.orgs, fmt.Sprintf("ORG%d", i))
	}
	for a := range 3 {
		assetID := fmt.Sprintf("asset-%d", a)
		w.ids = append(w.ids, assetID)
		g := &domain.Graph{Grants: map[string]*domain.Grant{}}
		w.graphs[assetID] = g
		if r.IntN(12) == 0 {
			g.Index() // unknown asset
			continue
		}
		state := "REGISTERED"
		if r.IntN(6) == 0 {
			state = pick(r, []string{"SUSPENDED", "CANCELLED", "DISPOSED"})
		}
		g.Asset = &domain.Asset{ID: assetID, Holder: pick(r, w.orgs), Grade: pick(r, propGrades), State: state}
		g.Rule = domain.GradeRule{Grade: g.Asset.Grade, GrantsAllowed: r.IntN(8) != 0,
			ForbiddenDeliveryForms: pickSubset(r, propForms, 0, 1)}
		var all []*domain.Grant
		for range r.IntN(6) {
			grantee := pick(r, w.orgs)
			for grantee == g.Asset.Holder {
				grantee = pick(r, w.orgs)
			}
			from := propBase.Add(time.Duration(r.IntN(200)-100) * 24 * time.Hour)
			gr := &domain.Grant{
				ID: w.id(r), AssetID: assetID, Right: pick(r, []domain.Right{domain.RightProcessingUse, domain.RightProductOperation}),
				Grantor: g.Asset.Holder, Grantee: grantee, Depth: 1,
				Scope:     domain.Scope{Purposes: pickSubset(r, propPurposes, 1, 3), DeliveryForms: pickSubset(r, propForms, 1, 4)},
				ValidFrom: from, ValidUntil: from.Add(time.Duration(1+r.IntN(200)) * 24 * time.Hour),
				Exclusive: r.IntN(4) == 0, SublicenseDepth: r.IntN(3), Condition: randomCondition(r),
				State: randomState(r), CreateTime: propBase.Add(time.Duration(r.IntN(8)) * time.Minute),
			}
			if r.IntN(5) < 2 {
				gr.Scope.Regions = pickSubset(r, propRegions, 1, 2)
			}
			all = append(all, gr)
		}
		// Sub-licences, down to depth 3.
		for i := 0; i < len(all); i++ {
			p := all[i]
			if p.SublicenseDepth < 1 || p.Depth >= 3 {
				continue
			}
			for range r.IntN(3) {
				grantee := pick(r, w.orgs)
				for grantee == p.Grantee {
					grantee = pick(r, w.orgs)
				}
				span := p.ValidUntil.Sub(p.ValidFrom)
				from := p.ValidFrom.Add(time.Duration(r.Int64N(int64(span))))
				until := from.Add(time.Duration(1 + r.Int64N(int64(p.ValidUntil.Sub(from)))))
				if r.IntN(3) == 0 {
					from, until = p.ValidFrom, p.ValidUntil
				}
				c := &domain.Grant{
					ID: w.id(r), AssetID: assetID, Right: p.Right, Grantor: p.Grantee, Grantee: grantee,
					ParentID: p.ID, Depth: p.Depth + 1,
					Scope: domain.Scope{Purposes: pickSubset(r, p.Scope.Purposes, 1, len(p.Scope.Purposes)),
						DeliveryForms: pickSubset(r, p.Scope.DeliveryForms, 1, len(p.Scope.DeliveryForms))},
					ValidFrom: from, ValidUntil: until, Exclusive: r.IntN(4) == 0,
					SublicenseDepth: r.IntN(p.SublicenseDepth), Condition: randomCondition(r),
					State:      randomState(r),
					CreateTime: propBase.Add(time.Duration(r.IntN(8)) * time.Minute),
				}
				c.Scope.Regions = subRegions(r, p.Scope.Regions)
				all = append(all, c)
			}
		}
		// Rarely, a grant whose parent is not in the graph.
		if len(all) > 0 && r.IntN(10) == 0 {
			o := *pick(r, all)
			o.ID, o.ParentID, o.Depth = w.id(r), "missing-"+o.ID, 2
			all = append(all, &o)
		}
		for _, gr := range all {
			g.Grants[gr.ID] = gr
		}
		g.Index()
	}
	return w
}

// subRegions picks regions inside parent (any, or none, when the parent has no limit).
func subRegions(r *rand.Rand, parent []string) []string {
	var inside []string
	for _, c := range propRegions {
		if len(parent) == 0 || slices.ContainsFunc(parent, func(p string) bool { return refRegionCovers(p, c) }) {
			inside = append(inside, c)
		}
	}
	if len(parent) == 0 && r.IntN(2) == 0 {
		return nil
	}
	return pickSubset(r, inside, 1, 2)
}

// randomCheck asks about the world; half the checks aim at a grant (its grantee, right,
// scope and term), so that allows are common enough to test.
func (w *propWorld) randomCheck(r *rand.Rand) domain.CheckInput {
	assetID := pick(r, w.ids)
	if r.IntN(30) == 0 {
		assetID = "asset-unknown"
	}
	in := domain.CheckInput{
		Organisation: pick(r, append(slices.Clone(w.orgs), "OUTSIDER")),
		AssetID:      assetID,
		Right:        pick(r, []domain.Right{domain.RightProcessingUse, domain.RightProductOperation, domain.RightProcessingUse, domain.RightProductOperation, domain.RightHolding}),
		Purpose:      pick(r, propCheckPurposes),
		DeliveryForm: pick(r, propForms),
		Region:       pick(r, propCheckRegions),
		At:           propBase.Add(time.Duration(r.Int64N(int64(400*24*time.Hour))) - 150*24*time.Hour),
	}
	if g := w.graphs[assetID]; g != nil && len(g.Grants) > 0 && r.IntN(2) == 0 {
		w.aim(r, &in, pickGrant(r, g))
	}
	switch r.IntN(4) {
	case 0:
	case 1:
		in.Context = map[string]any{"project": pick(r, []string{"P1", "P2"})}
	default:
		in.Context = map[string]any{"project": pick(r, []string{"P1", "P2"}), "team": pick(r, []string{"red", "blue"})}
	}
	return in
}

func pickGrant(r *rand.Rand, g *domain.Graph) *domain.Grant {
	ids := make([]string, 0, len(g.Grants))
	for id := range g.Grants {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return g.Grants[pick(r, ids)]
}

// aim turns in into a check that gr (mostly) covers; times land on and around its window's
// edges.
func (w *propWorld) aim(r *rand.Rand, in *domain.CheckInput, gr *domain.Grant) {
	in.Organisation, in.Right, in.AssetID = gr.Grantee, gr.Right, gr.AssetID
	in.Purpose = pick(r, gr.Scope.Purposes)
	in.DeliveryForm = pick(r, gr.Scope.DeliveryForms)
	if len(gr.Scope.Regions) > 0 {
		in.Region = pick(r, subRegionsOrSelf(gr.Scope.Regions))
	}
	switch r.IntN(6) {
	case 0:
		in.At = gr.ValidFrom
	case 1:
		in.At = gr.ValidFrom.Add(-time.Nanosecond)
	case 2:
		in.At = gr.ValidUntil
	case 3:
		in.At = gr.ValidUntil.Add(-time.Nanosecond)
	default:
		in.At = gr.ValidFrom.Add(time.Duration(r.Int64N(int64(gr.ValidUntil.Sub(gr.ValidFrom)))))
	}
}

func subRegionsOrSelf(regions []string) []string {
	var out []string
	for _, c := range propRegions {
		if slices.ContainsFunc(regions, func(p string) bool { return refRegionCovers(p, c) }) {
			out = append(out, c)
		}
	}
	return out
}

// fakeCondition evaluates the test's condition language: "ctx:key=value" holds when the
// check's context has that value; "error" always fails.
func fakeCondition(g *domain.Grant, in domain.CheckInput) (bool, error) {
	switch {
	case g.Condition == "":
		return false, errors.New("called for a grant without a condition")
	case g.Condition == "error":
		return false, errors.New("boom")
	}
	k, v, _ := strings.Cut(strings.TrimPrefix(g.Condition, "ctx:"), "=")
	return in.Context[k] == v, nil
}

// --- the reference ----------------------------------------------------------------------

// refPad writes a division code with all six digits (35 → 350000).
func refPad(code string) string { return code + strings.Repeat("0", 6-len(code)) }

// refRegionCovers reports whether the division granted covers the division asked: a
// province covers its cities and districts, a city its districts.
func refRegionCovers(granted, asked string) bool {
	g, a := refPad(granted), refPad(asked)
	switch {
	case g[2:] == "0000":
		return a[:2] == g[:2]
	case g[4:] == "00":
		return a[:4] == g[:4]
	}
	return a == g
}

// refCovers reports whether gr's own scope covers the check.
func refCovers(gr *domain.Grant, in domain.CheckInput) bool {
	if !slices.Contains(gr.Scope.Purposes, in.Purpose) || !slices.Contains(gr.Scope.DeliveryForms, in.DeliveryForm) {
		return false
	}
	if len(gr.Scope.Regions) == 0 {
		return true
	}
	return in.Region != "" && slices.ContainsFunc(gr.Scope.Regions, func(r string) bool { return refRegionCovers(r, in.Region) })
}

func refInForce(gr *domain.Grant, at time.Time) bool {
	return gr.State == domain.StateActive && !at.Before(gr.ValidFrom) && at.Before(gr.ValidUntil)
}

func refCondition(gr *domain.Grant, in domain.CheckInput) bool {
	if gr.Condition == "" {
		return true
	}
	if !strings.HasPrefix(gr.Condition, "ctx:") {
		return false
	}
	k, v, _ := strings.Cut(gr.Condition[len("ctx:"):], "=")
	got, ok := in.Context[k].(string)
	return ok && got == v
}

// refValidChain reports whether chain (grantee's grant first) allows in: every grant is in
// force, covers the check and has its condition hold; each is the sub-licence of the next
// and granted by its grantee; the last is granted by the holder with no parent.
func refValidChain(chain []*domain.Grant, holder string, in domain.CheckInput) bool {
	if len(chain) == 0 || chain[0].Grantee != in.Organisation {
		return false
	}
	for i, gr := range chain {
		if gr.AssetID != in.AssetID || gr.Right != in.Right || !refInForce(gr, in.At) || !refCovers(gr, in) || !refCondition(gr, in) {
			return false
		}
		if i+1 < len(chain) {
			if gr.ParentID != chain[i+1].ID || gr.Grantor != chain[i+1].Grantee {
				return false
			}
		} else if gr.ParentID != "" || gr.Grantor != holder {
			return false
		}
	}
	return true
}

// refChains enumerates every chain that ends at a grant to in.Organisation, by walking down
// from the holder's grants (not up from the grantee, as Evaluate does).
func refChains(grants []*domain.Grant, holder string, org string) [][]*domain.Grant {
	var out [][]*domain.Grant
	var walk func(path []*domain.Grant)
	walk = func(path []*domain.Grant) {
		last := path[len(path)-1]
		if last.Grantee == org {
			chain := slices.Clone(path)
			slices.Reverse(chain)
			out = append(out, chain)
		}
		if len(path) > 10 {
			return
		}
		for _, c := range grants {
			if c.ParentID == last.ID {
				walk(append(path, c))
			}
		}
	}
	for _, gr := range grants {
		if gr.ParentID == "" && gr.Grantor == holder {
			walk([]*domain.Grant{gr})
		}
	}
	return out
}

type refDecision struct {
	allowed, holder bool
	denial          string
	// chain is the allowing chain Evaluate must return: the valid chain of the earliest
	// (create time, id) grant to the organisation.
	chain []string
}

// refEvaluate is the reference: the asset and policy rules, then brute force over chains.
// The denial of a grant-level failure is the furthest stage any of the organisation's
// grants reached: active, in term, purpose, form, region, ancestors in force, conditions.
func refEvaluate(in domain.CheckInput, asset *domain.Asset, rule domain.GradeRule, grants []*domain.Grant) refDecision {
	switch {
	case asset == nil:
		return refDecision{denial: domain.DenyAssetUnknown}
	case asset.State == "SUSPENDED":
		return refDecision{denial: domain.DenyAssetSuspended}
	case asset.State != "REGISTERED":
		return refDecision{denial: domain.DenyAssetEnded}
	case in.Organisation == asset.Holder:
		return refDecision{allowed: true, holder: true}
	case in.Right == domain.RightHolding:
		return refDecision{denial: domain.DenyNoGrant}
	case !rule.GrantsAllowed || slices.Contains(rule.ForbiddenDeliveryForms, in.DeliveryForm):
		return refDecision{denial: domain.DenyGradePolicy}
	}
	var mine []*domain.Grant
	for _, gr := range grants {
		if gr.Grantee == in.Organisation && gr.Right == in.Right {
			mine = append(mine, gr)
		}
	}
	if len(mine) == 0 {
		return refDecision{denial: domain.DenyNoGrant}
	}
	slices.SortFunc(mine, func(a, b *domain.Grant) int {
		if c := a.CreateTime.Compare(b.CreateTime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	chains := refChains(grants, asset.Holder, in.Organisation)
	for _, gr := range mine {
		for _, ch := range chains {
			if ch[0] == gr && refValidChain(ch, asset.Holder, in) {
				names := make([]string, len(ch))
				for i, c := range ch {
					names[i] = "grants/" + c.ID
				}
				return refDecision{allowed: true, chain: names}
			}
		}
	}
	stages := []string{domain.DenyGrantNotActive, domain.DenyOutsideValidity, domain.DenyPurpose, domain.DenyDeliveryForm,
		domain.DenyRegion, domain.DenyChainBroken, domain.DenyConditionFalse}
	best := 0
	byID := map[string]*domain.Grant{}
	for _, gr := range grants {
		byID[gr.ID] = gr
	}
	for _, gr := range mine {
		stage := 0
		switch {
		case gr.State != domain.StateActive:
		case in.At.Before(gr.ValidFrom) || !in.At.Before(gr.ValidUntil):
			stage = 1
		case !slices.Contains(gr.Scope.Purposes, in.Purpose):
			stage = 2
		case !slices.Contains(gr.Scope.DeliveryForms, in.DeliveryForm):
			stage = 3
		case !refCovers(gr, in):
			stage = 4
		default:
			stage = 6
			for p := gr; p.ParentID != ""; {
				parent := byID[p.ParentID]
				if parent == nil || !refInForce(parent, in.At) {
					stage = 5
					break
				}
				p = parent
			}
		}
		best = max(best, stage)
	}
	return refDecision{denial: stages[best]}
}

// --- the test ---------------------------------------------------------------------------

func grantsOf(g *domain.Graph) []*domain.Grant {
	out := make([]*domain.Grant, 0, len(g.Grants))
	for _, gr := range g.Grants {
		out = append(out, gr)
	}
	return out
}

func dumpGraph(g *domain.Graph) string {
	var b strings.Builder
	if g.Asset != nil {
		fmt.Fprintf(&b, "asset %+v rule %+v\n", *g.Asset, g.Rule)
	}
	ids := make([]string, 0, len(g.Grants))
	for id := range g.Grants {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		gr := g.Grants[id]
		fmt.Fprintf(&b, "  %s parent=%q %s→%s %s %s %v %v %v [%s, %s) sub=%d cond=%q created=%s\n", gr.ID, gr.ParentID,
			gr.Grantor, gr.Grantee, gr.Right, gr.State, gr.Scope.Purposes, gr.Scope.DeliveryForms, gr.Scope.Regions,
			gr.ValidFrom.Format(time.RFC3339Nano), gr.ValidUntil.Format(time.RFC3339Nano), gr.SublicenseDepth,
			gr.Condition, gr.CreateTime.Format(time.TimeOnly))
	}
	return b.String()
}

type propStats struct {
	checks, allowed, holder int
	denials                 map[string]int
}

// compare evaluates in both ways and fails the test on any difference.
func compare(t *testing.T, in domain.CheckInput, g *domain.Graph, st *propStats) domain.Decision {
	t.Helper()
	got := domain.Evaluate(in, g, fakeCondition)
	want := refEvaluate(in, g.Asset, g.Rule, grantsOf(g))
	st.checks++
	fail := func(what string) {
		t.Helper()
		t.Fatalf("%s\ncheck %+v\nEvaluate: %+v\nreference: %+v\ngraph:\n%s", what, in, got, want, dumpGraph(g))
	}
	switch {
	case got.Allowed != want.allowed:
		fail("Allowed differs")
	case got.Holder != want.holder:
		fail("Holder differs")
	case got.Allowed && !slices.Equal(got.Chain, want.chain):
		fail("the allowing chain is not the earliest valid one")
	case !got.Allowed && got.Denial != want.denial:
		fail("the denial reason differs")
	case !got.Allowed && (got.Detail == "" || len(got.Chain) > 0):
		fail("a denial needs a detail and no chain")
	}
	if got.Allowed {
		st.allowed++
		if got.Holder {
			st.holder++
		}
	} else {
		st.denials[got.Denial]++
	}
	return got
}

// withRevoked returns a copy of g in which grant id is REVOKED (graphs are immutable).
func withRevoked(g *domain.Graph, id string) *domain.Graph {
	c := &domain.Graph{Asset: g.Asset, Rule: g.Rule, Grants: make(map[string]*domain.Grant, len(g.Grants))}
	for k, gr := range g.Grants {
		if k == id {
			cp := *gr
			cp.State = domain.StateRevoked
			gr = &cp
		}
		c.Grants[k] = gr
	}
	c.Index()
	return c
}

// descendants returns id and every grant beneath it.
func descendants(g *domain.Graph, id string) []*domain.Grant {
	out := []*domain.Grant{g.Grants[id]}
	for i := 0; i < len(out); i++ {
		for _, gr := range g.Grants {
			if gr.ParentID == out[i].ID {
				out = append(out, gr)
			}
		}
	}
	return out
}

func TestEvaluateMatchesReference(t *testing.T) {
	t.Parallel()
	seed := *evaluateSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("reproduce with: go test ./internal/domain/ -run TestEvaluateMatchesReference -evaluate.seed=%d", seed)
		}
	})
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	st := &propStats{denials: map[string]int{}}
	revokedAllowedBefore := 0
	for range *evaluateWorlds {
		w := newPropWorld(r)
		for range 40 {
			in := w.randomCheck(r)
			g := w.graphs[in.AssetID]
			if g == nil {
				g = &domain.Graph{}
				g.Index()
			}
			compare(t, in, g, st)
		}
		// Revocations: revoke a grant, then ask for everything beneath it.
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
				before := compare(t, in, g, st)
				after := compare(t, in, revoked, st)
				if before.Allowed && slices.Contains(before.Chain, victim.Name()) {
					revokedAllowedBefore++
				}
				if after.Allowed && slices.Contains(after.Chain, victim.Name()) {
					t.Fatalf("allowed through revoked %s: %+v\ncheck %+v\n%s", victim.Name(), after, in, dumpGraph(revoked))
				}
			}
		}
	}
	t.Logf("seed %d: %d checks, %d allowed (%d as holder), %d allowed through a grant before it was revoked; denials %v",
		seed, st.checks, st.allowed, st.holder, revokedAllowedBefore, st.denials)
	// The generator must keep exercising every outcome, or the property says little.
	if st.checks >= 10_000 {
		if st.allowed < st.checks/20 || revokedAllowedBefore < 50 {
			t.Errorf("too few allowed checks to be a test: %d of %d (%d through revoked grants)", st.allowed, st.checks, revokedAllowedBefore)
		}
		for _, reason := range []string{domain.DenyAssetUnknown, domain.DenyAssetSuspended, domain.DenyAssetEnded, domain.DenyNoGrant,
			domain.DenyGrantNotActive, domain.DenyOutsideValidity, domain.DenyPurpose, domain.DenyDeliveryForm, domain.DenyRegion,
			domain.DenyConditionFalse, domain.DenyGradePolicy, domain.DenyChainBroken} {
			if st.denials[reason] == 0 {
				t.Errorf("no check was denied with %s", reason)
			}
		}
	}
}

// TestRegionReferenceAgreesWithScope keeps the reference's reading of division codes in
// step with Scope.CoversRegion on every pair the property test uses.
func TestRegionReferenceAgreesWithScope(t *testing.T) {
	t.Parallel()
	for _, granted := range propRegions {
		for _, asked := range propCheckRegions {
			want := asked != "" && refRegionCovers(granted, asked)
			if got := (domain.Scope{Regions: []string{granted}}).CoversRegion(asked); got != want {
				t.Errorf("region %s covers %q: got %v, want %v", granted, asked, got, want)
			}
		}
	}
}

// TestDenialReasonsMatchProto keeps the Deny* constants the names of rightsv1.DenialReason.
func TestDenialReasonsMatchProto(t *testing.T) {
	t.Parallel()
	reasons := []string{domain.DenyAssetUnknown, domain.DenyAssetSuspended, domain.DenyAssetEnded, domain.DenyNoGrant,
		domain.DenyGrantNotActive, domain.DenyOutsideValidity, domain.DenyPurpose, domain.DenyDeliveryForm, domain.DenyRegion,
		domain.DenyConditionFalse, domain.DenyGradePolicy, domain.DenyChainBroken}
	for _, r := range reasons {
		if _, ok := rightsv1.DenialReason_value["DENIAL_REASON_"+r]; !ok {
			t.Errorf("DENIAL_REASON_%s is not a rightsv1.DenialReason", r)
		}
	}
	if len(reasons) != len(rightsv1.DenialReason_value)-1 {
		t.Errorf("%d denial reasons in the domain, %d in the proto", len(reasons), len(rightsv1.DenialReason_value)-1)
	}
	for _, r := range []domain.Right{domain.RightHolding, domain.RightProcessingUse, domain.RightProductOperation} {
		if _, ok := rightsv1.Right_value["RIGHT_"+string(r)]; !ok {
			t.Errorf("RIGHT_%s is not a rightsv1.Right", r)
		}
	}
	for _, f := range propForms {
		if _, ok := rightsv1.DeliveryForm_value["DELIVERY_FORM_"+f]; !ok {
			t.Errorf("DELIVERY_FORM_%s is not a rightsv1.DeliveryForm", f)
		}
	}
}
