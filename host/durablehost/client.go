package durablehost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/abi/stream"
	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/internal/durablewit"
	"github.com/bindery-run/bindery/host/internal/httpwit"
)

// Client is the client binding (bindery:durable/client): the Worker's
// namespaces. It is a host.Attacher: host.NewWorker attaches the Host to
// the Worker it is granted to.
type Client struct{ h *Host }

var (
	_ durablewit.ClientHost = (*Client)(nil)
	_ host.Attacher         = (*Client)(nil)
)

// WIT returns the interface the binding serves.
func (c *Client) WIT() abi.Interface { return ClientWIT() }

// ClientWIT returns the host side of bindery:durable/client, denying every
// namespace (a Worker granted no Durable Objects).
func ClientWIT() abi.Interface {
	return abi.Interface{Name: durablewit.ClientInterface, Define: durablewit.DefineClient, Deny: &Client{}}
}

// Attach starts the Host on w.
func (c *Client) Attach(ctx context.Context, w *host.Worker) (func(context.Context) error, error) {
	return c.h.attach(ctx, w)
}

// NamespaceOpen opens the binding name.
func (c *Client) NamespaceOpen(ctx context.Context, name string) (durablewit.Namespace, *durablewit.Error) {
	if c.h == nil {
		return nil, &durablewit.Error{Tag: durablewit.ErrorNoSuchNamespace, NoSuchNamespace: fmt.Sprintf("no Durable Object binding %q: the Worker's config declares none", name)}
	}
	h := c.h
	class, ok := h.cfg.Namespaces[name]
	if !ok {
		r, remote := h.cfg.Remote[name]
		if !remote {
			return nil, &durablewit.Error{Tag: durablewit.ErrorNoSuchNamespace, NoSuchNamespace: fmt.Sprintf("no Durable Object binding %q in the Worker's config", name)}
		}
		var found bool
		if h.cfg.Peer != nil {
			h, found = h.cfg.Peer(r.Script)
		}
		if !found {
			return nil, &durablewit.Error{Tag: durablewit.ErrorNoSuchNamespace, NoSuchNamespace: fmt.Sprintf("binding %s: the Worker %q (script_name) is not served here: give its config to bindery dev too (bindery dev -c this/wrangler.toml -c %s/wrangler.toml)", name, r.Script, r.Script)}
		}
		if _, defined := h.cfg.Classes[r.Class]; !defined {
			return nil, &durablewit.Error{Tag: durablewit.ErrorNoSuchNamespace, NoSuchNamespace: fmt.Sprintf("binding %s: the Worker %q has no Durable Object class %q (it has %q)", name, r.Script, r.Class, h.classNames())}
		}
		class = r.Class
	}
	ids, err := h.namespace(ctx, class)
	if err != nil {
		return nil, errorOf(err)
	}
	return &namespace{h: h, class: class, ids: ids}, nil
}

// namespace is an open namespace binding.
type namespace struct {
	h     *Host
	class string
	ids   *durable.Namespace
}

func (n *namespace) IDFromName(ctx context.Context, name string) (string, *durablewit.Error) {
	return n.ids.IDFromName(name).String(), nil
}

func (n *namespace) NewUniqueID(ctx context.Context, jurisdiction abi.Option[string]) (string, *durablewit.Error) {
	if jurisdiction.Some && jurisdiction.Value != "eu" && jurisdiction.Value != "fedramp" {
		return "", invalid("unknown jurisdiction %q: Cloudflare accepts \"eu\" and \"fedramp\"", jurisdiction.Value)
	}
	id, err := n.ids.NewUniqueID()
	if err != nil {
		return "", errorOf(err)
	}
	return id.String(), nil
}

func (n *namespace) IDFromString(ctx context.Context, id string) (string, *durablewit.Error) {
	oid, err := n.ids.IDFromString(id)
	if err != nil {
		return "", errorOf(err)
	}
	return oid.String(), nil
}

func (n *namespace) Get(ctx context.Context, id string) (durablewit.Stub, *durablewit.Error) {
	oid, err := n.ids.IDFromString(id)
	if err != nil {
		return nil, errorOf(err)
	}
	return &stub{h: n.h, class: n.class, id: oid}, nil
}

