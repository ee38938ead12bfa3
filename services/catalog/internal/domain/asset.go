package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"yaosu.dev/pkg/errs"
)

// Reasons, the names of catalogv1.ErrorReason values (a test keeps them in step).
const (
	ReasonInvalidOrganisationCode = "ERROR_REASON_INVALID_ORGANISATION_CODE"
	ReasonAssetNotFound           = "ERROR_REASON_ASSET_NOT_FOUND"
	ReasonHolderNotCallerOrg      = "ERROR_REASON_HOLDER_NOT_CALLER_ORGANISATION"
	ReasonInvalidPageToken        = "ERROR_REASON_INVALID_PAGE_TOKEN"
	ReasonCoreData                = "ERROR_REASON_CORE_DATA_NOT_REGISTRABLE"
	ReasonNotSharedImpliesNotOpen = "ERROR_REASON_NOT_SHARED_IMPLIES_NOT_OPEN"
	ReasonConditionsRequired      = "ERROR_REASON_CONDITIONS_REQUIRED"
	ReasonSharingBasisRequired    = "ERROR_REASON_SHARING_BASIS_REQUIRED"
	ReasonIncompleteRecord        = "ERROR_REASON_INCOMPLETE_RECORD"
	ReasonUnknownCode             = "ERROR_REASON_UNKNOWN_CODE"
	ReasonInvalidTransition       = "ERROR_REASON_INVALID_TRANSITION"
	ReasonSelfReview              = "ERROR_REASON_SELF_REVIEW"
	ReasonETagMismatch            = "ERROR_REASON_ETAG_MISMATCH"
	ReasonApplicationOpen         = "ERROR_REASON_APPLICATION_OPEN"
	ReasonObjectionsUnresolved    = "ERROR_REASON_OBJECTIONS_UNRESOLVED"
	ReasonReasonRequired          = "ERROR_REASON_REASON_REQUIRED"
	ReasonImmutableField          = "ERROR_REASON_IMMUTABLE_FIELD"
	ReasonResourceCodeTaken       = "ERROR_REASON_RESOURCE_CODE_TAKEN"
	ReasonNoCertificate           = "ERROR_REASON_NO_CERTIFICATE"
	ReasonNothingChanged          = "ERROR_REASON_NOTHING_CHANGED"
	ReasonConflictOfInterest      = "ERROR_REASON_CONFLICT_OF_INTEREST"
)

// Snapshot is an asset's full state, for the store to save and load.
type Snapshot struct {
	ID                  string
	Record              Record
	State               State
	Revision            int64
	Creator             string
	CreatorOrganisation string
	CreateTime          time.Time
	UpdateTime          time.Time
	RegistrationNumber  string
	RegisterTime        time.Time
	// OpenApplication is the id of the open application, "" if none.
	OpenApplication string
	Incident        *Incident
	Disposal        *Disposal
}

// Incident is the emergency that froze an asset.
type Incident struct {
	Summary    string    `json:"summary"`
	Reference  string    `json:"reference,omitempty"`
	Reporter   string    `json:"reporter"`
	ReportTime time.Time `json:"report_time"`
}

// Disposal states.
const (
	DisposalRequested = "REQUESTED"
	DisposalApproved  = "APPROVED"
	DisposalRejected  = "REJECTED"
)

// Disposal is a request to destroy an asset's data (销毁处置).
type Disposal struct {
	Method       string     `json:"method"`
	Reason       string     `json:"reason"`
	Evidence     []Document `json:"evidence,omitempty"`
	State        string     `json:"state"`
	Requester    string     `json:"requester"`
	RequestTime  time.Time  `json:"request_time"`
	Decider      string     `json:"decider,omitempty"`
	DecideTime   time.Time  `json:"decide_time,omitzero"`
	DecisionNote string     `json:"decision_note,omitempty"`
}

// Asset is a data resource or data product in the registry: the aggregate that owns its
// record, its state and its open application.
type Asset struct {
	s Snapshot
}

