package htmlrewriter_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/htmlrewriter"
	"github.com/bindery-run/bindery/host/htmlrewriter/htmlwit"
)

// Example plays the guest's part: it registers a handler for links, feeds
// a page in two pieces (cut inside a tag), answers each element event by
// rewriting the link, and collects the output.
func Example() {
	ctx := context.Background()
	r, err := htmlrewriter.New([]htmlwit.Handlers{{Tag: htmlwit.HandlersSelector,
		Selector: htmlwit.SelectorHandlers{Selector: "a[href^='/']", Element: true}}}, htmlrewriter.Limits{})
	if err != nil {
		panic(err)
	}
	var out strings.Builder
	run := func(step htmlrewriter.Step, werr *htmlwit.Error) {
		for werr == nil {
			out.Write(step.Output) // valid until the next call
			if !step.Event.Some {
				return
			}
			el := step.Event.Value.Element
			var href string
			for _, a := range el.Attributes {
				if a.F0 == "href" {
					href = a.F1
				}
			}
			step, werr = r.Resume(ctx, []htmlwit.Mutation{{Tag: htmlwit.MutationSetAttribute,
				SetAttribute: abi.Tuple2[string, string]{F0: "href", F1: "https://example.com" + href}}})
		}
		panic(werr)
	}
	run(r.Write(ctx, []byte(`<p><a href="/docs">Docs</a> and <a hr`)))
	run(r.Write(ctx, []byte(`ef='https://elsewhere.test/'>more</a></p>`)))
	run(r.End(ctx))
	fmt.Println(out.String())
	// Output: <p><a href="https://example.com/docs">Docs</a> and <a href='https://elsewhere.test/'>more</a></p>
}
