package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

// applicationTypes maps the --type spellings to application types.
var applicationTypes = map[string]catalogv1.ApplicationType{
	"first":        catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION,
	"change":       catalogv1.ApplicationType_APPLICATION_TYPE_CHANGE,
	"correction":   catalogv1.ApplicationType_APPLICATION_TYPE_CORRECTION,
	"cancellation": catalogv1.ApplicationType_APPLICATION_TYPE_CANCELLATION,
}

// submitOptions are the flags of `asset submit` and its shortcuts.
type submitOptions struct {
	typ          string
	edit         assetEdit
	reason, etag string
}

// catalogCall connects, runs fn with a per-request deadline, and closes.
func (g *globals) catalogCall(ctx context.Context, fn func(context.Context, catalogv1.CatalogServiceClient) error) error {
	return unary(ctx, g, catalogv1.NewCatalogServiceClient, fn)
}

func submitApplication(cmd *cobra.Command, g *globals, asset string, o *submitOptions) error {
	typ, ok := applicationTypes[strings.ToLower(strings.TrimSpace(o.typ))]
	if !ok {
		n, err := parseEnum(catalogv1.ApplicationType(0).Descriptor(), o.typ)
		if err != nil || n == 0 {
			return fmt.Errorf("--type must be first, change, correction or cancellation, not %q", o.typ)
		}
		typ = catalogv1.ApplicationType(n)
	}
	req := &catalogv1.SubmitApplicationRequest{Parent: assetName(asset), Type: typ, Reason: o.reason, Etag: o.etag}
	switch typ {
	case catalogv1.ApplicationType_APPLICATION_TYPE_CHANGE, catalogv1.ApplicationType_APPLICATION_TYPE_CORRECTION:
		if o.edit.empty() {
			return errors.New("a change or correction proposes new values: give --set PATH=VALUE or --from-file")
		}
		o.edit.codes = g.lazyCodeBook(cmd)
		proposed, mask, err := o.edit.build(cmd.InOrStdin(), immutablePaths)
		if err != nil {
			return err
		}
		if len(mask) == 0 {
			return errors.New("the proposal changes no field (use --set, or --mask with --from-file)")
		}
		clearOutputOnly(proposed)
		req.Proposed, req.UpdateMask = proposed, fieldMask(mask)
		if strings.TrimSpace(o.reason) == "" {
			return errors.New("--reason is required for a change or correction")
		}
	case catalogv1.ApplicationType_APPLICATION_TYPE_CANCELLATION:
		if strings.TrimSpace(o.reason) == "" {
			return errors.New("--reason is required for a cancellation")
		}
		if !o.edit.empty() {
			return errors.New("a cancellation takes no --set or --from-file")
		}
	default:
		if !o.edit.empty() {
			return errors.New("a first registration submits the draft as it is: change it with `asset update` first")
		}
	}
	var resp *catalogv1.SubmitApplicationResponse
	err := g.catalogCall(cmd.Context(), func(ctx context.Context, c catalogv1.CatalogServiceClient) (err error) {
		resp, err = c.SubmitApplication(ctx, req)
		return err
	})
	if err != nil {
		return err
	}
	return printApplicationResult(cmd.OutOrStdout(), g.output, resp, resp.GetApplication(), resp.GetAsset())
}

