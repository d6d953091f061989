package htmlrewriter

import (
	"context"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/abi/stream"
	"github.com/bindery-run/bindery/host/htmlrewriter/htmlwit"
)

// WIT returns the host side of bindery:html/rewriter for host.Runtime's
// core interfaces. It grants nothing per Worker, so the implementation
// every Worker gets (Deny) is the whole of it.
func WIT(lim Limits) abi.Interface {
	return abi.Interface{Name: htmlwit.RewriterInterface, Define: htmlwit.DefineRewriter, Deny: &Host{Limits: lim}}
}

// Host implements the functions of bindery:html/rewriter that are not
// methods: creating a rewriter and checking a selector. It is safe for
// concurrent use; each Rewriter it creates belongs to one guest instance.
type Host struct {
	// Limits apply to every Rewriter the Host creates.
	Limits Limits
}

var _ htmlwit.RewriterHost = (*Host)(nil)

// RewriterCreate implements [static]rewriter.create.
func (h *Host) RewriterCreate(ctx context.Context, handlers []htmlwit.Handlers) (htmlwit.Rewriter, *htmlwit.Error) {
	r, err := New(handlers, h.Limits)
	if err != nil {
		return nil, witError(err)
	}
	return r, nil
}

// RewriterCheckSelector implements [static]rewriter.check-selector.
func (h *Host) RewriterCheckSelector(ctx context.Context, selector string) *htmlwit.Error {
	return witError(CheckSelector(selector))
}

var (
	_ htmlwit.Rewriter = (*Rewriter)(nil)
	_ abi.Dropper      = (*Rewriter)(nil)
)

// Write implements [method]rewriter.write: it feeds the next bytes of the
// document and runs to the first event.
func (r *Rewriter) Write(ctx context.Context, chunk []byte) (Step, *htmlwit.Error) {
	s, err := r.write(ctx, chunk)
	return s, witError(err)
}

// Resume implements [method]rewriter.resume: it applies the pending
// event's mutations and runs to the next event.
func (r *Rewriter) Resume(ctx context.Context, mutations []htmlwit.Mutation) (Step, *htmlwit.Error) {
	s, err := r.resume(ctx, mutations)
	return s, witError(err)
}

// End implements [method]rewriter.end: it ends the document and runs to
// the first event.
func (r *Rewriter) End(ctx context.Context) (Step, *htmlwit.Error) {
	s, err := r.finish(ctx)
	return s, witError(err)
}

// ReadFrom implements [method]rewriter.read-from: src becomes the
// document, which Next reads inside the host.
func (r *Rewriter) ReadFrom(ctx context.Context, src stream.InputStream) *htmlwit.Error {
	return witError(r.readFrom(src))
}

// WriteTo implements [method]rewriter.write-to: the output goes to dst
// from now on, and dst ends with the document.
func (r *Rewriter) WriteTo(ctx context.Context, dst stream.OutputStream) *htmlwit.Error {
	return witError(r.writeTo(dst))
}

// Next implements [method]rewriter.next: it reads the ReadFrom source
// until an event, until there is output for the guest, or until the
// document is complete.
func (r *Rewriter) Next(ctx context.Context) (Step, *htmlwit.Error) {
	s, err := r.next(ctx)
	return s, witError(err)
}
