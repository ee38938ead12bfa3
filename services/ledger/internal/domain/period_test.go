package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/services/ledger/internal/domain"
)

func TestAccountingPeriods(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]struct{ first, last string }{
		"2026":    {"2026-01", "2026-12"},
		"2026-Q1": {"2026-01", "2026-03"},
		"2026-q4": {"2026-10", "2026-12"},
		"2026-03": {"2026-03", "2026-03"},
	} {
		p, err := domain.ParseAccountingPeriod(in)
		require.NoError(t, err, in)
		require.Equal(t, want.first, p.First().String(), in)
		require.Equal(t, want.last, p.Last().String(), in)
	}
	for _, bad := range []string{"", "26", "2026-Q5", "2026-Q0", "2026-13", "2026-00", "20260", "1899", "2026-3", "abcd"} {
		_, err := domain.ParseAccountingPeriod(bad)
		require.Equal(t, domain.ReasonInvalidPeriod, domain.ReasonOf(err), bad)
	}
	m := domain.YearMonth{Year: 2025, Month: time.November}
	require.Equal(t, "2026-02", m.AddMonths(3).String())
	require.Equal(t, "2024-12", m.AddMonths(-11).String())
	require.Equal(t, 3, m.MonthsUntil(domain.YearMonth{Year: 2026, Month: time.February}))
	require.Equal(t, 4, m.Quarter())
	require.Equal(t, "2025-11", domain.MonthPeriod(m).String())
	require.Equal(t, "2025-Q2", domain.QuarterPeriod(2025, 2).String())
}

func TestCivilDate(t *testing.T) {
	t.Parallel()
	d, err := domain.ParseCivilDate("2024-02-29")
	require.NoError(t, err)
	require.Equal(t, domain.CivilDateOf(2024, 2, 29), d)
	require.Equal(t, "2024-02", d.YearMonth().String())
	for _, bad := range []string{"2025-02-29", "2025-2-1", "", "10000-01-01", "1899-12-31"} {
		_, err := domain.ParseCivilDate(bad)
		require.Equal(t, domain.ReasonInvalidDate, domain.ReasonOf(err), bad)
	}
	require.True(t, domain.CivilDateOf(2025, 1, 31).Before(domain.CivilDateOf(2025, 2, 1)))
	require.False(t, domain.CivilDateOf(2025, 2, 1).Before(domain.CivilDateOf(2025, 2, 1)))
	require.True(t, domain.CivilDate{}.IsZero())
}

// TestCivilDateArithmetic checks the calendar arithmetic against hand-counted dates.
func TestCivilDateArithmetic(t *testing.T) {
	t.Parallel()
	d := domain.CivilDateOf
	for _, tc := range []struct {
		from domain.CivilDate
		n    int
		want domain.CivilDate
	}{
		{d(2026, 3, 10), 30, d(2026, 4, 9)},   // 21 days left in March + 9
		{d(2026, 12, 15), 30, d(2027, 1, 14)}, // 16 days left in December + 14
		{d(2024, 2, 28), 1, d(2024, 2, 29)},   // leap year
		{d(2025, 2, 28), 1, d(2025, 3, 1)},
		{d(2025, 3, 1), -1, d(2025, 2, 28)},
		{d(2025, 6, 30), 0, d(2025, 6, 30)},
	} {
		got := tc.from.AddDays(tc.n)
		require.Equal(t, tc.want, got, "%s + %d days", tc.from, tc.n)
		require.Equal(t, tc.n, got.DaysSince(tc.from), "%s − %s", got, tc.from)
	}
	for _, tc := range []struct {
		from domain.CivilDate
		n    int
		want domain.CivilDate
	}{
		{d(2025, 6, 30), 12, d(2026, 6, 30)},
		{d(2025, 6, 30), 6, d(2025, 12, 30)},
		{d(2024, 2, 29), 12, d(2025, 3, 1)}, // 29 Feb 2025 does not exist: runs on to 1 March
		{d(2024, 2, 29), 48, d(2028, 2, 29)},
		{d(2025, 1, 31), 1, d(2025, 3, 3)}, // "31 Feb" = 28 Feb + 3
		{d(2024, 1, 31), 1, d(2024, 3, 2)}, // "31 Feb" = 29 Feb + 2
		{d(2025, 3, 31), -1, d(2025, 3, 3)},
		{d(2025, 11, 15), 3, d(2026, 2, 15)},
	} {
		require.Equal(t, tc.want, tc.from.AddMonths(tc.n), "%s + %d months", tc.from, tc.n)
	}
	require.Equal(t, 366, d(2025, 1, 1).DaysSince(d(2024, 1, 1)))
	require.Equal(t, -366, d(2024, 1, 1).DaysSince(d(2025, 1, 1)))
	require.Equal(t, 2958463, d(9999, 12, 31).DaysSince(d(1900, 1, 1)), "the whole range, beyond time.Duration's 292 years")
	require.True(t, d(2025, 2, 1).After(d(2025, 1, 31)))
	require.False(t, d(2025, 2, 1).After(d(2025, 2, 1)))
	require.False(t, d(2024, 12, 31).After(d(2025, 1, 1)))
	require.False(t, d(2025, 2, 29).Valid())
}

