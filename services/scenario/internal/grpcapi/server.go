// Package grpcapi adapts the scenario application layer to its gRPC API: conversion only.
package grpcapi

import (
	"context"
	"errors"
	"io"
	"strings"

	"yaosu.dev/pkg/errs"

	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/services/scenario/internal/app"
	"yaosu.dev/services/scenario/internal/domain"
	"yaosu.dev/services/scenario/internal/protoconv"
	"yaosu.dev/services/scenario/internal/store"
)

// Server implements scenariov1.ScenarioServiceServer.
type Server struct {
	scenariov1.UnimplementedScenarioServiceServer
	app *app.App
}

var _ scenariov1.ScenarioServiceServer = (*Server)(nil)

// New returns the gRPC adapter of a.
func New(a *app.App) *Server { return &Server{app: a} }

func scenarioID(name string) string { return strings.TrimPrefix(name, "scenarios/") }

// linkIDs splits `scenarios/{scenario}/links/{link}`.
func linkIDs(name string) (string, string) {
	s, l, _ := strings.Cut(strings.TrimPrefix(name, "scenarios/"), "/links/")
	return s, l
}

var actions = map[scenariov1.ScenarioAction]domain.Action{
	scenariov1.ScenarioAction_SCENARIO_ACTION_ACTIVATE: domain.ActActivate,
	scenariov1.ScenarioAction_SCENARIO_ACTION_SUSPEND:  domain.ActSuspend,
	scenariov1.ScenarioAction_SCENARIO_ACTION_CLOSE:    domain.ActClose,
}

// ProposeScenario implements scenariov1.ScenarioServiceServer.
func (s *Server) ProposeScenario(ctx context.Context, req *scenariov1.ProposeScenarioRequest) (*scenariov1.ProposeScenarioResponse, error) {
	sc, err := s.app.ProposeScenario(ctx, protoconv.DomainScenario(req.GetScenario()), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &scenariov1.ProposeScenarioResponse{Scenario: protoconv.Scenario(sc)}, nil
}

// GetScenario implements scenariov1.ScenarioServiceServer.
func (s *Server) GetScenario(ctx context.Context, req *scenariov1.GetScenarioRequest) (*scenariov1.GetScenarioResponse, error) {
	sc, err := s.app.GetScenario(ctx, scenarioID(req.GetName()))
	if err != nil {
		return nil, err
	}
	return &scenariov1.GetScenarioResponse{Scenario: protoconv.Scenario(sc)}, nil
}

// ListScenarios implements scenariov1.ScenarioServiceServer.
func (s *Server) ListScenarios(ctx context.Context, req *scenariov1.ListScenariosRequest) (*scenariov1.ListScenariosResponse, error) {
	q := store.ScenarioQuery{Sector: req.GetSector(), Limit: int(req.GetPageSize())}
	for _, st := range req.GetStates() {
		q.States = append(q.States, protoconv.DomainState(st))
	}
	out, next, err := s.app.ListScenarios(ctx, q, req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &scenariov1.ListScenariosResponse{NextPageToken: next}
	for _, sc := range out {
		resp.Scenarios = append(resp.Scenarios, protoconv.Scenario(sc))
	}
	return resp, nil
}

// TransitionScenario implements scenariov1.ScenarioServiceServer.
func (s *Server) TransitionScenario(ctx context.Context, req *scenariov1.TransitionScenarioRequest) (*scenariov1.TransitionScenarioResponse, error) {
	sc, err := s.app.TransitionScenario(ctx, scenarioID(req.GetName()), actions[req.GetAction()], req.GetReason(), req.GetEtag())
	if err != nil {
		return nil, err
	}
	return &scenariov1.TransitionScenarioResponse{Scenario: protoconv.Scenario(sc)}, nil
}

// LinkAsset implements scenariov1.ScenarioServiceServer.
func (s *Server) LinkAsset(ctx context.Context, req *scenariov1.LinkAssetRequest) (*scenariov1.LinkAssetResponse, error) {
	l, chain, err := s.app.LinkAsset(ctx, scenarioID(req.GetParent()), protoconv.DomainLink(req.GetLink()))
	if err != nil {
		return nil, err
	}
	return &scenariov1.LinkAssetResponse{Link: protoconv.Link(l), Chain: chain}, nil
}

// UnlinkAsset implements scenariov1.ScenarioServiceServer.
func (s *Server) UnlinkAsset(ctx context.Context, req *scenariov1.UnlinkAssetRequest) (*scenariov1.UnlinkAssetResponse, error) {
	sid, lid := linkIDs(req.GetName())
	l, err := s.app.UnlinkAsset(ctx, sid, lid, req.GetReason())
	if err != nil {
		return nil, err
	}
	return &scenariov1.UnlinkAssetResponse{Link: protoconv.Link(l)}, nil
}

// ListLinks implements scenariov1.ScenarioServiceServer.
func (s *Server) ListLinks(ctx context.Context, req *scenariov1.ListLinksRequest) (*scenariov1.ListLinksResponse, error) {
	links, err := s.app.ListLinks(ctx, scenarioID(req.GetParent()))
	if err != nil {
		return nil, err
	}
	resp := &scenariov1.ListLinksResponse{}
	for _, l := range links {
		resp.Links = append(resp.Links, protoconv.Link(l))
	}
	return resp, nil
}

// maxDenials caps the denials a ReportUsage response lists.
const maxDenials = 1000

// ReportUsage implements scenariov1.ScenarioServiceServer: each message is one batch,
// ingested in its own transaction as it arrives; the response sums the stream.
func (s *Server) ReportUsage(stream scenariov1.ScenarioService_ReportUsageServer) error {
	ctx := stream.Context()
	resp := &scenariov1.ReportUsageResponse{}
	system := ""
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return stream.SendAndClose(resp)
		}
		if err != nil {
			return err
		}
		if system == "" {
			system = req.GetReportingSystem()
		} else if req.GetReportingSystem() != system {
			return errs.InvalidArgument(domain.ReasonReportingSystem, errs.Violation("reporting_system",
				"fixed for the stream: "+system, "同一数据流中上报系统不能改变，应为 "+system))
		}
		recs := make([]*domain.UsageRecord, 0, len(req.GetRecords()))
		for _, r := range req.GetRecords() {
			sid, lid := linkIDs(r.GetLink())
			recs = append(recs, &domain.UsageRecord{RecordID: r.GetRecordId(), ScenarioID: sid, LinkID: lid,
				DeliveryForm: protoconv.DomainForm(r.GetDeliveryForm()), Calls: r.GetCalls(), Records: r.GetRecords(),
				Bytes: r.GetBytes(), WindowStart: r.GetWindowStart().AsTime(), WindowEnd: r.GetWindowEnd().AsTime(),
				Purpose: r.GetPurpose()})
		}
		res, err := s.app.ReportUsage(ctx, system, recs)
		if err != nil {
			return err
		}
		resp.Allowed += res.Allowed
		resp.Denied += res.Denied
		resp.Duplicates += res.Duplicates
		for _, d := range res.Denials {
			if len(resp.Denials) < maxDenials {
				resp.Denials = append(resp.Denials, &scenariov1.Denial{RecordId: d.RecordID, Reason: d.Reason})
			}
		}
	}
}

