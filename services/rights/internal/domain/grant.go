// Package domain holds the rights service's aggregates and rules: grants and their state
// machine, scope containment for sub-licences, and the grade policy. It depends only on
// the standard library and pkg/errs.
package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"yaosu.dev/pkg/errs"
)

// Reasons, the names of rightsv1.ErrorReason values (a test keeps them in step).
const (
	ReasonGrantNotFound          = "ERROR_REASON_GRANT_NOT_FOUND"
	ReasonAssetNotRegistered     = "ERROR_REASON_ASSET_NOT_REGISTERED"
	ReasonGrantorNotHolder       = "ERROR_REASON_GRANTOR_NOT_HOLDER"
	ReasonOutsideParentScope     = "ERROR_REASON_OUTSIDE_PARENT_SCOPE"
	ReasonSublicensingNotAllowed = "ERROR_REASON_SUBLICENSING_NOT_ALLOWED"
	ReasonExclusivityConflict    = "ERROR_REASON_EXCLUSIVITY_CONFLICT"
	ReasonGradePolicy            = "ERROR_REASON_GRADE_POLICY"
	ReasonInvalidTransition      = "ERROR_REASON_INVALID_TRANSITION"
	ReasonInvalidCondition       = "ERROR_REASON_INVALID_CONDITION"
	ReasonInvalidWindow          = "ERROR_REASON_INVALID_WINDOW"
	ReasonNotYourOrganisation    = "ERROR_REASON_NOT_YOUR_ORGANISATION"
	ReasonETagMismatch           = "ERROR_REASON_ETAG_MISMATCH"
	ReasonUnknownPurpose         = "ERROR_REASON_UNKNOWN_PURPOSE"
	ReasonInvalidPageToken       = "ERROR_REASON_INVALID_PAGE_TOKEN"
	ReasonSelfGrant              = "ERROR_REASON_SELF_GRANT"
	ReasonRawDataStays           = "ERROR_REASON_RAW_DATA_STAYS"
)

// Right is a grantable right (the names of rightsv1.Right values without the prefix).
type Right string

// Rights. Holding is not granted: it comes from registration and moves by transfer.
const (
	RightHolding          Right = "HOLDING"
	RightProcessingUse    Right = "PROCESSING_USE"
	RightProductOperation Right = "PRODUCT_OPERATION"
)

// Delivery forms (rightsv1.DeliveryForm names without the prefix).
const (
	FormRawCopy      = "RAW_COPY"
	FormAPI          = "API"
	FormModel        = "MODEL"
	FormVerification = "VERIFICATION"
	FormAggregate    = "AGGREGATE"
)

// State is a grant's state.
type State string

// Grant states.
const (
	StateRequested State = "REQUESTED"
	StateActive    State = "ACTIVE"
	StateSuspended State = "SUSPENDED"
	StateRevoked   State = "REVOKED"
	StateExpired   State = "EXPIRED"
	StateRejected  State = "REJECTED"
)

// AllStates lists every grant state.
var AllStates = []State{StateRequested, StateActive, StateSuspended, StateRevoked, StateExpired, StateRejected}

// Final reports whether no action leaves s.
func (s State) Final() bool { return s == StateRevoked || s == StateExpired || s == StateRejected }

// Action is something done to a grant.
type Action string

// Actions.
const (
	ActApprove   Action = "approve"
	ActReject    Action = "reject"
	ActRevoke    Action = "revoke"
	ActSuspend   Action = "suspend"
	ActReinstate Action = "reinstate"
	ActExpire    Action = "expire"
)

// AllActions lists every action on an existing grant.
var AllActions = []Action{ActApprove, ActReject, ActRevoke, ActSuspend, ActReinstate, ActExpire}

// transitions is the grant state machine.
var transitions = map[State]map[Action]State{
	StateRequested: {ActApprove: StateActive, ActReject: StateRejected, ActRevoke: StateRevoked},
	StateActive:    {ActRevoke: StateRevoked, ActSuspend: StateSuspended, ActExpire: StateExpired},
	StateSuspended: {ActRevoke: StateRevoked, ActReinstate: StateActive, ActExpire: StateExpired},
}

