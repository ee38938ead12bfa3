// Package domain holds the ledger's rules (issue 14): the money side of registered data
// assets as 财资〔2024〕1号 and 财会〔2023〕11号 describe it — unit types, recognition and
// amortisation, valuations, revenue and its distribution and remittance, and the guards on
// value-related risk. It is pure: no storage, no messaging, no clock of its own, so every
// figure it computes can be checked against a hand-computed table.
package domain
