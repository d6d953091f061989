package alarms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bindery-run/bindery/host/clock"
	"github.com/bindery-run/bindery/internal/badgerdb"
	"github.com/dgraph-io/badger/v4"
)

// t0 is the manual clock's start, on a whole second.
var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

const class = "Counter"

// call is one delivery the harness saw.
type call struct {
	class, id string
	info      Info
	at        time.Time // the clock's time when it was delivered
}

// logs collects log records.
type logs struct {
	mu  sync.Mutex
	out []slog.Record
}

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out = append(l.out, r.Clone())
	return nil
}
func (l *logs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logs) WithGroup(string) slog.Handler      { return l }

func (l *logs) records() []slog.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]slog.Record(nil), l.out...)
}

// harness is a scheduler on a manual clock over a Badger database in a
// temporary directory, whose deliveries call handle and are recorded.
type harness struct {
	t   testing.TB
	dir string
	clk *clock.Manual
	db  *badger.DB
	s   *Scheduler
	log *logs

	mu     sync.Mutex
	calls  []call
	handle func(ctx context.Context, c call) error
}

func newHarness(t testing.TB, max int) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), clk: clock.NewManual(t0), log: &logs{}}
	h.open(max)
	t.Cleanup(h.close)
	return h
}

// open opens the database and a started scheduler.
func (h *harness) open(max int) {
	h.t.Helper()
	db, err := badgerdb.Open(h.dir, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
	s, err := New(db, Options{Deliver: h.deliver, Clock: h.clk, Logger: slog.New(h.log), MaxConcurrent: max})
	if err != nil {
		h.t.Fatal(err)
	}
	h.s = s
	if err := s.Start(); err != nil {
		h.t.Fatal(err)
	}
}

// close closes the scheduler and the database (again is fine).
func (h *harness) close() {
	if h.s == nil {
		return
	}
	if err := h.s.Close(); err != nil {
		h.t.Error(err)
	}
	if err := h.db.Close(); err != nil {
		h.t.Error(err)
	}
	h.s, h.db = nil, nil
}

func (h *harness) deliver(ctx context.Context, class, id string, info Info) error {
	c := call{class: class, id: id, info: info, at: h.clk.Now()}
	h.mu.Lock()
	h.calls = append(h.calls, c)
	handle := h.handle
	h.mu.Unlock()
	if handle == nil {
		return nil
	}
	return handle(ctx, c)
}

// taken returns the deliveries since the last call and forgets them.
func (h *harness) taken() []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls
	h.calls = nil
	return c
}

// advance moves the clock and waits for the deliveries it starts.
func (h *harness) advance(d time.Duration) {
	h.clk.Advance(d)
	h.s.waitIdle()
}

func (h *harness) set(id string, at time.Time) {
	h.t.Helper()
	if err := h.s.Set(context.Background(), class, id, at); err != nil {
		h.t.Fatal(err)
	}
}

// get returns the alarm's time, or the zero time.
func (h *harness) get(id string) time.Time {
	h.t.Helper()
	at, ok, err := h.s.Get(context.Background(), class, id)
	if err != nil {
		h.t.Fatal(err)
	}
	if ok != !at.IsZero() {
		h.t.Fatalf("Get(%s) = %v, %v", id, at, ok)
	}
	return at
}

// indexLen counts the index entries and records in the database.
func (h *harness) counts() (index, records int) {
	h.t.Helper()
	err := h.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(root)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			switch k := it.Item().Key(); {
			case string(k[:len(indexRoot)]) == indexRoot:
				index++
			case string(k[:len(recordsRoot)]) == recordsRoot:
				records++
			default:
				h.t.Errorf("stray key %q", k)
			}
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return index, records
}

func (h *harness) wantStored(n int) {
	h.t.Helper()
	if i, r := h.counts(); i != n || r != n {
		h.t.Fatalf("%d index entries and %d records stored, want %d of each", i, r, n)
	}
}