// NewDraft creates a draft asset. id is the asset's opaque id (a UUIDv7 chosen by the
// caller, so the store can order by it). A registrar creating for another unit is recorded
// as its agent unless the record names one (Caller.FileAs).
func NewDraft(id string, rec Record, c Caller, codes CodeLists, now time.Time) (*Asset, error) {
	rec.Normalize()
	c.FileAs(&rec)
	if rec.CodeListVersion == "" {
		rec.CodeListVersion = codes.Version()
	}
	if err := rec.Validate(codes); err != nil {
		return nil, err
	}
	if err := c.CheckCreate(&rec); err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Microsecond) // Postgres keeps microseconds
	return &Asset{s: Snapshot{
		ID: id, Record: rec, State: StateDraft, Revision: 1,
		Creator: c.Subject, CreatorOrganisation: c.Organisation, CreateTime: now, UpdateTime: now,
	}}, nil
}

// Snapshot returns a copy of the asset's state.
func (a *Asset) Snapshot() Snapshot { return a.s.clone() }

// FromSnapshot rebuilds an asset loaded from the store.
func FromSnapshot(s Snapshot) *Asset { return &Asset{s: s.clone()} }

// clone copies s deeply: callers of Snapshot must not reach into the aggregate.
func (s Snapshot) clone() Snapshot {
	c := s
	c.Record = s.Record.Clone()
	if s.Incident != nil {
		in := *s.Incident
		c.Incident = &in
	}
	if s.Disposal != nil {
		d := *s.Disposal
		d.Evidence = slices.Clone(s.Disposal.Evidence)
		c.Disposal = &d
	}
	return c
}

// ID returns the asset's id.
func (a *Asset) ID() string { return a.s.ID }

// Name returns the asset's resource name, assets/{id}.
func (a *Asset) Name() string { return "assets/" + a.s.ID }

// Record returns a copy of the asset's record.
func (a *Asset) Record() Record { return a.s.Record.Clone() }

// DisplayName returns the asset's name.
func (a *Asset) DisplayName() string { return a.s.Record.DisplayName }

// HolderOrganisation returns the holding unit's code.
func (a *Asset) HolderOrganisation() string { return a.s.Record.HolderOrganisation }

// State returns the registration state.
func (a *Asset) State() State { return a.s.State }

// Revision returns the revision, which grows by one per committed change.
func (a *Asset) Revision() int64 { return a.s.Revision }

// ETag returns the entity tag derived from the revision.
func (a *Asset) ETag() string { return ETag(a.s.Revision) }

// ETag is the entity tag of a revision.
func ETag(revision int64) string { return `W/"` + strconv.FormatInt(revision, 10) + `"` }

// OpenApplication returns the id of the open application, "" if none.
func (a *Asset) OpenApplication() string { return a.s.OpenApplication }

// RegistrationNumber returns the number assigned on registration, "" before.
func (a *Asset) RegistrationNumber() string { return a.s.RegistrationNumber }

// NotFound is the error for an asset that does not exist or is not visible to the caller;
// the two are deliberately indistinguishable.
func NotFound(name string) error {
	return errs.NotFound(ReasonAssetNotFound, "%s not found", name)
}

// Command is one action on an asset, with everything it needs. The app fills it; Apply
// decides.
type Command struct {
	Action Action
	Caller Caller
	Now    time.Time
	// ETag, when set, must match the asset's current etag.
	ETag       string
	Reason     string
	ReasonCode string
	// Record is the new full record of an update, or the proposal of a change or
	// correction (application or resubmission).
	Record *Record
	// ApplicationID is the id of a new application.
	ApplicationID string
	// ObjectionID is the id of a new objection, or of the objection to resolve.
	ObjectionID   string
	ObjectionText string
	// Uphold resolves an objection as upheld (else dismissed).
	Uphold   bool
	Incident *Incident
	Disposal *Disposal
	// PublicityEnd is when publicity started now would end (the app computes it from the
	// working-day calendar).
	PublicityEnd time.Time
	Codes        CodeLists
	// NextRegistrationNumber draws a fresh registration number (the store's sequence, in
	// the transaction).
	NextRegistrationNumber func() (string, error)
}

