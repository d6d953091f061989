package objects

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindery-run/bindery/bindings/durable"
	"github.com/bindery-run/bindery/bindings/durable/storage"
)

func TestNewConfig(t *testing.T) {
	r := newFakeRunner(t, true)
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no runner", Config{}, "Config.Runner is required"},
		{"negative capacity", Config{Runner: r, ObjectsPerInstance: -1}, "Config.ObjectsPerInstance is -1"},
		{"negative instances", Config{Runner: r, MaxInstances: -2}, "Config.MaxInstances is -2"},
		{"negative depth", Config{Runner: r, MaxDepth: -1}, "Config.MaxDepth is -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// Objects are made on first use, keep their state between events, and
// are apart by class and id.
func TestDeliver(t *testing.T) {
	r := newFakeRunner(t, true)
	m, _ := newManager(t, r, Config{})
	ctx := context.Background()
	for _, tc := range []struct {
		class string
		id    durable.ID
		want  int
	}{
		{"Counter", oid(1), 1},
		{"Counter", oid(1), 2},
		{"Counter", oid(2), 1},
		{"Other", oid(1), 1},
		{"Counter", oid(1), 3},
		{"Other", oid(1), 2},
	} {
		got, err := m.Deliver(ctx, tc.class, tc.id, nil)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.class, tc.id, err)
		}
		if got != tc.want {
			t.Errorf("%s %s: count %v, want %d", tc.class, tc.id, got, tc.want)
		}
	}
	if s := m.Stats(); s.Objects != 3 {
		t.Errorf("Stats: %+v, want 3 objects", s)
	}
}

// Events for one object run one at a time, in the order they arrived.
func TestFIFO(t *testing.T) {
	r := newFakeRunner(t, true)
	m, _ := newManager(t, r, Config{})
	ctx := context.Background()
	release := make(chan struct{})
	var mu sync.Mutex
	var order []int
	record := func(i int) step {
		return func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
			if i == 0 {
				<-release // holds the instance (not a Wait)
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			return nil, nil
		}
	}
	const n = 150 // past the queue's compaction
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := m.Deliver(ctx, "C", oid(1), record(0)); err != nil {
			t.Error(err)
		}
	}()
	eventually(t, "the first event runs", func() bool { return m.instanceOf("C", oid(1)) != nil && m.queuedFor("C", oid(1)) == 0 })
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.Deliver(ctx, "C", oid(1), record(i)); err != nil {
				t.Error(err)
			}
		}()
		eventually(t, fmt.Sprintf("event %d is queued", i), func() bool { return m.queuedFor("C", oid(1)) == i })
	}
	close(release)
	wg.Wait()
	for i, got := range order {
		if got != i {
			t.Fatalf("events ran in order %v", order)
		}
	}
}

// Objects on different instances run at the same time.
func TestParallel(t *testing.T) {
	r := newFakeRunner(t, true)
	m, _ := newManager(t, r, Config{SpreadInstances: 2})
	ctx := context.Background()
	arrived := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	meet := func(me int) step {
		return func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
			close(arrived[me])
			select {
			case <-arrived[1-me]: // the other runs now too
				return fi.n, nil
			case <-time.After(10 * time.Second):
				return nil, errors.New("the other object did not run in parallel")
			}
		}
	}
	var wg sync.WaitGroup
	var insts [2]any
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if insts[i], err = m.Deliver(ctx, "C", oid(i), meet(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if insts[0] == insts[1] {
		t.Errorf("both objects ran on instance %v", insts[0])
	}
}

// hops is an event that calls the next object of the list, which calls
// the next, and returns the path it took.
func hops(explicit bool, m *Manager, ids ...durable.ID) step {
	return func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
		path := fmt.Sprintf("%s@%d", obj.ID().String()[:16], fi.n)
		if len(ids) == 0 {
			return path, nil
		}
		res, err := fi.call(ctx, m, explicit, "C", ids[0], hops(explicit, m, ids[1:]...))
		if err != nil {
			return nil, err
		}
		return path + " " + res.(string), nil
	}
}

