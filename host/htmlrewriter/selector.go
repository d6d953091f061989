package htmlrewriter

import (
	"bytes"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The selectors lol-html supports (and Cloudflare documents): `*`, type,
// `#id`, `.class`, `[attr]`, `[attr=v]`, `~=`, `|=`, `^=`, `$=`, `*=` with
// an `i` or `s` flag, `:nth-child(an+b)`, `:first-child`,
// `:nth-of-type(an+b)`, `:first-of-type`, `:not(compound, …)`, lists with
// `,`, and the descendant and child combinators. Everything else is an
// error when the selector is parsed, never a selector that silently
// matches nothing.

// combinator joins two compound selectors.
type combinator uint8

const (
	descendant combinator = iota // "a b"
	child                        // "a > b"
)

// complexSel is compounds joined by combinators, left to right: the last
// compound is the element the selector matches.
type complexSel struct {
	parts []compound
	combs []combinator // combs[i] joins parts[i] and parts[i+1]
}

// compound is a compound selector: everything must hold of one element.
type compound struct {
	tag     string // lower case; "" for any
	ids     []string
	classes []string
	attrs   []attrSel
	nths    []nth
	nots    [][]compound // :not(a, b): matches when none of them does
}

// attrSel is an attribute selector.
type attrSel struct {
	name  string // lower case
	op    byte   // 0 (exists), '=', '~', '|', '^', '$', '*'
	value string
	fold  bool // the i flag: ASCII case-insensitive
}

// nth is :nth-child(an+b) or :nth-of-type(an+b).
type nth struct {
	a, b   int
	ofType bool
}

// parseSelector parses a selector list.
func parseSelector(s string) ([]complexSel, error) {
	p := &selParser{s: s}
	list, err := p.list()
	if err != nil {
		return nil, err
	}
	return list, nil
}

type selParser struct {
	s   string
	pos int
}

func (p *selParser) fail(reason string) error {
	return &SelectorError{Selector: p.s, Offset: p.pos, Reason: reason}
}

func (p *selParser) eof() bool { return p.pos >= len(p.s) }

func (p *selParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.pos]
}

// ws skips whitespace and comments and reports whether it skipped any.
func (p *selParser) ws() bool {
	start := p.pos
	for !p.eof() {
		switch c := p.s[p.pos]; {
		case isSpace(c):
			p.pos++
		case c == '/' && strings.HasPrefix(p.s[p.pos:], "/*"):
			end := strings.Index(p.s[p.pos+2:], "*/")
			if end < 0 {
				p.pos = len(p.s)
			} else {
				p.pos += end + 4
			}
		default:
			return p.pos > start
		}
	}
	return p.pos > start
}

func (p *selParser) list() ([]complexSel, error) {
	var out []complexSel
	for {
		p.ws()
		if p.eof() || p.peek() == ',' {
			return nil, p.fail("empty selector")
		}
		c, err := p.complex()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		if p.eof() {
			return out, nil
		}
		if p.peek() != ',' {
			return nil, p.unexpected()
		}
		p.pos++
	}
}

func (p *selParser) complex() (complexSel, error) {
	var c complexSel
	for {
		cp, err := p.compound(false)
		if err != nil {
			return c, err
		}
		c.parts = append(c.parts, cp)
		space := p.ws()
		switch ch := p.peek(); {
		case p.eof() || ch == ',':
			return c, nil
		case ch == '>':
			p.pos++
			p.ws()
			if p.eof() || p.peek() == ',' {
				return c, p.fail("dangling combinator")
			}
			c.combs = append(c.combs, child)
		case ch == '+' || ch == '~':
			return c, p.fail("unsupported combinator " + strconv.QuoteRune(rune(ch)))
		case space:
			c.combs = append(c.combs, descendant)
		default:
			return c, p.unexpected()
		}
	}
}

func (p *selParser) unexpected() error {
	if p.eof() {
		return p.fail("unexpected end")
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.pos:])
	return p.fail("unexpected " + strconv.QuoteRune(r))
}

