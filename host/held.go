package host

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host/internal/httpwit"
)

// Held is one instance of a Worker's module kept out of the Worker's
// request pool for a caller that schedules its calls itself: the Durable
// Objects runner, which hosts objects on an instance for as long as they
// live (docs/durable-objects.md, "Execution model"). Its calls run on the
// caller's goroutine, one at a time, except that a call made from inside
// a host call of a call in progress (on the same goroutine) runs nested
// in it, with quotas of its own.
//
// A Held instance does not count against WorkerConfig.MaxInstances; the
// Worker's Close stops its calls, and Close releases it.
type Held struct {
	g     *Guest
	inst  *instance
	depth int // calls in progress on it
}

// Hold starts a new instance of the Worker's module and keeps it out of
// the request pool.
func (w *Worker) Hold(ctx context.Context) (*Held, error) {
	g := w.g
	if !g.enter() {
		return nil, &CallError{Guest: g.name, Kind: ErrClosed, Err: errors.New("no new instances after Close")}
	}
	defer g.exit()
	inst, err := g.instantiate(ctx)
	if err != nil {
		return nil, fmt.Errorf("host: worker %q: %w", g.name, err)
	}
	g.track(inst)
	return &Held{g: g, inst: inst}, nil
}

// Call runs fn on the held instance with a context that carries it
// (abi.WithInstance), bounded by the Worker's timeout and ctx; depth is
// the number of calls in progress below this one (0 for an outermost
// call). fn calls the module's exports through inst.Lookup(); a nested
// call (depth > 0) must look its exports up afresh (wazero's functions
// may not be re-entered), and should keep them per depth.
//
// A failure of the guest (a trap, the deadline, a quota) is a *CallError,
// as Guest.Call's, and poisons the instance: every call in progress on it
// fails, and Poisoned reports it, after which the instance must be
// closed. A nested call that ends at its deadline stops the whole
// instance (the guest's stop flag is per instance). Any other error of
// fn is returned as it is.
func (h *Held) Call(ctx context.Context, fn func(ctx context.Context, inst *abi.Instance, depth int) error) error {
	g, inst := h.g, h.inst
	if err := inst.abi.Poisoned(); err != nil {
		return &CallError{Guest: g.name, Kind: ErrTrap, Err: fmt.Errorf("the instance failed earlier: %w", err)}
	}
	if !g.enter() {
		return &CallError{Guest: g.name, Kind: ErrClosed, Err: errors.New("no new calls after Close")}
	}
	defer g.exit()
	g.stats.calls.Add(1)
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	depth := h.depth
	h.depth++
	defer func() { h.depth-- }()
	if depth > 0 {
		return h.nested(ctx, fn, depth)
	}
	inst.abi.ResetUsage() // each event has the quotas of a call
	inst.busy(cancel)
	if g.kill.Err() != nil {
		inst.stop()
	}
	inst.arm(ctx, parent)
	returned := false
	defer func() {
		if !returned {
			inst.busy(nil)
			inst.disarm()
			inst.abi.Poison(errors.New("the caller's function panicked"))
		}
	}()
	err := fn(abi.WithInstance(ctx, inst.abi), inst.abi, 0)
	returned = true
	inst.busy(nil)
	clean := inst.disarm()
	inst.stdout.Flush()
	inst.stderr.Flush()
	if !clean {
		inst.abi.Poison(fmt.Errorf("call stopped: %w", context.Cause(ctx)))
	}
	return h.result(ctx, err, !clean)
}

// nested runs a call made from inside a host call of one in progress.
func (h *Held) nested(ctx context.Context, fn func(ctx context.Context, inst *abi.Instance, depth int) error, depth int) error {
	inst := h.inst
	st := inst.abi.Nest()
	defer inst.abi.Unnest(st)
	stop := context.AfterFunc(ctx, inst.halt)
	err := fn(abi.WithInstance(ctx, inst.abi), inst.abi, depth)
	stopped := !stop()
	if stopped {
		inst.abi.Poison(fmt.Errorf("nested call stopped: %w", context.Cause(ctx)))
	}
	return h.result(ctx, err, stopped)
}

// result classifies the error of a call, poisoning the instance for a
// failure of the guest.
func (h *Held) result(ctx context.Context, err error, stopped bool) error {
	g, inst := h.g, h.inst
	if err == nil && inst.abi.Poisoned() == nil {
		return nil
	}
	if err == nil {
		err = inst.abi.Poisoned()
	}
	if stopped || guestFailure(err) || inst.abi.Poisoned() != nil {
		ce := g.callError(ctx, inst, err, stopped)
		inst.abi.Poison(ce)
		g.stats.failed.Add(1)
		return ce
	}
	return err
}

// Poisoned returns why the instance cannot be called again, or nil.
func (h *Held) Poisoned() error { return h.inst.abi.Poisoned() }

// Memory returns the size of the instance's linear memory in bytes.
func (h *Held) Memory() uint64 { return uint64(h.inst.abi.Memory().Size()) }

// Close releases the instance. It must not be called while a call is in
// progress on it.
func (h *Held) Close(ctx context.Context) {
	g := h.g
	g.mu.Lock()
	_, live := g.live[h.inst]
	delete(g.live, h.inst)
	g.mu.Unlock()
	if live {
		if h.inst.abi.Poisoned() != nil {
			g.stats.discarded.Add(1)
		}
		h.inst.close(ctx)
	}
}

// Attacher is a Binding that needs the Worker it is granted to: Durable
// Objects run the Worker's own module for its classes, a queue consumer
// and a cron trigger call its handlers. An Attacher whose WIT() is the
// zero abi.Interface serves no interface: it is only attached. NewWorker calls
// Attach once the Worker exists, before it returns; the Worker's Close
// calls the detach function Attach returned (if any) before it stops the
// Worker's calls, so that the binding lets go of what it holds.
type Attacher interface {
	Attach(ctx context.Context, w *Worker) (detach func(ctx context.Context) error, err error)
}

// clientKey is the context key of the client a Worker call serves.
type clientKey struct{}

// clientConn is the request a Worker call serves and its writer.
type clientConn struct {
	rw http.ResponseWriter
	r  *http.Request
}

// Client returns the request the Worker call in ctx serves and its
// ResponseWriter, for a binding that hands the client's connection on: a
// Durable Object that accepts a web socket upgrade takes it over (the
// object answers 101 to the Worker's client). ok is false outside a
// request.
func Client(ctx context.Context) (rw http.ResponseWriter, r *http.Request, ok bool) {
	c, ok := ctx.Value(clientKey{}).(clientConn)
	return c.rw, c.r, ok
}

// Upgraded marks a Worker's response-outparam as answered by a web socket
// upgrade that a binding made on the client's connection (see Client):
// the Worker's request then ends without a response of its own. It
// reports false for an outparam that is not a Worker's, or was answered.
func Upgraded(out httpwit.ResponseOutparam) bool {
	o, ok := out.(*responseOut)
	if !ok || o.sent || o.done || o.failed {
		return false
	}
	o.sent = true
	o.done = true
	return true
}
