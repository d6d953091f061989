package queue

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/bindery-run/bindery/host/clock"
)

// entry is one of a consumed queue's messages in memory: its index
// entry, and where it is in the consumer.
type entry struct {
	id       string
	due      int64  // ms: its index key's due time
	seq      uint64 // its index key's seq
	ts       int64  // ms: the message's timestamp
	attempts uint32
	origin   string
	// enq is when it was put in memory (ms): a message becomes ready at
	// the later of enq and due.
	enq   int64
	state entryState
	index int // in the delayed heap
}

type entryState uint8

const (
	delayed  entryState = iota // in the heap
	ready                      // in the ready list
	inFlight                   // in a batch being handled
	removed                    // deleted (purged, swept) while in the heap or list
)

func (e *entry) readyAt() int64 { return max(e.due, e.enq) }

// settings is a ConsumerConfig with its defaults applied.
type settings struct {
	batch       int
	timeout     time.Duration
	retries     int
	dlq         string
	retryDelay  time.Duration
	concurrency int
}

func resolve(queue string, c ConsumerConfig) (settings, error) {
	s := settings{batch: c.MaxBatchSize, timeout: c.MaxBatchTimeout, retries: DefaultRetries,
		dlq: c.DeadLetterQueue, retryDelay: c.RetryDelay, concurrency: c.MaxConcurrency}
	switch {
	case s.batch < 0 || s.batch > MaxBatchSize:
		return s, fmt.Errorf("queue: consumer of %s: max batch size %d is out of range (1 to %d)", queue, s.batch, MaxBatchSize)
	case s.timeout < 0 || s.timeout > MaxBatchTimeout:
		return s, fmt.Errorf("queue: consumer of %s: max batch timeout %v is out of range (0 to %v)", queue, s.timeout, MaxBatchTimeout)
	case c.MaxRetries != nil && (*c.MaxRetries < 0 || *c.MaxRetries > MaxRetries):
		return s, fmt.Errorf("queue: consumer of %s: max retries %d is out of range (0 to %d)", queue, *c.MaxRetries, MaxRetries)
	case s.retryDelay < 0 || s.retryDelay > MaxDelay:
		return s, fmt.Errorf("queue: consumer of %s: retry delay %v is out of range (0 to %v)", queue, s.retryDelay, MaxDelay)
	case s.concurrency < 0 || s.concurrency > MaxConcurrency:
		return s, fmt.Errorf("queue: consumer of %s: max concurrency %d is out of range (1 to %d)", queue, s.concurrency, MaxConcurrency)
	case s.dlq == queue:
		return s, fmt.Errorf("queue: consumer of %s: a queue cannot be its own dead-letter queue", queue)
	}
	if s.dlq != "" {
		if err := checkName(s.dlq); err != nil {
			return s, fmt.Errorf("queue: consumer of %s: dead-letter queue: %w", queue, err)
		}
	}
	if s.batch == 0 {
		s.batch = DefaultBatchSize
	}
	if s.timeout == 0 {
		s.timeout = DefaultBatchTimeout
	}
	if c.MaxRetries != nil {
		s.retries = *c.MaxRetries
	}
	if s.concurrency == 0 {
		s.concurrency = MaxConcurrency
	}
	return s, nil
}

// consumer delivers one queue's messages. Its messages are in memory
// (ids, due times, attempts; not bodies), loaded when it starts and
// added to by Send, retries and dead-lettering in this process: the
// broker is the database's only writer.
type consumer struct {
	b     *Broker
	queue string
	cfg   settings
	h     Handler

	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	entries  map[string]*entry // every message in memory, but removed ones
	ready    []*entry          // in the order they became ready; may hold removed entries
	readyN   int               // the entries in ready that are still ready
	delayed  entryHeap
	inFlight int
	running  int
	stopping bool
	timer    clock.Timer
	handlers sync.WaitGroup
}

