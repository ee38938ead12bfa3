package domain_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/services/ledger/internal/domain"
)

// goodPledge is a pledge on 2025-09-15 that an enterprise may record: the asset is
// registered and clear, and it relies on the current valuation (base date 2025-06-30,
// valid through 2026-06-29).
func goodPledge(unit domain.UnitKind) domain.PledgeFacts {
	return domain.PledgeFacts{
		Unit:        unit,
		Asset:       domain.AssetStanding{AssetID: "asset-1", Registered: true},
		ValuationID: "v2",
		Valuations: []domain.Valuation{
			valuationAt("v1", "asset-1", "2024-12-31", "2025-02-01"),
			valuationAt("v2", "asset-1", "2025-06-30", "2025-08-01"),
			valuationAt("x1", "asset-2", "2025-06-30", "2025-08-01"),
		},
		On: day("2025-09-15"),
	}
}

func reasons(t *testing.T, rs []*domain.RuleError) []domain.Reason {
	t.Helper()
	out := []domain.Reason{}
	for _, r := range rs {
		require.NotEmpty(t, r.En)
		require.NotEmpty(t, r.Zh)
		out = append(out, r.Reason)
	}
	return out
}

// TestPledgeRefusedOutrightForPublicBodies: 财资〔2024〕1号 forbids 行政事业单位 to use data
// assets as collateral, whatever the asset and its valuation.
func TestPledgeRefusedOutrightForPublicBodies(t *testing.T) {
	t.Parallel()
	for _, unit := range []domain.UnitKind{domain.UnitAdministrative, domain.UnitPublicInstitution} {
		for name, f := range map[string]domain.PledgeFacts{
			"good facts": goodPledge(unit),
			"bad facts": func() domain.PledgeFacts {
				f := goodPledge(unit)
				f.Asset = domain.AssetStanding{AssetID: "asset-1", Suspended: true, OpenDispute: true}
				f.ValuationID = ""
				return f
			}(),
		} {
			t.Run(unit.String()+"/"+name, func(t *testing.T) {
				t.Parallel()
				rs := domain.PledgeRefusals(f, domain.GuardPolicy{})
				require.Equal(t, []domain.Reason{domain.ReasonPledgeForbidden}, reasons(t, rs), "refused for the rule alone")
				require.Contains(t, rs[0].En, "must not use data assets to provide guarantees")
				require.Contains(t, rs[0].En, "hidden government debt")
				require.Contains(t, rs[0].En, "财资〔2024〕1号")
				require.Contains(t, rs[0].Zh, "不得利用数据资产进行担保")
				require.Contains(t, rs[0].Zh, "新增政府隐性债务")
				require.Contains(t, rs[0].Zh, "质押或融资")
				err := domain.CheckPledge(f, domain.GuardPolicy{})
				var re *domain.RuleError
				require.True(t, errors.As(err, &re))
				require.Equal(t, domain.ReasonPledgeForbidden, re.Reason)
			})
		}
	}
}

