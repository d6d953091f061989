package wrangler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/bindery-run/bindery/bindings/config"
	"math"
	"sort"
	"strconv"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
	"github.com/tailscale/hujson"
)

// path is a key path into a config document (config.Path: the loader
// and the binding modules' parsers share one).
type path = config.Path

type format int

const (
	formatTOML format = iota + 1
	formatJSON
)

// document is a parsed config file: a generic value tree plus the byte
// offset of every key and array element, used to put file:line:col on
// diagnostics.
type document struct {
	name    string // file name as given by the caller, used in messages
	format  format
	src     []byte
	root    map[string]any
	offsets map[string]int // path.String() -> byte offset
	lines   []int          // byte offset of the start of each line
	// warnings found while parsing (JSON duplicate keys).
	warnings []diag
}

// diag is one positioned diagnostic. line is 0 when the position is unknown.
type diag struct {
	line, col int
	text      string // fully formatted message
}

func newDocument(name string, data []byte) (*document, error) {
	d := &document{name: name, src: data, offsets: map[string]int{}}
	switch ext := strings.ToLower(extOf(name)); ext {
	case ".toml":
		d.format = formatTOML
		if err := d.parseTOML(); err != nil {
			return nil, err
		}
	case ".json", ".jsonc":
		d.format = formatJSON
		if err := d.parseJSON(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s: unsupported config file extension %q (want .toml, .json or .jsonc)", name, ext)
	}
	return d, nil
}

func extOf(name string) string {
	i := strings.LastIndexAny(name, `./\`)
	if i < 0 || name[i] != '.' {
		return ""
	}
	return name[i:]
}

// lineCol converts a byte offset to a 1-based line and byte column.
func (d *document) lineCol(off int) (int, int) {
	if d.lines == nil {
		d.lines = append(d.lines, 0)
		for i, c := range d.src {
			if c == '\n' {
				d.lines = append(d.lines, i+1)
			}
		}
	}
	off = max(0, min(off, len(d.src)))
	i := sort.Search(len(d.lines), func(i int) bool { return d.lines[i] > off }) - 1
	return i + 1, off - d.lines[i] + 1
}

// pos returns the position of p, or of its nearest indexed ancestor; 0, 0
// when nothing is known.
func (d *document) pos(p path) (int, int) {
	for q := p; len(q) > 0; q = q[:len(q)-1] {
		if off, ok := d.offsets[q.String()]; ok {
			return d.lineCol(off)
		}
	}
	return 0, 0
}

// where renders "file:line:col" for p (or just "file" if unknown).
func (d *document) where(p path) string {
	line, col := d.pos(p)
	if line == 0 {
		return d.name
	}
	return fmt.Sprintf("%s:%d:%d", d.name, line, col)
}

// newDiag formats "file:line:col: key: msg". The key part is left out when
// p is empty.
func (d *document) newDiag(p path, withKey bool, msg string) diag {
	line, col := d.pos(p)
	var b strings.Builder
	b.WriteString(d.name)
	if line > 0 {
		fmt.Fprintf(&b, ":%d:%d", line, col)
	}
	b.WriteString(": ")
	if withKey && len(p) > 0 {
		b.WriteString(p.String())
		b.WriteString(": ")
	}
	b.WriteString(msg)
	return diag{line: line, col: col, text: b.String()}
}

// offsetOf returns the recorded byte offset of p, or math.MaxInt.
func (d *document) offsetOf(p path) int {
	if off, ok := d.offsets[p.String()]; ok {
		return off
	}
	return math.MaxInt
}

// sortedKeys returns the keys of m (found at p) in source order, so that
// diagnostics come out in a stable, readable order.
func (d *document) sortedKeys(m map[string]any, p path) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		oi, oj := d.offsetOf(p.Key(keys[i])), d.offsetOf(p.Key(keys[j]))
		if oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// ---- TOML ----

func (d *document) parseTOML() error {
	var root map[string]any
	if err := toml.Unmarshal(d.src, &root); err != nil {
		return d.tomlError(err)
	}
	if root == nil {
		root = map[string]any{}
	}
	d.root = root
	offsets, _, err := indexTOML(d.src)
	if err != nil {
		// Cannot happen for input go-toml accepted; positions are best effort.
		return nil
	}
	d.offsets = offsets
	return nil
}

func (d *document) tomlError(err error) error {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if k := de.Key(); len(k) > 0 {
			var p path
			for _, s := range k {
				p = p.Key(s)
			}
			msg = p.String() + ": " + msg
		}
		return fmt.Errorf("%s:%d:%d: %s", d.name, row, col, msg)
	}
	// Semantic errors (duplicate keys, redefined tables) carry no position:
	// find the first top-level expression that makes go-toml fail.
	msg := strings.TrimPrefix(err.Error(), "toml: ")
	if off, p, ok := locateTOMLError(d.src); ok {
		line, col := d.lineCol(off)
		if len(p) > 0 {
			return fmt.Errorf("%s:%d:%d: %s: %s", d.name, line, col, p, msg)
		}
		return fmt.Errorf("%s:%d:%d: %s", d.name, line, col, msg)
	}
	return fmt.Errorf("%s: %s", d.name, msg)
}

// tomlExpr is a top-level TOML expression: a key/value or a table header.
type tomlExpr struct {
	off  int  // offset of the expression's first byte
	path path // full key path the expression defines
}

// indexTOML walks the TOML syntax tree and records the offset of every key,
// table and array element under its full path (resolving [[array tables]] to
// their element index the way TOML does). It also returns the top-level
// expressions in order.
func indexTOML(src []byte) (map[string]int, []tomlExpr, error) {
	idx := map[string]int{}
	set := func(p path, off int) {
		k := p.String()
		if _, ok := idx[k]; !ok {
			idx[k] = off
		}
	}
	arrays := map[string]int{} // array-table path -> number of elements so far
	var exprs []tomlExpr
	var table path

	var p unstable.Parser
	p.Reset(src)
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.KeyValue:
			full, first := table, -1
			it := e.Key()
			for it.Next() {
				k := it.Node()
				off := int(k.Raw.Offset)
				if first < 0 {
					first = off
				}
				full = full.Key(string(k.Data))
				set(full, off)
			}
			exprs = append(exprs, tomlExpr{off: first, path: full})
			indexTOMLValue(e.Value(), full, first, set)
		case unstable.Table, unstable.ArrayTable:
			var parts []*unstable.Node
			it := e.Key()
			for it.Next() {
				parts = append(parts, it.Node())
			}
			if len(parts) == 0 {
				continue
			}
			off := headerStart(src, int(parts[0].Raw.Offset))
			var hp path
			for i, k := range parts {
				hp = hp.Key(string(k.Data))
				last := i == len(parts)-1
				switch n, isArray := arrays[hp.String()]; {
				case last && e.Kind == unstable.ArrayTable:
					arrays[hp.String()] = n + 1
					set(hp, off)
					hp = hp.Index(n)
					set(hp, off)
				case isArray && n > 0:
					hp = hp.Index(n - 1)
				default:
					set(hp, off)
				}
			}
			table = hp
			exprs = append(exprs, tomlExpr{off: off, path: hp})
		}
	}
	return idx, exprs, p.Error()
}

func indexTOMLValue(n *unstable.Node, p path, off int, set func(path, int)) {
	switch n.Kind {
	case unstable.InlineTable:
		it := n.Children()
		for it.Next() {
			kv := it.Node()
			if kv.Kind != unstable.KeyValue {
				continue
			}
			full, first := p, off
			kit := kv.Key()
			for kit.Next() {
				k := kit.Node()
				full = full.Key(string(k.Data))
				first = int(k.Raw.Offset)
				set(full, first)
			}
			indexTOMLValue(kv.Value(), full, first, set)
		}
	case unstable.Array:
		i := 0
		it := n.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			eoff := off
			if c.Raw.Length > 0 {
				eoff = int(c.Raw.Offset)
			}
			ep := p.Index(i)
			set(ep, eoff)
			indexTOMLValue(c, ep, eoff, set)
			i++
		}
	}
}

// headerStart walks back from the first key of a [table] or [[table]] header
// to its opening bracket.
func headerStart(src []byte, off int) int {
	for off > 0 && (src[off-1] == '[' || src[off-1] == ' ' || src[off-1] == '\t') {
		off--
	}
	return off
}

// locateTOMLError finds the first top-level expression at which go-toml
// rejects the document, by bisecting over document prefixes. It reports the
// expression's offset and key path.
func locateTOMLError(src []byte) (int, path, bool) {
	_, exprs, err := indexTOML(src)
	if err != nil || len(exprs) == 0 {
		return 0, nil, false
	}
	// cut(i) is the prefix holding expressions [0, i].
	cut := func(i int) []byte {
		if i+1 >= len(exprs) {
			return src
		}
		end := exprs[i+1].off
		for end > 0 && src[end-1] != '\n' {
			end--
		}
		return src[:end]
	}
	fails := func(i int) bool {
		var m map[string]any
		return toml.Unmarshal(cut(i), &m) != nil
	}
	lo, hi := 0, len(exprs)-1
	if !fails(hi) {
		return 0, nil, false
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return exprs[lo].off, exprs[lo].path, true
}

// ---- JSON / JSONC ----

func (d *document) parseJSON() error {
	v, err := hujson.Parse(d.src)
	if err != nil {
		return d.hujsonError(err)
	}
	if _, ok := v.Value.(*hujson.Object); !ok {
		line, col := d.lineCol(v.StartOffset)
		return fmt.Errorf("%s:%d:%d: expected a JSON object at the top level, found %s", d.name, line, col, jsonKindName(v.Value))
	}
	root, _ := d.jsonValue(v, nil).(map[string]any)
	if root == nil {
		root = map[string]any{}
	}
	d.root = root
	return nil
}

// hujsonError rewrites "hujson: line L, column C: msg" as "file:L:C: msg".
func (d *document) hujsonError(err error) error {
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, "hujson: line ")
	if ok {
		var line, col int
		if lineStr, after, ok := strings.Cut(rest, ", column "); ok {
			if colStr, text, ok := strings.Cut(after, ": "); ok {
				l, err1 := strconv.Atoi(lineStr)
				c, err2 := strconv.Atoi(colStr)
				if err1 == nil && err2 == nil {
					line, col = l, c
					return fmt.Errorf("%s:%d:%d: %s", d.name, line, col, text)
				}
			}
		}
	}
	return fmt.Errorf("%s: %s", d.name, strings.TrimPrefix(msg, "hujson: "))
}

func jsonKindName(v hujson.ValueTrimmed) string {
	switch t := v.(type) {
	case *hujson.Object:
		return "object"
	case *hujson.Array:
		return "array"
	case hujson.Literal:
		switch t.Kind() {
		case '"':
			return "string"
		case 't', 'f':
			return "boolean"
		case 'n':
			return "null"
		case '0':
			return "number"
		}
	}
	return "value"
}

// jsonValue converts a HuJSON syntax tree to generic Go values (numbers as
// json.Number), recording offsets of member names and array elements.
func (d *document) jsonValue(v hujson.Value, p path) any {
	switch t := v.Value.(type) {
	case *hujson.Object:
		m := make(map[string]any, len(t.Members))
		for _, mem := range t.Members {
			lit, ok := mem.Name.Value.(hujson.Literal)
			if !ok {
				continue
			}
			name := lit.String()
			kp := p.Key(name)
			d.offsets[kp.String()] = mem.Name.StartOffset
			if _, dup := m[name]; dup {
				d.warnings = append(d.warnings, d.newDiag(kp, true, "duplicate key; the last value wins"))
			}
			m[name] = d.jsonValue(mem.Value, kp)
		}
		return m
	case *hujson.Array:
		out := make([]any, len(t.Elements))
		for i, el := range t.Elements {
			ep := p.Index(i)
			d.offsets[ep.String()] = el.StartOffset
			out[i] = d.jsonValue(el, ep)
		}
		return out
	case hujson.Literal:
		switch t.Kind() {
		case '"':
			return t.String()
		case 't', 'f':
			return t.Bool()
		case 'n':
			return nil
		case '0':
			return json.Number(bytes.Clone(t))
		}
	}
	return nil
}
