package domain

import "yaosu.dev/pkg/errs"

// Caller is who is acting, as the domain sees it (the app maps the auth principal).
type Caller struct {
	Subject      string
	Organisation string
	// CanRegister: registrar or admin.
	CanRegister bool
	// CrossOrganisation: may act on, or read, other organisations' assets (admin; auditors
	// read only).
	CrossOrganisationWrite bool
	CrossOrganisationRead  bool
}

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

// CanRead reports whether the caller may see a.
func (c Caller) CanRead(a *Asset) bool {
	return c.CrossOrganisationRead || a.holderOrganisation == c.Organisation
}
