package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
)

const (
	scenarioNamePrefix = "scenarios/"
	alertNamePrefix    = "alerts/"
	linksSegment       = "/links/"
	// maxUsageBatch is ReportUsageRequest's max_items.
	maxUsageBatch = 1000
	// reportSheet names the sheet of `scenario report -f FILE.xlsx`.
	reportSheet = "使用统计"
)

// scenarioName accepts `scenarios/ID` or a bare ID.
func scenarioName(arg string) string {
	arg = strings.TrimSpace(arg)
	if strings.HasPrefix(arg, scenarioNamePrefix) {
		return arg
	}
	return scenarioNamePrefix + arg
}

// alertName accepts `alerts/ID` or a bare ID.
func alertName(arg string) string {
	arg = strings.TrimSpace(arg)
	if strings.HasPrefix(arg, alertNamePrefix) {
		return arg
	}
	return alertNamePrefix + arg
}

// linkName accepts `scenarios/S/links/L`, `S/links/L` or `S/L`. A link's id alone does not
// name it (links live under their scenario).
func linkName(arg string) (string, error) {
	s := strings.TrimPrefix(strings.TrimSpace(arg), scenarioNamePrefix)
	scenario, link, ok := strings.Cut(s, linksSegment)
	if !ok {
		scenario, link, ok = strings.Cut(s, "/")
	}
	if !ok || scenario == "" || link == "" || strings.Contains(link, "/") {
		return "", fmt.Errorf("%q is not a link: want scenarios/SCENARIO/links/LINK (or SCENARIO/LINK)", clip(arg, maxQuoted))
	}
	return scenarioNamePrefix + scenario + linksSegment + link, nil
}

// sectorCode maps a sector code or label (交通运输, transport, TRANSPORT) to its code, with
// the purpose table of the rights commands. "" stays "".
func sectorCode(s string) string {
	codes := parsePurposes([]string{s})
	if len(codes) == 0 {
		return ""
	}
	return codes[0]
}

// kpiSyntax is `name=target`, optionally followed by a unit, in brackets or not:
// 准确率=95[%], 响应时间=30分钟, trips=1e6.
var kpiSyntax = regexp.MustCompile(`^\s*([-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*(?:\[([^\]]*)\]|([^\[\]]*))\s*$`)

// parseKPI reads one --kpi: name=target[unit].
func parseKPI(s string) (*scenariov1.KPI, error) {
	name, value, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return nil, fmt.Errorf("--kpi %q: want name=target[unit], e.g. 响应时间=30[分钟]", s)
	}
	m := kpiSyntax.FindStringSubmatch(value)
	if m == nil {
		return nil, fmt.Errorf("--kpi %q: the target %q is not a number optionally followed by a unit, e.g. 30[分钟]", s, strings.TrimSpace(value))
	}
	target, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return nil, fmt.Errorf("--kpi %q: %w", s, err)
	}
	unit := strings.TrimSpace(m[2] + m[3])
	return &scenariov1.KPI{Name: name, Target: target, Unit: unit}, nil
}

// parseDay checks a YYYY-MM-DD flag.
func parseDay(flag, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("%s is required: a date YYYY-MM-DD", flag)
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return "", fmt.Errorf("%s: %q is not a date YYYY-MM-DD", flag, s)
	}
	return s, nil
}

// period reads --from and --to and checks their order.
func period(from, to string) (string, string, error) {
	f, err := parseDay("--from", from)
	if err != nil {
		return "", "", err
	}
	t, err := parseDay("--to", to)
	if err != nil {
		return "", "", err
	}
	if t < f {
		return "", "", fmt.Errorf("--to %s is before --from %s", t, f)
	}
	return f, t, nil
}

// sectorDoc is the rights commands' purposeDoc, worded for --sector.
var sectorDoc = strings.NewReplacer("Purposes are sector codes", "Sectors are sector codes",
	", described by --other-purpose", "").Replace(purposeDoc)

func scenarioCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "Application scenarios: their assets, usage, alerts and outcomes (scenario service)",
		Long: "Application scenarios (应用场景) that use data assets: propose and run them, link the assets\n" +
			"they use under a grant, report usage from internal systems, follow the monitoring alerts\n" +
			"(过程监测) and record outcomes.\n\n" +
			"Scenarios, links and alerts are named scenarios/ID, scenarios/ID/links/ID and alerts/ID;\n" +
			"scenarios and alerts also by their bare ID, links as SCENARIO/LINK.\n\n" + sectorDoc,
		Example: "  yaosuctl login --dev --org 91350100M000100Y43 --role scenario_operator\n" +
			"  yaosuctl scenario propose --name '公交客流预测' --sector 交通运输 --kpi '预测准确率=90[%]'\n" +
			"  yaosuctl scenario activate 0199b2c3-...\n" +
			"  yaosuctl scenario link 0199b2c3-... 0198c6f2-... --form api --grant 0199a0b1-...\n" +
			"  yaosuctl scenario usage usage.csv --system bus-dispatch\n" +
			"  yaosuctl scenario alerts --state open --min-severity high",
		RunE: groupRunE,
	}
	cmd.AddCommand(scenarioProposeCmd(g), scenarioGetCmd(g), scenarioListCmd(g),
		scenarioTransitionCmd(g, "activate"), scenarioTransitionCmd(g, "suspend"), scenarioTransitionCmd(g, "close"),
		scenarioLinkCmd(g), scenarioUnlinkCmd(g), scenarioLinksCmd(g),
		scenarioUsageCmd(g), scenarioAlertsCmd(g), scenarioAlertCmd(g),
		scenarioOutcomeCmd(g), scenarioReportCmd(g))
	return cmd
}

// scenarioCall connects, runs fn with a per-request deadline, and closes.
func (g *globals) scenarioCall(ctx context.Context, fn func(context.Context, scenariov1.ScenarioServiceClient) error) error {
	return unary(ctx, g, scenariov1.NewScenarioServiceClient, fn)
}

// proposeFlags are the flags of `scenario propose`.
type proposeFlags struct {
	name, sector, objective, description, region, requestID string
	kpis                                                    []string
}

func (o *proposeFlags) register(f *pflag.FlagSet) {
	f.StringVar(&o.name, "name", "", "the scenario's name (required)")
	f.StringVar(&o.sector, "sector", "", "the `SECTOR`: a sector code or its Chinese label (required)")
	f.StringVar(&o.objective, "objective", "", "what it aims at")
	f.StringVar(&o.description, "description", "", "what it does")
	f.StringVar(&o.region, "region", "", "where it runs: an administrative division `CODE` (350100)")
	f.StringArrayVar(&o.kpis, "kpi", nil, "an expected indicator, name=target[unit] (repeatable)")
	f.StringVar(&o.requestID, "request-id", "", "idempotency key, a UUID (default: a new one)")
}

