package objects

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/host/clock"
)

// Defaults of Config's zero values.
const (
	// DefaultObjectsPerInstance is Config.ObjectsPerInstance's default.
	DefaultObjectsPerInstance = 256
	// DefaultMaxInstances is Config.MaxInstances's default.
	DefaultMaxInstances = 64
	// DefaultIdleTimeout is Config.IdleTimeout's default: Cloudflare
	// evicts an idle object after 70 to 140 seconds.
	DefaultIdleTimeout = 70 * time.Second
	// DefaultMaxDepth is Config.MaxDepth's default.
	DefaultMaxDepth = 32
	// DefaultMaxOpenStorage is Config.MaxOpenStorage's default: a
	// SQLite-backed object's open storage holds three files (the
	// database, its WAL and its shared memory).
	DefaultMaxOpenStorage = 256
)

// Config configures a Manager. Zero values take the defaults.
type Config struct {
	// Runner makes the instances. Required.
	Runner Runner
	// Clock times idle objects out; nil is the host's clock.
	Clock clock.Clock
	// ObjectsPerInstance is how many objects an instance that can nest
	// hosts at most (DefaultObjectsPerInstance); one that cannot hosts
	// one.
	ObjectsPerInstance int
	// MaxInstances is how many instances a class may have at once
	// (DefaultMaxInstances); an object that finds them all full gets
	// ErrOverloaded.
	MaxInstances int
	// SpreadInstances is how many instances a class's objects are spread
	// over before they are packed up to ObjectsPerInstance: a new object
	// gets an instance of its own while the class has fewer
	// (runtime.GOMAXPROCS, so that busy objects run in parallel).
	SpreadInstances int
	// IdleTimeout is how long an object with no event in progress or
	// queued stays live before it is evicted (DefaultIdleTimeout, about
	// what Cloudflare keeps one); negative never evicts.
	IdleTimeout time.Duration
	// MaxDepth is how many events may be in progress on one instance at
	// once, nested in each other's waits (DefaultMaxDepth). An event that
	// would run deeper fails with ErrNestingDepth.
	MaxDepth int
	// OpenStorage returns an object's storage handle, on its first
	// Object.Storage call (storage.NewSQLite or storage.NewBadger); the
	// handle is closed when the object is evicted or reset. Nil: objects
	// have no storage.
	OpenStorage func(class string, id durable.ID) (storage.Storage, error)
	// MaxOpenStorage bounds the storage handles open at once
	// (DefaultMaxOpenStorage): past it, the least recently used handles
	// of objects with no event in progress are closed (a closed handle
	// opens again on its next call), so that thousands of live objects
	// do not hold thousands of files open.
	MaxOpenStorage int
	// Logger gets what cannot be returned (a failed Evict or Close); nil
	// discards it.
	Logger *slog.Logger
}

// Manager places Durable Objects on instances and delivers their events;
// docs/durable-objects.md, "The object manager", is its model. It is safe
// for concurrent use.
type Manager struct {
	cfg    Config
	clock  clock.Clock
	log    *slog.Logger
	ctx    context.Context // the instances': cancelled by Close
	cancel context.CancelFunc
	closed atomic.Bool
	wg     sync.WaitGroup // instance goroutines

	classes sync.Map // class name → *class

	// mu guards the state of every class, its objects, instances and
	// events: one lock, so that the deadlock check can follow a wait
	// from one class to another.
	mu   sync.Mutex
	mark uint64 // the deadlock check's current search

	// openMu guards open, the objects whose storage handle is open, most
	// recently used first (Config.MaxOpenStorage).
	openMu sync.Mutex
	open   list.List
}

