// Package queuemodule is Queues as a module (see package bindings): it
// reads wrangler's queues key, opens the data directory's queue broker
// (shared by every Worker a bindery dev serves), grants the Worker its
// producer bindings and starts its consumers with package queuehost, and
// serves the `bindery queues` command and its admin routes
// (docs/queues.md).
//
//	[[queues.producers]]
//	binding = "JOBS"          # env.JOBS in the Worker
//	queue = "jobs"
//	delivery_delay = 0        # seconds before a message may be delivered
//
//	[[queues.consumers]]
//	queue = "jobs"
//	max_batch_size = 10       # 1 to 100
//	max_batch_timeout = 5     # seconds, 0 to 60
//	max_retries = 3           # 0 to 100
//	dead_letter_queue = "jobs-dlq"
//	retry_delay = 0           # seconds
//	max_concurrency = 5       # 1 to 250; unset: scale up while batches are ready
package queuemodule

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings"
	"github.com/bindery-run/bindery/bindings/config"
	"github.com/bindery-run/bindery/bindings/queue"
	"github.com/bindery-run/bindery/host/queuehost"
)

// Key is the wrangler config key the module reads.
const Key = "queues"

// Producer is one [[queues.producers]] entry.
type Producer struct {
	Binding       string
	Queue         string
	DeliveryDelay time.Duration
}

// Consumer is one [[queues.consumers]] entry.
type Consumer struct {
	Queue  string
	Config queue.ConsumerConfig
}

// Config is what the module decodes from a Worker's config.
type Config struct {
	Producers []Producer
	Consumers []Consumer
}

// Parsed returns the module's config in a parsed Worker config (the
// config loader's Config.Bindings["queues"], or Env.Config), nil when it
// has none.
func Parsed(cfg any) *Config {
	c, _ := cfg.(*Config)
	return c
}

// Module returns the Queues module.
func Module() bindings.Module {
	return bindings.Module{
		Name:        "queues",
		Doc:         "Queues: producers, consumers with batches, retries and dead-letter queues, kept in the data directory's Badger database",
		Interfaces:  []abi.Interface{queuehost.ProducerWIT()},
		Config:      []string{Key},
		ParseConfig: parse,
		Describe:    describe,
		Open:        open,
		Command:     command(),
	}
}

// parse decodes queues = {producers = [...], consumers = [...]}.
func parse(r config.Reader) any {
	v, p, ok := r.Lookup(Key)
	if !ok {
		return nil
	}
	m, ok := config.Table(r, v, p)
	if !ok {
		return nil
	}
	config.CheckFields(r, m, p, []string{"producers", "consumers"}, nil)
	c := &Config{}
	for i, e := range entries(r, m, p, "producers") {
		ep := p.Key("producers").Index(i)
		if e == nil {
			continue
		}
		config.CheckFields(r, e, ep, []string{"binding", "queue", "delivery_delay"}, nil)
		name, nameOK := config.BindingName(r, e, ep)
		q, qOK := queueName(r, e, ep, "queue", true)
		pr := Producer{Binding: name, Queue: q}
		if d, ok := config.Number(r, e, ep, "delivery_delay", 0, queue.MaxDelay.Seconds()); ok {
			pr.DeliveryDelay = seconds(d)
		}
		if nameOK && qOK {
			c.Producers = append(c.Producers, pr)
		}
	}
	consumed := map[string]bool{}
	for i, e := range entries(r, m, p, "consumers") {
		ep := p.Key("consumers").Index(i)
		if e == nil {
			continue
		}
		config.CheckFields(r, e, ep, []string{"queue", "type", "max_batch_size", "max_batch_timeout", "max_retries", "dead_letter_queue", "retry_delay", "max_concurrency"},
			map[string]string{"visibility_timeout_ms": "it is for pull consumers"})
		q, qOK := queueName(r, e, ep, "queue", true)
		if qOK && consumed[q] {
			r.Errorf(ep.Key("queue"), "queue %q is consumed twice", q)
			qOK = false
		}
		consumed[q] = true
		if t := config.OptString(r, e, ep, "type"); t != "" && t != "worker" {
			r.Errorf(ep.Key("type"), "consumer type %q is not supported by bindery dev (only \"worker\": the host calls the Worker's queue handler)", t)
		}
		cc := queue.ConsumerConfig{}
		if n, ok := config.Number(r, e, ep, "max_batch_size", 1, queue.MaxBatchSize); ok {
			cc.MaxBatchSize = integer(r, ep.Key("max_batch_size"), n)
		}
		if n, ok := config.Number(r, e, ep, "max_batch_timeout", 0, queue.MaxBatchTimeout.Seconds()); ok {
			cc.MaxBatchTimeout = seconds(n)
		}
		if n, ok := config.Number(r, e, ep, "max_retries", 0, queue.MaxRetries); ok {
			n := integer(r, ep.Key("max_retries"), n)
			cc.MaxRetries = &n
		}
		if n, ok := config.Number(r, e, ep, "retry_delay", 0, queue.MaxDelay.Seconds()); ok {
			cc.RetryDelay = seconds(n)
		}
		if n, ok := config.Number(r, e, ep, "max_concurrency", 1, queue.MaxConcurrency); ok {
			cc.MaxConcurrency = integer(r, ep.Key("max_concurrency"), n)
		}
		if dlq, ok := queueName(r, e, ep, "dead_letter_queue", false); ok {
			if dlq == q {
				r.Errorf(ep.Key("dead_letter_queue"), "queue %q cannot be its own dead-letter queue", q)
			}
			cc.DeadLetterQueue = dlq
		}
		if qOK {
			c.Consumers = append(c.Consumers, Consumer{Queue: q, Config: cc})
		}
	}
	if c.Producers == nil && c.Consumers == nil {
		return nil
	}
	return c
}