func (n *namespace) GetByName(ctx context.Context, name string) (durablewit.Stub, *durablewit.Error) {
	return &stub{h: n.h, class: n.class, id: n.ids.IDFromName(name), name: abi.Option[string]{Some: true, Value: name}}, nil
}

// stub is the way to one object.
type stub struct {
	h     *Host
	class string
	id    durable.ID
	name  abi.Option[string]
}

func (s *stub) ID(ctx context.Context) string { return s.id.String() }

// refuseInTx refuses a call to an object while the calling object holds
// a transaction open: waiting on another object while holding the
// storage could wait on itself.
func refuseInTx(ctx context.Context) *durablewit.Error {
	if st := eventOf(ctx); st != nil && len(st.txs) > 0 {
		return refused("a Durable Object cannot call another object (or itself) while a transaction is open")
	}
	return nil
}

// Call calls an RPC method.
func (s *stub) Call(ctx context.Context, method string, args []byte) ([]byte, *durablewit.Error) {
	if e := refuseInTx(ctx); e != nil {
		return nil, e
	}
	res, err := s.h.mgr.Deliver(ctx, s.class, s.id, &callEvent{name: s.name, method: method, args: args})
	if err != nil {
		return nil, errorOf(err)
	}
	r := res.(*callResult)
	if r.thrown != nil {
		return nil, &durablewit.Error{Tag: durablewit.ErrorThrown, Thrown: *r.thrown}
	}
	return r.value, nil
}

// Fetch sends the object a request and returns the head of its response,
// whose body streams: the object's event runs on until it ends it.
func (s *stub) Fetch(ctx context.Context, req httpwit.Request, body durablewit.Body) (durablewit.Response, *durablewit.Error) {
	if e := refuseInTx(ctx); e != nil {
		return durablewit.Response{}, e
	}
	var in stream.InputStream
	switch body.Tag {
	case durablewit.BodyStream:
		in = body.Stream
	default:
		in = stream.FromReadCloser(ctx, bytesBody(body.Bytes))
	}
	ev := &fetchEvent{name: s.name, req: req, body: in, out: newObjectOut(clientOf(ctx, req))}
	// The event runs on after the head: its context must outlive this
	// call (which ends when Wait returns), yet end with the caller's.
	err := s.h.mgr.Wait(ctx, func(wctx context.Context) error {
		dctx, cancel := context.WithCancel(context.WithoutCancel(wctx))
		stop := context.AfterFunc(ctx, cancel)
		go func() {
			defer cancel()
			defer stop()
			if _, err := s.h.mgr.Deliver(dctx, s.class, s.id, ev); err != nil {
				ev.out.finish(err)
			}
		}()
		select {
		case <-ev.out.head:
			return nil
		case <-wctx.Done():
			return wctx.Err()
		}
	})
	if err != nil {
		return durablewit.Response{}, errorOf(err)
	}
	return ev.out.response(ctx)
}

// clientOf returns the client connection a fetch to an object may take
// over for a web socket: the one the calling event has (an object
// forwarding its own request), or the one of the Worker's request, when
// req asks for a web socket.
func clientOf(ctx context.Context, req httpwit.Request) *clientConn {
	if !isUpgrade(req) {
		return nil
	}
	if st := eventOf(ctx); st != nil && st.client != nil {
		return st.client
	}
	if rw, r, ok := host.Client(ctx); ok {
		return &clientConn{rw: rw, r: r}
	}
	return nil
}

// isUpgrade reports whether req asks for a web socket.
func isUpgrade(req httpwit.Request) bool {
	for _, f := range req.Headers {
		if f.F0 == "upgrade" && strings.EqualFold(strings.TrimSpace(string(f.F1)), "websocket") {
			return true
		}
	}
	return false
}

// clientConn is a client's connection an object may accept a web socket
// on.
type clientConn struct {
	rw    http.ResponseWriter
	r     *http.Request
	taken bool
}

// upgrade is the web socket an object accepted, as its response carries
// it to the Worker.
type upgrade struct{}

// Forward answers the Worker's request with the object's 101: the object
// took the client's connection over when it accepted the socket.
func (upgrade) Forward(ctx context.Context, out httpwit.ResponseOutparam) *durablewit.Error {
	if !host.Upgraded(out) {
		return invalid("the response-outparam is not the one of the request the web socket came from, or it was answered already")
	}
	return nil
}

var errNoResponse = errors.New("the object's fetch handler returned without a response")
