package domain

import "yaosu.dev/pkg/errs"

// Caller is who is acting, as the domain sees it.
type Caller struct {
	Subject      string
	Organisation string
	// Manager: scenario_operator or admin; manages its own organisation's scenarios.
	Manager bool
	// ReadAll: auditors and admins read every organisation's scenarios.
	ReadAll bool
}

// CanRead reports whether the caller may see s (otherwise it does not exist for them).
func (c Caller) CanRead(s *Scenario) bool { return c.ReadAll || c.Organisation == s.Operator }

// RequireManager reports whether the caller may propose scenarios at all.
func (c Caller) RequireManager(what string) error {
	if !c.Manager {
		return errs.PermissionDenied(errs.ReasonForbidden, "%s needs the scenario_operator role", what)
	}
	return nil
}

// RequireManages reports whether the caller may change s: a scenario operator or admin of
// its operating organisation. Callers check CanRead first (NOT_FOUND for strangers).
func (c Caller) RequireManages(s *Scenario, what string) error {
	if err := c.RequireManager(what); err != nil {
		return err
	}
	if c.Organisation != s.Operator {
		return errs.PermissionDenied(ReasonNotYourOrganisation, "%s is for the operator %s; you act for %s", what, s.Operator, c.Organisation)
	}
	return nil
}
