package domain

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CheckGraph is a Graph reduced to what Evaluate reads, in a form built for caching many
// of them: per asset a handful of allocations that hold no pointers (the grants are value
// structs in one slice, their strings substrings of one text, their times seconds and
// nanoseconds), so the garbage collector marks a cached graph without scanning it. The
// grants with a condition are also kept as Grants for the ConditionFunc (in one slice,
// their strings in the text), with the fields it is given (see ConditionFunc).
//
// Graph.Index builds it; it is never changed afterwards, so any number of goroutines may
// evaluate against it.
type CheckGraph struct {
	text   string
	lists  []span
	grants []checkGrant // by grantee, right, create time and id: one run per (grantee, right)
	conds  []Grant

	known                 bool
	revision              int64
	holder, grade, state  span
	grantsAllowed         bool
	forbiddenForms        list
	registered, suspended bool
}

// span is the string text[off : off+n] of a CheckGraph.
type span struct{ off, n uint32 }

// list is the spans lists[off : off+n] of a CheckGraph.
type list struct{ off, n uint32 }

// instant is a time.Time without its location and monotonic reading: what Before needs.
type instant struct {
	sec  int64
	nsec int32
}

func instantOf(t time.Time) instant { return instant{t.Unix(), int32(t.Nanosecond())} }

func (a instant) before(b instant) bool { return a.sec < b.sec || (a.sec == b.sec && a.nsec < b.nsec) }

func (a instant) time() time.Time { return time.Unix(a.sec, int64(a.nsec)) }

type checkGrant struct {
	name, grantee, right, state span
	// parentID is Grant.ParentID; parent is its index in grants (noParent: none,
	// missingParent: not in the graph).
	parentID span
	parent   int32
	// cond is the index of the grant in conds, -1 without a condition.
	cond                     int32
	validFrom, validUntil    instant
	purposes, forms, regions list // regions trimmed (trimRegion)
	active                   bool
}

const (
	noParent      = -1
	missingParent = -2
)

// AssetRevision is the catalog revision of the asset projection the graph was built from
// (0 for an unknown asset): which version of the asset a cached graph reflects.
func (g *CheckGraph) AssetRevision() int64 { return g.revision }

func (g *CheckGraph) str(s span) string { return g.text[s.off : s.off+s.n] }

func (g *CheckGraph) has(l list, s string) bool {
	for _, sp := range g.lists[l.off : l.off+l.n] {
		if g.str(sp) == s {
			return true
		}
	}
	return false
}

// coversRegion is Scope.CoversRegion over trimmed regions; child is the check's region,
// trimmed.
func (g *CheckGraph) coversRegion(l list, region, child string) bool {
	if l.n == 0 {
		return true
	}
	if region == "" {
		return false
	}
	for _, sp := range g.lists[l.off : l.off+l.n] {
		if strings.HasPrefix(child, g.str(sp)) {
			return true
		}
	}
	return false
}

// checkGraphBuilder lays the strings of one graph out in one text, each distinct string
// once.
type checkGraphBuilder struct {
	text  strings.Builder
	seen  map[string]span
	lists []span
}

func (b *checkGraphBuilder) str(s string) span {
	if sp, ok := b.seen[s]; ok {
		return sp
	}
	sp := span{uint32(b.text.Len()), uint32(len(s))}
	b.text.WriteString(s)
	b.seen[s] = sp
	return sp
}

func (b *checkGraphBuilder) list(ss []string, f func(string) string) list {
	l := list{off: uint32(len(b.lists)), n: uint32(len(ss))}
	for _, s := range ss {
		if f != nil {
			s = f(s)
		}
		b.lists = append(b.lists, b.str(s))
	}
	return l
}

