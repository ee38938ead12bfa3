package domain_test

import (
	"errors"
	"math"
	"math/big"
	"math/rand"
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/require"

	"yaosu.dev/services/ledger/internal/domain"
)

func contributors(rs ...domain.Ratio) []domain.Contributor {
	ids := []string{"A", "B", "C", "D", "E", "F", "G", "H"}
	out := make([]domain.Contributor, len(rs))
	for i, r := range rs {
		out[i] = domain.Contributor{ID: ids[i], Ratio: r}
	}
	return out
}

func amounts(as []domain.Allocation) []domain.Fen {
	out := make([]domain.Fen, len(as))
	for i, a := range as {
		out[i] = a.Amount
	}
	return out
}

func reasonOf(t *testing.T, err error) domain.Reason {
	t.Helper()
	var re *domain.RuleError
	require.True(t, errors.As(err, &re), "want a *RuleError, got %v", err)
	require.NotEmpty(t, re.En)
	require.NotEmpty(t, re.Zh)
	return re.Reason
}

// TestSplitHandComputed checks Split against shares worked out by hand. In each row:
// exact share = amount × ratio; floor it; the fen left over go one each to the largest
// discarded fractions, ties to the contributor listed first.
func TestSplitHandComputed(t *testing.T) {
	t.Parallel()
	third := domain.Fraction(1, 3)
	for _, tc := range []struct {
		name   string
		amount domain.Fen
		ratios []domain.Ratio
		want   []domain.Fen
	}{
		// 10000 fen × 1/3 = 3333.33… each; floors 3333×3 = 9999; 1 fen left; the three
		// fractions tie at 1/3, so A (listed first) gets it.
		{"100.00 in thirds", 10000, []domain.Ratio{third, third, third}, []domain.Fen{3334, 3333, 3333}},
		// The refund mirrors it.
		{"-100.00 in thirds", -10000, []domain.Ratio{third, third, third}, []domain.Fen{-3334, -3333, -3333}},
		// 33.33 % + 33.33 % + 33.34 %: exact shares 3333, 3333, 3334, nothing left over.
		{"100.00 by basis points", 10000, []domain.Ratio{domain.BasisPoints(3333), domain.BasisPoints(3333), domain.BasisPoints(3334)}, []domain.Fen{3333, 3333, 3334}},
		// 100 × 1/6 = 16.67, × 1/3 = 33.33, × 1/2 = 50; floors 16+33+50 = 99; fractions
		// 2/3, 1/3, 0: A gets the fen.
		{"1.00 in sixths, thirds, halves", 100, []domain.Ratio{domain.Fraction(1, 6), third, domain.Fraction(1, 2)}, []domain.Fen{17, 33, 50}},
		// 10 × 12 % = 1.2, × 48 % = 4.8, × 40 % = 4.0; floors 1+4+4 = 9; the largest
		// fraction is B's 0.8, so B gets the fen although A comes first.
		{"largest remainder wins over order", 10, []domain.Ratio{domain.Percent(12), domain.Percent(48), domain.Percent(40)}, []domain.Fen{1, 5, 4}},
		// 10 × 15 % = 1.5, × 45 % = 4.5, × 40 % = 4.0; A and B tie at 0.5: A gets it.
		{"tie goes to the first listed", 10, []domain.Ratio{domain.Percent(15), domain.Percent(45), domain.Percent(40)}, []domain.Fen{2, 4, 4}},
		// 5 × 30 % = 1.5, × 70 % = 3.5: tie, A first.
		{"tie 30/70", 5, []domain.Ratio{domain.Percent(30), domain.Percent(70)}, []domain.Fen{2, 3}},
		{"tie 70/30", 5, []domain.Ratio{domain.Percent(70), domain.Percent(30)}, []domain.Fen{4, 1}},
		// 2 × 1/3 = 0.67 each; floors 0; 2 fen left; all tie: A and B.
		{"two fen in thirds", 2, []domain.Ratio{third, third, third}, []domain.Fen{1, 1, 0}},
		{"refund of two fen in thirds", -2, []domain.Ratio{third, third, third}, []domain.Fen{-1, -1, 0}},
		{"one fen in halves", 1, []domain.Ratio{domain.Fraction(1, 2), domain.Fraction(1, 2)}, []domain.Fen{1, 0}},
		{"zero", 0, []domain.Ratio{third, third, third}, []domain.Fen{0, 0, 0}},
		{"one contributor takes all", 12345, []domain.Ratio{domain.Percent(100)}, []domain.Fen{12345}},
		{"the largest amount", math.MaxInt64, []domain.Ratio{domain.Fraction(1, 1)}, []domain.Fen{math.MaxInt64}},
		{"the smallest amount", math.MinInt64, []domain.Ratio{domain.Fraction(1, 1)}, []domain.Fen{math.MinInt64}},
		// MaxInt64 = 9223372036854775807 is odd: halves 4611686018427387903.5 each; A gets the fen.
		{"the largest amount in halves", math.MaxInt64, []domain.Ratio{domain.Fraction(1, 2), domain.Fraction(1, 2)}, []domain.Fen{4611686018427387904, 4611686018427387903}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := domain.Split(tc.amount, contributors(tc.ratios...))
			require.NoError(t, err)
			require.Equal(t, tc.want, amounts(got))
			for i, a := range got {
				require.Equal(t, tc.ratios[i], a.Ratio)
			}
		})
	}
}

