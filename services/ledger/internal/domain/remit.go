package domain

import (
	"fmt"
	"sort"
	"strings"
)

// RevenueKind says where revenue comes from, which decides how 财资〔2024〕1号 treats it.
type RevenueKind string

// Revenue kinds.
const (
	RevenueUse      RevenueKind = "use"      // 数据资产使用形成的收入 (paid use, licences, fees)
	RevenueDisposal RevenueKind = "disposal" // 数据资产处置收入 (transfer, sale)
)

// RemitRule is what happens to a kind of revenue: all of it goes to the treasury, a share
// of it does, or the unit keeps it.
type RemitRule string

// Remittance rules.
const (
	RemitRuleUnset RemitRule = ""       // nobody has configured it: refuse to guess
	RemitAll       RemitRule = "all"    // remit everything (上缴国库)
	RemitShare     RemitRule = "share"  // remit the configured share
	RemitKeep      RemitRule = "keep"   // the unit keeps it
	RemitExempt    RemitRule = "exempt" // not subject to remittance at all (enterprises, other units)
)

// RemitTreatment is a rule with its share (for RemitShare).
type RemitTreatment struct {
	Rule  RemitRule
	Share Ratio // the part remitted, for RemitShare; must be in (0, 1)
}

// RemitPolicy holds the choices 财资〔2024〕1号 leaves to others.
type RemitPolicy struct {
	// PublicInstitutionUse is how a public institution's revenue from the use of its data
	// assets is treated: 财资〔2024〕1号 leaves it to the local (本级) finance department
	// (事业单位数据资产使用形成的收入，由本级财政部门规定具体管理办法). There is no default:
	// until a finance department's rule is configured, computing it is refused.
	PublicInstitutionUse RemitTreatment
	// Disposal is how disposal revenue of administrative units and public institutions is
	// treated. 财资〔2024〕1号: unless the state provides otherwise (除国家另有规定外) it is
	// government non-tax revenue remitted to the treasury; the zero value means that (all).
	// Set it only where such a provision applies.
	Disposal RemitTreatment
	// DueDays is how many calendar days after receipt the remittance falls due. The
	// treasury rules set the real deadlines per revenue item and place; this is the
	// ledger's working default, configurable, not law. 0 means 30.
	DueDays int
}

// DefaultRemitDueDays is the working default for DueDays.
const DefaultRemitDueDays = 30

func (p RemitPolicy) dueDays() int {
	if p.DueDays == 0 {
		return DefaultRemitDueDays
	}
	return p.DueDays
}

// Validate refuses a negative due period and a share that is not strictly between 0 and 1.
func (p RemitPolicy) Validate() error {
	if p.DueDays < 0 {
		return fmt.Errorf("remit policy: due days %d must not be negative", p.DueDays)
	}
	for _, t := range []RemitTreatment{p.PublicInstitutionUse, p.Disposal} {
		if err := t.check(); err != nil {
			return err
		}
	}
	return nil
}

func (t RemitTreatment) check() error {
	switch t.Rule {
	case RemitRuleUnset, RemitAll, RemitKeep:
		return nil
	case RemitShare:
		r := t.Share
		if r.Den > 0 && r.Num > 0 && r.Num < r.Den {
			return nil
		}
		return &RuleError{Reason: ReasonRemitRuleInvalid,
			En: fmt.Sprintf("a remitted share must lie strictly between 0 and 100 %%, not %d/%d", r.Num, r.Den),
			Zh: fmt.Sprintf("上缴比例须大于 0 且小于 100%%，%d/%d 无效", r.Num, r.Den)}
	}
	return &RuleError{Reason: ReasonRemitRuleInvalid,
		En: fmt.Sprintf("remit rule %q is not all, share or keep", t.Rule),
		Zh: fmt.Sprintf("上缴规则 %q 无效（应为全部上缴、按比例上缴或留用）", t.Rule)}
}

// RemitDecision is how one revenue amount is treated: how much goes to the treasury, how
// much the unit keeps, whether it is government non-tax revenue, and the rule's source.
type RemitDecision struct {
	Treatment RemitTreatment
	NonTax    bool // the remitted part is 政府非税收入, collected through 国库集中收缴
	Remit     Fen
	Keep      Fen
	BasisEn   string
	BasisZh   string
}

