package htmlrewriter

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// describe is a token in a test's notation: "t:" text, "/t" the end of a
// text node, "<a x=1/>" start tags (raw attribute values, "@svg" for
// foreign ones), "</a>", "!" comment text, "D:name|public|system",
// "r:" raw bytes.
func describe(t token) string {
	switch t.kind {
	case kindText:
		return "t:" + string(t.raw)
	case kindTextEnd:
		return "/t"
	case kindStartTag:
		var b strings.Builder
		b.WriteString("<" + lowerName(t.name))
		for i := range t.attrs {
			fmt.Fprintf(&b, " %s=%s", t.attrName(i), t.attrValue(i))
		}
		if t.selfClosing {
			b.WriteString("/")
		}
		b.WriteString(">")
		switch t.ns {
		case nsSVG:
			b.WriteString("@svg")
		case nsMathML:
			b.WriteString("@math")
		}
		return b.String()
	case kindEndTag:
		return "</" + lowerName(t.name) + ">"
	case kindComment:
		return "!" + string(t.text)
	case kindDoctype:
		opt := func(b []byte, ok bool) string {
			if !ok {
				return "-"
			}
			return string(b)
		}
		return "D:" + opt(t.dtName, t.hasName) + "|" + opt(t.dtPublic, t.hasPublic) + "|" + opt(t.dtSystem, t.hasSystem)
	}
	return "r:" + string(t.raw)
}

// tokenize runs doc through a tokenizer cut at cuts and returns the
// tokens described (adjacent text merged) and all their bytes joined.
func tokenize(doc string, cuts []int, capture bool) ([]string, string, error) {
	z := newTokenizer(DefaultMaxTokenBytes, func(kind) bool { return capture })
	var out []string
	var all strings.Builder
	drain := func() error {
		for {
			tok, ok, err := z.next()
			if err != nil || !ok {
				return err
			}
			all.Write(tok.raw)
			d := describe(tok)
			if n := len(out); n > 0 && strings.HasPrefix(d, "t:") && strings.HasPrefix(out[n-1], "t:") {
				out[n-1] += d[2:]
				continue
			}
			if n := len(out); n > 0 && strings.HasPrefix(d, "r:") && strings.HasPrefix(out[n-1], "r:") {
				out[n-1] += d[2:] // a streamed comment comes in pieces
				continue
			}
			out = append(out, d)
		}
	}
	prev := 0
	for _, c := range append(slices.Clone(cuts), len(doc)) {
		z.feed([]byte(doc[prev:c]))
		if err := drain(); err != nil {
			return out, all.String(), err
		}
		prev = c
	}
	z.finish()
	err := drain()
	return out, all.String(), err
}

