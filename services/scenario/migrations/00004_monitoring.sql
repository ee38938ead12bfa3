-- +goose Up
-- Links carry the terms of the grant they rest on, as the rights service returned them when
-- the link was made (a grant's terms never change; its state reaches us through events):
-- usage is judged against them record by record. Holders' links have none.
ALTER TABLE links
    ADD COLUMN grant_valid_from  timestamptz,
    ADD COLUMN grant_valid_until timestamptz,
    ADD COLUMN grant_purposes    text[] NOT NULL DEFAULT '{}',
    ADD COLUMN grant_forms       text[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT links_grant_terms CHECK ((grant_id IS NULL) = (grant_valid_from IS NULL)
        AND (grant_valid_from IS NULL) = (grant_valid_until IS NULL));

-- The purpose a usage record declares ('' = the scenario's sector).
ALTER TABLE usage_records ADD COLUMN purpose text NOT NULL DEFAULT '';

-- The retention job purges raw records by window_start.
CREATE INDEX usage_records_window_idx ON usage_records (window_start);

-- The learnt-baseline rule reads each link's recent days.
CREATE INDEX usage_daily_day_idx ON usage_daily (day, link_id);

-- A volume_spike alert is raised at most once per link and day, resolved or not.
CREATE INDEX alerts_link_rule_idx ON alerts (link_id, rule, raise_time);

-- +goose Down
-- Forward-only.
