package testkit

import (
	"testing"

	"yaosu.dev/pkg/messaging"
)

// EventKeys makes a fresh event-signing key for each service and the keyring that
// verifies them all, as `yaosu serve` loads them from YAOSU_EVENT_KEYS_DIR: relays sign
// with keys[service], consumers verify with the keyring.
func EventKeys(t testing.TB, services ...string) (map[string]*messaging.SigningKey, *messaging.Keyring) {
	t.Helper()
	keys := make(map[string]*messaging.SigningKey, len(services))
	pubs := make([]messaging.PublicKey, 0, len(services))
	for _, s := range services {
		k, err := messaging.NewSigningKey(s)
		if err != nil {
			t.Fatalf("testkit: event key: %v", err)
		}
		keys[s] = k
		pubs = append(pubs, k.Public())
	}
	return keys, messaging.NewKeyring(pubs...)
}
