package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"
)

// assetExportPageSize is the page size export asks for: the server's largest.
const assetExportPageSize = 500

func assetExportCmd(g *globals) *cobra.Command {
	var (
		file   string
		filter assetFilter
		quiet  bool
	)
	cmd := &cobra.Command{
		Use:   "export [-f FILE.xlsx|FILE.csv] [filters]",
		Short: "Write the assets you can see as a catalogue spreadsheet",
		Long: "Write every asset matching the filters (those of `asset list`) as a catalogue\n" +
			"spreadsheet with the columns of `asset template`: XLSX or CSV (UTF-8 with BOM) by the\n" +
			"file's extension; CSV to stdout without -f. The file imports back with `asset import`\n" +
			"without loss (into another registry, or as a check).",
		Example: "  yaosuctl asset export -f 资产目录.xlsx\n" +
			"  yaosuctl asset export -f registered.csv --state REGISTERED --holder 91350100M000100Y43\n" +
			"  yaosuctl asset export --query 交通 > traffic.csv",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := filter.request(time.Now())
			if err != nil {
				return err
			}
			req.PageSize = assetExportPageSize
			client, closeConn, err := g.catalogClient()
			if err != nil {
				return err
			}
			defer closeConn()
			w, commit, abort, err := openSheetWriter(file, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			defer abort()
			if err := w.write(headerValues()); err != nil {
				return err
			}
			n := 0
			if _, err := g.pages(cmd.Context(), "", true, func(ctx context.Context, token string) (string, error) {
				req.PageToken = token
				resp, err := client.ListAssets(ctx, req)
				if err != nil {
					return "", err
				}
				for _, a := range resp.GetAssets() {
					if err := w.write(rowValues(formatRow(a))); err != nil {
						return "", err
					}
					n++
				}
				if resp.GetNextPageToken() != "" && !quiet && isTerminal(cmd.ErrOrStderr()) {
					fprintfErr(cmd.ErrOrStderr(), "exported %d assets\n", n)
				}
				return resp.GetNextPageToken(), nil
			}); err != nil {
				return err
			}
			if err := commit(); err != nil {
				return err
			}
			if !quiet {
				to := file
				if to == "" || to == "-" {
					to = "stdout"
				}
				fprintfErr(cmd.ErrOrStderr(), "exported %d assets to %s\n", n, to)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "write to `FILE` (.xlsx or .csv; default: CSV to stdout)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress or summary on stderr")
	filter.flags(f)
	return cmd
}
