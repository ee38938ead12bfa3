package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

// fakeCatalog stands in for the catalog service: it records what it was sent and
// answers from a fixed list of assets, two per page.
type fakeCatalog struct {
	catalogv1.UnimplementedCatalogServiceServer

	mu       sync.Mutex
	auth     []string
	creates  []*catalogv1.CreateAssetRequest
	gets     []string
	pageReqs []*catalogv1.ListAssetsRequest
	assets   []*catalogv1.Asset
	failWith error
	failNext []error // answered, in order, before failWith
	attempts []*catalogv1.CreateAssetRequest

	// The rest of the API (catalog_fake_test.go).
	requests  []proto.Message
	codeLists *catalogv1.ListCodeListsResponse
	imports   []*catalogv1.ImportAssetsRequest
	imported  map[string]string // import key → asset name
	// wholeBatch makes ImportAssets refuse a whole call for one bad row, as servers did
	// before rows were validated one by one.
	wholeBatch bool
	// wholeBatchUnnamed makes that refusal name no row.
	wholeBatchUnnamed bool
	cert              *catalogv1.Certificate
	vkey              string
	// oldServer makes SubmitApplication ignore validate_only, as servers before it did.
	oldServer bool
}

var _ catalogv1.CatalogServiceServer = (*fakeCatalog)(nil)

func (f *fakeCatalog) record(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auth = append(f.auth, md.Get("authorization")...)
	if len(f.failNext) > 0 {
		err := f.failNext[0]
		f.failNext = f.failNext[1:]
		return err
	}
	return f.failWith
}

func (f *fakeCatalog) CreateAsset(ctx context.Context, req *catalogv1.CreateAssetRequest) (*catalogv1.CreateAssetResponse, error) {
	f.mu.Lock()
	f.attempts = append(f.attempts, req)
	f.mu.Unlock()
	if err := f.record(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates = append(f.creates, req)
	a := &catalogv1.Asset{
		Name:               "assets/0198c6f2-7a4e-7b61-9f0e-2d1c3b4a5e6f",
		DisplayName:        req.GetAsset().GetDisplayName(),
		Summary:            req.GetAsset().GetSummary(),
		HolderOrganisation: req.GetAsset().GetHolderOrganisation(),
		State:              catalogv1.AssetState_ASSET_STATE_DRAFT,
		Revision:           1,
		Etag:               `"1"`,
		Creator:            "zhang.wei@dev",
		CreateTime:         timestamppb.New(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)),
		UpdateTime:         timestamppb.New(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)),
	}
	return &catalogv1.CreateAssetResponse{Asset: a}, nil
}

