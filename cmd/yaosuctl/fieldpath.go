package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
)

// outputOnlyPaths are the Asset fields the server sets; they are never part of an update
// mask or an import column.
var outputOnlyPaths = map[string]bool{
	"name": true, "state": true, "revision": true, "etag": true, "creator": true,
	"create_time": true, "update_time": true, "registration_number": true,
	"register_time": true, "open_application": true, "incident": true, "disposal": true,
}

// immutablePaths can be given when an asset is created but never changed afterwards.
var immutablePaths = map[string]bool{"holder_organisation": true}

// writableAssetPaths lists every writable Asset field path in field-number order: the
// top-level fields, and the leaves of the singular message fields (agent.name,
// catalogue.resource_code, ...). Repeated message fields (evidence, fields, contacts) are one
// path each. The column table and --from-file masks are checked against it.
func writableAssetPaths() []string {
	var out []string
	var walk func(md protoreflect.MessageDescriptor, prefix string)
	walk = func(md protoreflect.MessageDescriptor, prefix string) {
		fields := md.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			path := prefix + string(fd.Name())
			if prefix == "" && outputOnlyPaths[path] {
				continue
			}
			if fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
				walk(fd.Message(), path+".")
				continue
			}
			out = append(out, path)
		}
	}
	walk((&catalogv1.Asset{}).ProtoReflect().Descriptor(), "")
	return out
}

// resolvePath looks up a dotted field path (`summary`, `catalogue.resource_code`) in md.
// Each element is a field's proto name or its JSON name; every element but the last must be
// a singular message field.
func resolvePath(md protoreflect.MessageDescriptor, path string) ([]protoreflect.FieldDescriptor, error) {
	if strings.TrimSpace(path) == "" {
		return nil, errors.New("empty field path")
	}
	var fds []protoreflect.FieldDescriptor
	parts := strings.Split(path, ".")
	for i, p := range parts {
		if md == nil {
			return nil, fmt.Errorf("%q: %s is not a message", path, strings.Join(parts[:i], "."))
		}
		fd := md.Fields().ByName(protoreflect.Name(p))
		if fd == nil {
			fd = md.Fields().ByJSONName(p)
		}
		if fd == nil {
			return nil, fmt.Errorf("%q: %s has no field %q", path, md.Name(), p)
		}
		fds = append(fds, fd)
		md = nil
		if fd.Message() != nil && !fd.IsList() && !fd.IsMap() {
			md = fd.Message()
		}
	}
	return fds, nil
}

// canonicalPath is the path of fds in proto names, as update masks spell it.
func canonicalPath(fds []protoreflect.FieldDescriptor) string {
	names := make([]string, len(fds))
	for i, fd := range fds {
		names[i] = string(fd.Name())
	}
	return strings.Join(names, ".")
}

// setPath sets the field at fds in m to v, creating the messages on the way.
func setPath(m protoreflect.Message, fds []protoreflect.FieldDescriptor, v protoreflect.Value) {
	for _, fd := range fds[:len(fds)-1] {
		m = m.Mutable(fd).Message()
	}
	leaf := fds[len(fds)-1]
	if isZeroValue(leaf, v) {
		m.Clear(leaf)
		return
	}
	m.Set(leaf, v)
}

// getPath returns the field at fds in m; ok is false when it (or a message on the way) is
// unset.
func getPath(m protoreflect.Message, fds []protoreflect.FieldDescriptor) (protoreflect.Value, bool) {
	for _, fd := range fds[:len(fds)-1] {
		if !m.Has(fd) {
			return protoreflect.Value{}, false
		}
		m = m.Get(fd).Message()
	}
	leaf := fds[len(fds)-1]
	if !m.Has(leaf) {
		return protoreflect.Value{}, false
	}
	return m.Get(leaf), true
}

func isZeroValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
	if !v.IsValid() {
		return true
	}
	switch {
	case fd.IsList():
		return v.List().Len() == 0
	case fd.Message() != nil:
		return !v.Message().IsValid()
	}
	return v.Equal(fd.Default())
}

