package durablehost

import (
	"context"
	"errors"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/durable/sockets"
	"github.com/bindery-run/bindery/host/internal/durablewit"
	"github.com/bindery-run/bindery/host/internal/httpwit"
)

// hub returns the web socket hub of class, making it on first use.
func (h *Host) hub(class string) (*sockets.Hub, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, sockets.ErrHubClosed
	}
	if hub := h.hubs[class]; hub != nil {
		return hub, nil
	}
	opts := h.cfg.Sockets
	opts.Clock = h.clk
	opts.Logger = h.log
	opts.Deliver = func(ctx context.Context, object string, ws *sockets.Socket, ev sockets.Event) error {
		return h.deliverSocket(ctx, class, object, ws, ev)
	}
	hub, err := sockets.NewHub(opts)
	if err != nil {
		return nil, err
	}
	h.hubs[class] = hub
	return hub, nil
}

// deliverSocket runs a web socket event on its object.
func (h *Host) deliverSocket(ctx context.Context, class, object string, ws *sockets.Socket, ev sockets.Event) error {
	ns, err := h.namespace(ctx, class)
	if err != nil {
		return err
	}
	id, err := ns.IDFromString(object)
	if err != nil {
		return err
	}
	se := &socketEvent{ws: &webSocket{s: ws, h: h}, code: ev.Code, reason: ev.Reason, clean: ev.WasClean}
	switch ev.Kind {
	case sockets.EventMessage:
		se.kind = socketMessage
		if ev.Message.Binary {
			se.msg = durablewit.Message{Tag: durablewit.MessageBinary, Binary: ev.Message.Data}
		} else {
			se.msg = durablewit.Message{Tag: durablewit.MessageText, Text: string(ev.Message.Data)}
		}
	case sockets.EventClose:
		se.kind = socketClose
	default:
		se.kind, se.reason = socketError, ev.Err
	}
	res, err := h.mgr.Deliver(ctx, class, id, se)
	if ev.Kind != sockets.EventMessage {
		h.unpin(ws.Key()) // the socket is gone: its object may sleep
	}
	if err != nil {
		return err
	}
	if t, _ := res.(*durablewit.Thrown); t != nil {
		return errors.New("the handler threw " + t.Name + ": " + t.Message)
	}
	return nil
}

// acceptWebSocket accepts the web socket the fetch event's request asks
// for, on the client's connection.
func (h *Host) acceptWebSocket(ctx context.Context, st *eventState, out httpwit.ResponseOutparam, tags []string, inMemory bool) (durablewit.WebSocket, *durablewit.Error) {
	o, ok := out.(*objectOut)
	if !ok || st.fetch == nil || st.fetch.out != o {
		return nil, invalid("acceptWebSocket takes the response-outparam of the object's own fetch event")
	}
	c := o.client
	if c == nil || c.taken {
		return nil, invalid("the request is not a web socket upgrade from a client (send the Worker's own upgrade request to the object)")
	}
	hub, err := h.hub(st.obj.Class())
	if err != nil {
		return nil, errorOf(err)
	}
	if _, err := sockets.CheckTags(tags); err != nil {
		return nil, invalid("%v", err)
	}
	if !o.unsent() {
		return nil, invalid("the response was sent already")
	}
	// The client's handler waits in stub.fetch for the head, so the
	// connection is taken over while it runs; the head goes after.
	var unpin func()
	if inMemory {
		var err error
		if unpin, err = h.mgr.Pin(ctx); err != nil {
			return nil, errorOf(err)
		}
	}
	c.taken = true
	ws, err := hub.Accept(c.rw, c.r, st.obj.ID().String(), tags)
	if err != nil {
		if unpin != nil {
			unpin()
		}
		return nil, invalid("accepting the web socket: %v", err)
	}
	if unpin != nil {
		h.mu.Lock()
		h.pins[ws.Key()] = unpin
		h.mu.Unlock()
	}
	o.accepted()
	return &webSocket{s: ws, h: h}, nil
}

// webSockets lists the object's open sockets.
func (h *Host) webSockets(st *eventState, tag abi.Option[string]) []durablewit.WebSocket {
	h.mu.Lock()
	hub := h.hubs[st.obj.Class()]
	h.mu.Unlock()
	if hub == nil {
		return nil
	}
	var out []durablewit.WebSocket
	for _, s := range hub.GetWebSockets(st.obj.ID().String(), tag.Value) {
		out = append(out, &webSocket{s: s, h: h})
	}
	return out
}

