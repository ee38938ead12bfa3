package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
)

// catalogCodes reads the registry's current code lists through `yaosuctl codes list`: list
// name → entries. Tests take codes from here rather than hard-coding them.
func catalogCodes(t *testing.T, must func(args ...string) string) map[string][]*catalogv1.Code {
	t.Helper()
	var resp struct {
		Version string `json:"version"`
		Lists   []struct {
			List  string `json:"list"`
			Codes []struct {
				Code    string `json:"code"`
				LabelZh string `json:"labelZh"`
			} `json:"codes"`
		} `json:"lists"`
	}
	require.NoError(t, json.Unmarshal([]byte(must("codes", "list", "-o", "json")), &resp))
	require.NotEmpty(t, resp.Version)
	out := map[string][]*catalogv1.Code{}
	for _, l := range resp.Lists {
		for _, c := range l.Codes {
			out[l.List] = append(out[l.List], &catalogv1.Code{Code: c.Code, LabelZh: c.LabelZh})
		}
	}
	for _, l := range []string{"category", "sector", "update_cycle", "storage_mode", "product_form", "sharing_method"} {
		require.NotEmpty(t, out[l], "code list %s", l)
	}
	return out
}

func jsonObject(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m), s)
	return m
}

// exitCode is the exit status of a failed yaosuctl run.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "want a non-zero exit, got %v", err)
	return exit.ExitCode()
}

