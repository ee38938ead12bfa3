// Package auditcheck is what an auditor runs against a Yaosu audit service: it reads the
// service's stored log (the entries ListEvents serves, which is what auditors are shown)
// and checks it against the signed checkpoint, compares it with the YAOSU_EVENTS stream,
// and reports the first log index where anything differs. It trusts neither the server nor
// the broker: the checkpoint is checked with a verifier key the caller pins, every leaf hash
// is recomputed from the bytes, and every root the server supplies comes with a consistency
// proof checked against the signed root. yaosuctl audit verify is a thin layer over it;
// tests and the chaos run call it directly.
package auditcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/tlog"
)

// PageSize is the ListEvents page size the stored log is read with: the server's maximum.
const PageSize = 1000

// Checks, in the order they run; Report.Check names the one that failed.
const (
	CheckSignature = "signature"    // the checkpoint's signed note
	CheckStored    = "stored"       // the stored entries as served: contiguous, leaf hashes of their bytes
	CheckLog       = "log"          // the stored entries against the signed Merkle root
	CheckStream    = "stream"       // the stream against the stored log
	CheckFindings  = "findings"     // inconsistencies the service reports in its own storage
	CheckAuthentic = "authenticity" // every event signed by the service that owns its subject
	CheckRevisions = "revisions"    // every resource's revisions 1, 2, 3, ...
	CheckTrusted   = "trusted"      // the log extends an earlier trusted checkpoint
)

// Options say what to verify and with which key.
type Options struct {
	Client auditv1.AuditServiceClient
	// JS is the stream to compare the stored log with; nil skips that comparison.
	JS jetstream.JetStream
	// Key is the log's note verifier key. Required: pin it; the server's own proves nothing.
	Key string
	// EventKeys verify every entry's event signature (pin them too); nil skips the check.
	EventKeys *messaging.Keyring
	// Trusted, if set, is an earlier signed checkpoint note the log must still extend.
	Trusted []byte
	// Timeout bounds each request (default 30s).
	Timeout time.Duration
	// Offline never asks the server for proofs: a bad entry is bounded, not located.
	Offline bool
	// Progress, if set, is called as entries are read ("stored" or "stream", count).
	Progress func(phase string, done uint64)
}

// Report is what a verification found.
type Report struct {
	Checkpoint *tlog.Checkpoint
	// Findings are the inconsistencies the service itself reports (GetCheckpoint).
	Findings []*auditv1.Finding
	// Stored and Streamed count the entries read from the service and from the stream.
	Stored, Streamed uint64
	// Problem is the first thing wrong, at the smallest log index any check found.
	Problem *tlog.Problem
	// Check names the check that found Problem, or CheckSignature when SigErr is set.
	Check string
	// SigErr is set when a signed note did not verify (the checkpoint's or the trusted one's).
	SigErr error
	// RevisionsChecked counts events about a revisioned resource; Undecodable entries that
	// are not Yaosu envelopes (logged all the same).
	RevisionsChecked, Undecodable uint64
	// Signatures is the event signature check (Keys nil when it did not run).
	Signatures Authenticity
	Trusted    *tlog.Checkpoint
	// Uncovered counts stored entries after the checkpoint's size.
	Uncovered uint64
	Notes     []string
}

// OK reports whether everything checked out.
func (r *Report) OK() bool { return r.Problem == nil && r.SigErr == nil }

// candidate keeps the problem with the smallest index (the earlier check on a tie).
type candidate struct {
	p     *tlog.Problem
	check string
}

func (c *candidate) offer(p *tlog.Problem, check string) {
	if p == nil {
		return
	}
	if c.p == nil || p.Index < c.p.Index || (p.Index == c.p.Index && p.Located && !c.p.Located) {
		c.p, c.check = p, check
	}
}

