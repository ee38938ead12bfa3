// Package config reads Yaosu's configuration from the environment. Every variable is
// declared once in Vars, with its default and its documentation; the README's
// configuration table is generated from the same list (see Markdown) and a test keeps the
// two in step.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the validated configuration of a yaosu process.
type Config struct {
	GRPCAddr              string
	DatabaseURL           string
	DatabaseMaxConns      int32
	NATSURL               string
	NATSCredentialsDir    string
	NATSCAFile            string
	NATSCertFile          string
	NATSKeyFile           string
	EventKeysDir          string
	DataDir               string
	LogLevel              slog.Level
	AuthMode              string
	JWTPublicKeyFile      string
	JWTIssuer             string
	JWTMaxLifetime        time.Duration
	TLSCertFile           string
	TLSKeyFile            string
	TLSClientCAFile       string
	TLSClientAuth         string
	TLSCAFile             string
	TLSServerName         string
	PageTokenKeyFile      string
	StreamReplicas        int
	StreamDuplicateWindow time.Duration
	RelayBatchSize        int
	RelayPollInterval     time.Duration
	ShutdownTimeout       time.Duration
	DevNATSPort           int
	DevPostgresPort       int
	DevPostgresMode       string
	OTLPEndpoint          string
	AuditKeyFile          string
	AuditOrigin           string
	AuditCheckpointEvery  time.Duration

	CatalogKeyFile              string
	CatalogKeyName              string
	CatalogRegistryName         string
	CatalogRegistrationNumber   string
	CatalogPublicityWorkingDays int
	CatalogPublicityDuration    time.Duration
	CatalogHolidays             map[string]bool
	CatalogSchedulerInterval    time.Duration

	RightsExpiryInterval      time.Duration
	RightsDenialFlushInterval time.Duration

	ScenarioMonitorInterval time.Duration
	ScenarioSpikeFactor     float64
	ScenarioUsageRetention  time.Duration
}

// Var documents and parses one environment variable.
type Var struct {
	Name    string
	Default string
	Doc     string
	set     func(c *Config, v string) error
}

// Auth modes.
const (
	AuthModeDev       = "dev"
	AuthModePublicKey = "public-key"
)

// Client certificate modes of the gRPC server (YAOSU_TLS_CLIENT_AUTH).
const (
	// ClientAuthOptional verifies a client certificate against YAOSU_TLS_CLIENT_CA_FILE when
	// one is presented and accepts connections without one (people's CLIs).
	ClientAuthOptional = "optional"
	// ClientAuthRequire refuses the handshake of a client without a certificate signed by
	// YAOSU_TLS_CLIENT_CA_FILE (a port only other services reach).
	ClientAuthRequire = "require"
)