// TestCatalogCLIWorkflow registers an asset through yaosuctl alone, the way the people
// involved would: a registrar creates a complete record and applies, a reviewer of the
// registry accepts and passes it, someone objects during publicity, the reviewer dismisses
// the objection, publicity ends, and the certificate verifies offline.
func TestCatalogCLIWorkflow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds yaosuctl")
	}
	// A publicity window of an hour on a clock the test moves: the walk-through objects
	// and reads the history during publicity however slow the machine, then ends it.
	clock := &testClock{}
	s := startStackWith(t, stackOptions{clock: clock, env: map[string]string{"YAOSU_CATALOG_PUBLICITY_DURATION": "1h"}})
	ctl, must := yaosuctl(t, s)
	dir := t.TempDir()
	registrar := []string{"login", "--dev", "--org", orgA, "--role", "registrar", "--subject", "li.wei"}
	reviewer := []string{"login", "--dev", "--org", orgB, "--role", "reviewer", "--subject", "wang.fang"}

	must(registrar...)
	codes := catalogCodes(t, must)

	// A complete record: part from a file, part from --set (labels and enum names).
	record := filepath.Join(dir, "record.json")
	require.NoError(t, os.WriteFile(record, []byte(`{
		"displayName": "企业登记信息",
		"summary": "本市市场主体的登记信息，按日更新",
		"kind": "ASSET_KIND_DATA_RESOURCE",
		"holderName": "某市市场监督管理局",
		"dataSource": "市场主体登记业务系统",
		"legalBasis": "《市场主体登记管理条例》",
		"evidence": [{"name": "登记承诺书.pdf", "sha256": "`+strings.Repeat("ab", 32)+`", "sizeBytes": "2048", "kind": "commitment_letter"}],
		"dataFormat": "数据库表",
		"storageLocation": "市政务云",
		"securityMeasures": "访问控制，传输加密，操作审计",
		"fields": [{"name": "统一社会信用代码", "type": "字符型", "description": "18 位"}],
		"contacts": [{"name": "李伟", "role": "数据管理员", "phone": "0591-88880000"}],
		"catalogue": {"classCategory": "基础信息资源", "classItem": "法人单位", "resourceCode": "101001/000001"}
	}`), 0o600))
	created := jsonObject(t, must("asset", "create", "--from-file", record,
		"--set", "category="+codes["category"][0].GetCode(), "--set", "sectors="+codes["sector"][0].GetCode(),
		"--set", "update_cycle="+codes["update_cycle"][0].GetCode(), "--set", "storage_mode="+codes["storage_mode"][0].GetCode(),
		"--set", "grade=一般数据", "--set", "sharing_attribute=CONDITIONAL", "--set", "sharing_conditions=仅限政务用途",
		"--set", "open_attribute=NOT_OPEN", "--set", "tags=企业,登记", "-o", "json"))
	name := created["name"].(string)
	require.Regexp(t, `^assets/[0-9a-f-]{36}$`, name)
	require.Equal(t, orgA, created["holderOrganisation"])
	require.Equal(t, "GRADE_GENERAL", created["grade"])
	require.Equal(t, "101001/000001", created["catalogue"].(map[string]any)["resourceCode"])

	// Update with the etag; a stale etag is refused.
	etag := created["etag"].(string)
	updated := jsonObject(t, must("asset", "update", name, "--set", "summary=本市市场主体的登记信息，按日更新，含历史变更",
		"--etag", etag, "--reason", "补充摘要", "-o", "json"))
	require.NotEqual(t, etag, updated["etag"])
	_, stderr, err := ctl("asset", "update", name, "--set", "summary=x", "--etag", etag)
	require.Error(t, err)
	require.Contains(t, stderr, "ABORTED")

	submitted := jsonObject(t, must("asset", "submit", strings.TrimPrefix(name, "assets/"), "-o", "json"))
	app := submitted["application"].(map[string]any)["name"].(string)
	require.Regexp(t, "^"+name+"/applications/[0-9a-f-]{36}$", app)
	require.Equal(t, "ASSET_STATE_SUBMITTED", submitted["asset"].(map[string]any)["state"])

	// The registrar cannot decide; the reviewer (another subject) accepts and passes.
	_, stderr, err = ctl("application", "accept", app)
	require.Error(t, err)
	require.Contains(t, stderr, "PERMISSION_DENIED")
	must(reviewer...)
	require.Contains(t, must("application", "list", "--state", "SUBMITTED"), app)
	require.Contains(t, must("application", "accept", app), "ACCEPTED")
	out := must("application", "review", name, "pass") // the asset's open application
	require.Contains(t, out, "IN_PUBLICITY")

	// Someone of another organisation objects during publicity; the reviewer dismisses it.
	must("login", "--dev", "--org", orgB, "--role", "registrar", "--subject", "zhao.lei")
	objection := jsonObject(t, must("application", "object", app, "--text", "该数据的持有权存在争议", "-o", "json"))
	objName := objection["name"].(string)
	require.Regexp(t, "^"+app+"/objections/[0-9a-f-]{36}$", objName)
	must(reviewer...)
	out = must("application", "get", app)
	require.Contains(t, out, objName)
	require.Contains(t, out, "RAISED")
	must("application", "resolve", objName, "dismiss", "--resolution", "争议不成立：权属证明齐全")
	out = must("application", "get", app, "-o", "json")
	require.Contains(t, out, "OBJECTION_STATE_DISMISSED")

	// The history so far: every step, newest first, with the changed fields.
	hist := strings.Split(strings.TrimSpace(must("asset", "history", name)), "\n")
	require.Regexp(t, `^REVISION +ACTION +ACTOR +TIME +REASON +CHANGED$`, hist[0])
	require.GreaterOrEqual(t, len(hist)-1, 5, "create, update, submit, accept, pass at least:\n%s", strings.Join(hist, "\n"))
	require.True(t, strings.HasPrefix(hist[len(hist)-1], "1 "), "oldest last:\n%s", strings.Join(hist, "\n"))
	joined := strings.Join(hist, "\n")
	require.Contains(t, joined, "补充摘要")
	require.Contains(t, joined, "summary")
	require.Contains(t, joined, "li.wei ("+orgA+")")
	require.Contains(t, joined, "wang.fang ("+orgB+")")
	var revs struct {
		Revisions []struct {
			Revision string `json:"revision"`
			Changes  []struct {
				Path     string `json:"path"`
				NewValue string `json:"newValue"`
			} `json:"changes"`
		} `json:"revisions"`
	}
	require.NoError(t, json.Unmarshal([]byte(must("asset", "history", name, "-o", "json")), &revs))
	require.Len(t, revs.Revisions, len(hist)-1)

	// No certificate before registration; the registry's key is there all along.
	key := strings.TrimSpace(must("cert", "key"))
	require.Regexp(t, `^[^+ ]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$`, key)
	_, stderr, err = ctl("cert", "get", name)
	require.Error(t, err)
	require.Contains(t, stderr, "ERROR_REASON_NO_CERTIFICATE")

	secondAsset(t, ctl, must, record, codes, registrar, reviewer)

	// The window ends; the scheduler (every 200 ms) registers the asset.
	clock.Advance(time.Hour + time.Minute)
	require.True(t, endPublicity(t, s, clock, app), "the scheduler did not end publicity")
	must(registrar...)
	asset := jsonObject(t, must("asset", "get", name, "-o", "json"))
	require.Equal(t, "ASSET_STATE_REGISTERED", asset["state"])
	regNumber := asset["registrationNumber"].(string)
	require.NotEmpty(t, regNumber)

	// The certificate, checked offline with the registry's key; a tampered copy fails.
	certFile := filepath.Join(dir, "证书.note")
	out = must("cert", "get", name, "-f", certFile)
	require.Contains(t, out, regNumber)
	require.Regexp(t, `REVOKED +no`, out)
	out = must("cert", "verify", certFile, "--key", key, "--addr", "127.0.0.1:1")
	require.True(t, strings.HasPrefix(out, "OK: certificate signed by "), out)
	require.Contains(t, out, regNumber)
	require.Contains(t, out, "企业登记信息")
	require.Contains(t, out, orgA)
	raw, err := os.ReadFile(certFile)
	require.NoError(t, err)
	tampered := filepath.Join(dir, "tampered.note")
	require.NoError(t, os.WriteFile(tampered, []byte(strings.Replace(string(raw), orgA, orgB, 1)), 0o600))
	_, stderr, err = ctl("cert", "verify", tampered, "--key", key)
	require.Equal(t, 1, exitCode(t, err))
	require.Contains(t, stderr, "SIGNATURE INVALID")

	// A correction of the registered record: reviewed, no publicity, takes effect on pass.
	must("asset", "correct", name, "--set", "holder_name=某市市场监督管理局（更正）", "--reason", "单位名称错字")
	must(reviewer...)
	must("application", "accept", name)
	must("application", "review", name, "pass")
	must(registrar...)
	require.Contains(t, must("asset", "get", name, "-o", "json"), "某市市场监督管理局（更正）")

	// Emergency freeze and back; then a disposal needs a second person.
	must(reviewer...)
	require.Contains(t, must("asset", "suspend", name, "--incident", "疑似数据泄露", "--reference", "INC-1"), "SUSPENDED")
	require.Contains(t, must("asset", "reinstate", name, "--resolution", "排查完毕"), "REGISTERED")
	must(registrar...)
	must("asset", "dispose", name, "--method", "覆写销毁", "--reason", "保存期满", "--evidence", "销毁记录.pdf:"+strings.Repeat("cd", 32)+":100")
	must(reviewer...)
	require.Contains(t, must("asset", "dispose-approve", name, "--note", "核对无误"), "DISPOSED")
	must(registrar...)
	out = must("cert", "get", name, "-f", certFile)
	require.Regexp(t, `REVOKED +yes`, out, "disposal revokes the certificate")
}

