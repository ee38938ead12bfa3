package main

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"yaosu.dev/pkg/auth"
)

// defaultIssuer is the `iss` of dev tokens; it matches the server's YAOSU_JWT_ISSUER default.
const defaultIssuer = "yaosu-dev"

func loginCmd(g *globals) *cobra.Command {
	var (
		dev     bool
		org     string
		roles   []string
		subject string
		dataDir string
		issuer  string
		ttl     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "login --dev --org ORG --role ROLE [--role ROLE2] [--subject NAME] [--data-dir DIR] [--ttl 12h]",
		Short: "Get a token and store it for the other commands",
		Long: "login --dev mints a token signed with the dev key of a local server (DATA_DIR/" + auth.DevKeyFile + ",\n" +
			"created when the server first starts) and stores it in the config directory\n" +
			"($" + envConfigDir + ", else your user config directory + /yaosu).\n\n" +
			"The key is taken from --data-dir (or $" + envDataDir + ") when given, and only from there.\n" +
			"Without either it is looked for in ./var, then in the data directory the last `yaosu dev`\n" +
			"recorded in the config directory (" + devServerFile + "), so login works from any directory\n" +
			"once the dev server has started. Login says which key signed the token.\n\n" +
			"A login that fails removes the token stored before, so that the previous role is never\n" +
			"used by mistake; it says so.\n\n" +
			"Roles: " + strings.Join(roleNames(), ", ") + ".",
		Example: "  yaosuctl login --dev --org 91350100M000100Y43 --role registrar\n" +
			"  yaosuctl login --dev --org 91350100M000100Y43 --role auditor --role admin --subject zhang.wei@dev --ttl 1h",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := loginDev(cmd, g, dev, devLogin{org: org, roles: roles, subject: subject, dataDir: dataDir, issuer: issuer, ttl: ttl})
			if err != nil {
				return dropPreviousLogin(g.getenv, err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&dev, "dev", false, "mint a dev token with the local server's signing key")
	f.StringVar(&org, "org", "", "organisation to act for: its unified social credit code (统一社会信用代码)")
	f.StringSliceVar(&roles, "role", nil, "role to hold; repeat for several")
	f.StringVar(&subject, "subject", "", "who you are (default: your OS user name + \"@dev\")")
	f.StringVar(&dataDir, "data-dir", "", "the server's data directory, the only one tried when given (env "+envDataDir+"; default: ./var, else the one `yaosu dev` recorded)")
	f.StringVar(&issuer, "issuer", defaultIssuer, "token issuer; must match the server's (env "+envIssuer+")")
	f.DurationVar(&ttl, "ttl", auth.DefaultMaxLifetime, "how long the token stays valid; at most the server's maximum (env "+envMaxLifetime+", default 12h)")
	return cmd
}

// devPrincipal checks login's flags and builds the principal to mint a token for.
func devPrincipal(org string, roles []string, subject string) (auth.Principal, error) {
	org = strings.TrimSpace(org)
	if org == "" {
		return auth.Principal{}, errors.New("--org is required: the organisation's unified social credit code, e.g. 91350100M000100Y43")
	}
	if len(roles) == 0 {
		return auth.Principal{}, fmt.Errorf("--role is required (one of %s)", strings.Join(roleNames(), ", "))
	}
	var rs []auth.Role
	for _, r := range roles {
		role := auth.Role(strings.TrimSpace(r))
		if !auth.ValidRole(role) {
			return auth.Principal{}, fmt.Errorf("unknown role %q (want one of %s)", r, strings.Join(roleNames(), ", "))
		}
		rs = append(rs, role)
	}
	if subject == "" {
		subject = osUserName() + "@dev"
	}
	return auth.Principal{Subject: subject, Organisation: org, Roles: rs}, nil
}

func osUserName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		// On Windows the name is DOMAIN\user; the user part is enough here.
		name := u.Username
		if i := strings.LastIndexByte(name, '\\'); i >= 0 {
			name = name[i+1:]
		}
		return name
	}
	return "dev"
}

func roleNames() []string {
	names := make([]string, len(auth.AllRoles))
	for i, r := range auth.AllRoles {
		names[i] = string(r)
	}
	return names
}

func joinRoles(roles []auth.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func logoutCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "logout",
		Short:   "Remove the stored token",
		Example: "  yaosuctl logout",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			removed, path, err := removeToken(g.getenv)
			if err != nil {
				return fmt.Errorf("remove token: %w", err)
			}
			if removed {
				fmt.Fprintf(cmd.OutOrStdout(), "Logged out (removed %s).\n", path)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "Not logged in (no token at %s).\n", path)
			}
			return nil
		},
	}
}

func whoamiCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show who the current token says you are (not verified; the server verifies)",
		Example: "  yaosuctl whoami\n" +
			"  yaosuctl whoami -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			token, source, err := g.resolveToken()
			if err != nil {
				return err
			}
			c, err := decodeClaims(token)
			if err != nil {
				return fmt.Errorf("token from %s: %w", source, err)
			}
			return printWhoami(cmd, g.output, c, source, time.Now())
		},
	}
}

func printWhoami(cmd *cobra.Command, output string, c tokenClaims, source string, now time.Time) error {
	exp := c.Expiry()
	expired := !exp.IsZero() && !now.Before(exp)
	if output == outputJSON {
		v := struct {
			Subject      string   `json:"subject"`
			Organisation string   `json:"organisation"`
			Roles        []string `json:"roles"`
			Issuer       string   `json:"issuer"`
			Expires      string   `json:"expires,omitempty"`
			Expired      bool     `json:"expired"`
			Source       string   `json:"source"`
		}{c.Subject, c.Organisation, c.Roles, c.Issuer, "", expired, source}
		if v.Roles == nil {
			v.Roles = []string{}
		}
		if !exp.IsZero() {
			v.Expires = exp.Format(time.RFC3339)
		}
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	expires := "never"
	switch {
	case exp.IsZero():
	case expired:
		expires = fmt.Sprintf("%s (expired %s ago; run `yaosuctl login` again)", exp.Format(time.RFC3339), now.Sub(exp).Round(time.Second))
	default:
		expires = fmt.Sprintf("%s (in %s)", exp.Format(time.RFC3339), exp.Sub(now).Round(time.Second))
	}
	var t table
	t.row("SUBJECT", c.Subject)
	t.row("ORGANISATION", c.Organisation)
	t.row("ROLES", strings.Join(c.Roles, ", "))
	t.row("ISSUER", c.Issuer)
	t.row("EXPIRES", expires)
	t.row("TOKEN FROM", source)
	return t.write(cmd.OutOrStdout())
}

// devLogin is what `login --dev` was asked for.
type devLogin struct {
	org, subject, dataDir, issuer string
	dataDirFrom                   string // "--data-dir" or "$YAOSU_DATA_DIR" when dataDir was given, else ""
	roles                         []string
	ttl                           time.Duration
}

// dataDirSource says where login's data directory was given: "--data-dir", "$YAOSU_DATA_DIR",
// or "" when neither (then login searches; see devKeyDirs).
func dataDirSource(cmd *cobra.Command, g *globals) string {
	if f := cmd.Flags().Lookup("data-dir"); f != nil && f.Changed {
		return "--data-dir"
	}
	if g.getenv(envDataDir) != "" {
		return "$" + envDataDir
	}
	return ""
}

// loginDev mints and stores a dev token; see loginCmd.
func loginDev(cmd *cobra.Command, g *globals, dev bool, o devLogin) error {
	if !dev {
		return errors.New("only `yaosuctl login --dev` is supported until an identity provider is configured; " +
			"with another provider, pass its token with --token or $" + envToken)
	}
	o.dataDir = g.setting(cmd.Flags(), "data-dir", envDataDir, o.dataDir)
	if o.dataDir != "" {
		o.dataDirFrom = dataDirSource(cmd, g)
	}
	o.issuer = g.setting(cmd.Flags(), "issuer", envIssuer, o.issuer)
	p, err := devPrincipal(o.org, o.roles, o.subject)
	if err != nil {
		return err
	}
	if o.ttl <= 0 {
		return errors.New("--ttl must be positive")
	}
	// The server refuses tokens that live longer than its maximum; mint none.
	maxLifetime := auth.DefaultMaxLifetime
	if v := g.getenv(envMaxLifetime); v != "" {
		if maxLifetime, err = time.ParseDuration(v); err != nil || maxLifetime <= 0 {
			return fmt.Errorf("$%s=%q: not a positive duration", envMaxLifetime, v)
		}
	}
	if o.ttl > maxLifetime {
		return fmt.Errorf("--ttl %s exceeds the longest token lifetime the server accepts, %s ($%s)", o.ttl, maxLifetime, envMaxLifetime)
	}
	key, keyPath, err := devKey(g.getenv, o)
	if err != nil {
		return err
	}
	token, err := auth.Mint(key, o.issuer, p, o.ttl)
	if err != nil {
		return fmt.Errorf("mint token: %w", err)
	}
	path, err := saveToken(g.getenv, token)
	if err != nil {
		return fmt.Errorf("store token: %w", err)
	}
	c, err := decodeClaims(token)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Logged in as %s for %s (roles: %s) until %s.\nSigned with the dev key in %s.\nToken stored in %s.\n",
		p.Subject, p.Organisation, joinRoles(p.Roles), c.Expiry().Format(time.RFC3339), keyPath, path)
	return nil
}

