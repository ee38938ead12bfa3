package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
)

const grantNamePrefix = "grants/"

// exitDenied is the exit status of `rights check` when the use is denied.
const exitDenied = 3

// chinaTime is the zone of dates given as YYYY-MM-DD: China Standard Time, the registry's.
var chinaTime = time.FixedZone("CST", 8*60*60)

// rightsEnumLabels are the Chinese labels and short spellings the rights commands accept
// for the rights enums (besides the value names, with or without prefix, in any case and
// with - for _). The first label of each value is the one shown in choices.
var rightsEnumLabels = map[protoreflect.FullName]map[protoreflect.EnumNumber][]string{
	(rightsv1.Right)(0).Descriptor().FullName(): {
		1: {"持有权", "数据资源持有权"}, 2: {"加工使用权", "数据加工使用权"}, 3: {"产品经营权", "数据产品经营权"},
	},
	(rightsv1.DeliveryForm)(0).Descriptor().FullName(): {
		1: {"原始数据导出", "原始数据", "原始副本", "raw"}, 2: {"接口"}, 3: {"模型", "可用不可见"}, 4: {"核验"}, 5: {"统计汇总结果", "统计", "汇总统计"},
	},
	(rightsv1.FeeTerms)(0).Descriptor().FullName(): {
		1: {"有条件无偿", "无偿", "free"}, 2: {"有条件有偿", "有偿", "paid"},
	},
	(rightsv1.LegalBasisKind)(0).Descriptor().FullName(): {
		1: {"法律", "法规", "法律法规"}, 2: {"合同"}, 3: {"授权", "授权书", "授权运营协议", "authorization"},
	},
	(rightsv1.TransferCause)(0).Descriptor().FullName(): {
		1: {"合同"}, 2: {"合并"}, 3: {"分立"}, 4: {"解散"}, 5: {"破产"}, 6: {"法定", "法律"},
	},
	(rightsv1.GrantState)(0).Descriptor().FullName(): {
		1: {"申请中"}, 2: {"生效"}, 3: {"中止"}, 4: {"撤销"}, 5: {"到期"}, 6: {"驳回"},
	},
}

// purposeLabels are the Chinese and English labels of the purpose codes (the catalog's
// `sector` list: the 12 数据要素× sectors and OTHER), so --purpose takes either.
var purposeLabels = map[string][]string{
	"INDUSTRIAL_MANUFACTURING": {"工业制造", "Industrial manufacturing"},
	"MODERN_AGRICULTURE":       {"现代农业", "Modern agriculture"},
	"COMMERCE":                 {"商贸流通", "Commerce and distribution"},
	"TRANSPORT":                {"交通运输", "Transport"},
	"FINANCIAL_SERVICES":       {"金融服务", "Financial services"},
	"SCIENCE_INNOVATION":       {"科技创新", "Science and technology innovation"},
	"CULTURE_TOURISM":          {"文化旅游", "Culture and tourism"},
	"HEALTHCARE":               {"医疗健康", "Healthcare"},
	"EMERGENCY_MANAGEMENT":     {"应急管理", "Emergency management"},
	"METEOROLOGY":              {"气象服务", "Meteorological services"},
	"URBAN_GOVERNANCE":         {"城市治理", "Urban governance"},
	"GREEN_LOW_CARBON":         {"绿色低碳", "Green and low-carbon"},
	"OTHER":                    {"其他", "Other"},
}

const (
	timeHelp   = "RFC 3339 (2026-03-01T09:00:00+08:00) or a date YYYY-MM-DD (midnight China time, +08:00)"
	asOfHelp   = "answer as of `TIME` (auditors and internal systems): " + timeHelp + ", or a duration ago (24h)"
	purposeDoc = "Purposes are sector codes or their Chinese labels: INDUSTRIAL_MANUFACTURING (工业制造),\n" +
		"MODERN_AGRICULTURE (现代农业), COMMERCE (商贸流通), TRANSPORT (交通运输), FINANCIAL_SERVICES\n" +
		"(金融服务), SCIENCE_INNOVATION (科技创新), CULTURE_TOURISM (文化旅游), HEALTHCARE (医疗健康),\n" +
		"EMERGENCY_MANAGEMENT (应急管理), METEOROLOGY (气象服务), URBAN_GOVERNANCE (城市治理),\n" +
		"GREEN_LOW_CARBON (绿色低碳), OTHER (其他, described by --other-purpose).\n" +
		"Delivery forms: raw-copy (原始数据导出), api (接口), model (模型, 可用不可见), verification (核验),\n" +
		"aggregate (统计汇总结果). Regions are administrative division codes (GB/T 2260); a code covers its\n" +
		"subdivisions (350000 covers 350100); none means everywhere."
	basisDoc = "The legal basis is the instrument the grant rests on: --basis-kind contract, law or\n" +
		"authorisation, its number (文号, contract number) and the SHA-256 of the document, given\n" +
		"with --basis-sha256 or computed here from --basis-file (the file is not uploaded)."
)

func rightsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rights",
		Short: "Grant, check and revoke data rights (rights service)",
		Long: "The three rights of 数据二十条 over a registered asset: holding (持有权, from registration,\n" +
			"moved by `rights transfer`), processing-use (加工使用权) and product-operation (产品经营权),\n" +
			"which the holder grants and grantees may sub-license within their grant.\n\n" +
			"Grants and assets are named grants/ID and assets/ID, or just the ID.",
		Example: "  yaosuctl login --dev --org 91350100M000100Y43 --role rights_admin\n" +
			"  yaosuctl rights grant 0198c6f2-... --to 91110000600037341L --purpose TRANSPORT --form api,model \\\n" +
			"      --until 2027-01-01 --basis-kind contract --basis-number HT-2026-001 --basis-file 合同.pdf\n" +
			"  yaosuctl rights check 0198c6f2-... --org 91110000600037341L --purpose TRANSPORT --form api\n" +
			"  yaosuctl rights list --asset 0198c6f2-...",
		RunE: groupRunE,
	}
	cmd.AddCommand(rightsGrantCmd(g), rightsRequestCmd(g),
		rightsApproveCmd(g), rightsRejectCmd(g),
		rightsChangeCmd(g, "revoke"), rightsChangeCmd(g, "suspend"), rightsChangeCmd(g, "reinstate"),
		rightsGetCmd(g), rightsListCmd(g), rightsHistoryCmd(g),
		rightsTransferCmd(g), rightsHoldingCmd(g),
		rightsCheckCmd(g), rightsLookupCmd(g), rightsGranteesCmd(g),
		rightsPolicyCmd(g))
	return cmd
}

// rightsCall connects, runs fn with a per-request deadline, and closes.
func (g *globals) rightsCall(ctx context.Context, fn func(context.Context, rightsv1.RightsServiceClient) error) error {
	return unary(ctx, g, rightsv1.NewRightsServiceClient, fn)
}

// grantName accepts `grants/ID` or a bare ID.
func grantName(arg string) string {
	arg = strings.TrimSpace(arg)
	if strings.HasPrefix(arg, grantNamePrefix) {
		return arg
	}
	return grantNamePrefix + arg
}

// orgCode is an organisation's unified social credit code as given, trimmed and upper-cased.
func orgCode(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// parseRightsEnum reads one value of a rights enum: its name with or without prefix (any
// case, - for _), a label of rightsEnumLabels, or its number. The zero value is refused.
func parseRightsEnum(flag string, ed protoreflect.EnumDescriptor, s string) (protoreflect.EnumNumber, error) {
	s = strings.TrimSpace(s)
	for n, labels := range rightsEnumLabels[ed.FullName()] {
		for _, l := range labels {
			if strings.EqualFold(l, s) {
				return n, nil
			}
		}
	}
	if n, err := parseEnum(ed, s); err == nil && n != 0 {
		return n, nil
	}
	return 0, fmt.Errorf("%s: %q is not one of %s", flag, s, strings.Join(rightsChoices(ed), ", "))
}

// rightsEnumList parses a list flag of enum E; values may also be comma-separated.
func rightsEnumList[E interface {
	~int32
	Descriptor() protoreflect.EnumDescriptor
}](flag string, values []string) ([]E, error) {
	var zero E
	var out []E
	for _, v := range splitValues(values) {
		n, err := parseRightsEnum(flag, zero.Descriptor(), v)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, E(n)) {
			out = append(out, E(n))
		}
	}
	return out, nil
}

