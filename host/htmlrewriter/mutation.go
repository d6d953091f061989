package htmlrewriter

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/bindery-run/bindery/host/htmlrewriter/htmlwit"
)

// The mutations follow lol-html's model: every token has content before
// it, content after it, and may be removed (and replaced). An element
// spreads over its start tag and its end tag: before and prepend belong
// to the start tag, append and after to the end tag (to the start tag for
// elements without one), and removing its content stops the output until
// its end. Repeated calls add up as in lol-html: before and append add
// after what is there, after and prepend in front of it.

// chunk is inserted content.
type chunk struct {
	s    string
	html bool // written as it is; else escaped as text
}

// mutations is what handlers did around one token.
type mutations struct {
	before, replacement, after []chunk
	removed                    bool
}

func (m *mutations) addBefore(c chunk) { m.before = append(m.before, c) }

func (m *mutations) addAfter(c chunk) { m.after = append([]chunk{c}, m.after...) }

func (m *mutations) replace(c chunk) {
	m.removed = true
	m.replacement = append(m.replacement[:0], c)
}

// endState is what an element's handlers left for its end tag.
type endState struct {
	id      uint32 // the element event's id
	mut     mutations
	name    string
	renamed bool
	handler bool // the guest wants the end-tag event
}

// outAttr is an attribute of a start tag being rewritten; raw is its
// source when unchanged.
type outAttr struct {
	name, value string
	raw         []byte
}

// elemState is a start tag while its handlers run.
type elemState struct {
	tok           token
	id            uint32
	name          []byte
	renamed       bool
	attrs         []outAttr
	attrsChanged  bool
	selfClosing   bool
	canHave       bool
	start         mutations
	end           *endState
	removeContent bool
}

func (el *elemState) endState() *endState {
	if el.end == nil {
		el.end = &endState{id: el.id}
	}
	return el.end
}

// removeContentNow drops what was prepended and appended and removes what
// is inside the element.
func (el *elemState) removeContentNow() {
	el.start.after = nil
	if el.end != nil {
		el.end.mut.before = nil
	}
	el.removeContent = true
}

// materialize copies the attributes out of the token before the first change.
func (el *elemState) materialize() {
	if el.attrsChanged {
		return
	}
	el.attrsChanged = true
	el.attrs = make([]outAttr, len(el.tok.attrs))
	for i := range el.tok.attrs {
		el.attrs[i] = outAttr{name: string(el.tok.attrName(i)), value: string(el.tok.attrValue(i)), raw: el.tok.attrRaw(i)}
	}
}

func content(c htmlwit.Content) chunk { return chunk{s: c.Text, html: c.Html} }

func (el *elemState) apply(m htmlwit.Mutation) error {
	switch m.Tag {
	case htmlwit.MutationBefore:
		el.start.addBefore(content(m.Before))
	case htmlwit.MutationAfter:
		if el.canHave {
			el.endState().mut.addAfter(content(m.After))
		} else {
			el.start.addAfter(content(m.After))
		}
	case htmlwit.MutationPrepend:
		if el.canHave {
			el.selfClosing = false
			el.start.addAfter(content(m.Prepend))
		}
	case htmlwit.MutationAppend:
		if el.canHave {
			el.selfClosing = false
			el.endState().mut.addBefore(content(m.Append))
		}
	case htmlwit.MutationSetInnerContent:
		if el.canHave {
			el.selfClosing = false
			el.removeContentNow()
			el.start.addAfter(content(m.SetInnerContent))
		}
	case htmlwit.MutationReplace:
		el.start.replace(content(m.Replace))
		if el.canHave {
			el.removeContentNow()
			el.endState().mut.removed = true
		}
	case htmlwit.MutationRemove:
		el.start.removed = true
		if el.canHave {
			el.removeContentNow()
			el.endState().mut.removed = true
		}
	case htmlwit.MutationRemoveAndKeepContent:
		el.start.removed = true
		if el.canHave {
			el.endState().mut.removed = true
		}
	case htmlwit.MutationSetName:
		if err := checkTagName(m.SetName); err != nil {
			return err
		}
		if el.canHave {
			e := el.endState()
			e.name, e.renamed = m.SetName, true
		}
		el.name, el.renamed = []byte(m.SetName), true
	case htmlwit.MutationSetAttribute:
		name := strings.ToLower(m.SetAttribute.F0)
		if err := checkAttrName(name); err != nil {
			return err
		}
		el.materialize()
		for i := range el.attrs {
			if strings.EqualFold(el.attrs[i].name, name) {
				el.attrs[i].value, el.attrs[i].raw = m.SetAttribute.F1, nil
				return nil
			}
		}
		el.attrs = append(el.attrs, outAttr{name: name, value: m.SetAttribute.F1})
	case htmlwit.MutationRemoveAttribute:
		name := m.RemoveAttribute
		found := false
		for i := range el.tok.attrs {
			if bytes.EqualFold(el.tok.attrName(i), []byte(name)) {
				found = true
			}
		}
		if !found && !el.attrsChanged {
			return nil
		}
		el.materialize()
		kept := el.attrs[:0]
		for _, a := range el.attrs {
			if !strings.EqualFold(a.name, name) {
				kept = append(kept, a)
			}
		}
		el.attrs = kept
	case htmlwit.MutationOnEndTag:
		if !el.canHave {
			return fmt.Errorf("%w: on-end-tag: %s can have no end tag", ErrInvalidMutation, lowerName(el.tok.name))
		}
		el.endState().handler = true
	default:
		return notFor(m.Tag, "an element")
	}
	return nil
}

