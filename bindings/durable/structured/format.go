package structured

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Format returns v as Node.js's util.inspect(v, {depth: Infinity,
// maxArrayLength: Infinity, maxStringLength: Infinity}) shows the same
// JavaScript value (Node 20's layout: a value on one line when it fits in
// 80 columns, arrays of more than six elements grouped in columns):
//
//	{ a: 1, b: [ 2n, 'x' ] }
//	Map(1) { 1 => 'a' }
//	Set(2) { 1, 2 }
//	2026-12-08T00:00:00.000Z
//	Uint8Array(3) [ 1, 2, 3 ]
//	ArrayBuffer { [Uint8Contents]: <01 02>, byteLength: 2 }
//	[TypeError: m] { [cause]: 1 }
//
// Widths are counted as Node counts them without colours (UTF-16 code
// units; for grouping, East Asian wide characters as two columns).
func Format(v Value) string {
	var in inspector
	return in.value(v, 0)
}

// inspector is the state of one Format: Node's ctx.indentationLvl and
// ctx.currentDepth.
type inspector struct {
	indent       int
	currentDepth int
}

// value is Node's formatValue.
func (in *inspector) value(v any, depth int) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case Undefined:
		return "undefined"
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return jsNumber(v)
	case *big.Int:
		return v.String() + "n"
	case string:
		return quote(v)
	case time.Time:
		return isoString(v)
	case InvalidDate:
		return "Invalid Date"
	case *Error:
		base := in.errorBase(v)
		if v.Cause == nil {
			return base
		}
		return in.raw(base, "{", "}", false, nil, depth, func(depth int) []string {
			return []string{"[cause]: " + in.nested(v.Cause, depth)}
		})
	case []byte:
		hex := make([]string, len(v))
		for i, b := range v {
			hex[i] = fmt.Sprintf("%02x", b)
		}
		return in.raw("", "ArrayBuffer {", "}", false, nil, depth, func(int) []string {
			return []string{"[Uint8Contents]: <" + strings.Join(hex, " ") + ">", "byteLength: " + strconv.Itoa(len(v))}
		})
	case TypedArray:
		elems := typedElements(v)
		prefix := fmt.Sprintf("%s(%d) [", v.Type, len(elems))
		if len(elems) == 0 {
			return prefix + "]"
		}
		numeric := make([]bool, len(elems))
		for i := range numeric {
			numeric[i] = true
		}
		return in.raw("", prefix, "]", true, numeric, depth, func(int) []string { return elems })
	case []any:
		if len(v) == 0 {
			return "[]"
		}
		numeric := make([]bool, len(v))
		for i, x := range v {
			switch x.(type) {
			case float64, *big.Int:
				numeric[i] = true
			}
		}
		return in.raw("", "[", "]", true, numeric, depth, func(depth int) []string {
			out := make([]string, len(v))
			for i, x := range v {
				out[i] = in.nested(x, depth)
			}
			return out
		})
	case Object:
		if len(v) == 0 {
			return "{}"
		}
		return in.raw("", "{", "}", false, nil, depth, func(depth int) []string {
			out := make([]string, len(v))
			for i, m := range jsOrder(v) {
				out[i] = key(m.Key) + ": " + in.nested(m.Value, depth)
			}
			return out
		})
	case Map:
		if len(v) == 0 {
			return "Map(0) {}"
		}
		return in.raw("", fmt.Sprintf("Map(%d) {", len(v)), "}", false, nil, depth, func(depth int) []string {
			out := make([]string, len(v))
			in.indent += 2
			for i, e := range v {
				out[i] = in.value(e.Key, depth) + " => " + in.value(e.Value, depth)
			}
			in.indent -= 2
			return out
		})
	case Set:
		if len(v) == 0 {
			return "Set(0) {}"
		}
		return in.raw("", fmt.Sprintf("Set(%d) {", len(v)), "}", false, nil, depth, func(depth int) []string {
			out := make([]string, len(v))
			in.indent += 2
			for i, x := range v {
				out[i] = in.value(x, depth)
			}
			in.indent -= 2
			return out
		})
	}
	return fmt.Sprintf("<%T>", v)
}

