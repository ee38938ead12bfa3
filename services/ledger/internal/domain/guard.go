package domain

import (
	"errors"
	"fmt"
	"math/big"
)

// GuardPolicy holds the choices the texts leave open about value-related risk. Zero fields
// take the documented defaults.
type GuardPolicy struct {
	// Valuation gives the validity window of a valuation (by default one year from its
	// base date).
	Valuation ValuationPolicy
	// AboveCarryingFactor: a current valuation above this multiple of the asset's carrying
	// amount is flagged. No text sets a figure; the default 3× is a starting point for a
	// finance office to tune. Zero means 3/1.
	AboveCarryingFactor Ratio
	// RefuseOtherUnits refuses pledges by units that are neither 行政事业单位 nor
	// enterprises (社会团体, 民办非企业单位 …). 财资〔2024〕1号 does not reach them, so by
	// default (false) they are checked like enterprises.
	RefuseOtherUnits bool
}

// DefaultGuardPolicy is one-year validity and a factor of 3.
func DefaultGuardPolicy() GuardPolicy {
	return GuardPolicy{Valuation: DefaultValuationPolicy(), AboveCarryingFactor: Fraction(3, 1)}
}

func (p GuardPolicy) withDefaults() GuardPolicy {
	p.Valuation = p.Valuation.withDefaults()
	if p.AboveCarryingFactor == (Ratio{}) {
		p.AboveCarryingFactor = DefaultGuardPolicy().AboveCarryingFactor
	}
	return p
}

// Validate refuses a factor that is not a positive ratio and a bad valuation policy.
func (p GuardPolicy) Validate() error {
	f := p.AboveCarryingFactor
	if f != (Ratio{}) && (f.Den <= 0 || f.Num <= 0) {
		return fmt.Errorf("guard policy: above-carrying factor %d/%d must be positive", f.Num, f.Den)
	}
	return p.Valuation.Validate()
}

// AssetStanding is what the catalog and rights say about an asset, as the ledger last
// heard from their events.
type AssetStanding struct {
	AssetID       string
	Registered    bool // 已登记 and not cancelled
	Suspended     bool
	OpenObjection bool // 异议登记 not yet resolved
	OpenDispute   bool
}

// PledgeFacts are the facts a pledge or financing record (质押/融资) is judged on.
type PledgeFacts struct {
	Unit  UnitKind
	Asset AssetStanding
	// ValuationID is the valuation the pledge relies on; Valuations is every valuation of
	// the asset the ledger holds (the superseded ones too), so that supersession can be
	// judged as of On: what was recorded before On began (midnight UTC).
	ValuationID string
	Valuations  []Valuation
	On          CivilDate // the date of the pledge
}

// PledgeRefusals lists every reason a pledge must be refused, in a fixed order; none means
// it may be recorded.
//
// 行政事业单位 are refused outright, whatever the asset: 财资〔2024〕1号 forbids them to use
// data assets to provide guarantees and so create new hidden government debt (不得利用数据
// 资产进行担保，新增政府隐性债务). Others need a valuation of this asset that is within its
// validity window on the pledge date and not superseded, on an asset that is registered,
// not suspended, and without an open objection or dispute — a pledge must rest on a value
// someone can rely on, for an asset whose title is not in question.
func PledgeRefusals(f PledgeFacts, p GuardPolicy) []*RuleError {
	p = p.withDefaults()
	switch f.Unit {
	case UnitAdministrative, UnitPublicInstitution:
		return []*RuleError{{Reason: ReasonPledgeForbidden,
			En: "administrative units and public institutions must not use data assets to provide guarantees and so create new hidden government debt (财资〔2024〕1号); no pledge or financing on a data asset can be recorded for them",
			Zh: "行政事业单位不得利用数据资产进行担保，新增政府隐性债务（财资〔2024〕1号），不得办理数据资产质押或融资"}}
	case UnitEnterprise:
	case UnitOther:
		if p.RefuseOtherUnits {
			return []*RuleError{{Reason: ReasonPledgeOtherUnitRefused,
				En: "this ledger's policy refuses pledges by units that are neither public bodies nor enterprises",
				Zh: "按本台账策略，既非行政事业单位也非企业的单位不得办理数据资产质押"}}
		}
	default:
		return []*RuleError{{Reason: ReasonPledgeUnitUnknown,
			En: fmt.Sprintf("unit kind %q is unknown; a pledge is judged by the holder's kind", f.Unit),
			Zh: fmt.Sprintf("单位类型 %q 未知，无法判断能否办理质押", f.Unit)}}
	}
	var out []*RuleError
	a := f.Asset
	if !a.Registered {
		out = append(out, &RuleError{Reason: ReasonPledgeAssetNotRegistered,
			En: "the asset is not registered", Zh: "该数据资产未登记或已注销"})
	}
	if a.Suspended {
		out = append(out, &RuleError{Reason: ReasonPledgeAssetSuspended,
			En: "the asset's registration is suspended", Zh: "该数据资产登记已中止"})
	}
	if a.OpenObjection {
		out = append(out, &RuleError{Reason: ReasonPledgeAssetObjection,
			En: "the asset has an open objection (异议登记)", Zh: "该数据资产存在未解决的异议登记"})
	}
	if a.OpenDispute {
		out = append(out, &RuleError{Reason: ReasonPledgeAssetDispute,
			En: "the asset has an open dispute", Zh: "该数据资产存在未解决的争议"})
	}
	out = append(out, pledgeValuationRefusals(f, p)...)
	return out
}

