package domain

// This file stands in for errors.go, which another helper owns; the integrator drops this
// file in favour of errors.go. The names and shapes are those given in the rules for
// issue 14, so that code written against either file compiles against the other.

// Reason is a stable code for a refused rule, the same in every language.
type Reason string

// RuleError is a rule of the ledger refusing something, with its reason and its text in
// English and Chinese.
type RuleError struct {
	Reason Reason
	En, Zh string
}

func (e *RuleError) Error() string { return string(e.Reason) + ": " + e.En }
