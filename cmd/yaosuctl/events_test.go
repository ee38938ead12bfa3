package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/testkit"
)

// tailLine is what a test reads back from one line of `events tail`.
type tailLine struct {
	StreamSeq uint64 `json:"stream_seq"`
	Subject   string `json:"subject"`
	Error     string `json:"error"`
	Event     struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Subject string `json:"subject"`
		Payload struct {
			Type  string `json:"@type"`
			Asset struct {
				DisplayName string `json:"displayName"`
			} `json:"asset"`
		} `json:"payload"`
	} `json:"event"`
}

func parseTail(t *testing.T, out string) []tailLine {
	t.Helper()
	var lines []tailLine
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var tl tailLine
		require.NoError(t, json.Unmarshal([]byte(l), &tl), l)
		lines = append(lines, tl)
	}
	return lines
}

type eventsEnv struct {
	url string
	js  jetstream.JetStream
}

func newEventsEnv(t *testing.T) *eventsEnv {
	t.Helper()
	isolate(t)
	srv := testkit.StartNATS(t)
	nc, err := nats.Connect(srv.URL())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = messaging.EnsureStream(context.Background(), js, 1, time.Minute)
	require.NoError(t, err)
	return &eventsEnv{url: srv.URL(), js: js}
}

// publish publishes an AssetCreated event for an asset with this display name.
func (e *eventsEnv) publish(t *testing.T, eventType, displayName string) *eventsv1.Event {
	t.Helper()
	ctx := context.Background()
	ev, err := messaging.NewEvent(ctx, "catalog", eventType, "assets/"+displayName, 1,
		&eventsv1.AssetCreated{Asset: &catalogv1.Asset{DisplayName: displayName}})
	require.NoError(t, err)
	body, err := proto.Marshal(ev)
	require.NoError(t, err)
	_, err = e.js.PublishMsg(ctx, messaging.Message(ev, body))
	require.NoError(t, err)
	return ev
}

func (e *eventsEnv) tail(t *testing.T, args ...string) ([]tailLine, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, errOut, err := runCLI(t, ctx, append([]string{"events", "tail", "--nats", e.url}, args...)...)
	require.NoError(t, err, errOut)
	return parseTail(t, out), errOut
}

func TestEventsTailPrintsStreamAndStops(t *testing.T) {
	e := newEventsEnv(t)
	first := e.publish(t, "catalog.asset.created", "x")
	second := e.publish(t, "catalog.asset.created", "港口吞吐量 <2024>")

	lines, _ := e.tail(t)
	require.Len(t, lines, 2)
	require.Equal(t, uint64(1), lines[0].StreamSeq)
	require.Equal(t, "yaosu.catalog.asset.created", lines[0].Subject)
	require.Equal(t, first.GetId(), lines[0].Event.ID)
	require.Equal(t, "catalog.asset.created", lines[0].Event.Type)
	require.Equal(t, "assets/x", lines[0].Event.Subject)
	require.Equal(t, "type.googleapis.com/yaosu.events.v1.AssetCreated", lines[0].Event.Payload.Type)
	require.Equal(t, "x", lines[0].Event.Payload.Asset.DisplayName)
	require.Equal(t, uint64(2), lines[1].StreamSeq)
	require.Equal(t, second.GetId(), lines[1].Event.ID)
	require.Equal(t, "港口吞吐量 <2024>", lines[1].Event.Payload.Asset.DisplayName)
	require.Empty(t, lines[1].Error)

	lines, _ = e.tail(t, "--from-seq", "2")
	require.Len(t, lines, 1)
	require.Equal(t, uint64(2), lines[0].StreamSeq)
	require.Equal(t, second.GetId(), lines[0].Event.ID)

	lines, _ = e.tail(t, "--from-seq", "3")
	require.Empty(t, lines)
}

func TestEventsTailOutputIsOneCompactLinePerEvent(t *testing.T) {
	e := newEventsEnv(t)
	e.publish(t, "catalog.asset.created", "x")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, _, err := runCLI(t, ctx, "events", "tail", "--nats", e.url)
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(out, "\n"))
	require.True(t, strings.HasPrefix(out, `{"stream_seq":1,"subject":"yaosu.catalog.asset.created","event":{"id":"`), out)
	require.NotContains(t, out, " ")
}

func TestEventsTailEmptyStreamPrintsNothing(t *testing.T) {
	e := newEventsEnv(t)
	lines, _ := e.tail(t)
	require.Empty(t, lines)
}

