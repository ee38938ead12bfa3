package grpcapi_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/services/catalog/internal/grpcapi"
)

// ImportAssets replaces protovalidate with a check of its envelope only: it refuses what
// protovalidate refuses about the number of rows (on the same field), and passes a request
// whose rows break their own rules, which the handler reports row by row.
func TestImportEnvelopeValidation(t *testing.T) {
	row := func(holder string) *catalogv1.ImportRow {
		return &catalogv1.ImportRow{Row: 2, ImportKey: "0193e0a4-0000-7000-8000-000000000001",
			Asset: &catalogv1.Asset{DisplayName: "x", HolderOrganisation: holder}}
	}
	rows := func(n int) []*catalogv1.ImportRow {
		out := make([]*catalogv1.ImportRow, n)
		for i := range out {
			out[i] = row("91350100M000100Y43")
		}
		return out
	}
	for name, tc := range map[string]struct {
		req        *catalogv1.ImportAssetsRequest
		envelopeOK bool
		wholeOK    bool
	}{
		"no rows":                {&catalogv1.ImportAssetsRequest{}, false, false},
		"1001 rows":              {&catalogv1.ImportAssetsRequest{Rows: rows(1001)}, false, false},
		"1000 rows":              {&catalogv1.ImportAssetsRequest{Rows: rows(1000)}, true, true},
		"a malformed row":        {&catalogv1.ImportAssetsRequest{Rows: append(rows(3), row("9135010-M000100Y43"))}, true, false},
		"validate only, one row": {&catalogv1.ImportAssetsRequest{Rows: rows(1), ValidateOnly: true}, true, true},
	} {
		envelope := grpcapi.ValidateImportEnvelope(tc.req)
		whole, err := grpcserver.Violations(tc.req)
		require.NoError(t, err)
		require.Equal(t, tc.envelopeOK, len(envelope) == 0, name)
		require.Equal(t, tc.wholeOK, len(whole) == 0, name)
		if !tc.envelopeOK {
			require.Equal(t, whole[0].Field, envelope[0].Field, name)
			require.NotEmpty(t, envelope[0].DescriptionZh, name)
		}
	}
	opts, ok := grpcapi.MethodOptions()[catalogv1.CatalogService_ImportAssets_FullMethodName]
	require.True(t, ok)
	require.NotNil(t, opts.Validate)
}
