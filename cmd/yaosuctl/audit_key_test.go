package main

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/tlog"
)

func TestAuditKeyPinAndVerifyWithPinnedKey(t *testing.T) {
	e := newAuditEnv(t)
	e.publish(t, "assets/a", 1)
	key := e.log.signer.VerifierKey()

	// Printing the server's key says it is not pinned.
	stdout, stderr, err := auditCLI(t, e.addr, "audit", "key")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(stdout, key+"\n"), stdout)
	require.Contains(t, stdout, e.log.events.ID+" catalog ")
	require.Contains(t, stderr, "not pinned")

	// Pinning the key obtained out of band needs no server.
	stdout, _, err = auditCLI(t, "127.0.0.1:1", "audit", "key", "--pin", "--key", key)
	require.NoError(t, err)
	require.Contains(t, stdout, "Pinned "+keyName(key)+" and 0 event keys for 127.0.0.1:1")
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
	require.True(t, strings.HasPrefix(stdout, signer.VerifierKey()+"\n"), stdout)
	require.Contains(t, stderr, "warning: the keys pinned for "+e.addr)

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

// A forged event with the right next revision passes the log's own checks; its signature
// does not. verify names it, from the stored log and from an export, with pinned keys.
func TestAuditVerifyReportsForgedEvent(t *testing.T) {
	e := newAuditEnv(t)
	for i := range 5 {
		e.publish(t, "assets/a", int64(i+1))
	}
	// Revision 6 of assets/a, published by someone holding no Yaosu key.
	forged, err := messaging.NewEvent(context.Background(), "catalog", "catalog.asset.created", "assets/a", 6,
		&eventsv1.AssetCreated{Asset: &catalogv1.Asset{Name: "assets/a"}})
	require.NoError(t, err)
	body, err := proto.Marshal(forged)
	require.NoError(t, err)
	e.fake.mu.Lock()
	e.log.addSigned(body, messaging.NATSSubject(forged.GetType()), "")
	e.fake.mu.Unlock()
	_, err = e.js.PublishMsg(context.Background(), messaging.Message(forged, body))
	require.NoError(t, err)
	e.publish(t, "assets/a", 7)

	// Pinning what the server offers (the test has no published keys to compare with).
	_, stderr, err := auditCLI(t, e.addr, "audit", "key", "--pin")
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, "warning: pinning the 2 event keys the server offers")

	stdout, _, err := e.verify(t)
	requireFail(t, stdout, err, 5, "event on yaosu.catalog.asset.created does not prove its origin: event is not signed")
	require.Contains(t, oneSpace(stdout), "event signatures FAILED")

	path := filepath.Join(e.dir, "export.jsonl")
	_, stderr, err = auditCLI(t, e.addr, "audit", "export", "-f", path)
	require.NoError(t, err, stderr)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"signature":"`+e.log.events.ID+` `, "the export carries the signatures")
	stdout, _, err = auditCLI(t, e.addr, "audit", "verify", "--file", path, "--offline")
	requireFail(t, stdout, err, 5, "does not prove its origin")
	require.Contains(t, oneSpace(stdout), "event signatures FAILED: 1 of 7 events do not prove their origin (2 keys, pinned)")
	// The pins are per address: for another server the export's own keys are used, loudly.
	stdout, stderr, err = auditCLI(t, "127.0.0.1:1", "audit", "verify", "--file", path, "--offline")
	requireFail(t, stdout, err, 5, "does not prove its origin")
	require.Contains(t, stderr, "event keys not pinned: using the 2 the export file offers")
}
