package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	"yaosu.dev/pkg/messaging"
)

// pinnedKeysFile holds the verifier keys pinned with `audit key --pin`, per server address,
// in the config directory.
const pinnedKeysFile = "audit-keys.json"

func auditKeyCmd(g *globals) *cobra.Command {
	var (
		pin       bool
		key       string
		eventsDir string
	)
	cmd := &cobra.Command{
		Use:   "key [--pin [--key VERIFIER_KEY] [--event-keys DIR]]",
		Short: "Print the audit log's verifier key and the event keys; --pin stores them for audit verify",
		Long: "Print the note verifier key of the audit log's checkpoint signing key and the services'\n" +
			"public event keys, as the server at --addr offers them, and say whether they are pinned.\n\n" +
			"--pin stores the keys in the config directory (" + pinnedKeysFile + ", per --addr); audit verify\n" +
			"and check-proof then use them whenever --key is not given. Pin the keys the registry\n" +
			"publishes (--key 'KEY' and --event-keys DIR of <service>.pub files; no server needed):\n" +
			"pinning what the server offers only trusts it from now on, and the command says so. A\n" +
			"server whose keys differ from the pinned ones fails verification.",
		Example: "  yaosuctl audit key\n" +
			"  yaosuctl audit key --pin --key 'yaosu.local/audit+1a2b3c4d+AbC...' --event-keys ./event-keys",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			key = strings.TrimSpace(key)
			if (key != "" || eventsDir != "") && !pin {
				return errors.New("--key and --event-keys are the keys to pin: use them with --pin")
			}
			current, err := loadPinned(g.getenv, g.addr)
			if err != nil {
				return err
			}
			var offered pinned
			if key == "" || eventsDir == "" {
				o, err := offeredKeys(cmd.Context(), g)
				switch {
				case err != nil && key != "":
					// Pinning a key obtained out of band needs no server; the event keys wait.
					fprintfErr(errOut, "warning: event keys not pinned (the server could not be asked: %v); pin them with --event-keys DIR\n", err)
				case err != nil:
					return err
				}
				offered = o
			}
			if !pin {
				return printKeys(out, errOut, g, offered, current)
			}
			next := pinned{Checkpoint: key, Events: offered.Events}
			if key == "" {
				next.Checkpoint = offered.Checkpoint
				fprintfErr(errOut, "warning: pinning the checkpoint key the server offers (%s): compare it with the key the registry "+
					"publishes; it only protects the verifications from now on\n", keyName(next.Checkpoint))
			}
			if _, err := note.NewVerifier(next.Checkpoint); err != nil {
				return fmt.Errorf("not a note verifier key: %w", err)
			}
			if eventsDir != "" {
				ring, err := messaging.LoadKeyring(eventsDir)
				if err != nil {
					return err
				}
				next.Events = nil
				for _, k := range ring.Keys() {
					next.Events = append(next.Events, eventKeyJSON{ID: k.ID, Service: k.Service, Key: k.Key})
				}
			} else if len(next.Events) > 0 {
				fprintfErr(errOut, "warning: pinning the %d event keys the server offers: compare them with the keys the registry publishes\n",
					len(next.Events))
			}
			path, err := savePinnedKey(g.getenv, g.addr, next)
			if err != nil {
				return fmt.Errorf("pin the keys: %w", err)
			}
			fmt.Fprintf(out, "Pinned %s and %d event keys for %s in %s.\n", keyName(next.Checkpoint), len(next.Events), g.addr, path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&pin, "pin", false, "store the key for audit verify and check-proof (per --addr)")
	cmd.Flags().StringVar(&key, "key", "", "with --pin: the verifier `KEY` to pin, obtained out of band (default: the server's, with a warning)")
	cmd.Flags().StringVar(&eventsDir, "event-keys", "", "with --pin: a `DIR` of <service>.pub event keys to pin, obtained out of band (default: the server's, with a warning)")
	return cmd
}

// pinned is what is pinned for one server address.
type pinned struct {
	// Checkpoint is the log's note verifier key.
	Checkpoint string `json:"checkpoint"`
	// Events are the services' public event keys.
	Events []eventKeyJSON `json:"event_keys,omitempty"`
}

// eventKeyJSON is an event key in the pin file, export trailers and `audit key -o json`.
type eventKeyJSON struct {
	ID      string `json:"id"`
	Service string `json:"service"`
	Key     []byte `json:"public_key"`
}

func eventKeysJSON(ks []*auditv1.EventKey) []eventKeyJSON {
	out := make([]eventKeyJSON, 0, len(ks))
	for _, k := range ks {
		out = append(out, eventKeyJSON{ID: k.GetId(), Service: k.GetService(), Key: k.GetPublicKey()})
	}
	return out
}

// keyring is the event keys as a messaging.Keyring; nil when there are none. A key whose
// id is not what its service and bytes give is refused: an id names exactly one key.
func keyring(ks []eventKeyJSON) (*messaging.Keyring, error) {
	if len(ks) == 0 {
		return nil, nil
	}
	pubs := make([]messaging.PublicKey, 0, len(ks))
	for _, k := range ks {
		if len(k.Key) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("event key %s: %d bytes, want %d", k.ID, len(k.Key), ed25519.PublicKeySize)
		}
		if id := messaging.KeyID(k.Service, k.Key); id != k.ID {
			return nil, fmt.Errorf("event key %s: its id should be %s", k.ID, id)
		}
		pubs = append(pubs, messaging.PublicKey{ID: k.ID, Service: k.Service, Key: ed25519.PublicKey(k.Key)})
	}
	return messaging.NewKeyring(pubs...), nil
}

