-- +goose Up
-- btree_gist lets one exclusion constraint mix equality (asset) and range overlap (time).
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- assets is this service's projection of the catalog's registered assets, built from the
-- catalog's events (consumers/catalog.go). revision is the catalog revision last applied,
-- so an older event never overwrites a newer one.
CREATE TABLE assets (
    id                  uuid        PRIMARY KEY,
    holder_organisation text        NOT NULL,
    grade               text        NOT NULL,
    state               text        NOT NULL CHECK (state IN ('REGISTERED', 'SUSPENDED', 'CANCELLED', 'DISPOSED')),
    registration_number text        NOT NULL,
    revision            bigint      NOT NULL,
    update_time         timestamptz NOT NULL
);

-- asset_states keeps every state the asset had, for answers "as of" a past time.
CREATE TABLE asset_states (
    asset_id uuid        NOT NULL REFERENCES assets (id),
    since    timestamptz NOT NULL,
    state    text        NOT NULL,
    grade    text        NOT NULL,
    PRIMARY KEY (asset_id, since)
);

-- holdings: who held each asset when. Periods of one asset never overlap.
CREATE TABLE holdings (
    asset_id            uuid        NOT NULL REFERENCES assets (id),
    holder_organisation text        NOT NULL,
    since               timestamptz NOT NULL,
    until               timestamptz,
    cause               text        NOT NULL,
    legal_basis         jsonb,
    PRIMARY KEY (asset_id, since),
    CONSTRAINT holdings_no_overlap EXCLUDE USING gist (asset_id WITH =, tstzrange(since, until) WITH &&)
);

-- grants of processing-use and product-operation. A sub-licence names its parent.
CREATE TABLE grants (
    id                    uuid        PRIMARY KEY,
    asset_id              uuid        NOT NULL REFERENCES assets (id),
    right_kind            text        NOT NULL CHECK (right_kind IN ('PROCESSING_USE', 'PRODUCT_OPERATION')),
    grantor_organisation  text        NOT NULL,
    grantee_organisation  text        NOT NULL CHECK (grantee_organisation <> grantor_organisation),
    parent_id             uuid        REFERENCES grants (id),
    depth                 int         NOT NULL CHECK (depth >= 1),
    legal_basis           jsonb       NOT NULL,
    purposes              text[]      NOT NULL CHECK (cardinality(purposes) > 0),
    other_purpose         text        NOT NULL DEFAULT '',
    delivery_forms        text[]      NOT NULL CHECK (cardinality(delivery_forms) > 0),
    regions               text[]      NOT NULL DEFAULT '{}',
    valid_from            timestamptz NOT NULL,
    valid_until           timestamptz NOT NULL CHECK (valid_until > valid_from),
    exclusive             boolean     NOT NULL,
    -- authorised_operation: an authorised-operation agreement (授权运营) for public data.
    authorised_operation  boolean     NOT NULL DEFAULT false CHECK (NOT authorised_operation OR NOT ('RAW_COPY' = ANY(delivery_forms))),
    sublicense_depth      int         NOT NULL CHECK (sublicense_depth >= 0),
    fee_terms             text        NOT NULL,
    condition             text        NOT NULL DEFAULT '',
    state                 text        NOT NULL CHECK (state IN ('REQUESTED', 'ACTIVE', 'SUSPENDED', 'REVOKED', 'EXPIRED', 'REJECTED')),
    state_reason          text        NOT NULL DEFAULT '',
    -- suspended_by says what suspended it (grantor, parent, asset), so reinstating the
    -- cause reinstates exactly what it suspended.
    suspended_by          text        NOT NULL DEFAULT '',
    justification         text        NOT NULL DEFAULT '',
    requester             text        NOT NULL,
    requester_organisation text       NOT NULL,
    request_id            uuid,
    approver              text        NOT NULL DEFAULT '',
    revision              bigint      NOT NULL,
    create_time           timestamptz NOT NULL,
    update_time           timestamptz NOT NULL,
    CONSTRAINT grants_request_key UNIQUE (requester_organisation, request_id)
);
-- Checks look grants up by grantee and asset; lookups by asset and by grantee.
CREATE INDEX grants_grantee_asset_idx ON grants (grantee_organisation, asset_id);
CREATE INDEX grants_asset_idx ON grants (asset_id, id DESC);
CREATE INDEX grants_parent_idx ON grants (parent_id);
CREATE INDEX grants_grantor_idx ON grants (grantor_organisation, id DESC);
-- The expiry job's work list.
CREATE INDEX grants_expiry_idx ON grants (valid_until) WHERE state IN ('ACTIVE', 'SUSPENDED');

