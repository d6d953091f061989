// Package queue is the host's queue broker: Cloudflare Queues' semantics
// over the data directory's Badger database (docs/queues.md).
//
//   - [Broker.Send] validates Cloudflare's limits (a message of at most
//     128 KB, a batch of at most 100 messages and 256 KB, a delay of at
//     most 24 hours) and returns once the messages are durable: written
//     and fsync'd, one sync shared by every send that waits at the same
//     time (group commit).
//   - [Broker.Consume] delivers a queue's messages to a [Handler] in
//     batches of at most MaxBatchSize, waiting at most MaxBatchTimeout for
//     a batch to fill, with at most MaxConcurrency handlers at a time;
//     delayed messages are delivered when due, on the broker's clock.
//   - A delivered message stays stored until the handler's [Outcome]
//     acknowledges it. Attempts are counted, durably, before the handler
//     runs, so a host killed during a batch redelivers its unacknowledged
//     messages after a restart, their attempts counted. (The consumer's
//     writes are committed, which survives the process being killed,
//     and ride the next send's fsync: a power loss may forget an attempt
//     or an ack since then, and deliver the message again.)
//   - A retried message is delivered again after its delay; one that has
//     been delivered MaxRetries+1 times and is retried again moves to the
//     DeadLetterQueue (keeping its id, body and timestamp, attempts
//     starting over), or is dropped with a log record when there is none.
//   - Messages older than the queue's retention (4 days unless set, at
//     most 14) are dropped with a log record.
//
// The storage layout is in docs/state.md ("Queues"); [Broker.Stats]
// counts deliveries, outcomes, write requests and fsyncs.
//
// The broker knows nothing of Workers: host/queuehost calls a Worker's
// queue handler from a Handler.
package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/bindery-run/bindery/host/clock"
)

// Cloudflare's limits.
const (
	// MaxMessageBytes bounds one message: its body plus MessageOverhead.
	MaxMessageBytes = 128 * 1024
	// MessageOverhead is what a message's metadata counts against
	// MaxMessageBytes and MaxBatchBytes, as on Cloudflare.
	MessageOverhead = 100
	// MaxBatchMessages bounds a SendBatch.
	MaxBatchMessages = 100
	// MaxBatchBytes bounds a SendBatch's messages, overhead included.
	MaxBatchBytes = 256 * 1024
	// MaxDelay bounds a message's delay and a retry's.
	MaxDelay = 24 * time.Hour
	// MaxBatchSize bounds ConsumerConfig.MaxBatchSize.
	MaxBatchSize = 100
	// MaxBatchTimeout bounds ConsumerConfig.MaxBatchTimeout.
	MaxBatchTimeout = 60 * time.Second
	// MaxRetries bounds ConsumerConfig.MaxRetries.
	MaxRetries = 100
	// MaxConcurrency bounds ConsumerConfig.MaxConcurrency.
	MaxConcurrency = 250
	// DefaultRetention is how long a message is kept unless the queue's
	// retention is set; MaxRetention bounds it.
	DefaultRetention = 4 * 24 * time.Hour
	MaxRetention     = 14 * 24 * time.Hour
)

// Consumer defaults, as Cloudflare's.
const (
	DefaultBatchSize    = 10
	DefaultBatchTimeout = 5 * time.Second
	DefaultRetries      = 3
)

// ContentType is how a message's body is encoded.
type ContentType uint8

// The content types, as Cloudflare's contentType.
const (
	Text ContentType = iota
	Bytes
	JSON
	V8 // the structured-value encoding (bindings/durable/structured)
)

// String returns the name Cloudflare uses: "text", "bytes", "json", "v8".
func (c ContentType) String() string {
	switch c {
	case Text:
		return "text"
	case Bytes:
		return "bytes"
	case JSON:
		return "json"
	case V8:
		return "v8"
	}
	return fmt.Sprintf("ContentType(%d)", c)
}

// ParseContentType returns the content type named s.
func ParseContentType(s string) (ContentType, error) {
	for c := Text; c <= V8; c++ {
		if c.String() == s {
			return c, nil
		}
	}
	return 0, fmt.Errorf("queue: unknown content type %q (want text, bytes, json or v8)", s)
}

// SendRequest is one message to send.
type SendRequest struct {
	Body        []byte
	ContentType ContentType
	// Delay is how long before the message may be delivered (0: at once;
	// at most MaxDelay).
	Delay time.Duration
}