// secondAsset takes a second asset through withdrawal, return for correction, resubmission
// and refusal.
func secondAsset(t *testing.T, ctl func(args ...string) (string, string, error), must func(args ...string) string,
	record string, codes map[string][]*catalogv1.Code, registrar, reviewer []string) {
	t.Helper()
	must(registrar...)
	created := jsonObject(t, must("asset", "create", "--from-file", record, "--name", "企业年报信息",
		"--set", "catalogue.resource_code=101001/000002",
		"--set", "category="+codes["category"][0].GetCode(), "--set", "update_cycle="+codes["update_cycle"][0].GetLabelZh(),
		"--set", "grade=GENERAL", "--set", "sharing_attribute=UNCONDITIONAL", "--set", "open_attribute=有条件开放",
		"--set", "open_conditions=申请后开放", "-o", "json"))
	name := created["name"].(string)
	require.Equal(t, codes["update_cycle"][0].GetCode(), created["updateCycle"], "--set resolves a code's label")
	// Submitting an incomplete record names what is missing.
	must("asset", "update", name, "--set", "storage_location=", "--set", "security_measures=")
	_, stderr, err := ctl("asset", "submit", name)
	require.Error(t, err)
	require.Contains(t, stderr, "ERROR_REASON_INCOMPLETE_RECORD")
	require.Contains(t, stderr, "storage_location")
	must("asset", "update", name, "--set", "storage_location=市政务云", "--set", "security_measures=访问控制")
	must("asset", "submit", name)
	require.Contains(t, must("application", "withdraw", name, "--reason", "材料需重新准备"), "WITHDRAWN")
	must("asset", "submit", name)

	must(reviewer...)
	must("application", "accept", name)
	require.Contains(t, must("application", "review", name, "return", "--reason", "数据来源说明不充分"), "RETURNED")
	must(registrar...)
	must("asset", "update", name, "--set", "data_source=年报公示系统，企业自行填报", "--reason", "补充来源")
	require.Contains(t, must("application", "resubmit", name, "--reason", "已补充来源说明"), "SUBMITTED")
	must(reviewer...)
	must("application", "accept", name)
	if refusal := codes["refusal_reason"]; len(refusal) > 0 {
		require.Contains(t, must("application", "review", name, "refuse", "--code", refusal[0].GetCode(), "--reason", "不予登记"), "REFUSED")
	}
	out := must("application", "list", name)
	require.Equal(t, 2, strings.Count(out, name+"/applications/"), "the withdrawn one and the resubmitted one:\n%s", out)
	require.Contains(t, out, "WITHDRAWN")
}