// TestBookingToSchedule: a confirmed booking of the 1 000 000.00 acquired intangible gives
// the plain schedule of testdata/amortisation.csv.
func TestBookingToSchedule(t *testing.T) {
	t.Parallel()
	b, err := domain.RecordBooking(acquiredIntangible(), "officer-1", domain.DefaultBookingPolicy())
	require.NoError(t, err)
	require.NoError(t, b.Confirm("supervisor-1"))
	s, err := domain.NewSchedule(b.AmortisationInput(impairment25, writeOff40), domain.DefaultAmortisationPolicy())
	require.NoError(t, err)
	require.Equal(t, "289999.97", s.Month(domain.YearMonth{Year: 2028, Month: time.April}).WriteOff().String())
}

// FuzzScheduleConservation: whatever the input, a schedule is either refused with a reason
// or conserves every fen.
func FuzzScheduleConservation(f *testing.F) {
	f.Add(int64(100_000_000), 60, 15, int64(10_000_000), 24, 39, uint8(0))
	f.Add(int64(100), 60, 1, int64(0), 0, -1, uint8(3))
	f.Add(int64(1_000_000), 36, 20, int64(1), 35, 36, uint8(7))
	f.Fuzz(func(t *testing.T, cost int64, life, day int, imp int64, impMonth, writeOffMonth int, policy uint8) {
		if life < 0 || life > 2400 || impMonth < 0 || impMonth > 3000 || writeOffMonth > 3000 {
			t.Skip()
		}
		start := domain.CivilDateOf(2025, time.January, day)
		in := domain.AmortisationInput{Cost: domain.Fen(cost), UsefulLifeMonths: life, Method: domain.MethodStraightLine, AvailableOn: start}
		if imp != 0 {
			m := start.YearMonth().AddMonths(impMonth)
			in.Impairments = []domain.Impairment{{On: domain.CivilDateOf(m.Year, m.Month, 28), Amount: domain.Fen(imp)}}
		}
		if writeOffMonth >= 0 {
			m := start.YearMonth().AddMonths(writeOffMonth)
			in.WriteOffOn = domain.CivilDateOf(m.Year, m.Month, 28)
		}
		p := domain.AmortisationPolicy{Start: domain.StartConvention(policy & 1), Disposal: domain.DisposalConvention(policy >> 1 & 1),
			Remainder: domain.RemainderRule(policy >> 2 & 1)}
		s, err := domain.NewSchedule(in, p)
		if err != nil {
			require.NotEmpty(t, domain.ReasonOf(err), "%v", err)
			return
		}
		checkIdentities(t, "fuzz", s, in)
	})
}
