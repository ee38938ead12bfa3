package domain_test

import (
	"encoding/csv"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/services/ledger/internal/domain"
)

var (
	plainInput = domain.AmortisationInput{
		Cost: 100_000_000, UsefulLifeMonths: 60, Method: domain.MethodStraightLine,
		AvailableOn: domain.CivilDateOf(2025, 1, 15),
	}
	impairment25 = []domain.Impairment{{On: domain.CivilDateOf(2027, 1, 31), Amount: 10_000_000}}
	writeOff40   = domain.CivilDateOf(2028, 4, 10)
	midInput     = domain.AmortisationInput{
		Cost: 1_000_000, UsefulLifeMonths: 36, Method: domain.MethodStraightLine,
		AvailableOn: domain.CivilDateOf(2025, 3, 20),
	}
)

// scheduleCases are the cases of testdata/amortisation.csv.
func scheduleCases() map[string]struct {
	in domain.AmortisationInput
	p  domain.AmortisationPolicy
} {
	with := func(imps []domain.Impairment, w domain.CivilDate) domain.AmortisationInput {
		in := plainInput
		in.Impairments, in.WriteOffOn = imps, w
		return in
	}
	def := domain.DefaultAmortisationPolicy()
	return map[string]struct {
		in domain.AmortisationInput
		p  domain.AmortisationPolicy
	}{
		"plain":                      {plainInput, def},
		"spread":                     {plainInput, domain.AmortisationPolicy{Remainder: domain.RemainderSpread}},
		"impaired":                   {with(impairment25, domain.CivilDate{}), def},
		"written_off":                {with(nil, writeOff40), def},
		"written_off_amortise_month": {with(nil, writeOff40), domain.AmortisationPolicy{Disposal: domain.AmortiseDisposalMonth}},
		"impaired_written_off":       {with(impairment25, writeOff40), def},
		"midmonth":                   {midInput, def},
		"midmonth_next":              {midInput, domain.AmortisationPolicy{Start: domain.StartInFollowingMonth}},
	}
}

func yuan(t *testing.T, s string) domain.Fen {
	t.Helper()
	f, err := domain.ParseYuan(s)
	require.NoError(t, err)
	return f
}

func TestScheduleAgainstHandComputedTable(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/amortisation.csv")
	require.NoError(t, err)
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(rows), 40)

	cases := scheduleCases()
	schedules := map[string]*domain.Schedule{}
	seen := map[string]bool{}
	for _, row := range rows {
		name := row[0]
		c, ok := cases[name]
		require.True(t, ok, "unknown case %s", name)
		s := schedules[name]
		if s == nil {
			s, err = domain.NewSchedule(c.in, c.p)
			require.NoError(t, err, name)
			schedules[name] = s
		}
		seen[name] = true
		m, err := domain.ParseYearMonth(row[1])
		require.NoError(t, err)
		got := s.Month(m)
		msg := name + " " + row[1] + ": " + got.String()
		require.Equal(t, yuan(t, row[2]), got.Amortisation, msg)
		require.Equal(t, yuan(t, row[3]), got.Closing.AccumulatedAmortisation, msg)
		require.Equal(t, yuan(t, row[4]), got.Closing.AccumulatedImpairment, msg)
		require.Equal(t, yuan(t, row[5]), got.WriteOff(), msg)
		require.Equal(t, yuan(t, row[6]), got.Closing.OriginalCost, msg)
		require.Equal(t, yuan(t, row[7]), got.Closing.CarryingAmount(), msg)
	}
	require.Len(t, seen, len(cases), "every case has rows in the table")
	for name, s := range schedules {
		checkIdentities(t, name, s, cases[name].in)
	}
}