// compound parses a compound selector; inNot forbids what :not() cannot hold.
func (p *selParser) compound(inNot bool) (compound, error) {
	var c compound
	start := p.pos
	switch ch := p.peek(); {
	case ch == '*':
		p.pos++
		if p.peek() == '|' {
			return c, p.fail("namespaces are not supported")
		}
	case isIdentStart(p.s[p.pos:]):
		name, err := p.ident()
		if err != nil {
			return c, err
		}
		if p.peek() == '|' {
			return c, p.fail("namespaces are not supported")
		}
		c.tag = strings.ToLower(name)
	case ch == '|':
		return c, p.fail("namespaces are not supported")
	}
	for !p.eof() {
		switch p.peek() {
		case '#':
			p.pos++
			if !isIdentStart(p.s[p.pos:]) && !(p.pos < len(p.s) && isNameChar(p.s[p.pos])) {
				return c, p.fail("invalid id")
			}
			id, err := p.name()
			if err != nil {
				return c, err
			}
			c.ids = append(c.ids, id)
		case '.':
			p.pos++
			if !isIdentStart(p.s[p.pos:]) {
				return c, p.fail("invalid class name")
			}
			cl, err := p.ident()
			if err != nil {
				return c, err
			}
			c.classes = append(c.classes, cl)
		case '[':
			a, err := p.attr()
			if err != nil {
				return c, err
			}
			c.attrs = append(c.attrs, a)
		case ':':
			if err := p.pseudo(&c); err != nil {
				return c, err
			}
		default:
			if p.pos == start {
				return c, p.unexpected()
			}
			return c, nil
		}
	}
	if p.pos == start {
		return c, p.unexpected()
	}
	return c, nil
}

func (p *selParser) attr() (attrSel, error) {
	var a attrSel
	p.pos++ // '['
	p.ws()
	if p.peek() == '|' || p.peek() == '*' && p.pos+1 < len(p.s) && p.s[p.pos+1] == '|' {
		return a, p.fail("namespaces are not supported")
	}
	if !isIdentStart(p.s[p.pos:]) {
		return a, p.fail("missing attribute name")
	}
	name, err := p.ident()
	if err != nil {
		return a, err
	}
	a.name = strings.ToLower(name)
	if p.peek() == '|' && !strings.HasPrefix(p.s[p.pos:], "|=") {
		return a, p.fail("namespaces are not supported")
	}
	p.ws()
	switch c := p.peek(); c {
	case ']':
		p.pos++
		return a, nil
	case '=':
		a.op = '='
		p.pos++
	case '~', '|', '^', '$', '*':
		if !strings.HasPrefix(p.s[p.pos+1:], "=") {
			return a, p.fail("unexpected " + strconv.QuoteRune(rune(c)) + " in attribute selector")
		}
		a.op = c
		p.pos += 2
	default:
		if p.eof() {
			return a, p.fail("unexpected end in attribute selector")
		}
		return a, p.fail("unexpected " + strconv.QuoteRune(rune(c)) + " in attribute selector")
	}
	p.ws()
	switch c := p.peek(); {
	case c == '"' || c == '\'':
		v, err := p.str()
		if err != nil {
			return a, err
		}
		a.value = v
	case isIdentStart(p.s[p.pos:]):
		v, err := p.ident()
		if err != nil {
			return a, err
		}
		a.value = v
	default:
		return a, p.fail("missing attribute value")
	}
	p.ws()
	if c := p.peek(); c == 'i' || c == 'I' || c == 's' || c == 'S' {
		a.fold = c == 'i' || c == 'I'
		p.pos++
		p.ws()
	}
	if p.peek() != ']' {
		if p.eof() {
			return a, p.fail("unexpected end in attribute selector")
		}
		return a, p.fail("unexpected " + strconv.QuoteRune(rune(p.peek())) + " in attribute selector")
	}
	p.pos++
	return a, nil
}

