package domain

import (
	"math"
	"strconv"
	"strings"
)

// AccountingClass is how a data resource is recognised (确认) under 财会〔2023〕11号.
type AccountingClass int

// Accounting classes. The zero value is "not chosen" and is refused.
const (
	ClassUnspecified AccountingClass = iota
	// ClassUnrecognised: the resource is held or controlled but does not meet the recognition
	// criteria; its spending went to profit or loss, so it carries no amounts in the ledger
	// (it may still be disclosed voluntarily).
	ClassUnrecognised
	// ClassIntangibleAsset: 无形资产 — a resource the unit uses or provides as a service, that
	// meets 企业会计准则第6号 (财会〔2023〕11号 §二(一)).
	ClassIntangibleAsset
	// ClassInventory: 存货 — a resource held for sale in the ordinary course of business,
	// measured under 企业会计准则第1号 (财会〔2023〕11号 §二(二)).
	ClassInventory
	// ClassDevelopmentExpenditure: 开发支出 — development-stage spending on an internal data
	// project that meets the capitalisation criteria but is not yet ready for use; shown under
	// the balance-sheet line "开发支出 其中：数据资源" and not amortised until it becomes an
	// intangible asset.
	ClassDevelopmentExpenditure
)

var classNames = [...]enumNames{
	ClassUnspecified:            {"unspecified", "not chosen", "未选择"},
	ClassUnrecognised:           {"unrecognised", "not recognised", "未确认为资产"},
	ClassIntangibleAsset:        {"intangible_asset", "intangible asset", "无形资产"},
	ClassInventory:              {"inventory", "inventory", "存货"},
	ClassDevelopmentExpenditure: {"development_expenditure", "development expenditure", "开发支出"},
}

func (c AccountingClass) valid() bool {
	return c >= ClassUnrecognised && c <= ClassDevelopmentExpenditure
}

// String is the class's stable name ("intangible_asset").
func (c AccountingClass) String() string { return namesOf(classNames[:], c).name }

// Zh names the class in Chinese (无形资产).
func (c AccountingClass) Zh() string { return namesOf(classNames[:], c).zh }

// AcquisitionMode is how the unit obtained the resource (形成方式).
type AcquisitionMode int

// Acquisition modes. The zero value is "not given"; only unrecognised resources may leave it.
const (
	ModeUnspecified AcquisitionMode = iota
	// ModeAcquired: 外购 — bought from another party (intangible asset or inventory).
	ModeAcquired
	// ModeSelfDeveloped: 自行开发 — developed in-house (intangible asset, development
	// expenditure).
	ModeSelfDeveloped
	// ModeSelfProcessed: 自行加工 — processed in-house for sale (inventory).
	ModeSelfProcessed
	// ModeOther: 其他方式 — contributed by an investor, exchanged, received in a debt
	// restructuring, a business combination, a government grant…; the amount the governing
	// standard sets goes into the Price component.
	ModeOther
)

var modeNames = [...]enumNames{
	ModeUnspecified:   {"unspecified", "not given", "未指定"},
	ModeAcquired:      {"acquired", "acquired", "外购"},
	ModeSelfDeveloped: {"self_developed", "self-developed", "自行开发"},
	ModeSelfProcessed: {"self_processed", "self-processed", "自行加工"},
	ModeOther:         {"other", "obtained otherwise", "其他方式"},
}

// String is the mode's stable name ("self_developed").
func (m AcquisitionMode) String() string { return namesOf(modeNames[:], m).name }

// Zh names the mode in Chinese (自行开发).
func (m AcquisitionMode) Zh() string { return namesOf(modeNames[:], m).zh }

// modesByClass lists the modes each class allows: 财会〔2023〕11号 distinguishes intangible
// assets acquired, self-developed or obtained otherwise, and inventory acquired,
// self-processed or obtained otherwise; development expenditure is by definition in-house.
var modesByClass = map[AccountingClass][]AcquisitionMode{
	ClassIntangibleAsset:        {ModeAcquired, ModeSelfDeveloped, ModeOther},
	ClassInventory:              {ModeAcquired, ModeSelfProcessed, ModeOther},
	ClassDevelopmentExpenditure: {ModeSelfDeveloped},
}

