package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"yaosu.dev/pkg/errs"
)

// Connection-class SQLSTATEs: the server is going away, not accepting connections yet, or
// the connection itself failed. The request was not at fault and may succeed when sent
// again (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	codeAdminShutdown      = "57P01" // admin_shutdown: fast/smart shutdown, pg_terminate_backend
	codeCrashShutdown      = "57P02" // crash_shutdown: another backend crashed
	codeCannotConnectNow   = "57P03" // cannot_connect_now: starting up, shutting down, recovering
	codeIdleSessionTimeout = "57P05" // idle_session_timeout
	codeQueryCanceled      = "57014" // query_canceled: statement_timeout or a cancel request
	codeTooManyConnections = "53300" // too_many_connections
	classConnection        = "08"    // connection_exception and its subclasses
)

// Dependency is the ErrorInfo metadata value naming Postgres as the unavailable dependency.
const Dependency = "postgres"

// unavailable is the error a request gets while the database cannot serve it. Its
// message says what the client can do; the cause is logged only.
func unavailable(cause error) *errs.Error {
	e := errs.Wrap(cause, errs.KindUnavailable, errs.ReasonDependencyUnavailable,
		"the database is unavailable, retry shortly (数据库暂时不可用，请稍后重试)")
	e.Metadata = map[string]string{"dependency": Dependency}
	return e
}

// classifyConnection classifies errors that say the database could not be reached or
// dropped the connection, and statement timeouts; nil for anything else.
//
// The order matters: the caller's own cancellation is no fault of the database (nil, so
// the caller maps it to CANCELLED); a failed connection attempt is UNAVAILABLE even when
// it ended on connect_timeout; any other deadline is the caller's (nil: DEADLINE_EXCEEDED).
func classifyConnection(err error) *errs.Error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return unavailable(err) // refused, reset, DNS, 57P03, a database closed to connections
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == codeQueryCanceled && strings.Contains(pgErr.Message, "statement timeout"):
			return errs.Wrap(err, errs.KindDeadlineExceeded, errs.ReasonStatementTimeout,
				"the database statement ran past its time limit (数据库语句执行超时)")
		case pgErr.Code == codeQueryCanceled, // cancelled by an operator (pg_cancel_backend)
			pgErr.Code == codeAdminShutdown, pgErr.Code == codeCrashShutdown,
			pgErr.Code == codeCannotConnectNow, pgErr.Code == codeIdleSessionTimeout,
			pgErr.Code == codeTooManyConnections, strings.HasPrefix(pgErr.Code, classConnection):
			return unavailable(err)
		}
		return nil // any other server error is a statement's own error
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	switch {
	case errors.Is(err, puddle.ErrClosedPool), // the pool was closed (shutting down)
		errors.Is(err, pgconn.ErrConnClosed),                        // used after the driver closed it
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), // the server hung up
		errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		pgconn.Timeout(err),     // a network timeout (context deadlines were handled above)
		pgconn.SafeToRetry(err): // the driver knows nothing was sent
		return unavailable(err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return unavailable(err) // dial, read and write errors of the connection
	}
	return nil
}