// TestPledgeForEnterprisesAndOthers: each failing fact gives its own reason; several give
// all of them, in a fixed order. Other units are checked like enterprises unless the
// policy refuses them.
func TestPledgeForEnterprisesAndOthers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		unit   domain.UnitKind
		policy domain.GuardPolicy
		change func(*domain.PledgeFacts)
		want   []domain.Reason
	}{
		{"enterprise, all in order", domain.UnitEnterprise, domain.GuardPolicy{}, func(*domain.PledgeFacts) {}, []domain.Reason{}},
		{"other unit, all in order", domain.UnitOther, domain.GuardPolicy{}, func(*domain.PledgeFacts) {}, []domain.Reason{}},
		{"other unit, refused by policy", domain.UnitOther, domain.GuardPolicy{RefuseOtherUnits: true}, func(*domain.PledgeFacts) {}, []domain.Reason{domain.ReasonPledgeOtherUnitRefused}},
		{"enterprise unaffected by the other-unit policy", domain.UnitEnterprise, domain.GuardPolicy{RefuseOtherUnits: true}, func(*domain.PledgeFacts) {}, []domain.Reason{}},
		{"unknown unit kind", domain.UnitKindUnset, domain.GuardPolicy{}, func(*domain.PledgeFacts) {}, []domain.Reason{domain.ReasonPledgeUnitUnknown}},
		{"not registered", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.Asset.Registered = false }, []domain.Reason{domain.ReasonPledgeAssetNotRegistered}},
		{"suspended", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.Asset.Suspended = true }, []domain.Reason{domain.ReasonPledgeAssetSuspended}},
		{"open objection", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.Asset.OpenObjection = true }, []domain.Reason{domain.ReasonPledgeAssetObjection}},
		{"open dispute", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.Asset.OpenDispute = true }, []domain.Reason{domain.ReasonPledgeAssetDispute}},
		{"no valuation named", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.ValuationID = "" }, []domain.Reason{domain.ReasonPledgeNoValuation}},
		{"valuation unknown", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.ValuationID = "v9" }, []domain.Reason{domain.ReasonPledgeNoValuation}},
		{"valuation recorded after the pledge", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.On = day("2025-07-15") }, []domain.Reason{domain.ReasonPledgeNoValuation}},
		{"valuation of another asset", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.ValuationID = "x1" }, []domain.Reason{domain.ReasonPledgeValuationOtherAsset}},
		// Base date 2025-06-30: the last valid day is 2026-06-29.
		{"last valid day", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.On = day("2026-06-29") }, []domain.Reason{}},
		{"valuation stale", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.On = day("2026-06-30") }, []domain.Reason{domain.ReasonPledgeValuationStale}},
		{"valuation stale under a six-month policy", domain.UnitEnterprise, domain.GuardPolicy{Valuation: domain.ValuationPolicy{ValidityMonths: 6}}, func(f *domain.PledgeFacts) { f.On = day("2025-12-30") }, []domain.Reason{domain.ReasonPledgeValuationStale}},
		// v1 (base 2024-12-31) is still within its year on 2025-09-15 but v2 supersedes it.
		{"valuation superseded", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.ValuationID = "v1" }, []domain.Reason{domain.ReasonPledgeValuationSuperseded}},
		// Before v2 was recorded, v1 was current.
		{"superseded only later", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.ValuationID, f.On = "v1", day("2025-07-15") }, []domain.Reason{}},
		{"superseded and stale", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.ValuationID, f.On = "v1", day("2026-01-01") }, []domain.Reason{domain.ReasonPledgeValuationStale, domain.ReasonPledgeValuationSuperseded}},
		{"everything wrong", domain.UnitEnterprise, domain.GuardPolicy{}, func(f *domain.PledgeFacts) {
			f.Asset = domain.AssetStanding{AssetID: "asset-1", Suspended: true, OpenObjection: true, OpenDispute: true}
			f.ValuationID, f.On = "v1", day("2026-01-01")
		}, []domain.Reason{
			domain.ReasonPledgeAssetNotRegistered, domain.ReasonPledgeAssetSuspended, domain.ReasonPledgeAssetObjection,
			domain.ReasonPledgeAssetDispute, domain.ReasonPledgeValuationStale, domain.ReasonPledgeValuationSuperseded,
		}},
		{"other unit with a suspended asset", domain.UnitOther, domain.GuardPolicy{}, func(f *domain.PledgeFacts) { f.Asset.Suspended = true }, []domain.Reason{domain.ReasonPledgeAssetSuspended}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := goodPledge(tc.unit)
			tc.change(&f)
			require.Equal(t, tc.want, reasons(t, domain.PledgeRefusals(f, tc.policy)))
			err := domain.CheckPledge(f, tc.policy)
			if len(tc.want) == 0 {
				require.NoError(t, err)
				return
			}
			var re *domain.RuleError
			require.True(t, errors.As(err, &re))
			require.Equal(t, tc.want[0], re.Reason, "errors.As finds the first refusal")
		})
	}
}

func TestUnitKindRegimeOfPublicBodies(t *testing.T) {
	t.Parallel()
	require.True(t, domain.UnitAdministrative.Regime() == domain.RegimePublicSector)
	require.True(t, domain.UnitPublicInstitution.Regime() == domain.RegimePublicSector)
	require.False(t, domain.UnitEnterprise.Regime() == domain.RegimePublicSector)
	require.False(t, domain.UnitOther.Regime() == domain.RegimePublicSector)
}

func flagKinds(t *testing.T, fs []domain.Flag) []domain.FlagKind {
	t.Helper()
	out := []domain.FlagKind{}
	for _, f := range fs {
		require.NotEmpty(t, f.En)
		require.NotEmpty(t, f.Zh)
		require.NotEmpty(t, f.Subject)
		out = append(out, f.Kind)
	}
	return out
}

