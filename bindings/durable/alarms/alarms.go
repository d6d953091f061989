// Package alarms is the host's scheduler of Durable Object alarms: each
// object may have one alarm, a time at which the host calls its alarm
// handler (docs/durable-objects.md#alarms). It keeps Cloudflare's
// semantics:
//
//   - one alarm per object: [Scheduler.Set] replaces the object's alarm,
//     a time in the past fires as soon as possible, [Scheduler.Delete]
//     removes it, [Scheduler.Get] returns its time;
//   - while the alarm's handler runs, Get reports no alarm unless the
//     handler (or another event) set one since the handler started; an
//     alarm set then fires after the handler returns, at its time, in
//     place of any retry of the running one;
//   - delivery is at least once: the alarm stays stored until its
//     handler returns without error, so a host that stops or crashes
//     during the handler runs it again when it starts;
//   - a handler that fails is retried with exponential backoff, 2 s after
//     the first failure, then 4, 8, 16, 32 and 64 s: 6 retries
//     ([MaxRetries]), each told its retryCount ([Info]); after the sixth
//     retry fails the alarm is given up (deleted) and one record is
//     logged. Deleting the alarm during its handler prevents the retry.
//
// Alarms are kept in the data directory's Badger database (under
// "durable/alarms/"): a record per object, so Set, Get and Delete touch
// one key, and an index by due time, so the next alarm due is the index's
// first key. They survive a host restart, and an alarm due while the
// host was down fires when [Scheduler.Start] is called. The scheduler
// keeps one timer (on the host's clock, host/clock), for the next alarm
// due, and runs at most Options.MaxConcurrent deliveries at a time.
//
// Writes are as durable as the database makes them (Bindery's survives
// the process being killed, not a power loss), as an object's storage.
//
// The scheduler calls Options.Deliver for each attempt; it knows nothing
// of Workers or instances (the object manager's Deliver runs the
// object's alarm event).
package alarms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/bindery-run/bindery/host/clock"
	"github.com/dgraph-io/badger/v4"
)

// Cloudflare's retry policy for alarm handlers that fail.
const (
	// RetryStart is the delay before the first retry; each retry's delay
	// doubles the one before.
	RetryStart = 2 * time.Second
	// MaxRetries is how many times a failing alarm is retried before it
	// is given up.
	MaxRetries = 6
)

// DefaultMaxConcurrent is Options.MaxConcurrent's default.
const DefaultMaxConcurrent = 64

// deleteBatch is how many alarms one transaction of DeleteClass deletes.
const deleteBatch = 1000

// Info is what an alarm handler is told: Cloudflare's
// alarm({retryCount, isRetry}).
type Info struct {
	// RetryCount is how many times this alarm was retried before this
	// attempt: 0 for the first, up to MaxRetries.
	RetryCount int
	// IsRetry reports whether this attempt is a retry (RetryCount > 0).
	IsRetry bool
}

// DeliverFunc runs the alarm handler of the object id of class. An error
// (the handler threw, or could not be run) schedules a retry. ctx is
// cancelled when the scheduler closes; a delivery that then fails is
// neither retried nor given up, and runs again at the next start.
type DeliverFunc func(ctx context.Context, class, id string, info Info) error

// Options configure New.
type Options struct {
	// Deliver runs an alarm's handler. Required.
	Deliver DeliverFunc
	// Clock is the host's clock; nil means clock.Real.
	Clock clock.Clock
	// Logger receives the record of an alarm given up and of the
	// scheduler's own failures; nil discards them.
	Logger *slog.Logger
	// MaxConcurrent bounds the deliveries in progress at once; 0 means
	// DefaultMaxConcurrent. Due alarms wait for a free slot, earliest
	// first.
	MaxConcurrent int
}

// ErrClosed is the error of a call on a closed Scheduler.
var ErrClosed = errors.New("alarms: the scheduler is closed")

