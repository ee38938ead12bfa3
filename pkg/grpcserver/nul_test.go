package grpcserver_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/grpcserver"
)

// A NUL character is refused as input wherever it is, nested and in lists: Postgres would
// refuse it in the transaction, as an internal error.
func TestNULIsRefusedInEveryStringField(t *testing.T) {
	req := &catalogv1.ImportRow{Row: 2, Asset: &catalogv1.Asset{DisplayName: "道路\x00一", Tags: []string{"ok", "a\x00"},
		Fields: []*catalogv1.DataField{{Name: "x\x00"}}, Catalogue: &catalogv1.CatalogueMetadata{ProviderName: "\x00"}}}
	v, err := grpcserver.Violations(req)
	require.NoError(t, err)
	var nul []string
	for _, x := range v {
		if x.Description == "must not contain a NUL character (U+0000)" {
			require.Equal(t, "不能包含空字符（U+0000）", x.DescriptionZh)
			nul = append(nul, x.Field)
		}
	}
	require.ElementsMatch(t, []string{"asset.display_name", "asset.tags[1]", "asset.fields[0].name", "asset.catalogue.provider_name"}, nul)

	clean := &catalogv1.ImportRow{Row: 2, ImportKey: "3f9b6c1e-5d2a-4e8f-9b7c-0a1d2e3f4a5b", Asset: &catalogv1.Asset{DisplayName: "道路一"}}
	v, err = grpcserver.Violations(clean)
	require.NoError(t, err)
	require.Empty(t, v)
}
