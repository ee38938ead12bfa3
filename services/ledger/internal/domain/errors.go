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
	// ReasonInvalidDate: a date that is missing or not a day of the calendar.
	ReasonInvalidDate Reason = "ERROR_REASON_INVALID_DATE"
	// ReasonPersonRequired: the recorder or the confirmer of a booking is missing.
	ReasonPersonRequired Reason = "ERROR_REASON_PERSON_REQUIRED"
	// ReasonSelfConfirmation: the person who recorded a booking tried to confirm it.
	ReasonSelfConfirmation Reason = "ERROR_REASON_SELF_CONFIRMATION"
	// ReasonBookingAlreadyConfirmed: a confirmed booking is confirmed again.
	ReasonBookingAlreadyConfirmed Reason = "ERROR_REASON_BOOKING_ALREADY_CONFIRMED"
)

// Reasons for amortisation schedules (amortise.go).
const (
	// ReasonInvalidPolicy: an amortisation policy with an unknown convention or rule.
	ReasonInvalidPolicy Reason = "ERROR_REASON_INVALID_POLICY"
	// ReasonInvalidPeriod: text that is not a month (2026-03), quarter (2026-Q1) or year.
	ReasonInvalidPeriod Reason = "ERROR_REASON_INVALID_PERIOD"
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
