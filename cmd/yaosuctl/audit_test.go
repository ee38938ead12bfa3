package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/tlog"
)

const testOrigin = "yaosu.test/audit"

// testLog is an audit log built from tlog primitives: entry bodies, their leaf hashes and
// a signer, enough to answer every audit RPC the CLI makes.
type testLog struct {
	bodies [][]byte
	leaves [][]byte
	signer *tlog.Signer
	// subjects and sigs are each entry's NATS subject and signature header ("" for none);
	// events signs event bodies as the catalog's relay would.
	subjects, sigs []string
	events, raw    *messaging.SigningKey
}

func newTestLog(t testing.TB) *testLog {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	s, err := tlog.NewSigner(testOrigin, key)
	require.NoError(t, err)
	events, err := messaging.NewSigningKey("catalog")
	require.NoError(t, err)
	raw, err := messaging.NewSigningKey("test")
	require.NoError(t, err)
	return &testLog{signer: s, events: events, raw: raw}
}

// add appends a raw body as published on yaosu.test.raw, signed by the "test" key.
func (l *testLog) add(body []byte) {
	l.addSigned(body, "yaosu.test.raw", l.raw.Sign("yaosu.test.raw", body))
}

func (l *testLog) addSigned(body []byte, subject, sig string) {
	l.bodies = append(l.bodies, body)
	l.leaves = append(l.leaves, tlog.LeafHash(body))
	l.subjects, l.sigs = append(l.subjects, subject), append(l.sigs, sig)
}

// event appends an event about resource at revision and returns it.
func (l *testLog) event(t testing.TB, resource string, revision int64) *eventsv1.Event {
	t.Helper()
	ev, err := messaging.NewEvent(context.Background(), "catalog", "catalog.asset.created", resource, revision,
		&eventsv1.AssetCreated{Asset: &catalogv1.Asset{Name: resource, DisplayName: "数据 " + resource}})
	require.NoError(t, err)
	body, err := proto.Marshal(ev)
	require.NoError(t, err)
	subject := messaging.NATSSubject(ev.GetType())
	l.addSigned(body, subject, l.events.Sign(subject, body))
	return ev
}

// sign signs a checkpoint of the first size entries.
func (l *testLog) sign(t testing.TB, size uint64) (*auditv1.Checkpoint, tlog.Checkpoint) {
	t.Helper()
	c := tlog.Checkpoint{Origin: testOrigin, Size: size, Hash: tlog.RootOf(l.leaves[:size]), Time: time.Now().UTC().Truncate(time.Microsecond)}
	note, err := l.signer.Sign(c)
	require.NoError(t, err)
	return &auditv1.Checkpoint{Origin: testOrigin, TreeSize: size, RootHash: c.Hash, SignTime: timestamppb.New(c.Time), SignedNote: string(note)}, c
}

// nodeHashes answers the node hashes a proof needs by hashing the leaves under each node.
func (l *testLog) nodeHashes(ids []tlog.NodeID) [][]byte {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		out[i] = tlog.RootOf(l.leaves[id.Index<<id.Level : (id.Index+1)<<id.Level])
	}
	return out
}

func (l *testLog) inclusionProof(t testing.TB, index, size uint64) [][]byte {
	t.Helper()
	ids, rehash, err := tlog.InclusionProofNodes(index, size)
	require.NoError(t, err)
	p, err := rehash(l.nodeHashes(ids))
	require.NoError(t, err)
	return p
}

// fakeAudit serves a testLog as the audit service. It ignores tokens.
type fakeAudit struct {
	auditv1.UnimplementedAuditServiceServer
	t      testing.TB
	mu     sync.Mutex
	log    *testLog
	proofs int // consistency proofs served
}

func (f *fakeAudit) GetCheckpoint(context.Context, *auditv1.GetCheckpointRequest) (*auditv1.GetCheckpointResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.log.leaves) == 0 {
		return nil, status.Error(codes.FailedPrecondition, "the audit log is empty")
	}
	cp, _ := f.log.sign(f.t, uint64(len(f.log.leaves)))
	resp := &auditv1.GetCheckpointResponse{Checkpoint: cp, VerifierKey: f.log.signer.VerifierKey()}
	for _, k := range []*messaging.SigningKey{f.log.events, f.log.raw} {
		pub := k.Public()
		resp.EventKeys = append(resp.EventKeys, &auditv1.EventKey{Id: pub.ID, Service: pub.Service, PublicKey: pub.Key})
	}
	return resp, nil
}

func (f *fakeAudit) GetConsistencyProof(_ context.Context, req *auditv1.GetConsistencyProofRequest) (*auditv1.GetConsistencyProofResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.proofs++
	size := uint64(len(f.log.leaves))
	newSize := req.GetNewSize()
	if newSize == 0 {
		newSize = size
	}
	if req.GetOldSize() < 1 || req.GetOldSize() > newSize || newSize > size {
		return nil, status.Error(codes.InvalidArgument, "bad sizes")
	}
	ids, rehash, err := tlog.ConsistencyProofNodes(req.GetOldSize(), newSize)
	if err != nil {
		return nil, err
	}
	p, err := rehash(f.log.nodeHashes(ids))
	if err != nil {
		return nil, err
	}
	return &auditv1.GetConsistencyProofResponse{OldSize: req.GetOldSize(), NewSize: newSize,
		OldRootHash: tlog.RootOf(f.log.leaves[:req.GetOldSize()]), NewRootHash: tlog.RootOf(f.log.leaves[:newSize]), Hashes: p}, nil
}