// Next returns the state action leads to from s, or FAILED_PRECONDITION.
func Next(s State, a Action) (State, error) {
	n, ok := transitions[s][a]
	if !ok {
		return "", errs.FailedPrecondition(ReasonInvalidTransition, "%s is not allowed: the grant is %s", a, s)
	}
	return n, nil
}

// Suspension causes (Grant.SuspendedBy).
const (
	SuspendedByGrantor = "grantor"
	SuspendedByParent  = "parent"
	SuspendedByAsset   = "asset"
)

// LegalBasis is the instrument a grant or transfer rests on.
type LegalBasis struct {
	Kind           string `json:"kind"`
	DocumentNumber string `json:"document_number"`
	Title          string `json:"title,omitempty"`
	SHA256         string `json:"sha256"`
}

// Scope is what a grant allows.
type Scope struct {
	Purposes      []string
	OtherPurpose  string
	DeliveryForms []string
	// Regions are division codes; empty means everywhere.
	Regions []string
}

// Grant is a grant of processing-use or product-operation.
type Grant struct {
	ID                    string
	AssetID               string
	Right                 Right
	Grantor               string
	Grantee               string
	ParentID              string
	Depth                 int
	LegalBasis            LegalBasis
	Scope                 Scope
	ValidFrom, ValidUntil time.Time
	Exclusive             bool
	// AuthorisedOperation marks an authorised-operation agreement (授权运营).
	AuthorisedOperation   bool
	SublicenseDepth       int
	FeeTerms              string
	Condition             string
	State                 State
	StateReason           string
	SuspendedBy           string
	Justification         string
	Requester             string
	RequesterOrganisation string
	Approver              string
	Revision              int64
	CreateTime            time.Time
	UpdateTime            time.Time
}

// Name returns the grant's resource name.
func (g *Grant) Name() string { return "grants/" + g.ID }

// ETag returns the grant's entity tag.
func (g *Grant) ETag() string { return `W/"` + strconv.FormatInt(g.Revision, 10) + `"` }

// InForce reports whether the grant allows use at t by itself (state and window; the
// chain above it is checked separately).
func (g *Grant) InForce(t time.Time) bool {
	return g.State == StateActive && !t.Before(g.ValidFrom) && t.Before(g.ValidUntil)
}

// Overlaps reports whether the two grants' windows overlap.
func (g *Grant) Overlaps(o *Grant) bool {
	return g.ValidFrom.Before(o.ValidUntil) && o.ValidFrom.Before(g.ValidUntil)
}

// CoversRegion reports whether the grant's regions cover region ("" = unspecified, which
// only an unlimited grant covers). A division code covers its subdivisions.
func (s Scope) CoversRegion(region string) bool {
	if len(s.Regions) == 0 {
		return true
	}
	if region == "" {
		return false
	}
	for _, r := range s.Regions {
		if regionWithin(region, r) {
			return true
		}
	}
	return false
}

// trimRegion is a region code without its trailing zero pairs (350100 → 3501), the
// prefix every subdivision shares.
func trimRegion(r string) string {
	for len(r) > 2 && strings.HasSuffix(r, "00") {
		r = r[:len(r)-2]
	}
	return r
}

// regionWithin reports whether child is inside parent.
func regionWithin(child, parent string) bool {
	return strings.HasPrefix(trimRegion(child), trimRegion(parent))
}

// Within checks that s stays inside parent's scope (a sub-licence): purposes, forms and
// regions are subsets.
func (s Scope) Within(parent Scope) error {
	for _, p := range s.Purposes {
		if !slices.Contains(parent.Purposes, p) {
			return outside("purpose %s is not in the parent grant's purposes", p)
		}
	}
	for _, f := range s.DeliveryForms {
		if !slices.Contains(parent.DeliveryForms, f) {
			return outside("delivery form %s is not in the parent grant's forms", f)
		}
	}
	if len(parent.Regions) > 0 {
		if len(s.Regions) == 0 {
			return outside("the parent grant is limited to regions %v; the sub-licence must be too", parent.Regions)
		}
		for _, r := range s.Regions {
			if !slices.ContainsFunc(parent.Regions, func(p string) bool { return regionWithin(r, p) }) {
				return outside("region %s is not inside the parent grant's regions %v", r, parent.Regions)
			}
		}
	}
	return nil
}

func outside(format string, args ...any) error {
	return errs.FailedPrecondition(ReasonOutsideParentScope, format, args...)
}