func assetSubmitCmd(g *globals) *cobra.Command {
	o := &submitOptions{}
	cmd := &cobra.Command{
		Use:   "submit NAME [--type first|change|correction|cancellation] [--set PATH=VALUE ...|--from-file F] [--reason R]",
		Short: "File an application on an asset (申请)",
		Long: "File an application: a first registration (首次登记, default) submits a complete draft; a\n" +
			"change (变更) or correction (更正) of a registered asset proposes new values with --set or\n" +
			"--from-file (the fields named become the update mask, or give --mask); a cancellation\n" +
			"(注销) asks to cancel the registration. Change, correction and cancellation need --reason.\n" +
			"A first registration that lacks required fields fails with ERROR_REASON_INCOMPLETE_RECORD\n" +
			"naming them.",
		Example: "  yaosuctl asset submit 0198c6f2-...\n" +
			"  yaosuctl asset submit 0198c6f2-... --type change --set summary='新增 2025 年数据' --reason '数据范围扩大'\n" +
			"  yaosuctl asset submit 0198c6f2-... --type cancellation --reason '系统下线'",
		Args: exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error { return submitApplication(cmd, g, args[0], o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.typ, "type", "first", "application type: first, change, correction or cancellation")
	o.edit.flags(f, true)
	f.StringVar(&o.reason, "reason", "", "why; required for change, correction and cancellation")
	f.StringVar(&o.etag, "etag", "", "the asset's etag as you read it; fails with ABORTED if it changed since")
	return cmd
}

// assetChangeCmd is `asset change` or `asset correct`: submit --type change|correction.
func assetChangeCmd(g *globals, verb string) *cobra.Command {
	o := &submitOptions{typ: "change"}
	short, what := "Apply to change a registered asset (变更登记)", "change"
	if verb == "correct" {
		o.typ, short, what = "correction", "Apply to correct errors in a registered asset (更正登记)", "correction"
	}
	cmd := &cobra.Command{
		Use:   verb + " NAME --set PATH=VALUE ... [--from-file F] --reason R",
		Short: short,
		Long: "Shortcut for `asset submit NAME --type " + what + "`. The registered version stays valid\n" +
			"while the application is reviewed" + map[bool]string{true: " and publicised.", false: " (no publicity)."}[what == "change"],
		Example: "  yaosuctl asset " + verb + " 0198c6f2-... --set update_cycle=daily --reason '改为每日更新'\n" +
			"  yaosuctl asset " + verb + " 0198c6f2-... --from-file proposal.json --mask summary,fields --reason '补充信息项'",
		Args: exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error { return submitApplication(cmd, g, args[0], o) },
	}
	f := cmd.Flags()
	o.edit.flags(f, true)
	f.StringVar(&o.reason, "reason", "", "why (required)")
	f.StringVar(&o.etag, "etag", "", "the asset's etag as you read it")
	return cmd
}

func assetCancelCmd(g *globals) *cobra.Command {
	o := &submitOptions{typ: "cancellation"}
	cmd := &cobra.Command{
		Use:     "cancel NAME --reason R",
		Short:   "Apply to cancel a registration (注销登记)",
		Long:    "Shortcut for `asset submit NAME --type cancellation`. Once passed, the certificate is\nrevoked and the registration number is never reused.",
		Example: "  yaosuctl asset cancel 0198c6f2-... --reason '业务系统停用，数据不再维护'",
		Args:    exactArgs(1, "one asset name"),
		RunE:    func(cmd *cobra.Command, args []string) error { return submitApplication(cmd, g, args[0], o) },
	}
	cmd.Flags().StringVar(&o.reason, "reason", "", "why (required)")
	cmd.Flags().StringVar(&o.etag, "etag", "", "the asset's etag as you read it")
	return cmd
}

// applicationRef accepts `assets/A/applications/B` or `A/applications/B`.
func applicationRef(arg string) string {
	arg = strings.TrimSpace(arg)
	if strings.HasPrefix(arg, assetNamePrefix) {
		return arg
	}
	return assetNamePrefix + arg
}

// resolveApplication returns the application arg names: an application name as it is, or
// for an asset name or id the asset's open application.
func resolveApplication(ctx context.Context, g *globals, c catalogv1.CatalogServiceClient, arg string) (string, error) {
	if strings.Contains(arg, "/applications/") {
		return applicationRef(arg), nil
	}
	resp, err := c.GetAsset(ctx, &catalogv1.GetAssetRequest{Name: assetName(arg)})
	if err != nil {
		return "", g.rpcFailed(err)
	}
	if resp.GetAsset().GetOpenApplication() == "" {
		return "", fmt.Errorf("%s has no open application (state %s)", resp.GetAsset().GetName(), assetState(resp.GetAsset().GetState()))
	}
	return resp.GetAsset().GetOpenApplication(), nil
}

// applicationCall resolves the application named by arg and runs fn on it.
func (g *globals) applicationCall(cmd *cobra.Command, arg string, fn func(context.Context, catalogv1.CatalogServiceClient, string) error) error {
	client, closeConn, err := g.catalogClient()
	if err != nil {
		return err
	}
	defer closeConn()
	ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
	defer cancel()
	name, err := resolveApplication(ctx, g, client, arg)
	if err != nil {
		return err
	}
	if err := fn(ctx, client, name); err != nil {
		return g.rpcFailed(err)
	}
	return nil
}

const appArgHelp = "APP is the application's name, assets/ASSET/applications/ID, or an asset's name or id to\n" +
	"act on its open application."

func applicationCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "application",
		Aliases: []string{"app"},
		Short:   "Review and follow registration applications (受理, 形式审核, 公示)",
		Long: "Applications move SUBMITTED → ACCEPTED (受理) | NOT_ACCEPTED → (形式审核) IN_PUBLICITY (公示) |\n" +
			"RETURNED | REFUSED → APPROVED; CORRECTION and CANCELLATION take effect when passed.\n" +
			"Registrars file them with `asset submit`; reviewers decide here.\n" + appArgHelp,
		RunE: groupRunE,
	}
	cmd.AddCommand(applicationListCmd(g), applicationGetCmd(g),
		applicationDecideCmd(g, "accept"), applicationDecideCmd(g, "not-accept"), applicationReviewCmd(g),
		applicationResubmitCmd(g), applicationWithdrawCmd(g), applicationObjectCmd(g), applicationResolveCmd(g))
	return cmd
}

