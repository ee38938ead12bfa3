package domain

import "time"

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
	// check is what Evaluate reads; built by Index.
	check *CheckGraph
}

// Index builds what Evaluate reads (the graph's CheckGraph); call it after filling or
// changing Asset, Rule or Grants.
func (g *Graph) Index() { g.check = newCheckGraph(g) }

// CheckGraph returns the graph's CheckGraph (built by Index; built now if Index was not
// called).
func (g *Graph) CheckGraph() *CheckGraph {
	if g.check == nil {
		return newCheckGraph(g)
	}
	return g.check
}

// ConditionFunc evaluates a grant's condition for a check (true when the grant has none).
// Evaluate gives it the grant's identity, parties, right, depth, window, state and
// condition; not its scope, legal basis or bookkeeping (the CheckGraph keeps only those),
// which a condition, over the check's context and request, has no use for.
type ConditionFunc func(g *Grant, in CheckInput) (bool, error)

// stages of a candidate grant, in the order they are checked; the denial reported is the
// one of the candidate that got furthest.
var stages = []string{DenyGrantNotActive, DenyOutsideValidity, DenyPurpose, DenyDeliveryForm, DenyRegion,
	DenyChainBroken, DenyConditionFalse}

// Evaluate answers in against g. It is the single definition of what a check means: the
// cached checker (which keeps only the CheckGraph), "as of" checks and lookups all call it.
//
// In order: the asset must be registered (not suspended, not ended); its holder is
// allowed; holding is not granted; the grade policy must allow grants and the delivery
// form. Then the organisation's grants of the right are tried oldest first (create time,
// then id): the first that is active, valid at in.At, covers the purpose, the form and
// the region, whose ancestors are all in force at in.At and every condition along whose
// chain holds allows, with that chain. If none does, the denial is that of the
// candidate that got furthest through those stages (the first such).
func Evaluate(in CheckInput, g *Graph, cond ConditionFunc) Decision {
	return g.CheckGraph().Evaluate(in, cond)
}