// rightsChoices lists the spellings people use for ed: kebab-case short names with the
// first label.
func rightsChoices(ed protoreflect.EnumDescriptor) []string {
	var out []string
	for i := 0; i < ed.Values().Len(); i++ {
		v := ed.Values().Get(i)
		if v.Number() == 0 {
			continue
		}
		c := kebab(enumShort(ed, v.Number()))
		if l := rightsEnumLabels[ed.FullName()][v.Number()]; len(l) > 0 {
			c += " (" + l[0] + ")"
		}
		out = append(out, c)
	}
	return out
}

func kebab(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "-")) }

// splitValues trims the values of a repeated flag and splits values that hold commas (a
// StringArray flag keeps them) so both --x a,b and --x a --x b work.
func splitValues(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parsePurposes maps purpose codes and labels to codes: 交通运输, transport and TRANSPORT
// all give TRANSPORT. Unknown codes go to the server as given (upper-cased), which names
// them in its error.
func parsePurposes(values []string) []string {
	var out []string
	for _, v := range splitValues(values) {
		code := ""
		for c, labels := range purposeLabels {
			for _, l := range labels {
				if strings.EqualFold(l, v) {
					code = c
				}
			}
		}
		if code == "" {
			code = strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(v))
		}
		if !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	return out
}

// parseInstant reads a time flag: RFC 3339, or a date YYYY-MM-DD for midnight China time.
func parseInstant(flag, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, chinaTime); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s: %q is neither an RFC 3339 time (2026-03-01T09:00:00+08:00) nor a date (YYYY-MM-DD)", flag, s)
}

