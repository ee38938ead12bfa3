-- +goose Up
-- assets is the catalog's aggregate table. Rows are never deleted (records are kept for at
-- least 30 years); later states replace deletion.
CREATE TABLE assets (
    id                     uuid        PRIMARY KEY,
    display_name           text        NOT NULL CONSTRAINT assets_display_name_check CHECK (length(btrim(display_name)) BETWEEN 1 AND 200),
    summary                text        NOT NULL DEFAULT '',
    holder_organisation    text        NOT NULL CONSTRAINT assets_holder_organisation_check CHECK (holder_organisation ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
    state                  text        NOT NULL CONSTRAINT assets_state_check CHECK (state IN ('DRAFT')),
    revision               bigint      NOT NULL CONSTRAINT assets_revision_check CHECK (revision > 0),
    creator                text        NOT NULL,
    creator_organisation   text        NOT NULL,
    create_request_id      uuid,
    create_time            timestamptz NOT NULL,
    update_time            timestamptz NOT NULL,
    -- request_id makes CreateAsset idempotent per calling organisation.
    CONSTRAINT assets_create_request_key UNIQUE (creator_organisation, create_request_id)
);

-- Listing is newest first (ids are UUIDv7, so id order is creation order), either across
-- organisations (primary key) or within one holder.
CREATE INDEX assets_holder_id_idx ON assets (holder_organisation, id DESC);

-- +goose Down
-- Forward-only.
