-- +goose Up
-- consumer_revisions orders each consumer's view of a resource. Replicas pull from one
-- durable consumer with many messages in flight, so two events of one resource can be
-- handled out of stream order (a redelivery, a slow replica). Per consumer and resource
-- (the envelope's source and subject, "/yaosu/catalog assets/…": a service orders only
-- its own resources) this row holds the highest resource_revision applied; it is
-- written in the handler's transaction, so a handler runs only for an event at least as
-- new, and an older one is recorded as processed and skipped. Its row lock is also what
-- serialises two replicas handling one resource at the same time.
CREATE TABLE consumer_revisions (
    consumer   text        NOT NULL,
    resource   text        NOT NULL,
    revision   bigint      NOT NULL,
    event_id   uuid        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, resource)
);

-- +goose Down
-- Forward-only: no down migration.
