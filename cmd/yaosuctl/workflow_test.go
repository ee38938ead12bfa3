package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

// withFake starts a fake catalog with one asset whose open application is fakeApp, logs in,
// and returns the fake.
func withFake(t *testing.T) *fakeCatalog {
	t.Helper()
	isolate(t)
	f := &fakeCatalog{assets: []*catalogv1.Asset{{Name: fakeAsset, DisplayName: "企业登记信息", HolderOrganisation: testOrg,
		State: catalogv1.AssetState_ASSET_STATE_SUBMITTED, OpenApplication: fakeApp}}}
	t.Setenv(envAddr, startFake(t, f))
	t.Setenv(envToken, mintFor(t, "li.wei"))
	return f
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := runCLI(t, context.Background(), args...)
	require.NoError(t, err, "yaosuctl %s\n%s", strings.Join(args, " "), errOut)
	return out
}

func TestAssetUpdateSendsMaskAndEtag(t *testing.T) {
	f := withFake(t)
	id := strings.TrimPrefix(fakeAsset, "assets/")
	out := mustRun(t, "asset", "update", id, "--set", "summary=新摘要", "--set", "grade=重要数据", "--set", "tags=交通,流量",
		"--etag", `"4"`, "--reason", "补充")
	require.Contains(t, out, "GRADE         重要数据")
	req := lastRequest[*catalogv1.UpdateAssetRequest](f)
	require.Equal(t, fakeAsset, req.GetAsset().GetName())
	require.Equal(t, `"4"`, req.GetAsset().GetEtag())
	require.Equal(t, []string{"summary", "grade", "tags"}, req.GetUpdateMask().GetPaths())
	require.Equal(t, "补充", req.GetReason())

	// From a file as `asset get -o json` wrote it: output-only and immutable fields stay out
	// of the mask, the file's etag is the precondition.
	file := filepath.Join(t.TempDir(), "a.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"name":"assets/other","state":"ASSET_STATE_DRAFT","etag":"\"7\"",
		"displayName":"企业登记信息","holderOrganisation":"`+testOrg+`","catalogue":{"resourceCode":"101001/000123"}}`), 0o600))
	mustRun(t, "asset", "update", fakeAsset, "--from-file", file)
	req = lastRequest[*catalogv1.UpdateAssetRequest](f)
	require.Equal(t, []string{"display_name", "catalogue.resource_code"}, req.GetUpdateMask().GetPaths())
	require.Equal(t, `"7"`, req.GetAsset().GetEtag())
	require.Equal(t, fakeAsset, req.GetAsset().GetName(), "the argument names the asset, not the file")
	require.Zero(t, req.GetAsset().GetState())

	_, _, err := runCLI(t, context.Background(), "asset", "update", id)
	require.ErrorContains(t, err, "nothing to change")
	_, _, err = runCLI(t, context.Background(), "asset", "update", id, "--set", "grade=best")
	require.ErrorContains(t, err, `--set grade: "best" is not one of`)
}

func TestAssetCreateWithFullRecord(t *testing.T) {
	f := withFake(t)
	mustRun(t, "asset", "create", "--set", "display_name=企业登记信息", "--set", "kind=数据资源",
		"--set", "evidence=承诺书.pdf|"+strings.Repeat("0", 64)+"|10|commitment_letter", "--set", "contacts=张伟|管理员||zw@example.cn")
	req := f.creates[0]
	require.Equal(t, "企业登记信息", req.GetAsset().GetDisplayName())
	require.Equal(t, testOrg, req.GetAsset().GetHolderOrganisation())
	require.Equal(t, catalogv1.AssetKind_ASSET_KIND_DATA_RESOURCE, req.GetAsset().GetKind())
	require.Equal(t, "commitment_letter", req.GetAsset().GetEvidence()[0].GetKind())
	require.Equal(t, "zw@example.cn", req.GetAsset().GetContacts()[0].GetEmail())
}

func TestSubmitAndShortcuts(t *testing.T) {
	f := withFake(t)
	out := mustRun(t, "asset", "submit", fakeAsset)
	require.Contains(t, out, "TYPE         FIRST_REGISTRATION (首次登记)")
	require.Contains(t, out, "ASSET STATE  SUBMITTED")
	req := lastRequest[*catalogv1.SubmitApplicationRequest](f)
	require.Equal(t, catalogv1.ApplicationType_APPLICATION_TYPE_FIRST_REGISTRATION, req.GetType())
	require.Nil(t, req.GetProposed())

	mustRun(t, "asset", "change", fakeAsset, "--set", "update_cycle=daily", "--set", "catalogue.sharing_method=api", "--reason", "改为每日")
	req = lastRequest[*catalogv1.SubmitApplicationRequest](f)
	require.Equal(t, catalogv1.ApplicationType_APPLICATION_TYPE_CHANGE, req.GetType())
	require.Equal(t, []string{"update_cycle", "catalogue.sharing_method"}, req.GetUpdateMask().GetPaths())
	require.Equal(t, "daily", req.GetProposed().GetUpdateCycle())

	mustRun(t, "asset", "correct", fakeAsset, "--set", "summary=修正", "--reason", "错字")
	require.Equal(t, catalogv1.ApplicationType_APPLICATION_TYPE_CORRECTION, lastRequest[*catalogv1.SubmitApplicationRequest](f).GetType())
	mustRun(t, "asset", "cancel", fakeAsset, "--reason", "停用")
	require.Equal(t, catalogv1.ApplicationType_APPLICATION_TYPE_CANCELLATION, lastRequest[*catalogv1.SubmitApplicationRequest](f).GetType())
	mustRun(t, "asset", "submit", fakeAsset, "--type", "cancellation", "--reason", "停用")

	out = mustRun(t, "asset", "submit", fakeAsset, "-o", "json")
	var resp map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &resp))
	require.Equal(t, fakeApp, resp["application"]["name"])
	require.Equal(t, "ASSET_STATE_SUBMITTED", resp["asset"]["state"])

	for args, want := range map[string]string{
		"asset change " + fakeAsset + " --reason x":                                     "give --set",
		"asset change " + fakeAsset + " --set summary=x":                                "--reason is required",
		"asset cancel " + fakeAsset:                                                     "--reason is required",
		"asset submit " + fakeAsset + " --type renewal":                                 "--type must be first, change, correction or cancellation",
		"asset submit " + fakeAsset + " --set summary=x":                                "change it with `asset update` first",
		"asset submit " + fakeAsset + " --type cancellation --reason x --set summary=y": "takes no --set",
	} {
		_, _, err := runCLI(t, context.Background(), strings.Fields(args)...)
		require.ErrorContains(t, err, want, args)
	}
}

func TestApplicationCommands(t *testing.T) {
	f := withFake(t)
	// An asset id stands for its open application.
	out := mustRun(t, "application", "accept", strings.TrimPrefix(fakeAsset, "assets/"))
	require.Contains(t, out, "STATE        ACCEPTED")
	d := lastRequest[*catalogv1.DecideApplicationRequest](f)
	require.Equal(t, fakeApp, d.GetName())
	require.Equal(t, catalogv1.Decision_DECISION_ACCEPT, d.GetDecision())

	mustRun(t, "application", "not-accept", fakeApp, "--code", "materials_incomplete", "--reason", "缺少承诺书")
	d = lastRequest[*catalogv1.DecideApplicationRequest](f)
	require.Equal(t, catalogv1.Decision_DECISION_NOT_ACCEPT, d.GetDecision())
	require.Equal(t, "materials_incomplete", d.GetReasonCode())

	for decision, want := range map[string]catalogv1.Decision{"pass": catalogv1.Decision_DECISION_PASS, "RETURN": catalogv1.Decision_DECISION_RETURN,
		"refuse": catalogv1.Decision_DECISION_REFUSE} {
		mustRun(t, "application", "review", fakeApp, decision, "--code", "c", "--reason", "r")
		require.Equal(t, want, lastRequest[*catalogv1.DecideApplicationRequest](f).GetDecision())
	}
	// Without the app prefix too.
	mustRun(t, "app", "review", strings.TrimPrefix(fakeApp, "assets/"), "pass")
	require.Equal(t, fakeApp, lastRequest[*catalogv1.DecideApplicationRequest](f).GetName())

	mustRun(t, "application", "resubmit", fakeApp, "--set", "summary=改", "--reason", "已改")
	rs := lastRequest[*catalogv1.ResubmitApplicationRequest](f)
	require.Equal(t, []string{"summary"}, rs.GetUpdateMask().GetPaths())
	mustRun(t, "application", "resubmit", fakeApp)
	require.Nil(t, lastRequest[*catalogv1.ResubmitApplicationRequest](f).GetUpdateMask())
	mustRun(t, "application", "withdraw", fakeApp, "--reason", "重新准备")
	require.Equal(t, "重新准备", lastRequest[*catalogv1.WithdrawApplicationRequest](f).GetReason())

	out = mustRun(t, "application", "object", fakeApp, "--text", "权属有争议")
	require.Contains(t, out, "TEXT       权属有争议")
	objection := fakeApp + "/objections/0198c6f4-0000-7000-8000-000000000001"
	mustRun(t, "application", "resolve", objection, "uphold", "--resolution", "成立")
	r := lastRequest[*catalogv1.ResolveObjectionRequest](f)
	require.Equal(t, catalogv1.ObjectionState_OBJECTION_STATE_UPHELD, r.GetOutcome())
	require.Equal(t, objection, r.GetName())

	out = mustRun(t, "application", "get", fakeApp)
	require.Contains(t, out, "STATE      IN_PUBLICITY")
	require.Contains(t, out, "HISTORY")
	require.Contains(t, out, "权属有争议")
	require.Contains(t, out, "RAISED")

	out = mustRun(t, "application", "list", "--state", "submitted,ACCEPTED")
	require.Contains(t, out, fakeApp)
	l := lastRequest[*catalogv1.ListApplicationsRequest](f)
	require.Equal(t, "assets/-", l.GetParent())
	require.Equal(t, []catalogv1.ApplicationState{catalogv1.ApplicationState_APPLICATION_STATE_SUBMITTED,
		catalogv1.ApplicationState_APPLICATION_STATE_ACCEPTED}, l.GetStates())
	mustRun(t, "application", "list", "0198c6f2-7a4e-7b61-9f0e-2d1c3b4a5e6f")
	require.Equal(t, fakeAsset, lastRequest[*catalogv1.ListApplicationsRequest](f).GetParent())

	for args, want := range map[string]string{
		"application review " + fakeApp + " approve":                 "decision must be pass, return or refuse",
		"application review " + fakeApp + " return":                  "returning needs --reason",
		"application review " + fakeApp + " refuse --reason x":       "refusing needs --code",
		"application not-accept " + fakeApp + " --reason x":          "not accepting needs --code",
		"application object " + fakeApp:                              "--text is required",
		"application resolve " + fakeApp + " dismiss --resolution x": "is not an objection name",
		"application resolve " + objection + " ignore":               "outcome must be dismiss or uphold",
		"application list --state LOST":                              `--state: "LOST" is not one of`,
	} {
		_, _, err := runCLI(t, context.Background(), strings.Fields(args)...)
		require.ErrorContains(t, err, want, args)
	}
}

func TestApplicationOfAssetWithoutOpenApplication(t *testing.T) {
	f := withFake(t)
	f.assets[0].OpenApplication = ""
	_, _, err := runCLI(t, context.Background(), "application", "accept", fakeAsset)
	require.ErrorContains(t, err, fakeAsset+" has no open application (state SUBMITTED)")
}

func TestSuspendDisposeAndHistory(t *testing.T) {
	f := withFake(t)
	out := mustRun(t, "asset", "suspend", fakeAsset, "--incident", "疑似泄露", "--reference", "INC-42")
	require.Contains(t, out, "INCIDENT      疑似泄露 INC-42")
	require.Equal(t, "INC-42", lastRequest[*catalogv1.SuspendAssetRequest](f).GetIncident().GetReference())

	evidence := filepath.Join(t.TempDir(), "销毁记录.pdf")
	require.NoError(t, os.WriteFile(evidence, []byte("test"), 0o600))
	mustRun(t, "asset", "dispose", fakeAsset, "--method", "物理销毁", "--reason", "期满",
		"--evidence", "a.pdf:"+strings.Repeat("ab", 32)+":12", "--evidence-file", evidence)
	d := lastRequest[*catalogv1.RequestDisposalRequest](f).GetDisposal()
	require.Len(t, d.GetEvidence(), 2)
	require.Equal(t, "a.pdf", d.GetEvidence()[0].GetName())
	require.Equal(t, "销毁记录.pdf", d.GetEvidence()[1].GetName())
	require.Equal(t, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", d.GetEvidence()[1].GetSha256())
	require.EqualValues(t, 4, d.GetEvidence()[1].GetSizeBytes())

	mustRun(t, "asset", "dispose-approve", fakeAsset, "--note", "核对无误")
	dd := lastRequest[*catalogv1.DecideDisposalRequest](f)
	require.True(t, dd.GetApprove())
	mustRun(t, "asset", "dispose-reject", fakeAsset, "--note", "材料不全")
	require.False(t, lastRequest[*catalogv1.DecideDisposalRequest](f).GetApprove())
	_, _, err := runCLI(t, context.Background(), "asset", "dispose-approve", fakeAsset)
	require.ErrorContains(t, err, "--note is required")

	out = mustRun(t, "asset", "history", fakeAsset)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, "both pages")
	require.Regexp(t, `^REVISION +ACTION +ACTOR +TIME +REASON +CHANGED$`, lines[0])
	require.Contains(t, lines[1], "li.wei ("+testOrg+")")
	require.Contains(t, lines[1], "summary,catalogue.resource_code")
	require.Contains(t, lines[2], "create")
}

func TestCodesList(t *testing.T) {
	f := withFake(t)
	f.codeLists = &catalogv1.ListCodeListsResponse{Version: "2024.1", Lists: []*catalogv1.CodeList{
		{List: "sector", Codes: []*catalogv1.Code{{Code: "industrial_manufacturing", LabelZh: "工业制造", LabelEn: "Industrial manufacturing"}}},
		{List: "update_cycle", Codes: []*catalogv1.Code{{Code: "daily", LabelZh: "每日"}}},
	}}
	out := mustRun(t, "codes", "list")
	require.Contains(t, out, "industrial_manufacturing")
	require.Contains(t, out, "daily")
	out = mustRun(t, "codes", "list", "--list", "update_cycle", "-o", "json")
	require.NotContains(t, out, "industrial_manufacturing")
	require.Contains(t, out, `"version": "2024.1"`)
	_, _, err := runCLI(t, context.Background(), "codes", "list", "--version", "1999")
	require.ErrorContains(t, err, "NOT_FOUND")
}

func TestAssetListFilters(t *testing.T) {
	f := withFake(t)
	mustRun(t, "asset", "list", "--query", "交通 流量", "--holder", testOrg, "--kind", "数据产品", "--state", "registered,IN_PUBLICITY",
		"--grade", "IMPORTANT", "--category", "A01", "--sector", "transport", "--sharing", "有条件共享", "--open", "NOT_OPEN",
		"--updated-since", "2026-01-02T03:04:05Z")
	req := f.pageReqs[len(f.pageReqs)-1]
	require.Equal(t, "交通 流量", req.GetQuery())
	require.Equal(t, testOrg, req.GetHolderOrganisation())
	require.Equal(t, []catalogv1.AssetKind{catalogv1.AssetKind_ASSET_KIND_DATA_PRODUCT}, req.GetKinds())
	require.Equal(t, []catalogv1.AssetState{catalogv1.AssetState_ASSET_STATE_REGISTERED, catalogv1.AssetState_ASSET_STATE_IN_PUBLICITY}, req.GetStates())
	require.Equal(t, []catalogv1.Grade{catalogv1.Grade_GRADE_IMPORTANT}, req.GetGrades())
	require.Equal(t, []string{"A01"}, req.GetCategories())
	require.Equal(t, []string{"transport"}, req.GetSectors())
	require.Equal(t, []catalogv1.SharingAttribute{catalogv1.SharingAttribute_SHARING_ATTRIBUTE_CONDITIONAL}, req.GetSharingAttributes())
	require.Equal(t, []catalogv1.OpenAttribute{catalogv1.OpenAttribute_OPEN_ATTRIBUTE_NOT_OPEN}, req.GetOpenAttributes())
	require.Equal(t, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), req.GetUpdatedSince().AsTime())

	before := time.Now()
	mustRun(t, "asset", "list", "--updated-since", "24h")
	since := f.pageReqs[len(f.pageReqs)-1].GetUpdatedSince().AsTime()
	require.WithinDuration(t, before.Add(-24*time.Hour), since, time.Minute)
	_, _, err := runCLI(t, context.Background(), "asset", "list", "--updated-since", "yesterday")
	require.ErrorContains(t, err, "--updated-since")
	_, _, err = runCLI(t, context.Background(), "asset", "list", "--grade", "TOP")
	require.ErrorContains(t, err, "--grade")
}

func TestSetResolvesCodeLabels(t *testing.T) {
	f := withFake(t)
	f.codeLists = testCodeBookResponse()
	mustRun(t, "asset", "update", fakeAsset, "--set", "update_cycle=每日", "--set", "sectors=工业制造,transport", "--set", "category=C13")
	a := lastRequest[*catalogv1.UpdateAssetRequest](f).GetAsset()
	require.Equal(t, "daily", a.GetUpdateCycle())
	require.Equal(t, []string{"industrial_manufacturing", "transport"}, a.GetSectors())
	require.Equal(t, "C13", a.GetCategory())
	_, _, err := runCLI(t, context.Background(), "asset", "update", fakeAsset, "--set", "update_cycle=每季")
	require.ErrorContains(t, err, `--set update_cycle: "每季" is neither a code nor a label of code list update_cycle`)

	// Without code lists the value goes as given, with a warning.
	f.codeLists = nil
	_, errOut, err := runCLI(t, context.Background(), "asset", "update", fakeAsset, "--set", "update_cycle=每日")
	require.NoError(t, err)
	require.Contains(t, errOut, "warning: no code lists to resolve labels")
	require.Equal(t, "每日", lastRequest[*catalogv1.UpdateAssetRequest](f).GetAsset().GetUpdateCycle())
}
