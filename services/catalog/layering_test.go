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

// domainMayImport are the packages of pkg the domain may use: errors, and rules that are
// pure functions shared with other services (the GB 32100 code check).
var domainMayImport = map[string]bool{"yaosu.dev/pkg/errs": true, "yaosu.dev/pkg/uscc": true}

// The domain package stays free of transport and storage: the standard library and the pure
// packages of domainMayImport only.
func TestDomainImportsOnlyStdlibAndPureRules(t *testing.T) {
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
			require.True(t, stdlib || domainMayImport[path], "%s imports %s", f, path)
		}
	}
}
