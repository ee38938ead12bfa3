package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	"yaosu.dev/pkg/tlog"
)

func TestExportLinesRoundTrip(t *testing.T) {
	l := newTestLog(t)
	ev := l.event(t, "assets/a", 1)
	l.add([]byte{0xff, 0xff, 0xff}) // not an envelope
	cp, _ := l.sign(t, 2)

	var buf bytes.Buffer
	w := newExportWriter(&buf)
	for i, body := range l.bodies {
		require.NoError(t, w.entry(&auditv1.LogEntry{Index: uint64(i), StreamSequence: uint64(i) + 1, LeafHash: l.leaves[i], Data: body}))
	}
	require.NoError(t, w.checkpoint(newCheckpointJSON(cp, l.signer.VerifierKey())))

	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	require.Len(t, lines, 3, "one line per entry, then the checkpoint")

	// The entry line: documented field names, base64 bytes, the envelope as protojson.
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.EqualValues(t, 0, first["index"])
	require.EqualValues(t, 1, first["stream_seq"])
	require.Equal(t, b64(l.leaves[0]), first["leaf_hash"])
	require.Equal(t, b64(l.bodies[0]), first["data"])
	event := first["event"].(map[string]any)
	require.Equal(t, ev.GetId(), event["id"])
	require.Equal(t, "assets/a", event["subject"])
	require.Equal(t, "1", event["resourceRevision"], "protojson writes int64 as a string")
	require.Equal(t, "type.googleapis.com/yaosu.events.v1.AssetCreated", event["payload"].(map[string]any)["@type"])
	require.True(t, strings.HasPrefix(lines[0], `{"index":0,"stream_seq":1,"leaf_hash":"`), lines[0])
	require.Contains(t, lines[0], "数据 assets/a", "no escaping of non-ASCII text")

	var second map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &second))
	require.Nil(t, second["event"], "an undecodable entry has event null")
	require.Contains(t, lines[1], `"event":null`)

	var trailer map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[2]), &trailer))
	c := trailer["checkpoint"]
	require.Equal(t, testOrigin, c["origin"])
	require.EqualValues(t, 2, c["tree_size"])
	require.Equal(t, b64(cp.GetRootHash()), c["root_hash"])
	require.Equal(t, cp.GetSignedNote(), c["signed_note"])
	require.Equal(t, l.signer.VerifierKey(), c["verifier_key"])
	require.NotEmpty(t, c["sign_time"])

	// Each line parses back to what verify needs.
	for i := range 2 {
		pl, err := parseExportLine([]byte(lines[i]))
		require.NoError(t, err)
		require.Nil(t, pl.Checkpoint)
		require.EqualValues(t, i, *pl.Index)
		require.Equal(t, l.bodies[i], *pl.Data)
	}
	pl, err := parseExportLine([]byte(lines[2]))
	require.NoError(t, err)
	require.Nil(t, pl.Data)
	require.Equal(t, cp.GetSignedNote(), pl.Checkpoint.SignedNote)
	require.Equal(t, cp.GetRootHash(), pl.Checkpoint.RootHash)

	// And the whole file reads back through the verifier's reader, leaves rehashed.
	path := filepath.Join(t.TempDir(), "export.jsonl")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	r := newReplayer(0, &progress{})
	got, firstIndex, err := readExport(path, nil, r)
	require.NoError(t, err)
	require.Zero(t, firstIndex)
	require.Equal(t, l.leaves, r.leaves)
	require.Equal(t, cp.GetSignedNote(), got.SignedNote)
	require.EqualValues(t, 1, r.stats.checked)
	require.EqualValues(t, 1, r.stats.undecodable)
	opened, err := tlog.OpenCheckpoint([]byte(got.SignedNote), got.VerifierKey)
	require.NoError(t, err)
	require.Equal(t, tlog.RootOf(r.leaves), opened.Hash)
}

