package domain

import (
	"time"

	"yaosu.dev/pkg/errs"
)

// DateLayout is the layout of period dates (YYYY-MM-DD).
const DateLayout = "2006-01-02"

// Outcome is a scenario's outcome over a period (dates, inclusive).
type Outcome struct {
	ScenarioID    string
	PeriodStart   time.Time
	PeriodEnd     time.Time
	RevenueYuan   float64
	CostSavedYuan float64
	Beneficiaries int64
	ServiceCount  int64
	Note          string
	Recorder      string
	RecordTime    time.Time
	Revision      int64
}

// Subject is the outcome's event subject: `scenarios/{scenario}/outcomes/{start}_{end}`.
func (o *Outcome) Subject() string {
	return "scenarios/" + o.ScenarioID + "/outcomes/" + o.PeriodStart.Format(DateLayout) + "_" + o.PeriodEnd.Format(DateLayout)
}

// ParsePeriod parses a period's first and last days (YYYY-MM-DD, inclusive) named by the
// fields startField and endField; the end may not be before the start.
func ParsePeriod(start, end, startField, endField string) (time.Time, time.Time, error) {
	s, err := time.Parse(DateLayout, start)
	if err != nil {
		return time.Time{}, time.Time{}, errs.InvalidArgument(errs.ReasonValidation,
			errs.Violation(startField, "not a date (YYYY-MM-DD)", "不是日期（格式 YYYY-MM-DD）"))
	}
	e, err := time.Parse(DateLayout, end)
	if err != nil {
		return time.Time{}, time.Time{}, errs.InvalidArgument(errs.ReasonValidation,
			errs.Violation(endField, "not a date (YYYY-MM-DD)", "不是日期（格式 YYYY-MM-DD）"))
	}
	if e.Before(s) {
		return time.Time{}, time.Time{}, errs.InvalidArgument(errs.ReasonValidation,
			errs.Violation(endField, "before "+startField, "早于 "+startField))
	}
	return s, e, nil
}
