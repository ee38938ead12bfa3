package domain

import "yaosu.dev/pkg/errs"

// Caller is who is acting, as the domain sees it (the app maps the auth principal).
type Caller struct {
	Subject      string
	Organisation string
	// CanRegister: registrar or admin; acts for the holder.
	CanRegister bool
	// Reviewer: reviewer or admin; acts for the registry.
	Reviewer bool
	// CrossOrganisationWrite: may act for any organisation (admin).
	CrossOrganisationWrite bool
	// CrossOrganisationRead: reads every organisation's assets and applications (auditor,
	// admin; reviewers read for the registry).
	CrossOrganisationRead bool
	// ReadOnly: may change nothing (an auditor without other roles).
	ReadOnly bool
	// System is the service itself (the publicity scheduler).
	System bool
}

// SystemPublicity is the actor recorded for the publicity scheduler's transitions.
const SystemPublicity = "system:publicity"

// CheckCreate enforces who may create rec: a registrar of its holder, of the agent (委托代理)
// it names, or an admin.
func (c Caller) CheckCreate(rec *Record) error {
	if !c.CanRegister {
		return errs.PermissionDenied(errs.ReasonForbidden, "creating assets needs the registrar role")
	}
	if !c.CrossOrganisationWrite && !c.Files(rec) {
		return notFilingFor(c, rec.HolderOrganisation)
	}
	return nil
}

func notFilingFor(c Caller, holder string) error {
	e := errs.PermissionDenied(ReasonHolderNotCallerOrg,
		"a registrar of %s acts only for their own organisation or as the agent (委托代理) a record names; this record is held by %s and does not name %s as its agent",
		c.Organisation, holder, c.Organisation)
	e.MessageZh = "登记员只能为本单位或以记录所载的委托代理单位身份办理；该记录的持有单位为 " + holder +
		"，未载明 " + c.Organisation + " 为代理单位"
	return e
}

// Files reports whether the caller's organisation files rec: it is the holder, or the
// agent (委托代理) the record names.
func (c Caller) Files(rec *Record) bool {
	org := c.Organisation
	return org != "" && (rec.HolderOrganisation == org || (rec.Agent != nil && rec.Agent.Organisation == org))
}

// CheckFilesFor checks that the caller may act for a's holder (update it, apply for it):
// a registrar of the holder or of the agent the record names, or an admin.
func (c Caller) CheckFilesFor(a *Asset) error { return c.authorise(a, nil, ActUpdate) }

// FileAs records the caller's organisation as the agent of rec when a registrar files for
// another unit and rec names no agent organisation: a data bureau filing for a department
// is its agent, whether or not the row says so (the name of the agent, if given, stays).
// Admins act for the registry, not as agents, and are never recorded.
func (c Caller) FileAs(rec *Record) {
	if !c.CanRegister || c.CrossOrganisationWrite || c.Organisation == "" || rec.HolderOrganisation == c.Organisation {
		return
	}
	if rec.Agent == nil {
		rec.Agent = &Agent{}
	}
	if rec.Agent.Organisation == "" {
		rec.Agent.Organisation = c.Organisation
	}
}

// Registry reports whether the caller reads across organisations, for the registry
// (reviewers: everything but other organisations' drafts) or as an auditor (everything).
func (c Caller) Registry() bool { return c.CrossOrganisationRead || c.Reviewer }

// CanRead reports whether the caller may see a: the holder's organisation, the agent's
// (委托代理) and auditors always; reviewers once it has been submitted (never another organisation's draft);
// everyone else once it is public (in publicity or registered).
func (c Caller) CanRead(a *Asset) bool {
	switch {
	case c.CrossOrganisationRead, c.Files(&a.s.Record), a.State().Public():
		return true
	case c.Reviewer:
		return !a.State().Draft()
	}
	return false
}

// VisibleStates are the states of other organisations' assets the caller may see (nil:
// all of them).
func (c Caller) VisibleStates() []State {
	if c.CrossOrganisationRead {
		return nil
	}
	var out []State
	for _, s := range AllStates {
		if s.Public() || (c.Reviewer && !s.Draft()) {
			out = append(out, s)
		}
	}
	return out
}

// CanReadApplication reports whether the caller may see an application on a (which the
// caller may read): the holder, its agent and the registry always; everyone else only while it is
// in publicity.
func (c Caller) CanReadApplication(a *Asset, p *Application) bool {
	return c.Registry() || c.Files(&a.s.Record) || p.State == AppInPublicity
}

// conflicted reports whether the caller's organisation is a party to a's case: its holder,
// or the agent (委托代理) filing for it, in the record or in the proposal of app (a change
// may name a new agent).
func (c Caller) conflicted(a *Asset, app *Application) bool {
	org := c.Organisation
	if org == "" {
		return false
	}
	party := func(r *Record) bool {
		return r != nil && (r.HolderOrganisation == org || (r.Agent != nil && r.Agent.Organisation == org))
	}
	return party(&a.s.Record) || (app != nil && party(app.Proposed))
}

// conflictOfInterest is the error for a reviewer acting for the registry in their own
// organisation's case.
func conflictOfInterest(c Caller) error {
	return errs.PermissionDenied(ReasonConflictOfInterest,
		"conflict of interest (利益冲突回避): a reviewer of %s never acts for the registry on an asset its organisation holds or files for", c.Organisation)
}

// holderActions are done by the holder's registrar (or the agent's, 委托代理); registryActions
// by a reviewer.
var (
	holderActions = map[Action]bool{ActUpdate: true, ActSubmit: true, ActApplyChange: true, ActApplyCorrection: true,
		ActApplyCancellation: true, ActResubmit: true, ActWithdraw: true, ActRequestDisposal: true}
	registryActions = map[Action]bool{ActAccept: true, ActNotAccept: true, ActPass: true, ActReturn: true,
		ActRefuse: true, ActResolve: true, ActSuspend: true, ActReinstate: true, ActApproveDisposal: true,
		ActRejectDisposal: true}
)

// authorise checks that the caller may do action on a (visibility is checked before).
func (c Caller) authorise(a *Asset, app *Application, action Action) error {
	switch {
	case action == ActEndPublicity:
		if !c.System {
			return errs.PermissionDenied(errs.ReasonForbidden, "publicity ends by the registry's scheduler only")
		}
	case holderActions[action]:
		if !c.CanRegister {
			return errs.PermissionDenied(errs.ReasonForbidden, "%s needs the registrar role", action)
		}
		if !c.CrossOrganisationWrite && !c.Files(&a.s.Record) {
			return notFilingFor(c, a.HolderOrganisation())
		}
	case registryActions[action]:
		if !c.Reviewer {
			return errs.PermissionDenied(errs.ReasonForbidden, "%s needs the reviewer role", action)
		}
		// Separation of duties: nobody decides on what they asked for themselves.
		switch {
		case (action == ActApproveDisposal || action == ActRejectDisposal) && a.s.Disposal != nil &&
			a.s.Disposal.Requester == c.Subject:
			return errs.PermissionDenied(ReasonSelfReview, "a disposal must be decided by someone other than its requester")
		case IsApplicationAction(action) && app != nil && app.filedBy(c.Subject):
			return errs.PermissionDenied(ReasonSelfReview, "a reviewer never decides on an application they submitted or resubmitted")
		}
		// Independence: the registry acts on an organisation's case only through reviewers
		// of other organisations (admins included).
		if c.conflicted(a, app) {
			return conflictOfInterest(c)
		}
	case action == ActObject:
		if c.ReadOnly {
			return errs.PermissionDenied(errs.ReasonForbidden, "auditors change nothing")
		}
	}
	return nil
}
