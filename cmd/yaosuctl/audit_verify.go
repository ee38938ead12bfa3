package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	"yaosu.dev/pkg/auditcheck"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/tlog"
)

// maxExportLine bounds one line of an export file (an event with a very large payload).
const maxExportLine = 256 << 20

// verifyOptions are the flags of `audit verify`.
type verifyOptions struct {
	file     string
	natsURL  string
	natsSet  bool
	key      string
	trusted  string
	offline  bool
	progress bool
}

func auditVerifyCmd(g *globals) *cobra.Command {
	var o verifyOptions
	cmd := &cobra.Command{
		Use:   "verify [--file EXPORT | --nats URL] [--key VERIFIER_KEY] [--trusted NOTE_FILE] [--offline]",
		Short: "Check the stored log against its signed checkpoint and the stream against it",
		Long: "Check the audit log without trusting the server's database:\n" +
			"  1. the checkpoint's signature, with the pinned verifier key (audit key --pin, or --key);\n" +
			"  2. that the entries hash to the checkpoint's Merkle root. Leaf hashes are recomputed\n" +
			"     from the entries' bytes. On a mismatch the first bad entry is located with\n" +
			"     consistency proofs from the audit service, each checked against the signed root\n" +
			"     (with --offline it can only be bounded);\n" +
			"  3. that every event's signature verifies with the pinned event keys (it came from the\n" +
			"     service that owns its subject, not from whoever could publish on the broker);\n" +
			"  4. that every resource's revisions run 1, 2, 3, ... without gaps or repeats;\n" +
			"  5. with --trusted, that the log still contains the history an earlier checkpoint\n" +
			"     (a signed note you kept) covered: no fork, no rewrite.\n\n" +
			"By default the entries are the audit service's stored log, read through ListEvents (what\n" +
			"auditors are served), and the event stream (--nats) is compared with it message for\n" +
			"message; the service's own findings count too. With --file the entries come from an\n" +
			"export (its last line holds the checkpoint; no server is needed unless an entry must be\n" +
			"located).\n\n" +
			"Exit status 0 when everything checks out; otherwise the report says\n" +
			"`FAIL: index N: reason` (N is the 0-based log index, stream sequence N+1; the smallest\n" +
			"index any check found) and the exit status is 1.",
		Example: "  yaosuctl audit verify --key 'yaosu.dev/audit+1a2b3c4d+AbC...'\n" +
			"  yaosuctl audit verify --file audit-2026-11.jsonl --key \"$(cat audit.vkey)\" --offline\n" +
			"  yaosuctl audit verify --trusted checkpoint-2026-10.note -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.natsSet = cmd.Flags().Changed("nats")
			if o.file != "" && o.natsSet {
				return errors.New("--file and --nats are alternatives: entries come from an export file or from the stream")
			}
			o.natsURL = g.setting(cmd.Flags(), "nats", envNATSURL, o.natsURL)
			o.key = strings.TrimSpace(o.key)
			o.progress = o.progress || isTerminal(cmd.ErrOrStderr())
			start := time.Now()
			res, err := verifyLog(cmd.Context(), g, o, cmd.InOrStdin(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			res.elapsed = time.Since(start)
			if err := printVerifyResult(cmd.OutOrStdout(), g.output, res); err != nil {
				return err
			}
			return res.err()
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.file, "file", "", "verify this `EXPORT` file (made by audit export) instead of the stored log; - for stdin")
	f.StringVar(&o.natsURL, "nats", defaultNATSURL, "NATS server URL of the stream compared with the stored log (env "+envNATSURL+")")
	f.StringVar(&o.key, "key", "", "the log's note verifier `KEY`, obtained out of band (default: the one the server or file offers, with a warning)")
	f.StringVar(&o.trusted, "trusted", "", "`FILE` holding an earlier signed checkpoint note that the log must still extend")
	f.BoolVar(&o.offline, "offline", false, "never ask the audit service for proofs (a bad entry is then bounded, not located)")
	f.BoolVar(&o.progress, "progress", false, "report progress on stderr every 10 000 entries (default when stderr is a terminal)")
	return cmd
}

// verifyResult is what a verification found.
type verifyResult struct {
	source    string
	entries   uint64 // entries replayed
	cp        *tlog.Checkpoint
	keyName   string
	keyPinned bool
	// sigErr is set when a signed note did not verify: the checkpoint's (check "signature",
	// nothing else was checked) or the trusted one's (check "trusted").
	sigErr error
	// problem is the first thing wrong with the log.
	problem *tlog.Problem
	// check names the check that failed: signature, stored, log, stream, findings,
	// revisions or trusted (pkg/auditcheck's names).
	check string
	// stored is set in the default mode: entries came from the audit service's stored log,
	// and the stream was compared with them (streamed messages).
	stored   bool
	streamed uint64
	// findings counts the inconsistencies the service reports in its own storage.
	findings int
	// sigs is the event signature check (Keys nil: not run); eventKeysPinned says whether
	// its keys were pinned.
	sigs            auditcheck.Authenticity
	eventKeysPinned bool
	revs            revisionStats
	trusted         *tlog.Checkpoint
	// uncovered counts entries after the checkpoint's, which it does not cover yet.
	uncovered uint64
	notes     []string
	elapsed   time.Duration
}

// errVerifyFailed marks a verification that ran and found the log wrong, as opposed to
// being unable to verify.
var errVerifyFailed = errors.New("audit log verification failed")

func (r *verifyResult) ok() bool { return r.sigErr == nil && r.problem == nil }

// err is the command's error: nil when the log verified.
func (r *verifyResult) err() error {
	switch {
	case r.problem != nil:
		return fmt.Errorf("%w: %s", errVerifyFailed, r.problem.Error())
	case r.sigErr != nil:
		return fmt.Errorf("%w: %w", errVerifyFailed, r.sigErr)
	}
	return nil
}

// revisionStats summarise the revision check.
type revisionStats struct {
	checked     uint64 // events about a revisioned resource
	undecodable uint64 // entries skipped because they do not decode
	first       *tlog.Problem
}

// replayer accumulates replayed entries: their leaf hashes, and the revision check run as
// they arrive so no envelope is kept.
type replayer struct {
	leaves [][]byte
	revs   *tlog.RevisionChecker
	stats  revisionStats
	prog   *progress
	// sigs checks event signatures as entries arrive when the keys are known up front
	// (pinned); otherwise the file is read again once its trailer named them.
	sigs auditcheck.Authenticity
}

func newReplayer(capacity uint64, prog *progress) *replayer {
	return &replayer{leaves: make([][]byte, 0, capacity), revs: tlog.NewRevisionChecker(), prog: prog}
}

func (r *replayer) add(data []byte, subject, signature string) {
	index := uint64(len(r.leaves))
	r.leaves = append(r.leaves, tlog.LeafHash(data))
	r.sigs.Add(index, subject, data, signature) // no-op without keys
	if ev, err := messaging.Decode(data); err != nil {
		r.stats.undecodable++
	} else if ev.GetSubject() != "" {
		r.stats.checked++
		if p := r.revs.Add(index, ev.GetSubject(), ev.GetResourceRevision(), ev.GetType()); p != nil && r.stats.first == nil {
			r.stats.first = p
		}
	}
	r.prog.tick(index + 1)
}

// verifyLog runs the verification. An error means it could not verify at all; what it
// found wrong with the log is in the result.
func verifyLog(ctx context.Context, g *globals, o verifyOptions, stdin io.Reader, stderr io.Writer) (*verifyResult, error) {
	res := &verifyResult{keyPinned: o.key != ""}
	var (
		r      *replayer
		cp     *tlog.Checkpoint
		client auditv1.AuditServiceClient
	)
	prog := &progress{w: stderr, verb: "replayed", on: o.progress}
	key := o.key
	if o.file != "" {
		res.source = "export " + o.file
		if o.file == "-" {
			res.source = "export on stdin"
		}
		r = newReplayer(0, prog)
		ring, err := pinnedEventKeys(g.getenv, g.addr)
		if err != nil {
			return nil, err
		}
		r.sigs.Keys = ring
		trailer, firstIndex, err := readExport(o.file, stdin, r)
		if err != nil {
			return nil, err
		}
		switch {
		case ring == nil && len(trailer.EventKeys) > 0 && o.file == "-":
			res.notes = append(res.notes, "event signatures not checked: no event keys pinned, and an export on stdin cannot be read again with its own")
		case ring == nil && len(trailer.EventKeys) > 0:
			// Not pinned: the export's own keys, said loudly, and the file is read again.
			fprintfErr(stderr, "warning: event keys not pinned: using the %d the export file offers; pin them with "+
				"`yaosuctl audit key --pin --event-keys DIR`\n", len(trailer.EventKeys))
			if r.sigs.Keys, err = keyring(trailer.EventKeys); err != nil {
				return nil, fmt.Errorf("the export's event keys: %w", err)
			}
			if err := recheckSignatures(o.file, r); err != nil {
				return nil, err
			}
		}
		res.eventKeysPinned = ring != nil
		if key == "" {
			pinned, err := loadPinnedKey(g.getenv, g.addr)
			if err != nil {
				return nil, err
			}
			key, res.keyPinned = pinned, pinned != ""
		}
		if key == "" {
			key = trailer.VerifierKey
			if key == "" {
				return nil, errors.New("the export's checkpoint names no verifier key: pass --key")
			}
			unpinnedKeyWarning(stderr, "the export file", key)
		}
		res.keyName = keyName(key)
		if cp, res.sigErr = openCheckpoint(trailer.SignedNote, key, "the export's checkpoint"); res.sigErr != nil {
			res.check = "signature"
			return res, nil
		}
		if firstIndex != 0 {
			// Only the position counts, but a partial export explains a failure.
			defer func() {
				if res.problem != nil {
					res.notes = append(res.notes, fmt.Sprintf("the export's first entry says index %d (made with --from?): "+
						"verification needs every entry from index 0", firstIndex))
				}
			}()
		}
		if n := uint64(len(r.leaves)); n > cp.Size {
			res.uncovered = n - cp.Size
		}
	} else {
		return verifyStored(ctx, g, o, stderr)
	}
	res.cp = cp
	res.entries = uint64(len(r.leaves))
	res.revs = r.stats
	res.sigs = r.sigs

	var prover tlog.Prover
	if !o.offline {
		sp := &serverProver{g: g, cp: *cp, client: client}
		defer sp.close()
		prover = sp
	}
	problem, err := tlog.Verify(ctx, r.leaves, *cp, prover)
	if err != nil {
		return nil, err
	}
	if problem != nil {
		res.problem, res.check = problem, "log"
		return res, nil
	}
	if p := r.sigs.First; p != nil && p.Index < cp.Size {
		res.problem, res.check = p, auditcheck.CheckAuthentic
		return res, nil
	}
	// Revisions of the entries the checkpoint covers. Problems come in index order, so if
	// the first is beyond the checkpoint there is none within it.
	if p := r.stats.first; p != nil && p.Index < cp.Size {
		res.problem, res.check = p, "revisions"
		return res, nil
	}
	if o.trusted != "" {
		note, err := readTrustedNote(o.trusted)
		if err != nil {
			return nil, err
		}
		trusted, err := openCheckpoint(note, key, "the trusted checkpoint ("+o.trusted+")")
		if err != nil {
			res.sigErr, res.check = err, "trusted"
			return res, nil
		}
		res.trusted = trusted
		problem, err := tlog.VerifyConsistencyWithTrusted(r.leaves, *trusted, *cp)
		if err != nil {
			return nil, err
		}
		if problem != nil {
			res.problem, res.check = problem, "trusted"
			return res, nil
		}
	}
	return res, nil
}

// recheckSignatures reads the export again and checks every entry's signature with the
// replayer's keys (known only once the file's last line was read).
func recheckSignatures(path string, r *replayer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), maxExportLine)
	var index uint64
	for sc.Scan() {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		l, err := parseExportLine(sc.Bytes())
		if err != nil || l.Checkpoint != nil {
			continue
		}
		r.sigs.Add(index, l.Subject, *l.Data, l.Signature)
		index++
	}
	return sc.Err()
}

