package paging_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/paging"
)

func TestTokensAreBoundToTheirQuery(t *testing.T) {
	q := paging.NewQuery("ns", "BAD_TOKEN", "org-a", []string{"x"})
	after, err := q.After(q.Token("id-42"))
	require.NoError(t, err)
	require.Equal(t, "id-42", after)

	other := paging.NewQuery("ns", "BAD_TOKEN", "org-b", []string{"x"})
	_, err = other.After(q.Token("id-42"))
	require.Equal(t, "BAD_TOKEN", errs.ReasonOf(err), "a token of another scope is refused")
	elsewhere := paging.NewQuery("other-ns", "BAD_TOKEN", "org-a", []string{"x"})
	_, err = elsewhere.After(q.Token("id-42"))
	require.Error(t, err, "a token of another namespace is refused")
	for _, bad := range []string{"", "!!", "e30", q.Token("")} {
		_, err := q.After(bad)
		require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err), bad)
	}
}

func TestSize(t *testing.T) {
	require.Equal(t, 50, paging.Size(0, 50, 500))
	require.Equal(t, 50, paging.Size(-3, 50, 500))
	require.Equal(t, 7, paging.Size(7, 50, 500))
	require.Equal(t, 500, paging.Size(9000, 50, 500))
}
