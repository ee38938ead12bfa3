// Package tlog holds the primitives of Yaosu's tamper-evident audit log: an RFC 6962 Merkle
// tree over the published events and C2SP signed-note checkpoints over that tree.
//
// The audit server and the offline verifier (`yaosuctl audit verify`) both use it, so
// everything here is independent of where entries come from: an entry is an opaque byte
// string (the event envelope exactly as published on NATS) and entry i (0-based) is stream
// message i+1.
//
// Rules:
//   - Hashes are SHA-256 (32 bytes); leaf and interior hashes are domain-separated as RFC 6962
//     requires, so a leaf can never be passed off as an interior node.
//   - A checkpoint is "<origin>\n<size>\n<base64 root>\ntime <RFC3339Nano UTC>\n" signed as a
//     note whose key name is the origin; verifiers pin the verifier key string.
//   - Verify and friends report what is wrong with the log as a *Problem and reserve error for
//     failures to check at all (bad input, a prover that cannot answer).
package tlog
