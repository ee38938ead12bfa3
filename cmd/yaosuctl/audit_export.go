package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/tlog"
)

// exportPageSize is the ListEvents page size of an export: the server's maximum.
const exportPageSize = 1000

// exportEntry is one entry line of an export file.
type exportEntry struct {
	Index     uint64 `json:"index"`
	StreamSeq uint64 `json:"stream_seq"`
	// LeafHash is the server's leaf hash, for people; verify recomputes it from Data.
	LeafHash []byte `json:"leaf_hash"`
	// Data is the message body exactly as published: what the log hashes.
	Data []byte `json:"data"`
	// Event is Data decoded, as protojson, or null if it does not decode. For people and
	// jq only: verify never reads it.
	Event json.RawMessage `json:"event"`
	// Subject and Signature are the NATS subject and Yaosu-Signature header the message was
	// published with: verify checks the signature offline with the event keys.
	Subject   string `json:"subject,omitempty"`
	Signature string `json:"signature,omitempty"`
	// Authenticity is what the audit service found on append, for people; verify checks
	// for itself.
	Authenticity string `json:"authenticity,omitempty"`
}

// exportTrailer is the last line of an export file.
type exportTrailer struct {
	Checkpoint *checkpointJSON `json:"checkpoint"`
}

// exportLine is any line of an export file as verify reads it: an entry or the trailer.
// Fields verify does not use (event, leaf_hash) are left out so they are skipped, not
// decoded.
type exportLine struct {
	Index      *uint64         `json:"index"`
	Data       *[]byte         `json:"data"`
	Subject    string          `json:"subject"`
	Signature  string          `json:"signature"`
	Checkpoint *checkpointJSON `json:"checkpoint"`
}

// parseExportLine decodes one line: exactly one of entry data or checkpoint is set.
func parseExportLine(line []byte) (exportLine, error) {
	var l exportLine
	if err := json.Unmarshal(line, &l); err != nil {
		return l, err
	}
	switch {
	case l.Checkpoint != nil && l.Data != nil:
		return l, errors.New("both an entry and a checkpoint")
	case l.Checkpoint == nil && l.Data == nil:
		return l, errors.New(`neither an entry (no "data") nor the checkpoint`)
	}
	return l, nil
}

// eventJSON is the envelope in data as compact protojson, or nil (JSON null) if data does
// not decode. A payload type this yaosuctl does not know leaves the payload out rather
// than losing the whole envelope.
func eventJSON(data []byte) json.RawMessage {
	ev, err := messaging.Decode(data)
	if err != nil {
		return nil
	}
	raw, err := protojson.Marshal(ev)
	if err != nil {
		bare := proto.Clone(ev).(*eventsv1.Event)
		bare.Payload = nil
		if raw, err = protojson.Marshal(bare); err != nil {
			return nil
		}
	}
	return raw
}

// exportWriter writes export lines. json.Encoder compacts the protojson of each event, so
// lines stay one line and stable whatever whitespace protojson chooses.
type exportWriter struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

func newExportWriter(w io.Writer) *exportWriter {
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &exportWriter{bw: bw, enc: enc}
}

func (w *exportWriter) entry(e *auditv1.LogEntry) error {
	return w.enc.Encode(exportEntry{
		Index:     e.GetIndex(),
		StreamSeq: e.GetStreamSequence(),
		LeafHash:  e.GetLeafHash(),
		Data:      e.GetData(),
		Event:     eventJSON(e.GetData()),
		Subject:   e.GetSubject(),
		Signature: e.GetSignature(),
		Authenticity: func() string {
			if a := e.GetAuthenticity(); a != auditv1.Authenticity_AUTHENTICITY_UNSPECIFIED {
				return strings.ToLower(strings.TrimPrefix(a.String(), "AUTHENTICITY_"))
			}
			return ""
		}(),
	})
}

func (w *exportWriter) checkpoint(cp *checkpointJSON) error {
	if err := w.enc.Encode(exportTrailer{Checkpoint: cp}); err != nil {
		return err
	}
	return w.bw.Flush()
}

// exportOptions are the flags of `audit export`.
type exportOptions struct {
	from, to uint64
	toSet    bool
	file     string
	progress bool
}

