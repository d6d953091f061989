package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// deleteOps deletes e's message from queue.
func deleteOps(queue string, e *entry) group {
	g := group{{key: recordKey(queue, e.id), del: true}, {key: indexKey(queue, e.due, e.seq, e.id), del: true}}
	if e.origin != "" {
		g = append(g, op{key: deadKey(e.origin, queue, e.id), del: true})
	}
	return g
}

// scanIndex calls f for each of queue's index entries, in delivery order.
func (b *Broker) scanIndex(txn *badger.Txn, queue string, f func(e *entry) bool) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: indexPrefix(queue), PrefetchValues: true, PrefetchSize: 256})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		e, err := readEntry(it.Item())
		if err != nil {
			b.log.Warn("queue: ignoring a malformed index entry", "queue", queue, "key", string(it.Item().Key()), "err", err)
			continue
		}
		if !f(e) {
			return
		}
	}
}

// inFlightIDs returns the ids of queue's messages in flight.
func (b *Broker) inFlightIDs(queue string) (map[string]bool, bool) {
	c := b.consumerOf(queue)
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make(map[string]bool, c.inFlight)
	for id, e := range c.entries {
		if e.state == inFlight {
			ids[id] = true
		}
	}
	return ids, true
}

// Queues lists the queues that hold messages or have been sent to,
// consumed or configured, by name.
func (b *Broker) Queues(ctx context.Context) ([]Info, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	names := make([]string, 0, len(b.known))
	for q := range b.known {
		names = append(names, q)
	}
	for q := range b.consumers {
		if !b.known[q] {
			names = append(names, q)
		}
	}
	b.mu.Unlock()
	slices.Sort(names)
	infos := make([]Info, 0, len(names))
	for _, q := range names {
		info, err := b.Info(ctx, q)
		if err != nil {
			return nil, err
		}
		infos = append(infos, info)
	}
	return infos, nil
}

