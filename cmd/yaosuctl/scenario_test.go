package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
)

const (
	testScenarioID = "0199b2c3-4d5e-7f60-8a1b-2c3d4e5f6a7b"
	testLinkID     = "0199c4d5-6e7f-7081-9a2b-3c4d5e6f7a8b"
	testAlertID    = "0199d6e7-8f90-7a1b-8c2d-3e4f5a6b7c8d"
)

var testLink = "scenarios/" + testScenarioID + "/links/" + testLinkID

// parseFlags parses args into o's flags.
func parseFlags(t *testing.T, o interface{ register(*pflag.FlagSet) }, args ...string) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.register(fs)
	require.NoError(t, fs.Parse(args))
}

func TestScenarioNamesAcceptBareIDs(t *testing.T) {
	require.Equal(t, "scenarios/"+testScenarioID, scenarioName(testScenarioID))
	require.Equal(t, "scenarios/"+testScenarioID, scenarioName(" scenarios/"+testScenarioID+" "))
	require.Equal(t, "alerts/"+testAlertID, alertName(testAlertID))
	require.Equal(t, "alerts/"+testAlertID, alertName("alerts/"+testAlertID))
	for _, in := range []string{testLink, testScenarioID + "/links/" + testLinkID, testScenarioID + "/" + testLinkID} {
		got, err := linkName(in)
		require.NoError(t, err, in)
		require.Equal(t, testLink, got, in)
	}
	for _, in := range []string{"", testLinkID, "scenarios/" + testScenarioID, testScenarioID + "/", "a/b/c"} {
		_, err := linkName(in)
		require.Error(t, err, in)
	}
}

func TestParseKPI(t *testing.T) {
	for in, want := range map[string]*scenariov1.KPI{
		"预测准确率=90[%]":         {Name: "预测准确率", Target: 90, Unit: "%"},
		" 平均候车时间 = 8.5 [分钟] ": {Name: "平均候车时间", Target: 8.5, Unit: "分钟"},
		"响应时间=30分钟":           {Name: "响应时间", Target: 30, Unit: "分钟"},
		"trips=1e6":           {Name: "trips", Target: 1e6},
		"change=-3.5[pct]":    {Name: "change", Target: -3.5, Unit: "pct"},
		"ratio=.5":            {Name: "ratio", Target: 0.5},
	} {
		got, err := parseKPI(in)
		require.NoError(t, err, in)
		require.Equal(t, want.GetName(), got.GetName(), in)
		require.Equal(t, want.GetTarget(), got.GetTarget(), in)
		require.Equal(t, want.GetUnit(), got.GetUnit(), in)
	}
	for _, in := range []string{"noequals", "=5", "x=", "x=abc", "x=5[unit", "x=5[a]b"} {
		_, err := parseKPI(in)
		require.Error(t, err, in)
		require.Contains(t, err.Error(), "--kpi", in)
	}
}

func TestProposeFlags(t *testing.T) {
	var o proposeFlags
	parseFlags(t, &o, "--name", " 公交客流预测 ", "--sector", "交通运输", "--region", "350100",
		"--objective", "优化发车间隔", "--description", "d", "--kpi", "准确率=90[%]", "--kpi", "候车=8[分钟]")
	req, err := o.request()
	require.NoError(t, err)
	sc := req.GetScenario()
	require.Equal(t, "公交客流预测", sc.GetDisplayName())
	require.Equal(t, "TRANSPORT", sc.GetSector(), "the Chinese label maps to the code")
	require.Equal(t, "350100", sc.GetRegion())
	require.Equal(t, "优化发车间隔", sc.GetObjective())
	require.Len(t, sc.GetKpis(), 2)
	require.Equal(t, "分钟", sc.GetKpis()[1].GetUnit())
	_, err = uuid.Parse(req.GetRequestId())
	require.NoError(t, err, "a request id is generated")

	o = proposeFlags{}
	parseFlags(t, &o, "--name", "n", "--sector", "green-low-carbon", "--request-id", "0192f0c4-7b2e-7a3e-9d1c-2f0c4b2e7a3e")
	req, err = o.request()
	require.NoError(t, err)
	require.Equal(t, "GREEN_LOW_CARBON", req.GetScenario().GetSector())
	require.Equal(t, "0192f0c4-7b2e-7a3e-9d1c-2f0c4b2e7a3e", req.GetRequestId())

	for _, args := range [][]string{
		{"--sector", "TRANSPORT"},
		{"--name", "n"},
		{"--name", "n", "--sector", "TRANSPORT", "--kpi", "bad"},
		{"--name", "n", "--sector", "TRANSPORT", "--request-id", "nope"},
	} {
		o = proposeFlags{}
		parseFlags(t, &o, args...)
		_, err := o.request()
		require.Error(t, err, args)
	}
}

