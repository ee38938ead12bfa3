package postgres_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/testkit"
)

// requireKind asserts that MapError classifies err as kind and reason, and that the
// unavailable ones name the dependency and say what to do in both languages.
func requireKind(t *testing.T, err error, kind errs.Kind, reason string) {
	t.Helper()
	require.Error(t, err)
	mapped := postgres.MapError(err)
	e, ok := errs.As(mapped)
	require.True(t, ok, "unclassified: %v", err)
	require.Equal(t, kind, e.Kind, "%v", err)
	require.Equal(t, reason, e.Reason)
	require.ErrorIs(t, mapped, err, "the cause is kept for the log")
	if kind == errs.KindUnavailable {
		require.Equal(t, "postgres", e.Metadata["dependency"])
		require.Contains(t, e.Message, "retry")
		require.Contains(t, e.Message, "数据库暂时不可用")
	}
}

// backendOf connects one connection to dsn and returns it with its server process id.
func backendOf(t *testing.T, dsn string) (*pgx.Conn, uint32) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn, conn.PgConn().PID()
}

// terminate ends backend pid from another connection, as a fast shutdown does to every
// backend (57P01 admin_shutdown).
func terminate(t *testing.T, pid uint32) {
	t.Helper()
	admin, err := pgx.Connect(context.Background(), testkit.AdminURL())
	require.NoError(t, err)
	defer admin.Close(context.Background())
	// Wait until the backend is busy, so the termination lands in the middle of its query.
	require.Eventually(t, func() bool {
		var state string
		err := admin.QueryRow(context.Background(), `SELECT coalesce(state, '') FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&state)
		return err == nil && state == "active"
	}, 10*time.Second, 5*time.Millisecond)
	var ok bool
	require.NoError(t, admin.QueryRow(context.Background(), `SELECT pg_terminate_backend($1)`, pid).Scan(&ok))
	require.True(t, ok)
}

func TestAdminShutdownOfARunningQueryIsUnavailable(t *testing.T) {
	dsn := testkit.Database(t, testkit.Schemas{})
	conn, pid := backendOf(t, dsn)
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), `SELECT pg_sleep(30)`)
		errc <- err
	}()
	terminate(t, pid)
	err := <-errc
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr, "the server says why it ends the session")
	require.Equal(t, "57P01", pgErr.Code)
	requireKind(t, err, errs.KindUnavailable, errs.ReasonDependencyUnavailable)

	// The connection is gone: using it again fails, also UNAVAILABLE.
	_, err = conn.Exec(context.Background(), `SELECT 1`)
	requireKind(t, err, errs.KindUnavailable, errs.ReasonDependencyUnavailable)
}

func TestTerminatedConnectionsInAPoolAreUnavailableThenRecover(t *testing.T) {
	dsn := testkit.Database(t, testkit.Schemas{})
	ctx := context.Background()
	pool, err := postgres.Connect(ctx, dsn, "public", 1)
	require.NoError(t, err)
	defer pool.Close()
	var pid uint32
	require.NoError(t, pool.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid))
	errc := make(chan error, 1)
	go func() {
		errc <- postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `SELECT pg_sleep(30)`)
			return err
		})
	}()
	terminate(t, pid)
	err = <-errc
	e, ok := errs.As(err)
	require.True(t, ok, "InTx classifies: %v", err)
	require.Equal(t, errs.KindUnavailable, e.Kind)
	// The pool drops the dead connection and the next request is served.
	var one int
	require.NoError(t, pool.QueryRow(ctx, `SELECT 1`).Scan(&one))
}

func TestConnectionRefusedIsUnavailable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close()) // nothing listens there now
	u, err := url.Parse(testkit.AdminURL())
	require.NoError(t, err)
	u.Host = addr
	_, err = postgres.Connect(context.Background(), u.String(), "public", 1)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	requireKind(t, err, errs.KindUnavailable, errs.ReasonDependencyUnavailable)
}

func TestDatabaseClosedToConnectionsIsUnavailable(t *testing.T) {
	dsn := testkit.Database(t, testkit.Schemas{})
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	db := pgx.Identifier{u.Path[1:]}.Sanitize()
	admin, err := pgx.Connect(context.Background(), testkit.AdminURL())
	require.NoError(t, err)
	defer admin.Close(context.Background())
	_, err = admin.Exec(context.Background(), `ALTER DATABASE `+db+` ALLOW_CONNECTIONS false`)
	require.NoError(t, err)
	_, err = pgx.Connect(context.Background(), dsn)
	requireKind(t, err, errs.KindUnavailable, errs.ReasonDependencyUnavailable)
	_, err = admin.Exec(context.Background(), `ALTER DATABASE `+db+` ALLOW_CONNECTIONS true`)
	require.NoError(t, err)
	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	require.NoError(t, conn.Close(context.Background()))
}

func TestConnectionCutMidQueryIsUnavailable(t *testing.T) {
	dsn := testkit.Database(t, testkit.Schemas{})
	proxied, proxy := testkit.ProxyDatabaseURL(t, dsn)
	conn, pid := backendOf(t, proxied)
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), `SELECT pg_sleep(30)`)
		errc <- err
	}()
	admin, err := pgx.Connect(context.Background(), testkit.AdminURL())
	require.NoError(t, err)
	defer admin.Close(context.Background())
	require.Eventually(t, func() bool {
		var state string
		err := admin.QueryRow(context.Background(), `SELECT coalesce(state, '') FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&state)
		return err == nil && state == "active"
	}, 10*time.Second, 5*time.Millisecond)
	proxy.Cut()
	err = <-errc
	requireKind(t, err, errs.KindUnavailable, errs.ReasonDependencyUnavailable)
	// While cut, a new connection is hung up on during start-up.
	_, err = pgx.Connect(context.Background(), proxied)
	requireKind(t, err, errs.KindUnavailable, errs.ReasonDependencyUnavailable)
	_, _ = admin.Exec(context.Background(), `SELECT pg_terminate_backend($1)`, pid)
}

