package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/postgres"
)

// Code is one code-list entry.
type Code struct {
	List, Code, LabelZh, LabelEn, Parent string
}

// CodeSet is one code-list version, loaded whole. Versions are immutable once published,
// so a loaded set is cached for the life of the process.
type CodeSet struct {
	version string
	codes   []Code
	index   map[[2]string]bool
}

// Version implements domain.CodeLists.
func (c *CodeSet) Version() string { return c.version }

// Has implements domain.CodeLists.
func (c *CodeSet) Has(list, code string) bool { return c.index[[2]string{list, code}] }

// Codes returns every entry in list order.
func (c *CodeSet) Codes() []Code { return c.codes }

// CodeLists returns version ("" = the current one).
func (s *Store) CodeLists(ctx context.Context, version string) (*CodeSet, error) {
	if version == "" {
		if err := s.pool.QueryRow(ctx, `SELECT version FROM code_list_versions WHERE current`).Scan(&version); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return nil, errs.FailedPrecondition("NO_CURRENT_CODE_LIST", "no code-list version is current")
			}
			return nil, postgres.MapError(err)
		}
	}
	if v, ok := s.codes.Load(version); ok {
		return v.(*CodeSet), nil
	}
	rows, err := s.pool.Query(ctx, `SELECT list, code, label_zh, label_en, parent FROM code_lists
		WHERE version = $1 ORDER BY list, ordinal`, version)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Code])
	if err != nil {
		return nil, postgres.MapError(err)
	}
	if len(codes) == 0 {
		return nil, errs.NotFound("ERROR_REASON_UNKNOWN_CODE", "code-list version %s not found", version)
	}
	set := &CodeSet{version: version, codes: codes, index: map[[2]string]bool{}}
	for _, c := range codes {
		set.index[[2]string{c.List, c.Code}] = true
	}
	s.codes.Store(version, set)
	return set, nil
}
