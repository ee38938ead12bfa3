package store_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/testkit"
	"yaosu.dev/services/catalog"
	"yaosu.dev/services/catalog/internal/domain"
	"yaosu.dev/services/catalog/internal/store"
)

func migrated(t *testing.T) *pgxpool.Pool {
	t.Helper()
	dsn := testkit.Database(t, testkit.Schemas{catalog.Name: catalog.Migrations()})
	pool, err := postgres.Connect(context.Background(), dsn, catalog.Name, 4)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// TestOfficeWordsResolveToCodes: the words offices write for codes (issue 13) resolve in
// the current version, however they are cased, spaced or separated.
func TestOfficeWordsResolveToCodes(t *testing.T) {
	pool := migrated(t)
	set, err := store.New(pool).CodeLists(context.Background(), "")
	require.NoError(t, err)
	require.Equal(t, "2026.1", set.Version(), "2026.1 is current")
	for list, words := range map[string]map[string]string{
		domain.ListSharingMethod: {"接口": "API", "文件": "FILE_DOWNLOAD", "库表": "DATABASE_EXCHANGE", "接口共享": "API",
			"api": "API", "ＡＰＩ": "API", "File download": "FILE_DOWNLOAD"},
		domain.ListUpdateCycle: {"每5分钟": "REALTIME", "分钟级": "REALTIME", "准实时": "REALTIME", "日": "DAILY", "每天": "DAILY",
			"按日": "DAILY", "每日": "DAILY", "daily": "DAILY", "月": "MONTHLY", "按月": "MONTHLY", "季": "QUARTERLY", "按季": "QUARTERLY",
			"年": "YEARLY", "按年": "YEARLY", "不定时": "IRREGULAR", "按需": "IRREGULAR", "一次性": "STATIC", " 每 天 ": "DAILY"},
		domain.ListTheme: {"卫生健康": "CULTURE_HEALTH_SPORTS", "交通运输": "INDUSTRY_TRANSPORT", "自然资源": "LAND_RESOURCES_ENERGY",
			"生态环境": "URBAN_RURAL_ENVIRONMENT", "市场监管": "ECONOMIC_MANAGEMENT", "公共安全": "POLITICS_LAW_SUPERVISION",
			"社会保障": "LABOUR_PERSONNEL", "教育科技": "SCIENCE_EDUCATION", "医疗卫生": "CULTURE_HEALTH_SPORTS",
			"城建住房": "URBAN_RURAL_ENVIRONMENT", "工业/交通": "INDUSTRY_TRANSPORT", "工业、交通、邮政": "INDUSTRY_TRANSPORT",
			"财政": "FINANCE", "综合政务": "GENERAL_AFFAIRS"},
		domain.ListCategory:     {"交通运输": "G", "农、林、牧、渔业": "A", "农林牧渔业": "A", "金融": "J", "g": "G"},
		domain.ListGrade:        {"一般": domain.GradeGeneral, "重要数据": domain.GradeImportant, "核心": domain.GradeCore},
		domain.ListDocumentKind: {"授权委托书": "power_of_attorney", "委托书": "power_of_attorney", "登记承诺书": "commitment_letter"},
	} {
		for word, want := range words {
			got, ok := set.Resolve(list, word)
			require.True(t, ok, "%s: %q", list, word)
			require.Equal(t, want, got, "%s: %q", list, word)
		}
	}
	for list, word := range map[string]string{domain.ListUpdateCycle: "每5秒", domain.ListTheme: "宇宙探索",
		domain.ListSharingMethod: "传真", "no_such_list": "接口", domain.ListCategory: ""} {
		_, ok := set.Resolve(list, word)
		require.False(t, ok, "%s: %q", list, word)
	}
}

// TestEveryVersionResolvesUnambiguously loads every published version: NewCodeSet refuses a
// version in which one word (code, label or alias, compared as the server compares them)
// would stand for two codes of a list.
func TestEveryVersionResolvesUnambiguously(t *testing.T) {
	pool := migrated(t)
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT version FROM code_list_versions ORDER BY version`)
	require.NoError(t, err)
	var versions []string
	for rows.Next() {
		var v string
		require.NoError(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"2024.1", "2026.1"}, versions)
	st := store.New(pool)
	for _, v := range versions {
		set, err := st.CodeLists(ctx, v)
		require.NoError(t, err, v)
		for _, c := range set.Codes() {
			for _, a := range c.Aliases {
				got, ok := set.Resolve(c.List, a)
				require.True(t, ok && got == c.Code, "%s %s alias %q → %q", v, c.List, a, got)
			}
		}
	}
}

// TestVersion2024Unchanged: 2024.1's codes and labels are those it was published with (only
// aliases were added), 2026.1 holds every one of them, and 2024.1 has no theme.
func TestVersion2024Unchanged(t *testing.T) {
	pool := migrated(t)
	ctx := context.Background()
	var n2024, missing, themes int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM code_lists WHERE version = '2024.1'`).Scan(&n2024))
	require.Equal(t, 82, n2024, "the codes seeded by 00002_registration.sql")
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM code_lists o WHERE o.version = '2024.1' AND NOT EXISTS (
		SELECT 1 FROM code_lists n WHERE n.version = '2026.1' AND (n.list, n.code, n.label_zh, n.label_en, n.parent, n.ordinal)
			= (o.list, o.code, o.label_zh, o.label_en, o.parent, o.ordinal))`).Scan(&missing))
	require.Zero(t, missing)
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM code_lists WHERE version = '2024.1' AND list = 'theme'`).Scan(&themes))
	require.Zero(t, themes)
}