func TestScenarioListFlags(t *testing.T) {
	var o scenarioListFlags
	parseFlags(t, &o, "--state", "active,suspended", "--state", "SCENARIO_STATE_CLOSED", "--sector", "城市治理", "--page-size", "20")
	req, err := o.request()
	require.NoError(t, err)
	require.Equal(t, []scenariov1.ScenarioState{scenariov1.ScenarioState_SCENARIO_STATE_ACTIVE,
		scenariov1.ScenarioState_SCENARIO_STATE_SUSPENDED, scenariov1.ScenarioState_SCENARIO_STATE_CLOSED}, req.GetStates())
	require.Equal(t, "URBAN_GOVERNANCE", req.GetSector())
	require.EqualValues(t, 20, req.GetPageSize())

	o = scenarioListFlags{}
	parseFlags(t, &o, "--state", "running")
	_, err = o.request()
	require.ErrorContains(t, err, "--state")
}

func TestLinkFlags(t *testing.T) {
	var o linkFlags
	parseFlags(t, &o, "--form", "接口", "--grant", testGrantID, "--reason", "训练", "--baseline", "10000")
	req, err := o.request(testScenarioID, testAssetID)
	require.NoError(t, err)
	require.Equal(t, "scenarios/"+testScenarioID, req.GetParent())
	l := req.GetLink()
	require.Equal(t, "assets/"+testAssetID, l.GetAsset())
	require.Equal(t, "grants/"+testGrantID, l.GetGrant())
	require.Equal(t, rightsv1.Right_RIGHT_PROCESSING_USE, l.GetRight(), "the default right")
	require.Equal(t, rightsv1.DeliveryForm_DELIVERY_FORM_API, l.GetDeliveryForm())
	require.EqualValues(t, 10000, l.GetDailyBaselineRecords())

	o = linkFlags{}
	parseFlags(t, &o, "--form", "model", "--right", "产品经营权")
	req, err = o.request("scenarios/"+testScenarioID, "assets/"+testAssetID)
	require.NoError(t, err)
	require.Empty(t, req.GetLink().GetGrant())
	require.Equal(t, rightsv1.Right_RIGHT_PRODUCT_OPERATION, req.GetLink().GetRight())

	for _, args := range [][]string{{}, {"--form", "fax"}, {"--form", "api", "--right", "all"}, {"--form", "api", "--baseline", "-1"}} {
		o = linkFlags{}
		parseFlags(t, &o, args...)
		_, err := o.request(testScenarioID, testAssetID)
		require.Error(t, err, args)
	}
}

