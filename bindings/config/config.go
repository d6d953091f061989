// Package config is the seam between a Worker's config file and the
// binding modules that read a section of it. The config loader
// (bindery's wrangler.toml / wrangler.json(c) loader) parses the file,
// applies environments and knows where every key is; a module reads only
// its own keys (kv_namespaces, r2_buckets, ...) through a [Reader] and
// reports problems at a [Path], which the loader turns into
// "file:line:col: key.path: message" errors:
//
//	wrangler.toml:7:1: kv_namespaces[0].binding: expected a string, found integer
//
// A module's parser collects every problem (the loader reports them all,
// in file order) and returns what it decoded; the helpers here ([Entries],
// [CheckFields], [BindingName], [OptString]) do the common checks with
// the loader's wording.
package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Elem is one element of a [Path]: an object key, or an array index when
// Index >= 0.
type Elem struct {
	// Key is the object key (when Index < 0).
	Key string
	// Index is the array index, or -1 for a key.
	Index int
}

// Path is a key path into a config document, such as
// env.staging.kv_namespaces[0].binding. Methods never modify the receiver.
type Path []Elem

// Key returns p followed by the key k.
func (p Path) Key(k string) Path {
	q := make(Path, len(p), len(p)+1)
	copy(q, p)
	return append(q, Elem{Key: k, Index: -1})
}

// Index returns p followed by the array index i.
func (p Path) Index(i int) Path {
	q := make(Path, len(p), len(p)+1)
	copy(q, p)
	return append(q, Elem{Index: i})
}

// String renders the path as wrangler's messages do: dotted keys, [N] for
// array elements, and quoted keys when they are not bare words.
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		if s.Index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.Index))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if isBareKey(s.Key) {
			b.WriteString(s.Key)
		} else {
			b.WriteString(strconv.Quote(s.Key))
		}
	}
	return b.String()
}

func isBareKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '$') {
			return false
		}
	}
	return true
}

// Reader is one Worker's config, as a module reads it; the config loader
// implements it. Values are generic: string, bool, int64 or json.Number,
// float64, nil, []any and map[string]any (and TOML dates and times).
type Reader interface {
	// Lookup returns the value of the top-level key for the selected
	// environment (binding keys are not inherited from the top level by
	// an [env.X]), and the path it is at.
	Lookup(key string) (v any, p Path, ok bool)
	// Errorf reports an error at p; the loader fails with every error
	// reported, each prefixed "file:line:col: p: ".
	Errorf(p Path, format string, args ...any)
	// Warnf reports a warning at p ("file:line:col: " and the message).
	Warnf(p Path, format string, args ...any)
	// Claim records the binding name declared at p; it reports an error
	// and returns false when another binding or var has the name.
	Claim(name string, p Path) bool
	// Dir is the absolute directory of the config file, against which
	// relative paths resolve.
	Dir() string
	// JSON reports whether the file is JSON (its tables are "objects").
	JSON() bool
}

// Parser decodes the keys of one module from a Worker's config.
type Parser struct {
	// Module is the module's name; the loader keeps the result under it.
	Module string
	// Keys are the top-level keys the module reads.
	Keys []string
	// Parse decodes the keys, reporting problems on r, and returns what
	// the module opens with (nil when the config has none of its keys).
	Parse func(r Reader) any
}

// TypeName names the type of a config value in messages ("string",
// "table" or "object", "array", ...).
func TypeName(r Reader, v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case int64:
		return "integer"
	case float64:
		return "float"
	case json.Number:
		return "number"
	case nil:
		return "null"
	case []any:
		return "array"
	case map[string]any:
		if r.JSON() {
			return "object"
		}
		return "table"
	}
	return fmt.Sprintf("%T", v)
}

// aTable is "a table" (TOML) or "an object" (JSON).
func aTable(r Reader) string {
	if r.JSON() {
		return "an object"
	}
	return "a table"
}

// Table returns v as a table, or reports a type error at p.
func Table(r Reader, v any, p Path) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		r.Errorf(p, "expected %s, found %s", aTable(r), TypeName(r, v))
	}
	return m, ok
}

// String returns v as a string, or reports a type error at p.
func String(r Reader, v any, p Path) (string, bool) {
	s, ok := v.(string)
	if !ok {
		r.Errorf(p, "expected a string, found %s", TypeName(r, v))
	}
	return s, ok
}

