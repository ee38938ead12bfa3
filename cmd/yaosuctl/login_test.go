package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/auth"
)

const testOrg = "91350100M000100Y43"

// mintFor returns a dev token for subject, signed with a throwaway key.
func mintFor(t *testing.T, subject string) string {
	t.Helper()
	key, err := auth.LoadOrCreateDevKey(t.TempDir())
	require.NoError(t, err)
	tok, err := auth.Mint(key, defaultIssuer, auth.Principal{
		Subject: subject, Organisation: testOrg, Roles: []auth.Role{auth.RoleRegistrar},
	}, time.Hour)
	require.NoError(t, err)
	return tok
}

func TestLoginDevMintsVerifiableToken(t *testing.T) {
	isolate(t)
	dataDir := t.TempDir()
	key, err := auth.LoadOrCreateDevKey(dataDir) // what the server does on start
	require.NoError(t, err)

	out, _, err := runCLI(t, context.Background(), "login", "--dev", "--org", testOrg,
		"--role", "registrar", "--role", "auditor", "--subject", "zhang.wei@dev", "--data-dir", dataDir, "--ttl", "2h")
	require.NoError(t, err)
	require.Contains(t, out, "Logged in as zhang.wei@dev for "+testOrg+" (roles: registrar, auditor)")
	require.Contains(t, out, filepath.Join(os.Getenv(envConfigDir), "token"))

	token, _, err := loadToken(os.Getenv)
	require.NoError(t, err)
	p, err := auth.NewEd25519Verifier(key.Public().(ed25519.PublicKey), "yaosu-dev").Verify(context.Background(), token)
	require.NoError(t, err)
	require.Equal(t, auth.Principal{
		Subject: "zhang.wei@dev", Organisation: testOrg, Roles: []auth.Role{auth.RoleRegistrar, auth.RoleAuditor},
	}, p)

	c, err := decodeClaims(token)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(2*time.Hour), c.Expiry(), time.Minute)
}

func TestLoginDevDataDirFromEnvAndDefaultSubject(t *testing.T) {
	isolate(t)
	dataDir := t.TempDir()
	_, err := auth.LoadOrCreateDevKey(dataDir)
	require.NoError(t, err)
	t.Setenv(envDataDir, dataDir)

	_, _, err = runCLI(t, context.Background(), "login", "--dev", "--org", testOrg, "--role", "admin")
	require.NoError(t, err)
	token, _, err := loadToken(os.Getenv)
	require.NoError(t, err)
	c, err := decodeClaims(token)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(c.Subject, "@dev"), c.Subject)
	require.Greater(t, len(c.Subject), len("@dev"))
}

func TestLoginDoesNotCreateKey(t *testing.T) {
	isolate(t)
	dataDir := t.TempDir()
	_, _, err := runCLI(t, context.Background(), "login", "--dev", "--org", testOrg, "--role", "registrar", "--data-dir", dataDir)
	require.ErrorContains(t, err, "start the server with `make run` first")
	require.NoFileExists(t, filepath.Join(dataDir, auth.DevKeyFile))
	token, _, err := loadToken(os.Getenv)
	require.NoError(t, err)
	require.Empty(t, token)
}

