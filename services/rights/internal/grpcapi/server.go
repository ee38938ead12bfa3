// Package grpcapi adapts the rights application layer to its gRPC API: conversion only.
package grpcapi

import (
	"context"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/services/rights/internal/app"
	"yaosu.dev/services/rights/internal/domain"
	"yaosu.dev/services/rights/internal/protoconv"
	"yaosu.dev/services/rights/internal/store"
)

// Sampling of the high-rate checks' log lines and traces (grpcserver.MethodOptions):
// one in checkSample calls, one in batchSample batches. Denied checks are counted and
// published (rights.check.denied), and every check is counted by result (metrics),
// whichever are sampled.
const (
	checkSample = 100
	batchSample = 10
)

// MethodOptions are the platform options of the API's high-rate methods, by full method
// name: hand-written validation equivalent to their buf.validate rules, and sampled log
// lines and traces.
func MethodOptions() map[string]grpcserver.MethodOptions {
	return map[string]grpcserver.MethodOptions{
		rightsv1.RightsService_Check_FullMethodName: {Validate: ValidateCheck, LogEvery: checkSample,
			TraceEvery: checkSample},
		rightsv1.RightsService_BatchCheck_FullMethodName: {Validate: ValidateBatchCheck, LogEvery: batchSample,
			TraceEvery: batchSample},
	}
}

// Server implements rightsv1.RightsServiceServer.
type Server struct {
	rightsv1.UnimplementedRightsServiceServer
	app *app.App
}

var _ rightsv1.RightsServiceServer = (*Server)(nil)

// New returns the gRPC adapter of a.
func New(a *app.App) *Server { return &Server{app: a} }

func grantID(name string) string { return strings.TrimPrefix(name, "grants/") }
func assetID(name string) string { return strings.TrimPrefix(name, "assets/") }

