package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

// importNamespace is the UUIDv5 namespace of import keys. Fixed for good: another namespace
// would make every row imported before look new.
var importNamespace = uuid.MustParse("3f9b6c1e-5d2a-4e8f-9b7c-0a1d2e3f4a5b")

// maxImportBatch is the server's limit of rows per ImportAssets call.
const maxImportBatch = 1000

// minImportTimeout is the deadline of one ImportAssets call unless --timeout is given: a
// batch of a thousand rows takes longer than a single read.
const minImportTimeout = time.Minute

// importKey identifies a row across imports: the holder and the resource code, or the
// display name when the row has no resource code.
func importKey(a *catalogv1.Asset) string {
	id := a.GetCatalogue().GetResourceCode()
	if id == "" {
		id = a.GetDisplayName()
	}
	return uuid.NewSHA1(importNamespace, []byte(a.GetHolderOrganisation()+"\x00"+id)).String()
}

// rowError is one fault of one row, as the errors file lists it.
type rowError struct {
	row    int64
	column string
	reason string
}

// importSummary is what an import did.
type importSummary struct {
	Rows       int    `json:"rows"`
	Created    int    `json:"created"`
	Duplicates int    `json:"duplicates"`
	Invalid    int    `json:"invalid"`
	ErrorsFile string `json:"errors_file,omitempty"`
}

type importOptions struct {
	errorsFile string
	batch      int
	holder     string
	quiet      bool
	dryRun     bool
	limits     sheetLimits
}