// Message is a message as delivered.
type Message struct {
	// ID is 32 lowercase hex digits, unique, the same on every attempt.
	ID          string
	Timestamp   time.Time // when it was sent
	Body        []byte
	ContentType ContentType
	// Attempts counts deliveries, this one included (1 the first time).
	Attempts int
}

// Outcome is what a handler decided for its batch (see
// bindery:queue/consumer's outcome: the first of ack and retry on a
// message wins, as does the first of AckAll and RetryAll; the SDK keeps
// that order).
type Outcome struct {
	// Acked are the indexes of the messages acknowledged explicitly.
	Acked []int
	// Retried are the messages retried explicitly, by index.
	Retried []Retry
	// AckAll and RetryAll are the batch-wide calls; RetryAllDelay is
	// RetryAll's delay (nil: the consumer's RetryDelay).
	AckAll, RetryAll bool
	RetryAllDelay    *time.Duration
	// Err is what the handler threw, or why it could not run (a trap):
	// every message not acked explicitly is retried.
	Err error
}

// Retry is one explicit retry.
type Retry struct {
	Index int
	// Delay is the retry's delay; nil means the consumer's RetryDelay.
	Delay *time.Duration
}

// Handler handles one batch of queue's messages. It must not keep
// batch after it returns.
type Handler func(ctx context.Context, queue string, batch []Message) Outcome

// ConsumerConfig is a consumer's settings (wrangler's [[queues.consumers]]);
// zero fields take Cloudflare's defaults.
type ConsumerConfig struct {
	MaxBatchSize    int           // default DefaultBatchSize, at most MaxBatchSize
	MaxBatchTimeout time.Duration // default DefaultBatchTimeout, at most MaxBatchTimeout
	// MaxRetries is how many times a message is retried before it is
	// dead-lettered; nil means DefaultRetries (0 is valid: no retry).
	MaxRetries      *int
	DeadLetterQueue string        // "" drops a message past MaxRetries, with a log record
	RetryDelay      time.Duration // the delay of a retry that names none
	// MaxConcurrency bounds the handlers running at once; 0 means
	// MaxConcurrency, a new one starting only while a batch is ready.
	MaxConcurrency int
}

// Options configure Open.
type Options struct {
	// Clock is the broker's time (delays, batch timeouts, timestamps,
	// retention); nil means the real clock.
	Clock clock.Clock
	// Logger receives dropped and dead-lettered messages and failures;
	// nil discards.
	Logger *slog.Logger
}

// Info describes a queue.
type Info struct {
	Name string
	// Ready are messages that may be delivered now; Delayed, later;
	// InFlight, delivered and not yet settled; DeadLettered, messages of
	// this queue now in its dead-letter queue.
	Ready, Delayed, InFlight, DeadLettered int
	// Retention is the queue's message retention.
	Retention time.Duration
	// Consumers counts the handlers consuming it in this process.
	Consumers int
}

// State is where a peeked message is.
type State string

// The states of a peeked message.
const (
	Pending      State = "pending" // ready or delayed
	InFlight     State = "in-flight"
	DeadLettered State = "dead-lettered" // in the dead-letter queue it was moved to
)

// Peeked is a message as Peek shows it.
type Peeked struct {
	Message
	State State
	// Due is when a pending message may be delivered.
	Due time.Time
	// Queue is the queue that holds it (the dead-letter queue for a
	// dead-lettered message).
	Queue string
}

// LimitError is a send over one of Cloudflare's limits or with an
// argument out of range; Send returns it wrapped.
type LimitError struct {
	// TooLarge is set for a size limit (a message, a batch) and clear for
	// an argument out of range (a delay).
	TooLarge bool
	Msg      string
}

func (e *LimitError) Error() string { return e.Msg }

// ErrClosed is returned by a Broker's methods after Close.
var ErrClosed = errors.New("queue: broker closed")

// sweepEvery is how often the broker drops the messages past their
// queue's retention (on its clock).
const sweepEvery = time.Minute

// Broker is the data directory's queues. It is safe for concurrent use.
// One Broker at a time may use a database (Badger lets one process open
// it; within the process, open one Broker).
type Broker struct {
	db    *badger.DB
	opts  Options
	clock clock.Clock
	log   *slog.Logger

	// seq orders the messages due in one millisecond: it starts at the
	// wall clock's nanoseconds, so it grows across restarts too.
	seq atomic.Uint64

	reqs          chan *commitReq
	syncq         chan []*commitReq
	committerDone chan struct{} // closed when the committer and syncer have ended
	// users counts the calls that may still submit to the committer;
	// Close waits for them before stopping it.
	users    sync.WaitGroup
	sweeping sync.WaitGroup
	stats    counters
	// syncHook, when set (tests), runs before each db.Sync, told how
	// many requests it makes durable.
	syncHook func(reqs int)

	mu         sync.Mutex
	closed     bool
	known      map[string]bool          // queues with a marker
	retention  map[string]time.Duration // queues with a retention set
	consumers  map[string]*consumer
	sweepTimer clock.Timer
}

