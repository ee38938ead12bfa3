package messaging

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Replay reads YAOSU_EVENTS from sequence from through to (inclusive; 0 means the last
// sequence when the call starts), in order, calling fn for each message. It is the one way
// auditors' tools and reconciliation walk the stream, so it is built for millions of
// messages: an ordered consumer fetching large batches.
func Replay(ctx context.Context, js jetstream.JetStream, from, to uint64, fn func(seq uint64, msg jetstream.Msg) error) error {
	s, err := js.Stream(ctx, StreamName)
	if err != nil {
		return fmt.Errorf("stream %s: %w", StreamName, err)
	}
	if to == 0 {
		info, err := s.Info(ctx)
		if err != nil {
			return err
		}
		to = info.State.LastSeq
	}
	if from == 0 {
		from = 1
	}
	if from > to {
		return nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: from})
	if err != nil {
		return err
	}
	next := from
	for next <= to {
		want := to - next + 1
		if want > 10000 {
			want = 10000
		}
		batch, err := cons.Fetch(int(want), jetstream.FetchContext(ctx))
		if err != nil {
			return err
		}
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil {
				return err
			}
			if md.Sequence.Stream != next {
				return fmt.Errorf("stream replay: sequence %d where %d was expected", md.Sequence.Stream, next)
			}
			if err := fn(next, m); err != nil {
				return err
			}
			next++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return err
		}
	}
	return nil
}
