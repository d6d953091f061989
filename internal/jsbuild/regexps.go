package jsbuild

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bindery-run/bindery/internal/jsregexp"
)

// expandRegexps expands the Unicode property escapes of the bundle's
// regular expression literals (the engine, built without ICU, refuses
// them at parse time, so a literal cannot wait for the SDK's RegExp) and
// moves the source map's columns after each literal on its line by what
// the literal grew. A bundle without "\p{" or "\P{" is left as it is.
func expandRegexps(b *Bundle) error {
	if !bytes.Contains(b.Code, []byte(`\p{`)) && !bytes.Contains(b.Code, []byte(`\P{`)) {
		return nil
	}
	x, err := jsregexp.New()
	if err != nil {
		return err
	}
	code, edits := x.Rewrite(b.Code)
	if len(edits) == 0 {
		return nil
	}
	sm, err := shiftColumns(b.SourceMap, b.Code, edits)
	if err != nil {
		return fmt.Errorf("source map after expanding regular expressions: %w", err)
	}
	b.Code, b.SourceMap = code, sm
	return nil
}

// shiftColumns moves, in a source map of code, the generated columns that
// follow each edit on its line by the edit's growth (in UTF-16 code
// units, as source maps count columns). Segments are relative within a
// line, so only the first segment after an edit changes.
func shiftColumns(sm, code []byte, edits []jsregexp.Edit) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(sm, &m); err != nil {
		return nil, err
	}
	var mappings string
	if err := json.Unmarshal(m["mappings"], &mappings); err != nil {
		return nil, err
	}
	lines := strings.Split(mappings, ";")
	// Where each edit is: its line and the UTF-16 column just after it.
	type shift struct{ line, col, delta int }
	var shifts []shift
	line, lineStart := 0, 0
	pos := 0
	for _, e := range edits {
		for ; pos < e.Offset; pos++ {
			if code[pos] == '\n' {
				line++
				lineStart = pos + 1
			}
		}
		old := code[e.Offset : e.Offset+e.Old]
		shifts = append(shifts, shift{line: line, col: utf16Len(code[lineStart:e.Offset]) + utf16Len(old), delta: e.New - utf16Len(old)})
	}
	for _, s := range shifts {
		if s.line >= len(lines) || lines[s.line] == "" {
			continue
		}
		segs := strings.Split(lines[s.line], ",")
		col := 0
		for i, seg := range segs {
			v, n, ok := vlq(seg)
			if !ok {
				return nil, fmt.Errorf("malformed mappings on line %d", s.line+1)
			}
			col += v
			if col >= s.col {
				segs[i] = encodeVLQ(v+s.delta) + seg[n:]
				break
			}
		}
		lines[s.line] = strings.Join(segs, ",")
	}
	b, err := json.Marshal(strings.Join(lines, ";"))
	if err != nil {
		return nil, err
	}
	m["mappings"] = b
	return json.Marshal(m)
}

// utf16Len is the length of UTF-8 text in UTF-16 code units.
func utf16Len(b []byte) int {
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		n += utf16.RuneLen(r) // an invalid byte: one unit, as U+FFFD
	}
	return n
}

// encodeVLQ encodes one base64 VLQ value.
func encodeVLQ(v int) string {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	u := v << 1
	if v < 0 {
		u = (-v << 1) | 1
	}
	var b []byte
	for {
		d := u & 31
		u >>= 5
		if u != 0 {
			d |= 32
		}
		b = append(b, digits[d])
		if u == 0 {
			return string(b)
		}
	}
}