// setValue parses s as the value of the field at fds (a --set assignment) and sets it in m.
// Scalars take their plain spelling; enums their name with or without the type prefix, the
// Chinese label or the number; repeated scalars a comma-separated list (or a JSON array);
// messages and repeated messages JSON, and the columns with a cell format (evidence, fields,
// contacts) that format too. An empty s clears the field.
func setValue(m protoreflect.Message, fds []protoreflect.FieldDescriptor, s string) error {
	leaf := fds[len(fds)-1]
	path := canonicalPath(fds)
	if strings.TrimSpace(s) == "" {
		setPath(m, fds, protoreflect.Value{})
		return nil
	}
	trimmed := strings.TrimSpace(s)
	if leaf.Message() != nil || (leaf.IsList() && strings.HasPrefix(trimmed, "[")) {
		if c := columnByPath(path); c != nil && !strings.HasPrefix(trimmed, "[") && !strings.HasPrefix(trimmed, "{") {
			v, err := c.parse(s, nil)
			if err != nil {
				return err
			}
			setPath(m, fds, v)
			return nil
		}
		return setJSONValue(m, fds, trimmed)
	}
	if leaf.IsList() {
		list := parentOf(m, fds).New().Mutable(leaf).List() // a detached list of the right type
		for _, item := range splitList(s, ",，;；") {
			v, err := parseScalar(leaf, item)
			if err != nil {
				return err
			}
			list.Append(v)
		}
		setPath(m, fds, protoreflect.ValueOfList(list))
		return nil
	}
	v, err := parseScalar(leaf, trimmed)
	if err != nil {
		return err
	}
	setPath(m, fds, v)
	return nil
}

// setJSONValue parses raw as the JSON of the leaf field (protojson) and sets it.
func setJSONValue(m protoreflect.Message, fds []protoreflect.FieldDescriptor, raw string) error {
	leaf := fds[len(fds)-1]
	wrapper, err := json.Marshal(map[string]json.RawMessage{leaf.JSONName(): json.RawMessage(raw)})
	if err != nil {
		return fmt.Errorf("%s: not JSON: %w", canonicalPath(fds), err)
	}
	tmp := parentOf(m, fds).New()
	if err := protojson.Unmarshal(wrapper, tmp.Interface()); err != nil {
		return fmt.Errorf("%s: %w", canonicalPath(fds), err)
	}
	setPath(m, fds, tmp.Get(leaf))
	return nil
}

// parseScalar parses one scalar value of fd's kind.
func parseScalar(fd protoreflect.FieldDescriptor, s string) (protoreflect.Value, error) {
	s = strings.TrimSpace(s)
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(s), nil
	case protoreflect.BoolKind:
		b, ok := parseBool(s)
		if !ok {
			return protoreflect.Value{}, fmt.Errorf("%s: %q is not true or false", fd.Name(), s)
		}
		return protoreflect.ValueOfBool(b), nil
	case protoreflect.EnumKind:
		n, err := parseEnum(fd.Enum(), s)
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfEnum(n), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%s: %q is not a whole number", fd.Name(), s)
		}
		return protoreflect.ValueOfInt32(int32(n)), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, err := parseInt(s)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%s: %w", fd.Name(), err)
		}
		return protoreflect.ValueOfInt64(n), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%s: %q is not a whole number", fd.Name(), s)
		}
		return protoreflect.ValueOfUint32(uint32(n)), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%s: %q is not a whole number", fd.Name(), s)
		}
		return protoreflect.ValueOfUint64(n), nil
	case protoreflect.FloatKind:
		f, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%s: %q is not a number", fd.Name(), s)
		}
		return protoreflect.ValueOfFloat32(float32(f)), nil
	case protoreflect.DoubleKind:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%s: %q is not a number", fd.Name(), s)
		}
		return protoreflect.ValueOfFloat64(f), nil
	case protoreflect.BytesKind:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%s: not base64: %w", fd.Name(), err)
		}
		return protoreflect.ValueOfBytes(b), nil
	}
	return protoreflect.Value{}, fmt.Errorf("%s: cannot set a %s field from text", fd.Name(), fd.Kind())
}

// parseInt reads a whole number the way spreadsheets write them: thousands separators, a
// trailing ".0", or exponent notation.
func parseInt(s string) (int64, error) {
	clean := strings.NewReplacer(",", "", "，", "", " ", "", "_", "").Replace(strings.TrimSpace(s))
	if n, err := strconv.ParseInt(clean, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(clean, 64)
	if err != nil || f != float64(int64(f)) {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return int64(f), nil
}

func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "yes", "y", "1", "是", "敏感", "sensitive":
		return true, true
	case "false", "f", "no", "n", "0", "否", "", "不敏感":
		return false, true
	}
	return false, false
}

