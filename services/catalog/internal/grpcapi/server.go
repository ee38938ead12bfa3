// Package grpcapi adapts the catalog's application layer to its gRPC API: request and
// response conversion only, no rules.
package grpcapi

import (
	"context"
	"strings"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/services/catalog/internal/app"
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

// CreateAsset implements catalogv1.CatalogServiceServer.
func (s *Server) CreateAsset(ctx context.Context, req *catalogv1.CreateAssetRequest) (*catalogv1.CreateAssetResponse, error) {
	in := req.GetAsset()
	a, err := s.app.CreateAsset(ctx, app.CreateAssetInput{
		DisplayName:        in.GetDisplayName(),
		Summary:            in.GetSummary(),
		HolderOrganisation: in.GetHolderOrganisation(),
		RequestID:          req.GetRequestId(),
	})
	if err != nil {
		return nil, err
	}
	return &catalogv1.CreateAssetResponse{Asset: protoconv.Asset(a)}, nil
}

// GetAsset implements catalogv1.CatalogServiceServer.
func (s *Server) GetAsset(ctx context.Context, req *catalogv1.GetAssetRequest) (*catalogv1.GetAssetResponse, error) {
	a, err := s.app.GetAsset(ctx, strings.TrimPrefix(req.GetName(), "assets/"))
	if err != nil {
		return nil, err
	}
	return &catalogv1.GetAssetResponse{Asset: protoconv.Asset(a)}, nil
}

// ListAssets implements catalogv1.CatalogServiceServer.
func (s *Server) ListAssets(ctx context.Context, req *catalogv1.ListAssetsRequest) (*catalogv1.ListAssetsResponse, error) {
	assets, next, err := s.app.ListAssets(ctx, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &catalogv1.ListAssetsResponse{NextPageToken: next, Assets: make([]*catalogv1.Asset, 0, len(assets))}
	for _, a := range assets {
		resp.Assets = append(resp.Assets, protoconv.Asset(a))
	}
	return resp, nil
}