// Effect is what Apply did, for the app to persist and announce.
type Effect struct {
	Action        Action
	PreviousState State
	// EventTypes are the events to emit, in order (without the "catalog." prefix).
	EventTypes []string
	// Application is the application touched, if any; NewApplication marks it as new.
	Application    *Application
	NewApplication bool
	// Objection is the objection filed or resolved, if any.
	Objection    *Objection
	NewObjection bool
	// ChangedPaths are the record paths that changed.
	ChangedPaths []string
	// IssueCertificate asks for a (new) certificate for the current record; RevokeReason, if
	// set, revokes the current one first.
	IssueCertificate bool
	RevokeReason     string
	// NoOp: nothing changed (an update with identical values); nothing is written.
	NoOp bool
}

// Apply runs cmd against the asset and app (the application concerned: the open one, or
// nil). On success the asset (and app) are changed and the revision bumped; on error
// nothing changed.
func (a *Asset) Apply(app *Application, cmd Command) (*Effect, error) {
	if cmd.ETag != "" && cmd.ETag != a.ETag() {
		return nil, errs.New(errs.KindAborted, ReasonETagMismatch,
			"etag %s is stale: the asset is at %s; re-read it and retry", cmd.ETag, a.ETag())
	}
	if err := cmd.Caller.authorise(a, app, cmd.Action); err != nil {
		return nil, err
	}
	now := cmd.Now.UTC().Truncate(time.Microsecond)
	cmd.Now = now
	before := a.Snapshot()
	var appBefore *Application
	if app != nil {
		c := app.clone()
		appBefore = &c
	}
	eff := &Effect{Action: cmd.Action, PreviousState: a.s.State}
	var err error
	if IsApplicationAction(cmd.Action) {
		err = a.applyToApplication(app, cmd, eff)
	} else {
		err = a.applyToAsset(app, cmd, eff)
	}
	if err != nil {
		// Leave no half-applied change behind.
		a.s = before
		if app != nil {
			*app = *appBefore
		}
		return nil, err
	}
	if eff.NoOp {
		return eff, nil
	}
	eff.ChangedPaths = ChangedPaths(before.Record, a.s.Record)
	a.s.Revision++
	a.s.UpdateTime = now
	return eff, nil
}

