package htmlrewriter

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// The tokenizer follows the WHATWG HTML tokenizer
// (https://html.spec.whatwg.org/multipage/parsing.html#tokenization) as far
// as token boundaries go, and no further: it never decodes character
// references, never normalises newlines or NULs, and keeps every token's
// source bytes, so whatever no handler changes is written out byte for
// byte. It is resumable at any byte: write may split the document
// anywhere, even inside a tag, a comment or a UTF-8 sequence.
//
// What the tree builder would tell the tokenizer (switch to RCDATA after
// <title>, allow CDATA in SVG) is simulated as lol-html does: a namespace
// stack driven by svg/math start tags, breakout tags and integration points
// (treeSim), with no stack of open elements.

// kind is what a token is.
type kind uint8

const (
	// kindText is a piece of a text node: raw bytes, maybe not all of it.
	kindText kind = iota + 1
	// kindTextEnd ends a text node that had at least one kindText; it has
	// no bytes.
	kindTextEnd
	kindStartTag
	kindEndTag
	// kindComment is a comment, a bogus comment (<?x>, <!x>, </3>) or a
	// CDATA section outside foreign content.
	kindComment
	kindDoctype
	// kindRaw is bytes that are no token: "</>", a tag cut off by the end
	// of the input, CDATA markers, or a piece of a comment or doctype that
	// is streamed because no handler wants it.
	kindRaw
)

// textType is how text is read: the tokenizer's text states.
type textType uint8

const (
	textData textType = iota
	textRCData
	textRawText
	textScript
	textPlain
)

// namespace is an element's namespace.
type namespace uint8

const (
	nsHTML namespace = iota
	nsSVG
	nsMathML
)

// attr is one attribute of a start tag, as offsets into the token's raw bytes.
type attr struct {
	nameStart, nameEnd   int
	valueStart, valueEnd int // equal when the attribute has no value
	end                  int // end of the whole attribute (after a closing quote)
}

// token is one token. Its byte slices are views into the tokenizer's
// buffer, valid until the next feed.
type token struct {
	kind kind
	// raw is the token's source bytes (for text, the text).
	raw []byte
	// Tags: the name as written, the attributes, "/>", and (start tags)
	// the element's namespace.
	name        []byte
	attrs       []attr
	selfClosing bool
	ns          namespace
	// Comments: the text between the delimiters.
	text []byte
	// Doctypes: the parts that are present.
	dtName, dtPublic, dtSystem    []byte
	hasName, hasPublic, hasSystem bool
}

// attrName returns attribute i's name as written.
func (t *token) attrName(i int) []byte { return t.raw[t.attrs[i].nameStart:t.attrs[i].nameEnd] }

// attrValue returns attribute i's value as written (without quotes).
func (t *token) attrValue(i int) []byte { return t.raw[t.attrs[i].valueStart:t.attrs[i].valueEnd] }

// attrRaw returns attribute i's source bytes, from its name to its value's end.
func (t *token) attrRaw(i int) []byte { return t.raw[t.attrs[i].nameStart:t.attrs[i].end] }

// state is a tokenizer state. The names follow the spec's.
type state uint8

const (
	sText state = iota // data, RCDATA, RAWTEXT, script data or PLAINTEXT, per tt
	sTagOpen
	sEndTagOpen
	sTagName
	sBeforeAttrName
	sAttrName
	sAfterAttrName
	sBeforeAttrValue
	sAttrValueDQ
	sAttrValueSQ
	sAttrValueUnquoted
	sAfterAttrValueQuoted
	sSelfClosingStartTag
	sMarkupDecl
	sCommentStart
	sCommentStartDash
	sComment
	sCommentEndDash
	sCommentEnd
	sCommentEndBang
	sBogusComment
	sDoctype
	sCDATA
	// '<', '</' and '</' + letters in RCDATA, RAWTEXT and script data (and
	// escaped script data): maybe the appropriate end tag.
	sRawLT
	sRawEndTagOpen
	sRawEndTagName
	// Script data escape states.
	sScriptEscapeStart
	sScriptEscapeStartDash
	sScriptEscaped
	sScriptEscapedDash
	sScriptEscapedDashDash
	sScriptEscapedLT
	sScriptDoubleEscapeStart
	sScriptDoubleEscaped
	sScriptDoubleEscapedDash
	sScriptDoubleEscapedDashDash
	sScriptDoubleEscapedLT
	sScriptDoubleEscapeEnd
)

