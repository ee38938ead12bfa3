package grpcserver_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	validatepb "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "yaosu.dev/gen/go/yaosu/audit/v1"
	_ "yaosu.dev/gen/go/yaosu/catalog/v1"
	_ "yaosu.dev/gen/go/yaosu/events/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	_ "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/grpcserver"
)

// localized is the status's zh-CN google.rpc.LocalizedMessage ("" if it has none).
func localized(t *testing.T, st *status.Status) string {
	t.Helper()
	for _, d := range st.Details() {
		if lm, ok := d.(*errdetails.LocalizedMessage); ok {
			require.Equal(t, grpcserver.LocaleZh, lm.GetLocale())
			return lm.GetMessage()
		}
	}
	return ""
}

// regexSyntax is what would betray a regular expression in a message.
var regexSyntax = []string{"^", "$", "[0-9", "]{", "{0,", `\d`, "(?", "|", "regex", "[A-", "[a-"}

func requireHumanText(t *testing.T, where string, txt grpcserver.Text) {
	t.Helper()
	require.NotEmpty(t, txt.En, where)
	require.NotEmpty(t, txt.Zh, where)
	for _, s := range regexSyntax {
		require.NotContains(t, txt.En, s, "%s: %q", where, txt.En)
		require.NotContains(t, txt.Zh, s, "%s: %q", where, txt.Zh)
	}
	require.True(t, strings.IndexFunc(txt.Zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0,
		"%s: the Chinese text has no Chinese: %q", where, txt.Zh)
}

// usedRule is one buf.validate rule on one field of proto/yaosu.
type usedRule struct {
	field protoreflect.FieldDescriptor
	id    string
}

// usedRules walks every message of the yaosu.* packages linked into this test and lists
// each field's buf.validate rules by the ids protovalidate reports them with: the ids of
// a standard rule's CEL expressions (buf.validate.predefined), or type.rule for the rules
// protovalidate checks natively (enum.defined_only).
func usedRules(t *testing.T) []usedRule {
	t.Helper()
	var out []usedRule
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		for i := range md.Fields().Len() {
			fd := md.Fields().Get(i)
			r, _ := proto.GetExtension(fd.Options(), validatepb.E_Field).(*validatepb.FieldRules)
			for _, id := range ruleIDs(r) {
				out = append(out, usedRule{fd, id})
			}
		}
		for i := range md.Messages().Len() {
			walk(md.Messages().Get(i))
		}
	}
	protoregistry.GlobalFiles.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(string(f.Package()), "yaosu.") {
			for i := range f.Messages().Len() {
				walk(f.Messages().Get(i))
			}
		}
		return true
	})
	require.NotEmpty(t, out)
	return out
}

func ruleIDs(r *validatepb.FieldRules) []string {
	if r == nil {
		return nil
	}
	var ids []string
	if r.GetRequired() {
		ids = append(ids, "required")
	}
	m := r.ProtoReflect()
	which := m.WhichOneof(m.Descriptor().Oneofs().ByName("type"))
	if which == nil {
		return ids
	}
	kind := string(which.Name())
	m.Get(which).Message().Range(func(rfd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch rfd.Name() {
		case "items", "keys", "values":
			ids = append(ids, ruleIDs(v.Message().Interface().(*validatepb.FieldRules))...)
			return true
		case "example":
			return true
		}
		pre, _ := proto.GetExtension(rfd.Options(), validatepb.E_Predefined).(*validatepb.PredefinedRules)
		if len(pre.GetCel()) == 0 {
			ids = append(ids, kind+"."+string(rfd.Name()))
		}
		for _, c := range pre.GetCel() {
			ids = append(ids, c.GetId())
		}
		return true
	})
	return ids
}

