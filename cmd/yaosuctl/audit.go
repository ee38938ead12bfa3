package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/tlog"
)

// auditMaxRecvMsgSize bounds one audit response. A ListEvents page holds up to 1000 entries,
// each with its body twice (raw and decoded): well over gRPC's 4 MiB default when events
// carry large payloads.
const auditMaxRecvMsgSize = 256 << 20

// progressEvery is how many entries pass between two progress lines of export and verify.
const progressEvery = 10_000

func auditCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Export, verify and prove the tamper-evident audit log (auditor or admin role)",
		Long: "The audit service appends every message of " + messaging.StreamName + " to an RFC 6962 Merkle log\n" +
			"(entry i is stream message i+1) and signs checkpoints of it. These commands export the log,\n" +
			"verify it independently of the server (replaying the stream or an export), and prove or\n" +
			"check that one event is in it.\n\n" +
			"Pin the log's verifier key, as published by the registry's operators: once with\n" +
			"`audit key --pin --key KEY` (stored per --addr), or each time with --key. Without either the\n" +
			"commands use the key the server or file offers and warn: that only shows the log is\n" +
			"consistent with itself, not that it is the log you expect.",
		RunE: groupRunE,
	}
	cmd.AddCommand(auditExportCmd(g), auditVerifyCmd(g), auditKeyCmd(g), auditProveCmd(g), auditCheckProofCmd(g))
	return cmd
}

// auditClient connects to the audit service with the resolved token. The caller closes
// the connection.
func (g *globals) auditClient() (auditv1.AuditServiceClient, func(), error) {
	conn, err := g.dial(grpc.MaxCallRecvMsgSize(auditMaxRecvMsgSize))
	if err != nil {
		return nil, nil, err
	}
	return auditv1.NewAuditServiceClient(conn), func() { _ = conn.Close() }, nil
}

// latestCheckpoint asks the server for its latest checkpoint (signing one first if the log
// grew) and its verifier key.
func (g *globals) latestCheckpoint(ctx context.Context, client auditv1.AuditServiceClient) (*auditv1.GetCheckpointResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	resp, err := client.GetCheckpoint(ctx, &auditv1.GetCheckpointRequest{})
	if err != nil {
		return nil, g.rpcFailed(err)
	}
	if resp.GetCheckpoint().GetSignedNote() == "" {
		return nil, errors.New("the server returned a checkpoint without a signed note")
	}
	return resp, nil
}

// checkpointJSON is a checkpoint in export files and proof bundles. Only signed_note is
// trusted, and only after it verifies; the other fields are there for people and jq.
type checkpointJSON struct {
	Origin      string `json:"origin"`
	TreeSize    uint64 `json:"tree_size"`
	RootHash    []byte `json:"root_hash"`
	SignTime    string `json:"sign_time,omitempty"`
	SignedNote  string `json:"signed_note"`
	VerifierKey string `json:"verifier_key"`
	// EventKeys are the event keys the server offered (exports only): used, with a
	// warning, when none are pinned.
	EventKeys []eventKeyJSON `json:"event_keys,omitempty"`
}

func newCheckpointJSON(cp *auditv1.Checkpoint, verifierKey string) *checkpointJSON {
	out := &checkpointJSON{
		Origin:      cp.GetOrigin(),
		TreeSize:    cp.GetTreeSize(),
		RootHash:    cp.GetRootHash(),
		SignedNote:  cp.GetSignedNote(),
		VerifierKey: verifierKey,
	}
	if cp.GetSignTime() != nil {
		out.SignTime = cp.GetSignTime().AsTime().UTC().Format(time.RFC3339Nano)
	}
	return out
}

// openCheckpoint verifies a signed checkpoint note with the verifier key, saying what
// failed in terms an auditor can act on.
func openCheckpoint(note, verifierKey, what string) (*tlog.Checkpoint, error) {
	if strings.TrimSpace(note) == "" {
		return nil, fmt.Errorf("%s: no signed note", what)
	}
	cp, err := tlog.OpenCheckpoint([]byte(note), verifierKey)
	if err != nil {
		return nil, fmt.Errorf("%s does not verify with key %s (forged, signed by another key or for another log, "+
			"or altered after signing): %w", what, keyName(verifierKey), err)
	}
	return cp, nil
}

// keyName is the readable part of a note verifier key, "<name>+<key hash>", without the
// public key itself.
func keyName(verifierKey string) string {
	name, rest, ok := strings.Cut(verifierKey, "+")
	if !ok {
		return verifierKey
	}
	hash, _, _ := strings.Cut(rest, "+")
	return name + "+" + hash
}

// unpinnedKeyWarning is printed when the verifier key comes from what is being verified.
func unpinnedKeyWarning(w io.Writer, from, key string) {
	fprintfErr(w, "warning: verifier key not pinned: using the key %s offered (%s). That only shows the log is "+
		"consistent with itself; pass --key with the key you obtained out of band, or pin it once with "+
		"`yaosuctl audit key --pin --key KEY`.\n", from, key)
}

// b64 is standard base64, as encoding/json writes []byte.
func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// isTerminal reports whether w is a character device (a terminal), where progress lines
// help rather than clutter a log.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress prints "<verb> N/total entries" to w every progressEvery entries when enabled.
type progress struct {
	w     io.Writer
	verb  string
	total uint64
	on    bool
}

func (p *progress) tick(done uint64) {
	if !p.on || done == 0 || done%progressEvery != 0 {
		return
	}
	if p.total > 0 {
		fprintfErr(p.w, "%s %d/%d entries (%d%%)\n", p.verb, done, p.total, done*100/p.total)
		return
	}
	fprintfErr(p.w, "%s %d entries\n", p.verb, done)
}

// createOutput opens path for writing through a temporary file in the same directory, so
// a failed run never leaves a partial file behind under the real name. "" or "-" is w.
// commit renames the file into place; abort (safe after commit) removes it.
func createOutput(path string, w io.Writer) (out io.Writer, commit func() error, abort func(), err error) {
	if path == "" || path == "-" {
		return w, func() error { return nil }, func() {}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, nil, nil, err
	}
	committed := false
	commit = func() error {
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Chmod(f.Name(), 0o644); err != nil {
			return err
		}
		if err := os.Rename(f.Name(), path); err != nil {
			return err
		}
		committed = true
		return nil
	}
	abort = func() {
		if !committed {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}
	return f, commit, abort, nil
}

// readInput reads path, or stdin for "-".
func readInput(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(path)
}

// writeJSON writes v as indented JSON without HTML escaping.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
