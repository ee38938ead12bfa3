package grpcserver_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/grpcserver"
)

// raw is a client codec that sends and receives bytes as they are, so a test can put on
// the wire what no generated client would.
type raw struct{}

func (raw) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}

func (raw) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

func (raw) Name() string { return "proto" }

func malformedStatus(t *testing.T, err error) (*status.Status, *errdetails.ErrorInfo, *errdetails.BadRequest) {
	t.Helper()
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code(), "%v", err)
	var info *errdetails.ErrorInfo
	var br *errdetails.BadRequest
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.BadRequest:
			br = d
		}
	}
	require.NotNil(t, info)
	require.Equal(t, grpcserver.ReasonMalformedRequest, info.GetReason())
	return st, info, br
}

func TestMalformedRequestsAreInvalidArgument(t *testing.T) {
	calls := 0
	_, conn, key := start(t, &fake{get: func(context.Context) error { calls++; return nil }})
	ctx := bearer(t, key, auth.Principal{Subject: "s", Organisation: "o", Roles: []auth.Role{auth.RoleAdmin}})
	call := func(ctx context.Context, in []byte) error {
		var out []byte
		return conn.Invoke(ctx, "/yaosu.catalog.v1.CatalogService/GetAsset", &in, &out, grpc.ForceCodecV2(raw{}))
	}

	// GetAssetRequest.name (field 1, length-delimited) holding bytes that are not UTF-8.
	badUTF8 := []byte{0x0a, 0x04, 'a', 0xff, 0xfe, 'b'}
	st, _, br := malformedStatus(t, call(ctx, badUTF8))
	require.Equal(t, "name: is not valid UTF-8", st.Message())
	require.Equal(t, "name：不是有效的 UTF-8 编码文本", localized(t, st))
	require.NotNil(t, br)
	require.Equal(t, "name", br.GetFieldViolations()[0].GetField())
	require.Equal(t, "不是有效的 UTF-8 编码文本", br.GetFieldViolations()[0].GetLocalizedMessage().GetMessage())
	// Nested: CreateAssetRequest.asset (1) . display_name (2), after a request_id (2).
	nested := []byte{0x12, 0x01, 'r', 0x0a, 0x05, 0x12, 0x03, 'x', 0xc3, 0x28}
	var out []byte
	err := conn.Invoke(ctx, "/yaosu.catalog.v1.CatalogService/CreateAsset", &nested, &out, grpc.ForceCodecV2(raw{}))
	_, _, br = malformedStatus(t, err)
	require.NotNil(t, br)
	require.Equal(t, "asset.display_name", br.GetFieldViolations()[0].GetField())

	// Not protobuf at all: a length running past the end, then a truncated varint.
	for _, garbage := range [][]byte{{0x0a, 0x7f, 'x'}, {0x08, 0xff, 0xff, 0xff}, {0xff, 0xff, 0xff, 0xff, 0xff}} {
		st, _, _ := malformedStatus(t, call(ctx, garbage))
		require.Contains(t, st.Message(), "not a valid protobuf message")
		require.Equal(t, "请求无法解析：不是此方法的有效 protobuf 消息", localized(t, st))
	}
	require.Zero(t, calls, "a malformed request never reaches the handler")

	// Without a token it is still refused for the token first, and nothing is kept.
	require.Equal(t, codes.Unauthenticated, status.Code(call(context.Background(), badUTF8)))

	// Well-formed bytes still go through, on the same connection.
	good, err := proto.Marshal(validReq)
	require.NoError(t, err)
	require.NoError(t, call(ctx, good))
	require.Equal(t, 1, calls)
}

func TestMalformedStreamMessagesAreInvalidArgument(t *testing.T) {
	_, conn, _ := start(t, &fake{get: func(context.Context) error { return nil }})
	// Health Watch is a public server stream: its one request is read through the
	// wrapped stream.
	for _, in := range [][]byte{{0x0a, 0x02, 0xc3, 0x28}, {0x0a, 0x7f}} {
		s, err := conn.NewStream(context.Background(), &grpc.StreamDesc{ServerStreams: true}, "/grpc.health.v1.Health/Watch", grpc.ForceCodecV2(raw{}))
		require.NoError(t, err)
		require.NoError(t, s.SendMsg(&in))
		require.NoError(t, s.CloseSend())
		var out []byte
		_, _, _ = malformedStatus(t, s.RecvMsg(&out))
	}
}
