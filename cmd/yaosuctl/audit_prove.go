package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/tlog"
)

// proofBundle is everything needed to check, offline, that an event is in the audit log:
// the event's bytes, its place, the audit path and the signed checkpoint it leads to.
type proofBundle struct {
	EventID  string   `json:"event_id"`
	Index    uint64   `json:"index"`
	TreeSize uint64   `json:"tree_size"`
	LeafData []byte   `json:"leaf_data"`
	Hashes   [][]byte `json:"hashes"`
	// Checkpoint is the signed checkpoint of tree_size; only its signed note counts.
	Checkpoint *checkpointJSON `json:"checkpoint"`
	// Event is leaf_data decoded, for people; check-proof does not read it.
	Event json.RawMessage `json:"event,omitempty"`
}

func auditProveCmd(g *globals) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "prove EVENT_ID [-f FILE]",
		Short: "Get a proof bundle that an event is in the audit log, checkable offline",
		Long: "Ask the audit service for the inclusion proof of an event against its latest signed\n" +
			"checkpoint and write it as a JSON bundle: event_id, index, tree_size, leaf_data (the\n" +
			"event's bytes, base64), hashes (the audit path) and the checkpoint (signed note and\n" +
			"verifier key). Anyone can check it without the server: `yaosuctl audit check-proof`.\n" +
			"The bundle is checked before it is written.",
		Example: "  yaosuctl audit prove 0198c6f2-7a4e-7b61-9f0e-2d1c3b4a5e6f -f proof.json\n" +
			"  yaosuctl audit check-proof proof.json --key \"$(cat audit.vkey)\"",
		Args: exactArgs(1, "one event id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			bundle, err := fetchProof(cmd.Context(), g, strings.TrimSpace(args[0]))
			if err != nil {
				return err
			}
			out, commit, abort, err := createOutput(file, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			defer abort()
			if err := writeJSON(out, bundle); err != nil {
				return err
			}
			if err := commit(); err != nil {
				return err
			}
			if file != "" && file != "-" {
				fprintfErr(cmd.ErrOrStderr(), "Wrote the proof that event %s is entry %d of %s (tree size %d) to %s.\n"+
					"Check it offline: yaosuctl audit check-proof %s --key '%s'\n",
					bundle.EventID, bundle.Index, bundle.Checkpoint.Origin, bundle.TreeSize, file, file, bundle.Checkpoint.VerifierKey)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "write the bundle to this `FILE` instead of stdout")
	return cmd
}

// fetchProof gets the inclusion proof of eventID against the latest checkpoint and checks it
// with the key the server offers (the reader of the bundle checks it with a pinned key).
func fetchProof(ctx context.Context, g *globals, eventID string) (*proofBundle, error) {
	client, closeConn, err := g.auditClient()
	if err != nil {
		return nil, err
	}
	defer closeConn()
	reqCtx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	resp, err := client.GetInclusionProof(reqCtx, &auditv1.GetInclusionProofRequest{EventId: eventID})
	if err != nil {
		return nil, g.rpcFailed(err)
	}
	cpResp, err := g.latestCheckpoint(ctx, client)
	if err != nil {
		return nil, err
	}
	e := resp.GetEntry()
	bundle := &proofBundle{
		EventID:    eventID,
		Index:      e.GetIndex(),
		TreeSize:   resp.GetTreeSize(),
		LeafData:   e.GetData(),
		Hashes:     resp.GetHashes(),
		Checkpoint: newCheckpointJSON(resp.GetCheckpoint(), cpResp.GetVerifierKey()),
		Event:      eventJSON(e.GetData()),
	}
	if bundle.Hashes == nil {
		bundle.Hashes = [][]byte{} // a one-entry log: an empty path, not null
	}
	if _, _, err := checkProof(bundle, cpResp.GetVerifierKey()); err != nil {
		return nil, fmt.Errorf("the server's proof does not check out: %w", err)
	}
	return bundle, nil
}

// checkProof verifies a bundle offline: the checkpoint's signature with verifierKey, that
// leaf_data is the event named, and the audit path from its leaf hash to the signed root.
func checkProof(b *proofBundle, verifierKey string) (*tlog.Checkpoint, *eventsv1.Event, error) {
	if b.Checkpoint == nil {
		return nil, nil, errors.New("the bundle has no checkpoint")
	}
	cp, err := openCheckpoint(b.Checkpoint.SignedNote, verifierKey, "the bundle's checkpoint")
	if err != nil {
		return nil, nil, err
	}
	if b.TreeSize != cp.Size {
		return cp, nil, fmt.Errorf("the proof is for tree size %d but the signed checkpoint covers %d entries: "+
			"get a new proof with `yaosuctl audit prove`", b.TreeSize, cp.Size)
	}
	ev, err := messaging.Decode(b.LeafData)
	if err != nil {
		return cp, nil, fmt.Errorf("leaf_data is not an event envelope: %w", err)
	}
	if ev.GetId() != b.EventID {
		return cp, ev, fmt.Errorf("leaf_data is event %q, not %q", ev.GetId(), b.EventID)
	}
	if err := tlog.VerifyInclusion(b.Index, b.TreeSize, tlog.LeafHash(b.LeafData), b.Hashes, cp.Hash); err != nil {
		return cp, ev, err
	}
	return cp, ev, nil
}

// proofReport is check-proof's -o json output.
type proofReport struct {
	OK        bool   `json:"ok"`
	EventID   string `json:"event_id"`
	Index     uint64 `json:"index"`
	TreeSize  uint64 `json:"tree_size"`
	Origin    string `json:"origin,omitempty"`
	SignTime  string `json:"sign_time,omitempty"`
	Key       string `json:"key"`
	KeyPinned bool   `json:"key_pinned"`
	Error     string `json:"error,omitempty"`
}

func auditCheckProofCmd(g *globals) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "check-proof FILE [--key VERIFIER_KEY]",
		Short: "Check a proof bundle from `audit prove` offline",
		Long: "Check, without any server, that the bundle's event is in the audit log: the checkpoint's\n" +
			"signature with the verifier key (--key; pin it), that leaf_data is the event named, and\n" +
			"the audit path from its leaf hash to the signed root. FILE - reads stdin.\n" +
			"Prints OK or FAIL with the reason; the exit status is 1 on failure.",
		Example: "  yaosuctl audit check-proof proof.json --key 'yaosu.dev/audit+1a2b3c4d+AbC...'",
		Args:    exactArgs(1, "one proof file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := readInput(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			var b proofBundle
			if err := json.Unmarshal(raw, &b); err != nil {
				return fmt.Errorf("%s is not a proof bundle: %w", args[0], err)
			}
			key = strings.TrimSpace(key)
			if key == "" {
				k, err := loadPinnedKey(g.getenv, g.addr)
				if err != nil {
					return err
				}
				key = k
			}
			pinned := key != ""
			if !pinned {
				if b.Checkpoint == nil || b.Checkpoint.VerifierKey == "" {
					return errors.New("the bundle names no verifier key: pass --key")
				}
				key = b.Checkpoint.VerifierKey
				unpinnedKeyWarning(cmd.ErrOrStderr(), "the bundle", key)
			}
			cp, ev, checkErr := checkProof(&b, key)
			return printProofCheck(cmd.OutOrStdout(), g.output, &b, cp, ev, key, pinned, checkErr)
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "the log's note verifier `KEY`, obtained out of band (default: the bundle's, with a warning)")
	return cmd
}