func TestAlertFlags(t *testing.T) {
	var o alertFilter
	parseFlags(t, &o, "--scenario", testScenarioID, "--state", "open,acknowledged", "--min-severity", "high")
	req, err := o.request()
	require.NoError(t, err)
	require.Equal(t, "scenarios/"+testScenarioID, req.GetScenario())
	require.Equal(t, []scenariov1.AlertState{scenariov1.AlertState_ALERT_STATE_OPEN, scenariov1.AlertState_ALERT_STATE_ACKNOWLEDGED}, req.GetStates())
	require.Equal(t, scenariov1.Severity_SEVERITY_HIGH, req.GetMinSeverity())

	o = alertFilter{}
	parseFlags(t, &o, "--min-severity", "urgent")
	_, err = o.request()
	require.ErrorContains(t, err, "--min-severity")

	o = alertFilter{}
	parseFlags(t, &o, "--rule", "Suspended_Grant, outside_term", "--rule", "volume_spike", "--link", testScenarioID+"/"+testLinkID)
	req, err = o.request()
	require.NoError(t, err)
	require.Equal(t, []string{"suspended_grant", "outside_term", "volume_spike"}, req.GetRules())
	require.Equal(t, testLink, req.GetLink())
	o = alertFilter{}
	parseFlags(t, &o, "--rule", "speeding")
	_, err = o.request()
	require.ErrorContains(t, err, `"speeding" is not a rule`)

	up, err := alertUpdate("ack", testAlertID, "", "on it")
	require.NoError(t, err)
	require.Equal(t, "alerts/"+testAlertID, up.GetName())
	require.Equal(t, scenariov1.AlertState_ALERT_STATE_ACKNOWLEDGED, up.GetState())
	up, err = alertUpdate("resolve", testAlertID, "", "")
	require.NoError(t, err)
	require.Equal(t, scenariov1.AlertState_ALERT_STATE_RESOLVED, up.GetState())
	up, err = alertUpdate("assign", testAlertID, " zhang.san ", "")
	require.NoError(t, err)
	require.Equal(t, scenariov1.AlertState_ALERT_STATE_UNSPECIFIED, up.GetState(), "assign keeps the state")
	require.Equal(t, "zhang.san", up.GetAssignee())
	_, err = alertUpdate("assign", testAlertID, "", "")
	require.ErrorContains(t, err, "--assignee")
}

func TestOutcomeFlags(t *testing.T) {
	var o outcomeFlags
	parseFlags(t, &o, "--from", "2026-01-01", "--to", "2026-03-31", "--revenue", "1200000.5", "--cost-saved", "350000",
		"--beneficiaries", "48000", "--services", "12", "--note", "一季度")
	req, err := o.request(testScenarioID)
	require.NoError(t, err)
	out := req.GetOutcome()
	require.Equal(t, "scenarios/"+testScenarioID, out.GetScenario())
	require.Equal(t, "2026-01-01", out.GetPeriodStart())
	require.Equal(t, "2026-03-31", out.GetPeriodEnd())
	require.Equal(t, 1200000.5, out.GetRevenueYuan())
	require.EqualValues(t, 48000, out.GetBeneficiaries())
	require.EqualValues(t, 12, out.GetServiceCount())

	for _, args := range [][]string{
		{"--to", "2026-03-31"},
		{"--from", "2026-01-01"},
		{"--from", "2026-13-01", "--to", "2026-12-31"},
		{"--from", "2026-03-31", "--to", "2026-01-01"},
		{"--from", "2026-01-01", "--to", "2026-03-31", "--revenue", "-1"},
	} {
		o = outcomeFlags{}
		parseFlags(t, &o, args...)
		_, err := o.request(testScenarioID)
		require.Error(t, err, args)
	}
}

