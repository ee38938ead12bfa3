-- +goose Up
-- outcomes: a scenario's outcome over a period (feeds valuation and revenue sharing). One
-- row per scenario and period: a second record for the same period replaces the figures and
-- bumps the revision.
CREATE TABLE outcomes (
    scenario_id     uuid          NOT NULL REFERENCES scenarios (id),
    period_start    date          NOT NULL,
    period_end      date          NOT NULL CHECK (period_end >= period_start),
    revenue_yuan    numeric       NOT NULL CHECK (revenue_yuan >= 0),
    cost_saved_yuan numeric       NOT NULL CHECK (cost_saved_yuan >= 0),
    beneficiaries   bigint        NOT NULL CHECK (beneficiaries >= 0),
    service_count   bigint        NOT NULL CHECK (service_count >= 0),
    note            text          NOT NULL DEFAULT '',
    recorder        text          NOT NULL,
    record_time     timestamptz   NOT NULL,
    revision        bigint        NOT NULL CHECK (revision >= 1),
    PRIMARY KEY (scenario_id, period_start, period_end)
);

-- +goose Down
-- Forward-only.
