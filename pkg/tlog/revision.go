package tlog

import (
	"fmt"
	"slices"
)

// RevisionChecker checks that each resource's revisions run 1,2,3,... without gaps or
// repeats, in log order. The Merkle tree proves the log was not changed after signing; this
// catches events that were never published (a gap) or published twice (a repeat), which the
// tree alone cannot see.
//
// One change may emit several events of different types at one revision (a registration
// is `publicity.ended`, `asset.registered` and `certificate.issued`, written in one
// transaction); the same type twice at one revision is a repeat.
type RevisionChecker struct {
	last map[string]int64
	// types are the event types seen at each resource's last revision.
	types map[string][]string
}

// NewRevisionChecker returns a checker that has seen no revisions.
func NewRevisionChecker() *RevisionChecker {
	return &RevisionChecker{last: make(map[string]int64), types: make(map[string][]string)}
}

// Add records entry index's (resource, revision, event type) and returns a Problem for a gap
// ("assets/x: revision 3 after 1: revision 2 missing"), a repeat or a decrease. Resources
// with an empty name (events not about a revisioned resource) are skipped. After a gap the
// new revision is taken as current, so one lost event is reported once; after a repeat or
// decrease the higher revision stays current.
func (r *RevisionChecker) Add(index uint64, resource string, revision int64, eventType string) *Problem {
	if resource == "" {
		return nil
	}
	last := r.last[resource] // 0 when unseen: the first revision must be 1.
	switch {
	case revision == last+1:
		r.last[resource] = revision
		r.types[resource] = append(r.types[resource][:0], eventType)
		return nil
	case revision == last && last > 0 && !slices.Contains(r.types[resource], eventType):
		r.types[resource] = append(r.types[resource], eventType)
		return nil
	case revision < 1:
		return revisionProblem(index, "%s: revision %d: revisions start at 1", resource, revision)
	case revision > last+1:
		r.last[resource] = revision
		r.types[resource] = append(r.types[resource][:0], eventType)
		return revisionProblem(index, "%s: revision %d after %s: %s missing", resource, revision, after(last), missing(last+1, revision-1))
	case revision == last:
		return revisionProblem(index, "%s: revision %d repeated", resource, revision)
	default:
		return revisionProblem(index, "%s: revision %d after %d: revisions went backwards", resource, revision, last)
	}
}

func revisionProblem(index uint64, format string, args ...any) *Problem {
	return &Problem{Index: index, Located: true, Reason: fmt.Sprintf(format, args...)}
}

func after(last int64) string {
	if last == 0 {
		return "none"
	}
	return fmt.Sprint(last)
}

func missing(from, to int64) string {
	if from == to {
		return fmt.Sprintf("revision %d", from)
	}
	return fmt.Sprintf("revisions %d-%d", from, to)
}
