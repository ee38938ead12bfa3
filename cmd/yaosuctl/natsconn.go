package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go"

	"yaosu.dev/pkg/messaging"
)

// The NATS settings besides NATS_URL: the stream is read as the NATS auditor user (it may
// read the stream and publish nothing), over TLS when a CA is given.
const (
	envNATSSeed = "YAOSU_NATS_SEED_FILE"
	envNATSCA   = "YAOSU_NATS_CA_FILE"
	envNATSCert = "YAOSU_NATS_CERT_FILE"
	envNATSKey  = "YAOSU_NATS_KEY_FILE"
)

// natsOptions are the options to connect to NATS with: the nkey seed in
// $YAOSU_NATS_SEED_FILE, else the auditor seed `yaosu dev` keeps in
// $YAOSU_DATA_DIR/nats-credentials (./var by default) if there is one, else none
// (anonymous, for a NATS server without users); TLS from $YAOSU_NATS_CA_FILE and the
// client certificate in $YAOSU_NATS_CERT_FILE / $YAOSU_NATS_KEY_FILE.
func (g *globals) natsOptions() ([]nats.Option, error) {
	var opts []nats.Option
	seed := g.getenv(envNATSSeed)
	if seed == "" {
		dataDir := g.getenv(envDataDir)
		if dataDir == "" {
			dataDir = "./var"
		}
		dev := filepath.Join(dataDir, "nats-credentials", messaging.NATSUserAuditor+".nk")
		if _, err := os.Stat(dev); err == nil {
			seed = dev
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if seed != "" {
		o, err := nats.NkeyOptionFromSeed(seed)
		if err != nil {
			return nil, fmt.Errorf("NATS seed %s ($%s): %w", seed, envNATSSeed, err)
		}
		opts = append(opts, o,
			// Replies come under the auditor's inbox prefix, the only one it may subscribe to.
			nats.CustomInboxPrefix(messaging.NATSInboxPrefix(messaging.NATSUserAuditor)))
	}
	if ca := g.getenv(envNATSCA); ca != "" {
		opts = append(opts, nats.RootCAs(ca))
	}
	cert, key := g.getenv(envNATSCert), g.getenv(envNATSKey)
	if cert != "" || key != "" {
		if cert == "" || key == "" {
			return nil, fmt.Errorf("$%s and $%s go together", envNATSCert, envNATSKey)
		}
		opts = append(opts, nats.ClientCert(cert, key))
	}
	return opts, nil
}
