// Package protoconv converts rights aggregates to their API and event messages and back.
package protoconv

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/services/rights/internal/domain"
)

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// Right converts a domain right.
func Right(r domain.Right) rightsv1.Right {
	return rightsv1.Right(rightsv1.Right_value["RIGHT_"+string(r)])
}

// DomainRight converts an API right.
func DomainRight(r rightsv1.Right) domain.Right {
	if d, ok := domainRights[r]; ok {
		return d
	}
	return domain.Right(strings.TrimPrefix(r.String(), "RIGHT_"))
}

// domainRights and domainForms convert the defined values (on every check) without the
// enum's String, which looks the name up through the descriptor.
var (
	domainRights = func() map[rightsv1.Right]domain.Right {
		out := make(map[rightsv1.Right]domain.Right, len(rightsv1.Right_name))
		for v, name := range rightsv1.Right_name {
			out[rightsv1.Right(v)] = domain.Right(strings.TrimPrefix(name, "RIGHT_"))
		}
		return out
	}()
	domainForms = func() map[rightsv1.DeliveryForm]string {
		out := make(map[rightsv1.DeliveryForm]string, len(rightsv1.DeliveryForm_name))
		for v, name := range rightsv1.DeliveryForm_name {
			out[rightsv1.DeliveryForm(v)] = strings.TrimPrefix(name, "DELIVERY_FORM_")
		}
		return out
	}()
)

// State converts a grant state.
func State(s domain.State) rightsv1.GrantState {
	return rightsv1.GrantState(rightsv1.GrantState_value["GRANT_STATE_"+string(s)])
}

// Form converts a delivery form.
func Form(f string) rightsv1.DeliveryForm {
	return rightsv1.DeliveryForm(rightsv1.DeliveryForm_value["DELIVERY_FORM_"+f])
}

// DomainForm converts an API delivery form.
func DomainForm(f rightsv1.DeliveryForm) string {
	if d, ok := domainForms[f]; ok {
		return d
	}
	return strings.TrimPrefix(f.String(), "DELIVERY_FORM_")
}

// Forms converts API delivery forms.
func Forms(in []rightsv1.DeliveryForm) []string {
	out := make([]string, len(in))
	for i, f := range in {
		out[i] = DomainForm(f)
	}
	return out
}

// LegalBasis converts a legal basis.
func LegalBasis(b domain.LegalBasis) *rightsv1.LegalBasis {
	return &rightsv1.LegalBasis{Kind: rightsv1.LegalBasisKind(rightsv1.LegalBasisKind_value["LEGAL_BASIS_KIND_"+b.Kind]),
		DocumentNumber: b.DocumentNumber, Title: b.Title, Sha256: b.SHA256}
}

// DomainLegalBasis converts an API legal basis.
func DomainLegalBasis(b *rightsv1.LegalBasis) domain.LegalBasis {
	return domain.LegalBasis{Kind: strings.TrimPrefix(b.GetKind().String(), "LEGAL_BASIS_KIND_"),
		DocumentNumber: b.GetDocumentNumber(), Title: b.GetTitle(), SHA256: b.GetSha256()}
}

// Grant converts a grant.
func Grant(g *domain.Grant) *rightsv1.Grant {
	out := &rightsv1.Grant{
		Name: g.Name(), Asset: "assets/" + g.AssetID, Right: Right(g.Right), GrantorOrganisation: g.Grantor,
		GranteeOrganisation: g.Grantee, Depth: int32(g.Depth), LegalBasis: LegalBasis(g.LegalBasis),
		Scope:     &rightsv1.Scope{Purposes: g.Scope.Purposes, OtherPurpose: g.Scope.OtherPurpose, Regions: g.Scope.Regions},
		ValidFrom: ts(g.ValidFrom), ValidUntil: ts(g.ValidUntil), Exclusive: g.Exclusive, AuthorisedOperation: g.AuthorisedOperation,
		SublicenseDepth: int32(g.SublicenseDepth), FeeTerms: rightsv1.FeeTerms(rightsv1.FeeTerms_value["FEE_TERMS_"+g.FeeTerms]),
		Condition: g.Condition, State: State(g.State), StateReason: g.StateReason, Justification: g.Justification,
		Requester: g.Requester, Approver: g.Approver, Revision: g.Revision, Etag: g.ETag(),
		CreateTime: ts(g.CreateTime), UpdateTime: ts(g.UpdateTime),
	}
	if g.ParentID != "" {
		out.Parent = "grants/" + g.ParentID
	}
	for _, f := range g.Scope.DeliveryForms {
		out.Scope.DeliveryForms = append(out.Scope.DeliveryForms, Form(f))
	}
	return out
}

// DomainGrant converts the client-settable fields of an API grant.
func DomainGrant(in *rightsv1.Grant) domain.Grant {
	return domain.Grant{
		AssetID: strings.TrimPrefix(in.GetAsset(), "assets/"), Right: DomainRight(in.GetRight()),
		Grantee: in.GetGranteeOrganisation(), ParentID: strings.TrimPrefix(in.GetParent(), "grants/"),
		LegalBasis: DomainLegalBasis(in.GetLegalBasis()),
		Scope: domain.Scope{Purposes: in.GetScope().GetPurposes(), OtherPurpose: in.GetScope().GetOtherPurpose(),
			DeliveryForms: Forms(in.GetScope().GetDeliveryForms()), Regions: in.GetScope().GetRegions()},
		ValidFrom: in.GetValidFrom().AsTime().UTC().Truncate(time.Microsecond), ValidUntil: in.GetValidUntil().AsTime().UTC().Truncate(time.Microsecond),
		Exclusive: in.GetExclusive(), AuthorisedOperation: in.GetAuthorisedOperation(), SublicenseDepth: int(in.GetSublicenseDepth()),
		FeeTerms: strings.TrimPrefix(in.GetFeeTerms().String(), "FEE_TERMS_"), Condition: strings.TrimSpace(in.GetCondition()),
		Justification: in.GetJustification(),
	}
}

// Denial converts a denial reason.
func Denial(r string) rightsv1.DenialReason { return denials[r] }

// denials converts denial reasons (on every denied check) without building
// "DENIAL_REASON_"+reason.
var denials = func() map[string]rightsv1.DenialReason {
	out := make(map[string]rightsv1.DenialReason, len(rightsv1.DenialReason_value))
	for name, v := range rightsv1.DenialReason_value {
		out[strings.TrimPrefix(name, "DENIAL_REASON_")] = rightsv1.DenialReason(v)
	}
	return out
}()

// Decision converts a check decision.
func Decision(d domain.Decision) *rightsv1.CheckResponse {
	return &rightsv1.CheckResponse{Allowed: d.Allowed, Chain: d.Chain, Holder: d.Holder, DenialReason: Denial(d.Denial), Detail: d.Detail}
}