// New returns a Manager that runs objects on cfg.Runner's instances.
func New(cfg Config) (*Manager, error) {
	if cfg.Runner == nil {
		return nil, errors.New("objects: Config.Runner is required")
	}
	for _, c := range []struct {
		name string
		v    *int
		def  int
	}{
		{"ObjectsPerInstance", &cfg.ObjectsPerInstance, DefaultObjectsPerInstance},
		{"MaxInstances", &cfg.MaxInstances, DefaultMaxInstances},
		{"SpreadInstances", &cfg.SpreadInstances, runtime.GOMAXPROCS(0)},
		{"MaxDepth", &cfg.MaxDepth, DefaultMaxDepth},
		{"MaxOpenStorage", &cfg.MaxOpenStorage, DefaultMaxOpenStorage},
	} {
		if *c.v < 0 {
			return nil, fmt.Errorf("objects: Config.%s is %d, not positive", c.name, *c.v)
		}
		if *c.v == 0 {
			*c.v = c.def
		}
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		cfg: cfg, clock: clock.Or(cfg.Clock), log: log, ctx: ctx, cancel: cancel,
	}, nil
}

// Object is one live Durable Object: what a Runner is given with each of
// its events. It stays the same while the object is live (across events,
// and across a reset by a trap); an evicted object comes back as a new
// Object (or as the same one, with nothing in memory, when an event
// arrived while it was being evicted).
type Object struct {
	cls *class
	id  durable.ID

	storeMu sync.Mutex
	store   storage.Storage
	inOpen  *list.Element // in Manager.open; guarded by Manager.openMu

	// guarded by cls.mu
	inst     *instance
	queue    []*event // FIFO; queue[head:] are waiting
	head     int
	running  int  // its events in progress (nested ones included)
	blocking int  // blockConcurrencyWhile sections in progress
	pins     int  // Pin calls not undone: it is not evicted while pinned
	inReady  bool // in inst.ready
	timer    clock.Timer
	idleAt   time.Time // when it last became idle
}

// Class returns the object's class.
func (o *Object) Class() string { return o.cls.name }

// ID returns the object's id.
func (o *Object) ID() durable.ID { return o.id }

// Storage returns the object's storage, opening the handle on the first
// call (Config.OpenStorage). The handle is closed when the object is
// evicted or reset; a closed handle opens again on its next call.
func (o *Object) Storage() (storage.Storage, error) {
	o.storeMu.Lock()
	defer o.storeMu.Unlock()
	if o.store == nil {
		open := o.cls.m.cfg.OpenStorage
		if open == nil {
			return nil, fmt.Errorf("objects: class %q has no storage configured", o.cls.name)
		}
		s, err := open(o.cls.name, o.id)
		if err != nil {
			return nil, fmt.Errorf("objects: opening the storage of %s object %s: %w", o.cls.name, o.id, err)
		}
		o.store = s
	}
	o.cls.m.used(o)
	return o.store, nil
}

// used moves o to the front of the open handles, and closes the least
// recently used handles past Config.MaxOpenStorage of objects with no
// event in progress, on a goroutine (a close waits for a call in
// progress on the handle).
func (m *Manager) used(o *Object) {
	m.openMu.Lock()
	if o.inOpen != nil {
		m.open.MoveToFront(o.inOpen)
	} else {
		o.inOpen = m.open.PushFront(o)
	}
	var closing []*Object
	if over := m.open.Len() - m.cfg.MaxOpenStorage; over > 0 {
		m.mu.Lock()
		for e := m.open.Back(); e != nil && len(closing) < over; {
			prev := e.Prev()
			if obj := e.Value.(*Object); obj != o && obj.running == 0 {
				m.open.Remove(e)
				obj.inOpen = nil
				closing = append(closing, obj)
			}
			e = prev
		}
		m.mu.Unlock()
	}
	m.openMu.Unlock()
	if len(closing) > 0 {
		go func() {
			for _, obj := range closing {
				obj.closeHandle()
			}
		}()
	}
}

// closeStorage closes the storage handle, if it was opened (the object
// is evicted or reset).
func (o *Object) closeStorage() {
	m := o.cls.m
	m.openMu.Lock()
	if o.inOpen != nil {
		m.open.Remove(o.inOpen)
		o.inOpen = nil
	}
	m.openMu.Unlock()
	o.closeHandle()
}

