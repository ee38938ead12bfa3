package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	// The event payload types must be linked in (registered) for protojson to resolve
	// the envelope's Any payload.
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
)

// defaultNATSURL is the NATS server `yaosu dev` embeds (YAOSU_DEV_NATS_PORT).
const defaultNATSURL = "nats://127.0.0.1:4322"

// durableBatch is how many events a durable consumer fetches per request.
const durableBatch = 100

// durableFetchWait is how long one fetch of a following durable consumer waits for
// events before asking again.
const durableFetchWait = 30 * time.Second

func eventsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Read the event stream (" + messaging.StreamName + " on NATS JetStream)",
		RunE:  groupRunE,
	}
	cmd.AddCommand(eventsTailCmd(g))
	return cmd
}

// tailOptions are the flags of `events tail`.
type tailOptions struct {
	natsURL    string
	subject    string
	subjectSet bool
	fromSeq    uint64
	follow     bool
	durable    string
	timeout    time.Duration
	natsOpts   []nats.Option
}

func eventsTailCmd(g *globals) *cobra.Command {
	var o tailOptions
	cmd := &cobra.Command{
		Use:   "tail [--nats URL] [--from-seq N] [--subject yaosu.>] [--follow] [--durable NAME]",
		Short: "Print events as JSON lines, oldest first",
		Long: "Print the events of " + messaging.StreamName + " in stream order, one JSON object per line:\n" +
			"  {\"stream_seq\": N, \"subject\": \"yaosu.<type>\", \"event\": <the envelope as protojson, payload resolved>}\n" +
			"(with an \"error\" field instead of or beside \"event\" if a message cannot be decoded).\n\n" +
			"Without --follow it stops after the last event that was in the stream when it started;\n" +
			"with --follow it waits for new events until interrupted (Ctrl-C).\n\n" +
			"--durable NAME keeps your position on the server: each event is acknowledged after it is\n" +
			"printed, and the next run with the same NAME continues after it. Delivery is at least once:\n" +
			"after an interruption an event may be printed again; stream_seq identifies it.\n" +
			"--from-seq and --subject take effect when the durable consumer is created (its first run).\n\n" +
			"NATS credentials: the auditor's nkey seed in $" + envNATSSeed + " (else the one `yaosu dev` keeps in\n" +
			"$YAOSU_DATA_DIR/nats-credentials/auditor.nk, if present); TLS with $" + envNATSCA + " and, for client\n" +
			"certificates, $" + envNATSCert + " and $" + envNATSKey + ".\n\n" +
			"The -o flag does not apply: the output is always JSON lines.",
		Example: "  yaosuctl events tail\n" +
			"  yaosuctl events tail -f --subject 'yaosu.catalog.>'\n" +
			"  yaosuctl events tail --from-seq 1200 | jq -c 'select(.event.type == \"catalog.asset.created\")'\n" +
			"  yaosuctl events tail --durable audit-zhang",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.natsURL = g.setting(cmd.Flags(), "nats", envNATSURL, o.natsURL)
			o.subjectSet = cmd.Flags().Changed("subject")
			o.timeout = g.timeout
			var err error
			if o.natsOpts, err = g.natsOptions(); err != nil {
				return err
			}
			return tailEvents(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.natsURL, "nats", defaultNATSURL, "NATS server URL (env "+envNATSURL+")")
	f.Uint64Var(&o.fromSeq, "from-seq", 0, "start at this stream sequence (default: the first event)")
	f.StringVar(&o.subject, "subject", messaging.SubjectPrefix+">", "only events on subjects matching this NATS filter")
	f.BoolVarP(&o.follow, "follow", "f", false, "keep waiting for new events until interrupted")
	f.StringVar(&o.durable, "durable", "", "durable consumer name: resume where the last run with this name stopped")
	return cmd
}

func tailEvents(ctx context.Context, o tailOptions, stdout, stderr io.Writer) error {
	nc, err := nats.Connect(o.natsURL, append(o.natsOpts, nats.Name("yaosuctl"), nats.Timeout(o.timeout))...)
	if err != nil {
		if errors.Is(err, nats.ErrAuthorization) {
			return fmt.Errorf("connect to NATS at %s: %w\nhint: read as the auditor: set $%s to its nkey seed (auditor.nk)",
				o.natsURL, err, envNATSSeed)
		}
		return fmt.Errorf("connect to NATS at %s: %w\nhint: start the server with `make run` (it embeds NATS), or set --nats / $%s",
			o.natsURL, err, envNATSURL)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	setupCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	stream, err := js.Stream(setupCtx, messaging.StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("NATS at %s has no stream %s: the server creates it when it starts", o.natsURL, messaging.StreamName)
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", messaging.StreamName, err)
	}
	p := newEventPrinter(stdout)
	if o.durable != "" {
		return tailDurable(ctx, setupCtx, stream, o, p, stderr)
	}
	return tailOrdered(ctx, setupCtx, stream, o, p)
}

// tailOrdered reads with an ordered consumer: client-side, no state on the server, no
// gaps or duplicates.
func tailOrdered(ctx, setupCtx context.Context, stream jetstream.Stream, o tailOptions, p *eventPrinter) error {
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{o.subject},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	}
	if o.fromSeq > 0 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = o.fromSeq
	}
	cons, err := stream.OrderedConsumer(setupCtx, cfg)
	if err != nil {
		return fmt.Errorf("create consumer: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	defer it.Stop()

	// Without --follow, print what matched when the consumer was created: its pending
	// count then. Counting rather than comparing with the stream's last sequence also ends
	// when --subject matches none of the last events.
	var remaining uint64
	if !o.follow {
		info := cons.CachedInfo()
		if info == nil {
			if info, err = cons.Info(setupCtx); err != nil {
				return fmt.Errorf("consumer info: %w", err)
			}
		}
		remaining = info.NumPending
		if remaining == 0 {
			return nil
		}
	}
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return interrupted(ctx, o.follow)
			}
			return fmt.Errorf("read events: %w", err)
		}
		if err := p.print(msg); err != nil {
			return err
		}
		if !o.follow {
			if remaining--; remaining == 0 {
				return nil
			}
		}
	}
}