// Open opens the queues kept in db (under the prefix "queue/").
func Open(db *badger.DB, opts Options) (*Broker, error) {
	if db == nil {
		return nil, errors.New("queue: no Badger database")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Broker{
		db:            db,
		opts:          opts,
		clock:         clock.Or(opts.Clock),
		log:           opts.Logger,
		reqs:          make(chan *commitReq, maxGroupReqs),
		syncq:         make(chan []*commitReq, 64),
		committerDone: make(chan struct{}),
		known:         map[string]bool{},
		retention:     map[string]time.Duration{},
		consumers:     map[string]*consumer{},
	}
	b.seq.Store(uint64(time.Now().UnixNano()))
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(markerRoot)})
		for it.Rewind(); it.Valid(); it.Next() {
			name, err := parseNameKey(markerRoot, it.Item().Key())
			if err != nil {
				b.log.Warn("queue: ignoring a malformed key", "key", string(it.Item().Key()))
				continue
			}
			b.known[name] = true
		}
		it.Close()
		it = txn.NewIterator(badger.IteratorOptions{Prefix: []byte(retainRoot), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			name, err := parseNameKey(retainRoot, it.Item().Key())
			var ms int64
			if err == nil {
				err = it.Item().Value(func(v []byte) (err error) {
					ms, err = decodeRetention(v)
					return err
				})
			}
			if err != nil {
				b.log.Warn("queue: ignoring a malformed retention", "key", string(it.Item().Key()), "err", err)
				continue
			}
			b.retention[name] = time.Duration(ms) * time.Millisecond
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue: read the queues: %w", err)
	}
	go b.committer()
	go b.syncer()
	b.mu.Lock()
	b.sweepTimer = b.clock.AfterFunc(sweepEvery, b.sweepTick)
	b.mu.Unlock()
	return b, nil
}

// Stats counts what a Broker did since Open.
type Stats struct {
	// Sent counts the messages sent; Delivered, the deliveries
	// (attempts); Acked, Retried, DeadLettered and Dropped, the
	// deliveries' outcomes (Dropped: past MaxRetries with no dead-letter
	// queue); Expired, the messages dropped past their retention.
	Sent, Delivered, Acked, Retried, DeadLettered, Dropped, Expired uint64
	// Commits counts the write requests (a Send is one) and Syncs the
	// db.Sync calls that made them durable: Commits/Syncs is the group
	// commit's batching.
	Commits, Syncs uint64
}

type counters struct {
	sent, delivered, acked, retried, deadLettered, dropped, expired atomic.Uint64
	commits, syncs                                                  atomic.Uint64
}

// Stats returns the broker's counters.
func (b *Broker) Stats() Stats {
	s := &b.stats
	return Stats{
		Sent: s.sent.Load(), Delivered: s.delivered.Load(), Acked: s.acked.Load(),
		Retried: s.retried.Load(), DeadLettered: s.deadLettered.Load(),
		Dropped: s.dropped.Load(), Expired: s.expired.Load(),
		Commits: s.commits.Load(), Syncs: s.syncs.Load(),
	}
}

// enter registers a call that writes; leave ends it.
func (b *Broker) enter() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	b.users.Add(1)
	return nil
}

func (b *Broker) leave() { b.users.Done() }

// checkName checks a queue name.
func checkName(queue string) error {
	if queue == "" {
		return errors.New("queue: the queue name is empty")
	}
	if len(queue) > maxNameLen {
		return fmt.Errorf("queue: the queue name %q is %d bytes, over the limit of %d", queue, len(queue), maxNameLen)
	}
	return nil
}

