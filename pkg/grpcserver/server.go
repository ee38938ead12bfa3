// Package grpcserver builds the gRPC server every Yaosu process runs: health (open) and
// reflection (authenticated), OpenTelemetry, one JSON log line per RPC, authentication, protovalidate
// validation, panic recovery and the one place where errors become statuses. A method
// called thousands of times a second may lighten the per-call part of that
// (MethodOptions).
package grpcserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"time"

	"buf.build/go/protovalidate"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"yaosu.dev/pkg/auth"
)

// Server is a gRPC server with Yaosu's platform concerns installed.
type Server struct {
	*grpc.Server
	health          *health.Server
	methods         *methodTable
	log             *slog.Logger
	shutdownTimeout time.Duration
}

// New returns a server whose RPCs (except health) require a principal that verifier
// accepts. opts add server options, such as the transport credentials of TLS.
func New(log *slog.Logger, verifier auth.Verifier, shutdownTimeout time.Duration, opts ...grpc.ServerOption) (*Server, error) {
	validator, err := protovalidate.New()
	if err != nil {
		return nil, err
	}
	methods := &methodTable{}
	codec := newCodec()
	gs := grpc.NewServer(append([]grpc.ServerOption{
		// Malformed request bytes are the client's fault: INVALID_ARGUMENT, not the
		// INTERNAL gRPC makes of any decoding error (see codec).
		grpc.ForceServerCodecV2(codec),
		// Streams run on long-lived workers whose stacks have grown, rather than each on a
		// new goroutine that grows its stack by copying (runtime.newstack was 6% of the CPU
		// of the rights Check benchmark); a stream that finds no idle worker still gets its
		// own goroutine.
		grpc.NumStreamWorkers(uint32(8 * runtime.GOMAXPROCS(0))),
		grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(
			methodTracerProvider{tp: otel.GetTracerProvider(), methods: methods}))),
		grpc.ChainUnaryInterceptor(unaryInterceptor(log, verifier, validator, methods, codec)),
		grpc.ChainStreamInterceptor(streamInterceptor(log, verifier, validator, methods, codec)),
	}, opts...)...)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	reflection.Register(gs)
	return &Server{Server: gs, health: hs, methods: methods, log: log, shutdownTimeout: shutdownTimeout}, nil
}

// SetServing marks a service (by its full name, "" for the whole server) healthy or not.
func (s *Server) SetServing(service string, serving bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if serving {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus(service, st)
}

// Serve serves on lis until ctx ends, then stops gracefully: health turns NOT_SERVING,
// running RPCs get the shutdown timeout to finish, then they are cut.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.Server.Serve(lis) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.health.Shutdown()
	done := make(chan struct{})
	go func() {
		s.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(s.shutdownTimeout):
		s.log.Warn("graceful stop timed out; cutting remaining RPCs")
		s.Stop()
	}
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}
