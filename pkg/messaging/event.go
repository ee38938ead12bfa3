// Package messaging carries Yaosu's events: the envelope, the transactional outbox, the
// relay that publishes the outbox to JetStream, stream provisioning and the idempotent
// consumer helper. See docs/architecture.md for the ordering guarantee.
package messaging

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/auth"
)

// StreamName is the one stream every Yaosu event goes to.
const StreamName = "YAOSU_EVENTS"

// SubjectPrefix prefixes every event type to form its NATS subject.
const SubjectPrefix = "yaosu."

// CloudEvents binary-mode header names (CloudEvents NATS binding: attributes as `ce-`
// headers, the data in the body).
const (
	HeaderSpecVersion = "ce-specversion"
	HeaderID          = "ce-id"
	HeaderSource      = "ce-source"
	HeaderType        = "ce-type"
	HeaderSubject     = "ce-subject"
	HeaderTime        = "ce-time"
	HeaderDataSchema  = "ce-dataschema"
	HeaderRevision    = "ce-yaosurevision"
	HeaderActor       = "ce-yaosuactor"
	HeaderActorOrg    = "ce-yaosuorg"
	HeaderTraceParent = "ce-traceparent"
	HeaderContentType = "content-type"
	// ContentType is the body's media type: the Event envelope in protobuf binary.
	ContentType = "application/protobuf; messageType=yaosu.events.v1.Event"
)

// NATSSubject returns the subject an event type is published on.
func NATSSubject(eventType string) string { return SubjectPrefix + eventType }

// NewEvent builds the envelope for a change made in ctx: a fresh UUIDv7 id, the
// authenticated principal as actor and the current span as traceparent.
func NewEvent(ctx context.Context, service, eventType, resourceName string, revision int64, payload proto.Message) (*eventsv1.Event, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	data, err := anypb.New(payload)
	if err != nil {
		return nil, fmt.Errorf("event payload: %w", err)
	}
	ev := &eventsv1.Event{
		Id:               id.String(),
		Type:             eventType,
		Source:           "/yaosu/" + service,
		Subject:          resourceName,
		ResourceRevision: revision,
		Time:             timestamppb.Now(),
		Dataschema:       string(payload.ProtoReflect().Descriptor().FullName()),
		Payload:          data,
	}
	if p, ok := auth.FromContext(ctx); ok {
		ev.Actor = &eventsv1.Actor{Subject: p.Subject, Organisation: p.Organisation}
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		carrier := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(ctx, carrier)
		ev.Traceparent = carrier["traceparent"]
	}
	return ev, nil
}

// Message returns the NATS message for ev: the envelope as body, its attributes as
// headers, and Nats-Msg-Id = event id so JetStream drops resends.
func Message(ev *eventsv1.Event, body []byte) *nats.Msg {
	m := nats.NewMsg(NATSSubject(ev.GetType()))
	m.Data = body
	h := m.Header
	h.Set(nats.MsgIdHdr, ev.GetId())
	h.Set(HeaderSpecVersion, "1.0")
	h.Set(HeaderID, ev.GetId())
	h.Set(HeaderSource, ev.GetSource())
	h.Set(HeaderType, ev.GetType())
	h.Set(HeaderSubject, ev.GetSubject())
	h.Set(HeaderTime, ev.GetTime().AsTime().Format(time.RFC3339Nano))
	h.Set(HeaderDataSchema, ev.GetDataschema())
	h.Set(HeaderRevision, strconv.FormatInt(ev.GetResourceRevision(), 10))
	h.Set(HeaderContentType, ContentType)
	if a := ev.GetActor(); a != nil {
		h.Set(HeaderActor, a.GetSubject())
		h.Set(HeaderActorOrg, a.GetOrganisation())
	}
	if tp := ev.GetTraceparent(); tp != "" {
		h.Set(HeaderTraceParent, tp)
		// The bare W3C header too, so OpenTelemetry propagators continue the trace.
		h.Set("traceparent", tp)
	}
	return m
}

// Decode parses a message body into the envelope.
func Decode(body []byte) (*eventsv1.Event, error) {
	ev := &eventsv1.Event{}
	if err := proto.Unmarshal(body, ev); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	return ev, nil
}

// HeaderCarrier adapts NATS headers to OpenTelemetry propagation.
type HeaderCarrier nats.Header

// Get implements propagation.TextMapCarrier.
func (c HeaderCarrier) Get(key string) string { return nats.Header(c).Get(key) }

// Set implements propagation.TextMapCarrier.
func (c HeaderCarrier) Set(key, value string) { nats.Header(c).Set(key, value) }

// Keys implements propagation.TextMapCarrier.
func (c HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