// AmortisationMethod is how an intangible asset's cost is spread over its useful life. It is
// an enum so that other methods can be added (企业会计准则第6号 allows any method that
// reflects how the benefits are consumed, with straight-line when that cannot be determined
// reliably; 政府会计准则第4号 allows 年限平均法 or 工作量法).
type AmortisationMethod int

// Amortisation methods. The zero value is "not given".
const (
	MethodUnspecified AmortisationMethod = iota
	// MethodStraightLine: 直线法 / 年限平均法 — equal monthly amounts over the useful life, residual
	// value zero (企业会计准则第6号: the residual value of an intangible asset with a finite
	// life is taken as zero save for stated exceptions; 政府会计准则第4号 amortises the whole cost).
	MethodStraightLine
	// MethodNone: not amortised — an intangible asset whose useful life cannot be determined
	// (使用寿命不确定, 企业会计准则第6号; 使用年限不确定, 政府会计准则第4号); it is tested for
	// impairment instead. A booking with this method has a useful life of 0.
	MethodNone
)

// String is the method's stable name ("straight_line").
func (m AmortisationMethod) String() string {
	switch m {
	case MethodStraightLine:
		return "straight_line"
	case MethodNone:
		return "none"
	case MethodUnspecified:
		return "unspecified"
	}
	return "unknown"
}

// CostComponents are the parts of a data resource's initial cost (初始计量), each in fen, as
// 财会〔2023〕11号 lists them. The initial amount is always their sum (InitialAmount): it is
// computed, never entered.
//
// Intangible asset acquired: price, related taxes, the processing spent directly to bring it
// to its intended use (数据脱敏、清洗、标注、整合、分析、可视化), and the fees for rights
// verification (数据权属鉴证), quality assessment (质量评估), registration and settlement
// (登记结算) and security (安全管理). Inventory acquired: price, taxes, insurance and the same
// fees; inventory self-processed: purchase cost plus processing including collection
// (数据采集). Self-developed intangibles: the development-stage spending that meets the
// capitalisation criteria (research-stage spending is expensed and never booked here).
type CostComponents struct {
	Price                  Fen // 购买价款 (or the amount set by the standard for ModeOther)
	Taxes                  Fen // 相关税费
	Insurance              Fen // 保险费 (inventory)
	Collection             Fen // 数据采集
	Desensitisation        Fen // 脱敏
	Cleaning               Fen // 清洗
	Labelling              Fen // 标注
	Integration            Fen // 整合
	Analysis               Fen // 分析
	Visualisation          Fen // 可视化
	RightsVerification     Fen // 数据权属鉴证
	QualityAssessment      Fen // 质量评估
	RegistrationSettlement Fen // 登记结算
	Security               Fen // 安全管理
	Development            Fen // 开发阶段符合资本化条件的支出 (self-developed only)
}

// CostLine is one named cost component, for validation messages and disclosure, and the
// input of the cost method (CostMethodValue). Name is the English name (or the appraiser's
// own), Zh the Chinese (may be empty for an appraiser's line).
type CostLine struct {
	Name, Zh string
	Amount   Fen
}

// zh is the line's Chinese name, or its name when it has none.
func (l CostLine) zh() string {
	if l.Zh != "" {
		return l.Zh
	}
	return l.Name
}

// addCosts adds cost lines, which must each be zero or more (a cost is never negative): it
// returns the first negative line, or sumFen's error when the sum does not fit in int64 fen.
// Callers give the refusal their own reason.
func addCosts(lines []CostLine) (sum Fen, negative *CostLine, err error) {
	amounts := make([]Fen, len(lines))
	for i := range lines {
		if lines[i].Amount < 0 {
			return 0, &lines[i], nil
		}
		amounts[i] = lines[i].Amount
	}
	sum, err = sumFen(amounts...)
	return sum, nil, err
}