func TestLoginRejectsBadInput(t *testing.T) {
	isolate(t)
	dataDir := t.TempDir()
	_, err := auth.LoadOrCreateDevKey(dataDir)
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no --dev":     {[]string{"login", "--org", testOrg, "--role", "registrar"}, "only `yaosuctl login --dev` is supported"},
		"no org":       {[]string{"login", "--dev", "--role", "registrar"}, "--org is required"},
		"no role":      {[]string{"login", "--dev", "--org", testOrg}, "--role is required"},
		"unknown role": {[]string{"login", "--dev", "--org", testOrg, "--role", "superuser"}, `unknown role "superuser"`},
		"bad ttl":      {[]string{"login", "--dev", "--org", testOrg, "--role", "admin", "--ttl", "-1h"}, "--ttl must be positive"},
		"ttl too long": {[]string{"login", "--dev", "--org", testOrg, "--role", "admin", "--ttl", "87600h"}, "exceeds the longest token lifetime the server accepts, 12h0m0s"},
		"bad flag":     {[]string{"login", "--dve"}, "Run 'yaosuctl login --help' for usage."},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := runCLI(t, context.Background(), append(tc.args, "--data-dir", dataDir)...)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestWhoami(t *testing.T) {
	isolate(t)
	dataDir := t.TempDir()
	_, err := auth.LoadOrCreateDevKey(dataDir)
	require.NoError(t, err)
	_, _, err = runCLI(t, context.Background(), "login", "--dev", "--org", testOrg,
		"--role", "registrar,reviewer", "--subject", "li.na@dev", "--data-dir", dataDir, "--ttl", "1h")
	require.NoError(t, err)

	out, _, err := runCLI(t, context.Background(), "whoami")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 6)
	require.Equal(t, "SUBJECT       li.na@dev", lines[0])
	require.Equal(t, "ORGANISATION  "+testOrg, lines[1])
	require.Equal(t, "ROLES         registrar, reviewer", lines[2])
	require.Equal(t, "ISSUER        yaosu-dev", lines[3])
	require.Regexp(t, `^EXPIRES       \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in (59m\d+s|1h0m0s)\)$`, lines[4])
	require.True(t, strings.HasPrefix(lines[5], "TOKEN FROM    "), lines[5])

	out, _, err = runCLI(t, context.Background(), "whoami", "-o", "json")
	require.NoError(t, err)
	var v struct {
		Subject      string   `json:"subject"`
		Organisation string   `json:"organisation"`
		Roles        []string `json:"roles"`
		Expires      string   `json:"expires"`
		Expired      bool     `json:"expired"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	require.Equal(t, "li.na@dev", v.Subject)
	require.Equal(t, testOrg, v.Organisation)
	require.Equal(t, []string{"registrar", "reviewer"}, v.Roles)
	require.False(t, v.Expired)
	exp, err := time.Parse(time.RFC3339, v.Expires)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(time.Hour), exp, time.Minute)

	out, _, err = runCLI(t, context.Background(), "logout")
	require.NoError(t, err)
	require.Contains(t, out, "Logged out")
	_, _, err = runCLI(t, context.Background(), "whoami")
	require.ErrorIs(t, err, errNotLoggedIn)
}

func TestWhoamiExpiredToken(t *testing.T) {
	isolate(t)
	key, err := auth.LoadOrCreateDevKey(t.TempDir())
	require.NoError(t, err)
	tok, err := auth.Mint(key, defaultIssuer, auth.Principal{Subject: "old@dev", Organisation: testOrg,
		Roles: []auth.Role{auth.RoleAuditor}}, -time.Hour)
	require.NoError(t, err)

	out, _, err := runCLI(t, context.Background(), "whoami", "--token", tok)
	require.NoError(t, err)
	require.Regexp(t, `\(expired 1h0m[01]s ago; run `+"`yaosuctl login`"+` again\)`, out)
}

func TestWhoamiRejectsNonJWT(t *testing.T) {
	isolate(t)
	_, _, err := runCLI(t, context.Background(), "whoami", "--token", "not-a-jwt")
	require.ErrorContains(t, err, "token from --token: token is not a JWT")
}

// Regression (issue 13): login --dev only looked in ./var (or --data-dir), so it failed in
// any other directory. It now also finds the data directory `yaosu dev` recorded.
func TestLoginDevFindsTheRecordedDataDir(t *testing.T) {
	cfg := isolate(t)
	dataDir := t.TempDir()
	_, err := auth.LoadOrCreateDevKey(dataDir)
	require.NoError(t, err)
	t.Chdir(t.TempDir()) // no ./var here

	_, _, err = runCLI(t, context.Background(), "login", "--dev", "--org", testOrg, "--role", "registrar")
	require.ErrorContains(t, err, "no dev signing key: tried ")
	require.ErrorContains(t, err, filepath.Join("var", auth.DevKeyFile))
	require.ErrorContains(t, err, filepath.Join(cfg, devServerFile)+" does not exist")

	rec, err := json.Marshal(devServerRecord{DataDir: dataDir, Addr: "127.0.0.1:7400"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(cfg, devServerFile), rec, 0o600))
	out, _, err := runCLI(t, context.Background(), "login", "--dev", "--org", testOrg, "--role", "registrar")
	require.NoError(t, err)
	require.Contains(t, out, "Logged in as")
	require.Contains(t, out, "Signed with the dev key in "+filepath.Join(dataDir, auth.DevKeyFile)+".")
}

// Regression (issue 13 review): a --data-dir or $YAOSU_DATA_DIR without a key fell through
// to ./var and the recorded directory, so login silently signed with another checkout's key.
// A data directory given is now the only one tried, and the error names its key file.
func TestLoginDevGivenDataDirIsFinal(t *testing.T) {
	cfg := isolate(t)
	work := t.TempDir()
	t.Chdir(work)
	_, err := auth.LoadOrCreateDevKey("var") // another checkout's ./var
	require.NoError(t, err)
	recorded := t.TempDir()
	_, err = auth.LoadOrCreateDevKey(recorded)
	require.NoError(t, err)
	rec, err := json.Marshal(devServerRecord{DataDir: recorded, Addr: "127.0.0.1:7400"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(cfg, devServerFile), rec, 0o600))
	given := t.TempDir() // no key
	missing := filepath.Join(given, auth.DevKeyFile)

	_, _, err = runCLI(t, context.Background(), "login", "--dev", "--org", testOrg, "--role", "registrar", "--data-dir", given)
	require.ErrorContains(t, err, "no dev signing key in the data directory from --data-dir: "+missing+" does not exist")
	token, _, err := loadToken(os.Getenv)
	require.NoError(t, err)
	require.Empty(t, token, "no token minted with another directory's key")

	t.Setenv(envDataDir, given)
	_, _, err = runCLI(t, context.Background(), "login", "--dev", "--org", testOrg, "--role", "registrar")
	require.ErrorContains(t, err, "no dev signing key in the data directory from $"+envDataDir+": "+missing+" does not exist")

	// The flag overrides the variable, and a directory given with a key signs.
	key, err := auth.LoadOrCreateDevKey(recorded)
	require.NoError(t, err)
	out, _, err := runCLI(t, context.Background(), "login", "--dev", "--org", testOrg, "--role", "registrar", "--data-dir", recorded)
	require.NoError(t, err)
	require.Contains(t, out, "Signed with the dev key in "+filepath.Join(recorded, auth.DevKeyFile)+".")
	token, _, err = loadToken(os.Getenv)
	require.NoError(t, err)
	_, err = auth.NewEd25519Verifier(key.Public().(ed25519.PublicKey), defaultIssuer).Verify(context.Background(), token)
	require.NoError(t, err)

	// Without either, ./var comes first.
	t.Setenv(envDataDir, "")
	out, _, err = runCLI(t, context.Background(), "login", "--dev", "--org", testOrg, "--role", "registrar")
	require.NoError(t, err)
	require.Contains(t, out, "Signed with the dev key in "+filepath.Join(work, "var", auth.DevKeyFile)+".")
}

// Regression (issue 13): a failed login left the previous token in place, so the next
// command silently ran with the previous role. It is now removed, and the error says so.
func TestFailedLoginRemovesThePreviousToken(t *testing.T) {
	isolate(t)
	dataDir := t.TempDir()
	_, err := auth.LoadOrCreateDevKey(dataDir)
	require.NoError(t, err)
	_, _, err = runCLI(t, context.Background(), "login", "--dev", "--org", testOrg, "--role", "rights_admin", "--data-dir", dataDir)
	require.NoError(t, err)

	_, _, err = runCLI(t, context.Background(), "login", "--dev", "--org", testOrg, "--role", "superuser", "--data-dir", dataDir)
	require.ErrorContains(t, err, `unknown role "superuser"`)
	require.ErrorContains(t, err, "The previous login (role rights_admin for "+testOrg+") was removed")
	token, _, err := loadToken(os.Getenv)
	require.NoError(t, err)
	require.Empty(t, token)
	_, _, err = runCLI(t, context.Background(), "whoami")
	require.ErrorIs(t, err, errNotLoggedIn)

	// With nothing stored, a failed login says nothing about a previous one.
	_, _, err = runCLI(t, context.Background(), "login", "--dev", "--org", testOrg, "--data-dir", dataDir)
	require.ErrorContains(t, err, "--role is required")
	require.NotContains(t, err.Error(), "previous login")
}
