package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"yaosu.dev/pkg/config"
	"yaosu.dev/pkg/messaging"
)

// natsTLS is the client TLS the configuration asks for.
func natsTLS(cfg config.Config) messaging.NATSTLS {
	return messaging.NATSTLS{CAFile: cfg.NATSCAFile, CertFile: cfg.NATSCertFile, KeyFile: cfg.NATSKeyFile}
}

// connectNATS connects to cfg.NATSURL as NATS user (its seed in
// YAOSU_NATS_CREDENTIALS_DIR; anonymous when that is empty), riding out outages.
func connectNATS(cfg config.Config, user string, log *slog.Logger) (*nats.Conn, error) {
	opts, err := messaging.NATSConnectOptions(cfg.NATSCredentialsDir, user, natsTLS(cfg))
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		nats.Name("yaosu "+user),
		nats.MaxReconnects(-1), // ride out outages; the outbox keeps what could not be sent
		nats.ReconnectWait(500*time.Millisecond),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil on our own Close
				log.Warn("disconnected from NATS", "nats_user", user, "error", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("reconnected to NATS", "nats_user", user, "url", c.ConnectedUrlRedacted())
		}),
		// A refused publish or subscription (permissions) is a bug or an attack: say so.
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			log.Error("NATS reported an error", "nats_user", user, "error", err)
		}),
	)
	nc, err := nats.Connect(cfg.NATSURL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s as %s: %w", cfg.NATSURL, user, err)
	}
	return nc, nil
}

// hasAdminSeed reports whether the credentials directory holds the admin's seed.
func hasAdminSeed(cfg config.Config) (bool, error) {
	if cfg.NATSCredentialsDir == "" {
		return false, nil
	}
	_, err := os.Stat(messaging.SeedFile(cfg.NATSCredentialsDir, messaging.NATSUserAdmin))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// ProvisionStream checks the NATS server (version, JetStream) and creates or updates the
// stream YAOSU_EVENTS, as the NATS admin user when credentials are configured. `yaosu
// migrate` runs it; `yaosu serve` too when the admin's seed is present.
func ProvisionStream(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	user := messaging.NATSUserAdmin
	if cfg.NATSCredentialsDir == "" {
		user = "yaosu" // anonymous: only the inbox prefix uses the name
	}
	nc, err := connectNATS(cfg, user, log)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	if err := messaging.CheckNATSServer(ctx, nc, js); err != nil {
		return err
	}
	_, err = messaging.EnsureStream(ctx, js, cfg.StreamReplicas, cfg.StreamDuplicateWindow)
	return err
}

// requireStream checks, with a service's connection, that the stream exists and keeps
// what audit relies on (nothing deleted, purged or aged out).
func requireStream(ctx context.Context, js jetstream.JetStream) error {
	s, err := js.Stream(ctx, messaging.StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("stream %s does not exist: provision it with `yaosu migrate` (NATS_URL set, admin credentials %s.nk), "+
			"or give this server the admin seed", messaging.StreamName, messaging.NATSUserAdmin)
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", messaging.StreamName, err)
	}
	c := s.CachedInfo().Config
	if !c.DenyDelete || !c.DenyPurge || c.MaxAge != 0 || c.MaxMsgs > 0 || c.MaxBytes > 0 {
		return fmt.Errorf("stream %s is not configured as Yaosu provisions it (deny delete and purge, no limits): "+
			"run `yaosu migrate` with the admin credentials", messaging.StreamName)
	}
	return nil
}

// NATSConfigOptions are the parts of `yaosu nats-config`'s output that are not Yaosu's
// settings: where nats-server listens and stores, and its own TLS certificate.
type NATSConfigOptions struct {
	CredentialsDir string
	// CreateSeeds generates the seeds that are missing.
	CreateSeeds          bool
	Listen, StoreDir     string
	TLSCert, TLSKey      string
	TLSCAFile            string
	RequireClientCertTLS bool
}

// NATSConfig returns the nats-server configuration matching this binary's services: a
// user per service, the admin and the auditor, by the public nkeys of the seeds in
// o.CredentialsDir.
func NATSConfig(o NATSConfigOptions) (string, error) {
	if o.CredentialsDir == "" {
		return "", errors.New("no NATS credentials directory (YAOSU_NATS_CREDENTIALS_DIR)")
	}
	users := messaging.NATSUsers(NATSAccess())
	pubs := make(map[string]string, len(users))
	for _, u := range users {
		pub, err := messaging.LoadOrCreateSeed(o.CredentialsDir, u.Name, o.CreateSeeds)
		if err != nil {
			return "", fmt.Errorf("%w (create the missing seeds with `yaosu nats-config --create`)", err)
		}
		pubs[u.Name] = pub
	}
	c := messaging.NATSServerConfig{Users: users, PublicKeys: pubs, Listen: o.Listen, StoreDir: o.StoreDir,
		TLSCertFile: o.TLSCert, TLSKeyFile: o.TLSKey}
	if o.TLSCert != "" && o.RequireClientCertTLS {
		if o.TLSCAFile == "" {
			return "", errors.New("client certificates need a CA to verify them (YAOSU_NATS_CA_FILE)")
		}
		c.TLSCAFile = o.TLSCAFile
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return "", errors.New("the server's TLS certificate and key go together")
	}
	return c.Text()
}
