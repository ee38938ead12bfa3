package grpcapi

import (
	"strconv"
	"unicode/utf8"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/pkg/errs"
)

// The buf.validate rules of CheckRequest and BatchCheckRequest, written out by hand for
// the interceptor (grpcserver.MethodOptions.Validate). protovalidate interprets the rules
// through CEL and reflection, which cost Check about as much as answering it; these
// return the violations protovalidate returns, with its field paths and messages, in its
// order, and TestCheckValidationMatchesProtovalidate holds them to it on generated
// requests. A change to the rules in the proto must be made here too (that test fails
// until it is).
const (
	organisationPattern = "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
	assetPattern        = "^assets/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
	regionPattern       = "^$|^[0-9]{2}([0-9]{2}){0,2}$"
	maxPurposeLength    = 40
	maxBatchChecks      = 100
)

// ValidateCheck is CheckRequest's rules: nil when req is valid.
func ValidateCheck(req any) []errs.FieldViolation {
	r, ok := req.(*rightsv1.CheckRequest)
	if !ok {
		return []errs.FieldViolation{{Field: "", Description: "not a CheckRequest"}}
	}
	return validateCheck(nil, "", r)
}

// ValidateBatchCheck is BatchCheckRequest's rules: nil when req is valid.
func ValidateBatchCheck(req any) []errs.FieldViolation {
	r, ok := req.(*rightsv1.BatchCheckRequest)
	if !ok {
		return []errs.FieldViolation{{Field: "", Description: "not a BatchCheckRequest"}}
	}
	var out []errs.FieldViolation
	switch n := len(r.GetChecks()); {
	case n < 1:
		out = append(out, errs.FieldViolation{Field: "checks", Description: "must contain at least 1 item(s)"})
	case n > maxBatchChecks:
		out = append(out, errs.FieldViolation{Field: "checks",
			Description: "must contain no more than " + strconv.Itoa(maxBatchChecks) + " item(s)"})
	}
	for i, c := range r.GetChecks() {
		if checkValid(c) {
			continue
		}
		out = validateCheck(out, "checks["+strconv.Itoa(i)+"].", c)
	}
	return out
}

// checkValid reports whether r breaks no rule, without allocating.
func checkValid(r *rightsv1.CheckRequest) bool {
	return organisationCode(r.GetOrganisation()) && assetName(r.GetAsset()) && rightViolation(r.GetRight()) == "" &&
		purposeValid(r.GetPurpose()) && formViolation(r.GetDeliveryForm()) == "" && regionCode(r.GetRegion())
}

func validateCheck(out []errs.FieldViolation, prefix string, r *rightsv1.CheckRequest) []errs.FieldViolation {
	if checkValid(r) {
		return out
	}
	add := func(field, desc string) {
		out = append(out, errs.FieldViolation{Field: prefix + field, Description: desc})
	}
	if !organisationCode(r.GetOrganisation()) {
		add("organisation", "does not match regex pattern `"+organisationPattern+"`")
	}
	if !assetName(r.GetAsset()) {
		add("asset", "does not match regex pattern `"+assetPattern+"`")
	}
	if d := rightViolation(r.GetRight()); d != "" {
		add("right", d)
	}
	switch n := utf8.RuneCountInString(r.GetPurpose()); {
	case n < 1:
		add("purpose", "must be at least 1 characters")
	case n > maxPurposeLength:
		add("purpose", "must be at most "+strconv.Itoa(maxPurposeLength)+" characters")
	}
	if d := formViolation(r.GetDeliveryForm()); d != "" {
		add("delivery_form", d)
	}
	if !regionCode(r.GetRegion()) {
		add("region", "does not match regex pattern `"+regionPattern+"`")
	}
	return out
}

func purposeValid(s string) bool {
	if len(s) >= 1 && len(s) <= maxPurposeLength {
		return true // as many characters as bytes at most, and at least one
	}
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= maxPurposeLength
}

// rightViolation and formViolation are the rules the two enums of a check share:
// defined_only, not_in [0].
func rightViolation(r rightsv1.Right) string {
	_, defined := rightsv1.Right_name[int32(r)]
	return enumViolation(defined, r == 0)
}

func formViolation(f rightsv1.DeliveryForm) string {
	_, defined := rightsv1.DeliveryForm_name[int32(f)]
	return enumViolation(defined, f == 0)
}

func enumViolation(defined, zero bool) string {
	switch {
	case !defined:
		return "value must be one of the defined enum values"
	case zero:
		return "must not be in list [0]"
	}
	return ""
}

// organisationCode matches organisationPattern: a unified social credit code's form.
func organisationCode(s string) bool {
	if len(s) != 18 {
		return false
	}
	for i := 0; i < 18; i++ {
		c := s[i]
		if i >= 2 && i < 8 {
			if c < '0' || c > '9' {
				return false
			}
			continue
		}
		if !codeChar(c) {
			return false
		}
	}
	return true
}

// codeChar is [0-9A-HJ-NPQRTUWXY].
func codeChar(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'A' && c <= 'H', c >= 'J' && c <= 'N':
		return true
	}
	switch c {
	case 'P', 'Q', 'R', 'T', 'U', 'W', 'X', 'Y':
		return true
	}
	return false
}

// assetName matches assetPattern.
func assetName(s string) bool {
	const prefix = "assets/"
	if len(s) != len(prefix)+36 || s[:len(prefix)] != prefix {
		return false
	}
	for i, c := range []byte(s[len(prefix):]) {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

// regionCode matches regionPattern: empty, or 2, 4 or 6 digits.
func regionCode(s string) bool {
	switch len(s) {
	case 0:
		return true
	case 2, 4, 6:
	default:
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