// Info describes queue.
func (b *Broker) Info(ctx context.Context, queue string) (Info, error) {
	if err := checkName(queue); err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	if err := b.enter(); err != nil {
		return Info{}, err
	}
	defer b.leave()
	info := Info{Name: queue, Retention: b.retentionOf(queue)}
	flying, consumed := b.inFlightIDs(queue)
	if consumed {
		info.Consumers = 1
	}
	now := b.clock.Now().UnixMilli()
	err := b.db.View(func(txn *badger.Txn) error {
		b.scanIndex(txn, queue, func(e *entry) bool {
			switch {
			case flying[e.id]:
				info.InFlight++
			case e.due <= now:
				info.Ready++
			default:
				info.Delayed++
			}
			return true
		})
		it := txn.NewIterator(badger.IteratorOptions{Prefix: deadPrefix(queue)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			info.DeadLettered++
		}
		return nil
	})
	if err != nil {
		return Info{}, fmt.Errorf("queue: describe %s: %w", queue, err)
	}
	return info, nil
}

// Peek returns up to limit of queue's messages without consuming them:
// pending (in delivery order), in flight, and dead-lettered.
func (b *Broker) Peek(ctx context.Context, queue string, limit int) ([]Peeked, error) {
	if err := checkName(queue); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.enter(); err != nil {
		return nil, err
	}
	defer b.leave()
	if limit <= 0 {
		return nil, nil
	}
	flying, _ := b.inFlightIDs(queue)
	var out []Peeked
	err := b.db.View(func(txn *badger.Txn) error {
		type found struct {
			queue string
			e     *entry
			state State
		}
		var pending, inflight []found
		b.scanIndex(txn, queue, func(e *entry) bool {
			if flying[e.id] {
				inflight = append(inflight, found{queue, e, InFlight})
			} else if len(pending) < limit {
				pending = append(pending, found{queue, e, Pending})
			}
			return len(pending) < limit || len(inflight) < len(flying)
		})
		all := append(pending, inflight...)
		if len(all) < limit {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: deadPrefix(queue), PrefetchValues: true})
			defer it.Close()
			for it.Rewind(); it.Valid() && len(all) < limit; it.Next() {
				_, dlq, id, err := parseDeadKey(it.Item().Key())
				var due int64
				var seq uint64
				if err == nil {
					err = it.Item().Value(func(v []byte) (err error) {
						due, seq, err = parseDueSeq(v)
						return err
					})
				}
				if err != nil {
					b.log.Warn("queue: ignoring a malformed dead-letter reference", "key", string(it.Item().Key()), "err", err)
					continue
				}
				item, err := txn.Get(indexKey(dlq, due, seq, id))
				if errors.Is(err, badger.ErrKeyNotFound) {
					continue // being retried in the dead-letter queue
				}
				if err != nil {
					return err
				}
				e, err := readEntry(item)
				if err != nil {
					continue
				}
				all = append(all, found{dlq, e, DeadLettered})
			}
		}
		if len(all) > limit {
			all = all[:limit]
		}
		for _, f := range all {
			item, err := txn.Get(recordKey(f.queue, f.e.id))
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			var r record
			err = item.Value(func(v []byte) (err error) {
				r, err = decodeRecord(v)
				r.body = slices.Clone(r.body)
				return err
			})
			if err != nil {
				continue
			}
			out = append(out, Peeked{
				Message: Message{ID: f.e.id, Timestamp: time.UnixMilli(r.ts), Body: r.body, ContentType: r.ct, Attempts: int(f.e.attempts)},
				State:   f.state, Due: time.UnixMilli(f.e.due), Queue: f.queue,
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue: peek %s: %w", queue, err)
	}
	return out, nil
}

// Purge deletes queue's pending messages (not those in flight) and
// returns how many.
func (b *Broker) Purge(ctx context.Context, queue string) (int, error) {
	if err := checkName(queue); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := b.enter(); err != nil {
		return 0, err
	}
	defer b.leave()
	n, err := b.removePending(queue, func(*entry) bool { return true })
	if err != nil {
		return n, fmt.Errorf("queue: purge %s: %w", queue, err)
	}
	return n, nil
}

// removePending deletes queue's pending messages for which drop is true
// (not those in flight) and returns how many.
func (b *Broker) removePending(queue string, drop func(*entry) bool) (int, error) {
	var cands []*entry
	err := b.db.View(func(txn *badger.Txn) error {
		b.scanIndex(txn, queue, func(e *entry) bool {
			if drop(e) {
				cands = append(cands, e)
			}
			return true
		})
		return nil
	})
	if err != nil || len(cands) == 0 {
		return 0, err
	}
	if c := b.consumerOf(queue); c != nil {
		c.mu.Lock()
		kept := cands[:0]
		for _, e := range cands {
			m := c.entries[e.id]
			if m != nil && (m.state == inFlight || m.due != e.due || m.seq != e.seq) {
				continue // in flight, or retried since the scan
			}
			if m != nil {
				c.remove(m)
			}
			kept = append(kept, e)
		}
		cands = kept
		c.mu.Unlock()
	}
	groups := make([]group, len(cands))
	for i, e := range cands {
		groups[i] = deleteOps(queue, e)
	}
	if err := b.commit(groups, false); err != nil {
		return 0, err
	}
	return len(cands), nil
}

// SetRetention sets queue's message retention (at most MaxRetention;
// 0 restores DefaultRetention), kept in the database.
func (b *Broker) SetRetention(ctx context.Context, queue string, d time.Duration) error {
	if err := checkName(queue); err != nil {
		return err
	}
	if d < 0 || d > MaxRetention {
		return fmt.Errorf("queue: retention %v of %s is out of range (0 to %v)", d, queue, MaxRetention)
	}
	if d != 0 && d < time.Millisecond {
		return fmt.Errorf("queue: retention %v of %s is under a millisecond", d, queue)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.enter(); err != nil {
		return err
	}
	defer b.leave()
	g := group{{key: markerKey(queue)}, {key: retentionKey(queue), del: true}}
	if d != 0 {
		g[1] = op{key: retentionKey(queue), val: encodeRetention(d.Milliseconds())}
	}
	if err := b.commit([]group{g}, true); err != nil {
		return fmt.Errorf("queue: set the retention of %s: %w", queue, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.known[queue] = true
	if d == 0 {
		delete(b.retention, queue)
	} else {
		b.retention[queue] = d.Truncate(time.Millisecond)
	}
	return nil
}

// sweepTick is the sweep timer's function: it drops the messages past
// their queue's retention and sets the timer again.
func (b *Broker) sweepTick() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.sweeping.Add(1)
	names := make([]string, 0, len(b.known))
	for q := range b.known {
		names = append(names, q)
	}
	b.mu.Unlock()
	defer b.sweeping.Done()
	slices.Sort(names)
	b.sweep(names)
	b.mu.Lock()
	if !b.closed {
		b.sweepTimer.Reset(sweepEvery)
	}
	b.mu.Unlock()
}

// sweep drops the pending messages of queues past their retention.
func (b *Broker) sweep(queues []string) {
	now := b.clock.Now().UnixMilli()
	for _, q := range queues {
		ret := b.retentionOf(q)
		cutoff := now - ret.Milliseconds()
		n, err := b.removePending(q, func(e *entry) bool { return e.ts <= cutoff })
		if err != nil {
			b.log.Error("queue: dropping the messages past retention failed", "queue", q, "err", err)
		}
		if n > 0 {
			b.stats.expired.Add(uint64(n))
			b.log.Warn("queue: dropped messages past the queue's retention", "queue", q, "count", n, "retention", ret)
		}
	}
}
