package htmlrewriter

import (
	"errors"
	"slices"
	"testing"

	"github.com/bindery-run/bindery/host/htmlrewriter/htmlwit"
)

// FuzzTokenizer: any input, cut anywhere, tokenizes without a panic or an
// error, into tokens whose bytes are the input, the same wherever it is cut.
func FuzzTokenizer(f *testing.F) {
	for _, tt := range tokenizerTests {
		f.Add(tt.doc, uint16(len(tt.doc)/2), true)
	}
	for _, doc := range malformed {
		f.Add(doc, uint16(1), false)
	}
	f.Fuzz(func(t *testing.T, doc string, cut uint16, capture bool) {
		want, all, err := tokenize(doc, nil, capture)
		if err != nil {
			t.Fatal(err)
		}
		if all != doc {
			t.Fatalf("bytes %q, want %q", all, doc)
		}
		c := int(cut) % (len(doc) + 1)
		got, all, err := tokenize(doc, []int{c}, capture)
		if err != nil {
			t.Fatal(err)
		}
		if all != doc || !slices.Equal(got, want) {
			t.Fatalf("cut at %d:\n got %q\nwant %q", c, got, want)
		}
	})
}

// FuzzSelector: parsing any string returns a selector or a SelectorError,
// never panics; a selector it takes matches a document without a panic.
func FuzzSelector(f *testing.F) {
	for _, s := range []string{"a", "div > p.x#y[z^='w' i]:not(.q):nth-child(2n+1)", "a b, c > d", `[a="\31 "]`, ":nth-of-type(-n+3)", "*:first-child"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckSelector(s)
		if err != nil {
			var se *SelectorError
			if !errors.As(err, &se) {
				t.Fatalf("%q: %v is not a SelectorError", s, err)
			}
			if se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("%q: offset %d", s, se.Offset)
			}
			return
		}
		if _, _, err := drive([]htmlwit.Handlers{sel(s, true, true, true)}, Limits{}, matchDoc, nil, nil); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
	})
}

// FuzzRewriter: any document, selector and mutations: no panic; handlers
// that change nothing give the input back byte for byte; handlers that do
// give a result that does not depend on where the input was cut; the only
// errors are the ones the guest's input can cause.
func FuzzRewriter(f *testing.F) {
	for i, doc := range malformed {
		f.Add(doc, "p", uint8(i), uint16(i))
	}
	f.Add("<div><p>x</p><!--c--></div>", "div > p", uint8(3), uint16(5))
	f.Fuzz(func(t *testing.T, doc, selector string, which uint8, cut uint16) {
		if CheckSelector(selector) != nil {
			selector = "*"
		}
		regs := []htmlwit.Handlers{sel(selector, true, true, true), docH(true, true, true, true)}
		out, _, err := drive(regs, Limits{}, doc, nil, nil)
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return
			}
			t.Fatal(err)
		}
		if out != doc {
			t.Fatalf("no-op handlers changed the document:\n got %q\nwant %q", out, doc)
		}
		answer := func(ev htmlwit.Event) []htmlwit.Mutation {
			c := html("<" + string(rune('a'+which%26)) + ">")
			switch ev.Tag {
			case htmlwit.EventElement:
				all := []htmlwit.Mutation{before(c), after(c), prepend(c), appendM(c), replace(c), inner(c), mut(htmlwit.MutationRemove),
					mut(htmlwit.MutationRemoveAndKeepContent), setName("x"), setAttr("a", `"`), removeAttr("class")}
				m := []htmlwit.Mutation{all[int(which)%len(all)]}
				if ev.Element.CanHaveContent && which%2 == 0 {
					m = append(m, mut(htmlwit.MutationOnEndTag))
				}
				return m
			case htmlwit.EventEndTag:
				return []htmlwit.Mutation{before(c), after(c), mut(htmlwit.MutationRemove)}[which%3 : which%3+1]
			case htmlwit.EventText:
				if which%4 == 0 {
					return []htmlwit.Mutation{mut(htmlwit.MutationRemove)}
				}
				return []htmlwit.Mutation{after(c)}[:int(which%2)]
			case htmlwit.EventComment:
				return []htmlwit.Mutation{setText("t"), replace(c), mut(htmlwit.MutationRemove)}[which%3 : which%3+1]
			case htmlwit.EventDocumentEnd:
				return []htmlwit.Mutation{appendM(c)}
			}
			return nil
		}
		// Text chunks depend on the cuts; a handler that does not add per
		// chunk gives the same output however the input is cut.
		stable := func(ev htmlwit.Event) []htmlwit.Mutation {
			m := answer(ev)
			if ev.Tag == htmlwit.EventText && !ev.Text.LastInTextNode && len(m) > 0 && m[0].Tag == htmlwit.MutationAfter {
				return nil
			}
			return m
		}
		want, _, err := drive(regs, Limits{}, doc, nil, stable)
		if err != nil {
			t.Fatal(err)
		}
		c := int(cut) % (len(doc) + 1)
		got, _, err := drive(regs, Limits{}, doc, []int{c}, stable)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("cut at %d:\n got %q\nwant %q", c, got, want)
		}
	})
}
