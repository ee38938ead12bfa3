package tlog

import "crypto/sha256"

// hashSize is the length in bytes of every hash in the tree.
const hashSize = sha256.Size

// RFC 6962 section 2.1 domain separation prefixes.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

var emptyRoot = sha256.Sum256(nil)

// LeafHash is the RFC 6962 leaf hash of an entry: SHA-256(0x00 || body).
func LeafHash(body []byte) []byte {
	h := sha256.New()
	h.Write([]byte{leafPrefix})
	h.Write(body)
	return h.Sum(make([]byte, 0, hashSize))
}

// HashChildren is the RFC 6962 interior hash: SHA-256(0x01 || l || r).
func HashChildren(l, r []byte) []byte {
	if len(l) == hashSize && len(r) == hashSize {
		h := hashPair((*[hashSize]byte)(l), (*[hashSize]byte)(r))
		return h[:]
	}
	// Only reachable with malformed proof input; keep it correct rather than fast.
	h := sha256.New()
	h.Write([]byte{nodePrefix})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

// EmptyRoot is the root of the empty tree (SHA-256 of nothing).
func EmptyRoot() []byte {
	r := emptyRoot
	return r[:]
}

// hashPair hashes two 32-byte children through a stack buffer, so hot loops (RootOf,
// Verify) do not allocate.
func hashPair(l, r *[hashSize]byte) [hashSize]byte {
	var buf [1 + 2*hashSize]byte
	buf[0] = nodePrefix
	copy(buf[1:], l[:])
	copy(buf[1+hashSize:], r[:])
	return sha256.Sum256(buf[:])
}
