package main

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/tlog"
)

func TestAuditKeyPinAndVerifyWithPinnedKey(t *testing.T) {
	e := newAuditEnv(t)
	e.publish(t, "assets/a", 1)
	key := e.log.signer.VerifierKey()

	// Printing the server's key says it is not pinned.
	stdout, stderr, err := auditCLI(t, e.addr, "audit", "key")
	require.NoError(t, err)
	require.Equal(t, key+"\n", stdout)
	require.Contains(t, stderr, "not pinned")

	// Pinning the key obtained out of band needs no server.
	stdout, _, err = auditCLI(t, "127.0.0.1:1", "audit", "key", "--pin", "--key", key)
	require.NoError(t, err)
	require.Contains(t, stdout, "Pinned "+keyName(key)+" for 127.0.0.1:1")
	_, _, err = auditCLI(t, e.addr, "audit", "key", "--pin", "--key", "not a key")
	require.ErrorContains(t, err, "not a note verifier key")

	// Pinned for the server's address: verify uses it, without a warning.
	stdout, stderr, err = auditCLI(t, e.addr, "audit", "key", "--pin", "--key", key)
	require.NoError(t, err, stderr)
	stdout, stderr, err = e.verify(t)
	require.NoError(t, err, stdout+stderr)
	require.Contains(t, stdout, "(pinned)")
	require.NotContains(t, stderr, "not pinned")

	// A server that signs with another key fails against the pinned one.
	_, other, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	signer, err := tlog.NewSigner(testOrigin, other)
	require.NoError(t, err)
	e.fake.mu.Lock()
	e.log.signer = signer
	e.fake.mu.Unlock()
	stdout, _, err = e.verify(t)
	require.ErrorIs(t, err, errVerifyFailed)
	require.True(t, strings.HasPrefix(stdout, "FAIL: the server's checkpoint does not verify with the pinned key"), stdout)
	stdout, stderr, err = auditCLI(t, e.addr, "audit", "key")
	require.NoError(t, err)
	require.Equal(t, signer.VerifierKey()+"\n", stdout)
	require.Contains(t, stderr, "warning: the pinned key for "+e.addr)

	// The pins are kept per address, readable by the user only.
	path := filepath.Join(os.Getenv(envConfigDir), pinnedKeysFile)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.Contains(t, string(raw), e.addr)
	require.Contains(t, string(raw), "127.0.0.1:1")
}
