package catalog_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/services/catalog/internal/app"
	"yaosu.dev/services/catalog/internal/domain"
)

// docs/events.md is the consumers' contract: every type the catalog emits must be listed
// with its payload message.
func TestEventsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/events.md")
	require.NoError(t, err)
	types := map[string]string{
		app.EventAssetCreated: string((&eventsv1.AssetCreated{}).ProtoReflect().Descriptor().FullName()),
	}
	for t := range domain.EventTypes {
		types["catalog."+t] = string((&eventsv1.AssetChanged{}).ProtoReflect().Descriptor().FullName())
	}
	for typ, payload := range types {
		row := "| `" + typ + "` | `yaosu." + typ + "` | `" + payload + "`"
		require.True(t, strings.Contains(string(doc), row), "docs/events.md lacks the row for %s", typ)
	}
}
