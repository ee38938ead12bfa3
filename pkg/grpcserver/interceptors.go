package grpcserver

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"time"

	"buf.build/go/protovalidate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
)

// publicMethodPrefixes need no principal: health checks only, which load balancers and
// kubelets call without credentials. Reflection needs one: the full API surface (every
// method and message) is a map for whoever probes the port, and people with a token lose
// nothing (grpcurl -H 'authorization: Bearer ...').
var publicMethodPrefixes = []string{
	"/grpc.health.v1.Health/",
}

func isPublic(fullMethod string) bool {
	for _, p := range publicMethodPrefixes {
		if strings.HasPrefix(fullMethod, p) {
			return true
		}
	}
	return false
}

// observe translates err, the outcome of a call that started at start (the one
// translation point), and writes one log line (the logger's handler adds trace_id):
// client mistakes at warn, server faults at error with the cause that the client never
// sees. o (nil: defaults) may sample the lines of successful calls. Nothing is built for
// a line the logger would drop.
func observe(ctx context.Context, log *slog.Logger, method string, o *MethodOptions, start time.Time, who *auth.Principal, err error) error {
	code := codes.OK
	var st *status.Status
	if err != nil {
		st = ToStatus(err)
		code = st.Code()
	}
	level := slog.LevelInfo
	switch code {
	case codes.OK:
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unavailable:
		level = slog.LevelError
	default:
		level = slog.LevelWarn
	}
	sample := 0
	if err == nil && o != nil && o.LogEvery > 1 {
		if rand.IntN(o.LogEvery) == 0 {
			sample = o.LogEvery
		} else {
			level = slog.LevelDebug
		}
	}
	if log.Enabled(ctx, level) {
		attrs := make([]slog.Attr, 0, 8)
		attrs = append(attrs,
			slog.String("grpc_method", method),
			slog.String("grpc_code", code.String()),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		)
		if who.Subject != "" {
			attrs = append(attrs, slog.String("principal", who.Subject), slog.String("organisation", who.Organisation))
		}
		if sample > 0 {
			attrs = append(attrs, slog.Int("log_sample", sample))
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
			if reason := errs.ReasonOf(err); reason != errs.ReasonInternal || code == codes.Internal {
				attrs = append(attrs, slog.String("reason", reason))
			}
		}
		log.LogAttrs(ctx, level, "rpc", attrs...)
	}
	if err == nil {
		return nil
	}
	return st.Err()
}

// panicError is the INTERNAL error a panic in a handler becomes (logged with its stack).
func panicError(r any) error {
	err := errs.New(errs.KindInternal, errs.ReasonInternal, "panic: %v\n%s", r, debug.Stack())
	err.Err = fmt.Errorf("panic: %v", r)
	return err
}

// authenticate returns ctx with the caller's principal, from `authorization: Bearer ...`,
// and records the principal in who for the log line.
func authenticate(ctx context.Context, v auth.Verifier, method string, who *auth.Principal) (context.Context, error) {
	if isPublic(method) {
		return ctx, nil
	}
	// ValueFromIncomingContext reads the one key without copying the whole metadata map,
	// which showed up in the rights Check profile.
	values := metadata.ValueFromIncomingContext(ctx, "authorization")
	if len(values) == 0 {
		return ctx, errs.Unauthenticated("missing bearer token")
	}
	token, ok := strings.CutPrefix(values[0], "Bearer ")
	if !ok {
		token, ok = strings.CutPrefix(values[0], "bearer ")
	}
	if !ok || token == "" {
		return ctx, errs.Unauthenticated("authorization metadata must be `Bearer <token>`")
	}
	p, err := v.Verify(ctx, token)
	if err != nil {
		return ctx, err
	}
	*who = p
	return auth.WithPrincipal(ctx, p), nil
}

// validate checks req against its buf.validate rules.
func validate(v protovalidate.Validator, req any) error {
	msg, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	violations, err := violationsOf(v, msg)
	if err != nil {
		return err
	}
	if len(violations) == 0 {
		return nil
	}
	return errs.InvalidArgument(errs.ReasonValidation, violations...)
}

// Violations checks msg against its buf.validate rules and returns its faults (nil when
// it is valid), each in English and Chinese as the interceptor reports them. Handlers that
// validate parts of a request on their own (an import's rows, each judged alone) use it,
// so that their faults read as any request's do.
func Violations(msg proto.Message) ([]errs.FieldViolation, error) {
	return violationsOf(protovalidate.GlobalValidator, msg)
}

func violationsOf(v protovalidate.Validator, msg proto.Message) ([]errs.FieldViolation, error) {
	nul := nulViolations(msg.ProtoReflect(), "", nil)
	err := v.Validate(msg)
	if err == nil {
		return nul, nil
	}
	verr, ok := err.(*protovalidate.ValidationError)
	if !ok {
		return nil, errs.Wrap(err, errs.KindInternal, errs.ReasonInternal, "request validation failed to run")
	}
	violations := make([]errs.FieldViolation, 0, len(verr.Violations)+len(nul))
	for _, viol := range verr.Violations {
		violations = append(violations, violation(viol))
	}
	return append(violations, nul...), nil
}