func (a *Asset) applyToAsset(open *Application, cmd Command, eff *Effect) error {
	next, err := nextAssetState(a.s.State, cmd.Action)
	if err != nil {
		return err
	}
	switch cmd.Action {
	case ActUpdate:
		rec, err := a.checkProposal(cmd, false)
		if err != nil {
			return err
		}
		if len(Diff(a.s.Record, rec)) == 0 {
			eff.NoOp = true
			return nil
		}
		a.s.Record = rec
		eff.EventTypes = []string{"asset.updated"}
	case ActSubmit:
		if err := a.s.Record.Validate(cmd.Codes); err != nil {
			return err
		}
		if err := a.s.Record.CheckComplete(); err != nil {
			return err
		}
		eff.Application = a.newApplication(AppFirst, nil, cmd)
		eff.NewApplication = true
		eff.EventTypes = []string{"application.submitted"}
	case ActApplyChange, ActApplyCorrection, ActApplyCancellation:
		if a.s.OpenApplication != "" {
			return errs.FailedPrecondition(ReasonApplicationOpen, "the asset already has an open application %s", a.s.OpenApplication)
		}
		if a.pendingDisposal() {
			return errs.FailedPrecondition(ReasonInvalidTransition, "%s is not allowed: a disposal is pending", cmd.Action)
		}
		if strings.TrimSpace(cmd.Reason) == "" {
			return errs.InvalidArgument(ReasonReasonRequired, errs.Violation("reason", "an application needs a reason", "申请须说明理由"))
		}
		typ := map[Action]AppType{ActApplyChange: AppChange, ActApplyCorrection: AppCorrection, ActApplyCancellation: AppCancellation}[cmd.Action]
		var proposed *Record
		if typ != AppCancellation {
			rec, err := a.checkProposal(cmd, true)
			if err != nil {
				return err
			}
			proposed = &rec
		}
		eff.Application = a.newApplication(typ, proposed, cmd)
		eff.NewApplication = true
		eff.EventTypes = []string{"application.submitted"}
		return nil // the registered version stays as it is
	case ActSuspend:
		if cmd.Incident == nil || strings.TrimSpace(cmd.Incident.Summary) == "" {
			return errs.InvalidArgument(ReasonReasonRequired, errs.Violation("incident.summary", "a suspension records its incident", "暂停须记录所发生的事件"))
		}
		in := *cmd.Incident
		in.Reporter, in.ReportTime = cmd.Caller.Subject, cmd.Now
		a.s.Incident = &in
		eff.EventTypes = []string{"asset.suspended"}
	case ActReinstate:
		if strings.TrimSpace(cmd.Reason) == "" {
			return errs.InvalidArgument(ReasonReasonRequired, errs.Violation("resolution", "say how the incident was resolved", "请说明事件如何处置"))
		}
		a.s.Incident = nil
		eff.EventTypes = []string{"asset.reinstated"}
	case ActRequestDisposal:
		if a.pendingDisposal() {
			return errs.FailedPrecondition(ReasonInvalidTransition, "request_disposal is not allowed: a disposal is already pending")
		}
		if a.s.OpenApplication != "" {
			return errs.FailedPrecondition(ReasonApplicationOpen, "decide or withdraw the open application %s first", a.s.OpenApplication)
		}
		d := cmd.Disposal
		if d == nil || strings.TrimSpace(d.Method) == "" || strings.TrimSpace(d.Reason) == "" {
			return errs.InvalidArgument(ReasonReasonRequired, errs.Violation("disposal", "a disposal needs its method and reason", "处置须填写处置方式和理由"))
		}
		probe := Record{Evidence: d.Evidence}
		if err := probe.validateDocuments("disposal.evidence"); err != nil {
			return err
		}
		nd := Disposal{Method: d.Method, Reason: d.Reason, Evidence: slices.Clone(d.Evidence), State: DisposalRequested,
			Requester: cmd.Caller.Subject, RequestTime: cmd.Now}
		a.s.Disposal = &nd
		eff.EventTypes = []string{"disposal.requested"}
	case ActApproveDisposal, ActRejectDisposal:
		if !a.pendingDisposal() {
			return errs.FailedPrecondition(ReasonInvalidTransition, "%s is not allowed: no disposal is pending", cmd.Action)
		}
		if strings.TrimSpace(cmd.Reason) == "" {
			return errs.InvalidArgument(ReasonReasonRequired, errs.Violation("note", "explain the decision", "请说明决定的理由"))
		}
		d := *a.s.Disposal
		d.Decider, d.DecideTime, d.DecisionNote = cmd.Caller.Subject, cmd.Now, cmd.Reason
		if cmd.Action == ActApproveDisposal {
			d.State = DisposalApproved
			eff.EventTypes = []string{"disposal.approved", "asset.disposed"}
			if a.s.State != StateCancelled {
				// A cancelled asset's certificate was revoked on cancellation.
				eff.EventTypes = append(eff.EventTypes, "certificate.revoked")
				eff.RevokeReason = "disposed"
			}
		} else {
			d.State = DisposalRejected
			eff.EventTypes = []string{"disposal.rejected"}
		}
		a.s.Disposal = &d
	}
	a.s.State = next
	if eff.Application != nil && eff.Application.Type == AppFirst {
		a.s.State = firstRegistrationStates[eff.Application.State]
	}
	return nil
}

