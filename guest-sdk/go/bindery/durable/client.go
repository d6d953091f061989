//go:build wasip1

package durable

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery/structured"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/bridge"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/durablewit"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/httpwit"
)

// Namespace is a Durable Object namespace binding: the objects of one
// class (env.COUNTER in JavaScript).
type Namespace struct {
	h    durablewit.Namespace
	name string
}

// namespaces are the bindings opened so far, by name: a handle per
// binding for the instance's life.
var namespaces = map[string]*Namespace{}

// Get returns the namespace binding name ("COUNTER"), as the Worker's
// config declares it. A name the config does not declare is an error of
// kind ErrNoSuchNamespace.
func Get(name string) (*Namespace, error) {
	if ns := namespaces[name]; ns != nil {
		return ns, nil
	}
	h, err := durablewit.NamespaceOpen(name)
	if err != nil {
		return nil, errorOf(err)
	}
	ns := &Namespace{h: h, name: name}
	namespaces[name] = ns
	return ns, nil
}

// ID identifies one object of a namespace: 64 hex digits, and the name it
// was made from when it came from IDFromName.
type ID struct {
	hex  string
	name string
	set  bool // the id came from a name
}

// String returns the id's 64 lower-case hex digits.
func (id ID) String() string { return id.hex }

// Name returns the name the id was made from (Cloudflare's id.name), and
// false for a unique id or one parsed from a string.
func (id ID) Name() (string, bool) { return id.name, id.set }

// Equals reports whether two ids name the same object.
func (id ID) Equals(other ID) bool { return id.hex == other.hex }

// IDFromName returns the id of the object called name: the same name
// always gives the same id.
func (n *Namespace) IDFromName(name string) (ID, error) {
	hex, err := n.h.IDFromName(name)
	if err != nil {
		return ID{}, errorOf(err)
	}
	return ID{hex: hex, name: name, set: true}, nil
}

// NewUniqueID returns a new random id, never equal to a named one.
// jurisdiction may be "", "eu" or "fedramp" (accepted and ignored
// locally).
func (n *Namespace) NewUniqueID(jurisdiction string) (ID, error) {
	j := cabi.Option[string]{Some: jurisdiction != "", Value: jurisdiction}
	hex, err := n.h.NewUniqueID(j)
	if err != nil {
		return ID{}, errorOf(err)
	}
	return ID{hex: hex}, nil
}

// IDFromString parses an id given as 64 hex digits; an id of another
// namespace, or not an id, is an error of kind ErrInvalidID.
func (n *Namespace) IDFromString(s string) (ID, error) {
	hex, err := n.h.IDFromString(s)
	if err != nil {
		return ID{}, errorOf(err)
	}
	return ID{hex: hex}, nil
}

// Get returns a stub for the object id. Making a stub does not make the
// object: its first request does.
func (n *Namespace) Get(id ID) (*Stub, error) {
	if id.set {
		return n.GetByName(id.name)
	}
	h, err := n.h.Get(id.hex)
	if err != nil {
		return nil, errorOf(err)
	}
	return &Stub{h: h, id: id}, nil
}

// GetByName returns a stub for the object called name (the object sees
// its name in State.ID).
func (n *Namespace) GetByName(name string) (*Stub, error) {
	h, err := n.h.GetByName(name)
	if err != nil {
		return nil, errorOf(err)
	}
	return &Stub{h: h, id: ID{hex: h.ID(), name: name, set: true}}, nil
}

// Stub is the way to one object: its requests and RPC calls.
type Stub struct {
	h  durablewit.Stub
	id ID
}

// ID returns the object's id.
func (s *Stub) ID() ID { return s.id }

// Close releases the stub's handle; the stub cannot be used afterwards.
func (s *Stub) Close() { s.h.Drop() }

