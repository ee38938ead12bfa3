package app

import (
	"context"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/services/catalog/internal/domain"
	"yaosu.dev/services/catalog/internal/protoconv"
	"yaosu.dev/services/catalog/internal/store"
)

// ImportRow is one catalogue row to import as a draft.
type ImportRow struct {
	Row   int64
	Key   string
	Asset *catalogv1.Asset
}

// Import outcomes.
const (
	ImportCreated   = "CREATED"
	ImportDuplicate = "DUPLICATE"
	ImportInvalid   = "INVALID"
)

// ImportResult is what happened to one row.
type ImportResult struct {
	Row        int64
	Outcome    string
	Asset      string
	Reason     string
	Violations []errs.FieldViolation
}

// Import creates drafts from rows: each row is checked on its own, the valid ones are
// written in one transaction (with their events), rows imported before (same import key
// from the same organisation) are reported as duplicates.
func (a *App) Import(ctx context.Context, rows []ImportRow) ([]ImportResult, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !c.CanRegister {
		return nil, errs.PermissionDenied(errs.ReasonForbidden, "importing assets needs the registrar role")
	}
	results := make([]ImportResult, len(rows))
	var items []store.ImportItem
	var itemRow []int
	now := a.now()
	// Rows nearly always cite the current version (or none): look it up once per batch.
	current, err := a.codes(ctx, "")
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		results[i].Row = r.Row
		rec, err := protoconv.Record(r.Asset)
		var asset *domain.Asset
		if err == nil {
			codes := current
			if rec.CodeListVersion != "" && rec.CodeListVersion != current.Version() {
				codes, err = a.codes(ctx, rec.CodeListVersion)
			}
			if err == nil {
				asset, err = domain.NewDraft(newID(), rec, c, codes, now)
			}
		}
		if err != nil {
			// A row is invalid only for its own faults; an outage (UNAVAILABLE, ABORTED,
			// DEADLINE_EXCEEDED) fails the whole call, which the client retries.
			if e, ok := errs.As(err); ok && e.Kind != errs.KindInternal && !e.Kind.Retryable() {
				results[i].Outcome, results[i].Reason, results[i].Violations = ImportInvalid, e.Reason, e.Violations
				if len(e.Violations) == 0 {
					results[i].Violations = []errs.FieldViolation{{Field: "asset", Description: e.Message}}
				}
				continue
			}
			return nil, err
		}
		ev, err := messaging.NewEvent(ctx, ServiceName, EventAssetCreated, asset.Name(), asset.Revision(),
			&eventsv1.AssetCreated{Asset: protoconv.Asset(asset)})
		if err != nil {
			return nil, err
		}
		rev := createRevision(c)
		rev.Action, rev.Reason = "import", "catalogue import"
		items = append(items, store.ImportItem{Key: r.Key, Asset: asset, Revision: rev, Events: []*eventsv1.Event{ev}})
		itemRow = append(itemRow, i)
	}
	if len(items) == 0 {
		return results, nil
	}
	outcomes, err := a.store.Import(ctx, c.Organisation, items)
	if err != nil {
		return nil, err
	}
	for j, o := range outcomes {
		r := &results[itemRow[j]]
		switch {
		case o.Created:
			r.Outcome, r.Asset = ImportCreated, items[j].Asset.Name()
		case o.Existing != "":
			r.Outcome, r.Asset = ImportDuplicate, o.Existing
		default:
			e, _ := errs.As(o.Err)
			r.Outcome, r.Reason, r.Violations = ImportInvalid, e.Reason, e.Violations
		}
	}
	return results, nil
}
