-- +goose Up
-- Code-list version 2026.1: the office's vocabulary (aliases), the theme classification and
-- the document kinds (issue 13).
--
-- Aliases are other words offices write for a code (接口 for the API sharing method, 每5分钟
-- for real time). Like codes they are data of one version: an alias maps to exactly one code
-- of its list (the primary key), and never equals a code or a label of that list (the
-- trigger below), so a value always means the same code whichever way it is spelled. Adding
-- aliases to a published version is allowed, because an alias never changes what a code
-- means; codes and labels of a published version never change.
CREATE TABLE code_list_aliases (
    version text NOT NULL,
    list    text NOT NULL,
    alias   text NOT NULL,
    code    text NOT NULL,
    ordinal int  NOT NULL,
    PRIMARY KEY (version, list, alias),
    CONSTRAINT code_list_aliases_code_fkey FOREIGN KEY (version, list, code) REFERENCES code_lists (version, list, code)
);
-- Case does not make a different alias (the server resolves case-insensitively).
CREATE UNIQUE INDEX code_list_aliases_lower_key ON code_list_aliases (version, list, lower(alias));

-- +goose StatementBegin
CREATE FUNCTION code_list_aliases_distinct() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM code_lists c WHERE c.version = NEW.version AND c.list = NEW.list
               AND lower(NEW.alias) IN (lower(c.code), lower(c.label_zh), lower(c.label_en))) THEN
        RAISE EXCEPTION 'alias "%" of code list % version % is a code or label of that list', NEW.alias, NEW.list, NEW.version
            USING ERRCODE = 'check_violation', CONSTRAINT = 'code_list_aliases_distinct_check';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER code_list_aliases_distinct BEFORE INSERT OR UPDATE ON code_list_aliases
    FOR EACH ROW EXECUTE FUNCTION code_list_aliases_distinct();

INSERT INTO code_list_versions (version, note) VALUES
    ('2026.1', 'every code of 2024.1; theme (GB/T 21063.4 主题分类) beside category (industry: GB/T 4754-2017 门类, '
        'the industry field of GB/T 43697-2024); document kinds; aliases for the words offices use');

-- Every code of 2024.1, unchanged. `category` is the industry classification: the 20 sections
-- (门类 A–T) of GB/T 4754-2017 《国民经济行业分类》, which GB/T 43697-2024 uses for the
-- industry field ("industry field first, then business attributes"). It is not the theme.
INSERT INTO code_lists (version, list, code, label_zh, label_en, parent, ordinal)
SELECT '2026.1', list, code, label_zh, label_en, parent, ordinal FROM code_lists WHERE version = '2024.1';

