package domain

import (
	"math/bits"
	"slices"
)

// StartConvention says in which month amortisation starts when a resource becomes available
// in the middle of a month.
type StartConvention int

// Start conventions.
const (
	// StartInAcquisitionMonth (default): 当月增加的无形资产，当月开始摊销 — a full month is
	// amortised in the month the asset reaches its intended use, whatever the day. This is the
	// PRC practice for intangible assets in both regimes (企业会计准则第6号 and its
	// application guide; 政府会计准则第4号 and the government accounting system), so it is the
	// default; no daily proration is ever made.
	StartInAcquisitionMonth StartConvention = iota
	// StartInFollowingMonth: amortisation starts in the month after the asset becomes
	// available (the fixed-asset convention 当月增加，下月计提), for units whose finance department
	// applies it to data assets too.
	StartInFollowingMonth
)

// DisposalConvention says whether the month of a write-off is amortised.
type DisposalConvention int

// Disposal conventions.
const (
	// NoAmortisationInDisposalMonth (default): 当月减少的无形资产，当月不再摊销 — the same texts
	// as StartInAcquisitionMonth; the carrying amount at the end of the previous month is
	// written off.
	NoAmortisationInDisposalMonth DisposalConvention = iota
	// AmortiseDisposalMonth: the month of the write-off is amortised in full first, then the
	// rest is written off.
	AmortiseDisposalMonth
)

// RemainderRule says where the fen left over by dividing a cost into whole-fen monthly
// amounts go. Under every rule the monthly amounts of a stretch sum exactly to the amount
// being spread: no fen is lost or created.
type RemainderRule int

// Remainder rules.
const (
	// RemainderToLastMonth (default): every month but the last takes the amount divided by
	// the months, rounded half up to the fen (how a finance office writes it: 1 000 000.00
	// over 60 months is 16 666.67 a month); the last month takes what is left (16 666.47).
	// Only when rounding up would leave the last month below zero (an amount of fewer fen
	// than about half the square of the months, e.g. 1.00 yuan over 60 months) is the
	// monthly amount rounded down instead, so the last month takes a little more.
	RemainderToLastMonth RemainderRule = iota
	// RemainderSpread: the accumulated amortisation after k of n months is the amount × k / n
	// rounded half up; each month takes the difference, so the monthly amounts differ by at
	// most one fen and the remainder is spread evenly.
	RemainderSpread
)

// ImpairmentRule says whether impairments are recognised.
type ImpairmentRule int

// Impairment rules.
const (
	// ImpairmentRecognised (enterprises): an impairment loss is recognised when the
	// recoverable amount falls below the carrying amount (企业会计准则第8号) and is never
	// reversed for an intangible asset; later months amortise the reduced carrying amount
	// over the remaining useful life.
	ImpairmentRecognised ImpairmentRule = iota
	// ImpairmentNotRecognised (public sector): government accounting (政府会计准则第4号 and the
	// government accounting system) provides no impairment for intangible assets [U: to
	// confirm with the finance department; PolicyFor(RegimePublicSector) uses it].
	ImpairmentNotRecognised
)

// AmortisationPolicy holds the choices the texts leave open. The zero value is the default
// policy (DefaultAmortisationPolicy).
type AmortisationPolicy struct {
	Start      StartConvention
	Disposal   DisposalConvention
	Remainder  RemainderRule
	Impairment ImpairmentRule
}

// DefaultAmortisationPolicy: amortise from the month of acquisition, not in the month of
// disposal, the last month takes the rounding remainder, impairments recognised.
func DefaultAmortisationPolicy() AmortisationPolicy { return AmortisationPolicy{} }

// PolicyFor is the default policy of a regime: the public sector recognises no impairment;
// otherwise the default.
func PolicyFor(r Regime) AmortisationPolicy {
	p := DefaultAmortisationPolicy()
	if r == RegimePublicSector {
		p.Impairment = ImpairmentNotRecognised
	}
	return p
}

// Validate reports a policy with an unknown value.
func (p AmortisationPolicy) Validate() error {
	if p.Start < StartInAcquisitionMonth || p.Start > StartInFollowingMonth ||
		p.Disposal < NoAmortisationInDisposalMonth || p.Disposal > AmortiseDisposalMonth ||
		p.Remainder < RemainderToLastMonth || p.Remainder > RemainderSpread ||
		p.Impairment < ImpairmentRecognised || p.Impairment > ImpairmentNotRecognised {
		return &RuleError{ReasonInvalidPolicy, "the amortisation policy has an unknown convention or rule",
			"摊销政策含有未知的约定或规则"}
	}
	return nil
}

