package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tokenFileName is the stored token's file name inside the config directory.
const tokenFileName = "token"

// configDir is where yaosuctl keeps its state: $YAOSU_CONFIG_DIR, else
// os.UserConfigDir()/yaosu.
func configDir(getenv func(string) string) (string, error) {
	if d := getenv(envConfigDir); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory (set %s): %w", envConfigDir, err)
	}
	return filepath.Join(base, "yaosu"), nil
}

func tokenPath(getenv func(string) string) (string, error) {
	dir, err := configDir(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, tokenFileName), nil
}

// saveToken stores token readable by the user only. It writes a temporary file and
// renames it, so a concurrent reader never sees half a token.
func saveToken(getenv func(string) string, token string) (string, error) {
	path, err := tokenPath(getenv)
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, tokenFileName+".*")
	if err != nil {
		return "", err
	}
	defer func() { _ = os.Remove(f.Name()) }() // no-op after the rename
	// CreateTemp already uses 0600; say so explicitly since the file holds a credential.
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return "", err
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		_ = f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", err
	}
	return path, nil
}

// loadToken returns the stored token, or "" if there is none.
func loadToken(getenv func(string) string) (token, path string, err error) {
	path, err = tokenPath(getenv)
	if err != nil {
		return "", "", err
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", path, nil
	}
	if err != nil {
		return "", path, err
	}
	return strings.TrimSpace(string(raw)), path, nil
}

// removeToken deletes the stored token; removed is false if there was none.
func removeToken(getenv func(string) string) (removed bool, path string, err error) {
	path, err = tokenPath(getenv)
	if err != nil {
		return false, "", err
	}
	err = os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, path, nil
	}
	return err == nil, path, err
}

// errNotLoggedIn is returned when a command needs a token and none was given or stored.
var errNotLoggedIn = errors.New("not logged in: run `yaosuctl login --dev --org ORG --role ROLE` " +
	"(or pass --token / set " + envToken + ")")

// resolveToken returns the token to use and where it came from: --token, $YAOSU_TOKEN
// (both already folded into g.token), else the stored one.
func (g *globals) resolveToken() (token, source string, err error) {
	if g.token != "" {
		return g.token, g.tokenSource, nil
	}
	token, path, err := loadToken(g.getenv)
	if err != nil {
		return "", "", fmt.Errorf("read stored token: %w", err)
	}
	if token == "" {
		return "", "", errNotLoggedIn
	}
	return token, path, nil
}

// tokenClaims are the claims yaosuctl shows; see auth.Claims for the server's view.
type tokenClaims struct {
	Issuer       string   `json:"iss"`
	Subject      string   `json:"sub"`
	Organisation string   `json:"org"`
	Roles        []string `json:"roles"`
	ExpiresAt    float64  `json:"exp"`
	IssuedAt     float64  `json:"iat"`
}

// Expiry is the exp claim as a time; zero if the token has none.
func (c tokenClaims) Expiry() time.Time {
	if c.ExpiresAt == 0 {
		return time.Time{}
	}
	sec := int64(c.ExpiresAt)
	return time.Unix(sec, int64((c.ExpiresAt-float64(sec))*1e9)).UTC()
}

// decodeClaims reads a JWT's claims WITHOUT verifying its signature: fine for showing
// who a token claims to be and for defaults such as the holder organisation, never for
// authorisation (the server verifies every token).
func decodeClaims(token string) (tokenClaims, error) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return tokenClaims{}, errors.New("token is not a JWT (want three dot-separated parts)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return tokenClaims{}, fmt.Errorf("token claims: %w", err)
	}
	var c tokenClaims
	if err := json.Unmarshal(raw, &c); err != nil {
		return tokenClaims{}, fmt.Errorf("token claims: %w", err)
	}
	return c, nil
}
