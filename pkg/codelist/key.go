// Package codelist holds what the server and its clients must agree on about code lists:
// the form in which an office's spelling of a code, label or alias is compared.
package codelist

import (
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// separators are what offices put between the words of a label (工业、交通, 工业/交通).
const separators = "、,，/;；·_-"

// Key is the form spellings are compared in: case, width (full-width letters and digits as
// an office suite types them), spaces and the separators between words do not matter, so
// 工业、交通 = 工业/交通 = 工业交通 and ＡＰＩ = api. The catalog resolves codes with it and
// yaosuctl checks a sheet with it: were the two to differ, a dry run would refuse what the
// import accepts.
func Key(s string) string {
	var b strings.Builder
	for _, r := range width.Fold.String(s) {
		if unicode.IsSpace(r) || strings.ContainsRune(separators, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