// checkIdentities checks, month by month, closing = opening + movements − disposal and that
// the opening of a month is the closing of the one before, and that no fen is lost or
// created: cost = Σ amortisation + Σ impairment + write-off + what is still carried.
func checkIdentities(t *testing.T, name string, s *domain.Schedule, in domain.AmortisationInput) {
	t.Helper()
	var prev domain.Balances
	var amort, imp, wo domain.Fen
	for _, f := range s.Months() {
		require.Equal(t, prev, f.Opening, "%s %s opening", name, f.Period)
		require.Equal(t, f.Opening.OriginalCost+f.Addition-f.Disposal.OriginalCost, f.Closing.OriginalCost, name)
		require.Equal(t, f.Opening.AccumulatedAmortisation+f.Amortisation-f.Disposal.AccumulatedAmortisation, f.Closing.AccumulatedAmortisation, name)
		require.Equal(t, f.Opening.AccumulatedImpairment+f.Impairment-f.Disposal.AccumulatedImpairment, f.Closing.AccumulatedImpairment, name)
		require.GreaterOrEqual(t, f.Amortisation, domain.Fen(0), "%s %s", name, f.Period)
		require.GreaterOrEqual(t, f.Closing.CarryingAmount(), domain.Fen(0), "%s %s", name, f.Period)
		amort, imp, wo = amort+f.Amortisation, imp+f.Impairment, wo+f.WriteOff()
		prev = f.Closing
	}
	require.Equal(t, in.Cost, amort+imp+wo+prev.CarryingAmount(), "%s: no fen lost or created", name)
}

func TestScheduleWriteOffTakesTheCarryingAmount(t *testing.T) {
	t.Parallel()
	in := plainInput
	in.Impairments, in.WriteOffOn = impairment25, writeOff40
	s, err := domain.NewSchedule(in, domain.DefaultAmortisationPolicy())
	require.NoError(t, err)
	before := s.Month(domain.YearMonth{Year: 2028, Month: 3})
	at := s.Month(domain.YearMonth{Year: 2028, Month: 4})
	require.Equal(t, before.Closing, at.Disposal, "the balances before the write-off are what leaves the books")
	require.Equal(t, before.Closing.CarryingAmount(), at.WriteOff())
	require.Equal(t, "1000000.00", at.Disposal.OriginalCost.String())
	require.Equal(t, "610000.03", at.Disposal.AccumulatedAmortisation.String())
	require.Equal(t, "100000.00", at.Disposal.AccumulatedImpairment.String())
	require.Equal(t, domain.Balances{}, at.Closing)
	require.Equal(t, domain.YearMonth{Year: 2028, Month: 4}, s.LastMonth(), "nothing moves after the write-off")
	require.Equal(t, domain.YearMonth{Year: 2025, Month: 1}, s.FirstMonth())
}

// TestScheduleRollups: quarters and years are the roll-up of their months (hand-computed
// from the table in testdata/amortisation.csv).
func TestScheduleRollups(t *testing.T) {
	t.Parallel()
	cases := scheduleCases()
	type want struct {
		opening, addition, amort, imp, writeOff, closingCost, closing string
	}
	for _, c := range []struct {
		name, period string
		w            want
	}{
		// 2025: booked, 12 x 16 666.67 = 200 000.04 amortised.
		{"plain", "2025", want{"0.00", "1000000.00", "200000.04", "0.00", "0.00", "1000000.00", "799999.96"}},
		{"plain", "2025-Q1", want{"0.00", "1000000.00", "50000.01", "0.00", "0.00", "1000000.00", "949999.99"}},
		// 2029: 11 x 16 666.67 + 16 666.47 = 199 999.84, the carrying amount at the end of 2028.
		{"plain", "2029", want{"199999.84", "0.00", "199999.84", "0.00", "0.00", "1000000.00", "0.00"}},
		{"plain", "2030", want{"0.00", "0.00", "0.00", "0.00", "0.00", "1000000.00", "0.00"}},
		{"plain", "2024-Q4", want{"0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"}},
		// 2027-Q1: 16 666.67 + 2 x 13 809.52 = 44 285.71; 599 999.92 - 44 285.71 - 100 000 = 455 714.21.
		{"impaired", "2027-Q1", want{"599999.92", "0.00", "44285.71", "100000.00", "0.00", "1000000.00", "455714.21"}},
		// 2028: Jan-Mar 3 x 16 666.67 = 50 000.01; 399 999.88 - 50 000.01 = 349 999.87 written off.
		{"written_off", "2028", want{"399999.88", "0.00", "50000.01", "0.00", "349999.87", "0.00", "0.00"}},
		{"midmonth", "2025", want{"0.00", "10000.00", "2777.80", "0.00", "0.00", "10000.00", "7222.20"}},
		{"midmonth_next", "2025", want{"0.00", "10000.00", "2500.02", "0.00", "0.00", "10000.00", "7499.98"}},
		{"midmonth_next", "2025-03", want{"0.00", "10000.00", "0.00", "0.00", "0.00", "10000.00", "10000.00"}},
	} {
		s, err := domain.NewSchedule(cases[c.name].in, cases[c.name].p)
		require.NoError(t, err)
		p, err := domain.ParseAccountingPeriod(c.period)
		require.NoError(t, err)
		f := s.Figures(p)
		got := want{f.Opening.CarryingAmount().String(), f.Addition.String(), f.Amortisation.String(),
			f.Impairment.String(), f.WriteOff().String(), f.Closing.OriginalCost.String(), f.Closing.CarryingAmount().String()}
		require.Equal(t, c.w, got, "%s %s", c.name, c.period)
		require.Equal(t, c.period, f.Period.String())
	}
}

