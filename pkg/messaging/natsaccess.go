package messaging

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"golang.org/x/mod/semver"
)

// NATS users besides the services (whose user is the service's name).
const (
	// NATSUserAdmin provisions the stream (create and update YAOSU_EVENTS): `yaosu migrate`,
	// and `yaosu serve` when its seed is present.
	NATSUserAdmin = "admin"
	// NATSUserAuditor reads the stream (ordered consumers, durable consumers of its own)
	// and publishes nothing under yaosu.: `yaosuctl events tail`, `yaosuctl audit verify`,
	// `yaosu reconcile`.
	NATSUserAuditor = "auditor"
)

// MinNATSServerVersion is the oldest nats-server Yaosu runs on: consumers with several
// filter subjects (ConsumerConfig.FilterSubjects) came in 2.10.
const MinNATSServerVersion = "2.10.0"

// ServiceAccess is what one service does on NATS, from which its permissions follow: it
// publishes its own events (yaosu.<service>.>), consumes through its durable consumers,
// and, if ReadsStream, reads the whole stream through ordered consumers (the audit log).
type ServiceAccess struct {
	Service     string
	Durables    []string
	ReadsStream bool
}

// NATSUser is a NATS user of a Yaosu deployment and what it may do. Subjects not allowed
// are refused by the server (a permissions violation), so a leaked credential can do no
// more than its user.
type NATSUser struct {
	Name string
	// Description is printed above the user in the server configuration.
	Description      string
	PublishAllow     []string
	PublishDeny      []string
	SubscribeAllow   []string
	SubscribeDenyAll bool
}

// NATSInboxPrefix is the inbox prefix of user's connections: each user receives its
// replies (JetStream API answers, pulled messages) under its own prefix and may subscribe
// to nothing else, so no user can listen to another's replies.
func NATSInboxPrefix(user string) string { return "_INBOX." + user }

const jsAPI = "$JS.API."

func consumerSubjects(durable string) []string {
	s := StreamName + "." + durable
	return []string{
		jsAPI + "CONSUMER.CREATE." + s,
		jsAPI + "CONSUMER.CREATE." + s + ".>",
		jsAPI + "CONSUMER.INFO." + s,
		jsAPI + "CONSUMER.MSG.NEXT." + s,
		"$JS.ACK." + s + ".>",
	}
}

// readerSubjects let a user create consumers of any name on the stream (ordered consumers
// are ephemeral with generated names; auditors keep durable ones), read them, get single
// messages, and delete the ephemeral consumers it made. The durables of the services are
// denied by readerDeny.
func readerSubjects() []string {
	return []string{
		jsAPI + "CONSUMER.CREATE." + StreamName + ".>",
		jsAPI + "CONSUMER.INFO." + StreamName + ".*",
		jsAPI + "CONSUMER.MSG.NEXT." + StreamName + ".*",
		jsAPI + "CONSUMER.DELETE." + StreamName + ".*",
		jsAPI + "STREAM.MSG.GET." + StreamName,
		jsAPI + "DIRECT.GET." + StreamName,
		jsAPI + "DIRECT.GET." + StreamName + ".>",
		"$JS.ACK." + StreamName + ".>",
	}
}

// readerDeny keeps a stream reader away from the services' durable consumers: pulling
// from one (or recreating it with another filter) would take events from the service.
func readerDeny(durables []string) []string {
	var out []string
	for _, d := range durables {
		s := StreamName + "." + d
		out = append(out,
			jsAPI+"CONSUMER.CREATE."+s, jsAPI+"CONSUMER.CREATE."+s+".>",
			jsAPI+"CONSUMER.MSG.NEXT."+s, jsAPI+"CONSUMER.DELETE."+s,
			"$JS.ACK."+s+".>")
	}
	return out
}