var tokenizerTests = []struct {
	name string
	doc  string
	want []string
}{
	{"text", "hello", []string{"t:hello", "/t"}},
	{"tags", "<p>a</p>", []string{"<p>", "t:a", "/t", "</p>"}},
	{"upper case", "<DIV Class=X>a</Div>", []string{"<div Class=X>", "t:a", "/t", "</div>"}},
	{"attribute quoting", `<a b=1 c='2' d="3" e f = "4">`, []string{"<a b=1 c=2 d=3 e= f=4>"}},
	{"quotes hold > and <", `<a title="x>y" alt='<b>'>`, []string{"<a title=x>y alt=<b>>"}},
	{"unquoted value keeps quotes and =", `<a b=x"y'z=w>`, []string{`<a b=x"y'z=w>`}},
	{"missing value", `<a b=>`, []string{"<a b=>"}},
	{"attribute starting with =", `<a =b>`, []string{"<a =b=>"}},
	{"no space between attributes", `<a b="1"c="2">`, []string{"<a b=1 c=2>"}},
	{"self-closing", `<br/><img src=x />`, []string{"<br/>", "<img src=x/>"}},
	{"slash in unquoted value", `<a href=/x/>`, []string{"<a href=/x/>"}},
	{"entities untouched", `a &amp; b<a href="?a=1&amp;b=2">`, []string{"t:a &amp; b", "/t", "<a href=?a=1&amp;b=2>"}},
	{"less-than as text", "a < b <3 <", []string{"t:a < b <3 <", "/t"}},
	{"empty end tag", "a</>b", []string{"t:a", "/t", "r:</>", "t:b", "/t"}},
	{"comment", "<!-- hi -->", []string{"! hi "}},
	{"empty comments", "<!----><!--><!--->", []string{"!", "!", "!"}},
	{"dashes in a comment", "<!-- a -- b --->", []string{"! a -- b -"}},
	{"comment end bang", "<!--a--!>", []string{"!a"}},
	{"comment with markup", "<!--<p>x</p>-->", []string{"!<p>x</p>"}},
	{"bogus comments", "<?xml v?><!x></3>", []string{"!?xml v?", "!x", "!3"}},
	{"CDATA outside foreign content", "<![CDATA[x]]>", []string{"![CDATA[x]]"}},
	{"doctype", "<!DOCTYPE html>", []string{"D:html|-|-"}},
	{"doctype public", `<!doctype HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">`,
		[]string{"D:html|-//W3C//DTD HTML 4.01//EN|http://www.w3.org/TR/html4/strict.dtd"}},
	{"doctype system", `<!DOCTYPE html SYSTEM 'about:legacy-compat'>`, []string{"D:html|-|about:legacy-compat"}},
	{"empty doctype", `<!DOCTYPE>`, []string{"D:-|-|-"}},
	{"script", `<script>if (a<b && c>d) x = "</p>"</script>`, []string{"<script>", `t:if (a<b && c>d) x = "</p>"`, "/t", "</script>"}},
	{"script end tag with attributes", `<script>x</SCRIPT foo="bar">y`, []string{"<script>", "t:x", "/t", "</script>", "t:y", "/t"}},
	{"not the script end", `<script>a</scripty>b</script>`, []string{"<script>", "t:a</scripty>b", "/t", "</script>"}},
	{"escaped script", `<script><!--<p></p>--></script>`, []string{"<script>", "t:<!--<p></p>-->", "/t", "</script>"}},
	{"double-escaped script", `<script><!--<script>x</script>y--></script>z`, []string{"<script>", "t:<!--<script>x</script>y-->", "/t", "</script>", "t:z", "/t"}},
	{"script ended in escaped state", `<script><!--x</script>y`, []string{"<script>", "t:<!--x", "/t", "</script>", "t:y", "/t"}},
	{"style", `<style>a > b { x: "</p>" }</style>`, []string{"<style>", `t:a > b { x: "</p>" }`, "/t", "</style>"}},
	{"title is RCDATA", `<title><b>&amp;</titlex></title>`, []string{"<title>", "t:<b>&amp;</titlex>", "/t", "</title>"}},
	{"textarea", `<textarea><!-- x --></TEXTAREA >`, []string{"<textarea>", "t:<!-- x -->", "/t", "</textarea>"}},
	{"noscript is raw text", `<noscript><p>x</p></noscript>`, []string{"<noscript>", "t:<p>x</p>", "/t", "</noscript>"}},
	{"plaintext", `<plaintext></plaintext><p>`, []string{"<plaintext>", "t:</plaintext><p>", "/t"}},
	{"svg", `<svg><path d="M0"/><title><b>x</b></title></svg>`,
		[]string{"<svg>@svg", "<path d=M0/>@svg", "<title>@svg", "<b>", "t:x", "/t", "</b>", "</title>", "</svg>"}},
	{"svg CDATA", `<svg><![CDATA[a<b]]></svg>`, []string{"<svg>@svg", "r:<![CDATA[", "t:a<b", "/t", "r:]]>", "</svg>"}},
	{"svg script is not raw text", `<svg><style><b></b></style></svg>`, []string{"<svg>@svg", "<style>@svg", "<b>", "</b>", "</style>", "</svg>"}},
	{"breakout from svg", `<svg><div><script>x<y</script>`, []string{"<svg>@svg", "<div>", "<script>", "t:x<y", "/t", "</script>"}},
	{"math", `<math><mi><b>x</b></mi><mo/></math>`, []string{"<math>@math", "<mi>@math", "<b>", "t:x", "/t", "</b>", "</mi>", "<mo/>@math", "</math>"}},
	{"self-closing svg", `<svg/><style>a<b</style>`, []string{"<svg/>@svg", "<style>", "t:a<b", "/t", "</style>"}},
	{"tag at EOF", `a<div class="x`, []string{"t:a", "/t", `r:<div class="x`}},
	{"comment at EOF", `<!-- x -`, []string{"! x "}},
	{"markup declaration at EOF", `<!-`, []string{"!-"}},
	{"doctype at EOF", `<!DOCTYPE html`, []string{"D:html|-|-"}},
	{"end tag open at EOF", `a</`, []string{"t:a</", "/t"}},
	{"script at EOF", `<script>a</scr`, []string{"<script>", "t:a</scr", "/t"}},
	{"CRLF and NUL kept", "a\r\nb\x00<p\x00>", []string{"t:a\r\nb\x00", "/t", "<p\x00>"}},
	{"invalid UTF-8 kept", "a\xffb<p>\xc3", []string{"t:a\xffb", "/t", "<p>", "t:\xc3", "/t"}},
}