func pledgeValuationRefusals(f PledgeFacts, p GuardPolicy) []*RuleError {
	var v *Valuation
	for i := range f.Valuations {
		if f.Valuations[i].ID == f.ValuationID && f.ValuationID != "" {
			v = &f.Valuations[i]
			break
		}
	}
	if v == nil || v.RecordedAt.After(recordedBy(f.On)) {
		return []*RuleError{{Reason: ReasonPledgeNoValuation,
			En: "a pledge needs a recorded valuation of the asset", Zh: "质押须有已记录的该资产评估结果"}}
	}
	if v.AssetID != f.Asset.AssetID {
		return []*RuleError{{Reason: ReasonPledgeValuationOtherAsset,
			En: fmt.Sprintf("valuation %s is of asset %s, not of the pledged asset %s", v.ID, v.AssetID, f.Asset.AssetID),
			Zh: fmt.Sprintf("评估记录 %s 评估的是资产 %s，而非质押资产 %s", v.ID, v.AssetID, f.Asset.AssetID)}}
	}
	var out []*RuleError
	if !v.ValidOn(f.On, p.Valuation) {
		out = append(out, &RuleError{Reason: ReasonPledgeValuationStale,
			En: fmt.Sprintf("valuation %s (base date %s) is not valid on %s: its validity runs from the base date to the day before %s",
				v.ID, v.BaseDate, f.On, v.ValidUntil(p.Valuation)),
			Zh: fmt.Sprintf("评估记录 %s（评估基准日 %s）在 %s 不在有效期内，有效期自评估基准日起至 %s 前一日止",
				v.ID, v.BaseDate, f.On, v.ValidUntil(p.Valuation))})
	}
	if by, ok := ValuationsAsOf(f.Valuations, v.AssetID, recordedBy(f.On)).SupersededBy(v.ID); ok {
		out = append(out, &RuleError{Reason: ReasonPledgeValuationSuperseded,
			En: fmt.Sprintf("valuation %s is superseded by %s", v.ID, by.ID),
			Zh: fmt.Sprintf("评估记录 %s 已被 %s 取代", v.ID, by.ID)})
	}
	return out
}

// CheckPledge is PledgeRefusals as an error: nil when the pledge may be recorded, else
// the refusals joined (errors.As finds the first *RuleError).
func CheckPledge(f PledgeFacts, p GuardPolicy) error {
	rs := PledgeRefusals(f, p)
	errs := make([]error, len(rs))
	for i, r := range rs {
		errs[i] = r
	}
	return errors.Join(errs...)
}

// FlagKind names a value-risk flag (task 12). Flags are raised by the pure functions here;
// listing, acknowledging and resolving them is the application's.
type FlagKind string

// The flags.
const (
	FlagStaleValuation          FlagKind = "stale_valuation"
	FlagValuationAboveCarrying  FlagKind = "valuation_above_carrying"
	FlagRevenueOnRevokedGrant   FlagKind = "revenue_on_revoked_grant"
	FlagRevenueOnExpiredGrant   FlagKind = "revenue_on_expired_grant"
	FlagRevenueBeforeGrantStart FlagKind = "revenue_before_grant_start"
)

// Flag is one value-risk finding about a subject (an asset or a revenue record).
type Flag struct {
	Kind    FlagKind
	Subject string
	En, Zh  string
}

// Carrying is an asset's carrying amount (账面价值) on a date, as booking computed it.
// Booked is false for a resource that is not recognised: there is no carrying amount to
// compare a valuation with, so it is not flagged for it.
type Carrying struct {
	Booked bool
	Amount Fen
}

