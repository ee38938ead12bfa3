package tlog_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/tlog"
)

func TestRevisionChecker(t *testing.T) {
	t.Parallel()
	type event struct {
		resource string
		revision int64
		typ      string
	}
	tests := []struct {
		name   string
		events []event
		want   *tlog.Problem // the first problem, nil if none
	}{
		{name: "in order", events: []event{{"assets/x", 1, "t"}, {"assets/x", 2, "t"}, {"assets/x", 3, "t"}}},
		{name: "interleaved resources", events: []event{{"assets/x", 1, "t"}, {"assets/y", 1, "t"}, {"", 0, "t"}, {"assets/x", 2, "t"}, {"rights/r", 1, "t"}, {"assets/y", 2, "t"}, {"assets/x", 3, "t"}}},
		{name: "resourceless events skipped", events: []event{{"", 7, "t"}, {"", 7, "t"}, {"", -1, "t"}}},
		{name: "gap", events: []event{{"assets/x", 1, "t"}, {"assets/x", 3, "t"}},
			want: &tlog.Problem{Index: 1, Located: true, Reason: "assets/x: revision 3 after 1: revision 2 missing"}},
		{name: "wide gap", events: []event{{"assets/x", 1, "t"}, {"assets/y", 1, "t"}, {"assets/x", 5, "t"}},
			want: &tlog.Problem{Index: 2, Located: true, Reason: "assets/x: revision 5 after 1: revisions 2-4 missing"}},
		{name: "missing first revision", events: []event{{"assets/x", 2, "t"}},
			want: &tlog.Problem{Index: 0, Located: true, Reason: "assets/x: revision 2 after none: revision 1 missing"}},
		{name: "repeat", events: []event{{"assets/x", 1, "t"}, {"assets/x", 2, "t"}, {"assets/x", 2, "t"}},
			want: &tlog.Problem{Index: 2, Located: true, Reason: "assets/x: revision 2 repeated"}},
		{name: "decrease", events: []event{{"assets/x", 1, "t"}, {"assets/x", 2, "t"}, {"assets/x", 3, "t"}, {"assets/x", 1, "t"}},
			want: &tlog.Problem{Index: 3, Located: true, Reason: "assets/x: revision 1 after 3: revisions went backwards"}},
		{name: "one change, several event types", events: []event{{"assets/x", 1, "a"}, {"assets/x", 2, "p"}, {"assets/x", 2, "r"}, {"assets/x", 2, "c"}, {"assets/x", 3, "p"}}},
		{name: "same type twice at one revision", events: []event{{"assets/x", 1, "a"}, {"assets/x", 2, "p"}, {"assets/x", 2, "r"}, {"assets/x", 2, "p"}},
			want: &tlog.Problem{Index: 3, Located: true, Reason: "assets/x: revision 2 repeated"}},
		{name: "zero revision", events: []event{{"assets/x", 0, "t"}},
			want: &tlog.Problem{Index: 0, Located: true, Reason: "assets/x: revision 0: revisions start at 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tlog.NewRevisionChecker()
			var got *tlog.Problem
			for i, e := range tt.events {
				if got = c.Add(uint64(i), e.resource, e.revision, e.typ); got != nil {
					break
				}
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestRevisionCheckerReportsOneGapOnce(t *testing.T) {
	t.Parallel()
	c := tlog.NewRevisionChecker()
	require.Nil(t, c.Add(0, "assets/x", 1, "t"))
	require.NotNil(t, c.Add(1, "assets/x", 3, "t"))
	require.Nil(t, c.Add(2, "assets/x", 4, "t"), "the checker carries on from the revision after the gap")
	require.NotNil(t, c.Add(3, "assets/x", 2, "t"))
	require.Nil(t, c.Add(4, "assets/x", 5, "t"), "a late revision does not move the current one back")
}