// enumLabels are the Chinese labels of the catalog's enums, as catalogues and the national
// form write them. The first label of each value is the one written out.
var enumLabels = map[protoreflect.FullName]map[protoreflect.EnumNumber][]string{
	(catalogv1.AssetKind)(0).Descriptor().FullName(): {
		1: {"数据资源", "资源"}, 2: {"数据产品", "产品"},
	},
	(catalogv1.Grade)(0).Descriptor().FullName(): {
		1: {"一般数据", "一般"}, 2: {"重要数据", "重要"}, 3: {"核心数据", "核心"},
	},
	(catalogv1.SharingAttribute)(0).Descriptor().FullName(): {
		1: {"无条件共享"}, 2: {"有条件共享"}, 3: {"不予共享"},
	},
	(catalogv1.OpenAttribute)(0).Descriptor().FullName(): {
		1: {"无条件开放"}, 2: {"有条件开放"}, 3: {"不予开放"},
	},
	(catalogv1.ApplicationType)(0).Descriptor().FullName(): {
		1: {"首次登记", "首次"}, 2: {"变更登记", "变更"}, 3: {"更正登记", "更正"}, 4: {"注销登记", "注销"},
	},
}

// enumPrefix is the prefix every value name of ed carries, taken from its zero value
// (GRADE_UNSPECIFIED → GRADE_).
func enumPrefix(ed protoreflect.EnumDescriptor) string {
	zero := string(ed.Values().ByNumber(0).Name())
	if p, ok := strings.CutSuffix(zero, "UNSPECIFIED"); ok {
		return p
	}
	return ""
}

// parseEnum accepts GRADE_IMPORTANT, IMPORTANT, important, 重要数据 or 2.
func parseEnum(ed protoreflect.EnumDescriptor, s string) (protoreflect.EnumNumber, error) {
	s = strings.TrimSpace(s)
	upper := strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(s, "-", "_"), " ", "_"))
	prefix := enumPrefix(ed)
	if v := ed.Values().ByName(protoreflect.Name(upper)); v != nil {
		return v.Number(), nil
	}
	if v := ed.Values().ByName(protoreflect.Name(prefix + upper)); v != nil {
		return v.Number(), nil
	}
	for n, labels := range enumLabels[ed.FullName()] {
		if slices.Contains(labels, s) {
			return n, nil
		}
	}
	if n, err := strconv.Atoi(s); err == nil && ed.Values().ByNumber(protoreflect.EnumNumber(n)) != nil {
		return protoreflect.EnumNumber(n), nil
	}
	return 0, fmt.Errorf("%q is not one of %s", s, strings.Join(enumChoices(ed), ", "))
}

// enumChoices lists the values people may give for ed: the short names and the labels.
func enumChoices(ed protoreflect.EnumDescriptor) []string {
	var out []string
	prefix := enumPrefix(ed)
	for i := 1; i < ed.Values().Len(); i++ {
		v := ed.Values().Get(i)
		c := strings.TrimPrefix(string(v.Name()), prefix)
		if labels := enumLabels[ed.FullName()][v.Number()]; len(labels) > 0 {
			c += " (" + labels[0] + ")"
		}
		out = append(out, c)
	}
	return out
}

// enumLabel is the Chinese label of n, or its short name when it has none; "" for 0.
func enumLabel(ed protoreflect.EnumDescriptor, n protoreflect.EnumNumber) string {
	if n == 0 {
		return ""
	}
	if labels := enumLabels[ed.FullName()][n]; len(labels) > 0 {
		return labels[0]
	}
	return enumShort(ed, n)
}

// enumShort is the value's name without the type prefix: IMPORTANT for GRADE_IMPORTANT.
func enumShort(ed protoreflect.EnumDescriptor, n protoreflect.EnumNumber) string {
	v := ed.Values().ByNumber(n)
	if v == nil {
		return strconv.Itoa(int(n))
	}
	return strings.TrimPrefix(string(v.Name()), enumPrefix(ed))
}

// assetEdit is what --set, --from-file and --mask say about an asset.
type assetEdit struct {
	sets     []string
	fromFile string
	mask     []string
	// codes, when set, resolves Chinese labels given to code fields (update_cycle=每日);
	// it returns nil when the code lists cannot be had (the server then checks the value).
	codes func() *codeBook
}

