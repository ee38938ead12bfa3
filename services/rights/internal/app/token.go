package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/rights/internal/domain"
)

type pageToken struct {
	V     int    `json:"v"`
	After string `json:"a"`
	Query string `json:"q"`
}

func fingerprint(parts ...any) string {
	raw, _ := json.Marshal(parts)
	m := hmac.New(sha256.New, []byte("yaosu.rights.list.v1"))
	m.Write(raw)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

func encodeToken(after, fp string) string {
	raw, _ := json.Marshal(pageToken{V: 1, After: after, Query: fp})
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeToken(token, fp string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	var pt pageToken
	if err != nil || json.Unmarshal(raw, &pt) != nil || pt.V != 1 || pt.Query != fp || pt.After == "" {
		return "", errs.InvalidArgument(domain.ReasonInvalidPageToken,
			errs.FieldViolation{Field: "page_token", Description: "malformed, or issued for a different query"})
	}
	return pt.After, nil
}