// tokenizer is the streaming tokenizer. feed appends input, next returns
// tokens until the input so far is used up, finish marks the end of the
// input. It holds at most one unfinished token (limited by maxToken bytes)
// and the few bytes that may begin one.
//
// A tokenizer is not safe for concurrent use.
type tokenizer struct {
	buf []byte
	pos int // next byte to read

	st state
	tt textType
	// escaped: the raw-text sub-states (sRawLT…) return to escaped script
	// data, not script data.
	escaped bool
	// endName is the appropriate end tag name in RCDATA, RAWTEXT and
	// script data: the start tag's name in lower case.
	endName string
	// nameLen counts the letters after "</" (or after "<" in the double
	// escape states) matched so far against endName or "script".
	nameLen int

	// textStart is where text not yet handed out begins; -1 when none.
	textStart int
	// inText says a kindText was handed out and its kindTextEnd is owed.
	inText bool
	// tagStart is where the markup token being read begins (its '<'); -1
	// when none.
	tagStart int

	// The tag being read, as offsets from tagStart.
	isEnd        bool
	nameStart    int
	nameEnd      int
	attrs        []attr
	selfClosing  bool
	commentStart int // where a comment's text begins
	// streaming: the comment or doctype being read is handed out as
	// kindRaw pieces instead of being kept whole.
	streaming bool

	tree treeSim

	queue []token
	qi    int
	eof   bool
	done  bool

	// maxToken bounds a tag, comment or doctype kept whole.
	maxToken int
	// capture reports whether a comment (or a doctype) that starts now
	// must be kept whole for a handler; else it is streamed as kindRaw.
	capture func(k kind) bool
}

func newTokenizer(maxToken int, capture func(kind) bool) *tokenizer {
	return &tokenizer{textStart: -1, tagStart: -1, maxToken: maxToken, capture: capture, tree: treeSim{ns: []namespace{nsHTML}}}
}

// feed appends p to the input. Tokens handed out earlier become invalid.
func (z *tokenizer) feed(p []byte) {
	keep := z.pos
	if z.textStart >= 0 && z.textStart < keep {
		keep = z.textStart
	}
	if z.tagStart >= 0 && z.tagStart < keep {
		keep = z.tagStart
	}
	if keep > 0 {
		n := copy(z.buf, z.buf[keep:])
		z.buf = z.buf[:n]
		z.pos -= keep
		if z.textStart >= 0 {
			z.textStart -= keep
		}
		if z.tagStart >= 0 {
			z.tagStart -= keep
		}
	}
	// Drop a large buffer once it has served a large token.
	if cap(z.buf) > 256<<10 && len(z.buf)+len(p) < 16<<10 {
		z.buf = append(make([]byte, 0, 32<<10), z.buf...)
	}
	z.buf = append(z.buf, p...)
}

// finish marks the end of the input: next hands out what is left.
func (z *tokenizer) finish() { z.eof = true }

// next returns the next token, or false when the input so far is used up
// (and, after finish, when the document is done).
func (z *tokenizer) next() (token, bool, error) {
	for {
		if z.qi < len(z.queue) {
			t := z.queue[z.qi]
			z.qi++
			if z.qi == len(z.queue) {
				z.queue = z.queue[:0]
				z.qi = 0
			}
			return t, true, nil
		}
		if z.done {
			return token{}, false, nil
		}
		more, err := z.scan()
		if err != nil {
			return token{}, false, err
		}
		if !more && len(z.queue) == 0 {
			if !z.eof {
				z.flushText()
				if len(z.queue) == 0 {
					return token{}, false, nil
				}
				continue
			}
			z.atEOF()
			z.done = true
		}
	}
}

// push queues a token.
func (z *tokenizer) push(t token) { z.queue = append(z.queue, t) }

// emitText queues the text from textStart to end (and keeps what follows).
func (z *tokenizer) emitText(end int) {
	if z.textStart >= 0 && end > z.textStart {
		z.push(token{kind: kindText, raw: z.buf[z.textStart:end]})
		z.inText = true
	}
	z.textStart = -1
}

// endText queues the text before a markup token that starts at start, and
// the end of the text node.
func (z *tokenizer) endText(start int) {
	z.emitText(start)
	if z.inText {
		z.push(token{kind: kindTextEnd})
		z.inText = false
	}
}

// flushText hands out the text read so far when the input runs out: all of
// it but a '<' (or "</scr") that may begin a tag, and an unfinished UTF-8
// sequence.
func (z *tokenizer) flushText() {
	if z.textStart < 0 {
		return
	}
	end := z.pos
	if z.tagStart >= 0 && z.tagStart < end {
		end = z.tagStart
	}
	end -= incompleteUTF8(z.buf[z.textStart:end])
	if end > z.textStart {
		z.emitText(end)
		z.textStart = end
	}
}