// closeHandle closes the storage handle, if it was opened; its next call
// opens it again.
func (o *Object) closeHandle() {
	o.storeMu.Lock()
	defer o.storeMu.Unlock()
	if o.store != nil {
		if err := o.store.Close(); err != nil {
			o.cls.m.log.Error("closing a durable object's storage", "class", o.cls.name, "id", o.id.String(), "err", err)
		}
	}
}

// queued reports whether the object has an event waiting; cls.mu held.
// Cancelled events at the head are dropped.
func (o *Object) queued() bool {
	for o.head < len(o.queue) && o.queue[o.head].cancelled {
		o.queue[o.head] = nil
		o.head++
	}
	if o.head == len(o.queue) {
		o.queue, o.head = o.queue[:0], 0
		return false
	}
	return true
}

// pop takes the next waiting event, or nil; cls.mu held.
func (o *Object) pop() *event {
	if !o.queued() {
		return nil
	}
	e := o.queue[o.head]
	o.queue[o.head] = nil
	o.head++
	if o.head >= 64 && o.head*2 >= len(o.queue) { // an object never idle: drop the taken part
		o.queue = o.queue[:copy(o.queue, o.queue[o.head:])]
		o.head = 0
	}
	return e
}

// failQueued fails every waiting event with err; cls.mu held.
func (o *Object) failQueued(err error) {
	for e := o.pop(); e != nil; e = o.pop() {
		e.finish(result{err: err})
	}
}

// event is one Deliver's event.
type event struct {
	ctx       context.Context
	ev        any
	obj       *Object
	parent    *frame // the event that delivered it, if any
	out       chan result
	cancelled bool   // its Deliver gave up while it waited; cls.mu
	frame     *frame // once it runs; cls.mu
}

// finish sends e's result and takes it off its parent's pending events;
// cls.mu held.
func (e *event) finish(r result) {
	if e.parent != nil {
		delete(e.parent.pending, e)
	}
	e.out <- r
}

type result struct {
	res any
	err error
}

// frame is one event in progress on an instance.
type frame struct {
	inst    *instance
	obj     *Object
	parent  *frame
	waiting atomic.Bool
	blocks  int             // its BlockConcurrency sections not released; cls.mu
	done    bool            // cls.mu
	pending map[*event]bool // events it delivered, not finished; cls.mu
	mark    uint64          // Manager.mark when the deadlock check saw it
}

// holders returns the frames that keep o from running an event: its
// frames inside BlockConcurrency, or its frame in progress on an
// instance that cannot nest; cls.mu held.
func (o *Object) holders() []*frame {
	in := o.inst
	if in == nil || o.blocking == 0 && (in.canNest || o.running == 0) {
		return nil
	}
	var hs []*frame
	for _, f := range in.stack {
		if f.obj == o && (f.blocks > 0 || !in.canNest) {
			hs = append(hs, f)
		}
	}
	return hs
}

// deadlocked reports whether an event for obj delivered by p would wait
// for ever: obj is held by a frame that waits, through frames nested
// above it, events it delivered and the frames that hold their objects,
// on p; cls.mu held.
func (m *Manager) deadlocked(obj *Object, p *frame) bool {
	if p == nil {
		return false
	}
	m.mark++
	for _, h := range obj.holders() {
		if m.reaches(h, p) {
			return true
		}
	}
	return false
}

// reaches reports whether f waits, directly or not, on target; cls.mu
// held.
func (m *Manager) reaches(f, target *frame) bool {
	if f == target {
		return true
	}
	if f.done || f.mark == m.mark {
		return false
	}
	f.mark = m.mark
	st := f.inst.stack // f resumes after every frame above it returns
	for i := len(st) - 1; i >= 0 && st[i] != f; i-- {
		if m.reaches(st[i], target) {
			return true
		}
	}
	for c := range f.pending {
		switch {
		case c.cancelled:
		case c.frame != nil:
			if m.reaches(c.frame, target) {
				return true
			}
		default:
			for _, h := range c.obj.holders() {
				if m.reaches(h, target) {
					return true
				}
			}
		}
	}
	return false
}

type ctxKey struct{}

// ctxFrame is the context value of an event: attached on the goroutine
// running it, detached in what it waits on (which keeps it as the parent
// of what it delivers, for ErrDeadlock).
type ctxFrame struct {
	f        *frame
	attached bool
}

