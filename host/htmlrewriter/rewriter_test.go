package htmlrewriter

import (
	"errors"
	"fmt"
	"strings"
	"testing"

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
			got = append(got, fmt.Sprintf("element %v %d %s removed=%v content=%v %s", e.Handlers, e.ID, e.TagName, e.Removed, e.CanHaveContent, e.NamespaceURI))
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
		"element [2 3] 1 div removed=false content=true http://www.w3.org/1999/xhtml",
		"element [1 3] 2 p removed=true content=true http://www.w3.org/1999/xhtml",
		`text [1 3 0] "a" false`,
		`text [1 3 0] "" true`,
		`comment [1 0] "c"`,
		"end [0]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNamespaceURI(t *testing.T) {
	var got []string
	_, _, err := drive([]htmlwit.Handlers{sel("*", true, false, false)}, Limits{}, `<p><svg><circle/><foreignObject><b></b></foreignObject></svg><math><mi/></math>`, nil,
		func(ev htmlwit.Event) []htmlwit.Mutation {
			got = append(got, ev.Element.TagName+" "+ev.Element.NamespaceURI[strings.LastIndexByte(ev.Element.NamespaceURI, '/')+1:]+fmt.Sprint(" ", ev.Element.CanHaveContent))
			return nil
		})
	want := "p xhtml true|svg svg true|circle svg false|foreignobject svg true|b xhtml true|math MathML true|mi MathML false"
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
	r, err := New([]htmlwit.Handlers{sel("p", true, false, false)}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.resume(nil); !errors.Is(err, ErrInvalidState) {
		t.Errorf("resume with no event: %v", err)
	}
	if _, err := r.write(nil); !errors.Is(err, ErrInvalidState) {
		t.Errorf("write after an error: %v", err)
	}

	r, _ = New([]htmlwit.Handlers{sel("p", true, false, false)}, Limits{})
	s, err := r.write([]byte("<p>"))
	if err != nil || !s.Event.Some {
		t.Fatalf("write: %v %v", s, err)
	}
	if _, err := r.write([]byte("x")); !errors.Is(err, ErrInvalidState) || !strings.Contains(err.Error(), "an event waits") {
		t.Errorf("write while an event waits: %v", err)
	}

	r, _ = New(nil, Limits{})
	if s, err = r.write([]byte("<p>x")); err != nil || string(s.Output) != "<p>x" {
		t.Fatalf("write: %q %v", s.Output, err)
	}
	if s, err = r.finish(); err != nil || s.Event.Some {
		t.Fatalf("end: %v %v", s, err)
	}
	for _, call := range []func() (Step, error){func() (Step, error) { return r.write(nil) }, r.finish, func() (Step, error) { return r.resume(nil) }} {
		if _, err := call(); !errors.Is(err, ErrInvalidState) {
			t.Errorf("call after the end: %v", err)
		}
	}
	if w := witError(fmt.Errorf("x: %w", ErrInvalidState)); w.Tag != htmlwit.ErrorInvalidState {
		t.Errorf("WIT error %v", w)
	}
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
