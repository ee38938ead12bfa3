package server

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/config"
	"yaosu.dev/pkg/paging"
	"yaosu.dev/pkg/tlsconfig"
)

// Verifier builds the token verifier the configuration asks for. There is no default:
// `yaosu serve` must be told how tokens are verified, `yaosu dev` chooses dev mode.
func Verifier(cfg config.Config) (auth.Verifier, error) {
	lifetime := auth.WithMaxLifetime(cfg.JWTMaxLifetime)
	if cfg.JWTMaxLifetime <= 0 {
		lifetime = auth.WithMaxLifetime(auth.DefaultMaxLifetime)
	}
	switch cfg.AuthMode {
	case config.AuthModePublicKey:
		pub, err := auth.LoadPublicKey(cfg.JWTPublicKeyFile)
		if err != nil {
			return nil, err
		}
		return auth.NewEd25519Verifier(pub, cfg.JWTIssuer, lifetime), nil
	case config.AuthModeDev:
		key, err := auth.LoadOrCreateDevKey(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("dev signing key: %w", err)
		}
		return auth.NewEd25519Verifier(key.Public().(ed25519.PublicKey), cfg.JWTIssuer, lifetime), nil
	default:
		return nil, fmt.Errorf("YAOSU_AUTH_MODE is not set: %q or %q", config.AuthModePublicKey, config.AuthModeDev)
	}
}

// transport returns the gRPC server's credentials and those a service of this process
// uses to call another one at addr (scenario → rights): TLS from the certificate files,
// reloaded on change, when configured; else plaintext, with a warning when the address
// is reachable from other hosts.
func transport(cfg config.Config, addr string, log *slog.Logger) ([]grpc.ServerOption, credentials.TransportCredentials, error) {
	if err := cfg.CheckTLS(); err != nil {
		return nil, nil, err
	}
	if !cfg.TLS() {
		if !tlsconfig.IsLoopback(addr) {
			log.Warn("serving gRPC in plaintext on a non-loopback address: bearer tokens cross the network readable; set YAOSU_TLS_CERT_FILE and YAOSU_TLS_KEY_FILE",
				"addr", addr)
		}
		return nil, insecure.NewCredentials(), nil
	}
	certs, err := tlsconfig.LoadCertFiles(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return nil, nil, err
	}
	serverTLS, err := tlsconfig.Server(certs, cfg.TLSClientCAFile, cfg.TLSClientAuth == config.ClientAuthRequire)
	if err != nil {
		return nil, nil, err
	}
	name := cfg.TLSServerName
	if name == "" {
		name = dialHost(addr)
	}
	// The process presents its own certificate when it calls a service, so a port that
	// requires client certificates accepts its peers.
	clientTLS, err := tlsconfig.Client(cfg.TLSCAFile, name, certs)
	if err != nil {
		return nil, nil, err
	}
	// A process calls its own services (scenario → rights): find out now, not at the first
	// LinkAsset, whether it can verify its own certificate and have it accepted.
	if err := tlsconfig.CheckPeer(certs, cfg.TLSCAFile, name, cfg.TLSClientCAFile); err != nil {
		return nil, nil, fmt.Errorf("TLS: %w (set YAOSU_TLS_CA_FILE / YAOSU_TLS_SERVER_NAME, or fix the certificate)", err)
	}
	log.Info("serving gRPC over TLS", "cert_file", cfg.TLSCertFile, "client_ca_file", cfg.TLSClientCAFile,
		"client_auth", cfg.TLSClientAuth)
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(serverTLS))}, credentials.NewTLS(clientTLS), nil
}

// dialHost is the name to verify when dialing addr: its host, or localhost for a
// wildcard listen address (which is dialed on the local host).
func dialHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return "localhost"
	}
	return host
}

// PageKey loads the page-token key: YAOSU_PAGE_TOKEN_KEY_FILE, which must exist (`yaosu
// serve` requires the setting, so that replicas share one key), or else
// YAOSU_DATA_DIR/page-token.key, created on first start (`yaosu dev`, tests).
func PageKey(cfg config.Config) (paging.Key, error) {
	if cfg.PageTokenKeyFile != "" {
		return paging.LoadKey(cfg.PageTokenKeyFile)
	}
	return paging.LoadOrCreateKey(filepath.Join(cfg.DataDir, paging.DefaultKeyFile))
}