// Scheduler keeps and fires the alarms of every object in one Badger
// database. It is safe for concurrent use.
type Scheduler struct {
	db      *badger.DB
	deliver DeliverFunc
	clock   clock.Clock
	log     *slog.Logger
	max     int

	// ctx is the deliveries' context, cancelled by Close.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	idle    sync.Cond // signalled when a delivery finishes
	started bool
	closed  bool
	// running holds the objects whose alarm is being delivered, by
	// record key.
	running map[string]*delivery
	timer   clock.Timer
	// low is a due time no earlier than which every index entry lies,
	// but for those of running deliveries: arm seeks to it rather than
	// scan the index from its start, past the deleted entries of alarms
	// delivered (Badger keeps deletions until compaction).
	low int64
}

// delivery is an alarm being delivered.
type delivery struct {
	// superseded is set when the object's alarm is set or deleted while
	// its handler runs: the running alarm is then no longer the stored
	// one, and is neither retried nor removed when the handler returns.
	superseded bool
}

// New returns a scheduler of the alarms kept in db (state.State.DB). It
// delivers none until Start. The caller keeps db open until Close has
// returned.
func New(db *badger.DB, opts Options) (*Scheduler, error) {
	if db == nil {
		return nil, errors.New("alarms: no Badger database")
	}
	if opts.Deliver == nil {
		return nil, errors.New("alarms: Options.Deliver is nil")
	}
	if opts.MaxConcurrent < 0 {
		return nil, fmt.Errorf("alarms: Options.MaxConcurrent is %d, want 0 (the default) or more", opts.MaxConcurrent)
	}
	if opts.MaxConcurrent == 0 {
		opts.MaxConcurrent = DefaultMaxConcurrent
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{
		db:      db,
		deliver: opts.Deliver,
		clock:   clock.Or(opts.Clock),
		log:     opts.Logger,
		max:     opts.MaxConcurrent,
		ctx:     ctx,
		cancel:  cancel,
		running: map[string]*delivery{},
		low:     math.MinInt64,
	}
	s.idle.L = &s.mu
	return s, nil
}

// Start starts delivering alarms: those due (including those that fell
// due while the host was down) at once, the others at their time.
// Starting a started scheduler does nothing.
func (s *Scheduler) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.started = true
	s.arm()
	return nil
}

// Close stops the scheduler: no delivery starts after it, the contexts
// of those in progress are cancelled, and Close waits for them to return
// (a Deliver that ignores its context delays Close). Alarms stay stored
// and fire at the next Start. Closing a closed scheduler does nothing.
func (s *Scheduler) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		if s.timer != nil {
			s.timer.Stop()
		}
		s.cancel()
	}
	for len(s.running) > 0 {
		s.idle.Wait()
	}
	return nil
}

// checkObject checks a class and id for use in keys.
func checkObject(class, id string) error {
	if class == "" {
		return errors.New("alarms: the class name is empty")
	}
	if id == "" {
		return fmt.Errorf("alarms: the object id of class %s is empty", class)
	}
	return nil
}

// Set sets the alarm of the object id of class to at (kept to the
// millisecond, as Cloudflare's), replacing the one it had. An at in the
// past fires as soon as possible. Set during the object's alarm handler
// schedules a new alarm, delivered after the handler returns.
func (s *Scheduler) Set(ctx context.Context, class, id string, at time.Time) error {
	if err := checkObject(class, id); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ms := at.UnixMilli()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	err := s.db.Update(func(txn *badger.Txn) error {
		if err := deleteIndex(txn, class, id); err != nil {
			return err
		}
		return putRecord(txn, class, id, record{scheduled: ms, due: ms})
	})
	if err != nil {
		return fmt.Errorf("alarms: set the alarm of %s %s: %w", class, id, err)
	}
	s.low = min(s.low, ms)
	if d := s.running[string(recordKey(class, id))]; d != nil {
		d.superseded = true
	}
	s.arm()
	return nil
}