// OptString returns m[k] if it is a string, "" if it is absent, and
// reports a type error at p.k otherwise.
func OptString(r Reader, m map[string]any, p Path, k string) string {
	v, ok := m[k]
	if !ok {
		return ""
	}
	s, _ := String(r, v, p.Key(k))
	return s
}

// Entries returns the tables of a binding list such as kv_namespaces
// (an array of tables) and their paths, reporting entries of other types.
func Entries(r Reader, key string) ([]map[string]any, []Path) {
	v, p, ok := r.Lookup(key)
	if !ok {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		r.Errorf(p, "expected an array, found %s", TypeName(r, v))
		return nil, nil
	}
	var ms []map[string]any
	var ps []Path
	for i, e := range arr {
		ep := p.Index(i)
		if m, ok := Table(r, e, ep); ok {
			ms = append(ms, m)
			ps = append(ps, ep)
		}
	}
	return ms, ps
}

// CheckFields checks the keys of the table m at p: used ones are fine,
// unused ones (with a note saying why, or "") get a warning that bindery
// ignores them, and anything else is an error with a suggestion.
func CheckFields(r Reader, m map[string]any, p Path, used []string, unused map[string]string) {
	candidates := slices.Clone(used)
	for k := range unused {
		candidates = append(candidates, k)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the loader sorts its diagnostics by position
	for _, k := range keys {
		kp := p.Key(k)
		if slices.Contains(used, k) {
			continue
		}
		if note, ok := unused[k]; ok {
			msg := fmt.Sprintf("field %q is not used by bindery dev", kp.String())
			if note != "" {
				msg += " (" + note + ")"
			}
			r.Warnf(kp, "%s", msg)
			continue
		}
		if s := Suggest(k, candidates); s != "" {
			r.Errorf(kp, "unknown field %q (did you mean %q?)", k, s)
		} else {
			sort.Strings(candidates)
			r.Errorf(kp, "unknown field %q (expected one of: %s)", k, strings.Join(candidates, ", "))
		}
	}
}

// BindingName checks the required "binding" field of the entry m at p:
// a string that is a JavaScript identifier (the Worker reaches it as
// env.NAME) and that no other binding or var uses.
func BindingName(r Reader, m map[string]any, p Path) (string, bool) {
	bp := p.Key("binding")
	v, ok := m["binding"]
	if !ok {
		r.Errorf(bp, "missing required field \"binding\"")
		return "", false
	}
	s, ok := String(r, v, bp)
	if !ok {
		return "", false
	}
	if !IsJSIdentifier(s) {
		r.Errorf(bp, "binding name %q is not a valid JavaScript identifier", s)
		return "", false
	}
	return s, r.Claim(s, bp)
}

// IsJSIdentifier reports whether s is an ECMAScript IdentifierName, so
// that the binding can be reached as env.NAME. Reserved words are
// accepted: they are valid property names.
func IsJSIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '$' || r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r):
		case i > 0 && (unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) ||
			unicode.Is(unicode.Pc, r) || r == '\u200c' || r == '\u200d'):
		default:
			return false
		}
	}
	return true
}

// Suggest returns the candidate closest to s within edit distance 2,
// ignoring case (ties broken alphabetically), or "": the "did you mean"
// of an unknown key or name.
func Suggest(s string, candidates []string) string {
	sorted := slices.Clone(candidates)
	sort.Strings(sorted)
	best, bestDist := "", 3
	for _, c := range sorted {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Number returns m[k] as a number between min and max, reporting a type
// or range error at p.k; ok is false when it is absent or bad.
func Number(r Reader, m map[string]any, p Path, k string, min, max float64) (n float64, ok bool) {
	v, present := m[k]
	if !present {
		return 0, false
	}
	kp := p.Key(k)
	switch x := v.(type) {
	case int64:
		n = float64(x)
	case float64:
		n = x
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			r.Errorf(kp, "expected a number, found %q", x.String())
			return 0, false
		}
		n = f
	default:
		r.Errorf(kp, "expected a number, found %s", TypeName(r, v))
		return 0, false
	}
	if n < min || n > max {
		r.Errorf(kp, "%v is out of range (%v to %v)", n, min, max)
		return 0, false
	}
	return n, true
}