func (o *proposeFlags) request() (*scenariov1.ProposeScenarioRequest, error) {
	if strings.TrimSpace(o.name) == "" {
		return nil, errors.New("--name is required")
	}
	if strings.TrimSpace(o.sector) == "" {
		return nil, errors.New("--sector is required: a sector code or label (TRANSPORT, 交通运输, ...)")
	}
	sc := &scenariov1.Scenario{
		DisplayName: strings.TrimSpace(o.name),
		Sector:      sectorCode(o.sector),
		Objective:   o.objective,
		Description: o.description,
		Region:      strings.TrimSpace(o.region),
	}
	for _, k := range o.kpis {
		kpi, err := parseKPI(k)
		if err != nil {
			return nil, err
		}
		sc.Kpis = append(sc.Kpis, kpi)
	}
	id := strings.TrimSpace(o.requestID)
	if id == "" {
		id = uuid.NewString()
	} else if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("--request-id %q is not a UUID", id)
	}
	return &scenariov1.ProposeScenarioRequest{Scenario: sc, RequestId: id}, nil
}

func scenarioProposeCmd(g *globals) *cobra.Command {
	var o proposeFlags
	cmd := &cobra.Command{
		Use:   "propose --name N --sector S [--objective T] [--description T] [--region CODE] [--kpi name=target[unit] ...] [--request-id UUID]",
		Short: "Propose a scenario (state PROPOSED)",
		Long: "Propose an application scenario run by your organisation (scenario_operator). Its sector\n" +
			"is the purpose checked against the grants of the assets it links; its region, when set,\n" +
			"too. KPIs are name=target with an optional unit: 准确率=95[%], 响应时间=30分钟.\n\n" +
			"The call carries a request id (a new UUID unless --request-id is given): proposing again\n" +
			"with the same id returns the first scenario instead of a second one.",
		Example: "  yaosuctl scenario propose --name '公交客流预测' --sector 交通运输 --region 350100 \\\n" +
			"      --objective '优化发车间隔' --kpi '预测准确率=90[%]' --kpi '平均候车时间=8[分钟]'\n" +
			"  yaosuctl scenario propose --name 'Grid load forecast' --sector GREEN_LOW_CARBON -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := o.request()
			if err != nil {
				return err
			}
			var resp *scenariov1.ProposeScenarioResponse
			err = g.scenarioCall(cmd.Context(), func(ctx context.Context, c scenariov1.ScenarioServiceClient) (err error) {
				resp, err = c.ProposeScenario(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			return printScenario(cmd.OutOrStdout(), g.output, resp.GetScenario())
		},
	}
	o.register(cmd.Flags())
	return cmd
}

func scenarioGetCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "get SCENARIO",
		Short:   "Show one scenario",
		Example: "  yaosuctl scenario get 0199b2c3-...\n  yaosuctl scenario get scenarios/0199b2c3-... -o json",
		Args:    exactArgs(1, "one scenario name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp *scenariov1.GetScenarioResponse
			err := g.scenarioCall(cmd.Context(), func(ctx context.Context, c scenariov1.ScenarioServiceClient) (err error) {
				resp, err = c.GetScenario(ctx, &scenariov1.GetScenarioRequest{Name: scenarioName(args[0])})
				return err
			})
			if err != nil {
				return err
			}
			return printScenario(cmd.OutOrStdout(), g.output, resp.GetScenario())
		},
	}
}

// scenarioListFlags are the filters of `scenario list`.
type scenarioListFlags struct {
	states    []string
	sector    string
	pageSize  int32
	pageToken string
	all       bool
}

func (o *scenarioListFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&o.states, "state", nil, "only these states: proposed, active, suspended, closed (comma-separated or repeated)")
	f.StringVar(&o.sector, "sector", "", "only this sector: a code or its Chinese label")
	f.Int32Var(&o.pageSize, "page-size", 0, "scenarios per page; 0 means the server's default (50), at most 500")
	f.StringVar(&o.pageToken, "page-token", "", "continue from a previous page (with the same filters)")
	f.BoolVar(&o.all, "all", false, "follow page tokens until the last page")
}

func (o *scenarioListFlags) request() (*scenariov1.ListScenariosRequest, error) {
	if o.pageSize < 0 {
		return nil, errors.New("--page-size must not be negative")
	}
	states, err := rightsEnumList[scenariov1.ScenarioState]("--state", o.states)
	if err != nil {
		return nil, err
	}
	return &scenariov1.ListScenariosRequest{States: states, Sector: sectorCode(o.sector), PageSize: o.pageSize}, nil
}

func scenarioListCmd(g *globals) *cobra.Command {
	var o scenarioListFlags
	cmd := &cobra.Command{
		Use:   "list [--state S ...] [--sector S] [--page-size N] [--page-token T] [--all]",
		Short: "List the scenarios you can see, newest first",
		Long: "List scenarios, newest first: your organisation's, or every scenario for auditors. One page\n" +
			"at a time (the next page's token goes to stderr) or --all.",
		Example: "  yaosuctl scenario list\n" +
			"  yaosuctl scenario list --state active,suspended --sector 交通运输\n" +
			"  yaosuctl scenario list --all -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := o.request()
			if err != nil {
				return err
			}
			client, closeConn, err := g.scenarioClient()
			if err != nil {
				return err
			}
			defer closeConn()
			out := &scenariov1.ListScenariosResponse{}
			out.NextPageToken, err = g.pages(cmd.Context(), o.pageToken, o.all, func(ctx context.Context, token string) (string, error) {
				req.PageToken = token
				resp, err := client.ListScenarios(ctx, req)
				out.Scenarios = append(out.Scenarios, resp.GetScenarios()...)
				return resp.GetNextPageToken(), err
			})
			if err != nil {
				return err
			}
			return g.printPage(cmd, out, func(w io.Writer) error {
				var t table
				t.row("NAME", "DISPLAY NAME", "SECTOR", "REGION", "STATE", "OPERATOR", "UPDATED")
				for _, s := range out.GetScenarios() {
					t.row(s.GetName(), s.GetDisplayName(), sectorText(s.GetSector()), orDash(s.GetRegion()),
						enumShort(s.GetState().Descriptor(), s.GetState().Number()), orDash(s.GetOperatorOrganisation()), formatTime(s.GetUpdateTime()))
				}
				return t.write(w)
			}, out.NextPageToken, "More scenarios: yaosuctl scenario list --page-token "+out.NextPageToken+" (with the same filters)")
		},
	}
	o.register(cmd.Flags())
	return cmd
}

