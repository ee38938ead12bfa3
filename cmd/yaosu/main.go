// Command yaosu is the Yaosu server: `yaosu serve <service>...|all` runs services against
// external Postgres and NATS, `yaosu migrate` applies schema migrations, and `yaosu dev`
// runs everything in one process with whatever infrastructure it has to start itself.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"yaosu.dev/cmd/yaosu/internal/server"
	"yaosu.dev/pkg/config"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "yaosu:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := &cobra.Command{
		Use:           "yaosu",
		Short:         "Yaosu server: data-asset registration, rights, scenarios and audit",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(serveCmd(stdout), migrateCmd(stdout), devCmd(stdout, stderr), devPostgresCmd(stdout), configCmd(stdout), reconcileCmd(stdout),
		natsConfigCmd(stdout, stderr), eventKeysCmd(stdout))
	return root.ExecuteContext(ctx)
}

func loadConfig() (config.Config, error) { return config.Load(os.Getenv) }

// setup installs telemetry and returns the process logger and the telemetry shutdown.
func setup(ctx context.Context, cfg config.Config, stdout io.Writer) (*slog.Logger, func(), error) {
	log := telemetry.NewLogger(stdout, cfg.LogLevel)
	slog.SetDefault(log)
	shutdown, err := telemetry.Setup(ctx, "yaosu", cfg.OTLPEndpoint)
	if err != nil {
		return nil, nil, fmt.Errorf("telemetry: %w", err)
	}
	return log, func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil {
			log.Warn("telemetry shutdown", "error", err)
		}
	}, nil
}

func serveCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "serve <service>...|all",
		Short: "Serve services against external Postgres (DATABASE_URL) and NATS (NATS_URL)",
		Long: "Serve the named services (" + fmt.Sprint(server.ServiceNames()) + ") or all of them on one gRPC port.\n" +
			"Migrations are not applied: run `yaosu migrate` first (or use `yaosu dev`).\n" +
			"Each service connects to NATS as its own user (YAOSU_NATS_CREDENTIALS_DIR, see `yaosu nats-config`)\n" +
			"and signs its events with its key in YAOSU_EVENT_KEYS_DIR, which must exist (`yaosu event-keys --create`).",
		Example: "  DATABASE_URL=postgres://... NATS_URL=nats://... yaosu serve all",
		RunE: func(cmd *cobra.Command, args []string) error {
			services, err := server.ResolveServices(args)
			if err != nil {
				return err
			}
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			if err := cfg.RequireExternal(); err != nil {
				return err
			}
			log, shutdown, err := setup(cmd.Context(), cfg, stdout)
			if err != nil {
				return err
			}
			defer shutdown()
			srv, err := server.Start(cmd.Context(), server.Options{Config: cfg, Services: services, Log: log})
			if err != nil {
				return err
			}
			log.Info("serving", "addr", srv.Addr(), "services", services)
			return srv.Run(cmd.Context())
		},
	}
}

func migrateCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate [service...|all]",
		Short: "Apply pending schema migrations (DATABASE_URL), under an advisory lock; with NATS_URL, provision the stream",
		RunE: func(cmd *cobra.Command, args []string) error {
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
			if cfg.DatabaseURL == "" {
				return errors.New("DATABASE_URL is required")
			}
			log := telemetry.NewLogger(stdout, cfg.LogLevel)
			slog.SetDefault(log)
			if err := server.Migrate(cmd.Context(), cfg.DatabaseURL, services); err != nil {
				return err
			}
			if cfg.NATSURL == "" {
				return nil
			}
			// The stream is provisioned here, by the NATS admin user, so the long-running
			// servers need not hold the right to change it.
			if err := server.ProvisionStream(cmd.Context(), cfg, log); err != nil {
				return err
			}
			log.Info("stream provisioned", "stream", messaging.StreamName)
			return nil
		},
	}
}

func configCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the configuration variables as a Markdown table",
		RunE: func(*cobra.Command, []string) error {
			_, err := io.WriteString(stdout, config.Markdown())
			return err
		},
	}
}
