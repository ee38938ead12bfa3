package domain

import "errors"

// Reason is a stable, machine-readable code for a broken rule. The values are the names
// of the ledger's future ErrorReason enum values ("ERROR_REASON_…"), the way the catalog
// names its reasons, so the gRPC layer can send them unchanged as ErrorInfo.reason.
type Reason string

// RuleError is a broken ledger rule: its reason code and the explanation in English and
// Chinese, for the people of a finance office. The package returns it instead of a
// pkg/errs error so that it stays free of platform imports; the app layer maps it.
type RuleError struct {
	Reason Reason
	En, Zh string
}

func (e *RuleError) Error() string { return string(e.Reason) + ": " + e.En }

// ReasonOf returns the reason of the first RuleError in err's chain, or "" if there is none.
func ReasonOf(err error) Reason {
	var re *RuleError
	if errors.As(err, &re) {
		return re.Reason
	}
	return ""
}

// Reasons for unit types (unit.go).
const (
	// ReasonInvalidUSCC: the text is not a well-formed unified social credit code (GB 32100).
	ReasonInvalidUSCC Reason = "ERROR_REASON_INVALID_USCC"
	// ReasonInvalidUnitType: a unit type that is not one of the known ones.
	ReasonInvalidUnitType Reason = "ERROR_REASON_INVALID_UNIT_TYPE"
	// ReasonOverrideReasonRequired: an admin override of a derived unit type needs a reason.
	ReasonOverrideReasonRequired Reason = "ERROR_REASON_OVERRIDE_REASON_REQUIRED"
)

// Reasons for recognition and booking (booking.go).
const (
	// ReasonInvalidAccountingClass: the accounting class is missing or unknown.
	ReasonInvalidAccountingClass Reason = "ERROR_REASON_INVALID_ACCOUNTING_CLASS"
	// ReasonInvalidAcquisitionMode: the acquisition mode is missing, unknown or not one the
	// accounting class allows (self-developed is for intangibles, self-processed for inventory).
	ReasonInvalidAcquisitionMode Reason = "ERROR_REASON_INVALID_ACQUISITION_MODE"
	// ReasonNegativeAmount: a cost component or an impairment is below zero.
	ReasonNegativeAmount Reason = "ERROR_REASON_NEGATIVE_AMOUNT"
	// ReasonAmountOverflow: the amounts are too large to be added exactly.
	ReasonAmountOverflow Reason = "ERROR_REASON_AMOUNT_OVERFLOW"
	// ReasonNoCost: a recognised data resource has an initial amount of zero.
	ReasonNoCost Reason = "ERROR_REASON_NO_COST"
	// ReasonUnrecognisedHasAmount: a data resource that is not recognised carries amounts.
	ReasonUnrecognisedHasAmount Reason = "ERROR_REASON_UNRECOGNISED_HAS_AMOUNT"
	// ReasonCostNotForMode: a cost component that the acquisition mode cannot have.
	ReasonCostNotForMode Reason = "ERROR_REASON_COST_NOT_FOR_MODE"
	// ReasonInvalidAmortisationMethod: the method is missing, unknown or not allowed.
	ReasonInvalidAmortisationMethod Reason = "ERROR_REASON_INVALID_AMORTISATION_METHOD"
	// ReasonUsefulLifeRequired: an intangible amortised over a finite life needs that life.
	ReasonUsefulLifeRequired Reason = "ERROR_REASON_USEFUL_LIFE_REQUIRED"
	// ReasonUsefulLifeOutOfRange: the useful life is negative or above the policy's maximum.
	ReasonUsefulLifeOutOfRange Reason = "ERROR_REASON_USEFUL_LIFE_OUT_OF_RANGE"
	// ReasonNotAmortised: inventory, development expenditure, unrecognised resources and
	// intangibles of indefinite life are not amortised, so they take no life and no method.
	ReasonNotAmortised Reason = "ERROR_REASON_NOT_AMORTISED"
	// ReasonPersonRequired: the recorder or the confirmer of a booking is missing.
	ReasonPersonRequired Reason = "ERROR_REASON_PERSON_REQUIRED"
	// ReasonSelfConfirmation: the person who recorded a booking tried to confirm it.
	ReasonSelfConfirmation Reason = "ERROR_REASON_SELF_CONFIRMATION"
	// ReasonBookingAlreadyConfirmed: a confirmed booking is confirmed again.
	ReasonBookingAlreadyConfirmed Reason = "ERROR_REASON_BOOKING_ALREADY_CONFIRMED"
)

