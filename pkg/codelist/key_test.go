package codelist_test

import (
	"testing"

	"yaosu.dev/pkg/codelist"
)

func TestKeyIgnoresCaseWidthSpacesAndSeparators(t *testing.T) {
	for _, same := range [][]string{
		{"工业、交通", "工业/交通", "工业交通", " 工业 ，交通 "},
		{"API", "api", "ＡＰＩ", "Api "},
		{"每5分钟", "每５分钟", "每 5 分钟"},
		{"DATA_WAREHOUSE", "data-warehouse", "Data Warehouse"},
	} {
		for _, s := range same[1:] {
			if got, want := codelist.Key(s), codelist.Key(same[0]); got != want {
				t.Errorf("Key(%q) = %q, want %q (as Key(%q))", s, got, want, same[0])
			}
		}
	}
	for _, differ := range [][2]string{{"每5分钟", "每5秒"}, {"实时", "准实时"}, {"文件", "文件下载"}} {
		if codelist.Key(differ[0]) == codelist.Key(differ[1]) {
			t.Errorf("Key(%q) = Key(%q): different words must stay different", differ[0], differ[1])
		}
	}
}
