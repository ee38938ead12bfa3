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

// Registry reports whether the caller sees everything for the registry or as an auditor.
func (c Caller) Registry() bool { return c.CrossOrganisationRead || c.Reviewer }

// CanRead reports whether the caller may see a: the holder's organisation and the registry
// always; everyone else once it is public (in publicity or registered).
func (c Caller) CanRead(a *Asset) bool {
	return c.Registry() || a.HolderOrganisation() == c.Organisation || a.State().Public()
}

// CanReadApplication reports whether the caller may see an application on a: the holder
// and the registry always; everyone else only while it is in publicity.
func (c Caller) CanReadApplication(a *Asset, p *Application) bool {
	return c.Registry() || a.HolderOrganisation() == c.Organisation || p.State == AppInPublicity
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
	case action == ActObject:
		if c.ReadOnly {
			return errs.PermissionDenied(errs.ReasonForbidden, "auditors change nothing")
		}
	}
	return nil
}