// tailDurable reads with a durable pull consumer, created on first use, acknowledging
// each event once it is printed.
func tailDurable(ctx, setupCtx context.Context, stream jetstream.Stream, o tailOptions, p *eventPrinter, stderr io.Writer) error {
	cons, err := stream.Consumer(setupCtx, o.durable)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		cfg := jetstream.ConsumerConfig{
			Durable:       o.durable,
			Description:   "yaosuctl events tail --durable",
			AckPolicy:     jetstream.AckExplicitPolicy,
			DeliverPolicy: jetstream.DeliverAllPolicy,
			FilterSubject: o.subject,
		}
		if o.fromSeq > 0 {
			cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
			cfg.OptStartSeq = o.fromSeq
		}
		// Create, not create-or-update: an existing consumer of that name keeps its
		// position and settings.
		if cons, err = stream.CreateConsumer(setupCtx, cfg); err != nil {
			return fmt.Errorf("create durable consumer %q: %w", o.durable, err)
		}
		fprintfErr(stderr, "Created durable consumer %q on %s; later runs with --durable %s continue where this one stops.\n",
			o.durable, messaging.StreamName, o.durable)
	case err != nil:
		return fmt.Errorf("durable consumer %q: %w", o.durable, err)
	default:
		ci := cons.CachedInfo()
		if o.fromSeq > 0 {
			return fmt.Errorf("durable consumer %q already exists (acknowledged up to stream sequence %d): "+
				"--from-seq only applies when it is created; drop --from-seq to resume, or pick a new --durable name",
				o.durable, ci.AckFloor.Stream)
		}
		if o.subjectSet && !sameFilter(ci.Config, o.subject) {
			return fmt.Errorf("durable consumer %q already exists with filter %q: --subject only applies when it is created; "+
				"pick a new --durable name", o.durable, ci.Config.FilterSubject)
		}
	}

	var remaining uint64
	if !o.follow {
		info, err := settledInfo(setupCtx, cons, stream)
		if err != nil {
			return fmt.Errorf("durable consumer %q: %w", o.durable, err)
		}
		if info.NumAckPending > 0 {
			fprintfErr(stderr, "%d events went to an earlier run without being acknowledged; the server redelivers them %s after that delivery.\n",
				info.NumAckPending, info.Config.AckWait)
		}
		remaining = info.NumPending
		if remaining == 0 {
			return nil
		}
	}
	for {
		var batch jetstream.MessageBatch
		var stopFetch context.CancelFunc = func() {}
		if o.follow {
			var fetchCtx context.Context
			fetchCtx, stopFetch = context.WithTimeout(ctx, durableFetchWait)
			batch, err = cons.Fetch(durableBatch, jetstream.FetchContext(fetchCtx))
		} else {
			// Only what is pending now, so nothing beyond it is delivered and left
			// unacknowledged (it would come back out of order on the next run).
			batch, err = cons.FetchNoWait(int(min(remaining, durableBatch)))
		}
		if err != nil {
			stopFetch()
			if ctx.Err() != nil {
				return interrupted(ctx, o.follow)
			}
			return fmt.Errorf("read events: %w", err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			if err := p.print(msg); err != nil {
				stopFetch()
				return err
			}
			// A double ack waits for the server to record it, so the position is saved
			// even when we exit right after.
			if err := msg.DoubleAck(ctx); err != nil {
				stopFetch()
				if ctx.Err() != nil {
					return interrupted(ctx, o.follow)
				}
				return fmt.Errorf("acknowledge stream sequence %d: %w", streamSeq(msg), err)
			}
			if !o.follow {
				remaining--
			}
		}
		stopFetch()
		if ctx.Err() != nil {
			return interrupted(ctx, o.follow)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) &&
			!errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) {
			return fmt.Errorf("read events: %w", err)
		}
		if !o.follow && (remaining == 0 || n == 0) {
			return nil
		}
	}
}

