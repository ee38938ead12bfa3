package grpcapi

import (
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/grpcserver"
)

// The buf.validate rules of CheckRequest and BatchCheckRequest, written out by hand for
// the interceptor (grpcserver.MethodOptions.Validate). protovalidate interprets the rules
// through CEL and reflection, which cost Check about as much as answering it; these
// return the violations protovalidate returns, with its field paths and messages, in its
// order, in the same words (grpcserver.Describe), and TestCheckValidationMatchesProtovalidate
// holds them to it on generated requests. A change to the rules in the proto must be made here too (that test fails
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
		return []errs.FieldViolation{errs.Violation("", "not a CheckRequest", "不是 CheckRequest 请求")}
	}
	return validateCheck(nil, "", r)
}

// ValidateBatchCheck is BatchCheckRequest's rules: nil when req is valid.
func ValidateBatchCheck(req any) []errs.FieldViolation {
	r, ok := req.(*rightsv1.BatchCheckRequest)
	if !ok {
		return []errs.FieldViolation{errs.Violation("", "not a BatchCheckRequest", "不是 BatchCheckRequest 请求")}
	}
	var out []errs.FieldViolation
	switch n := len(r.GetChecks()); {
	case n < 1:
		out = append(out, ruleViolation(batchFields, "", "checks", "repeated.min_items"))
	case n > maxBatchChecks:
		out = append(out, ruleViolation(batchFields, "", "checks", "repeated.max_items"))
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
	add := func(field protoreflect.Name, rule string) {
		out = append(out, ruleViolation(checkFields, prefix, field, rule))
	}
	if !organisationCode(r.GetOrganisation()) {
		add("organisation", "string.pattern")
	}
	if !assetName(r.GetAsset()) {
		add("asset", "string.pattern")
	}
	if rule := rightViolation(r.GetRight()); rule != "" {
		add("right", rule)
	}
	switch n := utf8.RuneCountInString(r.GetPurpose()); {
	case n < 1:
		add("purpose", "string.min_len")
	case n > maxPurposeLength:
		add("purpose", "string.max_len")
	}
	if rule := formViolation(r.GetDeliveryForm()); rule != "" {
		add("delivery_form", rule)
	}
	if !regionCode(r.GetRegion()) {
		add("region", "string.pattern")
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

// enumViolation is the rule id an enum value breaks, "" if none.
func enumViolation(defined, zero bool) string {
	switch {
	case !defined:
		return "enum.defined_only"
	case zero:
		return "enum.not_in"
	}
	return ""
}

var (
	checkFields = (&rightsv1.CheckRequest{}).ProtoReflect().Descriptor().Fields()
	batchFields = (&rightsv1.BatchCheckRequest{}).ProtoReflect().Descriptor().Fields()
)

// ruleViolation is the violation of rule by field (of fields) at prefix+field, in the
// words the interceptor's protovalidate path uses. Only refusals pay for it.
func ruleViolation(fields protoreflect.FieldDescriptors, prefix string, field protoreflect.Name, rule string) errs.FieldViolation {
	t, _ := grpcserver.Describe(fields.ByName(field), rule)
	return errs.Violation(prefix+string(field), t.En, t.Zh)
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
