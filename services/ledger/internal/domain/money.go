package domain

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Fen is an amount of money in CNY, in fen (分, 0.01 yuan). Money is never a float: every
// amount the ledger stores or computes is a whole number of fen, and every division says
// how it rounds.
type Fen int64

// maxYuanDigits bounds the integer part of a parsed amount, so that no amount can overflow
// int64 fen (about 9.2e16 yuan) in a sum of a few million of them.
const maxYuanDigits = 13

// ErrAmount is returned for text that is not an amount of yuan with at most two decimals.
var ErrAmount = errors.New("not an amount in yuan with at most two decimals (e.g. 1234.56)")

// ParseYuan reads an amount written in yuan ("1234.56", "-3", "1,234.5", "１２３"), the way a
// finance office writes it, into fen. More than two decimals is an error, not a rounding:
// the office meant something else.
func ParseYuan(s string) (Fen, error) {
	s = strings.TrimSpace(strings.NewReplacer(",", "", "，", "", "¥", "", "￥", "", "元", "").Replace(toHalfWidthDigits(s)))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(whole) > maxYuanDigits || (hasFrac && (frac == "" || len(frac) > 2)) || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("%q: %w", s, ErrAmount)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	y, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := Fen(y*100 + f)
	if neg {
		v = -v
	}
	return v, nil
}

// String writes f in yuan with two decimals ("1234.56", "-0.05").
func (f Fen) String() string {
	sign, v := "", int64(f)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func toHalfWidthDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == '．':
			return '.'
		case r == '－':
			return '-'
		}
		return r
	}, s)
}
