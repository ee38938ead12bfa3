// Package store keeps catalog aggregates in Postgres (the catalog schema, through the
// service pool's search_path). Every write is one transaction that also appends the
// change's events to the outbox and the revision's row to asset_revisions.
package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/services/catalog/internal/domain"
)

// Store is the catalog's repository.
type Store struct {
	pool *pgxpool.Pool
	// codes caches code-list versions (immutable once published): version → *CodeSet.
	codes sync.Map
}

// New returns a store over pool, whose search_path is the catalog schema.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Pool returns the store's pool (for the benchmarks' direct-SQL baselines).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

const assetColumns = `id, record, state, revision, creator, creator_organisation, create_time, update_time,
	registration_number, register_time, open_application, incident, disposal`

// assetInsertColumns are the columns a new asset row sets, in InsertArgs order.
var assetInsertColumns = []string{"id", "display_name", "summary", "holder_organisation", "state", "revision",
	"creator", "creator_organisation", "create_request_id", "create_time", "update_time", "record", "kind", "grade",
	"category", "sectors", "sharing_attribute", "open_attribute", "resource_code", "search_tokens"}

// revisionColumns are the columns of an asset_revisions row.
var revisionColumns = []string{"asset_id", "revision", "action", "event_type", "actor", "actor_organisation",
	"time", "reason", "changes"}

// InsertAssetSQL inserts a new asset; exported so the benchmark's direct-SQL baseline runs
// the identical statement.
var InsertAssetSQL = insertSQL("assets", assetInsertColumns)

// InsertRevisionSQL records one committed revision.
var InsertRevisionSQL = insertSQL("asset_revisions", revisionColumns)

func insertSQL(table string, columns []string) string {
	params := make([]string, len(columns))
	for i := range columns {
		params[i] = "$" + strconv.Itoa(i+1)
	}
	return "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES (" + strings.Join(params, ", ") + ")"
}

// InsertArgs returns the arguments of InsertAssetSQL for a new asset.
func InsertArgs(a *domain.Asset, requestID string) []any { return insertArgs(a.Snapshot(), requestID) }

func insertArgs(s domain.Snapshot, requestID string) []any {
	var reqID *string
	if requestID != "" {
		reqID = &requestID
	}
	rec := s.Record
	return []any{s.ID, rec.DisplayName, rec.Summary, rec.HolderOrganisation, string(s.State), s.Revision, s.Creator,
		s.CreatorOrganisation, reqID, s.CreateTime, s.UpdateTime, rec, rec.Kind, rec.Grade, rec.Category, nonNil(rec.Sectors),
		rec.SharingAttribute, rec.OpenAttribute, nullable(rec.ResourceCode()), domain.IndexTokens(rec, "")}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Revision describes a committed revision for asset_revisions.
type Revision struct {
	Action            string
	EventType         string
	Actor             string
	ActorOrganisation string
	Reason            string
	Changes           []domain.FieldChange
}

// CreateAsset inserts a and its events in one transaction. With a request id, a repeat
// from the same organisation returns the asset the first call created (created=false).
func (s *Store) CreateAsset(ctx context.Context, a *domain.Asset, requestID string, rev Revision, events []*eventsv1.Event) (*domain.Asset, bool, error) {
	snap := a.Snapshot()
	if requestID != "" {
		if existing, err := s.byRequest(ctx, s.pool, snap.CreatorOrganisation, requestID); err == nil {
			return existing, false, nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return nil, false, postgres.MapError(err)
		}
	}
	err := postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, InsertAssetSQL, InsertArgs(a, requestID)...); err != nil {
			return err
		}
		if err := insertRevision(ctx, tx, snap.ID, snap.Revision, snap.CreateTime, rev); err != nil {
			return err
		}
		return messaging.Append(ctx, tx, events...)
	})
	if err != nil && requestID != "" && postgres.IsUniqueViolation(err, "assets_create_request_key") {
		// A concurrent retry with the same request id won; return what it created.
		existing, rerr := s.byRequest(ctx, s.pool, snap.CreatorOrganisation, requestID)
		if rerr != nil {
			return nil, false, postgres.MapError(rerr)
		}
		return existing, false, nil
	}
	if err != nil {
		return nil, false, mapAssetError(err)
	}
	return a, true, nil
}