func applicationListCmd(g *globals) *cobra.Command {
	var (
		states    []string
		pageSize  int32
		pageToken string
		all       bool
	)
	cmd := &cobra.Command{
		Use:   "list [ASSET|-] [--state S ...] [--page-size N] [--all]",
		Short: "List applications of one asset, or the registry's work queue",
		Long: "List applications newest first: of one asset, or of every asset you may see (- or no\n" +
			"argument: the registry's work queue for reviewers, your organisation's for registrars).",
		Example: "  yaosuctl application list --state SUBMITTED\n" +
			"  yaosuctl application list 0198c6f2-...\n" +
			"  yaosuctl application list - --state ACCEPTED,IN_PUBLICITY --all -o json",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			parent := "assets/-"
			if len(args) == 1 && args[0] != "-" {
				parent = assetName(args[0])
			}
			st, err := parseEnums[catalogv1.ApplicationState]("--state", states)
			if err != nil {
				return err
			}
			if pageSize < 0 {
				return errors.New("--page-size must not be negative")
			}
			out := &catalogv1.ListApplicationsResponse{}
			req := &catalogv1.ListApplicationsRequest{Parent: parent, States: st, PageSize: pageSize, PageToken: pageToken}
			client, closeConn, err := g.catalogClient()
			if err != nil {
				return err
			}
			defer closeConn()
			out.NextPageToken, err = g.pages(cmd.Context(), req.PageToken, all, func(ctx context.Context, token string) (string, error) {
				req.PageToken = token
				resp, err := client.ListApplications(ctx, req)
				out.Applications = append(out.Applications, resp.GetApplications()...)
				return resp.GetNextPageToken(), err
			})
			if err != nil {
				return err
			}
			return g.printPage(cmd, out, func(w io.Writer) error {
				var t table
				t.row("NAME", "TYPE", "STATE", "SUBMITTER", "SUBMITTED", "UPDATED")
				for _, a := range out.GetApplications() {
					t.row(a.GetName(), applicationType(a.GetType()), applicationState(a.GetState()),
						orDash(a.GetSubmitter()), formatTime(a.GetSubmitTime()), formatTime(a.GetUpdateTime()))
				}
				return t.write(w)
			}, out.NextPageToken, "More applications: yaosuctl application list "+parent+" --page-token "+out.NextPageToken)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&states, "state", nil, "only these states: SUBMITTED, ACCEPTED, NOT_ACCEPTED, RETURNED, REFUSED, IN_PUBLICITY, APPROVED, WITHDRAWN")
	f.Int32Var(&pageSize, "page-size", 0, "applications per page; 0 means 50, at most 500")
	f.StringVar(&pageToken, "page-token", "", "continue from a previous page")
	f.BoolVar(&all, "all", false, "follow page tokens until the last page")
	return cmd
}

func applicationGetCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "get APP",
		Short: "Show an application with its history and objections",
		Long:  "Show an application: its type, state, proposal, every decision and every objection.\n" + appArgHelp,
		Example: "  yaosuctl application get assets/0198c6f2-.../applications/0198c6f3-...\n" +
			"  yaosuctl application get 0198c6f2-... -o json   # the asset's open application",
		Args: exactArgs(1, "one application name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.applicationCall(cmd, args[0], func(ctx context.Context, c catalogv1.CatalogServiceClient, name string) error {
				resp, err := c.GetApplication(ctx, &catalogv1.GetApplicationRequest{Name: name})
				if err != nil {
					return err
				}
				if g.output == outputJSON {
					return printProtoJSON(cmd.OutOrStdout(), resp.GetApplication())
				}
				return printApplication(cmd.OutOrStdout(), resp.GetApplication())
			})
		},
	}
}

// decide sends a DecideApplication and prints the outcome.
func decide(cmd *cobra.Command, g *globals, arg string, d catalogv1.Decision, code, reason string) error {
	return g.applicationCall(cmd, arg, func(ctx context.Context, c catalogv1.CatalogServiceClient, name string) error {
		resp, err := c.DecideApplication(ctx, &catalogv1.DecideApplicationRequest{Name: name, Decision: d, ReasonCode: code, Reason: reason})
		if err != nil {
			return err
		}
		return printApplicationResult(cmd.OutOrStdout(), g.output, resp, resp.GetApplication(), resp.GetAsset())
	})
}

