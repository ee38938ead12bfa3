package grpcserver_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/pkg/postgres"
)

// fake is a CatalogService whose GetAsset does whatever the test says: the platform is
// tested through a real listener with a real generated service.
type fake struct {
	catalogv1.UnimplementedCatalogServiceServer
	get func(context.Context) error
}

func (f *fake) GetAsset(ctx context.Context, _ *catalogv1.GetAssetRequest) (*catalogv1.GetAssetResponse, error) {
	if err := f.get(ctx); err != nil {
		return nil, err
	}
	return &catalogv1.GetAssetResponse{}, nil
}

func start(t *testing.T, f *fake) (catalogv1.CatalogServiceClient, *grpc.ClientConn, ed25519.PrivateKey) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	s, err := grpcserver.New(slog.New(slog.NewJSONHandler(io.Discard, nil)), auth.NewEd25519Verifier(pub, "test"), time.Second)
	require.NoError(t, err)
	catalogv1.RegisterCatalogServiceServer(s, f)
	s.SetServing("", true)
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
	return catalogv1.NewCatalogServiceClient(conn), conn, key
}

func bearer(t *testing.T, key ed25519.PrivateKey, p auth.Principal) context.Context {
	tok, err := auth.Mint(key, "test", p, time.Minute)
	require.NoError(t, err)
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
}

var validReq = &catalogv1.GetAssetRequest{Name: "assets/0192a6f0-0000-7000-8000-000000000000"}

