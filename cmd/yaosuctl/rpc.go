package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/grpcclient"
	"yaosu.dev/pkg/tlsconfig"
)

// bearerToken sends the token as `authorization: Bearer <token>` on every RPC.
type bearerToken struct {
	token string
	// plaintextAllowed is set only for a loopback address or --insecure (see
	// transportCredentials); otherwise gRPC itself refuses to send the token without TLS.
	plaintextAllowed bool
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + t.token}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
func (t bearerToken) RequireTransportSecurity() bool { return !t.plaintextAllowed }

// errPlaintextToken refuses to send a token in plaintext beyond this host.
func errPlaintextToken(addr string) error {
	return fmt.Errorf("refusing to send your bearer token in plaintext to %s, which is not a loopback address: "+
		"anyone on the network path could read it and act as you until it expires. "+
		"Use TLS (--tls, or --ca-file FILE / $%s for a private CA), or pass --insecure if you accept the risk.\n"+
		"拒绝以明文向非本机地址 %s 发送令牌：网络路径上的任何人都能读取令牌，并在其过期前冒用你的身份。"+
		"请使用 TLS（--tls，私有 CA 用 --ca-file 文件 或 $%s），或在接受此风险时加 --insecure。",
		addr, envCAFile, addr, envCAFile)
}

// transportCredentials chooses the connection's security before anything is dialed:
// TLS verified against --ca-file (or the system roots) when TLS is on; plaintext only to
// a loopback address, or anywhere with --insecure (with a warning). tokenInPlaintext says
// whether the bearer token may then travel unencrypted.
func (g *globals) transportCredentials() (creds credentials.TransportCredentials, tokenInPlaintext bool, err error) {
	if g.useTLS || g.caFile != "" {
		cfg, err := tlsconfig.Client(g.caFile, g.serverName, nil)
		if err != nil {
			return nil, false, err
		}
		return credentials.NewTLS(cfg), false, nil
	}
	if !tlsconfig.IsLoopback(g.addr) {
		if !g.insecure {
			return nil, false, errPlaintextToken(g.addr)
		}
		fmt.Fprintf(g.stderr, "warning: sending the bearer token in plaintext to %s (--insecure) / 警告：以明文发送令牌（--insecure）\n", g.addr)
	}
	return insecure.NewCredentials(), true, nil
}

// Every connection retries UNAVAILABLE (the server or its database restarting) with the
// shared policy of pkg/grpcclient: gRPC resends the first attempt's bytes, so a retry is
// the same request. A retry never does a change twice: creates carry a request_id (a
// retried create returns the first call's result); every other write is a state transition
// or an etag-guarded update, so if the first attempt did commit, the retry fails with a
// clear FAILED_PRECONDITION or ABORTED instead of acting again; reads have no effect.

// catalogClient connects to the server with the resolved token. The caller closes the
// connection.
func (g *globals) catalogClient() (catalogv1.CatalogServiceClient, func(), error) {
	return connect(g, catalogv1.NewCatalogServiceClient)
}

// rightsClient connects to the server's rights service with the resolved token. The caller
// closes the connection.
func (g *globals) rightsClient() (rightsv1.RightsServiceClient, func(), error) {
	return connect(g, rightsv1.NewRightsServiceClient)
}

// scenarioClient connects to the server's scenario service with the resolved token. The
// caller closes the connection. ProposeScenario carries a request_id and ReportUsage is
// idempotent per record id, so retrying the service is safe (see dial).
func (g *globals) scenarioClient() (scenariov1.ScenarioServiceClient, func(), error) {
	return connect(g, scenariov1.NewScenarioServiceClient)
}

// connect dials the server and wraps the connection in a service client. The caller calls
// the returned close.
func connect[C any](g *globals, newClient func(grpc.ClientConnInterface) C) (C, func(), error) {
	conn, err := g.dial()
	if err != nil {
		var zero C
		return zero, nil, err
	}
	return newClient(conn), func() { _ = conn.Close() }, nil
}

// unary runs fn, one request of one service, within --timeout on a fresh connection, and
// turns a failure into the CLI's error (status, reason, field violations, hint).
func unary[C any](ctx context.Context, g *globals, newClient func(grpc.ClientConnInterface) C, fn func(context.Context, C) error) error {
	client, closeConn, err := connect(g, newClient)
	if err != nil {
		return err
	}
	defer closeConn()
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	if err := fn(ctx, client); err != nil {
		return g.rpcFailed(err)
	}
	return nil
}

// dial connects to the server with the resolved token and the given call options.
func (g *globals) dial(opts ...grpc.CallOption) (*grpc.ClientConn, error) {
	token, _, err := g.resolveToken()
	if err != nil {
		return nil, err
	}
	creds, plaintext, err := g.transportCredentials()
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(g.addr,
		grpc.WithTransportCredentials(creds),
		grpc.WithPerRPCCredentials(bearerToken{token: token, plaintextAllowed: plaintext}),
		grpcclient.WithRetry(),
		grpc.WithDefaultCallOptions(opts...),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", g.addr, err)
	}
	return conn, nil
}

// rpcError is a failed RPC, printed with its code, message and error details.
type rpcError struct {
	st   *status.Status
	hint string
}

func (e *rpcError) Error() string {
	s := formatStatus(e.st)
	if e.hint != "" {
		s += "\nhint: " + e.hint
	}
	return s
}

// GRPCStatus lets status.FromError and status.Code see the original status.
func (e *rpcError) GRPCStatus() *status.Status { return e.st }

