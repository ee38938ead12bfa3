// Package uscc checks unified social credit codes (统一社会信用代码, GB 32100-2015), the one
// identifier of every holder, agent, appraiser and unit in Yaosu. The catalog and the ledger
// both check codes; the rule lives here once.
package uscc

import "strings"

// Alphabet is the GB 32100 code alphabet: digits and capital letters without I, O, Z, S, V.
// A character's value is its index.
const Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// weights are the GB 32100 weights of positions 1..17 (3^(i-1) mod 31).
var weights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// Fault is what is wrong with a code.
type Fault int

// The faults, in the order Check looks for them.
const (
	// None: the code is well formed and its check character is right.
	None Fault = iota
	// Length: not 18 characters.
	Length
	// Character: a character outside Alphabet (Check also returns its position).
	Character
	// Division: positions 3-8 (the administrative division) are not all digits.
	Division
	// CheckCharacter: position 18 is not the check character of the first 17.
	CheckCharacter
)

// Check returns the first fault of code and, for Character, the 0-based position of the
// character at fault.
func Check(code string) (Fault, int) {
	if len(code) != 18 {
		return Length, 0
	}
	sum := 0
	for i := 0; i < 18; i++ {
		v := strings.IndexByte(Alphabet, code[i])
		if v < 0 {
			return Character, i
		}
		if i >= 2 && i <= 7 && v > 9 {
			return Division, i
		}
		if i < 17 {
			sum += v * weights[i]
		}
	}
	if code[17] != Alphabet[(31-sum%31)%31] {
		return CheckCharacter, 17
	}
	return None, 0
}

// Valid reports whether code is a well-formed unified social credit code with the right
// check character.
func Valid(code string) bool {
	f, _ := Check(code)
	return f == None
}
