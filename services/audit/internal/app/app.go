// Package app holds the audit service's use cases: reading the log for auditors and signing
// checkpoints. Only auditors and admins may call it, and nothing it offers changes the log.
package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/tlog"
	"yaosu.dev/services/audit/internal/store"
)

// ServiceName is the audit service's name, event source and schema.
const ServiceName = "audit"

// EventCheckpointSigned is the type of the event published for every signed checkpoint.
const EventCheckpointSigned = "audit.checkpoint.signed"

// EventLogInconsistent is the type of the event published once for every finding.
const EventLogInconsistent = "audit.log.inconsistent"

// Reasons, the names of auditv1.ErrorReason values.
const (
	ReasonLogEmpty        = "ERROR_REASON_LOG_EMPTY"
	ReasonEventNotInLog   = "ERROR_REASON_EVENT_NOT_IN_LOG"
	ReasonTreeSize        = "ERROR_REASON_TREE_SIZE_OUT_OF_RANGE"
	ReasonInvalidPage     = "ERROR_REASON_INVALID_PAGE_TOKEN"
	ReasonAuditorRequired = "ERROR_REASON_AUDITOR_ROLE_REQUIRED"
	ReasonLogInconsistent = store.ReasonLogInconsistent
)

// App is the audit application layer.
type App struct {
	st     *store.Store
	signer *tlog.Signer
	origin string
	now    func() time.Time
	log    *slog.Logger
}

// New returns the application layer; key signs checkpoints for origin.
func New(st *store.Store, origin string, key ed25519.PrivateKey, now func() time.Time, log *slog.Logger) (*App, error) {
	signer, err := tlog.NewSigner(origin, key)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &App{st: st, signer: signer, origin: origin, now: now, log: log}, nil
}

// VerifierKey is the note verifier key auditors pin.
func (a *App) VerifierKey() string { return a.signer.VerifierKey() }

// authorise lets auditors and admins in; everyone else is refused.
func authorise(ctx context.Context) error {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return errs.Unauthenticated("no authenticated principal")
	}
	if !p.Has(auth.RoleAuditor, auth.RoleAdmin) {
		return errs.PermissionDenied(ReasonAuditorRequired, "the audit log is read by auditors and admins")
	}
	return nil
}

// OpenNote verifies a checkpoint note with the service's own key.
func (a *App) OpenNote(note []byte) (*tlog.Checkpoint, error) {
	return tlog.OpenCheckpoint(note, a.signer.VerifierKey())
}

// CheckLog verifies the whole stored log (store.Check with the service's key).
func (a *App) CheckLog(ctx context.Context) (*tlog.Builder, *store.Finding, error) {
	return a.st.Check(ctx, a.OpenNote)
}

// OpenFindings are the inconsistencies found and not resolved; while there is one, nothing
// is appended or signed.
func (a *App) OpenFindings(ctx context.Context) ([]store.Finding, error) {
	return a.st.OpenFindings(ctx)
}

// ResolveFindings marks the open findings resolved: the stored log checked out consistent
// again (an operator repaired it and restarted the service).
func (a *App) ResolveFindings(ctx context.Context) error {
	n, err := a.st.ResolveFindings(ctx, a.now().UTC())
	if err == nil && n > 0 {
		a.log.WarnContext(ctx, "audit log consistent again: open findings resolved, appending resumes", "findings", n)
	}
	return err
}

// RaiseFinding records f (once) with its audit.log.inconsistent event, and logs the alert.
func (a *App) RaiseFinding(ctx context.Context, f store.Finding) error {
	f.FoundAt = a.now().UTC().Truncate(time.Microsecond)
	recorded, err := a.st.RecordFinding(ctx, f, func(f store.Finding) (*eventsv1.Event, error) {
		return messaging.NewEvent(ctx, ServiceName, EventLogInconsistent, "findings/"+strconv.FormatInt(f.ID, 10), 1,
			&eventsv1.LogInconsistent{FirstIndex: f.FirstIndex, Located: f.Located, Reason: f.Reason,
				FoundAt: timestamppb.New(f.FoundAt), LogSize: f.LogSize, CheckpointSize: f.CheckpointSize})
	})
	if err != nil {
		return err
	}
	if recorded {
		// The alert: DATA_LOSS is the code every API answer about the damaged range carries.
		a.log.ErrorContext(ctx, "audit log inconsistent: appending and signing stopped", "reason_code", "DATA_LOSS",
			"error_reason", ReasonLogInconsistent, "first_index", f.FirstIndex, "located", f.Located, "what", f.Reason,
			"log_size", f.LogSize, "checkpoint_size", f.CheckpointSize)
	}
	return nil
}

