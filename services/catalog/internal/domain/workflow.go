package domain

import (
	"maps"
	"slices"

	"yaosu.dev/pkg/errs"
)

// State is an asset's registration state (the names of catalogv1.AssetState values
// without the prefix).
type State string

// Asset states.
const (
	StateDraft       State = "DRAFT"
	StateSubmitted   State = "SUBMITTED"
	StateAccepted    State = "ACCEPTED"
	StateNotAccepted State = "NOT_ACCEPTED"
	StateReturned    State = "RETURNED"
	StateRefused     State = "REFUSED"
	StateInPublicity State = "IN_PUBLICITY"
	StateRegistered  State = "REGISTERED"
	StateWithdrawn   State = "WITHDRAWN"
	StateSuspended   State = "SUSPENDED"
	StateCancelled   State = "CANCELLED"
	StateDisposed    State = "DISPOSED"
)

// AllStates lists every asset state.
var AllStates = []State{StateDraft, StateSubmitted, StateAccepted, StateNotAccepted, StateReturned,
	StateRefused, StateInPublicity, StateRegistered, StateWithdrawn, StateSuspended, StateCancelled, StateDisposed}

// Public reports whether assets in state s are visible to every authenticated caller: the
// publicity window exists so that anyone can see and object, and the register itself
// (including cancelled and disposed entries, which are kept) is public.
func (s State) Public() bool {
	switch s {
	case StateInPublicity, StateRegistered, StateSuspended, StateCancelled, StateDisposed:
		return true
	}
	return false
}

// Draft reports whether assets in state s are their holder's unsubmitted drafts: never
// submitted, or back with the holder after an application that was not accepted or was
// withdrawn. No application is open, and the holder may change the record at will, so
// it is nobody else's business: only the holder's organisation (and auditors) see it,
// not the registry's reviewers.
func (s State) Draft() bool {
	return s == StateDraft || s == StateNotAccepted || s == StateWithdrawn
}

// Registered reports whether the asset has been registered (it has a number).
func (s State) Registered() bool {
	return s == StateRegistered || s == StateSuspended || s == StateCancelled || s == StateDisposed
}

// AppType is an application type.
type AppType string

// Application types.
const (
	AppFirst        AppType = "FIRST_REGISTRATION"
	AppChange       AppType = "CHANGE"
	AppCorrection   AppType = "CORRECTION"
	AppCancellation AppType = "CANCELLATION"
)

// NeedsPublicity reports whether passing formal review starts a publicity window. First
// registrations and changes are publicised so that others can object; a correction only
// fixes errors in what was already publicised, and a cancellation removes a registration
// at the holder's request, so both take effect when they pass review.
func (t AppType) NeedsPublicity() bool { return t == AppFirst || t == AppChange }

// AppState is an application's state.
type AppState string

// Application states.
const (
	AppSubmitted   AppState = "SUBMITTED"
	AppAccepted    AppState = "ACCEPTED"
	AppNotAccepted AppState = "NOT_ACCEPTED"
	AppReturned    AppState = "RETURNED"
	AppRefused     AppState = "REFUSED"
	AppInPublicity AppState = "IN_PUBLICITY"
	AppApproved    AppState = "APPROVED"
	AppWithdrawn   AppState = "WITHDRAWN"
)

// Open reports whether the application still awaits an outcome.
func (s AppState) Open() bool {
	return s == AppSubmitted || s == AppAccepted || s == AppReturned || s == AppInPublicity
}

// Action is something a caller (or the publicity scheduler) does to an asset.
type Action string

// Actions. The first group acts on the asset, the second on its open application.
const (
	ActUpdate            Action = "update"
	ActSubmit            Action = "submit"
	ActApplyChange       Action = "apply_change"
	ActApplyCorrection   Action = "apply_correction"
	ActApplyCancellation Action = "apply_cancellation"
	ActSuspend           Action = "suspend"
	ActReinstate         Action = "reinstate"
	ActRequestDisposal   Action = "request_disposal"
	ActApproveDisposal   Action = "approve_disposal"
	ActRejectDisposal    Action = "reject_disposal"

	ActAccept       Action = "accept"
	ActNotAccept    Action = "not_accept"
	ActPass         Action = "pass"
	ActReturn       Action = "return"
	ActRefuse       Action = "refuse"
	ActResubmit     Action = "resubmit"
	ActWithdraw     Action = "withdraw"
	ActObject       Action = "object"
	ActResolve      Action = "resolve"
	ActEndPublicity Action = "end_publicity"
)

// AllActions lists every action.
var AllActions = []Action{ActUpdate, ActSubmit, ActApplyChange, ActApplyCorrection, ActApplyCancellation,
	ActSuspend, ActReinstate, ActRequestDisposal, ActApproveDisposal, ActRejectDisposal,
	ActAccept, ActNotAccept, ActPass, ActReturn, ActRefuse, ActResubmit, ActWithdraw, ActObject, ActResolve,
	ActEndPublicity}

// assetTransitions is the asset-level state machine: the actions allowed in each state and
// the state they lead to. Application actions (below) are allowed in whatever asset state
// carries an open application of the right state.
var assetTransitions = map[State]map[Action]State{
	StateDraft:       {ActUpdate: StateDraft, ActSubmit: StateSubmitted},
	StateNotAccepted: {ActUpdate: StateNotAccepted, ActSubmit: StateSubmitted},
	StateWithdrawn:   {ActUpdate: StateWithdrawn, ActSubmit: StateSubmitted},
	StateReturned:    {ActUpdate: StateReturned},
	StateRegistered: {ActApplyChange: StateRegistered, ActApplyCorrection: StateRegistered,
		ActApplyCancellation: StateRegistered, ActSuspend: StateSuspended,
		ActRequestDisposal: StateRegistered, ActApproveDisposal: StateDisposed, ActRejectDisposal: StateRegistered},
	StateSuspended: {ActReinstate: StateRegistered,
		ActRequestDisposal: StateSuspended, ActApproveDisposal: StateDisposed, ActRejectDisposal: StateSuspended},
	StateCancelled: {ActRequestDisposal: StateCancelled, ActApproveDisposal: StateDisposed, ActRejectDisposal: StateCancelled},
}