// FromContext returns the object whose event ctx is (the ctx given to
// Instance.Run, or one derived from it), or nil.
func FromContext(ctx context.Context) *Object {
	if cf, _ := ctx.Value(ctxKey{}).(ctxFrame); cf.attached {
		return cf.f.obj
	}
	return nil
}

// class is one class's objects and instances.
type class struct {
	m    *Manager
	name string

	mu        *sync.Mutex // the Manager's
	objects   map[durable.ID]*Object
	instances map[*instance]struct{} // not poisoned or gone
	seq       uint64                 // instances made
	nest      int8                   // whether its module can nest: 0 not known yet, 1 yes, -1 no
}

func (m *Manager) class(name string) *class {
	if c, ok := m.classes.Load(name); ok {
		return c.(*class)
	}
	c, _ := m.classes.LoadOrStore(name, &class{m: m, name: name, mu: &m.mu, objects: map[durable.ID]*Object{}, instances: map[*instance]struct{}{}})
	return c.(*class)
}

// Deliver runs event for the object id of class and returns its result:
// it makes the object live (on an instance with room, or a new one) if it
// is not, queues the event behind the object's earlier ones, and waits
// for it to run, or for ctx to end (a queued event is then dropped).
//
// The result and error are Run's (an error of the object's own is the
// caller's to see), or the Manager's: ErrOverloaded, ErrDeadlock,
// ErrNestingDepth, ErrPoisoned, ErrClosed, an instance that could not be
// made.
//
// Called from a host call of an event in progress, with the ctx Run was
// given, Deliver waits through Wait, so the calling instance keeps
// serving its objects (a cycle of calls cannot deadlock).
func (m *Manager) Deliver(ctx context.Context, class string, id durable.ID, event any) (any, error) {
	if cf, _ := ctx.Value(ctxKey{}).(ctxFrame); cf.attached && cf.f.inst.cls.m == m {
		out := make(chan result, 1)
		err := m.Wait(ctx, func(ctx context.Context) error {
			res, err := m.deliver(ctx, class, id, event)
			out <- result{res, err}
			return err
		})
		if err != nil {
			return nil, err
		}
		r := <-out
		return r.res, nil
	}
	return m.deliver(ctx, class, id, event)
}

func (m *Manager) deliver(ctx context.Context, class string, id durable.ID, ev any) (any, error) {
	cf, _ := ctx.Value(ctxKey{}).(ctxFrame)
	cls := m.class(class)
	e := &event{ctx: ctx, ev: ev, parent: cf.f, out: make(chan result, 1)}
	if e.parent != nil && e.parent.inst.cls.m != m {
		e.parent = nil
	}
	cls.mu.Lock()
	if m.closed.Load() {
		cls.mu.Unlock()
		return nil, ErrClosed
	}
	obj := cls.objects[id]
	if obj == nil {
		obj = &Object{cls: cls, id: id}
		cls.objects[id] = obj
	}
	if m.deadlocked(obj, e.parent) {
		if obj.running == 0 && !obj.queued() && obj.inst == nil {
			delete(cls.objects, id)
		}
		cls.mu.Unlock()
		return nil, fmt.Errorf("objects: event for %s object %s: %w", class, id, ErrDeadlock)
	}
	e.obj = obj
	obj.queue = append(obj.queue, e)
	if e.parent != nil {
		if e.parent.pending == nil {
			e.parent.pending = map[*event]bool{}
		}
		e.parent.pending[e] = true
	}
	if obj.timer != nil {
		obj.timer.Stop()
	}
	if obj.inst == nil {
		if err := cls.place(obj); err != nil {
			obj.queue = obj.queue[:len(obj.queue)-1]
			if e.parent != nil {
				delete(e.parent.pending, e)
			}
			if obj.running == 0 && !obj.queued() {
				delete(cls.objects, id)
			}
			cls.mu.Unlock()
			return nil, fmt.Errorf("objects: placing %s object %s: %w", class, id, err)
		}
	} else {
		cls.ready(obj)
	}
	cls.mu.Unlock()
	select {
	case r := <-e.out:
		return r.res, r.err
	case <-ctx.Done():
		cls.mu.Lock()
		e.cancelled = true
		if e.parent != nil {
			delete(e.parent.pending, e)
		}
		cls.mu.Unlock()
		return nil, ctx.Err()
	}
}