// Get returns the time of the alarm of the object id of class, and false
// when it has none. While the object's alarm handler runs, it has none
// unless one was set since the handler started.
func (s *Scheduler) Get(ctx context.Context, class, id string) (time.Time, bool, error) {
	if err := checkObject(class, id); err != nil {
		return time.Time{}, false, err
	}
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return time.Time{}, false, ErrClosed
	}
	if d := s.running[string(recordKey(class, id))]; d != nil && !d.superseded {
		return time.Time{}, false, nil
	}
	var r record
	var ok bool
	err := s.db.View(func(txn *badger.Txn) (err error) {
		r, ok, err = getRecord(txn, class, id)
		return err
	})
	if err != nil || !ok {
		if err != nil {
			err = fmt.Errorf("alarms: get the alarm of %s %s: %w", class, id, err)
		}
		return time.Time{}, false, err
	}
	return time.UnixMilli(r.scheduled), true, nil
}

// Delete removes the alarm of the object id of class; an object without
// one is no error. Deleted during the object's alarm handler, the
// running alarm is not retried when the handler fails (and an alarm set
// earlier in the handler is removed).
func (s *Scheduler) Delete(ctx context.Context, class, id string) error {
	if err := checkObject(class, id); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	err := s.db.Update(func(txn *badger.Txn) error { return deleteIndex(txn, class, id) })
	if err != nil {
		return fmt.Errorf("alarms: delete the alarm of %s %s: %w", class, id, err)
	}
	if d := s.running[string(recordKey(class, id))]; d != nil {
		d.superseded = true
	}
	s.arm()
	return nil
}

// DeleteClass removes the alarms of every object of class (a class the
// migrations delete), in transactions of 1000 alarms: a failure part way
// leaves part of them deleted. It returns how many it deleted.
func (s *Scheduler) DeleteClass(ctx context.Context, class string) (int, error) {
	if class == "" {
		return 0, errors.New("alarms: the class name is empty")
	}
	prefix := classPrefix(class)
	n := 0
	var after []byte // the last key deleted: the next batch seeks past it
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return n, ErrClosed
		}
		var ids []string
		err := s.db.Update(func(txn *badger.Txn) error {
			keys := batch(txn, prefix, after)
			for _, k := range keys {
				c, id, err := parseRecordKey(k)
				if err != nil {
					return fmt.Errorf("%w: %q", err, k)
				}
				if err := deleteIndex(txn, c, id); err != nil {
					return err
				}
				ids = append(ids, id)
				after = k
			}
			return nil
		})
		if err == nil {
			for _, id := range ids {
				if d := s.running[string(recordKey(class, id))]; d != nil {
					d.superseded = true
				}
			}
			n += len(ids)
			s.arm()
		}
		s.mu.Unlock()
		if err != nil {
			return n, fmt.Errorf("alarms: delete the alarms of class %s: %w", class, err)
		}
		if len(ids) < deleteBatch {
			return n, nil
		}
	}
}

// RenameClass moves the alarms of every object of class from to class to
// (a class the migrations rename keeps its objects), in transactions of
// 1000 alarms, and returns how many it moved. A class to that has alarms
// is an error, and nothing moves. Call it before Start: an alarm whose
// handler runs meanwhile may be delivered again under its new class.
func (s *Scheduler) RenameClass(ctx context.Context, from, to string) (int, error) {
	if from == "" || to == "" {
		return 0, errors.New("alarms: a class name is empty")
	}
	if from == to {
		return 0, fmt.Errorf("alarms: rename class %s to itself", from)
	}
	n := 0
	var after []byte // the last key moved: the next batch seeks past it
	for first := true; ; first = false {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return n, ErrClosed
		}
		var ids []string
		err := s.db.Update(func(txn *badger.Txn) error {
			if first {
				it := txn.NewIterator(badger.IteratorOptions{Prefix: classPrefix(to)})
				it.Rewind()
				taken := it.Valid()
				it.Close()
				if taken {
					return fmt.Errorf("class %s already has alarms", to)
				}
			}
			keys := batch(txn, classPrefix(from), after)
			for _, k := range keys {
				_, id, err := parseRecordKey(k)
				if err != nil {
					return fmt.Errorf("%w: %q", err, k)
				}
				r, _, err := getRecord(txn, from, id)
				if err != nil {
					return err
				}
				if err := deleteIndex(txn, from, id); err != nil {
					return err
				}
				if err := putRecord(txn, to, id, r); err != nil {
					return err
				}
				s.low = min(s.low, r.due)
				ids = append(ids, id)
				after = k
			}
			return nil
		})
		if err == nil {
			for _, id := range ids {
				if d := s.running[string(recordKey(from, id))]; d != nil {
					d.superseded = true
				}
			}
			n += len(ids)
			s.arm()
		}
		s.mu.Unlock()
		if err != nil {
			return n, fmt.Errorf("alarms: rename class %s to %s: %w", from, to, err)
		}
		if len(ids) < deleteBatch {
			return n, nil
		}
	}
}