// ValuationFlags returns the flags on an asset's current valuation as of on: stale when
// the current valuation (the newest recorded before on began) is past its validity window, and far
// above the carrying amount when its value exceeds the policy's factor (3× by default)
// times the carrying amount. Superseded valuations raise nothing; they are history.
func ValuationFlags(assetID string, valuations []Valuation, carrying Carrying, on CivilDate, p GuardPolicy) []Flag {
	p = p.withDefaults()
	v, ok := ValuationsAsOf(valuations, assetID, recordedBy(on)).Current()
	if !ok {
		return nil
	}
	var out []Flag
	if !on.Before(v.ValidUntil(p.Valuation)) {
		out = append(out, Flag{Kind: FlagStaleValuation, Subject: assetID,
			En: fmt.Sprintf("the current valuation %s (base date %s) expired on %s", v.ID, v.BaseDate, v.ValidUntil(p.Valuation)),
			Zh: fmt.Sprintf("现行评估结果 %s（评估基准日 %s）已于 %s 超过有效期", v.ID, v.BaseDate, v.ValidUntil(p.Valuation))})
	}
	if carrying.Booked && aboveFactor(v.Value, carrying.Amount, p.AboveCarryingFactor) {
		f := p.AboveCarryingFactor.Rat().RatString()
		out = append(out, Flag{Kind: FlagValuationAboveCarrying, Subject: assetID,
			En: fmt.Sprintf("valuation %s of %s is more than %s × the carrying amount %s", v.ID, v.Value, f, carrying.Amount),
			Zh: fmt.Sprintf("评估结果 %s 为 %s，超过账面价值 %s 的 %s 倍", v.ID, v.Value, carrying.Amount, f)})
	}
	return out
}

// aboveFactor reports value > factor × carrying, exactly: value·den > num·carrying.
func aboveFactor(value, carrying Fen, factor Ratio) bool {
	l := new(big.Int).Mul(big.NewInt(int64(value)), big.NewInt(factor.Den))
	r := new(big.Int).Mul(big.NewInt(int64(carrying)), big.NewInt(factor.Num))
	return l.Cmp(r) > 0
}

// GrantStanding is what rights says about a grant (授权) that revenue is recorded against.
// Dates are calendar dates; ValidUntil is the last day of the grant's term (zero: open
// ended); RevokedOn is the day revocation took effect (zero: not revoked).
type GrantStanding struct {
	GrantID    string
	ValidFrom  CivilDate
	ValidUntil CivilDate
	RevokedOn  CivilDate
}

// RevenueFacts is a revenue record with the grant it is recorded against. PeriodFrom and
// PeriodTo (inclusive) are the period of use the revenue pays for; when they are zero the
// receipt date stands for the period.
type RevenueFacts struct {
	RevenueID  string
	Grant      GrantStanding
	PeriodFrom CivilDate
	PeriodTo   CivilDate
	ReceivedOn CivilDate
}

// RevenueGrantFlags flags revenue that pays for use the grant did not cover: use on or
// after the day the grant was revoked, after its last day, or before its first. Revenue
// received late for a period the grant did cover is not flagged — paying late for
// authorised use is not the risk.
func RevenueGrantFlags(rs []RevenueFacts) []Flag {
	var out []Flag
	for _, r := range rs {
		from, to := r.PeriodFrom, r.PeriodTo
		if from.IsZero() {
			from = r.ReceivedOn
		}
		if to.IsZero() {
			to = r.ReceivedOn
		}
		g := r.Grant
		if !g.RevokedOn.IsZero() && !to.Before(g.RevokedOn) {
			out = append(out, Flag{Kind: FlagRevenueOnRevokedGrant, Subject: r.RevenueID,
				En: fmt.Sprintf("revenue %s pays for use up to %s, but grant %s was revoked on %s", r.RevenueID, to, g.GrantID, g.RevokedOn),
				Zh: fmt.Sprintf("收入 %s 对应的使用期至 %s，但授权 %s 已于 %s 撤销", r.RevenueID, to, g.GrantID, g.RevokedOn)})
		}
		if !g.ValidUntil.IsZero() && to.After(g.ValidUntil) {
			out = append(out, Flag{Kind: FlagRevenueOnExpiredGrant, Subject: r.RevenueID,
				En: fmt.Sprintf("revenue %s pays for use up to %s, but grant %s ended on %s", r.RevenueID, to, g.GrantID, g.ValidUntil),
				Zh: fmt.Sprintf("收入 %s 对应的使用期至 %s，但授权 %s 已于 %s 到期", r.RevenueID, to, g.GrantID, g.ValidUntil)})
		}
		if !g.ValidFrom.IsZero() && from.Before(g.ValidFrom) {
			out = append(out, Flag{Kind: FlagRevenueBeforeGrantStart, Subject: r.RevenueID,
				En: fmt.Sprintf("revenue %s pays for use from %s, before grant %s began on %s", r.RevenueID, from, g.GrantID, g.ValidFrom),
				Zh: fmt.Sprintf("收入 %s 对应的使用期自 %s 起，早于授权 %s 的生效日 %s", r.RevenueID, from, g.GrantID, g.ValidFrom)})
		}
	}
	return out
}