// applicationDecideCmd is `application accept` or `application not-accept` (受理).
func applicationDecideCmd(g *globals, verb string) *cobra.Command {
	var code, reason string
	cmd := &cobra.Command{
		Use:   verb + " APP [--reason R]",
		Short: "Accept a submitted application (受理): formal review starts",
		Long:  "Accept a submitted application; formal review starts. Reviewers only, never on an\napplication they submitted.\n" + appArgHelp,
		Example: "  yaosuctl application accept assets/0198c6f2-.../applications/0198c6f3-...\n" +
			"  yaosuctl application accept 0198c6f2-...",
		Args: exactArgs(1, "one application name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if verb == "not-accept" {
				if strings.TrimSpace(code) == "" || strings.TrimSpace(reason) == "" {
					return errors.New("not accepting needs --code (a refusal_reason code, see `yaosuctl codes list --list refusal_reason`) and --reason")
				}
				return decide(cmd, g, args[0], catalogv1.Decision_DECISION_NOT_ACCEPT, code, reason)
			}
			return decide(cmd, g, args[0], catalogv1.Decision_DECISION_ACCEPT, code, reason)
		},
	}
	if verb == "not-accept" {
		cmd.Use = verb + " APP --code C --reason R"
		cmd.Short = "Do not accept a submitted application (不予受理)"
		cmd.Long = "Do not accept a submitted application, with a refusal_reason code and an explanation.\n" +
			"The holder may correct the draft and apply again.\n" + appArgHelp
		cmd.Example = "  yaosuctl application not-accept 0198c6f2-... --code INCOMPLETE_MATERIALS --reason '缺少登记承诺书'"
	}
	cmd.Flags().StringVar(&code, "code", "", "reason code from the refusal_reason code list (required for not-accept)")
	cmd.Flags().StringVar(&reason, "reason", "", "explanation (required for not-accept)")
	return cmd
}

func applicationReviewCmd(g *globals) *cobra.Command {
	var code, reason string
	decisions := map[string]catalogv1.Decision{
		"pass":   catalogv1.Decision_DECISION_PASS,
		"return": catalogv1.Decision_DECISION_RETURN,
		"refuse": catalogv1.Decision_DECISION_REFUSE,
	}
	cmd := &cobra.Command{
		Use:   "review APP pass|return|refuse [--code C] [--reason R]",
		Short: "Decide the formal review (形式审核) of an accepted application",
		Long: "Decide the formal review of an accepted application:\n" +
			"  pass    a first registration or change goes into publicity (公示); a correction or\n" +
			"          cancellation takes effect;\n" +
			"  return  back to the holder for correction (--reason required);\n" +
			"  refuse  refused for good (--code from the refusal_reason list, and --reason).\n" + appArgHelp,
		Example: "  yaosuctl application review 0198c6f2-... pass\n" +
			"  yaosuctl application review 0198c6f2-... return --reason '数据来源说明不充分'\n" +
			"  yaosuctl application review 0198c6f2-... refuse --code CORE_DATA --reason '涉及核心数据'",
		Args: exactArgs(2, "an application name and a decision (pass, return or refuse)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, ok := decisions[strings.ToLower(args[1])]
			if !ok {
				return fmt.Errorf("decision must be pass, return or refuse, not %q", args[1])
			}
			switch {
			case d == catalogv1.Decision_DECISION_RETURN && strings.TrimSpace(reason) == "":
				return errors.New("returning needs --reason: what the holder must correct")
			case d == catalogv1.Decision_DECISION_REFUSE && (strings.TrimSpace(code) == "" || strings.TrimSpace(reason) == ""):
				return errors.New("refusing needs --code (a refusal_reason code) and --reason")
			}
			return decide(cmd, g, args[0], d, code, reason)
		},
	}
	cmd.Flags().StringVar(&code, "code", "", "reason code from the refusal_reason code list (required for refuse)")
	cmd.Flags().StringVar(&reason, "reason", "", "explanation (required for return and refuse)")
	return cmd
}

func applicationResubmitCmd(g *globals) *cobra.Command {
	var (
		edit   assetEdit
		reason string
	)
	cmd := &cobra.Command{
		Use:   "resubmit APP [--set PATH=VALUE ...|--from-file F] [--reason R]",
		Short: "Send a returned application back for review",
		Long: "Send a RETURNED application back for review. For a first registration, correct the draft\n" +
			"with `asset update` first; for a change or correction, --set / --from-file replace the\n" +
			"proposal's fields.\n" + appArgHelp,
		Example: "  yaosuctl application resubmit 0198c6f2-... --reason '已补充来源说明'\n" +
			"  yaosuctl application resubmit assets/0198c6f2-.../applications/0198c6f3-... --set summary=... --reason '修正摘要'",
		Args: exactArgs(1, "one application name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &catalogv1.ResubmitApplicationRequest{Reason: reason}
			if !edit.empty() || len(edit.mask) > 0 {
				edit.codes = g.lazyCodeBook(cmd)
				proposed, mask, err := edit.build(cmd.InOrStdin(), immutablePaths)
				if err != nil {
					return err
				}
				clearOutputOnly(proposed)
				req.Proposed, req.UpdateMask = proposed, fieldMask(mask)
			}
			return g.applicationCall(cmd, args[0], func(ctx context.Context, c catalogv1.CatalogServiceClient, name string) error {
				req.Name = name
				resp, err := c.ResubmitApplication(ctx, req)
				if err != nil {
					return err
				}
				return printApplicationResult(cmd.OutOrStdout(), g.output, resp, resp.GetApplication(), resp.GetAsset())
			})
		},
	}
	edit.flags(cmd.Flags(), true)
	cmd.Flags().StringVar(&reason, "reason", "", "what was corrected")
	return cmd
}

