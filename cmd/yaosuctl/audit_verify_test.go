package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/tlog"
)

func TestVerifyReportJSONShape(t *testing.T) {
	cp := &tlog.Checkpoint{Origin: testOrigin, Size: 40, Hash: make([]byte, 32), Time: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
	failed := &verifyResult{
		source: "export f.jsonl", entries: 39, cp: cp, keyName: "yaosu.test/audit+01234567", keyPinned: true,
		problem: &tlog.Problem{Index: 12, Located: true, Reason: "entry does not match"}, check: "log",
		revs: revisionStats{checked: 30, undecodable: 2}, elapsed: 1500 * time.Millisecond,
	}
	raw, err := json.Marshal(newVerifyReport(failed))
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Equal(t, false, got["ok"])
	require.EqualValues(t, 39, got["entries"])
	require.EqualValues(t, 40, got["tree_size"])
	require.Equal(t, map[string]any{"index": float64(12), "located": true, "reason": "entry does not match"}, got["problem"])
	require.Equal(t, "log", got["failed_check"])
	require.Equal(t, "yaosu.test/audit+01234567", got["key"])
	require.Equal(t, true, got["key_pinned"])
	require.Equal(t, b64(cp.Hash), got["root_hash"])
	require.EqualValues(t, 1500, got["elapsed_ms"])
	require.Equal(t, map[string]any{"checked": float64(30), "undecodable": float64(2)}, got["revisions"])
	require.NotContains(t, got, "error")
	require.ErrorIs(t, failed.err(), errVerifyFailed)
	require.EqualError(t, failed.err(), "audit log verification failed: index 12: entry does not match")

	passed := &verifyResult{source: "stream", entries: 40, cp: cp, keyName: "k"}
	raw, err = json.Marshal(newVerifyReport(passed))
	require.NoError(t, err)
	got = map[string]any{}
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Equal(t, true, got["ok"])
	require.Contains(t, got, "problem")
	require.Nil(t, got["problem"], "problem is null when the log verified")
	require.NotContains(t, got, "failed_check")
	require.NoError(t, passed.err())

	forged := &verifyResult{source: "stream", keyName: "k", keyPinned: true, sigErr: errors.New("bad signature"), check: "signature"}
	raw, err = json.Marshal(newVerifyReport(forged))
	require.NoError(t, err)
	got = map[string]any{}
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Equal(t, false, got["ok"])
	require.Equal(t, "signature", got["failed_check"])
	require.Equal(t, "bad signature", got["error"])
	require.Nil(t, got["problem"])
	require.ErrorContains(t, forged.err(), "bad signature")
}

// auditEnv is a stream and a fake audit service logging it.
type auditEnv struct {
	*eventsEnv
	log  *testLog
	fake *fakeAudit
	addr string
	dir  string
}

func newAuditEnv(t *testing.T) *auditEnv {
	t.Helper()
	t.Setenv(envConfigDir, t.TempDir()) // pinned keys: none unless the test pins one
	e := &auditEnv{eventsEnv: newEventsEnv(t), log: newTestLog(t), dir: t.TempDir()}
	e.fake = &fakeAudit{t: t, log: e.log}
	e.addr = e.fake.serve(t)
	return e
}

// publish appends an event to the log and publishes the same bytes on the stream.
func (e *auditEnv) publish(t *testing.T, resource string, revision int64) {
	t.Helper()
	e.fake.mu.Lock()
	ev := e.log.event(t, resource, revision)
	body := e.log.bodies[len(e.log.bodies)-1]
	e.fake.mu.Unlock()
	_, err := e.js.PublishMsg(context.Background(), messaging.Message(ev, body))
	require.NoError(t, err)
}

func (e *auditEnv) publishRaw(t *testing.T, body []byte, log bool) {
	t.Helper()
	if log {
		e.fake.mu.Lock()
		e.log.add(body)
		e.fake.mu.Unlock()
	}
	_, err := e.js.Publish(context.Background(), "yaosu.test.raw", body)
	require.NoError(t, err)
}

func (e *auditEnv) verify(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return auditCLI(t, e.addr, append([]string{"audit", "verify", "--nats", e.url}, args...)...)
}

func (e *auditEnv) verifyFile(t *testing.T, path string, args ...string) (string, string, error) {
	t.Helper()
	return auditCLI(t, e.addr, append([]string{"audit", "verify", "--file", path, "--key", e.log.signer.VerifierKey()}, args...)...)
}

// requireFail checks that verification failed at index with the reason containing want.
func requireFail(t *testing.T, stdout string, err error, index uint64, want string) {
	t.Helper()
	require.ErrorIs(t, err, errVerifyFailed, stdout)
	prefix := fmt.Sprintf("FAIL: index %d: ", index)
	require.True(t, strings.HasPrefix(stdout, prefix), "want %q, got:\n%s", prefix, stdout)
	require.Contains(t, strings.SplitN(stdout, "\n", 2)[0], want)
	require.ErrorContains(t, err, fmt.Sprintf("index %d: ", index))
}

func TestAuditVerifyStreamAndExport(t *testing.T) {
	e := newAuditEnv(t)
	for i := range 40 {
		e.publish(t, fmt.Sprintf("assets/%d", i%7), int64(i/7+1))
	}
	e.publishRaw(t, []byte{0xff, 0xfe}, true) // an entry that is not an envelope: logged, not revision-checked
	key := e.log.signer.VerifierKey()

	stdout, stderr, err := e.verify(t, "--key", key)
	require.NoError(t, err, stdout+stderr)
	require.True(t, strings.HasPrefix(stdout, "OK: the audit log matches its signed checkpoint\n"), stdout)
	report := oneSpace(stdout)
	require.Contains(t, report, "entries read 41")
	require.Contains(t, report, "tree size 41")
	require.Contains(t, report, "signature OK, key "+keyName(key)+" (pinned)")
	require.Contains(t, report, "revisions OK, 40 events checked, no gaps or repeats; undecodable entries skipped: 1")
	require.Contains(t, report, "not yet covered 0 (entries after the checkpoint")
	require.NotContains(t, stderr, "verifier key not pinned")
	require.Contains(t, stderr, "warning: event keys not pinned: using the 2 the server offers")
	require.Contains(t, report, "event signatures OK, 41 events, each signed by the service that owns its subject (2 keys, NOT pinned)")

	// Without --key: the server's key, with a warning.
	stdout, stderr, err = e.verify(t)
	require.NoError(t, err)
	require.Contains(t, stderr, "warning: verifier key not pinned: using the key the server offered ("+key+")")
	require.Contains(t, stdout, "(NOT pinned)")

	stdout, _, err = e.verify(t, "--key", key, "-o", "json")
	require.NoError(t, err)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Equal(t, true, rep["ok"])
	require.EqualValues(t, 41, rep["entries"])
	require.EqualValues(t, 41, rep["tree_size"])
	require.Nil(t, rep["problem"])

	// Export, then verify the file; an intact export needs no server at all.
	path := filepath.Join(e.dir, "export.jsonl")
	_, stderr, err = auditCLI(t, e.addr, "audit", "export", "-f", path)
	require.NoError(t, err, stderr)
	stdout, stderr, err = auditCLI(t, "127.0.0.1:1", "audit", "verify", "--file", path, "--key", key)
	require.NoError(t, err, stdout+stderr)
	require.Contains(t, oneSpace(stdout), "source export "+path)
	_, stderr, err = auditCLI(t, "127.0.0.1:1", "audit", "verify", "--file", path)
	require.NoError(t, err)
	require.Contains(t, stderr, "using the key the export file offered")

	// A stream message the audit service has not appended yet is not a problem: the stream
	// is compared with the stored log as far as the log goes.
	e.publishRaw(t, []byte("late"), false)
	stdout, _, err = e.verify(t, "--key", key)
	require.NoError(t, err)
	require.Contains(t, oneSpace(stdout), "stream OK, 41 messages equal the stored entries")

	exp := readExportFile(t, path)
	proofsBefore := e.fake.proofCalls()
	tamper := func(name string, change func(f *exportFile)) string {
		f := exp.clone()
		change(f)
		return f.write(t, filepath.Join(e.dir, name))
	}

	t.Run("altered", func(t *testing.T) {
		p := tamper("altered.jsonl", func(f *exportFile) { f.entries[7]["data"] = b64Flip(t, f.entries[7]["data"].(string)) })
		stdout, _, err := e.verifyFile(t, p)
		requireFail(t, stdout, err, 7, "does not match the signed log")
		require.Contains(t, oneSpace(stdout), "merkle tree FAILED")
		require.Contains(t, oneSpace(stdout), "revisions not checked")

		// Offline it can only be bounded.
		stdout, _, err = e.verifyFile(t, p, "--offline")
		require.ErrorIs(t, err, errVerifyFailed)
		require.True(t, strings.HasPrefix(stdout, "FAIL: at or before index 40: root mismatch"), stdout)
	})
	t.Run("leaf hash field is not trusted", func(t *testing.T) {
		p := tamper("leafhash.jsonl", func(f *exportFile) {
			f.entries[3]["data"] = f.entries[4]["data"] // leaf_hash left as it was
		})
		stdout, _, err := e.verifyFile(t, p)
		requireFail(t, stdout, err, 3, "does not match")
	})
	t.Run("deleted", func(t *testing.T) {
		p := tamper("deleted.jsonl", func(f *exportFile) {
			f.entries = append(f.entries[:10], f.entries[11:]...)
			f.renumber()
		})
		stdout, _, err := e.verifyFile(t, p)
		requireFail(t, stdout, err, 10, "does not match")
	})
	t.Run("truncated", func(t *testing.T) {
		p := tamper("truncated.jsonl", func(f *exportFile) { f.entries = f.entries[:20] })
		stdout, _, err := e.verifyFile(t, p)
		requireFail(t, stdout, err, 20, "log truncated: checkpoint has 41 entries, replay has 20")
	})
	t.Run("json report", func(t *testing.T) {
		p := tamper("swapped.jsonl", func(f *exportFile) {
			f.entries[12], f.entries[13] = f.entries[13], f.entries[12]
			f.renumber()
		})
		stdout, _, err := e.verifyFile(t, p, "-o", "json")
		require.ErrorIs(t, err, errVerifyFailed)
		var rep map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
		require.Equal(t, false, rep["ok"])
		require.EqualValues(t, 41, rep["entries"])
		require.EqualValues(t, 41, rep["tree_size"])
		problem := rep["problem"].(map[string]any)
		require.EqualValues(t, 12, problem["index"])
		require.Equal(t, true, problem["located"])
		require.Contains(t, problem["reason"], "does not match")
	})
	t.Run("forged signature", func(t *testing.T) {
		forger := newTestLog(t)
		forger.bodies, forger.leaves = e.log.bodies, e.log.leaves
		cp, _ := forger.sign(t, 41)
		p := tamper("forged.jsonl", func(f *exportFile) {
			line, err := json.Marshal(exportTrailer{Checkpoint: newCheckpointJSON(cp, forger.signer.VerifierKey())})
			require.NoError(t, err)
			f.trailer = string(line)
		})
		stdout, _, err := e.verifyFile(t, p)
		require.ErrorIs(t, err, errVerifyFailed)
		require.True(t, strings.HasPrefix(stdout, "FAIL: the export's checkpoint does not verify with key "+keyName(key)), stdout)
		require.Contains(t, stdout, "FAILED with key")
	})
	t.Run("trusted", func(t *testing.T) {
		e.fake.mu.Lock()
		_, earlier := e.log.sign(t, 25)
		note, err := e.log.signer.Sign(earlier)
		e.fake.mu.Unlock()
		require.NoError(t, err)
		good := filepath.Join(e.dir, "good.note")
		require.NoError(t, os.WriteFile(good, note, 0o600))
		stdout, _, err := e.verifyFile(t, path, "--trusted", good)
		require.NoError(t, err, stdout)
		require.Contains(t, oneSpace(stdout), "trusted checkpoint OK, tree size 25 signed")

		forked := earlier
		forked.Hash = tlog.RootOf(e.log.leaves[1:26]) // another history of 25 entries
		note, err = e.log.signer.Sign(forked)
		require.NoError(t, err)
		fork := filepath.Join(e.dir, "fork.note")
		require.NoError(t, os.WriteFile(fork, note, 0o600))
		stdout, _, err = e.verifyFile(t, path, "--trusted", fork)
		require.ErrorIs(t, err, errVerifyFailed)
		require.True(t, strings.HasPrefix(stdout, "FAIL: at or before index 24: log forked"), stdout)
		stdout, _, err = e.verify(t, "--key", key, "--trusted", fork)
		require.ErrorIs(t, err, errVerifyFailed)
		require.Contains(t, stdout, "log forked")

		// A trusted note from another key is a failure too, not a pass.
		other := newTestLog(t)
		other.bodies, other.leaves = e.log.bodies, e.log.leaves
		_, c := other.sign(t, 25)
		note, err = other.signer.Sign(c)
		require.NoError(t, err)
		alien := filepath.Join(e.dir, "alien.note")
		require.NoError(t, os.WriteFile(alien, note, 0o600))
		stdout, _, err = e.verifyFile(t, path, "--trusted", alien)
		require.ErrorIs(t, err, errVerifyFailed)
		require.True(t, strings.HasPrefix(stdout, "FAIL: the trusted checkpoint ("+alien+") does not verify"), stdout)
	})
	require.Greater(t, e.fake.proofCalls(), proofsBefore, "locating used consistency proofs")
}

func TestAuditVerifyRevisionGap(t *testing.T) {
	e := newAuditEnv(t)
	e.publish(t, "assets/a", 1)
	e.publish(t, "assets/b", 1)
	e.publish(t, "assets/a", 2)
	e.publish(t, "assets/a", 4) // revision 3 never published
	e.publish(t, "assets/b", 2)
	stdout, _, err := e.verify(t, "--key", e.log.signer.VerifierKey())
	requireFail(t, stdout, err, 3, "assets/a: revision 4 after 2: revision 3 missing")
	require.Contains(t, oneSpace(stdout), "merkle tree OK")
	require.Contains(t, oneSpace(stdout), "revisions FAILED")
}

// The server's database was altered after the fact, the stream was not: replaying the
// stream finds the entry the signed log got wrong.
func TestAuditVerifyStreamAgainstAlteredLog(t *testing.T) {
	e := newAuditEnv(t)
	for i := range 12 {
		e.publish(t, fmt.Sprintf("assets/%d", i), 1)
	}
	e.fake.mu.Lock()
	e.log.bodies[5] = append([]byte(nil), e.log.bodies[6]...)
	e.log.leaves[5] = tlog.LeafHash(e.log.bodies[5])
	e.fake.mu.Unlock()
	stdout, _, err := e.verify(t, "--key", e.log.signer.VerifierKey())
	requireFail(t, stdout, err, 5, "the stored log differs from stream message 6")
}

// A stream shorter than the checkpoint: the log holds (and signed) a message the stream never carried.
func TestAuditVerifyStreamShorterThanLog(t *testing.T) {
	e := newAuditEnv(t)
	for i := range 6 {
		e.publish(t, fmt.Sprintf("assets/%d", i), 1)
	}
	e.fake.mu.Lock()
	e.log.event(t, "assets/only-in-the-log", 1)
	e.fake.mu.Unlock()
	start := time.Now()
	stdout, _, err := e.verify(t, "--key", e.log.signer.VerifierKey())
	requireFail(t, stdout, err, 6, "the stored log holds 7 entries, the stream only 6")
	require.Less(t, time.Since(start), 5*time.Second, "the replay does not wait for messages that are not there")
}

func TestAuditVerifyNoNATS(t *testing.T) {
	e := newAuditEnv(t)
	e.publish(t, "assets/a", 1)
	_, _, err := auditCLI(t, e.addr, "audit", "verify", "--nats", "nats://127.0.0.1:1", "--timeout", "2s")
	require.ErrorContains(t, err, "connect to NATS at nats://127.0.0.1:1")
	require.ErrorIs(t, err, nats.ErrNoServers)
}

// oneSpace collapses runs of spaces, so checks of the report do not depend on its column
// widths.
func oneSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' }), " ")
}

