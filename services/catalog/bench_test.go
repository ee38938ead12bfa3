package catalog_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/telemetry"
	"yaosu.dev/pkg/testkit"
	"yaosu.dev/services/catalog"
	"yaosu.dev/services/catalog/internal/domain"
	"yaosu.dev/services/catalog/internal/store"
)

const benchOrg = "91350100M000100Y43"

// BenchmarkCreateAsset compares CreateAsset through the whole stack (client → gRPC → auth →
// validation → transaction with outbox → commit, with the relay publishing to JetStream
// meanwhile) with the identical SQL transaction issued directly through pgx on the same
// database, at concurrency 1 and 16, and prints the rates and their ratio.
func BenchmarkCreateAsset(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shutdown, err := telemetry.Setup(ctx, "bench", "")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()
	dsn := testkit.Database(b, testkit.Schemas{catalog.Name: catalog.Migrations()})
	pool, err := postgres.Connect(ctx, dsn, catalog.Name, 32)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	n := testkit.StartNATS(b)
	nc, err := nats.Connect(n.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := messaging.EnsureStream(ctx, js, 1, 2*time.Minute); err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	relay, err := messaging.NewRelay(pool, js, messaging.RelayConfig{Schema: catalog.Name}, quiet)
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = relay.Run(ctx) }()

	pub, key, _ := ed25519.GenerateKey(nil)
	gs, err := grpcserver.New(quiet, auth.NewEd25519Verifier(pub, "bench"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := catalog.New(catalog.Deps{Pool: pool, Log: quiet, KeyFile: filepath.Join(b.TempDir(), "k.key"),
		KeyName: "bench.local/registry", RegistryName: "bench", RegistrationNumberFormat: "YS-{YYYY}-{SEQ:8}",
		PublicityWorkingDays: 10})
	if err != nil {
		b.Fatal(err)
	}
	svc.Register(gs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = gs.Serve(ctx, lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	client := catalogv1.NewCatalogServiceClient(conn)
	tok, _ := auth.Mint(key, "bench", auth.Principal{Subject: "bench", Organisation: benchOrg, Roles: []auth.Role{auth.RoleRegistrar}}, time.Hour)
	authCtx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)

	full := func(i int) error {
		_, err := client.CreateAsset(authCtx, &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{
			DisplayName: fmt.Sprintf("资产 %d", i), Summary: "benchmark asset", HolderOrganisation: benchOrg}})
		return err
	}
	direct := func(i int) error { return directCreate(ctx, pool, i) }

	rates := map[string]float64{}
	for _, c := range []int{1, 16} {
		for _, mode := range []struct {
			name string
			op   func(int) error
		}{{"direct_sql", direct}, {"full_path", full}} {
			name := fmt.Sprintf("%s/c%d", mode.name, c)
			b.Run(name, func(b *testing.B) {
				start := time.Now()
				runConcurrently(b, c, mode.op)
				rate := float64(b.N) / time.Since(start).Seconds()
				b.ReportMetric(rate, "creates/s")
				rates[name] = rate
			})
		}
	}
	out := os.Stdout
	fmt.Fprintln(out, "\nCreateAsset, full path vs the same SQL transaction through pgx (same run, same database):")
	for _, c := range []int{1, 16} {
		d, f := rates[fmt.Sprintf("direct_sql/c%d", c)], rates[fmt.Sprintf("full_path/c%d", c)]
		fmt.Fprintf(out, "  concurrency %2d: direct SQL %8.0f/s   full path %8.0f/s   ratio %.2f\n", c, d, f, f/d)
	}
	fmt.Fprintln(out, "  target: ratio >= 0.70 at concurrency 16")
}

func runConcurrently(b *testing.B, workers int, op func(int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > b.N {
					return
				}
				if err := op(i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// directCreate is the baseline: the statements the store runs for CreateAsset, in one
// transaction, with nothing around them.
func directCreate(ctx context.Context, pool *pgxpool.Pool, i int) error {
	id := uuid.Must(uuid.NewV7()).String()
	now := time.Now().UTC()
	ev, err := messaging.NewEvent(ctx, catalog.Name, "catalog.asset.created", "assets/"+id, 1,
		&eventsv1.AssetCreated{Asset: &catalogv1.Asset{Name: "assets/" + id, DisplayName: fmt.Sprintf("资产 %d", i)}})
	if err != nil {
		return err
	}
	rec := domain.Record{DisplayName: fmt.Sprintf("资产 %d", i), Summary: "benchmark asset", HolderOrganisation: benchOrg,
		CodeListVersion: "2024.1"}
	return postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, store.InsertAssetSQL, id, rec.DisplayName, rec.Summary, benchOrg, "DRAFT", 1, "bench",
			benchOrg, nil, now, now, rec, "", "", "", []string{}, "", "", nil, domain.IndexTokens(rec, "")); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, store.InsertRevisionSQL, id, 1, "create", "catalog.asset.created", "bench", benchOrg,
			now, "", []domain.FieldChange{}); err != nil {
			return err
		}
		return messaging.Append(ctx, tx, ev)
	})
}
