package domain_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/services/ledger/internal/domain"
)

func acquiredIntangible() domain.Recognition {
	return domain.Recognition{
		Class: domain.ClassIntangibleAsset,
		Mode:  domain.ModeAcquired,
		Costs: domain.CostComponents{
			Price: 80_000_000, Taxes: 4_800_000, Desensitisation: 1_200_000, Cleaning: 3_000_000,
			Labelling: 2_500_000, Integration: 1_000_000, Analysis: 500_000, Visualisation: 250_000,
			RightsVerification: 1_500_000, QualityAssessment: 2_000_000, RegistrationSettlement: 750_000,
			Security: 2_500_000,
		},
		UsefulLifeMonths: 60,
		Method:           domain.MethodStraightLine,
		AvailableOn:      domain.CivilDateOf(2025, 1, 15),
	}
}

// TestInitialAmountIsTheSum: 800 000 + 48 000 (taxes) + processing (12 000 + 30 000 + 25 000 +
// 10 000 + 5 000 + 2 500 = 84 500) + fees (15 000 + 20 000 + 7 500 + 25 000 = 67 500)
// = 1 000 000.00 yuan.
func TestInitialAmountIsTheSum(t *testing.T) {
	t.Parallel()
	r := acquiredIntangible()
	total, err := r.InitialAmount()
	require.NoError(t, err)
	require.Equal(t, "1000000.00", total.String())
	proc, err := r.Costs.Processing()
	require.NoError(t, err)
	require.Equal(t, "84500.00", proc.String())
	var sum domain.Fen
	for _, l := range r.Costs.Lines() {
		sum += l.Amount
	}
	require.Equal(t, total, sum, "Lines covers every component")
	require.Len(t, r.Costs.Lines(), 15)
	require.NoError(t, r.Validate(domain.DefaultBookingPolicy()))
}

func TestRecognitionRules(t *testing.T) {
	t.Parallel()
	p := domain.DefaultBookingPolicy()
	cases := []struct {
		name string
		edit func(*domain.Recognition)
		want domain.Reason
	}{
		{"ok", func(*domain.Recognition) {}, ""},
		{"no class", func(r *domain.Recognition) { r.Class = domain.ClassUnspecified }, domain.ReasonInvalidAccountingClass},
		{"unknown class", func(r *domain.Recognition) { r.Class = 99 }, domain.ReasonInvalidAccountingClass},
		{"negative component", func(r *domain.Recognition) { r.Costs.Cleaning = -1 }, domain.ReasonNegativeAmount},
		{"overflow", func(r *domain.Recognition) { r.Costs.Price, r.Costs.Taxes = math.MaxInt64, 1 }, domain.ReasonAmountOverflow},
		{"zero cost", func(r *domain.Recognition) { r.Costs = domain.CostComponents{} }, domain.ReasonNoCost},
		{"no mode", func(r *domain.Recognition) { r.Mode = domain.ModeUnspecified }, domain.ReasonInvalidAcquisitionMode},
		{"intangible self-processed", func(r *domain.Recognition) { r.Mode = domain.ModeSelfProcessed }, domain.ReasonInvalidAcquisitionMode},
		{"intangible self-developed", func(r *domain.Recognition) { r.Mode = domain.ModeSelfDeveloped }, ""},
		{"development cost on a purchase", func(r *domain.Recognition) { r.Costs.Development = 100 }, domain.ReasonCostNotForMode},
		{"life 0 straight-line", func(r *domain.Recognition) { r.UsefulLifeMonths = 0 }, domain.ReasonUsefulLifeRequired},
		{"negative life", func(r *domain.Recognition) { r.UsefulLifeMonths = -1 }, domain.ReasonUsefulLifeOutOfRange},
		{"life over the policy", func(r *domain.Recognition) { r.UsefulLifeMonths = 1201 }, domain.ReasonUsefulLifeOutOfRange},
		{"no method", func(r *domain.Recognition) { r.Method = domain.MethodUnspecified }, domain.ReasonInvalidAmortisationMethod},
		{"unknown method", func(r *domain.Recognition) { r.Method = 7 }, domain.ReasonInvalidAmortisationMethod},
		{"indefinite life", func(r *domain.Recognition) { r.Method, r.UsefulLifeMonths = domain.MethodNone, 0 }, ""},
		{"indefinite with a life", func(r *domain.Recognition) { r.Method = domain.MethodNone }, domain.ReasonNotAmortised},
		{"no date", func(r *domain.Recognition) { r.AvailableOn = domain.CivilDate{} }, domain.ReasonInvalidDate},
		{"31 February", func(r *domain.Recognition) { r.AvailableOn = domain.CivilDateOf(2025, 2, 31) }, domain.ReasonInvalidDate},
		{"inventory amortised", func(r *domain.Recognition) { r.Class = domain.ClassInventory }, domain.ReasonNotAmortised},
		{"inventory", func(r *domain.Recognition) {
			r.Class, r.UsefulLifeMonths, r.Method = domain.ClassInventory, 0, domain.MethodUnspecified
		}, ""},
		{"inventory with a method", func(r *domain.Recognition) {
			r.Class, r.UsefulLifeMonths, r.Method = domain.ClassInventory, 0, domain.MethodStraightLine
		}, domain.ReasonNotAmortised},
		{"inventory self-developed", func(r *domain.Recognition) {
			r.Class, r.Mode, r.UsefulLifeMonths, r.Method = domain.ClassInventory, domain.ModeSelfDeveloped, 0, domain.MethodUnspecified
		}, domain.ReasonInvalidAcquisitionMode},
		{"inventory self-processed", func(r *domain.Recognition) {
			r.Class, r.Mode, r.UsefulLifeMonths, r.Method = domain.ClassInventory, domain.ModeSelfProcessed, 0, domain.MethodUnspecified
		}, ""},
		{"development expenditure", func(r *domain.Recognition) {
			r.Class, r.Mode, r.UsefulLifeMonths, r.Method = domain.ClassDevelopmentExpenditure, domain.ModeSelfDeveloped, 0, domain.MethodUnspecified
			r.Costs = domain.CostComponents{Development: 5_000_000, Cleaning: 100_000}
		}, ""},
		{"development expenditure acquired", func(r *domain.Recognition) {
			r.Class, r.UsefulLifeMonths, r.Method = domain.ClassDevelopmentExpenditure, 0, domain.MethodUnspecified
		}, domain.ReasonInvalidAcquisitionMode},
		{"unrecognised with amounts", func(r *domain.Recognition) { r.Class = domain.ClassUnrecognised }, domain.ReasonUnrecognisedHasAmount},
		{"unrecognised", func(r *domain.Recognition) {
			*r = domain.Recognition{Class: domain.ClassUnrecognised, Mode: domain.ModeSelfDeveloped}
		}, ""},
		{"unrecognised, bad mode", func(r *domain.Recognition) {
			*r = domain.Recognition{Class: domain.ClassUnrecognised, Mode: 12}
		}, domain.ReasonInvalidAcquisitionMode},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := acquiredIntangible()
			c.edit(&r)
			err := r.Validate(p)
			if c.want == "" {
				require.NoError(t, err)
				return
			}
			require.Equal(t, c.want, domain.ReasonOf(err), "%v", err)
			var re *domain.RuleError
			require.ErrorAs(t, err, &re)
			require.NotEmpty(t, re.En)
			require.NotEmpty(t, re.Zh)
		})
	}
}