// readExport feeds an export file's entries, in file order, to r and returns its
// checkpoint line and the index field of its first entry. The index and leaf_hash fields
// are not trusted: the position in the file is the log index, and leaves are rehashed.
func readExport(path string, stdin io.Reader, r *replayer) (*checkpointJSON, uint64, error) {
	var in io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, 0, err
		}
		defer func() { _ = f.Close() }()
		in = f
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<20), maxExportLine)
	var (
		trailer    *checkpointJSON
		firstIndex uint64
		lineNo     int
	)
	for sc.Scan() {
		lineNo++
		line := sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		if trailer != nil {
			return nil, 0, fmt.Errorf("%s line %d: entries after the checkpoint line: the checkpoint must be the last line", path, lineNo)
		}
		l, err := parseExportLine(line)
		if err != nil {
			return nil, 0, fmt.Errorf("%s line %d: not an export line: %w", path, lineNo, err)
		}
		if l.Checkpoint != nil {
			trailer = l.Checkpoint
			continue
		}
		if len(r.leaves) == 0 && l.Index != nil {
			firstIndex = *l.Index
		}
		r.add(*l.Data, l.Subject, l.Signature)
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", path, err)
	}
	if trailer == nil {
		return nil, 0, fmt.Errorf("%s has no checkpoint line: the export is incomplete (it is written last)", path)
	}
	return trailer, firstIndex, nil
}

