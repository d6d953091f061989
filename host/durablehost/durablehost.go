// Package durablehost serves Durable Objects to Wasm Workers: the host
// side of the WIT package bindery:durable (wit/deps/durable). It joins the
// pieces of bindings/durable — ids, the object manager, storage, alarms
// and web sockets — to a host.Worker whose module exports the object
// interface:
//
//   - the client binding (bindery:durable/client) gives a Worker its
//     namespaces, ids and stubs, and delivers stub.fetch and RPC calls to
//     objects through the manager;
//   - the state binding (bindery:durable/state) serves an object's event
//     its own storage, transactions, SQL, alarm, blockConcurrencyWhile and
//     web sockets;
//   - the runner makes the manager's instances: host.Held instances of the
//     Worker's module, whose object exports run the events.
//
// Host is all three for one Worker. Its client binding is a host.Attacher:
// host.NewWorker hands it the Worker, which it checks (the module must
// define every class the config binds) and runs objects on.
// docs/durable-objects.md is the design.
package durablehost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/durable/alarms"
	"github.com/bindery-run/bindery/bindings/durable/objects"
	"github.com/bindery-run/bindery/bindings/durable/sockets"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/clock"
	"github.com/bindery-run/bindery/host/internal/durablewit"
)

// Class is a Durable Object class the Worker defines.
type Class struct {
	// SQLite reports a SQLite-backed class (new_sqlite_classes); false is
	// a KV-backed one (new_classes). The storage Config.OpenStorage
	// returns must be of this kind: SQL is refused on a KV-backed class.
	SQLite bool
	// Storage is the name the class's ids' key and alarms are kept under
	// (its first name, for a class a migration renamed); "" is the
	// class's name.
	Storage string
}

// Config configures a Host.
type Config struct {
	// Namespaces are the Worker's namespace bindings: binding name
	// (env.COUNTER) → class name. Each class must be in Classes.
	Namespaces map[string]string
	// Remote are the namespace bindings of classes another Worker defines
	// (script_name), by binding name; Peer finds that Worker's Host.
	Remote map[string]Remote
	// Peer returns the Host of the Worker called script, served by the
	// same process, and false when there is none.
	Peer func(script string) (*Host, bool)
	// Classes are the classes the Worker's module defines, by name (what
	// the config's migrations leave). The module must define each.
	Classes map[string]Class
	// Keys keeps each class's id key (durable.NewBadgerKeys). Required.
	Keys durable.KeyStore
	// OpenStorage opens an object's storage (storage.NewSQLite for a
	// SQLite-backed class, storage.NewBadger for a KV-backed one).
	// Required.
	OpenStorage func(class string, id durable.ID) (storage.Storage, error)
	// Alarms, when set, keeps the objects' alarms; the Host gives it its
	// delivery (alarms.Options.Deliver must call Host.DeliverAlarm) and
	// starts it once the Worker is attached. Nil: setAlarm is refused.
	Alarms *alarms.Scheduler
	// Clock is the host's clock (idle eviction, block timeouts, socket
	// timestamps); nil is the real clock.
	Clock clock.Clock
	// Logger receives what cannot be returned; nil discards it.
	Logger *slog.Logger
	// Manager tunes the object manager (instances, idle timeout, nesting
	// depth); its Runner, Clock, OpenStorage and Logger are the Host's.
	Manager objects.Config
	// Sockets tunes the web socket hubs (one per class); its Deliver and
	// Clock are the Host's.
	Sockets sockets.Options
}

// Remote is a namespace binding of a class another Worker defines.
type Remote struct {
	Script string // the Worker (script_name)
	Class  string // its class
}

// Host serves Durable Objects to one Worker. Make it with New, grant its
// Bindings to the Worker (host.WorkerConfig.Bindings), and the Worker's
// NewWorker attaches it; the Worker's Close detaches it.
type Host struct {
	cfg Config
	log *slog.Logger
	clk clock.Clock
	mgr *objects.Manager

	mu     sync.Mutex
	w      *host.Worker
	ids    map[string]*durable.Namespace // by class
	hubs   map[string]*sockets.Hub       // by class
	pins   map[uint64]func()             // unpins of sockets accepted without hibernation, by key
	closed bool
}

