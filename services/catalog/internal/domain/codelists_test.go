package domain_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/catalog/internal/domain"
)

// The theme is a catalogue field like the others: trimmed, kept when it is the only one,
// and reported by the revision diff under its API path.
func TestThemeIsACatalogueField(t *testing.T) {
	t.Parallel()
	r := domain.Record{Catalogue: &domain.Catalogue{Theme: " FINANCE "}}
	r.Normalize()
	require.NotNil(t, r.Catalogue, "a catalogue holding only a theme is kept")
	require.Equal(t, "FINANCE", r.Catalogue.Theme)

	old := completeRecord()
	nw := old.Clone()
	nw.Catalogue.Theme = "FINANCE"
	require.Equal(t, []string{"catalogue.theme"}, domain.ChangedPaths(old, nw))
	require.Empty(t, old.Catalogue.Theme, "Clone copies the catalogue")
}

// An unknown theme is a violation on catalogue.theme, in English and Chinese.
func TestUnknownThemeIsAViolation(t *testing.T) {
	t.Parallel()
	withThemes := codeLists{version: codes.version, lists: map[string][]string{}}
	for k, v := range codes.lists {
		withThemes.lists[k] = v
	}
	withThemes.lists[domain.ListTheme] = []string{"FINANCE", "OTHER"}
	r := completeRecord()
	r.Catalogue.Theme = "SPACE"
	err := r.Validate(withThemes)
	requireErr(t, err, errs.KindInvalidArgument, domain.ReasonUnknownCode)
	require.Equal(t, []string{"asset.catalogue.theme"}, fields(t, err))
	en, zh := domain.UnknownCode(withThemes, domain.ListTheme, "SPACE")
	require.Equal(t, `unknown theme "SPACE": accepted FINANCE, OTHER, their codes or aliases (code list theme, version 2026.1)`, en)
	require.Equal(t, `未知的主题分类“SPACE”：可填 FINANCE、OTHER，或其代码、别名（代码表 theme，版本 2026.1）`, zh)
	r.Catalogue.Theme = "FINANCE"
	require.NoError(t, r.Validate(withThemes))
}
