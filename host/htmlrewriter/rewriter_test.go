package htmlrewriter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/abi/stream"
	"github.com/bindery-run/bindery/host/htmlrewriter/htmlwit"
)

// everyCut runs doc unsplit, cut at each offset, and one byte at a time,
// and fails unless every run gives want (want "" with wantErr: an error
// wrapping wantErr).
func everyCut(t *testing.T, regs []htmlwit.Handlers, doc string, answer answerFunc, want string) {
	t.Helper()
	cutsList := [][]int{nil}
	var bytewise []int
	for i := 1; i < len(doc); i++ {
		bytewise = append(bytewise, i)
		cutsList = append(cutsList, []int{i})
	}
	cutsList = append(cutsList, bytewise)
	for _, cuts := range cutsList {
		got, _, err := drive(regs, Limits{}, doc, cuts, answer)
		if err != nil {
			t.Fatalf("cuts %v: %v", cuts, err)
		}
		if got != want {
			t.Fatalf("cuts %v:\n got %q\nwant %q", cuts, got, want)
		}
	}
}

// malformed is HTML a rewriter must pass through byte for byte when no
// handler changes anything.
var malformed = []string{
	"",
	"plain text, no markup & no end",
	"<!DOCTYPE html>\r\n<html lang=en><HEAD><TITLE>T &amp; t</TITLE></head>",
	`<a href=x title='y' data-z="w" checked   disabled=""/>`,
	`<div   class = "a"	id='b'	>x</div   >`,
	"<p>unclosed <b>bold <i>italic</p> stray </b></i></span></div>",
	"< p>not a tag</ p><3 a<b c>d",
	"</>x<//>y</ >z",
	"<!-- c --><!----><!--><!---><!-- -- --!><?pi?><!bogus></3>",
	"<script>if(a<b&&c>d){x='</div>'}<!--<script></script>--></script>",
	"<style>p>a{content:'</p>'}</style><textarea><b></TEXTAREA><title></title x></title>",
	"<svg viewBox='0 0 1 1'><path d=M0/><![CDATA[ <x> ]]><foreignObject><p>x</p></foreignObject></svg>",
	"<math><mi>x</mi><annotation-xml encoding=text/html><p>y</p></annotation-xml></math>",
	"a\x00b\xff\xfe<p\x00 q\xff=\"\xc3\">\xe2\x82</p>é€😀",
	"<table><tr><td>1<td>2</table><select><option>1<option>2</select>",
	"<div class=\"unterminated",
	"<!-- unterminated comment",
	"<plaintext><p>all text</p>",
}

func TestPassthroughByteExact(t *testing.T) {
	regs := []htmlwit.Handlers{sel("*", true, true, true), sel("p", true, false, true), docH(true, true, true, true)}
	for i, doc := range malformed {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			everyCut(t, regs, doc, nil, doc)
			everyCut(t, nil, doc, nil, doc)
		})
	}
}

func mut(tag htmlwit.MutationTag) htmlwit.Mutation { return htmlwit.Mutation{Tag: tag} }

func before(c htmlwit.Content) htmlwit.Mutation {
	return htmlwit.Mutation{Tag: htmlwit.MutationBefore, Before: c}
}
func after(c htmlwit.Content) htmlwit.Mutation {
	return htmlwit.Mutation{Tag: htmlwit.MutationAfter, After: c}
}
func prepend(c htmlwit.Content) htmlwit.Mutation {
	return htmlwit.Mutation{Tag: htmlwit.MutationPrepend, Prepend: c}
}
func appendM(c htmlwit.Content) htmlwit.Mutation {
	return htmlwit.Mutation{Tag: htmlwit.MutationAppend, Append: c}
}
func replace(c htmlwit.Content) htmlwit.Mutation {
	return htmlwit.Mutation{Tag: htmlwit.MutationReplace, Replace: c}
}
func inner(c htmlwit.Content) htmlwit.Mutation {
	return htmlwit.Mutation{Tag: htmlwit.MutationSetInnerContent, SetInnerContent: c}
}
func setName(n string) htmlwit.Mutation {
	return htmlwit.Mutation{Tag: htmlwit.MutationSetName, SetName: n}
}
func setAttr(n, v string) htmlwit.Mutation {
	return htmlwit.Mutation{Tag: htmlwit.MutationSetAttribute, SetAttribute: abiT(n, v)}
}
func removeAttr(n string) htmlwit.Mutation {
	return htmlwit.Mutation{Tag: htmlwit.MutationRemoveAttribute, RemoveAttribute: n}
}
func setText(s string) htmlwit.Mutation {
	return htmlwit.Mutation{Tag: htmlwit.MutationSetText, SetText: s}
}