// place puts obj, which has events queued, on an instance: the least
// loaded one with room, or a new one while the class has fewer than
// SpreadInstances or none has room; cls.mu held.
func (c *class) place(obj *Object) error {
	if c.m.closed.Load() {
		return ErrClosed
	}
	var best *instance
	for in := range c.instances {
		if len(in.objects) >= in.capacity {
			continue
		}
		if best == nil || len(in.objects) < len(best.objects) || len(in.objects) == len(best.objects) && in.seq < best.seq {
			best = in
		}
	}
	if best == nil || (len(best.objects) > 0 && len(c.instances) < c.m.cfg.SpreadInstances) {
		if len(c.instances) < c.m.cfg.MaxInstances {
			best = c.newInstance()
		} else if best == nil {
			return ErrOverloaded
		}
	}
	best.objects[obj] = struct{}{}
	obj.inst = best
	c.ready(obj)
	return nil
}

// ready puts obj in its instance's ready list if it has an event that
// may run; cls.mu held.
func (c *class) ready(obj *Object) {
	if obj.inReady || obj.blocking > 0 || obj.inst == nil || !obj.queued() {
		return
	}
	obj.inReady = true
	obj.inst.ready = append(obj.inst.ready, obj)
	obj.inst.signal()
}

// idle starts obj's idle timer if it has nothing in progress or queued;
// cls.mu held.
func (c *class) idle(obj *Object) {
	if obj.running > 0 || obj.pins > 0 || obj.inst == nil || obj.inst.poisoned || c.m.cfg.IdleTimeout < 0 || obj.queued() {
		return
	}
	obj.idleAt = c.m.clock.Now()
	if obj.timer == nil {
		obj.timer = c.m.clock.AfterFunc(c.m.cfg.IdleTimeout, func() { c.expire(obj) })
	} else {
		obj.timer.Reset(c.m.cfg.IdleTimeout)
	}
}

// expired reports whether obj has been idle for IdleTimeout; cls.mu held.
func (c *class) expired(obj *Object) bool {
	return obj.inst != nil && !obj.inst.poisoned && obj.running == 0 && obj.pins == 0 && !obj.queued() &&
		!c.m.clock.Now().Before(obj.idleAt.Add(c.m.cfg.IdleTimeout))
}

// expire asks obj's instance to evict it, if it is still idle.
func (c *class) expire(obj *Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.expired(obj) {
		return
	}
	in := obj.inst
	in.evict = append(in.evict, obj)
	in.signal()
}