// parseAsOf reads --as-of: an instant as parseInstant reads it, or a duration before now.
// Empty means now (nil).
func parseAsOf(s string, now time.Time) (*timestamppb.Timestamp, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if d, err := time.ParseDuration(strings.TrimSpace(s)); err == nil && d > 0 {
		return timestamppb.New(now.Add(-d)), nil
	}
	t, err := parseInstant("--as-of", s)
	if err != nil {
		return nil, fmt.Errorf("%w, nor a duration ago (24h)", err)
	}
	return timestamppb.New(t), nil
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// basisFlags are the legal-basis flags of grant, request and transfer.
type basisFlags struct {
	kind, number, sha, file, title string
}

func (b *basisFlags) register(f *pflag.FlagSet) {
	f.StringVar(&b.kind, "basis-kind", "", "kind of the legal basis: contract (合同), law (法律) or authorisation (授权) (required)")
	f.StringVar(&b.number, "basis-number", "", "the basis document's number: 文号 or contract number (required)")
	f.StringVar(&b.sha, "basis-sha256", "", "lowercase hex SHA-256 of the basis document (or --basis-file)")
	f.StringVar(&b.file, "basis-file", "", "the basis document as a local `FILE`: its SHA-256 is computed here (not uploaded)")
	f.StringVar(&b.title, "basis-title", "", "the basis document's title")
}

// build returns the legal basis the flags describe.
func (b *basisFlags) build() (*rightsv1.LegalBasis, error) {
	if strings.TrimSpace(b.kind) == "" {
		return nil, errors.New("--basis-kind is required: contract, law or authorisation")
	}
	kind, err := parseRightsEnum("--basis-kind", rightsv1.LegalBasisKind(0).Descriptor(), b.kind)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(b.number) == "" {
		return nil, errors.New("--basis-number is required: the document's number (文号, contract number)")
	}
	sum := strings.ToLower(strings.TrimSpace(b.sha))
	switch {
	case sum != "" && b.file != "":
		return nil, errors.New("give --basis-sha256 or --basis-file, not both")
	case b.file != "":
		if sum, err = fileSHA256(b.file); err != nil {
			return nil, fmt.Errorf("--basis-file: %w", err)
		}
	case sum == "":
		return nil, errors.New("the basis document's hash is required: --basis-sha256 HEX or --basis-file PATH")
	case !sha256Hex.MatchString(sum):
		return nil, fmt.Errorf("--basis-sha256: %q is not a SHA-256 in hex (64 hex digits)", b.sha)
	}
	return &rightsv1.LegalBasis{Kind: rightsv1.LegalBasisKind(kind), DocumentNumber: strings.TrimSpace(b.number),
		Title: strings.TrimSpace(b.title), Sha256: sum}, nil
}

// fileSHA256 is the lowercase hex SHA-256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// grantFlags are the flags of `rights grant` and `rights request` that describe a grant.
type grantFlags struct {
	right, otherPurpose, from, until, fee, condition, parent, requestID string
	purposes, forms, regions                                            []string
	exclusive, authorisedOperation                                      bool
	sublicenseDepth                                                     int32
	basis                                                               basisFlags
}

func (o *grantFlags) register(f *pflag.FlagSet) {
	f.StringVar(&o.right, "right", "processing-use", "the right: processing-use (加工使用权) or product-operation (产品经营权)")
	f.StringArrayVar(&o.purposes, "purpose", nil, "the `PURPOSES`: sector codes or labels, comma-separated or repeated (at least one)")
	f.StringVar(&o.otherPurpose, "other-purpose", "", "describes the purpose when --purpose includes OTHER")
	f.StringArrayVar(&o.forms, "form", nil, "the delivery `FORMS`: raw-copy, api, model, verification, aggregate (at least one)")
	f.StringArrayVar(&o.regions, "region", nil, "the `REGIONS` where the grant applies: administrative division codes (default: everywhere)")
	f.StringVar(&o.from, "from", "", "start of the term (default: now); `TIME` is "+timeHelp)
	f.StringVar(&o.until, "until", "", "end of the term, exclusive (required); `TIME` is "+timeHelp)
	f.BoolVar(&o.exclusive, "exclusive", false, "no other grant of the same right on the asset may overlap the term")
	f.Int32Var(&o.sublicenseDepth, "sublicense-depth", 0, "levels of sub-licence allowed beneath this grant, 0-5")
	f.StringVar(&o.fee, "fee", "free", "fee terms: free (有条件无偿, public governance and welfare) or paid (有条件有偿, industry development)")
	f.StringVar(&o.condition, "condition", "", "a `CEL` condition over context and request that must hold, e.g. 'context.project == \"P-17\"'")
	f.StringVar(&o.parent, "parent", "", "the `GRANT` this one sub-licenses (you must be its grantee); default: a first-level grant from the holder")
	f.BoolVar(&o.authorisedOperation, "authorised-operation", false, "an authorised-operation agreement (授权运营): no raw-copy delivery; the basis must be an authorisation")
	f.StringVar(&o.requestID, "request-id", "", "idempotency key, a UUID (default: a new random one)")
	o.basis.register(f)
}

// build returns the grant the flags describe for asset and grantee, and the request id
// (given or new). now is the default start.
func (o *grantFlags) build(asset, grantee string, now time.Time) (*rightsv1.Grant, string, error) {
	right, err := parseRightsEnum("--right", rightsv1.Right(0).Descriptor(), o.right)
	if err != nil {
		return nil, "", err
	}
	if rightsv1.Right(right) == rightsv1.Right_RIGHT_HOLDING {
		return nil, "", errors.New("--right: holding is not granted; it comes from registration and moves by `rights transfer`")
	}
	purposes := parsePurposes(o.purposes)
	if len(purposes) == 0 {
		return nil, "", errors.New("--purpose is required: at least one sector code (TRANSPORT, 交通运输, ...)")
	}
	forms, err := rightsEnumList[rightsv1.DeliveryForm]("--form", o.forms)
	if err != nil {
		return nil, "", err
	}
	if len(forms) == 0 {
		return nil, "", errors.New("--form is required: at least one delivery form (api, model, verification, aggregate, raw-copy)")
	}
	from := now
	if strings.TrimSpace(o.from) != "" {
		if from, err = parseInstant("--from", o.from); err != nil {
			return nil, "", err
		}
	}
	if strings.TrimSpace(o.until) == "" {
		return nil, "", errors.New("--until is required: the end of the term (exclusive), e.g. 2027-01-01")
	}
	until, err := parseInstant("--until", o.until)
	if err != nil {
		return nil, "", err
	}
	if !until.After(from) {
		return nil, "", fmt.Errorf("--until %s is not after the start %s", until.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	if o.sublicenseDepth < 0 || o.sublicenseDepth > 5 {
		return nil, "", fmt.Errorf("--sublicense-depth must be between 0 and 5, not %d", o.sublicenseDepth)
	}
	fee, err := parseRightsEnum("--fee", rightsv1.FeeTerms(0).Descriptor(), o.fee)
	if err != nil {
		return nil, "", err
	}
	basis, err := o.basis.build()
	if err != nil {
		return nil, "", err
	}
	requestID := strings.TrimSpace(o.requestID)
	if requestID == "" {
		requestID = uuid.NewString()
	} else if _, err := uuid.Parse(requestID); err != nil {
		return nil, "", fmt.Errorf("--request-id must be a UUID: %w", err)
	}
	gr := &rightsv1.Grant{
		Asset:               assetName(asset),
		Right:               rightsv1.Right(right),
		GranteeOrganisation: orgCode(grantee),
		LegalBasis:          basis,
		Scope: &rightsv1.Scope{Purposes: purposes, OtherPurpose: strings.TrimSpace(o.otherPurpose),
			DeliveryForms: forms, Regions: splitValues(o.regions)},
		ValidFrom:           timestamppb.New(from),
		ValidUntil:          timestamppb.New(until),
		Exclusive:           o.exclusive,
		SublicenseDepth:     o.sublicenseDepth,
		FeeTerms:            rightsv1.FeeTerms(fee),
		Condition:           strings.TrimSpace(o.condition),
		AuthorisedOperation: o.authorisedOperation,
	}
	if strings.TrimSpace(o.parent) != "" {
		gr.Parent = grantName(o.parent)
	}
	return gr, requestID, nil
}

const grantFlagsUse = "--purpose P[,P..] --form F[,F..] [--region R,..] [--from TIME] --until TIME [--exclusive] " +
	"[--sublicense-depth N] [--fee free|paid] [--condition CEL] [--parent GRANT] " +
	"--basis-kind K --basis-number N (--basis-sha256 HEX | --basis-file PATH) [--basis-title T] [--request-id UUID]"

func rightsGrantCmd(g *globals) *cobra.Command {
	var (
		o  grantFlags
		to string
	)
	cmd := &cobra.Command{
		Use:   "grant ASSET --to ORG [--right R] " + grantFlagsUse,
		Short: "Grant a right over an asset directly; the grant is ACTIVE at once",
		Long: "Grant processing-use or product-operation over ASSET to --to (rights_admin of the granting\n" +
			"organisation). Your organisation is the grantor: the holder for a first-level grant, or,\n" +
			"with --parent, the grantee of the parent grant, sub-licensing within its scope, term and\n" +
			"depth. The server checks every rule (grade policy, exclusivity, the parent's scope) and\n" +
			"names the one that fails.\n\n" + purposeDoc + "\n\n" + basisDoc + "\n\n" +
			"The request id makes the call idempotent: if the outcome is unknown (timeout, connection\n" +
			"lost) yaosuctl prints it so you can re-run with the same --request-id.",
		Example: "  yaosuctl rights grant 0198c6f2-... --to 91110000600037341L --purpose TRANSPORT,URBAN_GOVERNANCE \\\n" +
			"      --form api,model --region 350000 --from 2026-01-01 --until 2027-01-01 --sublicense-depth 1 \\\n" +
			"      --basis-kind contract --basis-number HT-2026-001 --basis-file 合同.pdf\n" +
			"  yaosuctl rights grant 0198c6f2-... --to 12350100MB0001234X --parent grants/0199a0b1-... --purpose 交通运输 \\\n" +
			"      --form model --region 350100 --until 2026-07-01 --basis-kind contract --basis-number HT-2026-017 \\\n" +
			"      --basis-sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 -o json",
		Args: exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(to) == "" {
				return errors.New("--to is required: the grantee's unified social credit code")
			}
			gr, requestID, err := o.build(args[0], to, time.Now())
			if err != nil {
				return err
			}
			var resp *rightsv1.CreateGrantResponse
			err = g.rightsCall(cmd.Context(), func(ctx context.Context, c rightsv1.RightsServiceClient) (err error) {
				resp, err = c.CreateGrant(ctx, &rightsv1.CreateGrantRequest{Grant: gr, RequestId: requestID})
				return err
			})
			if err != nil {
				if outcomeUnknown(err) {
					fprintfErr(cmd.ErrOrStderr(), "The grant may or may not have been made. Re-run with "+
						"--request-id %s to find out without granting twice.\n", requestID)
				}
				return err
			}
			return printGrant(cmd.OutOrStdout(), g.output, resp.GetGrant())
		},
	}
	f := cmd.Flags()
	f.StringVar(&to, "to", "", "the grantee's unified social credit code (required)")
	o.register(f)
	return cmd
}

func rightsRequestCmd(g *globals) *cobra.Command {
	var (
		o                      grantFlags
		grantee, justification string
	)
	cmd := &cobra.Command{
		Use:   "request ASSET [--right R] " + grantFlagsUse + " [--justification J]",
		Short: "Ask for a grant over an asset; the grantor approves or rejects it",
		Long: "File a grant request (rights_admin of the grantee, your token's organisation) to the\n" +
			"grantor: the holder, or with --parent the grantee of the parent grant. The grant starts\n" +
			"REQUESTED and allows nothing until the grantor runs `rights approve`.\n\n" +
			purposeDoc + "\n\n" + basisDoc,
		Example: "  yaosuctl rights request 0198c6f2-... --purpose TRANSPORT --form api --until 2027-01-01 \\\n" +
			"      --basis-kind contract --basis-number HT-2026-031 --basis-file 合同草案.pdf \\\n" +
			"      --justification '城市交通信号优化项目'",
		Args: exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(grantee) == "" {
				org, err := g.tokenOrganisation("--grantee")
				if err != nil {
					return err
				}
				grantee = org
			}
			gr, requestID, err := o.build(args[0], grantee, time.Now())
			if err != nil {
				return err
			}
			gr.Justification = strings.TrimSpace(justification)
			var resp *rightsv1.RequestGrantResponse
			err = g.rightsCall(cmd.Context(), func(ctx context.Context, c rightsv1.RightsServiceClient) (err error) {
				resp, err = c.RequestGrant(ctx, &rightsv1.RequestGrantRequest{Grant: gr, RequestId: requestID})
				return err
			})
			if err != nil {
				if outcomeUnknown(err) {
					fprintfErr(cmd.ErrOrStderr(), "The request may or may not have been filed. Re-run with "+
						"--request-id %s to find out without filing it twice.\n", requestID)
				}
				return err
			}
			return printGrant(cmd.OutOrStdout(), g.output, resp.GetGrant())
		},
	}
	f := cmd.Flags()
	o.register(f)
	f.StringVar(&justification, "justification", "", "why your organisation needs the grant, for the grantor")
	f.StringVar(&grantee, "grantee", "", "the requesting organisation (default: your token's organisation; others only for admins)")
	return cmd
}

func rightsApproveCmd(g *globals) *cobra.Command {
	var etag string
	cmd := &cobra.Command{
		Use:   "approve GRANT [--etag E]",
		Short: "Approve a requested grant; it becomes ACTIVE",
		Long: "Approve a REQUESTED grant (rights_admin of the grantor). It becomes ACTIVE if every rule\n" +
			"holds now; otherwise FAILED_PRECONDITION names the rule.",
		Example: "  yaosuctl rights approve 0199a0b1-...\n  yaosuctl rights approve grants/0199a0b1-... --etag '\"1\"'",
		Args:    exactArgs(1, "one grant name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp *rightsv1.ApproveGrantResponse
			err := g.rightsCall(cmd.Context(), func(ctx context.Context, c rightsv1.RightsServiceClient) (err error) {
				resp, err = c.ApproveGrant(ctx, &rightsv1.ApproveGrantRequest{Name: grantName(args[0]), Etag: etag})
				return err
			})
			if err != nil {
				return err
			}
			return printGrant(cmd.OutOrStdout(), g.output, resp.GetGrant())
		},
	}
	cmd.Flags().StringVar(&etag, "etag", "", "the grant's etag as you read it; fails with ABORTED if it changed since")
	return cmd
}

func rightsRejectCmd(g *globals) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     "reject GRANT --reason R",
		Short:   "Reject a requested grant",
		Long:    "Reject a REQUESTED grant with a reason (rights_admin of the grantor). Final.",
		Example: "  yaosuctl rights reject 0199a0b1-... --reason '用途不明确'",
		Args:    exactArgs(1, "one grant name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return errors.New("--reason is required: explain the rejection")
			}
			var resp *rightsv1.RejectGrantResponse
			err := g.rightsCall(cmd.Context(), func(ctx context.Context, c rightsv1.RightsServiceClient) (err error) {
				resp, err = c.RejectGrant(ctx, &rightsv1.RejectGrantRequest{Name: grantName(args[0]), Reason: reason})
				return err
			})
			if err != nil {
				return err
			}
			return printGrant(cmd.OutOrStdout(), g.output, resp.GetGrant())
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (required)")
	return cmd
}