// entries returns the tables of the array m[k] (nil for an entry that is
// not a table), reporting type errors.
func entries(r config.Reader, m map[string]any, p config.Path, k string) []map[string]any {
	v, ok := m[k]
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		r.Errorf(p.Key(k), "expected an array, found %s", config.TypeName(r, v))
		return nil
	}
	out := make([]map[string]any, len(arr))
	for i, e := range arr {
		out[i], _ = config.Table(r, e, p.Key(k).Index(i))
	}
	return out
}

// queueName reads the queue name m[k]: 1 to 63 bytes; a name Cloudflare
// would refuse (it takes lowercase letters, digits and dashes) is a
// warning, since it works here.
func queueName(r config.Reader, m map[string]any, p config.Path, k string, required bool) (string, bool) {
	kp := p.Key(k)
	v, ok := m[k]
	if !ok {
		if required {
			r.Errorf(kp, "missing required field %q", k)
		}
		return "", false
	}
	s, ok := config.String(r, v, kp)
	if !ok {
		return "", false
	}
	if s == "" || len(s) > 63 {
		r.Errorf(kp, "queue name %q must be 1 to 63 bytes long", s)
		return "", false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			r.Warnf(kp, "queue name %q: Cloudflare takes only lowercase letters, digits and dashes", s)
			break
		}
	}
	return s, true
}

// integer reports a number with a fraction at p.
func integer(r config.Reader, p config.Path, n float64) int {
	if n != math.Trunc(n) {
		r.Errorf(p, "%v is not a whole number", n)
	}
	return int(n)
}

// seconds converts a number of seconds.
func seconds(n float64) time.Duration { return time.Duration(n * float64(time.Second)) }

func describe(env bindings.Env) []string {
	c := Parsed(env.Config)
	if c == nil {
		return nil
	}
	var out []string
	for _, p := range c.Producers {
		out = append(out, "env."+p.Binding+" (queue "+p.Queue+")")
	}
	for _, q := range c.Consumers {
		out = append(out, "consumer of queue "+q.Queue)
	}
	return out
}

// peerKey is the key of the shared broker in bindings.Peers.
const peerKey = "queues"

// open opens the data directory's broker (or takes the one the Workers
// served together share), grants the producers and starts the consumers.
func open(ctx context.Context, env bindings.Env) (*bindings.Opened, error) {
	out := &bindings.Opened{}
	var b *queue.Broker
	if v, ok := env.Peers.Get(peerKey, ""); ok {
		b = v.(*queue.Broker)
	} else {
		var err error
		b, err = queue.Open(env.State.DB(), queue.Options{Clock: env.Clock, Logger: env.Logger})
		if err != nil {
			return nil, err
		}
		if env.Peers != nil {
			env.Peers.Set(peerKey, "", b)
		}
		out.Close = b.Close
	}
	out.Routes = Routes(b)
	c := Parsed(env.Config)
	if c == nil {
		return out, nil
	}
	hc := queuehost.Config{Broker: b, Producers: map[string]queuehost.Producer{}, Logger: env.Logger}
	for _, p := range c.Producers {
		hc.Producers[p.Binding] = queuehost.Producer{Queue: p.Queue, DeliveryDelay: p.DeliveryDelay}
	}
	for _, q := range c.Consumers {
		hc.Consumers = append(hc.Consumers, queuehost.Consumer{Queue: q.Queue, Config: q.Config})
	}
	h, err := queuehost.New(hc)
	if err != nil {
		if out.Close != nil {
			out.Close()
		}
		return nil, fmt.Errorf("%s: %w", Key, err)
	}
	for _, b := range h.Bindings() {
		out.Bindings = append(out.Bindings, b)
	}
	return out, nil
}
