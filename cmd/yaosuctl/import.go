package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

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
	column string // the column's header as the file writes it
	reason string // Chinese, then the English in brackets
}

// importSummary is what an import did (or, in a dry run, would do).
type importSummary struct {
	Rows      int `json:"rows"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// Valid counts, in a dry run, the rows that would be created or would update their asset.
	Valid      int    `json:"valid,omitempty"`
	Invalid    int    `json:"invalid"`
	Skipped    int    `json:"skipped"`
	DryRun     bool   `json:"dry_run,omitempty"`
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
		Short: "Create or update draft assets from a 数据资源目录 spreadsheet",
		Long: "Bring a 数据资源目录 (data resource catalogue) into the registry: every row of the first\n" +
			"sheet of an XLSX file, or of a CSV file (UTF-8, with or without BOM; GB18030 is\n" +
			"recognised), becomes a draft 登记对象 (asset). The first row holds the column headers of\n" +
			"`yaosuctl asset template` (Chinese name, field path, or both as in the template; any\n" +
			"order; an unknown header stops the import). Choices take their Chinese label or enum\n" +
			"name; code columns a code, its Chinese or English label, or an alias the office uses\n" +
			"(接口, 每5分钟: see the template's 代码表 sheet), resolved with the registry's code lists.\n\n" +
			"Each row is checked here, then by the server, on its own: the valid rows are written even\n" +
			"when others are not, and every problem of every invalid row is written to the errors\n" +
			"file (CSV: 行号, 列, 原因 — the row number in the spreadsheet, the column header as the file\n" +
			"writes it, the reason in Chinese and English; default FILE.errors.csv next to FILE).\n" +
			"The template's example row (资源名称 starting with 【示例】) is skipped.\n\n" +
			"A row matches an asset by its 资产标识 (asset id, as `asset export` writes it), else by the\n" +
			"holder's 信息资源代码, else by an earlier import of the same row: a matched draft is\n" +
			"updated, a match with nothing to change is reported unchanged, and only a row that\n" +
			"matches nothing creates a draft. Importing the same file (or an export) again therefore\n" +
			"creates nothing, and an interrupted import can simply be run again.\n\n" +
			"--dry-run sends the rows to the server to be checked by every rule a real import applies,\n" +
			"and writes nothing: it reports exactly the rows the import would refuse.\n\n" +
			"Prints `created N, updated U, unchanged D, invalid I, skipped S`. Exit status 0 when no row\n" +
			"was invalid, 2 when some were (the others were imported), 1 when the import could not run.",
		Example: "  yaosuctl asset import 数据资源目录.xlsx\n" +
			"  yaosuctl asset import catalogue.csv --holder 91350100M000100Y43 --errors bad-rows.csv\n" +
			"  yaosuctl asset import 数据资源目录.xlsx --dry-run   # check the file on the server, write nothing",
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
			im := &importer{client: client, timeout: timeout, opts: o, progress: importProgress(cmd.ErrOrStderr(), o),
				warn: cmd.ErrOrStderr(), rpcFailed: g.rpcFailed}
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
			if err := printImportSummary(cmd.OutOrStdout(), g.output, sum); err != nil {
				return err
			}
			if runErr != nil {
				return runErr
			}
			if sum.Invalid > 0 {
				what := "were not imported"
				if o.dryRun {
					what = "would not be imported"
				}
				return &exitError{code: 2, err: fmt.Errorf("%d of %d rows are invalid and %s (%d 行无效); see %s",
					sum.Invalid, sum.Rows, what, sum.Invalid, o.errorsFile)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.errorsFile, "errors", "", "where to write the invalid rows, as CSV (default: FILE.errors.csv next to the input)")
	f.IntVar(&o.batch, "batch", 500, fmt.Sprintf("rows per ImportAssets call (at most %d)", maxImportBatch))
	f.StringVar(&o.holder, "holder", "", "holder for rows without a holder column value (default: your token's organisation)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.BoolVar(&o.dryRun, "dry-run", false, "have the server check every row by the rules of a real import, and write nothing")
	o.limits.addFlags(f)
	return cmd
}

// importProgress is the progress callback of an import: a bar on a terminal, a line per
// batch otherwise, nothing with --quiet. It counts the rows of the file (the data rows,
// whatever became of them), not only those sent to the server.
func importProgress(stderr io.Writer, o importOptions) func(done, total int) {
	what := "processed"
	if o.dryRun {
		what = "checked"
	}
	switch {
	case o.quiet:
		return nil
	case isTerminal(stderr):
		return progressBar(stderr, what)
	default:
		return func(done, total int) { fprintfErr(stderr, "%s %d/%d rows\n", what, done, total) }
	}
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
	// headers are the file's header cells, per column, as it writes them.
	headers map[*column]string
	// mask are the field paths of the file's columns: a row that matches an existing asset
	// changes only these (ImportRow.update_mask), so a sheet without, say, the evidence
	// column keeps the documents attached since it was exported.
	mask []string
	// reported is the last progress count shown, so that the end is not shown twice.
	reported int
}

// report shows progress once per count.
func (im *importer) report(done, total int) {
	if im.progress != nil && done != im.reported {
		im.reported = done
		im.progress(done, total)
	}
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

// exampleMark starts the name of the template's example row, which import skips.
const exampleMark = "【示例】"

// isExampleRow says whether a is the template's example row: marked with exampleMark, or
// the example of templates written before the mark.
func isExampleRow(a *catalogv1.Asset) bool {
	name := strings.TrimSpace(a.GetDisplayName())
	return strings.HasPrefix(name, exampleMark) || strings.Contains(name, "（示例，导入前请删除本行）")
}

// run parses rows (rows[0] is the header) and imports the valid ones. It returns the
// summary and every fault of every invalid row; err is set when the import could not go on.
func (im *importer) run(ctx context.Context, rows [][]string) (importSummary, []rowError, error) {
	sum := importSummary{DryRun: im.opts.dryRun}
	cols, err := mapHeader(rows[0])
	if err != nil {
		return sum, nil, err
	}
	im.headers = writtenHeaders(rows[0], cols)
	for _, c := range cols {
		if c != nil {
			im.mask = append(im.mask, c.path)
		}
	}
	slices.Sort(im.mask)
	bookFor := im.bookFor(ctx)
	// Without the current code lists (server down, not logged in) nothing can be checked.
	if _, err := bookFor(""); err != nil {
		return sum, nil, err
	}
	p := &importPlan{byKey: map[string]int64{}, byExisting: map[string]int64{}, invalid: map[int64]bool{}, ordinal: map[int64]int{}}
	for i, cells := range rows[1:] {
		if blankRow(cells) {
			continue
		}
		sum.Rows++
		rowNum := int64(i + 2) // 1-based, the header is row 1
		p.ordinal[rowNum] = sum.Rows
		a, cellErrs := parseRow(cols, cells, bookFor)
		if isExampleRow(a) {
			sum.Skipped++
			continue
		}
		for _, e := range cellErrs {
			p.fault(rowNum, im.headerAt(rows[0], e), e.reason)
		}
		im.plan(p, rowNum, a, len(cellErrs) > 0)
	}
	var sendErr error
	if len(p.valid) > 0 {
		sendErr = im.send(ctx, p, &sum)
	}
	if sendErr == nil && sum.Rows > 0 {
		im.report(sum.Rows, sum.Rows)
	}
	// Even when the import stops, the faults found so far go to the errors file.
	sum.Invalid = len(p.invalid)
	slices.SortStableFunc(p.errs, func(a, b rowError) int { return cmp.Compare(a.row, b.row) })
	return sum, p.errs, sendErr
}

// importPlan is what an import has found so far: the rows to send, the faults of the
// others, and the keys that tell two rows for one asset apart.
type importPlan struct {
	valid      []*catalogv1.ImportRow
	errs       []rowError
	invalid    map[int64]bool
	byKey      map[string]int64 // import key → first row
	byExisting map[string]int64 // asset id → first row
	ordinal    map[int64]int    // row number → its place among the data rows, for progress
}

func (p *importPlan) fault(row int64, column, reason string) {
	p.errs = append(p.errs, rowError{row: row, column: column, reason: reason})
	p.invalid[row] = true
}

// plan completes a parsed row (the default holder, its key, the asset it names) and queues
// it, or records why it cannot go.
func (im *importer) plan(p *importPlan, rowNum int64, a *catalogv1.Asset, bad bool) {
	if a.GetHolderOrganisation() == "" {
		a.HolderOrganisation = im.opts.holder
	}
	if a.GetHolderOrganisation() == "" {
		p.fault(rowNum, im.headerFor("holder_organisation"), "必填，或用 --holder 为全部行指定（required, or pass --holder）")
		bad = true
	}
	if strings.TrimSpace(a.GetDisplayName()) == "" {
		p.fault(rowNum, im.headerFor("display_name"), "必填（required）")
		bad = true
	}
	existing := strings.TrimSpace(a.GetName())
	a.Name = "" // output-only: the row names its asset through ImportRow.existing
	if existing != "" {
		existing = assetName(existing)
		if _, err := uuid.Parse(strings.TrimPrefix(existing, assetNamePrefix)); err != nil {
			p.fault(rowNum, im.headerFor("name"), fmt.Sprintf("%q 不是登记对象标识，应为 assets/ 加 UUID，新建的行留空（%q is not an asset id: want assets/UUID, or leave it empty for a new asset）",
				clip(existing, maxQuoted), clip(existing, maxQuoted)))
			bad = true
		} else if first, dup := p.byExisting[existing]; dup {
			p.fault(rowNum, im.headerFor("name"), fmt.Sprintf("与第 %d 行是同一个登记对象（the same asset as row %d）", first, first))
			bad = true
		}
	}
	if bad {
		return
	}
	key := importKey(a)
	if first, dup := p.byKey[key]; dup && existing == "" {
		col, zh, en := "display_name", "名称", "name"
		if a.GetCatalogue().GetResourceCode() != "" {
			col, zh, en = "catalogue.resource_code", "信息资源代码", "resource code"
		}
		p.fault(rowNum, im.headerFor(col), fmt.Sprintf("与第 %d 行的持有单位和%s相同：每行应是不同的登记对象（same holder and %s as row %d: each row must be a different asset）",
			first, zh, en, first))
		return
	}
	if _, dup := p.byKey[key]; !dup {
		p.byKey[key] = rowNum
	}
	if existing != "" {
		p.byExisting[existing] = rowNum
	}
	p.valid = append(p.valid, &catalogv1.ImportRow{Row: rowNum, ImportKey: key, Asset: a, Existing: existing,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: im.mask}})
}

// send imports the planned rows in batches and counts their outcomes.
func (im *importer) send(ctx context.Context, p *importPlan, sum *importSummary) error {
	for start := 0; start < len(p.valid); start += im.opts.batch {
		batch := p.valid[start:min(start+im.opts.batch, len(p.valid))]
		results, err := im.importRows(ctx, batch)
		if err != nil {
			return fmt.Errorf("rows %d-%d: %w\nThe rows before were imported; run the same import again to "+
				"finish (rows already imported are matched, not created again)", batch[0].GetRow(), batch[len(batch)-1].GetRow(),
				im.rpcFailed(err))
		}
		for _, r := range results {
			if err := im.count(p, sum, r); err != nil {
				return err
			}
		}
		im.report(p.ordinal[batch[len(batch)-1].GetRow()], sum.Rows)
	}
	return nil
}

// count adds one row's outcome to the summary and its faults to the plan.
func (im *importer) count(p *importPlan, sum *importSummary, r *catalogv1.ImportRowResult) error {
	switch r.GetOutcome() {
	case catalogv1.ImportRowResult_OUTCOME_CREATED, catalogv1.ImportRowResult_OUTCOME_UPDATED:
		if im.opts.dryRun {
			// A server that ignores validate_only wrote the row: say so rather than call it a check.
			return fmt.Errorf("row %d: the server wrote the row although this was a dry run (it does not support validate_only); "+
				"check the drafts it created or updated", r.GetRow())
		}
		if r.GetOutcome() == catalogv1.ImportRowResult_OUTCOME_CREATED {
			sum.Created++
		} else {
			sum.Updated++
		}
	case catalogv1.ImportRowResult_OUTCOME_VALID:
		sum.Valid++
	case catalogv1.ImportRowResult_OUTCOME_DUPLICATE:
		sum.Unchanged++
	default:
		p.invalid[r.GetRow()] = true
		p.errs = append(p.errs, im.serverRowErrors(r)...)
	}
	return nil
}

// importRows sends rows in one call. A server that judges the request as a whole refuses
// it with INVALID_ARGUMENT when one row is bad: the rows its violations name (rows[i]) are
// then reported invalid and the others sent again, or, when it names none, the rows are
// split in halves, down to single rows, so that every row gets its own outcome and no good
// row of the file is lost.
func (im *importer) importRows(ctx context.Context, rows []*catalogv1.ImportRow) ([]*catalogv1.ImportRowResult, error) {
	cctx, cancel := context.WithTimeout(ctx, im.timeout)
	resp, err := im.client.ImportAssets(cctx, &catalogv1.ImportAssetsRequest{Rows: rows, ValidateOnly: im.opts.dryRun})
	cancel()
	if err == nil {
		return resp.GetResults(), nil
	}
	if status.Code(err) != codes.InvalidArgument {
		return nil, err
	}
	named := rejectedRows(status.Convert(err), len(rows))
	if len(rows) == 1 {
		r := &catalogv1.ImportRowResult{Row: rows[0].GetRow(), Outcome: catalogv1.ImportRowResult_OUTCOME_INVALID,
			Reason: errorReason(status.Convert(err))}
		if vs, ok := named[0]; ok {
			r.Violations = vs
		} else {
			st := status.Convert(err)
			r.Violations = []*catalogv1.ImportViolation{{Description: st.Message(), DescriptionZh: cmpOr(zhMessage(st), "服务器拒绝了本行")}}
		}
		return []*catalogv1.ImportRowResult{r}, nil
	}
	var out []*catalogv1.ImportRowResult
	var rest []*catalogv1.ImportRow
	if len(named) > 0 && len(named) < len(rows) {
		reason := errorReason(status.Convert(err))
		for i, r := range rows {
			if vs, ok := named[i]; ok {
				out = append(out, &catalogv1.ImportRowResult{Row: r.GetRow(), Outcome: catalogv1.ImportRowResult_OUTCOME_INVALID,
					Reason: reason, Violations: vs})
			} else {
				rest = append(rest, r)
			}
		}
		more, err := im.importRows(ctx, rest)
		return append(out, more...), err
	}
	mid := len(rows) / 2
	first, err := im.importRows(ctx, rows[:mid])
	if err != nil {
		return nil, err
	}
	second, err := im.importRows(ctx, rows[mid:])
	return append(first, second...), err
}

// rowIndex reads the row a request-level violation names: `rows[3].asset.grade` is row 3,
// field `grade`.
var rowIndex = regexp.MustCompile(`^rows\[(\d+)\]\.?(?:asset\.?)?(.*)$`)

// rejectedRows groups a refused request's field violations by the row (0-based, below n)
// they name, as import violations of the row's Asset.
func rejectedRows(st *status.Status, n int) map[int][]*catalogv1.ImportViolation {
	out := map[int][]*catalogv1.ImportViolation{}
	for _, d := range st.Details() {
		br, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		for _, v := range br.GetFieldViolations() {
			m := rowIndex.FindStringSubmatch(v.GetField())
			if m == nil {
				continue
			}
			i, err := strconv.Atoi(m[1])
			if err != nil || i >= n {
				continue
			}
			iv := &catalogv1.ImportViolation{Field: m[2], Description: v.GetDescription()}
			if lm := v.GetLocalizedMessage(); lm != nil && strings.HasPrefix(lm.GetLocale(), "zh") {
				iv.DescriptionZh = lm.GetMessage()
			}
			out[i] = append(out[i], iv)
		}
	}
	return out
}

// zhMessage is the Chinese message (a zh-CN LocalizedMessage) of a refused call, or def.
// errorReason is the ErrorInfo reason of a refused call, or "".
func errorReason(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// serverRowErrors turns a server-reported invalid row into errors-file lines, the field
// paths mapped back to the file's column headers.
func (im *importer) serverRowErrors(r *catalogv1.ImportRowResult) []rowError {
	reason := r.GetReason()
	suffix := ""
	if reason != "" && reason != "VALIDATION_FAILED" && reason != "ERROR_REASON_VALIDATION" {
		suffix = " [" + reason + "]"
	}
	vs := r.GetViolations()
	if len(vs) == 0 {
		vs = []*catalogv1.ImportViolation{{Description: cmpOr(reason, "rejected by the server"), DescriptionZh: "服务器拒绝了本行"}}
		suffix = ""
	}
	out := make([]rowError, 0, len(vs))
	for _, v := range vs {
		field := strings.TrimPrefix(v.GetField(), "asset.")
		rule := ruleWords[reason]
		if field == "" || field == "asset" {
			// A rule of the record as a whole: blame the column the rule is about.
			field = rule.field
		}
		if v.GetDescriptionZh() == "" && rule.zh != "" {
			v = &catalogv1.ImportViolation{Field: v.GetField(), Description: v.GetDescription(), DescriptionZh: rule.zh}
		}
		out = append(out, rowError{row: r.GetRow(), column: im.headerFor(field), reason: violationText(v) + suffix})
	}
	return out
}

// ruleWords say, for the rules a server breaks on a whole record, which column the rule is
// about and what it means in Chinese, for servers whose violations name no field or carry
// no Chinese text.
var ruleWords = map[string]struct{ field, zh string }{
	"ERROR_REASON_CORE_DATA_NOT_REGISTRABLE":      {"grade", "核心数据不能登记"},
	"ERROR_REASON_NOT_SHARED_IMPLIES_NOT_OPEN":    {"open_attribute", "不予共享的数据必须不予开放"},
	"ERROR_REASON_CONDITIONS_REQUIRED":            {"sharing_conditions", "有条件共享或有条件开放时须填写条件"},
	"ERROR_REASON_SHARING_BASIS_REQUIRED":         {"sharing_basis", "不予共享时须填写不予共享依据"},
	"ERROR_REASON_INVALID_ORGANISATION_CODE":      {"holder_organisation", "不是有效的统一社会信用代码"},
	"ERROR_REASON_HOLDER_NOT_CALLER_ORGANISATION": {"holder_organisation", "持有单位不是您的单位，也没有委托您代理登记"},
	"ERROR_REASON_RESOURCE_CODE_TAKEN":            {"catalogue.resource_code", "信息资源代码已被其他登记对象使用"},
	"ERROR_REASON_UNKNOWN_CODE":                   {"", "不在代码表中"},
	"ERROR_REASON_ASSET_NOT_FOUND":                {"name", "没有这个登记对象，或您无权查看"},
}

// violationText is a server violation as the errors file says it: the Chinese, then the
// English in brackets. A pattern a field rule names is not for people: it is replaced by
// what it means.
func violationText(v *catalogv1.ImportViolation) string {
	en := strings.TrimSpace(v.GetDescription())
	zh := strings.TrimSpace(v.GetDescriptionZh())
	if strings.Contains(en, "regex") || strings.Contains(en, "pattern") {
		en = "the value is not in the expected format"
		if zh == "" {
			zh = "格式不正确"
		}
	}
	if zh == "" {
		return en
	}
	if en == "" {
		return zh
	}
	return zh + "（" + en + "）"
}

// writtenHeaders are the header cells as the file writes them, per column.
func writtenHeaders(header []string, cols []*column) map[*column]string {
	out := map[*column]string{}
	for i, c := range cols {
		if c != nil {
			out[c] = strings.TrimSpace(strings.TrimPrefix(header[i], utf8BOM))
		}
	}
	return out
}

// headerAt is the header of a cell fault's column as the file writes it.
func (im *importer) headerAt(header []string, e cellError) string {
	if e.index >= 0 && e.index < len(header) {
		if h := strings.TrimSpace(strings.TrimPrefix(header[e.index], utf8BOM)); h != "" {
			return h
		}
	}
	return e.column
}

// headerFor is the header of the column holding an Asset field path: as the file writes
// it, or the template's header when the file has no such column; "-" for the row as a whole.
func (im *importer) headerFor(field string) string {
	field = strings.TrimPrefix(field, "asset.")
	if field == "" || field == "asset" {
		return "-"
	}
	c := columnOfField(field)
	if c == nil {
		return field
	}
	if h, ok := im.headers[c]; ok && h != "" {
		return h
	}
	return c.header()
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

func printImportSummary(w io.Writer, output string, sum importSummary) error {
	if output == outputJSON {
		return writeJSON(w, sum)
	}
	if sum.DryRun {
		fprintfErr(w, "checked %d rows: valid %d, unchanged %d, invalid %d, skipped %d (dry run: nothing written 未写入任何数据)\n",
			sum.Rows, sum.Valid, sum.Unchanged, sum.Invalid, sum.Skipped)
	} else {
		fprintfErr(w, "created %d, updated %d, unchanged %d, invalid %d, skipped %d\n", sum.Created, sum.Updated, sum.Unchanged, sum.Invalid, sum.Skipped)
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
