package messaging

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/nats-io/nats.go"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
)

// HeaderSignature carries "<key id> <base64 std signature>" on every published event.
const HeaderSignature = "Yaosu-Signature"

// signingContext prefixes the signed bytes so an event signature can never be taken for a
// signature over anything else made with the same key (domain separation), and names the
// scheme's version.
const signingContext = "yaosu-event-v1\n"

// Errors of Keyring.Verify; test with errors.Is.
var (
	// ErrUnsigned: the message has no signature header.
	ErrUnsigned = errors.New("event is not signed")
	// ErrUnknownKey: the signature names a key the keyring does not hold.
	ErrUnknownKey = errors.New("event signed by an unknown key")
	// ErrBadSignature: the header is malformed or the signature does not match.
	ErrBadSignature = errors.New("event signature is not valid")
	// ErrWrongOwner: a valid signature, but by a service that does not own the subject.
	ErrWrongOwner = errors.New("event signed by a service that does not own its subject")
	// ErrEnvelopeMismatch: the signature is good, but the envelope inside claims another
	// source or type than the signed subject (a service relabelling an event as another's).
	ErrEnvelopeMismatch = errors.New("envelope does not match its signed subject")
)

// serviceName is what a signing service may be called: it goes into file names, key ids
// ("<service>+<hex>") and subjects ("yaosu.<service>."), so none of '/', '+', '.', '-'.
var serviceName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// signedBytes is what an event signature covers: the context, the NATS subject and the
// body (the protobuf envelope). The subject is covered so a signed event cannot be
// replayed under another subject; the headers other than the signature are not (they
// repeat the envelope's attributes, and consumers read the envelope).
func signedBytes(subject string, body []byte) []byte {
	b := make([]byte, 0, len(signingContext)+len(subject)+1+len(body))
	b = append(b, signingContext...)
	b = append(b, subject...)
	b = append(b, '\n')
	return append(b, body...)
}

// KeyID names a service's public key: service + "+" + the first 4 bytes of its SHA-256 in
// hex. The service in the id is what Verify checks subjects against.
func KeyID(service string, pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return service + "+" + hex.EncodeToString(sum[:4])
}

// SigningKey is a service's private event-signing key.
type SigningKey struct {
	Service string
	ID      string
	Private ed25519.PrivateKey
}

// Public returns the public half, as a keyring holds it.
func (k *SigningKey) Public() PublicKey {
	return PublicKey{ID: k.ID, Service: k.Service, Key: k.Private.Public().(ed25519.PublicKey)}
}

// Sign returns the HeaderSignature value for an event published on subject with body.
func (k *SigningKey) Sign(subject string, body []byte) string {
	sig := ed25519.Sign(k.Private, signedBytes(subject, body))
	return k.ID + " " + base64.StdEncoding.EncodeToString(sig)
}

// SignMsg sets m's HeaderSignature for its subject and body (m.Header must be set, as
// Message makes it).
func (k *SigningKey) SignMsg(m *nats.Msg) {
	m.Header.Set(HeaderSignature, k.Sign(m.Subject, m.Data))
}

// NewSigningKey returns a fresh key for service (not stored anywhere).
func NewSigningKey(service string) (*SigningKey, error) {
	if !serviceName.MatchString(service) {
		return nil, fmt.Errorf("signing key: invalid service name %q", service)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return &SigningKey{Service: service, ID: KeyID(service, pub), Private: priv}, nil
}

// LoadOrCreateSigningKey reads dir/<service>.key (PEM PKCS#8 Ed25519). When the file is
// missing and create is true it generates a key and writes it (0600) with its public half
// in dir/<service>.pub (PEM PKIX), which is what other services' keyrings read. When it is
// missing and create is false the error wraps fs.ErrNotExist.
func LoadOrCreateSigningKey(dir, service string, create bool) (*SigningKey, error) {
	if !serviceName.MatchString(service) {
		return nil, fmt.Errorf("signing key: invalid service name %q", service)
	}
	path := filepath.Join(dir, service+".key")
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		return createSigningKey(dir, service)
	}
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("signing key %s: no PEM \"PRIVATE KEY\" block", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	priv, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: %T is not an Ed25519 key", path, parsed)
	}
	return &SigningKey{Service: service, ID: KeyID(service, priv.Public().(ed25519.PublicKey)), Private: priv}, nil
}

