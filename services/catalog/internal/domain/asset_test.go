package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/catalog/internal/domain"
)

func TestValidUSCC(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code string
		ok   bool
	}{
		{"91350100M000100Y43", true},
		{"91110000600037341L", true},
		{"91350100M000100Y44", false}, // wrong check digit
		{"91350100M000100Y4", false},  // 17 characters
		{"91350100M000100Y433", false},
		{"91350100M000100I43", false}, // I is not in the alphabet
		{"913501O0M000100Y43", false}, // division code must be digits
		{"91350100m000100Y43", false}, // lower case
		{"", false},
	}
	for _, c := range cases {
		require.Equal(t, c.ok, domain.ValidUSCC(c.code), c.code)
	}
}

func TestNewDraft(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CST", 8*3600))
	a, err := domain.NewDraft("id-1", "  企业登记信息 ", " 摘要 ", "91350100M000100Y43", "alice", now)
	require.NoError(t, err)
	require.Equal(t, "企业登记信息", a.DisplayName())
	require.Equal(t, "摘要", a.Summary())
	require.Equal(t, domain.StateDraft, a.State())
	require.EqualValues(t, 1, a.Revision())
	require.Equal(t, `W/"1"`, a.ETag())
	require.Equal(t, "assets/id-1", a.Name())
	require.Equal(t, time.UTC, a.CreateTime().Location())
	require.Equal(t, 123456000, a.CreateTime().Nanosecond(), "truncated to what Postgres stores")
	require.Equal(t, a.Snapshot(), domain.FromSnapshot(a.Snapshot()).Snapshot())

	for name, tc := range map[string]struct {
		display, holder, reason, field string
	}{
		"blank name":     {"   ", "91350100M000100Y43", errs.ReasonValidation, "asset.display_name"},
		"long name":      {strings.Repeat("数", 201), "91350100M000100Y43", errs.ReasonValidation, "asset.display_name"},
		"bad holder":     {"x", "91350100M000100Y44", domain.ReasonInvalidOrganisationCode, "asset.holder_organisation"},
		"missing holder": {"x", "", domain.ReasonInvalidOrganisationCode, "asset.holder_organisation"},
	} {
		_, err := domain.NewDraft("id", tc.display, "", tc.holder, "alice", now)
		e, ok := errs.As(err)
		require.True(t, ok, name)
		require.Equal(t, errs.KindInvalidArgument, e.Kind, name)
		require.Equal(t, tc.reason, e.Reason, name)
		require.Equal(t, tc.field, e.Violations[0].Field, name)
	}
	_, err = domain.NewDraft("id", strings.Repeat("数", 200), "", "91350100M000100Y43", "alice", now)
	require.NoError(t, err, "200 characters (not bytes) is the limit")
}

func TestCallerRules(t *testing.T) {
	t.Parallel()
	const own, other = "91350100M000100Y43", "91110000600037341L"
	a, err := domain.NewDraft("id", "x", "", own, "alice", time.Now())
	require.NoError(t, err)
	cases := []struct {
		name     string
		caller   domain.Caller
		holder   string
		createOK bool
		reason   string
		canRead  bool
	}{
		{"registrar own org", domain.Caller{Organisation: own, CanRegister: true}, own, true, "", true},
		{"registrar other org", domain.Caller{Organisation: other, CanRegister: true}, own, false, domain.ReasonHolderNotCallerOrg, false},
		{"no register role", domain.Caller{Organisation: own}, own, false, errs.ReasonForbidden, true},
		{"admin elsewhere", domain.Caller{Organisation: other, CanRegister: true, CrossOrganisationWrite: true, CrossOrganisationRead: true}, own, true, "", true},
		{"auditor elsewhere", domain.Caller{Organisation: other, CrossOrganisationRead: true}, own, false, errs.ReasonForbidden, true},
	}
	for _, c := range cases {
		err := c.caller.CheckCreate(c.holder)
		if c.createOK {
			require.NoError(t, err, c.name)
		} else {
			require.Equal(t, errs.KindPermissionDenied, errs.KindOf(err), c.name)
			require.Equal(t, c.reason, errs.ReasonOf(err), c.name)
		}
		require.Equal(t, c.canRead, c.caller.CanRead(a), c.name)
	}
}
