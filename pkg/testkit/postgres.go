// Package testkit gives tests real infrastructure cheaply: a Postgres database per test
// cloned from a migrated template (the pgtestdb approach), an in-process JetStream server,
// and tokens.
package testkit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"yaosu.dev/pkg/postgres"
)

// AdminURL is the server tests create their databases on: DATABASE_URL (which `make test`
// sets after finding or starting a server) or the local default.
func AdminURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Schemas maps each schema to the migration sets it needs, in order.
type Schemas map[string][]postgres.MigrationSet

func (s Schemas) fingerprint() (string, error) {
	h := sha256.New()
	names := make([]string, 0, len(s))
	for name := range s {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(h, "schema %s\n", name)
		for _, set := range s[name] {
			fmt.Fprintf(h, "set %s\n", set.Table)
			err := fs.WalkDir(set.FS, ".", func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := fs.ReadFile(set.FS, path)
				if err != nil {
					return err
				}
				fmt.Fprintf(h, "file %s %d\n", path, len(b))
				h.Write(b)
				return nil
			})
			if err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// Database returns the URL of a fresh database for this test, with schemas migrated.
// The first call for a set of migrations builds a template database (once per machine,
// under an advisory lock, so parallel test binaries share it); every call after that is a
// cheap CREATE DATABASE ... TEMPLATE. The database is dropped when the test ends.
func Database(t testing.TB, schemas Schemas) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fp, err := schemas.fingerprint()
	if err != nil {
		t.Fatalf("testkit: fingerprint migrations: %v", err)
	}
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("testkit: connect to Postgres at %s (set DATABASE_URL, or run through `make test`): %v", redact(AdminURL()), err)
	}
	defer admin.Close(context.Background())

	template := "yaosu_tpl_" + fp
	if err := ensureTemplate(ctx, admin, template, schemas); err != nil {
		t.Fatalf("testkit: template database: %v", err)
	}
	name := "yaosu_t_" + randomHex(8)
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, template)); err != nil {
		t.Fatalf("testkit: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Logf("testkit: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Logf("testkit: drop %s: %v", name, err)
		}
	})
	return withDatabase(AdminURL(), name)
}

func ensureTemplate(ctx context.Context, admin *pgx.Conn, template string, schemas Schemas) error {
	// Advisory locks are per database; every process connects to the same admin database.
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock(hashtext($1))`, template); err != nil {
		return err
	}
	defer func() { _, _ = admin.Exec(context.Background(), `SELECT pg_advisory_unlock(hashtext($1))`, template) }()
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, template).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	// Build under a temporary name and rename at the end, so a half-built template left
	// by a crash is never used.
	building := template + "_building"
	if _, err := admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building)); err != nil {
		return err
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return err
	}
	dsn := withDatabase(AdminURL(), building)
	for schema, sets := range schemas {
		if err := postgres.Migrate(ctx, dsn, schema, sets...); err != nil {
			return err
		}
	}
	_, err := admin.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, template))
	return err
}

func withDatabase(dsn, db string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		// key=value form
		return dsn + " dbname=" + db
	}
	u.Path = "/" + db
	return u.String()
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxx")
		}
		return u.String()
	}
	return strings.SplitN(dsn, " password=", 2)[0]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