// Calls between objects cannot deadlock: a waiting instance runs the
// events of its own objects nested in the wait.
func TestCycles(t *testing.T) {
	a, b, c := oid(1), oid(2), oid(3)
	for _, tc := range []struct {
		name     string
		nest     bool
		chain    []durable.ID
		explicit bool
		wantErr  error
	}{
		{"A-B-C with A and C on one instance", true, []durable.ID{a, b, c}, true, nil},
		{"A-B-A", true, []durable.ID{a, b, a}, true, nil},
		{"A-A", true, []durable.ID{a, a}, true, nil},
		{"A-B-A-B-C-A by Deliver", true, []durable.ID{a, b, a, b, c, a}, false, nil},
		{"A-C on one instance", true, []durable.ID{a, c}, false, nil},
		{"no nesting: A-B-C", false, []durable.ID{a, b, c}, true, nil},
		{"no nesting: A-B-A", false, []durable.ID{a, b, a}, true, ErrDeadlock},
		{"no nesting: A-A", false, []durable.ID{a, a}, false, ErrDeadlock},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFakeRunner(t, tc.nest)
			m, _ := newManager(t, r, Config{SpreadInstances: 2, MaxInstances: 3, ObjectsPerInstance: 2})
			ctx := context.Background()
			for _, id := range []durable.ID{a, b, c} { // places A and C on 1, B on 2
				if _, err := m.Deliver(ctx, "C", id, nil); err != nil {
					t.Fatal(err)
				}
			}
			if tc.nest && (m.instanceOf("C", a) != m.instanceOf("C", c) || m.instanceOf("C", a) == m.instanceOf("C", b)) {
				t.Fatal("placement: A and C are not on one instance apart from B's")
			}
			res, err := m.Deliver(ctx, "C", tc.chain[0], hops(tc.explicit, m, tc.chain[1:]...))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Deliver: %v, %v; want %v", res, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res)
			if n := len(strings.Fields(res.(string))); n != len(tc.chain) {
				t.Errorf("path %q has %d hops, want %d", res, n, len(tc.chain))
			}
		})
	}
}

// Two objects that call each other at once while neither can take
// another event (a module that cannot nest, or both inside
// BlockConcurrency) would wait for ever: the call that closes the cycle
// fails with ErrDeadlock, and the other completes.
func TestMutualCalls(t *testing.T) {
	for _, tc := range []struct {
		name        string
		nest, block bool
	}{
		{"no nesting", false, false},
		{"blocking concurrency", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFakeRunner(t, tc.nest)
			m, _ := newManager(t, r, Config{SpreadInstances: 2})
			ctx := context.Background()
			ids := [2]durable.ID{oid(1), oid(2)}
			started := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
			errs := make(chan error, 2)
			for i := range 2 {
				go func() {
					_, err := m.Deliver(ctx, "C", ids[i], step(func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
						if tc.block {
							end, err := m.BlockConcurrency(ctx)
							if err != nil {
								return nil, err
							}
							defer end()
						}
						close(started[i])
						if err := fi.wait(ctx, m, func(context.Context) error { <-started[1-i]; return nil }); err != nil {
							return nil, err
						}
						return fi.call(ctx, m, false, "C", ids[1-i], nil)
					}))
					errs <- err
				}()
			}
			var deadlocks int
			for range 2 {
				if err := <-errs; errors.Is(err, ErrDeadlock) {
					deadlocks++
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if deadlocks != 1 {
				t.Errorf("%d calls failed with ErrDeadlock, want 1", deadlocks)
			}
		})
	}
}

// An event that would nest deeper than MaxDepth fails, with a clear
// error, and the instance goes on serving.
func TestNestingDepth(t *testing.T) {
	r := newFakeRunner(t, true)
	m, _ := newManager(t, r, Config{MaxDepth: 3})
	ctx := context.Background()
	a := oid(1)
	if _, err := m.Deliver(ctx, "C", a, hops(false, m, a, a)); err != nil {
		t.Fatalf("3 deep: %v", err)
	}
	_, err := m.Deliver(ctx, "C", a, hops(false, m, a, a, a))
	if !errors.Is(err, ErrNestingDepth) {
		t.Fatalf("4 deep: %v, want ErrNestingDepth", err)
	}
	t.Log(err)
	if got, err := m.Deliver(ctx, "C", a, nil); err != nil || got != 7 {
		t.Fatalf("after: %v, %v; want count 7 (3, then 3 of 4)", got, err)
	}
}

