package objects

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/host/clock"
)

// fakeRunner is a Runner whose instances keep each object's in-memory
// state (a counter) and check the Manager's guarantees as they run: an
// instance runs one event at a time except nested in a wait, an object is
// live in one instance at a time, nothing runs on a closed or trapped
// instance.
type fakeRunner struct {
	t    testing.TB
	nest bool

	mu        sync.Mutex
	newErr    error
	instances []*fakeInstance
	live      map[string]*fakeInstance // by class and id
	created   map[durable.ID]int       // times each object's state was made
	evicted   chan durable.ID
	closed    chan int
	onEvict   func(obj *Object) // called as Evict begins, if set
}

func newFakeRunner(t testing.TB, nest bool) *fakeRunner {
	return &fakeRunner{
		t: t, nest: nest,
		live:    map[string]*fakeInstance{},
		created: map[durable.ID]int{},
		evicted: make(chan durable.ID, 100000),
		closed:  make(chan int, 100000),
	}
}

func (r *fakeRunner) NewInstance(ctx context.Context, class string) (Instance, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.newErr != nil {
		return nil, r.newErr
	}
	fi := &fakeInstance{r: r, n: len(r.instances) + 1, state: map[durable.ID]*objState{}}
	r.instances = append(r.instances, fi)
	return fi, nil
}

func (r *fakeRunner) creations(id durable.ID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.created[id]
}

func (r *fakeRunner) numInstances() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.instances)
}

// objState is an object's in-memory state in a fake instance.
type objState struct {
	count int // events run since the state was made
}

type fakeInstance struct {
	r *fakeRunner
	n int // 1, 2, ... in creation order

	// guarded by r.mu
	state    map[durable.ID]*objState
	active   int // Run calls in progress
	waiting  int // of them, waiting in Wait
	depth    int // most Run calls in progress at once
	closed   bool
	poisoned bool
}

// step is a fake event: what Run does.
type step func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error)

func (fi *fakeInstance) CanNest() bool { return fi.r.nest }

func (fi *fakeInstance) Run(ctx context.Context, obj *Object, event any) (any, error) {
	r := fi.r
	r.mu.Lock()
	switch {
	case fi.closed || fi.poisoned:
		r.t.Errorf("event for %s on instance %d, which is closed or trapped", obj.ID(), fi.n)
	case fi.active != fi.waiting:
		r.t.Errorf("event for %s on instance %d while another runs there (%d in progress, %d waiting)", obj.ID(), fi.n, fi.active, fi.waiting)
	case fi.active > 0 && !r.nest:
		r.t.Errorf("nested event on instance %d, which cannot nest", fi.n)
	}
	if other := r.live[key(obj)]; other != nil && other != fi {
		r.t.Errorf("object %s runs on instance %d but is live on %d", obj.ID(), fi.n, other.n)
	}
	if FromContext(ctx) != obj {
		r.t.Errorf("FromContext of an event for %s is not its object", obj.ID())
	}
	r.live[key(obj)] = fi
	st := fi.state[obj.ID()]
	if st == nil {
		st = &objState{}
		fi.state[obj.ID()] = st
		r.created[obj.ID()]++
	}
	st.count++
	fi.active++
	fi.depth = max(fi.depth, fi.active)
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		fi.active--
		r.mu.Unlock()
	}()
	if event == nil {
		return st.count, nil
	}
	return event.(step)(ctx, fi, obj, st)
}

func (fi *fakeInstance) Evict(ctx context.Context, obj *Object) error {
	r := fi.r
	if r.onEvict != nil {
		r.onEvict(obj)
	}
	r.mu.Lock()
	if fi.active != 0 {
		r.t.Errorf("evict of %s on instance %d while an event runs there", obj.ID(), fi.n)
	}
	delete(fi.state, obj.ID())
	if r.live[key(obj)] == fi {
		delete(r.live, key(obj))
	}
	r.mu.Unlock()
	r.evicted <- obj.ID()
	return nil
}

func (fi *fakeInstance) Close(ctx context.Context) error {
	r := fi.r
	r.mu.Lock()
	if fi.closed {
		r.t.Errorf("instance %d closed twice", fi.n)
	}
	if fi.active != 0 {
		r.t.Errorf("instance %d closed while an event runs there", fi.n)
	}
	fi.closed = true
	fi.drop()
	r.mu.Unlock()
	r.closed <- fi.n
	return nil
}

