package grpcserver

import (
	"context"
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/postgres"
)

// ErrorDomain is google.rpc.ErrorInfo.domain on every Yaosu error.
const ErrorDomain = "yaosu.dev"

var kindCodes = map[errs.Kind]codes.Code{
	errs.KindInternal:           codes.Internal,
	errs.KindInvalidArgument:    codes.InvalidArgument,
	errs.KindNotFound:           codes.NotFound,
	errs.KindAlreadyExists:      codes.AlreadyExists,
	errs.KindFailedPrecondition: codes.FailedPrecondition,
	errs.KindPermissionDenied:   codes.PermissionDenied,
	errs.KindUnauthenticated:    codes.Unauthenticated,
	errs.KindAborted:            codes.Aborted,
	errs.KindUnavailable:        codes.Unavailable,
	errs.KindResourceExhausted:  codes.ResourceExhausted,
	errs.KindDeadlineExceeded:   codes.DeadlineExceeded,
	errs.KindDataLoss:           codes.DataLoss,
}

// ToStatus is the single translation point from errors to gRPC statuses. An *errs.Error
// becomes its code with an ErrorInfo (and BadRequest field violations); a database error
// that reached here unclassified (a read that did not go through postgres.MapError, or a
// driver error some layer wrapped as internal) is classified last, so a database that is
// down is UNAVAILABLE wherever the error came from; a context error becomes CANCELED or
// DEADLINE_EXCEEDED; anything else is INTERNAL with a generic message, so driver and
// programming errors never leak to clients.
func ToStatus(err error) *status.Status {
	if err == nil {
		return status.New(codes.OK, "")
	}
	e, ok := errs.As(err)
	if !ok {
		// Already a status (e.g. from grpc itself, or a call to another service passed
		// on). Only when no *errs.Error classifies it: status.FromError would otherwise
		// find a status the error merely wraps (scenario wraps a failed rights call as
		// UNAVAILABLE) and answer with its code and the whole chain's text.
		if s, ok := status.FromError(err); ok {
			return s
		}
	}
	if !ok || e.Kind == errs.KindInternal {
		if c := postgres.Classify(err); c != nil {
			e, ok = c, true
		}
	}
	if !ok {
		switch {
		case errors.Is(err, context.Canceled):
			return status.New(codes.Canceled, "request canceled")
		case errors.Is(err, context.DeadlineExceeded):
			return status.New(codes.DeadlineExceeded, "deadline exceeded")
		}
		e = errs.New(errs.KindInternal, errs.ReasonInternal, "internal error")
	}
	code, ok := kindCodes[e.Kind]
	if !ok {
		code = codes.Internal
	}
	msg := e.Message
	if code == codes.Internal {
		msg = "internal error" // never a cause's text
	}
	s := status.New(code, msg)
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: e.Reason, Domain: ErrorDomain, Metadata: e.Metadata}}
	if e.MessageZh != "" && code != codes.Internal {
		details = append(details, &errdetails.LocalizedMessage{Locale: LocaleZh, Message: e.MessageZh})
	}
	if len(e.Violations) > 0 {
		details = append(details, badRequest(e.Violations))
	}
	if ws, err := s.WithDetails(details...); err == nil {
		s = ws
	}
	return s
}

// LocaleZh is the locale of the Chinese texts: the status's google.rpc.LocalizedMessage and
// each field violation's localized_message. The status message and descriptions stay
// English (for developers, logs and search); the Chinese is what a data office reads.
const LocaleZh = "zh-CN"

// badRequest lists the violations, each with its Chinese text as localized_message. A
// violation without Chinese has none, so a client shows the English rather than a
// Chinese label over English words.
func badRequest(violations []errs.FieldViolation) *errdetails.BadRequest {
	br := &errdetails.BadRequest{FieldViolations: make([]*errdetails.BadRequest_FieldViolation, 0, len(violations))}
	for _, v := range violations {
		fv := &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description}
		if v.DescriptionZh != "" {
			fv.LocalizedMessage = &errdetails.LocalizedMessage{Locale: LocaleZh, Message: v.DescriptionZh}
		}
		br.FieldViolations = append(br.FieldViolations, fv)
	}
	return br
}
