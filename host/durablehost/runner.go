package durablehost

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/abi/stream"
	"github.com/bindery-run/bindery/bindings/durable/objects"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/internal/durablewit"
	"github.com/bindery-run/bindery/host/internal/httpwit"
)

// The events the runner delivers: what Manager.Deliver carries.
type (
	// fetchEvent is a request to the object (stub.fetch).
	fetchEvent struct {
		name abi.Option[string] // the object's name, when reached by name
		req  httpwit.Request
		body stream.InputStream
		out  *objectOut
	}
	// callEvent is an RPC call; its result is a *callResult.
	callEvent struct {
		name   abi.Option[string]
		method string
		args   []byte
	}
	// alarmEvent is the object's alarm; its result is the *Thrown, if
	// the handler threw.
	alarmEvent struct {
		info durablewit.AlarmInfo
	}
	// socketEvent is a web socket's message, close or error.
	socketEvent struct {
		ws     *webSocket
		kind   socketEventKind
		msg    durablewit.Message
		code   uint16
		reason string
		clean  bool
	}
)

type socketEventKind uint8

const (
	socketMessage socketEventKind = iota
	socketClose
	socketError
)

// adminEvent is host code that uses the object's storage between its
// events (the admin API, bindery do): with write, the object's memory is
// dropped afterwards, so that its next event reads what was written.
type adminEvent struct {
	fn    func(ctx context.Context, s storage.Storage) error
	write bool
}

// callResult is the result of a callEvent.
type callResult struct {
	value  []byte
	thrown *durablewit.Thrown
}

// errAborted is the error of an event whose object called abort.
var errAborted = errors.New("the object called abort")

// runner is the manager's Runner: instances are host.Held instances of
// the attached Worker.
type runner struct{ h *Host }

// moduleInfo is what a module's describe export returned.
type moduleInfo struct {
	info durablewit.ModuleInfo
}

func (m *moduleInfo) defines(class string) bool { return slices.Contains(m.info.Classes, class) }