func insertRevision(ctx context.Context, tx pgx.Tx, id string, revision int64, at time.Time, rev Revision) error {
	changes := rev.Changes
	if changes == nil {
		changes = []domain.FieldChange{}
	}
	_, err := tx.Exec(ctx, InsertRevisionSQL, id, revision, rev.Action, rev.EventType, rev.Actor, rev.ActorOrganisation,
		at, rev.Reason, changes)
	return err
}

// mapAssetError names the rule behind the constraints a caller can run into.
func mapAssetError(err error) error {
	if postgres.IsUniqueViolation(err, "assets_resource_code_key") {
		return errs.New(errs.KindAlreadyExists, domain.ReasonResourceCodeTaken, "another asset has that catalogue resource code")
	}
	return postgres.MapError(err)
}

func (s *Store) byRequest(ctx context.Context, q querier, org, requestID string) (*domain.Asset, error) {
	return scanAsset(q.QueryRow(ctx, `SELECT `+assetColumns+` FROM assets WHERE creator_organisation = $1 AND create_request_id = $2`, org, requestID))
}

// GetAsset loads one asset; a missing one is NOT_FOUND.
func (s *Store) GetAsset(ctx context.Context, id string) (*domain.Asset, error) {
	a, err := scanAsset(s.pool.QueryRow(ctx, `SELECT `+assetColumns+` FROM assets WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.NotFound("assets/" + id)
	}
	return a, postgres.MapError(err)
}

func scanAsset(row pgx.Row) (*domain.Asset, error) {
	var s domain.Snapshot
	var state string
	var regNo *string
	var regTime *time.Time
	var openApp *string
	if err := row.Scan(&s.ID, &s.Record, &state, &s.Revision, &s.Creator, &s.CreatorOrganisation, &s.CreateTime,
		&s.UpdateTime, &regNo, &regTime, &openApp, &s.Incident, &s.Disposal); err != nil {
		return nil, err
	}
	s.State = domain.State(state)
	s.CreateTime, s.UpdateTime = s.CreateTime.UTC(), s.UpdateTime.UTC()
	if regNo != nil {
		s.RegistrationNumber = *regNo
	}
	if regTime != nil {
		s.RegisterTime = regTime.UTC()
	}
	if openApp != nil {
		s.OpenApplication = *openApp
	}
	return domain.FromSnapshot(s), nil
}

// Work is one change being made inside Mutate's transaction: the locked asset, its
// application, and what the app decided to persist.
type Work struct {
	ctx context.Context
	tx  pgx.Tx
	// Asset is the asset, locked FOR UPDATE.
	Asset *domain.Asset
	// App is the application concerned (the one asked for, or the open one), locked; nil if
	// none.
	App *domain.Application

	// Set by the caller of Mutate:

	// Effect is what Apply did; nil or NoOp means nothing to write.
	Effect   *domain.Effect
	Revision Revision
	Events   []*eventsv1.Event
	// Certificate is a certificate to issue (after revoking the current one when the effect
	// says so).
	Certificate *domain.Certificate

	regNumberFormat string
}

// NextRegistrationNumber draws a number from the sequence. Sequences are not
// transactional: a rolled-back registration leaves a gap, never a repeat.
func (w *Work) NextRegistrationNumber() (string, error) {
	var seq int64
	if err := w.tx.QueryRow(w.ctx, `SELECT nextval('registration_number_seq')`).Scan(&seq); err != nil {
		return "", err
	}
	return domain.FormatRegistrationNumber(w.regNumberFormat, seq, time.Now()), nil
}

// NextCertificateSerial returns the serial of the asset's next certificate.
func (w *Work) NextCertificateSerial() (int64, error) {
	var n int64
	err := w.tx.QueryRow(w.ctx, `SELECT coalesce(max(serial), 0) + 1 FROM certificates WHERE asset_id = $1`, w.Asset.ID()).Scan(&n)
	return n, err
}

// MutateOptions select what Mutate locks.
type MutateOptions struct {
	// ApplicationID is the application to load; empty loads the asset's open one.
	ApplicationID string
	// SkipLocked makes Mutate return ErrLocked instead of waiting for a row another
	// transaction holds (the scheduler uses it so replicas share the work).
	SkipLocked bool
	// RegistrationNumberFormat formats numbers drawn in this transaction.
	RegistrationNumberFormat string
}

// ErrLocked is returned by Mutate with SkipLocked when another transaction holds the asset.
var ErrLocked = errors.New("asset locked by another transaction")

// Mutate runs fn on the locked asset (and application) in one transaction, then saves
// what fn decided: the asset with its new revision, the application and its objections,
// certificates, the revision row and the events. If fn leaves Effect nil or NoOp, nothing
// is written.
func (s *Store) Mutate(ctx context.Context, assetID string, opt MutateOptions, fn func(*Work) error) error {
	err := postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		lock := ` FOR UPDATE`
		if opt.SkipLocked {
			lock = ` FOR UPDATE SKIP LOCKED`
		}
		a, err := scanAsset(tx.QueryRow(ctx, `SELECT `+assetColumns+` FROM assets WHERE id = $1`+lock, assetID))
		if errors.Is(err, pgx.ErrNoRows) {
			if opt.SkipLocked {
				return ErrLocked
			}
			return domain.NotFound("assets/" + assetID)
		}
		if err != nil {
			return err
		}
		w := &Work{ctx: ctx, tx: tx, Asset: a, regNumberFormat: opt.RegistrationNumberFormat}
		appID := opt.ApplicationID
		if appID == "" {
			appID = a.OpenApplication()
		}
		if appID != "" {
			// The asset row's lock covers its applications: every write to one goes through here.
			app, err := loadApplication(ctx, tx, appID)
			if errors.Is(err, pgx.ErrNoRows) || (err == nil && app.AssetID != assetID) {
				return errs.NotFound(domain.ReasonAssetNotFound, "assets/%s/applications/%s not found", assetID, appID)
			}
			if err != nil {
				return err
			}
			w.App = app
		}
		before := a.Revision()
		if err := fn(w); err != nil {
			return err
		}
		if w.Effect == nil || w.Effect.NoOp {
			return nil
		}
		return w.save(before)
	})
	return mapAssetError(err)
}

func (w *Work) save(before int64) error {
	ctx, tx := w.ctx, w.tx
	snap := w.Asset.Snapshot()
	if err := updateAsset(ctx, tx, snap, before); err != nil {
		return err
	}
	if app := w.Effect.Application; app != nil {
		if err := saveApplication(ctx, tx, app, w.Effect.NewApplication); err != nil {
			return err
		}
	}
	if w.Effect.RevokeReason != "" {
		if _, err := tx.Exec(ctx, `UPDATE certificates SET revoke_time = $2, revoke_reason = $3
			WHERE asset_id = $1 AND revoke_time IS NULL`, snap.ID, snap.UpdateTime, w.Effect.RevokeReason); err != nil {
			return err
		}
	}
	if c := w.Certificate; c != nil {
		if _, err := tx.Exec(ctx, `INSERT INTO certificates (asset_id, serial, registration_number, asset_name,
			holder_organisation, holder_name, grade, issue_date, registry_name, note, issue_time)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, c.AssetID, c.Serial, c.RegistrationNumber,
			c.AssetName, c.HolderOrganisation, c.HolderName, c.Grade, c.IssueDate, c.RegistryName, c.Note, c.IssueTime); err != nil {
			return err
		}
	}
	if err := insertRevision(ctx, tx, snap.ID, snap.Revision, snap.UpdateTime, w.Revision); err != nil {
		return err
	}
	return messaging.Append(ctx, tx, w.Events...)
}

