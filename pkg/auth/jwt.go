package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"yaosu.dev/pkg/errs"
)

// Audience is the `aud` every Yaosu token must carry.
const Audience = "yaosu"

// Verifier turns a bearer token into a Principal. Implementations must be safe for
// concurrent use.
type Verifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// Claims are the JWT claims Yaosu reads.
type Claims struct {
	jwt.RegisteredClaims
	Org   string `json:"org"`
	Roles []Role `json:"roles"`
}

// Ed25519Verifier verifies EdDSA-signed JWTs with one public key.
type Ed25519Verifier struct {
	key    ed25519.PublicKey
	issuer string
	parser *jwt.Parser
	now    func() time.Time
	// maxLifetime bounds exp - iat: a token minted for years would otherwise outlive any
	// leak, any role change and any key rotation policy.
	maxLifetime time.Duration

	// verified remembers tokens whose signature and claims were checked, until they expire:
	// an internal system sends the same token with thousands of checks a second, and the
	// Ed25519 verification would otherwise cost more than the check itself. A token is
	// immutable, so what was verified stays verified; only its time limits are re-checked.
	mu       sync.Mutex
	verified map[string]verifiedToken
}

type verifiedToken struct {
	principal Principal
	notBefore time.Time // zero: none
	expires   time.Time
}

// maxVerifiedTokens bounds the cache; when full it is emptied (tokens are re-verified).
const maxVerifiedTokens = 10000

// leeway is the clock skew tolerated on exp and nbf.
const leeway = 30 * time.Second

// DefaultMaxLifetime is the longest token lifetime (exp - iat) a verifier accepts unless
// told otherwise (YAOSU_JWT_MAX_LIFETIME).
const DefaultMaxLifetime = 12 * time.Hour

var _ Verifier = (*Ed25519Verifier)(nil)

// VerifierOption changes a verifier's defaults.
type VerifierOption func(*Ed25519Verifier)

// WithMaxLifetime sets the longest exp - iat accepted (DefaultMaxLifetime otherwise).
func WithMaxLifetime(d time.Duration) VerifierOption {
	return func(v *Ed25519Verifier) { v.maxLifetime = d }
}

// WithClock sets the verifier's clock (time.Now otherwise), for tests.
func WithClock(now func() time.Time) VerifierOption {
	return func(v *Ed25519Verifier) { v.now = now }
}

// NewEd25519Verifier returns a verifier that accepts tokens signed by key for issuer,
// carrying iat and exp no further apart than the maximum lifetime.
func NewEd25519Verifier(key ed25519.PublicKey, issuer string, opts ...VerifierOption) *Ed25519Verifier {
	v := &Ed25519Verifier{key: key, issuer: issuer, now: time.Now, maxLifetime: DefaultMaxLifetime,
		verified: map[string]verifiedToken{}}
	for _, o := range opts {
		o(v)
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(v.now),
	)
	return v
}

func newEd25519Verifier(key ed25519.PublicKey, issuer string, now func() time.Time) *Ed25519Verifier {
	return NewEd25519Verifier(key, issuer, WithClock(now))
}

// Verify checks signature, issuer, audience and expiry, then the Yaosu claims.
func (v *Ed25519Verifier) Verify(_ context.Context, token string) (Principal, error) {
	now := v.now()
	v.mu.Lock()
	t, ok := v.verified[token]
	v.mu.Unlock()
	if ok {
		if now.Before(t.expires.Add(leeway)) && (t.notBefore.IsZero() || !now.Before(t.notBefore.Add(-leeway))) {
			return t.principal, nil
		}
		v.mu.Lock()
		delete(v.verified, token)
		v.mu.Unlock()
		// Fall through: the full check reports why it no longer passes.
	}
	var c Claims
	if _, err := v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.key, nil }); err != nil {
		return Principal{}, errs.Wrap(err, errs.KindUnauthenticated, errs.ReasonUnauthenticated, "invalid bearer token")
	}
	if c.IssuedAt == nil {
		return Principal{}, errs.Unauthenticated("token lacks iat: its lifetime cannot be checked")
	}
	if life := c.ExpiresAt.Sub(c.IssuedAt.Time); life > v.maxLifetime {
		return Principal{}, errs.Unauthenticated("token lifetime %s exceeds the maximum %s: get a shorter-lived token", life, v.maxLifetime)
	}
	if c.Subject == "" || c.Org == "" || len(c.Roles) == 0 {
		return Principal{}, errs.Unauthenticated("token lacks sub, org or roles")
	}
	for _, r := range c.Roles {
		if !ValidRole(r) {
			return Principal{}, errs.Unauthenticated("token has unknown role %q", r)
		}
	}
	p := Principal{Subject: c.Subject, Organisation: c.Org, Roles: c.Roles}
	entry := verifiedToken{principal: p, expires: c.ExpiresAt.Time}
	if c.NotBefore != nil {
		entry.notBefore = c.NotBefore.Time
	}
	v.mu.Lock()
	if len(v.verified) >= maxVerifiedTokens {
		v.verified = map[string]verifiedToken{}
	}
	v.verified[token] = entry
	v.mu.Unlock()
	return p, nil
}

// Mint signs a token for p, valid for ttl. Used by dev mode and tests; production tokens
// come from the identity provider.
func Mint(key ed25519.PrivateKey, issuer string, p Principal, ttl time.Duration) (string, error) {
	now := time.Now()
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   p.Subject,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Org:   p.Organisation,
		Roles: p.Roles,
	}
	return jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(key)
}

// DevKeyFile is the dev signing key's file name inside the data directory.
const DevKeyFile = "dev-signing.key"

// LoadOrCreateDevKey returns the Ed25519 key at dataDir/dev-signing.key, creating it (mode
// 0600) on first use. Only dev mode uses it: whoever can read the file can mint tokens.
func LoadOrCreateDevKey(dataDir string) (ed25519.PrivateKey, error) {
	return LoadOrCreateKeyFile(filepath.Join(dataDir, DevKeyFile))
}

// LoadOrCreateKeyFile returns the PEM PKCS#8 Ed25519 key at path, creating it (mode 0600,
// directory 0700) when it does not exist. Two processes creating it at once agree on one key.
func LoadOrCreateKeyFile(path string) (ed25519.PrivateKey, error) {
	if key, err := LoadPrivateKey(path); err == nil {
		return key, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadPrivateKey(path) // another process created it first; use theirs
	}
	if err != nil {
		return nil, err
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		_ = f.Close()
		return nil, err
	}
	return key, f.Close()
}

// LoadPrivateKey reads a PEM PKCS#8 Ed25519 private key.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key", path)
	}
	return key, nil
}

// LoadPublicKey reads a PEM PKIX Ed25519 public key.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	key, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key", path)
	}
	return key, nil
}