// While an event waits, the object's next event runs nested, unless the
// waiting event is inside BlockConcurrency.
func TestBlockConcurrency(t *testing.T) {
	for _, block := range []bool{false, true} {
		t.Run(fmt.Sprint("block=", block), func(t *testing.T) {
			r := newFakeRunner(t, true)
			m, _ := newManager(t, r, Config{})
			ctx := context.Background()
			a := oid(1)
			var mu sync.Mutex
			var log []string
			note := func(s string) {
				mu.Lock()
				log = append(log, s)
				mu.Unlock()
			}
			release := make(chan struct{})
			first := func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
				note("first starts")
				if block {
					end, err := m.BlockConcurrency(ctx)
					if err != nil {
						return nil, err
					}
					defer end()
				}
				err := fi.wait(ctx, m, func(ctx context.Context) error { <-release; return nil })
				note("first ends")
				return nil, err
			}
			second := func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
				note("second runs")
				return nil, nil
			}
			done := make(chan error, 2)
			go func() { _, err := m.Deliver(ctx, "C", a, step(first)); done <- err }()
			eventually(t, "the first event waits", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(log) == 1
			})
			if block {
				go func() { _, err := m.Deliver(ctx, "C", a, step(second)); done <- err }()
				eventually(t, "the second event is queued", func() bool { return m.queuedFor("C", a) == 1 })
				close(release)
			} else {
				_, err := m.Deliver(ctx, "C", a, step(second)) // runs while the first waits
				done <- err
				close(release)
			}
			for range 2 {
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
			want := []string{"first starts", "second runs", "first ends"}
			if block {
				want = []string{"first starts", "first ends", "second runs"}
			}
			if !slices.Equal(log, want) {
				t.Errorf("ran %q, want %q", log, want)
			}
		})
	}
}

// A call back to an object inside BlockConcurrency from what it waits on
// fails at once instead of deadlocking.
func TestBlockConcurrencyDeadlock(t *testing.T) {
	r := newFakeRunner(t, true)
	m, _ := newManager(t, r, Config{})
	ctx := context.Background()
	a, b := oid(1), oid(2)
	_, err := m.Deliver(ctx, "C", a, step(func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
		end, err := m.BlockConcurrency(ctx)
		if err != nil {
			return nil, err
		}
		defer end()
		return hops(false, m, b, a)(ctx, fi, obj, st)
	}))
	if !errors.Is(err, ErrDeadlock) {
		t.Fatalf("A (blocking) → B → A: %v, want ErrDeadlock", err)
	}
	if _, err := m.BlockConcurrency(ctx); !errors.Is(err, ErrWaitMisuse) {
		t.Errorf("BlockConcurrency outside an event: %v", err)
	}
}