func scenarioTransitionCmd(g *globals, verb string) *cobra.Command {
	var reason, etag string
	var action scenariov1.ScenarioAction
	short, example := "", ""
	switch verb {
	case "activate":
		action = scenariov1.ScenarioAction_SCENARIO_ACTION_ACTIVATE
		short = "Activate a proposed or suspended scenario (usage is accepted)"
		example = "  yaosuctl scenario activate 0199b2c3-... --reason '试点启动'"
	case "suspend":
		action = scenariov1.ScenarioAction_SCENARIO_ACTION_SUSPEND
		short = "Suspend an active scenario (usage is denied)"
		example = "  yaosuctl scenario suspend 0199b2c3-... --reason '核查数据使用' --etag 7"
	default:
		action = scenariov1.ScenarioAction_SCENARIO_ACTION_CLOSE
		short = "Close a scenario for good"
		example = "  yaosuctl scenario close scenarios/0199b2c3-... --reason '试点结束'"
	}
	cmd := &cobra.Command{
		Use:     verb + " SCENARIO [--reason R] [--etag E]",
		Short:   short,
		Long:    short + ". With --etag the change happens only if the scenario is still at that etag.",
		Example: example,
		Args:    exactArgs(1, "one scenario name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp *scenariov1.TransitionScenarioResponse
			err := g.scenarioCall(cmd.Context(), func(ctx context.Context, c scenariov1.ScenarioServiceClient) (err error) {
				resp, err = c.TransitionScenario(ctx, &scenariov1.TransitionScenarioRequest{
					Name: scenarioName(args[0]), Action: action, Reason: reason, Etag: strings.TrimSpace(etag)})
				return err
			})
			if err != nil {
				return err
			}
			return printScenario(cmd.OutOrStdout(), g.output, resp.GetScenario())
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded with the change)")
	cmd.Flags().StringVar(&etag, "etag", "", "change only if the scenario's etag is still this")
	return cmd
}

// linkFlags are the flags of `scenario link`.
type linkFlags struct {
	form, right, grant, reason string
	baseline                   int64
}

func (o *linkFlags) register(f *pflag.FlagSet) {
	f.StringVar(&o.form, "form", "", "the delivery `FORM`: raw-copy (原始数据导出), api (接口), model (模型), verification (核验), aggregate (统计汇总结果) (required)")
	f.StringVar(&o.right, "right", "processing-use", "the right exercised: holding (持有权), processing-use (加工使用权), product-operation (产品经营权)")
	f.StringVar(&o.grant, "grant", "", "the `GRANT` the use rests on (none when your organisation holds the asset)")
	f.StringVar(&o.reason, "reason", "", "why the scenario needs the asset")
	f.Int64Var(&o.baseline, "baseline", 0, "expected daily records (0: no volume alerts)")
}

func (o *linkFlags) request(scenario, asset string) (*scenariov1.LinkAssetRequest, error) {
	if strings.TrimSpace(o.form) == "" {
		return nil, errors.New("--form is required: " + strings.Join(rightsChoices(rightsv1.DeliveryForm(0).Descriptor()), ", "))
	}
	form, err := parseRightsEnum("--form", rightsv1.DeliveryForm(0).Descriptor(), o.form)
	if err != nil {
		return nil, err
	}
	right, err := parseRightsEnum("--right", rightsv1.Right(0).Descriptor(), o.right)
	if err != nil {
		return nil, err
	}
	if o.baseline < 0 {
		return nil, errors.New("--baseline must not be negative")
	}
	l := &scenariov1.Link{
		Asset:                assetName(asset),
		Right:                rightsv1.Right(right),
		DeliveryForm:         rightsv1.DeliveryForm(form),
		Reason:               o.reason,
		DailyBaselineRecords: o.baseline,
	}
	if strings.TrimSpace(o.grant) != "" {
		l.Grant = grantName(o.grant)
	}
	return &scenariov1.LinkAssetRequest{Parent: scenarioName(scenario), Link: l}, nil
}

func scenarioLinkCmd(g *globals) *cobra.Command {
	var o linkFlags
	cmd := &cobra.Command{
		Use:   "link SCENARIO ASSET --form F [--right R] [--grant G] [--reason R] [--baseline N]",
		Short: "Link an asset to a scenario under a grant",
		Long: "Link an asset to a scenario: the scenario uses it in one delivery form under a grant (none\n" +
			"when your organisation holds the asset). The rights service checks the use for the\n" +
			"scenario's operator, sector and region now; a denial fails with its reason.\n" +
			"--baseline is the expected daily number of records; monitoring alerts far above it.",
		Example: "  yaosuctl scenario link 0199b2c3-... 0198c6f2-... --form api --grant 0199a0b1-... \\\n" +
			"      --reason '客流预测模型训练' --baseline 10000\n" +
			"  yaosuctl scenario link scenarios/0199b2c3-... assets/0198c6f2-... --form 模型 --right 产品经营权",
		Args: exactArgs(2, "a scenario and an asset"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := o.request(args[0], args[1])
			if err != nil {
				return err
			}
			var resp *scenariov1.LinkAssetResponse
			err = g.scenarioCall(cmd.Context(), func(ctx context.Context, c scenariov1.ScenarioServiceClient) (err error) {
				resp, err = c.LinkAsset(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if g.output == outputJSON {
				return printProtoJSON(w, resp)
			}
			if err := printLink(w, resp.GetLink()); err != nil {
				return err
			}
			if len(resp.GetChain()) > 0 {
				fprintfErr(w, "CHAIN  %s\n", strings.Join(resp.GetChain(), " → "))
			}
			return nil
		},
	}
	o.register(cmd.Flags())
	return cmd
}

func scenarioUnlinkCmd(g *globals) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     "unlink LINK [--reason R]",
		Short:   "End a link (final)",
		Example: "  yaosuctl scenario unlink scenarios/0199b2c3-.../links/0199c4d5-... --reason '改用统计数据'\n  yaosuctl scenario unlink 0199b2c3-.../0199c4d5-...",
		Args:    exactArgs(1, "one link name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := linkName(args[0])
			if err != nil {
				return err
			}
			var resp *scenariov1.UnlinkAssetResponse
			err = g.scenarioCall(cmd.Context(), func(ctx context.Context, c scenariov1.ScenarioServiceClient) (err error) {
				resp, err = c.UnlinkAsset(ctx, &scenariov1.UnlinkAssetRequest{Name: name, Reason: reason})
				return err
			})
			if err != nil {
				return err
			}
			if g.output == outputJSON {
				return printProtoJSON(cmd.OutOrStdout(), resp)
			}
			return printLink(cmd.OutOrStdout(), resp.GetLink())
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why")
	return cmd
}

func scenarioLinksCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "links SCENARIO",
		Short:   "List a scenario's links",
		Example: "  yaosuctl scenario links 0199b2c3-...\n  yaosuctl scenario links scenarios/0199b2c3-... -o json",
		Args:    exactArgs(1, "one scenario name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp *scenariov1.ListLinksResponse
			err := g.scenarioCall(cmd.Context(), func(ctx context.Context, c scenariov1.ScenarioServiceClient) (err error) {
				resp, err = c.ListLinks(ctx, &scenariov1.ListLinksRequest{Parent: scenarioName(args[0])})
				return err
			})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if g.output == outputJSON {
				return printProtoJSON(w, resp)
			}
			var t table
			t.row("NAME", "ASSET", "GRANT", "RIGHT", "FORM", "BASELINE", "STATE")
			for _, l := range resp.GetLinks() {
				t.row(l.GetName(), l.GetAsset(), orDash(l.GetGrant()), rightShort(l.GetRight()),
					enumShort(l.GetDeliveryForm().Descriptor(), l.GetDeliveryForm().Number()),
					strconv.FormatInt(l.GetDailyBaselineRecords(), 10), linkState(l))
			}
			return t.write(w)
		},
	}
}

// usageColumns are the columns of a usage file, in the order `scenario usage` documents.
var usageColumns = []string{"record_id", "link", "delivery_form", "calls", "records", "bytes", "window_start", "window_end", "purpose"}

// usageRequired are the columns a usage file must have; calls, records and bytes default to 0.
var usageRequired = []string{"record_id", "link", "delivery_form", "window_start", "window_end"}

// parseUsageRows reads the rows of a usage file: a header row naming the columns (any order,
// any case), then one record per row; blank rows are skipped. An error names the row as the
// spreadsheet numbers it (the header is row 1).
func parseUsageRows(rows [][]string) ([]*scenariov1.UsageRecord, error) {
	if len(rows) == 0 {
		return nil, errors.New("the file is empty: the first row must hold the column headers " + strings.Join(usageColumns, ", "))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, utf8BOM)))
		if h == "" {
			continue
		}
		known := false
		for _, c := range usageColumns {
			known = known || c == h
		}
		if !known {
			return nil, fmt.Errorf("row 1: unknown column %q (the columns are %s)", clip(h, maxQuoted), strings.Join(usageColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("row 1: column %q appears twice", clip(h, maxQuoted))
		}
		col[h] = i
	}
	for _, c := range usageRequired {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("row 1: column %q is missing (the columns are %s)", c, strings.Join(usageColumns, ", "))
		}
	}
	var out []*scenariov1.UsageRecord
	seen := map[string]int{}
	for i, row := range rows[1:] {
		n := i + 2
		if blankRow(row) {
			continue
		}
		cell := func(name string) string {
			j, ok := col[name]
			if !ok || j >= len(row) {
				return ""
			}
			return strings.TrimSpace(row[j])
		}
		rec, err := usageRecord(cell)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", n, err)
		}
		if first, dup := seen[rec.GetRecordId()]; dup {
			return nil, fmt.Errorf("row %d: record_id %q repeats row %d", n, clip(rec.GetRecordId(), maxQuoted), first)
		}
		seen[rec.GetRecordId()] = n
		out = append(out, rec)
	}
	if len(out) == 0 {
		return nil, errors.New("the file has no records below its header row")
	}
	return out, nil
}