func TestScheduleRules(t *testing.T) {
	t.Parallel()
	def := domain.DefaultAmortisationPolicy()
	cases := []struct {
		name string
		edit func(*domain.AmortisationInput)
		p    domain.AmortisationPolicy
		want domain.Reason
	}{
		{"negative cost", func(in *domain.AmortisationInput) { in.Cost = -1 }, def, domain.ReasonNegativeAmount},
		{"huge cost", func(in *domain.AmortisationInput) { in.Cost = 1 << 62 }, def, domain.ReasonAmountOverflow},
		{"no date", func(in *domain.AmortisationInput) { in.AvailableOn = domain.CivilDate{} }, def, domain.ReasonInvalidDate},
		{"life 0", func(in *domain.AmortisationInput) { in.UsefulLifeMonths = 0 }, def, domain.ReasonUsefulLifeRequired},
		{"past 9999", func(in *domain.AmortisationInput) { in.UsefulLifeMonths = 100_000 }, def, domain.ReasonUsefulLifeOutOfRange},
		{"life without a method", func(in *domain.AmortisationInput) { in.Method = domain.MethodNone }, def, domain.ReasonNotAmortised},
		{"unknown method", func(in *domain.AmortisationInput) { in.Method = 9 }, def, domain.ReasonInvalidAmortisationMethod},
		{"bad policy", func(*domain.AmortisationInput) {}, domain.AmortisationPolicy{Start: 5}, domain.ReasonInvalidPolicy},
		{"write-off before recognition", func(in *domain.AmortisationInput) { in.WriteOffOn = domain.CivilDateOf(2025, 1, 14) }, def, domain.ReasonWriteOffBeforeRecognition},
		{"write-off not a date", func(in *domain.AmortisationInput) { in.WriteOffOn = domain.CivilDateOf(2025, 13, 1) }, def, domain.ReasonInvalidDate},
		{"impairment before recognition", func(in *domain.AmortisationInput) {
			in.Impairments = []domain.Impairment{{On: domain.CivilDateOf(2025, 1, 14), Amount: 1}}
		}, def, domain.ReasonImpairmentOutOfRange},
		{"impairment in the write-off month", func(in *domain.AmortisationInput) {
			in.Impairments = []domain.Impairment{{On: domain.CivilDateOf(2028, 4, 1), Amount: 1}}
			in.WriteOffOn = writeOff40
		}, def, domain.ReasonImpairmentOutOfRange},
		{"zero impairment", func(in *domain.AmortisationInput) {
			in.Impairments = []domain.Impairment{{On: domain.CivilDateOf(2026, 1, 31), Amount: 0}}
		}, def, domain.ReasonNegativeAmount},
		{"impairment above the carrying amount", func(in *domain.AmortisationInput) {
			// 2026-12 (month 24): carrying 599 999.92.
			in.Impairments = []domain.Impairment{{On: domain.CivilDateOf(2026, 12, 31), Amount: 59_999_993}}
		}, def, domain.ReasonImpairmentExceedsCarrying},
		{"two impairments in a month above the carrying amount", func(in *domain.AmortisationInput) {
			in.Impairments = []domain.Impairment{{On: domain.CivilDateOf(2026, 12, 1), Amount: 30_000_000}, {On: domain.CivilDateOf(2026, 12, 31), Amount: 29_999_993}}
		}, def, domain.ReasonImpairmentExceedsCarrying},
		{"impairment after the end of life", func(in *domain.AmortisationInput) {
			in.Impairments = []domain.Impairment{{On: domain.CivilDateOf(2030, 1, 31), Amount: 1}}
		}, def, domain.ReasonImpairmentExceedsCarrying},
		{"impairment in the public sector", func(in *domain.AmortisationInput) { in.Impairments = impairment25 },
			domain.PolicyFor(domain.RegimePublicSector), domain.ReasonImpairmentNotAllowed},
	}
	for _, c := range cases {
		in := plainInput
		c.edit(&in)
		_, err := domain.NewSchedule(in, c.p)
		require.Equal(t, c.want, domain.ReasonOf(err), "%s: %v", c.name, err)
	}
	// The whole carrying amount may be impaired: nothing is left to amortise.
	in := plainInput
	in.Impairments = []domain.Impairment{{On: domain.CivilDateOf(2026, 12, 31), Amount: 59_999_992}}
	s, err := domain.NewSchedule(in, def)
	require.NoError(t, err)
	require.Equal(t, domain.Fen(0), s.Month(domain.YearMonth{Year: 2027, Month: 1}).Amortisation)
	require.Equal(t, domain.Fen(0), s.Figures(domain.YearPeriod(2029)).Closing.CarryingAmount())
	checkIdentities(t, "fully impaired", s, in)
	require.Equal(t, domain.ImpairmentRecognised, domain.PolicyFor(domain.RegimeEnterprise).Impairment)
}

