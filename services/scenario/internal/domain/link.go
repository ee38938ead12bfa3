package domain

import (
	"strings"
	"time"

	"yaosu.dev/pkg/errs"
)

// Rights a link may exercise (rightsv1.Right names without the prefix).
const (
	RightHolding          = "HOLDING"
	RightProcessingUse    = "PROCESSING_USE"
	RightProductOperation = "PRODUCT_OPERATION"
)

// LinkState is a link's state.
type LinkState string

// Link states.
const (
	LinkActive   LinkState = "ACTIVE"
	LinkBlocked  LinkState = "BLOCKED"
	LinkUnlinked LinkState = "UNLINKED"
)

// AllLinkStates lists every link state.
var AllLinkStates = []LinkState{LinkActive, LinkBlocked, LinkUnlinked}

// Final reports whether no action leaves s.
func (s LinkState) Final() bool { return s == LinkUnlinked }

// LinkAction is something done to a link.
type LinkAction string

// Link actions: block and unblock follow the rights and catalog events; unlink is the
// operator's.
const (
	LinkBlock   LinkAction = "block"
	LinkUnblock LinkAction = "unblock"
	LinkUnlink  LinkAction = "unlink"
)

// AllLinkActions lists every link action.
var AllLinkActions = []LinkAction{LinkBlock, LinkUnblock, LinkUnlink}

// linkTransitions is the link state machine.
var linkTransitions = map[LinkState]map[LinkAction]LinkState{
	LinkActive:  {LinkBlock: LinkBlocked, LinkUnlink: LinkUnlinked},
	LinkBlocked: {LinkUnblock: LinkActive, LinkUnlink: LinkUnlinked},
}

// NextLink returns the state action leads to from s, or FAILED_PRECONDITION.
func NextLink(s LinkState, a LinkAction) (LinkState, error) {
	n, ok := linkTransitions[s][a]
	if !ok {
		return "", errs.FailedPrecondition(ReasonInvalidTransition, "%s is not allowed: the link is %s", a, s)
	}
	return n, nil
}

// Link is a scenario's use of one asset under one grant.
type Link struct {
	ID         string
	ScenarioID string
	AssetID    string
	// GrantID is the grantee's grant the use rests on; "" when the operator holds the asset.
	GrantID      string
	Right        string
	DeliveryForm string
	Reason       string
	// Grant holds the terms of the grant the link rests on (zero for a holder's link), as
	// the rights service returned them when the link was made; grants' terms never change.
	Grant GrantTerms
	// DailyBaseline is the expected daily volume in records.
	DailyBaseline int64
	State         LinkState
	StateReason   string
	// BlockedBy names what blocked it: GrantCause or AssetCause.
	BlockedBy  string
	Linker     string
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
}

// GrantTerms are a grant's terms that usage is judged against.
type GrantTerms struct {
	ValidFrom, ValidUntil time.Time
	// Purposes are sector codes; Forms delivery forms (rightsv1 names without the prefix).
	Purposes, Forms []string
}

// Name is the link's resource name.
func (l *Link) Name() string { return "scenarios/" + l.ScenarioID + "/links/" + l.ID }

// Transition moves l by action; cause is recorded on a block and cleared otherwise. The
// state reason says why a link is blocked or ended; an active link has none.
func (l *Link) Transition(a LinkAction, reason, cause string) (prev LinkState, err error) {
	next, err := NextLink(l.State, a)
	if err != nil {
		return "", err
	}
	prev, l.State, l.StateReason, l.BlockedBy = l.State, next, reason, ""
	switch next {
	case LinkBlocked:
		l.BlockedBy = cause
	case LinkActive:
		l.StateReason = ""
	}
	return prev, nil
}

// GrantCause and AssetCause name a block's cause (links.blocked_by, blocks.cause).
func GrantCause(grantID string) string { return "grant:" + grantID }

// AssetCause names an asset as a block's cause.
func AssetCause(assetID string) string { return "asset:" + assetID }

// CauseSubject is the resource name of a cause: "grant:<id>" → "grants/<id>".
func CauseSubject(cause string) string {
	kind, id, _ := strings.Cut(cause, ":")
	return kind + "s/" + id
}

// Decision is what the rights service's check answered, as the domain sees it.
type Decision struct {
	Allowed bool
	Holder  bool
	// Chain is the allowing grant and its ancestors as grant ids, grantee's grant first.
	Chain  []string
	Denial string
	Detail string
}

// ResolveGrant decides which grant a new link rests on, given the check's answer: the
// named grant must be the grantee's grant of the chain (chain[0]); none named means
// chain[0]; a holder needs none.
func ResolveGrant(named string, d Decision) (string, error) {
	if !d.Allowed {
		return "", errs.FailedPrecondition(ReasonNotAllowedByRights, "the rights service does not allow this use: %s: %s", d.Denial, d.Detail)
	}
	if d.Holder {
		if named != "" {
			return "", errs.FailedPrecondition(ReasonGrantMismatch, "the operator holds the asset; grants/%s is not what the use rests on", named)
		}
		return "", nil
	}
	if len(d.Chain) == 0 {
		return "", errs.FailedPrecondition(ReasonNotAllowedByRights, "the rights service allowed the use without a grant chain")
	}
	if named != "" && named != d.Chain[0] {
		return "", errs.FailedPrecondition(ReasonGrantMismatch, "the use is allowed through grants/%s, not grants/%s", d.Chain[0], named)
	}
	return d.Chain[0], nil
}
