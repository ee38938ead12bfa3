package grpcserver

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"

	"buf.build/go/protovalidate"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

	"yaosu.dev/pkg/errs"
)

// MethodOptions lighten the platform's per-call work for a method called thousands of
// times a second, whose own work is a few microseconds (the rights service's Check):
// there protovalidate, a recorded span and a log line per call cost more than the answer.
// The zero value is what every method gets: protovalidate, one log line per call at info,
// every call traced as the tracer provider's sampler decides.
type MethodOptions struct {
	// Validate, if set, replaces protovalidate for the method's requests (and a stream's
	// messages): a hand-written form of the same buf.validate rules that returns the
	// violations protovalidate would, with its field paths and messages, in its order;
	// nil when the request is valid. Hold it to that with a test against protovalidate.
	Validate func(req any) []errs.FieldViolation
	// LogEvery > 1 logs one in LogEvery successful calls, chosen at random, at info (the
	// line carries log_sample = LogEvery, the number of calls it stands for) and the others
	// at debug. Failed calls are logged as any method's are.
	LogEvery int
	// TraceEvery > 1 records one in TraceEvery of the calls that begin a trace (the caller
	// sent no trace context), chosen at random; the others get a trace and span id, which
	// their log lines carry and which propagate (unsampled), but record no span. A call
	// within a caller's trace follows the caller's sampling decision, as it would without
	// the option (parent-based).
	TraceEvery int
}

// SetMethodOptions sets the options of fullMethod ("/package.Service/Method"). Services
// call it when they register, before the server serves.
func (s *Server) SetMethodOptions(fullMethod string, o MethodOptions) error {
	if !strings.HasPrefix(fullMethod, "/") || strings.Count(fullMethod, "/") != 2 {
		return fmt.Errorf("grpcserver: %q is not a full method name (/package.Service/Method)", fullMethod)
	}
	s.methods.set(fullMethod, o)
	return nil
}

// methodTable holds the MethodOptions by full method name and by span name (the full
// name without its leading slash, as otelgrpc names spans). It is read on every call, so
// it is replaced whole on a change rather than locked.
type methodTable struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]*MethodOptions]
}

func (t *methodTable) get(name string) *MethodOptions {
	if m := t.m.Load(); m != nil {
		return (*m)[name]
	}
	return nil
}

func (t *methodTable) set(fullMethod string, o MethodOptions) {
	t.mu.Lock()
	defer t.mu.Unlock()
	next := map[string]*MethodOptions{}
	if m := t.m.Load(); m != nil {
		for k, v := range *m {
			next[k] = v
		}
	}
	next[fullMethod], next[fullMethod[1:]] = &o, &o
	t.m.Store(&next)
}

// validateWith validates req with the method's own validator if it has one, else with
// protovalidate.
func validateWith(v protovalidate.Validator, o *MethodOptions, req any) error {
	if o == nil || o.Validate == nil {
		return validate(v, req)
	}
	if violations := o.Validate(req); len(violations) > 0 {
		return errs.InvalidArgument(errs.ReasonValidation, violations...)
	}
	return nil
}

// methodTracerProvider gives otelgrpc tracers that apply MethodOptions.TraceEvery.
type methodTracerProvider struct {
	embedded.TracerProvider
	tp      trace.TracerProvider
	methods *methodTable
}

func (p methodTracerProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return methodTracer{t: p.tp.Tracer(name, opts...), methods: p.methods}
}

type methodTracer struct {
	embedded.Tracer
	t       trace.Tracer
	methods *methodTable
}

// Start starts a span as the wrapped tracer does, except for the calls of a method with
// TraceEvery > 1 that begin a trace and lose the draw: those get a span context with new
// ids, not sampled, and no recorded span (what the SDK gives a span its sampler drops,
// without the SDK's cost).
func (t methodTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	o := t.methods.get(name)
	if o == nil || o.TraceEvery <= 1 || trace.SpanContextFromContext(ctx).IsValid() || rand.IntN(o.TraceEvery) == 0 {
		return t.t.Start(ctx, name, opts...)
	}
	var cfg trace.SpanContextConfig
	for !cfg.TraceID.IsValid() || !cfg.SpanID.IsValid() {
		binary.LittleEndian.PutUint64(cfg.TraceID[:8], rand.Uint64())
		binary.LittleEndian.PutUint64(cfg.TraceID[8:], rand.Uint64())
		binary.LittleEndian.PutUint64(cfg.SpanID[:], rand.Uint64())
	}
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(cfg))
	return ctx, trace.SpanFromContext(ctx)
}
