package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"yaosu.dev/cmd/yaosu/internal/server"
	"yaosu.dev/pkg/config"
	"yaosu.dev/pkg/devenv"
	"yaosu.dev/pkg/telemetry"
	"yaosu.dev/pkg/tlsconfig"
)

// devDatabase is the database `yaosu dev` keeps its data in when it finds or starts the
// server itself (tests use databases of their own on the same server).
const devDatabase = "yaosu"

func devCmd(stdout, stderr io.Writer) *cobra.Command {
	var useTLS bool
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run every service in one process, starting Postgres and NATS if needed",
		Long: `Run all services on one gRPC port for development.

Postgres: DATABASE_URL if set; else a server on localhost:5432 if one answers; else a
private cluster under $YAOSU_DATA_DIR/postgres (installing Debian's postgresql package
first when the binaries are missing and yaosu runs as root). NATS: NATS_URL if set, else
an embedded server with JetStream (data under $YAOSU_DATA_DIR/nats) configured as
` + "`yaosu nats-config`" + ` prints it: a NATS user per service, the admin and the auditor, their
seeds under $YAOSU_DATA_DIR/nats-credentials. Event-signing keys are created under
$YAOSU_DATA_DIR/event-keys when missing. Migrations are applied at start. Ctrl-C stops
everything; the next run reuses the data.

Authentication is dev mode unless YAOSU_AUTH_MODE says otherwise: tokens are signed with
$YAOSU_DATA_DIR/dev-signing.key (yaosuctl login --dev). The absolute data directory and
the address are recorded in dev-server.json in yaosuctl's config directory
($YAOSU_CONFIG_DIR, else your user config directory + /yaosu), so that login --dev finds
the key from any directory. gRPC is plaintext, on loopback by
default; --tls serves TLS with a local CA and certificate for localhost, 127.0.0.1 and ::1
created under $YAOSU_DATA_DIR/tls.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			if cfg.DataDir, err = filepath.Abs(cfg.DataDir); err != nil {
				return err
			}
			if cfg.AuthMode == "" {
				cfg.AuthMode = config.AuthModeDev
			}
			var devTLS tlsconfig.DevFiles
			if useTLS {
				if devTLS, err = tlsconfig.EnsureDevCertificates(filepath.Join(cfg.DataDir, "tls"), time.Now()); err != nil {
					return err
				}
				cfg.TLSCertFile, cfg.TLSKeyFile = devTLS.CertFile, devTLS.KeyFile
				if cfg.TLSCAFile == "" {
					cfg.TLSCAFile = devTLS.CAFile
				}
			}
			log, shutdown, err := setup(ctx, cfg, stdout)
			if err != nil {
				return err
			}
			defer shutdown()

			pg, err := devenv.EnsurePostgres(ctx, devenv.PostgresOptions{
				DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Port: cfg.DevPostgresPort,
				Mode: cfg.DevPostgresMode, Log: log,
			})
			if err != nil {
				return err
			}
			defer func() {
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				defer cancel()
				if err := pg.Stop(sctx); err != nil {
					log.Warn("stop private postgres", "error", err)
				}
			}()
			if cfg.DatabaseURL == "" {
				if cfg.DatabaseURL, err = ensureDatabase(ctx, pg.URL, devDatabase); err != nil {
					return err
				}
			} else {
				cfg.DatabaseURL = pg.URL
			}
			if cfg.NATSURL == "" {
				// The embedded server runs `yaosu nats-config`'s configuration: a NATS
				// user per service, the admin and the auditor (seeds created on first start).
				cfg.NATSCredentialsDir = natsCredentialsDir(cfg)
				natsConf, err := server.NATSConfig(server.NATSConfigOptions{CredentialsDir: cfg.NATSCredentialsDir, CreateSeeds: true})
				if err != nil {
					return err
				}
				ns, err := devenv.StartNATS(devenv.NATSOptions{DataDir: cfg.DataDir, Port: cfg.DevNATSPort, Log: log, Config: natsConf})
				if err != nil {
					return err
				}
				defer ns.Shutdown()
				cfg.NATSURL = ns.URL
			}
			services := server.ServiceNames()
			if err := server.Migrate(ctx, cfg.DatabaseURL, services); err != nil {
				return err
			}
			srv, err := server.Start(ctx, server.Options{Config: cfg, Services: services, Log: log, CreateEventKeys: true})
			if err != nil {
				return err
			}
			recorded, err := recordDevServer(os.Getenv, devServer{DataDir: cfg.DataDir, Addr: srv.Addr(), TLS: useTLS})
			if err != nil {
				// Only `yaosuctl login --dev` outside this directory needs it: say so, go on.
				log.Warn("could not record the dev server for yaosuctl; run it from this directory or pass --data-dir", "error", err)
			}
			tlsNote := "plaintext (loopback; `yaosu dev --tls` to try TLS)"
			tryTLS := ""
			if useTLS {
				tlsNote = "TLS, certificate for " + strings.Join(tlsconfig.DevHosts, ", ") + " from the local CA " + devTLS.CAFile
				tryTLS = "  export YAOSU_TLS_CA_FILE=" + devTLS.CAFile + "   # yaosuctl then verifies the server with it (or --ca-file)\n"
			}
			fmt.Fprintf(stderr, `
Yaosu is running.
  gRPC endpoint: %s  (services: %v)
  Transport:     %s
  NATS:          %s  (stream %s; users' seeds in %s)
  Postgres:      %s
  Data dir:      %s  (recorded in %s for yaosuctl login --dev)
Try it (in another terminal):
%s  .bin/yaosuctl login --dev --org 91350100M000100Y43 --role registrar
  .bin/yaosuctl asset create --name "企业登记信息"
  .bin/yaosuctl asset list
  .bin/yaosuctl events tail
Ctrl-C stops everything.

`, srv.Addr(), services, tlsNote, cfg.NATSURL, "YAOSU_EVENTS", cfg.NATSCredentialsDir, redact(cfg.DatabaseURL),
				cfg.DataDir, orDash(recorded), tryTLS)
			err = srv.Run(ctx)
			log.Info("stopping: gRPC drained, relays stopped; closing NATS and Postgres")
			return err
		},
	}
	cmd.Flags().BoolVar(&useTLS, "tls", false, "serve TLS with a local CA and certificate created under $YAOSU_DATA_DIR/tls")
	return cmd
}

// devPostgresCmd is how `make test` finds Postgres exactly as `yaosu dev` does; a private
// cluster it starts keeps running for the tests.
func devPostgresCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:    "dev-postgres",
		Short:  "Find or start the development Postgres and print its admin URL",
		Hidden: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			if cfg.DataDir, err = filepath.Abs(cfg.DataDir); err != nil {
				return err
			}
			pg, err := devenv.EnsurePostgres(cmd.Context(), devenv.PostgresOptions{
				DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Port: cfg.DevPostgresPort,
				Mode: cfg.DevPostgresMode, Log: telemetry.NewLogger(io.Discard, cfg.LogLevel),
			})
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(stdout, pg.URL)
			return err
		},
	}
}

// ensureDatabase creates db on the server at adminURL if missing and returns its URL.
func ensureDatabase(ctx context.Context, adminURL, db string) (string, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, db).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{db}.Sanitize()); err != nil {
			return "", fmt.Errorf("create database %s: %w", db, err)
		}
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + db
	return u.String(), nil
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}

// devServerFile is the file in yaosuctl's config directory where `yaosu dev` records its
// data directory, so that `yaosuctl login --dev` finds the dev signing key from any
// directory (yaosuctl's login.go reads it; keep the two in step).
const devServerFile = "dev-server.json"

// devServer is what devServerFile holds.
type devServer struct {
	DataDir string `json:"data_dir"` // absolute
	Addr    string `json:"addr"`
	TLS     bool   `json:"tls"`
}

// recordDevServer writes s to devServerFile in yaosuctl's config directory
// ($YAOSU_CONFIG_DIR, else os.UserConfigDir()/yaosu, as yaosuctl's token.go has it) and
// returns the file's path. The last `yaosu dev` started wins: that is the one a developer
// means. It holds no secret (the key stays in the data directory, readable by its owner).
func recordDevServer(getenv func(string) string, s devServer) (string, error) {
	dir := getenv("YAOSU_CONFIG_DIR")
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(base, "yaosu")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, devServerFile)
	if err := writeFileAtomic(path, append(raw, '\n')); err != nil {
		return "", err
	}
	return path, nil
}

// writeFileAtomic replaces path with data (mode 0600) through a fresh temporary file in the
// same directory. The temporary name is random and created exclusively (os.CreateTemp): a
// fixed name could be a symlink planted by another user of a shared config directory,
// making the write overwrite whatever it points at. A failed write leaves no temporary file.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp") // 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
