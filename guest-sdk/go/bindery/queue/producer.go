//go:build wasip1

package queue

import (
	"fmt"
	"unicode/utf8"

	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/queuewit"
)

// Queue is a queue producer binding ([[queues.producers]]): env.JOBS in
// JavaScript.
type Queue struct {
	name string
	h    queuewit.Queue
}

// queues are the opened bindings: a Worker has a few, and a scan of a few
// names is cheaper than a map lookup in Go-on-Wasm.
var queues []*Queue

// Get returns the producer binding name (e.g. "JOBS"), as the Worker's
// config declares it; the handle is kept for the life of the instance. A
// name the config does not grant is an error of kind ErrNoSuchQueue.
func Get(name string) (*Queue, error) {
	for _, q := range queues {
		if q.name == name {
			return q, nil
		}
	}
	if !utf8.ValidString(name) {
		return nil, &Error{ErrNoSuchQueue, fmt.Sprintf("queue: binding name %q is not valid UTF-8", name)}
	}
	h, err := queuewit.QueueOpen(name)
	if err != nil {
		return nil, fmt.Errorf("open queue binding %q: %w", name, errorOf(err))
	}
	q := &Queue{name: name, h: h}
	queues = append(queues, q)
	return q, nil
}

// errorOf converts the WIT error, keeping the host's message.
func errorOf(e *queuewit.Error) error {
	if e == nil {
		return nil
	}
	switch e.Tag {
	case queuewit.ErrorNoSuchQueue:
		return &Error{ErrNoSuchQueue, e.NoSuchQueue}
	case queuewit.ErrorTooLarge:
		return &Error{ErrTooLarge, e.TooLarge}
	case queuewit.ErrorInvalidArgument:
		return &Error{ErrInvalidArgument, e.InvalidArgument}
	}
	return &Error{ErrInternal, e.Internal}
}

// SendOptions are the options of Send. The zero value sends a structured
// value (V8) with the producer's delivery_delay.
type SendOptions struct {
	// ContentType says how body is encoded; "" means V8.
	ContentType ContentType
	// DelaySeconds delays delivery (at most 86400). Zero means the
	// producer's delivery_delay; NoDelay delivers at once.
	DelaySeconds int
}

// Send sends one message and returns once it is stored. body is encoded
// as o's content type says: a string for Text, a []byte for Bytes, any
// value encoding/json marshals for JSON (a json.RawMessage as it is), any
// value package structured encodes for V8 (the default). A message over
// 128 KB is an error of kind ErrTooLarge, a delay over 24 hours one of
// kind ErrInvalidArgument, with the host's message.
func (q *Queue) Send(body any, o *SendOptions) error {
	if o == nil {
		o = &SendOptions{}
	}
	req, err := request(MessageRequest{Body: body, ContentType: o.ContentType, DelaySeconds: o.DelaySeconds})
	if err != nil {
		return err
	}
	return errorOf(q.h.Send(req))
}

// SendText sends text as a Text message.
func (q *Queue) SendText(text string) error {
	return q.Send(text, &SendOptions{ContentType: Text})
}

// SendBytes sends b as a Bytes message.
func (q *Queue) SendBytes(b []byte) error {
	return q.Send(b, &SendOptions{ContentType: Bytes})
}

// SendJSON sends v as a JSON message, as json.Marshal encodes it.
func (q *Queue) SendJSON(v any) error {
	return q.Send(v, &SendOptions{ContentType: JSON})
}

// MessageRequest is one message of SendBatch (Cloudflare's
// MessageSendRequest): its body, encoded as for Send.
type MessageRequest struct {
	// Body is the message's body, as Send's.
	Body any
	// ContentType says how Body is encoded; "" means V8.
	ContentType ContentType
	// DelaySeconds delays delivery (at most 86400). Zero means the
	// batch's DelaySeconds; NoDelay delivers at once.
	DelaySeconds int
}

// BatchOptions are the options of SendBatch.
type BatchOptions struct {
	// DelaySeconds delays each message that has no delay of its own (at
	// most 86400). Zero means the producer's delivery_delay; NoDelay
	// delivers at once.
	DelaySeconds int
}

// SendBatch sends up to 100 messages (256 KB in all) at once: all are
// stored, or none. More than 100 messages, or too many bytes, is an error
// of kind ErrTooLarge with the host's message.
func (q *Queue) SendBatch(msgs []MessageRequest, o *BatchOptions) error {
	var d delay
	if o != nil {
		var err error
		if d, err = sendDelay(o.DelaySeconds); err != nil {
			return err
		}
	}
	reqs := make([]queuewit.SendRequest, len(msgs))
	for i, m := range msgs {
		r, err := request(m)
		if err != nil {
			return fmt.Errorf("queue: message %d of the batch: %w", i, err)
		}
		reqs[i] = r
	}
	return errorOf(q.h.SendBatch(reqs, cabi.Option[uint32]{Some: d.set, Value: d.secs}))
}

// request is the WIT request of m.
func request(m MessageRequest) (queuewit.SendRequest, error) {
	d, err := sendDelay(m.DelaySeconds)
	if err != nil {
		return queuewit.SendRequest{}, err
	}
	body, ct, err := encode(m.Body, m.ContentType)
	if err != nil {
		return queuewit.SendRequest{}, err
	}
	if body == nil {
		body = []byte{}
	}
	return queuewit.SendRequest{Body: body, ContentType: witType(ct), DelaySeconds: cabi.Option[uint32]{Some: d.set, Value: d.secs}}, nil
}

// witType is ct (one encode returned) as the WIT enum.
func witType(ct ContentType) queuewit.ContentType {
	switch ct {
	case Text:
		return queuewit.ContentTypeText
	case Bytes:
		return queuewit.ContentTypeBytes
	case JSON:
		return queuewit.ContentTypeJSON
	}
	return queuewit.ContentTypeV8
}