// nested formats a property's or element's value, indented (Node's
// formatProperty).
func (in *inspector) nested(v any, depth int) string {
	in.indent += 2
	s := in.value(v, depth)
	in.indent -= 2
	return s
}

// raw is the end of Node's formatRaw: entries formats the entries one
// level deeper, and reduce lays them out.
func (in *inspector) raw(base, open, close string, array bool, numeric []bool, depth int, entries func(depth int) []string) string {
	depth++
	in.currentDepth = depth
	return in.reduce(entries(depth), base, open, close, array, numeric, depth)
}

// reduce is Node's reduceToSingleString with compact 3 and breakLength
// 80.
func (in *inspector) reduce(output []string, base, open, close string, array bool, numeric []bool, depth int) string {
	entries := len(output)
	if array && entries > 6 {
		output = in.group(output, numeric)
	}
	prefix := ""
	if base != "" {
		prefix = base + " "
	}
	if in.currentDepth-depth < 3 && entries == len(output) {
		start := len(output) + in.indent + jsLen(open) + jsLen(base) + 10
		if in.belowBreakLength(output, start, base) {
			joined := strings.Join(output, ", ")
			if !strings.Contains(joined, "\n") {
				return prefix + open + " " + joined + " " + close
			}
		}
	}
	ind := "\n" + strings.Repeat(" ", in.indent)
	return prefix + open + ind + "  " + strings.Join(output, ","+ind+"  ") + ind + close
}

// belowBreakLength is Node's isBelowBreakLength.
func (in *inspector) belowBreakLength(output []string, start int, base string) bool {
	total := len(output) + start
	if total+len(output) > 80 {
		return false
	}
	for _, s := range output {
		total += jsLen(s)
		if total > 80 {
			return false
		}
	}
	return base == "" || !strings.Contains(base, "\n")
}

// group is Node's groupArrayElements: an array's entries in columns.
func (in *inspector) group(output []string, numeric []bool) []string {
	const separatorSpace = 2
	total, maxLength := 0, 0
	dataLen := make([]int, len(output))
	for i, s := range output {
		dataLen[i] = width(s)
		total += dataLen[i] + separatorSpace
		maxLength = max(maxLength, dataLen[i])
	}
	actualMax := maxLength + separatorSpace
	if !(actualMax*3+in.indent < 80 && (float64(total)/float64(actualMax) > 5 || maxLength <= 6)) {
		return output
	}
	averageBias := math.Sqrt(float64(actualMax) - float64(total)/float64(len(output)))
	biasedMax := math.Max(float64(actualMax)-3-averageBias, 1)
	columns := min(
		int(math.Floor(math.Sqrt(2.5*biasedMax*float64(len(output)))/biasedMax+0.5)),
		(80-in.indent)/actualMax,
		12,
		15,
	)
	if columns <= 1 {
		return output
	}
	var maxLineLength []int
	for i := range columns {
		lineLength := 0
		for j := i; j < len(output); j += columns {
			lineLength = max(lineLength, dataLen[j])
		}
		maxLineLength = append(maxLineLength, lineLength+separatorSpace)
	}
	padStart := true
	for _, n := range numeric {
		padStart = padStart && n
	}
	var rows []string
	for i := 0; i < len(output); i += columns {
		end := min(i+columns, len(output))
		var row strings.Builder
		j := i
		for ; j < end-1; j++ {
			cell := output[j] + ", "
			row.WriteString(pad(cell, maxLineLength[j-i]+jsLen(output[j])-dataLen[j], padStart))
		}
		if padStart {
			row.WriteString(pad(output[j], maxLineLength[j-i]+jsLen(output[j])-dataLen[j]-separatorSpace, true))
		} else {
			row.WriteString(output[j])
		}
		rows = append(rows, row.String())
	}
	return rows
}

// pad pads s with spaces to n UTF-16 code units, at the start or the end.
func pad(s string, n int, start bool) string {
	fill := strings.Repeat(" ", max(n-jsLen(s), 0))
	if start {
		return fill + s
	}
	return s + fill
}

