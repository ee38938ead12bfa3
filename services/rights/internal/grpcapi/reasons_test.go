package grpcapi_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/services/rights/internal/domain"
)

// The domain names its rules and denials with strings; each must be a value of the API's
// enums, which is what the gRPC layer converts by name.
func TestDomainNamesAreAPIEnums(t *testing.T) {
	for _, r := range []string{domain.ReasonGrantNotFound, domain.ReasonAssetNotRegistered, domain.ReasonGrantorNotHolder,
		domain.ReasonOutsideParentScope, domain.ReasonSublicensingNotAllowed, domain.ReasonExclusivityConflict,
		domain.ReasonGradePolicy, domain.ReasonInvalidTransition, domain.ReasonInvalidCondition, domain.ReasonInvalidWindow,
		domain.ReasonNotYourOrganisation, domain.ReasonETagMismatch, domain.ReasonUnknownPurpose,
		domain.ReasonInvalidPageToken, domain.ReasonSelfGrant, domain.ReasonRawDataStays} {
		_, ok := rightsv1.ErrorReason_value[r]
		require.True(t, ok, r)
	}
	for _, d := range []string{domain.DenyAssetUnknown, domain.DenyAssetSuspended, domain.DenyAssetEnded, domain.DenyNoGrant,
		domain.DenyGrantNotActive, domain.DenyOutsideValidity, domain.DenyPurpose, domain.DenyDeliveryForm, domain.DenyRegion,
		domain.DenyConditionFalse, domain.DenyGradePolicy, domain.DenyChainBroken} {
		_, ok := rightsv1.DenialReason_value["DENIAL_REASON_"+d]
		require.True(t, ok, d)
	}
	for _, s := range domain.AllStates {
		_, ok := rightsv1.GrantState_value["GRANT_STATE_"+string(s)]
		require.True(t, ok, s)
	}
	for _, f := range []string{domain.FormRawCopy, domain.FormAPI, domain.FormModel, domain.FormVerification, domain.FormAggregate} {
		_, ok := rightsv1.DeliveryForm_value["DELIVERY_FORM_"+f]
		require.True(t, ok, f)
	}
}
