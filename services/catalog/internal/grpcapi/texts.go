package grpcapi

import "yaosu.dev/pkg/grpcserver"

// The catalog's own words for fields whose shape alone says too little (see
// grpcserver.RegisterFieldText). They are registered when the package is loaded, before
// any request is validated, so the interceptor and the import's per-row checks
// (grpcserver.Violations) both use them.
func init() {
	// The pattern lets an empty holder through (a draft is saved field by field), but the
	// domain never accepts one: "must be empty or ..." would mislead.
	grpcserver.RegisterFieldText("yaosu.catalog.v1.Asset.holder_organisation", "string.pattern", grpcserver.Text{
		En: "must be the holder's 18-character unified social credit code (digits and capital letters, no I, O, S, V, Z), e.g. 91350100M000100Y43",
		Zh: "应为持有单位的18位统一社会信用代码（数字或大写字母，不含 I、O、S、V、Z），如 91350100M000100Y43",
	})
	// The pattern is a shape shared by nothing else; what the value is matters more.
	grpcserver.RegisterFieldText("yaosu.catalog.v1.CatalogueMetadata.resource_code", "string.pattern", grpcserver.Text{
		En: "must be empty or a resource code (信息资源代码): a classification code, then /, . or - and a sequence code, e.g. 101001/000123",
		Zh: "应留空，或为信息资源代码：分类代码后接 /、. 或 - 及顺序码，如 101001/000123",
	})
}
