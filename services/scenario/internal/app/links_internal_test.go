package app

import (
	"errors"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/scenario/internal/domain"
)

// TestRightsErrorKeepsTheRightsServicesRefusals: a refusal by the rights service reaches
// the caller as that refusal, not as UNAVAILABLE "retry" (which made clients retry a
// PERMISSION_DENIED forever); only a rights service that could not answer is UNAVAILABLE.
func TestRightsErrorKeepsTheRightsServicesRefusals(t *testing.T) {
	cases := []struct {
		err    error
		kind   errs.Kind
		reason string
	}{
		{status.Error(codes.PermissionDenied, "check needs the service role"), errs.KindPermissionDenied, domain.ReasonRightsRefused},
		{status.Error(codes.Unauthenticated, "token expired"), errs.KindUnauthenticated, domain.ReasonRightsRefused},
		{status.Error(codes.NotFound, "grants/x not found"), errs.KindNotFound, domain.ReasonRightsRefused},
		{status.Error(codes.InvalidArgument, "bad asset"), errs.KindInvalidArgument, domain.ReasonRightsRefused},
		{status.Error(codes.FailedPrecondition, "revoked"), errs.KindFailedPrecondition, domain.ReasonRightsRefused},
		{status.Error(codes.Unavailable, "connection refused"), errs.KindUnavailable, domain.ReasonRightsUnavailable},
		{status.Error(codes.DeadlineExceeded, "slow"), errs.KindUnavailable, domain.ReasonRightsUnavailable},
		{status.Error(codes.Internal, "boom"), errs.KindUnavailable, domain.ReasonRightsUnavailable},
		{errors.New("not a status"), errs.KindUnavailable, domain.ReasonRightsUnavailable},
	}
	for _, c := range cases {
		e, ok := errs.As(rightsError(c.err, "retry"))
		if !ok || e.Kind != c.kind || e.Reason != c.reason {
			t.Errorf("%v: got %+v, want %s %s", c.err, e, c.kind, c.reason)
		}
	}
	e, _ := errs.As(rightsError(status.Error(codes.PermissionDenied, "check needs the service role"), "retry"))
	if e.Message != "rights service: check needs the service role" {
		t.Errorf("message %q does not pass the refusal on", e.Message)
	}
}

// The rights service's Chinese text travels with its refusal.
func TestRightsErrorKeepsTheChinese(t *testing.T) {
	st, err := status.New(codes.InvalidArgument, "asset: must be an asset name").WithDetails(
		&errdetails.LocalizedMessage{Locale: "zh-CN", Message: "asset：应为登记对象名称"})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := errs.As(rightsError(st.Err(), "retry"))
	if e.MessageZh != "权益服务：asset：应为登记对象名称" {
		t.Errorf("Chinese message %q", e.MessageZh)
	}
	e, _ = errs.As(rightsError(status.Error(codes.InvalidArgument, "bad"), "retry"))
	if e.MessageZh != "" {
		t.Errorf("no Chinese was sent, yet %q", e.MessageZh)
	}
}