func (a *Asset) applyToApplication(app *Application, cmd Command, eff *Effect) error {
	if app == nil {
		return invalidTransition(cmd.Action, "the asset", string(a.s.State)+" with no open application")
	}
	next, err := nextAppState(app.State, cmd.Action)
	if err != nil {
		return err
	}
	if a.s.State == StateSuspended && cmd.Action != ActWithdraw && cmd.Action != ActObject {
		// An emergency freeze stops the registry's work on the asset; the applicant may still
		// withdraw, and the public may still object.
		return invalidTransition(cmd.Action, "the asset", StateSuspended)
	}
	eff.Application = app
	step := Step{Action: string(cmd.Action), Actor: cmd.Caller.Subject, Time: cmd.Now, Reason: cmd.Reason, ReasonCode: cmd.ReasonCode}
	switch cmd.Action {
	case ActAccept:
		eff.EventTypes = []string{"application.accepted"}
	case ActNotAccept, ActRefuse:
		if cmd.ReasonCode == "" || !cmd.Codes.Has(ListRefusalReason, cmd.ReasonCode) {
			en, zh := "needs a code of the refusal_reason code list", "需要不予受理或不予登记的理由代码（代码表 refusal_reason）"
			if cmd.ReasonCode != "" {
				en, zh = UnknownCode(cmd.Codes, ListRefusalReason, cmd.ReasonCode)
			}
			return errs.InvalidArgument(ReasonReasonRequired, errs.FieldViolation{Field: "reason_code", Description: en, DescriptionZh: zh})
		}
		eff.EventTypes = []string{map[Action]string{ActNotAccept: "application.not_accepted", ActRefuse: "application.refused"}[cmd.Action]}
	case ActReturn:
		if strings.TrimSpace(cmd.Reason) == "" {
			return errs.InvalidArgument(ReasonReasonRequired, errs.Violation("reason", "say what to correct", "请说明需要补正的内容"))
		}
		eff.EventTypes = []string{"application.returned"}
	case ActPass:
		if app.Type.NeedsPublicity() {
			if !cmd.PublicityEnd.After(cmd.Now) {
				return errs.New(errs.KindInternal, errs.ReasonInternal, "publicity window ends at %v, not after now", cmd.PublicityEnd)
			}
			app.PublicityStart, app.PublicityEnd = cmd.Now, cmd.PublicityEnd.UTC().Truncate(time.Microsecond)
			eff.EventTypes = []string{"publicity.started"}
		} else {
			next = AppApproved
		}
	case ActResubmit:
		if app.Proposed != nil {
			if cmd.Record != nil {
				rec, err := a.checkProposal(cmd, true)
				if err != nil {
					return err
				}
				app.Proposed = &rec
			}
		} else if app.Type == AppFirst {
			if err := a.s.Record.Validate(cmd.Codes); err != nil {
				return err
			}
			if err := a.s.Record.CheckComplete(); err != nil {
				return err
			}
		}
		app.AssetRevision = a.s.Revision
		eff.EventTypes = []string{"application.submitted"}
	case ActWithdraw:
		eff.EventTypes = []string{"application.withdrawn"}
	case ActObject:
		if !cmd.Now.Before(app.PublicityEnd) {
			return errs.FailedPrecondition(ReasonInvalidTransition, "object is not allowed: the publicity window ended at %s", app.PublicityEnd.Format(time.RFC3339))
		}
		if cmd.ObjectionID == "" || slices.ContainsFunc(app.Objections, func(o Objection) bool { return o.ID == cmd.ObjectionID }) {
			return errs.New(errs.KindInternal, errs.ReasonInternal, "objection id %q is empty or taken", cmd.ObjectionID)
		}
		o := Objection{ID: cmd.ObjectionID, Text: strings.TrimSpace(cmd.ObjectionText), Filer: cmd.Caller.Subject,
			FilerOrganisation: cmd.Caller.Organisation, FileTime: cmd.Now, State: ObjectionRaised}
		if o.Text == "" {
			return errs.InvalidArgument(errs.ReasonValidation, errs.Violation("text", "must not be blank", "不能为空"))
		}
		app.Objections = append(app.Objections, o)
		eff.Objection = &app.Objections[len(app.Objections)-1]
		eff.NewObjection = true
		eff.EventTypes = []string{"objection.filed"}
		step.Reason = ""
	case ActResolve:
		i := slices.IndexFunc(app.Objections, func(o Objection) bool { return o.ID == cmd.ObjectionID })
		if i < 0 {
			return errs.NotFound(ReasonAssetNotFound, "objection %s not found", cmd.ObjectionID)
		}
		if app.Objections[i].Filer == cmd.Caller.Subject {
			return errs.PermissionDenied(ReasonSelfReview, "a reviewer never resolves an objection they filed")
		}
		if app.Objections[i].State != ObjectionRaised {
			return errs.FailedPrecondition(ReasonInvalidTransition, "resolve is not allowed: the objection is already %s", app.Objections[i].State)
		}
		if strings.TrimSpace(cmd.Reason) == "" {
			return errs.InvalidArgument(ReasonReasonRequired, errs.Violation("resolution", "explain the outcome", "请说明处理结果"))
		}
		outcome := ObjectionDismissed
		if cmd.Uphold {
			outcome = ObjectionUpheld
			next = AppReturned
			step.Action = "objection_upheld"
		}
		for j := range app.Objections {
			o := &app.Objections[j]
			if j == i || (cmd.Uphold && o.State == ObjectionRaised) {
				// An upheld objection returns the application; the others are settled with it,
				// so none of them blocks the next publicity window.
				o.State, o.Resolver, o.ResolveTime, o.Resolution = outcome, cmd.Caller.Subject, cmd.Now, cmd.Reason
				if j != i {
					o.Resolution = "settled with objection " + cmd.ObjectionID + ": " + cmd.Reason
				}
			}
		}
		eff.Objection = &app.Objections[i]
		eff.EventTypes = []string{"objection.resolved"}
		if cmd.Uphold {
			step.Action = "objection_upheld"
		} else {
			step.Action = "objection_dismissed"
		}
	case ActEndPublicity:
		if cmd.Now.Before(app.PublicityEnd) {
			return errs.FailedPrecondition(ReasonInvalidTransition, "end_publicity is not allowed: publicity runs until %s", app.PublicityEnd.Format(time.RFC3339))
		}
		for _, o := range app.Objections {
			if o.State == ObjectionRaised {
				return errs.FailedPrecondition(ReasonObjectionsUnresolved, "objection %s is unresolved", o.ID)
			}
		}
		eff.EventTypes = []string{"publicity.ended"}
	}
	app.State = next
	app.UpdateTime = cmd.Now
	app.History = append(app.History, step)
	if next == AppApproved {
		if err := a.approve(app, cmd, eff); err != nil {
			return err
		}
	}
	if app.Type == AppFirst {
		a.s.State = firstRegistrationStates[app.State]
	}
	if !app.State.Open() {
		a.s.OpenApplication = ""
	}
	return nil
}

