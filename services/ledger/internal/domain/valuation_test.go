package domain_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/services/ledger/internal/domain"
)

// day is the calendar date s ("2006-01-02").
func day(s string) domain.CivilDate {
	d, err := domain.ParseCivilDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// at is midnight UTC at the start of day s, for instants such as RecordedAt.
func at(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

const reportHash = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"

// goodValuation is a complete valuation record; tests change one thing at a time.
func goodValuation() domain.Valuation {
	return domain.Valuation{
		ID: "val-1", AssetID: "asset-1", Method: domain.MethodIncome, Purpose: "pledge",
		BaseDate: day("2025-06-30"), Value: 50_221_00,
		InstitutionName: "某资产评估有限公司", InstitutionUSCC: "91110000MA01ABCD2Q",
		Appraisers:   []domain.Appraiser{{Name: "张三", Licence: "11001234"}, {Name: "李四", Licence: "11005678"}},
		ReportNumber: "京评报字〔2025〕第0001号", ReportSHA256: reportHash,
		Assumptions: []string{"持续经营"},
		Inputs:      []domain.ValuationInput{{Name: "discount rate", Value: "8", Unit: "%"}},
		Quality:     []domain.QualityDimension{{Dimension: "完整性", Finding: "98% of fields filled"}},
		RecordedAt:  at("2025-08-01"),
	}
}

func TestNewValuationKeepsAGoodRecord(t *testing.T) {
	t.Parallel()
	in := goodValuation()
	in.InstitutionUSCC = " " + in.InstitutionUSCC + " "
	v, err := domain.NewValuation(in, domain.ValuationPolicy{})
	require.NoError(t, err)
	require.Equal(t, strings.ToLower(reportHash), v.ReportSHA256)
	require.Equal(t, day("2025-06-30"), v.BaseDate)
	require.Equal(t, goodValuation().InstitutionUSCC, v.InstitutionUSCC, "surrounding spaces dropped")

	comb := goodValuation()
	comb.Method, comb.Methods = domain.MethodCombination, []domain.ValuationMethod{domain.MethodIncome, domain.MethodMarket}
	_, err = domain.NewValuation(comb, domain.ValuationPolicy{})
	require.NoError(t, err)

	one := goodValuation()
	one.Appraisers = one.Appraisers[:1]
	_, err = domain.NewValuation(one, domain.ValuationPolicy{MinAppraisers: 1})
	require.NoError(t, err, "a policy may accept one appraiser")
}

func TestNewValuationRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(*domain.Valuation)
		reason domain.Reason
	}{
		{"no asset", func(v *domain.Valuation) { v.AssetID = "" }, domain.ReasonValuationInvalid},
		{"no id", func(v *domain.Valuation) { v.ID = " " }, domain.ReasonValuationInvalid},
		{"unknown method", func(v *domain.Valuation) { v.Method = "gut feeling" }, domain.ReasonValuationMethod},
		{"basic method listing methods", func(v *domain.Valuation) { v.Methods = []domain.ValuationMethod{domain.MethodCost} }, domain.ReasonValuationMethod},
		{"combination of one", func(v *domain.Valuation) {
			v.Method, v.Methods = domain.MethodCombination, []domain.ValuationMethod{domain.MethodCost}
		}, domain.ReasonValuationMethod},
		{"combination repeating one", func(v *domain.Valuation) {
			v.Method, v.Methods = domain.MethodCombination, []domain.ValuationMethod{domain.MethodCost, domain.MethodCost}
		}, domain.ReasonValuationMethod},
		{"combination of a combination", func(v *domain.Valuation) {
			v.Method, v.Methods = domain.MethodCombination, []domain.ValuationMethod{domain.MethodCost, domain.MethodCombination}
		}, domain.ReasonValuationMethod},
		{"no base date", func(v *domain.Valuation) { v.BaseDate = domain.CivilDate{} }, domain.ReasonValuationInvalid},
		{"negative value", func(v *domain.Valuation) { v.Value = -1 }, domain.ReasonValuationInvalid},
		{"short USCC", func(v *domain.Valuation) { v.InstitutionUSCC = "91110000MA01ABCD2" }, domain.ReasonValuationInstitution},
		{"USCC with I", func(v *domain.Valuation) { v.InstitutionUSCC = "91110000MA01ABCDIX" }, domain.ReasonValuationInstitution},
		// The right shape, the wrong check character (ParseUSCC: the right one is Q).
		{"USCC check character", func(v *domain.Valuation) { v.InstitutionUSCC = "91110000MA01ABCD2X" }, domain.ReasonValuationInstitution},
		{"one appraiser", func(v *domain.Valuation) { v.Appraisers = v.Appraisers[:1] }, domain.ReasonValuationAppraisers},
		{"appraiser without licence", func(v *domain.Valuation) { v.Appraisers = append(v.Appraisers, domain.Appraiser{Name: "王五"}) }, domain.ReasonValuationAppraisers},
		{"no report number", func(v *domain.Valuation) { v.ReportNumber = "" }, domain.ReasonValuationInvalid},
		{"short hash", func(v *domain.Valuation) { v.ReportSHA256 = reportHash[:63] }, domain.ReasonValuationReportHash},
		{"not hex", func(v *domain.Valuation) { v.ReportSHA256 = "zz" + reportHash[2:] }, domain.ReasonValuationReportHash},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := goodValuation()
			tc.change(&v)
			_, err := domain.NewValuation(v, domain.ValuationPolicy{})
			require.Equal(t, tc.reason, reasonOf(t, err))
		})
	}
}

