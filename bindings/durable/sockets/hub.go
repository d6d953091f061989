package sockets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/bindery-run/bindery/host/clock"
	"github.com/coder/websocket"
)

// Cloudflare's limits (workerd's hibernation manager and WebSocket).
const (
	// MaxSockets is how many sockets one object may have accepted and
	// still open.
	MaxSockets = 32768
	// MaxTags is how many distinct tags a socket may have.
	MaxTags = 10
	// MaxTagLength is the longest tag, in bytes.
	MaxTagLength = 256
	// MaxAttachment is the largest attachment, in bytes.
	MaxAttachment = 16 * 1024
	// MaxAutoResponse is the longest auto-response request or response,
	// in bytes.
	MaxAutoResponse = 2048
	// MaxEventTimeout is the longest event timeout.
	MaxEventTimeout = 7 * 24 * time.Hour
	// MaxCloseReason is the longest close reason, in bytes.
	MaxCloseReason = 123
	// DefaultMaxMessageSize is Options.MaxMessageSize's default: 1 MiB,
	// what workerd reads on a hibernatable socket.
	DefaultMaxMessageSize = 1 << 20
)

// Defaults of the Hub's own bounds.
const (
	// DefaultInboundMessages is Options.InboundMessages's default.
	DefaultInboundMessages = 16
	// DefaultInboundBytes is Options.InboundBytes's default.
	DefaultInboundBytes = 1 << 20
	// DefaultOutboundMessages is Options.OutboundMessages's default.
	DefaultOutboundMessages = 1024
	// DefaultOutboundBytes is Options.OutboundBytes's default.
	DefaultOutboundBytes = 4 << 20
	// DefaultWriteTimeout is Options.WriteTimeout's default.
	DefaultWriteTimeout = 10 * time.Second
)

// Close codes the Hub uses.
const (
	// CodeNoStatus is the code of a close frame without a code.
	CodeNoStatus = 1005
	// CodeAbnormal is the code of a connection lost without a close frame.
	CodeAbnormal = 1006
	// CodeTooBig is the code a socket is closed with when a message is
	// over Options.MaxMessageSize.
	CodeTooBig = 1009
)

// ErrClosed is returned by a Socket's Send and Close once it is closed
// (by the object, the client, or the Hub).
var ErrClosed = errors.New("sockets: web socket is closed")

// ErrHubClosed is returned by Accept after Close.
var ErrHubClosed = errors.New("sockets: hub is closed")

// ArgumentError is an argument out of range: too many tags, a tag too
// long, a bad close code or reason, an event timeout over 7 days (the
// WIT's invalid-argument).
type ArgumentError struct {
	// Msg says which argument and why.
	Msg string
}

// Error implements error.
func (e *ArgumentError) Error() string { return "sockets: " + e.Msg }

// LimitError is a limit reached: too many sockets on the object, an
// attachment or auto-response too large, a client that does not read
// (the WIT's limit).
type LimitError struct {
	// What names the limit.
	What string
	// Limit is the limit, Got what was asked (0 when not a size).
	Limit, Got int
}

// Error implements error.
func (e *LimitError) Error() string {
	if e.Got > 0 {
		return fmt.Sprintf("sockets: %s: %d over the limit of %d", e.What, e.Got, e.Limit)
	}
	return fmt.Sprintf("sockets: %s (limit %d)", e.What, e.Limit)
}

// Message is a web socket message: text (UTF-8) or binary.
type Message struct {
	// Binary reports a binary message; false for text.
	Binary bool
	// Data is the message's bytes.
	Data []byte
}

// Text returns a text message.
func Text(s string) Message { return Message{Data: []byte(s)} }

// Binary returns a binary message.
func Binary(b []byte) Message { return Message{Binary: true, Data: b} }

// EventKind is what happened on a socket.
type EventKind int

// The kinds of Event.
const (
	// EventMessage is a message from the client (webSocketMessage).
	EventMessage EventKind = iota
	// EventClose is the socket closing (webSocketClose).
	EventClose
	// EventError is the socket failing (webSocketError); it is closed.
	EventError
)

