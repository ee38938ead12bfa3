package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/services/catalog/internal/domain"
	"yaosu.dev/services/catalog/internal/protoconv"
	"yaosu.dev/services/catalog/internal/store"
)

// ImportRow is one catalogue row to import.
type ImportRow struct {
	Row int64
	Key string
	// Existing is the id of the asset the row names (an export's asset id column), "" if
	// none.
	Existing string
	Asset    *catalogv1.Asset
	// Mask are the fields the row carries (ImportRow.update_mask); a matched asset takes
	// only these. Empty: all.
	Mask []string
}

// Import outcomes.
const (
	ImportCreated   = "CREATED"
	ImportUpdated   = "UPDATED"
	ImportDuplicate = "DUPLICATE"
	ImportInvalid   = "INVALID"
	// ImportValid: validate only; the row would be created or update its match.
	ImportValid = "VALID"
)

// ImportResult is what happened to one row. Violations carry the domain's field paths
// (`asset.catalogue.resource_code`, or `existing` and `import_key` for the row's own
// fields); a fault of the row as a whole has an empty path.
type ImportResult struct {
	Row        int64
	Outcome    string
	Asset      string
	Reason     string
	Violations []errs.FieldViolation
}

// importReason is the reason recorded on the revisions an import writes.
const importReason = "catalogue import"

