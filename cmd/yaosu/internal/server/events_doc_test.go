package server_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "yaosu.dev/gen/go/yaosu/events/v1" // registers the event payloads
)

// Every payload message in proto/yaosu/events/v1 is part of the documented contract.
func TestEveryEventPayloadIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../../../docs/events.md")
	require.NoError(t, err)
	var payloads []string
	protoregistry.GlobalFiles.RangeFilesByPackage("yaosu.events.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := 0; i < fd.Messages().Len(); i++ {
			name := string(fd.Messages().Get(i).FullName())
			if name == "yaosu.events.v1.Event" || name == "yaosu.events.v1.Actor" {
				continue // the envelope, documented on its own
			}
			payloads = append(payloads, name)
		}
		return true
	})
	require.GreaterOrEqual(t, len(payloads), 2)
	for _, p := range payloads {
		require.True(t, strings.Contains(string(doc), "| `"+p+"`"), "docs/events.md does not document %s", p)
	}
}
