package htmlrewriter

import (
	"context"
	"fmt"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/abi/stream"
	"github.com/bindery-run/bindery/host/htmlrewriter/htmlwit"
)

// registration is one on() or onDocument() call.
type registration struct {
	selector bool
	sels     []complexSel
	// The handlers it has: for a selector, element, comments and text; for
	// the document, doctype, comments, text and end.
	element, comments, text, doctype, end bool
}

// runState is where a Rewriter is in its dialogue with the guest.
type runState uint8

const (
	stOpen    runState = iota // takes write and end
	stWaiting                 // an event waits for resume
	stEnded                   // end was called; events may follow
	stDone                    // the document is complete
	stFailed                  // an error ended it
)

// Rewriter rewrites one document. The guest feeds it with Write and End
// (or gives it a host stream to read with ReadFrom, and calls Next); each
// returns the output so far and, when a handler must see a token, an
// event, which Resume answers with the handlers' mutations. The source
// bytes of everything no mutation touched are written out unchanged, to
// the steps or to the stream given to WriteTo.
//
// A Rewriter is not safe for concurrent use. The Output of a step is valid
// until the next call.
type Rewriter struct {
	regs  []registration
	order []uint32 // dispatch order: selector registrations, then document ones
	prog  *program // nil without selectors
	lim   Limits
	z     *tokenizer

	stack   []frame
	root    frame
	active  []int // per registration: open elements its selector matched
	removed int   // open elements whose content a handler removed
	nextID  uint32
	matched bitset // scratch: the registrations a start tag matched
	scratch [2]bitset

	out   []byte
	state runState
	pend  pending
	err   error // why stFailed

	src     stream.InputStream  // ReadFrom's source, read by next
	dst     stream.OutputStream // WriteTo's destination of the output
	read    bool                // write or end was called: too late for ReadFrom
	endSent bool                // the document-end event went out
}

// readChunk is how much next reads from a ReadFrom source at a time.
const readChunk = 64 << 10

// frame is an open element.
type frame struct {
	name           string
	hered, child   bitset
	children       int
	typed          map[string]int
	matched        bitset // registrations whose selector matched it
	hasMatch       bool
	removesContent bool
	end            *endState
}

// pendKind is the kind of token an event waits on.
type pendKind uint8

const (
	pendNone pendKind = iota
	pendStart
	pendEnd
	pendText
	pendTextEnd
	pendComment
	pendDoctype
	pendDocEnd
)

// pending is the token an event waits on.
type pending struct {
	kind pendKind
	tok  token
	emit bool // the token is written out (not inside removed content)
	el   *elemState
	fr   *frame // pendStart: the element's frame, if it has one
	end  *endState
	mut  mutations
	// pendComment: the text set by set-text.
	text    string
	newText bool
}

// New returns a Rewriter for the registrations, in the order the guest
// made them. A selector it cannot use is a *SelectorError.
func New(handlers []htmlwit.Handlers, lim Limits) (*Rewriter, error) {
	r := &Rewriter{lim: lim.withDefaults()}
	var sels [][]complexSel
	for i, h := range handlers {
		var reg registration
		switch h.Tag {
		case htmlwit.HandlersSelector:
			s := h.Selector
			list, err := parseSelector(s.Selector)
			if err != nil {
				return nil, err
			}
			reg = registration{selector: true, sels: list, element: s.Element, comments: s.Comments, text: s.Text}
			sels = append(sels, list)
		case htmlwit.HandlersDocument:
			d := h.Document
			reg = registration{doctype: d.Doctype, comments: d.Comments, text: d.Text, end: d.End}
			sels = append(sels, nil)
		default:
			return nil, fmt.Errorf("%w: registration %d has unknown case %d", ErrInvalidState, i, h.Tag)
		}
		r.regs = append(r.regs, reg)
	}
	for pass := range 2 {
		for i, reg := range r.regs {
			if reg.selector == (pass == 0) {
				r.order = append(r.order, uint32(i))
			}
		}
	}
	r.active = make([]int, len(r.regs))
	r.matched = newBitset(len(r.regs))
	for _, list := range sels {
		if list != nil {
			r.prog = compile(sels)
			words := r.prog.words
			r.root.hered, r.root.child = make(bitset, words), make(bitset, words)
			r.scratch = [2]bitset{make(bitset, words), make(bitset, words)}
			break
		}
	}
	r.z = newTokenizer(r.lim.MaxTokenBytes, r.capture)
	return r, nil
}

// CheckSelector reports whether New would take the selector.
func CheckSelector(s string) error {
	_, err := parseSelector(s)
	return err
}