// Impairment is an impairment loss (减值) recognised on a day.
type Impairment struct {
	On     CivilDate
	Amount Fen
}

// AmortisationInput is what a schedule is computed from: the booked recognition and what
// happened to the asset afterwards.
type AmortisationInput struct {
	Cost             Fen
	UsefulLifeMonths int                // 0 when not amortised
	Method           AmortisationMethod // MethodStraightLine, or none/unspecified when not amortised
	AvailableOn      CivilDate
	Impairments      []Impairment
	WriteOffOn       CivilDate // the zero date: not written off
}

// AmortisationInput is the input for the booked recognition with its later impairments and
// write-off date (the zero date if there is none).
func (b *Booking) AmortisationInput(impairments []Impairment, writeOffOn CivilDate) AmortisationInput {
	r := b.recognition
	return AmortisationInput{Cost: b.initial, UsefulLifeMonths: r.UsefulLifeMonths, Method: r.Method,
		AvailableOn: r.AvailableOn, Impairments: impairments, WriteOffOn: writeOffOn}
}

// maxScheduleCost bounds the cost a schedule accepts (10^15 yuan), far above any asset and
// far enough below int64 that no intermediate sum can overflow.
const maxScheduleCost Fen = 100_000_000_000_000_000

// Balances are the cumulative amounts of an asset at a moment.
type Balances struct {
	OriginalCost            Fen // 账面原值
	AccumulatedAmortisation Fen // 累计摊销
	AccumulatedImpairment   Fen // 减值准备
}

// CarryingAmount (账面价值) is the original cost less accumulated amortisation and impairment.
func (b Balances) CarryingAmount() Fen {
	return b.OriginalCost - b.AccumulatedAmortisation - b.AccumulatedImpairment
}

func (b Balances) add(o Balances) Balances {
	return Balances{b.OriginalCost + o.OriginalCost, b.AccumulatedAmortisation + o.AccumulatedAmortisation,
		b.AccumulatedImpairment + o.AccumulatedImpairment}
}

// PeriodFigures are an asset's figures for one period in the shape of the 财会〔2023〕11号
// disclosure table: opening balances, the period's movements, closing balances. For each
// column, closing = opening + movement − disposal:
//
//	Closing.OriginalCost            = Opening.OriginalCost + Addition − Disposal.OriginalCost
//	Closing.AccumulatedAmortisation = Opening.AccumulatedAmortisation + Amortisation − Disposal.AccumulatedAmortisation
//	Closing.AccumulatedImpairment   = Opening.AccumulatedImpairment + Impairment − Disposal.AccumulatedImpairment
type PeriodFigures struct {
	Period       AccountingPeriod
	Opening      Balances
	Addition     Fen // original cost recognised in the period (本期增加)
	Amortisation Fen // amortisation charged in the period (本期摊销)
	Impairment   Fen // impairment recognised in the period (本期计提减值)
	// Disposal holds the balances taken off the books by a write-off in the period (本期减少);
	// its carrying amount is the amount written off.
	Disposal Balances
	Closing  Balances
}

// WriteOff is the carrying amount written off in the period (zero if none).
func (f PeriodFigures) WriteOff() Fen { return f.Disposal.CarryingAmount() }

// Schedule is an asset's computed monthly figures from the month it is recognised to the
// last month in which anything moves; before that month everything is zero, after it the
// balances stay as they are.
type Schedule struct {
	months []PeriodFigures // months[i] is the month first+i
	first  YearMonth
}