// usageRecord builds one record from a row's cells.
func usageRecord(cell func(string) string) (*scenariov1.UsageRecord, error) {
	rec := &scenariov1.UsageRecord{RecordId: cell("record_id")}
	if rec.RecordId == "" {
		return nil, errors.New("record_id is empty")
	}
	link, err := linkName(cell("link"))
	if err != nil {
		return nil, fmt.Errorf("link: %w", err)
	}
	rec.Link = link
	if cell("delivery_form") == "" {
		return nil, errors.New("delivery_form is empty")
	}
	form, err := parseRightsEnum("delivery_form", rightsv1.DeliveryForm(0).Descriptor(), cell("delivery_form"))
	if err != nil {
		return nil, err
	}
	rec.DeliveryForm = rightsv1.DeliveryForm(form)
	for _, c := range []struct {
		name string
		dst  *int64
	}{{"calls", &rec.Calls}, {"records", &rec.Records}, {"bytes", &rec.Bytes}} {
		s := cell(c.name)
		if s == "" {
			continue
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%s: %q is not a whole number ≥ 0", c.name, clip(s, maxQuoted))
		}
		*c.dst = v
	}
	var start, end time.Time
	for _, c := range []struct {
		name string
		dst  *time.Time
	}{{"window_start", &start}, {"window_end", &end}} {
		s := cell(c.name)
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not an RFC 3339 time (2026-03-01T09:00:00+08:00)", c.name, clip(s, maxQuoted))
		}
		*c.dst = t
	}
	if end.Before(start) {
		return nil, errors.New("window_end is before window_start")
	}
	rec.WindowStart, rec.WindowEnd = timestamppb.New(start), timestamppb.New(end)
	if p := cell("purpose"); p != "" {
		rec.Purpose = sectorCode(p)
	}
	return rec, nil
}

// usageStream is the part of the ReportUsage client stream sendUsage uses.
type usageStream interface {
	Send(*scenariov1.ReportUsageRequest) error
	CloseAndRecv() (*scenariov1.ReportUsageResponse, error)
}

// sendUsage streams recs in batches and returns the server's summary. progress, if set,
// gets the number of records sent after each batch.
func sendUsage(stream usageStream, system string, recs []*scenariov1.UsageRecord, batch int, progress func(done, total int)) (*scenariov1.ReportUsageResponse, error) {
	for i := 0; i < len(recs); i += batch {
		j := min(i+batch, len(recs))
		if err := stream.Send(&scenariov1.ReportUsageRequest{ReportingSystem: system, Records: recs[i:j]}); err != nil {
			if errors.Is(err, io.EOF) {
				// The server ended the stream; CloseAndRecv has its status.
				break
			}
			return nil, err
		}
		if progress != nil {
			progress(j, len(recs))
		}
	}
	return stream.CloseAndRecv()
}