// serverProver asks the audit service for the root of the log's first size entries and
// its consistency proof to the checkpoint's size, and returns the root only once the proof
// checks out against the signed root: the server is asked, never trusted.
type serverProver struct {
	g         *globals
	cp        tlog.Checkpoint
	client    auditv1.AuditServiceClient
	closeConn func()
}

// ProvenRoot implements tlog.Prover.
func (p *serverProver) ProvenRoot(ctx context.Context, size uint64) ([]byte, error) {
	if p.client == nil {
		// Connect only now: verifying an intact export needs no server.
		c, closeConn, err := p.g.auditClient()
		if err != nil {
			return nil, err
		}
		p.client, p.closeConn = c, closeConn
	}
	reqCtx, cancel := context.WithTimeout(ctx, p.g.timeout)
	defer cancel()
	resp, err := p.client.GetConsistencyProof(reqCtx, &auditv1.GetConsistencyProofRequest{OldSize: size, NewSize: p.cp.Size})
	if err != nil {
		return nil, fmt.Errorf("the audit service is needed to locate the first bad entry (or pass --offline): %w", p.g.rpcFailed(err))
	}
	if err := tlog.VerifyConsistency(size, p.cp.Size, resp.GetHashes(), resp.GetOldRootHash(), p.cp.Hash); err != nil {
		return nil, fmt.Errorf("the audit service's consistency proof from size %d to the checkpoint's %d does not verify "+
			"against the signed root: the server's log is not the one the checkpoint signed: %w", size, p.cp.Size, err)
	}
	return resp.GetOldRootHash(), nil
}

