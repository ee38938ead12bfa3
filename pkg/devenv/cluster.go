//go:build unix

package devenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// maxSocketPath is the longest Unix socket path Linux accepts (sun_path less its NUL).
const maxSocketPath = 107

// cluster is a private PostgreSQL cluster in dir, run by the OS user as.
type cluster struct {
	dir  string
	bins pgBinaries
	as   *osUser
	log  *slog.Logger
}

// ensurePrivate initialises the cluster under o.DataDir/postgres if needed and starts it
// unless it is already running.
func ensurePrivate(ctx context.Context, o PostgresOptions, log *slog.Logger) (*Postgres, error) {
	dataDir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, fmt.Errorf("devenv: data dir: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("devenv: data dir: %w", err)
	}
	// Two `make test` runs, or `make run` next to `make test`, may get here together;
	// initdb and pg_ctl start must not race on one directory.
	unlock, err := lockFile(ctx, filepath.Join(dataDir, "postgres.lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()

	bins, err := binaries(ctx, log)
	if err != nil {
		return nil, err
	}
	as, err := clusterUser(ctx, log)
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: filepath.Join(dataDir, "postgres"), bins: bins, as: as, log: log}
	if err := c.prepareDirs(dataDir); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(c.dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("devenv: postgres cluster: %w", err)
	}

	running, err := c.status(ctx)
	if err != nil {
		return nil, err
	}
	if running {
		// Another `yaosu dev` or an earlier run left it up: use it, and leave stopping it
		// to whoever started it (Stop is a no-op for us).
		port, err := c.runningPort()
		if err != nil {
			return nil, err
		}
		if port != o.Port {
			log.Warn("postgres: private cluster is running on another port than requested", "port", port, "requested", o.Port)
		}
		url := privateURL(port)
		if err := waitReady(ctx, url); err != nil {
			return nil, fmt.Errorf("devenv: a postgres server is running from %s but does not answer on 127.0.0.1:%d: %w", c.dir, port, err)
		}
		log.Info("postgres: reusing running private cluster", "dir", c.dir, "url", url)
		return &Postgres{URL: url, Private: true, Stop: noStop}, nil
	}

	if err := c.start(ctx, o.Port); err != nil {
		return nil, err
	}
	url := privateURL(o.Port)
	if err := waitReady(ctx, url); err != nil {
		_ = c.stop(context.WithoutCancel(ctx))
		return nil, err
	}
	log.Info("postgres: private cluster started", "dir", c.dir, "url", url)
	return &Postgres{URL: url, Private: true, Stop: c.stop}, nil
}

// prepareDirs creates the cluster directory and, when the cluster runs as another user,
// makes sure that user can reach and own it.
func (c *cluster) prepareDirs(dataDir string) error {
	if c.as.cred == nil {
		if err := os.MkdirAll(c.dir, 0o700); err != nil {
			return fmt.Errorf("devenv: postgres cluster dir: %w", err)
		}
		return nil
	}
	// Everything above DataDir belongs to someone else's layout: report, never change it.
	for p := filepath.Dir(dataDir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("devenv: %w", err)
		}
		if !c.as.canTraverse(fi) {
			return fmt.Errorf("devenv: PostgreSQL refuses to run as root, so the private cluster runs as OS user %q, "+
				"which cannot enter %s (mode %v); use a DataDir whose parent directories that user can traverse "+
				"(for example under /var/tmp), or run `chmod o+x %s` yourself", c.as.name, p, fi.Mode().Perm(), p)
		}
		if p == filepath.Dir(p) {
			break
		}
	}
	fi, err := os.Stat(dataDir)
	if err != nil {
		return fmt.Errorf("devenv: %w", err)
	}
	if !c.as.canTraverse(fi) {
		// DataDir is ours (os.MkdirTemp makes it 0700): letting others through it exposes
		// nothing, as the cluster directory inside stays 0700.
		st, _ := fi.Sys().(*syscall.Stat_t)
		if st == nil || int(st.Uid) != os.Geteuid() {
			return fmt.Errorf("devenv: OS user %q cannot enter %s (mode %v) and it is not ours to change",
				c.as.name, dataDir, fi.Mode().Perm())
		}
		c.log.Info("postgres: making the data dir traversable for the cluster user", "dir", dataDir, "user", c.as.name)
		if err := os.Chmod(dataDir, fi.Mode().Perm()|0o001); err != nil {
			return fmt.Errorf("devenv: %w", err)
		}
	}
	if err := os.Mkdir(c.dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("devenv: postgres cluster dir: %w", err)
	}
	fi, err = os.Stat(c.dir)
	if err != nil {
		return fmt.Errorf("devenv: %w", err)
	}
	if st, _ := fi.Sys().(*syscall.Stat_t); st == nil || st.Uid != c.as.uid {
		// A new directory, or a cluster made by another user before: hand all of it over,
		// as postgres checks that it owns its data directory.
		c.log.Info("postgres: giving the cluster dir to its OS user", "dir", c.dir, "user", c.as.name)
		err := filepath.WalkDir(c.dir, func(path string, _ os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, int(c.as.uid), int(c.as.gid))
		})
		if err != nil {
			return fmt.Errorf("devenv: chown postgres cluster dir: %w", err)
		}
	}
	// postgres refuses a data directory that group or others can write or read beyond 0750.
	if err := os.Chmod(c.dir, 0o700); err != nil {
		return fmt.Errorf("devenv: %w", err)
	}
	return nil
}