// incompleteUTF8 returns how many bytes at the end of b are the start of a
// UTF-8 sequence that the next input may complete.
func incompleteUTF8(b []byte) int {
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < 0x80 {
			return 0
		}
		if c >= 0xC0 { // a lead byte
			need := 2
			switch {
			case c >= 0xF0:
				need = 4
			case c >= 0xE0:
				need = 3
			}
			if i < need {
				return i
			}
			return 0
		}
	}
	return 0
}

// startText notes that text begins at i, unless text is already pending.
func (z *tokenizer) startText(i int) {
	if z.textStart < 0 {
		z.textStart = i
	}
}

// tooLarge fails when the token being kept whole is over the limit.
func (z *tokenizer) tooLarge() error {
	if z.tagStart >= 0 && !z.streaming && z.pos-z.tagStart > z.maxToken {
		what := "a tag"
		switch {
		case z.st >= sMarkupDecl && z.st <= sBogusComment:
			what = "a comment"
		case z.st == sDoctype:
			what = "a doctype"
		}
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrTooLarge, what, z.maxToken)
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 0x20
	}
	return c
}

// scan reads until it has queued at least one token, or until the input
// runs out (false).
func (z *tokenizer) scan() (bool, error) {
	for len(z.queue) == 0 {
		if z.pos >= len(z.buf) || z.step() {
			if err := z.tooLarge(); err != nil {
				return false, err
			}
			if z.streaming && z.tagStart >= 0 && z.pos > z.tagStart {
				z.push(token{kind: kindRaw, raw: z.buf[z.tagStart:z.pos]})
				z.tagStart = z.pos
				return true, nil
			}
			return false, nil
		}
	}
	return true, nil
}

