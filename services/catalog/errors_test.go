package catalog_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

// zhOf is err's zh-CN status message and each violated field's description in English and
// zh-CN, as a client of the API sees them.
func zhOf(t *testing.T, err error) (msgZh string, en, zh map[string]string) {
	t.Helper()
	st, ok := status.FromError(err)
	require.True(t, ok, "not a status: %v", err)
	en, zh = map[string]string{}, map[string]string{}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.LocalizedMessage:
			require.Equal(t, "zh-CN", d.GetLocale())
			msgZh = d.GetMessage()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				en[v.GetField()] = v.GetDescription()
				if lm := v.GetLocalizedMessage(); lm != nil {
					require.Equal(t, "zh-CN", lm.GetLocale())
					zh[v.GetField()] = lm.GetMessage()
				}
			}
		}
	}
	return msgZh, en, zh
}

func requireNoRegex(t *testing.T, s string) {
	t.Helper()
	for _, bad := range []string{"^", "$", "[0-9", "]{", "regex"} {
		require.NotContains(t, s, bad)
	}
}

// TestInvalidArgumentInTwoLanguages: regression for issue 13, where a holder code that
// failed the field pattern came back as `does not match regex pattern "^[0-9A-HJ-...$"`.
// The refusal says what a good value is, in English and in Chinese, and never the regex.
func TestInvalidArgumentInTwoLanguages(t *testing.T) {
	h := newHarness(t)
	who := h.actors()

	// Letter O where a digit must be: the request's own rules (the interceptor) refuse it.
	a := completeAsset(orgA, "错误代码")
	a.HolderOrganisation = "9135O100M000100Y43"
	_, err := h.client.CreateAsset(who.registrar, &catalogv1.CreateAssetRequest{Asset: a})
	requireStatus(t, err, codes.InvalidArgument, "VALIDATION_FAILED")
	msgZh, en, zh := zhOf(t, err)
	require.Equal(t, "must be the holder's 18-character unified social credit code (digits and capital letters, no I, O, S, V, Z), e.g. 91350100M000100Y43",
		en["asset.holder_organisation"])
	require.Equal(t, "应为持有单位的18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z），如 91350100M000100Y43",
		zh["asset.holder_organisation"])
	require.Equal(t, "asset.holder_organisation：应为持有单位的18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z），如 91350100M000100Y43", msgZh)
	requireNoRegex(t, status.Convert(err).Message())

	// Several faults of the request's rules: each in both languages, none a regex.
	a = completeAsset(orgA, strings.Repeat("名", 201))
	a.CoverageStart, a.Catalogue.ResourceCode, a.Evidence[0].Sha256 = "2024/01/01", "101001 000123", "abc"
	_, err = h.client.CreateAsset(who.registrar, &catalogv1.CreateAssetRequest{Asset: a})
	requireStatus(t, err, codes.InvalidArgument, "VALIDATION_FAILED")
	msgZh, en, zh = zhOf(t, err)
	require.Equal(t, "请求无效：4 处字段错误", msgZh)
	require.Len(t, en, 4)
	for field, desc := range en {
		requireNoRegex(t, desc)
		require.NotEmpty(t, zh[field], field)
		requireNoRegex(t, zh[field])
	}
	require.Equal(t, "应留空，或为信息资源代码：分类代码后接 /、. 或 - 及顺序码，如 101001/000123", zh["asset.catalogue.resource_code"])
	require.Equal(t, "应留空，或为日期，格式为 年-月-日（YYYY-MM-DD），如 2026-03-01", zh["asset.coverage_start"])

	// A rule of the domain (the check digit): the same two languages.
	a = completeAsset(orgA, "校验码")
	a.HolderOrganisation = "91350100M000100Y44"
	_, err = h.client.CreateAsset(who.registrar, &catalogv1.CreateAssetRequest{Asset: a})
	_, en, zh = zhOf(t, err)
	require.Equal(t, "not a valid unified social credit code (GB 32100 check digit)", en["asset.holder_organisation"])
	require.Equal(t, "不是有效的统一社会信用代码（GB 32100 校验码不符）", zh["asset.holder_organisation"])
}
