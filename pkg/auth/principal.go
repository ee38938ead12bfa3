// Package auth authenticates callers and carries the resulting Principal through the
// context. Verification sits behind Verifier so that production identity providers
// (JWKS/OIDC) plug in without touching services; dev mode uses an Ed25519 key kept in the
// data directory.
package auth

import (
	"context"
	"slices"
)

// Role is a coarse permission a principal holds within its organisation.
type Role string

// Roles known to Yaosu.
const (
	RoleRegistrar        Role = "registrar"
	RoleReviewer         Role = "reviewer"
	RoleRightsAdmin      Role = "rights_admin"
	RoleScenarioOperator Role = "scenario_operator"
	RoleAuditor          Role = "auditor"
	RoleAdmin            Role = "admin"
	RoleService          Role = "service"
)

// AllRoles lists every valid role.
var AllRoles = []Role{RoleRegistrar, RoleReviewer, RoleRightsAdmin, RoleScenarioOperator,
	RoleAuditor, RoleAdmin, RoleService}

// ValidRole reports whether r is one of AllRoles.
func ValidRole(r Role) bool { return slices.Contains(AllRoles, r) }

// Principal is an authenticated caller.
type Principal struct {
	// Subject is the stable id of the person or system (JWT sub).
	Subject string
	// Organisation is the unit code (统一社会信用代码) the principal acts for.
	Organisation string
	// Roles held within Organisation.
	Roles []Role
}

// Has reports whether the principal holds any of roles.
func (p Principal) Has(roles ...Role) bool {
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

// ReadsAllOrganisations reports whether the principal may read across organisations
// (auditors and admins).
func (p Principal) ReadsAllOrganisations() bool { return p.Has(RoleAuditor, RoleAdmin) }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal in ctx, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
