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

// CheckCreate enforces who may create a draft held by holder.
func (c Caller) CheckCreate(holder string) error {
	if !c.CanRegister {
		return errs.PermissionDenied(errs.ReasonForbidden, "creating assets needs the registrar role")
	}
	if holder != c.Organisation && !c.CrossOrganisationWrite {
		return errs.PermissionDenied(ReasonHolderNotCallerOrg,
			"a registrar may only create assets held by their own organisation %s", c.Organisation)
	}
	return nil
}

// Registry reports whether the caller reads across organisations, for the registry
// (reviewers: everything but other organisations' drafts) or as an auditor (everything).
func (c Caller) Registry() bool { return c.CrossOrganisationRead || c.Reviewer }

// CanRead reports whether the caller may see a: the holder's organisation and auditors
// always; reviewers once it has been submitted (never another organisation's draft);
// everyone else once it is public (in publicity or registered).
func (c Caller) CanRead(a *Asset) bool {
	switch {
	case c.CrossOrganisationRead, a.HolderOrganisation() == c.Organisation, a.State().Public():
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
// caller may read): the holder and the registry always; everyone else only while it is
// in publicity.
func (c Caller) CanReadApplication(a *Asset, p *Application) bool {
	return c.Registry() || a.HolderOrganisation() == c.Organisation || p.State == AppInPublicity
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

// holderActions are done by the holder's registrar; registryActions by a reviewer.
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
		if a.HolderOrganisation() != c.Organisation && !c.CrossOrganisationWrite {
			return errs.PermissionDenied(ReasonHolderNotCallerOrg,
				"a registrar may only act for their own organisation %s", c.Organisation)
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
