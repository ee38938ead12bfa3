package messaging_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"

	"yaosu.dev/pkg/messaging"
)

func TestSignAndVerify(t *testing.T) {
	dir := t.TempDir()
	rights, err := messaging.LoadOrCreateSigningKey(dir, "rights", true)
	require.NoError(t, err)
	catalog, err := messaging.LoadOrCreateSigningKey(dir, "catalog", true)
	require.NoError(t, err)
	ring := messaging.NewKeyring(rights.Public(), catalog.Public())

	const subject = "yaosu.rights.grant.revoked"
	body := []byte("envelope bytes")
	header := rights.Sign(subject, body)
	require.True(t, strings.HasPrefix(header, rights.ID+" "), header)

	svc, err := ring.Verify(subject, body, header)
	require.NoError(t, err)
	require.Equal(t, "rights", svc)

	cases := map[string]struct {
		subject string
		body    []byte
		header  string
		want    error
	}{
		"unsigned":         {subject, body, "", messaging.ErrUnsigned},
		"body changed":     {subject, []byte("envelope bytez"), header, messaging.ErrBadSignature},
		"subject changed":  {"yaosu.rights.grant.created", body, header, messaging.ErrBadSignature},
		"no separator":     {subject, body, rights.ID, messaging.ErrBadSignature},
		"not base64":       {subject, body, rights.ID + " !!!", messaging.ErrBadSignature},
		"short signature":  {subject, body, rights.ID + " " + base64.StdEncoding.EncodeToString([]byte("abc")), messaging.ErrBadSignature},
		"unknown key":      {subject, body, "rights+00000000 " + strings.SplitN(header, " ", 2)[1], messaging.ErrUnknownKey},
		"wrong owner":      {subject, body, catalog.Sign(subject, body), messaging.ErrWrongOwner},
		"owner by prefix":  {"yaosu.rightsx.grant.revoked", body, rights.Sign("yaosu.rightsx.grant.revoked", body), messaging.ErrWrongOwner},
		"other key's name": {subject, body, catalog.ID + " " + strings.SplitN(header, " ", 2)[1], messaging.ErrBadSignature},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			svc, err := ring.Verify(c.subject, c.body, c.header)
			require.ErrorIs(t, err, c.want)
			require.Empty(t, svc)
			for _, other := range []error{messaging.ErrUnsigned, messaging.ErrUnknownKey, messaging.ErrBadSignature, messaging.ErrWrongOwner} {
				if other != c.want {
					require.False(t, errors.Is(err, other), "%v is also %v", err, other)
				}
			}
		})
	}
}

func TestKeyIDIsServicePlusHashPrefix(t *testing.T) {
	// sha256 of 32 zero bytes starts 66687aad.
	require.Equal(t, "audit+66687aad", messaging.KeyID("audit", make(ed25519.PublicKey, ed25519.PublicKeySize)))
}

func TestLoadOrCreateSigningKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "event-keys")

	_, err := messaging.LoadOrCreateSigningKey(dir, "catalog", false)
	require.ErrorIs(t, err, fs.ErrNotExist)

	k, err := messaging.LoadOrCreateSigningKey(dir, "catalog", true)
	require.NoError(t, err)
	require.Equal(t, "catalog", k.Service)
	require.Equal(t, messaging.KeyID("catalog", k.Private.Public().(ed25519.PublicKey)), k.ID)

	st, err := os.Stat(filepath.Join(dir, "catalog.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	_, err = os.Stat(filepath.Join(dir, "catalog.pub"))
	require.NoError(t, err)

	// Loading again (with or without create) returns the same key.
	for _, create := range []bool{false, true} {
		again, err := messaging.LoadOrCreateSigningKey(dir, "catalog", create)
		require.NoError(t, err)
		require.Equal(t, k.ID, again.ID)
		require.True(t, k.Private.Equal(again.Private))
	}

	// The .pub written next to it is what a keyring verifies with.
	ring, err := messaging.LoadKeyring(dir)
	require.NoError(t, err)
	svc, err := ring.Verify("yaosu.catalog.asset.created", []byte("x"), k.Sign("yaosu.catalog.asset.created", []byte("x")))
	require.NoError(t, err)
	require.Equal(t, "catalog", svc)

	for _, bad := range []string{"", "../etc", "cat-alog", "cat.alog", "a+b", "Catalog"} {
		_, err := messaging.LoadOrCreateSigningKey(dir, bad, true)
		require.Error(t, err, bad)
	}
}

func TestLoadOrCreateSigningKeyRejectsOtherKeys(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rights.key"), []byte("not pem"), 0o600))
	_, err := messaging.LoadOrCreateSigningKey(dir, "rights", true)
	require.ErrorContains(t, err, "PEM")
}

func TestLoadKeyring(t *testing.T) {
	dir := t.TempDir()
	_, err := messaging.LoadKeyring(dir)
	require.ErrorContains(t, err, "no *.pub")
	_, err = messaging.LoadKeyring(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, fs.ErrNotExist)

	writePub := func(name string) ed25519.PrivateKey {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		der, err := x509.MarshalPKIXPublicKey(pub)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644))
		return priv
	}
	cat := writePub("catalog.pub")
	cat2026 := writePub("catalog-2026.pub")
	sc := writePub("scenario.pub")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README"), []byte("ignored"), 0o644))

	ring, err := messaging.LoadKeyring(dir)
	require.NoError(t, err)
	keys := ring.Keys()
	require.Len(t, keys, 3)
	for i := 1; i < len(keys); i++ {
		require.Less(t, keys[i-1].ID, keys[i].ID)
	}
	byService := map[string]int{}
	for _, k := range keys {
		byService[k.Service]++
		require.Equal(t, messaging.KeyID(k.Service, k.Key), k.ID)
	}
	require.Equal(t, map[string]int{"catalog": 2, "scenario": 1}, byService)

	// Both catalog keys verify catalog events; the scenario key does not.
	for _, priv := range []ed25519.PrivateKey{cat, cat2026} {
		k := &messaging.SigningKey{Service: "catalog", ID: messaging.KeyID("catalog", priv.Public().(ed25519.PublicKey)), Private: priv}
		_, err := ring.Verify("yaosu.catalog.asset.created", nil, k.Sign("yaosu.catalog.asset.created", nil))
		require.NoError(t, err)
	}
	k := &messaging.SigningKey{Service: "scenario", ID: messaging.KeyID("scenario", sc.Public().(ed25519.PublicKey)), Private: sc}
	_, err = ring.Verify("yaosu.catalog.asset.created", nil, k.Sign("yaosu.catalog.asset.created", nil))
	require.ErrorIs(t, err, messaging.ErrWrongOwner)

	// A file that is not an Ed25519 public key fails the whole load, naming the file.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rights.pub"), []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), 0o644))
	_, err = messaging.LoadKeyring(dir)
	require.ErrorContains(t, err, "rights.pub")
}

func TestKeyringConcurrentVerify(t *testing.T) {
	k, err := messaging.NewSigningKey("rights")
	require.NoError(t, err)
	ring := messaging.NewKeyring(k.Public())
	h := k.Sign("yaosu.rights.x", []byte("b"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if _, err := ring.Verify("yaosu.rights.x", []byte("b"), h); err != nil {
					t.Error(err)
				}
				_ = ring.Keys()
			}
		})
	}
	wg.Wait()
}

// TestVerifyEventChecksTheEnvelope: a service's good signature over an envelope that
// claims another service's source or type is refused (the audit log used to mark such an
// event verified), and two different keys under one id verify nothing.
func TestVerifyEventChecksTheEnvelope(t *testing.T) {
	rights, err := messaging.NewSigningKey("rights")
	require.NoError(t, err)
	ring := messaging.NewKeyring(rights.Public())
	sign := func(ev *eventsv1.Event, subject string) (string, []byte) {
		body, err := proto.Marshal(ev)
		require.NoError(t, err)
		return rights.Sign(subject, body), body
	}
	ev, err := messaging.NewEvent(context.Background(), "rights", "rights.grant.revoked", "grants/1", 2, wrapperspb.String("x"))
	require.NoError(t, err)
	h, body := sign(ev, "yaosu.rights.grant.revoked")
	service, got, err := ring.VerifyEvent("yaosu.rights.grant.revoked", body, h)
	require.NoError(t, err)
	require.Equal(t, "rights", service)
	require.Equal(t, "grants/1", got.GetSubject())

	relabelled := proto.Clone(ev).(*eventsv1.Event)
	relabelled.Type, relabelled.Source = "catalog.asset.registered", "/yaosu/catalog"
	h, body = sign(relabelled, "yaosu.rights.x")
	_, _, err = ring.VerifyEvent("yaosu.rights.x", body, h)
	require.ErrorIs(t, err, messaging.ErrEnvelopeMismatch)

	other, err := messaging.NewSigningKey("rights")
	require.NoError(t, err)
	pk := other.Public()
	pk.ID = rights.Public().ID // a collision of the 32-bit key id
	h, body = sign(ev, "yaosu.rights.grant.revoked")
	_, _, err = messaging.NewKeyring(rights.Public(), pk).VerifyEvent("yaosu.rights.grant.revoked", body, h)
	require.ErrorIs(t, err, messaging.ErrUnknownKey)
}
