package check

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/rights/internal/domain"
)

func TestCompileCondition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		expr, wantErr string
	}{
		{expr: `context.project == "P-17" && request.region.startsWith("35")`},
		{expr: `request.purpose in ["COMMERCE", "TRANSPORT"] && request.delivery_form != "RAW_COPY"`},
		{expr: `request.time < timestamp("2027-01-01T00:00:00Z")`},
		{expr: `has(context.project) && context.amount <= 100`},
		{expr: `request.organisation.matches("^9135")`},
		{expr: `true`},
		{expr: `context.project ==`, wantErr: "Syntax error"},
		{expr: `project == "P-17"`, wantErr: "undeclared reference"},
		{expr: `context.project`, wantErr: "must be a bool"},
		{expr: `1 + 2`, wantErr: "must be a bool"},
		{expr: `request.region`, wantErr: "must be a bool"},
		{expr: `"x" + 1 == "x1"`, wantErr: "no matching overload"},
		{expr: strings.Repeat("true && ", 300) + "true", wantErr: "longer than"},
	} {
		err := CompileCondition(tc.expr)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.expr, err)
			}
			continue
		}
		e, ok := errs.As(err)
		switch {
		case !ok:
			t.Errorf("%q: got %v, want an error containing %q", tc.expr, err, tc.wantErr)
		case e.Kind != errs.KindInvalidArgument || e.Reason != domain.ReasonInvalidCondition ||
			len(e.Violations) != 1 || e.Violations[0].Field != "grant.condition":
			t.Errorf("%q: got %+v, want INVALID_ARGUMENT %s on grant.condition", tc.expr, e, domain.ReasonInvalidCondition)
		case !strings.Contains(e.Violations[0].Description, tc.wantErr):
			t.Errorf("%q: got %q, want it to contain %q", tc.expr, e.Violations[0].Description, tc.wantErr)
		}
	}
}

func TestConditionEval(t *testing.T) {
	t.Parallel()
	in := domain.CheckInput{
		Organisation: grantee, AssetID: assetA, Right: domain.RightProcessingUse, Purpose: "COMMERCE",
		DeliveryForm: domain.FormAPI, Region: "350102", At: t0,
		// As a google.protobuf.Struct arrives (AsMap): numbers are float64.
		Context: map[string]any{"project": "P-17", "amount": float64(42), "tags": []any{"a", "b"},
			"nested": map[string]any{"ok": true}, "nothing": nil},
	}
	c := NewConditions(0, 0)
	for _, tc := range []struct {
		expr    string
		want    bool
		wantErr string
	}{
		{expr: `context.project == "P-17" && request.region.startsWith("35")`, want: true},
		{expr: `context.project == "P-18"`, want: false},
		{expr: `request.organisation == "` + grantee + `"`, want: true},
		{expr: `request.purpose == "COMMERCE" && request.delivery_form == "API"`, want: true},
		{expr: `request.time == timestamp("2026-03-01T00:00:00Z")`, want: true},
		{expr: `request.time > timestamp("2026-03-01T00:00:00Z")`, want: false},
		{expr: `context.amount > 41 && context.amount == 42 && context.amount < 42.5`, want: true},
		{expr: `"b" in context.tags && size(context.tags) == 2`, want: true},
		{expr: `context.nested.ok == true`, want: true},
		{expr: `context.nothing == null`, want: true},
		{expr: `has(context.missing)`, want: false},
		{expr: `context.missing == "x"`, wantErr: "no such key"},
		{expr: `context.project == 1`, want: false},
		{expr: `context.project > 1`, wantErr: "no such overload"},
		{expr: `context.project`, wantErr: "must be a bool"},
	} {
		ok, err := c.Eval(&domain.Grant{ID: "g", Condition: tc.expr}, in)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: got %v, %v; want an error containing %q", tc.expr, ok, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || ok != tc.want):
			t.Errorf("%s: got %v, %v; want %v", tc.expr, ok, err, tc.want)
		}
	}
	if ok, err := c.Eval(&domain.Grant{}, in); !ok || err != nil {
		t.Errorf("no condition: %v, %v", ok, err)
	}
	in.Context = nil
	if ok, err := c.Eval(&domain.Grant{Condition: `!has(context.project)`}, in); !ok || err != nil {
		t.Errorf("nil context: %v, %v", ok, err)
	}
}

