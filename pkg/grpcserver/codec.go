package grpcserver

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"google.golang.org/grpc/encoding"
	protoenc "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"yaosu.dev/pkg/errs"
)

// ReasonMalformedRequest is the ErrorInfo reason of a request whose bytes are not a valid
// protobuf message of the method's request type (unparseable wire data, a string field
// that is not UTF-8).
const ReasonMalformedRequest = "MALFORMED_REQUEST"

// codec is the server's protobuf codec. gRPC turns any decoding error into INTERNAL
// before an interceptor runs (the generated handler decodes the request first), so a
// client's malformed bytes would read as a server fault. Instead, codec decodes with the
// standard codec and, on failure, empties the message, remembers the error under the
// message's pointer and reports success; the interceptors, which receive that very
// message next, take the error back (decodeError) and answer INVALID_ARGUMENT. Nothing
// reaches a handler: the interceptor for unary calls and the wrapped stream for streams
// check every received message.
type codec struct {
	encoding.CodecV2
	failed  sync.Map     // proto.Message (pointer) → decoding error
	pending atomic.Int64 // entries in failed, so the common case is one atomic load
}

func newCodec() *codec {
	return &codec{CodecV2: encoding.GetCodecV2(protoenc.Name)}
}

// Name is the standard codec's, so the content subtype stays "proto".
func (c *codec) Name() string { return protoenc.Name }

// Unmarshal decodes data into v; see codec for what happens on failure.
func (c *codec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return err // not ours to decode: gRPC's INTERNAL stands
	}
	e := malformed(err, m.ProtoReflect().Descriptor(), data)
	proto.Reset(m) // half-decoded fields must not look like a request
	c.pending.Add(1)
	c.failed.Store(m, e)
	return nil
}

// decodeError returns, and forgets, the error decoding msg met; nil when it decoded.
func (c *codec) decodeError(msg any) error {
	if c.pending.Load() == 0 {
		return nil
	}
	m, ok := msg.(proto.Message)
	if !ok {
		return nil
	}
	v, ok := c.failed.LoadAndDelete(m)
	if !ok {
		return nil
	}
	c.pending.Add(-1)
	return v.(*errs.Error)
}

// malformed is the INVALID_ARGUMENT a decoding error of data (a message of md) becomes.
// The decoder's text is about the client's own bytes ("cannot parse invalid wire-format
// data"), so it is safe to send; a string that is not UTF-8 is named by its field path.
func malformed(cause error, md protoreflect.MessageDescriptor, data mem.BufferSlice) *errs.Error {
	if strings.Contains(cause.Error(), "invalid UTF-8") {
		field := utf8Path(md, data.Materialize(), 0)
		if field == "" {
			field = "?"
		}
		return errs.InvalidArgument(ReasonMalformedRequest,
			errs.Violation(field, "is not valid UTF-8", "不是有效的 UTF-8 编码文本"))
	}
	return errs.Wrap(cause, errs.KindInvalidArgument, ReasonMalformedRequest,
		"the request is not a valid protobuf message for this method: %v", cause).
		Zh("请求无法解析：不是此方法的有效 protobuf 消息")
}

// utf8Path walks b, a message of md, to the first string field that is not UTF-8 and
// returns its path ("asset.display_name"); "" when it finds none.
func utf8Path(md protoreflect.MessageDescriptor, b []byte, depth int) string {
	if depth > 100 { // protobuf's own recursion limit
		return ""
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return ""
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		switch {
		case fd == nil:
		case fd.Kind() == protoreflect.StringKind && !utf8.Valid(v):
			return string(fd.Name())
		case fd.Kind() == protoreflect.MessageKind:
			if p := utf8Path(fd.Message(), v, depth+1); p != "" {
				return string(fd.Name()) + "." + p
			}
		}
	}
	return ""
}