func (p *selParser) pseudo(c *compound) error {
	start := p.pos
	p.pos++ // ':'
	if p.peek() == ':' {
		p.pos = start
		return p.fail("pseudo-elements are not supported")
	}
	if !isIdentStart(p.s[p.pos:]) {
		return p.unexpected()
	}
	name, err := p.ident()
	if err != nil {
		return err
	}
	name = strings.ToLower(name)
	if p.peek() != '(' {
		switch name {
		case "first-child":
			c.nths = append(c.nths, nth{a: 0, b: 1})
			return nil
		case "first-of-type":
			c.nths = append(c.nths, nth{a: 0, b: 1, ofType: true})
			return nil
		}
		p.pos = start
		return p.fail("unsupported pseudo-class \":" + name + "\"")
	}
	p.pos++ // '('
	switch name {
	case "nth-child", "nth-of-type":
		end := strings.IndexByte(p.s[p.pos:], ')')
		if end < 0 {
			p.pos = len(p.s)
			return p.fail("unexpected end")
		}
		a, b, ok := parseAnB(p.s[p.pos : p.pos+end])
		if !ok {
			if strings.Contains(strings.ToLower(p.s[p.pos:p.pos+end]), " of ") {
				return p.fail(":" + name + "(… of S) is not supported")
			}
			return p.fail("invalid :" + name + " argument")
		}
		p.pos += end + 1
		c.nths = append(c.nths, nth{a: a, b: b, ofType: name == "nth-of-type"})
		return nil
	case "not":
		var list []compound
		for {
			p.ws()
			cp, err := p.compound(true)
			if err != nil {
				return err
			}
			list = append(list, cp)
			p.ws()
			switch p.peek() {
			case ',':
				p.pos++
				continue
			case ')':
				p.pos++
				c.nots = append(c.nots, list)
				return nil
			case '>', '+', '~':
				return p.fail("combinators in :not() are not supported")
			}
			if p.eof() {
				return p.fail("unexpected end")
			}
			if p.pos > 0 && isSpace(p.s[p.pos-1]) {
				return p.fail("combinators in :not() are not supported")
			}
			return p.unexpected()
		}
	}
	p.pos = start
	return p.fail("unsupported pseudo-class \":" + name + "()\"")
}

// parseAnB parses the argument of :nth-child: "odd", "even", "b", "an",
// "an+b", "-n+b", … with optional whitespace around the sign.
func parseAnB(s string) (a, b int, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "odd":
		return 2, 1, true
	case "even":
		return 2, 0, true
	case "":
		return 0, 0, false
	}
	n := strings.IndexByte(s, 'n')
	if n < 0 {
		v, ok := parseInt(s)
		return 0, v, ok
	}
	switch as := s[:n]; as {
	case "", "+":
		a = 1
	case "-":
		a = -1
	default:
		v, ok := parseInt(as)
		if !ok {
			return 0, 0, false
		}
		a = v
	}
	rest := strings.TrimSpace(s[n+1:])
	if rest == "" {
		return a, 0, true
	}
	sign := 1
	switch rest[0] {
	case '+':
	case '-':
		sign = -1
	default:
		return 0, 0, false
	}
	rest = strings.TrimSpace(rest[1:])
	if rest == "" || rest[0] == '+' || rest[0] == '-' {
		return 0, 0, false
	}
	v, ok := parseInt(rest)
	if !ok {
		return 0, 0, false
	}
	return a, sign * v, true
}

// parseInt parses an optionally signed decimal integer of a sane size.
func parseInt(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	d := s
	if d[0] == '+' || d[0] == '-' {
		d = d[1:]
	}
	if d == "" || len(d) > 9 {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.Atoi(s)
	return v, err == nil
}

func isNameChar(c byte) bool {
	return c == '_' || c == '-' || isAlpha(c) || (c >= '0' && c <= '9') || c >= 0x80
}

// isIdentStart reports whether s begins a CSS identifier.
func isIdentStart(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if c == '-' {
		if len(s) < 2 {
			return false
		}
		c = s[1]
		if c == '-' {
			return true
		}
		s = s[1:]
	}
	switch {
	case c == '_' || isAlpha(c) || c >= 0x80:
		return true
	case c == '\\':
		return len(s) > 1 && s[1] != '\n'
	}
	return false
}

// ident reads an identifier (isIdentStart was checked).
func (p *selParser) ident() (string, error) { return p.name() }

// name reads name characters and escapes.
func (p *selParser) name() (string, error) {
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.pos]
		switch {
		case c == '\\':
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
		case isNameChar(c):
			b.WriteByte(c)
			p.pos++
		default:
			return b.String(), nil
		}
	}
	return b.String(), nil
}

