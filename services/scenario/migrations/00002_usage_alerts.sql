-- +goose Up
-- usage_records: every usage record an internal system reported, once: a repeat of
-- (reporting_system, record_id) is a DUPLICATE and changes nothing. scenario_id, link_id and
-- asset_id are null when the record named no existing link (LINK_NOT_FOUND).
CREATE TABLE usage_records (
    reporting_system text        NOT NULL,
    record_id        text        NOT NULL,
    link_id          uuid,
    scenario_id      uuid,
    asset_id         uuid,
    delivery_form    text        NOT NULL,
    calls            bigint      NOT NULL CHECK (calls >= 0),
    records          bigint      NOT NULL CHECK (records >= 0),
    bytes            bigint      NOT NULL CHECK (bytes >= 0),
    window_start     timestamptz NOT NULL,
    window_end       timestamptz NOT NULL CHECK (window_end >= window_start),
    outcome          text        NOT NULL CHECK (outcome IN ('ALLOWED', 'DENIED')),
    reason           text        NOT NULL DEFAULT '' CHECK ((outcome = 'DENIED') = (reason <> '')),
    receive_time     timestamptz NOT NULL,
    PRIMARY KEY (reporting_system, record_id)
);
CREATE INDEX usage_records_link_idx ON usage_records (link_id, window_start);

-- usage_daily: allowed usage summed per link and day (UTC+8, the day window_start falls
-- on), and the number of denied records.
CREATE TABLE usage_daily (
    scenario_id uuid   NOT NULL,
    link_id     uuid   NOT NULL,
    asset_id    uuid   NOT NULL,
    day         date   NOT NULL,
    calls       bigint NOT NULL DEFAULT 0,
    records     bigint NOT NULL DEFAULT 0,
    bytes       bigint NOT NULL DEFAULT 0,
    denied      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (link_id, day)
);
CREATE INDEX usage_daily_scenario_idx ON usage_daily (scenario_id, day);
CREATE INDEX usage_daily_asset_idx ON usage_daily (asset_id, day);

-- alerts: monitoring alerts (过程监测). At most one OPEN alert per link and rule.
CREATE TABLE alerts (
    id                    uuid        PRIMARY KEY,
    scenario_id           uuid        NOT NULL REFERENCES scenarios (id),
    operator_organisation text        NOT NULL,
    link_id               uuid        REFERENCES links (id),
    rule                  text        NOT NULL,
    severity              text        NOT NULL CHECK (severity IN ('LOW', 'MEDIUM', 'HIGH')),
    state                 text        NOT NULL CHECK (state IN ('OPEN', 'ACKNOWLEDGED', 'RESOLVED')),
    assignee              text        NOT NULL DEFAULT '',
    detail                text        NOT NULL DEFAULT '',
    revision              bigint      NOT NULL CHECK (revision >= 1),
    raise_time            timestamptz NOT NULL,
    update_time           timestamptz NOT NULL
);
CREATE UNIQUE INDEX alerts_open_key ON alerts (link_id, rule) WHERE state = 'OPEN';
CREATE INDEX alerts_operator_idx ON alerts (operator_organisation, id DESC);
CREATE INDEX alerts_scenario_idx ON alerts (scenario_id, id DESC);

-- alert_history: every revision of an alert.
CREATE TABLE alert_history (
    alert_id uuid        NOT NULL REFERENCES alerts (id),
    revision bigint      NOT NULL,
    state    text        NOT NULL,
    assignee text        NOT NULL DEFAULT '',
    action   text        NOT NULL,
    actor    text        NOT NULL,
    note     text        NOT NULL DEFAULT '',
    time     timestamptz NOT NULL,
    PRIMARY KEY (alert_id, revision)
);

-- +goose Down
-- Forward-only.