// TestValuationFlags: v2 (base 2025-06-30, value 50 221.00) is current from 2025-08-01 and
// stale from 2026-06-30. With the default factor 3 it is far above a carrying amount
// below 50 221.00 / 3 = 16 740.33⅓: 16 740.33 × 3 = 50 220.99 < 50 221.00 (flag), and
// 16 740.34 × 3 = 50 221.02 (no flag).
func TestValuationFlags(t *testing.T) {
	t.Parallel()
	vs := goodPledge(domain.UnitEnterprise).Valuations
	booked := func(f domain.Fen) domain.Carrying { return domain.Carrying{Booked: true, Amount: f} }
	for _, tc := range []struct {
		name     string
		carrying domain.Carrying
		on       string
		policy   domain.GuardPolicy
		want     []domain.FlagKind
	}{
		{"no valuation yet", booked(1), "2025-01-01", domain.GuardPolicy{}, []domain.FlagKind{}},
		{"valid, close to carrying", booked(40_000_00), "2025-09-15", domain.GuardPolicy{}, []domain.FlagKind{}},
		{"valid, at the factor's edge", booked(16_740_34), "2025-09-15", domain.GuardPolicy{}, []domain.FlagKind{}},
		{"valid, above 3×", booked(16_740_33), "2025-09-15", domain.GuardPolicy{}, []domain.FlagKind{domain.FlagValuationAboveCarrying}},
		{"fully amortised", booked(0), "2025-09-15", domain.GuardPolicy{}, []domain.FlagKind{domain.FlagValuationAboveCarrying}},
		{"not booked: nothing to compare", domain.Carrying{}, "2025-09-15", domain.GuardPolicy{}, []domain.FlagKind{}},
		// Factor 5/2: 50 221.00 / 2.5 = 20 088.40; 20 088.40 × 2.5 = 50 221.00 is not above.
		{"factor 2.5 at its edge", booked(20_088_40), "2025-09-15", domain.GuardPolicy{AboveCarryingFactor: domain.Fraction(5, 2)}, []domain.FlagKind{}},
		{"factor 2.5 above", booked(20_088_39), "2025-09-15", domain.GuardPolicy{AboveCarryingFactor: domain.Fraction(5, 2)}, []domain.FlagKind{domain.FlagValuationAboveCarrying}},
		{"the last valid day", booked(40_000_00), "2026-06-29", domain.GuardPolicy{}, []domain.FlagKind{}},
		{"stale", booked(40_000_00), "2026-06-30", domain.GuardPolicy{}, []domain.FlagKind{domain.FlagStaleValuation}},
		{"stale and above", booked(1_00), "2027-01-01", domain.GuardPolicy{}, []domain.FlagKind{domain.FlagStaleValuation, domain.FlagValuationAboveCarrying}},
		// Before v2 was recorded, v1 (base 2024-12-31) is current and valid through 2025-12-30.
		{"the older valuation while current", booked(40_000_00), "2025-07-15", domain.GuardPolicy{}, []domain.FlagKind{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, flagKinds(t, domain.ValuationFlags("asset-1", vs, tc.carrying, day(tc.on), tc.policy)))
		})
	}

	// Exactly the factor is not above it: a corrected report v3 (same base date, recorded
	// later, so current) of 3.00 against a carrying amount of 1.00; then 3.01.
	v3 := valuationAt("v3", "asset-1", "2025-06-30", "2025-09-01")
	v3.Value = 3_00
	require.Empty(t, domain.ValuationFlags("asset-1", append(vs, v3), booked(1_00), day("2025-09-15"), domain.GuardPolicy{}), "3.00 = 3 × 1.00")
	v3.Value = 3_01
	require.Equal(t, []domain.FlagKind{domain.FlagValuationAboveCarrying},
		flagKinds(t, domain.ValuationFlags("asset-1", append(vs, v3), booked(1_00), day("2025-09-15"), domain.GuardPolicy{})), "3.01 > 3 × 1.00")
	require.NoError(t, domain.DefaultGuardPolicy().Validate())
	require.Error(t, domain.GuardPolicy{AboveCarryingFactor: domain.Fraction(-3, 1)}.Validate())
}

