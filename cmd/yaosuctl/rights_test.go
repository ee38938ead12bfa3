package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
)

const (
	testAssetID = "0198c6f2-7a4e-7b61-9f0e-2d1c3b4a5e6f"
	testGrantID = "0199a0b1-1c2d-7e3f-8a4b-5c6d7e8f9a0b"
	testSHA     = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
)

// parseGrantFlags parses args as the grant flags of `rights grant` and builds the grant.
func parseGrantFlags(t *testing.T, now time.Time, args ...string) (*rightsv1.Grant, string, error) {
	t.Helper()
	var o grantFlags
	fs := pflag.NewFlagSet("grant", pflag.ContinueOnError)
	o.register(fs)
	require.NoError(t, fs.Parse(args))
	return o.build(testAssetID, " 91110000600037341l ", now)
}

func TestGrantFlagsBuildTheGrant(t *testing.T) {
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	g, requestID, err := parseGrantFlags(t, now,
		"--right", "product-operation", "--purpose", "交通运输,urban-governance", "--purpose", "TRANSPORT",
		"--form", "api,model", "--form", "核验", "--region", "350000, 350100",
		"--from", "2026-01-01", "--until", "2027-01-01T00:00:00+08:00",
		"--exclusive", "--sublicense-depth", "2", "--fee", "paid", "--condition", ` context.project == "P-17" `,
		"--parent", testGrantID, "--authorised-operation",
		"--basis-kind", "授权", "--basis-number", " 榕政〔2026〕1号 ", "--basis-sha256", strings.ToUpper(testSHA), "--basis-title", "授权运营协议",
		"--request-id", "0192f0c4-7b2e-7a3e-9d1c-2f0c4b2e7a3e")
	require.NoError(t, err)
	require.Equal(t, "0192f0c4-7b2e-7a3e-9d1c-2f0c4b2e7a3e", requestID)
	require.Equal(t, "assets/"+testAssetID, g.GetAsset())
	require.Equal(t, rightsv1.Right_RIGHT_PRODUCT_OPERATION, g.GetRight())
	require.Equal(t, "91110000600037341L", g.GetGranteeOrganisation(), "trimmed and upper-cased")
	require.Equal(t, []string{"TRANSPORT", "URBAN_GOVERNANCE"}, g.GetScope().GetPurposes(), "labels and kebab-case resolve; duplicates drop")
	require.Equal(t, []rightsv1.DeliveryForm{rightsv1.DeliveryForm_DELIVERY_FORM_API, rightsv1.DeliveryForm_DELIVERY_FORM_MODEL,
		rightsv1.DeliveryForm_DELIVERY_FORM_VERIFICATION}, g.GetScope().GetDeliveryForms())
	require.Equal(t, []string{"350000", "350100"}, g.GetScope().GetRegions())
	// Dates are midnight China time.
	require.Equal(t, time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC), g.GetValidFrom().AsTime())
	require.Equal(t, time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC), g.GetValidUntil().AsTime())
	require.True(t, g.GetExclusive())
	require.EqualValues(t, 2, g.GetSublicenseDepth())
	require.Equal(t, rightsv1.FeeTerms_FEE_TERMS_PAID_CONDITIONAL, g.GetFeeTerms())
	require.Equal(t, `context.project == "P-17"`, g.GetCondition())
	require.Equal(t, "grants/"+testGrantID, g.GetParent())
	require.True(t, g.GetAuthorisedOperation())
	require.Equal(t, rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_AUTHORISATION, g.GetLegalBasis().GetKind())
	require.Equal(t, "榕政〔2026〕1号", g.GetLegalBasis().GetDocumentNumber())
	require.Equal(t, testSHA, g.GetLegalBasis().GetSha256(), "lower-cased")
	require.Equal(t, "授权运营协议", g.GetLegalBasis().GetTitle())
}

func TestGrantFlagsDefaults(t *testing.T) {
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	g, requestID, err := parseGrantFlags(t, now, "--purpose", "TRANSPORT", "--form", "api", "--until", "2027-01-01",
		"--basis-kind", "contract", "--basis-number", "HT-1", "--basis-sha256", testSHA)
	require.NoError(t, err)
	require.Len(t, requestID, 36, "a new request id")
	require.Equal(t, rightsv1.Right_RIGHT_PROCESSING_USE, g.GetRight())
	require.Equal(t, now, g.GetValidFrom().AsTime(), "the term starts now")
	require.Equal(t, rightsv1.FeeTerms_FEE_TERMS_FREE_CONDITIONAL, g.GetFeeTerms())
	require.Empty(t, g.GetScope().GetRegions(), "everywhere")
	require.Empty(t, g.GetParent())
	require.Zero(t, g.GetSublicenseDepth())
	require.Equal(t, rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_CONTRACT, g.GetLegalBasis().GetKind())
}