func applicationWithdrawCmd(g *globals) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     "withdraw APP [--reason R]",
		Short:   "Withdraw an application before the registry decides",
		Long:    "Withdraw an application (the applicant's organisation) before the registry decides on it.\n" + appArgHelp,
		Example: "  yaosuctl application withdraw 0198c6f2-... --reason '材料需重新准备'",
		Args:    exactArgs(1, "one application name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.applicationCall(cmd, args[0], func(ctx context.Context, c catalogv1.CatalogServiceClient, name string) error {
				resp, err := c.WithdrawApplication(ctx, &catalogv1.WithdrawApplicationRequest{Name: name, Reason: reason})
				if err != nil {
					return err
				}
				return printApplicationResult(cmd.OutOrStdout(), g.output, resp, resp.GetApplication(), resp.GetAsset())
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why")
	return cmd
}

func applicationObjectCmd(g *globals) *cobra.Command {
	var text string
	cmd := &cobra.Command{
		Use:   "object APP --text T",
		Short: "File an objection (异议) against an application in publicity",
		Long: "File an objection against an application in publicity (公示). Anyone authenticated may,\n" +
			"except auditors; publicity cannot end while an objection is unresolved.\n" + appArgHelp,
		Example: "  yaosuctl application object 0198c6f2-... --text '该数据的持有权存在争议，见（2025）闽01民初123号'",
		Args:    exactArgs(1, "one application name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(text) == "" {
				return errors.New("--text is required: the objection and its grounds")
			}
			return g.applicationCall(cmd, args[0], func(ctx context.Context, c catalogv1.CatalogServiceClient, name string) error {
				resp, err := c.FileObjection(ctx, &catalogv1.FileObjectionRequest{Parent: name, Text: text})
				if err != nil {
					return err
				}
				if g.output == outputJSON {
					return printProtoJSON(cmd.OutOrStdout(), resp.GetObjection())
				}
				return printObjection(cmd.OutOrStdout(), resp.GetObjection())
			})
		},
	}
	cmd.Flags().StringVar(&text, "text", "", "the objection and its grounds (required)")
	return cmd
}

func applicationResolveCmd(g *globals) *cobra.Command {
	var resolution string
	outcomes := map[string]catalogv1.ObjectionState{
		"dismiss": catalogv1.ObjectionState_OBJECTION_STATE_DISMISSED,
		"uphold":  catalogv1.ObjectionState_OBJECTION_STATE_UPHELD,
	}
	cmd := &cobra.Command{
		Use:   "resolve OBJECTION dismiss|uphold --resolution R",
		Short: "Resolve an objection: dismiss it, or uphold it and return the application",
		Long: "Resolve an objection (reviewers). dismiss lets the application go on; uphold returns it\n" +
			"for correction. OBJECTION is assets/A/applications/B/objections/C.",
		Example: "  yaosuctl application resolve assets/0198.../applications/0198.../objections/0198... dismiss --resolution '争议已由法院判决'",
		Args:    exactArgs(2, "an objection name and an outcome (dismiss or uphold)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			outcome, ok := outcomes[strings.ToLower(args[1])]
			if !ok {
				return fmt.Errorf("outcome must be dismiss or uphold, not %q", args[1])
			}
			if strings.TrimSpace(resolution) == "" {
				return errors.New("--resolution is required: explain the outcome")
			}
			name := applicationRef(args[0])
			if !strings.Contains(name, "/objections/") {
				return fmt.Errorf("%q is not an objection name (assets/A/applications/B/objections/C)", args[0])
			}
			var resp *catalogv1.ResolveObjectionResponse
			err := g.catalogCall(cmd.Context(), func(ctx context.Context, c catalogv1.CatalogServiceClient) (err error) {
				resp, err = c.ResolveObjection(ctx, &catalogv1.ResolveObjectionRequest{Name: name, Outcome: outcome, Resolution: resolution})
				return err
			})
			if err != nil {
				return err
			}
			if g.output == outputJSON {
				return printProtoJSON(cmd.OutOrStdout(), resp)
			}
			return printApplication(cmd.OutOrStdout(), resp.GetApplication())
		},
	}
	cmd.Flags().StringVar(&resolution, "resolution", "", "how and why it was resolved (required)")
	return cmd
}

