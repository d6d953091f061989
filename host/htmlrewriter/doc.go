// Package htmlrewriter is the engine behind JavaScript's HTMLRewriter: a
// streaming HTML rewriter with Cloudflare's (lol-html's) semantics, served
// to guests as the WIT interface "bindery:html/rewriter@0.1.0".
//
// The host does the work the guest's interpreter would be slow at: it
// tokenizes the document as it streams in, matches the selectors against
// the open elements, and writes the output. The guest only runs the
// user's handlers. They talk in steps (see wit/deps/html/html.wit and
// docs/design.md): Write feeds bytes and runs until a token some handler
// must see; the guest runs the handlers and answers with the mutations
// they made (Resume); the host applies them and runs on. End finishes the
// document. With ReadFrom the host reads a host stream (a request or R2
// object body) itself, driven by Next, and with WriteTo it writes the
// output to the response body itself: then the document's bytes never
// pass through the guest, only the events do.
//
//	r, err := htmlrewriter.New([]htmlwit.Handlers{{Tag: htmlwit.HandlersSelector,
//		Selector: htmlwit.SelectorHandlers{Selector: "a[href]", Element: true}}}, htmlrewriter.Limits{})
//	step, err := r.Write(ctx, []byte(`<a href="/x">`))
//	// step.Event is the <a> element; answer it:
//	step, err = r.Resume(ctx, []htmlwit.Mutation{{Tag: htmlwit.MutationSetAttribute,
//		SetAttribute: abi.Tuple2[string, string]{F0: "href", F1: "https://example.com/x"}}})
//	step, err = r.End(ctx)
//
// # Byte-exact output
//
// The tokenizer keeps every token's source bytes and never decodes
// character references or normalises anything, so whatever no mutation
// touches is written out byte for byte, malformed HTML included. Text and
// attribute values reach handlers as they are in the source (entities
// untouched), as in lol-html; bytes that are not UTF-8 reach them as
// U+FFFD but pass through unchanged. A changed start tag is written anew
// from its name and attributes (unchanged attributes keep their source
// bytes); a changed comment is written as <!--text-->.
//
// # Parsing
//
// The tokenizer follows the HTML spec's tokenizer for token boundaries:
// RCDATA (title, textarea), RAWTEXT (style, xmp, iframe, noembed,
// noframes, noscript), script data with its escaped states, PLAINTEXT,
// CDATA in SVG and MathML, bogus comments, and the spec's EOF rules. What
// the tree builder would decide is simulated as lol-html does: a
// namespace stack (svg, math, breakout tags, integration points) and a
// stack of open elements that is popped only by a matching end tag. End
// tags are never implied ("<li>a<li>b" nests the second li in the first,
// for selectors and text handlers alike), and void elements and
// self-closing foreign elements are never opened.
//
// # Limits
//
// A Rewriter keeps at most one unfinished token and what may begin one:
// text, and comments and doctypes no handler wants, stream through in the
// pieces they arrive in. A tag (and a comment or doctype a handler must
// see) is kept whole, up to [Limits].MaxTokenBytes (default 1 MiB); the
// stack of open elements is bounded by [Limits].MaxDepth (default 32768).
// Over either limit, the call fails with too-large.
//
// # Notes
//
// A [Rewriter] is not safe for concurrent use; a guest instance owns it.
// [Host] is safe for concurrent use and grants nothing per Worker:
// host.NewRuntime serves the interface to every Worker.
package htmlrewriter
