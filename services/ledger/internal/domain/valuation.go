package domain

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"
)

// ValuationMethod is the approach an appraisal takes. 《数据资产评估指导意见》
// (中评协〔2023〕17号) names the income, cost and market methods and their combination.
type ValuationMethod string

// The methods of 中评协〔2023〕17号.
const (
	MethodIncome      ValuationMethod = "income"      // 收益法
	MethodCost        ValuationMethod = "cost"        // 成本法
	MethodMarket      ValuationMethod = "market"      // 市场法
	MethodCombination ValuationMethod = "combination" // 多种方法组合
)

func (m ValuationMethod) basic() bool {
	return m == MethodIncome || m == MethodCost || m == MethodMarket
}

// ValuationPolicy holds the choices the texts leave open about valuations. Zero fields take
// the documented defaults; Validate is for configuration loading.
type ValuationPolicy struct {
	// ValidityMonths is how long a valuation may be relied on, counted from its base date
	// (评估基准日). Appraisal practice treats a report as usable for one year from the base
	// date; no text the ledger follows makes that law, so it is a policy. 0 means 12.
	ValidityMonths int
	// MinAppraisers is how many appraisers must sign. 《资产评估法》第二十七条 requires at
	// least two for a report; an office recording a non-statutory estimate may lower it.
	// 0 means 2.
	MinAppraisers int
}

// DefaultValuationPolicy is one year of validity and two appraisers.
func DefaultValuationPolicy() ValuationPolicy {
	return ValuationPolicy{ValidityMonths: 12, MinAppraisers: 2}
}

func (p ValuationPolicy) withDefaults() ValuationPolicy {
	d := DefaultValuationPolicy()
	if p.ValidityMonths == 0 {
		p.ValidityMonths = d.ValidityMonths
	}
	if p.MinAppraisers == 0 {
		p.MinAppraisers = d.MinAppraisers
	}
	return p
}

// Validate refuses negative settings.
func (p ValuationPolicy) Validate() error {
	if p.ValidityMonths < 0 || p.MinAppraisers < 0 {
		return fmt.Errorf("valuation policy: validity months (%d) and minimum appraisers (%d) must not be negative", p.ValidityMonths, p.MinAppraisers)
	}
	return nil
}

// Appraiser is a licensed appraiser (资产评估师) who signs the report.
type Appraiser struct {
	Name    string
	Licence string // registration number of the appraiser's qualification
}

// ValuationInput is one key input of the appraisal, kept with its unit so that a reader
// can follow the figure (e.g. "discount rate", "8", "%").
type ValuationInput struct {
	Name, Value, Unit string
}

// QualityDimension is the appraiser's finding on one dimension of data quality, which
// 中评协〔2023〕17号 asks to be considered (e.g. accuracy 准确性, consistency 一致性,
// completeness 完整性, conformity 规范性, timeliness 时效性, accessibility 可访问性).
type QualityDimension struct {
	Dimension, Finding string
}

// Valuation is one appraisal of one asset (数据资产评估). Valuations are never edited or
// deleted: a newer one supersedes an older one, and all are kept.
type Valuation struct {
	ID      string
	AssetID string
	Method  ValuationMethod
	// Methods lists the basic methods a combination used (at least two); empty otherwise.
	Methods  []ValuationMethod
	Purpose  string
	BaseDate CivilDate // 评估基准日
	// Value is the appraiser's concluded value. The ledger computes figures only where the
	// arithmetic is well defined (CostMethodValue, IncomeMethodValue); otherwise it keeps
	// the figure the appraiser reported.
	Value           Fen
	InstitutionName string
	InstitutionUSCC string // unified social credit code of the appraisal institution (checked by ParseUSCC)
	Appraisers      []Appraiser
	ReportNumber    string
	ReportSHA256    string // hex of the SHA-256 of the report file, lower case
	Assumptions     []string
	Inputs          []ValuationInput
	Quality         []QualityDimension
	// Computed says Value came from CostMethodValue or IncomeMethodValue over the recorded
	// inputs rather than from the report's conclusion.
	Computed   bool
	RecordedAt time.Time // when the ledger recorded it; orders valuations with the same base date
	RecordedBy string
}