// describe calls the describe export on held.
func (h *Host) describe(ctx context.Context, held *host.Held) (*moduleInfo, error) {
	var info durablewit.ModuleInfo
	err := held.Call(ctx, func(ctx context.Context, a *abi.Instance, depth int) error {
		ex, err := durablewit.NewObjectExports(a.Lookup())
		if err != nil {
			return fmt.Errorf("the Worker defines no Durable Object classes (it is not of world worker-with-objects: %w)", err)
		}
		info, err = ex.Describe(ctx, a)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &moduleInfo{info: info}, nil
}

// NewInstance holds a new instance of the Worker's module for class.
func (r runner) NewInstance(ctx context.Context, class string) (objects.Instance, error) {
	w, err := r.h.worker()
	if err != nil {
		return nil, err
	}
	held, err := w.Hold(ctx)
	if err != nil {
		return nil, err
	}
	in, err := r.h.describe(ctx, held)
	if err != nil {
		held.Close(ctx)
		return nil, err
	}
	if !in.defines(class) {
		held.Close(ctx)
		return nil, fmt.Errorf("the Worker does not define the Durable Object class %q", class)
	}
	return &instance{h: r.h, held: held, class: class, nest: in.info.Reentrant}, nil
}

// instance is one held instance hosting objects of a class.
type instance struct {
	h     *Host
	held  *host.Held
	class string
	nest  bool
	// exports are the object exports per nesting depth: a wazero
	// function may not be re-entered, so each depth has its own.
	exports []*durablewit.ObjectExports
}

func (in *instance) CanNest() bool { return in.nest }

// exportsAt returns the object exports for a call at depth.
func (in *instance) exportsAt(a *abi.Instance, depth int) (*durablewit.ObjectExports, error) {
	for len(in.exports) <= depth {
		in.exports = append(in.exports, nil)
	}
	if in.exports[depth] == nil {
		ex, err := durablewit.NewObjectExports(a.Lookup())
		if err != nil {
			return nil, err
		}
		in.exports[depth] = ex
	}
	return in.exports[depth], nil
}

// info is the object-info of obj's event.
func info(obj *objects.Object, name abi.Option[string]) durablewit.ObjectInfo {
	return durablewit.ObjectInfo{ClassName: obj.Class(), ID: obj.ID().String(), Name: name}
}

// Run runs one event for obj.
func (in *instance) Run(ctx context.Context, obj *objects.Object, ev any) (any, error) {
	if a, ok := ev.(*adminEvent); ok {
		return nil, in.runAdmin(ctx, obj, a)
	}
	// An event, once it runs, is not ended by its caller going away (a
	// client that disconnects): stopping it would stop the instance, and
	// every object on it. Its own deadline (the Worker's timeout) and a
	// blockConcurrencyWhile bound still end it.
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancel(nil)
	st := &eventState{h: in.h, obj: obj, cancel: cancel}
	if f, ok := ev.(*fetchEvent); ok {
		st.fetch, st.client = f, f.out.client
	}
	var res any
	err := in.held.Call(withEvent(ctx, st), func(ctx context.Context, a *abi.Instance, depth int) error {
		defer st.end(ctx)
		ex, err := in.exportsAt(a, depth)
		if err != nil {
			return err
		}
		switch e := ev.(type) {
		case *fetchEvent:
			err = ex.Fetch(ctx, a, info(obj, e.name), e.req, e.body, e.out)
		case *callEvent:
			var v []byte
			var thrown *durablewit.Thrown
			v, thrown, err = ex.Call(ctx, a, info(obj, e.name), e.method, e.args)
			res = &callResult{value: v, thrown: thrown}
		case *alarmEvent:
			var thrown *durablewit.Thrown
			thrown, err = ex.Alarm(ctx, a, info(obj, abi.Option[string]{}), e.info)
			res = thrown
		case *socketEvent:
			res, err = in.runSocket(ctx, a, ex, obj, e)
		default:
			return fmt.Errorf("durablehost: unknown event %T", ev)
		}
		return err
	})
	if p := in.held.Poisoned(); p != nil {
		if f, ok := ev.(*fetchEvent); ok {
			f.out.finish(err)
		}
		return nil, &objects.TrapError{Err: err}
	}
	if st.aborted != "" && err == nil {
		err = fmt.Errorf("%w: %s", errAborted, st.aborted)
	}
	if f, ok := ev.(*fetchEvent); ok {
		f.out.finish(err)
	}
	if st.aborted != "" {
		// Cloudflare resets an object that called abort: its memory goes,
		// its storage stays.
		if eerr := in.Evict(context.WithoutCancel(ctx), obj); eerr != nil {
			return nil, &objects.TrapError{Err: eerr}
		}
	}
	return res, err
}

// runAdmin runs an admin event: no guest code, but for the eviction of
// the object's memory after a write.
func (in *instance) runAdmin(ctx context.Context, obj *objects.Object, a *adminEvent) error {
	s, err := obj.Storage()
	if err != nil {
		return err
	}
	err = a.fn(ctx, s)
	if a.write {
		if eerr := in.Evict(ctx, obj); eerr != nil && in.held.Poisoned() != nil {
			return &objects.TrapError{Err: eerr}
		}
	}
	return err
}

// runSocket delivers a web socket event.
func (in *instance) runSocket(ctx context.Context, a *abi.Instance, ex *durablewit.ObjectExports, obj *objects.Object, e *socketEvent) (*durablewit.Thrown, error) {
	oi := info(obj, abi.Option[string]{})
	switch e.kind {
	case socketMessage:
		return ex.WebSocketMessage(ctx, a, oi, e.ws, e.msg)
	case socketClose:
		return ex.WebSocketClose(ctx, a, oi, e.ws, e.code, e.reason, e.clean)
	default:
		return ex.WebSocketError(ctx, a, oi, e.ws, e.reason)
	}
}

// Evict tells the module to drop obj's in-memory state.
func (in *instance) Evict(ctx context.Context, obj *objects.Object) error {
	return in.held.Call(ctx, func(ctx context.Context, a *abi.Instance, depth int) error {
		ex, err := in.exportsAt(a, depth)
		if err != nil {
			return err
		}
		return ex.Evict(ctx, a, info(obj, abi.Option[string]{}))
	})
}

// Close releases the held instance.
func (in *instance) Close(ctx context.Context) error {
	in.held.Close(ctx)
	return nil
}