// TestScheduleIndefiniteLife: an intangible of indefinite life is not amortised; an
// impairment is its only movement.
func TestScheduleIndefiniteLife(t *testing.T) {
	t.Parallel()
	in := domain.AmortisationInput{Cost: 5_000_000, Method: domain.MethodNone, AvailableOn: domain.CivilDateOf(2025, 6, 1),
		Impairments: []domain.Impairment{{On: domain.CivilDateOf(2026, 12, 31), Amount: 1_000_000}}}
	s, err := domain.NewSchedule(in, domain.DefaultAmortisationPolicy())
	require.NoError(t, err)
	y := s.Figures(domain.YearPeriod(2026))
	require.Equal(t, domain.Fen(0), y.Amortisation)
	require.Equal(t, domain.Fen(1_000_000), y.Impairment)
	require.Equal(t, "40000.00", s.Month(domain.YearMonth{Year: 2040, Month: 1}).Closing.CarryingAmount().String())
}

// TestScheduleSmallCostLongLife: 1.00 yuan over 60 months. Rounded half up, 100/60 = 1.67 ->
// 2 fen a month would pass the cost after 50 months, so the monthly amount is rounded down to
// 1 fen and the last month takes 100 - 59 = 41 fen.
func TestScheduleSmallCostLongLife(t *testing.T) {
	t.Parallel()
	in := domain.AmortisationInput{Cost: 100, UsefulLifeMonths: 60, Method: domain.MethodStraightLine, AvailableOn: domain.CivilDateOf(2025, 1, 1)}
	s, err := domain.NewSchedule(in, domain.DefaultAmortisationPolicy())
	require.NoError(t, err)
	require.Equal(t, domain.Fen(1), s.Month(domain.YearMonth{Year: 2025, Month: 1}).Amortisation)
	require.Equal(t, domain.Fen(41), s.Month(domain.YearMonth{Year: 2029, Month: 12}).Amortisation)
	checkIdentities(t, "small", s, in)
	// Under RemainderSpread the 100 fen are spread 1 or 2 a month.
	s, err = domain.NewSchedule(in, domain.AmortisationPolicy{Remainder: domain.RemainderSpread})
	require.NoError(t, err)
	for _, f := range s.Months() {
		require.Contains(t, []domain.Fen{1, 2}, f.Amortisation, f.Period.String())
	}
	checkIdentities(t, "small spread", s, in)
}