func TestParseUsageRowsFromCSVWithBOM(t *testing.T) {
	raw := utf8BOM + "Record_ID,link,delivery_form,calls,records,bytes,window_start,window_end,purpose\r\n" +
		"r-1," + testLink + ",api,3,120,4096,2026-03-01T09:00:00+08:00,2026-03-01T10:00:00+08:00,交通运输\r\n" +
		",,,,,,,,\r\n" +
		"r-2," + testScenarioID + "/" + testLinkID + ",统计,,,,2026-03-01T01:00:00Z,2026-03-01T02:00:00Z,\r\n"
	rows, err := readCSV([]byte(raw), defaultSheetLimits)
	require.NoError(t, err)
	recs, err := parseUsageRows(rows)
	require.NoError(t, err)
	require.Len(t, recs, 2, "the blank row is skipped")
	r := recs[0]
	require.Equal(t, "r-1", r.GetRecordId())
	require.Equal(t, testLink, r.GetLink())
	require.Equal(t, rightsv1.DeliveryForm_DELIVERY_FORM_API, r.GetDeliveryForm())
	require.EqualValues(t, 3, r.GetCalls())
	require.EqualValues(t, 120, r.GetRecords())
	require.EqualValues(t, 4096, r.GetBytes())
	require.Equal(t, time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC), r.GetWindowStart().AsTime())
	require.Equal(t, testLink, recs[1].GetLink(), "SCENARIO/LINK is expanded")
	require.Equal(t, rightsv1.DeliveryForm_DELIVERY_FORM_AGGREGATE, recs[1].GetDeliveryForm())
	require.Zero(t, recs[1].GetCalls())
	require.Equal(t, "TRANSPORT", r.GetPurpose(), "a sector label becomes its code")
	require.Empty(t, recs[1].GetPurpose(), "no purpose: the scenario's")
}

func TestParseUsageRowsNamesTheBadRow(t *testing.T) {
	header := []string{"record_id", "link", "delivery_form", "calls", "records", "bytes", "window_start", "window_end"}
	good := []string{"r-1", testLink, "api", "1", "1", "1", "2026-03-01T09:00:00+08:00", "2026-03-01T10:00:00+08:00"}
	with := func(i int, v string) []string {
		r := append([]string(nil), good...)
		r[0] = "r-2"
		r[i] = v
		return r
	}
	for _, c := range []struct {
		rows [][]string
		want string
	}{
		{nil, "column headers"},
		{[][]string{header}, "no records"},
		{[][]string{{"record_id", "link", "colour"}}, `row 1: unknown column "colour"`},
		{[][]string{{"record_id", "link", "delivery_form", "window_start"}, good}, `row 1: column "window_end" is missing`},
		{[][]string{header, good, with(3, "many")}, `row 3: calls: "many" is not a whole number`},
		{[][]string{header, good, with(4, "-2")}, "row 3: records"},
		{[][]string{header, good, with(2, "fax")}, "row 3: delivery_form"},
		{[][]string{header, good, with(1, testLinkID)}, "row 3: link"},
		{[][]string{header, good, with(6, "2026-03-01")}, "row 3: window_start"},
		{[][]string{header, good, with(7, "2026-03-01T08:00:00+08:00")}, "row 3: window_end is before window_start"},
		{[][]string{header, good, with(0, "")}, "row 3: record_id is empty"},
		{[][]string{header, good, {}, good}, `row 4: record_id "r-1" repeats row 2`},
	} {
		_, err := parseUsageRows(c.rows)
		require.ErrorContains(t, err, c.want, c.want)
	}
}

func TestUsageFileErrorNamesFileAndRow(t *testing.T) {
	isolate(t)
	path := filepath.Join(t.TempDir(), "usage.csv")
	require.NoError(t, os.WriteFile(path, []byte(utf8BOM+"record_id,link,delivery_form,window_start,window_end\n"+
		"r-1,"+testLink+",api,2026-03-01T09:00:00+08:00,yesterday\n"), 0o600))
	_, _, err := runCLI(t, context.Background(), "scenario", "usage", path, "--system", "bus")
	require.ErrorContains(t, err, "usage.csv: row 2: window_end")

	_, _, err = runCLI(t, context.Background(), "scenario", "usage", path)
	require.ErrorContains(t, err, "--system is required")
	_, _, err = runCLI(t, context.Background(), "scenario", "usage", path, "--system", "bus", "--batch", "0")
	require.ErrorContains(t, err, "--batch")
}

// fakeUsageStream records the batches sent.
type fakeUsageStream struct {
	batches [][]*scenariov1.UsageRecord
	eofAt   int
}

func (f *fakeUsageStream) Send(r *scenariov1.ReportUsageRequest) error {
	if f.eofAt > 0 && len(f.batches) == f.eofAt {
		return io.EOF
	}
	f.batches = append(f.batches, r.GetRecords())
	return nil
}

