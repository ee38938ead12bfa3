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
		domain.ReasonHolderNotCallerOrg, domain.ReasonInvalidPageToken, domain.ReasonCoreData,
		domain.ReasonNotSharedImpliesNotOpen, domain.ReasonConditionsRequired, domain.ReasonSharingBasisRequired,
		domain.ReasonIncompleteRecord, domain.ReasonUnknownCode, domain.ReasonInvalidTransition, domain.ReasonSelfReview,
		domain.ReasonETagMismatch, domain.ReasonApplicationOpen, domain.ReasonObjectionsUnresolved,
		domain.ReasonReasonRequired, domain.ReasonImmutableField, domain.ReasonResourceCodeTaken,
		domain.ReasonNoCertificate, domain.ReasonNothingChanged} {
		_, ok := catalogv1.ErrorReason_value[r]
		require.True(t, ok, "%s is not in catalogv1.ErrorReason", r)
	}
}

// The domain's states, kinds, grades and attributes are the API's enum value names, which
// is what lets protoconv convert by name.
func TestDomainEnumsAreAPIEnums(t *testing.T) {
	for _, s := range domain.AllStates {
		_, ok := catalogv1.AssetState_value["ASSET_STATE_"+string(s)]
		require.True(t, ok, s)
	}
	for _, c := range []struct {
		values map[string]int32
		names  []string
	}{
		{catalogv1.AssetKind_value, []string{domain.KindDataResource, domain.KindDataProduct}},
		{catalogv1.Grade_value, []string{domain.GradeGeneral, domain.GradeImportant, domain.GradeCore}},
		{catalogv1.SharingAttribute_value, []string{domain.SharingUnconditional, domain.SharingConditional, domain.SharingNotShared}},
		{catalogv1.OpenAttribute_value, []string{domain.OpenUnconditional, domain.OpenConditional, domain.OpenNotOpen}},
	} {
		for _, n := range c.names {
			_, ok := c.values[n]
			require.True(t, ok, n)
		}
	}
	for _, s := range []domain.AppState{domain.AppSubmitted, domain.AppAccepted, domain.AppNotAccepted, domain.AppReturned,
		domain.AppRefused, domain.AppInPublicity, domain.AppApproved, domain.AppWithdrawn} {
		_, ok := catalogv1.ApplicationState_value["APPLICATION_STATE_"+string(s)]
		require.True(t, ok, s)
	}
	for _, s := range []string{domain.ObjectionRaised, domain.ObjectionDismissed, domain.ObjectionUpheld} {
		_, ok := catalogv1.ObjectionState_value["OBJECTION_STATE_"+s]
		require.True(t, ok, s)
	}
	for _, s := range []string{domain.DisposalRequested, domain.DisposalApproved, domain.DisposalRejected} {
		_, ok := catalogv1.DisposalState_value["DISPOSAL_STATE_"+s]
		require.True(t, ok, s)
	}
}