// TestEveryRuleHasText: every buf.validate rule used in proto/yaosu, on every field it is
// used on, has its own words in English and Chinese, and none shows a regular expression.
// A new rule, or a new pattern, fails here until it is described in texts.go.
func TestEveryRuleHasText(t *testing.T) {
	t.Parallel()
	ids := map[string]int{}
	for _, u := range usedRules(t) {
		where := string(u.field.FullName()) + " " + u.id
		txt, ok := grpcserver.Describe(u.field, u.id)
		require.True(t, ok, "%s has no text of its own (add it to texts.go): %+v", where, txt)
		requireHumanText(t, where, txt)
		ids[u.id]++
	}
	// The walk found what the protos hold (a walk that finds nothing proves nothing).
	for _, id := range []string{"required", "string.pattern", "string.max_len", "string.min_len", "string.uuid",
		"repeated.max_items", "repeated.min_items", "enum.defined_only", "enum.not_in", "enum.in", "int64.gte",
		"int32.gte_lte", "uint64.gte", "double.gte"} {
		require.Positive(t, ids[id], id)
	}
}

func field(t *testing.T, name protoreflect.FullName) protoreflect.FieldDescriptor {
	t.Helper()
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	require.NoError(t, err)
	return d.(protoreflect.FieldDescriptor)
}

func TestDescribeSaysWhatAValueLooksLike(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		field  protoreflect.FullName
		rule   string
		en, zh string
	}{
		{"yaosu.rights.v1.CheckRequest.organisation", "string.pattern",
			"must be an 18-character unified social credit code (digits and capital letters, no I, O, S, V, Z), e.g. 91350100M000100Y43",
			"应为18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z），如 91350100M000100Y43"},
		{"yaosu.catalog.v1.Asset.holder_organisation", "string.pattern",
			"must be empty or an 18-character unified social credit code (digits and capital letters, no I, O, S, V, Z), e.g. 91350100M000100Y43",
			"应留空，或为18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z），如 91350100M000100Y43"},
		{"yaosu.rights.v1.CheckRequest.region", "string.pattern",
			"must be empty or an administrative division code of 2, 4 or 6 digits (province, city or county), e.g. 35, 3501, 350102",
			"应留空，或为2、4或6位行政区划代码（省、市或县），如 35、3501、350102"},
		{"yaosu.rights.v1.CheckRequest.asset", "string.pattern",
			"must be an asset name, assets/{uuid} with each {uuid} a lowercase UUID, e.g. assets/0192a6f0-0000-7000-8000-000000000000",
			"应为登记对象名称，格式 assets/{uuid}（{uuid} 为小写 UUID），如 assets/0192a6f0-0000-7000-8000-000000000000"},
		{"yaosu.rights.v1.CheckRequest.purpose", "string.max_len", "must be at most 40 characters", "不能超过40个字符"},
		{"yaosu.rights.v1.CheckRequest.right", "enum.not_in",
			"must be set to one of: RIGHT_HOLDING, RIGHT_PROCESSING_USE, RIGHT_PRODUCT_OPERATION",
			"必须选择以下之一：RIGHT_HOLDING、RIGHT_PROCESSING_USE、RIGHT_PRODUCT_OPERATION"},
		{"yaosu.rights.v1.Grant.sublicense_depth", "int32.gte_lte", "must be at least 0 and at most 5", "应不小于0且不大于5"},
		{"yaosu.rights.v1.BatchCheckRequest.checks", "repeated.min_items", "must have at least 1 item(s)", "至少应有1项"},
	} {
		got, ok := grpcserver.Describe(field(t, c.field), c.rule)
		require.True(t, ok, c.field)
		require.Equal(t, grpcserver.Text{En: c.en, Zh: c.zh}, got, c.field)
	}
	// An unknown pattern never shows itself.
	got, ok := grpcserver.Describe(field(t, "yaosu.catalog.v1.Asset.summary"), "string.pattern")
	require.False(t, ok)
	require.Equal(t, grpcserver.Text{En: "has the wrong format", Zh: "格式不正确"}, got)
}

