package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"yaosu.dev/cmd/yaosu/internal/server"
	"yaosu.dev/pkg/config"
	"yaosu.dev/pkg/messaging"
)

// natsCredentialsDir is YAOSU_NATS_CREDENTIALS_DIR, or where `yaosu dev` keeps the seeds.
func natsCredentialsDir(cfg config.Config) string {
	if cfg.NATSCredentialsDir != "" {
		return cfg.NATSCredentialsDir
	}
	return filepath.Join(cfg.DataDir, "nats-credentials")
}

func natsConfigCmd(stdout, stderr io.Writer) *cobra.Command {
	var o server.NATSConfigOptions
	var out string
	cmd := &cobra.Command{
		Use:   "nats-config",
		Short: "Print the nats-server configuration that matches this deployment (users, permissions, JetStream, TLS)",
		Long: `Print a nats-server configuration with one nkey user per service, the admin (creates and
updates the stream) and the auditor (reads the stream, publishes nothing), each allowed only
what it needs: a service publishes only its own subjects (yaosu.<service>.>) and uses only its
own durable consumers. Anonymous clients are refused. The users are the seeds in
YAOSU_NATS_CREDENTIALS_DIR (default YAOSU_DATA_DIR/nats-credentials): <user>.nk; --create makes
the missing ones. With --tls-cert/--tls-key the server requires TLS; when yaosu presents client
certificates (YAOSU_NATS_CERT_FILE) the server also verifies them against YAOSU_NATS_CA_FILE.
` + "`yaosu dev`" + ` runs its embedded server with exactly this configuration.`,
		Example: "  YAOSU_NATS_CREDENTIALS_DIR=/etc/yaosu/nats yaosu nats-config --create --store-dir /var/lib/nats > nats.conf\n" +
			"  nats-server -c nats.conf",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			o.CredentialsDir = natsCredentialsDir(cfg)
			o.TLSCAFile = cfg.NATSCAFile
			o.RequireClientCertTLS = cfg.NATSCertFile != ""
			text, err := server.NATSConfig(o)
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "NATS users: seeds in %s\n", o.CredentialsDir)
			if out != "" {
				// Public nkeys and permissions only: nothing secret.
				return os.WriteFile(out, []byte(text), 0o644)
			}
			_, err = io.WriteString(stdout, text)
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.CreateSeeds, "create", false, "create the missing seeds (0600)")
	f.StringVar(&out, "out", "", "write the configuration to this file instead of stdout")
	f.StringVar(&o.Listen, "listen", "", "client listen address, e.g. 0.0.0.0:4222 (default: nats-server's)")
	f.StringVar(&o.StoreDir, "store-dir", "", "JetStream storage directory (default: nats-server's)")
	f.StringVar(&o.TLSCert, "tls-cert", "", "the server's PEM certificate: require TLS")
	f.StringVar(&o.TLSKey, "tls-key", "", "the server's PEM private key")
	return cmd
}

func eventKeysCmd(stdout io.Writer) *cobra.Command {
	var create bool
	cmd := &cobra.Command{
		Use:   "event-keys [--create] [service...|all]",
		Short: "List the event-signing keys (YAOSU_EVENT_KEYS_DIR); --create makes the missing ones",
		Long: `Each service signs the events it publishes with its own Ed25519 key, <service>.key in
YAOSU_EVENT_KEYS_DIR (default YAOSU_DATA_DIR/event-keys); every process verifies events with
all the <service>*.pub files there. ` + "`yaosu serve`" + ` does not create keys: run this once
(--create) and give each process its own service's .key and every .pub.`,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"all"}
			}
			services, err := server.ResolveServices(args)
			if err != nil {
				return err
			}
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			dir := cfg.EventKeysDirectory()
			for _, name := range services {
				k, err := messaging.LoadOrCreateSigningKey(dir, name, create)
				switch {
				case errors.Is(err, fs.ErrNotExist):
					fmt.Fprintf(stdout, "%-10s no private key in %s (create it with --create)\n", name, dir)
				case err != nil:
					return err
				default:
					fmt.Fprintf(stdout, "%-10s signs with %s\n", name, k.ID)
				}
			}
			ring, err := messaging.LoadKeyring(dir)
			if err != nil {
				return err
			}
			for _, k := range ring.Keys() {
				fmt.Fprintf(stdout, "trusted    %s\n", k.ID)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&create, "create", false, "create the missing keys (.key 0600 and .pub)")
	return cmd
}