// VerifyStored verifies the service's stored log: the checkpoint's signature, every stored
// entry (read through ListEvents) against the signed root, the stream against the stored
// log, the service's own findings, every resource's revisions and, with Trusted, that the
// log extends an earlier checkpoint. The error result is for being unable to verify.
func VerifyStored(ctx context.Context, o Options) (*Report, error) {
	if o.Key == "" {
		return nil, errors.New("auditcheck: a verifier key is required")
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	rep := &Report{}
	reqCtx, cancel := context.WithTimeout(ctx, o.Timeout)
	cpResp, err := o.Client.GetCheckpoint(reqCtx, &auditv1.GetCheckpointRequest{})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("get the latest checkpoint: %w", err)
	}
	rep.Findings = cpResp.GetFindings()
	cp, err := tlog.OpenCheckpoint([]byte(cpResp.GetCheckpoint().GetSignedNote()), o.Key)
	if err != nil {
		rep.SigErr, rep.Check = fmt.Errorf("the server's checkpoint does not verify with the pinned key (forged, signed by another key "+
			"or for another log, or altered after signing): %w", err), CheckSignature
		return rep, nil
	}
	rep.Checkpoint = cp

	var first candidate
	revs := tlog.NewRevisionChecker()
	var revFirst *tlog.Problem
	leaves := make([][]byte, 0, cp.Size)
	rep.Signatures.Keys = o.EventKeys
	storedProblem, err := ReadStored(ctx, o.Client, o.Timeout, func(e *auditv1.LogEntry, leaf []byte) {
		index := uint64(len(leaves))
		leaves = append(leaves, leaf)
		rep.Signatures.Add(index, e.GetSubject(), e.GetData(), e.GetSignature())
		if ev, err := messaging.Decode(e.GetData()); err != nil {
			rep.Undecodable++
		} else if ev.GetSubject() != "" {
			rep.RevisionsChecked++
			if p := revs.Add(index, ev.GetSubject(), ev.GetResourceRevision(), ev.GetType()); p != nil && revFirst == nil {
				revFirst = p
			}
		}
		if o.Progress != nil {
			o.Progress("stored", index+1)
		}
	})
	if err != nil {
		return nil, err
	}
	rep.Stored = uint64(len(leaves))
	first.offer(storedProblem, CheckStored)
	if rep.Stored > cp.Size {
		rep.Uncovered = rep.Stored - cp.Size
	}

	var prover tlog.Prover
	if !o.Offline {
		prover = &ServerProver{Client: o.Client, Checkpoint: *cp, Timeout: o.Timeout}
	}
	logProblem, err := tlog.Verify(ctx, leaves, *cp, prover)
	if err != nil {
		// The server could not supply a proven root (a proof that does not verify, or
		// DATA_LOSS): the mismatch stands, unlocated.
		rep.Notes = append(rep.Notes, "could not locate the first bad entry with the server's proofs: "+err.Error())
		logProblem, err = tlog.Verify(ctx, leaves, *cp, nil)
		if err != nil {
			return nil, err
		}
	}
	first.offer(logProblem, CheckLog)

	if o.JS != nil {
		target := max(cp.Size, uint64(len(leaves)))
		streamed, last, notes, err := ReplayStream(ctx, o.JS, o.Timeout, target, func(index uint64, body []byte) bool {
			if o.Progress != nil {
				o.Progress("stream", index+1)
			}
			if index >= uint64(len(leaves)) {
				return false // the stored log ends here; a short stored log is the tree check's finding
			}
			if !bytes.Equal(tlog.LeafHash(body), leaves[index]) {
				first.offer(&tlog.Problem{Index: index, Located: true,
					Reason: fmt.Sprintf("the stored log differs from stream message %d (altered, inserted, deleted or reordered)", index+1)}, CheckStream)
				return false
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		rep.Streamed = streamed
		rep.Notes = append(rep.Notes, notes...)
		if stored := uint64(len(leaves)); storedProblem == nil && stored > last {
			first.offer(&tlog.Problem{Index: last, Located: true,
				Reason: fmt.Sprintf("the stored log holds %d entries, the stream only %d: entries the stream never carried (inserted)", stored, last)}, CheckStream)
		}
	}

	if p := rep.Signatures.First; p != nil && p.Index < cp.Size {
		first.offer(p, CheckAuthentic)
	}
	for _, f := range rep.Findings {
		first.offer(&tlog.Problem{Index: f.GetFirstIndex(), Located: f.GetLocated(),
			Reason: "the audit service reports its stored log inconsistent: " + f.GetReason()}, CheckFindings)
	}
	if first.p != nil {
		rep.Problem, rep.Check = first.p, first.check
		return rep, nil
	}
	// Revisions of the entries the checkpoint covers (problems come in index order).
	if revFirst != nil && revFirst.Index < cp.Size {
		rep.Problem, rep.Check = revFirst, CheckRevisions
		return rep, nil
	}
	if len(o.Trusted) > 0 {
		trusted, err := tlog.OpenCheckpoint(o.Trusted, o.Key)
		if err != nil {
			rep.SigErr, rep.Check = fmt.Errorf("the trusted checkpoint does not verify with the pinned key: %w", err), CheckTrusted
			return rep, nil
		}
		rep.Trusted = trusted
		p, err := tlog.VerifyConsistencyWithTrusted(leaves, *trusted, *cp)
		if err != nil {
			return nil, err
		}
		if p != nil {
			rep.Problem, rep.Check = p, CheckTrusted
		}
	}
	return rep, nil
}

// Authenticity checks entries' event signatures, in log order, and keeps the first that
// does not prove its origin: unsigned, signed by a key not pinned, a bad signature, or a
// service signing another's subject. It runs offline, from the recorded subject, signature
// header and bytes of each entry, so an auditor proves every event came from Yaosu and not
// from whoever could publish on the broker.
type Authenticity struct {
	// Keys are the pinned event keys; nil disables the check.
	Keys            *messaging.Keyring
	Checked, Failed uint64
	First           *tlog.Problem
}

// Add checks entry index.
func (a *Authenticity) Add(index uint64, subject string, body []byte, header string) {
	if a.Keys == nil {
		return
	}
	a.Checked++
	if _, _, err := a.Keys.VerifyEvent(subject, body, header); messaging.IsAuthenticityError(err) {
		a.Failed++
		if a.First == nil {
			if subject == "" {
				subject = "(subject not recorded)"
			}
			a.First = &tlog.Problem{Index: index, Located: true, Reason: fmt.Sprintf("event on %s does not prove its origin: %v", subject, err)}
		}
	}
}

// ReadStored pages through the service's stored log from index 0 to its end and calls each
// with every entry and its leaf hash recomputed from the entry's bytes, in log order. It
// stops at the first entry that is out of place (a gap or a repeat in the indexes served)
// or whose served leaf hash is not the hash of its bytes, and returns that as a Problem.
func ReadStored(ctx context.Context, client auditv1.AuditServiceClient, timeout time.Duration,
	each func(e *auditv1.LogEntry, leaf []byte)) (*tlog.Problem, error) {
	var next uint64
	for {
		// Each page from the next index expected (not a page token): what a page holds is
		// then checked against where it was asked to start.
		reqCtx, cancel := context.WithTimeout(ctx, timeout)
		resp, err := client.ListEvents(reqCtx, &auditv1.ListEventsRequest{PageSize: PageSize, StartIndex: next})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("read the stored log from index %d: %w", next, err)
		}
		for _, e := range resp.GetEntries() {
			switch {
			case e.GetIndex() > next:
				return &tlog.Problem{Index: next, Located: true,
					Reason: fmt.Sprintf("entry %d is missing from the stored log (the service served index %d next: deleted)", next, e.GetIndex())}, nil
			case e.GetIndex() < next:
				return &tlog.Problem{Index: next, Located: true,
					Reason: fmt.Sprintf("the service served index %d again where %d was expected", e.GetIndex(), next)}, nil
			case e.GetStreamSequence() != next+1:
				return &tlog.Problem{Index: next, Located: true,
					Reason: fmt.Sprintf("entry %d says stream sequence %d, want %d (altered)", next, e.GetStreamSequence(), next+1)}, nil
			}
			leaf := tlog.LeafHash(e.GetData())
			if !bytes.Equal(leaf, e.GetLeafHash()) {
				return &tlog.Problem{Index: next, Located: true,
					Reason: "the stored leaf hash is not the hash of the entry's data (data or leaf hash altered)"}, nil
			}
			each(e, leaf)
			next++
		}
		if len(resp.GetEntries()) == 0 || (resp.GetNextPageToken() == "" && len(resp.GetEntries()) < PageSize) {
			return nil, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("interrupted: %w", err)
		}
	}
}

// ServerProver asks the audit service for the root of the log's first size entries and
// its consistency proof to the checkpoint's size, and returns the root only once the proof
// checks out against the signed root: the server is asked, never trusted.
type ServerProver struct {
	Client     auditv1.AuditServiceClient
	Checkpoint tlog.Checkpoint
	Timeout    time.Duration
}

// ProvenRoot implements tlog.Prover.
func (p *ServerProver) ProvenRoot(ctx context.Context, size uint64) ([]byte, error) {
	reqCtx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	resp, err := p.Client.GetConsistencyProof(reqCtx, &auditv1.GetConsistencyProofRequest{OldSize: size, NewSize: p.Checkpoint.Size})
	if err != nil {
		return nil, fmt.Errorf("the audit service is needed to locate the first bad entry: %w", err)
	}
	if err := tlog.VerifyConsistency(size, p.Checkpoint.Size, resp.GetHashes(), resp.GetOldRootHash(), p.Checkpoint.Hash); err != nil {
		return nil, fmt.Errorf("the audit service's consistency proof from size %d to the checkpoint's %d does not verify "+
			"against the signed root: the server's log is not the one the checkpoint signed: %w", size, p.Checkpoint.Size, err)
	}
	return resp.GetOldRootHash(), nil
}

// replayBatch is how many messages one fetch of the stream replay asks for.
const replayBatch = 10_000

// ReplayStream reads the stream from its first message up to sequence size and calls each
// with the log index (sequence - 1) and body of every message, in order, until each returns
// false. It returns how many messages it passed on, the stream's last sequence when it
// started, and notes on sequences missing from the stream.
//
// Not messaging.Replay: that treats a missing sequence as an error, but for an auditor a
// message missing from the stream is a finding. Messages are passed on in stream order
// regardless, under the index of their position, so the comparison locates the first that
// does not match, and the gap is returned as a note.
func ReplayStream(ctx context.Context, js jetstream.JetStream, timeout time.Duration, size uint64,
	each func(index uint64, body []byte) bool) (passed, last uint64, notes []string, err error) {
	setupCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stream, err := js.Stream(setupCtx, messaging.StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, 0, nil, fmt.Errorf("NATS has no stream %s", messaging.StreamName)
	}
	if err != nil {
		return 0, 0, nil, fmt.Errorf("stream %s: %w", messaging.StreamName, err)
	}
	info, err := stream.Info(setupCtx)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("stream %s: %w", messaging.StreamName, err)
	}
	last = info.State.LastSeq
	target := min(size, last)
	if target == 0 || info.State.Msgs == 0 {
		return 0, last, nil, nil
	}
	cons, err := stream.OrderedConsumer(setupCtx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return 0, 0, nil, fmt.Errorf("read %s: %w", messaging.StreamName, err)
	}
	var expect uint64 = 1
	gap := func(from, to uint64) {
		if len(notes) < 10 {
			notes = append(notes, fmt.Sprintf("stream sequences %d-%d (log indexes %d-%d) are missing from %s",
				from, to, from-1, to-1, messaging.StreamName))
		}
	}
	for expect <= target {
		batch, err := cons.Fetch(int(min(target-expect+1, replayBatch)), jetstream.FetchMaxWait(timeout))
		if err != nil {
			return 0, 0, nil, fmt.Errorf("read %s: %w", messaging.StreamName, err)
		}
		got, end := 0, false
		for msg := range batch.Messages() {
			if end {
				continue // drain the batch
			}
			md, err := msg.Metadata()
			if err != nil {
				return 0, 0, nil, fmt.Errorf("read %s: %w", messaging.StreamName, err)
			}
			seq := md.Sequence.Stream
			if seq > target {
				if expect <= target {
					gap(expect, target)
				}
				end = true
				continue
			}
			if seq != expect {
				gap(expect, seq-1)
			}
			index := passed
			passed++
			expect = seq + 1
			got++
			if !each(index, msg.Data()) {
				return passed, last, notes, nil
			}
			end = end || md.NumPending == 0
		}
		if ctx.Err() != nil {
			return 0, 0, nil, fmt.Errorf("interrupted: %w", ctx.Err())
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) &&
			!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) {
			return 0, 0, nil, fmt.Errorf("read %s: %w", messaging.StreamName, err)
		}
		if end || got == 0 {
			break
		}
	}
	if expect <= target {
		gap(expect, target)
	}
	return passed, last, notes, nil
}