// approve makes an application take effect.
func (a *Asset) approve(app *Application, cmd Command, eff *Effect) error {
	switch app.Type {
	case AppFirst:
		num, err := cmd.NextRegistrationNumber()
		if err != nil {
			return err
		}
		a.s.RegistrationNumber, a.s.RegisterTime = num, cmd.Now
		eff.EventTypes = append(eff.EventTypes, "asset.registered", "certificate.issued")
		eff.IssueCertificate = true
	case AppChange, AppCorrection:
		old := a.s.Record
		a.s.Record = app.Proposed.Clone()
		eff.EventTypes = append(eff.EventTypes, map[AppType]string{AppChange: "asset.changed", AppCorrection: "asset.corrected"}[app.Type])
		if old.DisplayName != a.s.Record.DisplayName || old.HolderName != a.s.Record.HolderName || old.Grade != a.s.Record.Grade {
			// The certificate states these fields: re-issue it, superseding the old one.
			eff.EventTypes = append(eff.EventTypes, "certificate.revoked", "certificate.issued")
			eff.IssueCertificate, eff.RevokeReason = true, "superseded"
		}
	case AppCancellation:
		a.s.State = StateCancelled
		eff.EventTypes = append(eff.EventTypes, "asset.cancelled", "certificate.revoked")
		eff.RevokeReason = "cancelled"
	}
	return nil
}

