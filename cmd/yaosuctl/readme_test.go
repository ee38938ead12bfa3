package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

// Regression (issue 13): the README's create → update → submit path failed with 13 missing
// fields, its report example returned nothing, and nothing noticed. This test runs the
// README's command block as written, line by line through bash, with the built yaosuctl
// against a real `yaosu dev` (a short publicity window via the environment), so that the
// README cannot drift from the program again. It substitutes <id>, <scenario> and <grant>
// from the output of the commands that print them, and makes the files the README says
// are yours (catalogue.xlsx from the template, the PDFs, usage.csv).
func TestReadmeWalkthrough(t *testing.T) {
	lines := readmeCommands(t)
	s := startYaosuDev(t, map[string]string{
		"YAOSU_CATALOG_PUBLICITY_DURATION": "2s",
		"YAOSU_CATALOG_SCHEDULER_INTERVAL": "200ms",
	})
	w := newReadmeWalk(t, s)
	for _, line := range lines {
		w.run(line)
	}

	// What the walk-through promises, beyond every line succeeding.
	require.Contains(t, w.outputs["asset check"], "evidence", "check lists the missing evidence")
	require.Contains(t, w.outputs["asset check"], "证明材料(evidence)", "with the template's column")
	require.Contains(t, w.outputs["asset list"], "公交线路客流数据", "the imported row is found by keyword")
	require.True(t, strings.HasPrefix(w.outputs["cert verify"], "OK: certificate signed by "), w.outputs["cert verify"])
	require.Contains(t, w.outputs["rights check"], "ALLOWED")
	require.NotEmpty(t, w.outputs["audit verify"])
	require.NotContains(t, w.outputs["audit verify"], "not pinned", "audit key --pin pinned the verifier key")
	report, err := readSheet(filepath.Join(w.dir, "usage.xlsx"), nil, defaultSheetLimits)
	require.NoError(t, err)
	require.Greater(t, reportCalls(t, report), int64(0), "the report's period holds the usage just reported:\n%v", report)
}

// readmeCommands returns the README's yaosuctl walk-through: the sh block that starts with
// login --dev, one entry per command (continuation lines joined).
func readmeCommands(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(raw), -1)
	for _, b := range blocks {
		if !strings.HasPrefix(b[1], ".bin/yaosuctl login --dev") {
			continue
		}
		var out []string
		var cur strings.Builder
		for _, l := range strings.Split(strings.TrimRight(b[1], "\n"), "\n") {
			cur.WriteString(l)
			if strings.HasSuffix(l, "\\") {
				cur.WriteString("\n")
				continue
			}
			out = append(out, cur.String())
			cur.Reset()
		}
		require.Greater(t, len(out), 20)
		return out
	}
	t.Fatal("README.md has no sh block starting with .bin/yaosuctl login --dev")
	return nil
}

// readmeWalk runs README lines the way a newcomer does after `make run`: in a directory
// with .bin/yaosuctl and ./var (the server's data directory), one bash per line.
type readmeWalk struct {
	t       *testing.T
	s       *devServer
	dir     string
	ids     map[string]string // placeholder → value: <id>, <scenario>, <grant>, <link>
	outputs map[string]string // "noun verb" → the last such command's stdout and stderr
	granted time.Time         // when rights grant returned: usage starts after it
}

func newReadmeWalk(t *testing.T, s *devServer) *readmeWalk {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, ".bin"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(s.bin, "yaosuctl"), filepath.Join(dir, ".bin", "yaosuctl")))
	require.NoError(t, os.Symlink(s.dataDir, filepath.Join(dir, "var")))
	return &readmeWalk{t: t, s: s, dir: dir, ids: map[string]string{}, outputs: map[string]string{}}
}

var (
	placeholder  = regexp.MustCompile(`<(id|scenario|grant)>`)
	expectedExit = regexp.MustCompile(`#\s*exit (\d)\b`)
	commandWords = regexp.MustCompile(`^\.bin/yaosuctl ([a-z-]+)(?: ([a-z-]+))?`)
	uuidOf       = func(prefix string) *regexp.Regexp {
		return regexp.MustCompile(prefix + `([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})`)
	}
)

func (w *readmeWalk) run(line string) {
	t := w.t
	t.Helper()
	// Placeholders in the comment (after " # ") are words for the reader, not arguments.
	code, comment := line, ""
	if i := strings.Index(line, " # "); i >= 0 {
		code, comment = line[:i], line[i:]
	}
	cmdLine := placeholder.ReplaceAllStringFunc(code, func(p string) string {
		v, ok := w.ids[p]
		require.True(t, ok, "README line uses %s before any command printed it:\n%s", p, line)
		return v
	}) + comment
	m := commandWords.FindStringSubmatch(line)
	require.NotNil(t, m, "README line is not a yaosuctl command:\n%s", line)
	verb := strings.TrimSpace(m[1] + " " + m[2])
	w.prepare(verb)

	want := 0
	if e := expectedExit.FindStringSubmatch(line); e != nil {
		want, _ = strconv.Atoi(e[1])
	}
	cmd := exec.Command("bash", "-c", cmdLine)
	cmd.Dir = w.dir
	cmd.Env = environ(map[string]string{
		envAddr: w.s.addr, envConfigDir: w.s.configDir, envNATSURL: w.s.natsURL,
		envToken: "", envDataDir: "", envCAFile: "", envTLS: "",
	})
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	got := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		got = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	require.Equal(t, want, got, "README line exited %d, want %d:\n%s\nstdout:\n%s\nstderr:\n%s", got, want, cmdLine, stdout.String(), stderr.String())
	out := stdout.String() + stderr.String()
	w.outputs[verb] = out
	w.capture(verb, out)
}

