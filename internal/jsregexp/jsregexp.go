// Package jsregexp expands the Unicode property escapes of JavaScript
// regular expressions (\p{…} and \P{…} in a pattern with the u or v flag)
// into the character classes they stand for. Bindery's JavaScript engine is
// built without ICU, so it refuses every property escape; the bundler
// rewrites regular expression literals with [Rewrite] and the SDK's RegExp
// rewrites patterns made at run time through the host (host/intl), both
// with the same [Expander].
//
//	x, err := jsregexp.New()
//	src, err := x.Expand(`\p{Script=Greek}+`, "u") // `[\u0370-\u0373…]+`
//
// The table (props.bin) holds every property ECMA-262 lets a pattern name
// — General_Category, Script, Script_Extensions and the binary properties —
// as V8 (ICU) matches it, with every spelling V8 accepts; gen/gen.mjs makes
// it with node. Properties of strings (the v flag's \p{RGI_Emoji}) are not
// in it.
package jsregexp

//go:generate sh -c "cd gen && npm install --no-audit --no-fund && node gen.mjs"

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
)

//go:embed props.bin
var propsBin []byte

// Range is the code points Lo to Hi, both included.
type Range struct{ Lo, Hi rune }

// Expander expands property escapes. It is immutable once made, so it is
// safe for concurrent use.
type Expander struct {
	sets    [][]Range
	names   map[string]int
	unicode string
}

// ErrProperty is the error of an escape that names no property.
var ErrProperty = errors.New("invalid property name")

// New decodes the property table (~1 ms).
func New() (*Expander, error) {
	x, err := decode(propsBin)
	if err != nil {
		return nil, fmt.Errorf("jsregexp: props.bin: %w", err)
	}
	return x, nil
}

// UnicodeVersion is the version of Unicode the table was made from.
func (x *Expander) UnicodeVersion() string { return x.unicode }

// Property returns the code points of a property as a pattern names it
// inside \p{…} ("L", "Script=Greek", "scx=Hira", "Emoji"), or false.
func (x *Expander) Property(name string) ([]Range, bool) {
	i, ok := x.names[name]
	if !ok {
		return nil, false
	}
	return x.sets[i], true
}

func decode(b []byte) (*Expander, error) {
	const magic = "BRXP1\n"
	if len(b) < len(magic) || string(b[:len(magic)]) != magic {
		return nil, errors.New("not a property table")
	}
	b = b[len(magic):]
	var bad bool
	uv := func() int {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > 1<<24 {
			bad = true
			return 0
		}
		b = b[n:]
		return int(v)
	}
	str := func() string {
		n := uv()
		if bad || n > len(b) {
			bad = true
			return ""
		}
		s := string(b[:n])
		b = b[n:]
		return s
	}
	x := &Expander{names: map[string]int{}}
	x.unicode = str()
	nsets := uv()
	for i := 0; i < nsets && !bad; i++ {
		n := uv()
		rs := make([]Range, 0, n)
		next := 0
		for j := 0; j < n && !bad; j++ {
			lo := next + uv()
			hi := lo + uv()
			rs = append(rs, Range{rune(lo), rune(hi)})
			next = hi + 1
		}
		x.sets = append(x.sets, rs)
	}
	nnames := uv()
	for i := 0; i < nnames && !bad; i++ {
		s := str()
		k := uv()
		if k >= len(x.sets) {
			bad = true
		}
		x.names[s] = k
	}
	if bad || len(b) != 0 {
		return nil, errors.New("truncated or corrupt")
	}
	return x, nil
}