func TestSplitRefusesAgreementsThatDoNotAddUp(t *testing.T) {
	t.Parallel()
	third := domain.Fraction(1, 3)
	for _, tc := range []struct {
		name   string
		cs     []domain.Contributor
		reason domain.Reason
		text   string // the sum named in the English text
	}{
		{"short by a basis point", contributors(domain.BasisPoints(3333), domain.BasisPoints(3333), domain.BasisPoints(3333)), domain.ReasonSplitRatioSumNot100, "99.99 %"},
		{"over", contributors(domain.Percent(60), domain.Percent(50)), domain.ReasonSplitRatioSumNot100, "110 %"},
		{"two thirds", contributors(third, third), domain.ReasonSplitRatioSumNot100, "≈66.6667 % (2/3)"},
		{"nobody", nil, domain.ReasonSplitNoContributors, "at least one"},
		{"zero ratio", contributors(domain.Percent(100), domain.Percent(0)), domain.ReasonSplitRatioInvalid, "must be positive"},
		{"negative ratio", contributors(domain.Percent(110), domain.Percent(-10)), domain.ReasonSplitRatioInvalid, "must be positive"},
		{"zero denominator", contributors(domain.Fraction(1, 0)), domain.ReasonSplitRatioInvalid, "positive denominator"},
		{"duplicate", []domain.Contributor{{ID: "A", Ratio: domain.Percent(50)}, {ID: "A", Ratio: domain.Percent(50)}}, domain.ReasonSplitDuplicate, "listed twice"},
		{"no id", []domain.Contributor{{ID: " ", Ratio: domain.Percent(100)}}, domain.ReasonSplitContributorMissing, "no id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := domain.Split(10000, tc.cs)
			require.Equal(t, tc.reason, reasonOf(t, err))
			require.Contains(t, err.Error(), tc.text)
		})
	}
}

