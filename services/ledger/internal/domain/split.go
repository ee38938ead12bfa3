package domain

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
)

// Ratio is an exact share of a whole, Num/Den: 33.33 % is BasisPoints(3333), one third is
// Fraction(1, 3). Agreements write their shares both ways, and a third is not a whole
// number of basis points, so the ledger keeps the fraction as agreed and never a float.
type Ratio struct {
	Num, Den int64
}

// BasisPoints is bp/10000 (1 bp = 0.01 %).
func BasisPoints(bp int64) Ratio { return Ratio{Num: bp, Den: 10000} }

// Percent is p/100.
func Percent(p int64) Ratio { return Ratio{Num: p, Den: 100} }

// Fraction is num/den.
func Fraction(num, den int64) Ratio { return Ratio{Num: num, Den: den} }

// Rat is r as an exact rational; nil when the denominator is not positive.
func (r Ratio) Rat() *big.Rat {
	if r.Den <= 0 {
		return nil
	}
	return big.NewRat(r.Num, r.Den)
}

// String writes r as "num/den (p %)", the percentage exact where it has a finite decimal
// expansion of at most six places and marked "≈" otherwise.
func (r Ratio) String() string {
	q := r.Rat()
	if q == nil {
		return fmt.Sprintf("%d/%d", r.Num, r.Den)
	}
	return fmt.Sprintf("%d/%d (%s)", r.Num, r.Den, percentText(q))
}

// percentText writes q (a fraction of the whole) as a percentage: exact when it can be.
func percentText(q *big.Rat) string {
	p := new(big.Rat).Mul(q, big.NewRat(100, 1))
	for places := 0; places <= 6; places++ {
		scaled := new(big.Rat).Mul(p, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)))
		if scaled.IsInt() {
			return p.FloatString(places) + " %"
		}
	}
	return "≈" + p.FloatString(4) + " %"
}

// Contributor is one party to a revenue split (谁投入、谁贡献、谁受益: whoever invested,
// contributed or benefits) with its agreed ratio. ID is whatever names the party in the
// agreement (a unit's USCC, a person's id); it must be unique within one split.
type Contributor struct {
	ID    string
	Ratio Ratio
}

// Allocation is a contributor's share of a split amount, in fen.
type Allocation struct {
	ContributorID string
	Ratio         Ratio
	Amount        Fen
}

// Split distributes amount among the contributors by their agreed ratios (收益分配). The
// ratios must be positive and sum to exactly 100 %; otherwise Split refuses with a
// *RuleError naming the sum (an agreement that does not add up is the agreement's error,
// not something to normalise away).
//
// Rounding rule (largest remainder, ties by contributor order): each contributor first gets
// the exact share amount × ratio rounded down to whole fen. The fen left over — always
// fewer than the number of contributors — go one each to the contributors with the largest
// discarded fractions of a fen; where fractions are equal, the contributor listed first
// gets the fen. So 100.00 among three equal thirds is 33.34 / 33.33 / 33.33.
//
// A negative amount (a refund) mirrors the positive one: Split(-a) is Split(a) with every
// share negated, so a refund takes back from each contributor exactly what the original
// gave it. Shares then round toward zero and the left-over fen go by the same rule.
//
// The shares always sum to amount exactly, and each differs from the exact share by less
// than one fen. Allocations are returned in contributor order.
func Split(amount Fen, contributors []Contributor) ([]Allocation, error) {
	if err := checkSplit(contributors); err != nil {
		return nil, err
	}
	neg := amount < 0
	mag := big.NewInt(int64(amount))
	mag.Abs(mag) // big, so that -MinInt64 and amount×Num cannot overflow

	type part struct {
		floor *big.Int
		rem   *big.Rat // discarded fraction of a fen, in [0, 1)
	}
	parts := make([]part, len(contributors))
	left := new(big.Int).Set(mag)
	for i, c := range contributors {
		num := new(big.Int).Mul(mag, big.NewInt(c.Ratio.Num))
		den := big.NewInt(c.Ratio.Den)
		q, m := new(big.Int).QuoRem(num, den, new(big.Int))
		parts[i] = part{floor: q, rem: new(big.Rat).SetFrac(m, den)}
		left.Sub(left, q)
	}
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { // stable: ties keep contributor order
		return parts[order[a]].rem.Cmp(parts[order[b]].rem) > 0
	})
	// left < len(contributors): the discarded fractions sum to it and each is below one.
	for k := int64(0); k < left.Int64(); k++ {
		parts[order[k]].floor.Add(parts[order[k]].floor, big.NewInt(1))
	}
	out := make([]Allocation, len(contributors))
	for i, c := range contributors {
		v := parts[i].floor
		if neg {
			v.Neg(v)
		}
		out[i] = Allocation{ContributorID: c.ID, Ratio: c.Ratio, Amount: Fen(v.Int64())}
	}
	return out, nil
}

// checkSplit enforces the agreement's shape: someone to share with, each ratio positive,
// each contributor once, ratios summing to exactly one.
func checkSplit(cs []Contributor) error {
	if len(cs) == 0 {
		return &RuleError{Reason: ReasonSplitNoContributors,
			En: "a split needs at least one contributor",
			Zh: "收益分配至少需要一个参与方"}
	}
	seen := make(map[string]bool, len(cs))
	sum := new(big.Rat)
	for i, c := range cs {
		if strings.TrimSpace(c.ID) == "" {
			return &RuleError{Reason: ReasonSplitContributorMissing,
				En: fmt.Sprintf("contributor %d has no id", i+1),
				Zh: fmt.Sprintf("第 %d 个参与方缺少标识", i+1)}
		}
		if seen[c.ID] {
			return &RuleError{Reason: ReasonSplitDuplicate,
				En: fmt.Sprintf("contributor %q is listed twice; give it one ratio", c.ID),
				Zh: fmt.Sprintf("参与方 %q 重复出现，应合并为一个比例", c.ID)}
		}
		seen[c.ID] = true
		if c.Ratio.Den <= 0 || c.Ratio.Num <= 0 {
			return &RuleError{Reason: ReasonSplitRatioInvalid,
				En: fmt.Sprintf("contributor %q: ratio %d/%d must be positive with a positive denominator", c.ID, c.Ratio.Num, c.Ratio.Den),
				Zh: fmt.Sprintf("参与方 %q 的分配比例 %d/%d 无效，比例与分母均须为正", c.ID, c.Ratio.Num, c.Ratio.Den)}
		}
		sum.Add(sum, c.Ratio.Rat())
	}
	if sum.Cmp(big.NewRat(1, 1)) != 0 {
		return &RuleError{Reason: ReasonSplitRatioSumNot100,
			En: fmt.Sprintf("the ratios sum to %s (%s), not exactly 100 %%", percentText(sum), sum.RatString()),
			Zh: fmt.Sprintf("分配比例合计为 %s（%s），不等于 100%%", percentText(sum), sum.RatString())}
	}
	return nil
}
