package htmlrewriter

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/bindery-run/bindery/host/htmlrewriter/htmlwit"
)

func TestParseSelectorErrors(t *testing.T) {
	tests := []struct {
		sel, want string
	}{
		{"", "empty selector"},
		{"   ", "empty selector"},
		{"a,", "empty selector"},
		{",a", "empty selector"},
		{"a,,b", "empty selector"},
		{"a >", "dangling combinator"},
		{"a > ,b", "dangling combinator"},
		{"a + b", `unsupported combinator '+'`},
		{"a ~ b", `unsupported combinator '~'`},
		{"li:last-child", `unsupported pseudo-class ":last-child"`},
		{"li:only-child", `unsupported pseudo-class ":only-child"`},
		{"li:last-of-type", `unsupported pseudo-class ":last-of-type"`},
		{"li:nth-last-child(2)", `unsupported pseudo-class ":nth-last-child()"`},
		{":root", `unsupported pseudo-class ":root"`},
		{"p:empty", `unsupported pseudo-class ":empty"`},
		{"a:hover", `unsupported pseudo-class ":hover"`},
		{"div:has(p)", `unsupported pseudo-class ":has()"`},
		{"div:is(p)", `unsupported pseudo-class ":is()"`},
		{"p::before", "pseudo-elements are not supported"},
		{"li:nth-child(2 of .x)", "(… of S) is not supported"},
		{"li:nth-child(x)", "invalid :nth-child argument"},
		{"li:nth-child(", "unexpected end"},
		{"p:not(div p)", "combinators in :not() are not supported"},
		{"p:not(div > p)", "combinators in :not() are not supported"},
		{"p:not(", "unexpected end"},
		{"svg|a", "namespaces are not supported"},
		{"*|a", "namespaces are not supported"},
		{"[svg|href]", "namespaces are not supported"},
		{"[]", "missing attribute name"},
		{"[=x]", "missing attribute name"},
		{"[a=]", "missing attribute value"},
		{"[a=b c]", `unexpected 'c' in attribute selector`},
		{"[a", "unexpected end in attribute selector"},
		{"[a!=b]", `unexpected '!' in attribute selector`},
		{`[a="b]`, "unterminated string"},
		{"a.", "invalid class name"},
		{"a.1", "invalid class name"},
		{"#", "invalid id"},
		{"a)", `unexpected ')'`},
		{"a{", `unexpected '{'`},
		{"a$", `unexpected '$'`},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			err := CheckSelector(tt.sel)
			var se *SelectorError
			if !errors.As(err, &se) || !errors.Is(err, ErrInvalidSelector) {
				t.Fatalf("err %v, want a SelectorError", err)
			}
			if !strings.Contains(err.Error(), tt.want) || se.Selector != tt.sel {
				t.Errorf("err %q, want %q", err, tt.want)
			}
		})
	}
}