// SignIfGrown signs a checkpoint of the current log when it holds entries beyond the
// latest checkpoint other than checkpoint events, and returns the latest checkpoint (nil
// while the log is empty). Safe to call from several replicas at once. It signs nothing
// while a finding is open, nor when the stored tree no longer gives the latest checkpoint's
// root or lacks a node (it raises a finding then): it never signs over a damaged log.
func (a *App) SignIfGrown(ctx context.Context) (*store.Checkpoint, error) {
	latest, err := a.st.LatestCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	open, err := a.st.OpenFindings(ctx)
	if err != nil || len(open) > 0 {
		return latest, err
	}
	var from uint64
	if latest != nil {
		from = latest.TreeSize
	}
	grown, err := a.st.HasEntriesBeyond(ctx, from, EventCheckpointSigned)
	if err != nil || !grown {
		return latest, err
	}
	size, err := a.st.Size(ctx)
	if err != nil {
		return nil, err
	}
	if latest != nil {
		old, err := a.st.RootAt(ctx, latest.TreeSize)
		if err != nil {
			return latest, a.damaged(ctx, err, latest.TreeSize, size)
		}
		if !bytes.Equal(old, latest.RootHash) {
			return latest, a.RaiseFinding(ctx, store.Finding{FirstIndex: latest.TreeSize - 1, LogSize: size, CheckpointSize: latest.TreeSize,
				Reason: fmt.Sprintf("the stored tree no longer gives the root of the checkpoint at tree size %d (nodes or checkpoint altered)", latest.TreeSize)})
		}
	}
	root, err := a.st.RootAt(ctx, size)
	if err != nil {
		return latest, a.damaged(ctx, err, from, size)
	}
	now := a.now().UTC().Truncate(time.Microsecond)
	note, err := a.signer.Sign(tlog.Checkpoint{Origin: a.origin, Size: size, Hash: root, Time: now})
	if err != nil {
		return nil, err
	}
	cp := store.Checkpoint{TreeSize: size, RootHash: root, SignedNote: string(note), SignTime: now}
	ev, err := messaging.NewEvent(ctx, ServiceName, EventCheckpointSigned, "checkpoints/"+strconv.FormatUint(size, 10), 1,
		&eventsv1.CheckpointSigned{TreeSize: size, RootHash: root, SignedNote: string(note), SignTime: timestamppb.New(now)})
	if err != nil {
		return nil, err
	}
	saved, err := a.st.SaveCheckpoint(ctx, cp, ev)
	if err != nil {
		return nil, err
	}
	if saved {
		a.log.InfoContext(ctx, "audit checkpoint signed", "tree_size", size)
	}
	return a.st.LatestCheckpoint(ctx)
}

// damaged raises a finding for a tree node found missing while signing, and returns err
// when it is anything else.
func (a *App) damaged(ctx context.Context, err error, cpSize, size uint64) error {
	var missing *store.MissingNodeError
	if !errors.As(err, &missing) {
		return err
	}
	return a.RaiseFinding(ctx, store.Finding{FirstIndex: missing.Node.Index << missing.Node.Level, LogSize: size, CheckpointSize: cpSize,
		Reason: fmt.Sprintf("tree node (%d,%d) missing for a log of %d entries (rows inserted beyond the tree, or the tail truncated)",
			missing.Node.Level, missing.Node.Index, size)})
}

// RunScheduler signs a checkpoint every interval while the log grows, until ctx ends.
func (a *App) RunScheduler(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := a.SignIfGrown(ctx); err != nil && ctx.Err() == nil {
				a.log.WarnContext(ctx, "signing audit checkpoint failed; will retry", "error", err)
			}
		}
	}
}

// Checkpoint returns the latest checkpoint, signing a fresh one first if the log grew,
// and the open findings. With a finding open it returns the last checkpoint signed before.
func (a *App) Checkpoint(ctx context.Context) (*store.Checkpoint, []store.Finding, error) {
	if err := authorise(ctx); err != nil {
		return nil, nil, err
	}
	cp, err := a.SignIfGrown(ctx)
	if err != nil {
		return nil, nil, err
	}
	findings, err := a.st.OpenFindings(ctx)
	if err != nil {
		return nil, nil, err
	}
	if cp == nil {
		if len(findings) > 0 {
			return nil, findings, errs.New(errs.KindDataLoss, ReasonLogInconsistent,
				"审计日志不一致 (audit log inconsistent): %s; no checkpoint was signed before", findings[0].Reason)
		}
		return nil, nil, errs.FailedPrecondition(ReasonLogEmpty, "the audit log is empty")
	}
	return cp, findings, nil
}

