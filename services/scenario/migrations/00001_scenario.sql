-- +goose Up
-- scenarios are application scenarios (应用场景) that use data assets (domain.md §6).
CREATE TABLE scenarios (
    id                    uuid        PRIMARY KEY,
    display_name          text        NOT NULL CHECK (display_name <> ''),
    sector                text        NOT NULL,
    description           text        NOT NULL DEFAULT '',
    operator_organisation text        NOT NULL,
    objective             text        NOT NULL DEFAULT '',
    kpis                  jsonb       NOT NULL DEFAULT '[]',
    region                text        NOT NULL DEFAULT '',
    state                 text        NOT NULL CHECK (state IN ('PROPOSED', 'ACTIVE', 'SUSPENDED', 'CLOSED')),
    revision              bigint      NOT NULL CHECK (revision >= 1),
    request_org           text        NOT NULL,
    request_id            uuid,
    create_time           timestamptz NOT NULL,
    update_time           timestamptz NOT NULL,
    CONSTRAINT scenarios_request_key UNIQUE (request_org, request_id)
);
-- Lists are newest first (ids are UUIDv7), per operator or across all.
CREATE INDEX scenarios_operator_idx ON scenarios (operator_organisation, id DESC);

-- scenario_history: every revision of a scenario, with who did what and why.
CREATE TABLE scenario_history (
    scenario_id uuid        NOT NULL REFERENCES scenarios (id),
    revision    bigint      NOT NULL,
    state       text        NOT NULL,
    action      text        NOT NULL,
    actor       text        NOT NULL,
    reason      text        NOT NULL DEFAULT '',
    time        timestamptz NOT NULL,
    PRIMARY KEY (scenario_id, revision)
);

-- links: a scenario's use of one asset under one grant (grant_id null when the operator
-- holds the asset). blocked_by names what blocked it ('grant:<id>' or 'asset:<id>') so that
-- reinstating that cause unblocks exactly what it blocked.
CREATE TABLE links (
    id                     uuid        PRIMARY KEY,
    scenario_id            uuid        NOT NULL REFERENCES scenarios (id),
    asset_id               uuid        NOT NULL,
    grant_id               uuid,
    right_kind             text        NOT NULL CHECK (right_kind IN ('HOLDING', 'PROCESSING_USE', 'PRODUCT_OPERATION')),
    delivery_form          text        NOT NULL CHECK (delivery_form IN ('RAW_COPY', 'API', 'MODEL', 'VERIFICATION', 'AGGREGATE')),
    reason                 text        NOT NULL DEFAULT '',
    daily_baseline_records bigint      NOT NULL DEFAULT 0 CHECK (daily_baseline_records >= 0),
    state                  text        NOT NULL CHECK (state IN ('ACTIVE', 'BLOCKED', 'UNLINKED')),
    state_reason           text        NOT NULL DEFAULT '',
    blocked_by             text        NOT NULL DEFAULT '' CHECK ((state = 'BLOCKED') = (blocked_by <> '')),
    linker                 text        NOT NULL,
    revision               bigint      NOT NULL CHECK (revision >= 1),
    create_time            timestamptz NOT NULL,
    update_time            timestamptz NOT NULL
);
-- One live link per scenario, asset, right and form.
CREATE UNIQUE INDEX links_live_key ON links (scenario_id, asset_id, right_kind, delivery_form) WHERE state <> 'UNLINKED';
CREATE INDEX links_scenario_idx ON links (scenario_id, id);
-- The consumer's work lists: links resting on a grant, links of an asset, links a cause blocked.
CREATE INDEX links_grant_idx ON links (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX links_asset_idx ON links (asset_id);
CREATE INDEX links_blocked_by_idx ON links (blocked_by) WHERE state = 'BLOCKED';

-- link_history: every revision of a link.
CREATE TABLE link_history (
    link_id  uuid        NOT NULL REFERENCES links (id),
    revision bigint      NOT NULL,
    state    text        NOT NULL,
    action   text        NOT NULL,
    actor    text        NOT NULL,
    reason   text        NOT NULL DEFAULT '',
    time     timestamptz NOT NULL,
    PRIMARY KEY (link_id, revision)
);

-- blocks: the grants and assets that currently stop use ('grant:<id>', 'asset:<id>'), as
-- learnt from the rights and catalog events. A link made while its grant or asset is
-- blocked is refused even if the rights check it ran a moment before still allowed it.
CREATE TABLE blocks (
    cause      text        PRIMARY KEY,
    final      boolean     NOT NULL,
    event_type text        NOT NULL,
    since      timestamptz NOT NULL
);

-- +goose Down
-- Forward-only.
