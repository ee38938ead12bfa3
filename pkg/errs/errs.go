// Package errs is the error vocabulary shared by every layer: a Kind that mirrors the gRPC
// status codes a client may act on, a machine-readable reason, and optional field
// violations. Domain and application code return *Error; the gRPC interceptor in
// pkg/grpcserver is the single place that turns it into a status. Anything that is not an
// *Error (driver errors, bugs) becomes INTERNAL there and its text never reaches the client.
package errs

import (
	"cmp"
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller can do about it.
type Kind int

// Kinds, named after the gRPC code they map to.
const (
	KindInternal Kind = iota
	KindInvalidArgument
	KindNotFound
	KindAlreadyExists
	KindFailedPrecondition
	KindPermissionDenied
	KindUnauthenticated
	KindAborted
	KindUnavailable
	KindResourceExhausted
	KindDeadlineExceeded
	// KindDataLoss: stored data is missing or damaged, so the answer cannot be given
	// truthfully (DATA_LOSS); the client cannot fix it, an operator must.
	KindDataLoss
)

var kindNames = [...]string{"internal", "invalid_argument", "not_found", "already_exists",
	"failed_precondition", "permission_denied", "unauthenticated", "aborted", "unavailable",
	"resource_exhausted", "deadline_exceeded", "data_loss"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Platform reasons used outside any one service.
const (
	ReasonValidation      = "VALIDATION_FAILED"
	ReasonUnauthenticated = "UNAUTHENTICATED"
	ReasonForbidden       = "PERMISSION_DENIED"
	ReasonConflict        = "CONCURRENT_MODIFICATION"
	ReasonDuplicate       = "ALREADY_EXISTS"
	ReasonReference       = "REFERENCE_VIOLATION"
	ReasonInternal        = "INTERNAL"
	ReasonUnavailable     = "UNAVAILABLE"
	// ReasonDependencyUnavailable: a store or service the request needs (metadata
	// "dependency" names it) cannot be reached right now; the same request may succeed later.
	ReasonDependencyUnavailable = "DEPENDENCY_UNAVAILABLE"
	// ReasonStatementTimeout: the database cancelled a statement that ran past its timeout.
	ReasonStatementTimeout = "STATEMENT_TIMEOUT"
)

// Retryable reports whether the same request may succeed when sent again unchanged: the
// dependency was down (UNAVAILABLE), a concurrent change won (ABORTED) or time ran out
// (DEADLINE_EXCEEDED). Such an error says nothing about the request itself, so it must
// never be reported as the request's own fault.
func (k Kind) Retryable() bool {
	return k == KindUnavailable || k == KindAborted || k == KindDeadlineExceeded
}

// FieldViolation names one invalid request field by its path (e.g. "asset.display_name").
type FieldViolation struct {
	Field       string
	Description string
	// DescriptionZh is Description in Chinese, for the people of a data office (sent as the
	// violation's zh-CN localized_message).
	DescriptionZh string
}

// Violation is a FieldViolation with its description in English (en) and Chinese (zh).
func Violation(field, en, zh string) FieldViolation {
	return FieldViolation{Field: field, Description: en, DescriptionZh: zh}
}

// Error is a classified error. Message is safe to show to the caller; Err (if any) is the
// cause, kept for logs only.
type Error struct {
	Kind    Kind
	Reason  string
	Message string
	// MessageZh is Message in Chinese (sent as a zh-CN google.rpc.LocalizedMessage).
	MessageZh  string
	Violations []FieldViolation
	Metadata   map[string]string
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Reason, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Reason, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Zh sets the message's Chinese text and returns e, for the people of a data office.
func (e *Error) Zh(format string, args ...any) *Error {
	e.MessageZh = fmt.Sprintf(format, args...)
	return e
}

// New returns an *Error of the given kind and reason.
func New(kind Kind, reason, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Wrap classifies cause; the cause is logged but never sent to the client.
func Wrap(cause error, kind Kind, reason, format string, args ...any) *Error {
	e := New(kind, reason, format, args...)
	e.Err = cause
	return e
}

// InvalidArgument reports bad input fields. Its message, in English and Chinese, names the
// one field or counts them; a violation without Chinese text lends its English.
func InvalidArgument(reason string, violations ...FieldViolation) *Error {
	msg, zh := "invalid request", "请求无效"
	if len(violations) == 1 {
		v := violations[0]
		msg = v.Field + ": " + v.Description
		zh = v.Field + "：" + cmp.Or(v.DescriptionZh, v.Description)
	} else if len(violations) > 1 {
		msg = fmt.Sprintf("invalid request: %d field violations", len(violations))
		zh = fmt.Sprintf("请求无效：%d 处字段错误", len(violations))
	}
	return &Error{Kind: KindInvalidArgument, Reason: reason, Message: msg, MessageZh: zh, Violations: violations}
}

// FailedPrecondition reports a broken business rule; reason names the rule.
func FailedPrecondition(reason, format string, args ...any) *Error {
	return New(KindFailedPrecondition, reason, format, args...)
}

// NotFound reports a missing (or invisible) resource.
func NotFound(reason, format string, args ...any) *Error {
	return New(KindNotFound, reason, format, args...)
}

// PermissionDenied reports an authenticated caller acting outside their rights.
func PermissionDenied(reason, format string, args ...any) *Error {
	return New(KindPermissionDenied, reason, format, args...)
}

// Unauthenticated reports a missing or invalid credential.
func Unauthenticated(format string, args ...any) *Error {
	return New(KindUnauthenticated, ReasonUnauthenticated, format, args...)
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindOf returns the kind of err, KindInternal for unclassified errors.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return KindInternal
}

// ReasonOf returns the reason of err, ReasonInternal for unclassified errors.
func ReasonOf(err error) string {
	if e, ok := As(err); ok {
		return e.Reason
	}
	return ReasonInternal
}
