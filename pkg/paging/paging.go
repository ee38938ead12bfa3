// Package paging implements AIP-158 page tokens and page sizes for the List methods: an
// opaque token carries the position after the previous page, bound by an HMAC under a
// secret key to the query and the caller's scope, so it survives concurrent inserts
// (keyset paging) and can neither be replayed against another query or scope nor edited
// to start elsewhere. The key is a secret of the deployment (YAOSU_PAGE_TOKEN_KEY_FILE),
// shared by every replica so that any of them continues a list another began.
package paging

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"yaosu.dev/pkg/errs"
)

// DefaultKeyFile is the key's file name inside the data directory, where `yaosu dev`
// creates it.
const DefaultKeyFile = "page-token.key"

// MinKeySize is the shortest secret accepted, in bytes.
const MinKeySize = 32

// Key authenticates page tokens. The zero Key is not usable: see NewKey, RandomKey,
// LoadKey.
type Key struct{ secret []byte }

// NewKey returns a key with secret (at least MinKeySize bytes).
func NewKey(secret []byte) (Key, error) {
	if len(secret) < MinKeySize {
		return Key{}, fmt.Errorf("page token key: %d bytes, want at least %d", len(secret), MinKeySize)
	}
	return Key{secret: bytes.Clone(secret)}, nil
}

// RandomKey returns a fresh key known to this process only: tokens stop working at its
// restart and on other replicas. For tests and single-process tools.
func RandomKey() Key {
	return Key{secret: []byte(rand.Text() + rand.Text())}
}

// IsZero reports whether k holds no secret.
func (k Key) IsZero() bool { return len(k.secret) == 0 }

// LoadKey reads a key file: its bytes (surrounding whitespace trimmed) are the secret.
func LoadKey(path string) (Key, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("page token key: %w", err)
	}
	k, err := NewKey(bytes.TrimSpace(raw))
	if err != nil {
		return Key{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// LoadOrCreateKey reads the key file at path, creating it with a random secret (mode
// 0600, directory 0700) when it does not exist. Two processes creating it at once agree
// on one key.
func LoadOrCreateKey(path string) (Key, error) {
	k, err := LoadKey(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return k, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Key{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadKey(path) // another process created it first; use theirs
	}
	if err != nil {
		return Key{}, err
	}
	secret := rand.Text() + rand.Text() // 52 base32 characters, 260 bits
	if _, err := f.WriteString(secret + "\n"); err != nil {
		_ = f.Close()
		return Key{}, err
	}
	if err := f.Close(); err != nil {
		return Key{}, err
	}
	return NewKey([]byte(secret))
}

// Query identifies one query for its page tokens: a service-chosen namespace (e.g.
// "yaosu.catalog.list.v1") and everything that must not change between pages.
type Query struct {
	key         []byte
	fingerprint []byte
	reason      string
}

// Query binds tokens to parts (JSON-encoded) under namespace; reason is the ErrorInfo
// reason of a rejected token (each service names its own, e.g.
// ERROR_REASON_INVALID_PAGE_TOKEN).
func (k Key) Query(namespace, reason string, parts ...any) Query {
	if k.IsZero() {
		panic("paging: zero Key") // a wiring mistake, caught by every list test
	}
	raw, _ := json.Marshal(parts)
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte(namespace))
	m.Write([]byte{0})
	m.Write(raw)
	return Query{key: k.secret, fingerprint: m.Sum(nil), reason: reason}
}

type token struct {
	V     int    `json:"v"`
	After string `json:"a"`
	MAC   string `json:"m"`
}

// mac authenticates position after for this query.
func (q Query) mac(after string) string {
	m := hmac.New(sha256.New, q.key)
	m.Write(q.fingerprint)
	m.Write([]byte(after))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// Token returns the token of the page after position after.
func (q Query) Token(after string) string {
	raw, _ := json.Marshal(token{V: 2, After: after, MAC: q.mac(after)})
	return base64.RawURLEncoding.EncodeToString(raw)
}

// After returns the position a token carries, or INVALID_ARGUMENT (field page_token) if
// the token is malformed, was altered, or was issued for another query or key.
func (q Query) After(tok string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	var t token
	if err != nil || json.Unmarshal(raw, &t) != nil || t.V != 2 || t.After == "" ||
		!hmac.Equal([]byte(t.MAC), []byte(q.mac(t.After))) {
		return "", errs.InvalidArgument(q.reason,
			errs.Violation("page_token", "malformed, or issued for a different query", "分页令牌无效，或属于另一查询"))
	}
	return t.After, nil
}

// Size clamps a requested page size: 0 or less means def, more than max means max.
func Size(n, def, max int) int {
	switch {
	case n <= 0:
		return def
	case n > max:
		return max
	}
	return n
}