// drop forgets the instance's objects; r.mu held.
func (fi *fakeInstance) drop() {
	for k, in := range fi.r.live {
		if in == fi {
			delete(fi.r.live, k)
		}
	}
	fi.state = map[durable.ID]*objState{}
}

// wait is Manager.Wait, counted as a wait by the instance.
func (fi *fakeInstance) wait(ctx context.Context, m *Manager, fn func(ctx context.Context) error) error {
	r := fi.r
	r.mu.Lock()
	fi.waiting++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		fi.waiting--
		r.mu.Unlock()
	}()
	return m.Wait(ctx, fn)
}

// call delivers an event from inside one, through Wait: explicitly when
// explicit, else by Deliver's own.
func (fi *fakeInstance) call(ctx context.Context, m *Manager, explicit bool, class string, id durable.ID, ev any) (any, error) {
	if !explicit {
		r := fi.r
		r.mu.Lock()
		fi.waiting++
		r.mu.Unlock()
		defer func() {
			r.mu.Lock()
			fi.waiting--
			r.mu.Unlock()
		}()
		return m.Deliver(ctx, class, id, ev)
	}
	out := make(chan any, 1) // fn may outlive a Wait that gives up
	err := fi.wait(ctx, m, func(ctx context.Context) error {
		res, err := m.Deliver(ctx, class, id, ev)
		out <- res
		return err
	})
	if err != nil {
		return nil, err
	}
	return <-out, nil
}

// trap is a step that traps.
func trap(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
	fi.r.mu.Lock()
	fi.poisoned = true
	fi.drop()
	fi.r.mu.Unlock()
	return nil, &TrapError{Err: errors.New("unreachable executed")}
}

// fakeStorage counts Close calls.
type fakeStorage struct {
	storage.Storage
	mu     sync.Mutex
	closes int
}

func (s *fakeStorage) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closes++
	return nil
}

func (s *fakeStorage) closed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closes
}

// key is the object's key in fakeRunner.live.
func key(obj *Object) string { return obj.Class() + "/" + obj.ID().String() }

// oid makes a test object id.
func oid(n int) durable.ID {
	var id durable.ID
	copy(id[:], fmt.Sprintf("object-%08d", n))
	return id
}

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// newManager returns a Manager on r with a manual clock, closed when the
// test ends.
func newManager(t testing.TB, r *fakeRunner, cfg Config) (*Manager, *clock.Manual) {
	t.Helper()
	clk := clock.NewManual(t0)
	cfg.Runner = r
	if cfg.Clock == nil {
		cfg.Clock = clk
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return m, clk
}

// eventually waits, yielding, until cond holds (a state another
// goroutine reaches without telling the test), failing after a while.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		runtime.Gosched()
	}
}

// queuedFor counts the events waiting for class's object id.
func (m *Manager) queuedFor(class string, id durable.ID) int {
	c := m.class(class)
	c.mu.Lock()
	defer c.mu.Unlock()
	obj := c.objects[id]
	if obj == nil {
		return 0
	}
	n := 0
	for _, e := range obj.queue[obj.head:] {
		if !e.cancelled {
			n++
		}
	}
	return n
}

// instanceOf returns the instance class's object id is live on.
func (m *Manager) instanceOf(class string, id durable.ID) *instance {
	c := m.class(class)
	c.mu.Lock()
	defer c.mu.Unlock()
	if obj := c.objects[id]; obj != nil {
		return obj.inst
	}
	return nil
}

// dump describes the Manager's state, for a test that hangs.
func (m *Manager) dump() string {
	var b strings.Builder
	for _, v := range m.classes.Range {
		c := v.(*class)
		c.mu.Lock()
		for _, obj := range c.objects {
			if obj.running == 0 && !obj.queued() {
				continue
			}
			fmt.Fprintf(&b, "%s: inst %d (poisoned %v, depth %d, nest %v) running %d blocking %d queued %d ready %v\n",
				obj.id.String()[:16], obj.inst.seq, obj.inst.poisoned, len(obj.inst.stack), obj.inst.canNest, obj.running, obj.blocking, len(obj.queue)-obj.head, obj.inReady)
		}
		c.mu.Unlock()
	}
	return b.String()
}