// String names the kind as the object's export does.
func (k EventKind) String() string {
	switch k {
	case EventMessage:
		return "web-socket-message"
	case EventClose:
		return "web-socket-close"
	case EventError:
		return "web-socket-error"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one event for an object: a message, the close or an error.
type Event struct {
	// Kind says which of the other fields are set.
	Kind EventKind
	// Message is EventMessage's message.
	Message Message
	// Code, Reason and WasClean are EventClose's (Code is 1005 when the
	// client sent none, 1006 when the connection was lost).
	Code     uint16
	Reason   string
	WasClean bool
	// Err is EventError's reason.
	Err string
}

// DeliverFunc runs the object's event for ev on ws: it wakes the object
// (object is the key given to Accept) and calls its web-socket-message,
// -close or -error export. The Hub calls it one at a time per object. ctx
// is cancelled at the object's event timeout and when the Hub closes;
// DeliverFunc must return then. An error is logged; the socket stays open.
type DeliverFunc func(ctx context.Context, object string, ws *Socket, ev Event) error

// AutoResponse is a request and the response the Hub sends to it without
// waking the object (setWebSocketAutoResponse); both are text.
type AutoResponse struct {
	Request, Response string
}

// Options configure a Hub. Deliver is required; zero values are defaults.
type Options struct {
	// Deliver runs an object's socket events.
	Deliver DeliverFunc
	// MaxSockets is how many sockets one object may have open; default
	// (and at most) MaxSockets.
	MaxSockets int
	// MaxMessageSize is the largest message a client may send; a larger
	// one closes the socket with 1009. Default 1 MiB.
	MaxMessageSize int64
	// InboundMessages and InboundBytes bound what a socket reads ahead of
	// its object: at most this many messages, or about this many bytes
	// (plus one message), wait for delivery before the Hub stops reading
	// the socket. Defaults 16 and 1 MiB.
	InboundMessages int
	InboundBytes    int64
	// OutboundMessages and OutboundBytes bound what waits to be written to
	// a socket; a Send past either closes the socket (its client does not
	// read). Defaults 1024 and 4 MiB.
	OutboundMessages int
	OutboundBytes    int64
	// WriteTimeout is the longest one write may take before the socket is
	// closed. Default 10 s.
	WriteTimeout time.Duration
	// Clock gives auto-response timestamps; default the real clock.
	Clock clock.Clock
	// Logger gets failed events; default slog.Default().
	Logger *slog.Logger
}

// Hub keeps the hibernatable web sockets of one class's objects. Its
// methods are safe for concurrent use.
type Hub struct {
	opts   Options
	ctx    context.Context // reads and writes
	cancel context.CancelFunc
	// evCtx is the parent of every delivery's context.
	evCtx        context.Context
	cancelEvents context.CancelFunc
	wg           sync.WaitGroup
	nextID       atomic.Uint64

	mu      sync.Mutex
	closed  bool
	objects map[string]*object
	sockets map[uint64]*Socket
}

// object is one object's sockets, settings and event queue.
type object struct {
	key string

	// guarded by Hub.mu
	sockets  map[uint64]*Socket
	tags     map[string]map[uint64]*Socket
	auto     *AutoResponse
	timeout  time.Duration
	queue    []queued
	running  bool
	reserved int // Accepts in progress
}

type queued struct {
	ws *Socket
	ev Event
}

// NewHub returns a Hub that delivers events through opts.Deliver.
func NewHub(opts Options) (*Hub, error) {
	if opts.Deliver == nil {
		return nil, errors.New("sockets: Options.Deliver is required")
	}
	if opts.MaxSockets <= 0 || opts.MaxSockets > MaxSockets {
		opts.MaxSockets = MaxSockets
	}
	if opts.MaxMessageSize <= 0 {
		opts.MaxMessageSize = DefaultMaxMessageSize
	}
	if opts.InboundMessages <= 0 {
		opts.InboundMessages = DefaultInboundMessages
	}
	if opts.InboundBytes <= 0 {
		opts.InboundBytes = DefaultInboundBytes
	}
	if opts.OutboundMessages <= 0 {
		opts.OutboundMessages = DefaultOutboundMessages
	}
	if opts.OutboundBytes <= 0 {
		opts.OutboundBytes = DefaultOutboundBytes
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	opts.Clock = clock.Or(opts.Clock)
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	evCtx, cancelEvents := context.WithCancel(context.Background())
	return &Hub{
		opts: opts, ctx: ctx, cancel: cancel, evCtx: evCtx, cancelEvents: cancelEvents,
		objects: map[string]*object{},
		sockets: map[uint64]*Socket{},
	}, nil
}

// CheckTags returns the distinct tags of tags, in their first order, or an
// *ArgumentError for more than MaxTags distinct tags or a tag longer than
// MaxTagLength (as workerd counts them).
func CheckTags(tags []string) ([]string, error) {
	var out []string
	for _, t := range tags {
		if len(out) >= MaxTags {
			return nil, &ArgumentError{Msg: fmt.Sprintf("a web socket cannot have more than %d tags", MaxTags)}
		}
		if len(t) > MaxTagLength {
			return nil, &ArgumentError{Msg: fmt.Sprintf("tag %.40q… is longer than %d characters (%d)", t, MaxTagLength, len(t))}
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// obj returns the object of key, made if absent. h.mu is held.
func (h *Hub) obj(key string) *object {
	o := h.objects[key]
	if o == nil {
		o = &object{key: key, sockets: map[uint64]*Socket{}, tags: map[string]map[uint64]*Socket{}}
		h.objects[key] = o
	}
	return o
}

// gc forgets o when it holds nothing. h.mu is held.
func (h *Hub) gc(o *object) {
	if len(o.sockets) == 0 && o.reserved == 0 && !o.running && len(o.queue) == 0 && o.auto == nil && o.timeout == 0 {
		delete(h.objects, o.key)
	}
}

// Accept answers r, a web socket upgrade, with 101 through w, and keeps
// the socket for object with tags (acceptWebSocket). Its events go to
// Options.Deliver from now on. Errors: *ArgumentError for bad tags,
// *LimitError when the object has MaxSockets open (both before anything is
// written to w), or the upgrade's error (the request is no upgrade; w has
// the error response then).
func (h *Hub) Accept(w http.ResponseWriter, r *http.Request, object string, tags []string) (*Socket, error) {
	tags, err := CheckTags(tags)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrHubClosed
	}
	o := h.obj(object)
	if len(o.sockets)+o.reserved >= h.opts.MaxSockets {
		h.gc(o)
		h.mu.Unlock()
		return nil, &LimitError{What: fmt.Sprintf("object %q has too many web sockets", object), Limit: h.opts.MaxSockets}
	}
	o.reserved++
	h.mu.Unlock()

	// The Worker decides whom it lets in (Cloudflare checks no origin).
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	h.mu.Lock()
	defer h.mu.Unlock()
	o.reserved--
	if err == nil && h.closed {
		conn.CloseNow()
		err = ErrHubClosed
	}
	if err != nil {
		h.gc(o)
		return nil, fmt.Errorf("sockets: accepting a web socket for %q: %w", object, err)
	}
	conn.SetReadLimit(h.opts.MaxMessageSize)
	s := &Socket{
		hub: h, obj: o, key: h.nextID.Add(1), conn: conn, tags: tags,
		space: make(chan struct{}, 1), wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	o.sockets[s.key] = s
	for _, t := range tags {
		m := o.tags[t]
		if m == nil {
			m = map[uint64]*Socket{}
			o.tags[t] = m
		}
		m[s.key] = s
	}
	h.sockets[s.key] = s
	h.wg.Add(2)
	go s.readLoop()
	go s.writeLoop()
	return s, nil
}

// Socket returns the open socket whose Key is key, or nil.
func (h *Hub) Socket(key uint64) *Socket {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sockets[key]
}

// GetWebSockets returns object's open sockets, those tagged tag when tag
// is not empty (getWebSockets), in the order they were accepted.
func (h *Hub) GetWebSockets(object string, tag string) []*Socket {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.objects[object]
	if o == nil {
		return nil
	}
	set := o.sockets
	if tag != "" {
		set = o.tags[tag]
	}
	out := make([]*Socket, 0, len(set))
	for _, s := range set {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *Socket) int { return compare(a.key, b.key) })
	return out
}

func compare(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// SetAutoResponse sets object's auto-response, or clears it when pair is
// nil (setWebSocketAutoResponse). A request or response over
// MaxAutoResponse bytes is a *LimitError.
func (h *Hub) SetAutoResponse(object string, pair *AutoResponse) error {
	if pair != nil {
		for _, s := range []struct{ what, v string }{{"request", pair.Request}, {"response", pair.Response}} {
			if len(s.v) > MaxAutoResponse {
				return &LimitError{What: "auto-response " + s.what, Limit: MaxAutoResponse, Got: len(s.v)}
			}
		}
		p := *pair
		pair = &p
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.obj(object)
	o.auto = pair
	h.gc(o)
	return nil
}

// AutoResponse returns object's auto-response, nil if none is set.
func (h *Hub) AutoResponse(object string) *AutoResponse {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o := h.objects[object]; o != nil && o.auto != nil {
		p := *o.auto
		return &p
	}
	return nil
}

// SetEventTimeout sets how long each of object's socket events may run
// (setHibernatableWebSocketEventTimeout); 0 for no limit. Over
// MaxEventTimeout, or negative, is an *ArgumentError.
func (h *Hub) SetEventTimeout(object string, d time.Duration) error {
	if d < 0 || d > MaxEventTimeout {
		return &ArgumentError{Msg: fmt.Sprintf("event timeout %v is not within 0 and %v", d, MaxEventTimeout)}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.obj(object)
	o.timeout = d
	h.gc(o)
	return nil
}

// EventTimeout returns object's event timeout, 0 if none.
func (h *Hub) EventTimeout(object string) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o := h.objects[object]; o != nil {
		return o.timeout
	}
	return 0
}

// Close closes every socket (with 1001, going away, waiting at most 5 s
// for each client's answer), cancels the events in progress and waits
// for the Hub's goroutines. No event is delivered after Close.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	socks := make([]*Socket, 0, len(h.sockets))
	for _, s := range h.sockets {
		socks = append(socks, s)
	}
	h.mu.Unlock()
	h.cancelEvents()
	var wg sync.WaitGroup
	for _, s := range socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.conn.Close(1001, "host shutting down")
		}()
	}
	wg.Wait()
	h.cancel()
	h.wg.Wait()
	return nil
}

// enqueue adds ev for ws to its object's queue and starts the object's
// deliverer if it is idle. h.mu is held.
func (h *Hub) enqueue(ws *Socket, ev Event) {
	o := ws.obj
	o.queue = append(o.queue, queued{ws, ev})
	if !o.running {
		o.running = true
		h.wg.Add(1)
		go h.deliverLoop(o)
	}
}

// deliverLoop delivers o's events one at a time until its queue is empty.
func (h *Hub) deliverLoop(o *object) {
	defer h.wg.Done()
	for {
		h.mu.Lock()
		if len(o.queue) == 0 || h.closed {
			o.running = false
			for _, q := range o.queue {
				q.ws.release(q.ev)
			}
			o.queue = nil
			h.gc(o)
			h.mu.Unlock()
			return
		}
		q := o.queue[0]
		o.queue[0] = queued{}
		o.queue = o.queue[1:]
		if len(o.queue) == 0 {
			o.queue = nil
		}
		timeout := o.timeout
		if q.ws.objClosed {
			q.ws.release(q.ev)
			h.mu.Unlock()
			continue
		}
		h.mu.Unlock()

		ctx, cancel := h.evCtx, context.CancelFunc(func() {})
		if timeout > 0 {
			ctx, cancel = context.WithTimeout(ctx, timeout)
		}
		err := h.opts.Deliver(ctx, o.key, q.ws, q.ev)
		if err == nil && ctx.Err() == context.DeadlineExceeded {
			err = ctx.Err()
		}
		cancel()
		if err != nil && h.evCtx.Err() == nil {
			h.opts.Logger.Error("durable object web socket event failed",
				"object", o.key, "socket", q.ws.key, "event", q.ev.Kind.String(), "error", err)
		}
		h.mu.Lock()
		q.ws.release(q.ev)
		h.mu.Unlock()
	}
}

// Socket is one hibernatable web socket. Its methods are safe for
// concurrent use; a Socket stays valid (Tags, attachment) after it closes.
type Socket struct {
	hub  *Hub
	obj  *object
	key  uint64
	conn *websocket.Conn
	tags []string

	space chan struct{} // signalled when a queued event is delivered
	wake  chan struct{} // signalled when out has something
	done  chan struct{} // closed when the reader ends

	// guarded by Hub.mu
	pendingIn    int
	pendingBytes int64
	terminal     bool // the last event is queued or none will come
	objClosed    bool // the object closed it: queued events are dropped
	ended        bool // the reader has ended
	removed      bool

	mu         sync.Mutex
	attachment []byte
	autoAt     time.Time
	out        []outgoing
	outBytes   int64
	closing    bool // Close called, or the client does not read
}

type outgoing struct {
	msg    Message
	close  bool
	code   uint16
	reason string
}

// Key returns the number that names the socket in its Hub.
func (s *Socket) Key() uint64 { return s.key }

// Object returns the key of the socket's object.
func (s *Socket) Object() string { return s.obj.key }

// Tags returns the socket's tags (getTags).
func (s *Socket) Tags() []string { return slices.Clone(s.tags) }

// SerializeAttachment keeps value with the socket across hibernation
// (serializeAttachment); nil clears it. Over MaxAttachment bytes is a
// *LimitError.
func (s *Socket) SerializeAttachment(value []byte) error {
	if len(value) > MaxAttachment {
		return &LimitError{What: "web socket attachment", Limit: MaxAttachment, Got: len(value)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attachment = slices.Clone(value)
	return nil
}

// DeserializeAttachment returns what SerializeAttachment kept, nil if
// nothing.
func (s *Socket) DeserializeAttachment() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.attachment)
}

// AutoResponseTimestamp returns when the Hub last sent the auto-response
// on the socket, and false if never.
func (s *Socket) AutoResponseTimestamp() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.autoAt, !s.autoAt.IsZero()
}

// Send queues m for the client. It returns ErrClosed once the socket is
// closed, and a *LimitError (wrapping ErrClosed) when the client has left
// Options.OutboundMessages messages or OutboundBytes bytes unread: the
// socket is closed then.
func (s *Socket) Send(m Message) error {
	if !m.Binary && !utf8.Valid(m.Data) {
		return &ArgumentError{Msg: "a text message must be UTF-8"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || s.isDone() {
		return fmt.Errorf("sending on web socket %d: %w", s.key, ErrClosed)
	}
	o := s.hub.opts
	if len(s.out)+1 > o.OutboundMessages || s.outBytes+int64(len(m.Data)) > o.OutboundBytes {
		s.closing = true
		s.out = nil
		go s.conn.CloseNow()
		return fmt.Errorf("%w: %w", &LimitError{What: fmt.Sprintf("web socket %d: its client does not read; closed", s.key), Limit: o.OutboundMessages}, ErrClosed)
	}
	s.out = append(s.out, outgoing{msg: Message{Binary: m.Binary, Data: slices.Clone(m.Data)}})
	s.outBytes += int64(len(m.Data))
	s.signal()
	return nil
}

// Close closes the socket with code and reason after the messages sent
// before it: code 0 sends no code (1005), otherwise it must be 1000 or
// within 3000 and 4999; reason is at most 123 bytes and needs a code. No
// event is delivered for the socket afterwards. ErrClosed if it is
// closed already.
func (s *Socket) Close(code uint16, reason string) error {
	if code != 0 && code != 1000 && (code < 3000 || code > 4999) {
		return &ArgumentError{Msg: fmt.Sprintf("invalid web socket close code %d: 1000 or 3000 to 4999", code)}
	}
	if len(reason) > MaxCloseReason {
		return &ArgumentError{Msg: fmt.Sprintf("web socket close reason of %d bytes: at most %d", len(reason), MaxCloseReason)}
	}
	if code == 0 && reason != "" {
		return &ArgumentError{Msg: "a web socket close reason needs a code"}
	}
	if code == 0 {
		code = CodeNoStatus
	}
	return s.close(code, reason)
}

// close queues the close frame after what was sent before.
func (s *Socket) close(code uint16, reason string) error {
	s.mu.Lock()
	if s.closing || s.isDone() {
		s.mu.Unlock()
		return fmt.Errorf("closing web socket %d: %w", s.key, ErrClosed)
	}
	s.closing = true
	s.out = append(s.out, outgoing{close: true, code: code, reason: reason})
	s.signal()
	s.mu.Unlock()
	// No event after the object's own close.
	h := s.hub
	h.mu.Lock()
	s.terminal = true
	s.objClosed = true
	h.mu.Unlock()
	return nil
}

func (s *Socket) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Socket) isDone() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// writeLoop writes what Send and Close queue, in order.
func (s *Socket) writeLoop() {
	defer s.hub.wg.Done()
	for {
		s.mu.Lock()
		if len(s.out) == 0 {
			s.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			}
		}
		m := s.out[0]
		s.out[0] = outgoing{}
		s.out = s.out[1:]
		s.outBytes -= int64(len(m.msg.Data))
		s.mu.Unlock()
		if m.close {
			// Close writes the frame and waits (at most 5 s) for the
			// client's; the reader sees the end either way.
			s.conn.Close(websocket.StatusCode(m.code), m.reason)
			return
		}
		typ := websocket.MessageText
		if m.msg.Binary {
			typ = websocket.MessageBinary
		}
		ctx, cancel := context.WithTimeout(s.hub.ctx, s.hub.opts.WriteTimeout)
		err := s.conn.Write(ctx, typ, m.msg.Data)
		cancel()
		if err != nil {
			s.mu.Lock()
			s.closing = true
			s.out = nil
			s.mu.Unlock()
			s.conn.CloseNow()
			return
		}
	}
}

// readLoop reads the client's messages, answers the auto-response, and
// queues the rest for the object, holding back when too much waits.
func (s *Socket) readLoop() {
	h := s.hub
	defer h.wg.Done()
	defer close(s.done)
	for {
		h.mu.Lock()
		full := s.pendingIn >= h.opts.InboundMessages || s.pendingBytes >= h.opts.InboundBytes
		h.mu.Unlock()
		if full {
			select {
			case <-s.space:
				continue
			case <-h.ctx.Done():
				s.finish(Event{}, false)
				return
			}
		}
		typ, data, err := s.conn.Read(h.ctx)
		if err != nil {
			s.finish(s.endEvent(err))
			return
		}
		if typ == websocket.MessageText && s.autoRespond(data) {
			continue
		}
		h.mu.Lock()
		if s.terminal {
			h.mu.Unlock()
			continue // the object closed it: drain until the end
		}
		s.pendingIn++
		s.pendingBytes += int64(len(data))
		h.enqueue(s, Event{Kind: EventMessage, Message: Message{Binary: typ == websocket.MessageBinary, Data: data}})
		h.mu.Unlock()
	}
}

// autoRespond sends the object's auto-response if data is its request.
func (s *Socket) autoRespond(data []byte) bool {
	h := s.hub
	h.mu.Lock()
	a := s.obj.auto
	h.mu.Unlock()
	if a == nil || string(data) != a.Request {
		return false
	}
	now := h.opts.Clock.Now()
	s.mu.Lock()
	s.autoAt = now
	s.mu.Unlock()
	s.Send(Text(a.Response)) // a closed socket simply gets nothing
	return true
}

// endEvent is the event for the read error that ended the socket, and
// whether there is one.
func (s *Socket) endEvent(err error) (Event, bool) {
	if s.hub.evCtx.Err() != nil {
		return Event{}, false
	}
	var ce websocket.CloseError
	switch {
	case errors.As(err, &ce):
		return Event{Kind: EventClose, Code: uint16(ce.Code), Reason: ce.Reason, WasClean: true}, true
	case errors.Is(err, websocket.ErrMessageTooBig):
		s.conn.CloseNow() // the 1009 close frame is written already
		return Event{Kind: EventError, Err: fmt.Sprintf("message too large: over %d bytes; closed with 1009", s.hub.opts.MaxMessageSize)}, true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return Event{Kind: EventClose, Code: CodeAbnormal, Reason: "WebSocket disconnected without sending Close frame.", WasClean: false}, true
	default:
		s.conn.CloseNow()
		return Event{Kind: EventError, Err: err.Error()}, true
	}
}

// finish queues the socket's last event (if ok and the object did not
// close it), or removes the socket at once.
func (s *Socket) finish(ev Event, ok bool) {
	s.conn.CloseNow()
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	s.ended = true
	if ok && !s.terminal && !h.closed {
		s.terminal = true
		s.pendingIn++
		h.enqueue(s, ev)
		return
	}
	s.terminal = true
	if s.pendingIn == 0 {
		s.remove()
	}
}

// release accounts for a delivered (or dropped) event of s: it makes room
// for the reader, and removes s after its last event. h.mu is held.
func (s *Socket) release(ev Event) {
	s.pendingIn--
	if ev.Kind == EventMessage {
		s.pendingBytes -= int64(len(ev.Message.Data))
	}
	select {
	case s.space <- struct{}{}:
	default:
	}
	if s.pendingIn == 0 && s.terminal && s.ended {
		s.remove()
	}
}

// remove takes s out of its object and the Hub. h.mu is held.
func (s *Socket) remove() {
	if s.removed {
		return
	}
	s.removed = true
	o, h := s.obj, s.hub
	delete(o.sockets, s.key)
	for _, t := range s.tags {
		if m := o.tags[t]; m != nil {
			delete(m, s.key)
			if len(m) == 0 {
				delete(o.tags, t)
			}
		}
	}
	delete(h.sockets, s.key)
	h.gc(o)
}