// checkSplitProperties is the property: the shares sum to the amount (no fen lost or
// created), each is within one fen of the exact share, the extra fen went by the stated
// rule (no one who got one has a smaller discarded fraction than someone who did not, or an
// equal one and a later place), and a refund mirrors the split.
func checkSplitProperties(t *testing.T, amount int64, weights []uint16) bool {
	t.Helper()
	if len(weights) == 0 || len(weights) > 40 {
		return true
	}
	// Ratios w_i / W with W the sum of the weights: positive, and they sum to exactly one.
	var total int64
	for _, w := range weights {
		total += int64(w) + 1
	}
	cs := make([]domain.Contributor, len(weights))
	for i, w := range weights {
		cs[i] = domain.Contributor{ID: string(rune('a'+i%26)) + string(rune('0'+i/26)), Ratio: domain.Fraction(int64(w)+1, total)}
	}
	got, err := domain.Split(domain.Fen(amount), cs)
	if err != nil {
		t.Log(err)
		return false
	}
	sum := new(big.Int)
	for i, a := range got {
		sum.Add(sum, big.NewInt(int64(a.Amount)))
		exact := new(big.Rat).Mul(new(big.Rat).SetInt64(amount), cs[i].Ratio.Rat())
		diff := new(big.Rat).Sub(new(big.Rat).SetInt64(int64(a.Amount)), exact)
		if diff.Abs(diff).Cmp(big.NewRat(1, 1)) >= 0 {
			t.Logf("amount %d share %d: %d vs exact %s", amount, i, a.Amount, exact.RatString())
			return false
		}
	}
	if sum.Cmp(big.NewInt(amount)) != 0 {
		t.Logf("amount %d: shares sum to %s", amount, sum)
		return false
	}
	// The rule, on the magnitude: extra_i = |share_i| − floor(|amount|·r_i) is 0 or 1, and
	// rem_i = |amount|·r_i − floor(…) orders who gets one.
	mag := new(big.Rat).Abs(new(big.Rat).SetInt64(amount))
	extra := make([]int64, len(got))
	rem := make([]*big.Rat, len(got))
	for i, a := range got {
		exact := new(big.Rat).Mul(mag, cs[i].Ratio.Rat())
		floor := new(big.Int).Quo(exact.Num(), exact.Denom())
		rem[i] = new(big.Rat).Sub(exact, new(big.Rat).SetInt(floor))
		share := new(big.Int).Abs(big.NewInt(int64(a.Amount)))
		extra[i] = new(big.Int).Sub(share, floor).Int64()
		if extra[i] != 0 && extra[i] != 1 {
			return false
		}
	}
	for i := range got {
		for j := range got {
			if extra[i] == 1 && extra[j] == 0 {
				if c := rem[i].Cmp(rem[j]); c < 0 || (c == 0 && i > j) {
					t.Logf("amount %d: %d got the extra fen before %d", amount, i, j)
					return false
				}
			}
		}
	}
	if amount != math.MinInt64 {
		back, err := domain.Split(domain.Fen(-amount), cs)
		if err != nil {
			return false
		}
		for i := range back {
			if back[i].Amount != -got[i].Amount {
				t.Logf("amount %d: refund share %d is %d, not %d", amount, i, back[i].Amount, -got[i].Amount)
				return false
			}
		}
	}
	return true
}

func TestSplitNeverLosesOrCreatesAFen(t *testing.T) {
	t.Parallel()
	property := func(amount int64, weights []uint16) bool {
		// The full int64 range, and amounts of the size a finance office handles.
		return checkSplitProperties(t, amount, weights) &&
			checkSplitProperties(t, amount%1_000_000_00, weights) &&
			checkSplitProperties(t, amount%1000, weights)
	}
	require.NoError(t, quick.Check(property, &quick.Config{MaxCount: 2000, Rand: rand.New(rand.NewSource(14))}))
}

// FuzzSplit runs the same property from seeds; `go test -fuzz FuzzSplit` explores further.
func FuzzSplit(f *testing.F) {
	f.Add(int64(10000), uint16(1), uint16(1), uint16(1))
	f.Add(int64(-1), uint16(0), uint16(65535), uint16(7))
	f.Add(int64(math.MinInt64), uint16(2), uint16(3), uint16(5))
	f.Add(int64(math.MaxInt64), uint16(9999), uint16(1), uint16(0))
	f.Fuzz(func(t *testing.T, amount int64, a, b, c uint16) {
		if !checkSplitProperties(t, amount, []uint16{a, b, c}) {
			t.Fail()
		}
	})
}