// onElements answers element events with muts, others with nothing.
func onElements(muts ...htmlwit.Mutation) answerFunc {
	return func(ev htmlwit.Event) []htmlwit.Mutation {
		if ev.Tag == htmlwit.EventElement {
			return muts
		}
		return nil
	}
}

// onKind answers events of one kind with muts.
func onKind(tag htmlwit.EventTag, muts ...htmlwit.Mutation) answerFunc {
	return func(ev htmlwit.Event) []htmlwit.Mutation {
		if ev.Tag == tag {
			return muts
		}
		return nil
	}
}

func TestMutations(t *testing.T) {
	el := func(s string) []htmlwit.Handlers { return []htmlwit.Handlers{sel(s, true, false, false)} }
	tests := []struct {
		name   string
		regs   []htmlwit.Handlers
		doc    string
		answer answerFunc
		want   string
	}{
		{"before after", el("b"), "<p><b>x</b></p>", onElements(before(html("<i>1</i>")), before(text("<2>")), after(html("<i>3</i>")), after(text("&4"))),
			"<p><i>1</i>&lt;2&gt;<b>x</b>&amp;4<i>3</i></p>"},
		{"prepend append", el("b"), "<b>x</b>", onElements(prepend(html("1")), prepend(html("2")), appendM(html("3")), appendM(text("<4>"))),
			"<b>21x3&lt;4&gt;</b>"},
		{"set inner content", el("div"), "<div>old <b>text</b></div>after", onElements(prepend(html("lost")), inner(html("<i>new</i>")), appendM(html("!"))),
			"<div><i>new</i>!</div>after"},
		{"set inner content as text", el("div"), "<div>old</div>", onElements(inner(text("<b>"))), "<div>&lt;b&gt;</div>"},
		{"replace", el("b"), "a<b>x<i>y</i></b>c", onElements(before(html("[")), replace(html("<u>z</u>")), after(html("]"))), "a[<u>z</u>]c"},
		{"remove", el("b"), "a<b>x<i>y</i></b>c", onElements(mut(htmlwit.MutationRemove)), "ac"},
		{"remove keeps before and after", el("b"), "a<b>x</b>c", onElements(before(html("1")), mut(htmlwit.MutationRemove), after(html("2"))), "a12c"},
		{"remove and keep content", el("b"), "a<b class=x>x<i>y</i></b>c", onElements(mut(htmlwit.MutationRemoveAndKeepContent)), "ax<i>y</i>c"},
		{"remove a void element", el("img"), "a<img src=x>b<br>c", onElements(mut(htmlwit.MutationRemove)), "ab<br>c"},
		{"after a void element", el("img"), "<img src=x>b", onElements(after(html("1")), after(html("2"))), "<img src=x>21b"},
		{"content of a void element is ignored", el("br"), "<br>x", onElements(prepend(html("1")), appendM(html("2")), inner(html("3"))), "<br>x"},
		{"set attribute", el("a"), `<a href="/x" class=c>l</a>`, onElements(setAttr("href", `https://e.test/?q="1"&r=2`)),
			`<a href="https://e.test/?q=&quot;1&quot;&r=2" class=c>l</a>`},
		{"add attribute", el("a"), `<a href=x>l</a>`, onElements(setAttr("Target", "_blank")), `<a href=x target="_blank">l</a>`},
		{"set attribute any case", el("a"), `<a HREF=x>l</a>`, onElements(setAttr("href", "y")), `<a HREF="y">l</a>`},
		{"remove attribute", el("a"), `<a  href=x   class="c"  id='i'>l</a>`, onElements(removeAttr("CLASS")), `<a href=x id='i'>l</a>`},
		{"remove a missing attribute", el("a"), `<a  href=x>l</a>`, onElements(removeAttr("class")), `<a  href=x>l</a>`},
		{"self-closing kept on change", el("br"), `<br class="x"/>`, onElements(setAttr("id", "y")), `<br class="x" id="y" />`},
		{"a slash in an unquoted value", el("br"), `<br class=x/>`, onElements(setAttr("id", "y")), `<br class=x/ id="y">`},
		{"rename", el("b"), `<b class=x>t</B>`, onElements(setName("strong")), `<strong class=x>t</strong>`},
		{"rename a void element", el("br"), `<br>`, onElements(setName("hr")), `<hr>`},
		{"entities untouched", el("a"), `<a title="&amp;" href="?a&amp;b">&lt;&amp;</a>`, onElements(setAttr("id", "&amp;")),
			`<a title="&amp;" href="?a&amp;b" id="&amp;">&lt;&amp;</a>`},
		{"nested removal drops inner output", []htmlwit.Handlers{sel("div", true, false, false), sel("b", true, false, true)},
			"<div><b>x</b></div><b>y</b>",
			func(ev htmlwit.Event) []htmlwit.Mutation {
				switch {
				case ev.Tag == htmlwit.EventElement && ev.Element.TagName == "div":
					return []htmlwit.Mutation{mut(htmlwit.MutationRemove)}
				case ev.Tag == htmlwit.EventElement:
					return []htmlwit.Mutation{before(html("!"))}
				case ev.Tag == htmlwit.EventText && ev.Text.Text != "":
					return []htmlwit.Mutation{replace(html(strings.ToUpper(ev.Text.Text)))}
				}
				return nil
			}, "!<b>Y</b>"},
		{"text replace and last chunk", []htmlwit.Handlers{sel("p", false, false, true)}, "<p>hello <b>you</b></p>x",
			func(ev htmlwit.Event) []htmlwit.Mutation {
				if ev.Text.LastInTextNode {
					return []htmlwit.Mutation{after(html("|"))}
				}
				return []htmlwit.Mutation{replace(html(strings.ToUpper(ev.Text.Text)))}
			}, "<p>HELLO |<b>YOU|</b></p>x"},
		{"text remove before after", []htmlwit.Handlers{docH(false, false, true, false)}, "a<p>b</p>",
			func(ev htmlwit.Event) []htmlwit.Mutation {
				if ev.Text.LastInTextNode {
					return nil
				}
				return []htmlwit.Mutation{before(html("(")), mut(htmlwit.MutationRemove), after(html(")"))}
			}, "()<p>()</p>"},
		{"script text", []htmlwit.Handlers{sel("script", false, false, true)}, "<script>a<b</script>",
			func(ev htmlwit.Event) []htmlwit.Mutation {
				return []htmlwit.Mutation{replace(html(strings.ToUpper(ev.Text.Text)))}
			}, "<script>A<B</script>"},
		{"comment", []htmlwit.Handlers{docH(false, true, false, false)}, "a<!-- x -->b<!--y-->",
			func(ev htmlwit.Event) []htmlwit.Mutation {
				if ev.Comment.Text == " x " {
					return []htmlwit.Mutation{setText(" z "), before(html("["))}
				}
				return []htmlwit.Mutation{mut(htmlwit.MutationRemove)}
			}, "a[<!-- z -->b"},
		{"comment replace", []htmlwit.Handlers{sel("p", false, true, false)}, "<!--a--><p><!--b--></p>",
			onKind(htmlwit.EventComment, replace(text("<c>"))), "<!--a--><p>&lt;c&gt;</p>"},
		{"bogus comment set text", []htmlwit.Handlers{docH(false, true, false, false)}, "<?x?>",
			onKind(htmlwit.EventComment, setText("y")), "<!--y-->"},
		{"end tag handler", el("div"), "<div>x</DIV >y",
			func(ev htmlwit.Event) []htmlwit.Mutation {
				if ev.Tag == htmlwit.EventElement {
					return []htmlwit.Mutation{mut(htmlwit.MutationOnEndTag), appendM(html("1"))}
				}
				if ev.EndTag.Name != "div" || ev.EndTag.Element != 1 {
					panic(fmt.Sprint(ev.EndTag))
				}
				return []htmlwit.Mutation{before(html("2")), after(html("3")), after(html("4"))}
			}, "<div>x12</DIV >43y"},
		{"end tag rename and remove", el("div"), "<div>x</div><div>y</div>",
			func(ev htmlwit.Event) []htmlwit.Mutation {
				if ev.Tag == htmlwit.EventElement {
					return []htmlwit.Mutation{mut(htmlwit.MutationOnEndTag)}
				}
				if ev.EndTag.Element == 1 {
					return []htmlwit.Mutation{setName("section")}
				}
				return []htmlwit.Mutation{mut(htmlwit.MutationRemove)}
			}, "<div>x</section><div>y"},
		{"end tag sees the new name", el("div"), "<div>x</div>",
			func(ev htmlwit.Event) []htmlwit.Mutation {
				if ev.Tag == htmlwit.EventElement {
					return []htmlwit.Mutation{setName("p"), mut(htmlwit.MutationOnEndTag)}
				}
				return []htmlwit.Mutation{after(html(ev.EndTag.Name))}
			}, "<p>x</p>p"},
		{"implied end keeps append and after", el("b"), "<p><b>x</p>y",
			onElements(appendM(html("1")), after(html("2")), mut(htmlwit.MutationOnEndTag)), "<p><b>x12</p>y"},
		{"unclosed at the end", el("b"), "<b>x", onElements(appendM(html("1")), after(html("2"))), "<b>x12"},
		{"removed content until the end", el("div"), "<div>x<p>y", onElements(inner(html("z"))), "<div>z"},
		{"document end", []htmlwit.Handlers{docH(false, false, false, true), docH(false, false, false, true)}, "x",
			onKind(htmlwit.EventDocumentEnd, appendM(html("<!--1-->")), appendM(text("<2>"))), "x<!--1-->&lt;2&gt;"},
		{"svg", el("circle"), `<svg><circle r=1 /></svg>`, onElements(setAttr("r", "2")), `<svg><circle r="2" /></svg>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			everyCut(t, tt.regs, tt.doc, tt.answer, tt.want)
		})
	}
}

// TestEvents checks what the guest is told: handler lists in dispatch
// order, removed, namespaces, doctypes, the empty last text chunk.
func TestEvents(t *testing.T) {
	regs := []htmlwit.Handlers{
		docH(true, true, true, true),     // 0
		sel("p", true, true, true),       // 1
		sel("div", true, false, false),   // 2
		sel("p, div", true, false, true), // 3
	}
	doc := `<!DOCTYPE html SYSTEM "s"><div><p>a<!--c--></p></div><svg><circle/></svg>`
	_, evs, err := drive(regs, Limits{}, doc, nil, func(ev htmlwit.Event) []htmlwit.Mutation {
		if ev.Tag == htmlwit.EventElement && ev.Element.TagName == "div" {
			return []htmlwit.Mutation{mut(htmlwit.MutationRemove)}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		switch ev.Tag {
		case htmlwit.EventDoctype:
			got = append(got, fmt.Sprintf("doctype %v %q %v %q", ev.Doctype.Handlers, ev.Doctype.Name.Value, ev.Doctype.PublicID.Some, ev.Doctype.SystemID.Value))
		case htmlwit.EventElement:
			e := ev.Element
			got = append(got, fmt.Sprintf("element %v %d %s removed=%v content=%v ns=%d", e.Handlers, e.ID, e.TagName, e.Removed, e.CanHaveContent, e.Namespace))
		case htmlwit.EventText:
			got = append(got, fmt.Sprintf("text %v %q %v", ev.Text.Handlers, ev.Text.Text, ev.Text.LastInTextNode))
		case htmlwit.EventComment:
			got = append(got, fmt.Sprintf("comment %v %q", ev.Comment.Handlers, ev.Comment.Text))
		case htmlwit.EventDocumentEnd:
			got = append(got, fmt.Sprintf("end %v", ev.DocumentEnd))
		default:
			got = append(got, fmt.Sprintf("%+v", ev))
		}
	}
	want := []string{
		`doctype [0] "html" false "s"`,
		"element [2 3] 1 div removed=false content=true ns=0",
		"element [1 3] 2 p removed=true content=true ns=0",
		`text [1 3 0] "a" false`,
		`text [1 3 0] "" true`,
		`comment [1 0] "c"`,
		"end [0]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNamespace(t *testing.T) {
	var got []string
	_, _, err := drive([]htmlwit.Handlers{sel("*", true, false, false)}, Limits{}, `<p><svg><circle/><foreignObject><b></b></foreignObject></svg><math><mi/></math>`, nil,
		func(ev htmlwit.Event) []htmlwit.Mutation {
			got = append(got, fmt.Sprint(ev.Element.TagName, " ", []string{"html", "svg", "mathml"}[ev.Element.Namespace], " ", ev.Element.CanHaveContent))
			return nil
		})
	want := "p html true|svg svg true|circle svg false|foreignobject svg true|b html true|math mathml true|mi mathml false"
	if err != nil || strings.Join(got, "|") != want {
		t.Errorf("got %s, err %v\nwant %s", strings.Join(got, "|"), err, want)
	}
}

func TestMutationErrors(t *testing.T) {
	tests := []struct {
		name string
		regs []htmlwit.Handlers
		doc  string
		muts []htmlwit.Mutation
		want string
	}{
		{"prepend on text", []htmlwit.Handlers{docH(false, false, true, false)}, "x", []htmlwit.Mutation{prepend(html("y"))}, "prepend does not apply to a text chunk"},
		{"set-text on an element", []htmlwit.Handlers{sel("p", true, false, false)}, "<p>", []htmlwit.Mutation{setText("y")}, "set-text does not apply to an element"},
		{"empty tag name", []htmlwit.Handlers{sel("p", true, false, false)}, "<p>", []htmlwit.Mutation{setName("")}, "the tag name is empty"},
		{"tag name with a digit first", []htmlwit.Handlers{sel("p", true, false, false)}, "<p>", []htmlwit.Mutation{setName("1p")}, "does not start with an ASCII letter"},
		{"tag name with a space", []htmlwit.Handlers{sel("p", true, false, false)}, "<p>", []htmlwit.Mutation{setName("p q")}, "forbidden character ' '"},
		{"attribute name with =", []htmlwit.Handlers{sel("p", true, false, false)}, "<p>", []htmlwit.Mutation{setAttr("a=b", "c")}, "forbidden character '='"},
		{"empty attribute name", []htmlwit.Handlers{sel("p", true, false, false)}, "<p>", []htmlwit.Mutation{setAttr("", "c")}, "attribute name is empty"},
		{"comment end in comment text", []htmlwit.Handlers{docH(false, true, false, false)}, "<!--x-->", []htmlwit.Mutation{setText("a-->b")}, `has the comment end "-->"`},
		{"end tag of a void element", []htmlwit.Handlers{sel("br", true, false, false)}, "<br>", []htmlwit.Mutation{mut(htmlwit.MutationOnEndTag)}, "br can have no end tag"},
		{"mutating a doctype", []htmlwit.Handlers{docH(true, false, false, false)}, "<!doctype html>", []htmlwit.Mutation{mut(htmlwit.MutationRemove)}, "remove does not apply to a doctype"},
		{"prepend at the document end", []htmlwit.Handlers{docH(false, false, false, true)}, "", []htmlwit.Mutation{prepend(html("x"))}, "prepend does not apply to the document end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := drive(tt.regs, Limits{}, tt.doc, nil, func(htmlwit.Event) []htmlwit.Mutation { return tt.muts })
			if !errors.Is(err, ErrInvalidMutation) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want ErrInvalidMutation with %q", err, tt.want)
			}
			if w := witError(err); w == nil || w.Tag != htmlwit.ErrorInvalidMutation {
				t.Errorf("WIT error %v", w)
			}
		})
	}
}

// TestCallOrder: the dialogue's order is enforced, and an error ends it.
func TestCallOrder(t *testing.T) {
	ctx := context.Background()
	r, err := New([]htmlwit.Handlers{sel("p", true, false, false)}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.resume(ctx, nil); !errors.Is(err, ErrInvalidState) || !strings.Contains(err.Error(), "no event waits") {
		t.Errorf("resume with no event: %v", err)
	}
	if _, err := r.write(ctx, nil); !errors.Is(err, ErrInvalidState) || !strings.Contains(err.Error(), "after an error") {
		t.Errorf("write after an error: %v", err)
	}

	r, _ = New([]htmlwit.Handlers{sel("p", true, false, false)}, Limits{})
	s, err := r.write(ctx, []byte("<p>"))
	if err != nil || !s.Event.Some {
		t.Fatalf("write: %v %v", s, err)
	}
	if _, err := r.write(ctx, []byte("x")); !errors.Is(err, ErrInvalidState) || !strings.Contains(err.Error(), "an event waits") {
		t.Errorf("write while an event waits: %v", err)
	}

	r, _ = New(nil, Limits{})
	if s, err = r.write(ctx, []byte("<p>x")); err != nil || string(s.Output) != "<p>x" || s.Done {
		t.Fatalf("write: %q %v", s.Output, err)
	}
	if s, err = r.finish(ctx); err != nil || s.Event.Some || !s.Done {
		t.Fatalf("end: %v %v", s, err)
	}
	for _, call := range []func() (Step, error){
		func() (Step, error) { return r.write(ctx, nil) },
		func() (Step, error) { return r.finish(ctx) },
		func() (Step, error) { return r.resume(ctx, nil) },
		func() (Step, error) { return r.next(ctx) },
	} {
		if _, err := call(); !errors.Is(err, ErrInvalidState) {
			t.Errorf("call after the end: %v", err)
		}
	}
	if w := witError(fmt.Errorf("x: %w", ErrInvalidState)); w.Tag != htmlwit.ErrorInvalidState {
		t.Errorf("WIT error %v", w)
	}
}

// pieceSource is an input-stream that gives a document a few bytes at a time.
type pieceSource struct {
	doc     string
	n       int
	fail    bool
	dropped bool
}

func (p *pieceSource) Read(ctx context.Context, n uint32) ([]byte, *stream.StreamError) {
	if p.doc == "" {
		if p.fail {
			return nil, &stream.StreamError{Tag: stream.StreamErrorFailed, Failed: "disk on fire"}
		}
		return nil, &stream.StreamError{Tag: stream.StreamErrorClosed}
	}
	k := min(len(p.doc), p.n, int(n))
	b := []byte(p.doc[:k])
	p.doc = p.doc[k:]
	return b, nil
}

func (p *pieceSource) Drop(context.Context) { p.dropped = true }

// sink is an output-stream that keeps what it is given.
type sink struct {
	strings.Builder
	ended  bool
	closed bool
}

func (s *sink) Write(ctx context.Context, p []byte) *stream.StreamError {
	if s.closed || s.ended {
		return &stream.StreamError{Tag: stream.StreamErrorClosed}
	}
	s.Builder.Write(p)
	return nil
}
func (s *sink) Flush(context.Context) *stream.StreamError { return nil }
func (s *sink) Splice(context.Context, stream.InputStream, uint64) (uint64, *stream.StreamError) {
	return 0, &stream.StreamError{Tag: stream.StreamErrorFailed, Failed: "no"}
}
func (s *sink) Drop(context.Context) { s.ended = true }

// TestHostStreams: with read-from the host reads the document itself, and
// with write-to it writes the output itself; the guest sees only events.
func TestHostStreams(t *testing.T) {
	ctx := context.Background()
	doc := `<p>a <a href="/x">x</a></p><!--c--><a href=/y>y</a>` + strings.Repeat("text ", 40000)
	want := `<p>a <a href="https://e.test/x">x</a></p><!--c--><a href="https://e.test/y">y</a>` + strings.Repeat("text ", 40000)
	regs := []htmlwit.Handlers{sel("a", true, false, false)}
	answer := func(ev htmlwit.Event) []htmlwit.Mutation {
		return []htmlwit.Mutation{setAttr("href", "https://e.test"+ev.Element.Attributes[0].F1)}
	}
	// drain calls next and resume until the document is complete.
	drain := func(t *testing.T, r *Rewriter) (string, int) {
		var out strings.Builder
		steps := 0
		for {
			s, err := r.next(ctx)
			for err == nil && s.Event.Some {
				out.Write(s.Output)
				s, err = r.resume(ctx, answer(s.Event.Value))
			}
			if err != nil {
				t.Fatal(err)
			}
			steps++
			out.Write(s.Output)
			if s.Done {
				return out.String(), steps
			}
		}
	}
	for _, n := range []int{1, 7, 100000} {
		t.Run(fmt.Sprint("read-from in pieces of ", n), func(t *testing.T) {
			r, _ := New(regs, Limits{})
			src := &pieceSource{doc: doc, n: n}
			if err := r.readFrom(src); err != nil {
				t.Fatal(err)
			}
			got, _ := drain(t, r)
			if got != want || !src.dropped {
				t.Errorf("output %d bytes (want %d), source dropped %v", len(got), len(want), src.dropped)
			}
		})
		t.Run(fmt.Sprint("read-from and write-to in pieces of ", n), func(t *testing.T) {
			r, _ := New(regs, Limits{})
			src, dst := &pieceSource{doc: doc, n: n}, &sink{}
			if err := r.readFrom(src); err != nil {
				t.Fatal(err)
			}
			if err := r.writeTo(dst); err != nil {
				t.Fatal(err)
			}
			got, _ := drain(t, r)
			if got != "" || dst.String() != want || !dst.ended || !src.dropped {
				t.Errorf("steps gave %d bytes, the sink %d (want %d), ended %v", len(got), dst.Len(), len(want), dst.ended)
			}
			// With no handler to ask, one call runs to the end.
			r, _ = New([]htmlwit.Handlers{sel("table", true, false, false)}, Limits{})
			src, dst = &pieceSource{doc: doc, n: n}, &sink{}
			r.readFrom(src)
			r.writeTo(dst)
			if _, steps := drain(t, r); steps != 1 || dst.String() != doc {
				t.Errorf("%d calls of next without an event, %d bytes out", steps, dst.Len())
			}
		})
	}
	t.Run("write and write-to", func(t *testing.T) {
		dst := &sink{}
		r, _ := New(regs, Limits{})
		if err := r.writeTo(dst); err != nil {
			t.Fatal(err)
		}
		got, _, err := drive(regs, Limits{}, doc, []int{3, 50}, answer)
		_ = got
		if err != nil {
			t.Fatal(err)
		}
		for _, chunk := range []string{doc[:3], doc[3:50], doc[50:]} {
			s, err := r.write(ctx, []byte(chunk))
			for err == nil && s.Event.Some {
				s, err = r.resume(ctx, answer(s.Event.Value))
			}
			if err != nil || len(s.Output) > 0 {
				t.Fatalf("write: %v, output %q", err, s.Output)
			}
		}
		if s, err := r.finish(ctx); err != nil || !s.Done || dst.String() != want || !dst.ended {
			t.Errorf("end: %v %v; sink %d bytes, ended %v", s, err, dst.Len(), dst.ended)
		}
	})
	t.Run("order", func(t *testing.T) {
		r, _ := New(nil, Limits{})
		if _, err := r.next(ctx); !errors.Is(err, ErrInvalidState) || !strings.Contains(err.Error(), "no read-from source") {
			t.Errorf("next without a source: %v", err)
		}
		r, _ = New(nil, Limits{})
		r.write(ctx, []byte("x"))
		src := &pieceSource{doc: "y"}
		if err := r.readFrom(src); !errors.Is(err, ErrInvalidState) || !src.dropped {
			t.Errorf("read-from after write: %v (source dropped %v)", err, src.dropped)
		}
		r, _ = New(nil, Limits{})
		r.readFrom(&pieceSource{doc: "y"})
		if _, err := r.write(ctx, []byte("x")); !errors.Is(err, ErrInvalidState) || !strings.Contains(err.Error(), "comes from read-from") {
			t.Errorf("write after read-from: %v", err)
		}
		r, _ = New(nil, Limits{})
		r.writeTo(&sink{})
		second := &sink{}
		if err := r.writeTo(second); !errors.Is(err, ErrInvalidState) || !second.ended {
			t.Errorf("a second write-to: %v", err)
		}
	})
	t.Run("the source fails", func(t *testing.T) {
		r, _ := New(nil, Limits{})
		r.readFrom(&pieceSource{doc: "<p>", n: 10, fail: true})
		var err error
		for err == nil {
			_, err = r.next(ctx)
		}
		if w := witError(err); !errors.Is(err, ErrSource) || w.Tag != htmlwit.ErrorSource || !strings.Contains(w.Source, "disk on fire") {
			t.Errorf("err %v (%v)", err, w)
		}
	})
	t.Run("the deadline passes", func(t *testing.T) {
		r, _ := New(nil, Limits{})
		r.readFrom(&pieceSource{doc: strings.Repeat("x", 1<<20), n: 1000})
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := r.next(cctx); !errors.Is(err, ErrSource) || !errors.Is(err, context.Canceled) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("the client went away", func(t *testing.T) {
		r, _ := New(nil, Limits{})
		r.writeTo(&sink{closed: true})
		if _, err := r.write(ctx, []byte("x")); !errors.Is(err, ErrClosed) || witError(err).Tag != htmlwit.ErrorClosed {
			t.Errorf("err %v", err)
		}
	})
	t.Run("drop ends the output", func(t *testing.T) {
		r, _ := New(nil, Limits{})
		src, dst := &pieceSource{doc: "x"}, &sink{}
		r.readFrom(src)
		r.writeTo(dst)
		r.Drop(ctx)
		if !dst.ended || !src.dropped {
			t.Errorf("after Drop: sink ended %v, source dropped %v", dst.ended, src.dropped)
		}
	})
}

func TestTooDeep(t *testing.T) {
	doc := strings.Repeat("<div>", 100)
	_, _, err := drive([]htmlwit.Handlers{sel("p", true, false, false)}, Limits{MaxDepth: 50}, doc, nil, nil)
	if !errors.Is(err, ErrTooLarge) || witError(err).Tag != htmlwit.ErrorTooLarge {
		t.Errorf("err %v, want ErrTooLarge", err)
	}
	if _, _, err := drive(nil, Limits{MaxDepth: 50}, doc, nil, nil); err != nil {
		t.Errorf("without selectors there is no stack: %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	_, err := New([]htmlwit.Handlers{sel("p", true, false, false), sel("li:last-child", true, false, false)}, Limits{})
	if w := witError(err); w == nil || w.Tag != htmlwit.ErrorInvalidSelector || !strings.Contains(w.InvalidSelector, ":last-child") {
		t.Errorf("New: %v", err)
	}
	if _, err := New([]htmlwit.Handlers{{Tag: 9}}, Limits{}); !errors.Is(err, ErrInvalidState) {
		t.Errorf("New with an unknown case: %v", err)
	}
}
