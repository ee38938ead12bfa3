package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/tlog"
	"yaosu.dev/services/audit"
)

// TestAuditCLIVerifiesExportsAndProvesAgainstRealServer drives `yaosuctl audit` against the
// real server the way an auditor would: verify the log from the stream and from an export,
// prove an event, and catch every kind of tampering with an export, naming the entry.
func TestAuditCLIVerifiesExportsAndProvesAgainstRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds yaosuctl")
	}
	// NATS with users: `audit verify` reads the stream as the auditor (cmd/yaosuctl/natsconn.go).
	s := startStack(t)
	ctl, must := yaosuctl(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// ~30 events, through the catalog's outbox and the stream into the audit log.
	reg := s.as(t, ctx, orgA, auth.RoleRegistrar)
	for i := range 30 {
		_, err := s.catalog.CreateAsset(reg, &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{
			DisplayName: fmt.Sprintf("数据资产 %02d", i), HolderOrganisation: orgA}})
		require.NoError(t, err)
	}
	auditClient := auditv1.NewAuditServiceClient(s.conn)
	auditor := s.as(t, ctx, orgB, auth.RoleAuditor)
	var entries []*auditv1.LogEntry
	require.Eventually(t, func() bool {
		resp, err := auditClient.ListEvents(auditor, &auditv1.ListEventsRequest{Type: "catalog.asset.created", PageSize: 1000})
		require.NoError(t, err)
		entries = resp.GetEntries()
		return len(entries) == 30
	}, 20*time.Second, 20*time.Millisecond)
	var cp *auditv1.GetCheckpointResponse
	var err error
	require.Eventually(t, func() bool {
		cp, err = auditClient.GetCheckpoint(auditor, &auditv1.GetCheckpointRequest{})
		require.NoError(t, err)
		return cp.GetCheckpoint().GetTreeSize() > entries[29].GetIndex()
	}, 20*time.Second, 20*time.Millisecond)
	key := cp.GetVerifierKey()
	origin := cp.GetCheckpoint().GetOrigin()

	// fails runs a verification that must fail with exit status 1 and returns its report.
	fails := func(args ...string) string {
		t.Helper()
		stdout, stderr, err := ctl(args...)
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "yaosuctl %s: want a failure, got %v:\n%s%s", strings.Join(args, " "), err, stdout, stderr)
		require.Equal(t, 1, exit.ExitCode())
		require.Contains(t, stderr, "yaosuctl: ")
		return stdout
	}

	must("login", "--dev", "--org", orgB, "--role", "auditor")

	// The stored log, and the stream against it.
	report := must("audit", "verify", "--key", key)
	require.True(t, strings.HasPrefix(report, "OK: the audit log matches its signed checkpoint"), report)
	_, stderr, err := ctl("audit", "verify")
	require.NoError(t, err)
	require.Contains(t, stderr, "warning: verifier key not pinned")
	var rep struct {
		OK        bool   `json:"ok"`
		Entries   uint64 `json:"entries"`
		TreeSize  uint64 `json:"tree_size"`
		Uncovered uint64 `json:"uncovered"`
	}
	require.NoError(t, json.Unmarshal([]byte(must("audit", "verify", "--key", key, "-o", "json")), &rep))
	require.True(t, rep.OK)
	require.GreaterOrEqual(t, rep.TreeSize, uint64(30))
	require.Equal(t, rep.TreeSize+rep.Uncovered, rep.Entries, "every stored entry was read; those after the checkpoint are not covered yet")

	// An export, verified offline and with the server's help.
	dir := t.TempDir()
	export := filepath.Join(dir, "export.jsonl")
	must("audit", "export", "-f", export)
	require.True(t, strings.HasPrefix(must("audit", "verify", "--file", export, "--key", key), "OK:"))
	require.True(t, strings.HasPrefix(must("audit", "verify", "--file", export, "--key", key, "--offline"), "OK:"))
	lines := exportLines(t, export)
	size := uint64(len(lines) - 1)
	require.GreaterOrEqual(t, size, uint64(30))
	trailer := lines[len(lines)-1]

	// A proof of one event, checked offline; one flipped bit in its path fails it.
	proof := filepath.Join(dir, "proof.json")
	event := entries[3].GetEvent().GetId()
	must("audit", "prove", event, "-f", proof)
	require.True(t, strings.HasPrefix(must("audit", "check-proof", proof, "--key", key), "OK: event "+event), "check-proof")
	var bundle map[string]any
	raw, err := os.ReadFile(proof)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &bundle))
	require.Equal(t, event, bundle["event_id"])
	require.EqualValues(t, entries[3].GetIndex(), bundle["index"])
	hashes := bundle["hashes"].([]any)
	require.NotEmpty(t, hashes)
	h, err := base64.StdEncoding.DecodeString(hashes[0].(string))
	require.NoError(t, err)
	h[0] ^= 0x01
	hashes[0] = base64.StdEncoding.EncodeToString(h)
	badProof := filepath.Join(dir, "bad-proof.json")
	writeJSONFile(t, badProof, bundle)
	require.True(t, strings.HasPrefix(fails("audit", "check-proof", badProof, "--key", key), "FAIL: tlog: inclusion of leaf"))

	// Tampered copies of the export: each fails and names the first bad entry.
	tampered := func(name string, change func(entries []map[string]any) []map[string]any) string {
		t.Helper()
		es := make([]map[string]any, 0, len(lines)-1)
		for _, l := range lines[:len(lines)-1] {
			m := map[string]any{}
			require.NoError(t, json.Unmarshal([]byte(l), &m))
			es = append(es, m)
		}
		es = change(es)
		var b strings.Builder
		for _, e := range es {
			line, err := json.Marshal(e)
			require.NoError(t, err)
			b.Write(line)
			b.WriteByte('\n')
		}
		b.WriteString(trailer + "\n")
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
		return path
	}
	renumber := func(es []map[string]any) []map[string]any {
		for i, e := range es {
			e["index"], e["stream_seq"] = i, i+1
		}
		return es
	}
	failsAt := func(path string, index int, reason string) {
		t.Helper()
		report := fails("audit", "verify", "--file", path, "--key", key)
		prefix := fmt.Sprintf("FAIL: index %d: ", index)
		require.True(t, strings.HasPrefix(report, prefix), "%s: want %q, got:\n%s", filepath.Base(path), prefix, report)
		require.Contains(t, strings.SplitN(report, "\n", 2)[0], reason)
	}

	failsAt(tampered("a-altered.jsonl", func(es []map[string]any) []map[string]any {
		data, err := base64.StdEncoding.DecodeString(es[7]["data"].(string))
		require.NoError(t, err)
		data[len(data)/2] ^= 0x20
		es[7]["data"] = base64.StdEncoding.EncodeToString(data)
		return es
	}), 7, "does not match the signed log")

	failsAt(tampered("b-deleted.jsonl", func(es []map[string]any) []map[string]any {
		return renumber(append(es[:10], es[11:]...))
	}), 10, "does not match the signed log")

	failsAt(tampered("c-swapped.jsonl", func(es []map[string]any) []map[string]any {
		es[12], es[13] = es[13], es[12]
		return renumber(es)
	}), 12, "does not match the signed log")

	failsAt(tampered("d-inserted.jsonl", func(es []map[string]any) []map[string]any {
		dup := map[string]any{}
		for k, v := range es[2] {
			dup[k] = v
		}
		out := append([]map[string]any{}, es[:5]...)
		out = append(out, dup)
		return renumber(append(out, es[5:]...))
	}), 5, "does not match the signed log")

	failsAt(tampered("e-truncated.jsonl", func(es []map[string]any) []map[string]any {
		return es[:20]
	}), 20, "truncated")

	// (f) A checkpoint of a forked history, signed by the log's own key: the log no longer
	// contains what that checkpoint covered.
	signingKey, err := auth.LoadPrivateKey(filepath.Join(s.dataDir, audit.KeyFile))
	require.NoError(t, err)
	signer, err := tlog.NewSigner(origin, signingKey)
	require.NoError(t, err)
	require.Equal(t, key, signer.VerifierKey())
	otherRoot := make([]byte, 32)
	_, err = rand.Read(otherRoot)
	require.NoError(t, err)
	forkedNote, err := signer.Sign(tlog.Checkpoint{Origin: origin, Size: 10, Hash: otherRoot, Time: time.Now().UTC()})
	require.NoError(t, err)
	forked := filepath.Join(dir, "f-forked.note")
	require.NoError(t, os.WriteFile(forked, forkedNote, 0o600))
	report = fails("audit", "verify", "--key", key, "--trusted", forked)
	require.True(t, strings.HasPrefix(report, "FAIL: at or before index 9: log forked"), report)
	report = fails("audit", "verify", "--file", export, "--key", key, "--trusted", forked)
	require.Contains(t, report, "log forked")
	// The export's own checkpoint is a trusted checkpoint the live log still extends.
	var tr struct {
		Checkpoint struct {
			SignedNote string `json:"signed_note"`
		} `json:"checkpoint"`
	}
	require.NoError(t, json.Unmarshal([]byte(trailer), &tr))
	earlier := filepath.Join(dir, "earlier.note")
	require.NoError(t, os.WriteFile(earlier, []byte(tr.Checkpoint.SignedNote), 0o600))
	require.Contains(t, must("audit", "verify", "--key", key, "--trusted", earlier), "trusted checkpoint")

	// (g) A forged signature: the export's checkpoint signed by another key under the same
	// origin, with the real key pinned.
	_, otherKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	forger, err := tlog.NewSigner(origin, otherKey)
	require.NoError(t, err)
	opened, err := tlog.OpenCheckpoint([]byte(tr.Checkpoint.SignedNote), key)
	require.NoError(t, err)
	forgedNote, err := forger.Sign(*opened)
	require.NoError(t, err)
	var trailerMap map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(trailer), &trailerMap))
	trailerMap["checkpoint"]["signed_note"] = string(forgedNote)
	trailerMap["checkpoint"]["verifier_key"] = forger.VerifierKey()
	forgedTrailer, err := json.Marshal(trailerMap)
	require.NoError(t, err)
	forgedExport := filepath.Join(dir, "g-forged.jsonl")
	require.NoError(t, os.WriteFile(forgedExport, []byte(strings.Join(append(lines[:len(lines)-1:len(lines)-1], string(forgedTrailer)), "\n")+"\n"), 0o600))
	report = fails("audit", "verify", "--file", forgedExport, "--key", key)
	require.True(t, strings.HasPrefix(report, "FAIL: the export's checkpoint does not verify with key "), report)
}

// exportLines reads an export file's lines.
func exportLines(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	require.True(t, strings.HasPrefix(lines[len(lines)-1], `{"checkpoint":`), "the checkpoint is the last line")
	return lines
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, raw, 0o600))
}