func TestTokenize(t *testing.T) {
	for _, tt := range tokenizerTests {
		t.Run(tt.name, func(t *testing.T) {
			got, all, err := tokenize(tt.doc, nil, true)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("tokens\n got %q\nwant %q", got, tt.want)
			}
			if all != tt.doc {
				t.Errorf("the tokens' bytes %q are not the document", all)
			}
		})
	}
}

// TestTokenizeEveryCut cuts each document at every offset, and into
// single bytes: the tokens must not depend on where the input was cut.
func TestTokenizeEveryCut(t *testing.T) {
	for _, tt := range tokenizerTests {
		t.Run(tt.name, func(t *testing.T) {
			for _, capture := range []bool{true, false} {
				want, _, _ := tokenize(tt.doc, nil, capture)
				var bytewise []int
				for i := 1; i < len(tt.doc); i++ {
					bytewise = append(bytewise, i)
				}
				cutsList := [][]int{bytewise}
				for i := 0; i <= len(tt.doc); i++ {
					cutsList = append(cutsList, []int{i})
				}
				for _, cuts := range cutsList {
					got, all, err := tokenize(tt.doc, cuts, capture)
					if err != nil {
						t.Fatalf("cuts %v: %v", cuts, err)
					}
					if !slices.Equal(got, want) {
						t.Fatalf("capture %v, cuts %v:\n got %q\nwant %q", capture, cuts, got, want)
					}
					if all != tt.doc {
						t.Fatalf("cuts %v: bytes %q", cuts, all)
					}
				}
			}
		})
	}
}

// TestTokenizeUncaptured: comments and doctypes no handler wants pass
// through as raw bytes, in pieces as the input arrives.
func TestTokenizeUncaptured(t *testing.T) {
	got, all, err := tokenize("a<!-- x --><!DOCTYPE html>b", []int{5, 8}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"t:a", "/t", "r:<!-- x --><!DOCTYPE html>", "t:b", "/t"}
	if !slices.Equal(got, want) || all != "a<!-- x --><!DOCTYPE html>b" {
		t.Errorf("got %q (%q), want %q", got, all, want)
	}
}

// TestTokenizeUTF8: a text chunk never ends inside a UTF-8 sequence that
// the next input completes.
func TestTokenizeUTF8(t *testing.T) {
	doc := "aé€😀b<p>é"
	for i := 1; i < len(doc); i++ {
		z := newTokenizer(DefaultMaxTokenBytes, nil)
		for _, part := range []string{doc[:i], doc[i:]} {
			z.feed([]byte(part))
			for {
				tok, ok, err := z.next()
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				if tok.kind == kindText && !utf8.Valid(tok.raw) {
					t.Fatalf("cut at %d: text chunk %q is not UTF-8", i, tok.raw)
				}
			}
		}
	}
}

// TestTokenizeBounded feeds 16 MiB of text, script, comments no handler
// wants and tags in 4 KiB pieces: the buffer must stay small.
func TestTokenizeBounded(t *testing.T) {
	var unit bytes.Buffer
	unit.WriteString("<p class=x>" + strings.Repeat("text ", 200) + "</p><!--" + strings.Repeat("c", 3000) + "--><script>")
	unit.WriteString(strings.Repeat("var x = 1 < 2;", 100) + "</script>")
	z := newTokenizer(DefaultMaxTokenBytes, func(kind) bool { return false })
	piece := make([]byte, 4096)
	src := bytes.NewReader(nil)
	maxBuf := 0
	for total := 0; total < 16<<20; {
		if src.Len() == 0 {
			src.Reset(unit.Bytes())
		}
		n, _ := src.Read(piece)
		total += n
		z.feed(piece[:n])
		for {
			_, ok, err := z.next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
		}
		maxBuf = max(maxBuf, cap(z.buf))
	}
	if maxBuf > 64<<10 {
		t.Errorf("the tokenizer's buffer grew to %d bytes", maxBuf)
	}
}

func TestTokenTooLarge(t *testing.T) {
	for _, doc := range []string{
		`<a title="` + strings.Repeat("x", 2000),
		`<!--` + strings.Repeat("x", 2000),
		`<!DOCTYPE ` + strings.Repeat("x", 2000),
	} {
		z := newTokenizer(1000, func(kind) bool { return true })
		z.feed([]byte(doc))
		_, _, err := z.next()
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%.20q…: err %v, want ErrTooLarge", doc, err)
		}
	}
	// The same comment streams through when no handler wants it.
	z := newTokenizer(1000, func(kind) bool { return false })
	z.feed([]byte(`<!--` + strings.Repeat("x", 2000)))
	if _, _, err := z.next(); err != nil {
		t.Errorf("uncaptured comment: %v", err)
	}
}
