package grpcserver_test

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/grpcserver"
)

const getAsset = "/yaosu.catalog.v1.CatalogService/GetAsset"

// recordingHandler keeps the records it handles at or above its level.
type recordingHandler struct {
	mu      sync.Mutex
	level   slog.Level
	records []slog.Record
}

func (h *recordingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler                { return h }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	return nil
}

func (h *recordingHandler) count(level slog.Level) (n, sampled int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.records {
		if r.Level != level {
			continue
		}
		n++
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "log_sample" {
				sampled++
			}
			return true
		})
	}
	return n, sampled
}

// startWith serves f with o as GetAsset's options, logging to h.
func startWith(t *testing.T, f *fake, h slog.Handler, o grpcserver.MethodOptions) (catalogv1.CatalogServiceClient, ed25519.PrivateKey, *grpc.ClientConn) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	s, err := grpcserver.New(slog.New(h), auth.NewEd25519Verifier(pub, "test"), time.Second)
	require.NoError(t, err)
	catalogv1.RegisterCatalogServiceServer(s, f)
	require.NoError(t, s.SetMethodOptions(getAsset, o))
	require.Error(t, s.SetMethodOptions("GetAsset", o))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = conn.Close()
		cancel()
		require.NoError(t, <-done)
	})
	return catalogv1.NewCatalogServiceClient(conn), key, conn
}

func TestMethodValidatorReplacesProtovalidate(t *testing.T) {
	called := 0
	validate := func(req any) []errs.FieldViolation {
		if req.(*catalogv1.GetAssetRequest).GetName() == "assets/refused-by-hand" {
			return []errs.FieldViolation{{Field: "name", Description: "refused"}, {Field: "name", Description: "twice"}}
		}
		return nil
	}
	client, key, _ := startWith(t, &fake{get: func(context.Context) error { called++; return nil }},
		&recordingHandler{level: slog.LevelInfo}, grpcserver.MethodOptions{Validate: validate})
	ctx := bearer(t, key, auth.Principal{Subject: "s", Organisation: "o", Roles: []auth.Role{auth.RoleAdmin}})

	_, err := client.GetAsset(ctx, &catalogv1.GetAssetRequest{Name: "assets/refused-by-hand"})
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code())
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField()+": "+v.GetDescription())
			}
		}
	}
	require.Equal(t, []string{"name: refused", "name: twice"}, fields)
	require.Zero(t, called)

	// protovalidate would refuse this name; the method's own validator stands in for it.
	_, err = client.GetAsset(ctx, &catalogv1.GetAssetRequest{Name: "nope"})
	require.NoError(t, err)
	require.Equal(t, 1, called)
}

func TestMethodLogSampling(t *testing.T) {
	var fail error
	h := &recordingHandler{level: slog.LevelDebug}
	client, key, _ := startWith(t, &fake{get: func(context.Context) error { return fail }}, h,
		grpcserver.MethodOptions{LogEvery: 10})
	ctx := bearer(t, key, auth.Principal{Subject: "s", Organisation: "o", Roles: []auth.Role{auth.RoleAdmin}})
	const n = 400
	for range n {
		_, err := client.GetAsset(ctx, validReq)
		require.NoError(t, err)
	}
	info, sampled := h.count(slog.LevelInfo)
	debug, _ := h.count(slog.LevelDebug)
	require.Equal(t, n, info+debug, "every successful call has its line, at info or at debug")
	require.Equal(t, info, sampled, "the info lines say how many calls they stand for")
	require.InDelta(t, n/10, info, n/10-1, "about one in ten at info")

	fail = errs.FailedPrecondition("SOME_RULE", "no")
	for range 20 {
		_, err := client.GetAsset(ctx, validReq)
		require.Equal(t, codes.FailedPrecondition, status.Code(err))
	}
	warn, sampledWarn := h.count(slog.LevelWarn)
	require.Equal(t, 20, warn, "failures are always logged")
	require.Zero(t, sampledWarn)
}

func TestMethodTraceSampling(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	prev, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTracerProvider(prev); otel.SetTextMapPropagator(prevProp) })

	var seen []trace.SpanContext
	client, key, conn := startWith(t, &fake{get: func(ctx context.Context) error {
		seen = append(seen, trace.SpanContextFromContext(ctx))
		return nil
	}}, &recordingHandler{level: slog.LevelInfo}, grpcserver.MethodOptions{TraceEvery: 1 << 30})
	ctx := bearer(t, key, auth.Principal{Subject: "s", Organisation: "o", Roles: []auth.Role{auth.RoleAdmin}})

	// Calls that begin a trace: ids, not sampled, no span recorded.
	for range 20 {
		_, err := client.GetAsset(ctx, validReq)
		require.NoError(t, err)
	}
	require.Empty(t, rec.Ended())
	require.Len(t, seen, 20)
	for i, sc := range seen {
		require.True(t, sc.IsValid(), "log lines and events still carry a trace id")
		require.False(t, sc.IsSampled())
		if i > 0 {
			require.NotEqual(t, seen[i-1].TraceID(), sc.TraceID())
		}
	}

	// A call within a sampled trace is recorded, in that trace.
	parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5},
		TraceFlags: trace.FlagsSampled, Remote: true})
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(trace.ContextWithRemoteSpanContext(context.Background(), parent), carrier)
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy()
	md.Set("traceparent", carrier.Get("traceparent"))
	_, err := client.GetAsset(metadata.NewOutgoingContext(context.Background(), md), validReq)
	require.NoError(t, err)
	// The server ends its span after the response is on its way: wait for it, not for the
	// reply (seen to race in CI).
	require.Eventually(t, func() bool { return len(rec.Ended()) == 1 }, 5*time.Second, time.Millisecond)
	spans := rec.Ended()
	require.Equal(t, parent.TraceID(), spans[0].SpanContext().TraceID())
	require.Equal(t, getAsset[1:], spans[0].Name())

	// Methods without the option: every call, as the provider's sampler decides.
	_, err = healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rec.Ended()) == 2 }, 5*time.Second, time.Millisecond)
}