// rightsChangeCmd is `rights revoke`, `rights suspend` or `rights reinstate`: a grantor's
// change that cascades to the grants beneath.
func rightsChangeCmd(g *globals, verb string) *cobra.Command {
	var reason string
	short, long, example := "", "", ""
	switch verb {
	case "revoke":
		short = "Revoke a grant and every grant beneath it"
		long = "Revoke an ACTIVE or SUSPENDED grant (rights_admin of the grantor). Every sub-licence\n" +
			"beneath it is revoked with it; they are listed. Final."
		example = "  yaosuctl rights revoke 0199a0b1-... --reason '合同终止'"
	case "suspend":
		short = "Suspend a grant and every active grant beneath it"
		long = "Suspend an ACTIVE grant (rights_admin of the grantor); the active sub-licences beneath\n" +
			"it are suspended with it and listed. `rights reinstate` undoes it."
		example = "  yaosuctl rights suspend 0199a0b1-... --reason '核查数据使用情况'"
	case "reinstate":
		short = "Reinstate a suspended grant and the grants suspended with it"
		long = "Reinstate a grant its grantor suspended, and the sub-licences suspended with it (listed).\n" +
			"Grants suspended because their asset is suspended come back with the asset."
		example = "  yaosuctl rights reinstate 0199a0b1-... --reason '核查完毕'"
	}
	cmd := &cobra.Command{
		Use:     verb + " GRANT --reason R",
		Short:   short,
		Long:    long,
		Example: example,
		Args:    exactArgs(1, "one grant name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return fmt.Errorf("--reason is required: say why you %s it", verb)
			}
			name := grantName(args[0])
			var (
				resp     proto.Message
				grant    *rightsv1.Grant
				cascaded []string
			)
			err := g.rightsCall(cmd.Context(), func(ctx context.Context, c rightsv1.RightsServiceClient) error {
				switch verb {
				case "revoke":
					r, err := c.RevokeGrant(ctx, &rightsv1.RevokeGrantRequest{Name: name, Reason: reason})
					resp, grant, cascaded = r, r.GetGrant(), r.GetCascaded()
					return err
				case "suspend":
					r, err := c.SuspendGrant(ctx, &rightsv1.SuspendGrantRequest{Name: name, Reason: reason})
					resp, grant, cascaded = r, r.GetGrant(), r.GetCascaded()
					return err
				default:
					r, err := c.ReinstateGrant(ctx, &rightsv1.ReinstateGrantRequest{Name: name, Reason: reason})
					resp, grant, cascaded = r, r.GetGrant(), r.GetCascaded()
					return err
				}
			})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if g.output == outputJSON {
				return printProtoJSON(w, resp)
			}
			if err := printGrant(w, g.output, grant); err != nil {
				return err
			}
			fprintfErr(w, "\nCASCADED (%d)\n", len(cascaded))
			var t table
			for _, c := range cascaded {
				t.row("", c)
			}
			return t.write(w)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (required)")
	return cmd
}

func rightsGetCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "get GRANT",
		Short:   "Show one grant",
		Long:    "Show one grant you may see: as its grantor or grantee, or any as an auditor.",
		Example: "  yaosuctl rights get 0199a0b1-...\n  yaosuctl rights get grants/0199a0b1-... -o json",
		Args:    exactArgs(1, "one grant name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp *rightsv1.GetGrantResponse
			err := g.rightsCall(cmd.Context(), func(ctx context.Context, c rightsv1.RightsServiceClient) (err error) {
				resp, err = c.GetGrant(ctx, &rightsv1.GetGrantRequest{Name: grantName(args[0])})
				return err
			})
			if err != nil {
				return err
			}
			return printGrant(cmd.OutOrStdout(), g.output, resp.GetGrant())
		},
	}
}

// grantFilter holds the ListGrants filters.
type grantFilter struct {
	asset, grantor, grantee, right string
	states                         []string
}

func (o *grantFilter) register(f *pflag.FlagSet) {
	f.StringVar(&o.asset, "asset", "", "only grants over this `ASSET`")
	f.StringVar(&o.grantor, "grantor", "", "only grants by this organisation")
	f.StringVar(&o.grantee, "grantee", "", "only grants to this organisation")
	f.StringVar(&o.right, "right", "", "only this right: processing-use or product-operation")
	f.StringArrayVar(&o.states, "state", nil, "only these states: requested, active, suspended, revoked, expired, rejected (comma-separated or repeated)")
}

// request builds the filter part of a ListGrantsRequest.
func (o *grantFilter) request() (*rightsv1.ListGrantsRequest, error) {
	req := &rightsv1.ListGrantsRequest{GrantorOrganisation: orgCode(o.grantor), GranteeOrganisation: orgCode(o.grantee)}
	if strings.TrimSpace(o.asset) != "" {
		req.Asset = assetName(o.asset)
	}
	if strings.TrimSpace(o.right) != "" {
		r, err := parseRightsEnum("--right", rightsv1.Right(0).Descriptor(), o.right)
		if err != nil {
			return nil, err
		}
		req.Right = rightsv1.Right(r)
	}
	var err error
	if req.States, err = rightsEnumList[rightsv1.GrantState]("--state", o.states); err != nil {
		return nil, err
	}
	return req, nil
}