func TestRegisteredFieldTextWins(t *testing.T) {
	t.Parallel()
	const name = "yaosu.rights.v1.GradeRule.grade"
	want := grpcserver.Text{En: "must name a grade of GB/T 43697", Zh: "应为 GB/T 43697 的数据级别"}
	grpcserver.RegisterFieldText(name, "string.pattern", want)
	got, ok := grpcserver.Describe(field(t, name), "string.pattern")
	require.True(t, ok)
	require.Equal(t, want, got)
}

// TestViolationsAreHumanInBothLanguages: a request that breaks a pattern, an enum rule
// and a length is refused in words, never with protovalidate's regex.
func TestViolationsAreHumanInBothLanguages(t *testing.T) {
	t.Parallel()
	vs, err := grpcserver.Violations(&rightsv1.CheckRequest{Organisation: "9135O100M000100Y43",
		Asset: "assets/x", Purpose: strings.Repeat("交", 41), DeliveryForm: 42, Region: "350"})
	require.NoError(t, err)
	byField := map[string]errs.FieldViolation{}
	for _, v := range vs {
		requireHumanText(t, v.Field, grpcserver.Text{En: v.Description, Zh: v.DescriptionZh})
		byField[v.Field] = v
	}
	require.Equal(t, "应为18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z），如 91350100M000100Y43",
		byField["organisation"].DescriptionZh)
	require.Contains(t, byField["delivery_form"].Description, "must be one of: DELIVERY_FORM_")
	require.Equal(t, "不能超过40个字符", byField["purpose"].DescriptionZh)
	require.Contains(t, byField, "right")
	require.Contains(t, byField, "asset")
	require.Contains(t, byField, "region")
}

func TestToStatusSendsChinese(t *testing.T) {
	t.Parallel()
	err := errs.InvalidArgument(errs.ReasonValidation,
		errs.Violation("asset.display_name", "must not be blank", "不能为空"),
		errs.FieldViolation{Field: "asset.summary", Description: "too long"})
	st := grpcserver.ToStatus(err)
	require.Equal(t, codes.InvalidArgument, st.Code())
	require.Equal(t, "invalid request: 2 field violations", st.Message())
	require.Equal(t, "请求无效：2 处字段错误", localized(t, st))
	var br *errdetails.BadRequest
	for _, d := range st.Details() {
		if b, ok := d.(*errdetails.BadRequest); ok {
			br = b
		}
	}
	require.NotNil(t, br)
	fv := br.GetFieldViolations()
	require.Equal(t, "must not be blank", fv[0].GetDescription())
	require.Equal(t, "zh-CN", fv[0].GetLocalizedMessage().GetLocale())
	require.Equal(t, "不能为空", fv[0].GetLocalizedMessage().GetMessage())
	require.Nil(t, fv[1].GetLocalizedMessage(), "no Chinese: no Chinese label over English words")

	// One violation: the field and its Chinese text; without Chinese, its English.
	require.Equal(t, "asset.display_name：不能为空",
		localized(t, grpcserver.ToStatus(errs.InvalidArgument("R", errs.Violation("asset.display_name", "must not be blank", "不能为空")))))
	require.Equal(t, "asset.summary：too long",
		localized(t, grpcserver.ToStatus(errs.InvalidArgument("R", errs.FieldViolation{Field: "asset.summary", Description: "too long"}))))

	// Other kinds carry Chinese when it is given; an internal error never does.
	st = grpcserver.ToStatus(errs.FailedPrecondition("RULE", "broken").Zh("违反规则"))
	require.Equal(t, "违反规则", localized(t, st))
	e := errs.New(errs.KindInternal, errs.ReasonInternal, "secret").Zh("秘密")
	require.Empty(t, localized(t, grpcserver.ToStatus(e)))
	require.Empty(t, localized(t, grpcserver.ToStatus(errors.New("driver said x"))))
}
