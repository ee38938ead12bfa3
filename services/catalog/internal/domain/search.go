package domain

import (
	"slices"
	"strings"
	"unicode"
)

// Keyword search works on tokens rather than on a language parser: Postgres has no Chinese
// text-search configuration out of the box, and Chinese words are not separated by spaces.
// Chinese text is indexed as single characters and character pairs (bigrams, as
// Elasticsearch's CJK analyser does), so every two-character word is found and longer words
// match as the run of their pairs. Other scripts are split into words, indexed with their
// prefixes so "traff" finds "traffic". A query's tokens must all be present; the store keeps
// the index tokens in a GIN-indexed text[] column and asks `tokens @> query`.

// maxPrefix bounds the prefixes indexed per word; longer query words are cut to it.
const maxPrefix = 16

// IndexTokens returns the search tokens of the asset's searchable text: names, summary,
// tags, field names, and the resource code and registration number as whole words.
func IndexTokens(r Record, registrationNumber string) []string {
	set := map[string]struct{}{}
	add := func(text string, prefixes bool) {
		for _, t := range tokenize(text, true, prefixes) {
			set[t] = struct{}{}
		}
	}
	add(r.DisplayName, true)
	add(r.Summary, true)
	for _, t := range r.Tags {
		add(t, true)
	}
	for _, f := range r.Fields {
		add(f.Name, true)
	}
	for _, code := range []string{r.ResourceCode(), registrationNumber} {
		if code != "" {
			set[strings.ToLower(code)] = struct{}{}
			add(code, true)
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// QueryTokens returns the tokens a query needs: each Chinese run as its character pairs (a
// single character as itself), each other word as its (possibly cut) lower-case form.
func QueryTokens(query string) []string {
	toks := tokenize(query, false, false)
	slices.Sort(toks)
	return slices.Compact(toks)
}

func tokenize(text string, index, prefixes bool) []string {
	var out []string
	var han, word []rune
	flushHan := func() {
		if len(han) == 0 {
			return
		}
		if index || len(han) == 1 {
			for _, r := range han {
				out = append(out, string(r))
			}
		}
		for i := 0; i+1 < len(han); i++ {
			out = append(out, string(han[i:i+2]))
		}
		han = han[:0]
	}
	flushWord := func() {
		if len(word) == 0 {
			return
		}
		w := word
		if len(w) > maxPrefix {
			if !index {
				w = w[:maxPrefix]
			}
		}
		if prefixes {
			for n := 1; n <= len(w) && n <= maxPrefix; n++ {
				out = append(out, string(w[:n]))
			}
			if len(w) > maxPrefix {
				out = append(out, string(w))
			}
		} else {
			out = append(out, string(w))
		}
		word = word[:0]
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.Is(unicode.Han, r):
			flushWord()
			han = append(han, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushHan()
			word = append(word, r)
		default:
			flushHan()
			flushWord()
		}
	}
	flushHan()
	flushWord()
	return out
}
