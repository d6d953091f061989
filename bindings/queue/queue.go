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
//     messages after a restart, their attempts counted.
//   - A retried message is delivered again after its delay; one that has
//     been delivered MaxRetries+1 times and is retried again moves to the
//     DeadLetterQueue (keeping its id, body and timestamp, attempts
//     starting over), or is dropped with a log record when there is none.
//   - Messages older than the queue's retention (4 days unless set, at
//     most 14) are dropped with a log record.
//
// The broker knows nothing of Workers: host/queuehost calls a Worker's
// queue handler from a Handler.
package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// Broker is the data directory's queues. It is safe for concurrent use.
type Broker struct {
	db   *badger.DB
	opts Options
}

// Open opens the queues kept in db (under the prefix "queue/").
func Open(db *badger.DB, opts Options) (*Broker, error) {
	return nil, errors.New("queue: not implemented yet")
}

// Send sends msgs to queue, all or none, and returns once they are
// durable. A name is any non-empty string of at most 63 bytes.
func (b *Broker) Send(ctx context.Context, queue string, msgs []SendRequest) error {
	return errors.New("queue: not implemented yet")
}

// Consume starts delivering queue's messages to h until stop is called
// (stop waits for the handlers running; their batches' messages stay
// stored, to be delivered again). A queue has at most one consumer.
func (b *Broker) Consume(queue string, c ConsumerConfig, h Handler) (stop func(ctx context.Context) error, err error) {
	return nil, errors.New("queue: not implemented yet")
}

// Queues lists the queues that hold messages or have been sent to,
// consumed or configured, by name.
func (b *Broker) Queues(ctx context.Context) ([]Info, error) {
	return nil, errors.New("queue: not implemented yet")
}

// Info describes queue.
func (b *Broker) Info(ctx context.Context, queue string) (Info, error) {
	return Info{}, errors.New("queue: not implemented yet")
}

// Peek returns up to limit of queue's messages without consuming them:
// pending (in delivery order), in flight, and dead-lettered.
func (b *Broker) Peek(ctx context.Context, queue string, limit int) ([]Peeked, error) {
	return nil, errors.New("queue: not implemented yet")
}

// Purge deletes queue's pending messages (not those in flight) and
// returns how many.
func (b *Broker) Purge(ctx context.Context, queue string) (int, error) {
	return 0, errors.New("queue: not implemented yet")
}

// SetRetention sets queue's message retention (at most MaxRetention;
// 0 restores DefaultRetention), kept in the database.
func (b *Broker) SetRetention(ctx context.Context, queue string, d time.Duration) error {
	return errors.New("queue: not implemented yet")
}

// Close stops every consumer (as their stop does) and the broker; it
// does not close db.
func (b *Broker) Close() error { return nil }