// newCheckGraph builds g's CheckGraph. The grants are keyed by their ids (Grants[id].ID
// == id), as the loaders fill them.
func newCheckGraph(g *Graph) *CheckGraph {
	b := checkGraphBuilder{seen: make(map[string]span, 8+4*len(g.Grants))}
	cg := &CheckGraph{}
	if a := g.Asset; a != nil {
		cg.known, cg.revision = true, a.Revision
		cg.holder, cg.grade, cg.state = b.str(a.Holder), b.str(a.Grade), b.str(a.State)
		cg.registered, cg.suspended = a.State == "REGISTERED", a.State == "SUSPENDED"
	}
	cg.grantsAllowed = g.Rule.GrantsAllowed
	cg.forbiddenForms = b.list(g.Rule.ForbiddenDeliveryForms, nil)

	// A stable order makes the allowing chain deterministic: oldest grant first.
	sorted := make([]*Grant, 0, len(g.Grants))
	for _, gr := range g.Grants {
		sorted = append(sorted, gr)
	}
	slices.SortFunc(sorted, func(x, y *Grant) int {
		return cmp.Or(strings.Compare(x.Grantee, y.Grantee), strings.Compare(string(x.Right), string(y.Right)),
			x.CreateTime.Compare(y.CreateTime), strings.Compare(x.ID, y.ID))
	})
	index := make(map[string]int32, len(sorted))
	for i, gr := range sorted {
		index[gr.ID] = int32(i)
	}
	cg.grants = make([]checkGrant, len(sorted))
	// condSpans are the strings of a grant with a condition that checkGrant does not hold.
	type condSpans struct {
		grant                               int
		asset, grantor, parentID, condition span
	}
	var conds []condSpans
	for i, gr := range sorted {
		name := b.str(gr.Name())
		// The id is the name's tail: parents' ids share it.
		if _, ok := b.seen[gr.ID]; !ok {
			b.seen[gr.ID] = span{name.off + uint32(len("grants/")), name.n - uint32(len("grants/"))}
		}
		cg.grants[i] = checkGrant{
			name: name, grantee: b.str(gr.Grantee), right: b.str(string(gr.Right)), state: b.str(string(gr.State)),
			parent: noParent, cond: -1,
			validFrom: instantOf(gr.ValidFrom), validUntil: instantOf(gr.ValidUntil),
			purposes: b.list(gr.Scope.Purposes, nil), forms: b.list(gr.Scope.DeliveryForms, nil),
			regions: b.list(gr.Scope.Regions, trimRegion),
			active:  gr.State == StateActive,
		}
		if gr.Condition != "" {
			cg.grants[i].cond = int32(len(conds))
			conds = append(conds, condSpans{grant: i, asset: b.str(gr.AssetID), grantor: b.str(gr.Grantor),
				parentID: b.str(gr.ParentID), condition: b.str(gr.Condition)})
		}
	}
	for i, gr := range sorted {
		if gr.ParentID == "" {
			continue
		}
		c := &cg.grants[i]
		c.parentID = b.str(gr.ParentID)
		if p, ok := index[gr.ParentID]; ok {
			c.parent = p
		} else {
			c.parent = missingParent
		}
	}
	// Copied to their exact sizes: the builders' spare capacity would stay as long as the
	// graph does.
	cg.text = strings.Clone(b.text.String())
	cg.lists = slices.Clone(b.lists)
	// The grants with a condition as the ConditionFunc sees them, their strings substrings
	// of the text.
	if len(conds) > 0 {
		cg.conds = make([]Grant, len(conds))
	}
	for k, cs := range conds {
		c, gr := &cg.grants[cs.grant], sorted[cs.grant]
		cg.conds[k] = Grant{ID: cg.str(c.name)[len("grants/"):], AssetID: cg.str(cs.asset), Right: Right(cg.str(c.right)),
			Grantor: cg.str(cs.grantor), Grantee: cg.str(c.grantee), ParentID: cg.str(cs.parentID), Depth: gr.Depth,
			ValidFrom: gr.ValidFrom, ValidUntil: gr.ValidUntil, Condition: cg.str(cs.condition), State: State(cg.str(c.state))}
	}
	return cg
}

// candidates returns the run of grants of right to org.
func (g *CheckGraph) candidates(org, right string) (lo, hi int) {
	cmpTo := func(c *checkGrant) int {
		return cmp.Or(strings.Compare(g.str(c.grantee), org), strings.Compare(g.str(c.right), right))
	}
	lo, hi = 0, len(g.grants)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if cmpTo(&g.grants[m]) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	hi = lo
	for hi < len(g.grants) && cmpTo(&g.grants[hi]) == 0 {
		hi++
	}
	return lo, hi
}

// failure is why a candidate grant stopped at a stage; its detail is written only for
// the candidate reported.
type failure struct {
	stage int
	grant int32
	// At stage 5 below is the grant (grant or above it) whose parent is not in force and
	// other that parent (missingParent: not in the graph); at stage 6 other is the grant
	// whose condition failed, with err if it could not be evaluated.
	below, other int32
	err          error
}