// jsLen is a string's JavaScript length, in UTF-16 code units.
func jsLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// width approximates Node's getStringWidth: East Asian wide and emoji
// characters take two columns, combining marks none.
func width(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x300 && r <= 0x36f || r == 0x200b || r >= 0xfe00 && r <= 0xfe0f:
		case r >= 0x1100 && r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf || r >= 0xac00 && r <= 0xd7a3 ||
			r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 ||
			r >= 0xffe0 && r <= 0xffe6 || r >= 0x1f300 && r <= 0x1f64f || r >= 0x1f900 && r <= 0x1f9ff ||
			r >= 0x20000 && r <= 0x3fffd:
			n += 2
		default:
			n++
		}
	}
	return n
}

// errorBase is Node's formatError for an error without own properties
// other than cause: its stack when it has frames, else the stack (or
// "Name: message") in brackets.
func (in *inspector) errorBase(e *Error) string {
	stack := e.Stack
	if stack == "" {
		stack = e.Error()
	}
	pos := -1
	if e.Message != "" {
		if i := strings.Index(stack, e.Message); i > 0 {
			pos = i + len(e.Message)
		}
	}
	if !strings.Contains(stack[max(pos, 0):], "\n    at") {
		stack = "[" + stack + "]"
	}
	if in.indent != 0 {
		stack = strings.ReplaceAll(stack, "\n", "\n"+strings.Repeat(" ", in.indent))
	}
	return stack
}

// typedElements formats a typed array's elements.
func typedElements(t TypedArray) []string {
	elems := t.Elements()
	out := make([]string, len(elems))
	for i, x := range elems {
		if n, ok := x.(*big.Int); ok {
			out[i] = n.String() + "n"
		} else {
			out[i] = jsNumber(x.(float64))
		}
	}
	return out
}

// jsNumber formats f as JavaScript's Number.prototype.toString does, and
// −0 as "-0" (as util.inspect shows it).
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0 && math.Signbit(f):
		return "-0"
	case f == 0:
		return "0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
	digits := strings.Replace(mant, ".", "", 1)
	e, _ := strconv.Atoi(exp)
	n, k := e+1, len(digits)
	switch {
	case k <= n && n <= 21:
		return sign + digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return sign + digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return sign + "0." + strings.Repeat("0", -n) + digits
	}
	m := digits[:1]
	if k > 1 {
		m += "." + digits[1:]
	}
	esign := "+"
	if n-1 < 0 {
		esign = "-"
	}
	return sign + m + "e" + esign + strconv.Itoa(max(n-1, 1-n))
}

// isoString formats t as Date.prototype.toISOString does (years beyond
// 0–9999 with a sign and six digits).
func isoString(t time.Time) string {
	t = t.UTC()
	year := fmt.Sprintf("%04d", t.Year())
	if t.Year() < 0 || t.Year() > 9999 {
		year = fmt.Sprintf("%+07d", t.Year())
	}
	return year + t.Format("-01-02T15:04:05.000Z")
}

// jsOrder returns o's members in the order JavaScript lists an object's
// keys: array indices ("0", "17") first, ascending, then the others in
// their order.
func jsOrder(o Object) Object {
	index := func(k string) (uint64, bool) {
		n, err := strconv.ParseUint(k, 10, 32)
		return n, err == nil && n < math.MaxUint32 && strconv.FormatUint(n, 10) == k
	}
	out := slices.Clone(o)
	slices.SortStableFunc(out, func(a, b Member) int {
		na, ia := index(a.Key)
		nb, ib := index(b.Key)
		switch {
		case ia && ib:
			return cmp.Compare(na, nb)
		case ia:
			return -1
		case ib:
			return 1
		}
		return 0
	})
	return out
}

// key formats an object's key: bare when it is an identifier, else
// quoted.
func key(k string) string {
	ident := k != ""
	for i, c := range k {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			ident = false
			break
		}
	}
	if ident {
		return k
	}
	return quote(k)
}

// quote is Node's strEscape: single quotes unless the string has one
// (then double quotes, else backquotes when it has neither a backquote
// nor "${"), with control characters escaped.
func quote(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") {
		if !strings.Contains(s, `"`) {
			q = '"'
		} else if !strings.Contains(s, "`") && !strings.Contains(s, "${") {
			q = '`'
		}
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\'' && q == '\'':
			b.WriteString(`\'`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r >= 0x7f && r <= 0x9f:
			fmt.Fprintf(&b, `\x%02X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}