// batch returns up to deleteBatch keys with prefix, after the key after
// (from the prefix's start when nil): seeking past the keys of the
// batches before skips their deletions, which Badger keeps until
// compaction.
func batch(txn *badger.Txn, prefix, after []byte) [][]byte {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	var keys [][]byte
	if after == nil {
		it.Rewind()
	} else {
		it.Seek(append(after[:len(after):len(after)], 0))
	}
	for ; it.Valid() && len(keys) < deleteBatch; it.Next() {
		keys = append(keys, it.Item().KeyCopy(nil))
	}
	return keys
}

// getRecord reads the object's record in txn; ok is false when it has
// none.
func getRecord(txn *badger.Txn, class, id string) (r record, ok bool, err error) {
	item, err := txn.Get(recordKey(class, id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return record{}, false, nil
	}
	if err != nil {
		return record{}, false, err
	}
	err = item.Value(func(v []byte) error {
		r, err = decodeRecord(v)
		return err
	})
	return r, err == nil, err
}

// putRecord writes the object's record and its index entry; the object
// has none (deleteIndex ran).
func putRecord(txn *badger.Txn, class, id string, r record) error {
	if err := txn.Set(recordKey(class, id), r.encode()); err != nil {
		return err
	}
	return txn.Set(indexKey(r.due, class, id), nil)
}

// deleteIndex deletes the object's record and its index entry, if it has
// them.
func deleteIndex(txn *badger.Txn, class, id string) error {
	r, ok, err := getRecord(txn, class, id)
	if err != nil || !ok {
		return err
	}
	if err := txn.Delete(indexKey(r.due, class, id)); err != nil {
		return err
	}
	return txn.Delete(recordKey(class, id))
}

// due is an alarm the index says is due.
type due struct {
	class, id string
	at        int64 // its index entry's due time
	retries   uint32
}

// arm starts the deliveries of the alarms due, as many as there are free
// slots, earliest first, and sets the timer for the next alarm due, if
// any is and a slot is free. s.mu is held.
func (s *Scheduler) arm() {
	if !s.started || s.closed {
		return
	}
	now := s.clock.Now()
	nowMs := now.UnixMilli()
	var start []due
	next, wait := int64(0), false
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(indexRoot)})
		defer it.Close()
		// The first entry neither running nor started now, if any: an
		// entry started now either goes (success, given up) or is
		// written again (a retry, or a Set during its handler), and
		// those writes lower s.low.
		low := int64(math.MaxInt64)
		defer func() { s.low = low }()
		for it.Seek(indexKey(s.low, "", "")); it.Valid(); it.Next() {
			at, class, id, err := parseIndexKey(it.Item().Key())
			if err != nil {
				low = s.low
				return fmt.Errorf("%w: %q", err, it.Item().Key())
			}
			if d := s.running[string(recordKey(class, id))]; d != nil {
				// Its handler runs: this entry waits for it to return,
				// and is its alarm's unless set again since it started.
				if d.superseded {
					low = min(low, at)
				}
				continue
			}
			if len(s.running)+len(start) >= s.max {
				low = min(low, at)
				return nil // a finishing delivery arms again
			}
			if at > nowMs {
				low = min(low, at)
				next, wait = at, true
				return nil
			}
			r, ok, err := getRecord(txn, class, id)
			if err != nil {
				return err
			}
			if !ok || r.due != at {
				low = s.low
				return fmt.Errorf("the index entry of %s %s at %d has no record", class, id, at)
			}
			start = append(start, due{class: class, id: id, at: at, retries: r.retries})
		}
		return nil
	})
	for _, a := range start {
		d := &delivery{}
		s.running[string(recordKey(a.class, a.id))] = d
		go s.run(a, d)
	}
	if err != nil {
		// A Badger failure, or a key some other writer put under the
		// prefix: retry in a second rather than spin or stop.
		s.log.Error("alarms: reading the due-time index failed; retrying in 1s", "err", err)
		next, wait = nowMs+1000, true
	}
	if !wait {
		if s.timer != nil {
			s.timer.Stop()
		}
		return
	}
	d := time.UnixMilli(next).Sub(now)
	if s.timer == nil {
		s.timer = s.clock.AfterFunc(d, s.fire)
	} else {
		s.timer.Reset(d)
	}
}