// An idle object is evicted after IdleTimeout on the clock: its memory
// is gone, its storage handle closed, and it is made again on its next
// event; an empty instance is closed.
func TestEviction(t *testing.T) {
	r := newFakeRunner(t, true)
	stores := map[durable.ID]*fakeStorage{}
	var smu sync.Mutex
	m, clk := newManager(t, r, Config{IdleTimeout: time.Minute, OpenStorage: func(class string, id durable.ID) (storage.Storage, error) {
		smu.Lock()
		defer smu.Unlock()
		s := stores[id]
		if s == nil {
			s = &fakeStorage{}
			stores[id] = s
		}
		return s, nil
	}})
	ctx := context.Background()
	a := oid(1)
	useStorage := step(func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
		if _, err := obj.Storage(); err != nil {
			return nil, err
		}
		return st.count, nil
	})
	deliver := func(want int) {
		t.Helper()
		if got, err := m.Deliver(ctx, "C", a, useStorage); err != nil || got != want {
			t.Fatalf("Deliver: %v, %v; want count %d", got, err, want)
		}
	}
	deliver(1)
	clk.Advance(30 * time.Second)
	deliver(2) // the timer starts again
	clk.Advance(59 * time.Second)
	if clk.Pending() != 1 || m.Stats().Objects != 1 {
		t.Fatalf("evicted before the idle timeout: %d timers, %+v", clk.Pending(), m.Stats())
	}
	clk.Advance(time.Second)
	if id := <-r.evicted; id != a {
		t.Fatalf("evicted %s", id)
	}
	<-r.closed // its instance, now empty
	eventually(t, "the object and instance are gone", func() bool { return m.Stats() == Stats{} })
	if n := stores[a].closed(); n != 1 {
		t.Errorf("storage closed %d times, want 1", n)
	}
	deliver(1) // made again
	if n := r.creations(a); n != 2 {
		t.Errorf("object made %d times, want 2", n)
	}
	if n := r.numInstances(); n != 2 {
		t.Errorf("%d instances made, want 2", n)
	}
}

// An event that arrives while its object is being evicted waits for the
// eviction, then runs with nothing in memory, on the same instance.
func TestEventDuringEviction(t *testing.T) {
	r := newFakeRunner(t, true)
	m, clk := newManager(t, r, Config{IdleTimeout: time.Minute})
	ctx := context.Background()
	a := oid(1)
	if _, err := m.Deliver(ctx, "C", a, nil); err != nil {
		t.Fatal(err)
	}
	inst := m.instanceOf("C", a)
	result := make(chan any)
	r.onEvict = func(obj *Object) {
		go func() {
			got, err := m.Deliver(ctx, "C", a, nil)
			if err != nil {
				t.Error(err)
			}
			result <- got
		}()
		eventually(t, "the event is queued", func() bool { return m.queuedFor("C", a) == 1 })
	}
	clk.Advance(time.Minute)
	<-r.evicted
	if got := <-result; got != 1 {
		t.Errorf("event during the eviction: count %v, want 1", got)
	}
	if m.instanceOf("C", a) != inst || r.creations(a) != 2 || r.numInstances() != 1 {
		t.Errorf("not made again in place: %d creations on %d instances", r.creations(a), r.numInstances())
	}
}

// Wait returns when its event's ctx ends, whatever fn does.
func TestWaitContext(t *testing.T) {
	r := newFakeRunner(t, true)
	m, _ := newManager(t, r, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{})
	defer close(block)
	waited := make(chan error, 1)
	_, err := m.Deliver(ctx, "C", oid(1), step(func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
		err := fi.wait(ctx, m, func(context.Context) error {
			cancel()
			<-block // until the test ends
			return nil
		})
		waited <- err
		return nil, err
	}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Deliver: %v, want context.Canceled", err)
	}
	select {
	case err := <-waited:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Wait: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return when its ctx ended")
	}
}