// devServerFile is the file `yaosu dev` writes in the config directory to record its data
// directory and address (cmd/yaosu dev.go; keep the two in step).
const devServerFile = "dev-server.json"

// devServerRecord is what devServerFile holds.
type devServerRecord struct {
	DataDir string `json:"data_dir"`
	Addr    string `json:"addr"`
	TLS     bool   `json:"tls"`
}

// devKey loads the dev signing key login --dev signs with and returns it with its absolute
// path. A data directory given (--data-dir or $YAOSU_DATA_DIR) is the only one tried: falling
// back from it would sign with another checkout's key, and the user asked for this one.
func devKey(getenv func(string) string, o devLogin) (ed25519.PrivateKey, string, error) {
	if o.dataDirFrom == "" {
		return findDevKey(getenv)
	}
	keyPath := absPath(filepath.Join(o.dataDir, auth.DevKeyFile))
	key, err := auth.LoadPrivateKey(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("no dev signing key in the data directory from %s: %s does not exist; "+
			"start the server with `make run` first (it creates the key), point %s at a started server's "+
			"data directory, or leave it unset to use ./var or the directory `yaosu dev` recorded", o.dataDirFrom, keyPath, o.dataDirFrom)
	}
	if err != nil {
		return nil, "", fmt.Errorf("dev signing key %s: %w", keyPath, err)
	}
	return key, keyPath, nil
}

// absPath is p made absolute when it can be, so that messages name the file unambiguously.
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// devKeyDirs are the data directories login --dev looks in when none is given, in order:
// ./var (where `make run` keeps it) and the one the last `yaosu dev` recorded. A recorded
// file that cannot be read is skipped and said.
func devKeyDirs(getenv func(string) string) (dirs []string, notes []string) {
	dirs = append(dirs, "./var")
	cfg, err := configDir(getenv)
	if err != nil {
		return dirs, append(notes, "no config directory: "+err.Error())
	}
	recPath := filepath.Join(cfg, devServerFile)
	raw, err := os.ReadFile(recPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		notes = append(notes, "no data directory recorded by `yaosu dev` ("+recPath+" does not exist)")
	case err != nil:
		notes = append(notes, recPath+": "+err.Error())
	default:
		var rec devServerRecord
		if err := json.Unmarshal(raw, &rec); err != nil || rec.DataDir == "" {
			notes = append(notes, recPath+": not a dev server record")
		} else {
			dirs = append(dirs, rec.DataDir)
		}
	}
	return dirs, notes
}

// findDevKey loads the dev signing key from the first of devKeyDirs that has one and returns
// it with its absolute path. It never creates a key: the server would not know it and would
// reject every token signed with it.
func findDevKey(getenv func(string) string) (ed25519.PrivateKey, string, error) {
	dirs, notes := devKeyDirs(getenv)
	var tried []string
	for _, d := range dirs {
		keyPath := absPath(filepath.Join(d, auth.DevKeyFile))
		key, err := auth.LoadPrivateKey(keyPath)
		if errors.Is(err, fs.ErrNotExist) {
			tried = append(tried, keyPath)
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("dev signing key %s: %w", keyPath, err)
		}
		return key, keyPath, nil
	}
	msg := "no dev signing key: tried " + strings.Join(tried, ", ")
	if len(notes) > 0 {
		msg += " (" + strings.Join(notes, "; ") + ")"
	}
	return nil, "", fmt.Errorf("%s; start the server with `make run` first (it creates the key and records "+
		"where), or point --data-dir / $%s at the server's data directory", msg, envDataDir)
}

// dropPreviousLogin removes the stored token after a failed login, so that the commands
// that follow do not silently act with the previous role, and adds that to err.
func dropPreviousLogin(getenv func(string) string, err error) error {
	previous, _, _ := loadToken(getenv)
	removed, path, rmErr := removeToken(getenv)
	switch {
	case rmErr != nil:
		return fmt.Errorf("%w\nThe previous login could not be removed (%v): later commands may still use it", err, rmErr)
	case !removed:
		return err
	}
	who := "unreadable token"
	if c, cerr := decodeClaims(previous); cerr == nil {
		who = "role " + strings.Join(c.Roles, ", ") + " for " + c.Organisation
	}
	return fmt.Errorf("%w\nThe previous login (%s) was removed (%s): log in again before going on / 之前的登录已删除，请重新登录", err, who, path)
}