// RemitFor decides how revenue amount of a kind, received by a unit of a kind, is
// treated (收益上缴), per 财资〔2024〕1号:
//
//   - administrative unit, use revenue: government non-tax revenue, all of it remitted
//     through 国库集中收缴 (行政单位数据资产使用形成的收入，按照政府非税收入和国库集中收缴
//     制度的有关规定管理);
//   - public institution, use revenue: the local finance department's rule
//     (policy.PublicInstitutionUse); refused while unset;
//   - administrative unit or public institution, disposal revenue: non-tax revenue remitted
//     unless the state provides otherwise (policy.Disposal);
//   - enterprises and other units: not subject; everything is kept.
//
// A remitted share is split with Split between the treasury (listed first) and the unit, so
// it rounds by the same rule as every split: a left-over fen goes to the treasury on a tie.
func RemitFor(unit UnitKind, kind RevenueKind, amount Fen, p RemitPolicy) (RemitDecision, error) {
	if kind != RevenueUse && kind != RevenueDisposal {
		return RemitDecision{}, &RuleError{Reason: ReasonRemitRevenueKind,
			En: fmt.Sprintf("revenue kind %q is not use or disposal", kind),
			Zh: fmt.Sprintf("收入类型 %q 无效（应为使用收入或处置收入）", kind)}
	}
	// configured is the decision under a treatment a policy sets: the remitted part is
	// government non-tax revenue unless the unit keeps it all.
	configured := func(t RemitTreatment, en, zh string) (RemitDecision, error) {
		if err := t.check(); err != nil {
			return RemitDecision{}, err
		}
		return RemitDecision{Treatment: t, NonTax: t.Rule != RemitKeep, BasisEn: en, BasisZh: zh}, nil
	}
	var d RemitDecision
	var err error
	switch {
	case unit == UnitEnterprise || unit == UnitOther:
		d = RemitDecision{Treatment: RemitTreatment{Rule: RemitExempt},
			BasisEn: "not a public body: 财资〔2024〕1号 does not apply", BasisZh: "非行政事业单位，不适用财资〔2024〕1号"}
	case unit.Regime() == RegimePublicSector && kind == RevenueDisposal:
		t := p.Disposal
		if t.Rule == RemitRuleUnset {
			t.Rule = RemitAll
		}
		d, err = configured(t,
			"disposal revenue is government non-tax revenue unless the state provides otherwise (财资〔2024〕1号)",
			"除国家另有规定外，行政事业单位数据资产处置收入按政府非税收入和国库集中收缴制度管理（财资〔2024〕1号）")
	case unit == UnitAdministrative:
		d = RemitDecision{Treatment: RemitTreatment{Rule: RemitAll}, NonTax: true,
			BasisEn: "use revenue of an administrative unit is government non-tax revenue, remitted through centralised treasury collection (财资〔2024〕1号)",
			BasisZh: "行政单位数据资产使用形成的收入按政府非税收入和国库集中收缴制度管理（财资〔2024〕1号）"}
	case unit == UnitPublicInstitution:
		t := p.PublicInstitutionUse
		if t.Rule == RemitRuleUnset {
			return RemitDecision{}, &RuleError{Reason: ReasonRemitRuleUnset,
				En: "no rule is configured for public institutions' use revenue; the local finance department sets it (财资〔2024〕1号)",
				Zh: "尚未配置事业单位数据资产使用收入的管理办法，应由本级财政部门规定（财资〔2024〕1号）"}
		}
		d, err = configured(t,
			"use revenue of a public institution follows the local finance department's rule (财资〔2024〕1号)",
			"事业单位数据资产使用形成的收入由本级财政部门规定具体管理办法（财资〔2024〕1号）")
	default:
		return RemitDecision{}, &RuleError{Reason: ReasonRemitUnitUnknown,
			En: fmt.Sprintf("unit kind %q is unknown; remittance depends on it", unit),
			Zh: fmt.Sprintf("单位类型 %q 未知，无法确定上缴规则", unit)}
	}
	if err != nil {
		return RemitDecision{}, err
	}
	switch d.Treatment.Rule {
	case RemitAll:
		d.Remit = amount
	case RemitShare:
		s := d.Treatment.Share
		parts, err := Split(amount, []Contributor{
			{ID: "treasury", Ratio: s},
			{ID: "unit", Ratio: Fraction(s.Den-s.Num, s.Den)},
		})
		if err != nil {
			return RemitDecision{}, err
		}
		d.Remit, d.Keep = parts[0].Amount, parts[1].Amount
	default:
		d.Keep = amount
	}
	return d, nil
}

// RemitStatus is where a remittance stands on a given date.
type RemitStatus string

// Remittance statuses.
const (
	RemitDue      RemitStatus = "due"      // not yet fully remitted, due date not passed
	RemitRemitted RemitStatus = "remitted" // fully remitted by that date
	RemitOverdue  RemitStatus = "overdue"  // not fully remitted and the due date has passed
)

// RemitPayment is one payment into the treasury against a remittance, with the receipt
// (e.g. the 非税收入缴款书 number).
type RemitPayment struct {
	On      CivilDate
	Amount  Fen
	Receipt string
}