// NewValuation checks a valuation record before it is kept: a method of
// 中评协〔2023〕17号, a base date, a non-negative value, the appraisal institution's
// USCC (ParseUSCC: alphabet, division digits and check character), enough appraisers
// (《资产评估法》第二十七条, by policy), the report number and the SHA-256 of the report
// file. It returns the record with the hash in lower case and the USCC without surrounding
// spaces.
func NewValuation(v Valuation, p ValuationPolicy) (Valuation, error) {
	p = p.withDefaults()
	bad := func(reason Reason, en, zh string) (Valuation, error) {
		return Valuation{}, &RuleError{Reason: reason, En: en, Zh: zh}
	}
	if strings.TrimSpace(v.AssetID) == "" || strings.TrimSpace(v.ID) == "" {
		return bad(ReasonValuationInvalid, "a valuation needs its own id and the asset's id", "评估记录须有记录标识和资产标识")
	}
	switch {
	case v.Method.basic():
		if len(v.Methods) > 0 {
			return bad(ReasonValuationMethod, "only a combination lists the methods it combined", "仅组合方法需列明所组合的评估方法")
		}
	case v.Method == MethodCombination:
		seen := map[ValuationMethod]bool{}
		for _, m := range v.Methods {
			if !m.basic() || seen[m] {
				return bad(ReasonValuationMethod, fmt.Sprintf("a combination combines distinct income, cost or market methods, not %q", m), fmt.Sprintf("组合方法只能由不重复的收益法、成本法、市场法组成，%q 不符合", m))
			}
			seen[m] = true
		}
		if len(seen) < 2 {
			return bad(ReasonValuationMethod, "a combination names at least two methods", "组合方法须列明至少两种评估方法")
		}
	default:
		return bad(ReasonValuationMethod, fmt.Sprintf("method %q is not income, cost, market or combination (中评协〔2023〕17号)", v.Method), fmt.Sprintf("评估方法 %q 不是收益法、成本法、市场法或其组合（中评协〔2023〕17号）", v.Method))
	}
	if !v.BaseDate.Valid() {
		return bad(ReasonValuationInvalid, "a valuation needs its base date (评估基准日), a day of the calendar", "评估记录须有有效的评估基准日")
	}
	if v.Value < 0 {
		return bad(ReasonValuationInvalid, "a valuation's value must not be negative", "评估价值不得为负")
	}
	u, err := ParseUSCC(v.InstitutionUSCC)
	if err != nil {
		var re *RuleError
		errors.As(err, &re) // ParseUSCC returns only *RuleError
		return bad(ReasonValuationInstitution, "appraisal institution: "+re.En, "评估机构："+re.Zh)
	}
	v.InstitutionUSCC = u.Code
	named := 0
	for _, a := range v.Appraisers {
		if strings.TrimSpace(a.Name) != "" && strings.TrimSpace(a.Licence) != "" {
			named++
		}
	}
	if named < p.MinAppraisers || named != len(v.Appraisers) {
		return bad(ReasonValuationAppraisers, fmt.Sprintf("the report needs at least %d appraisers, each with name and licence number (资产评估法 art. 27)", p.MinAppraisers), fmt.Sprintf("评估报告须由至少 %d 名评估专业人员签名，每人须有姓名和资格证书编号（《资产评估法》第二十七条）", p.MinAppraisers))
	}
	if strings.TrimSpace(v.ReportNumber) == "" {
		return bad(ReasonValuationInvalid, "a valuation needs its report number", "评估记录须有评估报告编号")
	}
	h := strings.ToLower(strings.TrimSpace(v.ReportSHA256))
	if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
		return bad(ReasonValuationReportHash, "the report hash must be the 64 hex digits of its SHA-256", "评估报告摘要须为 64 位十六进制 SHA-256 值")
	}
	v.ReportSHA256 = h
	v.Methods = append([]ValuationMethod(nil), v.Methods...)
	return v, nil
}

// ValidUntil is the first day on which v may no longer be relied on: the base date plus
// the policy's validity months (by default one year). A valuation with base date
// 2025-06-30 is valid through 2026-06-29. (A base date of 29 February plus a year gives
// 1 March, CivilDate.AddMonths's normalisation, so it is valid through 28 February.)
func (v Valuation) ValidUntil(p ValuationPolicy) CivilDate {
	return v.BaseDate.AddMonths(p.withDefaults().ValidityMonths)
}

// ValidOn reports whether on lies within v's validity window: from the base date up to the
// day before ValidUntil. Whether v is superseded is a separate question (Supersedes).
func (v Valuation) ValidOn(on CivilDate, p ValuationPolicy) bool {
	return !on.Before(v.BaseDate) && on.Before(v.ValidUntil(p))
}

// newerValuation orders two valuations of the same asset: the later base date is newer,
// since it values the asset as of a later day; for the same base date (a corrected or
// re-issued report) the one recorded later is newer; the id breaks any remaining tie so
// the order is total.
func newerValuation(a, b Valuation) bool {
	if a.BaseDate != b.BaseDate {
		return a.BaseDate.After(b.BaseDate)
	}
	if !a.RecordedAt.Equal(b.RecordedAt) {
		return a.RecordedAt.After(b.RecordedAt)
	}
	return a.ID > b.ID
}

// recordedBy is the cut-off instant for the valuations recorded by date d: the start of d,
// midnight UTC. A valuation recorded during d is not relied on until the next day, which
// errs on the side of refusing a pledge or not yet clearing a flag.
func recordedBy(d CivilDate) time.Time { return d.utc() }

// ValuationHistory is every valuation of one asset known as of a time, newest first.
// Nothing is dropped: superseded valuations stay in the history.
type ValuationHistory []Valuation