func TestParseSelectorValid(t *testing.T) {
	for _, s := range []string{
		"*", "div", "DIV", "a[href]", "a[href=x]", `a[href="x y"]`, "a[href='x']", "[a~=b]", "[a|=en]", "[a^=b]",
		"[a$=b]", "[a*=b]", "[a=b i]", "[a=b s]", `[ a = "b" I ]`, "#id", ".c1.c2", "div#x.y[z]", "a b", "a > b",
		"a>b", "a  >  b c", "a, b", "li:nth-child(2n+1)", "li:nth-child( -n + 3 )", "li:nth-child(odd)",
		"li:nth-child(EVEN)", "li:first-child", "li:nth-of-type(3)", "li:first-of-type", "p:not(.x)", "p:not(.x, #y)",
		"p:not(:first-child)", ":not(p)", "p:not(:not(.x))", `.a\:b`, `#\31 23`, "-x", "--x", "_x", "é", "a /* c */ b",
	} {
		if err := CheckSelector(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
}

func TestParseAnB(t *testing.T) {
	tests := []struct {
		s    string
		a, b int
		ok   bool
	}{
		{"odd", 2, 1, true}, {"even", 2, 0, true}, {"3", 0, 3, true}, {"-3", 0, -3, true}, {"+3", 0, 3, true},
		{"n", 1, 0, true}, {"-n", -1, 0, true}, {"+n", 1, 0, true}, {"2n", 2, 0, true}, {"2n+1", 2, 1, true},
		{"2n + 1", 2, 1, true}, {"-2n-3", -2, -3, true}, {"  3n - 2  ", 3, -2, true}, {"N+1", 1, 1, true},
		{"", 0, 0, false}, {"n+", 0, 0, false}, {"2x", 0, 0, false}, {"n++1", 0, 0, false}, {"1234567890", 0, 0, false},
		{"n 1", 0, 0, false},
	}
	for _, tt := range tests {
		a, b, ok := parseAnB(tt.s)
		if ok != tt.ok || ok && (a != tt.a || b != tt.b) {
			t.Errorf("parseAnB(%q) = %d, %d, %v; want %d, %d, %v", tt.s, a, b, ok, tt.a, tt.b, tt.ok)
		}
	}
}

// matchDoc: every element has an id; the tests list the ids a selector matches.
const matchDoc = `<html id=html><body id=body>
<div id=d1 class="box main" lang=en-US data-x="Hello World">
  <p id=p1>one <b id=b1>bold</b></p>
  <p id=p2 class=note>two</p>
  <ul id=ul><li id=l1>1</li><li id=l2>2</li><li id=l3>3</li><li id=l4 class=last>4</li></ul>
  <img id=img1 src=a.png><span id=s1><a id=a1 href="/x">x</a></span>
</div>
<div id=d2 class=box><section id=sec><p id=p3><a id=a2 href="https://e.test/">e</a></p></section></div>
<svg id=svg><a id=svga href=#x /></svg>
</body></html>`

func TestSelectorMatching(t *testing.T) {
	tests := []struct {
		sel  string
		want string
	}{
		{"*", "html body d1 p1 b1 p2 ul l1 l2 l3 l4 img1 s1 a1 d2 sec p3 a2 svg svga"},
		{"p", "p1 p2 p3"},
		{"P", "p1 p2 p3"},
		{"#p2", "p2"},
		{".box", "d1 d2"},
		{".box.main", "d1"},
		{"div.main p", "p1 p2"},
		{"[href]", "a1 a2 svga"},
		{"a[href^=https]", "a2"},
		{"a[href$='/']", "a2"},
		{"a[href*='e.t']", "a2"},
		{"[lang|=en]", "d1"},
		{"[class~=note]", "p2"},
		{"[data-x='hello world' i]", "d1"},
		{"[data-x='hello world']", ""},
		{"[data-x='Hello World' s]", "d1"},
		{"div p", "p1 p2 p3"},
		{"div > p", "p1 p2"},
		{"body > div > p", "p1 p2"},
		{"body p > a", "a2"},
		{"div a", "a1 a2"},
		{"div > * > a", "a1"},
		{"section p a, #b1", "b1 a2"},
		{"li:first-child", "l1"},
		{"li:nth-child(2)", "l2"},
		{"li:nth-child(odd)", "l1 l3"},
		{"li:nth-child(-n+2)", "l1 l2"},
		{"li:nth-child(2n)", "l2 l4"},
		{"ul > :nth-child(3)", "l3"},
		{"p:first-child", "p1 p3"},
		{"p:nth-of-type(2)", "p2"},
		{"div > :first-of-type", "p1 ul img1 s1 sec"},
		{"li:not(.last)", "l1 l2 l3"},
		{"p:not(#p1, #p3)", "p2"},
		{"div :not(p):not(li)", "b1 ul img1 s1 a1 sec a2"},
		{"svg a", "svga"},
		{"img + span", ""},
	}
	// Like lol-html, the rewriter does not imply end tags: an unclosed
	// <li> holds the next one.
	tests = append(tests, struct{ sel, want string }{"li li", ""})
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			if strings.Contains(tt.sel, " + ") {
				if CheckSelector(tt.sel) == nil {
					t.Fatal("accepted")
				}
				return
			}
			var got []string
			_, _, err := drive([]htmlwit.Handlers{sel(tt.sel, true, false, false)}, Limits{}, matchDoc, nil, func(ev htmlwit.Event) []htmlwit.Mutation {
				for _, a := range ev.Element.Attributes {
					if a.F0 == "id" {
						got = append(got, a.F1)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Fields(tt.want)
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

// TestNoImpliedEndTags: as in lol-html, "<li>1<li>2" nests the second li
// in the first, for selectors as for text handlers.
func TestNoImpliedEndTags(t *testing.T) {
	var got []string
	_, _, err := drive([]htmlwit.Handlers{sel("li li", true, false, false)}, Limits{}, "<ul><li id=a>1<li id=b>2</ul><li id=c>", nil, func(ev htmlwit.Event) []htmlwit.Mutation {
		got = append(got, ev.Element.Attributes[0].F1)
		return nil
	})
	if err != nil || !slices.Equal(got, []string{"b"}) {
		t.Errorf("matched %v, err %v; want [b]", got, err)
	}
}