// offeredKeys asks the server for its verifier key and event keys.
func offeredKeys(ctx context.Context, g *globals) (pinned, error) {
	client, closeConn, err := g.auditClient()
	if err != nil {
		return pinned{}, err
	}
	defer closeConn()
	resp, err := g.latestCheckpoint(ctx, client)
	if err != nil {
		return pinned{}, err
	}
	return pinned{Checkpoint: resp.GetVerifierKey(), Events: eventKeysJSON(resp.GetEventKeys())}, nil
}

// printKeys prints the offered keys and how they compare with the pinned ones.
func printKeys(out, errOut io.Writer, g *globals, offered, current pinned) error {
	if g.output == outputJSON {
		return writeJSON(out, map[string]any{"verifier_key": offered.Checkpoint, "event_keys": offered.Events, "pinned": current})
	}
	fmt.Fprintln(out, offered.Checkpoint)
	for _, k := range offered.Events {
		fmt.Fprintf(out, "%s %s %s\n", k.ID, k.Service, base64.StdEncoding.EncodeToString(k.Key))
	}
	same := current.Checkpoint == offered.Checkpoint && len(current.Events) == len(offered.Events)
	for i := range current.Events {
		same = same && current.Events[i].ID == offered.Events[i].ID
	}
	switch {
	case current.Checkpoint == "":
		fprintfErr(errOut, "not pinned: compare these with the keys the registry publishes, then `yaosuctl audit key --pin --key '<key>' --event-keys DIR`\n")
	case !same:
		fprintfErr(errOut, "warning: the keys pinned for %s (%s, %d event keys) are not these: verification against this server will fail\n",
			g.addr, keyName(current.Checkpoint), len(current.Events))
	default:
		fprintfErr(errOut, "pinned for %s\n", g.addr)
	}
	return nil
}

func pinnedKeysPath(getenv func(string) string) (string, error) {
	dir, err := configDir(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, pinnedKeysFile), nil
}

func readPinnedKeys(getenv func(string) string) (map[string]pinned, string, error) {
	path, err := pinnedKeysPath(getenv)
	if err != nil {
		return nil, "", err
	}
	keys := map[string]pinned{}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return keys, path, nil
	}
	if err != nil {
		return nil, path, err
	}
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, path, fmt.Errorf("%s: %w", path, err)
	}
	return keys, path, nil
}

// loadPinnedKey returns the verifier key pinned for the server at addr, or "".
func loadPinnedKey(getenv func(string) string, addr string) (string, error) {
	p, err := loadPinned(getenv, addr)
	return p.Checkpoint, err
}

// loadPinned returns what is pinned for the server at addr.
func loadPinned(getenv func(string) string, addr string) (pinned, error) {
	keys, _, err := readPinnedKeys(getenv)
	if err != nil {
		return pinned{}, fmt.Errorf("pinned audit keys: %w", err)
	}
	return keys[addr], nil
}

// pinnedEventKeys returns the event keyring pinned for addr, or nil.
func pinnedEventKeys(getenv func(string) string, addr string) (*messaging.Keyring, error) {
	p, err := loadPinned(getenv, addr)
	if err != nil {
		return nil, err
	}
	return keyring(p.Events)
}

// savePinnedKey pins p for addr, replacing the file atomically.
func savePinnedKey(getenv func(string) string, addr string, p pinned) (string, error) {
	keys, path, err := readPinnedKeys(getenv)
	if err != nil {
		return "", err
	}
	keys[addr] = p
	raw, err := json.MarshalIndent(keys, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Dir(path), pinnedKeysFile+".*")
	if err != nil {
		return "", err
	}
	defer func() { _ = os.Remove(f.Name()) }() // no-op after the rename
	if _, err := f.Write(append(raw, '\n')); err != nil {
		_ = f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(f.Name(), path)
}
