// Package grpcapi adapts the audit application layer to its gRPC API.
package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/services/audit/internal/app"
	"yaosu.dev/services/audit/internal/store"
)

// Server implements auditv1.AuditServiceServer.
type Server struct {
	auditv1.UnimplementedAuditServiceServer
	app    *app.App
	origin string
	keys   []*auditv1.EventKey
}

var _ auditv1.AuditServiceServer = (*Server)(nil)

// New returns the gRPC adapter of a; keys (may be nil) are the event keys it publishes.
func New(a *app.App, origin string, keys *messaging.Keyring) *Server {
	s := &Server{app: a, origin: origin}
	if keys != nil {
		for _, k := range keys.Keys() {
			s.keys = append(s.keys, &auditv1.EventKey{Id: k.ID, Service: k.Service, PublicKey: k.Key})
		}
	}
	return s
}

var authenticity = map[string]auditv1.Authenticity{
	store.AuthenticityVerified:     auditv1.Authenticity_AUTHENTICITY_VERIFIED,
	store.AuthenticityUnsigned:     auditv1.Authenticity_AUTHENTICITY_UNSIGNED,
	store.AuthenticityUnknownKey:   auditv1.Authenticity_AUTHENTICITY_UNKNOWN_KEY,
	store.AuthenticityBadSignature: auditv1.Authenticity_AUTHENTICITY_BAD_SIGNATURE,
	store.AuthenticityWrongOwner:   auditv1.Authenticity_AUTHENTICITY_WRONG_OWNER,
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Server) checkpoint(c *store.Checkpoint) *auditv1.Checkpoint {
	return &auditv1.Checkpoint{Origin: s.origin, TreeSize: c.TreeSize, RootHash: c.RootHash,
		SignTime: timestamppb.New(c.SignTime), SignedNote: c.SignedNote}
}

func entry(e store.Entry) *auditv1.LogEntry {
	out := &auditv1.LogEntry{Index: e.Index, StreamSequence: e.StreamSeq, LeafHash: e.LeafHash, Data: e.Data,
		Subject: str(e.Subject), Signature: str(e.Signature), Signer: str(e.Signer), Authenticity: authenticity[str(e.Authenticity)]}
	if ev, err := messaging.Decode(e.Data); err == nil {
		out.Event = ev
	}
	return out
}

func entries(es []store.Entry) []*auditv1.LogEntry {
	out := make([]*auditv1.LogEntry, len(es))
	for i, e := range es {
		out[i] = entry(e)
	}
	return out
}

func findings(fs []store.Finding) []*auditv1.Finding {
	out := make([]*auditv1.Finding, len(fs))
	for i, f := range fs {
		out[i] = &auditv1.Finding{FirstIndex: f.FirstIndex, Located: f.Located, Reason: f.Reason,
			FoundAt: timestamppb.New(f.FoundAt), LogSize: f.LogSize, CheckpointSize: f.CheckpointSize}
	}
	return out
}

// GetCheckpoint implements auditv1.AuditServiceServer.
func (s *Server) GetCheckpoint(ctx context.Context, _ *auditv1.GetCheckpointRequest) (*auditv1.GetCheckpointResponse, error) {
	cp, fs, err := s.app.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	return &auditv1.GetCheckpointResponse{Checkpoint: s.checkpoint(cp), VerifierKey: s.app.VerifierKey(), Findings: findings(fs),
		EventKeys: s.keys}, nil
}

// GetInclusionProof implements auditv1.AuditServiceServer.
func (s *Server) GetInclusionProof(ctx context.Context, req *auditv1.GetInclusionProofRequest) (*auditv1.GetInclusionProofResponse, error) {
	e, size, proof, cp, err := s.app.InclusionProof(ctx, req.GetEventId(), req.GetTreeSize())
	if err != nil {
		return nil, err
	}
	return &auditv1.GetInclusionProofResponse{Entry: entry(*e), TreeSize: size, Hashes: proof, Checkpoint: s.checkpoint(cp)}, nil
}

// GetConsistencyProof implements auditv1.AuditServiceServer.
func (s *Server) GetConsistencyProof(ctx context.Context, req *auditv1.GetConsistencyProofRequest) (*auditv1.GetConsistencyProofResponse, error) {
	newSize, oldRoot, newRoot, proof, err := s.app.ConsistencyProof(ctx, req.GetOldSize(), req.GetNewSize())
	if err != nil {
		return nil, err
	}
	return &auditv1.GetConsistencyProofResponse{OldSize: req.GetOldSize(), NewSize: newSize, OldRootHash: oldRoot,
		NewRootHash: newRoot, Hashes: proof}, nil
}

// ListEvents implements auditv1.AuditServiceServer.
func (s *Server) ListEvents(ctx context.Context, req *auditv1.ListEventsRequest) (*auditv1.ListEventsResponse, error) {
	f := store.Filter{Resource: req.GetResource(), Type: req.GetType(), Actor: req.GetActor(),
		Organisation: req.GetOrganisation(), StartIndex: req.GetStartIndex()}
	if req.GetStartTime() != nil {
		t := req.GetStartTime().AsTime()
		f.Start = &t
	}
	if req.GetEndTime() != nil {
		t := req.GetEndTime().AsTime()
		f.End = &t
	}
	es, next, size, err := s.app.List(ctx, f, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	fs, err := s.app.OpenFindings(ctx)
	if err != nil {
		return nil, err
	}
	return &auditv1.ListEventsResponse{Entries: entries(es), NextPageToken: next, TreeSize: size, Findings: findings(fs)}, nil
}

// GetResourceTimeline implements auditv1.AuditServiceServer.
func (s *Server) GetResourceTimeline(ctx context.Context, req *auditv1.GetResourceTimelineRequest) (*auditv1.GetResourceTimelineResponse, error) {
	es, next, _, err := s.app.List(ctx, store.Filter{Resource: req.GetResource()}, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &auditv1.GetResourceTimelineResponse{Entries: entries(es), NextPageToken: next}, nil
}