// printProofCheck reports a check and returns its failure as the command's error.
func printProofCheck(w io.Writer, output string, b *proofBundle, cp *tlog.Checkpoint, ev *eventsv1.Event,
	key string, pinned bool, checkErr error) error {
	rep := proofReport{OK: checkErr == nil, EventID: b.EventID, Index: b.Index, TreeSize: b.TreeSize, Key: keyName(key), KeyPinned: pinned}
	if cp != nil {
		rep.Origin, rep.SignTime = cp.Origin, cp.Time.Format(time.RFC3339Nano)
	}
	if checkErr != nil {
		rep.Error = checkErr.Error()
	}
	var err error
	switch {
	case output == outputJSON:
		err = writeJSON(w, rep)
	case checkErr != nil:
		_, err = fmt.Fprintf(w, "FAIL: %v\n", checkErr)
	default:
		pin := "pinned"
		if !pinned {
			pin = "NOT pinned"
		}
		_, err = fmt.Fprintf(w, "OK: event %s (%s %s) is entry %d of the audit log %s at tree size %d,\n"+
			"    checkpoint signed %s, key %s (%s)\n",
			b.EventID, ev.GetType(), ev.GetSubject(), b.Index, cp.Origin, cp.Size, cp.Time.Format(time.RFC3339), keyName(key), pin)
	}
	if err != nil {
		return err
	}
	if checkErr != nil {
		return fmt.Errorf("proof check failed: %w", checkErr)
	}
	return nil
}
