package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

// exitNotReady is `asset check`'s exit status when a submission would be refused.
const exitNotReady = 2

// missingField is one thing a submission still needs, as `asset check` reports it.
type missingField struct {
	Field    string `json:"field"`              // Asset field path, e.g. "summary"
	Column   string `json:"column"`             // the template's header for it, e.g. "资源摘要(summary)"
	Reason   string `json:"reason"`             // the server's description, in English
	ReasonZh string `json:"reasonZh,omitempty"` // and in Chinese, when the server sends it
}

// checkResult is `asset check -o json`.
type checkResult struct {
	Asset   string         `json:"asset"`
	Ready   bool           `json:"ready"`
	Reason  string         `json:"reason,omitempty"` // the ErrorInfo reason when not ready
	Missing []missingField `json:"missing"`
}

func assetCheckCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "check NAME",
		Short: "Show what a first registration of the asset still needs (申请前检查)",
		Long: "Check a draft as if it were submitted for first registration (SubmitApplication with\n" +
			"validate_only): your right to file, the asset's state and the record's completeness.\n" +
			"Nothing is filed. Prints 可以提交 / ready to submit, or a table of the fields still\n" +
			"missing or wrong: 字段 (the field path, as `asset update --set` takes it), 列 (the\n" +
			"column of the catalogue template that holds it) and 原因 (why).\n\n" +
			"Exit status: 0 ready, 2 not ready (the table says why), 1 the check could not be made.",
		Example: "  yaosuctl asset check 0198c6f2-7a4e-7b61-9f0e-2d1c3b4a5e6f\n" +
			"  yaosuctl asset check assets/0198c6f2-7a4e-7b61-9f0e-2d1c3b4a5e6f -o json",
		Args: exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := assetName(args[0])
			req := &catalogv1.SubmitApplicationRequest{
				Parent:       name,
				Type:         catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION,
				ValidateOnly: true,
			}
			var resp *catalogv1.SubmitApplicationResponse
			var callErr error
			if err := g.catalogCall(cmd.Context(), func(ctx context.Context, c catalogv1.CatalogServiceClient) error {
				resp, callErr = c.SubmitApplication(ctx, req)
				return nil // a refusal is the check's answer, read below
			}); err != nil {
				return err
			}
			if app := resp.GetApplication(); app != nil {
				// A server older than validate_only ignores it and files: say so plainly.
				return fmt.Errorf("the server at %s does not support checking without filing: it FILED application %s "+
					"(withdraw it with `yaosuctl application withdraw %s` if you did not mean to apply) / "+
					"服务器不支持仅检查，已实际提交申请", g.addr, app.GetName(), app.GetName())
			}
			res, err := checkOutcome(name, callErr)
			if err != nil {
				return g.rpcFailed(err)
			}
			if err := printAssetCheck(cmd.OutOrStdout(), g.output, res); err != nil {
				return err
			}
			if !res.Ready {
				return &exitError{code: exitNotReady, err: fmt.Errorf("%s is not ready to submit: %d field(s) to fix / 尚有 %d 项需补正",
					name, len(res.Missing), len(res.Missing))}
			}
			return nil
		},
	}
}

// checkOutcome reads a validate-only submission's outcome: ready when it succeeded, the
// field violations when the record is what stands in the way. Any other failure (no
// such asset, not allowed, not a draft) is returned as it is: the check could not be made.
func checkOutcome(name string, err error) (checkResult, error) {
	res := checkResult{Asset: name, Ready: err == nil, Missing: []missingField{}}
	if err == nil {
		return res, nil
	}
	st, ok := status.FromError(err)
	if !ok || (st.Code() != codes.FailedPrecondition && st.Code() != codes.InvalidArgument) {
		return res, err
	}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			res.Reason = d.GetReason()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				res.Missing = append(res.Missing, missingFieldOf(v))
			}
		}
	}
	if len(res.Missing) == 0 {
		// A state or permission rule rather than the record: nothing to fill in.
		return res, err
	}
	return res, nil
}

func missingFieldOf(v *errdetails.BadRequest_FieldViolation) missingField {
	field := strings.TrimPrefix(v.GetField(), "asset.")
	m := missingField{Field: field, Column: columnForField(field), Reason: v.GetDescription()}
	if lm := v.GetLocalizedMessage(); lm != nil && strings.HasPrefix(lm.GetLocale(), "zh") {
		m.ReasonZh = lm.GetMessage()
	}
	return m
}

func printAssetCheck(w io.Writer, output string, res checkResult) error {
	if output == outputJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	if res.Ready {
		_, err := fmt.Fprintf(w, "可以提交 / ready to submit: %s (yaosuctl asset submit %s)\n", res.Asset, res.Asset)
		return err
	}
	var t table
	t.row("字段 FIELD", "列 COLUMN", "原因 REASON")
	for _, m := range res.Missing {
		reason := m.Reason
		if m.ReasonZh != "" {
			reason = m.ReasonZh + " / " + m.Reason
		}
		t.row(m.Field, m.Column, reason)
	}
	return t.write(w)
}