// fire is the timer's function.
func (s *Scheduler) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arm()
}

// run delivers one alarm and records its outcome.
func (s *Scheduler) run(a due, d *delivery) {
	err := s.call(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.idle.Broadcast()
	key := string(recordKey(a.class, a.id))
	delete(s.running, key)
	if d.superseded || (err != nil && s.ctx.Err() != nil) {
		// Set or deleted during the handler: the stored alarm is another
		// one, or none. Or the scheduler closes: the alarm stays as it
		// was, for the next start.
		s.low = min(s.low, a.at)
		s.arm()
		return
	}
	var upd func(txn *badger.Txn) error
	var scheduled int64
	switch {
	case err == nil:
		upd = func(txn *badger.Txn) error { return deleteIndex(txn, a.class, a.id) }
	case a.retries >= MaxRetries:
		upd = func(txn *badger.Txn) error {
			if r, ok, err := getRecord(txn, a.class, a.id); err == nil && ok {
				scheduled = r.scheduled
			}
			return deleteIndex(txn, a.class, a.id)
		}
	default:
		delay := RetryStart << a.retries
		upd = func(txn *badger.Txn) error {
			r, ok, err := getRecord(txn, a.class, a.id)
			if err != nil || !ok {
				return err
			}
			if err := deleteIndex(txn, a.class, a.id); err != nil {
				return err
			}
			r.due = s.clock.Now().Add(delay).UnixMilli()
			r.retries = a.retries + 1
			s.low = min(s.low, r.due)
			return putRecord(txn, a.class, a.id, r)
		}
	}
	if uerr := s.db.Update(upd); uerr != nil {
		// The record is as it was: the alarm runs again (at least once).
		s.log.Error("alarms: recording an alarm's outcome failed", "class", a.class, "id", a.id, "err", uerr)
		s.low = min(s.low, a.at)
	} else if err != nil && a.retries >= MaxRetries {
		s.log.Error("alarms: alarm handler failed after all retries; the alarm is given up",
			"class", a.class, "id", a.id, "scheduled", time.UnixMilli(scheduled).UTC(),
			"retries", a.retries, "err", err)
	}
	s.arm()
}

// call runs Deliver, turning a panic into an error.
func (s *Scheduler) call(a due) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("alarms: the delivery of %s %s panicked: %v", a.class, a.id, p)
		}
	}()
	return s.deliver(s.ctx, a.class, a.id, Info{RetryCount: int(a.retries), IsRetry: a.retries > 0})
}

// waitIdle waits until no delivery is in progress (tests).
func (s *Scheduler) waitIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.running) > 0 {
		s.idle.Wait()
	}
}