// NewSchedule computes the schedule for in under p.
//
// The order within a month is: the addition (in the month of AvailableOn), the month's
// amortisation, the impairments dated in the month, the write-off. An impairment is thus
// measured against the carrying amount after that month's amortisation (the impairment test
// is made at the period end), and from the next month the carrying amount that remains is
// amortised over the months of useful life that remain: the end of the life does not move.
func NewSchedule(in AmortisationInput, p AmortisationPolicy) (*Schedule, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := in.validate(p); err != nil {
		return nil, err
	}
	recog := in.AvailableOn.YearMonth()
	start := recog // first month amortised
	if p.Start == StartInFollowingMonth {
		start = recog.AddMonths(1)
	}
	life := 0
	if in.Method == MethodStraightLine {
		life = in.UsefulLifeMonths
	}
	end := start.AddMonths(life - 1) // last month of the useful life (before start if life is 0)
	lastAmortised := end
	last := recog
	if end.index() > last.index() {
		last = end
	}

	impByMonth := map[int]Fen{}
	for _, im := range in.Impairments {
		m := im.On.YearMonth()
		impByMonth[m.index()] += im.Amount
		if m.index() > last.index() {
			last = m
		}
	}
	writeOff := !in.WriteOffOn.IsZero()
	if writeOff {
		w := in.WriteOffOn.YearMonth()
		last = w
		stop := w.AddMonths(-1)
		if p.Disposal == AmortiseDisposalMonth {
			stop = w
		}
		if stop.index() < lastAmortised.index() {
			lastAmortised = stop
		}
	}

	s := &Schedule{first: recog, months: make([]PeriodFigures, 0, recog.MonthsUntil(last)+1)}
	var bal Balances
	seg := segment{base: in.Cost, start: start, months: life}
	for m := recog; m.index() <= last.index(); m = m.AddMonths(1) {
		f := PeriodFigures{Period: MonthPeriod(m), Opening: bal}
		if m == recog {
			f.Addition = in.Cost
			bal.OriginalCost = in.Cost
		}
		if life > 0 && m.index() >= start.index() && m.index() <= lastAmortised.index() {
			f.Amortisation = seg.amount(seg.start.MonthsUntil(m), p.Remainder)
			bal.AccumulatedAmortisation += f.Amortisation
		}
		if imp := impByMonth[m.index()]; imp > 0 {
			if imp > bal.CarryingAmount() {
				return nil, &RuleError{ReasonImpairmentExceedsCarrying,
					"the impairment of " + imp.String() + " in " + m.String() + " exceeds the carrying amount of " + bal.CarryingAmount().String(),
					m.String() + "的减值" + imp.String() + "超过账面价值" + bal.CarryingAmount().String()}
			}
			f.Impairment = imp
			bal.AccumulatedImpairment += imp
			// Re-spread what remains over the rest of the useful life.
			next := m.AddMonths(1)
			if next.index() < start.index() {
				next = start
			}
			seg = segment{base: bal.CarryingAmount(), start: next, months: max(0, next.MonthsUntil(end)+1)}
		}
		if writeOff && m == in.WriteOffOn.YearMonth() {
			f.Disposal, bal = bal, Balances{}
		}
		f.Closing = bal
		s.months = append(s.months, f)
	}
	return s, nil
}

func (in AmortisationInput) validate(p AmortisationPolicy) error {
	if in.Cost < 0 {
		return &RuleError{ReasonNegativeAmount, "the cost is negative (" + in.Cost.String() + ")",
			"成本为负数（" + in.Cost.String() + "）"}
	}
	if in.Cost > maxScheduleCost {
		return &RuleError{ReasonAmountOverflow, "the cost is too large to amortise exactly", "成本过大，无法精确摊销"}
	}
	if !in.AvailableOn.Valid() {
		return errInvalidDate(in.AvailableOn.String())
	}
	switch in.Method {
	case MethodStraightLine:
		if in.UsefulLifeMonths < 1 {
			return &RuleError{ReasonUsefulLifeRequired, "straight-line amortisation needs a useful life of at least one month",
				"直线法摊销须有至少1个月的使用寿命"}
		}
		end := in.AvailableOn.YearMonth().AddMonths(in.UsefulLifeMonths)
		if in.UsefulLifeMonths > 12*(maxYear-minYear) || !end.Valid() {
			return &RuleError{ReasonUsefulLifeOutOfRange, "the useful life runs past the year 9999", "使用寿命超出9999年"}
		}
	case MethodNone, MethodUnspecified:
		if in.UsefulLifeMonths != 0 {
			return &RuleError{ReasonNotAmortised, "a useful life is given but the asset is not amortised",
				"未选择摊销方法却填写了使用寿命"}
		}
	default:
		return &RuleError{ReasonInvalidAmortisationMethod, "unknown amortisation method", "摊销方法无效"}
	}
	writeOff := !in.WriteOffOn.IsZero()
	if writeOff {
		if !in.WriteOffOn.Valid() {
			return errInvalidDate(in.WriteOffOn.String())
		}
		if in.WriteOffOn.Before(in.AvailableOn) {
			return &RuleError{ReasonWriteOffBeforeRecognition,
				"the write-off on " + in.WriteOffOn.String() + " is before the asset was recognised on " + in.AvailableOn.String(),
				"核销日期" + in.WriteOffOn.String() + "早于确认日期" + in.AvailableOn.String()}
		}
	}
	if len(in.Impairments) > 0 && p.Impairment == ImpairmentNotRecognised {
		return &RuleError{ReasonImpairmentNotAllowed, "the policy recognises no impairment (government accounting has none for intangible assets)",
			"该摊销政策不计提减值（政府会计不对无形资产计提减值）"}
	}
	for _, im := range in.Impairments {
		if !im.On.Valid() {
			return errInvalidDate(im.On.String())
		}
		if im.Amount <= 0 {
			return &RuleError{ReasonNegativeAmount, "an impairment must be more than zero (" + im.Amount.String() + "); impairments of intangible assets are never reversed",
				"减值金额须大于零（" + im.Amount.String() + "）；无形资产减值损失不得转回"}
		}
		if im.On.Before(in.AvailableOn) || (writeOff && im.On.YearMonth().index() >= in.WriteOffOn.YearMonth().index()) {
			return &RuleError{ReasonImpairmentOutOfRange,
				"the impairment on " + im.On.String() + " must be dated from the recognition (" + in.AvailableOn.String() + ") and before the month of the write-off",
				"减值日期" + im.On.String() + "须不早于确认日期（" + in.AvailableOn.String() + "）且早于核销当月"}
		}
	}
	return nil
}