// Reasons for dates and periods (period.go).
const (
	// ReasonInvalidDate: a date that is missing or not a day of the calendar.
	ReasonInvalidDate Reason = "ERROR_REASON_INVALID_DATE"
	// ReasonInvalidPeriod: text that is not a month (2026-03), quarter (2026-Q1) or year.
	ReasonInvalidPeriod Reason = "ERROR_REASON_INVALID_PERIOD"
)

// Reasons for amortisation schedules (amortise.go).
const (
	// ReasonInvalidPolicy: an amortisation policy with an unknown convention or rule.
	ReasonInvalidPolicy Reason = "ERROR_REASON_INVALID_POLICY"
	// ReasonImpairmentNotAllowed: the policy does not recognise impairments (the public-sector
	// regime).
	ReasonImpairmentNotAllowed Reason = "ERROR_REASON_IMPAIRMENT_NOT_ALLOWED"
	// ReasonImpairmentOutOfRange: an impairment dated before recognition or not before the
	// write-off month.
	ReasonImpairmentOutOfRange Reason = "ERROR_REASON_IMPAIRMENT_OUT_OF_RANGE"
	// ReasonImpairmentExceedsCarrying: an impairment larger than the carrying amount.
	ReasonImpairmentExceedsCarrying Reason = "ERROR_REASON_IMPAIRMENT_EXCEEDS_CARRYING_AMOUNT"
	// ReasonWriteOffBeforeRecognition: a write-off dated before the resource was recognised.
	ReasonWriteOffBeforeRecognition Reason = "ERROR_REASON_WRITE_OFF_BEFORE_RECOGNITION"
)

// Reasons for revenue splits (split.go).
const (
	// ReasonSplitNoContributors: a split with nobody to share with.
	ReasonSplitNoContributors Reason = "ERROR_REASON_SPLIT_NO_CONTRIBUTORS"
	// ReasonSplitRatioInvalid: a contributor's ratio that is not positive.
	ReasonSplitRatioInvalid Reason = "ERROR_REASON_SPLIT_RATIO_INVALID"
	// ReasonSplitDuplicate: a contributor listed twice.
	ReasonSplitDuplicate Reason = "ERROR_REASON_SPLIT_DUPLICATE_CONTRIBUTOR"
	// ReasonSplitRatioSumNot100: ratios that do not sum to exactly one.
	ReasonSplitRatioSumNot100 Reason = "ERROR_REASON_SPLIT_RATIO_SUM_NOT_100"
	// ReasonSplitContributorMissing: a contributor without an id.
	ReasonSplitContributorMissing Reason = "ERROR_REASON_SPLIT_CONTRIBUTOR_MISSING"
)

// Reasons for remittance (remit.go).
const (
	// ReasonRemitRuleUnset: no rule is configured for public institutions' use revenue.
	ReasonRemitRuleUnset Reason = "ERROR_REASON_REMIT_RULE_UNSET"
	// ReasonRemitRuleInvalid: a remit rule that is unknown, or a share not strictly between 0 and 1.
	ReasonRemitRuleInvalid Reason = "ERROR_REASON_REMIT_RULE_INVALID"
	// ReasonRemitRevenueKind: revenue that is neither from use nor from disposal.
	ReasonRemitRevenueKind Reason = "ERROR_REASON_REMIT_REVENUE_KIND_INVALID"
	// ReasonRemitUnitUnknown: the unit's kind is not known, so its remittance rule is not.
	ReasonRemitUnitUnknown Reason = "ERROR_REASON_REMIT_UNIT_KIND_UNKNOWN"
	// ReasonRemitInvalid: a remittance or payment missing a field, with a bad date or amount.
	ReasonRemitInvalid Reason = "ERROR_REASON_REMIT_INVALID"
	// ReasonRemitPaymentBefore: a payment dated before the revenue was received.
	ReasonRemitPaymentBefore Reason = "ERROR_REASON_REMIT_PAYMENT_BEFORE_RECEIPT"
)

