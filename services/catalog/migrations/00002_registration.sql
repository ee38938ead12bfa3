-- +goose Up
-- The full asset record and the registration workflow.

-- record is the holder's declaration as a JSON document with the API's field names
-- (domain.Record); the columns beside it are copies of the parts that lists filter and sort
-- on, written in the same statement, so they cannot drift.
ALTER TABLE assets
    ADD COLUMN record              jsonb       NOT NULL DEFAULT '{}',
    ADD COLUMN kind                text        NOT NULL DEFAULT '',
    ADD COLUMN grade               text        NOT NULL DEFAULT '',
    ADD COLUMN category            text        NOT NULL DEFAULT '',
    ADD COLUMN sectors             text[]      NOT NULL DEFAULT '{}',
    ADD COLUMN sharing_attribute   text        NOT NULL DEFAULT '',
    ADD COLUMN open_attribute      text        NOT NULL DEFAULT '',
    ADD COLUMN resource_code       text,
    ADD COLUMN registration_number text,
    ADD COLUMN register_time       timestamptz,
    ADD COLUMN open_application    uuid,
    ADD COLUMN incident            jsonb,
    ADD COLUMN disposal            jsonb,
    ADD COLUMN search_tokens       text[]      NOT NULL DEFAULT '{}',
    ADD CONSTRAINT assets_grade_check CHECK (grade <> 'GRADE_CORE'),
    ADD CONSTRAINT assets_registered_number_check CHECK (
        (state IN ('REGISTERED', 'SUSPENDED', 'CANCELLED', 'DISPOSED')) = (registration_number IS NOT NULL));

-- Drafts created before this migration carry only a name and a summary.
UPDATE assets SET record = jsonb_build_object('display_name', display_name, 'summary', summary,
    'holder_organisation', holder_organisation) WHERE record = '{}';

ALTER TABLE assets DROP CONSTRAINT assets_state_check;
ALTER TABLE assets ADD CONSTRAINT assets_state_check CHECK (state IN ('DRAFT', 'SUBMITTED', 'ACCEPTED',
    'NOT_ACCEPTED', 'RETURNED', 'REFUSED', 'IN_PUBLICITY', 'REGISTERED', 'WITHDRAWN', 'SUSPENDED', 'CANCELLED',
    'DISPOSED'));

-- Both codes are unique (domain.md §3b): the resource code names the data in the office's
-- catalogue, the registration number is the registry's. A number is never reused: rows are
-- never deleted and numbers come from a sequence.
CREATE UNIQUE INDEX assets_resource_code_key ON assets (resource_code);
CREATE UNIQUE INDEX assets_registration_number_key ON assets (registration_number);
CREATE SEQUENCE registration_number_seq;

-- Keyword search: every query token must be in search_tokens (domain.IndexTokens).
CREATE INDEX assets_search_tokens_idx ON assets USING gin (search_tokens);
CREATE INDEX assets_sectors_idx ON assets USING gin (sectors);
CREATE INDEX assets_state_id_idx ON assets (state, id DESC);
CREATE INDEX assets_update_time_idx ON assets (update_time);