func assetSuspendCmd(g *globals) *cobra.Command {
	var summary, reference string
	cmd := &cobra.Command{
		Use:     "suspend NAME --incident TEXT [--reference REF]",
		Short:   "Suspend a registered asset while an incident is handled (暂停)",
		Long:    "Suspend a registered asset and record the incident that requires it (reviewers). Reinstate\nit with `asset reinstate` once the incident is resolved.",
		Example: "  yaosuctl asset suspend 0198c6f2-... --incident '疑似数据泄露，暂停使用' --reference INC-2026-0042",
		Args:    exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(summary) == "" {
				return errors.New("--incident is required: what happened")
			}
			return g.assetAction(cmd, func(ctx context.Context, c catalogv1.CatalogServiceClient) (*catalogv1.Asset, error) {
				resp, err := c.SuspendAsset(ctx, &catalogv1.SuspendAssetRequest{Name: assetName(args[0]),
					Incident: &catalogv1.Incident{Summary: summary, Reference: reference}})
				return resp.GetAsset(), err
			})
		},
	}
	cmd.Flags().StringVar(&summary, "incident", "", "what happened (required)")
	cmd.Flags().StringVar(&reference, "reference", "", "the incident's id in your incident system")
	return cmd
}

func assetReinstateCmd(g *globals) *cobra.Command {
	var resolution string
	cmd := &cobra.Command{
		Use:     "reinstate NAME --resolution R",
		Short:   "Lift a suspension; the incident is resolved",
		Example: "  yaosuctl asset reinstate 0198c6f2-... --resolution '排查完毕，未发现泄露'",
		Args:    exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(resolution) == "" {
				return errors.New("--resolution is required: how the incident was resolved")
			}
			return g.assetAction(cmd, func(ctx context.Context, c catalogv1.CatalogServiceClient) (*catalogv1.Asset, error) {
				resp, err := c.ReinstateAsset(ctx, &catalogv1.ReinstateAssetRequest{Name: assetName(args[0]), Resolution: resolution})
				return resp.GetAsset(), err
			})
		},
	}
	cmd.Flags().StringVar(&resolution, "resolution", "", "how the incident was resolved (required)")
	return cmd
}

// assetAction runs an RPC that answers with the asset and prints it.
func (g *globals) assetAction(cmd *cobra.Command, fn func(context.Context, catalogv1.CatalogServiceClient) (*catalogv1.Asset, error)) error {
	var a *catalogv1.Asset
	err := g.catalogCall(cmd.Context(), func(ctx context.Context, c catalogv1.CatalogServiceClient) (err error) {
		a, err = fn(ctx, c)
		return err
	})
	if err != nil {
		return err
	}
	return printAsset(cmd.OutOrStdout(), g.output, a)
}

