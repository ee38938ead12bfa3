package tlog

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// timePrefix starts the checkpoint's one extension line.
const timePrefix = "time "

// Checkpoint is a signed tree head in the C2SP tlog-checkpoint format: origin, size, root
// hash, plus one extension line "time <RFC3339Nano UTC>" recording when it was signed, so an
// auditor can tell a stale checkpoint from a fresh one.
type Checkpoint struct {
	Origin string
	Size   uint64
	Hash   []byte
	Time   time.Time
}

// Signer signs checkpoints as C2SP signed notes with an Ed25519 key; the note key name is
// the origin.
type Signer struct {
	origin string
	key    ed25519.PrivateKey
	hash   uint32
	vkey   string
}

// NewSigner returns a Signer for origin. The origin must be a valid note key name (no
// spaces, no '+'); C2SP recommends a schema-less URL such as "yaosu.example/audit".
func NewSigner(origin string, key ed25519.PrivateKey) (*Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("tlog: signer key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	vkey, err := note.NewEd25519VerifierKey(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("tlog: signer for %q: %w", origin, err)
	}
	// NewEd25519VerifierKey does not check the name; NewVerifier does, and computes the
	// key hash that goes into every signature line.
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("tlog: signer for %q: origin is not a valid note key name: %w", origin, err)
	}
	return &Signer{origin: origin, key: key, hash: v.KeyHash(), vkey: vkey}, nil
}

// VerifierKey is the note verifier key string ("<origin>+<hash>+<base64>") that auditors pin.
func (s *Signer) VerifierKey() string { return s.vkey }

// Sign returns the signed note text of c. c.Origin must be the signer's origin, c.Hash a
// SHA-256 root and c.Time set.
func (s *Signer) Sign(c Checkpoint) ([]byte, error) {
	switch {
	case c.Origin != s.origin:
		return nil, fmt.Errorf("tlog: sign checkpoint: origin %q, signer's is %q", c.Origin, s.origin)
	case len(c.Hash) != hashSize:
		return nil, fmt.Errorf("tlog: sign checkpoint: root hash has %d bytes, want %d", len(c.Hash), hashSize)
	case c.Time.IsZero():
		return nil, errors.New("tlog: sign checkpoint: time is not set")
	}
	body := log.Checkpoint{Origin: c.Origin, Size: c.Size, Hash: c.Hash}.Marshal()
	body = append(body, timePrefix+c.Time.UTC().Format(time.RFC3339Nano)+"\n"...)
	signed, err := note.Sign(&note.Note{Text: string(body)}, noteSigner{s})
	if err != nil {
		return nil, fmt.Errorf("tlog: sign checkpoint: %w", err)
	}
	return signed, nil
}

// SignNote signs arbitrary note text (ending in a newline) with the signer's key, for other
// documents the same key vouches for, such as registration certificates. The note's key
// name is the signer's origin.
func (s *Signer) SignNote(text string) ([]byte, error) {
	signed, err := note.Sign(&note.Note{Text: text}, noteSigner{s})
	if err != nil {
		return nil, fmt.Errorf("tlog: sign note: %w", err)
	}
	return signed, nil
}

// noteSigner adapts Signer to note.Signer, whose Sign([]byte) would clash with
// Sign(Checkpoint).
type noteSigner struct{ s *Signer }

func (n noteSigner) Name() string                    { return n.s.origin }
func (n noteSigner) KeyHash() uint32                 { return n.s.hash }
func (n noteSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(n.s.key, msg), nil }

// OpenCheckpoint verifies a signed checkpoint note against verifierKey and returns its
// contents. It fails if the note carries no valid signature by that key (forged, signed by
// another key or origin, or altered after signing), or if the body is not a checkpoint of
// that origin with a SHA-256 root and exactly one time line.
func OpenCheckpoint(signed []byte, verifierKey string) (*Checkpoint, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, fmt.Errorf("tlog: open checkpoint: bad verifier key: %w", err)
	}
	cp, ext, _, err := log.ParseCheckpoint(signed, v.Name(), v)
	if err != nil {
		return nil, fmt.Errorf("tlog: open checkpoint of %q: %w", v.Name(), err)
	}
	if len(cp.Hash) != hashSize {
		return nil, fmt.Errorf("tlog: open checkpoint of %q: root hash has %d bytes, want %d", v.Name(), len(cp.Hash), hashSize)
	}
	t, err := parseTimeExtension(ext)
	if err != nil {
		return nil, fmt.Errorf("tlog: open checkpoint of %q: %w", v.Name(), err)
	}
	return &Checkpoint{Origin: cp.Origin, Size: cp.Size, Hash: cp.Hash, Time: t}, nil
}

// parseTimeExtension parses the extension lines after the root hash. Only Signer writes
// checkpoints for this origin and it writes exactly one time line, so anything else means
// the body is not ours, even if a valid signature covers it.
func parseTimeExtension(ext []byte) (time.Time, error) {
	line, rest, ok := bytes.Cut(ext, []byte("\n"))
	if !ok || len(rest) != 0 {
		return time.Time{}, errors.New("malformed checkpoint: want exactly one extension line, the time")
	}
	v, ok := strings.CutPrefix(string(line), timePrefix)
	if !ok {
		return time.Time{}, fmt.Errorf("malformed checkpoint: extension line %q is not %q<time>", line, timePrefix)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("malformed checkpoint: time: %w", err)
	}
	return t.UTC(), nil
}
