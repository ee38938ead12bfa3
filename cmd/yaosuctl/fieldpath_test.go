package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

func TestSetParsesEveryKindOfValue(t *testing.T) {
	t.Parallel()
	e := assetEdit{sets: []string{
		"summary=市场主体 登记=数据", // only the first = splits
		"grade=IMPORTANT",
		"sharing_attribute=CONDITIONAL",
		"openAttribute=不予开放", // JSON name, Chinese label
		"kind=ASSET_KIND_DATA_PRODUCT",
		"tags=交通,流量；道路",
		"volume_records=1,234,567",
		"catalogue.resource_code=101001/000123",
		"catalogue.related_resource_codes=[\"a\",\"b\"]",
		"agent={\"organisation\":\"91110000600037341L\",\"name\":\"代理\"}",
		"fields=路口编号:字符型:唯一编号;车牌:字符型:抓拍\\:车牌:敏感",
		"evidence=授权.pdf|9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08|1024|legal_basis",
		`contacts=[{"name":"张伟","phone":"123"}]`,
	}}
	a, mask, err := e.build(strings.NewReader(""), nil)
	require.NoError(t, err)
	want := &catalogv1.Asset{
		Summary:          "市场主体 登记=数据",
		Grade:            catalogv1.Grade_GRADE_IMPORTANT,
		SharingAttribute: catalogv1.SharingAttribute_SHARING_ATTRIBUTE_CONDITIONAL,
		OpenAttribute:    catalogv1.OpenAttribute_OPEN_ATTRIBUTE_NOT_OPEN,
		Kind:             catalogv1.AssetKind_ASSET_KIND_DATA_PRODUCT,
		Tags:             []string{"交通", "流量", "道路"},
		VolumeRecords:    1234567,
		Catalogue:        &catalogv1.CatalogueMetadata{ResourceCode: "101001/000123", RelatedResourceCodes: []string{"a", "b"}},
		Agent:            &catalogv1.Agent{Organisation: "91110000600037341L", Name: "代理"},
		Fields: []*catalogv1.DataField{
			{Name: "路口编号", Type: "字符型", Description: "唯一编号"},
			{Name: "车牌", Type: "字符型", Description: "抓拍:车牌", Sensitive: true},
		},
		Evidence: []*catalogv1.Document{{Name: "授权.pdf", Sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			SizeBytes: 1024, Kind: "legal_basis"}},
		Contacts: []*catalogv1.Contact{{Name: "张伟", Phone: "123"}},
	}
	require.True(t, proto.Equal(want, a), "got %v", a)
	require.Equal(t, []string{"summary", "grade", "sharing_attribute", "open_attribute", "kind", "tags", "volume_records",
		"catalogue.resource_code", "catalogue.related_resource_codes", "agent", "fields", "evidence", "contacts"}, mask,
		"mask paths in proto names, in --set order")
}

func TestSetErrors(t *testing.T) {
	t.Parallel()
	for set, want := range map[string]string{
		"summary":                     "want PATH=VALUE",
		"nope=1":                      `Asset has no field "nope"`,
		"catalogue.nope=1":            `CatalogueMetadata has no field "nope"`,
		"summary.x=1":                 "summary is not a message",
		"grade=VERY":                  `"VERY" is not one of GENERAL (一般数据), IMPORTANT (重要数据), CORE (核心数据)`,
		"volume_records=many":         `"many" is not a whole number`,
		"agent=not json":              "agent",
		"evidence=x.pdf|nothex|1":     "is not a SHA-256",
		"fields=:字符型":                 "has no name",
		"catalogue={\"bogus\": true}": "bogus",
	} {
		_, _, err := (&assetEdit{sets: []string{set}}).build(strings.NewReader(""), nil)
		require.ErrorContains(t, err, want, set)
	}
}

func TestSetEmptyClearsAndStaysInMask(t *testing.T) {
	t.Parallel()
	a, mask, err := (&assetEdit{sets: []string{"summary=x", "summary=", "tags=", "catalogue.resource_code="}}).build(strings.NewReader(""), nil)
	require.NoError(t, err)
	require.Empty(t, a.GetSummary())
	require.Empty(t, a.GetTags())
	require.Empty(t, a.GetCatalogue().GetResourceCode())
	require.Equal(t, []string{"summary", "tags", "catalogue.resource_code"}, mask)
}

func TestFromFileMaskIsThePresentWritableFields(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// As `asset get -o json` prints it: output-only fields included.
	file := filepath.Join(dir, "a.json")
	raw, err := protojson.Marshal(&catalogv1.Asset{
		Name: "assets/x", State: catalogv1.AssetState_ASSET_STATE_DRAFT, Revision: 3, Etag: `"3"`,
		DisplayName: "企业登记信息", HolderOrganisation: testOrg, Grade: catalogv1.Grade_GRADE_GENERAL,
		Catalogue: &catalogv1.CatalogueMetadata{ClassCategory: "基础信息资源", PublicationDate: "2024-01-01"},
		Fields:    []*catalogv1.DataField{{Name: "统一社会信用代码"}},
	})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, raw, 0o600))

	e := assetEdit{fromFile: file, sets: []string{"summary=覆盖"}}
	a, mask, err := e.build(strings.NewReader(""), immutablePaths)
	require.NoError(t, err)
	require.Equal(t, []string{"display_name", "grade", "fields", "catalogue.class_category", "catalogue.publication_date", "summary"}, mask,
		"no output-only or immutable path; leaves of catalogue; --set last")
	require.Equal(t, `"3"`, a.GetEtag(), "the file's etag is kept for the update's precondition")
	require.Equal(t, "覆盖", a.GetSummary())

	e.mask = []string{"displayName", "catalogue"}
	_, mask, err = e.build(strings.NewReader(""), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"display_name", "catalogue"}, mask, "--mask wins, normalised")

	// stdin
	a, _, err = (&assetEdit{fromFile: "-"}).build(strings.NewReader(`{"displayName":"标准输入"}`), nil)
	require.NoError(t, err)
	require.Equal(t, "标准输入", a.GetDisplayName())
	_, _, err = (&assetEdit{fromFile: "-"}).build(strings.NewReader(`{"dispayName":"typo"}`), nil)
	require.ErrorContains(t, err, "not an Asset as JSON")
}

func TestParseEnumSpellings(t *testing.T) {
	t.Parallel()
	ed := catalogv1.Grade(0).Descriptor()
	for _, s := range []string{"GRADE_IMPORTANT", "IMPORTANT", "important", " 重要数据 ", "重要", "2"} {
		n, err := parseEnum(ed, s)
		require.NoError(t, err, s)
		require.EqualValues(t, catalogv1.Grade_GRADE_IMPORTANT, n, s)
	}
	st := catalogv1.SharingAttribute(0).Descriptor()
	n, err := parseEnum(st, "not-shared")
	require.NoError(t, err)
	require.EqualValues(t, catalogv1.SharingAttribute_SHARING_ATTRIBUTE_NOT_SHARED, n)
	_, err = parseEnum(st, "9")
	require.Error(t, err)
}

func TestWritableAssetPaths(t *testing.T) {
	t.Parallel()
	paths := writableAssetPaths()
	require.Contains(t, paths, "display_name")
	require.Contains(t, paths, "agent.organisation")
	require.Contains(t, paths, "catalogue.resource_code")
	require.Contains(t, paths, "evidence")
	for p := range outputOnlyPaths {
		require.NotContains(t, paths, p)
	}
}