// New checks cfg and makes a Host.
func New(cfg Config) (*Host, error) {
	if cfg.Keys == nil || cfg.OpenStorage == nil {
		return nil, errors.New("durablehost: Config.Keys and Config.OpenStorage are required")
	}
	for name, class := range cfg.Namespaces {
		if _, ok := cfg.Classes[class]; !ok {
			return nil, fmt.Errorf("durablehost: binding %s names class %q, which the migrations do not create", name, class)
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Host{cfg: cfg, log: log, clk: clock.Or(cfg.Clock), ids: map[string]*durable.Namespace{}, hubs: map[string]*sockets.Hub{}, pins: map[uint64]func(){}}
	mc := cfg.Manager
	mc.Runner = runner{h}
	mc.Clock = h.clk
	mc.Logger = log
	mc.OpenStorage = cfg.OpenStorage
	mgr, err := objects.New(mc)
	if err != nil {
		return nil, fmt.Errorf("durablehost: %w", err)
	}
	h.mgr = mgr
	return h, nil
}

// Bindings returns the client and state bindings to grant the Worker.
func (h *Host) Bindings() []host.Binding { return []host.Binding{&Client{h: h}, &State{h: h}} }

// Manager returns the object manager (its Stats).
func (h *Host) Manager() *objects.Manager { return h.mgr }

// worker returns the attached Worker, or an error before Attach.
func (h *Host) worker() (*host.Worker, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, objects.ErrClosed
	}
	if h.w == nil {
		return nil, errors.New("durablehost: no Worker attached (grant Host.Bindings() to host.NewWorker)")
	}
	return h.w, nil
}

// attach starts serving objects on w: it checks that w's module defines
// every class, and starts the alarms.
func (h *Host) attach(ctx context.Context, w *host.Worker) (func(context.Context) error, error) {
	h.mu.Lock()
	if h.w != nil {
		h.mu.Unlock()
		return nil, errors.New("durablehost: the Host is attached to a Worker already")
	}
	h.w = w
	h.mu.Unlock()
	if len(h.cfg.Classes) > 0 {
		held, err := w.Hold(ctx)
		if err != nil {
			return nil, err
		}
		in, err := h.describe(ctx, held)
		held.Close(ctx)
		if err != nil {
			return nil, err
		}
		var missing []string
		for class := range h.cfg.Classes {
			if !in.defines(class) {
				missing = append(missing, class)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return nil, fmt.Errorf("the config's migrations create Durable Object classes %q, which the Worker does not define (it defines %q)", missing, in.info.Classes)
		}
	}
	if h.cfg.Alarms != nil {
		if err := h.cfg.Alarms.Start(); err != nil {
			return nil, fmt.Errorf("durablehost: starting the alarms: %w", err)
		}
	}
	return h.Close, nil
}

// Close stops the Host: the alarms, the web sockets (closed with 1001)
// and the object manager, whose instances are released once their events
// in progress return.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	hubs := h.hubs
	h.mu.Unlock()
	var errs []error
	if h.cfg.Alarms != nil {
		errs = append(errs, h.cfg.Alarms.Close())
	}
	for _, hub := range hubs {
		errs = append(errs, hub.Close())
	}
	errs = append(errs, h.mgr.Close(ctx))
	return errors.Join(errs...)
}

// storageOf returns the name class's data is kept under.
func (h *Host) storageOf(class string) string {
	if s := h.cfg.Classes[class].Storage; s != "" {
		return s
	}
	return class
}

// classOf returns the class whose data is kept under storage name sn.
func (h *Host) classOf(sn string) (string, bool) {
	for name := range h.cfg.Classes {
		if h.storageOf(name) == sn {
			return name, true
		}
	}
	return "", false
}

// namespace returns the id namespace of class, opening its key.
func (h *Host) namespace(ctx context.Context, class string) (*durable.Namespace, error) {
	h.mu.Lock()
	ns := h.ids[class]
	h.mu.Unlock()
	if ns != nil {
		return ns, nil
	}
	ns, err := durable.OpenNamespace(ctx, h.cfg.Keys, h.storageOf(class))
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if prev := h.ids[class]; prev != nil {
		return prev, nil
	}
	h.ids[class] = ns
	return ns, nil
}

// DeliverAlarm runs the alarm of the object id (64 hex digits) of the
// class whose data is kept under storageName (Class.Storage): the
// alarms.Options.Deliver of Config.Alarms. A handler that threw is an
// error, which retries the alarm.
func (h *Host) DeliverAlarm(ctx context.Context, storageName, id string, info alarms.Info) error {
	class, ok := h.classOf(storageName)
	if !ok {
		return fmt.Errorf("durablehost: an alarm of class %q, which the Worker no longer has", storageName)
	}
	ns, err := h.namespace(ctx, class)
	if err != nil {
		return err
	}
	oid, err := ns.IDFromString(id)
	if err != nil {
		return err
	}
	res, err := h.mgr.Deliver(ctx, class, oid, &alarmEvent{info: durablewit.AlarmInfo{RetryCount: uint32(info.RetryCount), IsRetry: info.IsRetry}})
	if err != nil {
		return err
	}
	if t, _ := res.(*durablewit.Thrown); t != nil {
		return fmt.Errorf("the alarm handler threw %s: %s", t.Name, t.Message)
	}
	return nil
}

// ObjectID returns the id of the object of class that object names: its
// id (64 hex digits of the class), or else its name (idFromName).
func (h *Host) ObjectID(ctx context.Context, class, object string) (durable.ID, error) {
	if _, ok := h.cfg.Classes[class]; !ok {
		return durable.ID{}, fmt.Errorf("durablehost: no Durable Object class %q (the Worker has %q)", class, h.classNames())
	}
	ns, err := h.namespace(ctx, class)
	if err != nil {
		return durable.ID{}, err
	}
	if id, err := ns.IDFromString(object); err == nil {
		return id, nil
	}
	return ns.IDFromName(object), nil
}

// classNames returns the classes, sorted.
func (h *Host) classNames() []string {
	out := make([]string, 0, len(h.cfg.Classes))
	for n := range h.cfg.Classes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Storage runs fn on the storage of the object id of class, between the
// object's events (one at a time with them: the object is made live for
// it). With write, the object's memory is dropped after fn, so that its
// next event reads what fn wrote. The admin API and bindery do use it.
func (h *Host) Storage(ctx context.Context, class string, id durable.ID, write bool, fn func(ctx context.Context, s storage.Storage) error) error {
	_, err := h.mgr.Deliver(ctx, class, id, &adminEvent{fn: fn, write: write})
	return err
}

// TriggerAlarm sets the alarm of the object id of class to now: its
// handler runs at once.
func (h *Host) TriggerAlarm(ctx context.Context, class string, id durable.ID) error {
	if h.cfg.Alarms == nil {
		return errors.New("durablehost: this host keeps no alarms")
	}
	return h.cfg.Alarms.Set(ctx, h.storageOf(class), id.String(), h.clk.Now())
}

// Alarm returns the alarm of the object id of class, if one is set.
func (h *Host) Alarm(ctx context.Context, class string, id durable.ID) (time.Time, bool, error) {
	if h.cfg.Alarms == nil {
		return time.Time{}, false, nil
	}
	return h.cfg.Alarms.Get(ctx, h.storageOf(class), id.String())
}

// errorOf maps an error of the manager, the storage or the ids to the
// WIT's error.
func errorOf(err error) *durablewit.Error {
	var le *storage.LimitError
	var ae *storage.AuthError
	var ie *durable.IDError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &le):
		return &durablewit.Error{Tag: durablewit.ErrorLimit, Limit: le.Error()}
	case errors.As(err, &ae):
		return &durablewit.Error{Tag: durablewit.ErrorRefused, Refused: ae.Error()}
	case errors.As(err, &ie):
		return &durablewit.Error{Tag: durablewit.ErrorInvalidID, InvalidID: ie.Error()}
	case errors.Is(err, storage.ErrStartAndStartAfter), errors.Is(err, storage.ErrBadLimit):
		return &durablewit.Error{Tag: durablewit.ErrorInvalidArgument, InvalidArgument: err.Error()}
	case errors.Is(err, storage.ErrTxDone):
		return &durablewit.Error{Tag: durablewit.ErrorTransaction, Transaction: err.Error()}
	case errors.Is(err, objects.ErrPoisoned), errors.Is(err, objects.ErrDeadlock),
		errors.Is(err, objects.ErrNestingDepth), errors.Is(err, objects.ErrOverloaded),
		errors.Is(err, objects.ErrClosed), errors.Is(err, errAborted):
		return &durablewit.Error{Tag: durablewit.ErrorObjectFailed, ObjectFailed: err.Error()}
	case isSQLError(err):
		return &durablewit.Error{Tag: durablewit.ErrorSQL, SQL: err.Error()}
	}
	var ce *host.CallError
	if errors.As(err, &ce) {
		return &durablewit.Error{Tag: durablewit.ErrorObjectFailed, ObjectFailed: err.Error()}
	}
	return &durablewit.Error{Tag: durablewit.ErrorInternal, Internal: err.Error()}
}

// refused is the error of a state call outside an object's event, or of
// one the object's kind does not allow.
func refused(msg string) *durablewit.Error {
	return &durablewit.Error{Tag: durablewit.ErrorRefused, Refused: msg}
}

// invalid is an invalid-argument error.
func invalid(format string, args ...any) *durablewit.Error {
	return &durablewit.Error{Tag: durablewit.ErrorInvalidArgument, InvalidArgument: fmt.Sprintf(format, args...)}
}
