package protoconv_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/services/catalog/internal/protoconv"
)

// fill sets every field of m (recursively) to a non-zero value, so a field the bridge
// forgets shows up as a difference.
func fill(m protoreflect.Message, depth int) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if f.Message() != nil && f.Message().FullName() == "google.protobuf.Timestamp" {
			continue // output-only times
		}
		val := func() protoreflect.Value {
			switch f.Kind() {
			case protoreflect.StringKind:
				return protoreflect.ValueOfString(fmt.Sprintf("%s-%d", f.Name(), depth))
			case protoreflect.BoolKind:
				return protoreflect.ValueOfBool(true)
			case protoreflect.Int64Kind:
				return protoreflect.ValueOfInt64(int64(7 + depth))
			case protoreflect.Int32Kind:
				return protoreflect.ValueOfInt32(int32(7 + depth))
			case protoreflect.EnumKind:
				return protoreflect.ValueOfEnum(f.Enum().Values().Get(1).Number())
			}
			return protoreflect.Value{}
		}
		switch {
		case f.IsList() && f.Kind() == protoreflect.MessageKind:
			l := m.Mutable(f).List()
			el := l.NewElement()
			fill(el.Message(), depth+1)
			l.Append(el)
		case f.IsList():
			m.Mutable(f).List().Append(val())
		case f.Kind() == protoreflect.MessageKind:
			fill(m.Mutable(f).Message(), depth+1)
		default:
			m.Set(f, val())
		}
	}
}

// TestRecordBridgeKeepsEveryField: every writable Asset field survives proto → domain →
// proto, so a field added to the proto and not to the conversion (record.go) cannot go unnoticed.
func TestRecordBridgeKeepsEveryField(t *testing.T) {
	in := &catalogv1.Asset{}
	fill(in.ProtoReflect(), 0)
	rec, err := protoconv.Record(in)
	require.NoError(t, err)
	out := protoconv.RecordProto(rec)

	want := proto.Clone(in).(*catalogv1.Asset)
	for _, name := range []string{"name", "state", "revision", "etag", "creator", "create_time", "update_time",
		"registration_number", "register_time", "open_application", "incident", "disposal"} {
		want.ProtoReflect().Clear(want.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(name)))
	}
	require.True(t, proto.Equal(want, out), "lost in the bridge:\nwant %v\ngot  %v", want, out)
	require.NotEmpty(t, rec.Catalogue.RelatedResourceCodes, "nested lists arrive")
	require.Equal(t, "theme-1", rec.Catalogue.Theme, "the theme classification (主题分类) crosses both ways")
}

// TestApplyMask covers field-mask semantics: top-level and nested paths, `*`, and refusals.
func TestApplyMask(t *testing.T) {
	dst := &catalogv1.Asset{Summary: "old", DataFormat: "CSV", Catalogue: &catalogv1.CatalogueMetadata{ResourceCode: "1/1", ProviderName: "P"}}
	src := &catalogv1.Asset{Summary: "new", DataFormat: "JSON", Catalogue: &catalogv1.CatalogueMetadata{ResourceCode: "2/2"}}
	require.NoError(t, protoconv.ApplyMask(dst, src, []string{"summary", "catalogue.resource_code"}))
	require.Equal(t, "new", dst.GetSummary())
	require.Equal(t, "CSV", dst.GetDataFormat())
	require.Equal(t, "2/2", dst.GetCatalogue().GetResourceCode())
	require.Equal(t, "P", dst.GetCatalogue().GetProviderName())
	// A masked field unset in src is cleared.
	require.NoError(t, protoconv.ApplyMask(dst, &catalogv1.Asset{}, []string{"data_format"}))
	require.Empty(t, dst.GetDataFormat())
	for _, bad := range [][]string{{"state"}, {"holder_organisation"}, {"nope"}, {"summary.x"}, {"fields.name"}, nil} {
		require.Error(t, protoconv.ApplyMask(dst, src, bad), "%v", bad)
	}
	all := &catalogv1.Asset{HolderOrganisation: "keep"}
	require.NoError(t, protoconv.ApplyMask(all, src, []string{"*"}))
	require.Equal(t, "keep", all.GetHolderOrganisation(), "* leaves immutable fields")
	require.Equal(t, "JSON", all.GetDataFormat())
}