func TestGrantFlagsErrors(t *testing.T) {
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	base := []string{"--purpose", "TRANSPORT", "--form", "api", "--until", "2027-01-01",
		"--basis-kind", "contract", "--basis-number", "HT-1", "--basis-sha256", testSHA}
	// without is base without one flag and its value.
	without := func(flag string) []string {
		var out []string
		for i := 0; i < len(base); i += 2 {
			if base[i] != flag {
				out = append(out, base[i], base[i+1])
			}
		}
		return out
	}
	with := func(args ...string) []string { return append(slices.Clone(base), args...) }
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no purpose":      {without("--purpose"), "--purpose is required"},
		"no form":         {without("--form"), "--form is required"},
		"bad form":        {with("--form", "fax"), `--form: "fax" is not one of raw-copy (原始数据导出), api (接口), model (模型)`},
		"no until":        {without("--until"), "--until is required"},
		"bad date":        {with("--until", "2027/01/01"), `--until: "2027/01/01" is neither an RFC 3339 time`},
		"window":          {with("--from", "2027-01-01"), "is not after the start"},
		"holding":         {with("--right", "holding"), "holding is not granted"},
		"bad right":       {with("--right", "ownership"), "processing-use (加工使用权), product-operation (产品经营权)"},
		"depth":           {with("--sublicense-depth", "6"), "--sublicense-depth must be between 0 and 5"},
		"fee":             {with("--fee", "cheap"), `--fee: "cheap" is not one of free-conditional (有条件无偿), paid-conditional (有条件有偿)`},
		"request id":      {with("--request-id", "abc"), "--request-id must be a UUID"},
		"no basis kind":   {without("--basis-kind"), "--basis-kind is required"},
		"bad basis kind":  {with("--basis-kind", "promise"), `--basis-kind: "promise" is not one of law (法律), contract (合同), authorisation (授权)`},
		"no basis number": {without("--basis-number"), "--basis-number is required"},
		"no hash":         {without("--basis-sha256"), "--basis-sha256 HEX or --basis-file PATH"},
		"bad hash":        {with("--basis-sha256", "abc"), `--basis-sha256: "abc" is not a SHA-256`},
		"both hashes":     {with("--basis-file", "x.pdf"), "not both"},
		"missing file":    {append(without("--basis-sha256"), "--basis-file", filepath.Join(t.TempDir(), "none.pdf")), "--basis-file: open"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := parseGrantFlags(t, now, tc.args...)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestBasisFileIsHashed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "合同.pdf")
	content := []byte("%PDF-1.7 数据加工使用许可合同")
	require.NoError(t, os.WriteFile(file, content, 0o600))
	sum := sha256.Sum256(content)
	b := basisFlags{kind: "合同", number: "HT-2026-001", file: file}
	lb, err := b.build()
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(sum[:]), lb.GetSha256())
	require.Equal(t, rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_CONTRACT, lb.GetKind())
	require.Empty(t, lb.GetTitle(), "the file name is not the document's title")
}