func scenarioUsageCmd(g *globals) *cobra.Command {
	var (
		system string
		batch  int
		quiet  bool
		limits sheetLimits
	)
	cmd := &cobra.Command{
		Use:   "usage FILE.csv|FILE.xlsx --system NAME [--batch 500] [--quiet]",
		Short: "Report usage records from an internal system",
		Long: "Report usage records: internal systems (role service) for any scenario, scenario operators\n" +
			"and admins (roles scenario_operator, admin) for their own organisation's scenarios.\n" +
			"The file is the first sheet of an XLSX file or a CSV file (UTF-8, with or without BOM).\n" +
			"The first row names the columns, in any order:\n" +
			"  record_id      the record's id in the reporting system (required, once per file; one\n" +
			"                 reported before is a duplicate and ignored)\n" +
			"  link           scenarios/S/links/L or S/L (required)\n" +
			"  delivery_form  api, model, raw-copy, verification, aggregate or their labels (required)\n" +
			"  calls, records, bytes   the volume (whole numbers, default 0)\n" +
			"  window_start, window_end   RFC 3339 times (required)\n" +
			"  purpose        the sector the data was used for, code or label (optional; empty means\n" +
			"                 the scenario's sector)\n\n" +
			"The whole file is checked first: a bad row stops it with its row number, before anything\n" +
			"is sent. The records then go to the server in batches over one stream (progress on stderr\n" +
			"unless --quiet); each is checked against its link's grant. Reporting the same file again\n" +
			"counts nothing twice.\n\n" +
			"Prints allowed, denied and duplicates, and the denied records with the reason. Exit status\n" +
			"0 when none was denied, 2 when some were, 1 when the report could not be made.",
		Example: "  yaosuctl scenario usage usage-2026-03-01.csv --system bus-dispatch\n" +
			"  yaosuctl scenario usage 使用记录.xlsx --system 客流平台 --batch 200 -o json",
		Args: exactArgs(1, "one usage file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(system) == "" {
				return errors.New("--system is required: the name of the reporting system")
			}
			if batch < 1 || batch > maxUsageBatch {
				return fmt.Errorf("--batch must be between 1 and %d", maxUsageBatch)
			}
			if err := limits.validate(); err != nil {
				return err
			}
			rows, err := readSheet(args[0], cmd.InOrStdin(), limits)
			if err != nil {
				return err
			}
			recs, err := parseUsageRows(rows)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			client, closeConn, err := g.scenarioClient()
			if err != nil {
				return err
			}
			defer closeConn()
			// One stream carries every batch: allow --timeout per batch.
			batches := (len(recs) + batch - 1) / batch
			ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout*time.Duration(batches+1))
			defer cancel()
			stderr := cmd.ErrOrStderr()
			// Like asset import: a bar on a terminal, else lines (a log shows how far it got).
			var progress func(done, total int)
			switch {
			case quiet:
			case isTerminal(stderr):
				progress = progressBar(stderr, "reporting")
			default:
				progress = func(done, total int) { fprintfErr(stderr, "reported %d/%d records\n", done, total) }
			}
			stream, err := client.ReportUsage(ctx)
			if err != nil {
				return g.rpcFailed(err)
			}
			resp, err := sendUsage(stream, strings.TrimSpace(system), recs, batch, progress)
			if err != nil {
				err = g.rpcFailed(err)
				if outcomeUnknown(err) {
					err = fmt.Errorf("%w\nsome records may have been counted: report the same file again (repeats are ignored)", err)
				}
				return err
			}
			if err := printUsageSummary(cmd.OutOrStdout(), g.output, resp); err != nil {
				return err
			}
			if resp.GetDenied() > 0 {
				return &exitError{code: 2, err: fmt.Errorf("%d of %d records were denied", resp.GetDenied(), len(recs))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&system, "system", "", "the reporting system's `NAME` (required; record ids are unique within it)")
	f.IntVar(&batch, "batch", 500, fmt.Sprintf("records per stream message (at most %d)", maxUsageBatch))
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress output")
	limits.addFlags(f)
	return cmd
}

func printUsageSummary(w io.Writer, output string, resp *scenariov1.ReportUsageResponse) error {
	if output == outputJSON {
		return printProtoJSON(w, resp)
	}
	fprintfErr(w, "allowed %d, denied %d, duplicates %d\n", resp.GetAllowed(), resp.GetDenied(), resp.GetDuplicates())
	if len(resp.GetDenials()) == 0 {
		return nil
	}
	var t table
	t.row("RECORD", "REASON")
	for _, d := range resp.GetDenials() {
		t.row(d.GetRecordId(), d.GetReason())
	}
	fprintfErr(w, "\n")
	if err := t.write(w); err != nil {
		return err
	}
	if int64(len(resp.GetDenials())) < resp.GetDenied() {
		fprintfErr(w, "(%d more denials not listed)\n", resp.GetDenied()-int64(len(resp.GetDenials())))
	}
	return nil
}

// alertFilter holds the ListAlerts filters.
type alertFilter struct {
	scenario, minSeverity, link string
	states, rules               []string
	pageSize                    int32
	pageToken                   string
	all                         bool
}

func (o *alertFilter) register(f *pflag.FlagSet) {
	f.StringVar(&o.scenario, "scenario", "", "only alerts of this `SCENARIO`")
	f.StringArrayVar(&o.states, "state", nil, "only these states: open, acknowledged, resolved (comma-separated or repeated)")
	f.StringVar(&o.minSeverity, "min-severity", "", "only this severity and above: low, medium, high")
	f.StringArrayVar(&o.rules, "rule", nil, "only these rules: "+strings.Join(alertRules, ", ")+" (comma-separated or repeated)")
	f.StringVar(&o.link, "link", "", "only alerts of this `LINK` (scenarios/S/links/L or S/L)")
	f.Int32Var(&o.pageSize, "page-size", 0, "alerts per page; 0 means the server's default (50), at most 500")
	f.StringVar(&o.pageToken, "page-token", "", "continue from a previous page (with the same filters)")
	f.BoolVar(&o.all, "all", false, "follow page tokens until the last page")
}

// alertRules are the monitoring rules alerts are raised by.
var alertRules = []string{"outside_term", "outside_purpose", "outside_form", "suspended_asset", "suspended_grant",
	"volume_spike", "denied_usage"}

func (o *alertFilter) request() (*scenariov1.ListAlertsRequest, error) {
	if o.pageSize < 0 {
		return nil, errors.New("--page-size must not be negative")
	}
	req := &scenariov1.ListAlertsRequest{PageSize: o.pageSize}
	if strings.TrimSpace(o.scenario) != "" {
		req.Scenario = scenarioName(o.scenario)
	}
	var err error
	if strings.TrimSpace(o.link) != "" {
		if req.Link, err = linkName(o.link); err != nil {
			return nil, fmt.Errorf("--link: %w", err)
		}
	}
	for _, v := range o.rules {
		for _, r := range strings.Split(v, ",") {
			r = strings.ToLower(strings.TrimSpace(r))
			if !slices.Contains(alertRules, r) {
				return nil, fmt.Errorf("--rule: %q is not a rule (%s)", r, strings.Join(alertRules, ", "))
			}
			req.Rules = append(req.Rules, r)
		}
	}
	if req.States, err = rightsEnumList[scenariov1.AlertState]("--state", o.states); err != nil {
		return nil, err
	}
	if strings.TrimSpace(o.minSeverity) != "" {
		s, err := parseRightsEnum("--min-severity", scenariov1.Severity(0).Descriptor(), o.minSeverity)
		if err != nil {
			return nil, err
		}
		req.MinSeverity = scenariov1.Severity(s)
	}
	return req, nil
}

func scenarioAlertsCmd(g *globals) *cobra.Command {
	var o alertFilter
	cmd := &cobra.Command{
		Use:   "alerts [--scenario S | --link L] [--state open,...] [--rule R,...] [--min-severity high] [--all]",
		Short: "List monitoring alerts, newest first",
		Long: "List the monitoring alerts (过程监测) you can see, newest first: use outside a grant's term,\n" +
			"purpose or form, use of a suspended asset or grant, volume spikes and denied usage.",
		Example: "  yaosuctl scenario alerts --state open,acknowledged --min-severity high\n" +
			"  yaosuctl scenario alerts --rule suspended_grant,outside_term --state open\n" +
			"  yaosuctl scenario alerts --scenario 0199b2c3-... --all -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := o.request()
			if err != nil {
				return err
			}
			client, closeConn, err := g.scenarioClient()
			if err != nil {
				return err
			}
			defer closeConn()
			out := &scenariov1.ListAlertsResponse{}
			out.NextPageToken, err = g.pages(cmd.Context(), o.pageToken, o.all, func(ctx context.Context, token string) (string, error) {
				req.PageToken = token
				resp, err := client.ListAlerts(ctx, req)
				out.Alerts = append(out.Alerts, resp.GetAlerts()...)
				return resp.GetNextPageToken(), err
			})
			if err != nil {
				return err
			}
			return g.printPage(cmd, out, func(w io.Writer) error {
				var t table
				t.row("NAME", "SEVERITY", "STATE", "RULE", "SCENARIO", "LINK", "ASSIGNEE", "RAISED", "DETAIL")
				for _, a := range out.GetAlerts() {
					t.row(alertRow(a)...)
				}
				return t.write(w)
			}, out.NextPageToken, "More alerts: yaosuctl scenario alerts --page-token "+out.NextPageToken+" (with the same filters)")
		},
	}
	o.register(cmd.Flags())
	return cmd
}