// updateAsset writes a changed asset over its row at revision before (which the caller
// holds locked).
func updateAsset(ctx context.Context, tx pgx.Tx, snap domain.Snapshot, before int64) error {
	rec := snap.Record
	var regNo *string
	var regTime *time.Time
	if snap.RegistrationNumber != "" {
		regNo, regTime = &snap.RegistrationNumber, &snap.RegisterTime
	}
	tag, err := tx.Exec(ctx, `UPDATE assets SET display_name = $3, summary = $4, state = $5, revision = $6,
		update_time = $7, record = $8, kind = $9, grade = $10, category = $11, sectors = $12, sharing_attribute = $13,
		open_attribute = $14, resource_code = $15, registration_number = $16, register_time = $17,
		open_application = $18, incident = $19, disposal = $20, search_tokens = $21
		WHERE id = $1 AND revision = $2`,
		snap.ID, before, rec.DisplayName, rec.Summary, string(snap.State), snap.Revision, snap.UpdateTime, rec,
		rec.Kind, rec.Grade, rec.Category, nonNil(rec.Sectors), rec.SharingAttribute, rec.OpenAttribute,
		nullable(rec.ResourceCode()), regNo, regTime, nullable(snap.OpenApplication), snap.Incident, snap.Disposal,
		domain.IndexTokens(rec, snap.RegistrationNumber))
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		// Callers that lock the row first never get here; an import, which does not lock
		// what it matched, runs its batch again (lostRace). Never a lost write.
		return errs.New(errs.KindAborted, errs.ReasonConflict, "asset %s changed while this change was made; retry", snap.ID)
	}
	return nil
}