func assetDisposeCmd(g *globals) *cobra.Command {
	var (
		method, reason string
		evidence       []string
		files          []string
	)
	cmd := &cobra.Command{
		Use:   "dispose NAME --method M --reason R [--evidence name:sha256:size ...] [--evidence-file FILE ...]",
		Short: "Request that an asset's data be destroyed (销毁处置)",
		Long: "Request the disposal of a registered, suspended or cancelled asset: how the data is\n" +
			"destroyed, why, and the documents recording it. A second person (reviewer or admin)\n" +
			"approves or rejects with `asset dispose-approve` / `asset dispose-reject`; once approved\n" +
			"the asset is DISPOSED for good (the record is kept).\n\n" +
			"--evidence names a document by name, SHA-256 and size (name:sha256:size or\n" +
			"name|sha256|size[|kind]); --evidence-file hashes a local file for you.",
		Example: "  yaosuctl asset dispose 0198c6f2-... --method '存储介质物理销毁' --reason '保存期满' --evidence-file 销毁记录.pdf\n" +
			"  yaosuctl asset dispose 0198c6f2-... --method overwrite --reason expired --evidence 'record.pdf:9f86d08...:1024'",
		Args: exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(method) == "" || strings.TrimSpace(reason) == "" {
				return errors.New("--method and --reason are required")
			}
			d := &catalogv1.Disposal{Method: method, Reason: reason}
			for _, e := range evidence {
				doc, err := parseDocument(e)
				if err != nil {
					return fmt.Errorf("--evidence: %w", err)
				}
				doc.Kind = cmpOr(doc.GetKind(), "disposal_evidence")
				d.Evidence = append(d.Evidence, doc)
			}
			for _, f := range files {
				doc, err := documentOf(f)
				if err != nil {
					return fmt.Errorf("--evidence-file: %w", err)
				}
				d.Evidence = append(d.Evidence, doc)
			}
			return g.assetAction(cmd, func(ctx context.Context, c catalogv1.CatalogServiceClient) (*catalogv1.Asset, error) {
				resp, err := c.RequestDisposal(ctx, &catalogv1.RequestDisposalRequest{Name: assetName(args[0]), Disposal: d})
				return resp.GetAsset(), err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&method, "method", "", "how the data is destroyed (required)")
	f.StringVar(&reason, "reason", "", "why (required)")
	f.StringArrayVar(&evidence, "evidence", nil, "a document recording the destruction: `name:sha256:size`; repeat for several")
	f.StringArrayVar(&files, "evidence-file", nil, "a local `FILE` to reference as evidence (hashed here, not uploaded); repeat for several")
	return cmd
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// documentOf references a local file by name, SHA-256 and size.
func documentOf(path string) (*catalogv1.Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return nil, err
	}
	return &catalogv1.Document{Name: filepath.Base(path), Sha256: hex.EncodeToString(h.Sum(nil)), SizeBytes: n, Kind: "disposal_evidence"}, nil
}

// assetDisposeDecideCmd is `asset dispose-approve` or `asset dispose-reject`.
func assetDisposeDecideCmd(g *globals, approve bool) *cobra.Command {
	var note string
	verb, short := "dispose-reject", "Reject a pending disposal request; the asset stays as it was"
	if approve {
		verb, short = "dispose-approve", "Approve a pending disposal request: the asset becomes DISPOSED (terminal)"
	}
	cmd := &cobra.Command{
		Use:     verb + " NAME --note N",
		Short:   short,
		Long:    short + ".\nReviewers or admins other than the requester.",
		Example: "  yaosuctl asset " + verb + " 0198c6f2-... --note '销毁记录核对无误'",
		Args:    exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(note) == "" {
				return errors.New("--note is required: explain the decision")
			}
			return g.assetAction(cmd, func(ctx context.Context, c catalogv1.CatalogServiceClient) (*catalogv1.Asset, error) {
				resp, err := c.DecideDisposal(ctx, &catalogv1.DecideDisposalRequest{Name: assetName(args[0]), Approve: approve, Note: note})
				return resp.GetAsset(), err
			})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "why (required)")
	return cmd
}

func assetHistoryCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "history NAME",
		Short: "List every revision of an asset, newest first",
		Long: "List every committed revision of an asset, newest first: the action, who, when, the\n" +
			"reason and the fields that changed. -o json has the old and new value of every field.",
		Example: "  yaosuctl asset history 0198c6f2-...\n  yaosuctl asset history assets/0198c6f2-... -o json",
		Args:    exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, closeConn, err := g.catalogClient()
			if err != nil {
				return err
			}
			defer closeConn()
			out := &catalogv1.ListAssetRevisionsResponse{}
			req := &catalogv1.ListAssetRevisionsRequest{Name: assetName(args[0]), PageSize: 500}
			if _, err := g.pages(cmd.Context(), "", true, func(ctx context.Context, token string) (string, error) {
				req.PageToken = token
				resp, err := client.ListAssetRevisions(ctx, req)
				out.Revisions = append(out.Revisions, resp.GetRevisions()...)
				return resp.GetNextPageToken(), err
			}); err != nil {
				return err
			}
			if g.output == outputJSON {
				return printProtoJSON(cmd.OutOrStdout(), out)
			}
			var t table
			t.row("REVISION", "ACTION", "ACTOR", "TIME", "REASON", "CHANGED")
			for _, r := range out.GetRevisions() {
				paths := make([]string, 0, len(r.GetChanges()))
				for _, c := range r.GetChanges() {
					paths = append(paths, c.GetPath())
				}
				actor := r.GetActor()
				if r.GetActorOrganisation() != "" {
					actor += " (" + r.GetActorOrganisation() + ")"
				}
				t.row(strconv.FormatInt(r.GetRevision(), 10), orDash(r.GetAction()), orDash(actor), formatTime(r.GetTime()),
					orDash(truncate(r.GetReason(), 40)), orDash(strings.Join(paths, ",")))
			}
			return t.write(cmd.OutOrStdout())
		},
	}
}

// truncate shortens s to n characters for a table cell.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func codesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "codes",
		Short: "Read the registry's code lists",
		RunE:  groupRunE,
	}
	var version, list string
	listCmd := &cobra.Command{
		Use:   "list [--version V] [--list NAME]",
		Short: "Show the code lists: categories, sectors, product forms, update cycles, ...",
		Long: "Show the code lists of one version (default: the current one). Records cite codes; the\n" +
			"spreadsheet import also takes the Chinese labels.",
		Example: "  yaosuctl codes list\n  yaosuctl codes list --list category --version 2024.1\n  yaosuctl codes list -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp *catalogv1.ListCodeListsResponse
			err := g.catalogCall(cmd.Context(), func(ctx context.Context, c catalogv1.CatalogServiceClient) (err error) {
				resp, err = c.ListCodeLists(ctx, &catalogv1.ListCodeListsRequest{Version: version})
				return err
			})
			if err != nil {
				return err
			}
			if list != "" {
				var kept []*catalogv1.CodeList
				for _, l := range resp.GetLists() {
					if l.GetList() == list {
						kept = append(kept, l)
					}
				}
				if len(kept) == 0 {
					return fmt.Errorf("version %s has no code list %q", resp.GetVersion(), list)
				}
				resp = proto.CloneOf(resp)
				resp.Lists = kept
			}
			if g.output == outputJSON {
				return printProtoJSON(cmd.OutOrStdout(), resp)
			}
			var t table
			t.row("LIST", "CODE", "中文", "ENGLISH", "PARENT")
			for _, l := range resp.GetLists() {
				for _, c := range l.GetCodes() {
					t.row(l.GetList(), c.GetCode(), orDash(c.GetLabelZh()), orDash(c.GetLabelEn()), orDash(c.GetParent()))
				}
			}
			fprintfErr(cmd.ErrOrStderr(), "Code lists version %s\n", resp.GetVersion())
			return t.write(cmd.OutOrStdout())
		},
	}
	listCmd.Flags().StringVar(&version, "version", "", "code-list version (default: the current one)")
	listCmd.Flags().StringVar(&list, "list", "", "only this list: category, sector, product_form, update_cycle, storage_mode, sharing_method, refusal_reason, ...")
	cmd.AddCommand(listCmd)
	return cmd
}

