// Package queuehost serves Cloudflare Queues to a Worker: its producer
// bindings (bindery:queue/producer), which send to a [queue.Broker], and
// its consumers, which the broker delivers to by calling the Worker's
// queue handler (the export bindery:queue/consumer). docs/queues.md.
//
// A Host is granted to one Worker (Host.Bindings to host.NewWorker); the
// producer binding is a host.Attacher, so the consumers start once the
// Worker exists, after a check that it exports a queue handler, and stop
// when it closes. Producer and consumer may be different Workers sharing
// one Broker (bindery dev -c a -c b).
package queuehost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/queue"
	"github.com/bindery-run/bindery/host"
	"github.com/bindery-run/bindery/host/internal/queuewit"
)

// Producer is one producer binding (wrangler's [[queues.producers]]).
type Producer struct {
	// Queue is the queue's name.
	Queue string
	// DeliveryDelay is the delay of a message sent without one
	// (delivery_delay).
	DeliveryDelay time.Duration
}

// Consumer is one queue the Worker consumes ([[queues.consumers]]).
type Consumer struct {
	Queue  string
	Config queue.ConsumerConfig
}

// Config configures a Host.
type Config struct {
	// Broker holds the queues; required.
	Broker *queue.Broker
	// Producers are the Worker's producer bindings, by binding name.
	Producers map[string]Producer
	// Consumers are the queues the Worker consumes.
	Consumers []Consumer
	// Logger receives failed batches; nil discards.
	Logger *slog.Logger
}

// Host is one Worker's queues.
type Host struct {
	cfg  Config
	log  *slog.Logger
	stop []func(context.Context) error
}