// exitError makes yaosuctl exit with code after printing err.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func assetImportCmd(g *globals) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import FILE.xlsx|FILE.csv [--errors FILE] [--batch 500] [--holder ORG] [--quiet] [--dry-run]",
		Short: "Create draft assets from a catalogue spreadsheet",
		Long: "Create a draft for every row of a catalogue spreadsheet: the first sheet of an XLSX file\n" +
			"or a CSV file (UTF-8, with or without BOM; GB18030 is recognised). The first row holds the\n" +
			"column headers of `yaosuctl asset template` (Chinese name, field path, or both as in the\n" +
			"template; any order; an unknown header stops the import). Choices take their Chinese\n" +
			"label or enum name; codes their code or Chinese label (resolved with the registry's code\n" +
			"lists).\n\n" +
			"Each row is checked here first, then by the server; the valid rows are created even when\n" +
			"others are not. Every invalid row is written to the errors file (CSV: 行号, 列, 原因 — row\n" +
			"number in the spreadsheet, column header, reason; default FILE.errors.csv next to FILE).\n\n" +
			"Rows carry an import key derived from the holder and the resource code (信息资源代码), or\n" +
			"the name when there is none: importing the same file again creates nothing and reports\n" +
			"the rows as duplicates, so an interrupted import can simply be run again.\n\n" +
			"Prints `created N, duplicates D, invalid I`. Exit status 0 when no row was invalid, 2 when\n" +
			"some were (the others were imported), 1 when the import could not run.",
		Example: "  yaosuctl asset import 资产目录.xlsx\n" +
			"  yaosuctl asset import catalogue.csv --holder 91350100M000100Y43 --errors bad-rows.csv\n" +
			"  yaosuctl asset import 资产目录.xlsx --dry-run   # check the file without importing",
		Args: exactArgs(1, "one spreadsheet file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if o.batch < 1 || o.batch > maxImportBatch {
				return fmt.Errorf("--batch must be between 1 and %d", maxImportBatch)
			}
			if o.errorsFile == "" {
				o.errorsFile = defaultErrorsFile(path)
			}
			if err := o.limits.validate(); err != nil {
				return err
			}
			rows, err := readSheet(path, cmd.InOrStdin(), o.limits)
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				return fmt.Errorf("%s is empty: the first row must hold the column headers", path)
			}
			if o.holder == "" {
				// Rows without a holder column take the caller's organisation; without a token
				// the server refuses anyway.
				o.holder, _ = g.tokenOrganisation("--holder")
			}
			client, closeConn, err := g.catalogClient()
			if err != nil {
				return err
			}
			defer closeConn()
			timeout := g.timeout
			if !cmd.Flags().Changed("timeout") {
				timeout = max(timeout, minImportTimeout)
			}
			stderr := cmd.ErrOrStderr()
			var progress func(done, total int)
			switch {
			case o.quiet:
			case isTerminal(stderr):
				progress = progressBar(stderr, "importing")
			default:
				progress = func(done, total int) { fprintfErr(stderr, "imported %d/%d rows\n", done, total) }
			}
			im := &importer{client: client, timeout: timeout, opts: o, progress: progress, warn: stderr, rpcFailed: g.rpcFailed}
			sum, errs, runErr := im.run(cmd.Context(), rows)
			if len(errs) > 0 {
				if err := writeErrorsFile(o.errorsFile, errs); err != nil {
					return errors.Join(runErr, fmt.Errorf("write the errors file: %w", err))
				}
				sum.ErrorsFile = o.errorsFile
			} else if err := removeIfExists(o.errorsFile); err != nil {
				// A stale errors file from an earlier run would contradict this one.
				return errors.Join(runErr, err)
			}
			if err := printImportSummary(cmd.OutOrStdout(), g.output, sum, o.dryRun); err != nil {
				return err
			}
			if runErr != nil {
				return runErr
			}
			if sum.Invalid > 0 {
				return &exitError{code: 2, err: fmt.Errorf("%d of %d rows are invalid and were not imported; see %s", sum.Invalid, sum.Rows, o.errorsFile)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.errorsFile, "errors", "", "where to write the invalid rows, as CSV (default: FILE.errors.csv next to the input)")
	f.IntVar(&o.batch, "batch", 500, fmt.Sprintf("rows per ImportAssets call (at most %d)", maxImportBatch))
	f.StringVar(&o.holder, "holder", "", "holder for rows without a holder column value (default: your token's organisation)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.BoolVar(&o.dryRun, "dry-run", false, "check the rows (with the registry's code lists) but import nothing")
	o.limits.addFlags(f)
	return cmd
}

// defaultErrorsFile is FILE.errors.csv beside FILE.xlsx or FILE.csv.
func defaultErrorsFile(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".errors.csv"
}

// importer parses the rows of a sheet and sends them in batches.
type importer struct {
	client   catalogv1.CatalogServiceClient
	timeout  time.Duration
	opts     importOptions
	progress func(done, total int)
	warn     io.Writer
	// rpcFailed explains a failed call (globals.rpcFailed).
	rpcFailed func(error) error

	books map[string]*codeBook
	berrs map[string]error
}

// bookFor returns the code book of a version ("" is the current one), fetched once.
func (im *importer) bookFor(ctx context.Context) func(string) (*codeBook, error) {
	return func(version string) (*codeBook, error) {
		if b, ok := im.books[version]; ok {
			return b, im.berrs[version]
		}
		if im.books == nil {
			im.books, im.berrs = map[string]*codeBook{}, map[string]error{}
		}
		cctx, cancel := context.WithTimeout(ctx, im.timeout)
		defer cancel()
		resp, err := im.client.ListCodeLists(cctx, &catalogv1.ListCodeListsRequest{Version: version})
		var b *codeBook
		switch {
		case err == nil:
			b = newCodeBook(resp)
		case status.Code(err) == codes.Unimplemented && version == "":
			fprintfErr(im.warn, "warning: the server has no code lists; codes are sent as they are\n")
			err = nil
		case version != "" && (status.Code(err) == codes.NotFound || status.Code(err) == codes.InvalidArgument):
			err = fmt.Errorf("code-list version %q: %s", version, status.Convert(err).Message())
		default:
			err = im.rpcFailed(err)
		}
		im.books[version], im.berrs[version] = b, err
		if version == "" && b != nil && b.version != "" {
			im.books[b.version], im.berrs[b.version] = b, nil // rows may name the current version
		}
		return b, err
	}
}

// run parses rows (rows[0] is the header) and imports the valid ones. It returns the
// summary and the invalid rows' faults; err is set when the import could not go on.
func (im *importer) run(ctx context.Context, rows [][]string) (importSummary, []rowError, error) {
	var sum importSummary
	cols, err := mapHeader(rows[0])
	if err != nil {
		return sum, nil, err
	}
	bookFor := im.bookFor(ctx)
	// Without the current code lists (server down, not logged in) nothing can be checked.
	if _, err := bookFor(""); err != nil {
		return sum, nil, err
	}
	var (
		errs    []rowError
		valid   []*catalogv1.ImportRow
		byKey   = map[string]int64{}
		invalid = map[int64]bool{}
	)
	holderCol := columnByPath("holder_organisation").header()
	nameCol := columnByPath("display_name").header()
	codeCol := columnByPath("catalogue.resource_code").header()
	for i, cells := range rows[1:] {
		if blankRow(cells) {
			continue
		}
		rowNum := int64(i + 2) // 1-based, after the header
		sum.Rows++
		a, cellErrs := parseRow(cols, cells, bookFor)
		for _, e := range cellErrs {
			errs = append(errs, rowError{row: rowNum, column: e.column, reason: e.reason})
		}
		if a.GetHolderOrganisation() == "" {
			a.HolderOrganisation = im.opts.holder
		}
		bad := len(cellErrs) > 0
		if a.GetHolderOrganisation() == "" {
			errs = append(errs, rowError{row: rowNum, column: holderCol, reason: "required (or pass --holder)"})
			bad = true
		}
		if strings.TrimSpace(a.GetDisplayName()) == "" {
			errs = append(errs, rowError{row: rowNum, column: nameCol, reason: "required"})
			bad = true
		}
		if !bad {
			key := importKey(a)
			if first, dup := byKey[key]; dup {
				col, what := nameCol, "name"
				if a.GetCatalogue().GetResourceCode() != "" {
					col, what = codeCol, "resource code"
				}
				errs = append(errs, rowError{row: rowNum, column: col, reason: fmt.Sprintf(
					"same holder and %s as row %d: each row must be a different asset", what, first)})
				bad = true
			} else {
				byKey[key] = rowNum
				valid = append(valid, &catalogv1.ImportRow{Row: rowNum, ImportKey: key, Asset: a})
			}
		}
		if bad {
			invalid[rowNum] = true
		}
	}
	sum.Invalid = len(invalid)
	if im.opts.dryRun || len(valid) == 0 {
		return sum, errs, nil
	}
	done := 0
	for start := 0; start < len(valid); start += im.opts.batch {
		batch := valid[start:min(start+im.opts.batch, len(valid))]
		cctx, cancel := context.WithTimeout(ctx, im.timeout)
		resp, err := im.client.ImportAssets(cctx, &catalogv1.ImportAssetsRequest{Rows: batch})
		cancel()
		if err != nil {
			return sum, errs, fmt.Errorf("rows %d-%d: %w\nThe rows before were imported; run the same import again to "+
				"finish (rows already imported are reported as duplicates)", batch[0].GetRow(), batch[len(batch)-1].GetRow(),
				im.rpcFailed(err))
		}
		for _, r := range resp.GetResults() {
			switch r.GetOutcome() {
			case catalogv1.ImportRowResult_OUTCOME_CREATED:
				sum.Created++
			case catalogv1.ImportRowResult_OUTCOME_DUPLICATE:
				sum.Duplicates++
			default:
				if !invalid[r.GetRow()] {
					invalid[r.GetRow()] = true
					sum.Invalid++
				}
				errs = append(errs, serverRowErrors(r)...)
			}
		}
		done += len(batch)
		if im.progress != nil {
			im.progress(done, len(valid))
		}
	}
	slices.SortStableFunc(errs, func(a, b rowError) int { return cmp.Compare(a.row, b.row) })
	return sum, errs, nil
}

// serverRowErrors turns a server-reported invalid row into errors-file lines, the field
// paths mapped back to column headers.
func serverRowErrors(r *catalogv1.ImportRowResult) []rowError {
	reason := r.GetReason()
	suffix := ""
	if reason != "" && reason != "VALIDATION_FAILED" {
		suffix = " [" + reason + "]"
	}
	if len(r.GetViolations()) == 0 {
		return []rowError{{row: r.GetRow(), column: "-", reason: cmpOr(reason, "rejected by the server")}}
	}
	var out []rowError
	for _, v := range r.GetViolations() {
		out = append(out, rowError{row: r.GetRow(), column: columnForField(v.GetField()), reason: v.GetDescription() + suffix})
	}
	return out
}

func blankRow(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// writeErrorsFile writes the invalid rows as CSV: 行号, 列, 原因.
func writeErrorsFile(path string, errs []rowError) error {
	out, commit, abort, err := createOutput(path, io.Discard)
	if err != nil {
		return err
	}
	defer abort()
	w, err := newCSVSheet(out)
	if err != nil {
		return err
	}
	if err := w.write([]any{"行号", "列", "原因"}); err != nil {
		return err
	}
	for _, e := range errs {
		if err := w.write([]any{strconv.FormatInt(e.row, 10), e.column, e.reason}); err != nil {
			return err
		}
	}
	if err := w.close(); err != nil {
		return err
	}
	return commit()
}

func printImportSummary(w io.Writer, output string, sum importSummary, dryRun bool) error {
	if output == outputJSON {
		return writeJSON(w, sum)
	}
	if dryRun {
		fprintfErr(w, "checked %d rows: valid %d, invalid %d (dry run: nothing imported)\n", sum.Rows, sum.Rows-sum.Invalid, sum.Invalid)
	} else {
		fprintfErr(w, "created %d, duplicates %d, invalid %d\n", sum.Created, sum.Duplicates, sum.Invalid)
	}
	if sum.ErrorsFile != "" {
		fprintfErr(w, "invalid rows written to %s\n", sum.ErrorsFile)
	}
	return nil
}

// progressBar returns a progress callback drawing a bar on w (a terminal), created on the
// first call when the total is known.
func progressBar(w io.Writer, what string) func(done, total int) {
	var bar *progressbar.ProgressBar
	return func(done, total int) {
		if bar == nil {
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(what), progressbar.OptionShowCount(),
				progressbar.OptionSetWidth(40), progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
		}
		_ = bar.Set(done)
		if done == total {
			_ = bar.Finish()
		}
	}
}