func TestErrorsAreTranslatedAtOnePointWithoutLeaking(t *testing.T) {
	var next error
	client, _, key := start(t, &fake{get: func(context.Context) error { return next }})
	ctx := bearer(t, key, auth.Principal{Subject: "s", Organisation: "o", Roles: []auth.Role{auth.RoleAuditor}})

	cases := []struct {
		err    error
		code   codes.Code
		reason string
		secret string
	}{
		{errs.FailedPrecondition("SOME_RULE", "rule broken"), codes.FailedPrecondition, "SOME_RULE", ""},
		{postgres.MapError(&pgconn.PgError{Code: "23505", ConstraintName: "things_pkey", Message: "duplicate key value secret-row"}), codes.AlreadyExists, errs.ReasonDuplicate, "secret-row"},
		{postgres.MapError(&pgconn.PgError{Code: "23503", Message: "fk secret-table"}), codes.FailedPrecondition, errs.ReasonReference, "secret-table"},
		{postgres.MapError(&pgconn.PgError{Code: "40001", Message: "could not serialize secret-tx"}), codes.Aborted, errs.ReasonConflict, "secret-tx"},
		{errors.New("dial tcp 10.0.0.7:5432: secret-host"), codes.Internal, errs.ReasonInternal, "secret-host"},
		// Database errors that reach the boundary unclassified (a read that skipped
		// MapError, or one wrapped as internal) are still classified there.
		{fmt.Errorf("list: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), codes.Unavailable, errs.ReasonDependencyUnavailable, "dial"},
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command secret-admin"}, codes.Unavailable, errs.ReasonDependencyUnavailable, "secret-admin"},
		{errs.Wrap(fmt.Errorf("read: %w", io.ErrUnexpectedEOF), errs.KindInternal, errs.ReasonInternal, "secret-wrap"), codes.Unavailable, errs.ReasonDependencyUnavailable, "secret-wrap"},
		{postgres.MapError(&pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}), codes.DeadlineExceeded, errs.ReasonStatementTimeout, "canceling"},
		// A classified error that wraps another service's status is answered by its own
		// kind, not by the wrapped status's code and text.
		{errs.Wrap(status.Error(codes.PermissionDenied, "secret-inner"), errs.KindUnavailable, "RIGHTS_UNAVAILABLE", "rights could not be asked"), codes.Unavailable, "RIGHTS_UNAVAILABLE", "secret-inner"},
	}
	for _, c := range cases {
		next = c.err
		_, err := client.GetAsset(ctx, validReq)
		st := status.Convert(err)
		require.Equal(t, c.code, st.Code(), c.err.Error())
		if c.secret != "" {
			require.NotContains(t, st.Message(), c.secret, "driver text must not reach the client")
		}
		var info *errdetails.ErrorInfo
		for _, d := range st.Details() {
			if i, ok := d.(*errdetails.ErrorInfo); ok {
				info = i
			}
		}
		require.NotNil(t, info)
		require.Equal(t, c.reason, info.GetReason())
		require.Equal(t, grpcserver.ErrorDomain, info.GetDomain())
	}
}

func TestPanicBecomesInternal(t *testing.T) {
	client, _, key := start(t, &fake{get: func(context.Context) error { panic("secret-panic") }})
	_, err := client.GetAsset(bearer(t, key, auth.Principal{Subject: "s", Organisation: "o", Roles: []auth.Role{auth.RoleAdmin}}), validReq)
	st := status.Convert(err)
	require.Equal(t, codes.Internal, st.Code())
	require.NotContains(t, st.Message(), "secret-panic")
	// The server survives the panic.
	_, err = client.GetAsset(bearer(t, key, auth.Principal{Subject: "s", Organisation: "o", Roles: []auth.Role{auth.RoleAdmin}}), validReq)
	require.Equal(t, codes.Internal, status.Code(err))
}

func TestAuthenticationAndPrincipal(t *testing.T) {
	var seen auth.Principal
	client, conn, key := start(t, &fake{get: func(ctx context.Context) error {
		seen, _ = auth.FromContext(ctx)
		return nil
	}})
	// Health is public.
	_, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	// Regression (issue 12): reflection answered without a token. It needs a principal.
	anon, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	require.NoError(t, err)
	_ = anon.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
	_, err = anon.Recv()
	require.Equal(t, codes.Unauthenticated, status.Code(err), "reflection without a token")
	rc, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(
		bearer(t, key, auth.Principal{Subject: "s", Organisation: "o", Roles: []auth.Role{auth.RoleAuditor}}))
	require.NoError(t, err)
	require.NoError(t, rc.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}))
	listed, err := rc.Recv()
	require.NoError(t, err)
	var names []string
	for _, svc := range listed.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	require.Contains(t, names, "yaosu.catalog.v1.CatalogService")
	require.NoError(t, rc.CloseSend())

	_, err = client.GetAsset(context.Background(), validReq)
	require.Equal(t, codes.Unauthenticated, status.Code(err))
	_, err = client.GetAsset(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Basic abc"), validReq)
	require.Equal(t, codes.Unauthenticated, status.Code(err))

	expired, err := auth.Mint(key, "test", auth.Principal{Subject: "s", Organisation: "o", Roles: []auth.Role{auth.RoleAdmin}}, -time.Hour)
	require.NoError(t, err)
	_, err = client.GetAsset(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+expired), validReq)
	require.Equal(t, codes.Unauthenticated, status.Code(err))

	wrongIssuer, err := auth.Mint(key, "someone-else", auth.Principal{Subject: "s", Organisation: "o", Roles: []auth.Role{auth.RoleAdmin}}, time.Hour)
	require.NoError(t, err)
	_, err = client.GetAsset(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+wrongIssuer), validReq)
	require.Equal(t, codes.Unauthenticated, status.Code(err))

	unknownRole, err := auth.Mint(key, "test", auth.Principal{Subject: "s", Organisation: "o", Roles: []auth.Role{"superuser"}}, time.Hour)
	require.NoError(t, err)
	_, err = client.GetAsset(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+unknownRole), validReq)
	require.Equal(t, codes.Unauthenticated, status.Code(err))

	p := auth.Principal{Subject: "alice", Organisation: "91350100M000100Y43", Roles: []auth.Role{auth.RoleRegistrar, auth.RoleReviewer}}
	_, err = client.GetAsset(bearer(t, key, p), validReq)
	require.NoError(t, err)
	require.Equal(t, p, seen)
}

func TestValidationNamesTheField(t *testing.T) {
	called := false
	client, _, key := start(t, &fake{get: func(context.Context) error { called = true; return nil }})
	_, err := client.GetAsset(bearer(t, key, auth.Principal{Subject: "s", Organisation: "o", Roles: []auth.Role{auth.RoleAdmin}}),
		&catalogv1.GetAssetRequest{Name: "nope"})
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code())
	require.False(t, called, "invalid requests never reach the handler")
	var br *errdetails.BadRequest
	for _, d := range st.Details() {
		if b, ok := d.(*errdetails.BadRequest); ok {
			br = b
		}
	}
	require.NotNil(t, br)
	require.Equal(t, "name", br.GetFieldViolations()[0].GetField())
	require.Contains(t, st.Message(), "name")
}
