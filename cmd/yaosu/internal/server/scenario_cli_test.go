package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// usageRow is one row of a usage file as the test writes it.
type usageRow struct {
	id, link, form         string
	calls, records, bytes  int64
	windowStart, windowEnd time.Time
	// denied is what the server should do with it; deniedWithLink, denied through a link
	// that exists (counted as denied in the report).
	denied, deniedWithLink bool
}

// TestScenarioCLI drives `yaosuctl scenario` against the real server the way the people
// involved would, once the catalog has registered an asset of A: A's rights admin grants
// processing-use to B; B's scenario operator proposes and activates a scenario and links
// the asset under the grant; B's bus platform reports usage files (a file repeating a
// record id is refused before anything is sent; an interrupted report is sent again whole,
// and once more, counting nothing twice); the operator handles the denied_usage alert,
// records an outcome and exports the usage report, whose totals are exactly the allowed
// records. A revokes the grant: the link is blocked through the stream, without a
// restart, and usage through it is denied. The operator suspends and closes the scenario.
func TestScenarioCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds yaosuctl")
	}
	s := startStack(t)
	ctl, must := yaosuctl(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	asset := registeredAsset(t, s, ctx, orgA)
	assetID := strings.TrimPrefix(asset, "assets/")
	dir := t.TempDir()
	login := func(org, role, subject string) {
		t.Helper()
		must("login", "--dev", "--org", org, "--role", role, "--subject", subject)
	}
	// fails runs a command that must fail with exit status code.
	fails := func(code int, args ...string) (string, string) {
		t.Helper()
		stdout, stderr, err := ctl(args...)
		require.Equal(t, code, exitCode(t, err), "yaosuctl %s:\n%s%s", strings.Join(args, " "), stdout, stderr)
		return stdout, stderr
	}
	cst := time.FixedZone("UTC+8", 8*3600) // usage days are counted in China Standard Time
	now := time.Now()

	// A's rights admin grants processing-use to B for transport, by API or model, in
	// Fujian; retried until the rights service has learnt of the registration.
	login(orgA, "rights_admin", "chen.jing")
	grantArgs := []string{"rights", "grant", assetID, "--to", orgB, "--purpose", "交通运输", "--form", "api,model",
		"--region", "350000", "--from", now.Add(-time.Hour).Format(time.RFC3339), "--until", now.AddDate(1, 0, 0).Format(time.DateOnly),
		"--basis-kind", "contract", "--basis-number", "HT-2026-041", "--basis-sha256", strings.Repeat("cd", 32),
		"--request-id", uuid.NewString(), "-o", "json"}
	var grant map[string]any
	for deadline := time.Now().Add(10 * time.Second); ; {
		out, stderr, err := ctl(grantArgs...)
		if err == nil {
			grant = jsonObject(t, out)
			break
		}
		require.Contains(t, stderr, "ASSET_NOT_REGISTERED", "only the projection may lag")
		require.True(t, time.Now().Before(deadline), "the rights service did not learn of the registration: %s", stderr)
		time.Sleep(100 * time.Millisecond)
	}
	grantName := grant["name"].(string)
	require.Regexp(t, `^grants/[0-9a-f-]{36}$`, grantName)
	require.Equal(t, "GRANT_STATE_ACTIVE", grant["state"])
	require.Equal(t, orgB, grant["granteeOrganisation"])

	// B's scenario operator proposes a scenario in Fuzhou and activates it.
	login(orgB, "scenario_operator", "zhou.min")
	sc := jsonObject(t, must("scenario", "propose", "--name", "公交准点率提升", "--sector", "交通运输", "--region", "350100",
		"--objective", "准点率提高 5%", "--kpi", "准点率=95[%]", "--kpi", "平均候车时间=8分钟", "-o", "json"))
	scName := sc["name"].(string)
	require.Regexp(t, `^scenarios/[0-9a-f-]{36}$`, scName)
	scID := strings.TrimPrefix(scName, "scenarios/")
	require.Equal(t, "SCENARIO_STATE_PROPOSED", sc["state"])
	require.Equal(t, "TRANSPORT", sc["sector"], "the label is sent as its code")
	require.Equal(t, orgB, sc["operatorOrganisation"], "the operator is the caller's organisation")
	require.Equal(t, []any{
		map[string]any{"name": "准点率", "target": 95.0, "unit": "%"},
		map[string]any{"name": "平均候车时间", "target": 8.0, "unit": "分钟"},
	}, sc["kpis"])
	out := must("scenario", "activate", scID, "--reason", "试点启动")
	require.Regexp(t, `(?m)^NAME +`+scName+`$`, out)
	require.Regexp(t, `(?m)^SECTOR +TRANSPORT \(交通运输\)$`, out)
	require.Regexp(t, `(?m)^STATE +ACTIVE$`, out)
	require.Regexp(t, `(?m)^KPI +准点率 = 95 %$`, out)
	require.Regexp(t, `(?m)^`+scName+` +公交准点率提升 +TRANSPORT \(交通运输\) +350100 +ACTIVE +`+orgB+` `,
		must("scenario", "list", "--state", "active"))
	require.NotContains(t, must("scenario", "list", "--state", "proposed"), scName)

	// It links the asset for API delivery; the rights service finds A's grant.
	linked := jsonObject(t, must("scenario", "link", scID, assetID, "--form", "接口", "--reason", "到站预测",
		"--baseline", "100000", "-o", "json"))
	link := linked["link"].(map[string]any)
	linkName := link["name"].(string)
	require.Regexp(t, `^`+scName+`/links/[0-9a-f-]{36}$`, linkName)
	linkID := strings.TrimPrefix(linkName, scName+"/links/")
	require.Equal(t, asset, link["asset"])
	require.Equal(t, grantName, link["grant"], "the grant is found when --grant is not given")
	require.Equal(t, "RIGHT_PROCESSING_USE", link["right"])
	require.Equal(t, "DELIVERY_FORM_API", link["deliveryForm"])
	require.Equal(t, "LINK_STATE_ACTIVE", link["state"])
	require.Equal(t, "100000", link["dailyBaselineRecords"])
	require.Equal(t, []any{grantName}, linked["chain"])
	linkTime, err := time.Parse(time.RFC3339Nano, link["createTime"].(string))
	require.NoError(t, err)
	linkRow := regexp.QuoteMeta(linkName) + ` +` + asset + ` +` + grantName + ` +PROCESSING_USE +API +100000 +`
	links := must("scenario", "links", scID)
	require.Regexp(t, `^NAME +ASSET +GRANT +RIGHT +FORM +BASELINE +STATE\n`+linkRow+`ACTIVE\n$`, links)

	// A usage file of 200 records as B's bus platform exports it, columns in its own order.
	// Five are denied: two for windows ending in the future (the platform's clock), two
	// delivered as a model through an API link, one through a link that does not exist.
	// Every window ends after the link was made (on the server's clock, which is ours: the
	// wait is normally none).
	time.Sleep(time.Until(linkTime.Add(10 * time.Millisecond)))
	end := time.Now()
	var rows []usageRow
	for i := 1; i <= 200; i++ {
		r := usageRow{id: fmt.Sprintf("bus-%04d", i), link: linkName, form: "api",
			calls: int64(1 + i%3), records: int64(10 * i), bytes: int64(1024 * i),
			windowStart: end.Add(-time.Duration(i%60) * time.Second), windowEnd: end}
		switch {
		case i%2 == 0:
			r.link = scID + "/" + linkID // the short form
		case i%7 == 0:
			r.form = "接口" // the label
		}
		switch i {
		case 20, 120:
			r.windowStart, r.windowEnd = end.Add(50*time.Minute), end.Add(time.Hour)
			r.denied, r.deniedWithLink = true, true
		case 88, 150:
			r.form = "model"
			r.denied, r.deniedWithLink = true, true
		case 199:
			r.link = scName + "/links/" + uuid.NewString()
			r.denied = true
		}
		rows = append(rows, r)
	}
	writeUsage := func(name string, rows []usageRow) string {
		t.Helper()
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		require.NoError(t, w.Write([]string{"window_start", "window_end", "Record_ID", "link", "delivery_form", "records", "calls", "bytes"}))
		for _, r := range rows {
			require.NoError(t, w.Write([]string{r.windowStart.In(cst).Format(time.RFC3339Nano), r.windowEnd.In(cst).Format(time.RFC3339Nano),
				r.id, r.link, r.form, strconv.FormatInt(r.records, 10), strconv.FormatInt(r.calls, 10), strconv.FormatInt(r.bytes, 10)}))
		}
		w.Flush()
		require.NoError(t, w.Error())
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
		return path
	}

	// Usage is reported by the bus platform, an internal system.
	login(orgB, "service", "bus-platform")
	report := func(path string, args ...string) (string, string, error) {
		return ctl(append([]string{"scenario", "usage", path, "--system", "bus-platform"}, args...)...)
	}

	// A file naming a record twice is refused, with its row, before anything is sent.
	bad := writeUsage("repeat.csv", append(rows[:10:10], rows[4]))
	stdout, stderr, err := report(bad)
	require.Equal(t, 1, exitCode(t, err), "%s%s", stdout, stderr)
	require.Empty(t, stdout)
	require.Contains(t, stderr, `row 12: record_id "bus-0005" repeats row 6`)

	// The first 50 records: one is denied (exit status 2); progress goes to stderr.
	first := writeUsage("usage-part.csv", rows[:50])
	stdout, stderr, err = report(first, "--batch", "20")
	require.Equal(t, 2, exitCode(t, err), "some denied: exit status 2\n%s%s", stdout, stderr)
	require.Regexp(t, `^allowed 49, denied 1, duplicates 0\n\nRECORD +REASON\nbus-0020 +WINDOW_IN_FUTURE\n$`, stdout)
	require.Equal(t, "reported 20/50 records\nreported 40/50 records\nreported 50/50 records\n"+
		"yaosuctl: 1 of 50 records were denied\n", stderr)

	// The whole file: the 50 already reported are duplicates, whatever became of them.
	full := writeUsage("usage.csv", rows)
	stdout, stderr, err = report(full, "--batch", "64")
	require.Equal(t, 2, exitCode(t, err), "%s%s", stdout, stderr)
	require.Regexp(t, `^allowed 146, denied 4, duplicates 50\n\nRECORD +REASON\n`+
		`bus-0088 +DELIVERY_FORM_NOT_LINKED\nbus-0120 +WINDOW_IN_FUTURE\nbus-0150 +DELIVERY_FORM_NOT_LINKED\nbus-0199 +LINK_NOT_FOUND\n$`, stdout)
	require.Equal(t, "reported 64/200 records\nreported 128/200 records\nreported 192/200 records\nreported 200/200 records\n"+
		"yaosuctl: 4 of 200 records were denied\n", stderr)

	// Once more: nothing is counted twice, nothing denied again, so exit status 0.
	stdout, stderr, err = report(full, "-o", "json", "--quiet")
	require.NoError(t, err, "%s%s", stdout, stderr)
	require.Equal(t, map[string]any{"duplicates": "200"}, jsonObject(t, stdout))
	require.Empty(t, stderr, "--quiet")

	// The operator sees one denied_usage alert on the link (other rules may raise their
	// own alerts for the same records; they are not this test's business).
	login(orgB, "scenario_operator", "zhou.min")
	deniedUsage := func(args ...string) []map[string]any {
		t.Helper()
		var resp struct {
			Alerts []map[string]any `json:"alerts"`
		}
		out := must(append([]string{"scenario", "alerts", "--scenario", scID, "--all", "-o", "json"}, args...)...)
		require.NoError(t, json.Unmarshal([]byte(out), &resp), out)
		var got []map[string]any
		for _, a := range resp.Alerts {
			require.Equal(t, scName, a["scenario"])
			if a["rule"] == "denied_usage" {
				got = append(got, a)
			}
		}
		return got
	}
	alerts := deniedUsage()
	require.Len(t, alerts, 1, "%v", alerts)
	alert := alerts[0]
	alertName := alert["name"].(string)
	require.Regexp(t, `^alerts/[0-9a-f-]{36}$`, alertName)
	require.Equal(t, linkName, alert["link"])
	require.Equal(t, "ALERT_STATE_OPEN", alert["state"])
	require.Contains(t, alert["detail"], "bus-platform")
	require.Contains(t, alert["detail"], "WINDOW_IN_FUTURE")
	require.Len(t, deniedUsage("--state", "open"), 1)
	require.Empty(t, deniedUsage("--state", "resolved"))
	table := must("scenario", "alerts", "--state", "open")
	require.Regexp(t, `(?m)^`+alertName+` +\S+ +OPEN +denied_usage +`+scName+` +`+regexp.QuoteMeta(linkName)+` +- +\S+ +\d+ usage record`, table)

	// It acknowledges the alert to itself, then resolves it; a resolved alert is final.
	alertID := strings.TrimPrefix(alertName, "alerts/")
	out = must("scenario", "alert", "ack", alertID, "--assignee", "zhou.min", "--note", "正在核查上报系统时钟")
	require.Regexp(t, `^NAME +SEVERITY +STATE +RULE +SCENARIO +LINK +ASSIGNEE +RAISED +DETAIL\n`+
		alertName+` +\S+ +ACKNOWLEDGED +denied_usage +`+scName+` +`+regexp.QuoteMeta(linkName)+` +zhou\.min `, out)
	require.Empty(t, deniedUsage("--state", "open"))
	out = must("scenario", "alert", "resolve", alertName, "--note", "时钟已校准")
	require.Regexp(t, `\n`+alertName+` +\S+ +RESOLVED +denied_usage `, out)
	_, stderr = fails(1, "scenario", "alert", "ack", alertID)
	require.Contains(t, stderr, "FAILED_PRECONDITION")
	alerts = deniedUsage("--state", "resolved")
	require.Len(t, alerts, 1)
	require.Equal(t, alertName, alerts[0]["name"])
	require.Equal(t, "zhou.min", alerts[0]["assignee"])

	// What the usage was: the allowed records, and the denied ones through the link.
	var calls, records, nbytes, denied int64
	for _, r := range rows {
		switch {
		case !r.denied:
			calls, records, nbytes = calls+r.calls, records+r.records, nbytes+r.bytes
		case r.deniedWithLink:
			denied++
		}
	}
	require.EqualValues(t, 4, denied)
	from, to := now.In(cst).AddDate(0, 0, -1).Format(time.DateOnly), now.In(cst).AddDate(0, 0, 1).Format(time.DateOnly)

	// The operator records the period's outcome.
	out = must("scenario", "outcome", scID, "--from", from, "--to", to, "--revenue", "1200000", "--cost-saved", "350000.5",
		"--beneficiaries", "48000", "--services", "1200", "--note", "试点首周")
	require.Regexp(t, `^SCENARIO +FROM +TO +REVENUE +COST SAVED +BENEFICIARIES +SERVICES +NOTE\n`+
		scName+` +`+from+` +`+to+` +1200000 +350000\.5 +48000 +1200 +试点首周\n$`, out)

	// The usage report, as tables, as CSV and as XLSX: the totals are the allowed records.
	totals := fmt.Sprintf(` +%d +%d +%d +%d\n`, calls, records, nbytes, denied)
	// Chinese headers; names beside ids (the asset's when B may read it, else its id alone).
	out = must("scenario", "report", "--scenario", scID, "--from", from, "--to", to)
	assetName := regexp.MustCompile(`(?m)^` + asset + ` +(\S+) `).FindStringSubmatch(out)
	require.NotNil(t, assetName, out)
	require.Contains(t, []string{"公交到站预测数据", "-"}, assetName[1])
	require.Regexp(t, `^登记对象 +名称 +调用次数 +记录数 +字节数 +拒绝记录数\n`+asset+` +\S+`+totals+
		`\n应用场景 +名称 +调用次数 +记录数 +字节数 +拒绝记录数\n`+scName+` +公交准点率提升`+totals+
		`\n成效\n应用场景 .*\n`+scName+` +公交准点率提升 +`+from+` +`+to+` +1200000 +350000\.5 +48000 +1200 +试点首周\n$`, out)
	shownAsset := assetName[1]
	if shownAsset == "-" {
		shownAsset = ""
	}
	want := [][]string{
		{"类别", "标识", "名称", "调用次数", "记录数", "字节数", "拒绝记录数"},
		{"登记对象", asset, shownAsset, fmt.Sprint(calls), fmt.Sprint(records), fmt.Sprint(nbytes), fmt.Sprint(denied)},
		{"应用场景", scName, "公交准点率提升", fmt.Sprint(calls), fmt.Sprint(records), fmt.Sprint(nbytes), fmt.Sprint(denied)},
	}
	csvPath := filepath.Join(dir, "使用统计.csv")
	stdout, stderr, err = ctl("scenario", "report", "--scenario", scName, "--from", from, "--to", to, "-f", csvPath)
	require.NoError(t, err, stderr)
	require.Empty(t, stdout)
	require.Equal(t, "wrote 1 asset and 1 scenario totals to "+csvPath+"\n", stderr)
	raw, err := os.ReadFile(csvPath)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(raw, []byte("\ufeff")), "a BOM for Excel")
	got, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, want, got)
	xlsxPath := filepath.Join(dir, "使用统计.xlsx")
	must("scenario", "report", "--from", from, "--to", to, "-f", xlsxPath) // every scenario B runs: this one
	sheet, cells := xlsxFirstSheet(t, xlsxPath)
	require.Equal(t, "使用统计", sheet)
	require.Equal(t, want, cells)

	// A revokes the grant. The scenario service learns it from the stream and blocks the
	// link, with no restart.
	login(orgA, "rights_admin", "chen.jing")
	require.Regexp(t, `STATE +REVOKED \(合同终止\)\n`, must("rights", "revoke", grantName, "--reason", "合同终止"))
	login(orgB, "scenario_operator", "zhou.min")
	for deadline := time.Now().Add(10 * time.Second); ; {
		if links = must("scenario", "links", scID); !regexp.MustCompile(`\n` + linkRow + `ACTIVE\n$`).MatchString(links) {
			break
		}
		require.True(t, time.Now().Before(deadline), "the revocation did not block the link:\n%s", links)
		time.Sleep(50 * time.Millisecond)
	}
	require.Regexp(t, `\n`+linkRow+`BLOCKED \(grant\.revoked \(`+grantName+`\)\)\n$`, links)

	// Usage through the blocked link is denied, record by record.
	login(orgB, "service", "bus-platform")
	end = time.Now()
	var after []usageRow
	for i := 201; i <= 220; i++ {
		after = append(after, usageRow{id: fmt.Sprintf("bus-%04d", i), link: linkName, form: "api", calls: 1, records: 10,
			bytes: 1024, windowStart: end.Add(-time.Minute), windowEnd: end})
	}
	stdout, stderr, err = report(writeUsage("usage-after.csv", after))
	require.Equal(t, 2, exitCode(t, err), "%s%s", stdout, stderr)
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	require.Len(t, lines, 23, stdout)
	require.Equal(t, "allowed 0, denied 20, duplicates 0", lines[0])
	require.Regexp(t, `^RECORD +REASON$`, lines[2])
	for i, l := range lines[3:] {
		// LINK_BLOCKED, or the more precise GRANT_REVOKED.
		require.Regexp(t, fmt.Sprintf(`^bus-%04d +(LINK_BLOCKED|GRANT_REVOKED)$`, 201+i), l)
	}
	require.Contains(t, stderr, "yaosuctl: 20 of 20 records were denied")

	// A new denied_usage alert is raised: the first one was resolved.
	login(orgB, "scenario_operator", "zhou.min")
	alerts = deniedUsage("--state", "open")
	require.Len(t, alerts, 1)
	require.NotEqual(t, alertName, alerts[0]["name"])
	require.Equal(t, linkName, alerts[0]["link"])
	require.Contains(t, alerts[0]["detail"], "20 usage record(s)")
	require.Contains(t, alerts[0]["detail"], grantName)
	// The report counts them as denied; the allowed totals stay.
	rep := jsonObject(t, must("scenario", "report", "--scenario", scID, "--from", from, "--to", to, "-o", "json"))
	require.Equal(t, []any{map[string]any{"key": asset, "calls": fmt.Sprint(calls), "records": fmt.Sprint(records),
		"bytes": fmt.Sprint(nbytes), "denied": fmt.Sprint(denied + 20)}}, rep["perAsset"])

	// The operator suspends the scenario, then closes it for good; a close based on what
	// it looked like before the suspension is refused.
	seen := jsonObject(t, must("scenario", "get", scName, "-o", "json"))
	require.Equal(t, "SCENARIO_STATE_ACTIVE", seen["state"])
	out = must("scenario", "suspend", scID, "--reason", "授权已撤销", "--etag", seen["etag"].(string))
	require.Regexp(t, `(?m)^STATE +SUSPENDED$`, out)
	_, stderr = fails(1, "scenario", "close", scID, "--reason", "试点结束", "--etag", seen["etag"].(string))
	require.Contains(t, stderr, "ABORTED", "a stale etag")
	current := jsonObject(t, must("scenario", "get", scName, "-o", "json"))
	require.Equal(t, "SCENARIO_STATE_SUSPENDED", current["state"])
	etag := current["etag"].(string)
	require.NotEqual(t, seen["etag"], etag)
	out = must("scenario", "close", scID, "--reason", "试点结束", "--etag", etag)
	require.Regexp(t, `(?m)^STATE +CLOSED$`, out)
	_, stderr = fails(1, "scenario", "activate", scID)
	require.Contains(t, stderr, "FAILED_PRECONDITION", "closed is final")
	require.Regexp(t, `(?m)^`+scName+` .* CLOSED `, must("scenario", "list", "--state", "closed"))
}