func (f *fakeUsageStream) CloseAndRecv() (*scenariov1.ReportUsageResponse, error) {
	if f.eofAt > 0 {
		return nil, errors.New("stream ended")
	}
	n := 0
	for _, b := range f.batches {
		n += len(b)
	}
	return &scenariov1.ReportUsageResponse{Allowed: int64(n)}, nil
}

func TestSendUsageBatches(t *testing.T) {
	recs := make([]*scenariov1.UsageRecord, 7)
	for i := range recs {
		recs[i] = &scenariov1.UsageRecord{RecordId: string(rune('a' + i))}
	}
	var f fakeUsageStream
	var done []int
	resp, err := sendUsage(&f, "bus", recs, 3, func(d, total int) {
		require.Equal(t, 7, total)
		done = append(done, d)
	})
	require.NoError(t, err)
	require.EqualValues(t, 7, resp.GetAllowed())
	require.Equal(t, []int{3, 3, 1}, []int{len(f.batches[0]), len(f.batches[1]), len(f.batches[2])})
	require.Equal(t, []int{3, 6, 7}, done)

	f = fakeUsageStream{eofAt: 1}
	_, err = sendUsage(&f, "bus", recs, 3, nil)
	require.ErrorContains(t, err, "stream ended", "an EOF on send surfaces the stream's status")
}

func TestScenarioCommandsRejectBadFlagsBeforeDialing(t *testing.T) {
	isolate(t)
	ctx := context.Background()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scenario", "propose", "--sector", "TRANSPORT"}, "--name is required"},
		{[]string{"scenario", "link", testScenarioID, testAssetID}, "--form is required"},
		{[]string{"scenario", "unlink", testLinkID}, "is not a link"},
		{[]string{"scenario", "outcome", testScenarioID, "--from", "2026-01-01"}, "--to is required"},
		{[]string{"scenario", "report", "--from", "2026-01-01", "--to", "2026-01-31", "-f", "x.pdf"}, ".xlsx or .csv"},
		{[]string{"scenario", "alert", "assign", testAlertID}, "--assignee is required"},
		{[]string{"scenario", "alerts", "--state", "closed"}, "--state"},
		{[]string{"scenario", "get"}, "one scenario name"},
		{[]string{"scenario", "frobnicate"}, "unknown command"},
	} {
		_, _, err := runCLI(t, ctx, c.args...)
		require.ErrorContains(t, err, c.want, c.args)
	}
}

func TestUsageReportRows(t *testing.T) {
	resp := &scenariov1.GetUsageReportResponse{
		PerAsset:    []*scenariov1.UsageTotal{{Key: "assets/" + testAssetID, Calls: 1, Records: 2, Bytes: 3, Denied: 4}},
		PerScenario: []*scenariov1.UsageTotal{{Key: "scenarios/" + testScenarioID, Calls: 5}},
	}
	names := displayNames{"assets/" + testAssetID: "企业登记信息"}
	rows := usageReportRows(resp, names)
	require.Equal(t, [][]any{
		{"登记对象", "assets/" + testAssetID, "企业登记信息", int64(1), int64(2), int64(3), int64(4)},
		{"应用场景", "scenarios/" + testScenarioID, "", int64(5), int64(0), int64(0), int64(0)},
	}, rows)
	dir := t.TempDir()
	for _, name := range []string{"r.csv", "r.xlsx"} {
		path := filepath.Join(dir, name)
		kind, err := sheetKind(path)
		require.NoError(t, err)
		require.NoError(t, writeUsageReport(path, kind, resp, names))
		back, err := readSheet(path, nil, defaultSheetLimits)
		require.NoError(t, err)
		require.Equal(t, []string{"类别", "标识", "名称", "调用次数", "记录数", "字节数", "拒绝记录数"}, back[0], name)
		require.Equal(t, []string{"登记对象", "assets/" + testAssetID, "企业登记信息", "1", "2", "3", "4"}, back[1], name)
		require.Len(t, back, 3, name)
	}
}

