package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CivilDate is a day of the calendar with no time and no zone: the date on a voucher, an
// impairment test or a disposal decision. The ledger never reads a clock; dates come in as
// arguments. The zero value is "no date".
type CivilDate struct {
	Year  int
	Month time.Month
	Day   int
}

// minYear and maxYear bound the years the ledger accepts, so month arithmetic cannot
// overflow and a typo (20250) is caught.
const minYear, maxYear = 1900, 9999

// CivilDateOf is the CivilDate y-m-d (not checked; see Valid).
func CivilDateOf(y int, m time.Month, d int) CivilDate { return CivilDate{y, m, d} }

// ParseCivilDate reads "2006-01-02".
func ParseCivilDate(s string) (CivilDate, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	d := civilDateOfTime(t)
	if err != nil || !d.Valid() {
		return CivilDate{}, errInvalidDate(s)
	}
	return d, nil
}

// IsZero reports whether d is the zero value (no date).
func (d CivilDate) IsZero() bool { return d == CivilDate{} }

// Valid reports whether d is a day of the calendar between the years 1900 and 9999.
func (d CivilDate) Valid() bool {
	if d.Year < minYear || d.Year > maxYear {
		return false
	}
	return civilDateOfTime(d.utc()) == d
}

// String writes "2006-01-02".
func (d CivilDate) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Before reports whether d is earlier than e.
func (d CivilDate) Before(e CivilDate) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// After reports whether d is later than e.
func (d CivilDate) After(e CivilDate) bool { return e.Before(d) }

// utc is d as midnight UTC, for the calendar arithmetic of package time. A CivilDate has
// no zone; UTC only keeps that arithmetic free of daylight saving.
func (d CivilDate) utc() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// civilDateOfTime is the date of t in t's own location (package time's results are UTC here).
func civilDateOfTime(t time.Time) CivilDate { return CivilDate{t.Year(), t.Month(), t.Day()} }

// AddDays is the day n calendar days after d (before it for negative n).
func (d CivilDate) AddDays(n int) CivilDate { return civilDateOfTime(d.utc().AddDate(0, 0, n)) }

// AddMonths is the same day of the month n months after d (before it for negative n). A
// day the target month lacks runs on into the next month, as time.AddDate normalises it:
// 29 February 2024 plus 12 months is 1 March 2025, and 31 January plus one month is 3 March
// (2 March in a leap year). Valuation validity (ValidUntil) relies on this rule.
func (d CivilDate) AddMonths(n int) CivilDate { return civilDateOfTime(d.utc().AddDate(0, n, 0)) }

// DaysSince is the number of calendar days from e to d (negative if d is earlier).
func (d CivilDate) DaysSince(e CivilDate) int {
	return int((d.utc().Unix() - e.utc().Unix()) / 86400) // both are midnight UTC; Unix has no leap seconds
}

// YearMonth is the month d falls in.
func (d CivilDate) YearMonth() YearMonth { return YearMonth{d.Year, d.Month} }

func errInvalidDate(s string) error {
	return &RuleError{ReasonInvalidDate, strconv.Quote(s) + " is not a date (YYYY-MM-DD, years 1900-9999)",
		strconv.Quote(s) + "不是有效日期（格式YYYY-MM-DD，年份1900至9999）"}
}

// YearMonth is an accounting month, the ledger's smallest period: amortisation is monthly
// (按月摊销) in both regimes.
type YearMonth struct {
	Year  int
	Month time.Month
}

// ParseYearMonth reads "2006-01".
func ParseYearMonth(s string) (YearMonth, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	m := YearMonth{t.Year(), t.Month()}
	if err != nil || !m.Valid() {
		return YearMonth{}, &RuleError{ReasonInvalidPeriod, strconv.Quote(s) + " is not a month (YYYY-MM)",
			strconv.Quote(s) + "不是有效月份（格式YYYY-MM）"}
	}
	return m, nil
}

// Valid reports whether m is a month of the years 1900 to 9999.
func (m YearMonth) Valid() bool {
	return m.Year >= minYear && m.Year <= maxYear && m.Month >= time.January && m.Month <= time.December
}

// String writes "2006-01".
func (m YearMonth) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// index counts months from year 0, so months compare and subtract as integers.
func (m YearMonth) index() int { return m.Year*12 + int(m.Month) - 1 }

func monthAt(i int) YearMonth { return YearMonth{i / 12, time.Month(i%12 + 1)} }