// settledInfo returns the consumer's info once its pending count has caught up with the
// stream: the server updates a durable consumer's count asynchronously after a publish, so
// a count read right after one can miss it. For an unfiltered consumer the stream's last
// sequence says what the count must be; otherwise two equal reads in a row are taken as
// settled.
func settledInfo(ctx context.Context, cons jetstream.Consumer, stream jetstream.Stream) (*jetstream.ConsumerInfo, error) {
	var prev *jetstream.ConsumerInfo
	for attempt := 0; ; attempt++ {
		info, err := cons.Info(ctx)
		if err != nil {
			return nil, err
		}
		si, err := stream.Info(ctx)
		if err != nil {
			return nil, err
		}
		unfiltered := info.Config.FilterSubject == "" && len(info.Config.FilterSubjects) == 0 ||
			info.Config.FilterSubject == messaging.SubjectPrefix+">"
		switch {
		case unfiltered && info.Delivered.Stream+info.NumPending >= si.State.LastSeq:
			return info, nil
		case !unfiltered && prev != nil && prev.NumPending == info.NumPending:
			return info, nil
		case attempt >= 50:
			return info, nil // give up waiting; report what the server says
		}
		prev = info
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func sameFilter(cfg jetstream.ConsumerConfig, subject string) bool {
	if cfg.FilterSubject != "" {
		return cfg.FilterSubject == subject
	}
	return len(cfg.FilterSubjects) == 1 && cfg.FilterSubjects[0] == subject
}

// interrupted is the result of a tail stopped by its context: the normal end of
// --follow, an incomplete listing otherwise.
func interrupted(ctx context.Context, follow bool) error {
	if follow {
		return nil
	}
	return fmt.Errorf("interrupted: %w", ctx.Err())
}

// eventLine is one line of `events tail` output.
type eventLine struct {
	StreamSeq uint64          `json:"stream_seq"`
	Subject   string          `json:"subject"`
	Event     json.RawMessage `json:"event,omitempty"`
	Error     string          `json:"error,omitempty"`
}

type eventPrinter struct {
	enc *json.Encoder
}

func newEventPrinter(w io.Writer) *eventPrinter {
	enc := json.NewEncoder(w)
	// Keep <, > and & readable: the lines are for people and jq, not HTML.
	enc.SetEscapeHTML(false)
	return &eventPrinter{enc: enc}
}

func streamSeq(msg jetstream.Msg) uint64 {
	if md, err := msg.Metadata(); err == nil {
		return md.Sequence.Stream
	}
	return 0
}

// print writes msg as one JSON line. A message that cannot be decoded is still printed,
// with an error, so a reader sees that something is there.
func (p *eventPrinter) print(msg jetstream.Msg) error {
	line := eventLine{StreamSeq: streamSeq(msg), Subject: msg.Subject()}
	ev, err := messaging.Decode(msg.Data())
	if err != nil {
		line.Error = err.Error()
		return p.enc.Encode(line)
	}
	raw, err := compactProtoJSON(ev)
	if err != nil {
		// Most likely a payload type newer than this yaosuctl: show the envelope anyway.
		line.Error = fmt.Sprintf("payload %s: %v", ev.GetPayload().GetTypeUrl(), err)
		bare := proto.Clone(ev).(*eventsv1.Event)
		bare.Payload = nil
		if raw, err = compactProtoJSON(bare); err != nil {
			return p.enc.Encode(line)
		}
	}
	line.Event = raw
	return p.enc.Encode(line)
}
