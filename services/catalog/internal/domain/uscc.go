package domain

import "yaosu.dev/pkg/uscc"

// ValidUSCC reports whether code is a well-formed unified social credit code
// (统一社会信用代码): 18 characters of the GB 32100 alphabet, positions 3–8 digits (the
// administrative division), and a correct check digit (pkg/uscc holds the rule, which the
// ledger shares).
func ValidUSCC(code string) bool { return uscc.Valid(code) }
