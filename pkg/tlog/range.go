package tlog

import "github.com/transparency-dev/merkle/compact"

// RangeNodeIDs lists the complete subtrees that cover a tree of size leaves, left to right:
// the nodes whose hashes ResumeBuilder needs to continue that tree.
func RangeNodeIDs(size uint64) []NodeID {
	return nodeIDs(compact.RangeNodes(0, size, nil))
}