func TestRightsEnumSpellings(t *testing.T) {
	for in, want := range map[string]rightsv1.Right{
		"processing-use": rightsv1.Right_RIGHT_PROCESSING_USE, "PROCESSING_USE": rightsv1.Right_RIGHT_PROCESSING_USE,
		"RIGHT_PROCESSING_USE": rightsv1.Right_RIGHT_PROCESSING_USE, "加工使用权": rightsv1.Right_RIGHT_PROCESSING_USE,
		"Product-Operation": rightsv1.Right_RIGHT_PRODUCT_OPERATION, "产品经营权": rightsv1.Right_RIGHT_PRODUCT_OPERATION,
		"holding": rightsv1.Right_RIGHT_HOLDING, "3": rightsv1.Right_RIGHT_PRODUCT_OPERATION,
	} {
		n, err := parseRightsEnum("--right", rightsv1.Right(0).Descriptor(), in)
		require.NoError(t, err, in)
		require.Equal(t, want, rightsv1.Right(n), in)
	}
	_, err := parseRightsEnum("--right", rightsv1.Right(0).Descriptor(), "unspecified")
	require.Error(t, err, "the zero value is not a choice")

	forms, err := rightsEnumList[rightsv1.DeliveryForm]("--form", []string{"raw-copy,原始数据", "aggregate", " 可用不可见 "})
	require.NoError(t, err)
	require.Equal(t, []rightsv1.DeliveryForm{rightsv1.DeliveryForm_DELIVERY_FORM_RAW_COPY, rightsv1.DeliveryForm_DELIVERY_FORM_AGGREGATE,
		rightsv1.DeliveryForm_DELIVERY_FORM_MODEL}, forms)

	for in, want := range map[string]rightsv1.TransferCause{
		"merger": rightsv1.TransferCause_TRANSFER_CAUSE_MERGER, "合并": rightsv1.TransferCause_TRANSFER_CAUSE_MERGER,
		"bankruptcy": rightsv1.TransferCause_TRANSFER_CAUSE_BANKRUPTCY, "law": rightsv1.TransferCause_TRANSFER_CAUSE_LAW,
		"分立": rightsv1.TransferCause_TRANSFER_CAUSE_SPLIT,
	} {
		n, err := parseRightsEnum("--cause", rightsv1.TransferCause(0).Descriptor(), in)
		require.NoError(t, err, in)
		require.Equal(t, want, rightsv1.TransferCause(n), in)
	}
	for in, want := range map[string]rightsv1.FeeTerms{
		"free": rightsv1.FeeTerms_FEE_TERMS_FREE_CONDITIONAL, "有条件有偿": rightsv1.FeeTerms_FEE_TERMS_PAID_CONDITIONAL,
		"PAID": rightsv1.FeeTerms_FEE_TERMS_PAID_CONDITIONAL, "free-conditional": rightsv1.FeeTerms_FEE_TERMS_FREE_CONDITIONAL,
	} {
		n, err := parseRightsEnum("--fee", rightsv1.FeeTerms(0).Descriptor(), in)
		require.NoError(t, err, in)
		require.Equal(t, want, rightsv1.FeeTerms(n), in)
	}
}

func TestPurposeSpellings(t *testing.T) {
	require.Equal(t, []string{"TRANSPORT", "HEALTHCARE", "GREEN_LOW_CARBON", "OTHER", "MADE_UP"},
		parsePurposes([]string{"交通运输, healthcare", "Green and low-carbon", "green-low-carbon", "其他", "made-up"}),
		"codes, labels and kebab case; unknown codes go as given for the server to name")
}

func TestNamesAcceptBareIDs(t *testing.T) {
	require.Equal(t, "grants/"+testGrantID, grantName(testGrantID))
	require.Equal(t, "grants/"+testGrantID, grantName(" grants/"+testGrantID+" "))
	require.Equal(t, "assets/"+testAssetID, assetName(testAssetID))
	require.Equal(t, "assets/"+testAssetID, assetName("assets/"+testAssetID))
}

func TestInstantsAndAsOf(t *testing.T) {
	ts, err := parseInstant("--from", "2026-03-01")
	require.NoError(t, err)
	require.Equal(t, "2026-03-01T00:00:00+08:00", ts.Format(time.RFC3339), "midnight China time, whatever the local zone")
	ts, err = parseInstant("--from", "2026-03-01T09:30:00.123456Z")
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 3, 1, 9, 30, 0, 123456000, time.UTC), ts.UTC())
	_, err = parseInstant("--from", "yesterday")
	require.ErrorContains(t, err, `--from: "yesterday" is neither`)

	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	at, err := parseAsOf("", now)
	require.NoError(t, err)
	require.Nil(t, at, "unset means now")
	at, err = parseAsOf("36h", now)
	require.NoError(t, err)
	require.Equal(t, now.Add(-36*time.Hour), at.AsTime())
	at, err = parseAsOf("2026-02-01", now)
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC), at.AsTime())
	_, err = parseAsOf("last week", now)
	require.ErrorContains(t, err, "nor a duration ago")
}