// fakeScenarios answers GetUsageReport with a fixed report and GetScenario by name, and
// counts the lookups.
type fakeScenarios struct {
	scenariov1.UnimplementedScenarioServiceServer
	report  *scenariov1.GetUsageReportResponse
	names   map[string]string
	lookups []string
}

func (f *fakeScenarios) GetUsageReport(context.Context, *scenariov1.GetUsageReportRequest) (*scenariov1.GetUsageReportResponse, error) {
	return f.report, nil
}

func (f *fakeScenarios) GetScenario(_ context.Context, req *scenariov1.GetScenarioRequest) (*scenariov1.GetScenarioResponse, error) {
	f.lookups = append(f.lookups, req.GetName())
	if n, ok := f.names[req.GetName()]; ok {
		return &scenariov1.GetScenarioResponse{Scenario: &scenariov1.Scenario{Name: req.GetName(), DisplayName: n}}, nil
	}
	return nil, status.Error(codes.PermissionDenied, "not yours")
}

// TestScenarioReportShowsNamesBesideIDs: the report's tables have Chinese headers and show
// each asset's and scenario's name beside its id, each looked up once; an asset the caller
// cannot read shows its id alone.
func TestScenarioReportShowsNamesBesideIDs(t *testing.T) {
	isolate(t)
	cat := &fakeCatalog{assets: []*catalogv1.Asset{{Name: "assets/" + testAssetID, DisplayName: "公交刷卡数据"}}}
	other := "assets/0198c6f2-0000-7000-8000-00000000beef"
	sc := "scenarios/" + testScenarioID
	scen := &fakeScenarios{names: map[string]string{sc: "公交客流预测"}, report: &scenariov1.GetUsageReportResponse{
		PerAsset: []*scenariov1.UsageTotal{{Key: "assets/" + testAssetID, Calls: 3, Records: 30, Bytes: 300},
			{Key: other, Calls: 1, Denied: 2}},
		PerScenario: []*scenariov1.UsageTotal{{Key: sc, Calls: 4, Records: 30, Bytes: 300, Denied: 2}},
		Outcomes:    []*scenariov1.Outcome{{Scenario: sc, PeriodStart: "2026-03-01", PeriodEnd: "2026-03-31", RevenueYuan: 1200}},
	}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	catalogv1.RegisterCatalogServiceServer(srv, cat)
	scenariov1.RegisterScenarioServiceServer(srv, scen)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	t.Setenv(envAddr, lis.Addr().String())
	t.Setenv(envToken, mintFor(t, "zhou.min"))

	out := mustRun(t, "scenario", "report", "--from", "2026-03-01", "--to", "2026-03-31")
	lines := strings.Split(out, "\n")
	require.Regexp(t, `^登记对象 +名称 +调用次数 +记录数 +字节数 +拒绝记录数$`, lines[0])
	require.Regexp(t, `^assets/`+testAssetID+` +公交刷卡数据 +3 +30 +300 +0$`, lines[1])
	require.Regexp(t, `^`+other+` +- +1 +0 +0 +2$`, lines[2], "an asset the caller cannot read: its id only")
	require.Regexp(t, `^应用场景 +名称 +调用次数`, lines[4])
	require.Regexp(t, `^`+sc+` +公交客流预测 +4 +30 +300 +2$`, lines[5])
	require.Equal(t, "成效", lines[7])
	require.Regexp(t, `^应用场景 +名称 +起 +止 +收益（元） +节约成本（元） +受益人数 +服务次数 +备注$`, lines[8])
	require.Regexp(t, `^`+sc+` +公交客流预测 +2026-03-01 +2026-03-31 +1200 `, lines[9])
	require.Equal(t, []string{sc}, scen.lookups, "each name looked up once")
	require.ElementsMatch(t, []string{"assets/" + testAssetID, other}, cat.gets)
}
