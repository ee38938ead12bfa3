package grpcapi_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"buf.build/go/protovalidate"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/services/rights/internal/grpcapi"
)

// protovalidateViolations is what the interceptor's protovalidate path reports for msg,
// in its words (grpcserver.Violations); v checks that protovalidate agrees it is invalid.
func protovalidateViolations(t *testing.T, v protovalidate.Validator, msg proto.Message) []errs.FieldViolation {
	t.Helper()
	err := v.Validate(msg)
	if err == nil {
		return nil
	}
	var verr *protovalidate.ValidationError
	require.True(t, errors.As(err, &verr), "%v", err)
	out, err := grpcserver.Violations(msg)
	require.NoError(t, err)
	require.Len(t, out, len(verr.Violations))
	return out
}

// Values near and on both sides of every rule.
var (
	organisations = []string{"91350100M000100Y43", "91350100MA8XXXXXX1", "9135O100M000100Y43", "91350100M000100Y4",
		"91350100M000100Y433", "91350100m000100Y43", "", "IO350100M000100Y43", "91A50100M000100Y43", "91350100M000100YZ3",
		"91350100M000100Y4\n", "913501００M000100Y43", "12350100SVXYZ01234"}

	assets = []string{"assets/0192a6f0-0000-7000-8000-000000000000", "assets/0192A6F0-0000-7000-8000-000000000000",
		"assets/0192a6f0-0000-7000-8000-00000000000", "assets/0192a6f0-0000-7000-8000-0000000000000", "0192a6f0-0000-7000-8000-000000000000",
		"assets/0192a6f000000-7000-8000-000000000000", "asset/0192a6f0-0000-7000-8000-0000000000000", "", "assets/",
		"assets/0192a6f0-0000-7000-8000-00000000000g", "assets/0192a6f0-0000-7000-8000-000000000000\n"}
	rights  = []rightsv1.Right{0, 1, 2, 3, 4, -1, 99}
	forms   = []rightsv1.DeliveryForm{0, 1, 2, 3, 4, 5, 6, -3, 1000}
	regions = []string{"", "35", "3501", "350102", "3", "350", "35010", "3501021", "35a1", "３５", " 35", "35\n", "35010203"}
)

func init() {
	// Every character a code may or may not hold, alone in an otherwise valid code, where
	// letters may stand and where only digits may.
	for c := byte(' '); c < 0x7f; c++ {
		for _, at := range []int{0, 5, 17} {
			b := []byte("91350100M000100Y43")
			b[at] = c
			organisations = append(organisations, string(b))
		}
	}
}

func purposes(r *rand.Rand) string {
	switch r.IntN(8) {
	case 0:
		return ""
	case 1:
		return strings.Repeat("A", 40)
	case 2:
		return strings.Repeat("A", 41)
	case 3:
		return strings.Repeat("交", 40) // 120 bytes, 40 characters
	case 4:
		return strings.Repeat("交", 41)
	case 5:
		return strings.Repeat("é", 20) + strings.Repeat("B", 20)
	}
	return "TRANSPORT"
}

func randomCheck(r *rand.Rand, valid bool) *rightsv1.CheckRequest {
	if valid {
		return &rightsv1.CheckRequest{Organisation: organisations[r.IntN(2)], Asset: assets[0],
			Right: rightsv1.Right(1 + r.IntN(3)), Purpose: "TRANSPORT", DeliveryForm: rightsv1.DeliveryForm(1 + r.IntN(5)),
			Region: regions[r.IntN(4)]}
	}
	c := &rightsv1.CheckRequest{Organisation: organisations[r.IntN(len(organisations))], Asset: assets[r.IntN(len(assets))],
		Right: rights[r.IntN(len(rights))], Purpose: purposes(r), DeliveryForm: forms[r.IntN(len(forms))],
		Region: regions[r.IntN(len(regions))]}
	if r.IntN(4) == 0 {
		c.Context, _ = structpb.NewStruct(map[string]any{"project": "p", "n": 3.0})
	}
	if r.IntN(4) == 0 {
		c.AsOf = timestamppb.Now()
	}
	return c
}

// The hand-written validators of Check and BatchCheck report what protovalidate reports:
// the same violations, field paths and messages, in the same order.
func TestCheckValidationMatchesProtovalidate(t *testing.T) {
	t.Parallel()
	v, err := protovalidate.New()
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(7, 8))
	invalid := 0
	for i := range 20_000 {
		c := randomCheck(r, i%4 == 0)
		want := protovalidateViolations(t, v, c)
		got := grpcapi.ValidateCheck(c)
		require.Equal(t, want, got, "%v", c)
		if len(want) > 0 {
			invalid++
		}
	}
	require.Greater(t, invalid, 10_000)
	for i := range 2_000 {
		b := &rightsv1.BatchCheckRequest{}
		n := r.IntN(8)
		switch i % 10 {
		case 0:
			n = 0
		case 1:
			n = 100
		case 2:
			n = 101 + r.IntN(3)
		}
		for range n {
			if r.IntN(5) == 0 {
				b.Checks = append(b.Checks, randomCheck(r, false))
			} else {
				b.Checks = append(b.Checks, randomCheck(r, true))
			}
		}
		if n > 0 && r.IntN(20) == 0 {
			b.Checks[r.IntN(n)] = nil
		}
		want := protovalidateViolations(t, v, b)
		got := grpcapi.ValidateBatchCheck(b)
		require.Equal(t, want, got)
	}
	require.NotEmpty(t, grpcapi.ValidateCheck(&rightsv1.LookupGrantsRequest{}), "another message is never valid")
}

// Every value an enum of a check can take is covered by the lists above, so a value added
// to the proto is tested as defined.
func TestCheckValidationCoversEnums(t *testing.T) {
	t.Parallel()
	for n := range rightsv1.Right_name {
		require.True(t, slices.Contains(rights, rightsv1.Right(n)), "right %d", n)
	}
	for n := range rightsv1.DeliveryForm_name {
		require.True(t, slices.Contains(forms, rightsv1.DeliveryForm(n)), "form %d", n)
	}
}

func BenchmarkValidateCheck(b *testing.B) {
	c := &rightsv1.CheckRequest{Organisation: "91350100M000100Y43", Asset: "assets/0192a6f0-0000-7000-8000-000000000000",
		Right: rightsv1.Right_RIGHT_PROCESSING_USE, Purpose: "TRANSPORT", DeliveryForm: rightsv1.DeliveryForm_DELIVERY_FORM_API,
		Region: "350102"}
	v, err := protovalidate.New()
	require.NoError(b, err)
	b.Run("hand-written", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if grpcapi.ValidateCheck(c) != nil {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("protovalidate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v.Validate(c) != nil {
				b.Fatal("invalid")
			}
		}
	})
}