// Reasons for valuations (valuation.go).
const (
	// ReasonValuationInvalid: a valuation missing its ids, base date, value or report number.
	ReasonValuationInvalid Reason = "ERROR_REASON_VALUATION_INVALID"
	// ReasonValuationMethod: a method that is not one of 中评协〔2023〕17号, or a bad combination.
	ReasonValuationMethod Reason = "ERROR_REASON_VALUATION_METHOD_INVALID"
	// ReasonValuationAppraisers: fewer signing appraisers than the policy needs.
	ReasonValuationAppraisers Reason = "ERROR_REASON_VALUATION_TOO_FEW_APPRAISERS"
	// ReasonValuationInstitution: the appraisal institution's USCC fails ParseUSCC.
	ReasonValuationInstitution Reason = "ERROR_REASON_VALUATION_INSTITUTION_INVALID"
	// ReasonValuationReportHash: the report hash is not 64 hex digits.
	ReasonValuationReportHash Reason = "ERROR_REASON_VALUATION_REPORT_HASH_INVALID"
	// ReasonValuationCostComponent: the cost method with no component or a negative one.
	ReasonValuationCostComponent Reason = "ERROR_REASON_VALUATION_COST_COMPONENT_INVALID"
	// ReasonValuationDiscountRate: a negative or malformed discount rate.
	ReasonValuationDiscountRate Reason = "ERROR_REASON_VALUATION_DISCOUNT_RATE_INVALID"
	// ReasonValuationNoCashFlows: the income method with no cash flow.
	ReasonValuationNoCashFlows Reason = "ERROR_REASON_VALUATION_NO_CASH_FLOWS"
	// ReasonValuationOverflow: a computed value beyond int64 fen.
	ReasonValuationOverflow Reason = "ERROR_REASON_VALUATION_OVERFLOW"
)

// Reasons for refusing a pledge or financing record (guard.go).
const (
	// ReasonPledgeForbidden: 行政事业单位 may not pledge data assets (财资〔2024〕1号).
	ReasonPledgeForbidden Reason = "ERROR_REASON_PLEDGE_FORBIDDEN_PUBLIC_BODY"
	// ReasonPledgeUnitUnknown: the pledging unit's kind is not known.
	ReasonPledgeUnitUnknown Reason = "ERROR_REASON_PLEDGE_UNIT_KIND_UNKNOWN"
	// ReasonPledgeOtherUnitRefused: the policy refuses pledges by other units.
	ReasonPledgeOtherUnitRefused Reason = "ERROR_REASON_PLEDGE_OTHER_UNIT_REFUSED"
	// ReasonPledgeAssetNotRegistered: the asset is not registered.
	ReasonPledgeAssetNotRegistered Reason = "ERROR_REASON_PLEDGE_ASSET_NOT_REGISTERED"
	// ReasonPledgeAssetSuspended: the asset's registration is suspended.
	ReasonPledgeAssetSuspended Reason = "ERROR_REASON_PLEDGE_ASSET_SUSPENDED"
	// ReasonPledgeAssetObjection: the asset has an open objection (异议登记).
	ReasonPledgeAssetObjection Reason = "ERROR_REASON_PLEDGE_ASSET_OPEN_OBJECTION"
	// ReasonPledgeAssetDispute: the asset has an open dispute.
	ReasonPledgeAssetDispute Reason = "ERROR_REASON_PLEDGE_ASSET_OPEN_DISPUTE"
	// ReasonPledgeNoValuation: no valuation of the asset recorded by the pledge date is named.
	ReasonPledgeNoValuation Reason = "ERROR_REASON_PLEDGE_NO_VALUATION"
	// ReasonPledgeValuationOtherAsset: the named valuation is of another asset.
	ReasonPledgeValuationOtherAsset Reason = "ERROR_REASON_PLEDGE_VALUATION_OF_OTHER_ASSET"
	// ReasonPledgeValuationStale: the valuation is outside its validity window on the pledge date.
	ReasonPledgeValuationStale Reason = "ERROR_REASON_PLEDGE_VALUATION_OUTSIDE_VALIDITY"
	// ReasonPledgeValuationSuperseded: a newer valuation of the asset supersedes it.
	ReasonPledgeValuationSuperseded Reason = "ERROR_REASON_PLEDGE_VALUATION_SUPERSEDED"
)