// Wait runs fn and returns its error. Called from a host call of an event
// in progress, with the ctx Run was given (on the goroutine running it),
// it keeps the event's instance serving while fn runs: events queued for
// the instance's objects run nested, on this goroutine, including the
// waiting object's own next events unless it is inside
// BlockConcurrency. An instance that cannot nest only waits. Wait returns
// early with ErrPoisoned when a nested event traps (the instance is
// unusable: the caller should fail its event), or with ctx's error; fn's
// ctx is then cancelled, and its results must not be used. fn runs on a
// goroutine of its own, with a ctx that does not make its Deliver calls
// wait through Wait. Outside an event Wait just calls fn.
func (m *Manager) Wait(ctx context.Context, fn func(ctx context.Context) error) error {
	cf, _ := ctx.Value(ctxKey{}).(ctxFrame)
	if !cf.attached || cf.f.inst.cls.m != m {
		return fn(ctx)
	}
	f, in := cf.f, cf.f.inst
	cls := in.cls
	if in.top.Load() != f || !f.waiting.CompareAndSwap(false, true) {
		return fmt.Errorf("objects: Wait: %w", ErrWaitMisuse)
	}
	defer f.waiting.Store(false)
	done := make(chan error, 1)
	wctx, cancel := context.WithCancel(context.WithValue(ctx, ctxKey{}, ctxFrame{f: f}))
	defer cancel() // what fn still waits on when Wait gives up is dropped
	go func() { done <- fn(wctx) }()
	for {
		select {
		case err := <-done:
			return err
		default:
		}
		cls.mu.Lock()
		if in.poisoned {
			cls.mu.Unlock()
			return fmt.Errorf("objects: waiting: %w", ErrPoisoned)
		}
		var obj *Object
		var e *event
		if in.canNest {
			if len(in.stack) >= m.cfg.MaxDepth {
				in.failReady(fmt.Errorf("objects: %w: %d events are waiting on the instance", ErrNestingDepth, len(in.stack)))
			} else {
				obj, e = in.next()
			}
		}
		cls.mu.Unlock()
		if e != nil {
			in.runEvent(obj, e)
			continue
		}
		select {
		case err := <-done:
			return err
		case <-in.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// BlockConcurrency starts a blockConcurrencyWhile section of the object
// whose event ctx is (the ctx Run was given, on its goroutine): until
// release is called (or the event ends), none of the object's other
// events run, even while this one waits (other objects' events still
// run nested in its waits). Sections nest. A call to the object that
// this section waits on, directly or not, fails with ErrDeadlock.
func (m *Manager) BlockConcurrency(ctx context.Context) (release func(), err error) {
	cf, _ := ctx.Value(ctxKey{}).(ctxFrame)
	if !cf.attached || cf.f.inst.cls.m != m || cf.f.inst.top.Load() != cf.f {
		return nil, fmt.Errorf("objects: BlockConcurrency: %w", ErrWaitMisuse)
	}
	f, cls := cf.f, cf.f.inst.cls
	cls.mu.Lock()
	f.obj.blocking++
	f.blocks++
	cls.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			cls.mu.Lock()
			defer cls.mu.Unlock()
			if !f.done {
				f.blocks--
				f.obj.blocking--
				cls.ready(f.obj)
			}
		})
	}, nil
}

// Pin keeps the object whose event ctx is in memory until unpin is
// called (a web socket accepted without hibernation keeps its object
// live, as Cloudflare's does): it is not evicted when idle. A trap still
// resets it. Pins count; unpin may be called from any goroutine, once.
func (m *Manager) Pin(ctx context.Context) (unpin func(), err error) {
	obj := FromContext(ctx)
	if obj == nil || obj.cls.m != m {
		return nil, fmt.Errorf("objects: Pin: %w", ErrWaitMisuse)
	}
	cls := obj.cls
	cls.mu.Lock()
	obj.pins++
	if obj.timer != nil {
		obj.timer.Stop()
	}
	cls.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			cls.mu.Lock()
			defer cls.mu.Unlock()
			obj.pins--
			cls.idle(obj)
		})
	}, nil
}

// Stats counts live objects and instances.
type Stats struct {
	Objects   int // live objects, of every class
	Instances int // instances, of every class
}

// Stats returns the Manager's counts.
func (m *Manager) Stats() Stats {
	var s Stats
	for _, v := range m.classes.Range {
		c := v.(*class)
		c.mu.Lock()
		s.Objects += len(c.objects)
		s.Instances += len(c.instances)
		c.mu.Unlock()
	}
	return s
}

// Close stops the Manager: later events fail with ErrClosed, so do queued
// ones, and each instance is closed once its events in progress return
// (objects are not evicted: their storage handles are closed). Close
// returns when they are, or with ctx's error.
func (m *Manager) Close(ctx context.Context) error {
	if m.closed.Swap(true) {
		return nil
	}
	for _, v := range m.classes.Range {
		c := v.(*class)
		c.mu.Lock()
		for _, obj := range c.objects {
			if obj.timer != nil {
				obj.timer.Stop()
			}
		}
		for in := range c.instances {
			in.signal()
		}
		c.mu.Unlock()
	}
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		m.cancel()
		return nil
	case <-ctx.Done():
		m.cancel()
		return fmt.Errorf("objects: closing: %w", ctx.Err())
	}
}
