-- +goose Up
-- findings are inconsistencies the audit appender found in the stored log (an entry or tree
-- node altered, missing or inserted, the log shorter than a signed checkpoint, a checkpoint
-- altered). While one is open (resolved_at IS NULL) nothing is appended or signed; reads go
-- on, with the findings attached. A finding is recorded once: the same inconsistency found
-- again after a restart is the same finding.
CREATE TABLE findings (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    first_index     bigint      NOT NULL CONSTRAINT findings_first_index_check CHECK (first_index >= 0),
    located         boolean     NOT NULL,
    reason          text        NOT NULL,
    found_at        timestamptz NOT NULL,
    log_size        bigint      NOT NULL,
    checkpoint_size bigint      NOT NULL,
    resolved_at     timestamptz
);
-- One open finding per first index: the same damage seen again (after a restart, or by the
-- signer and then by the appender) is the same finding.
CREATE UNIQUE INDEX findings_open_key ON findings (first_index) WHERE resolved_at IS NULL;

-- +goose Down
-- Forward-only.
