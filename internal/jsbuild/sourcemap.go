package jsbuild

import (
	"encoding/json"
	"errors"
	"regexp"
	"sort"
	"strconv"
	"sync"
)

// sourceMap is a decoded source map (version 3): for each generated line,
// its segments in column order.
type sourceMap struct {
	sources []string
	lines   [][]segment
}

// segment maps a generated column to a position in a source (all 0-based).
type segment struct {
	genCol, src, line, col int
}

// decodeSourceMap decodes the JSON of a version 3 source map.
func decodeSourceMap(b []byte) (*sourceMap, error) {
	var raw struct {
		Version  int      `json:"version"`
		Sources  []string `json:"sources"`
		Mappings string   `json:"mappings"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	if raw.Version != 3 {
		return nil, errors.New("not a version 3 source map")
	}
	m := &sourceMap{sources: raw.Sources}
	var line []segment
	genCol, src, srcLine, srcCol := 0, 0, 0, 0
	s := raw.Mappings
	for i := 0; i <= len(s); {
		if i == len(s) || s[i] == ';' {
			m.lines = append(m.lines, line)
			line, genCol = nil, 0
			i++
			continue
		}
		if s[i] == ',' {
			i++
			continue
		}
		var fields [5]int
		n := 0
		for i < len(s) && s[i] != ',' && s[i] != ';' {
			v, k, ok := vlq(s[i:])
			if !ok {
				return nil, errors.New("malformed mappings")
			}
			if n < len(fields) {
				fields[n] = v
			}
			n++
			i += k
		}
		genCol += fields[0]
		if n >= 4 {
			src += fields[1]
			srcLine += fields[2]
			srcCol += fields[3]
			line = append(line, segment{genCol: genCol, src: src, line: srcLine, col: srcCol})
		}
	}
	return m, nil
}

// vlq decodes one base64 VLQ value from s and says how many bytes it took.
func vlq(s string) (v, n int, ok bool) {
	shift := 0
	for n < len(s) {
		c := s[n]
		n++
		var d int
		switch {
		case c >= 'A' && c <= 'Z':
			d = int(c - 'A')
		case c >= 'a' && c <= 'z':
			d = int(c-'a') + 26
		case c >= '0' && c <= '9':
			d = int(c-'0') + 52
		case c == '+':
			d = 62
		case c == '/':
			d = 63
		default:
			return 0, 0, false
		}
		v |= (d & 31) << shift
		shift += 5
		if shift > 60 {
			return 0, 0, false
		}
		if d&32 == 0 {
			if v&1 != 0 {
				return -(v >> 1), n, true
			}
			return v >> 1, n, true
		}
	}
	return 0, 0, false
}

// lookup maps a generated position (0-based) to its source position.
func (m *sourceMap) lookup(line, col int) (source string, srcLine, srcCol int, ok bool) {
	if line < 0 || line >= len(m.lines) {
		return "", 0, 0, false
	}
	segs := m.lines[line]
	i := sort.Search(len(segs), func(i int) bool { return segs[i].genCol > col }) - 1
	if i < 0 {
		return "", 0, 0, false
	}
	s := segs[i]
	if s.src < 0 || s.src >= len(m.sources) {
		return "", 0, 0, false
	}
	return m.sources[s.src], s.line, s.col, true
}

// bundlePos matches a position in the bundle as the engine prints it,
// "worker.js:LINE:COL" (or "worker.js:LINE").
var bundlePos = regexp.MustCompile(`\b` + regexp.QuoteMeta(BundleName) + `:(\d+)(?::(\d+))?`)

// Mapper returns a function that rewrites every position in the bundle
// that a text names (a stack trace, an error message) to the position in
// the Worker's sources, through the bundle's source map; text without one
// is returned as it is. It is safe for concurrent use.
func (b *Bundle) Mapper() func(string) string {
	var once sync.Once
	var m *sourceMap
	return func(text string) string {
		once.Do(func() { m, _ = decodeSourceMap(b.SourceMap) })
		if m == nil {
			return text
		}
		return bundlePos.ReplaceAllStringFunc(text, func(pos string) string {
			sub := bundlePos.FindStringSubmatch(pos)
			line, _ := strconv.Atoi(sub[1])
			col := 1
			if sub[2] != "" {
				col, _ = strconv.Atoi(sub[2])
			}
			src, l, c, ok := m.lookup(line-1, col-1)
			if !ok {
				return pos
			}
			return src + ":" + strconv.Itoa(l+1) + ":" + strconv.Itoa(c+1)
		})
	}
}