// rpcFailed turns an RPC error into an rpcError, adding a hint for the failures people
// can fix themselves.
func (g *globals) rpcFailed(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	e := &rpcError{st: st}
	switch st.Code() {
	case codes.Unavailable:
		e.hint = fmt.Sprintf("is the server running at %s? Start it with `make run`, or set --addr / $%s", g.addr, envAddr)
		if msg := st.Message(); strings.Contains(msg, "certificate") || strings.Contains(msg, "handshake") {
			e.hint = fmt.Sprintf("the TLS handshake with %s failed: give the CA that signed the server's certificate with --ca-file / $%s "+
				"(for `yaosu dev --tls`: $YAOSU_DATA_DIR/tls/ca.pem), or drop --tls for a plaintext loopback server", g.addr, envCAFile)
		}
	case codes.Unauthenticated:
		e.hint = "the token is missing, expired, longer-lived than the server accepts, or not signed by this server's key: run `yaosuctl login --dev ...` again (see `yaosuctl whoami`)"
	case codes.DeadlineExceeded:
		e.hint = fmt.Sprintf("no answer within --timeout %s", g.timeout)
	}
	return e
}

// codeNames are the canonical gRPC code names (as in google.rpc.Code), which people
// search for, rather than codes.Code.String()'s CamelCase.
var codeNames = [...]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN",
	codes.InvalidArgument: "INVALID_ARGUMENT", codes.DeadlineExceeded: "DEADLINE_EXCEEDED",
	codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED",
	codes.OutOfRange: "OUT_OF_RANGE", codes.Unimplemented: "UNIMPLEMENTED",
	codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE", codes.DataLoss: "DATA_LOSS",
	codes.Unauthenticated: "UNAUTHENTICATED",
}

func codeName(c codes.Code) string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return c.String()
}

// localeZh is the locale of the Chinese texts the server sends beside its English ones.
const localeZh = "zh-CN"

// bilingual is zh followed by en in parentheses (the people of a data office read the
// Chinese; the English is what developers, logs and searches know), or en alone when the
// server sent no Chinese.
func bilingual(zh, en string) string {
	if zh == "" || zh == en {
		return en
	}
	return zh + " (" + en + ")"
}

// zhMessage is the status's zh-CN google.rpc.LocalizedMessage, "" if none.
func zhMessage(st *status.Status) string {
	for _, d := range st.Details() {
		if lm, ok := d.(*errdetails.LocalizedMessage); ok && lm.GetLocale() == localeZh {
			return lm.GetMessage()
		}
	}
	return ""
}

// formatStatus renders a status for people: the code and message (Chinese and English) on
// the first line, then the ErrorInfo reason and metadata and the BadRequest field
// violations, one per line, each in Chinese and English when the server sent both.
func formatStatus(st *status.Status) string {
	var b strings.Builder
	zh := zhMessage(st)
	fmt.Fprintf(&b, "%s: %s", codeName(st.Code()), bilingual(zh, st.Message()))
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			fmt.Fprintf(&b, "\n  reason: %s", d.GetReason())
			if d.GetDomain() != "" {
				fmt.Fprintf(&b, " (domain %s)", d.GetDomain())
			}
			keys := make([]string, 0, len(d.GetMetadata()))
			for k := range d.GetMetadata() {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				fmt.Fprintf(&b, "\n  %s: %s", k, d.GetMetadata()[k])
			}
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				var vzh string
				if lm := v.GetLocalizedMessage(); lm.GetLocale() == localeZh {
					vzh = lm.GetMessage()
				}
				fmt.Fprintf(&b, "\n  field %s: %s", v.GetField(), bilingual(vzh, v.GetDescription()))
				if v.GetReason() != "" {
					fmt.Fprintf(&b, " [%s]", v.GetReason())
				}
			}
		case *errdetails.LocalizedMessage:
			if d.GetLocale() != localeZh || d.GetMessage() != zh { // zh-CN is on the first line
				fmt.Fprintf(&b, "\n  %s: %s", d.GetLocale(), d.GetMessage())
			}
		case *errdetails.RetryInfo:
			fmt.Fprintf(&b, "\n  retry after %s", d.GetRetryDelay().AsDuration())
		case proto.Message:
			fmt.Fprintf(&b, "\n  detail: %s", d.ProtoReflect().Descriptor().FullName())
		case error:
			// A detail whose type is not linked in: say so rather than drop it.
			fmt.Fprintf(&b, "\n  detail: %v", d)
		}
	}
	return b.String()
}

// outcomeUnknown reports whether a failed call may still have been applied by the server.
func outcomeUnknown(err error) bool {
	switch status.Code(err) {
	case codes.DeadlineExceeded, codes.Canceled, codes.Unavailable, codes.Unknown, codes.Internal:
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// pages fetches a list page by page: fetch gets the page token ("" first) and a context
// with the per-request timeout (so following many pages may take longer than one
// --timeout), and returns the next token. It stops after the first page unless all is set,
// and returns the token where it stopped ("" when the list is exhausted).
func (g *globals) pages(ctx context.Context, token string, all bool, fetch func(ctx context.Context, token string) (string, error)) (string, error) {
	for {
		rctx, cancel := context.WithTimeout(ctx, g.timeout)
		next, err := fetch(rctx, token)
		cancel()
		if err != nil {
			return "", g.rpcFailed(err)
		}
		if token = next; !all || token == "" {
			return token, nil
		}
	}
}
