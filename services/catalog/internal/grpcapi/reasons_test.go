package grpcapi_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/services/catalog/internal/domain"
)

// The domain names its rules with strings (it may not import protos); each must be a value
// of the API's ErrorReason enum so clients can switch on it.
func TestDomainReasonsAreAPIErrorReasons(t *testing.T) {
	for _, r := range []string{domain.ReasonInvalidOrganisationCode, domain.ReasonAssetNotFound,
		domain.ReasonHolderNotCallerOrg, domain.ReasonInvalidPageToken} {
		_, ok := catalogv1.ErrorReason_value[r]
		require.True(t, ok, "%s is not in catalogv1.ErrorReason", r)
	}
}
