package messaging

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// StreamConfig is the YAOSU_EVENTS stream: every subject under yaosu., file storage,
// nothing ever pruned, and neither messages nor the whole stream can be deleted through
// the API (audit relies on that).
func StreamConfig(replicas int, duplicateWindow time.Duration) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Every change Yaosu commits, from each service's transactional outbox.",
		Subjects:    []string{SubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      0,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		Discard:     jetstream.DiscardNew,
		Replicas:    replicas,
		Duplicates:  duplicateWindow,
		DenyDelete:  true,
		DenyPurge:   true,
		AllowDirect: true,
	}
}

// EnsureStream creates the stream, or updates the settings that may change (replicas,
// duplicate window) on an existing one.
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int, duplicateWindow time.Duration) (jetstream.Stream, error) {
	cfg := StreamConfig(replicas, duplicateWindow)
	s, err := js.CreateStream(ctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		s, err = js.UpdateStream(ctx, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("provision stream %s: %w", StreamName, err)
	}
	return s, nil
}
