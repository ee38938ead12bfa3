package grpcclient_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/grpcclient"
)

// flaky answers CreateAsset with the queued errors first, then OK, recording every
// attempt's request id.
type flaky struct {
	catalogv1.UnimplementedCatalogServiceServer
	mu       sync.Mutex
	fail     []error
	attempts []string
}

func (f *flaky) CreateAsset(_ context.Context, req *catalogv1.CreateAssetRequest) (*catalogv1.CreateAssetResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts = append(f.attempts, req.GetRequestId())
	if len(f.fail) > 0 {
		err := f.fail[0]
		f.fail = f.fail[1:]
		return nil, err
	}
	return &catalogv1.CreateAssetResponse{Asset: &catalogv1.Asset{Name: "assets/" + req.GetRequestId()}}, nil
}

func dial(t *testing.T, f *flaky) catalogv1.CatalogServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	catalogv1.RegisterCatalogServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()), grpcclient.WithRetry())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return catalogv1.NewCatalogServiceClient(conn)
}

const rid = "0198c6f2-7a4e-7b61-9f0e-2d1c3b4a5e6f"

func TestUnavailableIsRetriedWithTheSameRequestID(t *testing.T) {
	unavailable := status.Error(codes.Unavailable, "the database is unavailable, retry shortly")
	f := &flaky{fail: []error{unavailable, unavailable, unavailable}}
	client := dial(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := client.CreateAsset(ctx, &catalogv1.CreateAssetRequest{RequestId: rid})
	require.NoError(t, err)
	require.Equal(t, "assets/"+rid, resp.GetAsset().GetName())
	require.Equal(t, []string{rid, rid, rid, rid}, f.attempts, "three refusals, then the same request succeeds")
}

func TestRetriesAreBounded(t *testing.T) {
	unavailable := status.Error(codes.Unavailable, "down")
	f := &flaky{fail: []error{unavailable, unavailable, unavailable, unavailable, unavailable, unavailable}}
	client := dial(t, f)
	_, err := client.CreateAsset(context.Background(), &catalogv1.CreateAssetRequest{RequestId: rid})
	require.Equal(t, codes.Unavailable, status.Code(err))
	require.Len(t, f.attempts, 5, "gives up after five attempts")
}

func TestOtherFailuresAreNotRetried(t *testing.T) {
	for _, c := range []codes.Code{codes.Aborted, codes.Internal, codes.DeadlineExceeded, codes.FailedPrecondition} {
		f := &flaky{fail: []error{status.Error(c, "no")}}
		client := dial(t, f)
		_, err := client.CreateAsset(context.Background(), &catalogv1.CreateAssetRequest{RequestId: rid})
		require.Equal(t, c, status.Code(err))
		require.Len(t, f.attempts, 1, "%s is not retried", c)
	}
}