// Fetch sends the object a request and returns its response once the
// object has sent the head; the body streams while the object writes it.
// r's URL must be absolute (the object sees it as its request's URL). A
// response with status 101 carries a web socket the object accepted:
// pass it to WriteResponse to answer the Worker's own request with it.
func (s *Stub) Fetch(r *http.Request) (*http.Response, error) {
	req, body, err := lower(r)
	if err != nil {
		return nil, err
	}
	resp, werr := s.h.Fetch(req, body)
	if werr != nil {
		return nil, errorOf(werr)
	}
	out := &http.Response{
		Status:     fmt.Sprintf("%d %s", resp.Status, http.StatusText(int(resp.Status))),
		StatusCode: int(resp.Status),
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{},
		ContentLength: -1,
		Request:       r,
	}
	for _, f := range resp.Headers {
		k := http.CanonicalHeaderKey(f.F0)
		out.Header[k] = append(out.Header[k], string(f.F1))
	}
	body2 := bridge.NewBody(resp.Body)
	if resp.Upgrade.Some {
		body2 = &upgradeBody{ReadCloser: body2, up: resp.Upgrade.Value}
	}
	out.Body = body2
	return out, nil
}

// upgradeBody is the body of a 101 response that carries a web socket.
type upgradeBody struct {
	io.ReadCloser
	up durablewit.Upgrade
}

// WriteResponse writes resp, a response from Stub.Fetch, to w: its status,
// headers and body, or, for a 101 that carries a web socket, the upgrade
// that joins the Worker's client to the object's socket (w must be the
// ResponseWriter of the client's upgrade request).
func WriteResponse(w http.ResponseWriter, resp *http.Response) error {
	defer resp.Body.Close()
	if ub, ok := resp.Body.(*upgradeBody); ok {
		out, ok := bridge.TakeOutparam(w, true)
		if !ok {
			return errors.New("durable: WriteResponse: the web socket needs the ResponseWriter of the client's request, before anything was written to it")
		}
		if err := ub.up.Forward(out); err != nil {
			return errorOf(err)
		}
		return nil
	}
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = append(h[k], vs...)
	}
	w.WriteHeader(resp.StatusCode)
	_, err := io.Copy(w, resp.Body)
	return err
}

// lower makes the WIT request of r: its body moves to the host whole when
// it is the Worker's own request body, unread.
func lower(r *http.Request) (httpwit.Request, durablewit.Body, error) {
	u := r.URL.String()
	if r.URL.Scheme == "" || r.URL.Host == "" {
		host := r.Host
		if host == "" {
			host = "do.invalid"
		}
		u = "http://" + host + r.URL.RequestURI()
	}
	req := httpwit.Request{Method: r.Method, URL: u}
	if r.Host != "" {
		req.Headers = append(req.Headers, cabi.Tuple2[string, []byte]{F0: "host", F1: []byte(r.Host)})
	}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if lk == "host" {
			continue
		}
		for _, v := range vs {
			req.Headers = append(req.Headers, cabi.Tuple2[string, []byte]{F0: lk, F1: []byte(v)})
		}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return req, durablewit.Body{Tag: durablewit.BodyBytes, Bytes: []byte{}}, nil
	}
	if s, ok := bridge.HostStream(r.Body); ok {
		return req, durablewit.Body{Tag: durablewit.BodyStream, Stream: s}, nil
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r.Body); err != nil {
		return req, durablewit.Body{}, fmt.Errorf("durable: reading the request body: %w", err)
	}
	r.Body.Close()
	return req, durablewit.Body{Tag: durablewit.BodyBytes, Bytes: buf.Bytes()}, nil
}

// Call calls the object's RPC method (a method of its Go type, named as
// the caller names it: "increment" or "Increment" both reach Increment)
// with args and decodes its result into result (a pointer, or nil to
// drop it). Arguments and results travel in the structured-value
// encoding, so an object in any language can be called. An error the
// method returned comes back as a *structured.Error (errors.As), with
// the name and message it had.
func (s *Stub) Call(method string, result any, args ...any) error {
	if args == nil {
		args = []any{}
	}
	enc, err := structured.Marshal(args)
	if err != nil {
		return fmt.Errorf("durable: %s: encoding the arguments: %w", method, err)
	}
	res, werr := s.h.Call(method, enc)
	if werr != nil {
		return errorOf(werr)
	}
	if result == nil {
		return nil
	}
	if err := structured.Unmarshal(res, result); err != nil {
		return fmt.Errorf("durable: %s: decoding the result: %w", method, err)
	}
	return nil
}