func (f *fakeCatalog) GetAsset(ctx context.Context, req *catalogv1.GetAssetRequest) (*catalogv1.GetAssetResponse, error) {
	if err := f.record(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets = append(f.gets, req.GetName())
	for _, a := range f.assets {
		if a.GetName() == req.GetName() {
			return &catalogv1.GetAssetResponse{Asset: a}, nil
		}
	}
	return nil, status.Error(codes.NotFound, "asset not found")
}

func (f *fakeCatalog) ListAssets(ctx context.Context, req *catalogv1.ListAssetsRequest) (*catalogv1.ListAssetsResponse, error) {
	if err := f.record(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pageReqs = append(f.pageReqs, req)
	start := 0
	if req.GetPageToken() != "" {
		if _, err := fmt.Sscanf(req.GetPageToken(), "page-%d", &start); err != nil {
			return nil, status.Error(codes.InvalidArgument, "bad page token")
		}
	}
	end := min(start+2, len(f.assets))
	resp := &catalogv1.ListAssetsResponse{Assets: f.assets[start:end]}
	if end < len(f.assets) {
		resp.NextPageToken = fmt.Sprintf("page-%d", end)
	}
	return resp, nil
}

// startFake serves f on a loopback port and returns its address.
func startFake(t *testing.T, f *fakeCatalog) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	catalogv1.RegisterCatalogServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func testAssets(n int) []*catalogv1.Asset {
	var out []*catalogv1.Asset
	for i := range n {
		out = append(out, &catalogv1.Asset{
			Name:               fmt.Sprintf("assets/00000000-0000-0000-0000-%012d", i+1),
			DisplayName:        fmt.Sprintf("数据集 %d", i+1),
			HolderOrganisation: testOrg,
			State:              catalogv1.AssetState_ASSET_STATE_DRAFT,
			Revision:           int64(i + 1),
			UpdateTime:         timestamppb.New(time.Date(2026, 3, 1, 8, i, 0, 0, time.UTC)),
		})
	}
	return out
}

func TestAssetCreateDefaultsHolderAndRequestID(t *testing.T) {
	isolate(t)
	f := &fakeCatalog{}
	addr := startFake(t, f)
	token := mintFor(t, "zhang.wei@dev")
	t.Setenv(envToken, token)
	t.Setenv(envAddr, addr)

	out, _, err := runCLI(t, context.Background(), "asset", "create", "--name", "城市道路交通流量数据", "--summary", "路口流量")
	require.NoError(t, err)
	require.Contains(t, out, "NAME          assets/0198c6f2-7a4e-7b61-9f0e-2d1c3b4a5e6f\n")
	require.Contains(t, out, "DISPLAY NAME  城市道路交通流量数据\n")
	require.Contains(t, out, "STATE         DRAFT\n")

	require.Len(t, f.creates, 1)
	req := f.creates[0]
	require.Equal(t, testOrg, req.GetAsset().GetHolderOrganisation(), "holder defaults to the token's organisation")
	require.Equal(t, "路口流量", req.GetAsset().GetSummary())
	_, err = uuid.Parse(req.GetRequestId())
	require.NoError(t, err, "a fresh request id")
	require.Equal(t, []string{"Bearer " + token}, f.auth)

	rid := uuid.NewString()
	out, _, err = runCLI(t, context.Background(), "asset", "create", "--name", "x", "--holder", "91110000600037341L",
		"--request-id", rid, "-o", "json")
	require.NoError(t, err)
	require.Equal(t, rid, f.creates[1].GetRequestId())
	require.Equal(t, "91110000600037341L", f.creates[1].GetAsset().GetHolderOrganisation())
	var a map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &a))
	require.Equal(t, "x", a["displayName"])
	require.Equal(t, "ASSET_STATE_DRAFT", a["state"])
	require.Equal(t, "1", a["revision"], "protojson writes int64 as a string")
	require.True(t, strings.HasPrefix(out, "{\n  \""), "indented")

	_, _, err = runCLI(t, context.Background(), "asset", "create", "--name", "x", "--request-id", "nope")
	require.ErrorContains(t, err, "--request-id must be a UUID")
	_, _, err = runCLI(t, context.Background(), "asset", "create")
	require.ErrorContains(t, err, "--name is required")
}

func TestAssetGetAcceptsBareID(t *testing.T) {
	isolate(t)
	f := &fakeCatalog{assets: testAssets(1)}
	addr := startFake(t, f)
	t.Setenv(envToken, mintFor(t, "li.na@dev"))

	id := strings.TrimPrefix(f.assets[0].GetName(), "assets/")
	_, _, err := runCLI(t, context.Background(), "--addr", addr, "asset", "get", id)
	require.NoError(t, err)
	_, _, err = runCLI(t, context.Background(), "asset", "get", "assets/"+id, "--addr", addr)
	require.NoError(t, err)
	require.Equal(t, []string{"assets/" + id, "assets/" + id}, f.gets)

	_, _, err = runCLI(t, context.Background(), "--addr", addr, "asset", "get")
	require.ErrorContains(t, err, "takes one asset name")
}

