package jsregexp

import (
	"fmt"
	"strconv"
	"strings"
)

// maxRune is the last code point.
const maxRune = 0x10FFFF

// Expand returns pattern with every \p{…} and \P{…} replaced by the
// character class it stands for, when flags has u or v (without them \p
// is the letter p, and pattern is returned as it is). Outside a class
// \p{X} becomes [ranges] and \P{X} [^ranges]; inside a class (u) the
// ranges, or their complement, join the class; inside a class with the v
// flag, where classes nest, they become a nested class, so set operations
// (--, &&) keep working. A pattern without property escapes is returned
// unchanged. An escape naming no property is an error wrapping
// [ErrProperty]; Expand checks nothing else of the pattern (the engine
// does).
func (x *Expander) Expand(pattern, flags string) (string, error) {
	v := strings.Contains(flags, "v")
	if !v && !strings.Contains(flags, "u") {
		return pattern, nil
	}
	if !strings.Contains(pattern, `\p{`) && !strings.Contains(pattern, `\P{`) {
		return pattern, nil
	}
	var b strings.Builder
	depth := 0 // nesting of character classes
	last := 0  // pattern[last:i] is not yet written
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '\\':
			if i+2 < len(pattern) && (pattern[i+1] == 'p' || pattern[i+1] == 'P') && pattern[i+2] == '{' {
				end := strings.IndexByte(pattern[i+3:], '}')
				if end < 0 {
					return "", fmt.Errorf("%w: \\%c{ without }", ErrProperty, pattern[i+1])
				}
				name := pattern[i+3 : i+3+end]
				rs, ok := x.Property(name)
				if !ok {
					return "", fmt.Errorf("%w: %q", ErrProperty, name)
				}
				negate := pattern[i+1] == 'P'
				b.WriteString(pattern[last:i])
				switch {
				case depth == 0 || v:
					b.WriteByte('[')
					if negate {
						b.WriteByte('^')
					}
					writeRanges(&b, rs)
					b.WriteByte(']')
				case negate:
					writeRanges(&b, Complement(rs))
				default:
					writeRanges(&b, rs)
				}
				i += 3 + end
				last = i + 1
				continue
			}
			i++ // the escaped character is never syntax
		case '[':
			if depth == 0 || v {
				depth++
			}
		case ']':
			if depth > 0 {
				depth--
			}
		}
	}
	b.WriteString(pattern[last:])
	return b.String(), nil
}

// Complement returns the code points rs does not hold.
func Complement(rs []Range) []Range {
	var out []Range
	next := rune(0)
	for _, r := range rs {
		if r.Lo > next {
			out = append(out, Range{next, r.Lo - 1})
		}
		next = r.Hi + 1
	}
	if next <= maxRune {
		out = append(out, Range{next, maxRune})
	}
	return out
}

// writeRanges writes rs as the inside of a class: a code point as itself
// when it is an ASCII letter or digit, else as an escape that means the
// same in a u or v pattern and in a regular expression literal
// (\u{…} for surrogates, which must not pair up, and for astral code
// points).
func writeRanges(b *strings.Builder, rs []Range) {
	if len(rs) == 0 {
		// An empty class: matches nothing, as a property with no code
		// points would (only possible through a complement of Any).
		return
	}
	for _, r := range rs {
		writeRune(b, r.Lo)
		if r.Hi > r.Lo {
			if r.Hi > r.Lo+1 {
				b.WriteByte('-')
			}
			writeRune(b, r.Hi)
		}
	}
}

func writeRune(b *strings.Builder, r rune) {
	switch {
	case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		b.WriteRune(r)
	case r <= 0xFF:
		b.WriteString(`\x`)
		hex2(b, r)
	case r <= 0xFFFF && (r < 0xD800 || r > 0xDFFF):
		b.WriteString(`\u`)
		hex2(b, r>>8)
		hex2(b, r&0xFF)
	default:
		b.WriteString(`\u{`)
		b.WriteString(strconv.FormatInt(int64(r), 16))
		b.WriteByte('}')
	}
}

func hex2(b *strings.Builder, v rune) {
	const digits = "0123456789abcdef"
	b.WriteByte(digits[v>>4&0xF])
	b.WriteByte(digits[v&0xF])
}