// capture tells the tokenizer whether a comment or doctype starting now
// must be kept whole for a handler.
func (r *Rewriter) capture(k kind) bool {
	for i := range r.regs {
		reg := &r.regs[i]
		switch {
		case k == kindDoctype && !reg.selector && reg.doctype:
			return true
		case k == kindComment && reg.comments && (!reg.selector || r.active[i] > 0):
			return true
		}
	}
	return false
}

// Step is one step of the dialogue: the output so far and the event that
// stopped the rewriter, if any.
type Step = htmlwit.Step

// write feeds chunk and runs to the first event.
func (r *Rewriter) write(ctx context.Context, chunk []byte) (Step, error) {
	if r.state != stOpen || r.src != nil {
		return r.refuse("write")
	}
	r.read = true
	r.z.feed(chunk)
	return r.run(ctx)
}

// finish ends the input and runs to the first event.
func (r *Rewriter) finish(ctx context.Context) (Step, error) {
	if r.state != stOpen || r.src != nil {
		return r.refuse("end")
	}
	r.read = true
	r.state = stEnded
	r.z.finish()
	return r.run(ctx)
}

// next reads the ReadFrom source until an event, until there is output
// for the guest, or until the document is complete.
func (r *Rewriter) next(ctx context.Context) (Step, error) {
	if r.state != stOpen || r.src == nil {
		return r.refuse("next")
	}
	for {
		if err := ctx.Err(); err != nil { // a long run without events is one host call
			return r.fail(fmt.Errorf("%w: %w", ErrSource, err))
		}
		p, e := r.src.Read(ctx, readChunk)
		switch {
		case e != nil && e.Tag == stream.StreamErrorClosed:
			r.state = stEnded
			r.z.finish()
		case e != nil:
			return r.fail(fmt.Errorf("%w: %s", ErrSource, e.Failed))
		default:
			r.z.feed(p)
		}
		s, err := r.run(ctx)
		if err != nil || s.Event.Some || s.Done || len(s.Output) > 0 || r.state != stOpen {
			return s, err
		}
	}
}

// resume applies the pending event's mutations and runs to the next event.
func (r *Rewriter) resume(ctx context.Context, muts []htmlwit.Mutation) (Step, error) {
	if r.state != stWaiting {
		return r.refuse("resume")
	}
	if err := r.apply(muts); err != nil {
		return r.fail(err)
	}
	r.complete()
	if r.z.eof {
		r.state = stEnded
	} else {
		r.state = stOpen
	}
	return r.run(ctx)
}

// readFrom makes src the document.
func (r *Rewriter) readFrom(src stream.InputStream) error {
	if r.state != stOpen || r.src != nil || r.read {
		drop(context.Background(), src)
		_, err := r.refuse("read-from")
		return err
	}
	r.src = src
	return nil
}

// writeTo sends the output to dst from now on.
func (r *Rewriter) writeTo(dst stream.OutputStream) error {
	if r.state == stDone || r.state == stFailed || r.dst != nil {
		drop(context.Background(), dst)
		_, err := r.refuse("write-to")
		return err
	}
	r.dst = dst
	return nil
}

// drop tells a stream the rewriter is done with it: an output stream ends.
func drop(ctx context.Context, s any) {
	if d, ok := s.(abi.Dropper); ok {
		d.Drop(ctx)
	}
}

// Drop ends the WriteTo stream and lets go of the ReadFrom source: the
// guest dropped the rewriter (or its request ended).
func (r *Rewriter) Drop(ctx context.Context) { r.dropStreams(ctx) }

func (r *Rewriter) dropStreams(ctx context.Context) {
	if r.dst != nil {
		drop(ctx, r.dst)
		r.dst = nil
	}
	if r.src != nil {
		drop(ctx, r.src)
		r.src = nil
	}
}

func (r *Rewriter) refuse(call string) (Step, error) {
	var why string
	switch {
	case r.state == stFailed:
		return Step{}, fmt.Errorf("%w: %s after an error: %w", ErrInvalidState, call, r.err)
	case r.state == stDone:
		why = "the document is complete"
	case call == "write-to":
		why = "there is an output stream already"
	case r.state == stWaiting:
		why = "an event waits for resume"
	case call == "resume":
		why = "no event waits"
	case r.state == stEnded:
		why = "the document has ended"
	case call == "next":
		why = "there is no read-from source"
	case call == "read-from" && r.src != nil:
		why = "there is a source already"
	case call == "read-from":
		why = "write or end was called"
	default:
		why = "the document comes from read-from"
	}
	return r.fail(fmt.Errorf("%w: %s: %s", ErrInvalidState, call, why))
}