func alertRow(a *scenariov1.Alert) []string {
	return []string{a.GetName(), enumShort(a.GetSeverity().Descriptor(), a.GetSeverity().Number()),
		enumShort(a.GetState().Descriptor(), a.GetState().Number()), a.GetRule(), a.GetScenario(),
		orDash(a.GetLink()), orDash(a.GetAssignee()), formatTime(a.GetRaiseTime()), a.GetDetail()}
}

// alertUpdate builds an UpdateAlertRequest for `scenario alert VERB`.
func alertUpdate(verb, alert, assignee, note string) (*scenariov1.UpdateAlertRequest, error) {
	req := &scenariov1.UpdateAlertRequest{Name: alertName(alert), Assignee: strings.TrimSpace(assignee), Note: note}
	switch verb {
	case "ack":
		req.State = scenariov1.AlertState_ALERT_STATE_ACKNOWLEDGED
	case "resolve":
		req.State = scenariov1.AlertState_ALERT_STATE_RESOLVED
	case "assign":
		if req.Assignee == "" {
			return nil, errors.New("--assignee is required: who handles the alert")
		}
	default:
		return nil, fmt.Errorf("unknown alert action %q", verb)
	}
	return req, nil
}

func scenarioAlertCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alert",
		Short: "Acknowledge, resolve or assign a monitoring alert",
		Example: "  yaosuctl scenario alert ack 0199d6e7-... --note '正在核查'\n" +
			"  yaosuctl scenario alert assign alerts/0199d6e7-... --assignee zhang.san\n" +
			"  yaosuctl scenario alert resolve 0199d6e7-... --note '授权已续期'",
		RunE: groupRunE,
	}
	for _, v := range []struct{ verb, short string }{
		{"ack", "Acknowledge an alert (someone is on it)"},
		{"resolve", "Resolve an alert (final)"},
		{"assign", "Assign an alert to someone"},
	} {
		var assignee, note string
		use := v.verb + " ALERT [--assignee A] [--note N]"
		if v.verb == "assign" {
			use = "assign ALERT --assignee A [--note N]"
		}
		verb := v.verb
		sub := &cobra.Command{
			Use:     use,
			Short:   v.short,
			Example: "  yaosuctl scenario alert " + verb + " 0199d6e7-... --assignee zhang.san --note '...'",
			Args:    exactArgs(1, "one alert name"),
			RunE: func(cmd *cobra.Command, args []string) error {
				req, err := alertUpdate(verb, args[0], assignee, note)
				if err != nil {
					return err
				}
				var resp *scenariov1.UpdateAlertResponse
				err = g.scenarioCall(cmd.Context(), func(ctx context.Context, c scenariov1.ScenarioServiceClient) (err error) {
					resp, err = c.UpdateAlert(ctx, req)
					return err
				})
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				if g.output == outputJSON {
					return printProtoJSON(w, resp.GetAlert())
				}
				var t table
				t.row("NAME", "SEVERITY", "STATE", "RULE", "SCENARIO", "LINK", "ASSIGNEE", "RAISED", "DETAIL")
				t.row(alertRow(resp.GetAlert())...)
				return t.write(w)
			},
		}
		sub.Flags().StringVar(&assignee, "assignee", "", "who handles it")
		sub.Flags().StringVar(&note, "note", "", "recorded with the change")
		cmd.AddCommand(sub)
	}
	return cmd
}

// outcomeFlags are the flags of `scenario outcome`.
type outcomeFlags struct {
	from, to, note         string
	revenue, costSaved     float64
	beneficiaries, service int64
}

func (o *outcomeFlags) register(f *pflag.FlagSet) {
	f.StringVar(&o.from, "from", "", "first day of the period, YYYY-MM-DD (required)")
	f.StringVar(&o.to, "to", "", "last day of the period, YYYY-MM-DD (required)")
	f.Float64Var(&o.revenue, "revenue", 0, "revenue in yuan")
	f.Float64Var(&o.costSaved, "cost-saved", 0, "cost saved in yuan")
	f.Int64Var(&o.beneficiaries, "beneficiaries", 0, "people or organisations served")
	f.Int64Var(&o.service, "services", 0, "services delivered")
	f.StringVar(&o.note, "note", "", "explains the figures")
}

func (o *outcomeFlags) request(scenario string) (*scenariov1.RecordOutcomeRequest, error) {
	from, to, err := period(o.from, o.to)
	if err != nil {
		return nil, err
	}
	if o.revenue < 0 || o.costSaved < 0 || o.beneficiaries < 0 || o.service < 0 {
		return nil, errors.New("--revenue, --cost-saved, --beneficiaries and --services must not be negative")
	}
	return &scenariov1.RecordOutcomeRequest{Outcome: &scenariov1.Outcome{
		Scenario: scenarioName(scenario), PeriodStart: from, PeriodEnd: to,
		RevenueYuan: o.revenue, CostSavedYuan: o.costSaved, Beneficiaries: o.beneficiaries,
		ServiceCount: o.service, Note: o.note,
	}}, nil
}