// step consumes input in the current state: one byte, or a run of text.
// It returns true when the state needs more input than there is to go on.
func (z *tokenizer) step() (wait bool) {
	b := z.buf
	switch z.st {
	case sText:
		z.stepText()

	case sTagOpen: // after '<' in data
		c := b[z.pos]
		switch {
		case c == '!':
			z.pos++
			z.st = sMarkupDecl
		case c == '/':
			z.pos++
			z.st = sEndTagOpen
		case isAlpha(c):
			z.beginTag(false)
			z.st = sTagName
		case c == '?':
			z.beginComment(z.pos - z.tagStart)
			z.st = sBogusComment
		default: // the '<' was text
			z.tagStart = -1
			z.st = sText
		}

	case sEndTagOpen: // after "</" in data
		c := b[z.pos]
		switch {
		case isAlpha(c):
			z.beginTag(true)
			z.st = sTagName
		case c == '>': // "</>": no token
			z.pos++
			z.endText(z.tagStart)
			z.push(token{kind: kindRaw, raw: b[z.tagStart:z.pos]})
			z.tagStart = -1
			z.st = sText
		default: // "</3": a bogus comment
			z.beginComment(z.pos - z.tagStart)
			z.st = sBogusComment
		}

	case sTagName:
		for z.pos < len(b) {
			c := b[z.pos]
			switch {
			case isSpace(c):
				z.nameEnd = z.pos - z.tagStart
				z.pos++
				z.st = sBeforeAttrName
				return false
			case c == '/':
				z.nameEnd = z.pos - z.tagStart
				z.pos++
				z.st = sSelfClosingStartTag
				return false
			case c == '>':
				z.nameEnd = z.pos - z.tagStart
				z.pos++
				z.emitTag()
				return false
			}
			z.pos++
		}

	case sBeforeAttrName:
		c := b[z.pos]
		switch {
		case isSpace(c):
			z.pos++
		case c == '/' || c == '>':
			z.st = sAfterAttrName
		default: // '=' too starts a name
			z.beginAttr()
			z.pos++
			z.st = sAttrName
		}

	case sAttrName:
		for z.pos < len(b) {
			c := b[z.pos]
			if isSpace(c) || c == '/' || c == '>' {
				z.endAttrName()
				z.st = sAfterAttrName
				return false
			}
			if c == '=' {
				z.endAttrName()
				z.pos++
				z.st = sBeforeAttrValue
				return false
			}
			z.pos++
		}

	case sAfterAttrName:
		c := b[z.pos]
		switch {
		case isSpace(c):
			z.pos++
		case c == '/':
			z.pos++
			z.st = sSelfClosingStartTag
		case c == '=':
			z.pos++
			z.st = sBeforeAttrValue
		case c == '>':
			z.pos++
			z.emitTag()
		default:
			z.beginAttr()
			z.pos++
			z.st = sAttrName
		}

	case sBeforeAttrValue:
		c := b[z.pos]
		switch {
		case isSpace(c):
			z.pos++
		case c == '"':
			z.pos++
			z.beginValue()
			z.st = sAttrValueDQ
		case c == '\'':
			z.pos++
			z.beginValue()
			z.st = sAttrValueSQ
		case c == '>': // a missing value
			z.pos++
			z.emitTag()
		default:
			z.beginValue()
			z.st = sAttrValueUnquoted
		}

	case sAttrValueDQ, sAttrValueSQ:
		q := byte('"')
		if z.st == sAttrValueSQ {
			q = '\''
		}
		if i := bytes.IndexByte(b[z.pos:], q); i >= 0 {
			z.pos += i
			z.endValue(1)
			z.pos++
			z.st = sAfterAttrValueQuoted
			return false
		}
		z.pos = len(b)

	case sAttrValueUnquoted:
		for z.pos < len(b) {
			c := b[z.pos]
			if isSpace(c) {
				z.endValue(0)
				z.pos++
				z.st = sBeforeAttrName
				return false
			}
			if c == '>' {
				z.endValue(0)
				z.pos++
				z.emitTag()
				return false
			}
			z.pos++
		}

	case sAfterAttrValueQuoted:
		c := b[z.pos]
		switch {
		case isSpace(c):
			z.pos++
			z.st = sBeforeAttrName
		case c == '/':
			z.pos++
			z.st = sSelfClosingStartTag
		case c == '>':
			z.pos++
			z.emitTag()
		default:
			z.st = sBeforeAttrName
		}

	case sSelfClosingStartTag:
		if b[z.pos] == '>' {
			z.pos++
			z.selfClosing = true
			z.emitTag()
			return false
		}
		z.st = sBeforeAttrName

	case sMarkupDecl: // after "<!"
		return z.stepMarkupDecl()

	case sCommentStart:
		switch b[z.pos] {
		case '-':
			z.pos++
			z.st = sCommentStartDash
		case '>': // "<!-->"
			z.pos++
			z.emitComment(z.pos - 1)
		default:
			z.st = sComment
		}

	case sCommentStartDash:
		switch b[z.pos] {
		case '-':
			z.pos++
			z.st = sCommentEnd
		case '>': // "<!--->"
			z.pos++
			z.emitComment(z.pos - 2)
		default:
			z.st = sComment
		}

	case sComment:
		if i := bytes.IndexByte(b[z.pos:], '-'); i >= 0 {
			z.pos += i + 1
			z.st = sCommentEndDash
			return false
		}
		z.pos = len(b)

	case sCommentEndDash:
		if b[z.pos] == '-' {
			z.pos++
			z.st = sCommentEnd
			return false
		}
		z.st = sComment

	case sCommentEnd:
		switch b[z.pos] {
		case '>':
			z.pos++
			z.emitComment(z.pos - 3)
		case '!':
			z.pos++
			z.st = sCommentEndBang
		case '-':
			z.pos++
		default:
			z.st = sComment
		}

	case sCommentEndBang:
		switch b[z.pos] {
		case '-':
			z.pos++
			z.st = sCommentEndDash
		case '>':
			z.pos++
			z.emitComment(z.pos - 4)
		default:
			z.st = sComment
		}

	case sBogusComment:
		if i := bytes.IndexByte(b[z.pos:], '>'); i >= 0 {
			z.pos += i + 1
			z.emitComment(z.pos - 1)
			return false
		}
		z.pos = len(b)

	case sDoctype:
		if i := bytes.IndexByte(b[z.pos:], '>'); i >= 0 {
			z.pos += i + 1
			z.emitDoctype(z.pos - 1)
			return false
		}
		z.pos = len(b)

	case sCDATA:
		return z.stepCDATA()

	default:
		z.stepRaw()
	}
	return false
}

// stepText reads text in the current text type up to a '<' (or for
// PLAINTEXT, to the end).
func (z *tokenizer) stepText() {
	b := z.buf
	z.startText(z.pos)
	if z.tt == textPlain {
		z.pos = len(b)
		return
	}
	i := bytes.IndexByte(b[z.pos:], '<')
	if i < 0 {
		z.pos = len(b)
		return
	}
	z.pos += i
	z.tagStart = z.pos
	z.pos++
	if z.tt == textData {
		z.st = sTagOpen
	} else {
		z.escaped = false
		z.st = sRawLT
	}
}

