// Package protoconv converts catalog aggregates to their API and event messages; the
// gRPC layer and the event builders share it so an asset looks the same in both.
package protoconv

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/services/catalog/internal/domain"
)

var states = map[domain.State]catalogv1.AssetState{
	domain.StateDraft: catalogv1.AssetState_ASSET_STATE_DRAFT,
}

// State converts a domain state.
func State(s domain.State) catalogv1.AssetState { return states[s] }

// Asset converts an asset.
func Asset(a *domain.Asset) *catalogv1.Asset {
	return &catalogv1.Asset{
		Name:               a.Name(),
		DisplayName:        a.DisplayName(),
		Summary:            a.Summary(),
		HolderOrganisation: a.HolderOrganisation(),
		State:              State(a.State()),
		Revision:           a.Revision(),
		Etag:               a.ETag(),
		Creator:            a.Creator(),
		CreateTime:         timestamppb.New(a.CreateTime()),
		UpdateTime:         timestamppb.New(a.UpdateTime()),
	}
}