func (p *serverProver) close() {
	if p.closeConn != nil {
		p.closeConn()
	}
}

// trustedNote takes the signed note out of a --trusted file: the note itself, or JSON
// holding it (an export's checkpoint line, a proof bundle, a GetCheckpoint response).
// readTrustedNote reads the --trusted file: a signed checkpoint note, or an export's
// trailer that holds one.
func readTrustedNote(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--trusted: %w", err)
	}
	note, err := trustedNote(raw)
	if err != nil {
		return "", fmt.Errorf("--trusted %s: %w", path, err)
	}
	return note, nil
}

func trustedNote(raw []byte) (string, error) {
	text := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(text, "{") {
		return string(raw), nil
	}
	var v struct {
		SignedNote string          `json:"signed_note"`
		Checkpoint *checkpointJSON `json:"checkpoint"`
	}
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return "", fmt.Errorf("neither a signed note nor JSON holding one: %w", err)
	}
	if v.Checkpoint != nil && v.Checkpoint.SignedNote != "" {
		return v.Checkpoint.SignedNote, nil
	}
	if v.SignedNote != "" {
		return v.SignedNote, nil
	}
	return "", errors.New(`JSON without a "signed_note" or "checkpoint.signed_note"`)
}

// verifyReport is the -o json form of a verification result.
type verifyReport struct {
	OK        bool   `json:"ok"`
	Entries   uint64 `json:"entries"`
	TreeSize  uint64 `json:"tree_size"`
	Origin    string `json:"origin,omitempty"`
	RootHash  string `json:"root_hash,omitempty"`
	SignTime  string `json:"sign_time,omitempty"`
	Key       string `json:"key"`
	KeyPinned bool   `json:"key_pinned"`
	Source    string `json:"source"`
	// FailedCheck names what failed: signature, log, revisions or trusted.
	FailedCheck string        `json:"failed_check,omitempty"`
	Problem     *problemJSON  `json:"problem"`
	Error       string        `json:"error,omitempty"`
	Revisions   revisionsJSON `json:"revisions"`
	Trusted     *trustedJSON  `json:"trusted,omitempty"`
	// EventSignatures is the event signature check; absent when no event keys were known.
	EventSignatures *signaturesJSON `json:"event_signatures,omitempty"`
	Uncovered       uint64          `json:"uncovered"`
	Notes           []string        `json:"notes,omitempty"`
	ElapsedMS       int64           `json:"elapsed_ms"`
}

