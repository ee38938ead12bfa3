package uscc_test

import (
	"testing"

	"yaosu.dev/pkg/uscc"
)

func TestCheck(t *testing.T) {
	for code, want := range map[string]uscc.Fault{
		"91350100M000100Y43": uscc.None,
		"91110000600037341L": uscc.None,
		"11350100MB1234567N": uscc.None,
		"91350100M000100Y44": uscc.CheckCharacter,
		"91350100M000100Y4":  uscc.Length,
		"9135010OM000100Y43": uscc.Character, // O is not in the alphabet
		"913501A0M000100Y43": uscc.Division,
		"９1350100M000100Y43": uscc.Length, // a full-width digit is 3 bytes
		"":                   uscc.Length,
	} {
		if got, _ := uscc.Check(code); got != want {
			t.Errorf("Check(%q) = %v, want %v", code, got, want)
		}
		if uscc.Valid(code) != (want == uscc.None) {
			t.Errorf("Valid(%q) disagrees with Check", code)
		}
	}
	if _, pos := uscc.Check("9135010OM000100Y43"); pos != 7 {
		t.Errorf("the alphabet fault is at position %d, want 7", pos)
	}
}