// seconds formats d in seconds, as Cloudflare's limits are given.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// checkSend checks msgs against Cloudflare's limits.
func checkSend(msgs []SendRequest) error {
	if len(msgs) == 0 {
		return &LimitError{Msg: "batch has no messages"}
	}
	if len(msgs) > MaxBatchMessages {
		return &LimitError{TooLarge: true, Msg: fmt.Sprintf("batch has %d messages, the limit is %d", len(msgs), MaxBatchMessages)}
	}
	total := 0
	for i, m := range msgs {
		n := len(m.Body) + MessageOverhead
		if n > MaxMessageBytes {
			which := "message"
			if len(msgs) > 1 {
				which = fmt.Sprintf("message %d of the batch", i)
			}
			return &LimitError{TooLarge: true, Msg: fmt.Sprintf("%s is %d bytes (%d of body and %d of metadata), over the limit of 128 KB (%d bytes)",
				which, n, len(m.Body), MessageOverhead, MaxMessageBytes)}
		}
		total += n
		if m.Delay < 0 {
			return &LimitError{Msg: fmt.Sprintf("delay %s s is negative", seconds(m.Delay))}
		}
		if m.Delay > MaxDelay {
			return &LimitError{Msg: fmt.Sprintf("delay %s s is over the limit of %d s (24 hours)", seconds(m.Delay), int(MaxDelay.Seconds()))}
		}
		if m.ContentType > V8 {
			return &LimitError{Msg: fmt.Sprintf("unknown content type %d", m.ContentType)}
		}
	}
	if total > MaxBatchBytes {
		return &LimitError{TooLarge: true, Msg: fmt.Sprintf("batch is %d bytes with its messages' metadata, over the limit of 256 KB (%d bytes)", total, MaxBatchBytes)}
	}
	return nil
}

// newID returns a random message id: 32 lowercase hex digits.
func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// Send sends msgs to queue, all or none, and returns once they are
// durable. A name is any non-empty string of at most 63 bytes. A send
// over a limit returns a *LimitError, wrapped. A ctx done before the
// messages were handed to the writer stops the send (nothing is sent);
// after that, Send waits for the write.
func (b *Broker) Send(ctx context.Context, queue string, msgs []SendRequest) error {
	if err := checkName(queue); err != nil {
		return err
	}
	if err := checkSend(msgs); err != nil {
		return fmt.Errorf("queue: send to %s: %w", queue, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("queue: send to %s: %w", queue, err)
	}
	if err := b.enter(); err != nil {
		return err
	}
	defer b.leave()
	now := b.clock.Now()
	ts := now.UnixMilli()
	g := make(group, 0, 2*len(msgs)+1)
	b.mu.Lock()
	known := b.known[queue]
	b.mu.Unlock()
	if !known {
		g = append(g, op{key: markerKey(queue)})
	}
	entries := make([]*entry, len(msgs))
	for i, m := range msgs {
		e := &entry{id: newID(), due: now.Add(m.Delay).UnixMilli(), seq: b.seq.Add(1), ts: ts, enq: ts}
		entries[i] = e
		g = append(g,
			op{key: recordKey(queue, e.id), val: record{ts: ts, ct: m.ContentType, body: m.Body}.encode()},
			op{key: indexKey(queue, e.due, e.seq, e.id), val: indexValue{ts: ts}.encode()})
	}
	req := &commitReq{groups: []group{g}, sync: true, done: make(chan error, 1)}
	select {
	case b.reqs <- req:
	case <-ctx.Done():
		return fmt.Errorf("queue: send to %s: %w", queue, ctx.Err())
	}
	if err := <-req.done; err != nil {
		return fmt.Errorf("queue: send to %s: %w", queue, err)
	}
	b.stats.sent.Add(uint64(len(msgs)))
	b.mu.Lock()
	b.known[queue] = true
	c := b.consumers[queue]
	b.mu.Unlock()
	if c != nil {
		c.push(entries)
	}
	return nil
}

// markKnown makes queue known, durably.
func (b *Broker) markKnown(queue string) error {
	b.mu.Lock()
	known := b.known[queue]
	b.mu.Unlock()
	if known {
		return nil
	}
	if err := b.commit([]group{{{key: markerKey(queue)}}}, true); err != nil {
		return err
	}
	b.mu.Lock()
	b.known[queue] = true
	b.mu.Unlock()
	return nil
}

// retentionOf returns queue's retention.
func (b *Broker) retentionOf(queue string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d, ok := b.retention[queue]; ok {
		return d
	}
	return DefaultRetention
}

// consumerOf returns queue's consumer in this process, or nil.
func (b *Broker) consumerOf(queue string) *consumer {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.consumers[queue]
}

// Close stops every consumer (as their stop does) and the broker; it
// does not close db.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.sweepTimer.Stop()
	cs := make([]*consumer, 0, len(b.consumers))
	for _, c := range b.consumers {
		cs = append(cs, c)
	}
	b.mu.Unlock()
	for _, c := range cs {
		c.stop(context.Background())
	}
	b.sweeping.Wait()
	b.users.Wait()
	close(b.reqs)
	<-b.committerDone
	return nil
}
