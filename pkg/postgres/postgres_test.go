package postgres_test

import (
	"context"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/testkit"
)

var set = postgres.MigrationSet{Table: "goose_db_version", FS: fstest.MapFS{
	"00001_widgets.sql": {Data: []byte("-- +goose Up\nCREATE TABLE widgets (id int PRIMARY KEY, parent int CONSTRAINT widgets_parent_fkey REFERENCES widgets (id), n int CONSTRAINT widgets_n_check CHECK (n >= 0));\n")},
	"00002_more.sql":    {Data: []byte("-- +goose Up\nALTER TABLE widgets ADD COLUMN label text;\n")},
}}

func TestMigrateIsConcurrencySafeAndIdempotent(t *testing.T) {
	dsn := testkit.Database(t, testkit.Schemas{})
	ctx := context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errc <- postgres.Migrate(ctx, dsn, "widgetsvc", set) }()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
	pool, err := postgres.Connect(ctx, dsn, "widgetsvc", 2)
	require.NoError(t, err)
	defer pool.Close()
	var applied int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&applied))
	require.Equal(t, 2, applied, "each migration applied once")
	_, err = pool.Exec(ctx, `INSERT INTO widgets (id, label) VALUES (1, 'unqualified names resolve to the service schema')`)
	require.NoError(t, err)
}

func TestInTxMapsConstraintErrorsAndRollsBack(t *testing.T) {
	dsn := testkit.Database(t, testkit.Schemas{"widgetsvc": {set}})
	ctx := context.Background()
	pool, err := postgres.Connect(ctx, dsn, "widgetsvc", 2)
	require.NoError(t, err)
	defer pool.Close()
	_, err = pool.Exec(ctx, `INSERT INTO widgets (id) VALUES (1)`)
	require.NoError(t, err)

	for _, c := range []struct {
		sql  string
		kind errs.Kind
	}{
		{`INSERT INTO widgets (id) VALUES (1)`, errs.KindAlreadyExists},
		{`INSERT INTO widgets (id, parent) VALUES (3, 99)`, errs.KindFailedPrecondition},
		{`INSERT INTO widgets (id, n) VALUES (4, -1)`, errs.KindFailedPrecondition},
	} {
		err := postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO widgets (id) VALUES (2)`); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, c.sql)
			return err
		})
		require.Equal(t, c.kind, errs.KindOf(err), c.sql)
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM widgets WHERE id = 2`).Scan(&n))
		require.Zero(t, n, "the whole transaction rolled back")
	}
	err = postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO widgets (id) VALUES (1)`)
		return err
	})
	require.Equal(t, "widgets_pkey", postgres.ConstraintName(err))
	require.True(t, postgres.IsUniqueViolation(err, "widgets_pkey"))
}