func rightsListCmd(g *globals) *cobra.Command {
	var (
		filter    grantFilter
		pageSize  int32
		pageToken string
		all       bool
	)
	cmd := &cobra.Command{
		Use:   "list [--asset A] [--grantor ORG] [--grantee ORG] [--right R] [--state S ...] [--page-size N] [--page-token T] [--all]",
		Short: "List the grants you can see, newest first",
		Long: "List grants, newest first: those your organisation granted or received, or every grant for\n" +
			"auditors and admins. Filters combine with AND; the states of --state with OR. One page at a\n" +
			"time (the next page's token goes to stderr) or --all.",
		Example: "  yaosuctl rights list\n" +
			"  yaosuctl rights list --asset 0198c6f2-... --state active,suspended\n" +
			"  yaosuctl rights list --grantee 91110000600037341L --right product-operation --all -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pageSize < 0 {
				return errors.New("--page-size must not be negative")
			}
			req, err := filter.request()
			if err != nil {
				return err
			}
			client, closeConn, err := g.rightsClient()
			if err != nil {
				return err
			}
			defer closeConn()
			out := &rightsv1.ListGrantsResponse{}
			req.PageSize = pageSize
			out.NextPageToken, err = g.pages(cmd.Context(), pageToken, all, func(ctx context.Context, token string) (string, error) {
				req.PageToken = token
				resp, err := client.ListGrants(ctx, req)
				out.Grants = append(out.Grants, resp.GetGrants()...)
				return resp.GetNextPageToken(), err
			})
			if err != nil {
				return err
			}
			return g.printPage(cmd, out, func(w io.Writer) error { return printGrantTable(w, out.GetGrants()) },
				out.NextPageToken, "More grants: yaosuctl rights list --page-token "+out.NextPageToken+" (with the same filters)")
		},
	}
	f := cmd.Flags()
	filter.register(f)
	f.Int32Var(&pageSize, "page-size", 0, "grants per page; 0 means the server's default (50), at most 500")
	f.StringVar(&pageToken, "page-token", "", "continue from a previous page (with the same filters)")
	f.BoolVar(&all, "all", false, "follow page tokens until the last page")
	return cmd
}

func rightsHistoryCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "history GRANT",
		Short: "List a grant's state changes, oldest first",
		Long: "List every step of a grant, oldest first: the action (request, approve, grant, revoke,\n" +
			"cascade_revoke, suspend, expire, transfer, ...), the state after it, who and when, and the\n" +
			"reason. Automatic steps name system:expiry or system:catalog.",
		Example: "  yaosuctl rights history 0199a0b1-...\n  yaosuctl rights history grants/0199a0b1-... -o json",
		Args:    exactArgs(1, "one grant name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp *rightsv1.ListGrantHistoryResponse
			err := g.rightsCall(cmd.Context(), func(ctx context.Context, c rightsv1.RightsServiceClient) (err error) {
				resp, err = c.ListGrantHistory(ctx, &rightsv1.ListGrantHistoryRequest{Name: grantName(args[0])})
				return err
			})
			if err != nil {
				return err
			}
			if g.output == outputJSON {
				return printProtoJSON(cmd.OutOrStdout(), resp)
			}
			var t table
			t.row("REVISION", "ACTION", "STATE", "ACTOR", "TIME", "REASON")
			for _, c := range resp.GetChanges() {
				t.row(strconv.FormatInt(c.GetRevision(), 10), orDash(c.GetAction()), grantState(c.GetState()),
					orDash(c.GetActor()), formatTime(c.GetTime()), orDash(truncate(c.GetReason(), 60)))
			}
			return t.write(cmd.OutOrStdout())
		},
	}
}

