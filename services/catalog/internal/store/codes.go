package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"yaosu.dev/pkg/codelist"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/services/catalog/internal/domain"
)

// Code is one code-list entry with the other words offices use for it.
type Code struct {
	List, Code, LabelZh, LabelEn, Parent string
	Aliases                              []string
}

// CodeSet is one code-list version, loaded whole. Versions are immutable once published,
// so a loaded set is cached for the life of the process (aliases may be added to a version
// by a migration; a process started before it does not know them until restarted).
//
// It is the one place where the server turns what a client wrote into a code: the code
// itself, its Chinese or English label, or an alias, compared without regard to case,
// full-width forms, spaces and the separators offices put between words (、，/). The domain
// calls Resolve for every coded field it receives, so no handler maps values on its own.
type CodeSet struct {
	version string
	codes   []Code
	has     map[[2]string]bool
	// keys maps (list, codelist.Key(word)) to the code the word stands for.
	keys map[[2]string]string
	// entries are each list's codes in list order.
	entries map[string][]domain.CodeEntry
}

var _ domain.CodeLists = (*CodeSet)(nil)

// NewCodeSet indexes codes (in list order) as version. It fails when one word would stand
// for two codes of a list (a label or alias equal to another code's code, label or alias,
// once case, width and separators are ignored): such a version could not be resolved
// unambiguously.
func NewCodeSet(version string, codes []Code) (*CodeSet, error) {
	set := &CodeSet{version: version, codes: codes, has: map[[2]string]bool{}, keys: map[[2]string]string{},
		entries: map[string][]domain.CodeEntry{}}
	for _, c := range codes {
		set.has[[2]string{c.List, c.Code}] = true
		set.entries[c.List] = append(set.entries[c.List], domain.CodeEntry{Code: c.Code, LabelZh: c.LabelZh, LabelEn: c.LabelEn})
	}
	// Codes first, then labels, then aliases: each word must be free or already the same code's.
	passes := []func(Code) []string{
		func(c Code) []string { return []string{c.Code} },
		func(c Code) []string { return []string{c.LabelZh, c.LabelEn} },
		func(c Code) []string { return c.Aliases },
	}
	for _, words := range passes {
		for _, c := range codes {
			for _, w := range words(c) {
				k := codelist.Key(w)
				if k == "" {
					continue
				}
				key := [2]string{c.List, k}
				if other, taken := set.keys[key]; taken && other != c.Code {
					return nil, fmt.Errorf("code list %s version %s: %q stands for both %s and %s", c.List, version, w, other, c.Code)
				}
				set.keys[key] = c.Code
			}
		}
	}
	return set, nil
}

// Version implements domain.CodeLists.
func (c *CodeSet) Version() string { return c.version }

// Has implements domain.CodeLists.
func (c *CodeSet) Has(list, code string) bool { return c.has[[2]string{list, code}] }

// Resolve implements domain.CodeLists.
func (c *CodeSet) Resolve(list, word string) (string, bool) {
	code, ok := c.keys[[2]string{list, codelist.Key(word)}]
	return code, ok
}

// Entries implements domain.CodeLists.
func (c *CodeSet) Entries(list string) []domain.CodeEntry { return c.entries[list] }

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
	rows, err := s.pool.Query(ctx, `SELECT c.list, c.code, c.label_zh, c.label_en, c.parent,
			coalesce((SELECT array_agg(a.alias ORDER BY a.ordinal, a.alias) FROM code_list_aliases a
				WHERE a.version = c.version AND a.list = c.list AND a.code = c.code), '{}')
		FROM code_lists c WHERE c.version = $1 ORDER BY c.list, c.ordinal`, version)
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
	set, err := NewCodeSet(version, codes)
	if err != nil {
		// The migrations' data is wrong; the tests load every version, so this is a bug.
		return nil, errs.Wrap(err, errs.KindInternal, errs.ReasonInternal, "code-list version %s is ambiguous", version)
	}
	s.codes.Store(version, set)
	return set, nil
}
