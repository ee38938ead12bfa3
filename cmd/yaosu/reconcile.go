package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"yaosu.dev/cmd/yaosu/internal/reconcile"
	"yaosu.dev/cmd/yaosu/internal/server"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
)

func reconcileCmd(stdout io.Writer) *cobra.Command {
	var republish bool
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Compare every outbox with the event stream and the audit log; optionally republish what the stream lacks",
		Long: `Reads the whole YAOSU_EVENTS stream and every service's outbox (the system of record) and
reports, per service: outbox rows not yet published, rows marked published whose event is not
in the stream, and events the audit log does not hold yet; and stream messages from a Yaosu
service that no outbox knows. With --republish, events missing from the stream are published
again (each carries its event id as Nats-Msg-Id, so this is safe to repeat), signed with the
service's event key and published as its NATS user (YAOSU_EVENT_KEYS_DIR and
YAOSU_NATS_CREDENTIALS_DIR must hold them); the stream is read as the NATS auditor.
Exits 1 when something is missing after the run. Needs DATABASE_URL and NATS_URL.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var conns []*nats.Conn
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			if cfg.DatabaseURL == "" || cfg.NATSURL == "" {
				return errors.New("DATABASE_URL and NATS_URL are required")
			}
			// The stream is read as the auditor; events are republished as their service
			// (its NATS user, its event key), exactly as its relay would publish them.
			connect := func(user string) (jetstream.JetStream, error) {
				opts, err := messaging.NATSConnectOptions(cfg.NATSCredentialsDir, user,
					messaging.NATSTLS{CAFile: cfg.NATSCAFile, CertFile: cfg.NATSCertFile, KeyFile: cfg.NATSKeyFile})
				if err != nil {
					return nil, err
				}
				nc, err := nats.Connect(cfg.NATSURL, append(opts, nats.Name("yaosu reconcile "+user))...)
				if err != nil {
					return nil, fmt.Errorf("connect to NATS as %s: %w", user, err)
				}
				conns = append(conns, nc)
				return jetstream.New(nc)
			}
			defer func() {
				for _, nc := range conns {
					nc.Close()
				}
			}()
			js, err := connect(messaging.NATSUserAuditor)
			if err != nil {
				return err
			}
			var outboxes []reconcile.Outbox
			var auditPool *pgxpool.Pool
			for _, name := range server.ServiceNames() {
				pool, err := postgres.Connect(ctx, cfg.DatabaseURL, name, 2)
				if err != nil {
					return err
				}
				defer pool.Close()
				ob := reconcile.Outbox{Service: name, Pool: pool}
				if republish {
					if ob.Key, err = messaging.LoadOrCreateSigningKey(cfg.EventKeysDirectory(), name, false); err != nil {
						return fmt.Errorf("--republish signs as each service: %w", err)
					}
					if ob.JS, err = connect(name); err != nil {
						return err
					}
				}
				outboxes = append(outboxes, ob)
				if name == "audit" {
					auditPool = pool
				}
			}
			rep, err := reconcile.Run(ctx, js, outboxes, auditPool, republish)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				printReport(stdout, rep)
			}
			if !rep.Clean() {
				return errors.New("reconciliation found missing events")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&republish, "republish", false, "publish events missing from the stream again")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func printReport(w io.Writer, rep reconcile.Report) {
	fmt.Fprintf(w, "stream YAOSU_EVENTS: %d messages", rep.StreamMessages)
	if rep.LogSize >= 0 {
		fmt.Fprintf(w, "; audit log: %d entries", rep.LogSize)
	}
	fmt.Fprintln(w)
	for _, s := range rep.Services {
		fmt.Fprintf(w, "%-10s outbox %d, pending %d, missing from stream %d (republished %d), not yet in audit log %d\n",
			s.Service, s.Events, s.Pending, len(s.MissingFromStream), s.Republished, s.MissingFromLog)
		for _, id := range s.MissingFromStream {
			fmt.Fprintf(w, "  missing from stream: %s\n", id)
		}
	}
	slices.Sort(rep.UnknownInStream)
	for _, id := range rep.UnknownInStream {
		fmt.Fprintf(w, "in the stream but in no outbox: %s\n", id)
	}
	if rep.Clean() {
		fmt.Fprintln(w, "OK: nothing missing")
	}
}
