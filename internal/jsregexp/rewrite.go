package jsregexp

import (
	"bytes"
)

// Edit is one replacement Rewrite made: the Old bytes at Offset in the
// source became New bytes.
type Edit struct {
	Offset, Old, New int
}

// Rewrite expands the property escapes of every regular expression
// literal in src, a JavaScript program (a script or a module, as esbuild
// prints it), and says what it changed, in order. A literal whose escapes
// name no property is left for the engine to refuse, as V8 would. A
// program without "\p{" or "\P{" is returned as it is, without being read.
//
// The tokeniser knows what it needs to find literals: comments, strings,
// template literals (with their substitutions, nested), regular expression
// literals (a slash starts one where an expression may start: after an
// operator, a keyword such as return or typeof, an opening bracket, or the
// closing parenthesis of an if, while, for or with head), and whatever
// else is a token.
func (x *Expander) Rewrite(src []byte) ([]byte, []Edit) {
	if !bytes.Contains(src, []byte(`\p{`)) && !bytes.Contains(src, []byte(`\P{`)) {
		return src, nil
	}
	var out []byte
	var edits []Edit
	last := 0
	scanRegexps(src, func(start, bodyEnd, end int) {
		body, flags := string(src[start+1:bodyEnd]), string(src[bodyEnd+1:end])
		exp, err := x.Expand(body, flags)
		if err != nil || exp == body {
			return
		}
		lit := "/" + exp + "/" + flags
		out = append(out, src[last:start]...)
		out = append(out, lit...)
		edits = append(edits, Edit{Offset: start, Old: end - start, New: len(lit)})
		last = end
	})
	if edits == nil {
		return src, nil
	}
	return append(out, src[last:]...), edits
}

// scanRegexps calls found for each regular expression literal of src:
// src[start] is its opening slash, src[bodyEnd] its closing one, and its
// flags end at end.
func scanRegexps(src []byte, found func(start, bodyEnd, end int)) {
	s := scanner{src: src, regexOK: true}
	s.run(found)
}

// A scanner walks a program token by token.
type scanner struct {
	src []byte
	i   int
	// regexOK says whether a slash here starts a regular expression.
	regexOK bool
	// braces holds, for each open {, whether it opened a template
	// substitution (its } resumes the template).
	braces []bool
	// parens holds, for each open (, whether it opened the head of an if,
	// while, for or with (after its ) a slash starts a regular expression).
	parens []bool
	// prevHead says the last token was if, while, for or with (not a
	// property name); isDot says it was . or ?.
	prevHead, isDot bool
}

// regexKeywords are the keywords after which a slash starts a regular
// expression (an expression follows them).
var regexKeywords = map[string]bool{
	"return": true, "typeof": true, "instanceof": true, "in": true, "of": true, "new": true,
	"delete": true, "void": true, "throw": true, "case": true, "do": true, "else": true,
	"yield": true, "await": true, "extends": true,
}

// headKeywords are the keywords whose parenthesised head is followed by a
// statement, which may start with a regular expression.
var headKeywords = map[string]bool{"if": true, "while": true, "for": true, "with": true}