// TestValuationValidityWindow: by default a valuation is valid from its base date through
// the day before the same date a year later.
func TestValuationValidityWindow(t *testing.T) {
	t.Parallel()
	v := goodValuation() // base date 2025-06-30
	def := domain.ValuationPolicy{}
	require.Equal(t, day("2026-06-30"), v.ValidUntil(def))
	for on, want := range map[string]bool{
		"2025-06-29": false, // before the base date: it does not yet value the asset
		"2025-06-30": true,
		"2026-06-29": true, // the last valid day
		"2026-06-30": false,
		"2027-01-01": false,
	} {
		require.Equal(t, want, v.ValidOn(day(on), def), on)
	}

	six := domain.ValuationPolicy{ValidityMonths: 6}
	require.Equal(t, day("2025-12-30"), v.ValidUntil(six))
	require.True(t, v.ValidOn(day("2025-12-29"), six))
	require.False(t, v.ValidOn(day("2025-12-30"), six))

	// 29 February plus a year is 1 March (Go's normalisation): valid through 28 February.
	leap := goodValuation()
	leap.BaseDate = day("2024-02-29")
	require.Equal(t, day("2025-03-01"), leap.ValidUntil(def))
	require.True(t, leap.ValidOn(day("2025-02-28"), def))
	require.False(t, leap.ValidOn(day("2025-03-01"), def))

	require.Error(t, domain.ValuationPolicy{ValidityMonths: -1}.Validate())
	require.NoError(t, domain.DefaultValuationPolicy().Validate())
}

func valuationAt(id, asset, base, recorded string) domain.Valuation {
	v := goodValuation()
	v.ID, v.AssetID, v.BaseDate, v.RecordedAt = id, asset, day(base), at(recorded)
	return v
}

// TestValuationSupersession: a later base date supersedes; for the same base date the later
// record supersedes (a corrected report); a backfilled valuation with an older base date
// slots into history without superseding the newer; nothing is dropped.
func TestValuationSupersession(t *testing.T) {
	t.Parallel()
	all := []domain.Valuation{
		valuationAt("v1", "asset-1", "2024-12-31", "2025-02-01"),
		valuationAt("v2", "asset-1", "2025-06-30", "2025-08-01"),
		valuationAt("v3", "asset-1", "2025-06-30", "2025-09-01"), // corrected report, same base date
		valuationAt("v4", "asset-1", "2025-03-31", "2025-10-01"), // backfill of an older base date
		valuationAt("x1", "asset-2", "2025-11-30", "2025-12-01"),
	}
	ids := func(h domain.ValuationHistory) []string {
		var out []string
		for _, v := range h {
			out = append(out, v.ID)
		}
		return out
	}
	require.Empty(t, domain.ValuationsAsOf(all, "asset-1", at("2025-01-31")))
	_, ok := domain.ValuationsAsOf(all, "asset-1", at("2025-01-31")).Current()
	require.False(t, ok)

	h := domain.ValuationsAsOf(all, "asset-1", at("2025-08-15"))
	require.Equal(t, []string{"v2", "v1"}, ids(h))
	by, ok := h.SupersededBy("v1")
	require.True(t, ok)
	require.Equal(t, "v2", by.ID)
	_, ok = h.SupersededBy("v2")
	require.False(t, ok, "v2 is current on 2025-08-15")

	h = domain.ValuationsAsOf(all, "asset-1", at("2025-12-31"))
	require.Equal(t, []string{"v3", "v2", "v4", "v1"}, ids(h), "all kept, newest first")
	cur, ok := h.Current()
	require.True(t, ok)
	require.Equal(t, "v3", cur.ID)
	for id, want := range map[string]string{"v2": "v3", "v4": "v2", "v1": "v4"} {
		by, ok := h.SupersededBy(id)
		require.True(t, ok, id)
		require.Equal(t, want, by.ID, id)
	}
	_, ok = h.SupersededBy("x1")
	require.False(t, ok, "another asset's valuation is not in this history")
}

