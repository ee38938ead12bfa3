package server_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestYaosuctlAgainstRealServer drives the real yaosuctl binary against the real server, the
// way a registrar and an auditor would after `make run`.
func TestYaosuctlAgainstRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds yaosuctl")
	}
	s := startStack(t)
	ctl, must := yaosuctl(t, s)

	_, stderr, err := ctl("asset", "list")
	require.Error(t, err, "not logged in yet")
	require.NotEmpty(t, stderr)

	must("login", "--dev", "--org", orgA, "--role", "registrar", "--subject", "li.wei")
	created := map[string]any{}
	require.NoError(t, json.Unmarshal([]byte(must("asset", "create", "--name", "企业登记信息", "--summary", "市场主体", "-o", "json")), &created))
	name := created["name"].(string)
	require.Regexp(t, `^assets/`, name)
	require.Equal(t, orgA, created["holderOrganisation"], "the holder defaults to the caller's organisation")

	got := map[string]any{}
	require.NoError(t, json.Unmarshal([]byte(must("asset", "get", name, "-o", "json")), &got))
	require.Equal(t, created, got)

	table := must("asset", "list")
	require.Contains(t, table, name)
	require.Contains(t, table, "企业登记信息")

	// Bad input is reported with the field named.
	_, stderr, err = ctl("asset", "create", "--name", "x", "--holder", "91350100M000100Y44")
	require.Error(t, err)
	require.Contains(t, stderr, "INVALID_ARGUMENT")
	require.Contains(t, stderr, "asset.holder_organisation")
	// In Chinese and English, for the field (issue 13).
	require.Contains(t, stderr, "field asset.holder_organisation: 不是有效的统一社会信用代码（GB 32100 校验码不符） "+
		"(not a valid unified social credit code (GB 32100 check digit))")
	// A holder code of the wrong shape: what a good one looks like, never the regex.
	_, stderr, err = ctl("asset", "create", "--name", "x", "--holder", "9135O100M000100Y43")
	require.Error(t, err)
	require.Contains(t, stderr, "field asset.holder_organisation: 应为持有单位的18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z），"+
		"如 91350100M000100Y43 (must be the holder's 18-character unified social credit code")
	require.NotContains(t, stderr, "regex")
	require.NotContains(t, stderr, "[0-9")

	// The event, as JSON lines from the stream.
	lines := strings.Split(strings.TrimSpace(must("events", "tail")), "\n")
	require.Len(t, lines, 1)
	var line struct {
		StreamSeq int             `json:"stream_seq"`
		Subject   string          `json:"subject"`
		Event     json.RawMessage `json:"event"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &line))
	require.Equal(t, 1, line.StreamSeq)
	require.Equal(t, "yaosu.catalog.asset.created", line.Subject)
	require.Contains(t, string(line.Event), name)
	require.Contains(t, string(line.Event), "li.wei")

	// An auditor of another organisation reads it; it cannot write.
	must("login", "--dev", "--org", orgB, "--role", "auditor")
	require.Contains(t, must("asset", "list"), name)
	_, stderr, err = ctl("asset", "create", "--name", "x", "--holder", orgB)
	require.Error(t, err)
	require.Contains(t, stderr, "PERMISSION_DENIED")
}

// yaosuctl builds the real CLI and returns runners bound to stack s: ctl returns stdout,
// stderr and the error; must fails the test when the command fails.
func yaosuctl(t *testing.T, s *stack) (ctl func(args ...string) (string, string, error), must func(args ...string) string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "yaosuctl")
	out, err := exec.Command("go", "build", "-o", bin, "yaosu.dev/cmd/yaosuctl").CombinedOutput()
	require.NoError(t, err, string(out))
	configDir := t.TempDir()
	ctl = func(args ...string) (string, string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "YAOSU_ADDR="+s.addr, "YAOSU_CONFIG_DIR="+configDir,
			"YAOSU_DATA_DIR="+s.dataDir, "NATS_URL="+s.natsURL, "YAOSU_TOKEN=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	must = func(args ...string) string {
		t.Helper()
		stdout, stderr, err := ctl(args...)
		require.NoError(t, err, "yaosuctl %s:\n%s%s", strings.Join(args, " "), stdout, stderr)
		return stdout
	}
	return ctl, must
}
