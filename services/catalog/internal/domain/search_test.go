package domain_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/services/catalog/internal/domain"
)

// matches is what the store asks: every query token is an index token (tokens @> query).
func matches(index []string, query string) bool {
	set := map[string]bool{}
	for _, t := range index {
		set[t] = true
	}
	for _, t := range domain.QueryTokens(query) {
		if !set[t] {
			return false
		}
	}
	return true
}

func TestSearchTokens(t *testing.T) {
	t.Parallel()
	r := domain.Record{
		DisplayName: "城市道路交通流量数据",
		Summary:     "Traffic flow of main roads, every 5 minutes",
		Tags:        []string{"智慧城市"},
		Fields:      []domain.Field{{Name: "road_id"}, {Name: "车道编号"}},
		Catalogue:   &domain.Catalogue{ResourceCode: "101001/000123"},
	}
	index := domain.IndexTokens(r, "YS-2026-00000042")
	require.IsIncreasing(t, index, "sorted and without duplicates")

	for query, want := range map[string]bool{
		"交通":               true, // a two-character word inside a longer run
		"道路交通":             true, // four characters, contiguous: all its pairs are present
		"交通流量数据":           true,
		"城市交通":             false, // 城市 and 交通 are there, but 市交 is not: not contiguous
		"交":                true,  // a single character
		"铁":                false,
		"铁路":               false,
		"traff":            true, // an English prefix
		"TRAFFIC":          true, // case-insensitive
		"Traffics":         false,
		"raffic":           false, // not a prefix
		"railway":          false,
		"交通 traffic":       true, // mixed scripts: every token must match
		"交通 railway":       false,
		"铁路 traffic":       false,
		"交通traffic":        true,
		"min":              true,
		"road_id":          true, // split at the underscore: road and id
		"车道":               true, // field names are indexed
		"智慧":               true, // tags are indexed
		"101001/000123":    true, // the resource code
		"101001":           true,
		"ys-2026-00000042": true, // the registration number
		"YS-2026-00000042": true,
		"00000042":         true,
		"2026":             true,
		"00000043":         false,
		"":                 true, // no tokens: matches everything
	} {
		require.Equal(t, want, matches(index, query), "query %q (tokens %q)", query, domain.QueryTokens(query))
	}
}

func TestQueryTokens(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"交通"}, domain.QueryTokens("交通"))
	require.Equal(t, []string{"交通", "路交", "道路"}, domain.QueryTokens("道路交通"), "the pairs, sorted, without the single characters")
	require.Equal(t, []string{"交"}, domain.QueryTokens("交"))
	require.Equal(t, []string{"traffic", "交通"}, domain.QueryTokens("交通 Traffic  交通, TRAFFIC"))
	require.Empty(t, domain.QueryTokens("  ,;  "))

	// Long words: the index keeps the whole word and prefixes up to 16 characters; a query
	// word is cut to 16, so a long query finds a long word.
	long := strings.Repeat("a", 10) + strings.Repeat("b", 14)
	require.Equal(t, []string{long[:16]}, domain.QueryTokens(long))
	index := domain.IndexTokens(domain.Record{DisplayName: long}, "")
	require.Contains(t, index, long)
	require.Contains(t, index, long[:16])
	require.NotContains(t, index, long[:17])
	require.True(t, matches(index, long))
	require.True(t, matches(index, long[:20]))
	require.True(t, matches(index, "aaaa"))
}

func TestIndexTokens(t *testing.T) {
	t.Parallel()
	index := domain.IndexTokens(domain.Record{DisplayName: "交通数据", Summary: "Go"}, "")
	require.Equal(t, []string{"g", "go", "交", "交通", "据", "数", "数据", "通", "通数"}, index)
	require.Empty(t, domain.IndexTokens(domain.Record{}, ""))
}
