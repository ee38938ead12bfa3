package main

import (
	"context"
	"fmt"
	"io"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"yaosu.dev/pkg/auditcheck"
	"yaosu.dev/pkg/messaging"
)

// verifyStored is the default mode of `audit verify`: the audit service's stored log (what
// ListEvents serves auditors) against its signed checkpoint, and the stream against it
// (pkg/auditcheck does the work).
func verifyStored(ctx context.Context, g *globals, o verifyOptions, stderr io.Writer) (*verifyResult, error) {
	client, closeConn, err := g.auditClient()
	if err != nil {
		return nil, err
	}
	defer closeConn()
	res := &verifyResult{source: fmt.Sprintf("the audit service's stored log at %s, compared with stream %s at %s",
		g.addr, messaging.StreamName, o.natsURL)}
	key := o.key
	res.keyPinned = key != ""
	if key == "" {
		pinned, err := loadPinnedKey(g.getenv, g.addr)
		if err != nil {
			return nil, err
		}
		key, res.keyPinned = pinned, pinned != ""
	}
	ring, err := pinnedEventKeys(g.getenv, g.addr)
	if err != nil {
		return nil, err
	}
	res.eventKeysPinned = ring != nil
	if key == "" || ring == nil {
		cpResp, err := g.latestCheckpoint(ctx, client)
		if err != nil {
			return nil, err
		}
		if key == "" {
			key = cpResp.GetVerifierKey()
			unpinnedKeyWarning(stderr, "the server", key)
		}
		if ring == nil && len(cpResp.GetEventKeys()) > 0 {
			fprintfErr(stderr, "warning: event keys not pinned: using the %d the server offers; pin them with "+
				"`yaosuctl audit key --pin --event-keys DIR`\n", len(cpResp.GetEventKeys()))
			if ring, err = keyring(eventKeysJSON(cpResp.GetEventKeys())); err != nil {
				return nil, fmt.Errorf("the server's event keys: %w", err)
			}
		}
	}
	res.keyName = keyName(key)

	var trusted []byte
	if o.trusted != "" {
		note, err := readTrustedNote(o.trusted)
		if err != nil {
			return nil, err
		}
		trusted = []byte(note)
	}
	natsOpts, err := g.natsOptions()
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(o.natsURL, append(natsOpts, nats.Name("yaosuctl audit verify"), nats.Timeout(g.timeout))...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w\nhint: set --nats / $%s, or verify an export with --file; "+
			"read as the auditor: set $%s to its nkey seed (auditor.nk)", o.natsURL, err, envNATSURL, envNATSSeed)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	prog := &progress{w: stderr, on: o.progress}
	rep, err := auditcheck.VerifyStored(ctx, auditcheck.Options{
		Client: client, JS: js, Key: key, EventKeys: ring, Trusted: trusted, Timeout: g.timeout, Offline: o.offline,
		Progress: func(phase string, done uint64) {
			prog.verb = "read " + phase
			prog.tick(done)
		},
	})
	if err != nil {
		return nil, g.rpcFailed(err)
	}
	res.cp, res.entries, res.problem, res.check = rep.Checkpoint, rep.Stored, rep.Problem, rep.Check
	res.sigErr, res.trusted, res.uncovered, res.notes = rep.SigErr, rep.Trusted, rep.Uncovered, rep.Notes
	res.revs = revisionStats{checked: rep.RevisionsChecked, undecodable: rep.Undecodable}
	res.findings = len(rep.Findings)
	res.sigs = rep.Signatures
	res.streamed = rep.Streamed
	res.stored = true
	return res, nil
}