func (r *Rewriter) fail(err error) (Step, error) {
	if r.state != stFailed {
		r.state = stFailed
		r.err = err
	}
	r.pend = pending{}
	r.stack, r.out = nil, nil
	return Step{}, err
}

// run processes tokens until one needs an event or the input runs out.
func (r *Rewriter) run(ctx context.Context) (Step, error) {
	for {
		tok, ok, err := r.z.next()
		if err != nil {
			return r.fail(err)
		}
		var ev *htmlwit.Event
		if !ok {
			if r.state != stEnded {
				return r.output(ctx, nil)
			}
			ev = r.documentEnd()
			if ev == nil {
				r.state = stDone
				return r.output(ctx, nil)
			}
		} else if ev, err = r.process(tok); err != nil {
			return r.fail(err)
		}
		if ev != nil {
			r.state = stWaiting
			return r.output(ctx, ev)
		}
	}
}

// output returns a step with the output so far, or writes it to the
// WriteTo stream; when the document is complete it ends the streams.
func (r *Rewriter) output(ctx context.Context, ev *htmlwit.Event) (Step, error) {
	s := Step{Done: r.state == stDone}
	if r.dst == nil {
		s.Output = r.out
	} else if len(r.out) > 0 {
		if e := r.dst.Write(ctx, r.out); e != nil {
			r.out = r.out[:0]
			if e.Tag == stream.StreamErrorClosed {
				return r.fail(ErrClosed)
			}
			return r.fail(fmt.Errorf("%w: %s", ErrClosed, e.Failed))
		}
	}
	r.out = r.out[:0]
	if ev != nil {
		s.Event = abi.Some(*ev)
	}
	if s.Done {
		r.dropStreams(ctx)
	}
	return s, nil
}

// emitting reports whether output is written: not inside content a handler removed.
func (r *Rewriter) emitting() bool { return r.removed == 0 }

func (r *Rewriter) raw(b []byte) {
	if r.emitting() {
		r.out = append(r.out, b...)
	}
}

// process handles one token, returning the event its handlers must see.
func (r *Rewriter) process(tok token) (*htmlwit.Event, error) {
	switch tok.kind {
	case kindStartTag:
		return r.startTag(tok)
	case kindEndTag:
		return r.endTag(tok), nil
	case kindText, kindTextEnd:
		hs := r.handlersFor(func(reg *registration) bool { return reg.text })
		if hs == nil {
			r.raw(tok.raw)
			return nil, nil
		}
		kind, text := pendText, validUTF8(tok.raw)
		if tok.kind == kindTextEnd {
			kind, text = pendTextEnd, ""
		}
		r.pend = pending{kind: kind, tok: tok, emit: r.emitting()}
		return &htmlwit.Event{Tag: htmlwit.EventText, Text: htmlwit.TextChunk{Handlers: hs, Text: text, LastInTextNode: kind == pendTextEnd}}, nil
	case kindComment:
		hs := r.handlersFor(func(reg *registration) bool { return reg.comments })
		if hs == nil {
			r.raw(tok.raw)
			return nil, nil
		}
		r.pend = pending{kind: pendComment, tok: tok, emit: r.emitting()}
		return &htmlwit.Event{Tag: htmlwit.EventComment, Comment: htmlwit.Comment{Handlers: hs, Text: validUTF8(tok.text)}}, nil
	case kindDoctype:
		hs := r.handlersFor(func(reg *registration) bool { return !reg.selector && reg.doctype })
		if hs == nil {
			r.raw(tok.raw)
			return nil, nil
		}
		r.pend = pending{kind: pendDoctype, tok: tok, emit: r.emitting()}
		d := htmlwit.Doctype{Handlers: hs}
		if tok.hasName {
			d.Name = abi.Some(validUTF8(tok.dtName))
		}
		if tok.hasPublic {
			d.PublicID = abi.Some(validUTF8(tok.dtPublic))
		}
		if tok.hasSystem {
			d.SystemID = abi.Some(validUTF8(tok.dtSystem))
		}
		return &htmlwit.Event{Tag: htmlwit.EventDoctype, Doctype: d}, nil
	default: // kindRaw
		r.raw(tok.raw)
		return nil, nil
	}
}

// handlersFor lists, in dispatch order, the registrations with a handler
// that want content of this kind now: document handlers always, selector
// handlers inside an element their selector matched.
func (r *Rewriter) handlersFor(has func(*registration) bool) []uint32 {
	var hs []uint32
	for _, i := range r.order {
		reg := &r.regs[i]
		if has(reg) && (!reg.selector || r.active[i] > 0) {
			hs = append(hs, i)
		}
	}
	return hs
}

