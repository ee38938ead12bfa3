// Package domain holds the ledger's rules (issue 14): the money side of registered data
// assets as 财资〔2024〕1号 and 财会〔2023〕11号 describe it — unit types, recognition and
// amortisation, valuations, revenue and its distribution and remittance, and the guards on
// value-related risk. It is pure: no storage, no messaging, no clock of its own (dates are
// CivilDate arguments, instants time.Time arguments), so every figure it computes can be
// checked against a hand-computed table.
//
// One file a rule:
//
//   - money.go: money is Fen, whole fen in an int64, never a float; yuan text in and out.
//   - errors.go: RuleError (reason code, English, Chinese) and every Reason the package returns.
//   - period.go: CivilDate, YearMonth and accounting periods; the financial year is the calendar year.
//   - unit.go: unit kind from the USCC (GB 32100, check character) and the regime it puts a unit under.
//   - booking.go: recognition under 财会〔2023〕11号 — class, acquisition mode, cost components, two-person confirmation.
//   - amortise.go: monthly amortisation schedules, impairment and write-off, conserving every fen.
//   - split.go: revenue split by exact ratios, largest remainder, sums exact to the fen.
//   - remit.go: revenue remittance under 财资〔2024〕1号 — what is remitted, due dates, status, reconciliation.
//   - valuation.go: valuation records under 中评协〔2023〕17号, validity, supersession, cost and income method arithmetic.
//   - guard.go: pledges refused for 行政事业单位 (财资〔2024〕1号) and value-risk flags (stale or high valuations, revenue outside a grant).
package domain