func TestSetGetDelete(t *testing.T) {
	ctx := context.Background()
	type step struct {
		op   string // set, delete
		id   string
		at   time.Time
		want time.Time // Get(id) after the step; zero: none
	}
	at := t0.Add(time.Hour)
	tests := []struct {
		name  string
		steps []step
	}{
		{"set then get", []step{{"set", "a", at, at}}},
		{"kept to the millisecond", []step{{"set", "a", at.Add(1500 * time.Microsecond), at.Add(time.Millisecond)}}},
		{"set replaces", []step{{"set", "a", at, at}, {"set", "a", at.Add(time.Minute), at.Add(time.Minute)}, {"set", "a", at.Add(-time.Minute), at.Add(-time.Minute)}}},
		{"delete", []step{{"set", "a", at, at}, {"delete", "a", time.Time{}, time.Time{}}}},
		{"delete without alarm", []step{{"delete", "a", time.Time{}, time.Time{}}}},
		{"objects apart", []step{{"set", "a", at, at}, {"set", "b", at.Add(time.Second), at.Add(time.Second)}, {"delete", "b", time.Time{}, time.Time{}}, {"get", "a", time.Time{}, at}}},
		{"far future", []step{{"set", "a", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 0)
			for i, st := range tt.steps {
				switch st.op {
				case "set":
					h.set(st.id, st.at)
				case "delete":
					if err := h.s.Delete(ctx, class, st.id); err != nil {
						t.Fatal(err)
					}
				}
				if got := h.get(st.id); !got.Equal(st.want) {
					t.Fatalf("step %d: Get(%s) = %v, want %v", i, st.id, got, st.want)
				}
			}
			if c := h.taken(); len(c) != 0 {
				t.Errorf("delivered %v before any was due", c)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 0)
	for _, o := range [][2]string{{"", "a"}, {class, ""}} {
		if err := h.s.Set(ctx, o[0], o[1], t0); err == nil {
			t.Errorf("Set(%q, %q) worked", o[0], o[1])
		}
		if _, _, err := h.s.Get(ctx, o[0], o[1]); err == nil {
			t.Errorf("Get(%q, %q) worked", o[0], o[1])
		}
		if err := h.s.Delete(ctx, o[0], o[1]); err == nil {
			t.Errorf("Delete(%q, %q) worked", o[0], o[1])
		}
	}
	if _, err := New(h.db, Options{}); err == nil {
		t.Error("New without Deliver worked")
	}
	if _, err := New(h.db, Options{Deliver: h.deliver, MaxConcurrent: -1}); err == nil {
		t.Error("New with MaxConcurrent -1 worked")
	}
	h.wantStored(0)
}

func TestFires(t *testing.T) {
	tests := []struct {
		name  string
		at    time.Duration // from t0
		first time.Duration // the advance that must not fire it (-1: none)
	}{
		{"future", 10 * time.Second, 10*time.Second - time.Millisecond},
		{"now", 0, -1},
		{"past", -time.Hour, -1},
		{"before 1970", -60 * 365 * 24 * time.Hour, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 0)
			at := t0.Add(tt.at)
			h.set("a", at)
			if tt.first >= 0 {
				h.advance(tt.first)
				if c := h.taken(); len(c) != 0 {
					t.Fatalf("delivered %v early", c)
				}
				h.advance(tt.at - tt.first)
			} else {
				h.s.waitIdle() // a due alarm fires without the clock moving
			}
			c := h.taken()
			if len(c) != 1 || c[0].id != "a" || c[0].class != class || c[0].info != (Info{}) {
				t.Fatalf("delivered %+v, want one first attempt of a", c)
			}
			if want := maxTime(at, t0); !c[0].at.Equal(want) {
				t.Errorf("delivered at %v, want %v", c[0].at, want)
			}
			if got := h.get("a"); !got.IsZero() {
				t.Errorf("after the handler succeeded, Get = %v", got)
			}
			h.wantStored(0)
			if n := h.clk.Pending(); n != 0 {
				t.Errorf("%d timers pending", n)
			}
		})
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

var errHandler = errors.New("handler threw")

// TestRetries: a failing handler is retried after 2, 4, 8, 16, 32 and 64
// s (exactly: not a millisecond earlier), told its retry count, and
// given up after the sixth retry with one log record; one that succeeds
// on a retry is done.
func TestRetries(t *testing.T) {
	delays := []time.Duration{0, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 64 * time.Second}
	tests := []struct {
		name     string
		failures int // attempts that fail before one succeeds
	}{
		{"success at once", 0},
		{"success on the first retry", 1},
		{"success on the third retry", 3},
		{"success on the last retry", 6},
		{"always fails", 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 0)
			var attempts atomic.Int32
			h.handle = func(ctx context.Context, c call) error {
				if int(attempts.Add(1)) <= tt.failures {
					return fmt.Errorf("attempt %d: %w", c.info.RetryCount, errHandler)
				}
				return nil
			}
			at := t0.Add(time.Minute)
			h.set("a", at)
			h.advance(time.Minute)
			want := min(tt.failures, MaxRetries)
			for retry := 0; ; retry++ {
				c := h.taken()
				if len(c) != 1 {
					t.Fatalf("attempt %d: %d deliveries", retry, len(c))
				}
				if wantInfo := (Info{RetryCount: retry, IsRetry: retry > 0}); c[0].info != wantInfo {
					t.Errorf("attempt %d: info %+v, want %+v", retry, c[0].info, wantInfo)
				}
				if retry == want {
					break
				}
				// Between retries the alarm is still set, at its time.
				if got := h.get("a"); !got.Equal(at) {
					t.Errorf("between retries Get = %v, want %v", got, at)
				}
				d := delays[retry+1]
				if next, ok := h.clk.Next(); !ok || next.Sub(h.clk.Now()) != d {
					t.Fatalf("after attempt %d the timer is %v, %v from now; want %v", retry, next, ok, d)
				}
				h.advance(d - time.Millisecond)
				if c := h.taken(); len(c) != 0 {
					t.Fatalf("retry %d came %v early", retry+1, time.Millisecond)
				}
				h.advance(time.Millisecond)
			}
			if got := h.get("a"); !got.IsZero() {
				t.Errorf("after the last attempt Get = %v", got)
			}
			h.wantStored(0)
			h.advance(time.Hour)
			if c := h.taken(); len(c) != 0 {
				t.Errorf("delivered %v after the last attempt", c)
			}
			recs := h.log.records()
			if tt.failures <= MaxRetries {
				if len(recs) != 0 {
					t.Errorf("logged %d records: %v", len(recs), recs[0].Message)
				}
				return
			}
			if len(recs) != 1 || recs[0].Level != slog.LevelError {
				t.Fatalf("logged %d records, want one error", len(recs))
			}
			attrs := map[string]string{}
			recs[0].Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
			if attrs["class"] != class || attrs["id"] != "a" || attrs["retries"] != "6" ||
				attrs["scheduled"] != at.String() || attrs["err"] != "attempt 6: handler threw" {
				t.Errorf("give-up record %q %v", recs[0].Message, attrs)
			}
		})
	}
}

// TestDuringDelivery: what the handler sees of its own alarm, and what
// it may do to it.
func TestDuringDelivery(t *testing.T) {
	ctx := context.Background()
	later := t0.Add(time.Hour)
	tests := []struct {
		name    string
		handler func(s *Scheduler) error // run in the first attempt
		fail    bool                     // the first attempt fails
		want    time.Time                // the alarm after the handler; zero: none
		retries bool                     // a retry follows
	}{
		{name: "nothing", want: time.Time{}},
		{name: "nothing, fails", fail: true, want: t0, retries: true},
		{name: "set", handler: func(s *Scheduler) error { return s.Set(ctx, class, "a", later) }, want: later},
		{name: "set, fails: no retry", handler: func(s *Scheduler) error { return s.Set(ctx, class, "a", later) }, fail: true, want: later},
		{name: "set in the past, fails", handler: func(s *Scheduler) error { return s.Set(ctx, class, "a", t0.Add(-time.Hour)) }, fail: true, want: t0.Add(-time.Hour)},
		{name: "delete, fails: no retry", handler: func(s *Scheduler) error { return s.Delete(ctx, class, "a") }, fail: true},
		{name: "set then delete", handler: func(s *Scheduler) error {
			if err := s.Set(ctx, class, "a", later); err != nil {
				return err
			}
			return s.Delete(ctx, class, "a")
		}},
		{name: "delete then set", handler: func(s *Scheduler) error {
			if err := s.Delete(ctx, class, "a"); err != nil {
				return err
			}
			return s.Set(ctx, class, "a", later)
		}, fail: true, want: later},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 0)
			first := true
			var inside []string
			h.handle = func(ctx context.Context, c call) error {
				if !first {
					return nil
				}
				first = false
				at, ok, err := h.s.Get(ctx, class, "a")
				inside = append(inside, fmt.Sprint(at, ok, err))
				if tt.handler != nil {
					if err := tt.handler(h.s); err != nil {
						t.Error(err)
					}
				}
				at, ok, err = h.s.Get(ctx, class, "a")
				inside = append(inside, fmt.Sprint(at, ok, err))
				if tt.fail {
					return errHandler
				}
				return nil
			}
			h.set("a", t0)
			h.s.waitIdle()
			c := h.taken()
			if len(c) != 1 && !(len(c) == 2 && tt.want.Before(t0) && !tt.want.IsZero()) {
				t.Fatalf("%d deliveries", len(c))
			}
			none := fmt.Sprint(time.Time{}, false, nil)
			if inside[0] != none {
				t.Errorf("Get in the handler = %s, want none", inside[0])
			}
			afterWant := none
			if !tt.want.IsZero() && tt.handler != nil {
				afterWant = fmt.Sprint(tt.want, true, nil)
			}
			if inside[1] != afterWant {
				t.Errorf("Get in the handler after its calls = %s, want %s", inside[1], afterWant)
			}
			if tt.want.Before(t0) && !tt.want.IsZero() {
				// A past alarm set in the handler fires once it returns.
				if c[1].info != (Info{}) {
					t.Fatalf("the alarm set in the past in the handler: deliveries %+v", c)
				}
				tt.want = time.Time{}
			}
			got := h.get("a")
			if !got.Equal(tt.want) {
				t.Fatalf("after the handler Get = %v, want %v", got, tt.want)
			}
			h.advance(2 * time.Second)
			c = h.taken()
			if tt.retries != (len(c) == 1 && c[0].info.IsRetry) {
				t.Errorf("after 2s: deliveries %+v, want a retry: %v", c, tt.retries)
			}
			if !tt.retries && len(c) != 0 {
				t.Errorf("after 2s: deliveries %+v", c)
			}
			if tt.want.Equal(later) {
				h.advance(later.Sub(h.clk.Now()))
				if c := h.taken(); len(c) != 1 || c[0].info != (Info{}) || !c[0].at.Equal(later) {
					t.Errorf("the alarm set in the handler: deliveries %+v", c)
				}
			}
		})
	}
}

