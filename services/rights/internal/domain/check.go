package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Denial reasons (rightsv1.DenialReason names without the prefix).
const (
	DenyAssetUnknown    = "ASSET_UNKNOWN"
	DenyAssetSuspended  = "ASSET_SUSPENDED"
	DenyAssetEnded      = "ASSET_ENDED"
	DenyNoGrant         = "NO_GRANT"
	DenyGrantNotActive  = "GRANT_NOT_ACTIVE"
	DenyOutsideValidity = "OUTSIDE_VALIDITY"
	DenyPurpose         = "PURPOSE_NOT_GRANTED"
	DenyDeliveryForm    = "DELIVERY_FORM_NOT_GRANTED"
	DenyRegion          = "REGION_NOT_GRANTED"
	DenyConditionFalse  = "CONDITION_FALSE"
	DenyGradePolicy     = "GRADE_POLICY"
	DenyChainBroken     = "CHAIN_BROKEN"
)

// CheckInput is one question: may Organisation exercise Right over AssetID for Purpose,
// delivered as DeliveryForm, in Region, at At?
type CheckInput struct {
	Organisation string
	AssetID      string
	Right        Right
	Purpose      string
	DeliveryForm string
	Region       string
	Context      map[string]any
	At           time.Time
}

// Decision is the answer.
type Decision struct {
	Allowed bool
	// Holder: the organisation holds the asset.
	Holder bool
	// Chain is the allowing grant and its ancestors, grantee's grant first.
	Chain []string
	// Denial is a Deny* reason when not allowed.
	Denial string
	Detail string
}

// Graph is everything a check on one asset reads: the asset, its grade rule and every
// grant on it (by id), as of one moment.
type Graph struct {
	Asset  *Asset
	Rule   GradeRule
	Grants map[string]*Grant
	// byGrantee indexes Grants; built by Index.
	byGrantee map[string][]*Grant
}

// Index builds the graph's lookup by grantee and right; call it once after filling Grants.
func (g *Graph) Index() {
	g.byGrantee = map[string][]*Grant{}
	for _, gr := range g.Grants {
		k := gr.Grantee + "/" + string(gr.Right)
		g.byGrantee[k] = append(g.byGrantee[k], gr)
	}
	for _, list := range g.byGrantee {
		// A stable order makes the allowing chain deterministic: oldest grant first.
		slices.SortFunc(list, func(a, b *Grant) int {
			if c := a.CreateTime.Compare(b.CreateTime); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
	}
}

// ConditionFunc evaluates a grant's condition for a check (true when the grant has none).
type ConditionFunc func(g *Grant, in CheckInput) (bool, error)

// stages of a candidate grant, in the order they are checked; the denial reported is the
// one of the candidate that got furthest.
var stages = []string{DenyGrantNotActive, DenyOutsideValidity, DenyPurpose, DenyDeliveryForm, DenyRegion,
	DenyChainBroken, DenyConditionFalse}

// Evaluate answers in against g. It is the single definition of what a check means: the
// cached checker, "as of" checks and lookups all call it.
func Evaluate(in CheckInput, g *Graph, cond ConditionFunc) Decision {
	a := g.Asset
	switch {
	case a == nil:
		return deny(DenyAssetUnknown, "assets/%s is not registered", in.AssetID)
	case a.State == "SUSPENDED":
		return deny(DenyAssetSuspended, "assets/%s is suspended", in.AssetID)
	case a.State != "REGISTERED":
		return deny(DenyAssetEnded, "assets/%s is %s", in.AssetID, a.State)
	}
	if in.Organisation == a.Holder {
		return Decision{Allowed: true, Holder: true}
	}
	if in.Right == RightHolding {
		return deny(DenyNoGrant, "%s does not hold assets/%s", in.Organisation, in.AssetID)
	}
	if !g.Rule.GrantsAllowed || g.Rule.Forbids([]string{in.DeliveryForm}) != "" {
		return deny(DenyGradePolicy, "the grade policy forbids %s use of %s data", in.DeliveryForm, a.Grade)
	}
	candidates := g.byGrantee[in.Organisation+"/"+string(in.Right)]
	if len(candidates) == 0 {
		return deny(DenyNoGrant, "no %s grant on assets/%s to %s", in.Right, in.AssetID, in.Organisation)
	}
	best, bestDetail := -1, ""
	for _, c := range candidates {
		stage, detail, chain := evaluateGrant(c, in, g, cond)
		if stage == len(stages) {
			return Decision{Allowed: true, Chain: chain}
		}
		if stage > best {
			best, bestDetail = stage, detail
		}
	}
	return Decision{Denial: stages[best], Detail: bestDetail}
}

// evaluateGrant returns how many stages c passes (len(stages): all), why it stopped, and
// the chain when it passes.
func evaluateGrant(c *Grant, in CheckInput, g *Graph, cond ConditionFunc) (int, string, []string) {
	switch {
	case c.State != StateActive:
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
	// Every condition along the chain must hold: a sub-licence cannot shed its parent's.
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

func deny(reason, format string, args ...any) Decision {
	return Decision{Denial: reason, Detail: fmt.Sprintf(format, args...)}
}