// Vars is every variable yaosu reads, in the order the README lists them.
var Vars = []Var{
	{"YAOSU_GRPC_ADDR", "127.0.0.1:7400", "gRPC listen address (host:port). All services of a process share it.",
		func(c *Config, v string) error { c.GRPCAddr = v; return checkAddr(v) }},
	{"DATABASE_URL", "", "Postgres connection string. Empty: `yaosu dev` and `make test` use localhost:5432 if a server answers there, else a private cluster under `YAOSU_DATA_DIR/postgres`; `yaosu serve` requires it.",
		func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
	{"YAOSU_DB_MAX_CONNS", "16", "Connections per service pool.",
		func(c *Config, v string) error { n, err := positive(v); c.DatabaseMaxConns = int32(n); return err }},
	{"NATS_URL", "", "NATS server with JetStream. Empty: `yaosu dev` embeds one (data under `YAOSU_DATA_DIR/nats`); `yaosu serve` requires it.",
		func(c *Config, v string) error { c.NATSURL = v; return nil }},
	{"YAOSU_NATS_CREDENTIALS_DIR", "", "Directory of the NATS users' nkey seeds: `<service>.nk` per service, `admin.nk` (provisions the stream), `auditor.nk` (reads it). `yaosu nats-config` prints the matching nats-server configuration. Empty: `yaosu dev` uses `YAOSU_DATA_DIR/nats-credentials` (seeds created on first start); `yaosu serve` refuses to start (connecting anonymously needs a NATS server that lets anyone read every event).",
		func(c *Config, v string) error { c.NATSCredentialsDir = v; return nil }},
	{"YAOSU_NATS_CA_FILE", "", "PEM CA certificate(s) that verify the NATS server's TLS certificate (the connection then uses TLS).",
		func(c *Config, v string) error { c.NATSCAFile = v; return nil }},
	{"YAOSU_NATS_CERT_FILE", "", "PEM client certificate for NATS, when the server requires client certificates (with `YAOSU_NATS_KEY_FILE`).",
		func(c *Config, v string) error { c.NATSCertFile = v; return nil }},
	{"YAOSU_NATS_KEY_FILE", "", "PEM private key of `YAOSU_NATS_CERT_FILE`.",
		func(c *Config, v string) error { c.NATSKeyFile = v; return nil }},
	{"YAOSU_EVENT_KEYS_DIR", "", "Directory of the event-signing keys: `<service>.key` (PEM PKCS#8 Ed25519, private: only that service's processes need it) and `<service>.pub` (every `*.pub` here is trusted to sign its service's events). Empty: `YAOSU_DATA_DIR/event-keys`. `yaosu dev` creates missing keys; `yaosu serve` requires them (create them with `yaosu event-keys --create`).",
		func(c *Config, v string) error { c.EventKeysDir = v; return nil }},
	{"YAOSU_DATA_DIR", "./var", "Where `yaosu dev` keeps its NATS and Postgres data and the dev signing key.",
		func(c *Config, v string) error { c.DataDir = v; return nonEmpty(v) }},
	{"YAOSU_LOG_LEVEL", "info", "debug, info, warn or error. Logs are JSON lines on stdout.",
		func(c *Config, v string) error { return c.LogLevel.UnmarshalText([]byte(v)) }},
	{"YAOSU_AUTH_MODE", "", "How bearer tokens are verified; `yaosu serve` refuses to start without it. `public-key`: with `YAOSU_JWT_PUBLIC_KEY_FILE` (production: tokens come from your identity provider). `dev`: with the Ed25519 key in `YAOSU_DATA_DIR/dev-signing.key`, created on first start; whoever can read that file mints any role (`yaosuctl login --dev`), so it is for development only and logs a warning. `yaosu dev` chooses `dev` when unset.",
		func(c *Config, v string) error {
			c.AuthMode = v
			if v != "" && v != AuthModeDev && v != AuthModePublicKey {
				return fmt.Errorf("must be %q or %q", AuthModePublicKey, AuthModeDev)
			}
			return nil
		}},
	{"YAOSU_JWT_PUBLIC_KEY_FILE", "", "PEM Ed25519 public key that verifies bearer tokens when `YAOSU_AUTH_MODE=public-key`.",
		func(c *Config, v string) error { c.JWTPublicKeyFile = v; return nil }},
	{"YAOSU_JWT_ISSUER", "yaosu-dev", "Required `iss` claim of bearer tokens.",
		func(c *Config, v string) error { c.JWTIssuer = v; return nonEmpty(v) }},
	{"YAOSU_JWT_MAX_LIFETIME", "12h", "Longest lifetime (`exp` - `iat`) of a bearer token the server accepts; tokens without `iat` or `exp`, or valid for longer, are refused, so a leaked token stops working within it.",
		func(c *Config, v string) error { d, err := duration(v); c.JWTMaxLifetime = d; return err }},
	{"YAOSU_TLS_CERT_FILE", "", "PEM certificate (chain) the gRPC server presents. With `YAOSU_TLS_KEY_FILE` it turns TLS on; both files are re-read when they change, so a renewed certificate is served without a restart. Empty: plaintext (a warning is logged unless the address is loopback).",
		func(c *Config, v string) error { c.TLSCertFile = v; return nil }},
	{"YAOSU_TLS_KEY_FILE", "", "PEM private key of `YAOSU_TLS_CERT_FILE`.",
		func(c *Config, v string) error { c.TLSKeyFile = v; return nil }},
	{"YAOSU_TLS_CLIENT_CA_FILE", "", "PEM CA certificates that sign client certificates. Set: clients presenting a certificate must chain to it (see `YAOSU_TLS_CLIENT_AUTH`). Requires TLS.",
		func(c *Config, v string) error { c.TLSClientCAFile = v; return nil }},
	{"YAOSU_TLS_CLIENT_AUTH", "optional", "With `YAOSU_TLS_CLIENT_CA_FILE`: `optional` verifies a client certificate when one is presented (people's CLIs have none), `require` refuses any connection without one (a port only other services reach). Bearer tokens are required either way.",
		func(c *Config, v string) error {
			c.TLSClientAuth = v
			if v != ClientAuthOptional && v != ClientAuthRequire {
				return fmt.Errorf("must be %q or %q", ClientAuthOptional, ClientAuthRequire)
			}
			return nil
		}},
	{"YAOSU_TLS_CA_FILE", "", "PEM CA certificates this process trusts when it calls a Yaosu gRPC server (scenario → rights). Empty: the system roots. Used when the process serves TLS; it then presents its own certificate to the server it calls (for `YAOSU_TLS_CLIENT_AUTH=require`).",
		func(c *Config, v string) error { c.TLSCAFile = v; return nil }},
	{"YAOSU_TLS_SERVER_NAME", "", "Name the called server's certificate must carry when this process calls a Yaosu gRPC server. Empty: the host of the address called (`localhost` for a wildcard listen address).",
		func(c *Config, v string) error { c.TLSServerName = v; return nil }},
	{"YAOSU_PAGE_TOKEN_KEY_FILE", "", "File holding the secret (at least 32 bytes) that authenticates list page tokens; every replica must share it. `yaosu serve` requires it; `yaosu dev` creates `YAOSU_DATA_DIR/page-token.key` (0600) when unset.",
		func(c *Config, v string) error { c.PageTokenKeyFile = v; return nil }},
	{"YAOSU_STREAM_REPLICAS", "1", "Replicas of the YAOSU_EVENTS stream (1, 3 or 5 in a NATS cluster).",
		func(c *Config, v string) error { n, err := positive(v); c.StreamReplicas = n; return err }},
	{"YAOSU_STREAM_DUPLICATE_WINDOW", "10m", "JetStream duplicate window: a resend of an event within it is dropped. Keep it longer than the longest NATS outage you expect the relay to ride out without a restart.",
		func(c *Config, v string) error { d, err := duration(v); c.StreamDuplicateWindow = d; return err }},
	{"YAOSU_RELAY_BATCH_SIZE", "256", "Outbox rows the relay reads per round.",
		func(c *Config, v string) error { n, err := positive(v); c.RelayBatchSize = n; return err }},
	{"YAOSU_RELAY_POLL_INTERVAL", "1s", "Fallback poll of the outbox; commits normally wake the relay at once through LISTEN/NOTIFY.",
		func(c *Config, v string) error { d, err := duration(v); c.RelayPollInterval = d; return err }},
	{"YAOSU_SHUTDOWN_TIMEOUT", "15s", "How long a graceful stop waits for running RPCs before cutting them.",
		func(c *Config, v string) error { d, err := duration(v); c.ShutdownTimeout = d; return err }},
	{"YAOSU_DEV_NATS_PORT", "4322", "Port of the NATS server `yaosu dev` embeds (loopback only).",
		func(c *Config, v string) error { n, err := positive(v); c.DevNATSPort = n; return err }},
	{"YAOSU_DEV_POSTGRES_PORT", "5433", "Port of the private Postgres cluster `yaosu dev` starts when no other is found (loopback only).",
		func(c *Config, v string) error { n, err := positive(v); c.DevPostgresPort = n; return err }},
	{"YAOSU_DEV_POSTGRES", "auto", "How `yaosu dev` and `make test` find Postgres when `DATABASE_URL` is empty: `auto` (localhost:5432 if it answers, else the private cluster) or `private` (always the private cluster).",
		func(c *Config, v string) error {
			c.DevPostgresMode = v
			if v != "auto" && v != "private" {
				return errors.New(`must be "auto" or "private"`)
			}
			return nil
		}},
	{"YAOSU_AUDIT_KEY_FILE", "", "PEM PKCS#8 Ed25519 key that signs audit checkpoints. Empty: `YAOSU_DATA_DIR/audit-signing.key`, created on first start (fine for development; in production give a key you keep and publish its verifier key to auditors).",
		func(c *Config, v string) error { c.AuditKeyFile = v; return nil }},
	{"YAOSU_AUDIT_ORIGIN", "yaosu.local/audit", "Origin line of audit checkpoints and name of their signing key: a name that identifies this registry's log.",
		func(c *Config, v string) error {
			c.AuditOrigin = v
			if v == "" || strings.ContainsAny(v, "+ \n\t") {
				return errors.New("must be non-empty without spaces or '+'")
			}
			return nil
		}},
	{"YAOSU_AUDIT_CHECKPOINT_INTERVAL", "30s", "How often the audit service signs a checkpoint when the log has grown (it also signs on demand when GetCheckpoint finds the latest one stale).",
		func(c *Config, v string) error { d, err := duration(v); c.AuditCheckpointEvery = d; return err }},
	{"YAOSU_CATALOG_KEY_FILE", "", "PEM PKCS#8 Ed25519 key that signs registration certificates. Empty: `YAOSU_DATA_DIR/catalog-registry.key`, created on first start (in production give a key you keep and publish its verifier key, `yaosuctl cert key`).",
		func(c *Config, v string) error { c.CatalogKeyFile = v; return nil }},
	{"YAOSU_CATALOG_KEY_NAME", "yaosu.local/registry", "Name of the certificate signing key, part of its verifier key: a name that identifies this registry.",
		func(c *Config, v string) error {
			c.CatalogKeyName = v
			if v == "" || strings.ContainsAny(v, "+ \n\t") {
				return errors.New("must be non-empty without spaces or '+'")
			}
			return nil
		}},
	{"YAOSU_CATALOG_REGISTRY_NAME", "Yaosu 数据资产登记平台", "Registry name printed on certificates.",
		func(c *Config, v string) error { c.CatalogRegistryName = v; return nonEmpty(v) }},
	{"YAOSU_CATALOG_REGISTRATION_NUMBER_FORMAT", "YS-{YYYY}-{SEQ:8}", "Format of registration numbers: `{YYYY}` is the year of registration, `{SEQ:n}` the registry-wide sequence zero-padded to n digits (required: it makes numbers unique and never reused). The default gives `YS-2026-00000042`.",
		func(c *Config, v string) error {
			c.CatalogRegistrationNumber = v
			if !strings.Contains(v, "{SEQ") {
				return errors.New("must contain {SEQ} or {SEQ:n}")
			}
			return nil
		}},
	{"YAOSU_CATALOG_PUBLICITY_WORKING_DAYS", "10", "Length of the publicity window (公示期) in working days (Monday to Friday, minus `YAOSU_CATALOG_HOLIDAYS`), counted from the day after review passes.",
		func(c *Config, v string) error { n, err := positive(v); c.CatalogPublicityWorkingDays = n; return err }},
	{"YAOSU_CATALOG_PUBLICITY_DURATION", "", "If set (e.g. `2m`), the publicity window lasts this long instead of the working days: for demonstrations and tests only.",
		func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			d, err := duration(v)
			c.CatalogPublicityDuration = d
			return err
		}},
	{"YAOSU_CATALOG_HOLIDAYS", "", "Comma-separated public holidays (YYYY-MM-DD) that do not count as working days in the publicity window.",
		func(c *Config, v string) error {
			c.CatalogHolidays = map[string]bool{}
			for _, d := range strings.Split(v, ",") {
				if d = strings.TrimSpace(d); d == "" {
					continue
				}
				if _, err := time.Parse(time.DateOnly, d); err != nil {
					return fmt.Errorf("holiday %q: %w", d, err)
				}
				c.CatalogHolidays[d] = true
			}
			return nil
		}},
	{"YAOSU_CATALOG_SCHEDULER_INTERVAL", "1m", "How often each catalog replica looks for publicity windows that have ended (replicas share the work; each window ends exactly once).",
		func(c *Config, v string) error { d, err := duration(v); c.CatalogSchedulerInterval = d; return err }},
	{"YAOSU_RIGHTS_EXPIRY_INTERVAL", "1m", "How often each rights replica expires grants whose validity window has passed (checks deny from the window's end whether or not the job has run).",
		func(c *Config, v string) error { d, err := duration(v); c.RightsExpiryInterval = d; return err }},
	{"YAOSU_RIGHTS_DENIAL_FLUSH_INTERVAL", "10s", "How often denied checks, counted in memory per organisation, asset, right and reason, are published as one `rights.check.denied` event.",
		func(c *Config, v string) error { d, err := duration(v); c.RightsDenialFlushInterval = d; return err }},
	{"YAOSU_SCENARIO_MONITOR_INTERVAL", "1m", "How often the scenario monitor runs its scheduled rules (volume far above a link's learnt baseline) and purges raw usage records past their retention.",
		func(c *Config, v string) error { d, err := duration(v); c.ScenarioMonitorInterval = d; return err }},
	{"YAOSU_SCENARIO_SPIKE_FACTOR", "3", "A link's daily records above this many times its baseline (declared on the link, or learnt from its last 28 days) raise a `volume_spike` alert.",
		func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil && (f <= 1 || f > 1000) {
				err = errors.New("must be a number above 1")
			}
			c.ScenarioSpikeFactor = f
			return err
		}},
	{"YAOSU_SCENARIO_USAGE_RETENTION", "9600h", "How long raw usage records are kept, by their window's start (400 days); daily sums are kept for good. Records reported for older windows are denied (`WINDOW_BEYOND_RETENTION`), so that a repeat of a purged record cannot count twice.",
		func(c *Config, v string) error { d, err := duration(v); c.ScenarioUsageRetention = d; return err }},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "", "OTLP/gRPC endpoint for traces and metrics; empty keeps telemetry in-process (trace ids are still generated and logged). The other standard `OTEL_*` variables apply too.",
		func(c *Config, v string) error { c.OTLPEndpoint = v; return nil }},
}