func saveApplication(ctx context.Context, tx pgx.Tx, p *domain.Application, isNew bool) error {
	var pubStart, pubEnd *time.Time
	if !p.PublicityStart.IsZero() {
		pubStart, pubEnd = &p.PublicityStart, &p.PublicityEnd
	}
	if isNew {
		if _, err := tx.Exec(ctx, `INSERT INTO applications (id, asset_id, type, state, proposed, reason, submitter,
			submitter_organisation, submit_time, update_time, publicity_start, publicity_end, asset_revision, history)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			p.ID, p.AssetID, string(p.Type), string(p.State), p.Proposed, p.Reason, p.Submitter, p.SubmitterOrganisation,
			p.SubmitTime, p.UpdateTime, pubStart, pubEnd, p.AssetRevision, p.History); err != nil {
			if postgres.IsUniqueViolation(err, "applications_one_open_key") {
				return errs.FailedPrecondition(domain.ReasonApplicationOpen, "the asset already has an open application")
			}
			return err
		}
	} else if _, err := tx.Exec(ctx, `UPDATE applications SET state = $2, proposed = $3, update_time = $4,
		publicity_start = $5, publicity_end = $6, asset_revision = $7, history = $8 WHERE id = $1`,
		p.ID, string(p.State), p.Proposed, p.UpdateTime, pubStart, pubEnd, p.AssetRevision, p.History); err != nil {
		return err
	}
	for _, o := range p.Objections {
		var resolveTime *time.Time
		if !o.ResolveTime.IsZero() {
			resolveTime = &o.ResolveTime
		}
		if _, err := tx.Exec(ctx, `INSERT INTO objections (id, application_id, text, filer, filer_organisation,
			file_time, state, resolver, resolve_time, resolution) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (id) DO UPDATE SET state = excluded.state, resolver = excluded.resolver,
			resolve_time = excluded.resolve_time, resolution = excluded.resolution`,
			o.ID, p.ID, o.Text, o.Filer, o.FilerOrganisation, o.FileTime, o.State, o.Resolver, resolveTime, o.Resolution); err != nil {
			return err
		}
	}
	return nil
}

const applicationColumns = `id, asset_id, type, state, proposed, reason, submitter, submitter_organisation,
	submit_time, update_time, publicity_start, publicity_end, asset_revision, history`

func scanApplication(row pgx.Row) (*domain.Application, error) {
	var p domain.Application
	var typ, state string
	var pubStart, pubEnd *time.Time
	if err := row.Scan(&p.ID, &p.AssetID, &typ, &state, &p.Proposed, &p.Reason, &p.Submitter, &p.SubmitterOrganisation,
		&p.SubmitTime, &p.UpdateTime, &pubStart, &pubEnd, &p.AssetRevision, &p.History); err != nil {
		return nil, err
	}
	p.Type, p.State = domain.AppType(typ), domain.AppState(state)
	p.SubmitTime, p.UpdateTime = p.SubmitTime.UTC(), p.UpdateTime.UTC()
	if pubStart != nil {
		p.PublicityStart, p.PublicityEnd = pubStart.UTC(), pubEnd.UTC()
	}
	return &p, nil
}

func loadApplication(ctx context.Context, q querier, id string) (*domain.Application, error) {
	p, err := scanApplication(q.QueryRow(ctx, `SELECT `+applicationColumns+` FROM applications WHERE id = $1`, id))
	if err != nil {
		return nil, err
	}
	if err := loadObjections(ctx, q, []*domain.Application{p}); err != nil {
		return nil, err
	}
	return p, nil
}

func loadObjections(ctx context.Context, q querier, apps []*domain.Application) error {
	if len(apps) == 0 {
		return nil
	}
	byID := map[string]*domain.Application{}
	ids := make([]string, len(apps))
	for i, p := range apps {
		byID[p.ID], ids[i] = p, p.ID
	}
	rows, err := q.Query(ctx, `SELECT id, application_id, text, filer, filer_organisation, file_time, state, resolver,
		resolve_time, resolution FROM objections WHERE application_id = ANY($1::uuid[]) ORDER BY file_time, id`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o domain.Objection
		var appID string
		var resolveTime *time.Time
		if err := rows.Scan(&o.ID, &appID, &o.Text, &o.Filer, &o.FilerOrganisation, &o.FileTime, &o.State, &o.Resolver,
			&resolveTime, &o.Resolution); err != nil {
			return err
		}
		o.FileTime = o.FileTime.UTC()
		if resolveTime != nil {
			o.ResolveTime = resolveTime.UTC()
		}
		byID[appID].Objections = append(byID[appID].Objections, o)
	}
	return rows.Err()
}

// GetApplication loads one application with its objections.
func (s *Store) GetApplication(ctx context.Context, assetID, id string) (*domain.Application, error) {
	p, err := loadApplication(ctx, s.pool, id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && p.AssetID != assetID) {
		return nil, errs.NotFound(domain.ReasonAssetNotFound, "assets/%s/applications/%s not found", assetID, id)
	}
	return p, postgres.MapError(err)
}

// ApplicationQuery selects a page of applications, newest first.
type ApplicationQuery struct {
	// AssetID limits to one asset; empty means all.
	AssetID string
	// Holder limits to assets of one holder or filed by it as agent (with PublicityVisible: or in publicity; with
	// AssetStates: or of an asset in one of these states).
	Holder           string
	PublicityVisible bool
	AssetStates      []string
	States           []string
	Before           string
	Limit            int
}

// ListApplications returns up to Limit+1 applications.
func (s *Store) ListApplications(ctx context.Context, q ApplicationQuery) ([]*domain.Application, error) {
	var before *string
	if q.Before != "" {
		before = &q.Before
	}
	rows, err := s.pool.Query(ctx, `SELECT `+prefixed("p.", applicationColumns)+` FROM applications p JOIN assets a ON a.id = p.asset_id
		WHERE ($1 = '' OR p.asset_id = $1::uuid)
		  AND ($2 = '' OR a.holder_organisation = $2 OR `+agentOrganisation("a.")+` = $2 OR ($3 AND p.state = 'IN_PUBLICITY')
		       OR a.state = ANY($7))
		  AND (cardinality($4::text[]) = 0 OR p.state = ANY($4))
		  AND ($5::uuid IS NULL OR p.id < $5::uuid)
		ORDER BY p.id DESC LIMIT $6`, q.AssetID, q.Holder, q.PublicityVisible, nonNil(q.States), before, q.Limit+1, nonNil(q.AssetStates))
	if err != nil {
		return nil, postgres.MapError(err)
	}
	apps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*domain.Application, error) { return scanApplication(r) })
	if err != nil {
		return nil, postgres.MapError(err)
	}
	return apps, postgres.MapError(loadObjections(ctx, s.pool, apps))
}

func prefixed(p, columns string) string {
	var out []byte
	out = append(out, p...)
	for i := 0; i < len(columns); i++ {
		out = append(out, columns[i])
		if columns[i] == ',' {
			for i+1 < len(columns) && (columns[i+1] == ' ' || columns[i+1] == '\n' || columns[i+1] == '\t') {
				i++
				out = append(out, columns[i])
			}
			out = append(out, p...)
		}
	}
	return string(out)
}

// DuePublicity returns up to limit assets whose application's publicity window ended by
// now and has no unresolved objection.
func (s *Store) DuePublicity(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.asset_id FROM applications p
		WHERE p.state = 'IN_PUBLICITY' AND p.publicity_end <= $1
		  AND NOT EXISTS (SELECT 1 FROM objections o WHERE o.application_id = p.id AND o.state = 'RAISED')
		ORDER BY p.publicity_end LIMIT $2`, now, limit)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, postgres.MapError(err)
}

// Revisions returns up to limit+1 revisions of an asset, newest first, below before (0: from
// the newest).
func (s *Store) Revisions(ctx context.Context, assetID string, before int64, limit int) ([]StoredRevision, error) {
	rows, err := s.pool.Query(ctx, `SELECT revision, action, event_type, actor, actor_organisation, time, reason, changes
		FROM asset_revisions WHERE asset_id = $1 AND ($2 = 0 OR revision < $2) ORDER BY revision DESC LIMIT $3`,
		assetID, before, limit+1)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	revs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StoredRevision, error) {
		var v StoredRevision
		err := r.Scan(&v.Number, &v.Action, &v.EventType, &v.Actor, &v.ActorOrganisation, &v.Time, &v.Reason, &v.Changes)
		v.Time = v.Time.UTC()
		return v, err
	})
	return revs, postgres.MapError(err)
}

// StoredRevision is a row of asset_revisions.
type StoredRevision struct {
	Number int64
	Revision
	Time time.Time
}

// Certificate returns the asset's latest certificate.
func (s *Store) Certificate(ctx context.Context, assetID string) (*domain.Certificate, error) {
	var c domain.Certificate
	var revoke *time.Time
	err := s.pool.QueryRow(ctx, `SELECT asset_id, serial, registration_number, asset_name, holder_organisation,
		holder_name, grade, issue_date, registry_name, note, issue_time, revoke_time, revoke_reason
		FROM certificates WHERE asset_id = $1 ORDER BY serial DESC LIMIT 1`, assetID).Scan(&c.AssetID, &c.Serial,
		&c.RegistrationNumber, &c.AssetName, &c.HolderOrganisation, &c.HolderName, &c.Grade, &c.IssueDate,
		&c.RegistryName, &c.Note, &c.IssueTime, &revoke, &c.RevokeReason)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errs.FailedPrecondition(domain.ReasonNoCertificate, "assets/%s has never been registered", assetID)
	}
	if revoke != nil {
		c.RevokeTime = revoke.UTC()
	}
	c.IssueTime = c.IssueTime.UTC()
	return &c, postgres.MapError(err)
}
