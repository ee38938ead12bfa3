package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

func TestAssetCheckReady(t *testing.T) {
	f := withFake(t)
	out := mustRun(t, "asset", "check", "0198c6f2-7a4e-7b61-9f0e-2d1c3b4a5e6f")
	require.Contains(t, out, "可以提交 / ready to submit")
	req := lastRequest[*catalogv1.SubmitApplicationRequest](f)
	require.True(t, req.GetValidateOnly(), "check never files")
	require.Equal(t, fakeAsset, req.GetParent())
	require.Equal(t, catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, req.GetType())

	// A server that ignores validate_only files the application: check says so, never "ready".
	f.mu.Lock()
	f.oldServer = true
	f.mu.Unlock()
	out, _, err := runCLI(t, context.Background(), "asset", "check", fakeAsset)
	require.ErrorContains(t, err, "FILED application "+fakeApp)
	require.NotContains(t, out, "ready")
}

func TestCheckOutcomeListsMissingFieldsWithColumns(t *testing.T) {
	st, err := status.New(codes.FailedPrecondition, "incomplete").WithDetails(
		&errdetails.ErrorInfo{Reason: "ERROR_REASON_INCOMPLETE_RECORD", Domain: "yaosu.dev"},
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: "asset.legal_basis", Description: "required before submission",
				LocalizedMessage: &errdetails.LocalizedMessage{Locale: "zh-CN", Message: "提交前必填"}},
			{Field: "asset.evidence", Description: "required before submission"},
		}})
	require.NoError(t, err)
	res, err := checkOutcome(fakeAsset, st.Err())
	require.NoError(t, err)
	require.False(t, res.Ready)
	require.Equal(t, "ERROR_REASON_INCOMPLETE_RECORD", res.Reason)
	require.Equal(t, []missingField{
		{Field: "legal_basis", Column: "合法性依据(legal_basis)", Reason: "required before submission", ReasonZh: "提交前必填"},
		{Field: "evidence", Column: "证明材料(evidence)", Reason: "required before submission"},
	}, res.Missing)

	// A rule that is not about the record (wrong state) is the check's failure, not a list.
	_, err = checkOutcome(fakeAsset, status.Error(codes.FailedPrecondition, "not a draft"))
	require.Error(t, err)
	_, err = checkOutcome(fakeAsset, status.Error(codes.NotFound, "no such asset"))
	require.Equal(t, codes.NotFound, status.Code(err))
}

func TestAssetAttachHashesAndSkipsKnownDocuments(t *testing.T) {
	f := withFake(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "登记承诺书.pdf"), filepath.Join(dir, "copy.pdf")
	require.NoError(t, os.WriteFile(a, []byte("承诺"), 0o600))
	require.NoError(t, os.WriteFile(b, []byte("承诺"), 0o600)) // same content, same hash
	sum := sha256.Sum256([]byte("承诺"))

	out := mustRun(t, "asset", "attach", fakeAsset, a, b, "--kind", "commitment_letter", "-o", "json")
	req := lastRequest[*catalogv1.UpdateAssetRequest](f)
	require.Equal(t, []string{"evidence"}, req.GetUpdateMask().GetPaths())
	require.Len(t, req.GetAsset().GetEvidence(), 1, "the second file has the same SHA-256")
	doc := req.GetAsset().GetEvidence()[0]
	require.Equal(t, "登记承诺书.pdf", doc.GetName())
	require.Equal(t, hex.EncodeToString(sum[:]), doc.GetSha256())
	require.EqualValues(t, len("承诺"), doc.GetSizeBytes())
	require.Equal(t, "commitment_letter", doc.GetKind())
	var printed map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &printed))

	_, _, err := runCLI(t, context.Background(), "asset", "attach", fakeAsset, a, "--kind", "photo")
	require.ErrorContains(t, err, "--kind must be one of")
	_, _, err = runCLI(t, context.Background(), "asset", "attach", fakeAsset, a, b, "--kind", "other", "--name", "x.pdf")
	require.ErrorContains(t, err, "--name names one document")
}

func TestMergeEvidenceKeepsExistingAndDropsRepeats(t *testing.T) {
	existing := []*catalogv1.Document{{Name: "a", Sha256: "AA"}}
	merged, added := mergeEvidence(existing, []*catalogv1.Document{{Name: "a2", Sha256: "aa"}, {Name: "b", Sha256: "bb"}, {Name: "b2", Sha256: "bb"}})
	require.Equal(t, 1, added)
	require.Len(t, merged, 2)
	require.Equal(t, "b", merged[1].GetName())
}

func TestEvidenceFileOnCreateAndUpdate(t *testing.T) {
	f := withFake(t)
	dir := t.TempDir()
	letter, scan := filepath.Join(dir, "承诺书.pdf"), filepath.Join(dir, "scan:01.pdf")
	require.NoError(t, os.WriteFile(letter, []byte("letter"), 0o600))
	require.NoError(t, os.WriteFile(scan, []byte("scan"), 0o600))

	mustRun(t, "asset", "create", "--name", "企业登记信息", "--evidence-file", letter+":commitment_letter", "--evidence-file", scan)
	docs := f.creates[0].GetAsset().GetEvidence()
	require.Len(t, docs, 2)
	require.Equal(t, "commitment_letter", docs[0].GetKind())
	require.Equal(t, "scan:01.pdf", docs[1].GetName(), "a colon not followed by a kind is part of the path")
	require.Equal(t, "other", docs[1].GetKind())

	mustRun(t, "asset", "update", fakeAsset, "--set", "summary=x", "--evidence-file", letter+":commitment_letter")
	req := lastRequest[*catalogv1.UpdateAssetRequest](f)
	require.Equal(t, []string{"summary", "evidence"}, req.GetUpdateMask().GetPaths())
	require.Len(t, req.GetAsset().GetEvidence(), 1)

	_, _, err := runCLI(t, context.Background(), "asset", "create", "--name", "x", "--evidence-file", filepath.Join(dir, "missing.pdf"))
	require.ErrorContains(t, err, "missing.pdf")
}