// Evaluate answers in against g (see the package function Evaluate, which is this).
func (g *CheckGraph) Evaluate(in CheckInput, cond ConditionFunc) Decision {
	switch {
	case !g.known:
		return Decision{Denial: DenyAssetUnknown, Detail: "assets/" + in.AssetID + " is not registered"}
	case g.suspended:
		return Decision{Denial: DenyAssetSuspended, Detail: "assets/" + in.AssetID + " is suspended"}
	case !g.registered:
		return Decision{Denial: DenyAssetEnded, Detail: "assets/" + in.AssetID + " is " + g.str(g.state)}
	}
	if in.Organisation == g.str(g.holder) {
		return Decision{Allowed: true, Holder: true}
	}
	if in.Right == RightHolding {
		return Decision{Denial: DenyNoGrant, Detail: in.Organisation + " does not hold assets/" + in.AssetID}
	}
	if !g.grantsAllowed || g.has(g.forbiddenForms, in.DeliveryForm) {
		return Decision{Denial: DenyGradePolicy,
			Detail: "the grade policy forbids " + in.DeliveryForm + " use of " + g.str(g.grade) + " data"}
	}
	lo, hi := g.candidates(in.Organisation, string(in.Right))
	if lo == hi {
		return Decision{Denial: DenyNoGrant,
			Detail: "no " + string(in.Right) + " grant on assets/" + in.AssetID + " to " + in.Organisation}
	}
	at := instantOf(in.At)
	region := trimRegion(in.Region)
	best := failure{stage: -1}
	for i := lo; i < hi; i++ {
		f := g.evaluateGrant(int32(i), in, at, region, cond)
		if f.stage == len(stages) {
			return Decision{Allowed: true, Chain: g.chain(int32(i))}
		}
		if f.stage > best.stage {
			best = f
		}
	}
	return Decision{Denial: stages[best.stage], Detail: g.detail(best, in)}
}

// evaluateGrant returns how many stages grant i passes (len(stages): all) and where it
// stopped.
func (g *CheckGraph) evaluateGrant(i int32, in CheckInput, at instant, region string, cond ConditionFunc) failure {
	c := &g.grants[i]
	switch {
	case !c.active:
		return failure{stage: 0, grant: i}
	case at.before(c.validFrom) || !at.before(c.validUntil):
		return failure{stage: 1, grant: i}
	case !g.has(c.purposes, in.Purpose):
		return failure{stage: 2, grant: i}
	case !g.has(c.forms, in.DeliveryForm):
		return failure{stage: 3, grant: i}
	case !g.coversRegion(c.regions, in.Region, region):
		return failure{stage: 4, grant: i}
	}
	// Every grant above must be in force; steps bound the walk should the data ever
	// hold a cycle.
	for p, steps := i, 0; g.grants[p].parent != noParent; steps++ {
		up := g.grants[p].parent
		if up == missingParent || steps >= len(g.grants) {
			return failure{stage: 5, grant: i, below: p, other: missingParent}
		}
		parent := &g.grants[up]
		if !parent.active || at.before(parent.validFrom) || !at.before(parent.validUntil) {
			return failure{stage: 5, grant: i, below: p, other: up}
		}
		p = up
	}
	// Every condition along the chain must hold: a sub-licence cannot shed its parent's.
	for j := i; j >= 0; j = g.grants[j].parent {
		k := g.grants[j].cond
		if k < 0 {
			continue
		}
		ok, err := cond(&g.conds[k], in)
		if err != nil || !ok {
			return failure{stage: 6, grant: i, other: j, err: err}
		}
	}
	return failure{stage: len(stages)}
}

// chain is grant i's name and its ancestors', grantee's grant first.
func (g *CheckGraph) chain(i int32) []string {
	n := 0
	for j := i; j >= 0; j = g.grants[j].parent {
		n++
	}
	out := make([]string, 0, n)
	for j := i; j >= 0; j = g.grants[j].parent {
		out = append(out, g.str(g.grants[j].name))
	}
	return out
}

// detail says why f's grant stopped where it did.
func (g *CheckGraph) detail(f failure, in CheckInput) string {
	c := &g.grants[f.grant]
	name := g.str(c.name)
	switch f.stage {
	case 0:
		return name + " is " + g.str(c.state)
	case 1:
		return name + " is valid " + c.validFrom.time().UTC().Format(time.RFC3339) + " – " +
			c.validUntil.time().UTC().Format(time.RFC3339)
	case 2:
		return name + " does not cover purpose " + in.Purpose
	case 3:
		return name + " does not cover delivery form " + in.DeliveryForm
	case 4:
		return name + " does not cover region " + strconv.Quote(in.Region)
	case 5:
		state := "missing"
		if f.other >= 0 {
			state = g.str(g.grants[f.other].state)
		}
		return name + " rests on grants/" + g.str(g.grants[f.below].parentID) + ", which is not in force (" + state + ")"
	default:
		other := g.str(g.grants[f.other].name)
		if f.err != nil {
			return "the condition of " + other + " failed: " + f.err.Error()
		}
		return "the condition of " + other + " is false"
	}
}