func TestAssetList(t *testing.T) {
	isolate(t)
	f := &fakeCatalog{assets: testAssets(3)}
	addr := startFake(t, f)
	t.Setenv(envToken, mintFor(t, "li.na@dev"))
	t.Setenv(envAddr, addr)

	out, errOut, err := runCLI(t, context.Background(), "asset", "list", "--page-size", "2")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Len(t, lines, 3)
	require.Regexp(t, `^NAME +DISPLAY NAME +HOLDER +STATE +REVISION +UPDATED$`, lines[0])
	// Chinese names are two columns wide per character: the next column still lines up.
	holderCol := displayWidth(lines[0][:strings.Index(lines[0], "HOLDER")])
	for _, l := range lines[1:] {
		before, _, ok := strings.Cut(l, testOrg)
		require.True(t, ok, l)
		require.Equal(t, holderCol, displayWidth(before), l)
		require.Contains(t, l, "DRAFT")
	}
	require.Equal(t, "More assets: yaosuctl asset list --page-token page-2\n", errOut)
	require.Equal(t, int32(2), f.pageReqs[0].GetPageSize())

	out, errOut, err = runCLI(t, context.Background(), "asset", "list", "--all", "-o", "json")
	require.NoError(t, err)
	require.Empty(t, errOut)
	var resp struct {
		Assets []struct {
			Name string `json:"name"`
		} `json:"assets"`
		NextPageToken string `json:"nextPageToken"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &resp))
	require.Len(t, resp.Assets, 3)
	require.Empty(t, resp.NextPageToken)
	require.Equal(t, "page-2", f.pageReqs[2].GetPageToken(), "--all followed the token")
}

func TestAssetErrorsShowDetails(t *testing.T) {
	isolate(t)
	st, err := status.New(codes.PermissionDenied, "registrars may only create assets for their own organisation").WithDetails(
		&errdetails.ErrorInfo{Reason: "ERROR_REASON_HOLDER_NOT_CALLER_ORGANISATION", Domain: "yaosu.dev"})
	require.NoError(t, err)
	f := &fakeCatalog{failWith: st.Err()}
	addr := startFake(t, f)
	t.Setenv(envToken, mintFor(t, "li.na@dev"))

	_, _, err = runCLI(t, context.Background(), "--addr", addr, "asset", "create", "--name", "x", "--holder", "91110000600037341L")
	require.EqualError(t, err, "PERMISSION_DENIED: registrars may only create assets for their own organisation\n"+
		"  reason: ERROR_REASON_HOLDER_NOT_CALLER_ORGANISATION (domain yaosu.dev)")
	require.Equal(t, codes.PermissionDenied, status.Code(err))
}

func TestAssetCreateUnknownOutcomePrintsRequestID(t *testing.T) {
	isolate(t)
	t.Setenv(envToken, mintFor(t, "li.na@dev"))
	// Nothing listens here: the call fails UNAVAILABLE after the retries.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())

	rid := uuid.NewString()
	_, errOut, err := runCLI(t, context.Background(), "--addr", addr, "asset", "create", "--name", "x", "--request-id", rid)
	require.Equal(t, codes.Unavailable, status.Code(err))
	require.ErrorContains(t, err, "hint: is the server running at "+addr)
	require.Contains(t, errOut, "--request-id "+rid)
}

func TestGlobalFlagValidation(t *testing.T) {
	isolate(t)
	_, _, err := runCLI(t, context.Background(), "version", "-o", "yaml")
	require.ErrorContains(t, err, `--output must be "table" or "json"`)
	out, _, err := runCLI(t, context.Background(), "version")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(out, "yaosuctl "), out)

	_, _, err = runCLI(t, context.Background(), "asset", "lst")
	require.ErrorContains(t, err, `unknown command "lst" for "yaosuctl asset"`)
	_, _, err = runCLI(t, context.Background(), "asset", "list", "--page-size", "-1", "--token", "a.b.c")
	require.ErrorContains(t, err, "--page-size must not be negative")
}