// witNamespace maps a namespace to its WIT enum case.
var witNamespace = [...]htmlwit.Namespace{nsHTML: htmlwit.NamespaceHtml, nsSVG: htmlwit.NamespaceSvg, nsMathML: htmlwit.NamespaceMathml}

// isVoid reports whether an HTML element has no content and no end tag.
func isVoid(name string) bool {
	switch name {
	case "area", "base", "basefont", "bgsound", "br", "col", "embed", "hr", "img", "input", "keygen",
		"link", "meta", "param", "source", "track", "wbr":
		return true
	}
	return false
}

// startTag matches a start tag against the selectors, opens its element
// and returns the element event if a handler wants it.
func (r *Rewriter) startTag(tok token) (*htmlwit.Event, error) {
	if r.prog == nil {
		r.raw(tok.raw)
		return nil, nil
	}
	name := lowerName(tok.name)
	canHave := !(tok.ns == nsHTML && isVoid(name) || tok.ns != nsHTML && tok.selfClosing)
	parent := &r.root
	if n := len(r.stack); n > 0 {
		parent = &r.stack[n-1]
	}
	parent.children++
	info := elemInfo{name: name, tok: &tok, index: parent.children}
	if r.prog.usesTyped {
		if parent.typed == nil {
			parent.typed = map[string]int{}
		}
		parent.typed[name]++
		info.typeIndex = parent.typed[name]
	}
	hered, child := parent.hered, parent.child
	var f *frame
	outH, outC := r.scratch[0], r.scratch[1]
	if canHave {
		if len(r.stack) >= r.lim.MaxDepth {
			return nil, fmt.Errorf("%w: elements nest deeper than %d", ErrTooLarge, r.lim.MaxDepth)
		}
		f = r.push(name)
		outH, outC = f.hered, f.child
	}
	r.matched.clear()
	r.prog.step(&info, hered, child, outH, outC, r.matched)

	emit := r.emitting()
	var hs []uint32
	for _, i := range r.order {
		if r.matched.has(int(i)) {
			if f != nil {
				f.hasMatch = true
				if r.regs[i].comments || r.regs[i].text {
					r.active[i]++
				}
			}
			if r.regs[i].element {
				hs = append(hs, i)
			}
		}
	}
	if f != nil && f.hasMatch {
		copy(f.matched, r.matched)
	}
	if hs == nil {
		r.raw(tok.raw)
		return nil, nil
	}
	r.nextID++
	el := &elemState{tok: tok, id: r.nextID, name: tok.name, canHave: canHave, selfClosing: tok.selfClosing}
	if !emit { // inside removed content, as lol-html marks it
		el.start.removed = true
	}
	r.pend = pending{kind: pendStart, tok: tok, emit: emit, el: el, fr: f}
	attrs := make([]abi.Tuple2[string, string], len(tok.attrs))
	for i := range tok.attrs {
		attrs[i] = abi.Tuple2[string, string]{F0: lowerName(tok.attrName(i)), F1: validUTF8(tok.attrValue(i))}
	}
	ev := htmlwit.Element{
		Handlers: hs, ID: r.nextID, TagName: name, Attributes: attrs, Namespace: witNamespace[tok.ns],
		Removed: !emit, SelfClosing: tok.selfClosing, CanHaveContent: canHave,
	}
	return &htmlwit.Event{Tag: htmlwit.EventElement, Element: ev}, nil
}

// push opens an element, reusing the memory of a frame popped before.
func (r *Rewriter) push(name string) *frame {
	n := len(r.stack)
	if n < cap(r.stack) {
		r.stack = r.stack[:n+1]
	} else {
		r.stack = append(r.stack, frame{})
	}
	f := &r.stack[n]
	h, c, m, typed := f.hered, f.child, f.matched, f.typed
	if len(h) != r.prog.words {
		h, c = make(bitset, r.prog.words), make(bitset, r.prog.words)
	}
	if len(m) != len(r.matched) {
		m = make(bitset, len(r.matched))
	}
	m.clear()
	clear(typed)
	*f = frame{name: name, hered: h, child: c, matched: m, typed: typed}
	return f
}

// pop closes the innermost element: its content handlers stop, and
// content after it is written again if it was the one removing it.
func (r *Rewriter) pop() frame {
	n := len(r.stack) - 1
	f := r.stack[n]
	r.stack = r.stack[:n]
	if f.hasMatch {
		for i := range r.regs {
			if f.matched.has(i) && (r.regs[i].comments || r.regs[i].text) {
				r.active[i]--
			}
		}
	}
	if f.removesContent {
		r.removed--
	}
	return f
}

