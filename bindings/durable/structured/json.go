package structured

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"
)

// ToJSON returns v as compact JSON, for output that other programs read
// (the CLI's --json; json.Indent lays it out). Objects keep their key
// order. What JSON cannot hold is converted, losing its kind:
//
//   - undefined is null, as are NaN and ±Infinity (as JSON.stringify
//     writes them); −0 is 0;
//   - a bigint is a string of its decimal digits ("12345678901234567890");
//   - an ArrayBuffer is a string of its bytes in standard base64 (as Go's
//     encoding/json writes []byte);
//   - a typed array is an array of its elements (64-bit ones as strings of
//     digits, as bigints are);
//   - a Map is an array of [key, value] pairs, in order; a Set an array;
//   - a Date is its toISOString() string (as JSON.stringify writes it), an
//     invalid Date null;
//   - an Error is an object {"name", "message", "stack", "cause"}, the last
//     two when the error has them.
func ToJSON(v Value) []byte {
	var buf bytes.Buffer
	writeJSON(&buf, v)
	return buf.Bytes()
}

func writeJSON(buf *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil, Undefined, InvalidDate:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case float64:
		buf.WriteString(jsonNumber(v))
	case *big.Int:
		writeJSONString(buf, v.String())
	case string:
		writeJSONString(buf, v)
	case []byte:
		writeJSONString(buf, base64.StdEncoding.EncodeToString(v))
	case time.Time:
		writeJSONString(buf, isoString(v))
	case TypedArray:
		elems := v.Elements()
		for i, x := range elems {
			if n, ok := x.(*big.Int); ok {
				elems[i] = n.String()
			}
		}
		writeJSONList(buf, elems)
	case []any:
		writeJSONList(buf, v)
	case Set:
		writeJSONList(buf, v)
	case Object:
		buf.WriteByte('{')
		for i, m := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, m.Key)
			buf.WriteByte(':')
			writeJSON(buf, m.Value)
		}
		buf.WriteByte('}')
	case Map:
		buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteByte('[')
			writeJSON(buf, e.Key)
			buf.WriteByte(',')
			writeJSON(buf, e.Value)
			buf.WriteByte(']')
		}
		buf.WriteByte(']')
	case *Error:
		buf.WriteString(`{"name":`)
		writeJSONString(buf, errorName(v.Name))
		buf.WriteString(`,"message":`)
		writeJSONString(buf, v.Message)
		if v.Stack != "" {
			buf.WriteString(`,"stack":`)
			writeJSONString(buf, v.Stack)
		}
		if v.Cause != nil {
			buf.WriteString(`,"cause":`)
			writeJSON(buf, v.Cause)
		}
		buf.WriteByte('}')
	default:
		writeJSONString(buf, fmt.Sprintf("<%T>", v))
	}
}

func writeJSONList(buf *bytes.Buffer, items []any) {
	buf.WriteByte('[')
	for i, x := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeJSON(buf, x)
	}
	buf.WriteByte(']')
}

// writeJSONString writes s as a JSON string, without encoding/json's
// escaping of <, > and &.
func writeJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	buf.Truncate(buf.Len() - 1) // Encode's newline
}

// jsonNumber formats f as JSON.stringify does: null for NaN and
// ±Infinity, 0 for −0.
func jsonNumber(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "null"
	}
	if f == 0 {
		return "0"
	}
	return jsNumber(f)
}

// EncodeJSON encodes the JSON text data as a value, as JSON.parse would
// read it: objects as plain objects in their key order (a key twice: the
// later value, in the first one's place, as JSON.parse does), every
// number as a number (so an integer beyond 2^53 − 1 loses digits, as in
// JavaScript, and is written as a float64). It refuses text that is not
// UTF-8, a string with a lone surrogate escape ("\ud800", which the
// encoding cannot hold), and nesting deeper than 256.
func EncodeJSON(data []byte) ([]byte, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("structured: JSON text is not UTF-8")
	}
	if err := checkSurrogates(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := readJSON(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("structured: JSON text: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("structured: JSON text: data after the value at byte %d", dec.InputOffset())
	}
	return encode(v)
}

// readJSON reads one JSON value at nesting depth from dec.
func readJSON(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch tok := tok.(type) {
	case nil, bool, string:
		return tok, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(tok), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, err
		}
		return f, nil // out of range: ±Infinity or 0, as JSON.parse
	}
	if depth >= maxDepth {
		return nil, fmt.Errorf("nesting deeper than %d at byte %d", maxDepth, dec.InputOffset())
	}
	if tok == json.Delim('[') {
		items := []any{}
		for dec.More() {
			v, err := readJSON(dec, depth+1)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		_, err := dec.Token()
		return items, err
	}
	obj := Object{}
	index := map[string]int{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		v, err := readJSON(dec, depth+1)
		if err != nil {
			return nil, err
		}
		key := k.(string)
		if i, dup := index[key]; dup {
			obj[i].Value = v
			continue
		}
		index[key] = len(obj)
		obj = append(obj, Member{key, v})
	}
	_, err = dec.Token()
	return obj, err
}

// checkSurrogates refuses a \u escape of a surrogate that is not half of
// a pair in a JSON text (encoding/json would read it as U+FFFD).
func checkSurrogates(data []byte) error {
	inString := false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString:
			i++
			if i >= len(data) || data[i] != 'u' || i+5 > len(data) {
				continue
			}
			r, err := strconv.ParseUint(string(data[i+1:i+5]), 16, 16)
			if err != nil || r < 0xd800 || r > 0xdfff {
				continue
			}
			if r <= 0xdbff && i+11 <= len(data) && data[i+5] == '\\' && data[i+6] == 'u' {
				if lo, err := strconv.ParseUint(string(data[i+7:i+11]), 16, 16); err == nil && lo >= 0xdc00 && lo <= 0xdfff {
					i += 10
					continue
				}
			}
			return fmt.Errorf("structured: JSON text: a lone surrogate \\u%04x at byte %d, which the encoding cannot hold", r, i-1)
		}
	}
	return nil
}
