package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

const assetNamePrefix = "assets/"

func assetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "asset",
		Short: "Register and read data assets (catalog service)",
		RunE:  groupRunE,
	}
	cmd.AddCommand(assetCreateCmd(g), assetGetCmd(g), assetListCmd(g))
	return cmd
}

func assetCreateCmd(g *globals) *cobra.Command {
	var name, summary, holder, requestID string
	cmd := &cobra.Command{
		Use:   "create --name NAME [--summary S] [--holder ORG] [--request-id UUID]",
		Short: "Create a draft asset",
		Long: "Create a draft asset held by --holder (default: the organisation in your token).\n" +
			"The request id makes the call idempotent: retries inside this invocation reuse it, and if\n" +
			"the outcome is unknown (timeout, connection lost) yaosuctl prints it so you can re-run\n" +
			"with the same --request-id without creating a duplicate.",
		Example: "  yaosuctl asset create --name '城市道路交通流量数据' --summary '2024 年路口流量，按 5 分钟汇总'\n" +
			"  yaosuctl asset create --name 'Port throughput' --holder 91350100M000100Y43 -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(name) == "" {
				return errors.New("--name is required")
			}
			if requestID == "" {
				requestID = uuid.NewString()
			} else if _, err := uuid.Parse(requestID); err != nil {
				return fmt.Errorf("--request-id must be a UUID: %w", err)
			}
			if holder == "" {
				token, source, err := g.resolveToken()
				if err != nil {
					return err
				}
				c, err := decodeClaims(token)
				if err != nil {
					return fmt.Errorf("token from %s: %w (pass --holder)", source, err)
				}
				if c.Organisation == "" {
					return fmt.Errorf("the token from %s names no organisation: pass --holder", source)
				}
				holder = c.Organisation
			}
			client, closeConn, err := g.catalogClient()
			if err != nil {
				return err
			}
			defer closeConn()
			ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
			defer cancel()
			resp, err := client.CreateAsset(ctx, &catalogv1.CreateAssetRequest{
				Asset: &catalogv1.Asset{
					DisplayName:        name,
					Summary:            summary,
					HolderOrganisation: holder,
				},
				RequestId: requestID,
			})
			if err != nil {
				if outcomeUnknown(err) {
					fprintfErr(cmd.ErrOrStderr(), "The asset may or may not have been created. Re-run with "+
						"--request-id %s to find out without creating it twice.\n", requestID)
				}
				return g.rpcFailed(err)
			}
			return printAsset(cmd.OutOrStdout(), g.output, resp.GetAsset())
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "display name, in Chinese or English (required)")
	f.StringVar(&summary, "summary", "", "what the data contains, covers and is for")
	f.StringVar(&holder, "holder", "", "holding organisation's unified social credit code (default: your token's organisation)")
	f.StringVar(&requestID, "request-id", "", "idempotency key, a UUID (default: a new random one)")
	return cmd
}

// assetName accepts `assets/ID` or a bare ID.
func assetName(arg string) string {
	arg = strings.TrimSpace(arg)
	if strings.HasPrefix(arg, assetNamePrefix) {
		return arg
	}
	return assetNamePrefix + arg
}

func assetGetCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME",
		Short: "Show one asset",
		Long:  "Show one asset. NAME is its resource name, assets/ID, or just the ID.",
		Example: "  yaosuctl asset get assets/0198c6f2-7a4e-7b61-9f0e-2d1c3b4a5e6f\n" +
			"  yaosuctl asset get 0198c6f2-7a4e-7b61-9f0e-2d1c3b4a5e6f -o json",
		Args: exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, closeConn, err := g.catalogClient()
			if err != nil {
				return err
			}
			defer closeConn()
			ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
			defer cancel()
			resp, err := client.GetAsset(ctx, &catalogv1.GetAssetRequest{Name: assetName(args[0])})
			if err != nil {
				return g.rpcFailed(err)
			}
			return printAsset(cmd.OutOrStdout(), g.output, resp.GetAsset())
		},
	}
}