// closeImplied closes the innermost element, which has no end tag of its
// own (an ancestor's end tag or the end of the document closes it): what
// handlers appended to it and put after it is written now; its end-tag
// handler does not run.
func (r *Rewriter) closeImplied() {
	end := r.stack[len(r.stack)-1].end
	if end != nil && r.emitting() {
		r.writeChunks(end.mut.before)
	}
	r.pop()
	if end != nil && r.emitting() {
		r.writeChunks(end.mut.after)
	}
}

// endTag closes the element the end tag names (and the ones it implies
// closed), returning the end-tag event if a handler registered one.
func (r *Rewriter) endTag(tok token) *htmlwit.Event {
	if r.prog == nil {
		r.raw(tok.raw)
		return nil
	}
	name := lowerName(tok.name)
	i := len(r.stack) - 1
	for i >= 0 && r.stack[i].name != name {
		i--
	}
	if i < 0 { // a stray end tag
		r.raw(tok.raw)
		return nil
	}
	for len(r.stack)-1 > i {
		r.closeImplied()
	}
	f := r.pop()
	emit := r.emitting()
	if f.end == nil {
		r.raw(tok.raw)
		return nil
	}
	r.pend = pending{kind: pendEnd, tok: tok, emit: emit, end: f.end, mut: f.end.mut}
	if !f.end.handler {
		r.complete()
		return nil
	}
	n := name
	if f.end.renamed {
		n = f.end.name
	}
	return &htmlwit.Event{Tag: htmlwit.EventEndTag, EndTag: htmlwit.EndTag{Element: f.end.id, Name: n}}
}

// documentEnd closes the elements still open and returns the
// document-end event if a handler wants it.
func (r *Rewriter) documentEnd() *htmlwit.Event {
	for len(r.stack) > 0 {
		r.closeImplied()
	}
	hs := r.handlersFor(func(reg *registration) bool { return !reg.selector && reg.end })
	if hs == nil || r.endSent {
		return nil
	}
	r.endSent = true
	r.pend = pending{kind: pendDocEnd, emit: true}
	return &htmlwit.Event{Tag: htmlwit.EventDocumentEnd, DocumentEnd: hs}
}

// complete writes out the pending token with its mutations.
func (r *Rewriter) complete() {
	p := &r.pend
	switch p.kind {
	case pendStart:
		el := p.el
		if f := p.fr; f != nil {
			if el.removeContent {
				f.removesContent = true
				r.removed++
			}
			f.end = el.end
		}
		if p.emit {
			r.writeMutated(&el.start, func() { el.serialize(r) })
		}
	case pendEnd:
		if p.emit {
			tok, end := p.tok, p.end
			r.writeMutated(&p.mut, func() {
				if end.renamed {
					r.out = append(r.out, "</"...)
					r.out = append(r.out, end.name...)
					r.out = append(r.out, '>')
				} else {
					r.out = append(r.out, tok.raw...)
				}
			})
		}
	case pendText, pendTextEnd, pendDoctype:
		if p.emit {
			tok := p.tok
			r.writeMutated(&p.mut, func() { r.out = append(r.out, tok.raw...) })
		}
	case pendComment:
		if p.emit {
			tok, text, set := p.tok, p.text, p.newText
			r.writeMutated(&p.mut, func() {
				if set {
					r.out = append(r.out, "<!--"...)
					r.out = append(r.out, text...)
					r.out = append(r.out, "-->"...)
				} else {
					r.out = append(r.out, tok.raw...)
				}
			})
		}
	case pendDocEnd:
		r.writeChunks(p.mut.after)
	}
	r.pend = pending{}
}

// writeMutated writes what handlers put before a token, the token (or
// its replacement), and what they put after it.
func (r *Rewriter) writeMutated(m *mutations, token func()) {
	r.writeChunks(m.before)
	if m.removed {
		r.writeChunks(m.replacement)
	} else {
		token()
	}
	r.writeChunks(m.after)
}

func (r *Rewriter) writeChunks(cs []chunk) {
	for _, c := range cs {
		if c.html {
			r.out = append(r.out, c.s...)
		} else {
			r.out = appendEscaped(r.out, c.s)
		}
	}
}

// appendEscaped appends text with &, < and > escaped, as lol-html escapes
// inserted text.
func appendEscaped(out []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			out = append(out, "&amp;"...)
		case '<':
			out = append(out, "&lt;"...)
		case '>':
			out = append(out, "&gt;"...)
		default:
			out = append(out, c)
		}
	}
	return out
}