-- grant_history: every state a grant had, with who did it and the grantor then (a transfer
-- changes the grantor of first-level grants). "As of" answers read it.
CREATE TABLE grant_history (
    grant_id             uuid        NOT NULL REFERENCES grants (id),
    revision             bigint      NOT NULL,
    state                text        NOT NULL,
    grantor_organisation text        NOT NULL,
    action               text        NOT NULL,
    actor                text        NOT NULL,
    reason               text        NOT NULL DEFAULT '',
    time                 timestamptz NOT NULL,
    PRIMARY KEY (grant_id, revision)
);
CREATE INDEX grant_history_time_idx ON grant_history (grant_id, time);

-- grade_policy is the table a registry changes to say what each grade allows (domain.md §5).
CREATE TABLE grade_policy (
    grade                    text    PRIMARY KEY CHECK (grade IN ('GRADE_GENERAL', 'GRADE_IMPORTANT', 'GRADE_CORE')),
    grants_allowed           boolean NOT NULL,
    forbidden_delivery_forms text[]  NOT NULL DEFAULT '{}'
);
INSERT INTO grade_policy VALUES
    ('GRADE_GENERAL', true, '{}'),
    ('GRADE_IMPORTANT', true, '{RAW_COPY}'),
    ('GRADE_CORE', false, '{}');

-- purposes are the purpose codes grants cite: the 12 数据要素× sectors and OTHER, the same
-- codes as the catalog's `sector` list (code list 2024.1).
CREATE TABLE purposes (
    code     text PRIMARY KEY,
    label_zh text NOT NULL,
    label_en text NOT NULL
);
INSERT INTO purposes VALUES
    ('INDUSTRIAL_MANUFACTURING', '工业制造', 'Industrial manufacturing'),
    ('MODERN_AGRICULTURE', '现代农业', 'Modern agriculture'),
    ('COMMERCE', '商贸流通', 'Commerce and distribution'),
    ('TRANSPORT', '交通运输', 'Transport'),
    ('FINANCIAL_SERVICES', '金融服务', 'Financial services'),
    ('SCIENCE_INNOVATION', '科技创新', 'Science and technology innovation'),
    ('CULTURE_TOURISM', '文化旅游', 'Culture and tourism'),
    ('HEALTHCARE', '医疗健康', 'Healthcare'),
    ('EMERGENCY_MANAGEMENT', '应急管理', 'Emergency management'),
    ('METEOROLOGY', '气象服务', 'Meteorological services'),
    ('URBAN_GOVERNANCE', '城市治理', 'Urban governance'),
    ('GREEN_LOW_CARBON', '绿色低碳', 'Green and low-carbon'),
    ('OTHER', '其他', 'Other');

-- Every committed change (rows are never deleted, but a DELETE or TRUNCATE by hand must not
-- leave caches stale) to what checks read notifies the replicas' caches (the payload is
-- the asset id, '*' for the policy), delivered at commit.
-- +goose StatementBegin
CREATE FUNCTION rights_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'grade_policy' OR TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('yaosu_rights_changed', '*');
    ELSIF TG_TABLE_NAME = 'assets' THEN
        PERFORM pg_notify('yaosu_rights_changed', CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END::text);
    ELSE
        PERFORM pg_notify('yaosu_rights_changed', CASE WHEN TG_OP = 'DELETE' THEN OLD.asset_id ELSE NEW.asset_id END::text);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER grants_changed AFTER INSERT OR UPDATE OR DELETE ON grants FOR EACH ROW EXECUTE FUNCTION rights_changed();
CREATE TRIGGER grants_truncated AFTER TRUNCATE ON grants FOR EACH STATEMENT EXECUTE FUNCTION rights_changed();
CREATE TRIGGER assets_changed AFTER INSERT OR UPDATE OR DELETE ON assets FOR EACH ROW EXECUTE FUNCTION rights_changed();
CREATE TRIGGER assets_truncated AFTER TRUNCATE ON assets FOR EACH STATEMENT EXECUTE FUNCTION rights_changed();
CREATE TRIGGER holdings_changed AFTER INSERT OR UPDATE OR DELETE ON holdings FOR EACH ROW EXECUTE FUNCTION rights_changed();
CREATE TRIGGER holdings_truncated AFTER TRUNCATE ON holdings FOR EACH STATEMENT EXECUTE FUNCTION rights_changed();
CREATE TRIGGER grade_policy_changed AFTER INSERT OR UPDATE OR DELETE ON grade_policy FOR EACH ROW EXECUTE FUNCTION rights_changed();
CREATE TRIGGER grade_policy_truncated AFTER TRUNCATE ON grade_policy FOR EACH STATEMENT EXECUTE FUNCTION rights_changed();

-- +goose Down
-- Forward-only.