// TestScheduleConservation is the property: for random costs, lives, start days, policies,
// impairments and write-offs, the monthly amounts, impairments and write-off sum exactly to
// the cost; without a write-off, the amortisation over the whole life is exactly the cost
// less the impairments. Fixed seed: deterministic.
func TestScheduleConservation(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(14, 2026))
	for i := range 2000 {
		in, p := randomSchedule(t, rng)
		s, err := domain.NewSchedule(in, p)
		require.NoError(t, err, "case %d: %+v", i, in)
		checkIdentities(t, "random", s, in)
		if in.WriteOffOn.IsZero() {
			var amort, imp domain.Fen
			for _, f := range s.Months() {
				amort += f.Amortisation
				imp += f.Impairment
			}
			require.Equal(t, in.Cost-imp, amort, "case %d: %+v %+v", i, in, p)
			require.Equal(t, domain.Fen(0), s.Figures(domain.YearPeriod(9999)).Closing.CarryingAmount())
		}
		if p.Remainder == domain.RemainderSpread && len(in.Impairments) == 0 && in.WriteOffOn.IsZero() {
			lo, hi := in.Cost/domain.Fen(in.UsefulLifeMonths), in.Cost/domain.Fen(in.UsefulLifeMonths)+1
			for _, f := range s.Months() {
				if f.Amortisation != 0 {
					require.True(t, f.Amortisation == lo || f.Amortisation == hi, "spread: every month within a fen")
				}
			}
		}
	}
}

// randomSchedule builds a valid random input: impairments are drawn one at a time against
// the carrying amount the schedule so far gives.
func randomSchedule(t *testing.T, rng *rand.Rand) (domain.AmortisationInput, domain.AmortisationPolicy) {
	t.Helper()
	p := domain.AmortisationPolicy{
		Start:     domain.StartConvention(rng.IntN(2)),
		Disposal:  domain.DisposalConvention(rng.IntN(2)),
		Remainder: domain.RemainderRule(rng.IntN(2)),
	}
	costs := []int64{1, 100, 12_345, 100_000_000, 1_000_000_000_000}
	in := domain.AmortisationInput{
		Cost:             domain.Fen(rng.Int64N(costs[rng.IntN(len(costs))]) + 1),
		UsefulLifeMonths: 1 + rng.IntN(240),
		Method:           domain.MethodStraightLine,
		AvailableOn:      domain.CivilDateOf(2000+rng.IntN(30), time.Month(1+rng.IntN(12)), 1+rng.IntN(28)),
	}
	life := in.UsefulLifeMonths
	for range rng.IntN(4) {
		s, err := domain.NewSchedule(in, p)
		require.NoError(t, err)
		m := in.AvailableOn.YearMonth().AddMonths(rng.IntN(life + 1))
		if n := len(in.Impairments); n > 0 {
			last := in.Impairments[n-1].On.YearMonth()
			if m.Year < last.Year || (m.Year == last.Year && m.Month < last.Month) {
				m = last
			}
		}
		// The carrying amount after this month's amortisation and the impairments so far.
		carrying := s.Month(m).Closing.CarryingAmount()
		if carrying <= 0 {
			break
		}
		in.Impairments = append(in.Impairments, domain.Impairment{
			On: domain.CivilDateOf(m.Year, m.Month, 28), Amount: domain.Fen(rng.Int64N(int64(carrying)) + 1)})
	}
	if rng.IntN(3) == 0 {
		w := in.AvailableOn.YearMonth().AddMonths(rng.IntN(life + 2))
		if n := len(in.Impairments); n > 0 {
			last := in.Impairments[n-1].On.YearMonth()
			if w.Year*12+int(w.Month) <= last.Year*12+int(last.Month) {
				w = last.AddMonths(1)
			}
		}
		in.WriteOffOn = domain.CivilDateOf(w.Year, w.Month, 28)
		if in.WriteOffOn.Before(in.AvailableOn) {
			in.WriteOffOn = in.AvailableOn
		}
	}
	return in, p
}