-- applications are the registration workflow's cases; at most one is open per asset.
CREATE TABLE applications (
    id                     uuid        PRIMARY KEY,
    asset_id               uuid        NOT NULL REFERENCES assets (id),
    type                   text        NOT NULL CHECK (type IN ('FIRST_REGISTRATION', 'CHANGE', 'CORRECTION', 'CANCELLATION')),
    state                  text        NOT NULL CHECK (state IN ('SUBMITTED', 'ACCEPTED', 'NOT_ACCEPTED', 'RETURNED',
                                                                 'REFUSED', 'IN_PUBLICITY', 'APPROVED', 'WITHDRAWN')),
    proposed               jsonb,
    reason                 text        NOT NULL DEFAULT '',
    submitter              text        NOT NULL,
    submitter_organisation text        NOT NULL,
    submit_time            timestamptz NOT NULL,
    update_time            timestamptz NOT NULL,
    publicity_start        timestamptz,
    publicity_end          timestamptz,
    asset_revision         bigint      NOT NULL,
    history                jsonb       NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX applications_one_open_key ON applications (asset_id)
    WHERE state IN ('SUBMITTED', 'ACCEPTED', 'RETURNED', 'IN_PUBLICITY');
CREATE INDEX applications_asset_idx ON applications (asset_id, id DESC);
CREATE INDEX applications_state_idx ON applications (state, id DESC);
-- The publicity scheduler's work list.
CREATE INDEX applications_publicity_due_idx ON applications (publicity_end) WHERE state = 'IN_PUBLICITY';

CREATE TABLE objections (
    id                 uuid        PRIMARY KEY,
    application_id     uuid        NOT NULL REFERENCES applications (id),
    text               text        NOT NULL,
    filer              text        NOT NULL,
    filer_organisation text        NOT NULL,
    file_time          timestamptz NOT NULL,
    state              text        NOT NULL CHECK (state IN ('RAISED', 'DISMISSED', 'UPHELD')),
    resolver           text        NOT NULL DEFAULT '',
    resolve_time       timestamptz,
    resolution         text        NOT NULL DEFAULT ''
);
CREATE INDEX objections_application_idx ON objections (application_id, file_time);

-- asset_revisions has one row per committed revision: who, when, why, and what changed.
CREATE TABLE asset_revisions (
    asset_id           uuid        NOT NULL REFERENCES assets (id),
    revision           bigint      NOT NULL,
    action             text        NOT NULL,
    event_type         text        NOT NULL,
    actor              text        NOT NULL,
    actor_organisation text        NOT NULL,
    time               timestamptz NOT NULL,
    reason             text        NOT NULL DEFAULT '',
    changes            jsonb       NOT NULL DEFAULT '[]',
    PRIMARY KEY (asset_id, revision)
);
-- Revision 1 of assets created before this migration.
INSERT INTO asset_revisions (asset_id, revision, action, event_type, actor, actor_organisation, time)
    SELECT id, 1, 'create', 'catalog.asset.created', creator, creator_organisation, create_time FROM assets;

-- certificates: every certificate ever issued; a re-issue or revocation never deletes.
CREATE TABLE certificates (
    asset_id            uuid        NOT NULL REFERENCES assets (id),
    serial              bigint      NOT NULL,
    registration_number text        NOT NULL,
    asset_name          text        NOT NULL,
    holder_organisation text        NOT NULL,
    holder_name         text        NOT NULL,
    grade               text        NOT NULL,
    issue_date          text        NOT NULL,
    registry_name       text        NOT NULL,
    note                text        NOT NULL,
    issue_time          timestamptz NOT NULL,
    revoke_time         timestamptz,
    revoke_reason       text        NOT NULL DEFAULT '',
    PRIMARY KEY (asset_id, serial)
);

-- Code lists are versioned data (domain.md §2 task 3): a record cites the version its codes
-- come from; a new version is a new set of rows, never an edit of an old one.
CREATE TABLE code_list_versions (
    version      text        PRIMARY KEY,
    current      boolean     NOT NULL DEFAULT false,
    publish_time timestamptz NOT NULL DEFAULT now(),
    note         text        NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX code_list_versions_current_key ON code_list_versions (current) WHERE current;

CREATE TABLE code_lists (
    version  text NOT NULL REFERENCES code_list_versions (version),
    list     text NOT NULL,
    code     text NOT NULL,
    label_zh text NOT NULL,
    label_en text NOT NULL,
    parent   text NOT NULL DEFAULT '',
    ordinal  int  NOT NULL,
    PRIMARY KEY (version, list, code)
);

INSERT INTO code_list_versions (version, current, note) VALUES
    ('2024.1', true, 'GB/T 43697-2024 industry fields; 数据要素× sectors (国数政策〔2023〕11号); catalogue practice');

INSERT INTO code_lists (version, list, code, label_zh, label_en, ordinal)
SELECT '2024.1', l.list, l.code, l.zh, l.en, l.ord FROM (VALUES
    -- Data categories: the industry field first (GB/T 43697-2024 classifies by industry
    -- field, then by business attribute; the industries follow GB/T 4754 sections).
    ('category', 'A', '农、林、牧、渔业', 'Agriculture, forestry, animal husbandry and fishery', 1),
    ('category', 'B', '采矿业', 'Mining', 2),
    ('category', 'C', '制造业', 'Manufacturing', 3),
    ('category', 'D', '电力、热力、燃气及水生产和供应业', 'Electricity, heat, gas and water supply', 4),
    ('category', 'E', '建筑业', 'Construction', 5),
    ('category', 'F', '批发和零售业', 'Wholesale and retail trade', 6),
    ('category', 'G', '交通运输、仓储和邮政业', 'Transport, storage and post', 7),
    ('category', 'H', '住宿和餐饮业', 'Accommodation and catering', 8),
    ('category', 'I', '信息传输、软件和信息技术服务业', 'Information transmission, software and IT services', 9),
    ('category', 'J', '金融业', 'Finance', 10),
    ('category', 'K', '房地产业', 'Real estate', 11),
    ('category', 'L', '租赁和商务服务业', 'Leasing and business services', 12),
    ('category', 'M', '科学研究和技术服务业', 'Scientific research and technical services', 13),
    ('category', 'N', '水利、环境和公共设施管理业', 'Water conservancy, environment and public facilities', 14),
    ('category', 'O', '居民服务、修理和其他服务业', 'Resident services, repair and other services', 15),
    ('category', 'P', '教育', 'Education', 16),
    ('category', 'Q', '卫生和社会工作', 'Health and social work', 17),
    ('category', 'R', '文化、体育和娱乐业', 'Culture, sports and entertainment', 18),
    ('category', 'S', '公共管理、社会保障和社会组织', 'Public administration, social security and social organisations', 19),
    ('category', 'T', '国际组织', 'International organisations', 20),
    -- The twelve 数据要素× sectors plus OTHER (domain.md §6).
    ('sector', 'INDUSTRIAL_MANUFACTURING', '工业制造', 'Industrial manufacturing', 1),
    ('sector', 'MODERN_AGRICULTURE', '现代农业', 'Modern agriculture', 2),
    ('sector', 'COMMERCE', '商贸流通', 'Commerce and distribution', 3),
    ('sector', 'TRANSPORT', '交通运输', 'Transport', 4),
    ('sector', 'FINANCIAL_SERVICES', '金融服务', 'Financial services', 5),
    ('sector', 'SCIENCE_INNOVATION', '科技创新', 'Science and technology innovation', 6),
    ('sector', 'CULTURE_TOURISM', '文化旅游', 'Culture and tourism', 7),
    ('sector', 'HEALTHCARE', '医疗健康', 'Healthcare', 8),
    ('sector', 'EMERGENCY_MANAGEMENT', '应急管理', 'Emergency management', 9),
    ('sector', 'METEOROLOGY', '气象服务', 'Meteorological services', 10),
    ('sector', 'URBAN_GOVERNANCE', '城市治理', 'Urban governance', 11),
    ('sector', 'GREEN_LOW_CARBON', '绿色低碳', 'Green and low-carbon', 12),
    ('sector', 'OTHER', '其他', 'Other', 13),
    ('product_form', 'DATASET', '数据集', 'Dataset', 1),
    ('product_form', 'API', '数据接口', 'API', 2),
    ('product_form', 'ANALYSIS_REPORT', '分析报告', 'Analysis report', 3),
    ('product_form', 'VISUALISATION', '可视化产品', 'Visualisation', 4),
    ('product_form', 'INDEX', '数据指数', 'Index', 5),
    ('product_form', 'MODEL', '数据模型', 'Model', 6),
    ('product_form', 'ENCRYPTED_DATA', '加密数据', 'Encrypted data', 7),
    ('update_cycle', 'REALTIME', '实时', 'Real time', 1),
    ('update_cycle', 'HOURLY', '每小时', 'Hourly', 2),
    ('update_cycle', 'DAILY', '每日', 'Daily', 3),
    ('update_cycle', 'WEEKLY', '每周', 'Weekly', 4),
    ('update_cycle', 'MONTHLY', '每月', 'Monthly', 5),
    ('update_cycle', 'QUARTERLY', '每季度', 'Quarterly', 6),
    ('update_cycle', 'HALF_YEARLY', '每半年', 'Half-yearly', 7),
    ('update_cycle', 'YEARLY', '每年', 'Yearly', 8),
    ('update_cycle', 'IRREGULAR', '不定期', 'Irregular', 9),
    ('update_cycle', 'STATIC', '不更新', 'Not updated', 10),
    ('storage_mode', 'DATABASE', '数据库', 'Database', 1),
    ('storage_mode', 'FILE', '文件', 'Files', 2),
    ('storage_mode', 'DATA_WAREHOUSE', '数据仓库', 'Data warehouse', 3),
    ('storage_mode', 'OBJECT_STORAGE', '对象存储', 'Object storage', 4),
    ('storage_mode', 'CLOUD', '政务云', 'Government cloud', 5),
    ('storage_mode', 'OTHER', '其他', 'Other', 6),
    ('sharing_method', 'API', '接口共享', 'Shared through an API', 1),
    ('sharing_method', 'FILE_DOWNLOAD', '文件下载', 'File download', 2),
    ('sharing_method', 'DATABASE_EXCHANGE', '库表交换', 'Database exchange', 3),
    ('sharing_method', 'ONLINE_QUERY', '在线查询', 'Online query', 4),
    ('sharing_method', 'PRIVACY_COMPUTING', '隐私计算', 'Privacy computing (可用不可见)', 5),
    ('sharing_method', 'OTHER', '其他', 'Other', 6),
    -- Refusal and non-acceptance reasons (Shenzhen rules; 发改数据规〔2025〕26号).
    ('refusal_reason', 'CORE_DATA', '属于核心数据', 'Core data', 1),
    ('refusal_reason', 'UNLAWFUL_SOURCE', '数据来源不合法', 'Data obtained unlawfully', 2),
    ('refusal_reason', 'UNAUTHORISED', '未获授权', 'No authorisation for the data', 3),
    ('refusal_reason', 'OWNERSHIP_DISPUTE', '存在权属争议', 'Unresolved ownership dispute', 4),
    ('refusal_reason', 'INCOMPLETE_MATERIALS', '材料不齐全', 'Incomplete materials', 5),
    ('refusal_reason', 'NOT_IN_SCOPE', '不属于登记范围', 'Outside the scope of registration', 6),
    ('refusal_reason', 'FALSE_INFORMATION', '信息不实', 'False information', 7),
    ('refusal_reason', 'DUPLICATE', '重复登记', 'Already registered', 8),
    ('refusal_reason', 'OTHER', '其他', 'Other', 9),
    -- Labels of the enumerations, so imports accept the Chinese terms offices use.
    ('kind', 'ASSET_KIND_DATA_RESOURCE', '数据资源', 'Data resource', 1),
    ('kind', 'ASSET_KIND_DATA_PRODUCT', '数据产品', 'Data product', 2),
    ('grade', 'GRADE_GENERAL', '一般数据', 'General data', 1),
    ('grade', 'GRADE_IMPORTANT', '重要数据', 'Important data', 2),
    ('grade', 'GRADE_CORE', '核心数据', 'Core data (not registrable)', 3),
    ('sharing_attribute', 'SHARING_ATTRIBUTE_UNCONDITIONAL', '无条件共享', 'Shared unconditionally', 1),
    ('sharing_attribute', 'SHARING_ATTRIBUTE_CONDITIONAL', '有条件共享', 'Shared on conditions', 2),
    ('sharing_attribute', 'SHARING_ATTRIBUTE_NOT_SHARED', '不予共享', 'Not shared', 3),
    ('open_attribute', 'OPEN_ATTRIBUTE_UNCONDITIONAL', '无条件开放', 'Open unconditionally', 1),
    ('open_attribute', 'OPEN_ATTRIBUTE_CONDITIONAL', '有条件开放', 'Open on conditions', 2),
    ('open_attribute', 'OPEN_ATTRIBUTE_NOT_OPEN', '不予开放', 'Not open', 3)
) AS l (list, code, zh, en, ord);

-- +goose Down
-- Forward-only.