// stepRaw runs the RCDATA/RAWTEXT/script sub-states.
func (z *tokenizer) stepRaw() {
	b := z.buf
	c := b[z.pos]
	switch z.st {
	case sRawLT: // '<' in RCDATA, RAWTEXT, script data or escaped script data
		switch {
		case c == '/':
			z.pos++
			z.nameLen = 0
			z.st = sRawEndTagOpen
		case c == '!' && z.tt == textScript && !z.escaped:
			z.pos++
			z.tagStart = -1
			z.st = sScriptEscapeStart
		case isAlpha(c) && z.escaped:
			z.tagStart = -1
			z.nameLen = 0
			z.st = sScriptDoubleEscapeStart
		default:
			z.backToRaw()
		}

	case sRawEndTagOpen:
		if isAlpha(c) {
			z.st = sRawEndTagName
			return
		}
		z.backToRaw()

	case sRawEndTagName:
		switch {
		case isAlpha(c):
			if z.nameLen < len(z.endName) && lower(c) == z.endName[z.nameLen] {
				z.nameLen++
				z.pos++
				return
			}
			z.backToRaw() // cannot be the appropriate end tag any more
		case (isSpace(c) || c == '/' || c == '>') && z.nameLen == len(z.endName):
			// The appropriate end tag: a real end tag from here on.
			z.isEnd = true
			z.nameStart = 2
			z.nameEnd = z.pos - z.tagStart
			z.attrs = z.attrs[:0]
			z.selfClosing = false
			z.st = sTagName
		default:
			z.backToRaw()
		}

	case sScriptEscapeStart: // "<!" in script data
		if c == '-' {
			z.pos++
			z.st = sScriptEscapeStartDash
			return
		}
		z.st = sText
	case sScriptEscapeStartDash:
		if c == '-' {
			z.pos++
			z.st = sScriptEscapedDashDash
			return
		}
		z.st = sText

	case sScriptEscaped:
		for z.pos < len(b) {
			switch b[z.pos] {
			case '-':
				z.pos++
				z.st = sScriptEscapedDash
				return
			case '<':
				z.escapedLT()
				return
			}
			z.pos++
		}
	case sScriptEscapedDash:
		switch c {
		case '-':
			z.pos++
			z.st = sScriptEscapedDashDash
		case '<':
			z.escapedLT()
		default:
			z.pos++
			z.st = sScriptEscaped
		}
	case sScriptEscapedDashDash:
		switch c {
		case '-':
			z.pos++
		case '<':
			z.escapedLT()
		case '>':
			z.pos++
			z.st = sText
		default:
			z.pos++
			z.st = sScriptEscaped
		}

	case sScriptDoubleEscapeStart, sScriptDoubleEscapeEnd:
		const script = "script"
		switch {
		case isAlpha(c):
			if z.nameLen < len(script) && lower(c) == script[z.nameLen] {
				z.nameLen++
			} else {
				z.nameLen = len(script) + 1 // no match any more
			}
			z.pos++
		case isSpace(c) || c == '/' || c == '>':
			z.pos++
			match := z.nameLen == len(script)
			switch {
			case z.st == sScriptDoubleEscapeStart && match:
				z.st = sScriptDoubleEscaped
			case z.st == sScriptDoubleEscapeStart:
				z.st = sScriptEscaped
			case match:
				z.st = sScriptEscaped
			default:
				z.st = sScriptDoubleEscaped
			}
		default:
			if z.st == sScriptDoubleEscapeStart {
				z.st = sScriptEscaped
			} else {
				z.st = sScriptDoubleEscaped
			}
		}

	case sScriptDoubleEscaped:
		for z.pos < len(b) {
			switch b[z.pos] {
			case '-':
				z.pos++
				z.st = sScriptDoubleEscapedDash
				return
			case '<':
				z.pos++
				z.st = sScriptDoubleEscapedLT
				return
			}
			z.pos++
		}
	case sScriptDoubleEscapedDash, sScriptDoubleEscapedDashDash:
		switch c {
		case '-':
			z.pos++
			z.st = sScriptDoubleEscapedDashDash
		case '<':
			z.pos++
			z.st = sScriptDoubleEscapedLT
		case '>':
			z.pos++
			if z.st == sScriptDoubleEscapedDashDash {
				z.st = sText
			} else {
				z.st = sScriptDoubleEscaped
			}
		default:
			z.pos++
			z.st = sScriptDoubleEscaped
		}
	case sScriptDoubleEscapedLT:
		if c == '/' {
			z.pos++
			z.nameLen = 0
			z.st = sScriptDoubleEscapeEnd
			return
		}
		z.st = sScriptDoubleEscaped
	}
	return
}