// TestAliasConstraints: the database keeps an alias to one code of its list, distinct from
// every code and label of that list, whatever the case.
func TestAliasConstraints(t *testing.T) {
	pool := migrated(t)
	ctx := context.Background()
	insert := func(list, alias, code string) error {
		_, err := pool.Exec(ctx, `INSERT INTO code_list_aliases (version, list, alias, code, ordinal) VALUES ('2026.1', $1, $2, $3, 99)`,
			list, alias, code)
		return err
	}
	sqlState := func(err error) string {
		var pg *pgconn.PgError
		require.ErrorAs(t, err, &pg)
		return pg.Code
	}
	require.Equal(t, "23514", sqlState(insert("update_cycle", "每日", "REALTIME")), "a label is not an alias")
	require.Equal(t, "23514", sqlState(insert("update_cycle", "Daily", "REALTIME")), "an English label, any case")
	require.Equal(t, "23514", sqlState(insert("update_cycle", "hourly", "REALTIME")), "a code, any case")
	require.Equal(t, "23505", sqlState(insert("sharing_method", "接口", "FILE_DOWNLOAD")), "one alias, one code")
	require.Equal(t, "23505", sqlState(insert("storage_mode", "oss", "FILE")), "case does not make another alias")
	require.Equal(t, "23503", sqlState(insert("theme", "太空", "SPACE")), "the code must exist")
	require.NoError(t, insert("update_cycle", "每10分钟", "REALTIME"))
}

// TestNewCodeSetRefusesAmbiguity: one word for two codes of a list is refused, in any of
// the forms the server compares (a label of one code spelled as the alias of another, with
// other separators).
func TestNewCodeSetRefusesAmbiguity(t *testing.T) {
	_, err := store.NewCodeSet("x", []store.Code{
		{List: "theme", Code: "A", LabelZh: "工业、交通"},
		{List: "theme", Code: "B", LabelZh: "信息产业", Aliases: []string{"工业/交通"}},
	})
	require.ErrorContains(t, err, `"工业/交通" stands for both A and B`)
	_, err = store.NewCodeSet("x", []store.Code{
		{List: "a", Code: "X", LabelZh: "同"}, {List: "b", Code: "Y", LabelZh: "同"},
	})
	require.NoError(t, err, "lists are separate vocabularies")
}

// TestRecordValidationWithOfficeWords runs the domain's record rules over the real
// 2026.1 and 2024.1 code sets.
func TestRecordValidationWithOfficeWords(t *testing.T) {
	pool := migrated(t)
	ctx := context.Background()
	st := store.New(pool)
	cur, err := st.CodeLists(ctx, "")
	require.NoError(t, err)
	old, err := st.CodeLists(ctx, "2024.1")
	require.NoError(t, err)
	base := func() domain.Record {
		return domain.Record{DisplayName: "名称", HolderOrganisation: "91350100M000100Y43", UpdateCycle: "每天",
			Catalogue: &domain.Catalogue{SharingMethod: "接口", Theme: "卫生健康"},
			Evidence:  []domain.Document{{Name: "委托书.pdf", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Kind: "授权委托书"}}}
	}

	r := base()
	require.NoError(t, r.Validate(cur))
	require.Equal(t, "DAILY", r.UpdateCycle)
	require.Equal(t, "API", r.Catalogue.SharingMethod)
	require.Equal(t, "CULTURE_HEALTH_SPORTS", r.Catalogue.Theme)
	require.Equal(t, "power_of_attorney", r.Evidence[0].Kind)

	r = base()
	r.UpdateCycle, r.Catalogue.Theme, r.Evidence[0].Kind = "每5秒", "宇宙探索", "合同"
	err = r.Validate(cur)
	e, ok := errs.As(err)
	require.True(t, ok)
	require.Equal(t, domain.ReasonUnknownCode, e.Reason)
	byField := map[string]errs.FieldViolation{}
	for _, v := range e.Violations {
		byField[v.Field] = v
	}
	require.Len(t, byField, 3)
	cycle := byField["asset.update_cycle"]
	require.Equal(t, `unknown update cycle "每5秒": accepted 实时, 每小时, 每日, 每周, 每月, 每季度, 每半年, 每年, 不定期, 不更新, `+
		`their codes or aliases (code list update_cycle, version 2026.1)`, cycle.Description)
	require.Equal(t, `未知的更新周期“每5秒”：可填 实时、每小时、每日、每周、每月、每季度、每半年、每年、不定期、不更新，`+
		`或其代码、别名（代码表 update_cycle，版本 2026.1）`, cycle.DescriptionZh)
	require.Contains(t, byField["asset.catalogue.theme"].DescriptionZh, "未知的主题分类“宇宙探索”：可填 综合政务、经济管理")
	require.Contains(t, byField["asset.evidence[0].kind"].Description, "accepted 法律依据, 数据来源证明, 登记承诺书, 授权委托书")

	// 2024.1: aliases resolve, evidence kinds stay free text, and there is no theme list.
	r = base()
	r.CodeListVersion, r.Catalogue.Theme, r.Evidence[0].Kind = "2024.1", "", "合同"
	require.NoError(t, r.Validate(old), "a record citing 2024.1 still validates")
	require.Equal(t, "API", r.Catalogue.SharingMethod)
	r.Catalogue.Theme = "综合政务"
	err = r.Validate(old)
	e, _ = errs.As(err)
	require.Equal(t, "asset.catalogue.theme", e.Violations[0].Field)
	require.Contains(t, e.Violations[0].Description, "code-list version 2024.1 has no theme list")

	// Core data written the office's way is still core data.
	r = base()
	r.Grade = "核心数据"
	require.Equal(t, domain.ReasonCoreData, errs.ReasonOf(r.Validate(cur)))
}
