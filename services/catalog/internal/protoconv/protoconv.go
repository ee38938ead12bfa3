// Package protoconv converts catalog aggregates to their API and event messages and back;
// the gRPC layer and the event builders share it so an asset looks the same in both.
package protoconv

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/catalog/internal/domain"
)

// outputOnly are the Asset fields the server sets; clients' values are ignored.
var outputOnly = map[string]bool{"name": true, "state": true, "revision": true, "etag": true, "creator": true,
	"create_time": true, "update_time": true, "registration_number": true, "register_time": true,
	"open_application": true, "incident": true, "disposal": true}

// Immutable are the fields that never change after creation.
var Immutable = map[string]bool{"holder_organisation": true}

var states = func() map[domain.State]catalogv1.AssetState {
	m := map[domain.State]catalogv1.AssetState{}
	for _, s := range domain.AllStates {
		m[s] = catalogv1.AssetState(catalogv1.AssetState_value["ASSET_STATE_"+string(s)])
	}
	return m
}()

// State converts a domain state.
func State(s domain.State) catalogv1.AssetState { return states[s] }

// DomainState converts an API state ("" for UNSPECIFIED).
func DomainState(s catalogv1.AssetState) domain.State {
	if s == catalogv1.AssetState_ASSET_STATE_UNSPECIFIED {
		return ""
	}
	return domain.State(strings.TrimPrefix(s.String(), "ASSET_STATE_"))
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// Asset converts an asset.
func Asset(a *domain.Asset) *catalogv1.Asset {
	s := a.Snapshot()
	out := RecordProto(s.Record)
	out.Name = a.Name()
	out.State = State(s.State)
	out.Revision = s.Revision
	out.Etag = a.ETag()
	out.Creator = s.Creator
	out.CreateTime = ts(s.CreateTime)
	out.UpdateTime = ts(s.UpdateTime)
	out.RegistrationNumber = s.RegistrationNumber
	out.RegisterTime = ts(s.RegisterTime)
	if s.OpenApplication != "" {
		out.OpenApplication = a.Name() + "/applications/" + s.OpenApplication
	}
	if in := s.Incident; in != nil {
		out.Incident = &catalogv1.Incident{Summary: in.Summary, Reference: in.Reference, Reporter: in.Reporter,
			ReportTime: ts(in.ReportTime)}
	}
	if d := s.Disposal; d != nil {
		out.Disposal = &catalogv1.Disposal{Method: d.Method, Reason: d.Reason, Evidence: documents(d.Evidence),
			State:     catalogv1.DisposalState(catalogv1.DisposalState_value["DISPOSAL_STATE_"+d.State]),
			Requester: d.Requester, RequestTime: ts(d.RequestTime), Decider: d.Decider, DecideTime: ts(d.DecideTime),
			DecisionNote: d.DecisionNote}
	}
	return out
}

func documents(in []domain.Document) []*catalogv1.Document {
	out := make([]*catalogv1.Document, len(in))
	for i, d := range in {
		out[i] = &catalogv1.Document{Name: d.Name, Sha256: d.SHA256, SizeBytes: d.SizeBytes, Kind: d.Kind}
	}
	return out
}

// Documents converts API documents.
func Documents(in []*catalogv1.Document) []domain.Document {
	out := make([]domain.Document, len(in))
	for i, d := range in {
		out[i] = domain.Document{Name: d.GetName(), SHA256: d.GetSha256(), SizeBytes: d.GetSizeBytes(), Kind: d.GetKind()}
	}
	return out
}

// Application converts an application.
func Application(p *domain.Application) *catalogv1.Application {
	out := &catalogv1.Application{
		Name:                  p.Name(),
		Type:                  catalogv1.ApplicationType(catalogv1.ApplicationType_value["APPLICATION_TYPE_"+string(p.Type)]),
		State:                 catalogv1.ApplicationState(catalogv1.ApplicationState_value["APPLICATION_STATE_"+string(p.State)]),
		Reason:                p.Reason,
		Submitter:             p.Submitter,
		SubmitterOrganisation: p.SubmitterOrganisation,
		SubmitTime:            ts(p.SubmitTime),
		UpdateTime:            ts(p.UpdateTime),
		PublicityStart:        ts(p.PublicityStart),
		PublicityEnd:          ts(p.PublicityEnd),
		AssetRevision:         p.AssetRevision,
	}
	if p.Proposed != nil {
		out.Proposed = RecordProto(*p.Proposed)
	}
	for _, h := range p.History {
		out.History = append(out.History, &catalogv1.DecisionRecord{Action: h.Action, Actor: h.Actor, Time: ts(h.Time),
			ReasonCode: h.ReasonCode, Reason: h.Reason})
	}
	for _, o := range p.Objections {
		out.Objections = append(out.Objections, Objection(p, o))
	}
	return out
}

// Objection converts an objection.
func Objection(p *domain.Application, o domain.Objection) *catalogv1.Objection {
	return &catalogv1.Objection{
		Name: p.ObjectionName(o), Text: o.Text, Filer: o.Filer, FilerOrganisation: o.FilerOrganisation,
		FileTime: ts(o.FileTime), State: catalogv1.ObjectionState(catalogv1.ObjectionState_value["OBJECTION_STATE_"+o.State]),
		Resolver: o.Resolver, ResolveTime: ts(o.ResolveTime), Resolution: o.Resolution,
	}
}

// Certificate converts a certificate.
func Certificate(c *domain.Certificate) *catalogv1.Certificate {
	return &catalogv1.Certificate{
		RegistrationNumber: c.RegistrationNumber, Asset: "assets/" + c.AssetID, AssetName: c.AssetName,
		HolderOrganisation: c.HolderOrganisation, HolderName: c.HolderName,
		Grade:     catalogv1.Grade(catalogv1.Grade_value["GRADE_"+c.Grade]),
		IssueDate: c.IssueDate, RegistryName: c.RegistryName, Serial: c.Serial, SignedNote: c.Note,
		Revoked: !c.RevokeTime.IsZero(), RevokeTime: ts(c.RevokeTime), RevokeReason: c.RevokeReason,
	}
}

// WritablePaths are the paths of paths a client may write (not output only, not
// immutable): an import row's mask names every column of its sheet, the asset id and the
// holder included, which identify the asset rather than change it.
func WritablePaths(paths []string) []string {
	var out []string
	for _, p := range paths {
		if top, _, _ := strings.Cut(p, "."); !outputOnly[top] && !Immutable[top] {
			out = append(out, p)
		}
	}
	return out
}

// ApplyMask copies the fields at paths from src into dst (both Assets). A path is a field
// name or a dotted path into a message field (`catalogue.resource_code`); `*` means every
// writable field. Output-only and immutable fields are refused, as are unknown paths.
func ApplyMask(dst, src *catalogv1.Asset, paths []string) error {
	if len(paths) == 0 {
		return errs.InvalidArgument(errs.ReasonValidation, errs.Violation("update_mask", "name the fields to change, or *", "请列出要修改的字段，或用 * 表示全部"))
	}
	if len(paths) == 1 && paths[0] == "*" {
		paths = nil
		fields := dst.ProtoReflect().Descriptor().Fields()
		for i := 0; i < fields.Len(); i++ {
			if n := string(fields.Get(i).Name()); !outputOnly[n] && !Immutable[n] {
				paths = append(paths, n)
			}
		}
	}
	for _, p := range paths {
		top, _, _ := strings.Cut(p, ".")
		if outputOnly[top] || Immutable[top] {
			return errs.InvalidArgument(domain.ReasonImmutableField, errs.Violation("update_mask",
				fmt.Sprintf("%s is output only or immutable", p), fmt.Sprintf("%s 为只读或不可修改的字段", p)))
		}
		if err := copyPath(dst.ProtoReflect(), src.ProtoReflect(), strings.Split(p, ".")); err != nil {
			return errs.InvalidArgument(errs.ReasonValidation, errs.Violation("update_mask",
				fmt.Sprintf("%s: %v", p, err), fmt.Sprintf("%s：不是可修改的字段路径（%v）", p, err)))
		}
	}
	return nil
}

func copyPath(dst, src protoreflect.Message, path []string) error {
	fd := dst.Descriptor().Fields().ByName(protoreflect.Name(path[0]))
	if fd == nil {
		return fmt.Errorf("no field %q", path[0])
	}
	if len(path) == 1 {
		if src.Has(fd) {
			dst.Set(fd, src.Get(fd))
		} else {
			dst.Clear(fd)
		}
		return nil
	}
	if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() {
		return fmt.Errorf("%q has no sub-fields", path[0])
	}
	// An unset source message reads as an empty one, so copying from it clears the field.
	return copyPath(dst.Mutable(fd).Message(), src.Get(fd).Message(), path[1:])
}