func rightsTransferCmd(g *globals) *cobra.Command {
	var (
		to, cause string
		basis     basisFlags
	)
	cmd := &cobra.Command{
		Use: "transfer ASSET --to ORG --cause contract|merger|split|dissolution|bankruptcy|law " +
			"--basis-kind K --basis-number N (--basis-sha256 HEX | --basis-file PATH) [--basis-title T]",
		Short: "Move the holding of an asset to another organisation",
		Long: "Move the holding (持有权) of ASSET to --to (rights_admin of the holder), recording why:\n" +
			"contract (合同), merger (合并), split (分立), dissolution (解散), bankruptcy (破产) or law\n" +
			"(法定, by operation of law or an administrative decision). The grants the old holder made\n" +
			"stay in force, granted by the new holder; `rights holding` keeps the old holder in the\n" +
			"history.\n\n" + basisDoc,
		Example: "  yaosuctl rights transfer 0198c6f2-... --to 91310000MA1FL4XQ27 --cause merger \\\n" +
			"      --basis-kind authorisation --basis-number '榕政〔2026〕1号' --basis-file 批复.pdf",
		Args: exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := transferRequest(args[0], to, cause, &basis)
			if err != nil {
				return err
			}
			var resp *rightsv1.TransferRightResponse
			err = g.rightsCall(cmd.Context(), func(ctx context.Context, c rightsv1.RightsServiceClient) (err error) {
				resp, err = c.TransferRight(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			if g.output == outputJSON {
				return printProtoJSON(cmd.OutOrStdout(), resp)
			}
			return printHolding(cmd.OutOrStdout(), resp.GetHolding())
		},
	}
	f := cmd.Flags()
	f.StringVar(&to, "to", "", "the new holder's unified social credit code (required)")
	f.StringVar(&cause, "cause", "", "why the holding moves: contract, merger, split, dissolution, bankruptcy or law (required)")
	basis.register(f)
	return cmd
}

// transferRequest builds a TransferRightRequest from the flags of `rights transfer`.
func transferRequest(asset, to, cause string, basis *basisFlags) (*rightsv1.TransferRightRequest, error) {
	if strings.TrimSpace(to) == "" {
		return nil, errors.New("--to is required: the new holder's unified social credit code")
	}
	if strings.TrimSpace(cause) == "" {
		return nil, errors.New("--cause is required: contract, merger, split, dissolution, bankruptcy or law")
	}
	c, err := parseRightsEnum("--cause", rightsv1.TransferCause(0).Descriptor(), cause)
	if err != nil {
		return nil, err
	}
	lb, err := basis.build()
	if err != nil {
		return nil, err
	}
	return &rightsv1.TransferRightRequest{Asset: assetName(asset), ToOrganisation: orgCode(to),
		Cause: rightsv1.TransferCause(c), LegalBasis: lb}, nil
}

func rightsHoldingCmd(g *globals) *cobra.Command {
	var asOf string
	cmd := &cobra.Command{
		Use:   "holding ASSET [--as-of TIME]",
		Short: "Show who holds an asset, now or as of a time, and the holding's history",
		Long: "Show the holding (持有权) of ASSET in force now, or at --as-of, and every holding it has had:\n" +
			"from registration, then each transfer with its cause and legal basis.",
		Example: "  yaosuctl rights holding 0198c6f2-...\n" +
			"  yaosuctl rights holding 0198c6f2-... --as-of 2026-03-01\n" +
			"  yaosuctl rights holding 0198c6f2-... --as-of 720h -o json",
		Args: exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			at, err := parseAsOf(asOf, time.Now())
			if err != nil {
				return err
			}
			var resp *rightsv1.GetHoldingResponse
			err = g.rightsCall(cmd.Context(), func(ctx context.Context, c rightsv1.RightsServiceClient) (err error) {
				resp, err = c.GetHolding(ctx, &rightsv1.GetHoldingRequest{Asset: assetName(args[0]), AsOf: at})
				return err
			})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if g.output == outputJSON {
				return printProtoJSON(w, resp)
			}
			if resp.GetHolding() == nil {
				fprintfErr(w, "Nobody held %s then.\n", assetName(args[0]))
			} else if err := printHolding(w, resp.GetHolding()); err != nil {
				return err
			}
			fprintfErr(w, "\nHISTORY\n")
			return printHoldingTable(w, resp.GetHistory())
		},
	}
	cmd.Flags().StringVar(&asOf, "as-of", "", asOfHelp)
	return cmd
}

// checkFlags are the flags of `rights check`.
type checkFlags struct {
	org, right, purpose, form, region, asOf string
	context                                 []string
}

// request builds the CheckRequest; org is the organisation checked for.
func (o *checkFlags) request(asset, org string, now time.Time) (*rightsv1.CheckRequest, error) {
	right, err := parseRightsEnum("--right", rightsv1.Right(0).Descriptor(), o.right)
	if err != nil {
		return nil, err
	}
	purposes := parsePurposes([]string{o.purpose})
	if len(purposes) != 1 {
		return nil, errors.New("--purpose is required: one sector code (TRANSPORT, 交通运输, ...)")
	}
	if strings.TrimSpace(o.form) == "" {
		return nil, errors.New("--form is required: one delivery form (api, model, verification, aggregate, raw-copy)")
	}
	form, err := parseRightsEnum("--form", rightsv1.DeliveryForm(0).Descriptor(), o.form)
	if err != nil {
		return nil, err
	}
	req := &rightsv1.CheckRequest{Organisation: orgCode(org), Asset: assetName(asset), Right: rightsv1.Right(right),
		Purpose: purposes[0], DeliveryForm: rightsv1.DeliveryForm(form), Region: strings.TrimSpace(o.region)}
	if req.Context, err = parseContext(o.context); err != nil {
		return nil, err
	}
	if req.AsOf, err = parseAsOf(o.asOf, now); err != nil {
		return nil, err
	}
	return req, nil
}

// parseContext builds a check's context from KEY=VALUE (a string) and KEY:=JSON (any JSON
// value: 3, true, ["a"], {"x":1}) assignments. Dots in KEY nest: a.b=1 gives {"a":{"b":"1"}}.
func parseContext(assignments []string) (*structpb.Struct, error) {
	if len(assignments) == 0 {
		return nil, nil
	}
	root := map[string]any{}
	for _, a := range assignments {
		var (
			key   string
			value any
		)
		i := strings.Index(a, "=")
		switch {
		case i <= 0:
			return nil, fmt.Errorf("--context %q: want KEY=VALUE or KEY:=JSON", a)
		case a[i-1] == ':':
			key = a[:i-1]
			if err := json.Unmarshal([]byte(a[i+1:]), &value); err != nil {
				return nil, fmt.Errorf("--context %q: the value after := is not JSON: %w", a, err)
			}
		default:
			key, value = a[:i], a[i+1:]
		}
		parts := strings.Split(strings.TrimSpace(key), ".")
		m := root
		for j, p := range parts {
			if p == "" {
				return nil, fmt.Errorf("--context %q: empty key", a)
			}
			if j == len(parts)-1 {
				m[p] = value
				break
			}
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
	}
	return structpb.NewStruct(root)
}

func rightsCheckCmd(g *globals) *cobra.Command {
	var o checkFlags
	cmd := &cobra.Command{
		Use:   "check ASSET [--org ORG] [--right R] --purpose P --form F [--region R] [--context K=V ...] [--as-of TIME]",
		Short: "Ask whether an organisation may use an asset; exit status 0 allowed, 3 denied",
		Long: "Ask whether --org (default: your token's organisation) may exercise --right over ASSET for\n" +
			"--purpose, delivered as --form, in --region. Prints ALLOWED with the grant chain that allows\n" +
			"it (the organisation's grant first, up to the holder's), or DENIED with the reason\n" +
			"(NO_GRANT, GRANT_NOT_ACTIVE, OUTSIDE_VALIDITY, PURPOSE_NOT_GRANTED, ..., CHAIN_BROKEN) and\n" +
			"a detail.\n\n" +
			"Exit status: 0 when allowed, 3 when denied, 1 when the check could not be made.\n\n" +
			"--context feeds grant conditions (CEL `context.KEY`): KEY=VALUE gives a string, KEY:=JSON\n" +
			"any JSON value (n:=3, ok:=true); dots nest (a.b=x). Checks for other organisations need\n" +
			"the service role; --as-of (a past time) is for auditors and internal systems.",
		Example: "  yaosuctl rights check 0198c6f2-... --purpose TRANSPORT --form api --region 350100\n" +
			"  yaosuctl rights check 0198c6f2-... --org 91110000600037341L --right product-operation --purpose 城市治理 \\\n" +
			"      --form model --context project=P-17\n" +
			"  yaosuctl rights check 0198c6f2-... --org 91110000600037341L --purpose TRANSPORT --form api --as-of 2026-03-01 -o json\n" +
			"  if yaosuctl rights check 0198c6f2-... --purpose TRANSPORT --form api > /dev/null; then echo allowed; fi",
		Args: exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			org := o.org
			if strings.TrimSpace(org) == "" {
				var err error
				if org, err = g.tokenOrganisation("--org"); err != nil {
					return err
				}
			}
			req, err := o.request(args[0], org, time.Now())
			if err != nil {
				return err
			}
			var resp *rightsv1.CheckResponse
			err = g.rightsCall(cmd.Context(), func(ctx context.Context, c rightsv1.RightsServiceClient) (err error) {
				resp, err = c.Check(ctx, req)
				return err
			})
			if err != nil {
				return err
			}
			if err := printCheck(cmd.OutOrStdout(), g.output, resp); err != nil {
				return err
			}
			if !resp.GetAllowed() {
				return &exitError{code: exitDenied, err: fmt.Errorf("denied: %s", denialReason(resp.GetDenialReason()))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.org, "org", "", "the organisation that would use the asset (default: your token's organisation)")
	f.StringVar(&o.right, "right", "processing-use", "the right exercised: processing-use, product-operation or holding")
	f.StringVar(&o.purpose, "purpose", "", "the purpose: a sector code or label (required)")
	f.StringVar(&o.form, "form", "", "the delivery form: raw-copy, api, model, verification or aggregate (required)")
	f.StringVar(&o.region, "region", "", "where it would be used, an administrative division code (default: unspecified, which only grants without a region limit allow)")
	f.StringArrayVar(&o.context, "context", nil, "a value grant conditions read: `KEY=VALUE` (string) or KEY:=JSON; repeat for several")
	f.StringVar(&o.asOf, "as-of", "", asOfHelp)
	return cmd
}

// pagedLookup are the paging flags of lookup and grantees.
type pagedLookup struct {
	asOf, pageToken string
	pageSize        int32
	all             bool
}

func (o *pagedLookup) register(f *pflag.FlagSet) {
	f.StringVar(&o.asOf, "as-of", "", asOfHelp)
	f.Int32Var(&o.pageSize, "page-size", 0, "grants per page; 0 means the server's default (100), at most 1000")
	f.StringVar(&o.pageToken, "page-token", "", "continue from a previous page (with the same --as-of TIME, not a duration)")
	f.BoolVar(&o.all, "all", false, "follow page tokens until the last page")
}

func rightsLookupCmd(g *globals) *cobra.Command {
	var (
		org string
		o   pagedLookup
	)
	cmd := &cobra.Command{
		Use:   "lookup [--org ORG] [--as-of TIME] [--page-size N] [--page-token T] [--all]",
		Short: "List what an organisation may do: its holdings and the grants in force to it",
		Long: "List the assets --org (default: your token's organisation) holds and the grants in force to\n" +
			"it through an unbroken chain, now or at --as-of (auditors and internal systems). Other\n" +
			"organisations need the service, auditor or admin role.",
		Example: "  yaosuctl rights lookup\n" +
			"  yaosuctl rights lookup --org 91110000600037341L --as-of 2026-03-01 --all -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(org) == "" {
				var err error
				if org, err = g.tokenOrganisation("--org"); err != nil {
					return err
				}
			}
			if o.pageSize < 0 {
				return errors.New("--page-size must not be negative")
			}
			at, err := parseAsOf(o.asOf, time.Now())
			if err != nil {
				return err
			}
			client, closeConn, err := g.rightsClient()
			if err != nil {
				return err
			}
			defer closeConn()
			req := &rightsv1.LookupGrantsRequest{Organisation: orgCode(org), AsOf: at, PageSize: o.pageSize}
			out := &rightsv1.LookupGrantsResponse{}
			out.NextPageToken, err = g.pages(cmd.Context(), o.pageToken, o.all, func(ctx context.Context, token string) (string, error) {
				req.PageToken = token
				resp, err := client.LookupGrants(ctx, req)
				out.Holdings = append(out.Holdings, resp.GetHoldings()...)
				out.Grants = append(out.Grants, resp.GetGrants()...)
				return resp.GetNextPageToken(), err
			})
			if err != nil {
				return err
			}
			return g.printPage(cmd, out, func(w io.Writer) error {
				fprintfErr(w, "HOLDINGS\n")
				if err := printHoldingTable(w, out.GetHoldings()); err != nil {
					return err
				}
				fprintfErr(w, "\nGRANTS\n")
				return printGrantTable(w, out.GetGrants())
			}, out.NextPageToken, "More grants: yaosuctl rights lookup --org "+req.Organisation+" --page-token "+out.NextPageToken)
		},
	}
	cmd.Flags().StringVar(&org, "org", "", "the organisation (default: your token's organisation)")
	o.register(cmd.Flags())
	return cmd
}

func rightsGranteesCmd(g *globals) *cobra.Command {
	var o pagedLookup
	cmd := &cobra.Command{
		Use:   "grantees ASSET [--as-of TIME] [--page-size N] [--page-token T] [--all]",
		Short: "List who may use an asset: its holder and every grant in force",
		Long: "List the holder of ASSET and every grant in force on it through an unbroken chain, now or\n" +
			"at --as-of (auditors and internal systems). For the holder, auditors and internal systems.",
		Example: "  yaosuctl rights grantees 0198c6f2-...\n  yaosuctl rights grantees 0198c6f2-... --as-of 2026-03-01T12:00:00+08:00 -o json",
		Args:    exactArgs(1, "one asset name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.pageSize < 0 {
				return errors.New("--page-size must not be negative")
			}
			at, err := parseAsOf(o.asOf, time.Now())
			if err != nil {
				return err
			}
			client, closeConn, err := g.rightsClient()
			if err != nil {
				return err
			}
			defer closeConn()
			req := &rightsv1.LookupGranteesRequest{Asset: assetName(args[0]), AsOf: at, PageSize: o.pageSize}
			out := &rightsv1.LookupGranteesResponse{}
			out.NextPageToken, err = g.pages(cmd.Context(), o.pageToken, o.all, func(ctx context.Context, token string) (string, error) {
				req.PageToken = token
				resp, err := client.LookupGrantees(ctx, req)
				if out.Holding == nil {
					out.Holding = resp.GetHolding()
				}
				out.Grants = append(out.Grants, resp.GetGrants()...)
				return resp.GetNextPageToken(), err
			})
			if err != nil {
				return err
			}
			return g.printPage(cmd, out, func(w io.Writer) error {
				var t table
				t.row("HOLDER", orDash(out.GetHolding().GetHolderOrganisation()))
				if err := t.write(w); err != nil {
					return err
				}
				fprintfErr(w, "\nGRANTS\n")
				return printGrantTable(w, out.GetGrants())
			}, out.NextPageToken, "More grants: yaosuctl rights grantees "+req.Asset+" --page-token "+out.NextPageToken)
		},
	}
	o.register(cmd.Flags())
	return cmd
}

func rightsPolicyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Show the grade policy: what each grade allows",
		Long: "Show the grade policy (GB/T 43697 grades): whether assets of each grade may be granted at\n" +
			"all, and the delivery forms they may never be granted or used in. By default core data\n" +
			"gets no grants and important data no raw copies. Change it with `rights policy set`.",
		Example: "  yaosuctl rights policy\n  yaosuctl rights policy -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp *rightsv1.GetGradePolicyResponse
			err := g.rightsCall(cmd.Context(), func(ctx context.Context, c rightsv1.RightsServiceClient) (err error) {
				resp, err = c.GetGradePolicy(ctx, &rightsv1.GetGradePolicyRequest{})
				return err
			})
			if err != nil {
				return err
			}
			if g.output == outputJSON {
				return printProtoJSON(cmd.OutOrStdout(), resp)
			}
			return printPolicy(cmd.OutOrStdout(), resp.GetRules())
		},
	}
	cmd.AddCommand(rightsPolicySetCmd(g))
	return cmd
}