// serialize writes the start tag: its source when nothing changed, else
// rebuilt from its (maybe new) name and attributes, as lol-html does.
func (el *elemState) serialize(r *Rewriter) {
	if !el.renamed && !el.attrsChanged {
		r.out = append(r.out, el.tok.raw...)
		return
	}
	r.out = append(r.out, '<')
	r.out = append(r.out, el.name...)
	n := 0
	if el.attrsChanged {
		for _, a := range el.attrs {
			r.out = append(r.out, ' ')
			if a.raw != nil {
				r.out = append(r.out, a.raw...)
			} else {
				r.out = append(r.out, a.name...)
				r.out = append(r.out, '=', '"')
				r.out = append(r.out, strings.ReplaceAll(a.value, `"`, "&quot;")...)
				r.out = append(r.out, '"')
			}
		}
		n = len(el.attrs)
	} else {
		for i := range el.tok.attrs {
			r.out = append(r.out, ' ')
			r.out = append(r.out, el.tok.attrRaw(i)...)
		}
		n = len(el.tok.attrs)
	}
	if el.selfClosing {
		if n > 0 {
			r.out = append(r.out, ' ')
		}
		r.out = append(r.out, '/')
	}
	r.out = append(r.out, '>')
}

// apply applies the pending event's mutations, in order.
func (r *Rewriter) apply(muts []htmlwit.Mutation) error {
	p := &r.pend
	for i, m := range muts {
		var err error
		switch p.kind {
		case pendStart:
			err = p.el.apply(m)
		case pendEnd:
			err = applyEnd(p, m)
		case pendText, pendTextEnd:
			err = applyToken(&p.mut, m, "a text chunk")
		case pendComment:
			if m.Tag == htmlwit.MutationSetText {
				if strings.Contains(m.SetText, "-->") {
					return fmt.Errorf("%w: mutation %d: comment text %q has the comment end \"-->\"", ErrInvalidMutation, i, m.SetText)
				}
				p.text, p.newText = m.SetText, true
				continue
			}
			err = applyToken(&p.mut, m, "a comment")
		case pendDocEnd:
			if m.Tag != htmlwit.MutationAppend {
				err = notFor(m.Tag, "the document end")
				break
			}
			p.mut.after = append(p.mut.after, content(m.Append))
		default:
			err = notFor(m.Tag, "a doctype")
		}
		if err != nil {
			return fmt.Errorf("mutation %d: %w", i, err)
		}
	}
	return nil
}

// applyToken applies a mutation every token takes: before, after,
// replace, remove.
func applyToken(mut *mutations, m htmlwit.Mutation, what string) error {
	switch m.Tag {
	case htmlwit.MutationBefore:
		mut.addBefore(content(m.Before))
	case htmlwit.MutationAfter:
		mut.addAfter(content(m.After))
	case htmlwit.MutationReplace:
		mut.replace(content(m.Replace))
	case htmlwit.MutationRemove:
		mut.removed = true
	default:
		return notFor(m.Tag, what)
	}
	return nil
}

func applyEnd(p *pending, m htmlwit.Mutation) error {
	switch m.Tag {
	case htmlwit.MutationSetName:
		if err := checkTagName(m.SetName); err != nil {
			return err
		}
		p.end.name, p.end.renamed = m.SetName, true
		return nil
	case htmlwit.MutationReplace:
		return notFor(m.Tag, "an end tag")
	}
	return applyToken(&p.mut, m, "an end tag")
}

var mutationNames = [...]string{
	htmlwit.MutationBefore: "before", htmlwit.MutationAfter: "after", htmlwit.MutationPrepend: "prepend",
	htmlwit.MutationAppend: "append", htmlwit.MutationReplace: "replace", htmlwit.MutationSetInnerContent: "set-inner-content",
	htmlwit.MutationRemove: "remove", htmlwit.MutationRemoveAndKeepContent: "remove-and-keep-content",
	htmlwit.MutationSetName: "set-name", htmlwit.MutationSetAttribute: "set-attribute",
	htmlwit.MutationRemoveAttribute: "remove-attribute", htmlwit.MutationSetText: "set-text", htmlwit.MutationOnEndTag: "on-end-tag",
}

func notFor(t htmlwit.MutationTag, what string) error {
	name := fmt.Sprintf("case %d", t)
	if int(t) < len(mutationNames) {
		name = mutationNames[t]
	}
	return fmt.Errorf("%w: %s does not apply to %s", ErrInvalidMutation, name, what)
}

// checkTagName refuses what lol-html refuses as a tag name.
func checkTagName(n string) error {
	switch {
	case n == "":
		return fmt.Errorf("%w: the tag name is empty", ErrInvalidMutation)
	case !isAlpha(n[0]):
		return fmt.Errorf("%w: tag name %q does not start with an ASCII letter", ErrInvalidMutation, n)
	}
	if i := strings.IndexAny(n, " \t\n\r\f/>"); i >= 0 {
		return fmt.Errorf("%w: tag name %q has the forbidden character %q", ErrInvalidMutation, n, n[i])
	}
	return nil
}

// checkAttrName refuses what lol-html refuses as an attribute name.
func checkAttrName(n string) error {
	if n == "" {
		return fmt.Errorf("%w: the attribute name is empty", ErrInvalidMutation)
	}
	if i := strings.IndexAny(n, " \t\n\r\f/>="); i >= 0 {
		return fmt.Errorf("%w: attribute name %q has the forbidden character %q", ErrInvalidMutation, n, n[i])
	}
	return nil
}