// segment is a stretch of months over which one amount is spread: from the start, or from
// the month after an impairment, to the end of the useful life.
type segment struct {
	base   Fen
	start  YearMonth
	months int
}

// amount is the segment's amortisation in its k-th month (0-based) under rule.
func (s segment) amount(k int, rule RemainderRule) Fen {
	n := s.months
	if k < 0 || k >= n {
		return 0
	}
	if rule == RemainderSpread {
		return mulDivHalfUp(s.base, k+1, n) - mulDivHalfUp(s.base, k, n)
	}
	fixed := mulDivHalfUp(s.base, 1, n)
	if fixed*Fen(n-1) > s.base {
		fixed = s.base / Fen(n)
	}
	if k < n-1 {
		return fixed
	}
	return s.base - fixed*Fen(n-1)
}

// mulDivHalfUp is a × k / n rounded half up, for 0 ≤ a, 0 ≤ k ≤ n, 0 < n, exact in 128 bits.
func mulDivHalfUp(a Fen, k, n int) Fen {
	hi, lo := bits.Mul64(uint64(a), uint64(k))
	q, r := bits.Div64(hi, lo, uint64(n)) // q ≤ a since k ≤ n, so hi < n
	if 2*r >= uint64(n) {
		q++
	}
	return Fen(q)
}

// FirstMonth is the month the asset is recognised; LastMonth the last month with a movement.
func (s *Schedule) FirstMonth() YearMonth { return s.first }

// LastMonth is the last month in which anything moves.
func (s *Schedule) LastMonth() YearMonth { return s.first.AddMonths(len(s.months) - 1) }

// Months is a copy of the monthly figures from FirstMonth to LastMonth.
func (s *Schedule) Months() []PeriodFigures { return slices.Clone(s.months) }

// Month is the figures of month m: zero before the asset is recognised, unchanged
// balances with no movement after LastMonth.
func (s *Schedule) Month(m YearMonth) PeriodFigures {
	i := s.first.MonthsUntil(m)
	switch {
	case i < 0:
		return PeriodFigures{Period: MonthPeriod(m)}
	case i >= len(s.months):
		c := s.months[len(s.months)-1].Closing
		return PeriodFigures{Period: MonthPeriod(m), Opening: c, Closing: c}
	}
	return s.months[i]
}

// Figures rolls the months of p up: the opening of its first month, the movements summed,
// the closing of its last month.
func (s *Schedule) Figures(p AccountingPeriod) PeriodFigures {
	first, last := p.First(), p.Last()
	out := PeriodFigures{Period: p, Opening: s.Month(first).Opening, Closing: s.Month(last).Closing}
	for m := first; m.index() <= last.index(); m = m.AddMonths(1) {
		f := s.Month(m)
		out.Addition += f.Addition
		out.Amortisation += f.Amortisation
		out.Impairment += f.Impairment
		out.Disposal = out.Disposal.add(f.Disposal)
	}
	return out
}

// String writes the period's figures on one line, for test failures and logs.
func (f PeriodFigures) String() string {
	return f.Period.String() + " opening " + f.Opening.CarryingAmount().String() + " +" + f.Addition.String() +
		" amortisation " + f.Amortisation.String() + " impairment " + f.Impairment.String() +
		" write-off " + f.WriteOff().String() + " closing cost " + f.Closing.OriginalCost.String() +
		" acc.amort " + f.Closing.AccumulatedAmortisation.String() + " acc.imp " + f.Closing.AccumulatedImpairment.String() +
		" carrying " + f.Closing.CarryingAmount().String()
}