// NATSUsers returns every user of a deployment of services: one per service, the admin
// and the auditor. Nobody may publish on another service's subjects; only the admin may
// create or change the stream; no one may delete or purge it (the stream denies that too).
func NATSUsers(services []ServiceAccess) []NATSUser {
	var allDurables []string
	for _, s := range services {
		allDurables = append(allDurables, s.Durables...)
	}
	slices.Sort(allDurables)
	common := []string{jsAPI + "INFO", jsAPI + "STREAM.INFO." + StreamName}
	var users []NATSUser
	for _, s := range services {
		u := NATSUser{Name: s.Service, Description: "service " + s.Service + ": publishes " + SubjectPrefix + s.Service + ".>",
			SubscribeAllow: []string{NATSInboxPrefix(s.Service) + ".>"}}
		u.PublishAllow = append(u.PublishAllow, SubjectPrefix+s.Service+".>")
		u.PublishAllow = append(u.PublishAllow, common...)
		for _, d := range s.Durables {
			u.PublishAllow = append(u.PublishAllow, consumerSubjects(d)...)
		}
		if s.ReadsStream {
			u.Description += "; reads the whole stream"
			u.PublishAllow = append(u.PublishAllow, readerSubjects()...)
			var others []string
			for _, d := range allDurables {
				if !slices.Contains(s.Durables, d) {
					others = append(others, d)
				}
			}
			u.PublishDeny = readerDeny(others)
		}
		users = append(users, u)
	}
	users = append(users,
		NATSUser{Name: NATSUserAdmin, Description: "admin: creates and updates the stream " + StreamName + "; publishes no events",
			PublishAllow: append(slices.Clone(common),
				jsAPI+"STREAM.CREATE."+StreamName, jsAPI+"STREAM.UPDATE."+StreamName),
			SubscribeAllow: []string{NATSInboxPrefix(NATSUserAdmin) + ".>"}},
		NATSUser{Name: NATSUserAuditor, Description: "auditor: reads the stream; publishes no events",
			PublishAllow:   append(slices.Clone(common), readerSubjects()...),
			PublishDeny:    append([]string{SubjectPrefix + ">"}, readerDeny(allDurables)...),
			SubscribeAllow: []string{NATSInboxPrefix(NATSUserAuditor) + ".>"}},
	)
	return users
}

// SeedFile is where user's nkey seed lives in a credentials directory.
func SeedFile(dir, user string) string { return filepath.Join(dir, user+".nk") }

// LoadOrCreateSeed returns the public nkey of user's seed in dir (SeedFile), generating
// the seed (0600) when it is missing and create is true.
func LoadOrCreateSeed(dir, user string, create bool) (string, error) {
	path := SeedFile(dir, user)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return "", err
		}
		seed, err := kp.Seed()
		if err != nil {
			return "", err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("nats credentials: %w", err)
		}
		if err := writeNew(path, append(seed, '\n'), 0o600, false); err != nil {
			return "", fmt.Errorf("nats credentials: %w", err)
		}
		return kp.PublicKey()
	}
	if err != nil {
		return "", fmt.Errorf("nats credentials: %w", err)
	}
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(raw))))
	if err != nil {
		return "", fmt.Errorf("nats credentials %s: %w", path, err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return "", err
	}
	if !nkeys.IsValidPublicUserKey(pub) {
		return "", fmt.Errorf("nats credentials %s: not a user seed", path)
	}
	return pub, nil
}

// NATSTLS is the client side of TLS to NATS: CAFile verifies the server, CertFile and
// KeyFile are the client certificate when the server asks for one.
type NATSTLS struct {
	CAFile, CertFile, KeyFile string
}

// NATSServerConfig describes the nats-server configuration NATSServerConfigText prints.
type NATSServerConfig struct {
	Users []NATSUser
	// PublicKeys holds each user's public nkey, by user name.
	PublicKeys map[string]string
	// Listen is the client listen address ("host:port"); empty leaves nats-server's default.
	Listen string
	// StoreDir is JetStream's storage directory; empty leaves nats-server's default.
	StoreDir string
	// TLS, when CertFile is set, makes the server require TLS with that certificate;
	// CAFile (and verify) then also requires client certificates signed by it.
	TLSCertFile, TLSKeyFile, TLSCAFile string
}