// Consume starts delivering queue's messages to h until stop is called
// (stop waits for the handlers running; their batches' messages stay
// stored, to be delivered again). A queue has at most one consumer.
func (b *Broker) Consume(queue string, c ConsumerConfig, h Handler) (stop func(ctx context.Context) error, err error) {
	if err := checkName(queue); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, fmt.Errorf("queue: consumer of %s: the handler is nil", queue)
	}
	cfg, err := resolve(queue, c)
	if err != nil {
		return nil, err
	}
	if err := b.enter(); err != nil {
		return nil, err
	}
	defer b.leave()
	if err := b.markKnown(queue); err != nil {
		return nil, fmt.Errorf("queue: consumer of %s: %w", queue, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cs := &consumer{b: b, queue: queue, cfg: cfg, h: h, ctx: ctx, cancel: cancel, entries: map[string]*entry{}}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	b.mu.Lock()
	if b.consumers[queue] != nil {
		b.mu.Unlock()
		cancel()
		return nil, fmt.Errorf("queue: %s already has a consumer", queue)
	}
	b.consumers[queue] = cs
	b.mu.Unlock()
	if err := cs.load(); err != nil {
		b.mu.Lock()
		delete(b.consumers, queue)
		b.mu.Unlock()
		cancel()
		return nil, fmt.Errorf("queue: consumer of %s: %w", queue, err)
	}
	cs.schedule()
	return cs.stop, nil
}

// load reads the queue's index into memory; c.mu is held.
func (c *consumer) load() error {
	return c.b.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: indexPrefix(c.queue), PrefetchValues: true, PrefetchSize: 256})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			e, err := readEntry(it.Item())
			if err != nil {
				c.b.log.Warn("queue: ignoring a malformed index entry", "queue", c.queue, "key", string(it.Item().Key()), "err", err)
				continue
			}
			e.enq = e.due
			c.add(e)
		}
		return nil
	})
}