// xlsxFirstSheet reads the first sheet of an XLSX file with the standard library: its
// name and its cells as text (shared, inline or plain strings, and numbers).
func xlsxFirstSheet(t *testing.T, path string) (string, [][]string) {
	t.Helper()
	z, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer z.Close()
	read := func(name string, v any) bool {
		t.Helper()
		f, err := z.Open(name)
		if os.IsNotExist(err) {
			return false
		}
		require.NoError(t, err)
		defer f.Close()
		b, err := io.ReadAll(f)
		require.NoError(t, err)
		require.NoError(t, xml.Unmarshal(b, v), name)
		return true
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	require.True(t, read("xl/workbook.xml", &wb))
	require.NotEmpty(t, wb.Sheets)
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	require.True(t, read("xl/_rels/workbook.xml.rels", &rels))
	target := ""
	for _, r := range rels.Rels {
		if r.ID == wb.Sheets[0].RID {
			target = strings.TrimPrefix(r.Target, "/xl/")
		}
	}
	require.NotEmpty(t, target, "the first sheet's part")
	var shared struct {
		Items []struct {
			T    string   `xml:"t"`
			Runs []string `xml:"r>t"`
		} `xml:"si"`
	}
	read("xl/sharedStrings.xml", &shared)
	var ws struct {
		Rows []struct {
			Cells []struct {
				Ref    string   `xml:"r,attr"`
				Type   string   `xml:"t,attr"`
				V      string   `xml:"v"`
				Inline string   `xml:"is>t"`
				Runs   []string `xml:"is>r>t"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	require.True(t, read("xl/"+target, &ws))
	var out [][]string
	for _, r := range ws.Rows {
		var row []string
		for i, c := range r.Cells {
			require.Equal(t, string(rune('A'+i)), strings.TrimRight(c.Ref, "0123456789"), "cells in order, none skipped")
			switch c.Type {
			case "s":
				n, err := strconv.Atoi(c.V)
				require.NoError(t, err)
				require.Less(t, n, len(shared.Items))
				row = append(row, shared.Items[n].T+strings.Join(shared.Items[n].Runs, ""))
			case "inlineStr":
				row = append(row, c.Inline+strings.Join(c.Runs, ""))
			case "", "n", "str":
				row = append(row, c.V)
			default:
				t.Fatalf("cell %s: unexpected type %q", c.Ref, c.Type)
			}
		}
		out = append(out, row)
	}
	return wb.Sheets[0].Name, out
}
