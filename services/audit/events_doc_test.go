package audit_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/services/audit/internal/app"
)

// docs/events.md is the consumers' contract: the audit service's events must be listed.
func TestEventsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/events.md")
	require.NoError(t, err)
	for typ, msg := range map[string]proto.Message{
		app.EventCheckpointSigned: &eventsv1.CheckpointSigned{},
		app.EventLogInconsistent:  &eventsv1.LogInconsistent{},
	} {
		payload := string(msg.ProtoReflect().Descriptor().FullName())
		row := "| `" + typ + "` | `yaosu." + typ + "` | `" + payload + "`"
		require.True(t, strings.Contains(string(doc), row), "docs/events.md lacks the row for %s", typ)
	}
}
