-- +goose Up
-- entries is the Merkle log: entry idx is the (idx+1)-th message of the YAOSU_EVENTS stream,
-- stored byte for byte. Nothing here is ever updated or deleted.
CREATE TABLE entries (
    idx               bigint      PRIMARY KEY CONSTRAINT entries_idx_check CHECK (idx >= 0),
    stream_seq        bigint      NOT NULL CONSTRAINT entries_stream_seq_check CHECK (stream_seq = idx + 1),
    -- Decoded envelope attributes, for filtering; NULL when the body is not a Yaosu event
    -- (it is logged all the same: the log equals the stream).
    event_id          uuid,
    event_type        text,
    resource          text,
    resource_revision bigint,
    actor             text,
    organisation      text,
    event_time        timestamptz,
    data              bytea       NOT NULL,
    leaf_hash         bytea       NOT NULL CONSTRAINT entries_leaf_hash_check CHECK (length(leaf_hash) = 32),
    appended_at       timestamptz NOT NULL DEFAULT now()
);
-- Not unique: an event re-sent after the duplicate window appears twice in the stream, and
-- so twice in the log.
CREATE INDEX entries_event_id_idx ON entries (event_id);
CREATE INDEX entries_resource_idx ON entries (resource, idx);
CREATE INDEX entries_type_idx ON entries (event_type, idx);
CREATE INDEX entries_actor_idx ON entries (actor, idx);
CREATE INDEX entries_organisation_idx ON entries (organisation, idx);
CREATE INDEX entries_time_idx ON entries (event_time, idx);

-- nodes holds the hash of every complete subtree (level 0 = leaves), which is all that
-- inclusion and consistency proofs and the root at any size need.
CREATE TABLE nodes (
    level smallint NOT NULL CONSTRAINT nodes_level_check CHECK (level BETWEEN 0 AND 63),
    idx   bigint   NOT NULL,
    hash  bytea    NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE checkpoints (
    tree_size   bigint      PRIMARY KEY CONSTRAINT checkpoints_tree_size_check CHECK (tree_size > 0),
    root_hash   bytea       NOT NULL,
    signed_note text        NOT NULL,
    sign_time   timestamptz NOT NULL
);

-- +goose Down
-- Forward-only.