func TestParseExportLineRejectsOtherLines(t *testing.T) {
	for _, line := range []string{
		`{}`,
		`{"index":3}`,
		`{"data":"AA==","checkpoint":{"signed_note":"x"}}`,
		`not json`,
		`{"data":"%%%"}`,
	} {
		_, err := parseExportLine([]byte(line))
		require.Error(t, err, line)
	}
	l, err := parseExportLine([]byte(`{"data":""}`))
	require.NoError(t, err, "an empty entry is still an entry")
	require.Empty(t, *l.Data)
}

func TestReadExportStructure(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	_, _, err := readExport(write("no-cp", `{"index":0,"data":"AA=="}`+"\n"), nil, newReplayer(0, &progress{}))
	require.ErrorContains(t, err, "no checkpoint line")
	_, _, err = readExport(write("after", `{"checkpoint":{"signed_note":"x"}}`+"\n"+`{"index":0,"data":"AA=="}`+"\n"), nil, newReplayer(0, &progress{}))
	require.ErrorContains(t, err, "line 2: entries after the checkpoint line")
	_, _, err = readExport(write("junk", `{"index":0,"data":"AA=="}`+"\nhello\n"), nil, newReplayer(0, &progress{}))
	require.ErrorContains(t, err, "line 2: not an export line")
	_, first, err := readExport(write("partial", `{"index":7,"data":"AA=="}`+"\n\n"+`{"checkpoint":{"signed_note":"x"}}`+"\n"), nil, newReplayer(0, &progress{}))
	require.NoError(t, err, "blank lines are skipped")
	require.EqualValues(t, 7, first)
}

func TestAuditExportAgainstServer(t *testing.T) {
	isolate(t)
	l := newTestLog(t)
	for i := range 2500 { // three pages
		l.event(t, fmt.Sprintf("assets/%d", i%26), int64(i/26+1))
	}
	f := &fakeAudit{t: t, log: l}
	addr := f.serve(t)
	path := filepath.Join(t.TempDir(), "all.jsonl")

	stdout, stderr, err := auditCLI(t, addr, "audit", "export", "-f", path)
	require.NoError(t, err, stderr)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "Exported 2500 entries (indexes [0, 2500)) and the checkpoint of yaosu.test/audit at tree size 2500 to "+path)
	exp := readExportFile(t, path)
	require.Len(t, exp.entries, 2500)
	for i, e := range exp.entries {
		require.EqualValues(t, i, e["index"])
		require.Equal(t, b64(l.bodies[i]), e["data"])
	}
	require.Contains(t, exp.trailer, `"tree_size":2500`)

	stdout, stderr, err = auditCLI(t, addr, "audit", "export", "--from", "10", "--to", "20")
	require.NoError(t, err, stderr)
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	require.Len(t, lines, 11)
	require.True(t, strings.HasPrefix(lines[0], `{"index":10,`), lines[0])
	require.True(t, strings.HasPrefix(lines[9], `{"index":19,`), lines[9])
	require.True(t, strings.HasPrefix(lines[10], `{"checkpoint":`), lines[10])

	stdout, _, err = auditCLI(t, addr, "audit", "export", "--from", "2500")
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(stdout, "\n"), "an empty range still has the checkpoint")

	_, _, err = auditCLI(t, addr, "audit", "export", "--to", "2501")
	require.ErrorContains(t, err, "--to 2501 is beyond the latest checkpoint's tree size 2500")
	_, _, err = auditCLI(t, addr, "audit", "export", "--from", "30", "--to", "20")
	require.ErrorContains(t, err, "--from 30 is after --to 20")
}

func TestProgressLines(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, verb: "exported", total: 30_000, on: true}
	for i := uint64(1); i <= 30_000; i++ {
		p.tick(i)
	}
	require.Equal(t, "exported 10000/30000 entries (33%)\nexported 20000/30000 entries (66%)\nexported 30000/30000 entries (100%)\n", buf.String())
	buf.Reset()
	(&progress{w: &buf, verb: "replayed", on: true}).tick(10_000)
	require.Equal(t, "replayed 10000 entries\n", buf.String())
	buf.Reset()
	(&progress{w: &buf, total: 10, on: false}).tick(10_000)
	require.Empty(t, buf.String())
}
