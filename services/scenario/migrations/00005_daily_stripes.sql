-- +goose Up
-- usage_daily is striped: concurrent ReportUsage batches add to the same links' days, and
-- one row per (link, day) made them queue on its row lock until commit (four streams did
-- the work of one). Each transaction adds to the stripe of its connection's backend
-- (pg_backend_pid() % 16); readers sum the stripes.
ALTER TABLE usage_daily ADD COLUMN stripe smallint NOT NULL DEFAULT 0 CHECK (stripe BETWEEN 0 AND 15);
ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_pkey;
ALTER TABLE usage_daily ADD PRIMARY KEY (link_id, day, stripe);

-- +goose Down
-- Forward-only.
