//go:build wasip1

// The guest of TestRoundTrip (abi/bindgen): a Go program over the guest
// bindings generated from testdata/layout/layout.wit. The test builds it with
// go build -overlay, placing the generated bindings in
// guest-sdk/go/internal/wit/layoutrt and this file in its guest
// subdirectory; nothing is written to the repository.
//
// Its export make-mixed calls every import of test:layout/types, checks
// what comes back (a mismatch panics, which traps), and returns the list
// that echo-mixed echoed.
package main

import (
	"fmt"
	"math"

	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	rt "github.com/bindery-run/bindery/guest-sdk/go/internal/wit/layoutrt"
)

func some[T any](v T) cabi.Option[T] { return cabi.Option[T]{Some: true, Value: v} }

// mixedValues must print (%+v) exactly as the host test's mixedValues.
func mixedValues() []rt.Mixed {
	base := rt.Mixed{
		A: 0xa1, B: 0x0102030405060708, C: "héllo, 世界", D: 0xbeef,
		E: []uint32{1, 0xffffffff, 0x80000000}, F: true,
		G: some[uint8](7), H: some[uint64](1<<63 + 5),
		I: cabi.Tuple2[uint8, uint64]{F0: 9, F1: 1 << 40}, J: -2,
		K: []rt.Small{{A: 1, B: 2, C: 3}, {A: 0xff, B: 0xffff, C: 0xfe}},
		L: rt.Shape{Tag: rt.ShapeText, Text: "shape text"},
		M: some("meta"), N: -128, O: 1.5, P: -2.25, Q: '世', R: -1 << 40, S: -7,
		T: []byte{0, 1, 0xff}, U: 0xcafebabe,
	}
	second := rt.Mixed{
		A: 0, B: math.MaxUint64, C: "", D: 0, F: false, J: math.MinInt16, N: math.MaxInt8,
		O: float32(math.Inf(-1)), P: math.SmallestNonzeroFloat64, Q: 0x10ffff, R: math.MinInt64,
		S: math.MinInt32, U: 0, L: rt.Shape{Tag: rt.ShapeEmpty},
	}
	out := []rt.Mixed{base, second}
	for _, sh := range []rt.Shape{
		{Tag: rt.ShapeByte, Byte: 0xfe},
		{Tag: rt.ShapeWide, Wide: 0xfedcba9876543210},
		{Tag: rt.ShapePair, Pair: rt.Small{A: 0x10, B: 0x2030, C: 0x40}},
		{Tag: rt.ShapePainted, Painted: rt.ColorBlue},
	} {
		m := base
		m.L = sh
		m.G, m.M = cabi.Option[uint8]{}, cabi.Option[string]{}
		out = append(out, m)
	}
	return out
}

func check(what string, got, want any) {
	if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
		panic(fmt.Sprintf("%s: got %s, want %s", what, g, w))
	}
}

func makeMixed(tag string) []rt.Mixed {
	check("tag", tag, "round trip")
	in := mixedValues()
	echoed := rt.EchoMixed(in)
	check("echo-mixed", echoed, in)

	big := []rt.WithBig{{Pre: 1, B: rt.BigC0, Post: 2}, {Pre: 3, B: rt.BigC255, Post: 4}, {Pre: 0xff, B: rt.BigC256, Post: 0xfe}}
	check("echo-big", rt.EchoBig(big), big)

	for _, sh := range []rt.Shape{
		{Tag: rt.ShapeEmpty}, {Tag: rt.ShapeByte, Byte: 0xab}, {Tag: rt.ShapeWide, Wide: math.MaxUint64},
		{Tag: rt.ShapeText, Text: "text"}, {Tag: rt.ShapePair, Pair: rt.Small{A: 5, B: 0xfffe, C: 7}},
		{Tag: rt.ShapePainted, Painted: rt.ColorGreen},
	} {
		check("flat-small", rt.FlatSmall(rt.Small{A: 1, B: 2, C: 3}, some[uint64](42), sh), uint32(0x5eed))
	}
	check("char-of", rt.CharOf('🌍'), uint32('🌍')+1)
	check("spilled", rt.Spilled(in[0], rt.Small{A: 9, B: 0x1234, C: 7}, "spilled"), in[0])

	ok, err := rt.Fail(0)
	check("fail(0)", ok, rt.Small{A: 0x11, B: 0x2233, C: 0x44})
	check("fail(0) error", err == nil, true)
	_, err = rt.Fail(1)
	check("fail(1)", err, &rt.Shape{Tag: rt.ShapeText, Text: "boom"})
	_, err = rt.Fail(2)
	check("fail(2)", err, &rt.Shape{Tag: rt.ShapeWide, Wide: 0xfedcba9876543210})
	return echoed
}

func init() {
	rt.ExportsExports.MakeMixed = makeMixed
	rt.ExportsExports.PostMakeMixed = cabi.ResetAll
}

func main() {}