// run runs a PostgreSQL program as the cluster user and returns its combined output.
func (c *cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := c.as.command(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func (c *cluster) initdb(ctx context.Context) error {
	var errs []error
	// C.UTF-8 gives UTF-8 character classes without depending on generated locales; older
	// systems lack it, and plain C (byte order) is always there.
	for _, locale := range []string{"C.UTF-8", "C"} {
		c.log.Info("postgres: initialising private cluster", "dir", c.dir, "locale", locale, "initdb", c.bins.initdb)
		out, err := c.run(ctx, c.bins.initdb, "-D", c.dir, "-U", "postgres", "--auth=trust",
			"--encoding=UTF8", "--locale="+locale)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.log.Warn("postgres: initdb failed", "locale", locale, "err", err.Error(), "output", lastLines(string(out), 10))
		errs = append(errs, fmt.Errorf("initdb --locale=%s: %w: %s", locale, err, lastLines(string(out), 10)))
	}
	return fmt.Errorf("devenv: %w", errors.Join(errs...))
}

// status reports whether a postmaster is running from the cluster directory.
func (c *cluster) status(ctx context.Context) (bool, error) {
	out, err := c.run(ctx, c.bins.pgCtl, "status", "-D", c.dir)
	if err == nil {
		return true, nil
	}
	// pg_ctl status exits 3 when no server runs, also after a crash left a stale pid file.
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		return false, nil
	}
	return false, fmt.Errorf("devenv: pg_ctl status: %w: %s", err, strings.TrimSpace(string(out)))
}

// runningPort reads the port of the running postmaster from its pid file (line 4), which
// may differ from the requested one when another run started it.
func (c *cluster) runningPort() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("devenv: postgres is running but: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, fmt.Errorf("devenv: %s/postmaster.pid has no port line", c.dir)
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		return 0, fmt.Errorf("devenv: %s/postmaster.pid: port: %w", c.dir, err)
	}
	return port, nil
}

func (c *cluster) start(ctx context.Context, port int) error {
	// Checked here because postgres only says so in its log, after pg_ctl's generic
	// "could not start server".
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("devenv: port %d on 127.0.0.1 is taken, so the private postgres cluster cannot use it; "+
			"choose another port: %w", port, err)
	}
	_ = l.Close()

	// The socket lives in the cluster dir, not /var/run/postgresql, which is not ours and
	// may not exist; it is turned off when the path would be too long for a socket.
	sockets := c.dir
	if len(filepath.Join(c.dir, fmt.Sprintf(".s.PGSQL.%d", port))) > maxSocketPath {
		c.log.Warn("postgres: cluster path too long for a Unix socket; TCP only", "dir", c.dir)
		sockets = ""
	}
	// pg_ctl hands -o to /bin/sh, hence the quoting. fsync stays on: `make run` data is
	// worth keeping across a power cut.
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=200", port, shellQuote(sockets))
	logFile := filepath.Join(c.dir, "server.log")
	c.log.Info("postgres: starting private cluster", "dir", c.dir, "port", port, "log", logFile)
	out, err := c.run(ctx, c.bins.pgCtl, "start", "-D", c.dir, "-l", logFile, "-w", "-t", "60", "-o", opts)
	if err != nil {
		return fmt.Errorf("devenv: pg_ctl start: %w: %s\n%s (last lines):\n%s",
			err, strings.TrimSpace(string(out)), logFile, tailFile(logFile, 20))
	}
	return nil
}

// stop shuts the cluster down with a fast shutdown: sessions are ended, the data is safe.
func (c *cluster) stop(ctx context.Context) error {
	c.log.Info("postgres: stopping private cluster", "dir", c.dir)
	out, err := c.run(ctx, c.bins.pgCtl, "stop", "-D", c.dir, "-m", "fast", "-w")
	if err == nil {
		return nil
	}
	if running, serr := c.status(ctx); serr == nil && !running {
		return nil // already stopped: Stop is idempotent
	}
	return fmt.Errorf("devenv: pg_ctl stop: %w: %s", err, strings.TrimSpace(string(out)))
}

// lockFile takes an exclusive flock on path, waiting while another process holds it. The
// kernel drops the lock if we die, so a crash never leaves it stuck.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("devenv: lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("devenv: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("devenv: waiting for lock %s: %w", path, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return func() { _ = f.Close() }, nil // closing releases the flock
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tailFile returns the end of a log file for an error message.
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	defer func() { _ = f.Close() }()
	const maxTail = 8 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > maxTail {
		_, _ = f.Seek(-maxTail, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return lastLines(string(b), n)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
