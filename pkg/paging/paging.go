// Package paging implements AIP-158 page tokens and page sizes for the List methods: an
// opaque token carries the position after the previous page and a fingerprint of the query
// and the caller's scope, so it survives concurrent inserts (keyset paging) and cannot be
// replayed against another query or by someone who sees other rows.
package paging

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"

	"yaosu.dev/pkg/errs"
)

// Query identifies one query for its page tokens: a service-chosen namespace (the HMAC key,
// e.g. "yaosu.catalog.list.v1") and everything that must not change between pages.
type Query struct {
	fingerprint string
	reason      string
}

// NewQuery fingerprints parts (JSON-encoded) under namespace; reason is the ErrorInfo
// reason of a rejected token (each service names its own, e.g.
// ERROR_REASON_INVALID_PAGE_TOKEN).
func NewQuery(namespace, reason string, parts ...any) Query {
	raw, _ := json.Marshal(parts)
	m := hmac.New(sha256.New, []byte(namespace))
	m.Write(raw)
	return Query{fingerprint: base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12]), reason: reason}
}

type token struct {
	V     int    `json:"v"`
	After string `json:"a"`
	Query string `json:"q"`
}

// Token returns the token of the page after position after.
func (q Query) Token(after string) string {
	raw, _ := json.Marshal(token{V: 1, After: after, Query: q.fingerprint})
	return base64.RawURLEncoding.EncodeToString(raw)
}

// After returns the position a token carries, or INVALID_ARGUMENT (field page_token) if
// the token is malformed or was issued for another query.
func (q Query) After(tok string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	var t token
	if err != nil || json.Unmarshal(raw, &t) != nil || t.V != 1 || t.Query != q.fingerprint || t.After == "" {
		return "", errs.InvalidArgument(q.reason,
			errs.FieldViolation{Field: "page_token", Description: "malformed, or issued for a different query"})
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
