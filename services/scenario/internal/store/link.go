package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/services/scenario/internal/domain"
)

const linkColumns = `id, scenario_id, asset_id, coalesce(grant_id::text, ''), right_kind, delivery_form, reason,
	daily_baseline_records, state, state_reason, blocked_by, linker, revision, create_time, update_time,
	grant_valid_from, grant_valid_until, grant_purposes, grant_forms`

func scanLink(row pgx.Row) (*domain.Link, error) {
	var l domain.Link
	var state string
	var from, until *time.Time
	if err := row.Scan(&l.ID, &l.ScenarioID, &l.AssetID, &l.GrantID, &l.Right, &l.DeliveryForm, &l.Reason,
		&l.DailyBaseline, &state, &l.StateReason, &l.BlockedBy, &l.Linker, &l.Revision, &l.CreateTime, &l.UpdateTime,
		&from, &until, &l.Grant.Purposes, &l.Grant.Forms); err != nil {
		return nil, err
	}
	if from != nil && until != nil {
		l.Grant.ValidFrom, l.Grant.ValidUntil = from.UTC(), until.UTC()
	}
	l.State, l.CreateTime, l.UpdateTime = domain.LinkState(state), l.CreateTime.UTC(), l.UpdateTime.UTC()
	return &l, nil
}

func collectLinks(rows pgx.Rows, err error) ([]*domain.Link, error) {
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*domain.Link, error) { return scanLink(r) })
	return out, postgres.MapError(err)
}

// Links returns a scenario's links, oldest first.
func (s *Store) Links(ctx context.Context, scenarioID string) ([]*domain.Link, error) {
	return collectLinks(s.pool.Query(ctx, `SELECT `+linkColumns+` FROM links WHERE scenario_id = $1 ORDER BY id`, scenarioID))
}

// LockLink loads one link of a scenario FOR UPDATE (the caller holds the scenario's lock).
func (t *Tx) LockLink(scenarioID, id string) (*domain.Link, error) {
	l, err := scanLink(t.tx.QueryRow(t.ctx, `SELECT `+linkColumns+` FROM links WHERE id = $1 AND scenario_id = $2 FOR UPDATE`, id, scenarioID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errs.NotFound(domain.ReasonLinkNotFound, "scenarios/%s/links/%s not found", scenarioID, id)
	}
	return l, err
}

// InsertLink stores a new link and its first history row.
func (t *Tx) InsertLink(l *domain.Link, action, actor string) error {
	var grant *string
	var from, until *time.Time
	if l.GrantID != "" {
		grant, from, until = &l.GrantID, &l.Grant.ValidFrom, &l.Grant.ValidUntil
	}
	purposes, forms := l.Grant.Purposes, l.Grant.Forms
	if purposes == nil {
		purposes = []string{}
	}
	if forms == nil {
		forms = []string{}
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO links (id, scenario_id, asset_id, grant_id, right_kind, delivery_form, reason,
		daily_baseline_records, state, state_reason, blocked_by, linker, revision, create_time, update_time,
		grant_valid_from, grant_valid_until, grant_purposes, grant_forms)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		l.ID, l.ScenarioID, l.AssetID, grant, l.Right, l.DeliveryForm, l.Reason, l.DailyBaseline, string(l.State),
		l.StateReason, l.BlockedBy, l.Linker, l.Revision, l.CreateTime, l.UpdateTime, from, until, purposes, forms)
	if postgres.IsUniqueViolation(err, "links_live_key") {
		return errs.New(errs.KindAlreadyExists, domain.ReasonAlreadyLinked,
			"the scenario already has a live link of assets/%s for %s by %s", l.AssetID, l.Right, l.DeliveryForm)
	}
	if err != nil {
		return err
	}
	return t.linkHistory(l, action, actor, l.Reason)
}

// UpdateLink saves a link's new state (revision already bumped) and its history row.
// reason is the history row's reason (the state reason is cleared on unblocking).
func (t *Tx) UpdateLink(l *domain.Link, action, actor, reason string) error {
	tag, err := t.tx.Exec(t.ctx, `UPDATE links SET state = $2, state_reason = $3, blocked_by = $4, revision = $5,
		update_time = $6 WHERE id = $1 AND revision = $5 - 1`, l.ID, string(l.State), l.StateReason, l.BlockedBy, l.Revision, l.UpdateTime)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return errs.New(errs.KindAborted, errs.ReasonConflict, "%s changed concurrently; retry", l.Name())
	}
	return t.linkHistory(l, action, actor, reason)
}

func (t *Tx) linkHistory(l *domain.Link, action, actor, reason string) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO link_history (link_id, revision, state, action, actor, reason, time)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, l.ID, l.Revision, string(l.State), action, actor, reason, l.UpdateTime)
	return err
}

// LiveLinksOfScenario locks and returns a scenario's links that are not unlinked.
func (t *Tx) LiveLinksOfScenario(scenarioID string) ([]*domain.Link, error) {
	return collectLinks(t.tx.Query(t.ctx, `SELECT `+linkColumns+` FROM links WHERE scenario_id = $1 AND state <> 'UNLINKED'
		ORDER BY id FOR UPDATE`, scenarioID))
}

// ActiveLinksOfGrant locks and returns the active links resting on a grant.
func (t *Tx) ActiveLinksOfGrant(grantID string) ([]*domain.Link, error) {
	return collectLinks(t.tx.Query(t.ctx, `SELECT `+linkColumns+` FROM links WHERE grant_id = $1 AND state = 'ACTIVE'
		ORDER BY id FOR UPDATE`, grantID))
}

// ActiveLinksOfAsset locks and returns the active links of an asset.
func (t *Tx) ActiveLinksOfAsset(assetID string) ([]*domain.Link, error) {
	return collectLinks(t.tx.Query(t.ctx, `SELECT `+linkColumns+` FROM links WHERE asset_id = $1 AND state = 'ACTIVE'
		ORDER BY id FOR UPDATE`, assetID))
}

// LinksBlockedBy locks and returns the links a cause blocked.
func (t *Tx) LinksBlockedBy(cause string) ([]*domain.Link, error) {
	return collectLinks(t.tx.Query(t.ctx, `SELECT `+linkColumns+` FROM links WHERE blocked_by = $1 AND state = 'BLOCKED'
		ORDER BY id FOR UPDATE`, cause))
}
