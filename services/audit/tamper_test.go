package audit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	"yaosu.dev/pkg/auditcheck"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/services/audit"
	"yaosu.dev/services/audit/tamper"
)

// fillForTamper appends 22 entries with checkpoints at sizes 10 and 21 (each checkpoint's
// own event is the entry after it), what every tamper case starts from, and returns the
// verifier key.
func (e *env) fillForTamper() string {
	t := e.t
	t.Helper()
	e.publish(10)
	e.waitForLog(10)
	cp, err := e.client.GetCheckpoint(e.as(auth.RoleAuditor), &auditv1.GetCheckpointRequest{})
	require.NoError(t, err)
	require.EqualValues(t, 10, cp.GetCheckpoint().GetTreeSize())
	e.waitForLog(11)
	e.publish(10)
	e.waitForLog(21)
	cp, err = e.client.GetCheckpoint(e.as(auth.RoleAuditor), &auditv1.GetCheckpointRequest{})
	require.NoError(t, err)
	require.EqualValues(t, 21, cp.GetCheckpoint().GetTreeSize())
	e.waitForLog(22)
	return cp.GetVerifierKey()
}

// verifyStored is `yaosuctl audit verify` in its default mode, over real gRPC and the real
// stream, with the pinned key.
func (e *env) verifyStored(key string) *auditcheck.Report {
	e.t.Helper()
	rep, err := auditcheck.VerifyStored(e.as(auth.RoleAuditor), auditcheck.Options{Client: e.client, JS: e.js, Key: key, Timeout: 10 * time.Second})
	require.NoError(e.t, err)
	return rep
}

// requireNoInternal calls every read RPC and checks none answers INTERNAL: each serves or
// answers DATA_LOSS.
func (e *env) requireNoInternal() {
	t := e.t
	t.Helper()
	ctx := e.as(auth.RoleAuditor)
	check := func(what string, err error) {
		if err != nil {
			require.Contains(t, []codes.Code{codes.DataLoss, codes.NotFound, codes.InvalidArgument}, status.Code(err), "%s: %v", what, err)
		}
	}
	_, err := e.client.GetCheckpoint(ctx, &auditv1.GetCheckpointRequest{})
	require.NoError(t, err, "GetCheckpoint serves the last checkpoint signed before the finding")
	list, err := e.client.ListEvents(ctx, &auditv1.ListEventsRequest{PageSize: 1000})
	require.NoError(t, err, "reads go on")
	require.NotEmpty(t, list.GetFindings(), "ListEvents carries the findings")
	for _, en := range list.GetEntries() {
		if id := en.GetEvent().GetId(); id != "" {
			_, err = e.client.GetInclusionProof(ctx, &auditv1.GetInclusionProofRequest{EventId: id})
			check("GetInclusionProof", err)
		}
	}
	for size := uint64(1); size <= 21; size++ {
		_, err = e.client.GetConsistencyProof(ctx, &auditv1.GetConsistencyProofRequest{OldSize: size})
		check("GetConsistencyProof", err)
	}
	_, err = e.client.GetResourceTimeline(ctx, &auditv1.GetResourceTimelineRequest{Resource: "things/1"})
	require.NoError(t, err)
}

// countEvents counts the stream's messages of type typ.
func (e *env) countEvents(typ string) int {
	n := 0
	for _, b := range e.streamBodies() {
		if ev, err := messaging.Decode(b); err == nil && ev.GetType() == typ {
			n++
		}
	}
	return n
}

// TestTamperCases tampers with a real audit schema filled by the real appender from a real
// JetStream, one case at a time, and checks that the stored-log verification names the
// case's first index, that the appender raises a finding and stops instead of retrying, and
// that no RPC answers INTERNAL.
func TestTamperCases(t *testing.T) {
	var results []tamper.Result
	t.Cleanup(func() {
		var b strings.Builder
		require.NoError(t, tamper.Table(&b, results))
		t.Log("\n" + b.String())
	})
	for _, c := range tamper.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			_, stop := e.start(time.Hour)
			key := e.fillForTamper()
			clean := e.verifyStored(key)
			require.True(t, clean.OK(), "the untouched log verifies: %+v", clean.Problem)
			require.EqualValues(t, 22, clean.Stored)
			stop()

			want, err := c.Apply(ctx, e.pool)
			require.NoError(t, err)

			svc, _ := e.start(time.Hour)
			require.Eventually(t, func() bool { return svc.Appender().Halted() != nil }, 20*time.Second, 10*time.Millisecond,
				"the appender raises a finding")
			f := svc.Appender().Halted()
			require.Equal(t, want.Index, f.FirstIndex, "finding: %s", f.Reason)
			sessions := svc.Appender().Sessions()

			cp, err := e.client.GetCheckpoint(e.as(auth.RoleAuditor), &auditv1.GetCheckpointRequest{})
			require.NoError(t, err)
			require.NotEmpty(t, cp.GetFindings())
			require.Equal(t, want.Index, cp.GetFindings()[0].GetFirstIndex())
			require.Eventually(t, func() bool { return e.countEvents(audit.EventLogInconsistent) == 1 }, 10*time.Second, 10*time.Millisecond,
				"the finding is published once through the outbox")
			e.requireNoInternal()

			rep := e.verifyStored(key)
			res := tamper.Result{Case: c.Name, Want: want, Finding: &f.FirstIndex}
			switch {
			case rep.SigErr != nil:
				res.Verified = "checkpoint signature"
				res.Detected = want.Signature
			case rep.Problem != nil:
				res.Verified = fmt.Sprintf("index %d (%s)", rep.Problem.Index, rep.Check)
				if !rep.Problem.Located {
					res.Verified = "at or before " + res.Verified
				}
				res.Detected = rep.Problem.Index == want.Index
			}
			res.Detected = res.Detected && f.FirstIndex == want.Index
			results = append(results, res)
			require.False(t, rep.OK())
			if want.Signature {
				require.Equal(t, auditcheck.CheckSignature, rep.Check)
				require.Error(t, rep.SigErr)
			} else {
				require.NotNil(t, rep.Problem, "check %s", rep.Check)
				require.Equal(t, want.Index, rep.Problem.Index, "%s: %s", rep.Check, rep.Problem.Reason)
			}

			// Events published now are not appended over the damaged log, and the
			// appender does not retry.
			size := e.logSize()
			e.publish(3)
			require.Never(t, func() bool { return e.logSize() != size || svc.Appender().Sessions() != sessions },
				300*time.Millisecond, 20*time.Millisecond)
		})
	}
}

