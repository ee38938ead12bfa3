package domain_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/services/ledger/internal/domain"
)

// The codes below are built as <authority><kind>330100MB0000001<check>; the check characters
// were computed by hand from the GB 32100 weights (and agree with the catalog's tests for
// the two real codes).
func TestDeriveUnitKind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code   string
		want   domain.UnitKind
		regime domain.Regime
		zh     string // the kind's name in GB 32100
	}{
		{"11330100MB0000001R", domain.UnitAdministrative, domain.RegimePublicSector, "机关"},
		{"12330100MB0000001N", domain.UnitPublicInstitution, domain.RegimePublicSector, "事业单位"},
		{"13330100MB0000001K", domain.UnitOther, domain.RegimeUndetermined, "中央编办直接管理机构编制的群众团体"},
		{"19330100MB00000011", domain.UnitOther, domain.RegimeUndetermined, "其他"},
		{"51330100MB0000001M", domain.UnitOther, domain.RegimeUndetermined, "社会团体"},
		{"52330100MB0000001J", domain.UnitOther, domain.RegimeUndetermined, "民办非企业单位"},
		{"53330100MB0000001F", domain.UnitOther, domain.RegimeUndetermined, "基金会"},
		{"91330100MB0000001H", domain.UnitEnterprise, domain.RegimeEnterprise, "企业"},
		{"91110000600037341L", domain.UnitEnterprise, domain.RegimeEnterprise, "企业"},
		{"91350100M000100Y43", domain.UnitEnterprise, domain.RegimeEnterprise, "企业"},
		{"92330100MB0000001E", domain.UnitOther, domain.RegimeUndetermined, "个体工商户"},
		{"93330100MB0000001B", domain.UnitOther, domain.RegimeUndetermined, "农民专业合作社"},
		{"A1330100MB0000001G", domain.UnitOther, domain.RegimeUndetermined, ""},
		{"N2330100MB00000011", domain.UnitOther, domain.RegimeUndetermined, ""},
		{"Y1330100MB0000001U", domain.UnitOther, domain.RegimeUndetermined, ""},
		{"B1330100MB0000001F", domain.UnitOther, domain.RegimeUndetermined, ""}, // well formed, unknown authority
		{"99330100MB0000001Q", domain.UnitOther, domain.RegimeUndetermined, ""}, // 9 with an unknown kind
		{" 12330100MB0000001N ", domain.UnitPublicInstitution, domain.RegimePublicSector, "事业单位"},
	}
	for _, c := range cases {
		k, err := domain.DeriveUnitKind(c.code)
		require.NoError(t, err, c.code)
		require.Equal(t, c.want, k, c.code)
		require.Equal(t, c.regime, k.Regime(), c.code)
		u, err := domain.ParseUSCC(c.code)
		require.NoError(t, err)
		require.Equal(t, c.zh, u.KindZh(), c.code)
		require.Equal(t, strings.TrimSpace(c.code)[2:8], u.Division)
	}
}

func TestDeriveUnitKindMalformed(t *testing.T) {
	t.Parallel()
	for _, code := range []string{
		"",
		"11330100MB0000001",   // 17 characters
		"11330100MB0000001RR", // 19
		"11330100MB0000001Q",  // wrong check character
		"11330100mb0000001R",  // lower case
		"11330100MB000000IR",  // I is not in the alphabet
		"1133A100MB0000001R",  // the division must be digits
		"11330100MB000000１R",  // a full-width digit
		"机关330100MB0000001R",  // not the alphabet at all
	} {
		k, err := domain.DeriveUnitKind(code)
		require.Equal(t, domain.UnitOther, k, "a malformed code gives Other: %q", code)
		require.Equal(t, domain.ReasonInvalidUSCC, domain.ReasonOf(err), "%q", code)
		var re *domain.RuleError
		require.ErrorAs(t, err, &re)
		require.NotEmpty(t, re.Zh)
	}
}

func TestUnitTypeOverride(t *testing.T) {
	t.Parallel()
	ut, err := domain.DeriveUnitType("13330100MB0000001K")
	require.NoError(t, err)
	require.Equal(t, domain.UnitOther, ut.Effective())
	require.False(t, ut.Overridden())
	require.Equal(t, domain.RegimeUndetermined, ut.Regime())

	_, err = ut.WithOverride(domain.UnitPublicInstitution, "  ")
	require.Equal(t, domain.ReasonOverrideReasonRequired, domain.ReasonOf(err))
	_, err = ut.WithOverride(domain.UnitPublicInstitution, strings.Repeat("理", 501))
	require.Equal(t, domain.ReasonOverrideReasonRequired, domain.ReasonOf(err))
	_, err = ut.WithOverride(domain.UnitKindUnset, "reason")
	require.Equal(t, domain.ReasonInvalidUnitType, domain.ReasonOf(err))
	_, err = ut.WithOverride(domain.UnitKind(9), "reason")
	require.Equal(t, domain.ReasonInvalidUnitType, domain.ReasonOf(err))

	over, err := ut.WithOverride(domain.UnitPublicInstitution, " 群团组织执行政府会计制度 ")
	require.NoError(t, err)
	require.Equal(t, domain.UnitOther, over.Derived, "the derived kind is kept")
	require.Equal(t, domain.UnitPublicInstitution, over.Effective())
	require.Equal(t, "群团组织执行政府会计制度", over.OverrideReason)
	require.Equal(t, domain.RegimePublicSector, over.Regime())
	require.Equal(t, "财资〔2024〕1号", over.Regime().Document())
	require.Equal(t, domain.UnitOther, ut.Effective(), "UnitType is a value: the original is unchanged")

	cleared := over.ClearOverride()
	require.Equal(t, domain.UnitOther, cleared.Effective())
	require.Empty(t, cleared.OverrideReason)

	// A malformed code: Other with an error, and an admin can still set the type.
	bad, err := domain.DeriveUnitType("bad")
	require.Error(t, err)
	require.Equal(t, domain.UnitOther, bad.Effective())
	fixed, err := bad.WithOverride(domain.UnitEnterprise, "code on the card is a typo; the licence says 91…")
	require.NoError(t, err)
	require.Equal(t, "财会〔2023〕11号", fixed.Regime().Document())
}

func TestUnitKindNames(t *testing.T) {
	t.Parallel()
	for _, k := range []domain.UnitKind{domain.UnitAdministrative, domain.UnitPublicInstitution, domain.UnitEnterprise, domain.UnitOther} {
		back, err := domain.ParseUnitKind(k.String())
		require.NoError(t, err)
		require.Equal(t, k, back)
		require.NotEmpty(t, k.Zh())
	}
	_, err := domain.ParseUnitKind("unset")
	require.Equal(t, domain.ReasonInvalidUnitType, domain.ReasonOf(err))
	require.Equal(t, "行政单位", domain.UnitAdministrative.Zh())
	require.Equal(t, "unknown", domain.UnitKind(42).String())
}