func TestCheckFlagsBuildTheRequest(t *testing.T) {
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	o := checkFlags{right: "product-operation", purpose: "城市治理", form: "model", region: " 350100 ", asOf: "2026-03-01",
		context: []string{"project=P-17", "n:=3", "ok:=true", "team.lead=王五", "tags:=[\"a\",\"b\"]", "empty="}}
	req, err := o.request(testAssetID, "91110000600037341l", now)
	require.NoError(t, err)
	require.Equal(t, "91110000600037341L", req.GetOrganisation())
	require.Equal(t, "assets/"+testAssetID, req.GetAsset())
	require.Equal(t, rightsv1.Right_RIGHT_PRODUCT_OPERATION, req.GetRight())
	require.Equal(t, "URBAN_GOVERNANCE", req.GetPurpose())
	require.Equal(t, rightsv1.DeliveryForm_DELIVERY_FORM_MODEL, req.GetDeliveryForm())
	require.Equal(t, "350100", req.GetRegion())
	require.Equal(t, time.Date(2026, 2, 28, 16, 0, 0, 0, time.UTC), req.GetAsOf().AsTime())
	require.Equal(t, map[string]any{"project": "P-17", "n": 3.0, "ok": true, "team": map[string]any{"lead": "王五"},
		"tags": []any{"a", "b"}, "empty": ""}, req.GetContext().AsMap())

	o = checkFlags{right: "processing-use", purpose: "TRANSPORT", form: "api"}
	req, err = o.request(testAssetID, orgCode("91110000600037341L"), now)
	require.NoError(t, err)
	require.Nil(t, req.GetContext(), "no context, no struct")
	require.Nil(t, req.GetAsOf(), "now")

	for _, bad := range []struct {
		o    checkFlags
		want string
	}{
		{checkFlags{right: "processing-use", form: "api"}, "--purpose is required"},
		{checkFlags{right: "processing-use", purpose: "TRANSPORT"}, "--form is required"},
		{checkFlags{right: "processing-use", purpose: "TRANSPORT", form: "api", context: []string{"project"}}, "want KEY=VALUE or KEY:=JSON"},
		{checkFlags{right: "processing-use", purpose: "TRANSPORT", form: "api", context: []string{"n:=three"}}, "is not JSON"},
		{checkFlags{right: "processing-use", purpose: "TRANSPORT", form: "api", context: []string{"a..b=1"}}, "empty key"},
		{checkFlags{right: "processing-use", purpose: "TRANSPORT", form: "api", asOf: "soon"}, "--as-of"},
	} {
		_, err := bad.o.request(testAssetID, "91110000600037341L", now)
		require.ErrorContains(t, err, bad.want)
	}
}

func TestTransferRequestFromFlags(t *testing.T) {
	basis := &basisFlags{kind: "authorisation", number: "榕政〔2026〕1号", sha: testSHA}
	req, err := transferRequest(testAssetID, "91310000ma1fl4xq27", "合并", basis)
	require.NoError(t, err)
	require.Equal(t, "assets/"+testAssetID, req.GetAsset())
	require.Equal(t, "91310000MA1FL4XQ27", req.GetToOrganisation())
	require.Equal(t, rightsv1.TransferCause_TRANSFER_CAUSE_MERGER, req.GetCause())
	require.Equal(t, rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_AUTHORISATION, req.GetLegalBasis().GetKind())

	_, err = transferRequest(testAssetID, "", "merger", basis)
	require.ErrorContains(t, err, "--to is required")
	_, err = transferRequest(testAssetID, "91310000MA1FL4XQ27", "", basis)
	require.ErrorContains(t, err, "--cause is required")
	_, err = transferRequest(testAssetID, "91310000MA1FL4XQ27", "gift", basis)
	require.ErrorContains(t, err, "contract (合同), merger (合并), split (分立), dissolution (解散), bankruptcy (破产), law (法定)")
}

func TestListFilterFromFlags(t *testing.T) {
	f := grantFilter{asset: testAssetID, grantor: "91350100m000100y43", right: "加工使用权", states: []string{"active,suspended", "REVOKED"}}
	req, err := f.request()
	require.NoError(t, err)
	require.Equal(t, "assets/"+testAssetID, req.GetAsset())
	require.Equal(t, "91350100M000100Y43", req.GetGrantorOrganisation())
	require.Empty(t, req.GetGranteeOrganisation())
	require.Equal(t, rightsv1.Right_RIGHT_PROCESSING_USE, req.GetRight())
	require.Equal(t, []rightsv1.GrantState{rightsv1.GrantState_GRANT_STATE_ACTIVE, rightsv1.GrantState_GRANT_STATE_SUSPENDED,
		rightsv1.GrantState_GRANT_STATE_REVOKED}, req.GetStates())

	req, err = (&grantFilter{}).request()
	require.NoError(t, err)
	require.Empty(t, req.GetAsset(), "no filter, no asset name")
	_, err = (&grantFilter{states: []string{"pending"}}).request()
	require.ErrorContains(t, err, `--state: "pending" is not one of requested`)
}