// Lines lists the components in the order of 财会〔2023〕11号.
func (c CostComponents) Lines() []CostLine {
	return []CostLine{
		{"price", "购买价款", c.Price},
		{"taxes", "相关税费", c.Taxes},
		{"insurance", "保险费", c.Insurance},
		{"collection", "数据采集", c.Collection},
		{"desensitisation", "脱敏", c.Desensitisation},
		{"cleaning", "清洗", c.Cleaning},
		{"labelling", "标注", c.Labelling},
		{"integration", "整合", c.Integration},
		{"analysis", "分析", c.Analysis},
		{"visualisation", "可视化", c.Visualisation},
		{"rights_verification", "数据权属鉴证", c.RightsVerification},
		{"quality_assessment", "质量评估", c.QualityAssessment},
		{"registration_settlement", "登记结算", c.RegistrationSettlement},
		{"security", "安全管理", c.Security},
		{"development", "开发阶段资本化支出", c.Development},
	}
}

// Processing is the sum of the processing components (采集、脱敏、清洗、标注、整合、分析、可视化).
func (c CostComponents) Processing() (Fen, error) {
	return sumFen(c.Collection, c.Desensitisation, c.Cleaning, c.Labelling, c.Integration, c.Analysis, c.Visualisation)
}

// InitialAmount is the sum of the components: the initial amount (初始入账金额). Each
// component must be zero or more, and the sum must fit.
func (c CostComponents) InitialAmount() (Fen, error) {
	sum, neg, err := addCosts(c.Lines())
	if neg != nil {
		return 0, &RuleError{ReasonNegativeAmount,
			"cost component " + neg.Name + " is negative (" + neg.Amount.String() + "); costs are zero or more",
			"成本项目“" + neg.Zh + "”为负数（" + neg.Amount.String() + "），成本不能为负"}
	}
	return sum, err
}

// sumFen adds amounts exactly or reports that the sum does not fit in int64 fen.
func sumFen(amounts ...Fen) (Fen, error) {
	var s Fen
	for _, a := range amounts {
		if (a > 0 && s > math.MaxInt64-a) || (a < 0 && s < math.MinInt64-a) {
			return 0, &RuleError{ReasonAmountOverflow, "the amounts are too large to add exactly", "金额过大，无法精确求和"}
		}
		s += a
	}
	return s, nil
}

// BookingPolicy holds the choices the texts leave to the unit or the finance department.
type BookingPolicy struct {
	// MaxUsefulLifeMonths bounds the useful life of an intangible asset. Neither text sets
	// a ceiling; the default of 1200 months (100 years) only catches typing errors (a life
	// in days entered as months).
	MaxUsefulLifeMonths int
}

// DefaultBookingPolicy is the policy used when the finance department sets none.
func DefaultBookingPolicy() BookingPolicy { return BookingPolicy{MaxUsefulLifeMonths: 1200} }

// Recognition is what is decided when a data resource is recognised and booked (确认/入账):
// its class, how it was obtained, its cost, and how it is amortised.
type Recognition struct {
	Class AccountingClass
	Mode  AcquisitionMode
	Costs CostComponents
	// UsefulLifeMonths is the amortisation period in months; 0 where nothing is amortised.
	UsefulLifeMonths int
	Method           AmortisationMethod
	// AvailableOn is the day the resource reached its intended use (达到预定用途) or was
	// acquired (inventory): the day it is booked, and the reference for the start of
	// amortisation (see Policy.Start).
	AvailableOn CivilDate
}

// InitialAmount is the sum of the cost components.
func (r Recognition) InitialAmount() (Fen, error) { return r.Costs.InitialAmount() }

// Amortised reports whether the recognition is amortised over a finite life.
func (r Recognition) Amortised() bool {
	return r.Class == ClassIntangibleAsset && r.Method == MethodStraightLine
}

