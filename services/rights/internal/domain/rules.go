package domain

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"yaosu.dev/pkg/errs"
)

// Asset is what the rights service knows of a catalog asset (its projection of the
// catalog's events).
type Asset struct {
	ID     string
	Holder string
	Grade  string
	State  string
	// Revision is the catalog revision last applied.
	Revision int64
}

// Registered reports whether the asset can be granted and used.
func (a *Asset) Registered() bool { return a.State == "REGISTERED" }

// GradeRule is the grade policy of one grade: a table a registry can change.
type GradeRule struct {
	Grade                  string
	GrantsAllowed          bool
	ForbiddenDeliveryForms []string
}

// Forbids reports the first of forms the rule forbids, "" if none.
func (r GradeRule) Forbids(forms []string) string {
	for _, f := range forms {
		if slices.Contains(r.ForbiddenDeliveryForms, f) {
			return f
		}
	}
	return ""
}

// Caller is who is acting, as the domain sees it.
type Caller struct {
	Subject      string
	Organisation string
	// RightsAdmin: rights_admin or admin; acts for its organisation's rights.
	RightsAdmin bool
	// Admin acts for any organisation (the registry).
	Admin bool
	// ReadAll: auditors and admins see every grant and may ask "as of".
	ReadAll bool
	// Service: internal systems, which check for any organisation.
	Service bool
}

// ActsFor reports whether the caller may act for org's rights.
func (c Caller) ActsFor(org string) bool {
	return c.Admin || (c.RightsAdmin && c.Organisation == org)
}

// RequireActsFor is ActsFor as an error.
func (c Caller) RequireActsFor(org, what string) error {
	if !c.RightsAdmin {
		return errs.PermissionDenied(errs.ReasonForbidden, "%s needs the rights_admin role", what)
	}
	if !c.ActsFor(org) {
		return errs.PermissionDenied(ReasonNotYourOrganisation, "%s is for organisation %s; you act for %s", what, org, c.Organisation)
	}
	return nil
}

// CanRead reports whether the caller may see g.
func (c Caller) CanRead(g *Grant) bool {
	return c.ReadAll || c.Organisation == g.Grantor || c.Organisation == g.Grantee
}

// CanCheckFor reports whether the caller may ask checks and lookups about org (asOf: at a
// past time).
func (c Caller) CanCheckFor(org string, asOf bool) bool {
	if asOf {
		return c.ReadAll || c.Service
	}
	return c.Service || c.ReadAll || c.Organisation == org
}

var purposePattern = regexp.MustCompile(`^[A-Z][A-Z_]{1,39}$`)

// Placement is what a new grant is checked against, loaded under the asset's lock: the
// asset, its grade rule, the parent grant (nil for a first-level grant) and the siblings
// (grants of the same right on the same asset with the same parent) currently in force or
// suspended.
type Placement struct {
	Asset    *Asset
	Rule     GradeRule
	Parent   *Grant
	Siblings []*Grant
	// Purposes is the purpose code list.
	Purposes map[string]bool
}