// escapedLT handles '<' in escaped script data: maybe an end tag.
func (z *tokenizer) escapedLT() {
	z.tagStart = z.pos
	z.pos++
	z.escaped = true
	z.st = sRawLT
}

// backToRaw gives up on an end tag in raw text: what was read is text, and
// the current byte is read again in the text state.
func (z *tokenizer) backToRaw() {
	z.tagStart = -1
	if z.escaped {
		z.st = sScriptEscaped
	} else {
		z.st = sText
	}
}

// stepMarkupDecl decides what follows "<!": a comment, a doctype, a CDATA
// section (in foreign content) or a bogus comment. It waits (true) for
// enough input to tell.
func (z *tokenizer) stepMarkupDecl() (wait bool) {
	rest := z.buf[z.pos:]
	try := func(pat string, fold bool) bool {
		n := min(len(rest), len(pat))
		for i := range n {
			c := rest[i]
			if fold {
				c = lower(c)
			}
			if c != pat[i] {
				return false
			}
		}
		if n < len(pat) {
			wait = true
			return false
		}
		return true
	}
	switch {
	case try("--", false):
		z.pos += 2
		z.beginComment(4)
		z.st = sCommentStart
		return false
	case try("doctype", true):
		z.pos += 7
		z.beginDoctype()
		return false
	case z.tree.cur() != nsHTML && try("[CDATA[", false):
		z.pos += 7
		z.endText(z.tagStart)
		z.push(token{kind: kindRaw, raw: z.buf[z.tagStart:z.pos]})
		z.tagStart = -1
		z.st = sCDATA
		return false
	}
	if wait && !z.eof {
		return true
	}
	z.beginComment(2)
	z.st = sBogusComment
	return false
}

// stepCDATA reads a CDATA section's text up to "]]>", waiting (true) when
// the input ends in "]" or "]]".
func (z *tokenizer) stepCDATA() (wait bool) {
	b := z.buf
	z.startText(z.pos)
	if i := bytes.Index(b[z.pos:], []byte("]]>")); i >= 0 {
		end := z.pos + i
		z.pos = end + 3
		z.endText(end)
		z.push(token{kind: kindRaw, raw: b[end:z.pos]})
		z.st = sText
		return false
	}
	keep := 0
	if !z.eof {
		if bytes.HasSuffix(b[z.pos:], []byte("]]")) {
			keep = 2
		} else if bytes.HasSuffix(b[z.pos:], []byte("]")) {
			keep = 1
		}
	}
	z.pos = len(b) - keep
	return keep > 0
}

// beginTag starts a tag whose name begins at z.pos.
func (z *tokenizer) beginTag(end bool) {
	z.isEnd = end
	z.nameStart = z.pos - z.tagStart
	z.attrs = z.attrs[:0]
	z.selfClosing = false
	z.streaming = false
}

func (z *tokenizer) beginAttr() {
	z.attrs = append(z.attrs, attr{nameStart: z.pos - z.tagStart})
}

func (z *tokenizer) endAttrName() {
	a := &z.attrs[len(z.attrs)-1]
	a.nameEnd = z.pos - z.tagStart
	a.valueStart, a.valueEnd, a.end = a.nameEnd, a.nameEnd, a.nameEnd
}

func (z *tokenizer) beginValue() {
	if len(z.attrs) == 0 { // "<a =x>": cannot happen, '=' starts a name
		return
	}
	z.attrs[len(z.attrs)-1].valueStart = z.pos - z.tagStart
}

// endValue ends the current attribute's value at z.pos; quote is 1 when a
// closing quote follows.
func (z *tokenizer) endValue(quote int) {
	if len(z.attrs) == 0 {
		return
	}
	a := &z.attrs[len(z.attrs)-1]
	a.valueEnd = z.pos - z.tagStart
	a.end = a.valueEnd + quote
}

// emitTag queues the text before the tag, its end, and the tag (read up to z.pos).
func (z *tokenizer) emitTag() {
	z.endText(z.tagStart)
	raw := z.buf[z.tagStart:z.pos]
	t := token{kind: kindStartTag, raw: raw, name: raw[z.nameStart:z.nameEnd], attrs: z.attrs, selfClosing: z.selfClosing}
	name := lowerName(t.name)
	if z.isEnd {
		t.kind = kindEndTag
		t.attrs = nil
		t.selfClosing = false
		z.tree.endTag(name)
		if z.tt != textData && name == z.endName {
			z.tt = textData
		}
	} else {
		var tt textType
		t.ns, tt = z.tree.startTag(name, &t)
		if tt != textData {
			z.tt = tt
			z.endName = name
		}
	}
	z.push(t)
	z.tagStart = -1
	z.st = sText
}

