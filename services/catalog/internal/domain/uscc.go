package domain

import "strings"

// usccAlphabet is the GB 32100-2015 code alphabet: digits and capital letters without
// I, O, Z, S, V. A character's value is its index.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are the GB 32100-2015 weights of positions 1..17 (3^(i-1) mod 31).
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ValidUSCC reports whether code is a well-formed unified social credit code
// (统一社会信用代码): 18 characters of the GB 32100 alphabet, positions 3–8 digits (the
// administrative division), and a correct check digit.
func ValidUSCC(code string) bool {
	if len(code) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 18; i++ {
		v := strings.IndexByte(usccAlphabet, code[i])
		if v < 0 {
			return false
		}
		if i >= 2 && i <= 7 && v > 9 {
			return false
		}
		if i < 17 {
			sum += v * usccWeights[i]
		}
	}
	check := (31 - sum%31) % 31
	return code[17] == usccAlphabet[check]
}
