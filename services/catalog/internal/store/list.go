package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"yaosu.dev/pkg/postgres"
	"yaosu.dev/services/catalog/internal/domain"
)

// ListQuery selects a page of assets, newest first. Empty fields do not filter.
type ListQuery struct {
	// Viewer limits to what an organisation may see: the assets it holds or files for as
	// agent (委托代理), and other organisations' in ViewerStates (public ones when empty).
	// Empty means everything (auditors).
	Viewer string
	// ViewerStates are the states of other organisations' assets Viewer may see
	// (domain.Caller.VisibleStates).
	ViewerStates []string
	// Holder limits to one holder organisation.
	Holder string
	// Tokens are search tokens that must all be present (domain.QueryTokens).
	Tokens            []string
	Kinds             []string
	States            []string
	Grades            []string
	Categories        []string
	Sectors           []string
	SharingAttributes []string
	OpenAttributes    []string
	UpdatedSince      time.Time
	// Before is the id of the last asset of the previous page (exclusive).
	Before string
	// Limit is the page size.
	Limit int
}

// publicStates are the states every viewer may see (domain.State.Public).
var publicStates = func() []string {
	var out []string
	for _, s := range domain.AllStates {
		if s.Public() {
			out = append(out, string(s))
		}
	}
	return out
}()

// agentOrganisation is the agent's organisation in an asset row (domain.Record.Agent). A
// JSON path rather than a column: it only ever widens the viewer filter, which already
// reads every row of other holders to test their state.
func agentOrganisation(alias string) string { return "(" + alias + "record->'agent'->>'organisation')" }

// ListSQL builds the statement and arguments of q; exported for the benchmark's
// direct-SQL baseline.
func ListSQL(q ListQuery) (string, []any) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Viewer != "" {
		states := q.ViewerStates
		if len(states) == 0 {
			states = publicStates
		}
		v := arg(q.Viewer)
		where = append(where, "(holder_organisation = "+v+" OR "+agentOrganisation("")+" = "+v+" OR state = ANY("+arg(states)+"))")
	}
	if q.Holder != "" {
		where = append(where, "holder_organisation = "+arg(q.Holder))
	}
	if len(q.Tokens) > 0 {
		where = append(where, "search_tokens @> "+arg(q.Tokens)+"::text[]")
	}
	for _, f := range []struct {
		col  string
		vals []string
	}{{"kind", q.Kinds}, {"state", q.States}, {"grade", q.Grades}, {"category", q.Categories},
		{"sharing_attribute", q.SharingAttributes}, {"open_attribute", q.OpenAttributes}} {
		if len(f.vals) > 0 {
			where = append(where, f.col+" = ANY("+arg(f.vals)+"::text[])")
		}
	}
	if len(q.Sectors) > 0 {
		where = append(where, "sectors && "+arg(q.Sectors)+"::text[]")
	}
	if !q.UpdatedSince.IsZero() {
		where = append(where, "update_time >= "+arg(q.UpdatedSince))
	}
	if q.Before != "" {
		where = append(where, "id < "+arg(q.Before)+"::uuid")
	}
	sql := `SELECT ` + assetColumns + ` FROM assets`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY id DESC LIMIT " + arg(q.Limit+1)
	return sql, args
}

// ListAssets returns up to Limit+1 assets so the caller can tell whether a next page exists.
func (s *Store) ListAssets(ctx context.Context, q ListQuery) ([]*domain.Asset, error) {
	sql, args := ListSQL(q)
	// Plan for the actual values every time: a cached generic plan walks the primary key
	// and filters the whole table for a rare filter combination (measured: 90 ms against
	// 3 ms at 100 000 assets), and planning costs far less than that.
	rows, err := s.pool.Query(ctx, sql, append([]any{pgx.QueryExecModeCacheDescribe}, args...)...)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	defer rows.Close()
	var out []*domain.Asset
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, postgres.MapError(err)
		}
		out = append(out, a)
	}
	return out, postgres.MapError(rows.Err())
}
