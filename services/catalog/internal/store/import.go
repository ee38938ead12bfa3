package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/services/catalog/internal/domain"
)

// ImportLookup names the existing assets a batch of catalogue rows may match.
type ImportLookup struct {
	// Organisation is the importing organisation: earlier imports are its creations.
	Organisation string
	// IDs are the assets rows name (`existing`, an export's asset id column).
	IDs []string
	// Codes are the rows' catalogue resource codes.
	Codes []string
	// Keys are the rows' import keys (earlier imports' create request ids).
	Keys []string
}

// ImportMatches are the assets found for an ImportLookup, as they were when read (not
// locked: an update is written only over the revision it read).
type ImportMatches struct {
	ByID   map[string]*domain.Asset
	ByCode map[string]*domain.Asset
	ByKey  map[string]*domain.Asset
}

// ImportWrite is what one valid row writes: a new draft (Created, with its import key
// stored as the create request id, so a re-import recognises it) or a new revision of a
// matched asset (Previous is the revision it was read at).
type ImportWrite struct {
	Created  bool
	Key      string
	Previous int64
	Asset    *domain.Asset
	Revision Revision
	Events   []*eventsv1.Event
}

// importAttempts bounds how often Import runs a batch that lost a race.
const importAttempts = 3

// Import looks up the batch's candidate matches, lets decide judge the rows against them,
// and writes what decide returns, all in one transaction: new drafts by COPY (one round
// trip per table instead of three statements per row, the import benchmark's bottleneck),
// updates each over the revision it was judged on, every revision row and event with them.
//
// Two imports of the same rows at once (the same file sent twice, or by two offices) do
// not both create them: the unique indexes on the import key and the resource code let
// one insert and make the other fail once the first commits. That one is run again, from
// the lookup, so it matches what the first created (deadlocks between batches that
// insert the same rows in different orders end the same way); imports of different rows
// never wait for each other. After importAttempts lost races the call fails ABORTED and
// the client retries it.
//
// Matches are read without locks: a batch may name any organisation's ids and codes, and
// locking them would let any registrar hold up another's edits and reviews. An update is
// written over the revision it was judged on (updateAsset), so a concurrent change makes
// the batch run again like a lost insert race. With dryRun nothing is written: decide sees
// what a real import would see at this moment.
func (s *Store) Import(ctx context.Context, look ImportLookup, dryRun bool, decide func(ImportMatches) ([]ImportWrite, error)) error {
	for attempt := 1; ; attempt++ {
		err := postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			m, err := importMatches(ctx, tx, look)
			if err != nil {
				return err
			}
			writes, err := decide(m)
			if err != nil || dryRun {
				return err
			}
			return writeImport(ctx, tx, writes)
		})
		if !lostRace(err) {
			return err
		}
		if attempt == importAttempts {
			return errs.Wrap(err, errs.KindAborted, errs.ReasonConflict, "concurrent imports wrote some of these rows; retry the batch")
		}
	}
}

// lostRace reports whether err is a concurrent writer's win: a unique index the batch's
// new rows ran into, a deadlock or a serialisation failure.
func lostRace(err error) bool {
	return postgres.IsUniqueViolation(err, "assets_create_request_key") || postgres.IsUniqueViolation(err, "assets_resource_code_key") ||
		(errs.KindOf(err) == errs.KindAborted && errs.ReasonOf(err) == errs.ReasonConflict)
}

// importMatches reads the assets the lookup names.
func importMatches(ctx context.Context, tx pgx.Tx, look ImportLookup) (ImportMatches, error) {
	m := ImportMatches{ByID: map[string]*domain.Asset{}, ByCode: map[string]*domain.Asset{}, ByKey: map[string]*domain.Asset{}}
	if len(look.IDs)+len(look.Codes)+len(look.Keys) == 0 {
		return m, nil
	}
	sql := `SELECT ` + assetColumns + `, CASE WHEN creator_organisation = $4 THEN create_request_id::text END
		FROM assets WHERE id = ANY($1::uuid[]) OR resource_code = ANY($2::text[])
		   OR (creator_organisation = $4 AND create_request_id = ANY($3::uuid[]))
		ORDER BY id`
	rows, err := tx.Query(ctx, sql, nonNil(look.IDs), nonNil(look.Codes), nonNil(look.Keys), look.Organisation)
	if err != nil {
		return m, err
	}
	defer rows.Close()
	for rows.Next() {
		var key *string
		a, err := scanAsset(withExtra{rows, &key})
		if err != nil {
			return m, err
		}
		m.ByID[a.ID()] = a
		if c := a.Record().ResourceCode(); c != "" {
			m.ByCode[c] = a
		}
		if key != nil {
			m.ByKey[*key] = a
		}
	}
	return m, rows.Err()
}

// withExtra scans an asset row followed by one more column.
type withExtra struct {
	row   pgx.Row
	extra any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra)...) }

// writeImport writes a batch's new drafts, updates, revision rows and events.
func writeImport(ctx context.Context, tx pgx.Tx, writes []ImportWrite) error {
	var assetRows, revisionRows [][]any
	var events []*eventsv1.Event
	for _, w := range writes {
		snap := w.Asset.Snapshot()
		at := snap.UpdateTime
		if w.Created {
			assetRows = append(assetRows, insertArgs(snap, w.Key))
			at = snap.CreateTime
		} else if err := updateAsset(ctx, tx, snap, w.Previous); err != nil {
			return err
		}
		changes := w.Revision.Changes
		if changes == nil {
			changes = []domain.FieldChange{}
		}
		revisionRows = append(revisionRows, []any{snap.ID, snap.Revision, w.Revision.Action, w.Revision.EventType,
			w.Revision.Actor, w.Revision.ActorOrganisation, at, w.Revision.Reason, changes})
		events = append(events, w.Events...)
	}
	if len(assetRows) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"assets"}, assetInsertColumns, pgx.CopyFromRows(assetRows)); err != nil {
			return err
		}
	}
	if len(revisionRows) == 0 {
		return nil
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"asset_revisions"}, revisionColumns, pgx.CopyFromRows(revisionRows)); err != nil {
		return err
	}
	return messaging.CopyAppend(ctx, tx, events)
}
