package htmlrewriter

import (
	"context"
	"strings"

	"github.com/bindery-run/bindery/abi"

	"github.com/bindery-run/bindery/host/htmlrewriter/htmlwit"
)

// answerFunc is the guest's part in a test: the mutations its handlers
// make for an event.
type answerFunc func(ev htmlwit.Event) []htmlwit.Mutation

// drive runs doc through a Rewriter, cut at the given offsets (ascending),
// answering every event with answer, and returns the output and the
// events seen.
func drive(regs []htmlwit.Handlers, lim Limits, doc string, cuts []int, answer answerFunc) (string, []htmlwit.Event, error) {
	r, err := New(regs, lim)
	if err != nil {
		return "", nil, err
	}
	var out strings.Builder
	var events []htmlwit.Event
	loop := func(s Step, err error) error {
		for {
			if err != nil {
				return err
			}
			out.Write(s.Output)
			if !s.Event.Some {
				return nil
			}
			ev := s.Event.Value
			events = append(events, ev)
			var muts []htmlwit.Mutation
			if answer != nil {
				muts = answer(ev)
			}
			s, err = r.resume(context.Background(), muts)
		}
	}
	prev := 0
	for _, c := range append(cuts, len(doc)) {
		if err := loop(r.write(context.Background(), []byte(doc[prev:c]))); err != nil {
			return out.String(), events, err
		}
		prev = c
	}
	err = loop(r.finish(context.Background()))
	return out.String(), events, err
}

func sel(s string, element, comments, text bool) htmlwit.Handlers {
	return htmlwit.Handlers{Tag: htmlwit.HandlersSelector, Selector: htmlwit.SelectorHandlers{Selector: s, Element: element, Comments: comments, Text: text}}
}

func docH(doctype, comments, text, end bool) htmlwit.Handlers {
	return htmlwit.Handlers{Tag: htmlwit.HandlersDocument, Document: htmlwit.DocumentHandlers{Doctype: doctype, Comments: comments, Text: text, End: end}}
}

func html(s string) htmlwit.Content { return htmlwit.Content{Text: s, Html: true} }
func text(s string) htmlwit.Content { return htmlwit.Content{Text: s} }

func abiT(a, b string) abi.Tuple2[string, string] { return abi.Tuple2[string, string]{F0: a, F1: b} }