func (f *fakeAudit) GetInclusionProof(_ context.Context, req *auditv1.GetInclusionProofRequest) (*auditv1.GetInclusionProofResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	size := uint64(len(f.log.leaves))
	for i, body := range f.log.bodies {
		ev, err := messaging.Decode(body)
		if err != nil || ev.GetId() != req.GetEventId() {
			continue
		}
		cp, _ := f.log.sign(f.t, size)
		return &auditv1.GetInclusionProofResponse{
			Entry:    &auditv1.LogEntry{Index: uint64(i), StreamSequence: uint64(i) + 1, LeafHash: f.log.leaves[i], Data: body, Event: ev},
			TreeSize: size, Hashes: f.log.inclusionProof(f.t, uint64(i), size), Checkpoint: cp,
		}, nil
	}
	return nil, status.Error(codes.NotFound, "event not in the audit log")
}

func (f *fakeAudit) ListEvents(_ context.Context, req *auditv1.ListEventsRequest) (*auditv1.ListEventsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	size := uint64(len(f.log.leaves))
	n := uint64(req.GetPageSize())
	switch {
	case n == 0:
		n = 100
	case n > 1000:
		n = 1000
	}
	resp := &auditv1.ListEventsResponse{TreeSize: size}
	for i := req.GetStartIndex(); i < size && uint64(len(resp.Entries)) < n; i++ {
		e := &auditv1.LogEntry{Index: i, StreamSequence: i + 1, LeafHash: f.log.leaves[i], Data: f.log.bodies[i],
			Subject: f.log.subjects[i], Signature: f.log.sigs[i]}
		if ev, err := messaging.Decode(f.log.bodies[i]); err == nil {
			e.Event = ev
		}
		resp.Entries = append(resp.Entries, e)
	}
	return resp, nil
}

// serve runs the fake audit service on a loopback port and returns its address.
func (f *fakeAudit) serve(t testing.TB) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gs := grpc.NewServer()
	auditv1.RegisterAuditServiceServer(gs, f)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	return lis.Addr().String()
}

func (f *fakeAudit) proofCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.proofs
}

// auditCLI runs yaosuctl against the fake audit service at addr.
func auditCLI(t *testing.T, addr string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return runCLI(t, ctx, append([]string{"--addr", addr, "--token", "test-token"}, args...)...)
}

// exportFile is an export file's lines, for tampering with.
type exportFile struct {
	entries []map[string]any
	trailer string
}

func readExportFile(t *testing.T, path string) *exportFile {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	f := &exportFile{trailer: lines[len(lines)-1]}
	for _, l := range lines[:len(lines)-1] {
		m := map[string]any{}
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		f.entries = append(f.entries, m)
	}
	return f
}

func (f *exportFile) write(t *testing.T, path string) string {
	t.Helper()
	var b strings.Builder
	for _, e := range f.entries {
		raw, err := json.Marshal(e)
		require.NoError(t, err)
		b.Write(raw)
		b.WriteByte('\n')
	}
	b.WriteString(f.trailer + "\n")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

func (f *exportFile) clone() *exportFile {
	out := &exportFile{trailer: f.trailer}
	for _, e := range f.entries {
		c := map[string]any{}
		for k, v := range e {
			c[k] = v
		}
		out.entries = append(out.entries, c)
	}
	return out
}

// renumber sets index and stream_seq to the entries' positions, as a careful forger would.
func (f *exportFile) renumber() {
	for i, e := range f.entries {
		e["index"], e["stream_seq"] = i, i+1
	}
}

func TestAuditCommandsNeedAToken(t *testing.T) {
	isolate(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, args := range [][]string{{"audit", "export"}, {"audit", "verify"}, {"audit", "prove", "x"}} {
		_, _, err := runCLI(t, ctx, args...)
		require.ErrorIs(t, err, errNotLoggedIn, args)
	}
	_, _, err := runCLI(t, ctx, "audit", "verify", "--file", "x", "--nats", "nats://x")
	require.ErrorContains(t, err, "alternatives")
	_, _, err = runCLI(t, ctx, "audit", "bogus")
	require.ErrorContains(t, err, `unknown command "bogus"`)
}

func TestKeyName(t *testing.T) {
	require.Equal(t, "yaosu.test/audit+01234567", keyName("yaosu.test/audit+01234567+AbCdEf=="))
	require.Equal(t, "plain", keyName("plain"))
}

func TestTrustedNoteAcceptsNoteOrJSON(t *testing.T) {
	note := "yaosu.test/audit\n3\nAAAA\ntime x\n\n— yaosu.test/audit abc\n"
	got, err := trustedNote([]byte(note))
	require.NoError(t, err)
	require.Equal(t, note, got)
	line, err := json.Marshal(exportTrailer{Checkpoint: &checkpointJSON{SignedNote: note}})
	require.NoError(t, err)
	got, err = trustedNote(line)
	require.NoError(t, err)
	require.Equal(t, note, got)
	got, err = trustedNote([]byte(`{"signed_note":` + fmt.Sprintf("%q", note) + `}`))
	require.NoError(t, err)
	require.Equal(t, note, got)
	_, err = trustedNote([]byte(`{"other":1}`))
	require.Error(t, err)
}

func TestCreateOutputLeavesNoPartialFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl")
	w, _, abort, err := createOutput(path, nil)
	require.NoError(t, err)
	_, err = w.Write([]byte("half"))
	require.NoError(t, err)
	abort()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "an aborted output leaves nothing behind")

	w, commit, abort, err := createOutput(path, nil)
	require.NoError(t, err)
	_, err = w.Write([]byte("whole\n"))
	require.NoError(t, err)
	require.NoError(t, commit())
	abort() // a no-op after commit
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "whole\n", string(raw))
}

// b64Flip flips one bit of a base64 value.
func b64Flip(t *testing.T, s string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	raw[len(raw)/2] ^= 0x01
	return base64.StdEncoding.EncodeToString(raw)
}