// A hostile condition is stopped by the cost limit: the check is denied, quickly.
func TestConditionCostLimit(t *testing.T) {
	t.Parallel()
	list := make([]any, 1000)
	for i := range list {
		list[i] = float64(i)
	}
	expr := `context.l.all(a, context.l.all(b, context.l.all(c, a + b + c >= 0.0)))`
	if err := CompileCondition(expr); err != nil {
		t.Fatal(err)
	}
	g := testGraph(assetA, domain.StateActive)
	g.Grants["g1"].Condition = expr
	g.Index()
	l := &memLoader{}
	l.set(assetA, g)
	c := New(l, nil)
	in := useOf(assetA)
	in.Context = map[string]any{"l": list}
	start := time.Now()
	d := mustCheck(t, c, in)
	if d.Allowed || d.Denial != domain.DenyConditionFalse || !strings.Contains(d.Detail, "cost limit") {
		t.Fatalf("decision %+v", d)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("the hostile condition took %v", el)
	}
	in.Context = map[string]any{"l": []any{1.0, 2.0}}
	if d := mustCheck(t, c, in); !d.Allowed {
		t.Fatalf("the same condition on a small list: %+v", d)
	}
}

func TestConditionProgramCacheIsBounded(t *testing.T) {
	t.Parallel()
	c := NewConditions(8, 0)
	in := domain.CheckInput{At: t0, Context: map[string]any{"n": 3.0}}
	for i := range 100 {
		ok, err := c.Eval(&domain.Grant{Condition: fmt.Sprintf("context.n < %d", i)}, in)
		if err != nil || ok != (i > 3) {
			t.Fatalf("%d: %v, %v", i, ok, err)
		}
	}
	if n := c.Len(); n > 8 {
		t.Fatalf("%d programs cached, want at most 8", n)
	}
	// A hot expression stays while others come and go.
	hot := &domain.Grant{Condition: "context.n == 3"}
	c.Eval(hot, in)
	p := c.program(hot.Condition)
	for i := range 20 {
		c.Eval(&domain.Grant{Condition: fmt.Sprintf("context.n > %d", i)}, in)
		c.Eval(hot, in)
	}
	if c.program(hot.Condition) != p {
		t.Fatal("a program used on every other evaluation was evicted")
	}
	// An invalid stored condition fails every time (and is not recompiled).
	bad := &domain.Grant{Condition: "context.n +"}
	for range 3 {
		if ok, err := c.Eval(bad, in); ok || err == nil {
			t.Fatalf("invalid condition: %v, %v", ok, err)
		}
	}
}

// Every condition along the chain is evaluated with the CEL evaluator through the checker.
func TestCheckerEvaluatesConditions(t *testing.T) {
	t.Parallel()
	g := testGraph(assetA, domain.StateActive)
	g.Grants["g1"].Condition = `context.project == "P-17"`
	g.Grants["g1"].SublicenseDepth = 1
	g.Grants["g2"] = &domain.Grant{ID: "g2", AssetID: assetA, Right: domain.RightProcessingUse, Grantor: grantee, Grantee: subLic,
		ParentID: "g1", Depth: 2, Scope: g.Grants["g1"].Scope, ValidFrom: t0, ValidUntil: t0.AddDate(1, 0, 0),
		State: domain.StateActive, Condition: `request.region.startsWith("3501")`}
	g.Index()
	l := &memLoader{}
	l.set(assetA, g)
	c := New(l, nil)
	in := useOf(assetA)
	in.Organisation, in.Region = subLic, "350102"
	for _, tc := range []struct {
		ctx    map[string]any
		region string
		want   bool
	}{
		{map[string]any{"project": "P-17"}, "350102", true},
		{map[string]any{"project": "P-18"}, "350102", false}, // the parent's condition binds the sub-licensee
		{map[string]any{"project": "P-17"}, "350203", false},
		{nil, "350102", false},
	} {
		in.Context, in.Region = tc.ctx, tc.region
		d := mustCheck(t, c, in)
		if d.Allowed != tc.want || (!d.Allowed && d.Denial != domain.DenyConditionFalse) {
			t.Errorf("%v in %s: %+v", tc.ctx, tc.region, d)
		}
		if d.Allowed && strings.Join(d.Chain, ",") != "grants/g2,grants/g1" {
			t.Errorf("chain %v", d.Chain)
		}
	}
}