// Load reads every variable through getenv (os.Getenv in production), applying defaults,
// and reports all invalid values at once.
func Load(getenv func(string) string) (Config, error) {
	var c Config
	var problems []error
	for _, v := range Vars {
		val := strings.TrimSpace(getenv(v.Name))
		if val == "" {
			val = v.Default
		}
		if err := v.set(&c, val); err != nil {
			problems = append(problems, fmt.Errorf("%s=%q: %w", v.Name, val, err))
		}
	}
	if err := errors.Join(problems...); err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// RequireExternal checks what `yaosu serve` needs beyond the defaults: it starts no
// infrastructure of its own.
func (c Config) RequireExternal() error {
	var problems []error
	if c.DatabaseURL == "" {
		problems = append(problems, errors.New("DATABASE_URL is required"))
	}
	if c.NATSURL == "" {
		problems = append(problems, errors.New("NATS_URL is required"))
	}
	switch c.AuthMode {
	case "":
		problems = append(problems, fmt.Errorf("YAOSU_AUTH_MODE is required: %q (verify tokens with YAOSU_JWT_PUBLIC_KEY_FILE) or %q (a signing key in YAOSU_DATA_DIR that anyone who reads it can mint tokens with: development only)", AuthModePublicKey, AuthModeDev))
	case AuthModePublicKey:
		if c.JWTPublicKeyFile == "" {
			problems = append(problems, errors.New("YAOSU_JWT_PUBLIC_KEY_FILE is required when YAOSU_AUTH_MODE=public-key"))
		}
	}
	if c.PageTokenKeyFile == "" {
		problems = append(problems, errors.New("YAOSU_PAGE_TOKEN_KEY_FILE is required: a secret shared by every replica (e.g. `head -c 32 /dev/urandom > page-token.key`)"))
	}
	if c.NATSCredentialsDir == "" {
		problems = append(problems, errors.New("YAOSU_NATS_CREDENTIALS_DIR is required: the NATS users' seeds "+
			"(`yaosu nats-config --create` makes them and the matching nats-server configuration); "+
			"connecting anonymously would need a NATS server that lets anyone read every event"))
	}
	if (c.NATSCertFile == "") != (c.NATSKeyFile == "") {
		problems = append(problems, errors.New("YAOSU_NATS_CERT_FILE and YAOSU_NATS_KEY_FILE go together"))
	}
	return errors.Join(append(problems, c.CheckTLS())...)
}

// CheckTLS checks that the TLS settings are complete. A process started by `yaosu dev`
// checks them too.
func (c Config) CheckTLS() error {
	var problems []error
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		problems = append(problems, errors.New("YAOSU_TLS_CERT_FILE and YAOSU_TLS_KEY_FILE go together: set both or neither"))
	}
	if c.TLSClientCAFile != "" && c.TLSCertFile == "" {
		problems = append(problems, errors.New("YAOSU_TLS_CLIENT_CA_FILE needs TLS: set YAOSU_TLS_CERT_FILE and YAOSU_TLS_KEY_FILE"))
	}
	if c.TLSClientAuth == ClientAuthRequire && c.TLSClientCAFile == "" {
		problems = append(problems, errors.New("YAOSU_TLS_CLIENT_AUTH=require needs YAOSU_TLS_CLIENT_CA_FILE"))
	}
	return errors.Join(problems...)
}

// TLS reports whether the gRPC server serves TLS.
func (c Config) TLS() bool { return c.TLSCertFile != "" }

// EventKeysDirectory is YAOSU_EVENT_KEYS_DIR, or its default under the data directory.
func (c Config) EventKeysDirectory() string {
	if c.EventKeysDir != "" {
		return c.EventKeysDir
	}
	return filepath.Join(c.DataDir, "event-keys")
}

// Markdown renders Vars as the README's configuration table.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| Variable | Default | Meaning |\n|---|---|---|\n")
	for _, v := range Vars {
		def := "(empty)"
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", v.Name, def, v.Doc)
	}
	return b.String()
}

func checkAddr(v string) error {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return err
	}
	return nil
}

func nonEmpty(v string) error {
	if v == "" {
		return errors.New("must not be empty")
	}
	return nil
}

func positive(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, err
	}
	if n <= 0 || n > 1<<20 {
		return 0, errors.New("must be a positive integer")
	}
	return n, nil
}

func duration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, errors.New("must be positive")
	}
	return d, nil
}
