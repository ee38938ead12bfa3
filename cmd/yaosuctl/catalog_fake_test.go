package main

import (
	"context"
	"fmt"

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

// ImportAssets creates a row unless its key was imported before; core data is invalid, as
// the real server rules.
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
	resp := &catalogv1.ImportAssetsResponse{}
	for _, r := range req.GetRows() {
		res := &catalogv1.ImportRowResult{Row: r.GetRow()}
		switch name, seen := f.imported[r.GetImportKey()]; {
		case seen:
			res.Outcome, res.Asset = catalogv1.ImportRowResult_OUTCOME_DUPLICATE, name
		case r.GetAsset().GetGrade() == catalogv1.Grade_GRADE_CORE:
			res.Outcome, res.Reason = catalogv1.ImportRowResult_OUTCOME_INVALID, "ERROR_REASON_CORE_DATA_NOT_REGISTRABLE"
			res.Violations = []*catalogv1.ImportViolation{{Field: "grade", Description: "core data cannot be registered"}}
		default:
			name := fmt.Sprintf("assets/00000000-0000-7000-8000-%012d", len(f.imported)+1)
			f.imported[r.GetImportKey()] = name
			a := proto.CloneOf(r.GetAsset())
			a.Name = name
			f.assets = append(f.assets, a)
			res.Outcome, res.Asset = catalogv1.ImportRowResult_OUTCOME_CREATED, name
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
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