func (s *scanner) run(found func(start, bodyEnd, end int)) {
	src := s.src
	if len(src) >= 2 && src[0] == '#' && src[1] == '!' {
		s.skipLine()
	}
	for s.i < len(src) {
		c := src[s.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			s.i++
			continue
		case c == '/' && s.i+1 < len(src) && src[s.i+1] == '/':
			s.skipLine()
			continue
		case c == '/' && s.i+1 < len(src) && src[s.i+1] == '*':
			end := bytes.Index(src[s.i+2:], []byte("*/"))
			if end < 0 {
				s.i = len(src)
			} else {
				s.i += 2 + end + 2
			}
			continue
		}
		head, dot := false, false
		switch {
		case c == '/' && s.regexOK:
			start := s.i
			if bodyEnd, end, ok := s.regex(); ok {
				found(start, bodyEnd, end)
				s.regexOK = false
			} else { // not a literal after all: treat the slash as division
				s.i = start + 1
				s.regexOK = true
			}
		case c == '\'' || c == '"':
			s.str(c)
			s.regexOK = false
		case c == '`':
			s.i++
			s.template()
		case isIdentStart(c):
			start := s.i
			for s.i < len(src) && isIdentPart(src[s.i]) {
				s.i++
			}
			word := src[start:s.i]
			switch {
			case s.isDot: // a property name, never a keyword
				s.regexOK = false
			case regexKeywords[string(word)]:
				s.regexOK = true
			default:
				s.regexOK = false
				head = headKeywords[string(word)]
			}
		case c >= '0' && c <= '9' || c == '.' && s.i+1 < len(src) && src[s.i+1] >= '0' && src[s.i+1] <= '9':
			s.number()
			s.regexOK = false
		case c == '{':
			s.braces = append(s.braces, false)
			s.i++
			s.regexOK = true
		case c == '}':
			s.i++
			if n := len(s.braces); n > 0 {
				tmpl := s.braces[n-1]
				s.braces = s.braces[:n-1]
				if tmpl {
					s.template()
					break
				}
			}
			s.regexOK = true // after a block a statement may start with one
		case c == '(':
			s.parens = append(s.parens, s.prevHead)
			s.i++
			s.regexOK = true
		case c == ')':
			s.i++
			head := false
			if n := len(s.parens); n > 0 {
				head = s.parens[n-1]
				s.parens = s.parens[:n-1]
			}
			s.regexOK = head
		case c == ']':
			s.i++
			s.regexOK = false
		case c == '+' || c == '-':
			if s.i+1 < len(src) && src[s.i+1] == c { // ++ and --: mostly postfix
				s.i += 2
				s.regexOK = false
			} else {
				s.i++
				s.regexOK = true
			}
		case c == '.':
			s.i++
			dot = true
			s.regexOK = false
		case c == '?' && s.i+1 < len(src) && src[s.i+1] == '.' && !(s.i+2 < len(src) && src[s.i+2] >= '0' && src[s.i+2] <= '9'):
			s.i += 2
			dot = true
			s.regexOK = false
		case c == '#': // a private name
			s.i++
			for s.i < len(src) && isIdentPart(src[s.i]) {
				s.i++
			}
			s.regexOK = false
		default: // any other punctuator: an expression may follow
			s.i++
			s.regexOK = true
		}
		s.prevHead, s.isDot = head, dot
	}
}

func (s *scanner) skipLine() {
	for s.i < len(s.src) && s.src[s.i] != '\n' && s.src[s.i] != '\r' {
		s.i++
	}
}

// str skips a string literal that starts at s.i with quote q.
func (s *scanner) str(q byte) {
	s.i++
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case '\\':
			s.i += 2
			continue
		case q:
			s.i++
			return
		case '\n', '\r': // unterminated: the engine will say so
			return
		}
		s.i++
	}
}

// template skips template text up to its closing backquote, or up to a
// substitution's ${ (pushing it, so that its } resumes the template).
func (s *scanner) template() {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case '\\':
			s.i += 2
			continue
		case '`':
			s.i++
			s.regexOK = false
			return
		case '$':
			if s.i+1 < len(s.src) && s.src[s.i+1] == '{' {
				s.i += 2
				s.braces = append(s.braces, true)
				s.regexOK = true
				return
			}
		}
		s.i++
	}
}

// regex reads a regular expression literal at s.i: its closing slash and
// its end, or false when there is none on this line.
func (s *scanner) regex() (bodyEnd, end int, ok bool) {
	src := s.src
	i := s.i + 1
	class := false
	for ; i < len(src); i++ {
		switch c := src[i]; c {
		case '\\':
			i++
			if i < len(src) && (src[i] == '\n' || src[i] == '\r') {
				return 0, 0, false
			}
		case '[':
			class = true
		case ']':
			class = false
		case '\n', '\r':
			return 0, 0, false
		case '/':
			if class {
				continue
			}
			bodyEnd = i
			i++
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			s.i = i
			return bodyEnd, i, true
		}
	}
	return 0, 0, false
}

// number skips a numeric literal (decimal, hex, octal, binary, with
// exponents, separators and the BigInt suffix).
func (s *scanner) number() {
	src := s.src
	for s.i < len(src) {
		c := src[s.i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '.':
			if (c == 'e' || c == 'E') && s.i+1 < len(src) && (src[s.i+1] == '+' || src[s.i+1] == '-') && !isHexLiteral(src, s.i) {
				s.i++
			}
			s.i++
		default:
			return
		}
	}
}

// isHexLiteral says whether the number containing src[i] is hexadecimal
// (where e is a digit, not an exponent).
func isHexLiteral(src []byte, i int) bool {
	for j := i; j > 0; j-- {
		c := src[j]
		if c == 'x' || c == 'X' {
			return src[j-1] == '0'
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '_') {
			return false
		}
	}
	return false
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$' || c == '\\' || c >= 0x80
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9'
}