func (e *assetEdit) flags(f *pflag.FlagSet, withMask bool) {
	f.StringArrayVar(&e.sets, "set", nil, "set a field: `PATH=VALUE`, e.g. summary=..., grade=IMPORTANT, tags=a,b, catalogue.resource_code=...; repeat for several")
	f.StringVar(&e.fromFile, "from-file", "", "take the record from `FILE`, an Asset as JSON (as `asset get -o json` prints it); - reads stdin")
	if withMask {
		f.StringSliceVar(&e.mask, "mask", nil, "the field `PATHS` to change (comma-separated); default: the fields --set names and those present in --from-file")
	}
}

func (e *assetEdit) empty() bool { return len(e.sets) == 0 && e.fromFile == "" }

// build applies --from-file then --set to a new Asset and returns it with the update mask:
// --mask if given, else the --set paths and the writable fields present in the file.
// Paths in skip never enter the derived mask.
func (e *assetEdit) build(stdin io.Reader, skip map[string]bool) (*catalogv1.Asset, []string, error) {
	a := &catalogv1.Asset{}
	var mask []string
	add := func(p string) {
		if !slices.Contains(mask, p) && !skip[p] {
			mask = append(mask, p)
		}
	}
	if e.fromFile != "" {
		raw, err := readInput(e.fromFile, stdin)
		if err != nil {
			return nil, nil, fmt.Errorf("--from-file: %w", err)
		}
		if err := protojson.Unmarshal(raw, a); err != nil {
			return nil, nil, fmt.Errorf("--from-file %s: not an Asset as JSON: %w", e.fromFile, err)
		}
		for _, p := range presentPaths(a) {
			add(p)
		}
	}
	for _, s := range e.sets {
		path, value, ok := strings.Cut(s, "=")
		if !ok {
			return nil, nil, fmt.Errorf("--set %q: want PATH=VALUE", s)
		}
		fds, err := resolvePath(a.ProtoReflect().Descriptor(), strings.TrimSpace(path))
		if err != nil {
			return nil, nil, fmt.Errorf("--set: %w", err)
		}
		if err := setValue(a.ProtoReflect(), fds, value); err != nil {
			return nil, nil, fmt.Errorf("--set %s: %w", path, err)
		}
		if err := e.resolveCodes(a, fds, value); err != nil {
			return nil, nil, fmt.Errorf("--set %s: %w", path, err)
		}
		add(canonicalPath(fds))
	}
	if len(e.mask) > 0 {
		mask = nil
		for _, p := range e.mask {
			p = strings.TrimSpace(p)
			if p == "*" {
				mask = append(mask, p)
				continue
			}
			fds, err := resolvePath(a.ProtoReflect().Descriptor(), p)
			if err != nil {
				return nil, nil, fmt.Errorf("--mask: %w", err)
			}
			mask = append(mask, canonicalPath(fds))
		}
	}
	return a, mask, nil
}

// resolveCodes replaces a label given to a code field by its code.
func (e *assetEdit) resolveCodes(a *catalogv1.Asset, fds []protoreflect.FieldDescriptor, value string) error {
	c := columnByPath(canonicalPath(fds))
	if c == nil || c.codeList == "" || e.codes == nil || strings.TrimSpace(value) == "" || strings.HasPrefix(strings.TrimSpace(value), "[") {
		return nil
	}
	book := e.codes()
	if book == nil {
		return nil
	}
	if c.format == formatCodes {
		value = strings.NewReplacer(",", ";", "，", ";").Replace(value)
	}
	v, err := c.parse(value, book)
	if err != nil {
		return err
	}
	setPath(a.ProtoReflect(), fds, v)
	return nil
}

// presentPaths lists the writable paths that are set in a (non-zero), in field order.
func presentPaths(a *catalogv1.Asset) []string {
	var out []string
	m := a.ProtoReflect()
	for _, p := range writableAssetPaths() {
		fds, err := resolvePath(m.Descriptor(), p)
		if err != nil {
			continue
		}
		if _, ok := getPath(m, fds); ok {
			out = append(out, p)
		}
	}
	return out
}

func fieldMask(paths []string) *fieldmaskpb.FieldMask {
	if len(paths) == 0 {
		return nil
	}
	return &fieldmaskpb.FieldMask{Paths: paths}
}

// parentOf returns the message holding the leaf of fds, creating the messages on the way.
func parentOf(m protoreflect.Message, fds []protoreflect.FieldDescriptor) protoreflect.Message {
	for _, fd := range fds[:len(fds)-1] {
		m = m.Mutable(fd).Message()
	}
	return m
}