// checkProposal validates cmd.Record as the asset's next record: the holder cannot change,
// and a proposal for a change or correction must differ and be complete.
func (a *Asset) checkProposal(cmd Command, application bool) (Record, error) {
	if cmd.Record == nil {
		return Record{}, errs.InvalidArgument(errs.ReasonValidation, errs.Violation("asset", "the new values are missing", "缺少新的登记内容"))
	}
	rec := a.proposal(cmd.Caller, *cmd.Record)
	if rec.HolderOrganisation != a.s.Record.HolderOrganisation {
		return Record{}, errs.InvalidArgument(ReasonImmutableField, errs.Violation("asset.holder_organisation",
			"the holder cannot change; a transfer of holding is a rights matter", "持有单位不能变更；持有权的转移属于权益事项"))
	}
	if err := cmd.Caller.checkAgency(&rec); err != nil {
		return Record{}, err
	}
	if err := rec.Validate(cmd.Codes); err != nil {
		return Record{}, err
	}
	if application {
		if len(Diff(a.s.Record, rec)) == 0 {
			return Record{}, errs.FailedPrecondition(ReasonNothingChanged, "the proposal does not differ from the registered record")
		}
		if err := rec.CheckComplete(); err != nil {
			return Record{}, err
		}
	}
	return rec, nil
}

// proposal is rec as the caller would write it over a's record: normalised, citing the
// record's code-list version if it cites none, and naming the caller as agent if the caller
// files as one and rec names no agent organisation (so an agent's update or re-import that
// leaves the agent out changes nothing there).
func (a *Asset) proposal(c Caller, rec Record) Record {
	rec = rec.Clone()
	rec.Normalize()
	if rec.HolderOrganisation == a.s.Record.HolderOrganisation {
		c.FileAs(&rec)
	}
	if rec.CodeListVersion == "" {
		rec.CodeListVersion = a.s.Record.CodeListVersion
	}
	return rec
}

// Unchanged reports whether writing rec over the asset's record, as the caller would,
// changes nothing (an import of an exported row that nobody edited).
func (a *Asset) Unchanged(c Caller, rec Record) bool {
	return len(Diff(a.s.Record, a.proposal(c, rec))) == 0
}

// checkAgency keeps an agent's filing in the agent's hands: an agent (neither the holder
// nor an admin) cannot name another organisation as agent; the holder's registrar can.
func (c Caller) checkAgency(rec *Record) error {
	if c.CrossOrganisationWrite || c.System || rec.HolderOrganisation == c.Organisation {
		return nil
	}
	if rec.Agent == nil || rec.Agent.Organisation != c.Organisation {
		return errs.InvalidArgument(ReasonImmutableField, errs.FieldViolation{Field: "asset.agent.organisation",
			Description:   "an agent cannot hand the filing to another organisation; the holder's registrar can",
			DescriptionZh: "代理单位不能将委托转给其他单位，须由持有单位的登记员变更"})
	}
	return nil
}

func (a *Asset) pendingDisposal() bool {
	return a.s.Disposal != nil && a.s.Disposal.State == DisposalRequested
}

func (a *Asset) newApplication(t AppType, proposed *Record, cmd Command) *Application {
	app := &Application{
		ID: cmd.ApplicationID, AssetID: a.s.ID, Type: t, State: AppSubmitted, Proposed: proposed,
		Reason: cmd.Reason, Submitter: cmd.Caller.Subject, SubmitterOrganisation: cmd.Caller.Organisation,
		SubmitTime: cmd.Now, UpdateTime: cmd.Now, AssetRevision: a.s.Revision,
		History: []Step{{Action: string(ActSubmit), Actor: cmd.Caller.Subject, Time: cmd.Now, Reason: cmd.Reason}},
	}
	a.s.OpenApplication = app.ID
	return app
}