// TestAuditVerifyLargeLog times export, file verification and stream replay verification
// of a large log. It runs only with YAOSU_AUDIT_VERIFY_ENTRIES set (e.g. 1000000).
func TestAuditVerifyLargeLog(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("YAOSU_AUDIT_VERIFY_ENTRIES"))
	if n <= 0 {
		t.Skip("set YAOSU_AUDIT_VERIFY_ENTRIES to run")
	}
	e := newAuditEnv(t)
	summary := strings.Repeat("按 5 分钟汇总的路口流量数据，", 8)
	start := time.Now()
	for i := range n {
		ev, err := messaging.NewEvent(context.Background(), "catalog", "catalog.asset.updated", fmt.Sprintf("assets/%d", i%5000), int64(i/5000+1),
			&eventsv1.AssetCreated{Asset: &catalogv1.Asset{Name: fmt.Sprintf("assets/%d", i%5000), DisplayName: "城市道路交通流量数据", Summary: summary}})
		require.NoError(t, err)
		body, err := proto.Marshal(ev)
		require.NoError(t, err)
		e.log.add(body)
		_, err = e.js.PublishMsgAsync(messaging.Message(ev, body))
		require.NoError(t, err)
	}
	select {
	case <-e.js.PublishAsyncComplete():
	case <-time.After(10 * time.Minute):
		t.Fatal("publishing timed out")
	}
	t.Logf("%d entries of %d bytes published in %s", n, len(e.log.bodies[0]), time.Since(start).Round(time.Millisecond))
	key := e.log.signer.VerifierKey()

	timed := func(what string, args ...string) string {
		t.Helper()
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		stdout, stderr, err := runCLI(t, ctx, append([]string{"--addr", e.addr, "--token", "x", "--timeout", "60s"}, args...)...)
		require.NoError(t, err, stdout+stderr)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.Logf("%-24s %8s  (heap in use now %d MiB, total allocated %d MiB)", what, time.Since(start).Round(time.Millisecond),
			ms.HeapInuse>>20, ms.TotalAlloc>>20)
		return stdout
	}
	path := filepath.Join(e.dir, "big.jsonl")
	timed("export", "audit", "export", "-f", path)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	t.Logf("export file: %d MiB", fi.Size()>>20)
	out := timed("verify --file", "audit", "verify", "--file", path, "--key", key)
	require.Contains(t, out, "OK:")
	out = timed("verify (stream replay)", "audit", "verify", "--nats", e.url, "--key", key)
	require.Contains(t, out, "OK:")
}