// Remittance is an amount a unit owes the treasury for one revenue record, and what it has
// paid against it.
type Remittance struct {
	ID         string
	RevenueID  string
	Period     string // the accounting period the revenue belongs to (e.g. "2026-03"); reconciliation groups by it
	ReceivedOn CivilDate
	DueOn      CivilDate
	Amount     Fen
	Payments   []RemitPayment
}

// NewRemittance opens a remittance of amount for revenue received on receivedOn, due the
// policy's DueDays calendar days later (30 by default; configurable, not law).
func NewRemittance(id, revenueID, period string, receivedOn CivilDate, amount Fen, p RemitPolicy) (Remittance, error) {
	if strings.TrimSpace(id) == "" || strings.TrimSpace(revenueID) == "" || strings.TrimSpace(period) == "" || !receivedOn.Valid() {
		return Remittance{}, &RuleError{Reason: ReasonRemitInvalid,
			En: "a remittance needs its id, the revenue record, the period and the receipt date (a day of the calendar)",
			Zh: "上缴记录须有记录标识、收入记录、所属期间和有效的收款日期"}
	}
	if amount < 0 {
		// Revenue refunded after remittance comes back through a treasury refund (退库),
		// which is its own procedure, not a negative remittance.
		return Remittance{}, &RuleError{Reason: ReasonRemitInvalid,
			En: "a remittance amount must not be negative; refunds go through a treasury refund (退库)",
			Zh: "上缴金额不得为负，退付应通过退库办理"}
	}
	return Remittance{ID: id, RevenueID: revenueID, Period: period, ReceivedOn: receivedOn,
		DueOn: receivedOn.AddDays(p.dueDays()), Amount: amount}, nil
}

// Pay records a payment against r. A payment dated before the revenue was received is
// refused (it cannot be for this revenue).
func (r Remittance) Pay(pay RemitPayment) (Remittance, error) {
	if pay.Amount <= 0 || !pay.On.Valid() {
		return r, &RuleError{Reason: ReasonRemitInvalid,
			En: "a payment needs a date and a positive amount", Zh: "缴款须有日期和正数金额"}
	}
	if pay.On.Before(r.ReceivedOn) {
		return r, &RuleError{Reason: ReasonRemitPaymentBefore,
			En: fmt.Sprintf("payment on %s is before the revenue was received on %s", pay.On, r.ReceivedOn),
			Zh: fmt.Sprintf("缴款日期 %s 早于收款日期 %s", pay.On, r.ReceivedOn)}
	}
	r.Payments = append(append([]RemitPayment(nil), r.Payments...), pay)
	return r, nil
}

// PaidBy is the sum of the payments made on or before on.
func (r Remittance) PaidBy(on CivilDate) Fen {
	var sum Fen
	for _, p := range r.Payments {
		if !p.On.After(on) {
			sum += p.Amount
		}
	}
	return sum
}

// Status is r's status on a date: remitted once the payments made by then cover the
// amount; otherwise due up to and including the due date and overdue from the day after.
func (r Remittance) Status(on CivilDate) RemitStatus {
	switch {
	case r.PaidBy(on) >= r.Amount:
		return RemitRemitted
	case on.After(r.DueOn):
		return RemitOverdue
	default:
		return RemitDue
	}
}

// DaysOverdue is how many days past the due date r is on a date (0 unless overdue).
func (r Remittance) DaysOverdue(on CivilDate) int {
	if r.Status(on) != RemitOverdue {
		return 0
	}
	return on.DaysSince(r.DueOn)
}

// RemitReconciliation compares, for one period, what was due with what was paid by a date.
type RemitReconciliation struct {
	Period     string
	Due        Fen // sum of the remittances' amounts
	Remitted   Fen // sum of the payments made by the date
	Difference Fen // Due − Remitted: positive is still owed, negative is overpaid
	Overdue    Fen // the unpaid part of the remittances overdue on the date
	Open       int // remittances not fully remitted
}

// ReconcileRemittances sums, per period, the amounts due and the payments made on or
// before on, and reports the difference, sorted by period. Payments are counted in the
// period of the remittance they pay, whenever they were made.
func ReconcileRemittances(rs []Remittance, on CivilDate) []RemitReconciliation {
	by := map[string]*RemitReconciliation{}
	for _, r := range rs {
		rec := by[r.Period]
		if rec == nil {
			rec = &RemitReconciliation{Period: r.Period}
			by[r.Period] = rec
		}
		paid := r.PaidBy(on)
		rec.Due += r.Amount
		rec.Remitted += paid
		switch r.Status(on) {
		case RemitOverdue:
			rec.Overdue += r.Amount - paid
			rec.Open++
		case RemitDue:
			rec.Open++
		}
	}
	out := make([]RemitReconciliation, 0, len(by))
	for _, rec := range by {
		rec.Difference = rec.Due - rec.Remitted
		out = append(out, *rec)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Period < out[j].Period })
	return out
}