// Objects that are not idle are not evicted, whatever the clock says.
func TestNoEvictionWhileBusy(t *testing.T) {
	r := newFakeRunner(t, true)
	m, clk := newManager(t, r, Config{IdleTimeout: time.Minute})
	ctx := context.Background()
	a, b := oid(1), oid(2)
	if _, err := m.Deliver(ctx, "C", b, nil); err != nil {
		t.Fatal(err)
	}
	_, err := m.Deliver(ctx, "C", a, step(func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
		clk.Advance(time.Hour) // b's timer fires; a's has not started
		<-r.evicted
		return nil, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m.Deliver(ctx, "C", a, nil); err != nil || got != 2 {
		t.Fatalf("a after: %v, %v; want count 2 (not evicted)", got, err)
	}
}

// An object whose idle timer fired while its instance was busy, and that
// ran an event since, is not evicted when the instance gets to it.
func TestEvictionAfterLateEvent(t *testing.T) {
	r := newFakeRunner(t, true)
	m, clk := newManager(t, r, Config{IdleTimeout: time.Minute, SpreadInstances: 1})
	ctx := context.Background()
	a, b := oid(1), oid(2)
	if _, err := m.Deliver(ctx, "C", b, nil); err != nil {
		t.Fatal(err)
	}
	_, err := m.Deliver(ctx, "C", a, step(func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
		return nil, fi.wait(ctx, m, func(ctx context.Context) error {
			clk.Advance(time.Minute)              // b's timer fires; its instance is busy
			_, err := m.Deliver(ctx, "C", b, nil) // runs nested in a's wait
			return err
		})
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m.Deliver(ctx, "C", b, nil); err != nil || got != 3 {
		t.Fatalf("b after: %v, %v; want count 3 (not evicted)", got, err)
	}
	if len(r.evicted) != 0 {
		t.Errorf("%d objects evicted", len(r.evicted))
	}
}

// A trap poisons the instance: the event that trapped and those waiting
// below it fail, every object on it is reset (memory gone), and their
// queued events run on a fresh instance.
func TestTrap(t *testing.T) {
	t.Run("queued events move", func(t *testing.T) {
		r := newFakeRunner(t, true)
		m, _ := newManager(t, r, Config{SpreadInstances: 1})
		ctx := context.Background()
		x, y := oid(1), oid(2)
		for _, id := range []durable.ID{x, y} {
			if _, err := m.Deliver(ctx, "C", id, nil); err != nil {
				t.Fatal(err)
			}
		}
		release, started := make(chan struct{}), make(chan struct{})
		trapped := make(chan error, 1)
		go func() {
			_, err := m.Deliver(ctx, "C", x, step(func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
				close(started)
				<-release
				return trap(ctx, fi, obj, st)
			}))
			trapped <- err
		}()
		<-started
		results := make(chan any, 2)
		for _, id := range []durable.ID{y, x} {
			go func() {
				got, err := m.Deliver(ctx, "C", id, nil)
				if err != nil {
					t.Error(err)
				}
				results <- got
			}()
			eventually(t, "an event is queued", func() bool { return m.queuedFor("C", id) == 1 })
		}
		close(release)
		err := <-trapped
		if _, ok := errors.AsType[*TrapError](err); !ok || !errors.Is(err, ErrPoisoned) {
			t.Fatalf("trapped event: %v, want a TrapError", err)
		}
		for range 2 {
			if got := <-results; got != 1 {
				t.Errorf("queued event after the reset: count %v, want 1 (memory reset)", got)
			}
		}
		if r.creations(x) != 2 || r.creations(y) != 2 || r.numInstances() != 2 {
			t.Errorf("made x %d, y %d times on %d instances; want 2, 2, 2", r.creations(x), r.creations(y), r.numInstances())
		}
	})
	t.Run("nested", func(t *testing.T) {
		r := newFakeRunner(t, true)
		m, _ := newManager(t, r, Config{SpreadInstances: 1})
		ctx := context.Background()
		a, b := oid(1), oid(2)
		if _, err := m.Deliver(ctx, "C", b, nil); err != nil {
			t.Fatal(err)
		}
		_, err := m.Deliver(ctx, "C", a, step(func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
			// b traps nested in a's wait; a's wait fails.
			_, err := fi.call(ctx, m, false, "C", b, step(trap))
			if !errors.Is(err, ErrPoisoned) {
				t.Errorf("nested call: %v, want ErrPoisoned", err)
			}
			return nil, fi.wait(ctx, m, func(ctx context.Context) error { return nil })
		}))
		if !errors.Is(err, ErrPoisoned) {
			t.Fatalf("outer event: %v, want ErrPoisoned", err)
		}
		for _, id := range []durable.ID{a, b} {
			if got, err := m.Deliver(ctx, "C", id, nil); err != nil || got != 1 {
				t.Errorf("after the trap: %v, %v; want count 1", got, err)
			}
		}
	})
}

// A module that cannot nest gets one object per instance, and an
// object's events never interleave.
func TestOneObjectPerInstance(t *testing.T) {
	r := newFakeRunner(t, false)
	m, _ := newManager(t, r, Config{MaxInstances: 20})
	ctx := context.Background()
	for i := range 20 {
		if _, err := m.Deliver(ctx, "C", oid(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if s := m.Stats(); s.Instances != 20 || s.Objects != 20 {
		t.Fatalf("Stats: %+v, want 20 instances and objects", s)
	}
	if _, err := m.Deliver(ctx, "C", oid(20), nil); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("21st object: %v, want ErrOverloaded", err)
	}
	release, started := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var log []string
	done := make(chan error)
	go func() {
		_, err := m.Deliver(ctx, "C", oid(0), step(func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
			close(started)
			err := fi.wait(ctx, m, func(ctx context.Context) error { <-release; return nil })
			mu.Lock()
			log = append(log, "first")
			mu.Unlock()
			return nil, err
		}))
		done <- err
	}()
	<-started
	go func() {
		_, err := m.Deliver(ctx, "C", oid(0), step(func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
			mu.Lock()
			log = append(log, "second")
			mu.Unlock()
			return nil, nil
		}))
		done <- err
	}()
	eventually(t, "the second event is queued", func() bool { return m.queuedFor("C", oid(0)) == 1 })
	close(release)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(log, []string{"first", "second"}) {
		t.Errorf("ran %v", log)
	}
}

// A queued event whose caller gives up never runs.
func TestCancel(t *testing.T) {
	r := newFakeRunner(t, true)
	m, _ := newManager(t, r, Config{})
	a := oid(1)
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := m.Deliver(context.Background(), "C", a, step(func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
			<-release
			return nil, nil
		}))
		done <- err
	}()
	eventually(t, "the first event runs", func() bool { return m.instanceOf("C", a) != nil && m.queuedFor("C", a) == 0 })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, err := m.Deliver(ctx, "C", a, step(func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
			t.Error("a cancelled event ran")
			return nil, nil
		}))
		done <- err
	}()
	eventually(t, "the second event is queued", func() bool { return m.queuedFor("C", a) == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Deliver: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, err := m.Deliver(context.Background(), "C", a, nil); err != nil || got != 2 {
		t.Fatalf("after: %v, %v; want count 2", got, err)
	}
}

// An instance that cannot be made fails the events waiting for it.
func TestNewInstanceError(t *testing.T) {
	r := newFakeRunner(t, true)
	r.newErr = errors.New("no memory")
	m, _ := newManager(t, r, Config{})
	_, err := m.Deliver(context.Background(), "C", oid(1), nil)
	if err == nil || !strings.Contains(err.Error(), "no memory") {
		t.Fatalf("Deliver: %v", err)
	}
	eventually(t, "the object is gone", func() bool { return m.Stats() == Stats{} })
	r.mu.Lock()
	r.newErr = nil
	r.mu.Unlock()
	if got, err := m.Deliver(context.Background(), "C", oid(1), nil); err != nil || got != 1 {
		t.Fatalf("after: %v, %v", got, err)
	}
}

// Wait and Deliver misused off an event's goroutine report it.
func TestWaitMisuse(t *testing.T) {
	r := newFakeRunner(t, true)
	m, _ := newManager(t, r, Config{})
	_, err := m.Deliver(context.Background(), "C", oid(1), step(func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
		return nil, fi.wait(ctx, m, func(wctx context.Context) error {
			if FromContext(wctx) != nil {
				t.Error("FromContext in a wait's function is the object")
			}
			return m.Wait(ctx, func(context.Context) error { return nil }) // the event's ctx, off its goroutine
		})
	}))
	if !errors.Is(err, ErrWaitMisuse) {
		t.Fatalf("Wait off the event's goroutine: %v", err)
	}
}

