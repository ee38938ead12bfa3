package devenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pgBinaries are the server programs a private cluster needs.
type pgBinaries struct {
	initdb, pgCtl, postgres string
}

// debianBindirs is where Debian's postgresql-NN packages put the server programs; they are
// not on PATH there.
const debianBindirs = "/usr/lib/postgresql/*/bin"

// findBinaries looks for initdb, pg_ctl and postgres: in `pg_config --bindir`, else the
// newest /usr/lib/postgresql/*/bin, else on PATH.
func findBinaries(ctx context.Context) (pgBinaries, bool) {
	if pgConfig, err := exec.LookPath("pg_config"); err == nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		out, err := exec.CommandContext(ctx, pgConfig, "--bindir").Output()
		cancel()
		// On Debian pg_config comes with libpq-dev and names the bindir of the libpq
		// version, whose server package may not be installed: check, don't trust.
		if err == nil {
			if b, ok := binariesIn(strings.TrimSpace(string(out))); ok {
				return b, true
			}
		}
	}
	if dir, ok := newestBindir(debianBindirs); ok {
		b, _ := binariesIn(dir)
		return b, true
	}
	var b pgBinaries
	for _, p := range []struct {
		name string
		dst  *string
	}{{"initdb", &b.initdb}, {"pg_ctl", &b.pgCtl}, {"postgres", &b.postgres}} {
		path, err := exec.LookPath(p.name)
		if err != nil {
			return pgBinaries{}, false
		}
		*p.dst = path
	}
	return b, true
}

// binariesIn reports whether dir holds all the server programs.
func binariesIn(dir string) (pgBinaries, bool) {
	if dir == "" {
		return pgBinaries{}, false
	}
	b := pgBinaries{
		initdb:   filepath.Join(dir, "initdb"),
		pgCtl:    filepath.Join(dir, "pg_ctl"),
		postgres: filepath.Join(dir, "postgres"),
	}
	for _, p := range []string{b.initdb, b.pgCtl, b.postgres} {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return pgBinaries{}, false
		}
	}
	return b, true
}

// newestBindir returns the match of pattern (whose single * is a version such as "15" or
// "9.6") with the highest version that holds all the server programs.
func newestBindir(pattern string) (string, bool) {
	matches, _ := filepath.Glob(pattern)
	best, bestVersion := "", []int(nil)
	for _, m := range matches {
		if _, ok := binariesIn(m); !ok {
			continue
		}
		v, ok := parseVersion(filepath.Base(filepath.Dir(m)))
		if !ok {
			continue
		}
		if best == "" || compareVersions(v, bestVersion) > 0 {
			best, bestVersion = m, v
		}
	}
	return best, best != ""
}

func parseVersion(s string) ([]int, bool) {
	var v []int
	for part := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

func compareVersions(a, b []int) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// errNoBinaries tells the user what to do rather than what went wrong.
var errNoBinaries = errors.New("devenv: PostgreSQL server programs (initdb, pg_ctl, postgres) not found; " +
	"install them (Debian/Ubuntu: sudo apt-get install postgresql), or start a server on 127.0.0.1:5432, " +
	"or set DATABASE_URL")

// binaries finds the server programs, installing the postgresql package first when there
// are none and we are root: that is the CI/container case where nobody is there to ask.
func binaries(ctx context.Context, log *slog.Logger) (pgBinaries, error) {
	if b, ok := findBinaries(ctx); ok {
		return b, nil
	}
	if os.Geteuid() != 0 {
		return pgBinaries{}, errNoBinaries
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return pgBinaries{}, errNoBinaries
	}
	log.Info("postgres: no server programs found; installing the postgresql package with apt-get")
	if err := runLogged(ctx, log, "apt-get", "update"); err != nil {
		return pgBinaries{}, fmt.Errorf("devenv: apt-get update: %w", err)
	}
	if err := runLogged(ctx, log, "apt-get", "install", "-y", "postgresql"); err != nil {
		return pgBinaries{}, fmt.Errorf("devenv: apt-get install postgresql: %w", err)
	}
	if b, ok := findBinaries(ctx); ok {
		log.Info("postgres: installed", "initdb", b.initdb)
		return b, nil
	}
	return pgBinaries{}, errNoBinaries
}

// runLogged runs a long command as ourselves and streams its output to log line by line,
// so a minute of apt-get shows progress instead of silence.
func runLogged(ctx context.Context, log *slog.Logger, name string, args ...string) error {
	log.Info("running", "cmd", name+" "+strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	w := &lineLogger{log: log, cmd: name}
	cmd.Stdout, cmd.Stderr = w, w
	err := cmd.Run()
	w.flush()
	return err
}

// lineLogger is an io.Writer that logs each complete line.
type lineLogger struct {
	mu  sync.Mutex
	log *slog.Logger
	cmd string
	buf bytes.Buffer
}

var _ io.Writer = (*lineLogger)(nil)

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			// Incomplete line: keep it for the next write.
			l.buf.Reset()
			l.buf.WriteString(line)
			return len(p), nil
		}
		if s := strings.TrimRight(line, "\r\n"); s != "" {
			l.log.Info(l.cmd, "line", s)
		}
	}
}

func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := strings.TrimSpace(l.buf.String()); s != "" {
		l.log.Info(l.cmd, "line", s)
	}
	l.buf.Reset()
}
