package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/services/catalog/internal/domain"
)

var cst = time.FixedZone("CST", 8*3600)

func TestFormatRegistrationNumber(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	require.Equal(t, "YS-2026-00000042", domain.FormatRegistrationNumber("YS-{YYYY}-{SEQ:8}", 42, at))
	require.Equal(t, "YS-2026-42", domain.FormatRegistrationNumber("YS-{YYYY}-{SEQ}", 42, at))
	require.Equal(t, "123456789", domain.FormatRegistrationNumber("{SEQ:4}", 123456789, at), "never truncated")
	require.Equal(t, "2026/0007/2026-07", domain.FormatRegistrationNumber("{YYYY}/{SEQ:4}/{YYYY}-{SEQ:2}", 7, at))
	require.Equal(t, "SZ-7", domain.FormatRegistrationNumber("SZ-{SEQ:x}", 7, at))
	require.Equal(t, "SZ-{SEQ", domain.FormatRegistrationNumber("SZ-{SEQ", 7, at))
	// The year is the registry's (China Standard Time): 2025-12-31 16:00 UTC is 2026-01-01.
	require.Equal(t, "YS-2026-00000001", domain.FormatRegistrationNumber("YS-{YYYY}-{SEQ:8}", 1, time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC)))
	require.Equal(t, "YS-2025-00000001", domain.FormatRegistrationNumber("YS-{YYYY}-{SEQ:8}", 1, time.Date(2025, 12, 31, 15, 59, 0, 0, time.UTC)))

	require.True(t, domain.ValidRegistrationNumberFormat("YS-{YYYY}-{SEQ:8}"))
	require.True(t, domain.ValidRegistrationNumberFormat("{SEQ}"))
	require.False(t, domain.ValidRegistrationNumberFormat("YS-{YYYY}"))
}

func TestPublicityEnd(t *testing.T) {
	t.Parallel()
	monday := time.Date(2026, 3, 2, 9, 30, 0, 0, cst) // Monday morning
	require.Equal(t, time.Monday, monday.Weekday())
	want := time.Date(2026, 3, 17, 0, 0, 0, 0, cst) // the Tuesday two weeks later, 00:00 CST
	end := domain.PublicityEnd(monday, 10, nil)
	require.Equal(t, want.UTC(), end)
	require.Equal(t, time.Date(2026, 3, 16, 16, 0, 0, 0, time.UTC), end)
	require.Equal(t, time.UTC, end.Location())
	// The same instant in UTC gives the same end; so does any time on the start day.
	require.Equal(t, end, domain.PublicityEnd(monday.UTC(), 10, nil))
	require.Equal(t, end, domain.PublicityEnd(time.Date(2026, 3, 2, 0, 0, 0, 0, cst), 10, nil))
	require.Equal(t, end, domain.PublicityEnd(time.Date(2026, 3, 2, 23, 59, 0, 0, cst), 10, nil))
	// Sunday 23:30 UTC is already Monday in the registry's calendar.
	require.Equal(t, end, domain.PublicityEnd(time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC), 10, nil))
	// Sunday 15:00 UTC is still Sunday: Monday counts, and the window ends at 00:00 CST on
	// the Saturday.
	require.Equal(t, time.Date(2026, 3, 14, 0, 0, 0, 0, cst).UTC(), domain.PublicityEnd(time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC), 10, nil))

	// A holiday on a working day adds a day; one on a weekend or outside the window does not.
	require.Equal(t, end.AddDate(0, 0, 1), domain.PublicityEnd(monday, 10, map[string]bool{"2026-03-05": true}))
	require.Equal(t, end.AddDate(0, 0, 2), domain.PublicityEnd(monday, 10, map[string]bool{"2026-03-05": true, "2026-03-06": true}))
	require.Equal(t, end, domain.PublicityEnd(monday, 10, map[string]bool{"2026-03-07": true, "2026-03-02": true, "2026-03-20": true}))
	// A holiday at the end moves it past the weekend.
	require.Equal(t, time.Date(2026, 3, 18, 0, 0, 0, 0, cst).UTC(), domain.PublicityEnd(monday, 10, map[string]bool{"2026-03-16": true}))

	// Friday start: the weekend does not count.
	friday := time.Date(2026, 3, 6, 17, 0, 0, 0, cst)
	require.Equal(t, time.Date(2026, 3, 10, 0, 0, 0, 0, cst).UTC(), domain.PublicityEnd(friday, 1, nil))
	// The National Day week.
	golden := map[string]bool{}
	for d := 1; d <= 7; d++ {
		golden[time.Date(2026, 10, d, 0, 0, 0, 0, cst).Format(time.DateOnly)] = true
	}
	require.Equal(t, time.Date(2026, 10, 9, 0, 0, 0, 0, cst).UTC(), domain.PublicityEnd(time.Date(2026, 9, 30, 10, 0, 0, 0, cst), 1, golden))
}

func TestCertificate(t *testing.T) {
	t.Parallel()
	e := registeredEnv(t)
	issued := time.Date(2026, 3, 20, 17, 30, 0, 123456789, time.UTC) // 2026-03-21 in CST
	c := domain.NewCertificate(e.asset, 3, "某市数据资产登记中心", issued)
	require.Equal(t, domain.Certificate{
		AssetID: "asset-1", Serial: 3, RegistrationNumber: "YS-2026-00000001", AssetName: "城市道路交通流量数据",
		HolderOrganisation: ownOrg, HolderName: "某市交通运输局", Grade: "GENERAL", IssueDate: "2026-03-21",
		RegistryName: "某市数据资产登记中心", IssueTime: issued.Truncate(time.Microsecond),
	}, c)

	c.AssetName = "多行\n名称\t  含空白"
	text := c.Text()
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	require.Equal(t, domain.CertificateTitle, lines[0])
	require.Equal(t, "Yaosu data asset registration certificate", lines[0])
	require.Equal(t, []string{
		"registration_number: YS-2026-00000001",
		"asset: assets/asset-1",
		"asset_name: 多行 名称 含空白",
		"holder_organisation: " + ownOrg,
		"holder_name: 某市交通运输局",
		"grade: GENERAL",
		"issue_date: 2026-03-21",
		"registry_name: 某市数据资产登记中心",
		"serial: 3",
	}, lines[1:])
	require.True(t, strings.HasSuffix(text, "\n"))
	for _, l := range lines[1:] {
		k, _, ok := strings.Cut(l, ": ")
		require.True(t, ok, l)
		require.NotContains(t, k, " ", l)
	}
}
