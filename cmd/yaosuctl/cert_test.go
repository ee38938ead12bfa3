package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

const certText = certTitle + "\n" +
	"registration_number: YS-2026-000001\n" +
	"asset: " + fakeAsset + "\n" +
	"asset_name: 企业登记信息\n" +
	"holder_organisation: " + testOrg + "\n" +
	"holder_name: 某市市场监督管理局\n" +
	"grade: 一般数据\n" +
	"issue_date: 2026-03-01\n" +
	"registry_name: yaosu.test/registry\n" +
	"serial: 1\n"

// signedCert signs text with a new registry key and returns the note and the verifier key.
func signedCert(t *testing.T, name, text string) (string, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	require.NoError(t, err)
	signer, err := note.NewSigner(skey)
	require.NoError(t, err)
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	require.NoError(t, err)
	return string(msg), vkey
}

func TestCertVerifyOffline(t *testing.T) {
	isolate(t)
	signed, vkey := signedCert(t, "yaosu.test/registry", certText)
	dir := t.TempDir()
	file := filepath.Join(dir, "cert.note")
	require.NoError(t, os.WriteFile(file, []byte(signed), 0o600))
	// No server anywhere: an address nothing listens on.
	t.Setenv(envAddr, "127.0.0.1:1")

	out := mustRun(t, "cert", "verify", file, "--key", vkey)
	require.True(t, strings.HasPrefix(out, "OK: certificate signed by yaosu.test/registry+"), out)
	require.Contains(t, out, "registration_number  YS-2026-000001")
	require.Contains(t, out, "asset_name           企业登记信息")
	require.Contains(t, out, "serial               1")

	t.Setenv(envRegistryKey, vkey)
	out = mustRun(t, "cert", "verify", file, "-o", "json")
	var res certificateFields
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Equal(t, testOrg, res.Fields["holder_organisation"])

	// The JSON of `cert get -o json` verifies too, and CRLF line ends do no harm.
	j, err := json.Marshal(map[string]string{"signedNote": signed})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file+".json", j, 0o600))
	mustRun(t, "cert", "verify", file+".json")
	require.NoError(t, os.WriteFile(file+".crlf", []byte(strings.ReplaceAll(signed, "\n", "\r\n")), 0o600))
	mustRun(t, "cert", "verify", file+".crlf")

	// Tampered: one character of the holder.
	tampered := filepath.Join(dir, "tampered.note")
	require.NoError(t, os.WriteFile(tampered, []byte(strings.Replace(signed, "企业登记信息", "企业登记信患", 1)), 0o600))
	_, _, err = runCLI(t, context.Background(), "cert", "verify", tampered)
	require.ErrorContains(t, err, "SIGNATURE INVALID")

	// Another registry's key, or the right name with another key.
	_, otherKey := signedCert(t, "other.test/registry", certText)
	_, _, err = runCLI(t, context.Background(), "cert", "verify", file, "--key", otherKey)
	require.ErrorContains(t, err, "NOT VERIFIED: the certificate is not signed by other.test/registry+")
	require.ErrorContains(t, err, "signed by yaosu.test/registry+")
	_, sameName := signedCert(t, "yaosu.test/registry", certText)
	_, _, err = runCLI(t, context.Background(), "cert", "verify", file, "--key", sameName)
	require.ErrorContains(t, err, "NOT VERIFIED")

	// Signed by the key but not a certificate.
	notCert, key2 := signedCert(t, "yaosu.test/registry", "yaosu.local/audit\n3\nabc=\n")
	require.NoError(t, os.WriteFile(file+".other", []byte(notCert), 0o600))
	_, _, err = runCLI(t, context.Background(), "cert", "verify", file+".other", "--key", key2)
	require.ErrorContains(t, err, "not a registration certificate")

	t.Setenv(envRegistryKey, "")
	_, _, err = runCLI(t, context.Background(), "cert", "verify", file)
	require.ErrorContains(t, err, "--key is required")
	_, _, err = runCLI(t, context.Background(), "cert", "verify", file, "--key", "garbage")
	require.ErrorContains(t, err, "is not a note verifier key")
	_, _, err = runCLI(t, context.Background(), "cert", "verify", filepath.Join(dir, "missing.note"), "--key", vkey)
	require.ErrorContains(t, err, "no such file")
}

func TestCertGetAndKey(t *testing.T) {
	f := withFake(t)
	signed, vkey := signedCert(t, "yaosu.test/registry", certText)
	f.cert = &catalogv1.Certificate{RegistrationNumber: "YS-2026-000001", Asset: fakeAsset, AssetName: "企业登记信息",
		HolderOrganisation: testOrg, Grade: catalogv1.Grade_GRADE_GENERAL, IssueDate: "2026-03-01", Serial: 1, SignedNote: signed}
	f.vkey = vkey

	require.Equal(t, vkey+"\n", mustRun(t, "cert", "key"))

	// Without -f the note is stdout, the summary stderr: `cert get X > cert.note` works.
	out, errOut, err := runCLI(t, context.Background(), "cert", "get", fakeAsset)
	require.NoError(t, err)
	require.Equal(t, signed, out)
	require.Contains(t, errOut, "REVOKED       no")

	file := filepath.Join(t.TempDir(), "证书.note")
	out = mustRun(t, "cert", "get", strings.TrimPrefix(fakeAsset, "assets/"), "-f", file)
	require.Contains(t, out, "REGISTRATION  YS-2026-000001")
	require.Contains(t, out, "WRITTEN TO    "+file)
	require.Contains(t, mustRun(t, "cert", "verify", file, "--key", vkey), "OK:")

	f.cert.Revoked, f.cert.RevokeReason = true, "cancelled"
	out = mustRun(t, "cert", "get", fakeAsset, "-f", file)
	require.Contains(t, out, "(cancelled)")
	require.Regexp(t, `REVOKED +yes`, out)
	out = mustRun(t, "cert", "get", fakeAsset, "-o", "json")
	require.Contains(t, out, `"revoked": true`)
}
