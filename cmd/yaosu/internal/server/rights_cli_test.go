package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// TestRightsCLI drives `yaosuctl rights` against the real server the way the people
// involved would, once the catalog has registered an asset of A: A's rights admin grants
// processing-use to B, B sub-licenses to C, a check for C is allowed through the chain; A
// revokes and the sub-licence goes with it, so the check is denied (exit status 3). D
// requests a grant and A approves it; A transfers the holding to C, and the holding as of
// before the transfer still names A.
func TestRightsCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds yaosuctl")
	}
	s := startStack(t)
	ctl, must := yaosuctl(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	asset := registeredAsset(t, s, ctx, orgA)
	id := strings.TrimPrefix(asset, "assets/") // the commands take bare ids too
	orgC, orgD := "12350100MB0001234X", "91310000MA1FL4XQ27"
	login := func(org, role, subject string) {
		t.Helper()
		must("login", "--dev", "--org", org, "--role", role, "--subject", subject)
	}
	contract := filepath.Join(t.TempDir(), "数据加工使用许可合同.pdf")
	content := []byte("%PDF-1.7 数据加工使用许可合同 HT-2026-001")
	require.NoError(t, os.WriteFile(contract, content, 0o600))
	sum := sha256.Sum256(content)
	contractSHA := hex.EncodeToString(sum[:])
	now := time.Now()
	from, until := now.Add(-time.Hour).Format(time.RFC3339), now.AddDate(1, 0, 0).Format(time.DateOnly)

	// A's rights admin grants to B, one level of sub-licence allowed. The rights service
	// learns of the registration through the outbox, the relay and JetStream: until then
	// the grant fails with ASSET_NOT_REGISTERED, and is retried with the same request id.
	login(orgA, "rights_admin", "chen.jing")
	grantArgs := []string{"rights", "grant", id, "--to", orgB, "--purpose", "TRANSPORT,城市治理", "--form", "api,model",
		"--region", "350000", "--from", from, "--until", until, "--sublicense-depth", "1",
		"--basis-kind", "contract", "--basis-number", "HT-2026-001", "--basis-file", contract, "--basis-title", "数据加工使用许可合同",
		"--request-id", uuid.NewString(), "-o", "json"}
	var first map[string]any
	for deadline := time.Now().Add(10 * time.Second); ; {
		out, stderr, err := ctl(grantArgs...)
		if err == nil {
			first = jsonObject(t, out)
			break
		}
		require.Contains(t, stderr, "ASSET_NOT_REGISTERED", "only the projection may lag")
		require.True(t, time.Now().Before(deadline), "the rights service did not learn of the registration: %s", stderr)
		time.Sleep(100 * time.Millisecond)
	}
	firstName := first["name"].(string)
	require.Regexp(t, `^grants/[0-9a-f-]{36}$`, firstName)
	require.Equal(t, "GRANT_STATE_ACTIVE", first["state"])
	require.Equal(t, orgA, first["grantorOrganisation"])
	require.Equal(t, orgB, first["granteeOrganisation"])
	require.EqualValues(t, 1, first["sublicenseDepth"])
	require.Equal(t, []any{"TRANSPORT", "URBAN_GOVERNANCE"}, first["scope"].(map[string]any)["purposes"])
	require.Equal(t, contractSHA, first["legalBasis"].(map[string]any)["sha256"], "the basis file is hashed")
	require.Equal(t, "FEE_TERMS_FREE_CONDITIONAL", first["feeTerms"])

	// B sub-licenses to C within its grant (narrower region, one form, shorter term).
	login(orgB, "rights_admin", "zhao.lei")
	sub := jsonObject(t, must("rights", "grant", id, "--to", orgC, "--parent", strings.TrimPrefix(firstName, "grants/"),
		"--purpose", "交通运输", "--form", "model", "--region", "350100", "--from", from, "--until", now.AddDate(0, 6, 0).Format(time.DateOnly),
		"--basis-kind", "contract", "--basis-number", "HT-2026-017", "--basis-sha256", strings.ToUpper(contractSHA), "-o", "json"))
	subName := sub["name"].(string)
	require.Equal(t, orgB, sub["grantorOrganisation"])
	require.EqualValues(t, 2, sub["depth"])
	got := must("rights", "get", subName)
	require.Regexp(t, `STATE +ACTIVE\n`, got)
	require.Regexp(t, `PARENT +`+firstName+`\n`, got)
	// No further level: C's grant allows none, and B's grant allowed one.
	_, stderr, err := ctl("rights", "grant", id, "--to", orgD, "--parent", firstName, "--purpose", "TRANSPORT", "--form", "model",
		"--region", "350100", "--from", from, "--until", until, "--sublicense-depth", "1",
		"--basis-kind", "contract", "--basis-number", "HT-2026-018", "--basis-sha256", contractSHA)
	require.Error(t, err)
	require.Contains(t, stderr, "FAILED_PRECONDITION")
	require.Contains(t, stderr, "ERROR_REASON_OUTSIDE_PARENT_SCOPE")

	// An internal system checks for C: allowed, with the chain from C's grant up to A's.
	login(orgA, "service", "scenario-gateway")
	check := []string{"rights", "check", id, "--org", orgC, "--purpose", "TRANSPORT", "--form", "model", "--region", "350100"}
	out := must(check...)
	require.Regexp(t, `^ALLOWED\nCHAIN +`+subName+`\n +`+firstName+`\n$`, out)

	// A revokes its grant: C's sub-licence is revoked with it, and C's check is denied.
	login(orgA, "rights_admin", "chen.jing")
	out = must("rights", "revoke", firstName, "--reason", "合同终止")
	require.Regexp(t, `STATE +REVOKED \(合同终止\)\n`, out)
	require.Regexp(t, `CASCADED \(1\)\n +`+subName+`\n$`, out)
	login(orgA, "service", "scenario-gateway")
	var stdout string
	for deadline := time.Now().Add(5 * time.Second); ; {
		stdout, stderr, err = ctl(check...)
		if err != nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the revocation did not reach the checks")
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, 3, exitCode(t, err), "denied: exit status 3\n%s%s", stdout, stderr)
	require.Regexp(t, `^DENIED\nREASON +(GRANT_NOT_ACTIVE|CHAIN_BROKEN)\nDETAIL +\S`, stdout)
	require.Contains(t, stderr, "denied")
	stdout, _, err = ctl(append(check, "-o", "json")...)
	require.Equal(t, 3, exitCode(t, err))
	denial := jsonObject(t, stdout)
	require.Nil(t, denial["allowed"])
	require.Regexp(t, `^DENIAL_REASON_`, denial["denialReason"])

	// The sub-licence's history, as its grantee sees it.
	login(orgC, "rights_admin", "lin.hui")
	hist := strings.Split(strings.TrimSpace(must("rights", "history", subName)), "\n")
	require.Len(t, hist, 3, "%q", hist)
	require.Regexp(t, `^REVISION +ACTION +STATE +ACTOR +TIME +REASON$`, hist[0])
	require.Regexp(t, `^1 +grant +ACTIVE +\S+`, hist[1])
	require.Regexp(t, `^2 +cascade_revoke +REVOKED `, hist[2])

	// A lists the grants it made on the asset.
	login(orgA, "rights_admin", "chen.jing")
	list := must("rights", "list", "--asset", asset)
	require.Regexp(t, `^NAME +ASSET +RIGHT +GRANTOR +GRANTEE +DEPTH +STATE +VALID UNTIL\n`, list)
	require.Regexp(t, firstName+` +`+asset+` +PROCESSING_USE +`+orgA+` +`+orgB+` +1 +REVOKED `, list)
	require.NotContains(t, must("rights", "list", "--asset", id, "--state", "active"), firstName)

	// D asks for a grant; it allows nothing until A approves it.
	login(orgD, "rights_admin", "he.min")
	req := jsonObject(t, must("rights", "request", id, "--purpose", "TRANSPORT", "--form", "aggregate", "--until", until,
		"--basis-kind", "contract", "--basis-number", "HT-2026-031", "--basis-sha256", contractSHA,
		"--justification", "城市交通信号优化项目", "-o", "json"))
	reqName := req["name"].(string)
	require.Equal(t, "GRANT_STATE_REQUESTED", req["state"])
	require.Equal(t, orgD, req["granteeOrganisation"], "the grantee is the caller's organisation")
	require.Equal(t, orgA, req["grantorOrganisation"])
	own := []string{"rights", "check", id, "--purpose", "TRANSPORT", "--form", "aggregate"} // for the token's organisation
	stdout, _, err = ctl(own...)
	require.Equal(t, 3, exitCode(t, err))
	require.Regexp(t, `REASON +GRANT_NOT_ACTIVE\n`, stdout)
	login(orgA, "rights_admin", "chen.jing")
	require.Regexp(t, `STATE +ACTIVE\n`, must("rights", "approve", reqName, "--etag", req["etag"].(string)))
	login(orgD, "rights_admin", "he.min")
	for deadline := time.Now().Add(5 * time.Second); ; {
		if stdout, _, err = ctl(own...); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the approval did not reach the checks: %s", stdout)
		time.Sleep(20 * time.Millisecond)
	}
	require.Regexp(t, `^ALLOWED\nCHAIN +`+reqName+`\n$`, stdout)

	// A transfers the holding to C by merger; D's grant stays, now granted by C.
	before := time.Now()
	login(orgA, "rights_admin", "chen.jing")
	out = must("rights", "transfer", id, "--to", orgC, "--cause", "merger",
		"--basis-kind", "authorisation", "--basis-number", "榕政〔2026〕1号", "--basis-sha256", contractSHA)
	require.Regexp(t, `HOLDER +`+orgC+`\n`, out)
	require.Regexp(t, `CAUSE +merger\n`, out)
	login(orgD, "rights_admin", "he.min")
	require.Equal(t, orgC, jsonObject(t, must("rights", "get", reqName, "-o", "json"))["grantorOrganisation"])

	// An auditor asks who held the asset, and who could use it, before the transfer.
	login(orgB, "auditor", "audrey")
	asOf := before.Format(time.RFC3339Nano)
	out = must("rights", "holding", id, "--as-of", asOf)
	current, history, ok := strings.Cut(out, "\nHISTORY\n")
	require.True(t, ok, out)
	require.Regexp(t, `HOLDER +`+orgA+`\n`, current, "as of before the transfer")
	require.Regexp(t, asset+` +`+orgA+` +\S+ +\S+ +registration +-\n`, history)
	require.Regexp(t, asset+` +`+orgC+` +\S+ +- +merger +AUTHORISATION 榕政〔2026〕1号\n`, history)
	require.Equal(t, orgC, jsonObject(t, must("rights", "holding", id, "-o", "json"))["holding"].(map[string]any)["holderOrganisation"])
	out = must("rights", "grantees", id, "--as-of", asOf)
	require.Regexp(t, `^HOLDER +`+orgA+`\n`, out)
	require.Contains(t, out, reqName)
	require.NotContains(t, out, firstName, "revoked before")
	require.Regexp(t, regexp.QuoteMeta(reqName)+` +`+asset+` +PROCESSING_USE +`+orgC+` +`+orgD+` +1 +ACTIVE `,
		must("rights", "lookup", "--org", orgD))

	// The grade policy: anyone reads it; the registry's admin changes it.
	out = must("rights", "policy")
	require.Regexp(t, `GENERAL \(一般数据\) +yes +-\n`, out)
	require.Regexp(t, `IMPORTANT \(重要数据\) +yes +RAW_COPY\n`, out)
	require.Regexp(t, `CORE \(核心数据\) +no +-\n`, out)
	_, stderr, err = ctl("rights", "policy", "set", "IMPORTANT", "--forbid", "raw-copy,model")
	require.Error(t, err)
	require.Contains(t, stderr, "PERMISSION_DENIED")
	login(orgB, "admin", "registry-admin")
	require.Regexp(t, `IMPORTANT \(重要数据\) +yes +RAW_COPY,MODEL\n`, must("rights", "policy", "set", "重要数据", "--forbid", "raw-copy,model"))
	require.Contains(t, must("rights", "policy", "-o", "json"), `"DELIVERY_FORM_MODEL"`)
}
