package domain_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/services/ledger/internal/domain"
)

func TestRemitForByUnitAndRevenueKind(t *testing.T) {
	t.Parallel()
	third := domain.RemitTreatment{Rule: domain.RemitShare, Share: domain.Fraction(1, 3)}
	half := domain.RemitTreatment{Rule: domain.RemitShare, Share: domain.Percent(50)}
	for _, tc := range []struct {
		name         string
		unit         domain.UnitKind
		kind         domain.RevenueKind
		amount       domain.Fen
		policy       domain.RemitPolicy
		rule         domain.RemitRule
		nonTax       bool
		remit, keep  domain.Fen
		refuseReason domain.Reason
	}{
		// 财资〔2024〕1号: an administrative unit's use revenue is non-tax revenue, all remitted.
		{"administrative use", domain.UnitAdministrative, domain.RevenueUse, 10000, domain.RemitPolicy{}, domain.RemitAll, true, 10000, 0, ""},
		// A public institution's use revenue: no national rule, so refused until configured.
		{"public institution use, no rule", domain.UnitPublicInstitution, domain.RevenueUse, 10000, domain.RemitPolicy{}, "", false, 0, 0, domain.ReasonRemitRuleUnset},
		{"public institution use, remit all", domain.UnitPublicInstitution, domain.RevenueUse, 10000, domain.RemitPolicy{PublicInstitutionUse: domain.RemitTreatment{Rule: domain.RemitAll}}, domain.RemitAll, true, 10000, 0, ""},
		{"public institution use, keep", domain.UnitPublicInstitution, domain.RevenueUse, 10000, domain.RemitPolicy{PublicInstitutionUse: domain.RemitTreatment{Rule: domain.RemitKeep}}, domain.RemitKeep, false, 0, 10000, ""},
		// A third of 100.00: treasury 3333.33, unit 6666.67; floors 3333 + 6666; the unit's
		// fraction (2/3) is larger, so it gets the left-over fen.
		{"public institution use, a third", domain.UnitPublicInstitution, domain.RevenueUse, 10000, domain.RemitPolicy{PublicInstitutionUse: third}, domain.RemitShare, true, 3333, 6667, ""},
		// Half of one fen: a tie, the treasury (listed first) gets it.
		{"public institution use, half of a fen", domain.UnitPublicInstitution, domain.RevenueUse, 1, domain.RemitPolicy{PublicInstitutionUse: half}, domain.RemitShare, true, 1, 0, ""},
		// A refund mirrors the split.
		{"public institution use refund, a third", domain.UnitPublicInstitution, domain.RevenueUse, -10000, domain.RemitPolicy{PublicInstitutionUse: third}, domain.RemitShare, true, -3333, -6667, ""},
		{"public institution use, share of 100 %", domain.UnitPublicInstitution, domain.RevenueUse, 10000, domain.RemitPolicy{PublicInstitutionUse: domain.RemitTreatment{Rule: domain.RemitShare, Share: domain.Percent(100)}}, "", false, 0, 0, domain.ReasonRemitRuleInvalid},
		{"public institution use, unknown rule", domain.UnitPublicInstitution, domain.RevenueUse, 10000, domain.RemitPolicy{PublicInstitutionUse: domain.RemitTreatment{Rule: "half-ish"}}, "", false, 0, 0, domain.ReasonRemitRuleInvalid},
		// Disposal revenue: non-tax, remitted, unless the state provides otherwise.
		{"administrative disposal", domain.UnitAdministrative, domain.RevenueDisposal, 10000, domain.RemitPolicy{}, domain.RemitAll, true, 10000, 0, ""},
		{"public institution disposal", domain.UnitPublicInstitution, domain.RevenueDisposal, 10000, domain.RemitPolicy{}, domain.RemitAll, true, 10000, 0, ""},
		{"disposal where the state provides otherwise", domain.UnitAdministrative, domain.RevenueDisposal, 10000, domain.RemitPolicy{Disposal: domain.RemitTreatment{Rule: domain.RemitKeep}}, domain.RemitKeep, false, 0, 10000, ""},
		// Enterprises and other units are outside 财资〔2024〕1号.
		{"enterprise use", domain.UnitEnterprise, domain.RevenueUse, 10000, domain.RemitPolicy{}, domain.RemitExempt, false, 0, 10000, ""},
		{"enterprise disposal", domain.UnitEnterprise, domain.RevenueDisposal, 10000, domain.RemitPolicy{}, domain.RemitExempt, false, 0, 10000, ""},
		{"other unit use", domain.UnitOther, domain.RevenueUse, 10000, domain.RemitPolicy{}, domain.RemitExempt, false, 0, 10000, ""},
		{"unknown unit", domain.UnitKindUnset, domain.RevenueUse, 10000, domain.RemitPolicy{}, "", false, 0, 0, domain.ReasonRemitUnitUnknown},
		{"unknown revenue kind", domain.UnitAdministrative, "gift", 10000, domain.RemitPolicy{}, "", false, 0, 0, domain.ReasonRemitRevenueKind},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := domain.RemitFor(tc.unit, tc.kind, tc.amount, tc.policy)
			if tc.refuseReason != "" {
				require.Equal(t, tc.refuseReason, reasonOf(t, err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.rule, d.Treatment.Rule)
			require.Equal(t, tc.nonTax, d.NonTax)
			require.Equal(t, tc.remit, d.Remit)
			require.Equal(t, tc.keep, d.Keep)
			require.Equal(t, tc.amount, d.Remit+d.Keep, "nothing lost or created")
			require.NotEmpty(t, d.BasisEn)
			require.NotEmpty(t, d.BasisZh)
		})
	}
}

func TestRemitPolicyValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, domain.RemitPolicy{}.Validate())
	require.NoError(t, domain.RemitPolicy{PublicInstitutionUse: domain.RemitTreatment{Rule: domain.RemitShare, Share: domain.Percent(30)}, DueDays: 15}.Validate())
	require.Error(t, domain.RemitPolicy{DueDays: -1}.Validate())
	require.Error(t, domain.RemitPolicy{Disposal: domain.RemitTreatment{Rule: domain.RemitShare, Share: domain.Percent(0)}}.Validate())
	require.Error(t, domain.RemitPolicy{PublicInstitutionUse: domain.RemitTreatment{Rule: domain.RemitExempt}}.Validate(), "exempt is for units outside 财资〔2024〕1号, not a policy choice")
}

func mustRemittance(t *testing.T, id, period, received string, amount domain.Fen, pays ...domain.RemitPayment) domain.Remittance {
	t.Helper()
	r, err := domain.NewRemittance(id, "rev-"+id, period, day(received), amount, domain.RemitPolicy{})
	require.NoError(t, err)
	for _, p := range pays {
		r, err = r.Pay(p)
		require.NoError(t, err)
	}
	return r
}

func pay(on string, amount domain.Fen) domain.RemitPayment {
	return domain.RemitPayment{On: day(on), Amount: amount, Receipt: "缴款书-" + on}
}

// TestRemittanceStatusOverDates: 5 000.00 received on 2026-03-10, due 30 days later on
// 2026-04-09; 2 000.00 paid on 04-01, 3 000.00 on 04-20.
func TestRemittanceStatusOverDates(t *testing.T) {
	t.Parallel()
	r := mustRemittance(t, "r1", "2026-03", "2026-03-10", 5000_00, pay("2026-04-01", 2000_00), pay("2026-04-20", 3000_00))
	require.Equal(t, day("2026-04-09"), r.DueOn)
	for _, tc := range []struct {
		on       string
		status   domain.RemitStatus
		paid     domain.Fen
		daysOver int
	}{
		{"2026-03-10", domain.RemitDue, 0, 0},
		{"2026-04-01", domain.RemitDue, 2000_00, 0}, // partly paid is still due
		{"2026-04-09", domain.RemitDue, 2000_00, 0}, // the due date itself
		{"2026-04-10", domain.RemitOverdue, 2000_00, 1},
		{"2026-04-19", domain.RemitOverdue, 2000_00, 10},
		{"2026-04-20", domain.RemitRemitted, 5000_00, 0},
		{"2026-12-31", domain.RemitRemitted, 5000_00, 0},
	} {
		require.Equal(t, tc.status, r.Status(day(tc.on)), tc.on)
		require.Equal(t, tc.paid, r.PaidBy(day(tc.on)), tc.on)
		require.Equal(t, tc.daysOver, r.DaysOverdue(day(tc.on)), tc.on)
	}

	// The due period is a policy: 10 days → due 2026-03-20.
	short, err := domain.NewRemittance("r2", "rev-2", "2026-03", day("2026-03-10"), 100, domain.RemitPolicy{DueDays: 10})
	require.NoError(t, err)
	require.Equal(t, day("2026-03-20"), short.DueOn)
	require.Equal(t, domain.RemitDue, short.Status(day("2026-03-20")))
	require.Equal(t, domain.RemitOverdue, short.Status(day("2026-03-21")))

	// Across a month end and a year end: 2026-12-15 + 30 days = 2027-01-14.
	late, err := domain.NewRemittance("r3", "rev-3", "2026-12", day("2026-12-15"), 100, domain.RemitPolicy{})
	require.NoError(t, err)
	require.Equal(t, day("2027-01-14"), late.DueOn)

	// Nothing to remit is remitted from the start.
	zero := mustRemittance(t, "r4", "2026-03", "2026-03-10", 0)
	require.Equal(t, domain.RemitRemitted, zero.Status(day("2026-03-10")))
}