// ValuationsAsOf returns the valuations of assetID recorded at or before the instant asOf
// (a report as of a period end must not see later records), newest first. Recording is an
// instant (RecordedAt), not a date: the guards, which judge a date, count what was recorded
// before that date began, midnight UTC.
func ValuationsAsOf(all []Valuation, assetID string, asOf time.Time) ValuationHistory {
	var h ValuationHistory
	for _, v := range all {
		if v.AssetID == assetID && !v.RecordedAt.After(asOf) {
			h = append(h, v)
		}
	}
	sort.SliceStable(h, func(i, j int) bool { return newerValuation(h[i], h[j]) })
	return h
}

// Current is the valuation that supersedes all others in h.
func (h ValuationHistory) Current() (Valuation, bool) {
	if len(h) == 0 {
		return Valuation{}, false
	}
	return h[0], true
}

// SupersededBy returns the valuation that directly supersedes the one with id: the next
// newer one in h. ok is false when id is current or not in h.
func (h ValuationHistory) SupersededBy(id string) (Valuation, bool) {
	for i, v := range h {
		if v.ID == id {
			if i == 0 {
				return Valuation{}, false
			}
			return h[i-1], true
		}
	}
	return Valuation{}, false
}

// CostMethodValue is the sum of the recorded cost components (CostLine, as booking lists
// them; an appraiser may name lines of its own): the part of the cost method that is plain
// arithmetic. Adjustments an appraiser makes beyond it (obsolescence, expected returns) are
// the appraiser's and are not computed here. Components must not be negative; an empty list
// is refused rather than valued at nothing. For a booked resource the lines are
// CostComponents.Lines.
func CostMethodValue(lines []CostLine) (Fen, error) {
	if len(lines) == 0 {
		return 0, &RuleError{Reason: ReasonValuationCostComponent, En: "the cost method needs at least one cost component", Zh: "成本法至少需要一项成本构成"}
	}
	sum, neg, err := addCosts(lines)
	if neg != nil {
		return 0, &RuleError{Reason: ReasonValuationCostComponent, En: fmt.Sprintf("cost component %q is negative (%s)", neg.Name, neg.Amount), Zh: fmt.Sprintf("成本构成 %q 为负数（%s）", neg.zh(), neg.Amount)}
	}
	if err != nil {
		return 0, &RuleError{Reason: ReasonValuationOverflow, En: "the cost components sum beyond what the ledger can hold", Zh: "成本构成合计超出可记录范围"}
	}
	return sum, nil
}

// IncomeMethodValue is the present value of the cash flows entered, discounted at the
// rate entered — the income method's arithmetic once the appraiser has fixed its inputs
// (中评协〔2023〕17号 leaves forecasting them to the appraiser; with direct income the
// cash flow of year t is that year's income, F_t = R_t).
//
// Arithmetic: cashFlows[t-1] falls at the end of period t (t = 1…n) and rate is the
// discount rate per period, an exact ratio (e.g. BasisPoints(800) for 8 %). The value is
//
//	PV = Σ_{t=1..n} CF_t / (1 + r)^t
//
// computed exactly with rationals (no float, no rounding per term), and rounded to whole
// fen once, at the end, half up — a half fen rounds away from zero, so -0.5 fen becomes
// -1 fen and 0.5 fen becomes 1 fen. Cash flows may be negative (an outlay in a year); the
// rate must not be negative. A terminal value, if the appraiser uses one, is entered as
// part of the last cash flow.
func IncomeMethodValue(cashFlows []Fen, rate Ratio) (Fen, error) {
	if len(cashFlows) == 0 {
		return 0, &RuleError{Reason: ReasonValuationNoCashFlows, En: "the income method needs at least one cash flow", Zh: "收益法至少需要一期收益额"}
	}
	if rate.Den <= 0 || rate.Num < 0 {
		return 0, &RuleError{Reason: ReasonValuationDiscountRate, En: fmt.Sprintf("discount rate %d/%d must be zero or positive", rate.Num, rate.Den), Zh: fmt.Sprintf("折现率 %d/%d 不得为负", rate.Num, rate.Den)}
	}
	growth := new(big.Rat).Add(big.NewRat(1, 1), rate.Rat()) // 1 + r
	factor := big.NewRat(1, 1)                               // (1 + r)^t
	pv := new(big.Rat)
	for _, cf := range cashFlows {
		factor.Mul(factor, growth)
		pv.Add(pv, new(big.Rat).Quo(new(big.Rat).SetInt64(int64(cf)), factor))
	}
	v, ok := roundHalfAwayFromZero(pv)
	if !ok {
		return 0, &RuleError{Reason: ReasonValuationOverflow, En: "the present value is beyond what the ledger can hold", Zh: "现值超出可记录范围"}
	}
	return v, nil
}

// roundHalfAwayFromZero rounds q to the nearest whole fen, a half away from zero.
func roundHalfAwayFromZero(q *big.Rat) (Fen, bool) {
	num := new(big.Int).Abs(q.Num())
	den := q.Denom()
	// floor(|q| + 1/2) = floor((2|num| + den) / (2 den))
	n := new(big.Int).Add(new(big.Int).Lsh(num, 1), den)
	n.Quo(n, new(big.Int).Lsh(den, 1))
	if q.Sign() < 0 {
		n.Neg(n)
	}
	if !n.IsInt64() {
		return 0, false
	}
	return Fen(n.Int64()), true
}
