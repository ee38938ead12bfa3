package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

// The fake's side of the registration workflow, certificates, import and code lists: it
// records each request and answers with a fixed application or asset.

const (
	fakeAsset = "assets/0198c6f2-7a4e-7b61-9f0e-2d1c3b4a5e6f"
	fakeApp   = fakeAsset + "/applications/0198c6f3-0000-7000-8000-000000000001"
)

func (f *fakeCatalog) keep(ctx context.Context, req proto.Message) error {
	if err := f.record(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	return nil
}

// lastRequest returns the last request of type T.
func lastRequest[T proto.Message](f *fakeCatalog) T {
	f.mu.Lock()
	defer f.mu.Unlock()
	var zero T
	for i := len(f.requests) - 1; i >= 0; i-- {
		if r, ok := f.requests[i].(T); ok {
			return r
		}
	}
	return zero
}

func fakeApplication(state catalogv1.ApplicationState) *catalogv1.Application {
	return &catalogv1.Application{Name: fakeApp, Type: catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, State: state,
		Submitter: "li.wei", SubmitterOrganisation: testOrg}
}

func (f *fakeCatalog) UpdateAsset(ctx context.Context, req *catalogv1.UpdateAssetRequest) (*catalogv1.UpdateAssetResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	a := proto.CloneOf(req.GetAsset())
	a.State, a.Revision = catalogv1.AssetState_ASSET_STATE_DRAFT, 2
	return &catalogv1.UpdateAssetResponse{Asset: a}, nil
}

func (f *fakeCatalog) SubmitApplication(ctx context.Context, req *catalogv1.SubmitApplicationRequest) (*catalogv1.SubmitApplicationResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	f.mu.Lock()
	oldServer := f.oldServer
	f.mu.Unlock()
	if req.GetValidateOnly() && !oldServer {
		return &catalogv1.SubmitApplicationResponse{}, nil
	}
	app := fakeApplication(catalogv1.ApplicationState_APPLICATION_STATE_SUBMITTED)
	app.Type = req.GetType()
	return &catalogv1.SubmitApplicationResponse{Application: app,
		Asset: &catalogv1.Asset{Name: req.GetParent(), State: catalogv1.AssetState_ASSET_STATE_SUBMITTED, OpenApplication: fakeApp}}, nil
}

func (f *fakeCatalog) GetApplication(ctx context.Context, req *catalogv1.GetApplicationRequest) (*catalogv1.GetApplicationResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	app := fakeApplication(catalogv1.ApplicationState_APPLICATION_STATE_IN_PUBLICITY)
	app.History = []*catalogv1.DecisionRecord{{Action: "submit", Actor: "li.wei"}, {Action: "accept", Actor: "wang.fang"}}
	app.Objections = []*catalogv1.Objection{{Name: fakeApp + "/objections/0198c6f4-0000-7000-8000-000000000001", Text: "权属有争议",
		State: catalogv1.ObjectionState_OBJECTION_STATE_RAISED, Filer: "zhao.lei"}}
	return &catalogv1.GetApplicationResponse{Application: app}, nil
}

func (f *fakeCatalog) ListApplications(ctx context.Context, req *catalogv1.ListApplicationsRequest) (*catalogv1.ListApplicationsResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	return &catalogv1.ListApplicationsResponse{Applications: []*catalogv1.Application{fakeApplication(catalogv1.ApplicationState_APPLICATION_STATE_SUBMITTED)}}, nil
}

func (f *fakeCatalog) DecideApplication(ctx context.Context, req *catalogv1.DecideApplicationRequest) (*catalogv1.DecideApplicationResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	return &catalogv1.DecideApplicationResponse{Application: fakeApplication(catalogv1.ApplicationState_APPLICATION_STATE_ACCEPTED),
		Asset: &catalogv1.Asset{Name: fakeAsset, State: catalogv1.AssetState_ASSET_STATE_ACCEPTED}}, nil
}

func (f *fakeCatalog) ResubmitApplication(ctx context.Context, req *catalogv1.ResubmitApplicationRequest) (*catalogv1.ResubmitApplicationResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	return &catalogv1.ResubmitApplicationResponse{Application: fakeApplication(catalogv1.ApplicationState_APPLICATION_STATE_SUBMITTED)}, nil
}

func (f *fakeCatalog) WithdrawApplication(ctx context.Context, req *catalogv1.WithdrawApplicationRequest) (*catalogv1.WithdrawApplicationResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	return &catalogv1.WithdrawApplicationResponse{Application: fakeApplication(catalogv1.ApplicationState_APPLICATION_STATE_WITHDRAWN)}, nil
}

func (f *fakeCatalog) FileObjection(ctx context.Context, req *catalogv1.FileObjectionRequest) (*catalogv1.FileObjectionResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	return &catalogv1.FileObjectionResponse{Objection: &catalogv1.Objection{Name: req.GetParent() + "/objections/x", Text: req.GetText(),
		State: catalogv1.ObjectionState_OBJECTION_STATE_RAISED}}, nil
}

func (f *fakeCatalog) ResolveObjection(ctx context.Context, req *catalogv1.ResolveObjectionRequest) (*catalogv1.ResolveObjectionResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	return &catalogv1.ResolveObjectionResponse{Application: fakeApplication(catalogv1.ApplicationState_APPLICATION_STATE_IN_PUBLICITY)}, nil
}

func (f *fakeCatalog) SuspendAsset(ctx context.Context, req *catalogv1.SuspendAssetRequest) (*catalogv1.SuspendAssetResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	return &catalogv1.SuspendAssetResponse{Asset: &catalogv1.Asset{Name: req.GetName(), State: catalogv1.AssetState_ASSET_STATE_SUSPENDED,
		Incident: req.GetIncident()}}, nil
}

func (f *fakeCatalog) RequestDisposal(ctx context.Context, req *catalogv1.RequestDisposalRequest) (*catalogv1.RequestDisposalResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	return &catalogv1.RequestDisposalResponse{Asset: &catalogv1.Asset{Name: req.GetName(), Disposal: req.GetDisposal()}}, nil
}

func (f *fakeCatalog) DecideDisposal(ctx context.Context, req *catalogv1.DecideDisposalRequest) (*catalogv1.DecideDisposalResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	return &catalogv1.DecideDisposalResponse{Asset: &catalogv1.Asset{Name: req.GetName(), State: catalogv1.AssetState_ASSET_STATE_DISPOSED}}, nil
}

func (f *fakeCatalog) ListAssetRevisions(ctx context.Context, req *catalogv1.ListAssetRevisionsRequest) (*catalogv1.ListAssetRevisionsResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	if req.GetPageToken() == "" {
		return &catalogv1.ListAssetRevisionsResponse{NextPageToken: "p2", Revisions: []*catalogv1.AssetRevision{
			{Revision: 2, Action: "update", Actor: "li.wei", ActorOrganisation: testOrg, Reason: "补充摘要",
				Changes: []*catalogv1.FieldChange{{Path: "summary"}, {Path: "catalogue.resource_code"}}}}}, nil
	}
	return &catalogv1.ListAssetRevisionsResponse{Revisions: []*catalogv1.AssetRevision{{Revision: 1, Action: "create", Actor: "li.wei"}}}, nil
}

func (f *fakeCatalog) ListCodeLists(ctx context.Context, req *catalogv1.ListCodeListsRequest) (*catalogv1.ListCodeListsResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	if f.codeLists == nil {
		return nil, status.Error(codes.Unimplemented, "no code lists")
	}
	if req.GetVersion() != "" && req.GetVersion() != f.codeLists.GetVersion() {
		return nil, status.Errorf(codes.NotFound, "no code-list version %s", req.GetVersion())
	}
	return f.codeLists, nil
}

// holderPattern is the server's rule for a holder code (the shape of a unified social
// credit code), as a field rule would check it.
var holderPattern = regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$`)

// ImportAssets judges each row on its own as the real server does: a row matches the asset
// it names (existing) or the asset its import key created before; a match with other values
// is UPDATED, with the same values DUPLICATE; no match is CREATED; core data and a malformed
// holder code are INVALID. validate_only writes nothing and answers VALID for the rows that
// would be written. With wholeBatch set it behaves as servers before per-row validation
// did: one malformed holder code fails the whole call with INVALID_ARGUMENT.
func (f *fakeCatalog) ImportAssets(ctx context.Context, req *catalogv1.ImportAssetsRequest) (*catalogv1.ImportAssetsResponse, error) {
	if err := f.record(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.imports = append(f.imports, req)
	if f.imported == nil {
		f.imported = map[string]string{}
	}
	if f.wholeBatch {
		if err := wholeBatchError(req, f.wholeBatchUnnamed); err != nil {
			return nil, err
		}
	}
	resp := &catalogv1.ImportAssetsResponse{}
	for _, r := range req.GetRows() {
		resp.Results = append(resp.Results, f.importRow(r, req.GetValidateOnly()))
	}
	return resp, nil
}

func (f *fakeCatalog) importRow(r *catalogv1.ImportRow, validateOnly bool) *catalogv1.ImportRowResult {
	res := &catalogv1.ImportRowResult{Row: r.GetRow()}
	invalid := func(reason, field, en, zh string) *catalogv1.ImportRowResult {
		res.Outcome, res.Reason = catalogv1.ImportRowResult_OUTCOME_INVALID, reason
		res.Violations = []*catalogv1.ImportViolation{{Field: field, Description: en, DescriptionZh: zh}}
		return res
	}
	a := r.GetAsset()
	switch {
	case !holderPattern.MatchString(a.GetHolderOrganisation()):
		return invalid("VALIDATION_FAILED", "holder_organisation", "must be a unified social credit code of 18 characters",
			"应为 18 位统一社会信用代码")
	case a.GetGrade() == catalogv1.Grade_GRADE_CORE:
		return invalid("ERROR_REASON_CORE_DATA_NOT_REGISTRABLE", "grade", "core data cannot be registered", "核心数据不能登记")
	}
	name := r.GetExisting()
	if name == "" {
		name = f.imported[r.GetImportKey()]
	}
	if name == "" {
		res.Outcome = catalogv1.ImportRowResult_OUTCOME_CREATED
		if validateOnly {
			res.Outcome = catalogv1.ImportRowResult_OUTCOME_VALID
			return res
		}
		name = fmt.Sprintf("assets/00000000-0000-7000-8000-%012d", len(f.assets)+1)
		f.imported[r.GetImportKey()] = name
		stored := proto.CloneOf(a)
		stored.Name = name
		f.assets = append(f.assets, stored)
		res.Asset = name
		return res
	}
	i := slices.IndexFunc(f.assets, func(s *catalogv1.Asset) bool { return s.GetName() == name })
	if i < 0 {
		return invalid("ERROR_REASON_ASSET_NOT_FOUND", "name", "no such asset: "+name, "没有这个登记对象："+name)
	}
	res.Asset = name
	stored := proto.CloneOf(a)
	stored.Name = name
	switch {
	case proto.Equal(stored, f.assets[i]):
		res.Outcome = catalogv1.ImportRowResult_OUTCOME_DUPLICATE
	case validateOnly:
		res.Outcome = catalogv1.ImportRowResult_OUTCOME_VALID
	default:
		res.Outcome = catalogv1.ImportRowResult_OUTCOME_UPDATED
		f.assets[i] = stored
	}
	return res
}

// wholeBatchError is the refusal of a server that validated a request as a whole: the first
// malformed holder code, by its index in the request, with a raw pattern; unnamed, a bare
// status without details.
func wholeBatchError(req *catalogv1.ImportAssetsRequest, unnamed bool) error {
	for i, r := range req.GetRows() {
		if !holderPattern.MatchString(r.GetAsset().GetHolderOrganisation()) {
			if unnamed {
				return status.Error(codes.InvalidArgument, "validation failed")
			}
			st, err := status.New(codes.InvalidArgument, "validation failed").WithDetails(&errdetails.BadRequest{
				FieldViolations: []*errdetails.BadRequest_FieldViolation{{
					Field:       fmt.Sprintf("rows[%d].asset.holder_organisation", i),
					Description: "value does not match regex pattern `" + holderPattern.String() + "`",
				}},
			})
			if err != nil {
				return err
			}
			return st.Err()
		}
	}
	return nil
}

func (f *fakeCatalog) GetCertificate(ctx context.Context, req *catalogv1.GetCertificateRequest) (*catalogv1.GetCertificateResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	return &catalogv1.GetCertificateResponse{Certificate: f.cert}, nil
}

func (f *fakeCatalog) GetRegistryKey(ctx context.Context, req *catalogv1.GetRegistryKeyRequest) (*catalogv1.GetRegistryKeyResponse, error) {
	if err := f.keep(ctx, req); err != nil {
		return nil, err
	}
	return &catalogv1.GetRegistryKeyResponse{RegistryName: "yaosu.test/registry", VerifierKey: f.vkey}, nil
}