// TestSetBetweenRetries: a new alarm set while one waits for a retry
// replaces it and starts with a retry count of 0.
func TestSetBetweenRetries(t *testing.T) {
	h := newHarness(t, 0)
	fail := true
	h.handle = func(ctx context.Context, c call) error {
		if fail {
			return errHandler
		}
		return nil
	}
	h.set("a", t0)
	h.s.waitIdle()
	h.advance(2 * time.Second)
	if c := h.taken(); len(c) != 2 || c[1].info.RetryCount != 1 {
		t.Fatalf("deliveries %+v", c)
	}
	fail = false
	h.set("a", t0.Add(time.Minute))
	h.advance(58*time.Second - time.Millisecond)
	if c := h.taken(); len(c) != 0 {
		t.Fatalf("a retry of the replaced alarm: %+v", c)
	}
	h.advance(time.Millisecond)
	if c := h.taken(); len(c) != 1 || c[0].info != (Info{}) {
		t.Fatalf("deliveries %+v", c)
	}
	h.wantStored(0)
}

// TestRestart: alarms survive a restart; those that fell due while the
// host was down fire at start, the others at their time, and a retry
// keeps its count.
func TestRestart(t *testing.T) {
	h := newHarness(t, 0)
	h.handle = func(ctx context.Context, c call) error {
		if c.id == "retried" {
			return errHandler
		}
		return nil
	}
	h.set("retried", t0)
	h.s.waitIdle()
	h.set("soon", t0.Add(10*time.Second))
	h.set("later", t0.Add(time.Hour))
	h.set("deleted", t0.Add(time.Second))
	if err := h.s.Delete(context.Background(), class, "deleted"); err != nil {
		t.Fatal(err)
	}
	h.taken()
	h.close()

	h.clk.Advance(time.Minute) // the host is down
	h.handle = nil
	h.open(0)
	h.s.waitIdle()
	got := map[string]Info{}
	for _, c := range h.taken() {
		got[c.id] = c.info
	}
	want := map[string]Info{"retried": {RetryCount: 1, IsRetry: true}, "soon": {}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("at start delivered %v, want %v", got, want)
	}
	if at := h.get("later"); !at.Equal(t0.Add(time.Hour)) {
		t.Fatalf("later = %v", at)
	}
	h.advance(t0.Add(time.Hour - time.Millisecond).Sub(h.clk.Now()))
	if c := h.taken(); len(c) != 0 {
		t.Fatalf("delivered %+v early", c)
	}
	h.advance(time.Millisecond)
	if c := h.taken(); len(c) != 1 || c[0].id != "later" {
		t.Fatalf("delivered %+v", c)
	}
	h.wantStored(0)
}

