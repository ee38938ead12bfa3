package audit_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/services/audit/internal/app"
)

// docs/events.md is the consumers' contract: the audit service's event must be listed.
func TestEventsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/events.md")
	require.NoError(t, err)
	payload := string((&eventsv1.CheckpointSigned{}).ProtoReflect().Descriptor().FullName())
	row := "| `" + app.EventCheckpointSigned + "` | `yaosu." + app.EventCheckpointSigned + "` | `" + payload + "`"
	require.True(t, strings.Contains(string(doc), row), "docs/events.md lacks the row for %s", app.EventCheckpointSigned)
}