// Check validates g where it would be placed: every invariant of domain.md §4 and §5 that
// concerns one grant. It sets g's grantor-derived fields (depth). It does not look at g's
// state; callers run it when a grant is created or approved.
func Check(g *Grant, p Placement) error {
	if !g.ValidUntil.After(g.ValidFrom) {
		return errs.InvalidArgument(ReasonInvalidWindow, errs.Violation("grant.valid_until", "must be after valid_from", "有效期结束时间应晚于开始时间（valid_from）"))
	}
	var bad []errs.FieldViolation
	for i, pur := range g.Scope.Purposes {
		if !purposePattern.MatchString(pur) || (p.Purposes != nil && !p.Purposes[pur]) {
			bad = append(bad, errs.Violation("grant.scope.purposes["+itoa(i)+"]", "unknown purpose "+pur, "未知的用途 "+pur))
		}
	}
	if slices.Contains(g.Scope.Purposes, "OTHER") && strings.TrimSpace(g.Scope.OtherPurpose) == "" {
		bad = append(bad, errs.Violation("grant.scope.other_purpose", "describe the OTHER purpose", "用途含 OTHER（其他）时须说明具体用途"))
	}
	if len(bad) > 0 {
		return errs.InvalidArgument(ReasonUnknownPurpose, bad...)
	}
	if g.AuthorisedOperation {
		if slices.Contains(g.Scope.DeliveryForms, FormRawCopy) {
			return errs.FailedPrecondition(ReasonRawDataStays, "an authorised operation delivers models, verification, APIs or aggregates; raw data never leaves its domain")
		}
		if g.LegalBasis.Kind != "AUTHORISATION" {
			return errs.FailedPrecondition(ReasonRawDataStays, "an authorised operation rests on an authorisation (授权运营协议), not a %s", strings.ToLower(g.LegalBasis.Kind))
		}
	}
	if g.Grantor == g.Grantee {
		return errs.FailedPrecondition(ReasonSelfGrant, "an organisation cannot grant to itself")
	}
	a := p.Asset
	if a == nil || !a.Registered() {
		return errs.FailedPrecondition(ReasonAssetNotRegistered, "assets/%s is not a registered asset in force", g.AssetID)
	}
	if !p.Rule.GrantsAllowed {
		return errs.FailedPrecondition(ReasonGradePolicy, "the grade policy allows no grants of %s data", a.Grade)
	}
	if f := p.Rule.Forbids(g.Scope.DeliveryForms); f != "" {
		return errs.FailedPrecondition(ReasonGradePolicy, "the grade policy forbids %s delivery of %s data", f, a.Grade)
	}
	if par := p.Parent; par == nil {
		if g.Grantor != a.Holder {
			return errs.FailedPrecondition(ReasonGrantorNotHolder, "%s does not hold assets/%s (the holder is %s)", g.Grantor, a.ID, a.Holder)
		}
		g.Depth = 1
	} else {
		switch {
		case par.AssetID != g.AssetID || par.Right != g.Right:
			return outside("a sub-licence must be of the same right on the same asset as its parent")
		case par.Grantee != g.Grantor:
			return errs.FailedPrecondition(ReasonGrantorNotHolder, "%s is not the grantee of the parent grant %s", g.Grantor, par.Name())
		case par.State != StateActive:
			return errs.FailedPrecondition(ReasonGrantorNotHolder, "the parent grant %s is %s", par.Name(), par.State)
		case par.SublicenseDepth < 1:
			return errs.FailedPrecondition(ReasonSublicensingNotAllowed, "the parent grant %s allows no sub-licence", par.Name())
		case g.SublicenseDepth > par.SublicenseDepth-1:
			return outside("the parent grant allows %d further level(s) beneath this one, not %d", par.SublicenseDepth-1, g.SublicenseDepth)
		case g.ValidFrom.Before(par.ValidFrom) || g.ValidUntil.After(par.ValidUntil):
			return outside("the term %s – %s is not inside the parent's %s – %s", day(g.ValidFrom), day(g.ValidUntil), day(par.ValidFrom), day(par.ValidUntil))
		}
		if err := g.Scope.Within(par.Scope); err != nil {
			return err
		}
		g.Depth = par.Depth + 1
	}
	for _, s := range p.Siblings {
		if s.ID != g.ID && (s.State == StateActive || s.State == StateSuspended) && (g.Exclusive || s.Exclusive) && g.Overlaps(s) {
			return errs.FailedPrecondition(ReasonExclusivityConflict, "%s overlaps %s (%s – %s) and one of them is exclusive",
				g.Name(), s.Name(), day(s.ValidFrom), day(s.ValidUntil))
		}
	}
	return nil
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func itoa(i int) string { return strconv.Itoa(i) }
