package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"
)

// pinnedKeysFile holds the verifier keys pinned with `audit key --pin`, per server address,
// in the config directory.
const pinnedKeysFile = "audit-keys.json"

func auditKeyCmd(g *globals) *cobra.Command {
	var (
		pin bool
		key string
	)
	cmd := &cobra.Command{
		Use:   "key [--pin [--key VERIFIER_KEY]]",
		Short: "Print the audit log's verifier key; --pin stores it for audit verify",
		Long: "Print the note verifier key of the audit log's checkpoint signing key, as the server\n" +
			"at --addr offers it, and the key pinned for that address if any.\n\n" +
			"--pin stores a key in the config directory (" + pinnedKeysFile + ", per --addr); audit verify and\n" +
			"check-proof then use it whenever --key is not given. Pin the key the registry publishes\n" +
			"(--pin --key 'KEY', no server needed): pinning the key the server offers (--pin alone) only\n" +
			"trusts it from now on, and the command says so. A server whose key differs from the pinned\n" +
			"one fails verification.",
		Example: "  yaosuctl audit key\n" +
			"  yaosuctl audit key --pin --key 'yaosu.local/audit+1a2b3c4d+AbC...'",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			key = strings.TrimSpace(key)
			if key != "" && !pin {
				return errors.New("--key is the key to pin: use it with --pin")
			}
			pinned, err := loadPinnedKey(g.getenv, g.addr)
			if err != nil {
				return err
			}
			offered := ""
			if key == "" {
				client, closeConn, err := g.auditClient()
				if err != nil {
					return err
				}
				defer closeConn()
				resp, err := g.latestCheckpoint(cmd.Context(), client)
				if err != nil {
					return err
				}
				offered = resp.GetVerifierKey()
			}
			if !pin {
				if g.output == outputJSON {
					return writeJSON(out, map[string]string{"verifier_key": offered, "pinned": pinned})
				}
				fmt.Fprintln(out, offered)
				switch {
				case pinned == "":
					fprintfErr(errOut, "not pinned: compare it with the key the registry publishes, then `yaosuctl audit key --pin --key '<key>'`\n")
				case pinned != offered:
					fprintfErr(errOut, "warning: the pinned key for %s is %s, not this one: verification against this server will fail\n", g.addr, keyName(pinned))
				default:
					fprintfErr(errOut, "pinned for %s\n", g.addr)
				}
				return nil
			}
			if key == "" {
				key = offered
				fprintfErr(errOut, "warning: pinning the key the server offers (%s): compare it with the key the registry publishes; "+
					"it only protects the verifications from now on\n", keyName(key))
			}
			if _, err := note.NewVerifier(key); err != nil {
				return fmt.Errorf("not a note verifier key: %w", err)
			}
			path, err := savePinnedKey(g.getenv, g.addr, key)
			if err != nil {
				return fmt.Errorf("pin the key: %w", err)
			}
			fmt.Fprintf(out, "Pinned %s for %s in %s.\n", keyName(key), g.addr, path)
			return nil
		},
	}
	cmd.Flags().BoolVar(&pin, "pin", false, "store the key for audit verify and check-proof (per --addr)")
	cmd.Flags().StringVar(&key, "key", "", "with --pin: the verifier `KEY` to pin, obtained out of band (default: the server's, with a warning)")
	return cmd
}

func pinnedKeysPath(getenv func(string) string) (string, error) {
	dir, err := configDir(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, pinnedKeysFile), nil
}

func readPinnedKeys(getenv func(string) string) (map[string]string, string, error) {
	path, err := pinnedKeysPath(getenv)
	if err != nil {
		return nil, "", err
	}
	keys := map[string]string{}
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
	keys, _, err := readPinnedKeys(getenv)
	if err != nil {
		return "", fmt.Errorf("pinned audit keys: %w", err)
	}
	return keys[addr], nil
}

// savePinnedKey pins key for addr, replacing the file atomically.
func savePinnedKey(getenv func(string) string, addr, key string) (string, error) {
	keys, path, err := readPinnedKeys(getenv)
	if err != nil {
		return "", err
	}
	keys[addr] = key
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
