package devenv

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEnsurePostgresAuto(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if err := ping(ctx, localURL, 2*time.Second); err != nil {
		// `make test` on a machine without a local server runs with DATABASE_URL set to a
		// private cluster instead; TestEnsurePostgresPrivate covers that path.
		t.Skipf("no PostgreSQL answers on 127.0.0.1:5432: %v", err)
	}
	pg, err := EnsurePostgres(ctx, PostgresOptions{DataDir: t.TempDir(), Log: testLogger(t)})
	require.NoError(t, err)
	require.False(t, pg.Private)
	require.Equal(t, localURL, pg.URL)
	require.NoError(t, ping(ctx, pg.URL, 5*time.Second))
	require.NoError(t, pg.Stop(ctx))                     // no-op: not ours
	require.NoError(t, ping(ctx, pg.URL, 5*time.Second)) // still up
}

func TestEnsurePostgresURL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Port 1 on loopback refuses at once; an explicit URL must fail, not fall back.
	_, err := EnsurePostgres(ctx, PostgresOptions{
		DatabaseURL: "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable",
		DataDir:     t.TempDir(),
	})
	require.ErrorContains(t, err, "does not answer")

	_, err = EnsurePostgres(ctx, PostgresOptions{Mode: "docker"})
	require.ErrorContains(t, err, "unknown postgres mode")
}

func TestEnsurePostgresPrivate(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, ok := findBinaries(ctx); !ok {
		t.Skip("no PostgreSQL server programs (initdb, pg_ctl, postgres) on this machine")
	}
	dir := dataDir(t)
	port := freePort(t)
	o := PostgresOptions{Mode: "private", DataDir: dir, Port: port, Log: testLogger(t)}

	pg, err := EnsurePostgres(ctx, o)
	require.NoError(t, err)
	// Registered after dataDir's cleanup, so it runs first: never leave a server behind.
	t.Cleanup(func() { _ = pg.Stop(context.Background()) })
	require.True(t, pg.Private)
	require.Equal(t, privateURL(port), pg.URL)
	require.NoError(t, ping(ctx, pg.URL, 5*time.Second))
	require.FileExists(t, filepath.Join(dir, "postgres", "PG_VERSION"))

	again, err := EnsurePostgres(ctx, o)
	require.NoError(t, err)
	require.True(t, again.Private)
	require.Equal(t, pg.URL, again.URL)
	require.NoError(t, again.Stop(ctx)) // not started by that call: no-op
	require.NoError(t, ping(ctx, pg.URL, 5*time.Second))

	require.NoError(t, pg.Stop(ctx))
	require.Error(t, ping(ctx, pg.URL, 2*time.Second))
	require.NoError(t, pg.Stop(ctx)) // idempotent
}

func TestEnsurePostgresPrivateUntraversableParent(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only root runs the cluster as another OS user")
	}
	ctx := context.Background()
	if _, ok := findBinaries(ctx); !ok {
		t.Skip("no PostgreSQL server programs (initdb, pg_ctl, postgres) on this machine")
	}
	parent := dataDir(t)
	require.NoError(t, os.Chmod(parent, 0o700))
	_, err := EnsurePostgres(ctx, PostgresOptions{
		Mode: "private", DataDir: filepath.Join(parent, "var"), Port: freePort(t), Log: testLogger(t),
	})
	require.ErrorContains(t, err, "cannot enter "+parent)
	fi, err := os.Stat(parent)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm(), "devenv must not change directories above DataDir")
}

func TestNewestBindir(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for v, complete := range map[string]bool{"9.6": true, "10": true, "15": true, "16": false, "devel": true} {
		bin := filepath.Join(root, v, "bin")
		require.NoError(t, os.MkdirAll(bin, 0o755))
		names := []string{"initdb", "pg_ctl", "postgres"}
		if !complete {
			names = names[:2] // a client-only install: no server
		}
		for _, n := range names {
			require.NoError(t, os.WriteFile(filepath.Join(bin, n), nil, 0o755))
		}
	}
	dir, ok := newestBindir(filepath.Join(root, "*", "bin"))
	require.True(t, ok)
	require.Equal(t, filepath.Join(root, "15", "bin"), dir)

	_, ok = newestBindir(filepath.Join(t.TempDir(), "*", "bin"))
	require.False(t, ok)
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want int // sign
	}{
		{"15", "9.6", 1},
		{"9.6", "10", -1},
		{"10", "10.0", 0},
		{"9.6", "9.5", 1},
	} {
		a, _ := parseVersion(tc.a)
		b, _ := parseVersion(tc.b)
		got := compareVersions(a, b)
		require.Equal(t, tc.want, sign(got), strconv.Quote(tc.a)+" vs "+strconv.Quote(tc.b))
	}
}

func sign(n int) int {
	switch {
	case n > 0:
		return 1
	case n < 0:
		return -1
	}
	return 0
}

// dataDir makes a data directory directly under the system temp dir. Not t.TempDir():
// its parent is 0700, which the postgres OS user cannot enter when tests run as root,
// and devenv rightly refuses to change directories above DataDir.
func dataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "yaosu-devenv-test-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
