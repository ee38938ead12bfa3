package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/config"
	"yaosu.dev/pkg/testkit"
)

// binDir holds the binaries builtBinaries builds; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// builtBinaries builds yaosu and yaosuctl once per test binary, as `make build` does.
var builtBinaries = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "yaosuctl-test-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	out, err := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "yaosu.dev/cmd/yaosu", "yaosu.dev/cmd/yaosuctl").CombinedOutput()
	if err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return dir, nil
})

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// devServer is a real `yaosu dev` started by a test: the same process `make run` starts,
// on its own database (migrated by yaosu dev itself), its own JetStream and data directory.
type devServer struct {
	bin       string // directory holding yaosu and yaosuctl
	addr      string
	dataDir   string
	configDir string // yaosuctl's, where dev records itself
	natsURL   string
	stderr    *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startYaosuDev builds the binaries (once) and starts `yaosu dev` with env on top of a
// clean configuration; it finds the address in the dev-server.json dev writes (which is
// also what `login --dev` reads) and stops the server when the test ends.
func startYaosuDev(t *testing.T, env map[string]string) *devServer {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs yaosu dev")
	}
	bin, err := builtBinaries()
	require.NoError(t, err)
	s := &devServer{bin: bin, dataDir: t.TempDir(), configDir: t.TempDir(), natsURL: testkit.StartNATS(t).URL(), stderr: &lockedBuffer{}}
	vars := map[string]string{}
	for _, v := range config.Vars {
		vars[v.Name] = "" // the developer's environment stays out
	}
	vars["DATABASE_URL"] = testkit.Database(t, testkit.Schemas{}) // empty: yaosu dev migrates it
	vars["NATS_URL"] = s.natsURL
	vars["YAOSU_DATA_DIR"] = s.dataDir
	vars["YAOSU_GRPC_ADDR"] = "127.0.0.1:0"
	vars["YAOSU_LOG_LEVEL"] = "warn"
	vars[envConfigDir] = s.configDir
	for k, v := range env {
		vars[k] = v
	}
	cmd := exec.Command(filepath.Join(bin, "yaosu"), "dev")
	cmd.Env = environ(vars)
	cmd.Stderr = s.stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case err := <-exited:
			require.NoError(t, err, "yaosu dev:\n%s", s.stderr.String())
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("yaosu dev did not stop within 30 s of SIGINT")
		}
	})
	record := filepath.Join(s.configDir, devServerFile)
	require.Eventually(t, func() bool {
		select {
		case err := <-exited:
			exited <- err
			require.FailNow(t, "yaosu dev stopped early", "%v\n%s", err, s.stderr.String())
		default:
		}
		raw, err := os.ReadFile(record)
		if err != nil {
			return false
		}
		var rec devServerRecord
		if json.Unmarshal(raw, &rec) != nil || rec.Addr == "" {
			return false
		}
		s.addr = rec.Addr
		return true
	}, time.Minute, 50*time.Millisecond, "yaosu dev did not record itself in %s:\n%s", record, s.stderr.String())
	return s
}

// environ is os.Environ with vars set (an empty value unsets the variable).
func environ(vars map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := vars[k]; !ok {
			out = append(out, kv)
		}
	}
	for k, v := range vars {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}