// escape reads a CSS escape at p.pos ('\\').
func (p *selParser) escape() (rune, error) {
	p.pos++
	if p.eof() {
		return utf8.RuneError, nil // a lone backslash at the end is U+FFFD
	}
	hexLen := 0
	for hexLen < 6 && p.pos+hexLen < len(p.s) && isHex(p.s[p.pos+hexLen]) {
		hexLen++
	}
	if hexLen > 0 {
		v, _ := strconv.ParseUint(p.s[p.pos:p.pos+hexLen], 16, 32)
		p.pos += hexLen
		if p.pos < len(p.s) && isSpace(p.s[p.pos]) {
			p.pos++
		}
		if v == 0 || v > utf8.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
			return utf8.RuneError, nil
		}
		return rune(v), nil
	}
	if p.s[p.pos] == '\n' {
		return 0, p.fail("unexpected newline in escape")
	}
	r, n := utf8.DecodeRuneInString(p.s[p.pos:])
	p.pos += n
	return r, nil
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || ((c|0x20) >= 'a' && (c|0x20) <= 'f')
}

// str reads a quoted string.
func (p *selParser) str() (string, error) {
	q := p.s[p.pos]
	p.pos++
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), nil
		case c == '\n':
			return "", p.fail("newline in string")
		case c == '\\':
			if p.pos+1 < len(p.s) && p.s[p.pos+1] == '\n' { // an escaped newline continues the string
				p.pos += 2
				continue
			}
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", p.fail("unterminated string")
}

// --- matching ----------------------------------------------------------

// elemInfo is what a compound selector is matched against: a start tag
// and its place among its siblings.
type elemInfo struct {
	name      string // lower case
	tok       *token
	index     int // 1-based among the parent's element children
	typeIndex int // 1-based among those with the same name
}

// attr returns the value of the element's first attribute named name
// (lower case), matching names case-insensitively.
func (e *elemInfo) attr(name string) ([]byte, bool) {
	for i := range e.tok.attrs {
		if equalFoldLower(e.tok.attrName(i), name) {
			return e.tok.attrValue(i), true
		}
	}
	return nil, false
}

// equalFoldLower reports whether b equals the lower-case ASCII s, ignoring
// ASCII case.
func equalFoldLower(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

func (c *compound) matches(e *elemInfo) bool {
	if c.tag != "" && c.tag != e.name {
		return false
	}
	for _, id := range c.ids {
		v, ok := e.attr("id")
		if !ok || string(v) != id {
			return false
		}
	}
	for _, cl := range c.classes {
		v, ok := e.attr("class")
		if !ok || !hasWord(v, cl, false) {
			return false
		}
	}
	for i := range c.attrs {
		if !c.attrs[i].matches(e) {
			return false
		}
	}
	for _, n := range c.nths {
		idx := e.index
		if n.ofType {
			idx = e.typeIndex
		}
		if !n.matches(idx) {
			return false
		}
	}
	for _, list := range c.nots {
		for i := range list {
			if list[i].matches(e) {
				return false
			}
		}
	}
	return true
}

func (n nth) matches(idx int) bool {
	if n.a == 0 {
		return idx == n.b
	}
	d := idx - n.b
	return d%n.a == 0 && d/n.a >= 0
}

func (a *attrSel) matches(e *elemInfo) bool {
	v, ok := e.attr(a.name)
	if !ok {
		return false
	}
	eq := func(x []byte, y string) bool {
		if a.fold {
			return bytes.EqualFold(x, []byte(y))
		}
		return string(x) == y
	}
	switch a.op {
	case 0:
		return true
	case '=':
		return eq(v, a.value)
	case '~':
		return a.value != "" && !strings.ContainsAny(a.value, " \t\n\r\f") && hasWord(v, a.value, a.fold)
	case '|':
		return eq(v, a.value) || len(v) > len(a.value) && v[len(a.value)] == '-' && eq(v[:len(a.value)], a.value)
	case '^':
		return a.value != "" && len(v) >= len(a.value) && eq(v[:len(a.value)], a.value)
	case '$':
		return a.value != "" && len(v) >= len(a.value) && eq(v[len(v)-len(a.value):], a.value)
	case '*':
		if a.value == "" {
			return false
		}
		if a.fold {
			return bytes.Contains(bytes.ToLower(v), []byte(strings.ToLower(a.value)))
		}
		return bytes.Contains(v, []byte(a.value))
	}
	return false
}

// hasWord reports whether the whitespace-separated list v holds w.
func hasWord(v []byte, w string, fold bool) bool {
	for len(v) > 0 {
		i := 0
		for i < len(v) && isSpace(v[i]) {
			i++
		}
		j := i
		for j < len(v) && !isSpace(v[j]) {
			j++
		}
		word := v[i:j]
		if fold && bytes.EqualFold(word, []byte(w)) || !fold && string(word) == w {
			return true
		}
		v = v[j:]
	}
	return false
}

// --- the program -------------------------------------------------------

// bitset is a set of small integers.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (s bitset) set(i int)      { s[i/64] |= 1 << (i % 64) }
func (s bitset) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }

func (s bitset) clear() {
	for i := range s {
		s[i] = 0
	}
}

// program is every registration's selectors compiled into one
// nondeterministic automaton over the stack of open elements: a state is
// "compound j is the next to match". The first compound of every selector
// is always a state; when an element matches compound j, the state j+1
// passes to its children (child combinator) or to all its descendants
// (descendant combinator). So matching a start tag costs one test per live
// state, with no backtracking, however deep the document.
type program struct {
	comps     []progComp
	starts    bitset
	words     int  // bitset length in words
	usesTyped bool // some selector uses :nth-of-type or :first-of-type
}

type progComp struct {
	c    *compound
	reg  int  // the registration the selector belongs to
	last bool // the selector's subject: a match
	comb combinator
}

// compile builds the program for the selectors of each registration (nil
// for registrations without one).
func compile(sels [][]complexSel) *program {
	p := &program{}
	for reg, list := range sels {
		for _, cs := range list {
			for i := range cs.parts {
				pc := progComp{c: &cs.parts[i], reg: reg, last: i == len(cs.parts)-1}
				if !pc.last {
					pc.comb = cs.combs[i]
				}
				if usesTyped(&cs.parts[i]) {
					p.usesTyped = true
				}
				p.comps = append(p.comps, pc)
			}
		}
	}
	p.words = (len(p.comps) + 63) / 64
	p.starts = newBitset(len(p.comps))
	j := 0
	for _, list := range sels {
		for _, cs := range list {
			p.starts.set(j)
			j += len(cs.parts)
		}
	}
	return p
}

func usesTyped(c *compound) bool {
	for _, n := range c.nths {
		if n.ofType {
			return true
		}
	}
	for _, list := range c.nots {
		for i := range list {
			if usesTyped(&list[i]) {
				return true
			}
		}
	}
	return false
}

// step matches element e whose parent has the states hered (inherited by
// all descendants) and child (for its children only). It sets the
// element's own states in outHered and outChild and the registrations it
// matches in matched.
func (p *program) step(e *elemInfo, hered, child, outHered, outChild, matched bitset) {
	outChild.clear()
	copy(outHered, hered)
	for w := 0; w < p.words; w++ {
		live := p.starts[w] | hered[w] | child[w]
		for live != 0 {
			bit := bits.TrailingZeros64(live)
			live &^= 1 << bit
			j := w*64 + bit
			pc := &p.comps[j]
			if !pc.c.matches(e) {
				continue
			}
			switch {
			case pc.last:
				matched.set(pc.reg)
			case pc.comb == descendant:
				outHered.set(j + 1)
			default:
				outChild.set(j + 1)
			}
		}
	}
}

// maxNth keeps :nth-child arithmetic in range on a 32-bit int.
const maxNth = math.MaxInt32 / 4