// TestCloseDuringDelivery: a handler running when the host stops runs
// again at the next start (at least once), as a first attempt.
func TestCloseDuringDelivery(t *testing.T) {
	h := newHarness(t, 0)
	started := make(chan struct{})
	h.handle = func(ctx context.Context, c call) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}
	h.set("a", t0)
	<-started
	h.close()
	h.handle = nil
	h.open(0)
	h.s.waitIdle()
	if c := h.taken(); len(c) != 2 || c[1].info != (Info{}) {
		t.Fatalf("deliveries %+v, want the interrupted one and a first attempt again", c)
	}
	h.wantStored(0)
	if err := h.s.Set(context.Background(), class, "a", t0); err != nil {
		t.Fatal(err)
	}
	h.close()
	h.open(0)
	h.s.waitIdle()
	h.taken()
	h.s.Close()
	if err := h.s.Set(context.Background(), class, "a", t0); !errors.Is(err, ErrClosed) {
		t.Errorf("Set after Close: %v", err)
	}
	if _, _, err := h.s.Get(context.Background(), class, "a"); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
}

// TestNotStarted: a scheduler keeps alarms before Start and delivers
// none.
func TestNotStarted(t *testing.T) {
	h := newHarness(t, 0)
	s, err := New(h.db, Options{Deliver: h.deliver, Clock: h.clk})
	if err != nil {
		t.Fatal(err)
	}
	h.s.Close() // the harness's, so only s delivers
	if err := s.Set(context.Background(), class, "a", t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(time.Hour)
	s.waitIdle()
	if c := h.taken(); len(c) != 0 {
		t.Fatalf("delivered %+v before Start", c)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	s.waitIdle()
	if c := h.taken(); len(c) != 1 {
		t.Fatalf("delivered %+v after Start", c)
	}
	s.Close()
}

// TestManyObjects: 10,000 alarms fire in due-time order, one at a time
// when MaxConcurrent is 1.
func TestManyObjects(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	h := newHarness(t, 1)
	r := rand.New(rand.NewPCG(1, 2))
	due := map[string]time.Time{}
	var inFlight, most atomic.Int32
	h.handle = func(ctx context.Context, c call) error {
		if k := inFlight.Add(1); k > most.Load() {
			most.Store(k)
		}
		defer inFlight.Add(-1)
		return nil
	}
	for i := range n {
		id := fmt.Sprintf("%064x", r.Uint64())
		at := t0.Add(time.Duration(r.Int64N(int64(24*time.Hour))) + time.Hour)
		due[id] = at.Truncate(time.Millisecond)
		h.set(id, at)
		if i%3 == 0 { // replaced: only the last time counts
			at = at.Add(time.Duration(r.Int64N(int64(time.Hour))) - 30*time.Minute)
			due[id] = at.Truncate(time.Millisecond)
			h.set(id, at)
		}
	}
	h.advance(26 * time.Hour)
	c := h.taken()
	if len(c) != len(due) {
		t.Fatalf("%d deliveries of %d alarms", len(c), len(due))
	}
	seen := map[string]bool{}
	for i, d := range c {
		if seen[d.id] {
			t.Fatalf("%s delivered twice", d.id)
		}
		seen[d.id] = true
		if i > 0 && due[d.id].Before(due[c[i-1].id]) {
			t.Fatalf("delivery %d (due %v) after one due %v", i, due[d.id], due[c[i-1].id])
		}
	}
	if most.Load() != 1 {
		t.Errorf("%d deliveries at once, want 1", most.Load())
	}
	h.wantStored(0)
}

// TestConcurrencyBound: with MaxConcurrent k, k deliveries run at once,
// and the others wait for a free slot.
func TestConcurrencyBound(t *testing.T) {
	const k, n = 4, 20
	h := newHarness(t, k)
	release := make(chan struct{})
	started := make(chan string, n)
	h.handle = func(ctx context.Context, c call) error {
		started <- c.id
		<-release
		return nil
	}
	for i := range n {
		h.set(fmt.Sprintf("o%02d", i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	h.clk.Advance(time.Second)
	first := map[string]bool{}
	for range k {
		first[<-started] = true
	}
	for i := range k { // the earliest first
		if !first[fmt.Sprintf("o%02d", i)] {
			t.Errorf("started %v, want o00 to o%02d", first, k-1)
		}
	}
	h.s.mu.Lock()
	running := len(h.s.running)
	h.s.mu.Unlock()
	if running != k || len(started) != 0 {
		t.Fatalf("%d running, %d more started; want %d", running, len(started), k)
	}
	close(release)
	h.s.waitIdle()
	if c := h.taken(); len(c) != n {
		t.Fatalf("%d deliveries", len(c))
	}
	h.wantStored(0)
}

// TestPanic: a Deliver that panics is a failed attempt.
func TestPanic(t *testing.T) {
	h := newHarness(t, 0)
	h.handle = func(ctx context.Context, c call) error {
		if !c.info.IsRetry {
			panic("boom")
		}
		return nil
	}
	h.set("a", t0)
	h.s.waitIdle()
	h.advance(RetryStart)
	if c := h.taken(); len(c) != 2 || c[1].info.RetryCount != 1 {
		t.Fatalf("deliveries %+v", c)
	}
}

func TestDeleteClass(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 0)
	for i := range 2500 {
		h.set(fmt.Sprintf("o%d", i), t0.Add(time.Hour))
	}
	if err := h.s.Set(ctx, "Other", "o1", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := h.s.Set(ctx, class+"x", "o1", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	n, err := h.s.DeleteClass(ctx, class)
	if err != nil || n != 2500 {
		t.Fatalf("DeleteClass = %d, %v", n, err)
	}
	h.wantStored(2)
	h.advance(time.Hour)
	if c := h.taken(); len(c) != 2 || c[0].class == class || c[1].class == class {
		t.Fatalf("deliveries %+v", c)
	}
}

func TestRenameClass(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 0)
	for i := range 1500 {
		h.set(fmt.Sprintf("o%d", i), t0.Add(time.Hour+time.Duration(i)*time.Millisecond))
	}
	if err := h.s.Set(ctx, "Taken", "x", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := h.s.RenameClass(ctx, class, "Taken"); err == nil || n != 0 {
		t.Fatalf("rename onto a class with alarms: %d, %v", n, err)
	}
	if n, err := h.s.RenameClass(ctx, class, "Renamed"); err != nil || n != 1500 {
		t.Fatalf("RenameClass = %d, %v", n, err)
	}
	h.wantStored(1501)
	if at := h.get("o7"); !at.IsZero() {
		t.Errorf("the old class still has o7's alarm at %v", at)
	}
	if at, ok, err := h.s.Get(ctx, "Renamed", "o7"); err != nil || !ok || !at.Equal(t0.Add(time.Hour+7*time.Millisecond)) {
		t.Errorf("Renamed o7: %v, %v, %v", at, ok, err)
	}
	h.advance(time.Hour + 2*time.Second)
	c := h.taken()
	if len(c) != 1500 {
		t.Fatalf("%d deliveries", len(c))
	}
	for _, d := range c {
		if d.class != "Renamed" {
			t.Fatalf("delivered %+v", d)
		}
	}
}

// TestDeleteBetweenRetries: deleting an alarm that waits for a retry
// cancels the retries.
func TestDeleteBetweenRetries(t *testing.T) {
	h := newHarness(t, 0)
	h.handle = func(ctx context.Context, c call) error { return errHandler }
	h.set("a", t0)
	h.s.waitIdle()
	if c := h.taken(); len(c) != 1 {
		t.Fatalf("deliveries %+v", c)
	}
	if err := h.s.Delete(context.Background(), class, "a"); err != nil {
		t.Fatal(err)
	}
	h.wantStored(0)
	h.advance(time.Hour)
	if c := h.taken(); len(c) != 0 {
		t.Fatalf("a retry of a deleted alarm: %+v", c)
	}
	if n := h.clk.Pending(); n != 0 {
		t.Errorf("%d timers pending", n)
	}
}