// policyFlags are the flags of `rights policy set`.
type policyFlags struct {
	grantsAllowed bool
	forbid        []string
}

// gradeName reads a catalog grade (GENERAL, GRADE_IMPORTANT, 核心数据, ...) as the policy
// names it: GRADE_GENERAL, GRADE_IMPORTANT or GRADE_CORE.
func gradeName(s string) (string, error) {
	ed := catalogv1.Grade(0).Descriptor()
	n, err := parseEnum(ed, s)
	if err != nil || n == 0 {
		return "", fmt.Errorf("GRADE must be GENERAL (一般数据), IMPORTANT (重要数据) or CORE (核心数据), not %q", s)
	}
	return string(ed.Values().ByNumber(n).Name()), nil
}

// rule returns grade's new rule: current (nil: none) with the flags that were given applied.
func (o *policyFlags) rule(grade string, current *rightsv1.GradeRule, flags *pflag.FlagSet) (*rightsv1.GradeRule, error) {
	if !flags.Changed("grants-allowed") && !flags.Changed("forbid") {
		return nil, errors.New("nothing to change: give --grants-allowed=true|false and/or --forbid FORMS")
	}
	r := &rightsv1.GradeRule{Grade: grade}
	if current != nil {
		r.GrantsAllowed = current.GetGrantsAllowed()
		r.ForbiddenDeliveryForms = slices.Clone(current.GetForbiddenDeliveryForms())
	}
	if flags.Changed("grants-allowed") {
		r.GrantsAllowed = o.grantsAllowed
	}
	if flags.Changed("forbid") {
		var err error
		if r.ForbiddenDeliveryForms, err = rightsEnumList[rightsv1.DeliveryForm]("--forbid", o.forbid); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func rightsPolicySetCmd(g *globals) *cobra.Command {
	var o policyFlags
	cmd := &cobra.Command{
		Use:   "set GRADE [--grants-allowed=true|false] [--forbid FORM,...]",
		Short: "Change one grade's rule (admin)",
		Long: "Replace the rule of GRADE (GENERAL 一般数据, IMPORTANT 重要数据 or CORE 核心数据): what is not\n" +
			"given stays as it is. --forbid lists every delivery form forbidden for the grade (raw-copy,\n" +
			"api, model, verification, aggregate); --forbid '' forbids none. Checks follow at once:\n" +
			"existing grants stop allowing what the rule now forbids. Needs the admin role.",
		Example: "  yaosuctl rights policy set IMPORTANT --forbid raw-copy,model\n" +
			"  yaosuctl rights policy set 核心数据 --grants-allowed=false\n" +
			"  yaosuctl rights policy set GENERAL --grants-allowed=true --forbid ''",
		Args: exactArgs(1, "one grade"),
		RunE: func(cmd *cobra.Command, args []string) error {
			grade, err := gradeName(args[0])
			if err != nil {
				return err
			}
			if _, err := o.rule(grade, nil, cmd.Flags()); err != nil {
				return err // before asking the server anything
			}
			client, closeConn, err := g.rightsClient()
			if err != nil {
				return err
			}
			defer closeConn()
			ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
			defer cancel()
			// The rule is replaced whole: start from the current one so what is not given stays.
			cur, err := client.GetGradePolicy(ctx, &rightsv1.GetGradePolicyRequest{})
			if err != nil {
				return g.rpcFailed(err)
			}
			var current *rightsv1.GradeRule
			for _, r := range cur.GetRules() {
				if r.GetGrade() == grade {
					current = r
				}
			}
			rule, err := o.rule(grade, current, cmd.Flags())
			if err != nil {
				return err
			}
			resp, err := client.UpdateGradePolicy(ctx, &rightsv1.UpdateGradePolicyRequest{Rule: rule})
			if err != nil {
				return g.rpcFailed(err)
			}
			if g.output == outputJSON {
				return printProtoJSON(cmd.OutOrStdout(), resp)
			}
			return printPolicy(cmd.OutOrStdout(), []*rightsv1.GradeRule{resp.GetRule()})
		},
	}
	cmd.Flags().BoolVar(&o.grantsAllowed, "grants-allowed", true, "whether assets of the grade may be granted at all")
	cmd.Flags().StringSliceVar(&o.forbid, "forbid", nil, "the delivery `FORMS` forbidden for the grade, comma-separated ('' for none)")
	return cmd
}

// Printing.

func grantState(s rightsv1.GrantState) string { return enumShort(s.Descriptor(), s.Number()) }

func rightShort(r rightsv1.Right) string { return enumShort(r.Descriptor(), r.Number()) }

func denialReason(r rightsv1.DenialReason) string { return enumShort(r.Descriptor(), r.Number()) }

func formsShort(forms []rightsv1.DeliveryForm) string {
	out := make([]string, 0, len(forms))
	for _, f := range forms {
		out = append(out, enumShort(f.Descriptor(), f.Number()))
	}
	return strings.Join(out, ",")
}

// term shows a validity window: from – until.
func term(from, until *timestamppb.Timestamp) string {
	return formatTime(from) + " – " + formatTime(until)
}

func printGrant(w io.Writer, output string, gr *rightsv1.Grant) error {
	if output == outputJSON {
		return printProtoJSON(w, gr)
	}
	var t table
	optional := func(label, value string) {
		if value != "" {
			t.row(label, value)
		}
	}
	t.row("NAME", gr.GetName())
	t.row("ASSET", gr.GetAsset())
	t.row("RIGHT", rightShort(gr.GetRight()))
	state := grantState(gr.GetState())
	if gr.GetStateReason() != "" {
		state += " (" + gr.GetStateReason() + ")"
	}
	t.row("STATE", state)
	t.row("GRANTOR", orDash(gr.GetGrantorOrganisation()))
	t.row("GRANTEE", gr.GetGranteeOrganisation())
	optional("PARENT", gr.GetParent())
	t.row("DEPTH", strconv.Itoa(int(gr.GetDepth())))
	t.row("SUBLICENSE", strconv.Itoa(int(gr.GetSublicenseDepth()))+" more level(s)")
	t.row("PURPOSES", strings.Join(gr.GetScope().GetPurposes(), ","))
	optional("OTHER PURPOSE", gr.GetScope().GetOtherPurpose())
	t.row("FORMS", formsShort(gr.GetScope().GetDeliveryForms()))
	regions := strings.Join(gr.GetScope().GetRegions(), ",")
	if regions == "" {
		regions = "everywhere"
	}
	t.row("REGIONS", regions)
	t.row("VALID", term(gr.GetValidFrom(), gr.GetValidUntil()))
	if gr.GetExclusive() {
		t.row("EXCLUSIVE", "yes")
	}
	t.row("FEE", enumLabelOf(gr.GetFeeTerms().Descriptor(), gr.GetFeeTerms().Number()))
	optional("CONDITION", gr.GetCondition())
	if gr.GetAuthorisedOperation() {
		t.row("AUTHORISED OP", "yes (授权运营)")
	}
	if b := gr.GetLegalBasis(); b != nil {
		t.row("BASIS", basisText(b))
		t.row("BASIS SHA256", orDash(b.GetSha256()))
	}
	optional("JUSTIFICATION", gr.GetJustification())
	t.row("REQUESTER", orDash(gr.GetRequester()))
	t.row("APPROVER", orDash(gr.GetApprover()))
	t.row("REVISION", strconv.FormatInt(gr.GetRevision(), 10))
	t.row("ETAG", orDash(gr.GetEtag()))
	t.row("CREATED", formatTime(gr.GetCreateTime()))
	t.row("UPDATED", formatTime(gr.GetUpdateTime()))
	return t.write(w)
}

// enumLabelOf is a rights enum value's short name with its Chinese label.
func enumLabelOf(ed protoreflect.EnumDescriptor, n protoreflect.EnumNumber) string {
	if n == 0 {
		return "-"
	}
	s := enumShort(ed, n)
	if l := rightsEnumLabels[ed.FullName()][n]; len(l) > 0 {
		s += " (" + l[0] + ")"
	}
	return s
}

// basisText is a legal basis on one line: kind, number and title.
func basisText(b *rightsv1.LegalBasis) string {
	s := enumShort(b.GetKind().Descriptor(), b.GetKind().Number()) + " " + b.GetDocumentNumber()
	if b.GetTitle() != "" {
		s += " 《" + b.GetTitle() + "》"
	}
	return s
}

func printGrantTable(w io.Writer, grants []*rightsv1.Grant) error {
	var t table
	t.row("NAME", "ASSET", "RIGHT", "GRANTOR", "GRANTEE", "DEPTH", "STATE", "VALID UNTIL")
	for _, gr := range grants {
		t.row(gr.GetName(), gr.GetAsset(), rightShort(gr.GetRight()), orDash(gr.GetGrantorOrganisation()),
			gr.GetGranteeOrganisation(), strconv.Itoa(int(gr.GetDepth())), grantState(gr.GetState()), formatTime(gr.GetValidUntil()))
	}
	return t.write(w)
}

func printHolding(w io.Writer, h *rightsv1.Holding) error {
	var t table
	t.row("ASSET", h.GetAsset())
	t.row("HOLDER", h.GetHolderOrganisation())
	t.row("SINCE", formatTime(h.GetSince()))
	if h.GetUntil() != nil {
		t.row("UNTIL", formatTime(h.GetUntil()))
	}
	t.row("CAUSE", orDash(h.GetCause()))
	if b := h.GetLegalBasis(); b != nil {
		t.row("BASIS", basisText(b))
	}
	return t.write(w)
}

func printHoldingTable(w io.Writer, hs []*rightsv1.Holding) error {
	var t table
	t.row("ASSET", "HOLDER", "SINCE", "UNTIL", "CAUSE", "BASIS")
	for _, h := range hs {
		basis := "-"
		if h.GetLegalBasis() != nil {
			basis = basisText(h.GetLegalBasis())
		}
		t.row(h.GetAsset(), h.GetHolderOrganisation(), formatTime(h.GetSince()), formatTime(h.GetUntil()), orDash(h.GetCause()), basis)
	}
	return t.write(w)
}

func printCheck(w io.Writer, output string, resp *rightsv1.CheckResponse) error {
	if output == outputJSON {
		return printProtoJSON(w, resp)
	}
	var t table
	if !resp.GetAllowed() {
		fprintfErr(w, "DENIED\n")
		t.row("REASON", denialReason(resp.GetDenialReason()))
		t.row("DETAIL", orDash(resp.GetDetail()))
		return t.write(w)
	}
	fprintfErr(w, "ALLOWED\n")
	if resp.GetHolder() {
		t.row("HOLDER", "yes: the organisation holds the asset")
	}
	for i, c := range resp.GetChain() {
		label := ""
		if i == 0 {
			label = "CHAIN"
		}
		t.row(label, c)
	}
	return t.write(w)
}

func printPolicy(w io.Writer, rules []*rightsv1.GradeRule) error {
	var t table
	t.row("GRADE", "GRANTS ALLOWED", "FORBIDDEN FORMS")
	ed := catalogv1.Grade(0).Descriptor()
	rank := func(r *rightsv1.GradeRule) int { // general, important, core; unknown last
		if v := ed.Values().ByName(protoreflect.Name(r.GetGrade())); v != nil {
			return int(v.Number())
		}
		return ed.Values().Len()
	}
	rules = slices.Clone(rules)
	slices.SortStableFunc(rules, func(a, b *rightsv1.GradeRule) int { return rank(a) - rank(b) })
	for _, r := range rules {
		grade := r.GetGrade()
		if v := ed.Values().ByName(protoreflect.Name(grade)); v != nil {
			grade = enumShort(ed, v.Number()) + " (" + enumLabel(ed, v.Number()) + ")"
		}
		allowed := "no"
		if r.GetGrantsAllowed() {
			allowed = "yes"
		}
		t.row(grade, allowed, orDash(formsShort(r.GetForbiddenDeliveryForms())))
	}
	return t.write(w)
}
