package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Defaults of the global settings; each can also come from the environment.
const (
	defaultAddr    = "127.0.0.1:7400"
	defaultTimeout = 10 * time.Second

	envAddr      = "YAOSU_ADDR"
	envToken     = "YAOSU_TOKEN"
	envConfigDir = "YAOSU_CONFIG_DIR"
	envDataDir   = "YAOSU_DATA_DIR"
	envIssuer    = "YAOSU_JWT_ISSUER"
	envNATSURL   = "NATS_URL"
	envCAFile    = "YAOSU_TLS_CA_FILE"
	envTLS       = "YAOSU_TLS"
	// envMaxLifetime is the server's YAOSU_JWT_MAX_LIFETIME; login --dev mints within it.
	envMaxLifetime = "YAOSU_JWT_MAX_LIFETIME"

	outputTable = "table"
	outputJSON  = "json"
)

// globals are the flags every command has, resolved against the environment before the
// command runs. One value per invocation: nothing survives between runs.
type globals struct {
	getenv func(string) string
	addr   string
	token  string
	// tokenSource says where token came from, for whoami: "--token" or "$YAOSU_TOKEN".
	tokenSource string
	output      string
	timeout     time.Duration
	// Transport: TLS when useTLS or caFile (verified against caFile, else the system
	// roots, for serverName, else the host of addr); insecure allows plaintext to a
	// non-loopback address.
	useTLS     bool
	caFile     string
	serverName string
	insecure   bool
	stderr     io.Writer
}

// setting returns the flag's value if it was given, else the environment variable if set,
// else the flag's default.
func (g *globals) setting(flags *pflag.FlagSet, name, env, value string) string {
	if f := flags.Lookup(name); f != nil && f.Changed {
		return value
	}
	if v := g.getenv(env); v != "" {
		return v
	}
	return value
}

func newRootCmd(getenv func(string) string) *cobra.Command {
	g := &globals{getenv: getenv}
	root := &cobra.Command{
		Use:   "yaosuctl",
		Short: "Command-line client for Yaosu",
		Long: "yaosuctl talks to a Yaosu server over gRPC and reads its event stream from NATS.\n" +
			"Start a local server with `make run`, then log in with a dev token.",
		Example: "  yaosuctl login --dev --org 91350100M000100Y43 --role registrar\n" +
			"  yaosuctl asset create --name '城市道路交通流量数据'\n" +
			"  yaosuctl asset list -o json\n" +
			"  yaosuctl events tail -f\n" +
			"  yaosuctl audit verify --key 'yaosu.dev/audit+1a2b3c4d+AbC...'",
		// Usage is for mistakes in the command line, not for failures while running it;
		// flag errors get a pointer to --help instead (see SetFlagErrorFunc).
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			flags := cmd.Flags()
			g.addr = g.setting(flags, "addr", envAddr, g.addr)
			g.token = g.setting(flags, "token", envToken, g.token)
			g.tokenSource = "$" + envToken
			g.caFile = g.setting(flags, "ca-file", envCAFile, g.caFile)
			if !flags.Changed("tls") && g.getenv(envTLS) != "" {
				v, err := strconv.ParseBool(g.getenv(envTLS))
				if err != nil {
					return fmt.Errorf("$%s must be true or false, not %q", envTLS, g.getenv(envTLS))
				}
				g.useTLS = v
			}
			if g.insecure && (g.useTLS || g.caFile != "") {
				return errors.New("--insecure (plaintext) contradicts --tls / --ca-file")
			}
			g.stderr = cmd.ErrOrStderr()
			if flags.Changed("token") {
				g.tokenSource = "--token"
			}
			if g.output != outputTable && g.output != outputJSON {
				return fmt.Errorf("--output must be %q or %q, not %q", outputTable, outputJSON, g.output)
			}
			if g.timeout <= 0 {
				return errors.New("--timeout must be positive")
			}
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.addr, "addr", defaultAddr, "gRPC address of the Yaosu server (env "+envAddr+")")
	pf.StringVar(&g.token, "token", "", "bearer token (env "+envToken+"; default: the token stored by yaosuctl login)")
	pf.StringVarP(&g.output, "output", "o", outputTable, "output format: table or json")
	pf.DurationVar(&g.timeout, "timeout", defaultTimeout, "deadline for each request to the server")
	pf.BoolVar(&g.useTLS, "tls", false, "connect with TLS, verifying the server against the system roots or --ca-file (env "+envTLS+")")
	pf.StringVar(&g.caFile, "ca-file", "", "PEM CA certificates that sign the server's certificate; implies --tls (env "+envCAFile+")")
	pf.StringVar(&g.serverName, "tls-server-name", "", "name the server's certificate must carry (default: the host of --addr)")
	pf.BoolVar(&g.insecure, "insecure", false, "allow sending the token in plaintext to a non-loopback address (refused otherwise)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath())
	})
	root.AddCommand(
		loginCmd(g), logoutCmd(g), whoamiCmd(g),
		assetCmd(g), applicationCmd(g), certCmd(g), codesCmd(g),
		rightsCmd(g),
		scenarioCmd(g),
		eventsCmd(g),
		auditCmd(g),
		versionCmd(g),
	)
	return root
}

// groupRunE makes a command that only holds subcommands reject an unknown subcommand
// (cobra would print the help and exit 0) and show its help when called bare.
func groupRunE(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unknown command %q for %q\nRun '%s --help' for usage.", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return cmd.Help()
}

// exactArgs is cobra.ExactArgs with a message that names the missing argument.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %s (got %d arguments)\nRun '%s --help' for usage.",
				cmd.CommandPath(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}