// Text renders the configuration in nats-server's configuration format.
func (c NATSServerConfig) Text() (string, error) {
	var b strings.Builder
	b.WriteString("# nats-server configuration for Yaosu, generated by `yaosu nats-config`.\n" +
		"# Every client is an nkey user with only the permissions it needs; anonymous clients are\n" +
		"# refused. Regenerate it when a seed changes (the users are listed by public nkey).\n")
	if c.Listen != "" {
		fmt.Fprintf(&b, "listen: %s\n", strconv.Quote(c.Listen))
	}
	b.WriteString("jetstream {\n")
	if c.StoreDir != "" {
		fmt.Fprintf(&b, "  store_dir: %s\n", strconv.Quote(c.StoreDir))
	}
	b.WriteString("}\nauthorization {\n  users: [\n")
	for _, u := range c.Users {
		pub := c.PublicKeys[u.Name]
		if !nkeys.IsValidPublicUserKey(pub) {
			return "", fmt.Errorf("nats config: no valid public nkey for user %s", u.Name)
		}
		fmt.Fprintf(&b, "    # %s\n    {\n      nkey: %s\n      permissions: {\n", u.Description, strconv.Quote(pub))
		fmt.Fprintf(&b, "        publish: { allow: %s", quoteList(u.PublishAllow))
		if len(u.PublishDeny) > 0 {
			fmt.Fprintf(&b, ", deny: %s", quoteList(u.PublishDeny))
		}
		b.WriteString(" }\n")
		fmt.Fprintf(&b, "        subscribe: { allow: %s }\n", quoteList(u.SubscribeAllow))
		b.WriteString("      }\n    }\n")
	}
	b.WriteString("  ]\n}\n")
	if c.TLSCertFile != "" {
		fmt.Fprintf(&b, "tls {\n  cert_file: %s\n  key_file: %s\n", strconv.Quote(c.TLSCertFile), strconv.Quote(c.TLSKeyFile))
		if c.TLSCAFile != "" {
			fmt.Fprintf(&b, "  ca_file: %s\n  verify: true\n", strconv.Quote(c.TLSCAFile))
		}
		b.WriteString("}\n")
	}
	return b.String(), nil
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// NATSConnectOptions are the options a Yaosu process connects to NATS with as user: the
// user's nkey seed from credsDir (none when credsDir is empty: anonymous, for servers
// without authorization), its inbox prefix, and TLS when configured.
func NATSConnectOptions(credsDir, user string, t NATSTLS) ([]nats.Option, error) {
	opts := []nats.Option{nats.CustomInboxPrefix(NATSInboxPrefix(user))}
	if credsDir != "" {
		o, err := nats.NkeyOptionFromSeed(SeedFile(credsDir, user))
		if err != nil {
			return nil, fmt.Errorf("nats credentials of %s: %w", user, err)
		}
		opts = append(opts, o)
	}
	if t.CAFile != "" {
		opts = append(opts, nats.RootCAs(t.CAFile))
	}
	if t.CertFile != "" || t.KeyFile != "" {
		if t.CertFile == "" || t.KeyFile == "" {
			return nil, errors.New("nats TLS: a client certificate needs both the certificate and the key file")
		}
		opts = append(opts, nats.ClientCert(t.CertFile, t.KeyFile))
	}
	return opts, nil
}

// CheckNATSServerVersion reports whether version (nats.Conn.ConnectedServerVersion) is at
// least MinNATSServerVersion.
func CheckNATSServerVersion(version string) error {
	v := "v" + strings.TrimPrefix(version, "v")
	if !semver.IsValid(v) {
		return fmt.Errorf("NATS server version %q is not a version; nats-server %s or later is needed", version, MinNATSServerVersion)
	}
	if semver.Compare(v, "v"+MinNATSServerVersion) < 0 {
		return fmt.Errorf("NATS server is version %s; Yaosu needs nats-server %s or later (consumers with several filter subjects)",
			version, MinNATSServerVersion)
	}
	return nil
}

// CheckNATSServer checks at start what Yaosu needs of the server nc is connected to: a
// recent enough version and JetStream enabled, with an error that says what was found.
func CheckNATSServer(ctx context.Context, nc *nats.Conn, js jetstream.JetStream) error {
	if err := CheckNATSServerVersion(nc.ConnectedServerVersion()); err != nil {
		return fmt.Errorf("%w (at %s)", err, nc.ConnectedUrlRedacted())
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return fmt.Errorf("NATS server at %s (version %s) has JetStream disabled: start it with JetStream (-js, or `jetstream {}` in its configuration; see `yaosu nats-config`)",
				nc.ConnectedUrlRedacted(), nc.ConnectedServerVersion())
		}
		return fmt.Errorf("NATS server at %s (version %s): JetStream: %w", nc.ConnectedUrlRedacted(), nc.ConnectedServerVersion(), err)
	}
	return nil
}