// lowerName returns name in ASCII lower case, without allocating for the
// names HTML uses most.
func lowerName(name []byte) string {
	for _, c := range name {
		if c >= 'A' && c <= 'Z' {
			return string(bytes.ToLower(name))
		}
	}
	return string(name)
}

// beginComment starts a comment whose text begins textOff bytes after its '<'.
func (z *tokenizer) beginComment(textOff int) {
	z.commentStart = textOff
	z.startStreaming(kindComment)
}

func (z *tokenizer) beginDoctype() {
	z.st = sDoctype
	z.startStreaming(kindDoctype)
}

// startStreaming ends the text before the comment or doctype that begins
// at tagStart and decides whether it is kept whole.
func (z *tokenizer) startStreaming(k kind) {
	z.endText(z.tagStart)
	z.streaming = z.capture != nil && !z.capture(k)
}

// emitComment queues the comment read up to z.pos, whose text ends at end.
func (z *tokenizer) emitComment(end int) {
	if z.streaming {
		z.push(token{kind: kindRaw, raw: z.buf[z.tagStart:z.pos]})
	} else {
		raw := z.buf[z.tagStart:z.pos]
		start := z.commentStart
		e := end - z.tagStart
		if e < start {
			e = start
		}
		z.push(token{kind: kindComment, raw: raw, text: raw[start:e]})
	}
	z.streaming = false
	z.tagStart = -1
	z.st = sText
}

// emitDoctype queues the doctype read up to z.pos, whose '>' (or the end
// of input) is at end.
func (z *tokenizer) emitDoctype(end int) {
	if z.streaming {
		z.push(token{kind: kindRaw, raw: z.buf[z.tagStart:z.pos]})
	} else {
		raw := z.buf[z.tagStart:z.pos]
		t := token{kind: kindDoctype, raw: raw}
		parseDoctype(&t, raw[len("<!doctype"):end-z.tagStart])
		z.push(t)
	}
	z.streaming = false
	z.tagStart = -1
	z.st = sText
}

// parseDoctype fills in the name and identifiers of a doctype from what
// follows "<!DOCTYPE", as the spec's DOCTYPE states read them.
func parseDoctype(t *token, b []byte) {
	i := 0
	skip := func() {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
	}
	skip()
	if i == len(b) {
		return
	}
	s := i
	for i < len(b) && !isSpace(b[i]) {
		i++
	}
	t.dtName, t.hasName = bytes.ToLower(b[s:i]), true
	skip()
	if len(b)-i < 6 {
		return
	}
	kw := bytes.ToLower(b[i : i+6])
	i += 6
	quoted := func() ([]byte, bool) {
		skip()
		if i == len(b) || (b[i] != '"' && b[i] != '\'') {
			return nil, false
		}
		q := b[i]
		i++
		s := i
		for i < len(b) && b[i] != q {
			i++
		}
		v := b[s:i]
		if i < len(b) {
			i++
		}
		return v, true
	}
	switch string(kw) {
	case "public":
		if t.dtPublic, t.hasPublic = quoted(); t.hasPublic {
			t.dtSystem, t.hasSystem = quoted()
		}
	case "system":
		t.dtSystem, t.hasSystem = quoted()
	}
}

// atEOF hands out what is left when the input has ended, as the spec's
// EOF rules say: an unfinished tag is dropped (its bytes pass through as
// kindRaw), an unfinished comment or doctype is emitted, and a '<' that
// began nothing is text.
func (z *tokenizer) atEOF() {
	z.pos = len(z.buf)
	switch z.st {
	case sTagName, sBeforeAttrName, sAttrName, sAfterAttrName, sBeforeAttrValue, sAttrValueDQ,
		sAttrValueSQ, sAttrValueUnquoted, sAfterAttrValueQuoted, sSelfClosingStartTag:
		z.endText(z.tagStart)
		z.push(token{kind: kindRaw, raw: z.buf[z.tagStart:]})
		z.tagStart = -1
	case sMarkupDecl: // "<!" and too little to be anything: a bogus comment
		z.beginComment(2)
		z.emitComment(len(z.buf))
	case sCommentStart, sComment, sBogusComment:
		z.emitComment(len(z.buf))
	case sCommentStartDash, sCommentEndDash:
		z.emitComment(len(z.buf) - 1)
	case sCommentEnd:
		z.emitComment(len(z.buf) - 2)
	case sCommentEndBang:
		z.emitComment(len(z.buf) - 3)
	case sDoctype:
		z.emitDoctype(len(z.buf))
	default: // text states: everything left is text
		if z.tagStart >= 0 {
			z.startText(z.tagStart)
		}
		z.tagStart = -1
		if z.textStart >= 0 {
			z.emitText(len(z.buf))
		}
		z.endText(len(z.buf))
	}
}

