package catalog_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The domain package stays free of transport and storage: standard library and pkg/errs only.
func TestDomainImportsOnlyStdlibAndErrs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("internal", "domain", "*.go"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		parsed, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			stdlib := !strings.Contains(strings.SplitN(path, "/", 2)[0], ".")
			require.True(t, stdlib || path == "yaosu.dev/pkg/errs", "%s imports %s", f, path)
		}
	}
}
