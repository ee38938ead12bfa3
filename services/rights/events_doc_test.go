package rights_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/services/rights/internal/app"
)

// docs/events.md is the consumers' contract: every type the rights service emits is listed.
func TestEventsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/events.md")
	require.NoError(t, err)
	for typ := range app.EventTypes {
		row := "| `rights." + typ + "` | `yaosu.rights." + typ + "` | `yaosu.events.v1."
		require.True(t, strings.Contains(string(doc), row), "docs/events.md lacks the row for rights.%s", typ)
	}
}