// AddMonths is the month n months after m (before it for negative n).
func (m YearMonth) AddMonths(n int) YearMonth { return monthAt(m.index() + n) }

// MonthsUntil is the number of months from m to e (negative if e is earlier).
func (m YearMonth) MonthsUntil(e YearMonth) int { return e.index() - m.index() }

// Quarter is the calendar quarter (1-4) of m.
func (m YearMonth) Quarter() int { return (int(m.Month)-1)/3 + 1 }

// PeriodKind is the length of an accounting period.
type PeriodKind int

// Period kinds. The financial year is the calendar year (会计年度自公历1月1日起至12月31日止,
// 《会计法》).
const (
	PeriodMonth PeriodKind = iota + 1
	PeriodQuarter
	PeriodYear
)

// AccountingPeriod is a month, a quarter or a year: a run of whole months. Figures for a
// quarter or a year are the roll-up of its months.
type AccountingPeriod struct {
	Kind PeriodKind
	Year int
	N    int // the month (1-12) or the quarter (1-4); 0 for a year
}

// MonthPeriod, QuarterPeriod and YearPeriod make periods.
func MonthPeriod(m YearMonth) AccountingPeriod {
	return AccountingPeriod{PeriodMonth, m.Year, int(m.Month)}
}

// QuarterPeriod is quarter q (1-4) of year y.
func QuarterPeriod(y, q int) AccountingPeriod { return AccountingPeriod{PeriodQuarter, y, q} }

// YearPeriod is the calendar year y.
func YearPeriod(y int) AccountingPeriod { return AccountingPeriod{PeriodYear, y, 0} }

// ParseAccountingPeriod reads "2026-03", "2026-Q1" or "2026".
func ParseAccountingPeriod(s string) (AccountingPeriod, error) {
	s = strings.TrimSpace(s)
	bad := &RuleError{ReasonInvalidPeriod, strconv.Quote(s) + " is not a period (2026-03, 2026-Q1 or 2026)",
		strconv.Quote(s) + "不是有效期间（如2026-03、2026-Q1或2026）"}
	var p AccountingPeriod
	switch {
	case len(s) == 4:
		y, err := strconv.Atoi(s)
		if err != nil {
			return p, bad
		}
		p = YearPeriod(y)
	case len(s) == 7 && s[4] == '-' && (s[5] == 'Q' || s[5] == 'q'):
		y, err1 := strconv.Atoi(s[:4])
		q, err2 := strconv.Atoi(s[6:])
		if err1 != nil || err2 != nil {
			return p, bad
		}
		p = QuarterPeriod(y, q)
	default:
		m, err := ParseYearMonth(s)
		if err != nil {
			return p, bad
		}
		p = MonthPeriod(m)
	}
	if !p.Valid() {
		return AccountingPeriod{}, bad
	}
	return p, nil
}

// Valid reports whether p is a well-formed period of the years 1900 to 9999.
func (p AccountingPeriod) Valid() bool {
	if p.Year < minYear || p.Year > maxYear {
		return false
	}
	switch p.Kind {
	case PeriodMonth:
		return p.N >= 1 && p.N <= 12
	case PeriodQuarter:
		return p.N >= 1 && p.N <= 4
	case PeriodYear:
		return p.N == 0
	}
	return false
}

// First and Last are the period's first and last months.
func (p AccountingPeriod) First() YearMonth {
	switch p.Kind {
	case PeriodMonth:
		return YearMonth{p.Year, time.Month(p.N)}
	case PeriodQuarter:
		return YearMonth{p.Year, time.Month(3*p.N - 2)}
	}
	return YearMonth{p.Year, time.January}
}

// Last is the period's last month.
func (p AccountingPeriod) Last() YearMonth {
	switch p.Kind {
	case PeriodMonth:
		return YearMonth{p.Year, time.Month(p.N)}
	case PeriodQuarter:
		return YearMonth{p.Year, time.Month(3 * p.N)}
	}
	return YearMonth{p.Year, time.December}
}

// String writes "2026-03", "2026-Q1" or "2026".
func (p AccountingPeriod) String() string {
	switch p.Kind {
	case PeriodMonth:
		return p.First().String()
	case PeriodQuarter:
		return fmt.Sprintf("%04d-Q%d", p.Year, p.N)
	}
	return fmt.Sprintf("%04d", p.Year)
}