// RequestGrant implements rightsv1.RightsServiceServer.
func (s *Server) RequestGrant(ctx context.Context, req *rightsv1.RequestGrantRequest) (*rightsv1.RequestGrantResponse, error) {
	g, err := s.app.RequestGrant(ctx, protoconv.DomainGrant(req.GetGrant()), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &rightsv1.RequestGrantResponse{Grant: protoconv.Grant(g)}, nil
}

// CreateGrant implements rightsv1.RightsServiceServer.
func (s *Server) CreateGrant(ctx context.Context, req *rightsv1.CreateGrantRequest) (*rightsv1.CreateGrantResponse, error) {
	g, err := s.app.CreateGrant(ctx, protoconv.DomainGrant(req.GetGrant()), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &rightsv1.CreateGrantResponse{Grant: protoconv.Grant(g)}, nil
}

// ApproveGrant implements rightsv1.RightsServiceServer.
func (s *Server) ApproveGrant(ctx context.Context, req *rightsv1.ApproveGrantRequest) (*rightsv1.ApproveGrantResponse, error) {
	g, err := s.app.Approve(ctx, grantID(req.GetName()), req.GetEtag())
	if err != nil {
		return nil, err
	}
	return &rightsv1.ApproveGrantResponse{Grant: protoconv.Grant(g)}, nil
}

// RejectGrant implements rightsv1.RightsServiceServer.
func (s *Server) RejectGrant(ctx context.Context, req *rightsv1.RejectGrantRequest) (*rightsv1.RejectGrantResponse, error) {
	g, err := s.app.Reject(ctx, grantID(req.GetName()), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &rightsv1.RejectGrantResponse{Grant: protoconv.Grant(g)}, nil
}

// RevokeGrant implements rightsv1.RightsServiceServer.
func (s *Server) RevokeGrant(ctx context.Context, req *rightsv1.RevokeGrantRequest) (*rightsv1.RevokeGrantResponse, error) {
	g, cascaded, err := s.app.Revoke(ctx, grantID(req.GetName()), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &rightsv1.RevokeGrantResponse{Grant: protoconv.Grant(g), Cascaded: cascaded}, nil
}

// SuspendGrant implements rightsv1.RightsServiceServer.
func (s *Server) SuspendGrant(ctx context.Context, req *rightsv1.SuspendGrantRequest) (*rightsv1.SuspendGrantResponse, error) {
	g, cascaded, err := s.app.Suspend(ctx, grantID(req.GetName()), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &rightsv1.SuspendGrantResponse{Grant: protoconv.Grant(g), Cascaded: cascaded}, nil
}

// ReinstateGrant implements rightsv1.RightsServiceServer.
func (s *Server) ReinstateGrant(ctx context.Context, req *rightsv1.ReinstateGrantRequest) (*rightsv1.ReinstateGrantResponse, error) {
	g, cascaded, err := s.app.Reinstate(ctx, grantID(req.GetName()), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &rightsv1.ReinstateGrantResponse{Grant: protoconv.Grant(g), Cascaded: cascaded}, nil
}

// GetGrant implements rightsv1.RightsServiceServer.
func (s *Server) GetGrant(ctx context.Context, req *rightsv1.GetGrantRequest) (*rightsv1.GetGrantResponse, error) {
	g, err := s.app.GetGrant(ctx, grantID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return &rightsv1.GetGrantResponse{Grant: protoconv.Grant(g)}, nil
}

// ListGrants implements rightsv1.RightsServiceServer.
func (s *Server) ListGrants(ctx context.Context, req *rightsv1.ListGrantsRequest) (*rightsv1.ListGrantsResponse, error) {
	q := store.GrantQuery{AssetID: assetID(req.GetAsset()), Grantor: req.GetGrantorOrganisation(),
		Grantee: req.GetGranteeOrganisation(), Limit: int(req.GetPageSize())}
	if req.GetRight() != rightsv1.Right_RIGHT_UNSPECIFIED {
		q.Right = string(protoconv.DomainRight(req.GetRight()))
	}
	for _, st := range req.GetStates() {
		q.States = append(q.States, strings.TrimPrefix(st.String(), "GRANT_STATE_"))
	}
	grants, next, err := s.app.ListGrants(ctx, q, req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &rightsv1.ListGrantsResponse{NextPageToken: next}
	for _, g := range grants {
		resp.Grants = append(resp.Grants, protoconv.Grant(g))
	}
	return resp, nil
}

// ListGrantHistory implements rightsv1.RightsServiceServer.
func (s *Server) ListGrantHistory(ctx context.Context, req *rightsv1.ListGrantHistoryRequest) (*rightsv1.ListGrantHistoryResponse, error) {
	rows, err := s.app.History(ctx, grantID(req.GetName()))
	if err != nil {
		return nil, err
	}
	resp := &rightsv1.ListGrantHistoryResponse{}
	for _, h := range rows {
		resp.Changes = append(resp.Changes, &rightsv1.GrantChange{Revision: h.Revision, State: protoconv.State(h.State),
			Action: h.Action, Actor: h.Actor, Reason: h.Reason, Time: timestamppb.New(h.Time)})
	}
	return resp, nil
}

// TransferRight implements rightsv1.RightsServiceServer.
func (s *Server) TransferRight(ctx context.Context, req *rightsv1.TransferRightRequest) (*rightsv1.TransferRightResponse, error) {
	h, err := s.app.Transfer(ctx, assetID(req.GetAsset()), req.GetToOrganisation(), req.GetCause(),
		protoconv.DomainLegalBasis(req.GetLegalBasis()))
	if err != nil {
		return nil, err
	}
	return &rightsv1.TransferRightResponse{Holding: holding(h)}, nil
}

func holding(h *store.HoldingRow) *rightsv1.Holding {
	if h == nil {
		return nil
	}
	out := &rightsv1.Holding{Asset: "assets/" + h.AssetID, HolderOrganisation: h.Holder, Cause: h.Cause}
	if !h.Since.IsZero() {
		out.Since = timestamppb.New(h.Since)
	}
	if h.Until != nil {
		out.Until = timestamppb.New(*h.Until)
	}
	if h.LegalBasis != nil {
		out.LegalBasis = protoconv.LegalBasis(*h.LegalBasis)
	}
	return out
}

func asOf(t *timestamppb.Timestamp) (time.Time, bool) {
	if t == nil {
		return time.Time{}, false
	}
	return t.AsTime().UTC(), true
}

// GetHolding implements rightsv1.RightsServiceServer.
func (s *Server) GetHolding(ctx context.Context, req *rightsv1.GetHoldingRequest) (*rightsv1.GetHoldingResponse, error) {
	t, past := asOf(req.GetAsOf())
	h, history, err := s.app.GetHolding(ctx, assetID(req.GetAsset()), t, past)
	if err != nil {
		return nil, err
	}
	resp := &rightsv1.GetHoldingResponse{Holding: holding(h)}
	for i := range history {
		resp.History = append(resp.History, holding(&history[i]))
	}
	return resp, nil
}

func checkInput(req *rightsv1.CheckRequest) (domain.CheckInput, bool) {
	in := domain.CheckInput{Organisation: req.GetOrganisation(), AssetID: assetID(req.GetAsset()),
		Right: protoconv.DomainRight(req.GetRight()), Purpose: req.GetPurpose(),
		DeliveryForm: protoconv.DomainForm(req.GetDeliveryForm()), Region: req.GetRegion()}
	if req.GetContext() != nil {
		in.Context = req.GetContext().AsMap()
	}
	t, past := asOf(req.GetAsOf())
	in.At = t
	return in, past
}

// Check implements rightsv1.RightsServiceServer.
func (s *Server) Check(ctx context.Context, req *rightsv1.CheckRequest) (*rightsv1.CheckResponse, error) {
	in, past := checkInput(req)
	d, err := s.app.Check(ctx, in, past)
	if err != nil {
		return nil, err
	}
	return protoconv.Decision(d), nil
}

// BatchCheck implements rightsv1.RightsServiceServer.
func (s *Server) BatchCheck(ctx context.Context, req *rightsv1.BatchCheckRequest) (*rightsv1.BatchCheckResponse, error) {
	resp := &rightsv1.BatchCheckResponse{Results: make([]*rightsv1.CheckResponse, len(req.GetChecks()))}
	for i, c := range req.GetChecks() {
		in, past := checkInput(c)
		d, err := s.app.Check(ctx, in, past)
		if err != nil {
			return nil, err
		}
		resp.Results[i] = protoconv.Decision(d)
	}
	return resp, nil
}

// LookupGrants implements rightsv1.RightsServiceServer.
func (s *Server) LookupGrants(ctx context.Context, req *rightsv1.LookupGrantsRequest) (*rightsv1.LookupGrantsResponse, error) {
	t, past := asOf(req.GetAsOf())
	holdings, grants, next, err := s.app.LookupGrants(ctx, req.GetOrganisation(), t, past, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &rightsv1.LookupGrantsResponse{NextPageToken: next}
	for i := range holdings {
		resp.Holdings = append(resp.Holdings, holding(&holdings[i]))
	}
	for _, g := range grants {
		resp.Grants = append(resp.Grants, protoconv.Grant(g))
	}
	return resp, nil
}

// LookupGrantees implements rightsv1.RightsServiceServer.
func (s *Server) LookupGrantees(ctx context.Context, req *rightsv1.LookupGranteesRequest) (*rightsv1.LookupGranteesResponse, error) {
	t, past := asOf(req.GetAsOf())
	h, grants, next, err := s.app.LookupGrantees(ctx, assetID(req.GetAsset()), t, past, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &rightsv1.LookupGranteesResponse{Holding: holding(h), NextPageToken: next}
	for _, g := range grants {
		resp.Grants = append(resp.Grants, protoconv.Grant(g))
	}
	return resp, nil
}

// GetGradePolicy implements rightsv1.RightsServiceServer.
func (s *Server) GetGradePolicy(ctx context.Context, _ *rightsv1.GetGradePolicyRequest) (*rightsv1.GetGradePolicyResponse, error) {
	rules, err := s.app.GetPolicy(ctx)
	if err != nil {
		return nil, err
	}
	resp := &rightsv1.GetGradePolicyResponse{}
	for _, r := range rules {
		out := &rightsv1.GradeRule{Grade: r.Grade, GrantsAllowed: r.GrantsAllowed}
		for _, f := range r.ForbiddenDeliveryForms {
			out.ForbiddenDeliveryForms = append(out.ForbiddenDeliveryForms, protoconv.Form(f))
		}
		resp.Rules = append(resp.Rules, out)
	}
	return resp, nil
}

// UpdateGradePolicy implements rightsv1.RightsServiceServer.
func (s *Server) UpdateGradePolicy(ctx context.Context, req *rightsv1.UpdateGradePolicyRequest) (*rightsv1.UpdateGradePolicyResponse, error) {
	r := req.GetRule()
	if err := s.app.SetPolicy(ctx, domain.GradeRule{Grade: r.GetGrade(), GrantsAllowed: r.GetGrantsAllowed(),
		ForbiddenDeliveryForms: protoconv.Forms(r.GetForbiddenDeliveryForms())}); err != nil {
		return nil, err
	}
	return &rightsv1.UpdateGradePolicyResponse{Rule: r}, nil
}