// capture remembers the ids the README's later lines name.
func (w *readmeWalk) capture(verb, out string) {
	for v, p := range map[string]struct{ name, prefix string }{
		"asset create":     {"<id>", "assets/"},
		"scenario propose": {"<scenario>", "scenarios/"},
		"rights grant":     {"<grant>", "grants/"},
	} {
		if verb == v {
			m := uuidOf(p.prefix).FindStringSubmatch(out)
			require.NotNil(w.t, m, "%s printed no %s name:\n%s", verb, p.prefix, out)
			w.ids[p.name] = m[1]
		}
	}
	switch verb {
	case "scenario link":
		m := regexp.MustCompile(`scenarios/[0-9a-f-]{36}/links/[0-9a-f-]{36}`).FindString(out)
		require.NotEmpty(w.t, m, "scenario link printed no link name:\n%s", out)
		w.ids["<link>"] = m
	case "rights grant":
		w.granted = time.Now()
	}
}

// prepare does what the README leaves to the reader before a line: the files that are
// yours, and the end of the publicity window before the certificate.
func (w *readmeWalk) prepare(verb string) {
	t := w.t
	switch verb {
	case "asset import":
		fillTemplate(t, filepath.Join(w.dir, "catalogue.xlsx"))
	case "asset attach":
		require.NoError(t, os.WriteFile(filepath.Join(w.dir, "登记承诺书.pdf"), []byte("%PDF-1.4 登记承诺书（测试）"), 0o600))
	case "rights grant":
		require.NoError(t, os.WriteFile(filepath.Join(w.dir, "contract.pdf"), []byte("%PDF-1.4 授权运营合同（测试）"), 0o600))
	case "scenario usage":
		w.writeUsage()
	case "cert get":
		w.awaitRegistration()
	}
}

// fillTemplate replaces the template's example row with one row of the office's own, as the
// template says to.
func fillTemplate(t *testing.T, path string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	require.NoError(t, err)
	defer f.Close()
	sheet := f.GetSheetList()[0]
	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(rows), 2, "the template has a header and an example row")
	cols, err := mapHeader(rows[0])
	require.NoError(t, err)
	a := &catalogv1.Asset{
		DisplayName: "公交线路客流数据", Summary: "全市公交线路按日客流，按线路和站点汇总",
		Kind: catalogv1.AssetKind_ASSET_KIND_DATA_RESOURCE, HolderOrganisation: "91350100M000100Y43",
		DataSource: "公交刷卡和扫码乘车记录", LegalBasis: "《城市公共交通条例》", Category: "G",
		Grade: catalogv1.Grade_GRADE_GENERAL, SharingAttribute: catalogv1.SharingAttribute_SHARING_ATTRIBUTE_UNCONDITIONAL,
		OpenAttribute: catalogv1.OpenAttribute_OPEN_ATTRIBUTE_NOT_OPEN, DataFormat: "CSV", UpdateCycle: "DAILY",
		StorageLocation: "市政务云", SecurityMeasures: "访问控制，操作审计", Tags: []string{"交通", "公交"},
	}
	for i, c := range cols {
		cell, err := excelize.CoordinatesToCellName(i+1, 2)
		require.NoError(t, err)
		value := ""
		if c != nil {
			value = c.formatCell(a)
		}
		require.NoError(t, f.SetCellValue(sheet, cell, value))
	}
	require.NoError(t, f.Save())
}

// writeUsage writes usage.csv: what the bus platform recorded of the link, inside the
// grant's term (which started when rights grant ran).
func (w *readmeWalk) writeUsage() {
	t := w.t
	link, ok := w.ids["<link>"]
	require.True(t, ok, "usage before scenario link")
	require.False(t, w.granted.IsZero(), "usage before rights grant")
	start, end := w.granted, time.Now()
	csv := "record_id,link,delivery_form,calls,window_start,window_end\n" // the columns the README names
	for i := range 3 {
		csv += fmt.Sprintf("bus-%d,%s,api,%d,%s,%s\n", i, link, 100+i, start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano))
	}
	require.NoError(t, os.WriteFile(filepath.Join(w.dir, "usage.csv"), []byte(csv), 0o600))
}

// awaitRegistration waits until publicity has ended and the asset is registered.
func (w *readmeWalk) awaitRegistration() {
	t := w.t
	id := w.ids["<id>"]
	require.Eventually(t, func() bool {
		cmd := exec.Command(filepath.Join(w.s.bin, "yaosuctl"), "asset", "get", id, "-o", "json")
		cmd.Env = environ(map[string]string{envAddr: w.s.addr, envConfigDir: w.s.configDir, envToken: ""})
		out, err := cmd.Output()
		if err != nil {
			return false
		}
		var a struct {
			State string `json:"state"`
		}
		return json.Unmarshal(out, &a) == nil && a.State == "ASSET_STATE_REGISTERED"
	}, 30*time.Second, 200*time.Millisecond, "publicity did not end")
}

// reportCalls sums the calls column of a usage report file.
func reportCalls(t *testing.T, rows [][]string) int64 {
	t.Helper()
	require.NotEmpty(t, rows)
	col := -1
	for i, h := range rows[0] {
		if strings.Contains(strings.ToLower(h), "calls") || strings.Contains(h, "调用") {
			col = i
			break
		}
	}
	require.GreaterOrEqual(t, col, 0, "no calls column in %v", rows[0])
	var sum int64
	for _, r := range rows[1:] {
		if col < len(r) {
			n, _ := strconv.ParseInt(strings.ReplaceAll(r[col], ",", ""), 10, 64)
			sum += n
		}
	}
	return sum
}
