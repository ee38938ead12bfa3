// Package domain holds the catalog's aggregates and rules. It depends only on the standard
// library and pkg/errs: no transport, no database. Every rule violation is an *errs.Error
// whose reason names the rule (the reasons mirror catalogv1.ErrorReason).
package domain