func TestRemittanceRefuses(t *testing.T) {
	t.Parallel()
	_, err := domain.NewRemittance("r", "rev", "2026-03", day("2026-03-10"), -1, domain.RemitPolicy{})
	require.Equal(t, domain.ReasonRemitInvalid, reasonOf(t, err))
	_, err = domain.NewRemittance("r", "", "2026-03", day("2026-03-10"), 1, domain.RemitPolicy{})
	require.Equal(t, domain.ReasonRemitInvalid, reasonOf(t, err))
	_, err = domain.NewRemittance("r", "rev", "2026-03", domain.CivilDate{}, 1, domain.RemitPolicy{})
	require.Equal(t, domain.ReasonRemitInvalid, reasonOf(t, err))
	_, err = domain.NewRemittance("r", "rev", "2026-02", domain.CivilDateOf(2026, 2, 30), 1, domain.RemitPolicy{})
	require.Equal(t, domain.ReasonRemitInvalid, reasonOf(t, err), "30 February is not a day")

	r := mustRemittance(t, "r", "2026-03", "2026-03-10", 100)
	_, err = r.Pay(pay("2026-03-09", 100))
	require.Equal(t, domain.ReasonRemitPaymentBefore, reasonOf(t, err))
	_, err = r.Pay(pay("2026-03-11", 0))
	require.Equal(t, domain.ReasonRemitInvalid, reasonOf(t, err))

	// Pay returns a new value; the original is unchanged.
	paid, err := r.Pay(pay("2026-03-11", 100))
	require.NoError(t, err)
	require.Len(t, paid.Payments, 1)
	require.Empty(t, r.Payments)
}

// TestReconcileRemittances, on 2026-05-15, by hand:
//
//	period 2026-03
//	  r1  due 5 000.00 (due 04-09), paid 2 000.00 (04-01) + 3 000.00 (04-20)  remitted
//	  r2  due 1 234.56 (due 04-24), paid nothing                              overdue 1 234.56
//	  r3  due   100.00 (due 04-30), paid 150.00 (04-15)                       remitted, overpaid
//	  due 6 334.56, remitted 5 150.00, difference 1 184.56, overdue 1 234.56, open 1
//	period 2026-04
//	  r4  due   800.00 (due 05-20), paid 300.00 (05-10); 500.00 on 05-20 is after the date
//	  due 800.00, remitted 300.00, difference 500.00, overdue 0, open 1
func TestReconcileRemittances(t *testing.T) {
	t.Parallel()
	rs := []domain.Remittance{
		mustRemittance(t, "r4", "2026-04", "2026-04-20", 800_00, pay("2026-05-10", 300_00), pay("2026-05-20", 500_00)),
		mustRemittance(t, "r1", "2026-03", "2026-03-10", 5000_00, pay("2026-04-01", 2000_00), pay("2026-04-20", 3000_00)),
		mustRemittance(t, "r2", "2026-03", "2026-03-25", 1234_56),
		mustRemittance(t, "r3", "2026-03", "2026-03-31", 100_00, pay("2026-04-15", 150_00)),
	}
	require.Equal(t, []domain.RemitReconciliation{
		{Period: "2026-03", Due: 6334_56, Remitted: 5150_00, Difference: 1184_56, Overdue: 1234_56, Open: 1},
		{Period: "2026-04", Due: 800_00, Remitted: 300_00, Difference: 500_00, Overdue: 0, Open: 1},
	}, domain.ReconcileRemittances(rs, day("2026-05-15")))

	// On 2026-06-30 r4's second payment counts and 2026-04 is settled; r2 is still unpaid.
	// r3's overpayment of 50.00 is netted inside 2026-03's difference.
	require.Equal(t, []domain.RemitReconciliation{
		{Period: "2026-03", Due: 6334_56, Remitted: 5150_00, Difference: 1184_56, Overdue: 1234_56, Open: 1},
		{Period: "2026-04", Due: 800_00, Remitted: 800_00, Difference: 0, Overdue: 0, Open: 0},
	}, domain.ReconcileRemittances(rs, day("2026-06-30")))

	overpaid := domain.ReconcileRemittances(rs[3:], day("2026-06-30"))
	require.Equal(t, domain.Fen(-50_00), overpaid[0].Difference, "overpaid is negative")
	require.Empty(t, domain.ReconcileRemittances(nil, day("2026-06-30")))
}