func auditExportCmd(g *globals) *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export [--from N] [--to M] [-f FILE] [--progress]",
		Short: "Write the audit log's entries and latest signed checkpoint as JSON lines",
		Long: "Fetch the latest signed checkpoint, then log entries [--from, --to) (default: all the\n" +
			"checkpoint covers; never beyond it), and write one JSON object per line:\n" +
			"  {\"index\":N,\"stream_seq\":N,\"leaf_hash\":\"<base64>\",\"data\":\"<base64>\",\"event\":<envelope as protojson, or null>}\n" +
			"and last\n" +
			"  {\"checkpoint\":{\"origin\":..,\"tree_size\":..,\"root_hash\":\"<base64>\",\"sign_time\":..,\"signed_note\":\"..\",\"verifier_key\":\"..\"}}\n\n" +
			"`yaosuctl audit verify --file FILE` checks a full export (from index 0) offline or with the\n" +
			"server's help. With -f the file appears only when the export is complete.\n" +
			"The -o flag does not apply: the output is always JSON lines.",
		Example: "  yaosuctl audit export -f audit-2026-11.jsonl\n" +
			"  yaosuctl audit export --from 1000 --to 2000 | jq -c '.event.type'",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.toSet = cmd.Flags().Changed("to")
			o.progress = o.progress || isTerminal(cmd.ErrOrStderr())
			return exportLog(cmd.Context(), g, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&o.from, "from", 0, "first log index to export")
	f.Uint64Var(&o.to, "to", 0, "export up to this index, exclusive (default: the checkpoint's tree size)")
	f.StringVarP(&o.file, "file", "f", "", "write to this `FILE` instead of stdout")
	f.BoolVar(&o.progress, "progress", false, "report progress on stderr every 10 000 entries (default when stderr is a terminal)")
	return cmd
}

func exportLog(ctx context.Context, g *globals, o exportOptions, stdout, stderr io.Writer) (err error) {
	client, closeConn, err := g.auditClient()
	if err != nil {
		return err
	}
	defer closeConn()
	cpResp, err := g.latestCheckpoint(ctx, client)
	if err != nil {
		return err
	}
	cp := cpResp.GetCheckpoint()
	size := cp.GetTreeSize()
	to := size
	if o.toSet {
		if o.to > size {
			return fmt.Errorf("--to %d is beyond the latest checkpoint's tree size %d: entries after it are not signed yet", o.to, size)
		}
		to = o.to
	}
	if o.from > to {
		return fmt.Errorf("--from %d is after --to %d", o.from, to)
	}

	out, commit, abort, err := createOutput(o.file, stdout)
	if err != nil {
		return err
	}
	defer abort()
	w := newExportWriter(out)
	prog := &progress{w: stderr, verb: "exported", total: to - o.from, on: o.progress}
	var badLeaf, firstBad uint64
	next := o.from
	for next < to {
		reqCtx, cancel := context.WithTimeout(ctx, g.timeout)
		resp, err := client.ListEvents(reqCtx, &auditv1.ListEventsRequest{StartIndex: next, PageSize: exportPageSize})
		cancel()
		if err != nil {
			return g.rpcFailed(err)
		}
		if len(resp.GetEntries()) == 0 {
			return fmt.Errorf("the server returned no entries from index %d, below its checkpoint's tree size %d", next, size)
		}
		for _, e := range resp.GetEntries() {
			if next == to {
				break
			}
			if e.GetIndex() != next {
				return fmt.Errorf("the server returned entry %d where %d was expected", e.GetIndex(), next)
			}
			if !bytes.Equal(e.GetLeafHash(), tlog.LeafHash(e.GetData())) {
				if badLeaf == 0 {
					firstBad = next
				}
				badLeaf++
			}
			if err := w.entry(e); err != nil {
				return err
			}
			next++
			prog.tick(next - o.from)
		}
	}
	trailer := newCheckpointJSON(cp, cpResp.GetVerifierKey())
	trailer.EventKeys = eventKeysJSON(cpResp.GetEventKeys())
	if err := w.checkpoint(trailer); err != nil {
		return err
	}
	if err := commit(); err != nil {
		return err
	}
	if badLeaf > 0 {
		fprintfErr(stderr, "warning: %d entries have a leaf_hash that is not the hash of their data (first: index %d); "+
			"`yaosuctl audit verify` recomputes the hashes and will report it.\n", badLeaf, firstBad)
	}
	if o.file != "" && o.file != "-" {
		fprintfErr(stderr, "Exported %d entries (indexes [%d, %d)) and the checkpoint of %s at tree size %d to %s.\n",
			to-o.from, o.from, to, cp.GetOrigin(), size, o.file)
	}
	return nil
}