-- theme: 主题分类 of government information resources, GB/T 21063.4-2007 《政务信息资源目录体系
-- 第4部分：政务信息资源分类》. What this is based on: the standard's text itself was not within
-- reach; the 20 first-level themes below, in this order and with these names, are the theme
-- list that government open-data portals and catalogue systems built on GB/T 21063.4 show
-- (for example the subject filters and subject trees of several provincial open-data
-- portals, each first-level theme with second-level items such as 经济管理 → 统计, 物价, 工商;
-- 劳动、人事 → 劳动就业, 社会保障; 文化、卫生、体育 → 医药卫生管理, 医疗保健, 体育). Some
-- catalogues write 工业、交通、邮政 for 工业、交通 and 财政 for 财政、金融 (its items are 财政,
-- 税务, 金融, 保险, 审计, 会计): those are aliases. The standard's own code values were not
-- verified [U], so the codes are mnemonic names, not numbers that would pretend to be the
-- standard's; OTHER (其他) is ours [P], for resources no theme fits. Second-level themes are
-- not listed: the record carries one first-level theme.
INSERT INTO code_lists (version, list, code, label_zh, label_en, ordinal)
SELECT '2026.1', 'theme', l.code, l.zh, l.en, l.ord FROM (VALUES
    ('GENERAL_AFFAIRS', '综合政务', 'General government affairs', 1),
    ('ECONOMIC_MANAGEMENT', '经济管理', 'Economic management', 2),
    ('LAND_RESOURCES_ENERGY', '国土资源、能源', 'Land resources and energy', 3),
    ('INDUSTRY_TRANSPORT', '工业、交通', 'Industry and transport', 4),
    ('INFORMATION_INDUSTRY', '信息产业', 'Information industry', 5),
    ('URBAN_RURAL_ENVIRONMENT', '城乡建设、环境保护', 'Urban and rural construction, environmental protection', 6),
    ('AGRICULTURE_WATER', '农业、水利', 'Agriculture and water resources', 7),
    ('FINANCE', '财政、金融', 'Public finance and finance', 8),
    ('COMMERCE_TRADE', '商业、贸易', 'Commerce and trade', 9),
    ('TOURISM_SERVICES', '旅游、服务业', 'Tourism and services', 10),
    ('METEOROLOGY_SURVEYING', '气象、水文、测绘、地震', 'Meteorology, hydrology, surveying and mapping, seismology', 11),
    ('FOREIGN_AFFAIRS', '对外事务', 'Foreign affairs', 12),
    ('POLITICS_LAW_SUPERVISION', '政法、监察', 'Politics and law, supervision', 13),
    ('SCIENCE_EDUCATION', '科技、教育', 'Science, technology and education', 14),
    ('CULTURE_HEALTH_SPORTS', '文化、卫生、体育', 'Culture, health and sport', 15),
    ('MILITARY_DEFENCE', '军事、国防', 'Military affairs and national defence', 16),
    ('LABOUR_PERSONNEL', '劳动、人事', 'Labour and personnel', 17),
    ('CIVIL_AFFAIRS_COMMUNITY', '民政、社区', 'Civil affairs and community', 18),
    ('SECRETARIAT_ADMINISTRATION', '文秘、行政', 'Secretarial and administrative work', 19),
    ('PARTY_ORGANISATIONS', '综合党团', 'Party and mass organisations', 20),
    ('OTHER', '其他', 'Other', 21)
) AS l (code, zh, en, ord);

-- document_kind: what an evidence document is (Document.kind).
INSERT INTO code_lists (version, list, code, label_zh, label_en, ordinal)
SELECT '2026.1', 'document_kind', l.code, l.zh, l.en, l.ord FROM (VALUES
    ('legal_basis', '法律依据', 'Legal basis', 1),
    ('source', '数据来源证明', 'Proof of the data''s source', 2),
    ('commitment_letter', '登记承诺书', 'Registration commitment letter', 3),
    ('power_of_attorney', '授权委托书', 'Power of attorney (an agent files)', 4),
    ('disposal_evidence', '处置证明', 'Evidence of disposal', 5),
    ('other', '其他', 'Other', 6)
) AS l (code, zh, en, ord);

