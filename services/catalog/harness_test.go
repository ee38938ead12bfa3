package catalog_test

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/testkit"
	"yaosu.dev/services/catalog"
)

// Valid unified social credit codes.
const (
	orgA = "91350100M000100Y43"
	orgB = "91110000600037341L"
	// The agent tests' units: a municipal data bureau files for two departments.
	bureau = "11350100MB00000012"
	unitC  = "11350100MB00000025"
	unitD  = "12350100MB00000048"
)

// clock is the injected clock the services read.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is the catalog service on a real gRPC listener, over a fresh database, with an
// injected clock. replica starts another instance over the same database.
type harness struct {
	t       *testing.T
	dsn     string
	pool    *pgxpool.Pool
	clock   *clock
	key     ed25519.PrivateKey
	keyFile string
	svc     *catalog.Service
	client  catalogv1.CatalogServiceClient
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	dsn := testkit.Database(t, testkit.Schemas{catalog.Name: catalog.Migrations()})
	pool, err := postgres.Connect(context.Background(), dsn, catalog.Name, 16)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	_, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	// Monday 2026-03-02 10:00 CST.
	h := &harness{t: t, dsn: dsn, pool: pool, key: key, keyFile: filepath.Join(t.TempDir(), "registry.key"),
		clock: &clock{t: time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)}}
	h.svc, h.client = h.replica()
	return h
}

// replica starts one more catalog instance (its own pool, listener and gRPC server) over
// the harness's database.
func (h *harness) replica() (*catalog.Service, catalogv1.CatalogServiceClient) {
	t := h.t
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pool, err := postgres.Connect(ctx, h.dsn, catalog.Name, 16)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := catalog.New(catalog.Deps{Pool: pool, Log: quiet, Now: h.clock.Now, KeyFile: h.keyFile,
		KeyName: "test.local/registry", RegistryName: "测试数据资产登记中心", RegistrationNumberFormat: "YS-{YYYY}-{SEQ:8}",
		PublicityWorkingDays: 10, Holidays: map[string]bool{}})
	require.NoError(t, err)
	gs, err := grpcserver.New(quiet, auth.NewEd25519Verifier(h.key.Public().(ed25519.PublicKey), "test"), time.Second)
	require.NoError(t, err)
	svc.Register(gs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = gs.Serve(ctx, lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return svc, catalogv1.NewCatalogServiceClient(conn)
}

// as returns a context authenticated as subject of org with roles.
func (h *harness) as(subject, org string, roles ...auth.Role) context.Context {
	tok, err := auth.Mint(h.key, "test", auth.Principal{Subject: subject, Organisation: org, Roles: roles}, time.Hour)
	require.NoError(h.t, err)
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
}

// statusOf returns the code, ErrorInfo reason and violated fields of err.
func statusOf(t *testing.T, err error) (codes.Code, string, []string) {
	t.Helper()
	require.Error(t, err)
	st, ok := status.FromError(err)
	require.True(t, ok, "not a status: %v", err)
	var reason string
	var fields []string
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			reason = d.GetReason()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	return st.Code(), reason, fields
}

// requireStatus asserts err's code and reason.
func requireStatus(t *testing.T, err error, code codes.Code, reason string) []string {
	t.Helper()
	c, r, fields := statusOf(t, err)
	require.Equal(t, code, c, "error: %v", err)
	require.Equal(t, reason, r, "error: %v", err)
	return fields
}

// completeAsset is a record complete enough to apply for registration.
func completeAsset(holder, name string) *catalogv1.Asset {
	return &catalogv1.Asset{
		DisplayName:        name,
		Summary:            "全市主要道路路口的车流量，按 5 分钟汇总 (traffic flow at main junctions)",
		HolderOrganisation: holder,
		HolderName:         "福州市大数据中心",
		Kind:               catalogv1.AssetKind_ASSET_KIND_DATA_RESOURCE,
		DataSource:         "路口地磁与视频检测器采集",
		LegalBasis:         "《福建省大数据发展条例》",
		Evidence: []*catalogv1.Document{{Name: "采集授权书.pdf", Kind: "legal_basis", SizeBytes: 2048,
			Sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
		Category:          "G",
		Sectors:           []string{"TRANSPORT", "URBAN_GOVERNANCE"},
		Grade:             catalogv1.Grade_GRADE_GENERAL,
		SharingAttribute:  catalogv1.SharingAttribute_SHARING_ATTRIBUTE_CONDITIONAL,
		SharingConditions: "仅限交通管理部门使用",
		OpenAttribute:     catalogv1.OpenAttribute_OPEN_ATTRIBUTE_NOT_OPEN,
		DataFormat:        "CSV",
		VolumeRecords:     120000000,
		VolumeBytes:       8 << 30,
		UpdateCycle:       "DAILY",
		CoverageStart:     "2024-01-01",
		StorageLocation:   "福州市政务云",
		StorageMode:       "CLOUD",
		SecurityMeasures:  "分级授权访问，传输加密",
		Fields: []*catalogv1.DataField{{Name: "junction_id", Type: "字符型", Description: "路口编号"},
			{Name: "vehicle_count", Type: "数值型", Description: "车辆数"}},
		Contacts: []*catalogv1.Contact{{Name: "张三", Role: "联系人", Phone: "0591-00000000"}},
		Tags:     []string{"交通", "traffic"},
		Catalogue: &catalogv1.CatalogueMetadata{ClassCategory: "主题信息资源", ClassItem: "交通运输",
			ResourceCode: "", ProviderName: "福州市交通运输局", SharingMethod: "API", PublicationDate: "2024-02-01"},
	}
}