// endPublicity waits for the registry's scheduler to end the publicity window of the
// asset's application, which registers it. It reports false, without waiting, when the
// window ends too far in the future for a test: the stack then runs with the production
// window (working days) and this test has no hook to shorten it.
func endPublicity(t *testing.T, s *stack, clock *testClock, app string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reg := s.as(t, ctx, orgA, auth.RoleRegistrar)
	got, err := s.catalog.GetApplication(reg, &catalogv1.GetApplicationRequest{Name: app})
	require.NoError(t, err)
	end := got.GetApplication().GetPublicityEnd().AsTime()
	if end.Sub(clock.Now()) > 30*time.Second {
		return false
	}
	asset := app[:strings.Index(app, "/applications/")]
	require.Eventually(t, func() bool {
		a, err := s.catalog.GetAsset(reg, &catalogv1.GetAssetRequest{Name: asset})
		require.NoError(t, err)
		return a.GetAsset().GetState() == catalogv1.AssetState_ASSET_STATE_REGISTERED
	}, max(end.Sub(clock.Now()), 0)+30*time.Second, 100*time.Millisecond, "publicity ended at %s; the scheduler did not register the asset", end)
	return true
}

// TestCatalogCLIImport imports a generated catalogue of 10 000 rows, 3% of them bad, through
// `yaosuctl asset import`: every bad row is reported with its row, column and reason, every
// good row is created, and importing the same file again creates nothing.
func TestCatalogCLIImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds yaosuctl")
	}
	s := startStack(t)
	ctl, must := yaosuctl(t, s)
	dir := t.TempDir()
	must("login", "--dev", "--org", orgA, "--role", "registrar", "--subject", "li.wei")
	codes := catalogCodes(t, must)

	const rows = 10_000
	file := filepath.Join(dir, "资产目录.csv")
	bad := map[int]string{} // spreadsheet row → the column that is wrong
	f, err := os.Create(file)
	require.NoError(t, err)
	_, err = f.WriteString("\ufeff") // as Excel saves "CSV UTF-8"
	require.NoError(t, err)
	w := csv.NewWriter(f)
	require.NoError(t, w.Write([]string{"资源名称", "资源摘要", "资产类型", "数据分级", "共享属性", "开放属性", "数据分类",
		"应用领域", "更新周期", "信息资源代码(catalogue.resource_code)", "发布日期", "信息项", "标签"}))
	category, sector, cycle := codes["category"][1], codes["sector"][0], codes["update_cycle"][0]
	for i := range rows {
		row := i + 2
		grade, sharing, open, date := "一般数据", "无条件共享", "无条件开放", "2024-03-01"
		switch i % 100 {
		case 7: // caught here: an unknown grade and an impossible date
			grade, date = "超级数据", "2024-02-30"
			bad[row] = "数据分级"
		case 37: // caught by the server: core data cannot be registered
			grade = "核心数据"
			bad[row] = "server"
		case 77: // caught by the server: not shared must not be open
			sharing = "不予共享"
			bad[row] = "server"
		}
		require.NoError(t, w.Write([]string{
			fmt.Sprintf("数据资源 %05d", i), "批量导入测试", "数据资源", grade, sharing, open,
			category.GetLabelZh(), sector.GetLabelZh() + "；" + sector.GetCode(), cycle.GetLabelZh(),
			fmt.Sprintf("201001/%06d", i), date, "编号:字符型:主键;名称:字符型:名称", "批量;导入",
		}))
	}
	w.Flush()
	require.NoError(t, w.Error())
	require.NoError(t, f.Close())
	require.Len(t, bad, rows*3/100)

	errorsFile := filepath.Join(dir, "errors.csv")
	start := time.Now()
	stdout, stderr, err := ctl("asset", "import", file, "--errors", errorsFile, "--timeout", "2m")
	require.Equal(t, 2, exitCode(t, err), "exit 2: some rows invalid, the others imported\n%s%s", stdout, stderr)
	t.Logf("imported %d rows in %s", rows, time.Since(start))
	require.Contains(t, stdout, fmt.Sprintf("created %d, updated 0, unchanged 0, invalid %d, skipped 0\n", rows-len(bad), len(bad)))
	require.Contains(t, stderr, fmt.Sprintf("processed %d/%d rows\n", rows, rows), "progress lines count every row of the file")

	// Every bad row, with row number, column and reason; no good row.
	raw, err := os.ReadFile(errorsFile)
	require.NoError(t, err)
	lines, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(raw), "\ufeff"))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"行号", "列", "原因"}, lines[0])
	reported := map[int][]string{}
	for _, l := range lines[1:] {
		row, err := strconv.Atoi(l[0])
		require.NoError(t, err)
		require.NotEmpty(t, l[1], "row %d has no column", row)
		require.NotEqual(t, "-", l[1], "row %d: the server named no field (%s)", row, l[2])
		require.NotEmpty(t, l[2], "row %d has no reason", row)
		reported[row] = append(reported[row], l[1])
	}
	require.Len(t, reported, len(bad))
	for row, col := range bad {
		require.Contains(t, reported, row)
		if col != "server" {
			require.ElementsMatch(t, []string{col, "发布日期"}, reported[row], "row %d: the columns as the file heads them", row)
		}
	}

	// The good rows are there: count them as the registrar sees them.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reg := s.as(t, ctx, orgA, auth.RoleRegistrar)
	count, token := 0, ""
	for {
		resp, err := s.catalog.ListAssets(reg, &catalogv1.ListAssetsRequest{PageSize: 500, PageToken: token,
			Categories: []string{category.GetCode()}, Sectors: []string{sector.GetCode()}})
		require.NoError(t, err)
		count += len(resp.GetAssets())
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	require.Equal(t, rows-len(bad), count)
	out := must("asset", "list", "--query", "数据资源 00012", "-o", "json")
	require.Contains(t, out, "201001/000012")
	require.Contains(t, out, cycle.GetCode(), "the label was imported as its code")

	// The same file again: nothing new.
	start = time.Now()
	stdout, _, err = ctl("asset", "import", file, "--errors", errorsFile, "--quiet", "--timeout", "2m")
	require.Equal(t, 2, exitCode(t, err))
	require.Contains(t, stdout, fmt.Sprintf("created 0, updated 0, unchanged %d, invalid %d, skipped 0\n", rows-len(bad), len(bad)))
	t.Logf("re-imported in %s", time.Since(start))
}
