package devenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// localURL is the server a developer machine usually has: Debian's postgresql package
	// on the default port, configured for trust authentication on loopback.
	localURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

	// defaultPrivatePort keeps the private cluster off 5432, where a system server may be
	// installed later (apt-get install postgresql starts one there).
	defaultPrivatePort = 5433

	// readyTimeout bounds the wait for a server to accept connections, long enough for a
	// cold start with crash recovery on a slow disk.
	readyTimeout = 30 * time.Second
)

// PostgresOptions configures EnsurePostgres.
type PostgresOptions struct {
	DatabaseURL string // if non-empty, used as is (only checked that it answers)
	DataDir     string // e.g. "./var"; a private cluster lives in DataDir/postgres
	Port        int    // port for the private cluster, loopback only (default 5433)
	// Mode is "" or "auto": DatabaseURL if set, else 127.0.0.1:5432 if a server answers
	// there, else a private cluster. "private" forces the private cluster, ignoring
	// DatabaseURL and the local server (used to test that path).
	Mode string
	Log  *slog.Logger // nil discards
}

// Postgres is a server that was found or started.
type Postgres struct {
	// URL is the admin connection URL (database "postgres"), e.g.
	// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
	URL string
	// Private is true when the server is the private cluster under DataDir/postgres,
	// whether this call started it or found it running.
	Private bool
	// Stop stops the private cluster if this call started it (pg_ctl -m fast); otherwise it
	// is a no-op, so a second `yaosu dev` or a test run never stops a cluster it merely
	// reused. Stop is idempotent. Pass a live context: a cancelled one kills pg_ctl.
	Stop func(context.Context) error
}

// EnsurePostgres finds or starts a PostgreSQL server as o describes and returns once it
// accepts connections.
func EnsurePostgres(ctx context.Context, o PostgresOptions) (*Postgres, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch o.Mode {
	case "", "auto":
		if o.DatabaseURL != "" {
			// An explicit URL is never replaced by a fallback: silently using another
			// server would hide a misconfiguration.
			if err := ping(ctx, o.DatabaseURL, 5*time.Second); err != nil {
				return nil, fmt.Errorf("devenv: the configured database URL does not answer: %w", err)
			}
			log.Info("postgres: using the configured database URL")
			return &Postgres{URL: o.DatabaseURL, Stop: noStop}, nil
		}
		err := ping(ctx, localURL, 2*time.Second)
		if err == nil {
			log.Info("postgres: using the local server", "url", localURL)
			return &Postgres{URL: localURL, Stop: noStop}, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		log.Info("postgres: no local server answers on 127.0.0.1:5432, using a private cluster", "reason", err.Error())
	case "private":
	default:
		return nil, fmt.Errorf("devenv: unknown postgres mode %q (want \"auto\" or \"private\")", o.Mode)
	}
	if o.DataDir == "" {
		return nil, errors.New("devenv: a private postgres cluster needs a DataDir")
	}
	if o.Port == 0 {
		o.Port = defaultPrivatePort
	}
	return ensurePrivate(ctx, o, log)
}

func noStop(context.Context) error { return nil }

// privateURL is the admin URL of a private cluster: it is initialised with a trust-auth
// superuser "postgres" and listens on loopback only, so no password is involved.
func privateURL(port int) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

// ping connects once and runs SELECT 1, so "answers" means a usable session, not just an
// open port (a server in recovery accepts TCP but refuses sessions).
func ping(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	var one int
	return conn.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// waitReady polls until url answers or readyTimeout passes.
func waitReady(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ping(ctx, url, 3*time.Second)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devenv: postgres did not accept connections within %s: %w", readyTimeout, err)
		case <-tick.C:
		}
	}
}