func assetListCmd(g *globals) *cobra.Command {
	var (
		pageSize  int32
		pageToken string
		all       bool
	)
	cmd := &cobra.Command{
		Use:   "list [--page-size N] [--page-token T] [--all]",
		Short: "List the assets you can see, newest first",
		Long: "List assets, newest first: your organisation's, or every organisation's for auditors\n" +
			"and admins. One page at a time (the next page's token goes to stderr) or --all.",
		Example: "  yaosuctl asset list\n" +
			"  yaosuctl asset list --page-size 20 --page-token CiQwMTk4...\n" +
			"  yaosuctl asset list --all -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pageSize < 0 {
				return errors.New("--page-size must not be negative")
			}
			client, closeConn, err := g.catalogClient()
			if err != nil {
				return err
			}
			defer closeConn()
			out := &catalogv1.ListAssetsResponse{}
			token := pageToken
			for {
				// The timeout is per request: --all over many pages may take longer.
				ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
				resp, err := client.ListAssets(ctx, &catalogv1.ListAssetsRequest{PageSize: pageSize, PageToken: token})
				cancel()
				if err != nil {
					return g.rpcFailed(err)
				}
				out.Assets = append(out.Assets, resp.GetAssets()...)
				token = resp.GetNextPageToken()
				if !all || token == "" {
					break
				}
			}
			out.NextPageToken = token
			if g.output == outputJSON {
				if err := printProtoJSON(cmd.OutOrStdout(), out); err != nil {
					return err
				}
			} else if err := printAssetTable(cmd.OutOrStdout(), out.GetAssets()); err != nil {
				return err
			}
			if token != "" {
				fprintfErr(cmd.ErrOrStderr(), "More assets: yaosuctl asset list --page-token %s\n", token)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.Int32Var(&pageSize, "page-size", 0, "assets per page; 0 means the server's default (50), at most 500")
	f.StringVar(&pageToken, "page-token", "", "continue from a previous page")
	f.BoolVar(&all, "all", false, "follow page tokens until the last page")
	return cmd
}

func printAsset(w io.Writer, output string, a *catalogv1.Asset) error {
	if output == outputJSON {
		return printProtoJSON(w, a)
	}
	var t table
	t.row("NAME", a.GetName())
	t.row("DISPLAY NAME", a.GetDisplayName())
	t.row("SUMMARY", orDash(a.GetSummary()))
	t.row("HOLDER", a.GetHolderOrganisation())
	t.row("STATE", assetState(a.GetState()))
	t.row("REVISION", strconv.FormatInt(a.GetRevision(), 10))
	t.row("ETAG", orDash(a.GetEtag()))
	t.row("CREATOR", orDash(a.GetCreator()))
	t.row("CREATED", formatTime(a.GetCreateTime()))
	t.row("UPDATED", formatTime(a.GetUpdateTime()))
	return t.write(w)
}

func printAssetTable(w io.Writer, assets []*catalogv1.Asset) error {
	var t table
	t.row("NAME", "DISPLAY NAME", "HOLDER", "STATE", "REVISION", "UPDATED")
	for _, a := range assets {
		t.row(a.GetName(), a.GetDisplayName(), a.GetHolderOrganisation(), assetState(a.GetState()),
			strconv.FormatInt(a.GetRevision(), 10), formatTime(a.GetUpdateTime()))
	}
	return t.write(w)
}

// assetState is the state without the enum's prefix: DRAFT rather than ASSET_STATE_DRAFT.
func assetState(s catalogv1.AssetState) string {
	return strings.TrimPrefix(s.String(), "ASSET_STATE_")
}

// formatTime shows a timestamp in local time with its offset, to the second, or "-" when unset.
func formatTime(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return ts.AsTime().Local().Format(time.RFC3339)
}
