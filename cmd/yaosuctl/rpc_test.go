package main

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestFormatStatusWithDetails(t *testing.T) {
	st, err := status.New(codes.InvalidArgument, "invalid asset").WithDetails(
		&errdetails.ErrorInfo{
			Reason:   "ERROR_REASON_INVALID_ORGANISATION_CODE",
			Domain:   "yaosu.dev",
			Metadata: map[string]string{"organisation": "91350100M000100Y44", "check": "digit"},
		},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: "asset.display_name", Description: "value length must be at least 1 characters", Reason: "string.min_len"},
			{Field: "request_id", Description: "value must be a valid UUID"},
		}},
	)
	require.NoError(t, err)

	require.Equal(t, "INVALID_ARGUMENT: invalid asset\n"+
		"  reason: ERROR_REASON_INVALID_ORGANISATION_CODE (domain yaosu.dev)\n"+
		"  check: digit\n"+
		"  organisation: 91350100M000100Y44\n"+
		"  field asset.display_name: value length must be at least 1 characters [string.min_len]\n"+
		"  field request_id: value must be a valid UUID",
		formatStatus(st))
}

func TestFormatStatusPlain(t *testing.T) {
	require.Equal(t, "NOT_FOUND: asset not found", formatStatus(status.New(codes.NotFound, "asset not found")))
	require.Equal(t, "CANCELLED: stop", formatStatus(status.New(codes.Canceled, "stop")))
}

func TestRPCFailedKeepsStatusAndAddsHint(t *testing.T) {
	g := &globals{addr: "127.0.0.1:1"}
	err := g.rpcFailed(status.Error(codes.Unavailable, "connection refused"))
	require.Equal(t, codes.Unavailable, status.Code(err))
	require.EqualError(t, err, "UNAVAILABLE: connection refused\n"+
		"hint: is the server running at 127.0.0.1:1? Start it with `make run`, or set --addr / $YAOSU_ADDR")

	plain := errors.New("not an rpc error")
	require.Same(t, plain, g.rpcFailed(plain))
}

// A server restarting (or whose database restarts) answers UNAVAILABLE; the CLI sends the
// same request again, with the same request id, so the create happens once.
func TestCLIRetriesUnavailableWithTheSameRequestID(t *testing.T) {
	isolate(t)
	down := status.Error(codes.Unavailable, "the database is unavailable, retry shortly (数据库暂时不可用，请稍后重试)")
	f := &fakeCatalog{failNext: []error{down, down}}
	addr := startFake(t, f)
	t.Setenv(envToken, mintFor(t, "zhang.wei@dev"))
	t.Setenv(envAddr, addr)

	out, _, err := runCLI(t, context.Background(), "asset", "create", "--name", "城市道路交通流量数据")
	require.NoError(t, err)
	require.Contains(t, out, "NAME          assets/0198c6f2-7a4e-7b61-9f0e-2d1c3b4a5e6f\n")
	require.Len(t, f.attempts, 3, "two refusals, then success")
	rid := f.attempts[0].GetRequestId()
	require.NotEmpty(t, rid)
	for _, a := range f.attempts {
		require.Equal(t, rid, a.GetRequestId(), "every attempt is the same request")
		require.Equal(t, "城市道路交通流量数据", a.GetAsset().GetDisplayName())
	}
	require.Len(t, f.creates, 1, "created once")

	// Not retried: a refusal that is the request's own (or a conflict to re-read).
	f.failNext = []error{status.Error(codes.FailedPrecondition, "rule")}
	_, _, err = runCLI(t, context.Background(), "asset", "create", "--name", "x")
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
	require.Len(t, f.attempts, 4)
}

// invalidHolder is the status the server sends for a holder code that breaks the field's
// pattern (pkg/grpcserver.ToStatus): English message and descriptions, zh-CN beside them.
func invalidHolder(t *testing.T) error {
	t.Helper()
	const en = "must be the holder's 18-character unified social credit code (digits and capital letters, no I, O, S, V, Z), e.g. 91350100M000100Y43"
	const zh = "应为持有单位的18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z），如 91350100M000100Y43"
	st, err := status.New(codes.InvalidArgument, "asset.holder_organisation: "+en).WithDetails(
		&errdetails.ErrorInfo{Reason: "VALIDATION_FAILED", Domain: "yaosu.dev"},
		&errdetails.LocalizedMessage{Locale: "zh-CN", Message: "asset.holder_organisation：" + zh},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: "asset.holder_organisation", Description: en,
				LocalizedMessage: &errdetails.LocalizedMessage{Locale: "zh-CN", Message: zh}},
		}},
	)
	require.NoError(t, err)
	return st.Err()
}

func TestFormatStatusInTwoLanguages(t *testing.T) {
	st := status.Convert(invalidHolder(t))
	require.Equal(t, "INVALID_ARGUMENT: asset.holder_organisation：应为持有单位的18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z），如 91350100M000100Y43"+
		" (asset.holder_organisation: must be the holder's 18-character unified social credit code (digits and capital letters, no I, O, S, V, Z), e.g. 91350100M000100Y43)\n"+
		"  reason: VALIDATION_FAILED (domain yaosu.dev)\n"+
		"  field asset.holder_organisation: 应为持有单位的18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z），如 91350100M000100Y43"+
		" (must be the holder's 18-character unified social credit code (digits and capital letters, no I, O, S, V, Z), e.g. 91350100M000100Y43)",
		formatStatus(st))

	// Another locale is still shown on its own line.
	other, err := status.New(codes.FailedPrecondition, "rule").WithDetails(&errdetails.LocalizedMessage{Locale: "fr-FR", Message: "règle"})
	require.NoError(t, err)
	require.Equal(t, "FAILED_PRECONDITION: rule\n  fr-FR: règle", formatStatus(other))
}

// The CLI shows a refusal in Chinese and English, for the message and each field.
func TestCLIPrintsRefusalInBothLanguages(t *testing.T) {
	isolate(t)
	f := &fakeCatalog{failNext: []error{invalidHolder(t)}}
	t.Setenv(envToken, mintFor(t, "zhang.wei@dev"))
	t.Setenv(envAddr, startFake(t, f))

	_, _, err := runCLI(t, context.Background(), "asset", "create", "--name", "城市道路交通流量数据")
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	require.Contains(t, err.Error(), "INVALID_ARGUMENT: asset.holder_organisation：应为持有单位的18位统一社会信用代码")
	require.Contains(t, err.Error(), "\n  field asset.holder_organisation: 应为持有单位的18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z），如 91350100M000100Y43"+
		" (must be the holder's 18-character unified social credit code")
}