-- The aliases, in each code's order of how often offices write them. Both versions get them
-- where the code exists (2024.1 has no theme and no document_kind list). Modern department
-- words map to the theme that holds their business (卫生健康 → 文化、卫生、体育, 生态环境 →
-- 城乡建设、环境保护, 市场监管 → 经济管理, whose items are 工商 and 物价, 公共安全 → 政法、监察,
-- whose items are 公安 and 国家安全, 社会保障 → 劳动、人事); words that fit two themes (文旅,
-- 邮政, 应急) or two industries (工业, 能源) are left out on purpose: the office picks.
INSERT INTO code_list_aliases (version, list, alias, code, ordinal)
SELECT v.version, a.list, x.alias, a.code, x.ord
FROM (VALUES
    ('sharing_method', 'API', ARRAY['接口', 'API接口', '服务接口', '接口调用']),
    ('sharing_method', 'FILE_DOWNLOAD', ARRAY['文件', '下载', '文件共享', '文件交换']),
    ('sharing_method', 'DATABASE_EXCHANGE', ARRAY['库表', '数据库', '库表共享', '数据库交换', '库表对接']),
    ('sharing_method', 'ONLINE_QUERY', ARRAY['查询', '在线核验', '查询核验']),
    ('sharing_method', 'PRIVACY_COMPUTING', ARRAY['可用不可见']),
    ('sharing_method', 'OTHER', ARRAY['其它']),

    ('update_cycle', 'REALTIME', ARRAY['每5分钟', '每五分钟', '分钟级', '准实时', '秒级', '每分钟', '实时更新']),
    ('update_cycle', 'HOURLY', ARRAY['每时', '按小时', '小时级']),
    ('update_cycle', 'DAILY', ARRAY['日', '每天', '按日', '按天', '日更新']),
    ('update_cycle', 'WEEKLY', ARRAY['周', '按周', '每星期']),
    ('update_cycle', 'MONTHLY', ARRAY['月', '按月', '月度']),
    ('update_cycle', 'QUARTERLY', ARRAY['季', '按季', '季度', '每季', '按季度']),
    ('update_cycle', 'HALF_YEARLY', ARRAY['半年', '按半年', '半年度']),
    ('update_cycle', 'YEARLY', ARRAY['年', '按年', '年度', '每年度']),
    ('update_cycle', 'IRREGULAR', ARRAY['不定时', '按需', '不定时更新', '不定期更新', '按需更新']),
    ('update_cycle', 'STATIC', ARRAY['一次性', '静态', '静态数据', '无更新', '不再更新']),

    ('storage_mode', 'DATABASE', ARRAY['库表', '数据库存储', '关系数据库']),
    ('storage_mode', 'FILE', ARRAY['文件存储', '文件系统']),
    ('storage_mode', 'DATA_WAREHOUSE', ARRAY['数仓']),
    ('storage_mode', 'OBJECT_STORAGE', ARRAY['对象存储服务', 'OSS']),
    ('storage_mode', 'CLOUD', ARRAY['云', '云存储', '云平台', '政务云平台']),
    ('storage_mode', 'OTHER', ARRAY['其它']),

    ('product_form', 'DATASET', ARRAY['数据包', '数据集产品']),
    ('product_form', 'API', ARRAY['接口', 'API接口', '数据服务接口']),
    ('product_form', 'ANALYSIS_REPORT', ARRAY['报告', '数据报告', '研究报告']),
    ('product_form', 'VISUALISATION', ARRAY['可视化', '看板', '数据看板', '大屏']),
    ('product_form', 'INDEX', ARRAY['指数']),
    ('product_form', 'MODEL', ARRAY['模型', '算法模型']),
    ('product_form', 'ENCRYPTED_DATA', ARRAY['密文数据']),

    ('kind', 'ASSET_KIND_DATA_RESOURCE', ARRAY['资源']),
    ('kind', 'ASSET_KIND_DATA_PRODUCT', ARRAY['产品']),
    ('grade', 'GRADE_GENERAL', ARRAY['一般', '一般级']),
    ('grade', 'GRADE_IMPORTANT', ARRAY['重要', '重要级']),
    ('grade', 'GRADE_CORE', ARRAY['核心', '核心级']),
    ('sharing_attribute', 'SHARING_ATTRIBUTE_UNCONDITIONAL', ARRAY['无条件']),
    ('sharing_attribute', 'SHARING_ATTRIBUTE_CONDITIONAL', ARRAY['有条件']),
    ('sharing_attribute', 'SHARING_ATTRIBUTE_NOT_SHARED', ARRAY['不共享', '不予']),
    ('open_attribute', 'OPEN_ATTRIBUTE_UNCONDITIONAL', ARRAY['无条件']),
    ('open_attribute', 'OPEN_ATTRIBUTE_CONDITIONAL', ARRAY['有条件']),
    ('open_attribute', 'OPEN_ATTRIBUTE_NOT_OPEN', ARRAY['不开放', '不予']),

    ('sector', 'INDUSTRIAL_MANUFACTURING', ARRAY['工业', '制造']),
    ('sector', 'MODERN_AGRICULTURE', ARRAY['农业']),
    ('sector', 'COMMERCE', ARRAY['商贸', '商业']),
    ('sector', 'TRANSPORT', ARRAY['交通']),
    ('sector', 'FINANCIAL_SERVICES', ARRAY['金融']),
    ('sector', 'SCIENCE_INNOVATION', ARRAY['科技']),
    ('sector', 'CULTURE_TOURISM', ARRAY['文旅', '文化和旅游']),
    ('sector', 'HEALTHCARE', ARRAY['医疗', '卫生健康', '健康医疗']),
    ('sector', 'EMERGENCY_MANAGEMENT', ARRAY['应急']),
    ('sector', 'METEOROLOGY', ARRAY['气象']),
    ('sector', 'URBAN_GOVERNANCE', ARRAY['城市管理']),
    ('sector', 'GREEN_LOW_CARBON', ARRAY['绿色', '低碳', '双碳']),
    ('sector', 'OTHER', ARRAY['其它']),

    ('refusal_reason', 'CORE_DATA', ARRAY['核心数据']),
    ('refusal_reason', 'UNLAWFUL_SOURCE', ARRAY['来源不合法']),
    ('refusal_reason', 'UNAUTHORISED', ARRAY['无授权']),
    ('refusal_reason', 'OWNERSHIP_DISPUTE', ARRAY['权属争议']),
    ('refusal_reason', 'INCOMPLETE_MATERIALS', ARRAY['材料不全']),
    ('refusal_reason', 'NOT_IN_SCOPE', ARRAY['不在登记范围']),
    ('refusal_reason', 'FALSE_INFORMATION', ARRAY['虚假信息']),
    ('refusal_reason', 'DUPLICATE', ARRAY['重复']),
    ('refusal_reason', 'OTHER', ARRAY['其它']),

    -- Industry sections (GB/T 4754 门类): short forms offices write.
    ('category', 'A', ARRAY['农林牧渔', '农业', '林业', '畜牧业', '渔业']),
    ('category', 'B', ARRAY['采矿', '矿业']),
    ('category', 'C', ARRAY['制造']),
    ('category', 'D', ARRAY['电力', '热力', '燃气', '供水', '水电气']),
    ('category', 'E', ARRAY['建筑']),
    ('category', 'F', ARRAY['批发零售', '批发', '零售', '商贸']),
    ('category', 'G', ARRAY['交通运输', '交通', '物流', '邮政', '仓储']),
    ('category', 'H', ARRAY['住宿餐饮', '住宿', '餐饮']),
    ('category', 'I', ARRAY['信息技术', '软件', '信息服务', '互联网', '电信']),
    ('category', 'J', ARRAY['金融']),
    ('category', 'K', ARRAY['房地产']),
    ('category', 'L', ARRAY['租赁', '商务服务']),
    ('category', 'M', ARRAY['科研', '科学研究', '技术服务']),
    ('category', 'N', ARRAY['水利', '环境', '生态环境', '公共设施']),
    ('category', 'O', ARRAY['居民服务', '修理']),
    ('category', 'Q', ARRAY['卫生', '医疗卫生', '卫生健康', '社会工作']),
    ('category', 'R', ARRAY['文化', '体育', '娱乐', '文体娱乐']),
    ('category', 'S', ARRAY['公共管理', '社会保障', '社会组织', '政府机关']),

    ('theme', 'GENERAL_AFFAIRS', ARRAY['政务', '政务公开', '政府事务']),
    ('theme', 'ECONOMIC_MANAGEMENT', ARRAY['市场监管', '市场监督管理', '发展改革', '统计', '物价', '价格监管',
        '国民经济管理', '国有资产监管', '工商', '食品药品安全']),
    ('theme', 'LAND_RESOURCES_ENERGY', ARRAY['自然资源', '国土资源', '国土', '能源', '矿产资源', '海洋', '能源安全']),
    ('theme', 'INDUSTRY_TRANSPORT', ARRAY['交通运输', '交通', '工业', '工业、交通、邮政', '铁路', '民航', '公路']),
    ('theme', 'INFORMATION_INDUSTRY', ARRAY['信息化', '通信', '电信', '软件和信息服务']),
    ('theme', 'URBAN_RURAL_ENVIRONMENT', ARRAY['生态环境', '环境保护', '生态环保', '环保', '城乡建设', '城建住房',
        '住房城乡建设', '住房和城乡建设', '住建', '城市建设', '城市管理']),
    ('theme', 'AGRICULTURE_WATER', ARRAY['农业农村', '农业', '水利', '林业', '农林水', '农业、林业、水利', '畜牧', '渔业']),
    ('theme', 'FINANCE', ARRAY['财政', '金融', '税务', '审计', '财税', '财政、金融、审计']),
    ('theme', 'COMMERCE_TRADE', ARRAY['商务', '商业', '贸易', '商贸', '海关']),
    ('theme', 'TOURISM_SERVICES', ARRAY['旅游', '服务业']),
    ('theme', 'METEOROLOGY_SURVEYING', ARRAY['气象', '水文', '测绘', '地震', '地理信息']),
    ('theme', 'FOREIGN_AFFAIRS', ARRAY['外事', '外交']),
    ('theme', 'POLITICS_LAW_SUPERVISION', ARRAY['公共安全', '公安', '政法', '司法', '监察', '国家安全', '公安、安全、司法']),
    ('theme', 'SCIENCE_EDUCATION', ARRAY['教育科技', '科技', '教育', '科学技术', '知识产权']),
    ('theme', 'CULTURE_HEALTH_SPORTS', ARRAY['卫生健康', '医疗卫生', '医疗健康', '健康保障', '卫生', '健康', '体育', '文化',
        '卫生、体育', '文化、广电、新闻出版', '广电', '新闻出版']),
    ('theme', 'MILITARY_DEFENCE', ARRAY['军事', '国防', '国防动员', '人民防空', '人防']),
    ('theme', 'LABOUR_PERSONNEL', ARRAY['社会保障', '人力资源和社会保障', '人社', '社保', '就业', '劳动就业', '人事', '劳动']),
    ('theme', 'CIVIL_AFFAIRS_COMMUNITY', ARRAY['民政', '社区', '社区治理', '社会救助', '民政、扶贫、救灾']),
    ('theme', 'SECRETARIAT_ADMINISTRATION', ARRAY['文秘', '行政', '档案', '信访', '行政事务', '机要']),
    ('theme', 'PARTY_ORGANISATIONS', ARRAY['党团', '党建', '党务', '民族宗教', '宗教', '侨务', '港澳台']),
    ('theme', 'OTHER', ARRAY['其它']),

    ('document_kind', 'legal_basis', ARRAY['法律法规依据', '依据']),
    ('document_kind', 'source', ARRAY['来源证明', '数据来源']),
    ('document_kind', 'commitment_letter', ARRAY['承诺书']),
    ('document_kind', 'power_of_attorney', ARRAY['委托书', '授权书']),
    ('document_kind', 'disposal_evidence', ARRAY['销毁证明']),
    ('document_kind', 'other', ARRAY['其它'])
) AS a (list, code, aliases)
CROSS JOIN LATERAL unnest(a.aliases) WITH ORDINALITY AS x (alias, ord)
CROSS JOIN (VALUES ('2024.1'), ('2026.1')) AS v (version)
WHERE EXISTS (SELECT 1 FROM code_lists c WHERE c.version = v.version AND c.list = a.list AND c.code = a.code);

-- Drafts created without a version cite the current one; records citing 2024.1 keep it.
UPDATE code_list_versions SET current = false WHERE current;
UPDATE code_list_versions SET current = true WHERE version = '2026.1';

-- +goose Down
-- Forward-only.
