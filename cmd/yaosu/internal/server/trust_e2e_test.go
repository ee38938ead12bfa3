package server_test

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/tlsconfig"
)

// Regression (issue 12): a token valid for ten years was accepted. Over the real server
// it is UNAUTHENTICATED; one within YAOSU_JWT_MAX_LIFETIME (12h) passes. Reflection, which
// answered anyone, needs a token too.
func TestLongLivedTokensAndAnonymousReflectionAreRefused(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	mint := func(lifetime time.Duration) context.Context {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
			"iss": "yaosu-dev", "aud": auth.Audience, "sub": "long@dev", "org": orgA, "roles": []string{"admin"},
			"iat": now.Unix(), "exp": now.Add(lifetime).Unix(),
		}).SignedString(s.key)
		require.NoError(t, err)
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	}
	_, err := s.catalog.ListAssets(mint(10*365*24*time.Hour), &catalogv1.ListAssetsRequest{})
	require.Equal(t, codes.Unauthenticated, status.Code(err), "a ten-year token")
	require.Contains(t, status.Convert(err).Message(), "exceeds the maximum")
	_, err = s.catalog.ListAssets(mint(12*time.Hour), &catalogv1.ListAssetsRequest{})
	require.NoError(t, err)

	_, err = healthpb.NewHealthClient(s.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	require.NoError(t, err, "health stays open")
	rc, err := reflectionpb.NewServerReflectionClient(s.conn).ServerReflectionInfo(ctx)
	require.NoError(t, err)
	_ = rc.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
	_, err = rc.Recv()
	require.Equal(t, codes.Unauthenticated, status.Code(err), "reflection without a token")
}

// pki is a test CA with a server certificate for loopback and a client certificate.
type pki struct {
	dir, caFile, certFile, keyFile string
	client                         tls.Certificate
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	ca, err := tlsconfig.NewCA("test CA", time.Now(), time.Hour)
	require.NoError(t, err)
	p := pki{dir: dir, caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "server.pem"), keyFile: filepath.Join(dir, "server-key.pem")}
	certPEM, keyPEM, err := ca.Issue("yaosu", []string{"localhost", "127.0.0.1"}, time.Now(), time.Hour)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p.caFile, ca.CertPEM(), 0o644))
	require.NoError(t, os.WriteFile(p.certFile, certPEM, 0o644))
	require.NoError(t, os.WriteFile(p.keyFile, keyPEM, 0o600))
	clientPEM, clientKey, err := ca.Issue("internal-system", nil, time.Now(), time.Hour)
	require.NoError(t, err)
	p.client, err = tls.X509KeyPair(clientPEM, clientKey)
	require.NoError(t, err)
	return p
}

// The whole server over TLS with client certificates required between services: the
// scenario service's call to rights (LinkAsset) goes over verified TLS with the process's
// own certificate; clients without a certificate, or without TLS, get nowhere.
func TestServerOverTLSWithRequiredClientCertificates(t *testing.T) {
	p := newPKI(t)
	pool, err := tlsconfig.LoadCAs(p.caFile)
	require.NoError(t, err)
	withCert := credentials.NewTLS(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{p.client}, MinVersion: tls.VersionTLS12})
	s := startStackWith(t, stackOptions{env: map[string]string{
		"YAOSU_TLS_CERT_FILE": p.certFile, "YAOSU_TLS_KEY_FILE": p.keyFile,
		"YAOSU_TLS_CLIENT_CA_FILE": p.caFile, "YAOSU_TLS_CLIENT_AUTH": "require", "YAOSU_TLS_CA_FILE": p.caFile,
	}, creds: withCert})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	operator := s.as(t, ctx, orgB, auth.RoleScenarioOperator)
	scenarios := scenariov1.NewScenarioServiceClient(s.conn)
	sc, err := scenarios.ProposeScenario(operator, &scenariov1.ProposeScenarioRequest{Scenario: &scenariov1.Scenario{
		DisplayName: "公交准点率提升", Sector: "TRANSPORT", Objective: "准点率提高 5%"}})
	require.NoError(t, err)
	_, err = scenarios.LinkAsset(operator, &scenariov1.LinkAssetRequest{Parent: sc.GetScenario().GetName(), Link: &scenariov1.Link{
		Asset: "assets/" + uuid.NewString(), Right: rightsv1.Right_RIGHT_PROCESSING_USE,
		DeliveryForm: rightsv1.DeliveryForm_DELIVERY_FORM_API, Reason: "到站预测"}})
	code, reason, _ := errorInfo(t, err)
	require.Equal(t, codes.FailedPrecondition, code, "rights answered (over mTLS): %v", err)
	require.NotEqual(t, "ERROR_REASON_RIGHTS_UNAVAILABLE", reason)

	health := func(creds credentials.TransportCredentials) error {
		conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(creds))
		require.NoError(t, err)
		defer conn.Close()
		_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}
	require.NoError(t, health(withCert))
	require.Equal(t, codes.Unavailable, status.Code(health(credentials.NewTLS(&tls.Config{RootCAs: pool}))), "no client certificate")
	require.Equal(t, codes.Unavailable, status.Code(health(insecure.NewCredentials())), "plaintext")
}
