package queue

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
)

// Handler handles a batch of messages of a queue the Worker consumes. A
// returned error (or a panic) retries every message not explicitly acked
// or retried, as a thrown error does on Cloudflare; the host logs it.
type Handler func(ctx context.Context, b *Batch) error

// handler is the Worker's queue handler, set by Handle.
var handler Handler

// Handle makes h the Worker's queue handler (Cloudflare's queue(batch,
// env, ctx)), which the host calls with batches of every queue the
// Worker's config consumes ([[queues.consumers]]); Batch.Queue says which.
// Call it from an init function. A Worker that imports this package and
// consumes a queue without calling Handle fails every batch ("no queue
// handler"), so its messages are retried.
func Handle(h Handler) {
	if h == nil {
		panic("queue.Handle: nil handler")
	}
	handler = h
}

// Batch is a batch of messages delivered to the queue handler.
type Batch struct {
	// Queue is the name of the queue (the config's queue, not a binding
	// name).
	Queue string
	// Messages are the batch's messages, oldest first.
	Messages []*Message

	// ackAll and retryAll record AckAll and RetryAll; retryAllDelay the
	// delay RetryAll was given.
	ackAll, retryAll bool
	retryAllDelay    delay
	// warn logs a console warning (a call ignored).
	warn func(string)
}

// Message is one delivered message.
type Message struct {
	// ID is the message's id (32 hex digits), the same on every attempt.
	ID string
	// Timestamp is when it was sent, to the millisecond.
	Timestamp time.Time
	// Attempts is how many times it has been delivered, this one
	// included (1 on the first delivery).
	Attempts int
	// Body is the message's body as sent: decode it with Text, JSON or
	// Value by its ContentType.
	Body []byte
	// ContentType is how the body is encoded.
	ContentType ContentType

	batch *Batch
	state msgState
	delay delay // of Retry
}

// msgState is what the handler decided for one message.
type msgState uint8

const (
	undecided msgState = iota
	acked
	retried
)

// RetryOptions are the options of Retry and RetryAll.
type RetryOptions struct {
	// DelaySeconds delays the retry (at most 86400). Zero means the
	// consumer's retry_delay; NoDelay retries at once.
	DelaySeconds int
}

// Ack acknowledges the message: it is not delivered again, whatever
// happens to the rest of the batch. It has no effect after AckAll, and
// none (but a console warning) after Retry or RetryAll.
func (m *Message) Ack() {
	b := m.batch
	switch {
	case b.ackAll:
		return
	case b.retryAll:
		b.warn(fmt.Sprintf("Received a call to ack() on message %s after retryAll() was already called. Calling ack() on a message after calling retryAll() has no effect.", m.ID))
		return
	case m.state == retried:
		b.warn(fmt.Sprintf("Received a call to ack() on message %s after retry() was already called. Calling ack() on a message after calling retry() has no effect.", m.ID))
		return
	}
	m.state = acked
}

// Retry asks for the message to be delivered again, after o's delay (nil:
// the consumer's retry_delay); once it has been delivered max_retries+1
// times it goes to the dead-letter queue instead. It has no effect (but a
// console warning) after Ack or AckAll. A later Retry replaces the
// delay, as in workerd.
func (m *Message) Retry(o *RetryOptions) {
	b := m.batch
	switch {
	case b.ackAll:
		b.warn(fmt.Sprintf("Received a call to retry() on message %s after ackAll() was already called. Calling retry() on a message after calling ackAll() has no effect.", m.ID))
		return
	case m.state == acked:
		b.warn(fmt.Sprintf("Received a call to retry() on message %s after ack() was already called. Calling retry() on a message after calling ack() has no effect.", m.ID))
		return
	}
	m.state, m.delay = retried, retryDelay(o)
}

// AckAll acknowledges every message not explicitly retried. It has no
// effect (but a console warning) after RetryAll.
func (b *Batch) AckAll() {
	if b.retryAll {
		b.warn("Received a call to ackAll() after retryAll() was already called. Calling ackAll() after calling retryAll() has no effect.")
		return
	}
	b.ackAll = true
}

// RetryAll retries every message not explicitly acked, after o's delay
// (nil: the consumer's retry_delay; a later RetryAll with a delay sets
// it). It has no effect (but a console warning) after AckAll.
func (b *Batch) RetryAll(o *RetryOptions) {
	if b.ackAll {
		b.warn("Received a call to retryAll() after ackAll() was already called. Calling retryAll() after calling ackAll() has no effect.")
		return
	}
	b.retryAll = true
	if d := retryDelay(o); d.set {
		b.retryAllDelay = d
	}
}

// outcome is what the handler decided, as bindery:queue/consumer's
// outcome record has it.
type outcome struct {
	acked         []uint32
	retried       []retryRequest
	ackAll        bool
	retryAll      bool
	retryAllDelay delay
	// err is the handler's error or panic; "" when it returned nil.
	err string
}

// retryRequest is a message retried with Retry, by its index.
type retryRequest struct {
	index uint32
	delay delay
}

// newBatch returns the batch of queue's msgs, whose warnings go to warn.
func newBatch(queue string, msgs []*Message, warn func(string)) *Batch {
	b := &Batch{Queue: queue, Messages: msgs, warn: warn}
	for _, m := range msgs {
		m.batch = b
	}
	return b
}

// run runs h on b and returns the outcome: the decisions recorded on the
// messages and the batch when h returns, and its error or panic.
func (b *Batch) run(ctx context.Context, h Handler) outcome {
	var out outcome
	if h == nil {
		out.err = "no queue handler: call queue.Handle in an init function"
	} else {
		out.err = guard(ctx, h, b)
	}
	out.ackAll, out.retryAll, out.retryAllDelay = b.ackAll, b.retryAll, b.retryAllDelay
	for i, m := range b.Messages {
		switch m.state {
		case acked:
			out.acked = append(out.acked, uint32(i))
		case retried:
			out.retried = append(out.retried, retryRequest{index: uint32(i), delay: m.delay})
		}
	}
	return out
}

// maxErrorText bounds the error text sent to the host's log.
const maxErrorText = 16 << 10

// guard runs h, turning a returned error or a panic (with its stack) into
// its text: valid UTF-8 (the only strings the host takes), at most
// maxErrorText bytes, never empty; "" when h returned nil.
func guard(ctx context.Context, h Handler, b *Batch) (text string) {
	defer func() {
		if p := recover(); p != nil {
			text = errorText(fmt.Sprintf("panic in the queue handler (queue %s): %v\n%s", b.Queue, p, debug.Stack()))
		}
	}()
	if err := h(ctx, b); err != nil {
		text = errorText(err.Error())
		if text == "" {
			text = "queue handler failed" // an error with an empty message still fails the batch
		}
	}
	return text
}

// errorText cuts s to maxErrorText bytes of valid UTF-8.
func errorText(s string) string {
	if len(s) > maxErrorText {
		s = s[:maxErrorText] + "\n…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