// appTransitions is the application state machine. Pass leads to IN_PUBLICITY or, for
// types without publicity, straight to APPROVED; an upheld objection returns the
// application (resolve → RETURNED), a dismissed one keeps it in publicity.
var appTransitions = map[AppState]map[Action]AppState{
	AppSubmitted:   {ActAccept: AppAccepted, ActNotAccept: AppNotAccepted, ActWithdraw: AppWithdrawn},
	AppAccepted:    {ActPass: AppInPublicity, ActReturn: AppReturned, ActRefuse: AppRefused, ActWithdraw: AppWithdrawn},
	AppReturned:    {ActResubmit: AppSubmitted, ActWithdraw: AppWithdrawn},
	AppInPublicity: {ActObject: AppInPublicity, ActResolve: AppInPublicity, ActEndPublicity: AppApproved},
}

// firstRegistrationStates maps a first registration's application state to the asset's
// state: until it is registered, the asset's state is its application's.
var firstRegistrationStates = map[AppState]State{
	AppSubmitted: StateSubmitted, AppAccepted: StateAccepted, AppNotAccepted: StateNotAccepted,
	AppReturned: StateReturned, AppRefused: StateRefused, AppInPublicity: StateInPublicity,
	AppApproved: StateRegistered, AppWithdrawn: StateWithdrawn,
}

// IsApplicationAction reports whether a acts on an application rather than the asset.
func IsApplicationAction(a Action) bool {
	for _, m := range appTransitions {
		if _, ok := m[a]; ok {
			return true
		}
	}
	return false
}

// AssetActions returns the asset-level actions allowed in state s, sorted.
func AssetActions(s State) []Action {
	return slices.Sorted(maps.Keys(assetTransitions[s]))
}

// ApplicationActions returns the application actions allowed in state s, sorted.
func ApplicationActions(s AppState) []Action {
	return slices.Sorted(maps.Keys(appTransitions[s]))
}

func invalidTransition(action Action, what string, state any) error {
	return errs.FailedPrecondition(ReasonInvalidTransition, "%s is not allowed: %s is %v", action, what, state)
}

func nextAssetState(s State, a Action) (State, error) {
	next, ok := assetTransitions[s][a]
	if !ok {
		return "", invalidTransition(a, "the asset", s)
	}
	return next, nil
}

func nextAppState(s AppState, a Action) (AppState, error) {
	next, ok := appTransitions[s][a]
	if !ok {
		return "", invalidTransition(a, "the application", s)
	}
	return next, nil
}

// EventTypes are the event names (without the "catalog." prefix) Apply can emit, with the
// calls that emit them; docs/events.md lists each (a test checks it).
var EventTypes = map[string]string{
	"asset.updated":            "a draft is updated (`UpdateAsset`, or `ImportAssets` with a row that matches and changes it)",
	"application.submitted":    "an application is filed or resubmitted (`SubmitApplication`, `ResubmitApplication`)",
	"application.accepted":     "the registry accepts an application (受理; `DecideApplication` ACCEPT)",
	"application.not_accepted": "the registry does not accept it (`DecideApplication` NOT_ACCEPT, with `reason_code`)",
	"application.returned":     "formal review returns it for correction (`DecideApplication` RETURN)",
	"application.refused":      "formal review refuses it (`DecideApplication` REFUSE, with `reason_code`)",
	"application.withdrawn":    "the applicant withdraws it (`WithdrawApplication`)",
	"publicity.started":        "a first registration or change passes formal review; `application.publicity_end` says when the window closes",
	"objection.filed":          "someone objects during publicity (`FileObjection`); `objection` is set",
	"objection.resolved":       "a reviewer resolves an objection (`ResolveObjection`); an upheld one returns the application",
	"publicity.ended":          "the scheduler closes a window with no unresolved objection (actor `system:publicity`)",
	"asset.registered":         "a first registration takes effect (赋码); `asset.registration_number` is set",
	"certificate.issued":       "a certificate is signed: on registration, and again when a change alters a certified field; `certificate` is set",
	"certificate.revoked":      "the current certificate is revoked: superseded by a re-issue, on cancellation, on disposal",
	"asset.changed":            "a change application takes effect after publicity; the record is the proposal",
	"asset.corrected":          "a correction application takes effect when it passes review",
	"asset.cancelled":          "a cancellation application takes effect (注销); the number is never reused",
	"asset.suspended":          "a reviewer freezes a registered asset (`SuspendAsset`); `asset.incident` is set",
	"asset.reinstated":         "the freeze is lifted (`ReinstateAsset`); `reason` says how the incident was resolved",
	"disposal.requested":       "the holder asks for the data to be destroyed (`RequestDisposal`)",
	"disposal.approved":        "a second person approves the disposal (`DecideDisposal`), followed by `asset.disposed`",
	"disposal.rejected":        "the disposal is rejected (`DecideDisposal`)",
	"asset.disposed":           "the asset is DISPOSED (销毁处置): terminal, the record stays",
}
