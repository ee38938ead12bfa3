-- Platform tables every service schema carries. Applied by postgres.Migrate with the
-- version table platform_db_version, before the service's own migrations.

-- +goose Up
-- outbox holds every event a service commits, in the same transaction as the change.
-- Rows are never deleted: the outbox is the system of record the stream can be rebuilt
-- from and that reconciliation compares the stream with.
CREATE TABLE outbox (
    seq               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id          uuid        NOT NULL CONSTRAINT outbox_event_id_key UNIQUE,
    event_type        text        NOT NULL,
    resource_name     text        NOT NULL,
    resource_revision bigint      NOT NULL,
    body              bytea       NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at      timestamptz,
    stream_seq        bigint
);

-- The relay reads only unpublished rows; this index stays as small as the backlog.
CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL;

-- Wake the relay at commit (NOTIFY is delivered only when the inserting transaction commits).
-- +goose StatementBegin
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('yaosu_outbox', TG_TABLE_SCHEMA);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- processed_events makes consumers idempotent: a handler's effects and this row commit
-- together, so a redelivered event is recognised and skipped.
CREATE TABLE processed_events (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    stream_seq   bigint      NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- +goose Down
-- Forward-only: no down migration.
