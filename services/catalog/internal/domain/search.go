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
// tags, field names, and the resource code and registration number as whole words. An
// import computes it for every row, so tokens are slices of the lower-cased text rather
// than strings built rune by rune, and duplicates go by sorting rather than through a map.
func IndexTokens(r Record, registrationNumber string) []string {
	var out []string
	add := func(text string) { out = tokenize(out, text, true, true) }
	add(r.DisplayName)
	add(r.Summary)
	for _, t := range r.Tags {
		add(t)
	}
	for _, f := range r.Fields {
		add(f.Name)
	}
	for _, code := range []string{r.ResourceCode(), registrationNumber} {
		if code != "" {
			out = append(out, strings.ToLower(code))
			add(code)
		}
	}
	slices.Sort(out)
	return slices.Clip(slices.Compact(out))
}

// QueryTokens returns the tokens a query needs: each Chinese run as its character pairs (a
// single character as itself), each other word as its (possibly cut) lower-case form.
func QueryTokens(query string) []string {
	toks := tokenize(nil, query, false, false)
	slices.Sort(toks)
	return slices.Compact(toks)
}

// tokenize appends text's tokens to out. Every token is a substring of the lower-cased
// text, cut at rune boundaries: a run of Han characters gives (when indexing, or when it
// is one character) each character and each pair; any other run of letters and digits
// gives itself, or with prefixes each of its first maxPrefix prefixes and, if longer, the
// whole word (a query word longer than maxPrefix is cut to it).
func tokenize(out []string, text string, index, prefixes bool) []string {
	text = strings.ToLower(text)
	// bounds holds the byte offset of each rune of the current run, then its end.
	var bounds []int
	han := false
	flush := func(end int) {
		n := len(bounds) // runes in the run
		if n == 0 {
			return
		}
		bounds = append(bounds, end)
		if han {
			if index || n == 1 {
				for i := 0; i < n; i++ {
					out = append(out, text[bounds[i]:bounds[i+1]])
				}
			}
			for i := 0; i+1 < n; i++ {
				out = append(out, text[bounds[i]:bounds[i+2]])
			}
		} else {
			switch {
			case prefixes:
				for k := 1; k <= n && k <= maxPrefix; k++ {
					out = append(out, text[bounds[0]:bounds[k]])
				}
				if n > maxPrefix {
					out = append(out, text[bounds[0]:end])
				}
			case n > maxPrefix && !index:
				out = append(out, text[bounds[0]:bounds[maxPrefix]])
			default:
				out = append(out, text[bounds[0]:end])
			}
		}
		bounds = bounds[:0]
	}
	for i, r := range text {
		isHan := unicode.Is(unicode.Han, r)
		switch {
		case isHan || unicode.IsLetter(r) || unicode.IsDigit(r):
			if len(bounds) > 0 && han != isHan {
				flush(i)
			}
			han = isHan
			bounds = append(bounds, i)
		default:
			flush(i)
		}
	}
	flush(len(text))
	return out
}