// ListAlerts implements scenariov1.ScenarioServiceServer.
func (s *Server) ListAlerts(ctx context.Context, req *scenariov1.ListAlertsRequest) (*scenariov1.ListAlertsResponse, error) {
	q := store.AlertQuery{Scenario: scenarioID(req.GetScenario()), Limit: int(req.GetPageSize()), Rules: req.GetRules()}
	if req.GetLink() != "" {
		sid, lid := linkIDs(req.GetLink())
		q.Scenario, q.Link = sid, lid
	}
	for _, st := range req.GetStates() {
		q.States = append(q.States, protoconv.DomainAlertState(st))
	}
	out, next, err := s.app.ListAlerts(ctx, q, protoconv.DomainSeverity(req.GetMinSeverity()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &scenariov1.ListAlertsResponse{NextPageToken: next}
	for _, a := range out {
		resp.Alerts = append(resp.Alerts, protoconv.Alert(a))
	}
	return resp, nil
}

// UpdateAlert implements scenariov1.ScenarioServiceServer.
func (s *Server) UpdateAlert(ctx context.Context, req *scenariov1.UpdateAlertRequest) (*scenariov1.UpdateAlertResponse, error) {
	a, err := s.app.UpdateAlert(ctx, strings.TrimPrefix(req.GetName(), "alerts/"), protoconv.DomainAlertState(req.GetState()),
		req.GetAssignee(), req.GetNote())
	if err != nil {
		return nil, err
	}
	return &scenariov1.UpdateAlertResponse{Alert: protoconv.Alert(a)}, nil
}

// RecordOutcome implements scenariov1.ScenarioServiceServer.
func (s *Server) RecordOutcome(ctx context.Context, req *scenariov1.RecordOutcomeRequest) (*scenariov1.RecordOutcomeResponse, error) {
	o := req.GetOutcome()
	start, end, err := domain.ParsePeriod(o.GetPeriodStart(), o.GetPeriodEnd(), "outcome.period_start", "outcome.period_end")
	if err != nil {
		return nil, err
	}
	out, err := s.app.RecordOutcome(ctx, domain.Outcome{ScenarioID: scenarioID(o.GetScenario()), PeriodStart: start, PeriodEnd: end,
		RevenueYuan: o.GetRevenueYuan(), CostSavedYuan: o.GetCostSavedYuan(), Beneficiaries: o.GetBeneficiaries(),
		ServiceCount: o.GetServiceCount(), Note: o.GetNote()})
	if err != nil {
		return nil, err
	}
	return &scenariov1.RecordOutcomeResponse{Outcome: protoconv.Outcome(out)}, nil
}

func usageTotals(prefix string, in []store.UsageTotal) []*scenariov1.UsageTotal {
	out := make([]*scenariov1.UsageTotal, 0, len(in))
	for _, u := range in {
		out = append(out, &scenariov1.UsageTotal{Key: prefix + u.Key, Calls: u.Calls, Records: u.Records, Bytes: u.Bytes, Denied: u.Denied})
	}
	return out
}

// GetUsageReport implements scenariov1.ScenarioServiceServer.
func (s *Server) GetUsageReport(ctx context.Context, req *scenariov1.GetUsageReportRequest) (*scenariov1.GetUsageReportResponse, error) {
	r, err := s.app.GetUsageReport(ctx, req.GetScenario(), req.GetPeriodStart(), req.GetPeriodEnd())
	if err != nil {
		return nil, err
	}
	resp := &scenariov1.GetUsageReportResponse{PerAsset: usageTotals("assets/", r.PerAsset),
		PerScenario: usageTotals("scenarios/", r.PerScenario)}
	for _, o := range r.Outcomes {
		resp.Outcomes = append(resp.Outcomes, protoconv.Outcome(o))
	}
	return resp, nil
}