// TestCostMethodValue: 100 000.00 + 6 000.00 + 12 345.67 + 5 000.00 = 123 345.67 yuan.
func TestCostMethodValue(t *testing.T) {
	t.Parallel()
	v, err := domain.CostMethodValue([]domain.CostLine{
		{Name: "price 购买价款", Amount: 100_000_00},
		{Name: "taxes 相关税费", Amount: 6_000_00},
		{Name: "cleaning 清洗", Amount: 12_345_67},
		{Name: "quality assessment 质量评估", Amount: 5_000_00},
	})
	require.NoError(t, err)
	require.Equal(t, domain.Fen(123_345_67), v)

	// A booked resource's components are the same lines: the cost method over them is the
	// initial amount.
	costs := domain.CostComponents{Price: 100_000_00, Taxes: 6_000_00, Cleaning: 12_345_67, QualityAssessment: 5_000_00}
	v, err = domain.CostMethodValue(costs.Lines())
	require.NoError(t, err)
	require.Equal(t, domain.Fen(123_345_67), v)
	initial, err := costs.InitialAmount()
	require.NoError(t, err)
	require.Equal(t, initial, v)

	_, err = domain.CostMethodValue(nil)
	require.Equal(t, domain.ReasonValuationCostComponent, reasonOf(t, err))
	_, err = domain.CostMethodValue([]domain.CostLine{{Name: "refund", Amount: -1}})
	require.Equal(t, domain.ReasonValuationCostComponent, reasonOf(t, err))
	_, err = domain.CostMethodValue([]domain.CostLine{{Name: "a", Amount: math.MaxInt64}, {Name: "b", Amount: 1}})
	require.Equal(t, domain.ReasonValuationOverflow, reasonOf(t, err))
}

// TestIncomeMethodValue checks the present value against hand computations.
//
// Three years at 8 %, cash flows 10 000.00, 20 000.00, 30 000.00 yuan at the end of years
// 1, 2, 3 (in fen: 1 000 000, 2 000 000, 3 000 000):
//
//	1.08 = 27/25; 1.08² = 729/625 = 1.1664; 1.08³ = 19683/15625 = 1.259712
//	PV = (CF1·1.08² + CF2·1.08 + CF3) / 1.08³
//	   = (1 166 400 + 2 160 000 + 3 000 000) / 1.259712
//	   = 6 326 400 × 15625 / 19683 = 32 950 000 000 / 6561
//	   = 5 022 100.2896… fen → 5 022 100 fen = 50 221.00 yuan
//
// Term by term: 925 925.926 + 1 714 677.641 + 2 381 496.723. Rounding each term first would
// give 925 926 + 1 714 678 + 2 381 497 = 5 022 101 — one fen off, which is why the value is
// rounded once, at the end.
func TestIncomeMethodValue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		flows []domain.Fen
		rate  domain.Ratio
		want  domain.Fen
	}{
		{"3 years at 8 %", []domain.Fen{1_000_000, 2_000_000, 3_000_000}, domain.BasisPoints(800), 5_022_100},
		{"3 years at 8 % as a fraction", []domain.Fen{1_000_000, 2_000_000, 3_000_000}, domain.Fraction(2, 25), 5_022_100},
		// 1 000 000 / 1.08 = 925 925.93 → 925 926
		{"one year at 8 %", []domain.Fen{1_000_000}, domain.Percent(8), 925_926},
		// No discount: the plain sum.
		{"zero rate", []domain.Fen{100, 200, -50}, domain.BasisPoints(0), 250},
		// At 100 %: 1/2 = 0.5 fen rounds half up to 1; −1/2 rounds away from zero to −1.
		{"half a fen up", []domain.Fen{1}, domain.Percent(100), 1},
		{"minus half a fen", []domain.Fen{-1}, domain.Percent(100), -1},
		// 1/2 + 1/4 = 0.75 → 1; 1/2 − 1/4 = 0.25 → 0; −3/2 = −1.5 → −2
		{"three quarters", []domain.Fen{1, 1}, domain.Percent(100), 1},
		{"a quarter", []domain.Fen{1, -1}, domain.Percent(100), 0},
		{"minus one and a half", []domain.Fen{-3}, domain.Percent(100), -2},
		// 0 + 2/4 = 0.5 → 1: a year with nothing still counts as a period.
		{"an empty first year", []domain.Fen{0, 2}, domain.Percent(100), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.IncomeMethodValue(tc.flows, tc.rate)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}

	_, err := domain.IncomeMethodValue(nil, domain.Percent(8))
	require.Equal(t, domain.ReasonValuationNoCashFlows, reasonOf(t, err))
	_, err = domain.IncomeMethodValue([]domain.Fen{1}, domain.Percent(-1))
	require.Equal(t, domain.ReasonValuationDiscountRate, reasonOf(t, err))
	_, err = domain.IncomeMethodValue([]domain.Fen{1}, domain.Fraction(1, 0))
	require.Equal(t, domain.ReasonValuationDiscountRate, reasonOf(t, err))
	_, err = domain.IncomeMethodValue([]domain.Fen{math.MaxInt64, math.MaxInt64}, domain.BasisPoints(0))
	require.Equal(t, domain.ReasonValuationOverflow, reasonOf(t, err))
}