// Validate checks the recognition against the rules of 财会〔2023〕11号 and p.
func (r Recognition) Validate(p BookingPolicy) error {
	if !r.Class.valid() {
		return &RuleError{ReasonInvalidAccountingClass,
			"the accounting class must be unrecognised, intangible_asset, inventory or development_expenditure",
			"会计分类须为未确认、无形资产、存货或开发支出"}
	}
	total, err := r.InitialAmount()
	if err != nil {
		return err
	}
	if r.Class == ClassUnrecognised {
		// Spending on a resource that is not recognised is expensed as incurred; the ledger
		// keeps no amounts for it, so none can later be amortised or reported as an asset.
		if total != 0 || r.UsefulLifeMonths != 0 || r.Method != MethodUnspecified {
			return &RuleError{ReasonUnrecognisedHasAmount,
				"a data resource that is not recognised as an asset carries no cost, useful life or amortisation method",
				"未确认为资产的数据资源不记录成本、使用寿命或摊销方法"}
		}
		if r.Mode < ModeUnspecified || r.Mode > ModeOther {
			return errMode(r)
		}
		return validAvailableOn(r)
	}
	if !modeAllowed(r.Class, r.Mode) {
		return errMode(r)
	}
	if r.Costs.Development != 0 && r.Mode != ModeSelfDeveloped {
		return &RuleError{ReasonCostNotForMode,
			"only a self-developed resource has capitalised development spending",
			"只有自行开发的数据资源才有开发阶段资本化支出"}
	}
	if total == 0 {
		return &RuleError{ReasonNoCost,
			"a recognised data resource must have a cost that can be measured reliably; its initial amount is zero",
			"确认为资产的数据资源成本须能够可靠计量，其初始金额不能为零"}
	}
	if err := validAvailableOn(r); err != nil {
		return err
	}
	if r.UsefulLifeMonths < 0 || r.UsefulLifeMonths > p.MaxUsefulLifeMonths {
		return &RuleError{ReasonUsefulLifeOutOfRange,
			"the useful life must be between 0 and " + strconv.Itoa(p.MaxUsefulLifeMonths) + " months",
			"使用寿命须在0至" + strconv.Itoa(p.MaxUsefulLifeMonths) + "个月之间"}
	}
	if r.Class != ClassIntangibleAsset {
		// Inventory is measured at the lower of cost and net realisable value and expensed
		// when sold (企业会计准则第1号); development expenditure waits until the asset is
		// ready for use. Neither is amortised.
		if r.UsefulLifeMonths != 0 || r.Method != MethodUnspecified {
			return &RuleError{ReasonNotAmortised,
				r.Class.String() + " is not amortised: it takes no useful life and no amortisation method",
				r.Class.Zh() + "不摊销，不填写使用寿命和摊销方法"}
		}
		return nil
	}
	switch r.Method {
	case MethodStraightLine:
		if r.UsefulLifeMonths == 0 {
			return &RuleError{ReasonUsefulLifeRequired,
				"an intangible asset amortised straight-line needs a useful life of at least one month (use method none for an indefinite life)",
				"按直线法摊销的无形资产须填写使用寿命（至少1个月）；使用寿命不确定的请选择不摊销"}
		}
	case MethodNone:
		if r.UsefulLifeMonths != 0 {
			return &RuleError{ReasonNotAmortised,
				"an intangible asset with an indefinite useful life is not amortised and takes no useful life",
				"使用寿命不确定的无形资产不摊销，不填写使用寿命"}
		}
	default:
		return &RuleError{ReasonInvalidAmortisationMethod,
			"an intangible asset needs an amortisation method: straight_line, or none for an indefinite useful life",
			"无形资产须选择摊销方法：直线法，或使用寿命不确定时不摊销"}
	}
	return nil
}

func modeAllowed(c AccountingClass, m AcquisitionMode) bool {
	for _, x := range modesByClass[c] {
		if x == m {
			return true
		}
	}
	return false
}