// Close fails later events and closes every instance.
func TestClose(t *testing.T) {
	r := newFakeRunner(t, true)
	m, _ := newManager(t, r, Config{SpreadInstances: 4})
	ctx := context.Background()
	for i := range 4 {
		if _, err := m.Deliver(ctx, "C", oid(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Deliver(ctx, "C", oid(0), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if len(r.closed) != 4 {
		t.Errorf("%d instances closed, want 4", len(r.closed))
	}
}

// 10,000 objects, spread over instances, each receiving events from many
// goroutines at once, some of which call other objects.
func TestManyObjects(t *testing.T) {
	const objects, rounds, workers = 10000, 3, 32
	r := newFakeRunner(t, true)
	m, _ := newManager(t, r, Config{ObjectsPerInstance: 100, MaxInstances: 200, SpreadInstances: 8})
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range rounds {
				for i := w; i < objects; i += workers {
					var ev any
					if i%50 == round {
						ev = hops(i%2 == 0, m, oid((i*7919)%objects))
					}
					if _, err := m.Deliver(ctx, "C", oid(i), ev); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	s := m.Stats()
	if s.Objects != objects || s.Instances != objects/100 {
		t.Errorf("Stats: %+v, want %d objects on %d instances", s, objects, objects/100)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	for _, fi := range r.instances {
		for _, st := range fi.state {
			total += st.count
		}
	}
	if want := objects*rounds + objects/50*rounds; total != want {
		t.Errorf("%d events ran, want %d", total, want)
	}
}

// BenchmarkDeliver measures the Manager's overhead per event, with a
// runner that does nothing.
func BenchmarkDeliver(b *testing.B) {
	for _, tc := range []struct {
		name    string
		objects int
	}{{"one object", 1}, {"1000 objects", 1000}} {
		b.Run(tc.name, func(b *testing.B) {
			m, err := New(Config{Runner: nopRunner{}, IdleTimeout: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close(context.Background())
			ctx := context.Background()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := m.Deliver(ctx, "C", oid(i%tc.objects), nil); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}

type nopRunner struct{}

func (nopRunner) NewInstance(context.Context, string) (Instance, error) { return nopInstance{}, nil }

type nopInstance struct{}

func (nopInstance) CanNest() bool                                  { return true }
func (nopInstance) Run(context.Context, *Object, any) (any, error) { return nil, nil }
func (nopInstance) Evict(context.Context, *Object) error           { return nil }
func (nopInstance) Close(context.Context) error                    { return nil }

// Everything at once: events that call other objects, block concurrency,
// trap, while the clock evicts idle objects; the fake runner checks the
// guarantees throughout, and the Manager closes cleanly afterwards.
func TestStress(t *testing.T) {
	const objects, workers, events = 200, 16, 300
	r := newFakeRunner(t, true)
	m, clk := newManager(t, r, Config{ObjectsPerInstance: 10, MaxInstances: 40, SpreadInstances: 4, IdleTimeout: time.Minute, MaxDepth: 6})
	ctx := context.Background()
	stop := make(chan struct{})
	ticked := make(chan struct{})
	go func() { // the clock moves on while events run
		defer close(ticked)
		for {
			select {
			case <-stop:
				return
			default:
				clk.Advance(10 * time.Second)
				runtime.Gosched()
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(1, uint64(w)))
			for range events {
				var ev step
				chain := make([]durable.ID, rng.IntN(4))
				for i := range chain {
					chain[i] = oid(rng.IntN(objects))
				}
				switch n := rng.IntN(100); {
				case n < 2:
					ev = trap
				case n < 10:
					ev = func(ctx context.Context, fi *fakeInstance, obj *Object, st *objState) (any, error) {
						end, err := m.BlockConcurrency(ctx)
						if err != nil {
							return nil, err
						}
						defer end()
						return hops(true, m, chain...)(ctx, fi, obj, st)
					}
				default:
					ev = hops(n%2 == 0, m, chain...)
				}
				dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				_, err := m.Deliver(dctx, "C", oid(rng.IntN(objects)), ev)
				cancel()
				if errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("hung:\n%s", m.dump())
					return
				}
				if err != nil && !errors.Is(err, ErrPoisoned) && !errors.Is(err, ErrNestingDepth) && !errors.Is(err, ErrDeadlock) {
					t.Errorf("Deliver: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-ticked
	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := m.Close(closeCtx); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, fi := range r.instances {
		if !fi.closed {
			t.Errorf("instance %d not closed", fi.n)
		}
	}
	t.Logf("%d instances made, %d evictions", len(r.instances), len(r.evicted))
}