// Import judges each row on its own and writes the valid ones in one transaction with
// their events. A row matches an existing asset by the id it names (`existing`), else by
// its holder's resource code, else by the import key an earlier import of the caller's
// organisation created it from; a match the row does not change is a duplicate, one it
// changes gets a new revision through the domain's update rule (drafts and returned
// applications only: a registered asset changes through a change application), and a row
// that matches nothing creates a draft. Every fault of a row (its values, the domain's
// rules, its codes, a clash with another row of the batch, the caller's right to file for
// its holder) makes that row INVALID; only an outage fails the call.
//
// With validateOnly every rule is applied, matching included, and nothing is written:
// rows come back VALID, DUPLICATE or INVALID.
func (a *App) Import(ctx context.Context, rows []ImportRow, validateOnly bool) ([]ImportResult, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !c.CanRegister {
		return nil, errs.PermissionDenied(errs.ReasonForbidden, "importing assets needs the registrar role")
	}
	recs := make([]domain.Record, len(rows))
	look := store.ImportLookup{Organisation: c.Organisation}
	for i, r := range rows {
		if recs[i], err = protoconv.Record(r.Asset); err != nil {
			return nil, err
		}
		if r.Existing != "" {
			look.IDs = append(look.IDs, r.Existing)
		}
		if code := strings.TrimSpace(recs[i].ResourceCode()); code != "" {
			look.Codes = append(look.Codes, code)
		}
		if r.Key != "" {
			look.Keys = append(look.Keys, r.Key)
		}
	}
	var results []ImportResult
	err = a.store.Import(ctx, look, validateOnly, func(m store.ImportMatches) ([]store.ImportWrite, error) {
		b := &importBatch{app: a, ctx: ctx, c: c, m: m, now: a.now(), dry: validateOnly,
			codes: map[string]*store.CodeSet{}, claimed: map[string]importClaim{}, byCode: map[string]string{}, byKey: map[string]string{},
			created: map[string]bool{}}
		results = make([]ImportResult, len(rows))
		for i, r := range rows {
			results[i].Row = r.Row
			if err := b.row(&results[i], r, recs[i]); err != nil {
				return nil, err
			}
		}
		return b.writes, nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// importBatch judges one batch's rows, in order, against the assets they may match.
type importBatch struct {
	app *App
	ctx context.Context
	c   domain.Caller
	m   store.ImportMatches
	now time.Time
	dry bool
	// codes caches the code-list versions the rows cite ("" = current).
	codes map[string]*store.CodeSet
	// claimed are the assets earlier rows of the batch created, updated or found
	// unchanged, as the batch leaves them, by id; byCode and byKey find them.
	claimed map[string]importClaim
	byCode  map[string]string
	byKey   map[string]string
	// created are the ids of the drafts the batch creates.
	created map[string]bool
	writes  []store.ImportWrite
}

type importClaim struct {
	asset *domain.Asset
	row   int64
}

// How a row matched its asset.
const (
	matchExisting = "existing"
	matchCode     = "resource_code"
	matchKey      = "import_key"
)

// row judges one row into res. A fault of the row makes it INVALID; any other error (an
// outage) is returned and fails the batch.
func (b *importBatch) row(res *ImportResult, r ImportRow, rec domain.Record) error {
	err := b.judge(res, r, rec)
	if err == nil {
		return nil
	}
	e, ok := errs.As(err)
	if !ok || e.Kind == errs.KindInternal || e.Kind.Retryable() || e.Kind == errs.KindDataLoss {
		// Not the row's fault: the client retries the batch (or an operator looks).
		return err
	}
	res.Outcome, res.Reason, res.Violations = ImportInvalid, e.Reason, rowViolations(e)
	return nil
}

func (b *importBatch) judge(res *ImportResult, r ImportRow, rec domain.Record) error {
	target, how, err := b.match(r, rec)
	if err != nil {
		return err
	}
	if target == nil {
		return b.create(res, r, rec)
	}
	if rec, err = b.recordFor(target, r, rec); err != nil {
		return err
	}
	if cl, ok := b.claimed[target.ID()]; ok {
		if !b.dry || !b.created[target.ID()] {
			// A validate-only run names no asset it would create: the id is never used.
			res.Asset = target.Name()
		}
		// An earlier row of this batch describes the same asset.
		if cl.asset.Unchanged(b.c, rec) {
			res.Outcome = ImportDuplicate
			return nil
		}
		return sameAssetTwice(how, cl.row)
	}
	return b.update(res, r, target, rec)
}

// recordFor is the record the row gives target: the fields the row carries (its mask)
// over target's record, and the codes resolved in the version in effect, so that neither a
// column the sheet lacks (evidence attached since the export, say) nor an alias (接口 for
// API) counts as a change.
func (b *importBatch) recordFor(target *domain.Asset, r ImportRow, rec domain.Record) (domain.Record, error) {
	if paths := protoconv.WritablePaths(r.Mask); len(paths) > 0 {
		merged := protoconv.RecordProto(target.Record())
		if err := protoconv.ApplyMask(merged, r.Asset, paths); err != nil {
			return rec, err
		}
		var err error
		if rec, err = protoconv.Record(merged); err != nil {
			return rec, err
		}
	}
	version := strings.TrimSpace(rec.CodeListVersion)
	if version == "" {
		version = target.Record().CodeListVersion
	}
	codes, err := b.codeSet(version)
	if err != nil {
		return rec, err
	}
	rec.ResolveCodes(codes)
	return rec, nil
}

// match finds the asset the row describes (nil: none, the row creates one). An asset the
// caller may not read is never matched by name: a code it holds is "taken", as it would be
// for a new draft, so a dry run cannot tell who holds a code the caller cannot see.
func (b *importBatch) match(r ImportRow, rec domain.Record) (*domain.Asset, string, error) {
	holder := strings.TrimSpace(rec.HolderOrganisation)
	if r.Existing != "" {
		t := b.current(b.m.ByID[r.Existing])
		if t == nil || !b.c.CanRead(t) {
			return nil, "", existingNotFound(r.Existing)
		}
		if t.HolderOrganisation() != holder {
			return nil, "", otherHolder(t)
		}
		return t, matchExisting, nil
	}
	if code := strings.TrimSpace(rec.ResourceCode()); code != "" {
		if t := b.byResourceCode(code); t != nil {
			if t.HolderOrganisation() != holder || !b.c.CanRead(t) {
				return nil, "", resourceCodeTaken(code)
			}
			return t, matchCode, nil
		}
	}
	if r.Key == "" {
		return nil, "", nil
	}
	if id, ok := b.byKey[r.Key]; ok {
		return b.claimed[id].asset, matchKey, nil
	}
	if t := b.current(b.m.ByKey[r.Key]); t != nil {
		if !b.c.CanRead(t) {
			// Created by the caller's organisation as an agent, then taken back by its holder.
			return nil, "", keyTaken()
		}
		if t.HolderOrganisation() != holder {
			return nil, "", otherHolder(t)
		}
		return t, matchKey, nil
	}
	return nil, "", nil
}

// current is a as this batch leaves it so far.
func (b *importBatch) current(a *domain.Asset) *domain.Asset {
	if a == nil {
		return nil
	}
	if cl, ok := b.claimed[a.ID()]; ok {
		return cl.asset
	}
	return a
}

func (b *importBatch) byResourceCode(code string) *domain.Asset {
	if id, ok := b.byCode[code]; ok {
		return b.claimed[id].asset
	}
	return b.current(b.m.ByCode[code])
}

// owner is the id of the asset that has (or had when the batch began) resource code code,
// "" if none. A code another row of the batch moves away is still taken: the batch's
// writes would otherwise depend on their order.
func (b *importBatch) owner(code string) string {
	if id, ok := b.byCode[code]; ok {
		return id
	}
	if a := b.m.ByCode[code]; a != nil {
		return a.ID()
	}
	return ""
}

func (b *importBatch) claim(a *domain.Asset, r ImportRow) {
	b.claimed[a.ID()] = importClaim{asset: a, row: r.Row}
	if code := a.Record().ResourceCode(); code != "" {
		b.byCode[code] = a.ID()
	}
	if r.Key != "" {
		b.byKey[r.Key] = a.ID()
	}
}

func (b *importBatch) codeSet(version string) (*store.CodeSet, error) {
	if set, ok := b.codes[version]; ok {
		return set, nil
	}
	set, err := b.app.codes(b.ctx, version)
	if err != nil {
		return nil, err
	}
	b.codes[version] = set
	return set, nil
}

// create judges a row that matches nothing: a new draft.
func (b *importBatch) create(res *ImportResult, r ImportRow, rec domain.Record) error {
	codes, err := b.codeSet(strings.TrimSpace(rec.CodeListVersion))
	if err != nil {
		return err
	}
	asset, err := domain.NewDraft(newID(), rec, b.c, codes, b.now)
	if err != nil {
		return err
	}
	if code := asset.Record().ResourceCode(); code != "" && b.owner(code) != "" {
		return resourceCodeTaken(code)
	}
	b.claim(asset, r)
	b.created[asset.ID()] = true
	if b.dry {
		res.Outcome = ImportValid
		return nil
	}
	ev, err := messaging.NewEvent(b.ctx, ServiceName, EventAssetCreated, asset.Name(), asset.Revision(),
		&eventsv1.AssetCreated{Asset: protoconv.Asset(asset)})
	if err != nil {
		return err
	}
	rev := createRevision(b.c)
	rev.Action, rev.Reason = "import", importReason
	b.writes = append(b.writes, store.ImportWrite{Created: true, Key: r.Key, Asset: asset, Revision: rev, Events: []*eventsv1.Event{ev}})
	res.Outcome, res.Asset = ImportCreated, asset.Name()
	return nil
}

// update judges a row that matches target: a duplicate if it changes nothing, else a new
// revision through the domain's update rule, as UpdateAsset makes.
func (b *importBatch) update(res *ImportResult, r ImportRow, target *domain.Asset, rec domain.Record) error {
	// The caller can read every match (see match): a row that changes nothing is a
	// duplicate whoever holds the asset, so an export of everything the caller sees imports
	// back clean; only a change needs the right to file for the holder.
	if target.Unchanged(b.c, rec) {
		b.claim(target, r)
		res.Asset, res.Outcome = target.Name(), ImportDuplicate
		return nil
	}
	if err := b.c.CheckFilesFor(target); err != nil {
		return err
	}
	res.Asset = target.Name()
	version := strings.TrimSpace(rec.CodeListVersion)
	if version == "" {
		version = target.Record().CodeListVersion
	}
	codes, err := b.codeSet(version)
	if err != nil {
		return err
	}
	// A copy, so a refused or validate-only row leaves the match as it was read.
	next := domain.FromSnapshot(target.Snapshot())
	before := next.Snapshot()
	cmd := domain.Command{Action: domain.ActUpdate, Caller: b.c, Now: b.now, Record: &rec, Reason: importReason, Codes: codes}
	eff, err := next.Apply(nil, cmd)
	if err != nil {
		return notUpdatable(target, err)
	}
	if code := next.Record().ResourceCode(); code != "" {
		if owner := b.owner(code); owner != "" && owner != next.ID() {
			return resourceCodeTaken(code)
		}
	}
	b.claim(next, r)
	if eff.NoOp {
		res.Outcome = ImportDuplicate
		return nil
	}
	if b.dry {
		res.Outcome = ImportValid
		return nil
	}
	w := &store.Work{Asset: next}
	events, err := b.app.events(b.ctx, w, eff, cmd)
	if err != nil {
		return err
	}
	rev := store.Revision{Action: "import", EventType: "catalog.asset.updated", Actor: b.c.Subject,
		ActorOrganisation: b.c.Organisation, Reason: importReason, Changes: revisionChanges(before, next.Snapshot())}
	b.writes = append(b.writes, store.ImportWrite{Previous: before.Revision, Asset: next, Revision: rev, Events: events})
	res.Outcome = ImportUpdated
	return nil
}

// rowViolations are e's violations, or one naming the field its rule concerns when it
// has none (an empty path: the row as a whole).
func rowViolations(e *errs.Error) []errs.FieldViolation {
	if len(e.Violations) > 0 {
		return e.Violations
	}
	return []errs.FieldViolation{{Field: reasonFields[e.Reason], Description: e.Message, DescriptionZh: e.MessageZh}}
}

// reasonFields are the fields of rules whose errors name none.
var reasonFields = map[string]string{
	domain.ReasonCoreData:           "asset.grade",
	domain.ReasonHolderNotCallerOrg: "asset.agent.organisation",
	domain.ReasonResourceCodeTaken:  "asset.catalogue.resource_code",
}

func existingNotFound(id string) error {
	return errs.InvalidArgument(domain.ReasonAssetNotFound, errs.FieldViolation{Field: "existing",
		Description:   fmt.Sprintf("assets/%s not found", id),
		DescriptionZh: fmt.Sprintf("找不到登记对象 assets/%s", id)})
}

func otherHolder(a *domain.Asset) error {
	return errs.InvalidArgument(domain.ReasonImmutableField, errs.FieldViolation{Field: "asset.holder_organisation",
		Description:   fmt.Sprintf("%s is held by %s; the holder cannot change (a transfer of holding is a rights matter)", a.Name(), a.HolderOrganisation()),
		DescriptionZh: fmt.Sprintf("%s 的持有单位为 %s，持有单位不能变更（持有权转移属于权利登记事项）", a.Name(), a.HolderOrganisation())})
}

func keyTaken() error {
	return errs.InvalidArgument(errs.ReasonValidation, errs.FieldViolation{Field: "import_key",
		Description:   "an asset your organisation imported with this key is no longer yours to see; change the row's resource code or name",
		DescriptionZh: "本单位曾以此导入键导入的登记对象已不可见；请修改该行的资源代码或名称"})
}

func resourceCodeTaken(code string) error {
	return errs.InvalidArgument(domain.ReasonResourceCodeTaken, errs.FieldViolation{Field: "asset.catalogue.resource_code",
		Description:   "another asset has resource code " + code,
		DescriptionZh: "资源代码 " + code + " 已被其他登记对象使用"})
}

// sameAssetTwice is the fault of a row that describes, with other values, the asset an
// earlier row of the batch describes: which of the two is meant is the office's call.
func sameAssetTwice(how string, row int64) error {
	reason, field := errs.ReasonValidation, how // existing, import_key: the row's own fields
	if how == matchCode {
		reason, field = domain.ReasonResourceCodeTaken, "asset.catalogue.resource_code"
	}
	return errs.InvalidArgument(reason, errs.FieldViolation{Field: field,
		Description:   fmt.Sprintf("row %d of this import describes the same asset with other values; keep one of the two rows", row),
		DescriptionZh: fmt.Sprintf("本次导入的第 %d 行描述同一登记对象但内容不同；请只保留其中一行", row)})
}

// notUpdatable explains why a matched asset cannot take the row's values: a registered
// record changes through a change application (变更登记), one under review not at all.
func notUpdatable(a *domain.Asset, err error) error {
	if errs.ReasonOf(err) != domain.ReasonInvalidTransition {
		return err
	}
	var e *errs.Error
	switch s := a.State(); s {
	case domain.StateRegistered, domain.StateSuspended:
		e = errs.FailedPrecondition(domain.ReasonInvalidTransition,
			"%s is registered (%s) and the row changes it: a registered record changes through a change application (变更登记, SubmitApplication CHANGE), not by import", a.Name(), s)
		e.MessageZh = fmt.Sprintf("%s 已登记（%s），该行与登记内容不同：已登记的记录须通过变更登记申请修改，不能通过导入修改", a.Name(), s)
	default:
		e = errs.FailedPrecondition(domain.ReasonInvalidTransition,
			"%s is %s and the row changes it: its record cannot change in this state (an application under review changes once it is returned or withdrawn)", a.Name(), s)
		e.MessageZh = fmt.Sprintf("%s 处于 %s 状态，该行与其内容不同：此状态下记录不能修改（审核中的申请退回或撤回后方可修改）", a.Name(), s)
	}
	return e
}