// TestRevenueGrantFlags: grant g1 runs 2025-01-01 to 2025-12-31; g2 runs from 2025-01-01
// with no end and was revoked with effect from 2025-06-15.
func TestRevenueGrantFlags(t *testing.T) {
	t.Parallel()
	g1 := domain.GrantStanding{GrantID: "g1", ValidFrom: day("2025-01-01"), ValidUntil: day("2025-12-31")}
	g2 := domain.GrantStanding{GrantID: "g2", ValidFrom: day("2025-01-01"), RevokedOn: day("2025-06-15")}
	for _, tc := range []struct {
		name string
		r    domain.RevenueFacts
		want []domain.FlagKind
	}{
		{"within the term", domain.RevenueFacts{RevenueID: "r", Grant: g1, PeriodFrom: day("2025-03-01"), PeriodTo: day("2025-03-31"), ReceivedOn: day("2025-04-05")}, []domain.FlagKind{}},
		{"the term's last month, paid late", domain.RevenueFacts{RevenueID: "r", Grant: g1, PeriodFrom: day("2025-12-01"), PeriodTo: day("2025-12-31"), ReceivedOn: day("2026-02-10")}, []domain.FlagKind{}},
		{"after expiry", domain.RevenueFacts{RevenueID: "r", Grant: g1, PeriodFrom: day("2026-01-01"), PeriodTo: day("2026-01-31"), ReceivedOn: day("2026-02-10")}, []domain.FlagKind{domain.FlagRevenueOnExpiredGrant}},
		{"straddling expiry", domain.RevenueFacts{RevenueID: "r", Grant: g1, PeriodFrom: day("2025-12-15"), PeriodTo: day("2026-01-14"), ReceivedOn: day("2026-01-20")}, []domain.FlagKind{domain.FlagRevenueOnExpiredGrant}},
		{"before the start", domain.RevenueFacts{RevenueID: "r", Grant: g1, PeriodFrom: day("2024-12-01"), PeriodTo: day("2024-12-31"), ReceivedOn: day("2025-01-05")}, []domain.FlagKind{domain.FlagRevenueBeforeGrantStart}},
		{"before revocation, paid after", domain.RevenueFacts{RevenueID: "r", Grant: g2, PeriodFrom: day("2025-05-01"), PeriodTo: day("2025-05-31"), ReceivedOn: day("2025-07-10")}, []domain.FlagKind{}},
		{"the day before revocation", domain.RevenueFacts{RevenueID: "r", Grant: g2, PeriodFrom: day("2025-06-01"), PeriodTo: day("2025-06-14"), ReceivedOn: day("2025-06-20")}, []domain.FlagKind{}},
		{"into revocation", domain.RevenueFacts{RevenueID: "r", Grant: g2, PeriodFrom: day("2025-06-01"), PeriodTo: day("2025-06-30"), ReceivedOn: day("2025-07-10")}, []domain.FlagKind{domain.FlagRevenueOnRevokedGrant}},
		{"no period: the receipt day, on revocation", domain.RevenueFacts{RevenueID: "r", Grant: g2, ReceivedOn: day("2025-06-15")}, []domain.FlagKind{domain.FlagRevenueOnRevokedGrant}},
		{"no period: the receipt day, before revocation", domain.RevenueFacts{RevenueID: "r", Grant: g2, ReceivedOn: day("2025-06-14")}, []domain.FlagKind{}},
		{"open-ended grant, years later", domain.RevenueFacts{RevenueID: "r", Grant: domain.GrantStanding{GrantID: "g3", ValidFrom: day("2025-01-01")}, ReceivedOn: day("2030-01-01")}, []domain.FlagKind{}},
		{"revoked and expired", domain.RevenueFacts{RevenueID: "r", Grant: domain.GrantStanding{GrantID: "g4", ValidFrom: day("2025-01-01"), ValidUntil: day("2025-12-31"), RevokedOn: day("2025-06-15")}, PeriodFrom: day("2026-01-01"), PeriodTo: day("2026-01-31")}, []domain.FlagKind{domain.FlagRevenueOnRevokedGrant, domain.FlagRevenueOnExpiredGrant}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, flagKinds(t, domain.RevenueGrantFlags([]domain.RevenueFacts{tc.r})))
		})
	}
	require.Empty(t, domain.RevenueGrantFlags(nil))
}