type problemJSON struct {
	Index   uint64 `json:"index"`
	Located bool   `json:"located"`
	Reason  string `json:"reason"`
}

type revisionsJSON struct {
	Checked     uint64 `json:"checked"`
	Undecodable uint64 `json:"undecodable"`
}

type signaturesJSON struct {
	Checked    uint64 `json:"checked"`
	Failed     uint64 `json:"failed"`
	Keys       int    `json:"keys"`
	KeysPinned bool   `json:"keys_pinned"`
}

type trustedJSON struct {
	TreeSize uint64 `json:"tree_size"`
	RootHash string `json:"root_hash"`
	SignTime string `json:"sign_time"`
}

func newVerifyReport(r *verifyResult) verifyReport {
	rep := verifyReport{
		OK:        r.ok(),
		Entries:   r.entries,
		Key:       r.keyName,
		KeyPinned: r.keyPinned,
		Source:    r.source,
		Revisions: revisionsJSON{Checked: r.revs.checked, Undecodable: r.revs.undecodable},
		Uncovered: r.uncovered,
		Notes:     r.notes,
		ElapsedMS: r.elapsed.Milliseconds(),
	}
	if r.cp != nil {
		rep.TreeSize = r.cp.Size
		rep.Origin = r.cp.Origin
		rep.RootHash = b64(r.cp.Hash)
		rep.SignTime = r.cp.Time.Format(time.RFC3339Nano)
	}
	rep.FailedCheck = r.check
	if r.sigErr != nil {
		rep.Error = r.sigErr.Error()
	}
	if p := r.problem; p != nil {
		rep.Problem = &problemJSON{Index: p.Index, Located: p.Located, Reason: p.Reason}
	}
	if r.sigs.Keys != nil {
		rep.EventSignatures = &signaturesJSON{Checked: r.sigs.Checked, Failed: r.sigs.Failed, Keys: len(r.sigs.Keys.Keys()), KeysPinned: r.eventKeysPinned}
	}
	if t := r.trusted; t != nil {
		rep.Trusted = &trustedJSON{TreeSize: t.Size, RootHash: b64(t.Hash), SignTime: t.Time.Format(time.RFC3339Nano)}
	}
	return rep
}

