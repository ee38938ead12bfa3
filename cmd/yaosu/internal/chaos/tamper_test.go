package chaos

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/services/audit/tamper"
)

var failIndex = regexp.MustCompile(`^FAIL: (at or before )?index (\d+):`)

// tamperAll runs every tamper case of services/audit/tamper against a copy of the run's
// database: the case alters the copy's audit schema, an audit-only replica starts on it,
// and both the service (its finding, served with GetCheckpoint) and `yaosuctl audit
// verify` (as an auditor with pinned keys) must name the case's first index. The
// replicas of the run are stopped first: a copy needs a database nobody is connected to.
func (h *harness) tamperAll(ctx context.Context, rep *report) {
	h.t.Helper()
	for _, r := range h.replicas {
		r.stop()
	}
	admin, err := pgx.Connect(ctx, h.pg.URL)
	h.must(err, "connect as admin")
	defer admin.Close(ctx)
	var results []tamper.Result
	for i, c := range tamper.Cases() {
		db := fmt.Sprintf("tamper_%d", i)
		_, err := admin.Exec(ctx, "CREATE DATABASE "+db+" TEMPLATE yaosu")
		h.must(err, "copy the database")
		dsn := strings.Replace(h.dsn, "/yaosu?", "/"+db+"?", 1)
		pool, err := pgxpool.New(ctx, dsn)
		h.must(err, "pool")
		want, err := c.Apply(ctx, pool)
		pool.Close()
		h.must(err, "tamper "+c.Name)

		r := h.newReplica(fmt.Sprintf("tamper-%d", i), "DATABASE_URL="+dsn)
		r.start("audit")
		r.waitHealthy(time.Minute)
		res := tamper.Result{Case: c.Name, Want: want}
		auditor := h.as(ctx, orgB, auth.RoleAuditor)
		_ = poll(time.Minute, 50*time.Millisecond, func() bool {
			cp, err := auditv1.NewAuditServiceClient(r.conn).GetCheckpoint(auditor, &auditv1.GetCheckpointRequest{})
			if err == nil && len(cp.GetFindings()) > 0 {
				idx := cp.GetFindings()[0].GetFirstIndex()
				res.Finding = &idx
			}
			return res.Finding != nil
		})
		ctl := h.yaosuctl(r)
		out, err := ctl("audit", "key", "--pin", "--key", h.verifierKey, "--event-keys", filepath.Join(h.dir, "event-keys"))
		h.must(err, "pin: "+out)
		out, _ = ctl("audit", "verify")
		line := verdict(out)
		verified := ""
		if m := failIndex.FindStringSubmatch(line); m != nil {
			n, _ := strconv.ParseUint(m[2], 10, 64)
			res.Verified = fmt.Sprintf("%sindex %d", m[1], n)
			verified = "index"
			// A case verification can only bound ("at or before") may still be located
			// exactly, with the service's finding; a located case must be.
			res.Detected = n == want.Index && (m[1] == "" || !want.Located)
		} else if strings.HasPrefix(line, "FAIL") {
			res.Verified, verified = "checkpoint signature", "signature"
			res.Detected = want.Signature
		}
		res.Detected = res.Detected && res.Finding != nil && *res.Finding == want.Index
		results = append(results, res)
		rep.add("tamper: "+c.Name, fmt.Sprintf("want index %d; verify: %s; finding: %s", want.Index, orNone(res.Verified), findingText(res.Finding)),
			res.Detected && verified != "")
		r.stop()
		_ = r.conn.Close()
	}
	var b strings.Builder
	h.must(tamper.Table(&b, results), "table")
	rep.extra = append(rep.extra, b.String())
}

func orNone(s string) string {
	if s == "" {
		return "passed"
	}
	return s
}

func findingText(i *uint64) string {
	if i == nil {
		return "none"
	}
	return fmt.Sprintf("index %d", *i)
}
