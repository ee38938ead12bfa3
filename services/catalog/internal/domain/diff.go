package domain

import (
	"bytes"
	"encoding/json"
	"sort"
)

// FieldChange is one field that differs between two revisions; values are JSON ("" when
// the field is unset).
type FieldChange struct {
	Path     string `json:"path"`
	OldValue string `json:"old_value,omitempty"`
	NewValue string `json:"new_value,omitempty"`
}

// Diff lists the fields that differ from old to new, sorted by path. Nested messages
// (agent, catalogue) are compared field by field; lists are compared whole, because an
// element's position carries no identity a reader could follow.
func Diff(old, new Record) []FieldChange {
	var out []FieldChange
	diffObjects("", toMap(old), toMap(new), &out)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// ChangedPaths returns the paths of Diff(old, new).
func ChangedPaths(old, new Record) []string {
	d := Diff(old, new)
	paths := make([]string, len(d))
	for i, c := range d {
		paths[i] = c.Path
	}
	return paths
}

func toMap(r Record) map[string]json.RawMessage {
	raw, _ := json.Marshal(r)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	return m
}

func diffObjects(prefix string, a, b map[string]json.RawMessage, out *[]FieldChange) {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	for k := range keys {
		av, bv := a[k], b[k]
		if bytes.Equal(av, bv) {
			continue
		}
		if isObject(av) || isObject(bv) {
			var am, bm map[string]json.RawMessage
			_ = json.Unmarshal(orEmptyObject(av), &am)
			_ = json.Unmarshal(orEmptyObject(bv), &bm)
			diffObjects(prefix+k+".", am, bm, out)
			continue
		}
		*out = append(*out, FieldChange{Path: prefix + k, OldValue: string(av), NewValue: string(bv)})
	}
}

func isObject(v json.RawMessage) bool { return len(v) > 0 && v[0] == '{' }

func orEmptyObject(v json.RawMessage) json.RawMessage {
	if len(v) == 0 {
		return json.RawMessage("{}")
	}
	return v
}