func scenarioOutcomeCmd(g *globals) *cobra.Command {
	var o outcomeFlags
	cmd := &cobra.Command{
		Use:   "outcome SCENARIO --from DATE --to DATE [--revenue N] [--cost-saved N] [--beneficiaries N] [--services N] [--note T]",
		Short: "Record a scenario's outcome for a period",
		Long: "Record what a scenario achieved over a period (dates YYYY-MM-DD, inclusive); it feeds\n" +
			"valuation and revenue sharing. Recording the same period again replaces it.",
		Example: "  yaosuctl scenario outcome 0199b2c3-... --from 2026-01-01 --to 2026-03-31 \\\n" +
			"      --revenue 1200000 --cost-saved 350000 --beneficiaries 48000 --note '一季度试点'",
		Args: exactArgs(1, "one scenario name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := o.request(args[0])
			if err != nil {
				return err
			}
			var resp *scenariov1.RecordOutcomeResponse
			err = g.scenarioCall(cmd.Context(), func(ctx context.Context, c scenariov1.ScenarioServiceClient) (err error) {
				resp, err = c.RecordOutcome(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if g.output == outputJSON {
				return printProtoJSON(w, resp.GetOutcome())
			}
			return printOutcomes(w, []*scenariov1.Outcome{resp.GetOutcome()})
		},
	}
	o.register(cmd.Flags())
	return cmd
}

func printOutcomes(w io.Writer, outcomes []*scenariov1.Outcome) error {
	var t table
	t.row("SCENARIO", "FROM", "TO", "REVENUE", "COST SAVED", "BENEFICIARIES", "SERVICES", "NOTE")
	for _, o := range outcomes {
		t.row(o.GetScenario(), o.GetPeriodStart(), o.GetPeriodEnd(), formatYuan(o.GetRevenueYuan()),
			formatYuan(o.GetCostSavedYuan()), strconv.FormatInt(o.GetBeneficiaries(), 10),
			strconv.FormatInt(o.GetServiceCount(), 10), orDash(o.GetNote()))
	}
	return t.write(w)
}

func formatYuan(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func scenarioReportCmd(g *globals) *cobra.Command {
	var scenario, from, to, file string
	cmd := &cobra.Command{
		Use:   "report [--scenario S] --from DATE --to DATE [-f FILE.csv|FILE.xlsx]",
		Short: "Sum usage per asset and per scenario over a period",
		Long: "Sum the allowed usage (calls, records, bytes) and count the denied records per 登记对象\n" +
			"(asset) and per 应用场景 (scenario) over a period (dates YYYY-MM-DD, inclusive), with the\n" +
			"outcomes recorded in it; one scenario with --scenario, else every scenario you may see.\n" +
			"Each asset and scenario is shown by its id and its name (an asset you may not read shows\n" +
			"its id only). -f writes the totals to a CSV or XLSX file (columns 类别, 标识, 名称, 调用次数,\n" +
			"记录数, 字节数, 拒绝记录数; 类别 is 登记对象 or 应用场景) instead of printing tables; -o json\n" +
			"prints the report as the server sends it.",
		Example: "  yaosuctl scenario report --from 2026-01-01 --to 2026-03-31\n" +
			"  yaosuctl scenario report --scenario 0199b2c3-... --from 2026-03-01 --to 2026-03-31 -f 使用统计.xlsx",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start, end, err := period(from, to)
			if err != nil {
				return err
			}
			kind := ""
			if file != "" {
				if kind, err = sheetKind(file); err != nil {
					return err
				}
			}
			req := &scenariov1.GetUsageReportRequest{PeriodStart: start, PeriodEnd: end}
			if strings.TrimSpace(scenario) != "" {
				req.Scenario = scenarioName(scenario)
			}
			var resp *scenariov1.GetUsageReportResponse
			err = g.scenarioCall(cmd.Context(), func(ctx context.Context, c scenariov1.ScenarioServiceClient) (err error) {
				resp, err = c.GetUsageReport(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if g.output == outputJSON && file == "" {
				return printProtoJSON(w, resp)
			}
			names := g.reportNames(cmd.Context(), resp)
			if file != "" {
				if err := writeUsageReport(file, kind, resp, names); err != nil {
					return err
				}
				fprintfErr(cmd.ErrOrStderr(), "wrote %d asset and %d scenario totals to %s\n", len(resp.GetPerAsset()), len(resp.GetPerScenario()), file)
				return nil
			}
			return printUsageReport(w, resp, names)
		},
	}
	f := cmd.Flags()
	f.StringVar(&scenario, "scenario", "", "only this `SCENARIO`")
	f.StringVar(&from, "from", "", "first day, YYYY-MM-DD (required)")
	f.StringVar(&to, "to", "", "last day, YYYY-MM-DD (required)")
	f.StringVarP(&file, "file", "f", "", "write the totals to this CSV or XLSX `FILE`")
	return cmd
}

// displayNames maps asset and scenario ids (assets/…, scenarios/…) to their display names;
// an id missing from it is shown alone.
type displayNames map[string]string

// reportNames looks up the names of the assets and scenarios a report names: once each,
// over one connection. An asset the caller may not read (another organisation's) keeps its
// id only; when the server cannot be asked at all the lookups stop, and the report is shown
// with ids alone rather than not at all.
func (g *globals) reportNames(ctx context.Context, resp *scenariov1.GetUsageReportResponse) displayNames {
	names := displayNames{}
	conn, err := g.dial()
	if err != nil {
		return names
	}
	defer conn.Close()
	catalog, scenarios := catalogv1.NewCatalogServiceClient(conn), scenariov1.NewScenarioServiceClient(conn)
	seen := map[string]bool{}
	unreachable := false
	lookup := func(key string) {
		if key == "" || seen[key] || unreachable {
			return
		}
		seen[key] = true
		cctx, cancel := context.WithTimeout(ctx, g.timeout)
		defer cancel()
		var name string
		var err error
		switch {
		case strings.HasPrefix(key, assetNamePrefix):
			var r *catalogv1.GetAssetResponse
			if r, err = catalog.GetAsset(cctx, &catalogv1.GetAssetRequest{Name: key}); err == nil {
				name = r.GetAsset().GetDisplayName()
			}
		case strings.HasPrefix(key, scenarioNamePrefix):
			var r *scenariov1.GetScenarioResponse
			if r, err = scenarios.GetScenario(cctx, &scenariov1.GetScenarioRequest{Name: key}); err == nil {
				name = r.GetScenario().GetDisplayName()
			}
		}
		switch status.Code(err) {
		case codes.Unavailable, codes.DeadlineExceeded, codes.Unauthenticated, codes.Canceled:
			unreachable = true
		}
		if name != "" {
			names[key] = name
		}
	}
	for _, u := range resp.GetPerAsset() {
		lookup(u.GetKey())
	}
	for _, u := range resp.GetPerScenario() {
		lookup(u.GetKey())
	}
	for _, o := range resp.GetOutcomes() {
		lookup(o.GetScenario())
	}
	return names
}

// name is the display name of id, or "-".
func (n displayNames) name(id string) string { return orDash(n[id]) }

// usageReportHeader heads the columns of `scenario report -f`.
var usageReportHeader = []any{"类别", "标识", "名称", "调用次数", "记录数", "字节数", "拒绝记录数"}

// usageReportRows are the report's totals as sheet rows: per asset, then per scenario.
func usageReportRows(resp *scenariov1.GetUsageReportResponse, names displayNames) [][]any {
	var rows [][]any
	for _, part := range []struct {
		kind   string
		totals []*scenariov1.UsageTotal
	}{{"登记对象", resp.GetPerAsset()}, {"应用场景", resp.GetPerScenario()}} {
		for _, u := range part.totals {
			rows = append(rows, []any{part.kind, u.GetKey(), names[u.GetKey()], u.GetCalls(), u.GetRecords(), u.GetBytes(), u.GetDenied()})
		}
	}
	return rows
}

// writeUsageReport writes the totals to path (kind "csv" or "xlsx") through a temporary file.
func writeUsageReport(path, kind string, resp *scenariov1.GetUsageReportResponse, names displayNames) error {
	out, commit, abort, err := createOutput(path, nil)
	if err != nil {
		return err
	}
	defer abort()
	var sw sheetWriter
	if kind == "xlsx" {
		x, err := newXLSXSheet(out, []float64{10, 50, 30, 14, 14, 16, 12})
		if err != nil {
			return err
		}
		sw = &renamedXLSX{x}
	} else if sw, err = newCSVSheet(out); err != nil {
		return err
	}
	if err := sw.write(usageReportHeader); err != nil {
		return err
	}
	for _, r := range usageReportRows(resp, names) {
		if err := sw.write(r); err != nil {
			return err
		}
	}
	if err := sw.close(); err != nil {
		return err
	}
	return commit()
}

// renamedXLSX is an xlsxSheet whose sheet is named reportSheet rather than the catalogue's.
type renamedXLSX struct{ *xlsxSheet }

func (s *renamedXLSX) close() error {
	if err := s.sw.Flush(); err != nil {
		return err
	}
	if err := s.f.SetSheetName(sheetCatalogue, reportSheet); err != nil {
		return err
	}
	if err := s.f.Write(s.out); err != nil {
		return err
	}
	return s.f.Close()
}

func printUsageReport(w io.Writer, resp *scenariov1.GetUsageReportResponse, names displayNames) error {
	for i, part := range []struct {
		title  string
		totals []*scenariov1.UsageTotal
	}{{"登记对象", resp.GetPerAsset()}, {"应用场景", resp.GetPerScenario()}} {
		if i > 0 {
			fprintfErr(w, "\n")
		}
		var t table
		t.row(part.title, "名称", "调用次数", "记录数", "字节数", "拒绝记录数")
		for _, u := range part.totals {
			t.row(u.GetKey(), names.name(u.GetKey()), strconv.FormatInt(u.GetCalls(), 10), strconv.FormatInt(u.GetRecords(), 10),
				strconv.FormatInt(u.GetBytes(), 10), strconv.FormatInt(u.GetDenied(), 10))
		}
		if err := t.write(w); err != nil {
			return err
		}
	}
	if len(resp.GetOutcomes()) == 0 {
		return nil
	}
	fprintfErr(w, "\n成效\n")
	var t table
	t.row("应用场景", "名称", "起", "止", "收益（元）", "节约成本（元）", "受益人数", "服务次数", "备注")
	for _, o := range resp.GetOutcomes() {
		t.row(o.GetScenario(), names.name(o.GetScenario()), o.GetPeriodStart(), o.GetPeriodEnd(), formatYuan(o.GetRevenueYuan()),
			formatYuan(o.GetCostSavedYuan()), strconv.FormatInt(o.GetBeneficiaries(), 10),
			strconv.FormatInt(o.GetServiceCount(), 10), orDash(o.GetNote()))
	}
	return t.write(w)
}

// sectorText is a sector code with its Chinese label.
func sectorText(code string) string {
	if l := purposeLabels[code]; len(l) > 0 {
		return code + " (" + l[0] + ")"
	}
	return orDash(code)
}

func linkState(l *scenariov1.Link) string {
	s := enumShort(l.GetState().Descriptor(), l.GetState().Number())
	if l.GetStateReason() != "" {
		s += " (" + l.GetStateReason() + ")"
	}
	return s
}

func printScenario(w io.Writer, output string, s *scenariov1.Scenario) error {
	if output == outputJSON {
		return printProtoJSON(w, s)
	}
	var t table
	optional := func(label, value string) {
		if value != "" {
			t.row(label, value)
		}
	}
	t.row("NAME", s.GetName())
	t.row("DISPLAY NAME", s.GetDisplayName())
	t.row("SECTOR", sectorText(s.GetSector()))
	t.row("REGION", orDash(s.GetRegion()))
	t.row("STATE", enumShort(s.GetState().Descriptor(), s.GetState().Number()))
	t.row("OPERATOR", orDash(s.GetOperatorOrganisation()))
	optional("OBJECTIVE", s.GetObjective())
	optional("DESCRIPTION", s.GetDescription())
	for _, k := range s.GetKpis() {
		v := strconv.FormatFloat(k.GetTarget(), 'f', -1, 64)
		if k.GetUnit() != "" {
			v += " " + k.GetUnit()
		}
		t.row("KPI", k.GetName()+" = "+v)
	}
	t.row("REVISION", strconv.FormatInt(s.GetRevision(), 10))
	t.row("ETAG", orDash(s.GetEtag()))
	t.row("CREATED", formatTime(s.GetCreateTime()))
	t.row("UPDATED", formatTime(s.GetUpdateTime()))
	return t.write(w)
}

func printLink(w io.Writer, l *scenariov1.Link) error {
	var t table
	t.row("NAME", l.GetName())
	t.row("ASSET", l.GetAsset())
	t.row("GRANT", orDash(l.GetGrant()))
	t.row("RIGHT", enumLabelOf(l.GetRight().Descriptor(), l.GetRight().Number()))
	t.row("FORM", enumLabelOf(l.GetDeliveryForm().Descriptor(), l.GetDeliveryForm().Number()))
	t.row("STATE", linkState(l))
	t.row("BASELINE", strconv.FormatInt(l.GetDailyBaselineRecords(), 10)+" records/day")
	if l.GetReason() != "" {
		t.row("REASON", l.GetReason())
	}
	t.row("LINKER", orDash(l.GetLinker()))
	t.row("CREATED", formatTime(l.GetCreateTime()))
	t.row("UPDATED", formatTime(l.GetUpdateTime()))
	return t.write(w)
}