// InclusionProof proves that the entry of eventID is in the tree of size (0: latest checkpoint).
func (a *App) InclusionProof(ctx context.Context, eventID string, size uint64) (*store.Entry, uint64, [][]byte, *store.Checkpoint, error) {
	cp, _, err := a.Checkpoint(ctx)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	entry, err := a.st.EntryByEventID(ctx, eventID)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	if entry == nil {
		return nil, 0, nil, nil, errs.NotFound(ReasonEventNotInLog, "event %s is not in the audit log (yet)", eventID)
	}
	if size == 0 {
		size = cp.TreeSize
	}
	if size > cp.TreeSize || entry.Index >= size {
		return nil, 0, nil, nil, errs.InvalidArgument(ReasonTreeSize, errs.Violation("tree_size",
			fmt.Sprintf("must cover entry %d and be at most the latest checkpoint's size %d", entry.Index, cp.TreeSize),
			fmt.Sprintf("应包含第 %d 条记录，且不大于最新检查点的大小 %d", entry.Index, cp.TreeSize)))
	}
	ids, rehash, err := tlog.InclusionProofNodes(entry.Index, size)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	hashes, err := a.st.NodeHashes(ctx, ids)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	proof, err := rehash(hashes)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	return entry, size, proof, cp, nil
}

// ConsistencyProof proves that the log at newSize (0: latest checkpoint) extends the log
// at oldSize, and returns both roots.
func (a *App) ConsistencyProof(ctx context.Context, oldSize, newSize uint64) (uint64, []byte, []byte, [][]byte, error) {
	cp, _, err := a.Checkpoint(ctx)
	if err != nil {
		return 0, nil, nil, nil, err
	}
	if newSize == 0 {
		newSize = cp.TreeSize
	}
	if newSize > cp.TreeSize || oldSize > newSize {
		return 0, nil, nil, nil, errs.InvalidArgument(ReasonTreeSize, errs.Violation("new_size",
			fmt.Sprintf("need old_size <= new_size <= %d (the latest checkpoint)", cp.TreeSize),
			fmt.Sprintf("应满足 old_size ≤ new_size ≤ %d（最新检查点的大小）", cp.TreeSize)))
	}
	ids, rehash, err := tlog.ConsistencyProofNodes(oldSize, newSize)
	if err != nil {
		return 0, nil, nil, nil, err
	}
	hashes, err := a.st.NodeHashes(ctx, ids)
	if err != nil {
		return 0, nil, nil, nil, err
	}
	proof, err := rehash(hashes)
	if err != nil {
		return 0, nil, nil, nil, err
	}
	oldRoot, err := a.st.RootAt(ctx, oldSize)
	if err != nil {
		return 0, nil, nil, nil, err
	}
	newRoot, err := a.st.RootAt(ctx, newSize)
	if err != nil {
		return 0, nil, nil, nil, err
	}
	return newSize, oldRoot, newRoot, proof, nil
}

// Page sizes of the list RPCs.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

type pageToken struct {
	V     int    `json:"v"`
	Next  uint64 `json:"n"`
	Query string `json:"q"`
}

func fingerprint(f store.Filter) string {
	m := hmac.New(sha256.New, []byte("yaosu.audit.list.v1"))
	fmt.Fprintf(m, "%q %q %q %q %q %v %v %d", f.EventID, f.Resource, f.Type, f.Actor, f.Organisation, f.Start, f.End, f.StartIndex)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

// List returns a page of entries matching f and the next page's token. Reads go on while a
// finding is open: OpenFindings says which entries may not be what the log signed.
func (a *App) List(ctx context.Context, f store.Filter, pageSize int, token string) ([]store.Entry, string, uint64, error) {
	if err := authorise(ctx); err != nil {
		return nil, "", 0, err
	}
	fp := fingerprint(f)
	if token != "" {
		var pt pageToken
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || json.Unmarshal(raw, &pt) != nil || pt.V != 1 || pt.Query != fp {
			return nil, "", 0, errs.InvalidArgument(ReasonInvalidPage,
				errs.Violation("page_token", "malformed, or issued for different filters", "分页令牌无效，或属于另一组筛选条件"))
		}
		f.StartIndex = pt.Next
	}
	switch {
	case pageSize <= 0:
		pageSize = DefaultPageSize
	case pageSize > MaxPageSize:
		pageSize = MaxPageSize
	}
	size, err := a.st.Size(ctx)
	if err != nil {
		return nil, "", 0, err
	}
	f.Limit = pageSize + 1
	entries, err := a.st.List(ctx, f)
	if err != nil {
		return nil, "", 0, err
	}
	next := ""
	if len(entries) > pageSize {
		entries = entries[:pageSize]
		raw, _ := json.Marshal(pageToken{V: 1, Next: entries[len(entries)-1].Index + 1, Query: fp})
		next = base64.RawURLEncoding.EncodeToString(raw)
	}
	return entries, next, size, nil
}