// New checks cfg and returns its Host.
func New(cfg Config) (*Host, error) {
	if cfg.Broker == nil {
		return nil, errors.New("queuehost: no Broker")
	}
	for name, p := range cfg.Producers {
		if p.Queue == "" {
			return nil, fmt.Errorf("queuehost: producer %q names no queue", name)
		}
		if p.DeliveryDelay < 0 || p.DeliveryDelay > queue.MaxDelay {
			return nil, fmt.Errorf("queuehost: producer %q: delivery delay %v is out of range (0 to 24h)", name, p.DeliveryDelay)
		}
	}
	seen := map[string]bool{}
	for _, c := range cfg.Consumers {
		if seen[c.Queue] {
			return nil, fmt.Errorf("queuehost: queue %q is consumed twice", c.Queue)
		}
		seen[c.Queue] = true
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Host{cfg: cfg, log: log}, nil
}

// Bindings returns what to grant the Worker: the producer binding, which
// also starts the consumers when the Worker is made.
func (h *Host) Bindings() []host.Binding { return []host.Binding{&Binding{h: h}} }

// Binding is the producer binding. It is a host.Attacher.
type Binding struct{ h *Host }

var (
	_ queuewit.ProducerHost = (*Binding)(nil)
	_ host.Attacher         = (*Binding)(nil)
)

// WIT returns the interface the binding serves.
func (b *Binding) WIT() abi.Interface { return ProducerWIT() }

// ProducerWIT returns the host side of bindery:queue/producer, denying
// every queue (a Worker granted none).
func ProducerWIT() abi.Interface {
	return abi.Interface{Name: queuewit.ProducerInterface, Define: queuewit.DefineProducer, Deny: &Binding{}}
}

// QueueOpen implements queuewit.ProducerHost.
func (b *Binding) QueueOpen(ctx context.Context, name string) (queuewit.Queue, *queuewit.Error) {
	if b.h != nil {
		if p, ok := b.h.cfg.Producers[name]; ok {
			return &producer{b: b.h.cfg.Broker, binding: name, p: p}, nil
		}
	}
	return nil, &queuewit.Error{Tag: queuewit.ErrorNoSuchQueue, NoSuchQueue: fmt.Sprintf("no queue binding %q is granted to this Worker", name)}
}

// Attach starts the consumers on w once it has checked that w exports a
// queue handler.
func (b *Binding) Attach(ctx context.Context, w *host.Worker) (func(context.Context) error, error) {
	h := b.h
	if len(h.cfg.Consumers) == 0 {
		return nil, nil
	}
	if err := w.Guest().Call(ctx, func(ctx context.Context, inst *abi.Instance) error {
		_, err := consumerExports(inst)
		return err
	}); err != nil {
		return nil, fmt.Errorf("the config consumes queue %q, but the Worker has no queue handler: %w", h.cfg.Consumers[0].Queue, err)
	}
	for _, c := range h.cfg.Consumers {
		stop, err := h.cfg.Broker.Consume(c.Queue, c.Config, h.handler(w))
		if err != nil {
			h.detach(ctx)
			return nil, fmt.Errorf("consuming queue %q: %w", c.Queue, err)
		}
		h.stop = append(h.stop, stop)
	}
	return h.detach, nil
}

// detach stops the consumers, waiting for their handlers.
func (h *Host) detach(ctx context.Context) error {
	var errs []error
	for _, stop := range h.stop {
		errs = append(errs, stop(ctx))
	}
	h.stop = nil
	return errors.Join(errs...)
}

// consumerExports returns the queue handler of the instance.
func consumerExports(inst *abi.Instance) (*queuewit.ConsumerExports, error) {
	v, err := inst.Memo(queuewit.ConsumerInterface, func() (any, error) {
		return queuewit.NewConsumerExports(inst.Lookup())
	})
	if err != nil {
		return nil, err
	}
	return v.(*queuewit.ConsumerExports), nil
}

// handler returns the broker's Handler calling w's queue handler.
func (h *Host) handler(w *host.Worker) queue.Handler {
	return func(ctx context.Context, name string, batch []queue.Message) queue.Outcome {
		msgs := make([]queuewit.Message, len(batch))
		for i, m := range batch {
			msgs[i] = queuewit.Message{
				ID: m.ID, Timestamp: m.Timestamp.UnixMilli(), Body: m.Body,
				ContentType: queuewit.ContentType(m.ContentType), Attempts: uint32(m.Attempts),
			}
		}
		var out queuewit.Outcome
		err := w.Guest().Call(ctx, func(ctx context.Context, inst *abi.Instance) error {
			ex, err := consumerExports(inst)
			if err != nil {
				return err
			}
			out, err = ex.Queue(ctx, inst, name, msgs)
			return err
		})
		if err != nil {
			h.log.Warn("queue handler failed", "worker", w.Name(), "queue", name, "messages", len(batch), "err", err)
			return queue.Outcome{Err: err}
		}
		o, bad := outcome(out, len(batch))
		if bad != nil {
			h.log.Warn("queue handler returned a bad outcome", "worker", w.Name(), "queue", name, "err", bad)
			return queue.Outcome{Err: bad}
		}
		if o.Err != nil {
			h.log.Warn("queue handler threw", "worker", w.Name(), "queue", name, "messages", len(batch), "err", o.Err)
		}
		return o
	}
}

// outcome converts the guest's outcome for a batch of n messages; an
// index out of range is the guest's fault, and retries the whole batch.
func outcome(o queuewit.Outcome, n int) (queue.Outcome, error) {
	var out queue.Outcome
	for _, i := range o.Acked {
		if int(i) >= n {
			return queue.Outcome{}, fmt.Errorf("acked message %d of a batch of %d", i, n)
		}
		out.Acked = append(out.Acked, int(i))
	}
	for _, r := range o.Retried {
		if int(r.Index) >= n {
			return queue.Outcome{}, fmt.Errorf("retried message %d of a batch of %d", r.Index, n)
		}
		d, err := delay(r.DelaySeconds)
		if err != nil {
			return queue.Outcome{}, fmt.Errorf("retry of message %d: %w", r.Index, err)
		}
		out.Retried = append(out.Retried, queue.Retry{Index: int(r.Index), Delay: d})
	}
	out.AckAll, out.RetryAll = o.AckAll, o.RetryAll
	d, err := delay(o.RetryAllDelay)
	if err != nil {
		return queue.Outcome{}, fmt.Errorf("retryAll: %w", err)
	}
	out.RetryAllDelay = d
	if o.Error.Some {
		out.Err = &HandlerError{Msg: o.Error.Value}
	}
	return out, nil
}

// delay converts an optional delay in seconds.
func delay(s abi.Option[uint32]) (*time.Duration, error) {
	if !s.Some {
		return nil, nil
	}
	d := time.Duration(s.Value) * time.Second
	if d > queue.MaxDelay {
		return nil, fmt.Errorf("delay %d s is over the limit of %d s (24 hours)", s.Value, int(queue.MaxDelay/time.Second))
	}
	return &d, nil
}

// HandlerError is what a queue handler threw.
type HandlerError struct{ Msg string }

func (e *HandlerError) Error() string { return e.Msg }

// producer is an open producer binding.
type producer struct {
	b       *queue.Broker
	binding string
	p       Producer
}

// Send implements queuewit.Queue.
func (q *producer) Send(ctx context.Context, m queuewit.SendRequest) *queuewit.Error {
	return q.SendBatch(ctx, []queuewit.SendRequest{m}, abi.Option[uint32]{})
}

// SendBatch implements queuewit.Queue.
func (q *producer) SendBatch(ctx context.Context, msgs []queuewit.SendRequest, batchDelay abi.Option[uint32]) *queuewit.Error {
	def := q.p.DeliveryDelay
	if batchDelay.Some {
		def = time.Duration(batchDelay.Value) * time.Second
	}
	reqs := make([]queue.SendRequest, len(msgs))
	for i, m := range msgs {
		d := def
		if m.DelaySeconds.Some {
			d = time.Duration(m.DelaySeconds.Value) * time.Second
		}
		reqs[i] = queue.SendRequest{Body: m.Body, ContentType: queue.ContentType(m.ContentType), Delay: d}
	}
	err := q.b.Send(ctx, q.p.Queue, reqs)
	if err == nil {
		return nil
	}
	var le *queue.LimitError
	switch {
	case errors.As(err, &le) && le.TooLarge:
		return &queuewit.Error{Tag: queuewit.ErrorTooLarge, TooLarge: le.Msg}
	case errors.As(err, &le):
		return &queuewit.Error{Tag: queuewit.ErrorInvalidArgument, InvalidArgument: le.Msg}
	}
	return &queuewit.Error{Tag: queuewit.ErrorInternal, Internal: fmt.Sprintf("queue %q: %v", q.p.Queue, err)}
}