func TestPolicyRuleKeepsWhatIsNotGiven(t *testing.T) {
	for in, want := range map[string]string{"IMPORTANT": "GRADE_IMPORTANT", "核心数据": "GRADE_CORE", "grade_general": "GRADE_GENERAL", "一般": "GRADE_GENERAL"} {
		got, err := gradeName(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got)
	}
	_, err := gradeName("secret")
	require.ErrorContains(t, err, "GRADE must be GENERAL (一般数据), IMPORTANT (重要数据) or CORE (核心数据)")

	current := &rightsv1.GradeRule{Grade: "GRADE_IMPORTANT", GrantsAllowed: true,
		ForbiddenDeliveryForms: []rightsv1.DeliveryForm{rightsv1.DeliveryForm_DELIVERY_FORM_RAW_COPY}}
	parse := func(args ...string) (*rightsv1.GradeRule, error) {
		var o policyFlags
		fs := pflag.NewFlagSet("set", pflag.ContinueOnError)
		fs.BoolVar(&o.grantsAllowed, "grants-allowed", true, "")
		fs.StringSliceVar(&o.forbid, "forbid", nil, "")
		require.NoError(t, fs.Parse(args))
		return o.rule("GRADE_IMPORTANT", current, fs)
	}
	r, err := parse("--forbid", "raw-copy,model")
	require.NoError(t, err)
	require.True(t, r.GetGrantsAllowed(), "kept")
	require.Equal(t, []rightsv1.DeliveryForm{rightsv1.DeliveryForm_DELIVERY_FORM_RAW_COPY, rightsv1.DeliveryForm_DELIVERY_FORM_MODEL},
		r.GetForbiddenDeliveryForms())
	r, err = parse("--grants-allowed=false")
	require.NoError(t, err)
	require.False(t, r.GetGrantsAllowed())
	require.Equal(t, current.GetForbiddenDeliveryForms(), r.GetForbiddenDeliveryForms(), "kept")
	r, err = parse("--forbid", "")
	require.NoError(t, err)
	require.Empty(t, r.GetForbiddenDeliveryForms(), "--forbid '' forbids none")
	_, err = parse()
	require.ErrorContains(t, err, "nothing to change")
}

// TestRightsCommandLineMistakes: mistakes are reported before any server is asked (there
// is none here).
func TestRightsCommandLineMistakes(t *testing.T) {
	isolate(t)
	t.Setenv(envAddr, "127.0.0.1:1")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rights", "grant", testAssetID, "--purpose", "TRANSPORT"}, "--to is required"},
		{[]string{"rights", "grant", "--to", "91110000600037341L"}, "takes one asset name (got 0 arguments)"},
		{[]string{"rights", "grant", testAssetID, "--to", "91110000600037341L", "--purpose", "TRANSPORT", "--form", "api",
			"--until", "2027-01-01", "--basis-kind", "contract", "--basis-number", "HT-1"}, "--basis-sha256 HEX or --basis-file PATH"},
		{[]string{"rights", "reject", testGrantID}, "--reason is required"},
		{[]string{"rights", "revoke", testGrantID}, "--reason is required: say why you revoke it"},
		{[]string{"rights", "transfer", testAssetID, "--to", "91310000MA1FL4XQ27"}, "--cause is required"},
		{[]string{"rights", "check", testAssetID, "--org", "91110000600037341L", "--form", "api"}, "--purpose is required"},
		{[]string{"rights", "check", testAssetID, "--purpose", "TRANSPORT", "--form", "api"}, "not logged in"},
		{[]string{"rights", "request", testAssetID, "--purpose", "TRANSPORT"}, "not logged in"},
		{[]string{"rights", "list", "--state", "gone"}, `--state: "gone" is not one of`},
		{[]string{"rights", "holding", testAssetID, "--as-of", "someday"}, "--as-of"},
		{[]string{"rights", "policy", "set", "CORE"}, "nothing to change"},
		{[]string{"rights", "policy", "set", "SECRET", "--grants-allowed=false"}, "GRADE must be"},
		{[]string{"rights", "policy", "show"}, `unknown command "show"`},
		{[]string{"rights", "frobnicate"}, `unknown command "frobnicate" for "yaosuctl rights"`},
	} {
		_, _, err := runCLI(t, context.Background(), tc.args...)
		require.ErrorContains(t, err, tc.want, strings.Join(tc.args, " "))
	}
}

// TestRightsCommandsAreDocumented: every rights command has a summary, a description and
// examples.
func TestRightsCommandsAreDocumented(t *testing.T) {
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		require.NotEmpty(t, c.Short, c.CommandPath())
		require.NotEmpty(t, c.Long, c.CommandPath())
		require.NotEmpty(t, c.Example, c.CommandPath())
		n++
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(rightsCmd(&globals{}))
	require.Equal(t, 18, n, "rights and its 17 commands")
}
