package errs_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
)

func TestInvalidArgumentSaysItInChinese(t *testing.T) {
	t.Parallel()
	e := errs.InvalidArgument("R")
	require.Equal(t, "invalid request", e.Message)
	require.Equal(t, "请求无效", e.MessageZh)

	e = errs.InvalidArgument("R", errs.Violation("asset.display_name", "must not be blank", "不能为空"))
	require.Equal(t, "asset.display_name: must not be blank", e.Message)
	require.Equal(t, "asset.display_name：不能为空", e.MessageZh)
	require.Equal(t, errs.FieldViolation{Field: "asset.display_name", Description: "must not be blank", DescriptionZh: "不能为空"},
		e.Violations[0])

	// A violation without Chinese lends its English rather than leave the message empty.
	e = errs.InvalidArgument("R", errs.FieldViolation{Field: "f", Description: "bad"})
	require.Equal(t, "f：bad", e.MessageZh)

	e = errs.InvalidArgument("R", errs.Violation("a", "x", "甲"), errs.Violation("b", "y", "乙"))
	require.Equal(t, "invalid request: 2 field violations", e.Message)
	require.Equal(t, "请求无效：2 处字段错误", e.MessageZh)
}

func TestZhSetsTheChineseMessage(t *testing.T) {
	t.Parallel()
	e := errs.FailedPrecondition("RULE", "asset %s is suspended", "assets/1").Zh("登记对象 %s 已暂停", "assets/1")
	require.Equal(t, "asset assets/1 is suspended", e.Message)
	require.Equal(t, "登记对象 assets/1 已暂停", e.MessageZh)
}
