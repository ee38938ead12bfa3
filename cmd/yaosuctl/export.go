package main

import (
	"context"
	"strings"
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
		Long: "Write every asset matching the filters (those of `asset list`) as a 数据资源目录\n" +
			"spreadsheet with the columns of `asset template`: XLSX or CSV (UTF-8 with BOM) by the\n" +
			"file's extension; CSV to stdout without -f. Codes are written as the Chinese labels that\n" +
			"import reads, and the 资产标识(name) column holds each asset's id.\n\n" +
			"The file imports back with `asset import` without loss: a row with an id updates that\n" +
			"asset (a draft) or reports it unchanged, so an edited export changes only what was\n" +
			"edited and an unedited one creates nothing. In another registry, clear the id column to\n" +
			"create the rows as new drafts.",
		Example: "  yaosuctl asset export -f 数据资源目录.xlsx\n" +
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
			// Codes go out as the labels import reads; without the code lists, as codes
			// (which import reads too).
			book, err := fetchCodeBook(cmd.Context(), g)
			if err != nil {
				if !quiet {
					fprintfErr(cmd.ErrOrStderr(), "warning: no code lists: codes are written as codes, not labels (%s)\n",
						strings.SplitN(err.Error(), "\n", 2)[0])
				}
				book = nil
			}
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
					if err := w.write(rowValues(formatRow(a, book))); err != nil {
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