func TestBookingNeedsTwoPeople(t *testing.T) {
	t.Parallel()
	_, err := domain.RecordBooking(acquiredIntangible(), " ", domain.DefaultBookingPolicy())
	require.Equal(t, domain.ReasonPersonRequired, domain.ReasonOf(err))
	bad := acquiredIntangible()
	bad.UsefulLifeMonths = 0
	_, err = domain.RecordBooking(bad, "officer-1", domain.DefaultBookingPolicy())
	require.Equal(t, domain.ReasonUsefulLifeRequired, domain.ReasonOf(err), "a booking is validated when recorded")

	b, err := domain.RecordBooking(acquiredIntangible(), "officer-1", domain.DefaultBookingPolicy())
	require.NoError(t, err)
	require.Equal(t, domain.BookingRecorded, b.State())
	require.Equal(t, domain.Fen(100_000_000), b.InitialAmount())
	require.False(t, b.Confirmed())

	err = b.Confirm("officer-1")
	require.Equal(t, domain.ReasonSelfConfirmation, domain.ReasonOf(err), "the recorder cannot confirm")
	err = b.Confirm(" officer-1 ")
	require.Equal(t, domain.ReasonSelfConfirmation, domain.ReasonOf(err), "not even with spaces around the name")
	require.Equal(t, domain.ReasonPersonRequired, domain.ReasonOf(b.Confirm("")))
	require.Equal(t, domain.BookingRecorded, b.State(), "refused confirmations change nothing")

	require.NoError(t, b.Confirm("supervisor-1"))
	require.True(t, b.Confirmed())
	require.Equal(t, "officer-1", b.Recorder())
	require.Equal(t, "supervisor-1", b.Confirmer())
	require.Equal(t, domain.ReasonBookingAlreadyConfirmed, domain.ReasonOf(b.Confirm("supervisor-2")))
	require.Equal(t, "supervisor-1", b.Confirmer())
}