// applicationType is the type without its prefix, with the Chinese label: CHANGE (变更登记).
func applicationType(t catalogv1.ApplicationType) string {
	s := enumShort(t.Descriptor(), t.Number())
	if l := enumLabels[t.Descriptor().FullName()][t.Number()]; len(l) > 0 {
		s += " (" + l[0] + ")"
	}
	return s
}

func applicationState(s catalogv1.ApplicationState) string {
	return enumShort(s.Descriptor(), s.Number())
}

// printApplicationResult prints the response of a workflow call: as JSON whole, else the
// application and the asset's new state.
func printApplicationResult(w io.Writer, output string, resp proto.Message, app *catalogv1.Application, asset *catalogv1.Asset) error {
	if output == outputJSON {
		return printProtoJSON(w, resp)
	}
	var t table
	t.row("APPLICATION", app.GetName())
	t.row("TYPE", applicationType(app.GetType()))
	t.row("STATE", applicationState(app.GetState()))
	if asset != nil {
		t.row("ASSET", asset.GetName())
		t.row("ASSET STATE", assetState(asset.GetState()))
		if asset.GetRegistrationNumber() != "" {
			t.row("REG NUMBER", asset.GetRegistrationNumber())
		}
	}
	if app.GetPublicityEnd() != nil {
		t.row("PUBLICITY", formatTime(app.GetPublicityStart())+" – "+formatTime(app.GetPublicityEnd()))
	}
	return t.write(w)
}

func printApplication(w io.Writer, a *catalogv1.Application) error {
	var t table
	t.row("NAME", a.GetName())
	t.row("TYPE", applicationType(a.GetType()))
	t.row("STATE", applicationState(a.GetState()))
	t.row("REASON", orDash(a.GetReason()))
	t.row("SUBMITTER", orDash(strings.TrimSpace(a.GetSubmitter()+" "+paren(a.GetSubmitterOrganisation()))))
	t.row("SUBMITTED", formatTime(a.GetSubmitTime()))
	t.row("UPDATED", formatTime(a.GetUpdateTime()))
	t.row("ASSET REV", strconv.FormatInt(a.GetAssetRevision(), 10))
	if a.GetPublicityStart() != nil {
		t.row("PUBLICITY", formatTime(a.GetPublicityStart())+" – "+formatTime(a.GetPublicityEnd()))
	}
	if p := a.GetProposed(); p != nil && (a.GetType() == catalogv1.ApplicationType_APPLICATION_TYPE_CHANGE ||
		a.GetType() == catalogv1.ApplicationType_APPLICATION_TYPE_CORRECTION) {
		t.row("PROPOSED", "(the whole proposed record: -o json)")
	}
	if err := t.write(w); err != nil {
		return err
	}
	if len(a.GetHistory()) > 0 {
		var h table
		h.row("", "STEP", "ACTOR", "TIME", "CODE", "REASON")
		for _, d := range a.GetHistory() {
			h.row("", d.GetAction(), orDash(d.GetActor()), formatTime(d.GetTime()), orDash(d.GetReasonCode()), orDash(d.GetReason()))
		}
		fprintfErr(w, "\nHISTORY\n")
		if err := h.write(w); err != nil {
			return err
		}
	}
	if len(a.GetObjections()) > 0 {
		var o table
		o.row("", "OBJECTION", "STATE", "FILER", "FILED", "TEXT", "RESOLUTION")
		for _, ob := range a.GetObjections() {
			o.row("", ob.GetName(), objectionState(ob.GetState()), orDash(ob.GetFiler()), formatTime(ob.GetFileTime()),
				truncate(ob.GetText(), 40), orDash(truncate(ob.GetResolution(), 40)))
		}
		fprintfErr(w, "\nOBJECTIONS\n")
		return o.write(w)
	}
	return nil
}

func printObjection(w io.Writer, o *catalogv1.Objection) error {
	var t table
	t.row("OBJECTION", o.GetName())
	t.row("STATE", objectionState(o.GetState()))
	t.row("FILER", orDash(strings.TrimSpace(o.GetFiler()+" "+paren(o.GetFilerOrganisation()))))
	t.row("FILED", formatTime(o.GetFileTime()))
	t.row("TEXT", o.GetText())
	return t.write(w)
}

func objectionState(s catalogv1.ObjectionState) string { return enumShort(s.Descriptor(), s.Number()) }

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}