// readEntry decodes an index item.
func readEntry(item *badger.Item) (*entry, error) {
	_, due, seq, id, err := parseIndexKey(item.Key())
	if err != nil {
		return nil, err
	}
	var v indexValue
	err = item.Value(func(b []byte) (err error) {
		v, err = decodeIndexValue(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &entry{id: id, due: due, seq: seq, ts: v.ts, attempts: v.attempts, origin: v.origin}, nil
}

// add puts e in the delayed heap (schedule moves it to ready when due),
// unless the message is already in memory; c.mu is held.
func (c *consumer) add(e *entry) {
	if c.entries[e.id] != nil {
		return
	}
	c.entries[e.id] = e
	e.state = delayed
	heap.Push(&c.delayed, e)
}

// push adds the entries of messages just written and delivers.
func (c *consumer) push(es []*entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping {
		return
	}
	for _, e := range es {
		c.add(e)
	}
	c.schedule()
}

// remove forgets e (purged, swept, settled); c.mu is held.
func (c *consumer) remove(e *entry) {
	switch e.state {
	case delayed:
		heap.Remove(&c.delayed, e.index)
	case ready:
		c.readyN--
	case inFlight:
		c.inFlight--
	}
	e.state = removed
	if c.entries[e.id] == e {
		delete(c.entries, e.id)
	}
}

// fire is the timer's function.
func (c *consumer) fire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.schedule()
}

// schedule moves the messages due to the ready list, starts the batches
// that are ready (full, or the oldest message ready for
// MaxBatchTimeout) while handlers are free, and sets the timer for the
// next message due or batch timeout; c.mu is held.
func (c *consumer) schedule() {
	if c.stopping {
		return
	}
	now := c.b.clock.Now()
	nowMs := now.UnixMilli()
	for len(c.delayed) > 0 && c.delayed[0].due <= nowMs {
		e := heap.Pop(&c.delayed).(*entry)
		e.state = ready
		c.ready = append(c.ready, e)
		c.readyN++
	}
	timeout := c.cfg.timeout.Milliseconds()
	for c.running < c.cfg.concurrency && c.readyN > 0 &&
		(c.readyN >= c.cfg.batch || nowMs >= c.front().readyAt()+timeout) {
		batch := make([]*entry, 0, min(c.readyN, c.cfg.batch))
		for len(batch) < cap(batch) {
			e := c.ready[0]
			c.ready[0] = nil
			c.ready = c.ready[1:]
			if e.state != ready {
				continue
			}
			e.state = inFlight
			c.readyN--
			c.inFlight++
			batch = append(batch, e)
		}
		if len(c.ready) == 0 {
			c.ready = nil // let the array go
		}
		c.running++
		c.handlers.Add(1)
		go c.run(batch)
	}
	next := int64(-1)
	if len(c.delayed) > 0 {
		next = c.delayed[0].due
	}
	if c.readyN > 0 && c.running < c.cfg.concurrency {
		if t := c.front().readyAt() + timeout; next < 0 || t < next {
			next = t
		}
	}
	if next < 0 {
		if c.timer != nil {
			c.timer.Stop()
		}
		return
	}
	d := time.UnixMilli(next).Sub(now)
	if c.timer == nil {
		c.timer = c.b.clock.AfterFunc(d, c.fire)
	} else {
		c.timer.Reset(d)
	}
}

// front returns the first entry of the ready list still ready, dropping
// the removed ones before it; c.readyN > 0.
func (c *consumer) front() *entry {
	for c.ready[0].state != ready {
		c.ready[0] = nil
		c.ready = c.ready[1:]
	}
	return c.ready[0]
}

// stop stops the consumer: no batch starts after it, the handlers' ctx
// is cancelled, and it waits for them to return.
func (c *consumer) stop(ctx context.Context) error {
	c.mu.Lock()
	if !c.stopping {
		c.stopping = true
		c.cancel()
		if c.timer != nil {
			c.timer.Stop()
		}
	}
	c.mu.Unlock()
	done := make(chan struct{})
	go func() {
		c.handlers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("queue: stop the consumer of %s: %w", c.queue, ctx.Err())
	}
	c.b.mu.Lock()
	if c.b.consumers[c.queue] == c {
		delete(c.b.consumers, c.queue)
	}
	c.b.mu.Unlock()
	return nil
}

// delivered is a message of a batch being handled.
type delivered struct {
	e   *entry
	rec record
}

// run handles one batch: it counts the attempts, calls the handler and
// applies its outcome.
func (c *consumer) run(batch []*entry) {
	defer c.handlers.Done()
	ds := c.prepare(batch)
	if len(ds) > 0 {
		msgs := make([]Message, len(ds))
		for i, d := range ds {
			msgs[i] = Message{ID: d.e.id, Timestamp: time.UnixMilli(d.rec.ts), Body: d.rec.body,
				ContentType: d.rec.ct, Attempts: int(d.e.attempts)}
		}
		out := c.call(msgs)
		c.settle(ds, out)
	}
	c.mu.Lock()
	c.running--
	c.schedule()
	c.mu.Unlock()
}

// call runs the handler, turning a panic into an error.
func (c *consumer) call(msgs []Message) (out Outcome) {
	defer func() {
		if p := recover(); p != nil {
			out = Outcome{Err: fmt.Errorf("queue: the handler of %s panicked: %v", c.queue, p)}
			c.b.log.Error("queue: a handler panicked", "queue", c.queue, "panic", p)
		}
	}()
	return c.h(c.ctx, c.queue, msgs)
}

// prepare reads the batch's records and durably counts the attempt of
// each; it drops the messages past retention and those no longer stored.
func (c *consumer) prepare(batch []*entry) []delivered {
	now := c.b.clock.Now().UnixMilli()
	cutoff := now - c.b.retentionOf(c.queue).Milliseconds()
	ds := make([]delivered, 0, len(batch))
	var gone, expired []*entry
	err := c.b.db.View(func(txn *badger.Txn) error {
		for _, e := range batch {
			item, err := txn.Get(recordKey(c.queue, e.id))
			if errors.Is(err, badger.ErrKeyNotFound) {
				gone = append(gone, e)
				continue
			}
			if err != nil {
				return err
			}
			if e.ts <= cutoff {
				expired = append(expired, e)
				continue
			}
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			r, err := decodeRecord(v)
			if err != nil {
				c.b.log.Error("queue: dropping a malformed message record", "queue", c.queue, "id", e.id, "err", err)
				gone = append(gone, e)
				continue
			}
			ds = append(ds, delivered{e: e, rec: r})
		}
		return nil
	})
	var groups []group
	if err == nil {
		groups = make([]group, 0, len(batch))
		for _, d := range ds {
			e := d.e
			groups = append(groups, group{{key: indexKey(c.queue, e.due, e.seq, e.id),
				val: indexValue{attempts: nextAttempt(e.attempts), ts: e.ts, origin: e.origin}.encode()}})
		}
		for _, e := range append(gone, expired...) {
			groups = append(groups, deleteOps(c.queue, e))
		}
		err = c.b.commit(groups, false)
	}
	if err != nil {
		c.b.log.Error("queue: counting a batch's attempts failed; retrying in 1s", "queue", c.queue, "err", err)
		c.requeueLater(batch)
		return nil
	}
	c.mu.Lock()
	for _, d := range ds {
		d.e.attempts = nextAttempt(d.e.attempts)
	}
	for _, e := range gone {
		c.remove(e)
	}
	for _, e := range expired {
		c.remove(e)
	}
	c.mu.Unlock()
	if len(expired) > 0 {
		c.b.stats.expired.Add(uint64(len(expired)))
		c.b.log.Warn("queue: dropped messages past the queue's retention", "queue", c.queue,
			"count", len(expired), "retention", c.b.retentionOf(c.queue))
	}
	c.b.stats.delivered.Add(uint64(len(ds)))
	return ds
}

// nextAttempt counts one more attempt, saturating (a count read from
// a damaged database may be anything).
func nextAttempt(n uint32) uint32 { return n + min(1, math.MaxUint32-n) }

// requeueLater makes batch ready again in a second (after a failed
// write: the stored messages are as they were).
func (c *consumer) requeueLater(batch []*entry) {
	c.b.clock.AfterFunc(time.Second, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, e := range batch {
			if e.state == inFlight {
				c.inFlight--
				e.state = ready
				c.ready = append(c.ready, e)
				c.readyN++
			}
		}
		c.schedule()
	})
}

// action is what becomes of a delivered message.
type action uint8

const (
	ack action = iota
	retry
)

// decide applies the outcome's rules to message i: explicit acks, then
// explicit retries, then RetryAll or an error (retry), else ack.
func (c *consumer) decide(n int, out Outcome) ([]action, []time.Duration) {
	acts := make([]action, n)
	delays := make([]time.Duration, n)
	set := make([]bool, n)
	for _, i := range out.Acked {
		if i >= 0 && i < n && !set[i] {
			acts[i], set[i] = ack, true
		}
	}
	for _, r := range out.Retried {
		if r.Index >= 0 && r.Index < n && !set[r.Index] {
			acts[r.Index], set[r.Index] = retry, true
			delays[r.Index] = c.cfg.retryDelay
			if r.Delay != nil {
				delays[r.Index] = *r.Delay
			}
		}
	}
	allDelay := c.cfg.retryDelay
	if out.RetryAll && out.RetryAllDelay != nil {
		allDelay = *out.RetryAllDelay
	}
	for i := range n {
		if set[i] {
			continue
		}
		if out.RetryAll || out.Err != nil {
			acts[i], delays[i] = retry, allDelay
		} else {
			acts[i] = ack
		}
	}
	for i := range delays {
		delays[i] = min(max(delays[i], 0), MaxDelay)
	}
	return acts, delays
}

// settle applies a batch's outcome.
func (c *consumer) settle(ds []delivered, out Outcome) {
	acts, delays := c.decide(len(ds), out)
	// A handler cut short by stop: its explicit acks stand, the rest
	// stays stored as it is, to be delivered again.
	interrupted := out.Err != nil && c.ctx.Err() != nil
	explicit := make(map[int]bool, len(out.Acked))
	for _, i := range out.Acked {
		explicit[i] = true
	}
	now := c.b.clock.Now()
	nowMs := now.UnixMilli()
	groups := make([]group, 0, len(ds))
	var retried, dead []*entry // the entries to put in memory
	var deadFrom []string
	var dropped []*entry
	var acks, retries int
	deadMarker := false
	for i, d := range ds {
		e := d.e
		switch {
		case interrupted && !explicit[i]:
			continue
		case acts[i] == ack:
			groups = append(groups, deleteOps(c.queue, e))
			acks++
		case int(e.attempts) <= c.cfg.retries:
			n := &entry{id: e.id, due: now.Add(delays[i]).UnixMilli(), seq: c.b.seq.Add(1), ts: e.ts,
				attempts: e.attempts, origin: e.origin, enq: nowMs}
			g := group{{key: indexKey(c.queue, e.due, e.seq, e.id), del: true},
				{key: indexKey(c.queue, n.due, n.seq, n.id), val: indexValue{attempts: n.attempts, ts: n.ts, origin: n.origin}.encode()}}
			if e.origin != "" {
				g = append(g, op{key: deadKey(e.origin, c.queue, e.id), val: appendDueSeq(nil, n.due, n.seq)})
			}
			groups = append(groups, g)
			retried = append(retried, n)
			retries++
		case c.cfg.dlq != "":
			n := &entry{id: e.id, due: nowMs, seq: c.b.seq.Add(1), ts: e.ts, origin: c.queue, enq: nowMs}
			g := deleteOps(c.queue, e)
			g = append(g,
				op{key: recordKey(c.cfg.dlq, e.id), val: d.rec.encode()},
				op{key: indexKey(c.cfg.dlq, n.due, n.seq, n.id), val: indexValue{ts: n.ts, origin: c.queue}.encode()},
				op{key: deadKey(c.queue, c.cfg.dlq, e.id), val: appendDueSeq(nil, n.due, n.seq)})
			if !deadMarker {
				g = append(g, op{key: markerKey(c.cfg.dlq)})
				deadMarker = true
			}
			groups = append(groups, g)
			dead = append(dead, n)
			deadFrom = append(deadFrom, e.id)
		default:
			groups = append(groups, deleteOps(c.queue, e))
			dropped = append(dropped, e)
		}
	}
	if err := c.b.commit(groups, false); err != nil {
		c.b.log.Error("queue: recording a batch's outcome failed; its messages are delivered again in 1s",
			"queue", c.queue, "err", err)
		batch := make([]*entry, len(ds))
		for i, d := range ds {
			batch[i] = d.e
		}
		c.requeueLater(batch)
		return
	}
	c.b.stats.acked.Add(uint64(acks))
	c.b.stats.retried.Add(uint64(retries))
	c.b.stats.deadLettered.Add(uint64(len(dead)))
	c.b.stats.dropped.Add(uint64(len(dropped)))
	for _, e := range dropped {
		c.b.log.Warn("queue: message dropped after its retries: the queue has no dead-letter queue",
			"queue", c.queue, "id", e.id, "attempts", e.attempts, "max_retries", c.cfg.retries)
	}
	for _, id := range deadFrom {
		c.b.log.Info("queue: message moved to the dead-letter queue after its retries",
			"queue", c.queue, "id", id, "dead_letter_queue", c.cfg.dlq)
	}
	c.mu.Lock()
	for _, d := range ds {
		c.remove(d.e)
	}
	for _, n := range retried {
		c.add(n)
	}
	c.mu.Unlock()
	if len(dead) > 0 {
		c.b.mu.Lock()
		c.b.known[c.cfg.dlq] = true
		dc := c.b.consumers[c.cfg.dlq]
		c.b.mu.Unlock()
		if dc != nil {
			dc.push(dead)
		}
	}
}

// entryHeap orders delayed entries by due time, then seq.
type entryHeap []*entry

func (h entryHeap) Len() int { return len(h) }
func (h entryHeap) Less(i, j int) bool {
	if h[i].due != h[j].due {
		return h[i].due < h[j].due
	}
	return h[i].seq < h[j].seq
}
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *entryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*h = old[:len(old)-1]
	return e
}