func createSigningKey(dir, service string) (*SigningKey, error) {
	k, err := NewSigningKey(service)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("signing key dir: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(k.Private.Public())
	if err != nil {
		return nil, err
	}
	// The public half first: a crash in between leaves no private key without its public
	// half, and the next start creates both again.
	if err := writeNew(filepath.Join(dir, service+".pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644, true); err != nil {
		return nil, err
	}
	if err := writeNew(filepath.Join(dir, service+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600, false); err != nil {
		return nil, err
	}
	return k, nil
}

// writeNew writes data to path with perm; unless replace, an existing file is an error
// (two processes creating the same key at once: one wins, the other fails instead of
// silently holding a key nobody can verify).
func writeNew(path string, data []byte, perm os.FileMode, replace bool) error {
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if replace {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("signing key %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("signing key %s: %w", path, err)
	}
	return f.Close()
}

// PublicKey is a service's public event key as a keyring holds it.
type PublicKey struct {
	ID, Service string
	Key         ed25519.PublicKey
}

// Keyring holds the public keys events are verified against, by key id. It is not
// changed after construction, so concurrent reads are safe.
type Keyring struct {
	byID map[string]PublicKey
	// collided are ids two different keys shared: they verify nothing.
	collided []string
}

// NewKeyring returns a keyring of keys. A key's ID is recomputed from its service and key
// when empty.
func NewKeyring(keys ...PublicKey) *Keyring {
	k := &Keyring{byID: make(map[string]PublicKey, len(keys))}
	for _, pk := range keys {
		if pk.ID == "" {
			pk.ID = KeyID(pk.Service, pk.Key)
		}
		if prev, ok := k.byID[pk.ID]; ok && (!prev.Key.Equal(pk.Key) || prev.Service != pk.Service) {
			// Two different keys under one id (a 32-bit hash): neither can be told apart
			// by the signature header, so the id verifies nothing.
			delete(k.byID, pk.ID)
			k.collided = append(k.collided, pk.ID)
			continue
		}
		if slices.Contains(k.collided, pk.ID) {
			continue
		}
		k.byID[pk.ID] = pk
	}
	return k
}

// IsAuthenticityError reports whether err says a message does not prove its origin (one of
// the sentinels above), as opposed to a signed message whose body is not an event.
func IsAuthenticityError(err error) bool {
	for _, e := range []error{ErrUnsigned, ErrUnknownKey, ErrBadSignature, ErrWrongOwner, ErrEnvelopeMismatch} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// VerifyEvent is what every reader of the stream checks before trusting a message: the
// signature (Verify: a key of the service that owns the subject), then the envelope, whose
// source must be that service and whose type must be the subject. It returns the signing
// service and the decoded envelope. A body that cannot be decoded although its signature is
// good is returned with a decoding error that is not an authenticity error
// (IsAuthenticityError): the bytes are the service's, they are just not an event.
func (k *Keyring) VerifyEvent(subject string, body []byte, header string) (string, *eventsv1.Event, error) {
	service, err := k.Verify(subject, body, header)
	if err != nil {
		return "", nil, err
	}
	ev, err := Decode(body)
	if err != nil {
		return service, nil, err
	}
	switch {
	case ev.GetSource() != "/yaosu/"+service:
		return service, ev, fmt.Errorf("%w: envelope source %q, signed by service %s", ErrEnvelopeMismatch, ev.GetSource(), service)
	case NATSSubject(ev.GetType()) != subject:
		return service, ev, fmt.Errorf("%w: envelope type %q on subject %q", ErrEnvelopeMismatch, ev.GetType(), subject)
	}
	return service, ev, nil
}

// LoadKeyring reads every dir/*.pub (PEM PKIX Ed25519). The service is the file name
// before ".pub" or before a "-<suffix>" (catalog.pub, catalog-2026.pub): several keys per
// service let a key be rotated while events signed by the old one are still read. A
// directory with no keys is an error: a keyring that verifies nothing would make every
// consumer drop every event.
func LoadKeyring(dir string) (*Keyring, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.pub"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("event keys: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("event keys: no *.pub files in %s", dir)
	}
	keys := make([]PublicKey, 0, len(paths))
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".pub")
		service, _, _ := strings.Cut(name, "-")
		if !serviceName.MatchString(service) {
			return nil, fmt.Errorf("event keys %s: invalid service name %q", path, service)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("event keys: %w", err)
		}
		block, _ := pem.Decode(raw)
		if block == nil || block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("event keys %s: no PEM \"PUBLIC KEY\" block", path)
		}
		parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("event keys %s: %w", path, err)
		}
		pub, ok := parsed.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("event keys %s: %T is not an Ed25519 key", path, parsed)
		}
		keys = append(keys, PublicKey{ID: KeyID(service, pub), Service: service, Key: pub})
	}
	return NewKeyring(keys...), nil
}

// Keys returns the keyring's keys sorted by ID.
func (k *Keyring) Keys() []PublicKey {
	out := make([]PublicKey, 0, len(k.byID))
	for _, pk := range k.byID {
		out = append(out, pk)
	}
	slices.SortFunc(out, func(a, b PublicKey) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Verify checks header (a HeaderSignature value) against subject and body, and that the
// signing key's service owns the subject (it starts with "yaosu.<service>."). It returns
// that service. Errors wrap ErrUnsigned, ErrUnknownKey, ErrBadSignature or ErrWrongOwner.
func (k *Keyring) Verify(subject string, body []byte, header string) (string, error) {
	if header == "" {
		return "", ErrUnsigned
	}
	id, b64, ok := strings.Cut(header, " ")
	if !ok || id == "" || b64 == "" {
		return "", fmt.Errorf("%w: malformed %s header", ErrBadSignature, HeaderSignature)
	}
	pk, ok := k.byID[id]
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownKey, id)
	}
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return "", fmt.Errorf("%w: malformed signature by %q", ErrBadSignature, id)
	}
	if !ed25519.Verify(pk.Key, signedBytes(subject, body), sig) {
		return "", fmt.Errorf("%w: by %q on %q", ErrBadSignature, id, subject)
	}
	if !strings.HasPrefix(subject, SubjectPrefix+pk.Service+".") {
		return "", fmt.Errorf("%w: %q (service %s) signed %q", ErrWrongOwner, id, pk.Service, subject)
	}
	return pk.Service, nil
}