func (h *Host) setAutoResponse(st *eventState, pair abi.Option[durablewit.AutoResponse]) *durablewit.Error {
	hub, err := h.hub(st.obj.Class())
	if err != nil {
		return errorOf(err)
	}
	var p *sockets.AutoResponse
	if pair.Some {
		p = &sockets.AutoResponse{Request: pair.Value.Request, Response: pair.Value.Response}
	}
	return wsError(hub.SetAutoResponse(st.obj.ID().String(), p))
}

func (h *Host) autoResponse(st *eventState) abi.Option[durablewit.AutoResponse] {
	hub, err := h.hub(st.obj.Class())
	if err != nil {
		return abi.Option[durablewit.AutoResponse]{}
	}
	p := hub.AutoResponse(st.obj.ID().String())
	if p == nil {
		return abi.Option[durablewit.AutoResponse]{}
	}
	return abi.Option[durablewit.AutoResponse]{Some: true, Value: durablewit.AutoResponse{Request: p.Request, Response: p.Response}}
}

func (h *Host) setEventTimeout(st *eventState, ms abi.Option[uint32]) *durablewit.Error {
	hub, err := h.hub(st.obj.Class())
	if err != nil {
		return errorOf(err)
	}
	var d time.Duration
	if ms.Some {
		if ms.Value == 0 {
			return invalid("the web socket event timeout must be positive")
		}
		d = time.Duration(ms.Value) * time.Millisecond
	}
	return wsError(hub.SetEventTimeout(st.obj.ID().String(), d))
}

func (h *Host) eventTimeout(st *eventState) abi.Option[uint32] {
	hub, err := h.hub(st.obj.Class())
	if err != nil {
		return abi.Option[uint32]{}
	}
	d := hub.EventTimeout(st.obj.ID().String())
	if d == 0 {
		return abi.Option[uint32]{}
	}
	return abi.Option[uint32]{Some: true, Value: uint32(d.Milliseconds())}
}

// unpin lets the object of a socket accepted without hibernation be
// evicted again, once the socket is closed.
func (h *Host) unpin(key uint64) {
	h.mu.Lock()
	unpin := h.pins[key]
	delete(h.pins, key)
	h.mu.Unlock()
	if unpin != nil {
		unpin()
	}
}

// webSocket is the guest's handle on a hibernatable socket.
type webSocket struct {
	s *sockets.Socket
	h *Host // for the unpin of a socket accepted without hibernation
}

var _ durablewit.WebSocket = (*webSocket)(nil)

func (w *webSocket) Key(ctx context.Context) uint64 { return w.s.Key() }

func (w *webSocket) Send(ctx context.Context, m durablewit.Message) *durablewit.Error {
	msg := sockets.Binary(m.Binary)
	if m.Tag == durablewit.MessageText {
		msg = sockets.Text(m.Text)
	}
	return wsError(w.s.Send(msg))
}

func (w *webSocket) Close(ctx context.Context, code abi.Option[uint16], reason string) *durablewit.Error {
	err := w.s.Close(code.Value, reason)
	if err == nil && w.h != nil {
		w.h.unpin(w.s.Key()) // no event follows the object's own close
	}
	return wsError(err)
}

func (w *webSocket) Tags(ctx context.Context) []string { return w.s.Tags() }

func (w *webSocket) SerializeAttachment(ctx context.Context, value []byte) *durablewit.Error {
	return wsError(w.s.SerializeAttachment(value))
}

func (w *webSocket) DeserializeAttachment(ctx context.Context) abi.Option[[]byte] {
	b := w.s.DeserializeAttachment()
	return abi.Option[[]byte]{Some: b != nil, Value: b}
}

func (w *webSocket) AutoResponseTimestamp(ctx context.Context) abi.Option[int64] {
	t, ok := w.s.AutoResponseTimestamp()
	return abi.Option[int64]{Some: ok, Value: t.UnixMilli()}
}

// wsError maps an error of the sockets package.
func wsError(err error) *durablewit.Error {
	var ae *sockets.ArgumentError
	var le *sockets.LimitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &le) && !errors.Is(err, sockets.ErrClosed):
		return &durablewit.Error{Tag: durablewit.ErrorLimit, Limit: err.Error()}
	case errors.Is(err, sockets.ErrClosed):
		return &durablewit.Error{Tag: durablewit.ErrorClosed, Closed: err.Error()}
	case errors.As(err, &ae):
		return &durablewit.Error{Tag: durablewit.ErrorInvalidArgument, InvalidArgument: err.Error()}
	}
	return errorOf(err)
}