// validUTF8 returns b as a string, with U+FFFD for bytes that are not UTF-8.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}

// treeSim simulates the tree builder's feedback to the tokenizer, as
// lol-html does: which namespace the content is in (for CDATA and for an
// element's namespaceURI) and which text state a start tag switches to.
type treeSim struct {
	ns []namespace // ns[0] is HTML
}

func (t *treeSim) cur() namespace { return t.ns[len(t.ns)-1] }

func (t *treeSim) push(n namespace) {
	if len(t.ns) < maxNamespaceDepth {
		t.ns = append(t.ns, n)
	}
}

func (t *treeSim) pop() {
	if len(t.ns) > 1 {
		t.ns = t.ns[:len(t.ns)-1]
	}
}

// maxNamespaceDepth bounds the namespace stack (svg in svg in svg…).
const maxNamespaceDepth = 1 << 12

// startTag returns a start tag's namespace and the text state that
// follows it.
func (t *treeSim) startTag(name string, tok *token) (namespace, textType) {
	cur := t.cur()
	switch {
	case name == "svg":
		if !tok.selfClosing {
			t.push(nsSVG)
		}
		return nsSVG, textData
	case name == "math":
		if !tok.selfClosing {
			t.push(nsMathML)
		}
		return nsMathML, textData
	case cur != nsHTML:
		if breaksOut(name) || name == "font" && tok.hasAnyAttr("color", "face", "size") {
			t.pop()
			return t.cur(), textData
		}
		if !tok.selfClosing && t.integrationPoint(cur, name, tok) {
			t.push(nsHTML)
		}
		return cur, textData
	}
	switch name {
	case "textarea", "title":
		return nsHTML, textRCData
	case "plaintext":
		return nsHTML, textPlain
	case "script":
		return nsHTML, textScript
	case "style", "iframe", "xmp", "noembed", "noframes", "noscript":
		return nsHTML, textRawText
	}
	return nsHTML, textData
}

// endTag leaves a namespace when the end tag closes its root or an
// integration point.
func (t *treeSim) endTag(name string) {
	cur := t.cur()
	if cur == nsHTML {
		if len(t.ns) < 2 {
			return
		}
		switch prev := t.ns[len(t.ns)-2]; {
		case prev == nsMathML && (isMathMLTextPoint(name) || name == "annotation-xml"),
			prev == nsSVG && isSVGHTMLPoint(name):
			t.pop()
		}
		return
	}
	if cur == nsSVG && name == "svg" || cur == nsMathML && name == "math" || name == "p" || name == "br" {
		t.pop()
	}
}

func (t *treeSim) integrationPoint(cur namespace, name string, tok *token) bool {
	switch cur {
	case nsSVG:
		return isSVGHTMLPoint(name)
	case nsMathML:
		if isMathMLTextPoint(name) {
			return true
		}
		if name == "annotation-xml" {
			for i := range tok.attrs {
				if bytes.EqualFold(tok.attrName(i), []byte("encoding")) {
					v := tok.attrValue(i)
					return bytes.EqualFold(v, []byte("text/html")) || bytes.EqualFold(v, []byte("application/xhtml+xml"))
				}
			}
		}
	}
	return false
}

func isSVGHTMLPoint(name string) bool {
	return name == "foreignobject" || name == "desc" || name == "title"
}

func isMathMLTextPoint(name string) bool {
	switch name {
	case "mi", "mo", "mn", "ms", "mtext":
		return true
	}
	return false
}

// breaksOut reports whether a start tag in foreign content ends it.
func breaksOut(name string) bool {
	switch name {
	case "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em", "embed",
		"h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li", "listing", "menu", "meta", "nobr",
		"ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike", "sub", "sup", "table", "tt", "u", "ul", "var":
		return true
	}
	return false
}

// hasAnyAttr reports whether the tag has one of the attributes (any case).
func (t *token) hasAnyAttr(names ...string) bool {
	for i := range t.attrs {
		for _, n := range names {
			if bytes.EqualFold(t.attrName(i), []byte(n)) {
				return true
			}
		}
	}
	return false
}