func errMode(r Recognition) error {
	names := []string{}
	zh := []string{}
	for _, m := range modesByClass[r.Class] {
		names = append(names, m.String())
		zh = append(zh, m.Zh())
	}
	if r.Class == ClassUnrecognised {
		return &RuleError{ReasonInvalidAcquisitionMode, "unknown acquisition mode", "取得方式无效"}
	}
	return &RuleError{ReasonInvalidAcquisitionMode,
		"a data resource recognised as " + r.Class.String() + " is obtained " + strings.Join(names, ", "),
		"确认为" + r.Class.Zh() + "的数据资源，取得方式须为" + strings.Join(zh, "、")}
}

func validAvailableOn(r Recognition) error {
	if !r.AvailableOn.Valid() {
		if r.Class == ClassUnrecognised && r.AvailableOn.IsZero() {
			return nil
		}
		return errInvalidDate(r.AvailableOn.String())
	}
	return nil
}

// BookingState is where a booking is in its two-person flow.
type BookingState int

// Booking states.
const (
	// BookingRecorded: entered by a finance officer, not yet in force.
	BookingRecorded BookingState = iota + 1
	// BookingConfirmed: confirmed by a second person; the recognition is in force and the
	// booking can no longer change.
	BookingConfirmed
)

// String is the state's stable name.
func (s BookingState) String() string {
	switch s {
	case BookingRecorded:
		return "recorded"
	case BookingConfirmed:
		return "confirmed"
	}
	return "unknown"
}

// Booking is a recognition recorded by one person and confirmed by another (issue 14: the
// finance officer records, the finance supervisor confirms). The two-person rule is the
// separation of incompatible duties (不相容岗位相互分离) that the internal-control norms for
// administrative and public institutions and for enterprises require of accounting entries.
// Roles are checked by the caller; the domain checks that the two people differ.
type Booking struct {
	recognition Recognition
	initial     Fen
	recorder    string
	confirmer   string
	state       BookingState
}

// RecordBooking validates r under p and records it as entered by recorder.
func RecordBooking(r Recognition, recorder string, p BookingPolicy) (*Booking, error) {
	recorder = strings.TrimSpace(recorder)
	if recorder == "" {
		return nil, &RuleError{ReasonPersonRequired, "a booking must name who recorded it", "入账记录须注明录入人"}
	}
	if err := r.Validate(p); err != nil {
		return nil, err
	}
	total, _ := r.InitialAmount() // validated above
	return &Booking{recognition: r, initial: total, recorder: recorder, state: BookingRecorded}, nil
}

// Confirm puts the booking in force, confirmed by by. The recorder cannot confirm their own
// booking (ReasonSelfConfirmation), and a booking is confirmed once.
func (b *Booking) Confirm(by string) error {
	by = strings.TrimSpace(by)
	switch {
	case b.state == BookingConfirmed:
		return &RuleError{ReasonBookingAlreadyConfirmed, "the booking is already confirmed by " + b.confirmer,
			"该入账记录已由" + b.confirmer + "确认"}
	case by == "":
		return &RuleError{ReasonPersonRequired, "a confirmation must name who confirms", "确认须注明确认人"}
	case by == b.recorder:
		return &RuleError{ReasonSelfConfirmation,
			"a booking must be confirmed by someone other than the person who recorded it (separation of duties)",
			"入账记录须由录入人以外的人员确认（不相容岗位相互分离）"}
	}
	b.confirmer, b.state = by, BookingConfirmed
	return nil
}

// Recognition is the booked recognition.
func (b *Booking) Recognition() Recognition { return b.recognition }

// InitialAmount is the sum of the cost components, computed when the booking was recorded.
func (b *Booking) InitialAmount() Fen { return b.initial }

// Recorder is who recorded the booking.
func (b *Booking) Recorder() string { return b.recorder }

// Confirmer is who confirmed it ("" while recorded).
func (b *Booking) Confirmer() string { return b.confirmer }

// State is where the booking is.
func (b *Booking) State() BookingState { return b.state }

// Confirmed reports whether the booking is in force.
func (b *Booking) Confirmed() bool { return b.state == BookingConfirmed }