func printVerifyResult(w io.Writer, output string, r *verifyResult) error {
	if output == outputJSON {
		return writeJSON(w, newVerifyReport(r))
	}
	var b strings.Builder
	switch {
	case r.problem != nil:
		fmt.Fprintf(&b, "FAIL: %s\n", r.problem.Error())
	case r.sigErr != nil:
		fmt.Fprintf(&b, "FAIL: %v\n", r.sigErr)
	default:
		b.WriteString("OK: the audit log matches its signed checkpoint\n")
	}
	var t table
	t.row("  source", r.source)
	if r.cp != nil {
		what := "  entries replayed"
		if r.stored {
			what = "  entries read"
		}
		t.row(what, strconv.FormatUint(r.entries, 10))
		t.row("  checkpoint", fmt.Sprintf("%s, tree size %d, root %s, signed %s",
			r.cp.Origin, r.cp.Size, b64(r.cp.Hash), r.cp.Time.Format(time.RFC3339)))
	}
	pinned := "pinned"
	if !r.keyPinned {
		pinned = "NOT pinned"
	}
	if r.check == "signature" {
		t.row("  signature", fmt.Sprintf("FAILED with key %s (%s)", r.keyName, pinned))
	} else {
		t.row("  signature", fmt.Sprintf("OK, key %s (%s)", r.keyName, pinned))
	}
	if r.cp != nil && r.stored {
		t.row("  stored entries", checkStatus(r, "stored", "contiguous, each leaf hash the hash of its data"))
	}
	if r.cp != nil {
		t.row("  merkle tree", checkStatus(r, "log", "every entry matches the signed root"))
	}
	if r.cp != nil && r.stored {
		t.row("  stream", checkStatus(r, "stream", fmt.Sprintf("%d messages equal the stored entries", r.streamed)))
		t.row("  service findings", checkStatus(r, "findings", "none reported"))
	}
	if r.cp != nil {
		t.row("  event signatures", sigStatus(r))
	}
	if r.cp != nil {
		t.row("  revisions", checkStatus(r, "revisions", fmt.Sprintf("%d events checked, no gaps or repeats; undecodable entries skipped: %d",
			r.revs.checked, r.revs.undecodable)))
		if r.trusted != nil || r.check == "trusted" {
			size, signed := "?", "?"
			if r.trusted != nil {
				size, signed = strconv.FormatUint(r.trusted.Size, 10), r.trusted.Time.Format(time.RFC3339)
			}
			t.row("  trusted checkpoint", checkStatus(r, "trusted", fmt.Sprintf("tree size %s signed %s is extended consistently",
				size, signed)))
		}
		if r.ok() {
			t.row("  not yet covered", fmt.Sprintf("%d (entries after the checkpoint; a later checkpoint covers them)", r.uncovered))
		}
	}
	for _, n := range r.notes {
		t.row("  note", n)
	}
	t.row("  elapsed", r.elapsed.Round(time.Millisecond).String())
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return t.write(w)
}

// sigStatus is the event signature check's line.
func sigStatus(r *verifyResult) string {
	if r.sigs.Keys == nil {
		return "not checked: no event keys (pin them: yaosuctl audit key --pin)"
	}
	pinned := "pinned"
	if !r.eventKeysPinned {
		pinned = "NOT pinned"
	}
	keys := fmt.Sprintf("(%d keys, %s)", len(r.sigs.Keys.Keys()), pinned)
	if r.check == auditcheck.CheckAuthentic {
		return fmt.Sprintf("FAILED: %d of %d events do not prove their origin %s", r.sigs.Failed, r.sigs.Checked, keys)
	}
	return checkStatus(r, auditcheck.CheckAuthentic, fmt.Sprintf("%d events, each signed by the service that owns its subject %s",
		r.sigs.Checked, keys))
}

// checkStatus is one check's line of the report: OK, FAILED, or not reached after an
// earlier check failed.
func checkStatus(r *verifyResult, check, ok string) string {
	switch {
	case r.check == check:
		return "FAILED"
	case r.check != "" && checkOrder(r.check) < checkOrder(check):
		return "not checked"
	}
	return "OK, " + ok
}

// checkOrder is the position of a check in the order verify runs them.
func checkOrder(check string) int {
	return strings.Index("signature stored log stream authenticity findings revisions trusted", check)
}