// nulViolations reports every string field of m (at any depth) holding a NUL character.
// Postgres stores no NUL in text or jsonb, so such a value would fail its transaction as
// an internal error (for an import, the whole batch) instead of being refused as input; no
// buf.validate rule says it for every field, so the platform does.
func nulViolations(m protoreflect.Message, prefix string, out []errs.FieldViolation) []errs.FieldViolation {
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		path := prefix + string(f.Name())
		switch {
		case f.IsMap():
			return true // no request of ours has one
		case f.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				p := fmt.Sprintf("%s[%d]", path, i)
				if f.Kind() == protoreflect.MessageKind {
					out = nulViolations(l.Get(i).Message(), p+".", out)
				} else if f.Kind() == protoreflect.StringKind && strings.ContainsRune(l.Get(i).String(), 0) {
					out = append(out, nulViolation(p))
				}
			}
		case f.Kind() == protoreflect.MessageKind:
			out = nulViolations(v.Message(), path+".", out)
		case f.Kind() == protoreflect.StringKind && strings.ContainsRune(v.String(), 0):
			out = append(out, nulViolation(path))
		}
		return true
	})
	return out
}

func nulViolation(path string) errs.FieldViolation {
	return errs.Violation(path, "must not contain a NUL character (U+0000)", "不能包含空字符（U+0000）")
}

// violation is viol in words a person understands, in English and Chinese (Describe):
// never protovalidate's own message, which for a pattern is the regular expression.
func violation(viol *protovalidate.Violation) errs.FieldViolation {
	t, ok := Describe(viol.FieldDescriptor, viol.Proto.GetRuleId())
	if !ok && viol.Proto.GetRuleId() != "string.pattern" && viol.Proto.GetMessage() != "" {
		t.En = viol.Proto.GetMessage() // a custom (CEL) rule's own words, better than none
	}
	return errs.Violation(protovalidate.FieldPathString(viol.Proto.GetField()), t.En, t.Zh)
}

// The interceptors run their steps in plain calls rather than in closures, so that the
// principal recorded for the log line stays on the stack: a Check's own work is a few
// microseconds, and each allocation around it counts.

func unaryInterceptor(log *slog.Logger, verifier auth.Verifier, validator protovalidate.Validator, methods *methodTable, codec *codec) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		o := methods.get(info.FullMethod)
		start := time.Now()
		var who auth.Principal
		// Taken first, so the codec forgets the request whatever happens next.
		decodeErr := codec.decodeError(req)
		resp, err := unary(ctx, verifier, validator, o, &who, decodeErr, req, info, handler)
		return resp, observe(ctx, log, info.FullMethod, o, start, &who, err)
	}
}

// unary authenticates the call into who, refuses a request that could not be decoded
// (decodeErr), validates req and runs the handler; a panic becomes an INTERNAL error.
func unary(ctx context.Context, verifier auth.Verifier, validator protovalidate.Validator, o *MethodOptions, who *auth.Principal,
	decodeErr error, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, panicError(r)
		}
	}()
	ctx, err = authenticate(ctx, verifier, info.FullMethod, who)
	if err != nil {
		return nil, err
	}
	if decodeErr != nil {
		return nil, decodeErr
	}
	if err := validateWith(validator, o, req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// wrappedStream carries the authenticated context and refuses or validates every
// received message.
type wrappedStream struct {
	grpc.ServerStream
	ctx       context.Context
	validator protovalidate.Validator
	opts      *MethodOptions
	codec     *codec
}

func (s *wrappedStream) Context() context.Context { return s.ctx }

func (s *wrappedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if err := s.codec.decodeError(m); err != nil {
		return ToStatus(err).Err()
	}
	if err := validateWith(s.validator, s.opts, m); err != nil {
		return ToStatus(err).Err()
	}
	return nil
}

func streamInterceptor(log *slog.Logger, verifier auth.Verifier, validator protovalidate.Validator, methods *methodTable, codec *codec) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		o := methods.get(info.FullMethod)
		start := time.Now()
		var who auth.Principal
		err := stream(srv, ss, verifier, validator, o, codec, &who, info, handler)
		return observe(ss.Context(), log, info.FullMethod, o, start, &who, err)
	}
}

// stream is unary's counterpart for streams: every received message is validated.
func stream(srv any, ss grpc.ServerStream, verifier auth.Verifier, validator protovalidate.Validator, o *MethodOptions,
	codec *codec, who *auth.Principal, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(r)
		}
	}()
	ctx, err := authenticate(ss.Context(), verifier, info.FullMethod, who)
	if err != nil {
		return err
	}
	return handler(srv, &wrappedStream{ServerStream: ss, ctx: ctx, validator: validator, opts: o, codec: codec})
}