func TestClosedPoolIsUnavailable(t *testing.T) {
	dsn := testkit.Database(t, testkit.Schemas{})
	pool, err := postgres.Connect(context.Background(), dsn, "public", 1)
	require.NoError(t, err)
	pool.Close()
	_, err = pool.Exec(context.Background(), `SELECT 1`)
	requireKind(t, err, errs.KindUnavailable, errs.ReasonDependencyUnavailable)
}

func TestStatementTimeoutIsDeadlineExceeded(t *testing.T) {
	dsn := testkit.Database(t, testkit.Schemas{})
	conn, _ := backendOf(t, dsn)
	ctx := context.Background()
	_, err := conn.Exec(ctx, `SET statement_timeout = '20ms'`)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `SELECT pg_sleep(5)`)
	requireKind(t, err, errs.KindDeadlineExceeded, errs.ReasonStatementTimeout)
}

func TestCallersOwnDeadlineAndCancelStayContextErrors(t *testing.T) {
	dsn := testkit.Database(t, testkit.Schemas{})
	conn, _ := backendOf(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := conn.Exec(ctx, `SELECT pg_sleep(5)`)
	require.Error(t, err)
	mapped := postgres.MapError(err)
	_, classified := errs.As(mapped)
	require.False(t, classified, "the caller's deadline is not the database's fault: %v", err)
	require.ErrorIs(t, mapped, context.DeadlineExceeded)

	conn2, _ := backendOf(t, dsn)
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	_, err = conn2.Exec(cctx, `SELECT 1`)
	mapped = postgres.MapError(err)
	_, classified = errs.As(mapped)
	require.False(t, classified)
	require.ErrorIs(t, mapped, context.Canceled)
}

func TestSerializationFailureStaysAborted(t *testing.T) {
	dsn := testkit.Database(t, testkit.Schemas{"widgetsvc": {set}})
	ctx := context.Background()
	pool, err := postgres.Connect(ctx, dsn, "widgetsvc", 2)
	require.NoError(t, err)
	defer pool.Close()
	_, err = pool.Exec(ctx, `INSERT INTO widgets (id, n) VALUES (1, 0)`)
	require.NoError(t, err)
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	var n int
	require.NoError(t, tx.QueryRow(ctx, `SELECT n FROM widgets WHERE id = 1`).Scan(&n))
	_, err = pool.Exec(ctx, `UPDATE widgets SET n = n + 1 WHERE id = 1`) // commits in between
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `UPDATE widgets SET n = n + 1 WHERE id = 1`)
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr)
	require.Equal(t, "40001", pgErr.Code)
	requireKind(t, err, errs.KindAborted, errs.ReasonConflict)
}

func TestOtherDatabaseErrorsStayUnclassified(t *testing.T) {
	dsn := testkit.Database(t, testkit.Schemas{})
	conn, _ := backendOf(t, dsn)
	_, err := conn.Exec(context.Background(), `SELECT * FROM no_such_table`)
	require.Error(t, err)
	_, classified := errs.As(postgres.MapError(err))
	require.False(t, classified, "a broken statement is a bug (INTERNAL), not an outage")
	require.Nil(t, postgres.Classify(errors.New("dial tcp 10.0.0.7:5432: only text")))
}

// A server that accepts connections and never answers: the connection attempt ends at the
// connect timeout, UNAVAILABLE, instead of holding the request until its deadline.
func TestUnansweredConnectIsUnavailable(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer lis.Close()
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	u, err := url.Parse(testkit.AdminURL())
	require.NoError(t, err)
	u.Host = lis.Addr().String()
	cfg, err := postgres.PoolConfig(u.String(), "public", 1)
	require.NoError(t, err)
	require.Equal(t, postgres.DefaultConnectTimeout, cfg.ConnConfig.ConnectTimeout, "bounded by default")
	q := u.Query()
	q.Set("connect_timeout", "1")
	u.RawQuery = q.Encode()
	_, err = postgres.Connect(context.Background(), u.String(), "public", 1)
	requireKind(t, err, errs.KindUnavailable, errs.ReasonDependencyUnavailable)
}
