// Package grpcapi adapts the catalog's application layer to its gRPC API: request and
// response conversion only, no rules.
package grpcapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"
	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/services/catalog/internal/app"
	"yaosu.dev/services/catalog/internal/domain"
	"yaosu.dev/services/catalog/internal/protoconv"
)

// Server implements catalogv1.CatalogServiceServer.
type Server struct {
	catalogv1.UnimplementedCatalogServiceServer
	app *app.App
}

var _ catalogv1.CatalogServiceServer = (*Server)(nil)

// New returns the gRPC adapter of a.
func New(a *app.App) *Server { return &Server{app: a} }

// assetID returns the id of `assets/{id}` (the request validation checked the shape).
func assetID(name string) string { return strings.TrimPrefix(name, "assets/") }

// appIDs splits `assets/{a}/applications/{p}[/objections/{o}]`.
func appIDs(name string) (asset, app, objection string) {
	parts := strings.Split(name, "/")
	if len(parts) >= 4 {
		asset, app = parts[1], parts[3]
	}
	if len(parts) >= 6 {
		objection = parts[5]
	}
	return asset, app, objection
}

// CreateAsset implements catalogv1.CatalogServiceServer.
func (s *Server) CreateAsset(ctx context.Context, req *catalogv1.CreateAssetRequest) (*catalogv1.CreateAssetResponse, error) {
	rec, err := protoconv.Record(req.GetAsset())
	if err != nil {
		return nil, err
	}
	a, err := s.app.CreateAsset(ctx, rec, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &catalogv1.CreateAssetResponse{Asset: protoconv.Asset(a)}, nil
}

// GetAsset implements catalogv1.CatalogServiceServer.
func (s *Server) GetAsset(ctx context.Context, req *catalogv1.GetAssetRequest) (*catalogv1.GetAssetResponse, error) {
	a, err := s.app.GetAsset(ctx, assetID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return &catalogv1.GetAssetResponse{Asset: protoconv.Asset(a)}, nil
}

func enumNames[E interface{ String() string }](in []E) []string {
	out := make([]string, 0, len(in))
	for _, e := range in {
		out = append(out, e.String())
	}
	return out
}

// ListAssets implements catalogv1.CatalogServiceServer.
func (s *Server) ListAssets(ctx context.Context, req *catalogv1.ListAssetsRequest) (*catalogv1.ListAssetsResponse, error) {
	f := app.ListFilter{
		Query: req.GetQuery(), HolderOrganisation: req.GetHolderOrganisation(), Kinds: enumNames(req.GetKinds()),
		Grades: enumNames(req.GetGrades()), Categories: req.GetCategories(), Sectors: req.GetSectors(),
		SharingAttributes: enumNames(req.GetSharingAttributes()), OpenAttributes: enumNames(req.GetOpenAttributes()),
	}
	for _, st := range req.GetStates() {
		f.States = append(f.States, string(protoconv.DomainState(st)))
	}
	if req.GetUpdatedSince() != nil {
		f.UpdatedSince = req.GetUpdatedSince().AsTime()
	}
	assets, next, err := s.app.ListAssets(ctx, f, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &catalogv1.ListAssetsResponse{NextPageToken: next, Assets: make([]*catalogv1.Asset, 0, len(assets))}
	for _, a := range assets {
		resp.Assets = append(resp.Assets, protoconv.Asset(a))
	}
	return resp, nil
}

// UpdateAsset implements catalogv1.CatalogServiceServer.
func (s *Server) UpdateAsset(ctx context.Context, req *catalogv1.UpdateAssetRequest) (*catalogv1.UpdateAssetResponse, error) {
	name := req.GetAsset().GetName()
	if !strings.HasPrefix(name, "assets/") || len(name) != len("assets/")+36 {
		return nil, errs.InvalidArgument(errs.ReasonValidation, errs.Violation("asset.name", "must be assets/{asset}", "应为登记对象名称 assets/{uuid}"))
	}
	a, err := s.app.UpdateAsset(ctx, assetID(name), req.GetAsset(), req.GetUpdateMask().GetPaths(), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &catalogv1.UpdateAssetResponse{Asset: protoconv.Asset(a)}, nil
}

// ListAssetRevisions implements catalogv1.CatalogServiceServer.
func (s *Server) ListAssetRevisions(ctx context.Context, req *catalogv1.ListAssetRevisionsRequest) (*catalogv1.ListAssetRevisionsResponse, error) {
	revs, next, err := s.app.ListRevisions(ctx, assetID(req.GetName()), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &catalogv1.ListAssetRevisionsResponse{NextPageToken: next}
	for _, r := range revs {
		out := &catalogv1.AssetRevision{Revision: r.Number, Action: r.Action, Actor: r.Actor,
			ActorOrganisation: r.ActorOrganisation, Time: timestamppb.New(r.Time), Reason: r.Reason, EventType: r.EventType}
		for _, c := range r.Changes {
			out.Changes = append(out.Changes, &catalogv1.FieldChange{Path: c.Path, OldValue: c.OldValue, NewValue: c.NewValue})
		}
		resp.Revisions = append(resp.Revisions, out)
	}
	return resp, nil
}

var appTypes = map[catalogv1.ApplicationType]domain.AppType{
	catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION: domain.AppFirst,
	catalogv1.ApplicationType_APPLICATION_TYPE_CHANGE:             domain.AppChange,
	catalogv1.ApplicationType_APPLICATION_TYPE_CORRECTION:         domain.AppCorrection,
	catalogv1.ApplicationType_APPLICATION_TYPE_CANCELLATION:       domain.AppCancellation,
}

// SubmitApplication implements catalogv1.CatalogServiceServer.
func (s *Server) SubmitApplication(ctx context.Context, req *catalogv1.SubmitApplicationRequest) (*catalogv1.SubmitApplicationResponse, error) {
	out, err := s.app.SubmitApplication(ctx, assetID(req.GetParent()), appTypes[req.GetType()], req.GetProposed(),
		req.GetUpdateMask().GetPaths(), req.GetReason(), req.GetEtag(), req.GetValidateOnly())
	if err != nil {
		return nil, err
	}
	if req.GetValidateOnly() {
		// It would be filed: nothing was, so there is nothing to return.
		return &catalogv1.SubmitApplicationResponse{}, nil
	}
	return &catalogv1.SubmitApplicationResponse{Application: protoconv.Application(out.Application), Asset: protoconv.Asset(out.Asset)}, nil
}

// GetApplication implements catalogv1.CatalogServiceServer.
func (s *Server) GetApplication(ctx context.Context, req *catalogv1.GetApplicationRequest) (*catalogv1.GetApplicationResponse, error) {
	asset, id, _ := appIDs(req.GetName())
	p, err := s.app.GetApplication(ctx, asset, id)
	if err != nil {
		return nil, err
	}
	return &catalogv1.GetApplicationResponse{Application: protoconv.Application(p)}, nil
}

// ListApplications implements catalogv1.CatalogServiceServer.
func (s *Server) ListApplications(ctx context.Context, req *catalogv1.ListApplicationsRequest) (*catalogv1.ListApplicationsResponse, error) {
	asset := assetID(req.GetParent())
	if asset == "-" {
		asset = ""
	}
	var states []string
	for _, st := range req.GetStates() {
		states = append(states, strings.TrimPrefix(st.String(), "APPLICATION_STATE_"))
	}
	apps, next, err := s.app.ListApplications(ctx, asset, states, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &catalogv1.ListApplicationsResponse{NextPageToken: next}
	for _, p := range apps {
		resp.Applications = append(resp.Applications, protoconv.Application(p))
	}
	return resp, nil
}

var decisions = map[catalogv1.Decision]domain.Action{
	catalogv1.Decision_DECISION_ACCEPT:     domain.ActAccept,
	catalogv1.Decision_DECISION_NOT_ACCEPT: domain.ActNotAccept,
	catalogv1.Decision_DECISION_PASS:       domain.ActPass,
	catalogv1.Decision_DECISION_RETURN:     domain.ActReturn,
	catalogv1.Decision_DECISION_REFUSE:     domain.ActRefuse,
}

// DecideApplication implements catalogv1.CatalogServiceServer.
func (s *Server) DecideApplication(ctx context.Context, req *catalogv1.DecideApplicationRequest) (*catalogv1.DecideApplicationResponse, error) {
	asset, id, _ := appIDs(req.GetName())
	out, err := s.app.Decide(ctx, asset, id, decisions[req.GetDecision()], req.GetReasonCode(), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &catalogv1.DecideApplicationResponse{Application: protoconv.Application(out.Application), Asset: protoconv.Asset(out.Asset)}, nil
}

// ResubmitApplication implements catalogv1.CatalogServiceServer.
func (s *Server) ResubmitApplication(ctx context.Context, req *catalogv1.ResubmitApplicationRequest) (*catalogv1.ResubmitApplicationResponse, error) {
	asset, id, _ := appIDs(req.GetName())
	out, err := s.app.Resubmit(ctx, asset, id, req.GetProposed(), req.GetUpdateMask().GetPaths(), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &catalogv1.ResubmitApplicationResponse{Application: protoconv.Application(out.Application), Asset: protoconv.Asset(out.Asset)}, nil
}

// WithdrawApplication implements catalogv1.CatalogServiceServer.
func (s *Server) WithdrawApplication(ctx context.Context, req *catalogv1.WithdrawApplicationRequest) (*catalogv1.WithdrawApplicationResponse, error) {
	asset, id, _ := appIDs(req.GetName())
	out, err := s.app.Withdraw(ctx, asset, id, req.GetReason())
	if err != nil {
		return nil, err
	}
	return &catalogv1.WithdrawApplicationResponse{Application: protoconv.Application(out.Application), Asset: protoconv.Asset(out.Asset)}, nil
}

// FileObjection implements catalogv1.CatalogServiceServer.
func (s *Server) FileObjection(ctx context.Context, req *catalogv1.FileObjectionRequest) (*catalogv1.FileObjectionResponse, error) {
	asset, id, _ := appIDs(req.GetParent())
	out, err := s.app.FileObjection(ctx, asset, id, req.GetText())
	if err != nil {
		return nil, err
	}
	return &catalogv1.FileObjectionResponse{Objection: protoconv.Objection(out.Application, *out.Objection)}, nil
}

// ResolveObjection implements catalogv1.CatalogServiceServer.
func (s *Server) ResolveObjection(ctx context.Context, req *catalogv1.ResolveObjectionRequest) (*catalogv1.ResolveObjectionResponse, error) {
	asset, id, objection := appIDs(req.GetName())
	out, err := s.app.ResolveObjection(ctx, asset, id, objection,
		req.GetOutcome() == catalogv1.ObjectionState_OBJECTION_STATE_UPHELD, req.GetResolution())
	if err != nil {
		return nil, err
	}
	return &catalogv1.ResolveObjectionResponse{Application: protoconv.Application(out.Application)}, nil
}

// SuspendAsset implements catalogv1.CatalogServiceServer.
func (s *Server) SuspendAsset(ctx context.Context, req *catalogv1.SuspendAssetRequest) (*catalogv1.SuspendAssetResponse, error) {
	in := req.GetIncident()
	a, err := s.app.Suspend(ctx, assetID(req.GetName()), domain.Incident{Summary: in.GetSummary(), Reference: in.GetReference()})
	if err != nil {
		return nil, err
	}
	return &catalogv1.SuspendAssetResponse{Asset: protoconv.Asset(a)}, nil
}

// ReinstateAsset implements catalogv1.CatalogServiceServer.
func (s *Server) ReinstateAsset(ctx context.Context, req *catalogv1.ReinstateAssetRequest) (*catalogv1.ReinstateAssetResponse, error) {
	a, err := s.app.Reinstate(ctx, assetID(req.GetName()), req.GetResolution())
	if err != nil {
		return nil, err
	}
	return &catalogv1.ReinstateAssetResponse{Asset: protoconv.Asset(a)}, nil
}

// RequestDisposal implements catalogv1.CatalogServiceServer.
func (s *Server) RequestDisposal(ctx context.Context, req *catalogv1.RequestDisposalRequest) (*catalogv1.RequestDisposalResponse, error) {
	d := req.GetDisposal()
	a, err := s.app.RequestDisposal(ctx, assetID(req.GetName()), domain.Disposal{Method: d.GetMethod(), Reason: d.GetReason(),
		Evidence: protoconv.Documents(d.GetEvidence())})
	if err != nil {
		return nil, err
	}
	return &catalogv1.RequestDisposalResponse{Asset: protoconv.Asset(a)}, nil
}

// DecideDisposal implements catalogv1.CatalogServiceServer.
func (s *Server) DecideDisposal(ctx context.Context, req *catalogv1.DecideDisposalRequest) (*catalogv1.DecideDisposalResponse, error) {
	a, err := s.app.DecideDisposal(ctx, assetID(req.GetName()), req.GetApprove(), req.GetNote())
	if err != nil {
		return nil, err
	}
	return &catalogv1.DecideDisposalResponse{Asset: protoconv.Asset(a)}, nil
}

// GetCertificate implements catalogv1.CatalogServiceServer.
func (s *Server) GetCertificate(ctx context.Context, req *catalogv1.GetCertificateRequest) (*catalogv1.GetCertificateResponse, error) {
	c, err := s.app.GetCertificate(ctx, assetID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return &catalogv1.GetCertificateResponse{Certificate: protoconv.Certificate(c)}, nil
}

// GetRegistryKey implements catalogv1.CatalogServiceServer.
func (s *Server) GetRegistryKey(ctx context.Context, _ *catalogv1.GetRegistryKeyRequest) (*catalogv1.GetRegistryKeyResponse, error) {
	name, key, err := s.app.RegistryKey(ctx)
	if err != nil {
		return nil, err
	}
	return &catalogv1.GetRegistryKeyResponse{RegistryName: name, VerifierKey: key}, nil
}

var importOutcomes = map[string]catalogv1.ImportRowResult_Outcome{
	app.ImportCreated:   catalogv1.ImportRowResult_OUTCOME_CREATED,
	app.ImportUpdated:   catalogv1.ImportRowResult_OUTCOME_UPDATED,
	app.ImportDuplicate: catalogv1.ImportRowResult_OUTCOME_DUPLICATE,
	app.ImportInvalid:   catalogv1.ImportRowResult_OUTCOME_INVALID,
	app.ImportValid:     catalogv1.ImportRowResult_OUTCOME_VALID,
}

// MaxImportRows is the most rows one ImportAssets call takes (its buf.validate rule).
const MaxImportRows = 1000

// MethodOptions are the platform options of the catalog's methods, by full method name.
// ImportAssets validates only its envelope (the number of rows) in the interceptor: its
// rows are validated one by one in the handler, so that one malformed row makes that row
// INVALID instead of failing the whole batch.
func MethodOptions() map[string]grpcserver.MethodOptions {
	return map[string]grpcserver.MethodOptions{
		catalogv1.CatalogService_ImportAssets_FullMethodName: {Validate: ValidateImportEnvelope},
	}
}

// ValidateImportEnvelope checks what ImportAssets checks of the request as a whole: 1 to
// MaxImportRows rows.
func ValidateImportEnvelope(req any) []errs.FieldViolation {
	r, ok := req.(*catalogv1.ImportAssetsRequest)
	if !ok {
		return []errs.FieldViolation{{Field: "", Description: "not an import request", DescriptionZh: "不是导入请求"}}
	}
	if n := len(r.GetRows()); n < 1 || n > MaxImportRows {
		return []errs.FieldViolation{{Field: "rows",
			Description:   fmt.Sprintf("must hold 1 to %d rows, not %d", MaxImportRows, n),
			DescriptionZh: fmt.Sprintf("每次导入 1 至 %d 行，本次为 %d 行", MaxImportRows, n)}}
	}
	return nil
}

// ImportAssets implements catalogv1.CatalogServiceServer. Each row is checked against its
// field rules here, on its own; the rows that pass go to the application layer, which
// judges them against the domain and the stored assets.
func (s *Server) ImportAssets(ctx context.Context, req *catalogv1.ImportAssetsRequest) (*catalogv1.ImportAssetsResponse, error) {
	resp := &catalogv1.ImportAssetsResponse{Results: make([]*catalogv1.ImportRowResult, len(req.GetRows()))}
	var rows []app.ImportRow
	var at []int
	for i, r := range req.GetRows() {
		violations, err := rowViolations(r)
		if err != nil {
			return nil, err
		}
		if len(violations) > 0 {
			resp.Results[i] = importResult(app.ImportResult{Row: r.GetRow(), Outcome: app.ImportInvalid,
				Reason: errs.ReasonValidation, Violations: violations})
			continue
		}
		rows = append(rows, app.ImportRow{Row: r.GetRow(), Key: canonicalUUID(r.GetImportKey()),
			Existing: canonicalUUID(assetID(r.GetExisting())), Asset: r.GetAsset(), Mask: r.GetUpdateMask().GetPaths()})
		at = append(at, i)
	}
	// Called even when no row passed: the caller's right to import is checked there.
	results, err := s.app.Import(ctx, rows, req.GetValidateOnly())
	if err != nil {
		return nil, err
	}
	for j, r := range results {
		resp.Results[at[j]] = importResult(r)
	}
	return resp, nil
}

// canonicalUUID is id in the one form the store compares (lower case, hyphenated); the
// field rules accept upper case, braces and urn:uuid:, which the store would not match
// (or, cast to uuid, refuse for the whole batch). "" stays "".
func canonicalUUID(id string) string {
	u, err := uuid.Parse(id)
	if err != nil {
		return id
	}
	return u.String()
}

// rowViolations are the field-rule violations of one import row (its buf.validate rules,
// and the shape of existing, which has none there).
func rowViolations(r *catalogv1.ImportRow) ([]errs.FieldViolation, error) {
	violations, err := grpcserver.Violations(r)
	if err != nil {
		return nil, err
	}
	if e := r.GetExisting(); e != "" && (!strings.HasPrefix(e, "assets/") || uuid.Validate(assetID(e)) != nil) {
		violations = append(violations, errs.FieldViolation{Field: "existing",
			Description:   "must name an asset as assets/{id} (the asset id column of an export)",
			DescriptionZh: "须为登记对象标识 assets/{id}（导出文件中的标识列）"})
	}
	return violations, nil
}

// importResult converts a row's result; field paths become relative to the row's Asset
// (`catalogue.resource_code`), the row's own fields keep their names (`existing`).
func importResult(r app.ImportResult) *catalogv1.ImportRowResult {
	out := &catalogv1.ImportRowResult{Row: r.Row, Outcome: importOutcomes[r.Outcome], Asset: r.Asset, Reason: r.Reason}
	for _, v := range r.Violations {
		field := v.Field
		if field == "asset" {
			field = ""
		}
		out.Violations = append(out.Violations, &catalogv1.ImportViolation{Field: strings.TrimPrefix(field, "asset."),
			Description: v.Description, DescriptionZh: v.DescriptionZh})
	}
	return out
}

// ListCodeLists implements catalogv1.CatalogServiceServer.
func (s *Server) ListCodeLists(ctx context.Context, req *catalogv1.ListCodeListsRequest) (*catalogv1.ListCodeListsResponse, error) {
	set, err := s.app.CodeLists(ctx, req.GetVersion())
	if err != nil {
		return nil, err
	}
	resp := &catalogv1.ListCodeListsResponse{Version: set.Version()}
	var cur *catalogv1.CodeList
	for _, c := range set.Codes() {
		if cur == nil || cur.List != c.List {
			cur = &catalogv1.CodeList{List: c.List, Version: set.Version()}
			resp.Lists = append(resp.Lists, cur)
		}
		cur.Codes = append(cur.Codes, &catalogv1.Code{Code: c.Code, LabelZh: c.LabelZh, LabelEn: c.LabelEn, Parent: c.Parent,
			Aliases: c.Aliases})
	}
	return resp, nil
}