// TestRowInsertedWhileRunningBecomesAFindingNotAnOutage is the reported defect: a row
// inserted beyond the log while the service runs made GetCheckpoint answer INTERNAL and
// left the appender looping on "audit log node … missing".
func TestRowInsertedWhileRunningBecomesAFindingNotAnOutage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	svc, stop := e.start(time.Hour)
	key := e.fillForTamper()
	_, err := e.pool.Exec(ctx, `INSERT INTO entries (idx, stream_seq, data, leaf_hash) VALUES (22, 23, '\x78'::bytea, sha256('\x0078'::bytea))`)
	require.NoError(t, err)

	cp, err := e.client.GetCheckpoint(e.as(auth.RoleAuditor), &auditv1.GetCheckpointRequest{})
	require.NoError(t, err, "not INTERNAL: the last good checkpoint")
	require.EqualValues(t, 21, cp.GetCheckpoint().GetTreeSize())
	require.NotEmpty(t, cp.GetFindings(), "signing found the tree node missing")
	require.EqualValues(t, 22, cp.GetFindings()[0].GetFirstIndex())

	e.publish(5) // the appender meets the inserted row, or the finding, and stops
	require.Eventually(t, func() bool { return svc.Appender().Halted() != nil }, 20*time.Second, 10*time.Millisecond)
	sessions := svc.Appender().Sessions()
	require.Never(t, func() bool { return svc.Appender().Sessions() != sessions || e.logSize() != 23 }, 500*time.Millisecond, 20*time.Millisecond,
		"no retry loop, nothing appended")
	e.requireNoInternal()
	rep := e.verifyStored(key)
	require.NotNil(t, rep.Problem)
	require.EqualValues(t, 22, rep.Problem.Index)

	// Restarting finds the same inconsistency: no second event for it.
	var findings int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM findings`).Scan(&findings))
	require.Eventually(t, func() bool { return e.countEvents(audit.EventLogInconsistent) == findings }, 10*time.Second, 10*time.Millisecond,
		"each finding published once")
	stop()
	svc, stop = e.start(time.Hour)
	require.Eventually(t, func() bool { return svc.Appender().Halted() != nil }, 20*time.Second, 10*time.Millisecond)
	var again int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM findings`).Scan(&again))
	require.Equal(t, findings, again, "the same finding is not recorded twice")

	// The operator removes the row; a restart finds the log consistent, resolves the
	// findings and appends what the stream holds.
	stop()
	_, err = e.pool.Exec(ctx, `DELETE FROM entries WHERE idx = 22`)
	require.NoError(t, err)
	svc, _ = e.start(time.Hour)
	require.Eventually(t, func() bool { return svc.Appender().Size() >= 27 }, 20*time.Second, 10*time.Millisecond)
	require.Nil(t, svc.Appender().Halted())
	cp, err = e.client.GetCheckpoint(e.as(auth.RoleAuditor), &auditv1.GetCheckpointRequest{})
	require.NoError(t, err)
	require.Empty(t, cp.GetFindings())
	require.Greater(t, cp.GetCheckpoint().GetTreeSize(), uint64(21), "signing resumed")
	require.Eventually(t, func() bool { return e.logSize() == uint64(len(e.streamBodies())) }, 20*time.Second, 10*time.Millisecond)
	e.requireLogEqualsStream()
	require.True(t, e.verifyStored(key).OK())
}

// Tampering with rows the appender already wrote is found by its periodic check, without a
// restart and without any new event to append.
func TestTamperingWhileRunningIsFoundByThePeriodicCheck(t *testing.T) {
	e := newEnv(t)
	e.recheck = 50 * time.Millisecond
	svc, _ := e.start(time.Hour)
	key := e.fillForTamper()
	require.Nil(t, svc.Appender().Halted(), "an untouched log passes the periodic check")
	want, err := tamper.Cases()[0].Apply(context.Background(), e.pool) // alter an entry's data
	require.NoError(t, err)
	require.Eventually(t, func() bool { return svc.Appender().Halted() != nil }, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, want.Index, svc.Appender().Halted().FirstIndex)
	cp, err := e.client.GetCheckpoint(e.as(auth.RoleAuditor), &auditv1.GetCheckpointRequest{})
	require.NoError(t, err)
	require.Len(t, cp.GetFindings(), 1)
	rep := e.verifyStored(key)
	require.NotNil(t, rep.Problem)
	require.Equal(t, want.Index, rep.Problem.Index)
}