func TestEventsTailSubjectFilter(t *testing.T) {
	e := newEventsEnv(t)
	e.publish(t, "catalog.asset.created", "a")
	e.publish(t, "rights.grant.created", "b")
	e.publish(t, "catalog.asset.created", "c")

	lines, _ := e.tail(t, "--subject", "yaosu.catalog.>")
	require.Len(t, lines, 2)
	require.Equal(t, []uint64{1, 3}, []uint64{lines[0].StreamSeq, lines[1].StreamSeq})

	// A filter that matches nothing ends at once instead of waiting.
	lines, _ = e.tail(t, "--subject", "yaosu.audit.>")
	require.Empty(t, lines)
}

func TestEventsTailUndecodableMessage(t *testing.T) {
	e := newEventsEnv(t)
	_, err := e.js.Publish(context.Background(), "yaosu.catalog.asset.created", []byte{0xff, 0xff, 0xff})
	require.NoError(t, err)
	lines, _ := e.tail(t)
	require.Len(t, lines, 1)
	require.Equal(t, uint64(1), lines[0].StreamSeq)
	require.Contains(t, lines[0].Error, "decode event")
}

func TestEventsTailDurableResumes(t *testing.T) {
	e := newEventsEnv(t)
	e.publish(t, "catalog.asset.created", "a")
	e.publish(t, "catalog.asset.created", "b")

	lines, errOut := e.tail(t, "--durable", "auditor")
	require.Len(t, lines, 2)
	require.Contains(t, errOut, `Created durable consumer "auditor"`)

	lines, _ = e.tail(t, "--durable", "auditor")
	require.Empty(t, lines, "everything was acknowledged")

	e.publish(t, "catalog.asset.created", "c")
	lines, _ = e.tail(t, "--durable", "auditor")
	require.Len(t, lines, 1)
	require.Equal(t, uint64(3), lines[0].StreamSeq)
	require.Equal(t, "c", lines[0].Event.Payload.Asset.DisplayName)

	// --from-seq cannot move an existing durable consumer.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, _, err := runCLI(t, ctx, "events", "tail", "--nats", e.url, "--durable", "auditor", "--from-seq", "1")
	require.ErrorContains(t, err, "only applies when it is created")

	// A new durable consumer may start anywhere.
	lines, _ = e.tail(t, "--durable", "late", "--from-seq", "2")
	require.Equal(t, []uint64{2, 3}, []uint64{lines[0].StreamSeq, lines[1].StreamSeq})
}

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestEventsTailFollow(t *testing.T) {
	for _, durable := range []string{"", "follower"} {
		t.Run("durable="+durable, func(t *testing.T) {
			e := newEventsEnv(t)
			e.publish(t, "catalog.asset.created", "before")

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out, errOut syncBuffer
			done := make(chan error, 1)
			args := []string{"events", "tail", "--nats", e.url, "-f"}
			if durable != "" {
				args = append(args, "--durable", durable)
			}
			go func() { done <- run(ctx, args, strings.NewReader(""), &out, &errOut) }()

			require.Eventually(t, func() bool { return strings.Count(out.String(), "\n") == 1 }, 10*time.Second, 10*time.Millisecond)
			e.publish(t, "catalog.asset.created", "after")
			require.Eventually(t, func() bool { return strings.Count(out.String(), "\n") == 2 }, 10*time.Second, 10*time.Millisecond)

			cancel() // Ctrl-C
			select {
			case err := <-done:
				require.NoError(t, err, "interrupting --follow is its normal end")
			case <-time.After(10 * time.Second):
				t.Fatal("tail -f did not stop after cancel")
			}
			lines := parseTail(t, out.String())
			require.Equal(t, "before", lines[0].Event.Payload.Asset.DisplayName)
			require.Equal(t, "after", lines[1].Event.Payload.Asset.DisplayName)
		})
	}
}

func TestEventsTailNoStream(t *testing.T) {
	isolate(t)
	srv := testkit.StartNATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, _, err := runCLI(t, ctx, "events", "tail", "--nats", srv.URL())
	require.ErrorContains(t, err, "has no stream YAOSU_EVENTS")
}

func TestEventsTailNATSURLFromEnv(t *testing.T) {
	e := newEventsEnv(t)
	e.publish(t, "catalog.asset.created", "x")
	t.Setenv(envNATSURL, e.url)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, _, err := runCLI(t, ctx, "events", "tail")
	require.NoError(t, err)
	require.Len(t, parseTail(t, out), 1)
}
