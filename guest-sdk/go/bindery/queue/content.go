package queue

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery/structured"
)

// ContentType is how a message's body is encoded: Cloudflare's
// contentType.
type ContentType string

// The content types. The zero ContentType, in SendOptions and
// MessageRequest, means V8, Cloudflare's default.
const (
	// Text is UTF-8 text: the body is a string.
	Text ContentType = "text"
	// Bytes is raw bytes: the body is a []byte (an ArrayBuffer in
	// JavaScript).
	Bytes ContentType = "bytes"
	// JSON is JSON text: the body is any value encoding/json marshals.
	JSON ContentType = "json"
	// V8 is a structured value (Cloudflare's structured clone), in the
	// structured-value encoding of package structured: the body is any
	// value structured.Marshal takes.
	V8 ContentType = "v8"
)

// NoDelay, as a DelaySeconds, delivers (or retries) a message at once,
// overriding the batch's, producer's or consumer's default delay, as an
// explicit delaySeconds of 0 does on Cloudflare. Any negative DelaySeconds
// means the same.
const NoDelay = -1

// delay is a WIT option<u32> of seconds.
type delay struct {
	set  bool
	secs uint32
}

// sendDelay converts a DelaySeconds of a send: 0 is none (the default),
// a negative one is 0, and one beyond 32 bits is an error (the host
// refuses anything over 24 hours with its own message).
func sendDelay(n int) (delay, error) {
	switch {
	case n == 0:
		return delay{}, nil
	case n < 0:
		return delay{set: true}, nil
	case uint64(n) > math.MaxUint32:
		return delay{}, &Error{ErrInvalidArgument, fmt.Sprintf("queue: delaySeconds %d is out of range (at most 86400)", n)}
	}
	return delay{set: true, secs: uint32(n)}, nil
}

// retryDelay converts a DelaySeconds of a retry, which cannot fail: 0 is
// none (the consumer's retry_delay), a negative one is 0, and one beyond
// 32 bits is the largest (the host caps a retry's delay at 24 hours).
func retryDelay(o *RetryOptions) delay {
	if o == nil || o.DelaySeconds == 0 {
		return delay{}
	}
	if o.DelaySeconds < 0 {
		return delay{set: true}
	}
	return delay{set: true, secs: uint32(min(uint64(o.DelaySeconds), math.MaxUint32))}
}

// encode returns the bytes of body sent as ct ("" meaning V8), and the
// content type they have.
func encode(body any, ct ContentType) ([]byte, ContentType, error) {
	switch ct {
	case "", V8:
		b, err := structured.Marshal(body)
		if err != nil {
			return nil, V8, &Error{ErrInvalidArgument, fmt.Sprintf("queue: the body cannot be sent as a structured value (v8): %v", err)}
		}
		return b, V8, nil
	case Text:
		s, ok := body.(string)
		if !ok {
			return nil, ct, &Error{ErrInvalidArgument, fmt.Sprintf("queue: a text message's body must be a string, not %T", body)}
		}
		return []byte(s), ct, nil
	case Bytes:
		b, ok := body.([]byte)
		if !ok {
			return nil, ct, &Error{ErrInvalidArgument, fmt.Sprintf("queue: a bytes message's body must be a []byte, not %T", body)}
		}
		return b, ct, nil
	case JSON:
		if raw, ok := body.(json.RawMessage); ok {
			if !json.Valid(raw) {
				return nil, ct, &Error{ErrInvalidArgument, "queue: a json message's body is a json.RawMessage that is not valid JSON"}
			}
			return raw, ct, nil
		}
		b, err := json.Marshal(body)
		if err != nil {
			return nil, ct, &Error{ErrInvalidArgument, fmt.Sprintf("queue: the body cannot be sent as JSON: %v", err)}
		}
		return b, ct, nil
	}
	return nil, ct, &Error{ErrInvalidArgument, fmt.Sprintf("queue: unknown content type %q (text, bytes, json or v8)", string(ct))}
}

// Text returns the body as a string: the text of a Text message (for
// another content type, its bytes as they are).
func (m *Message) Text() string { return string(m.Body) }

// JSON decodes the body of a JSON message into v, as json.Unmarshal does
// (a *json.RawMessage takes the JSON text as it was sent). Another content
// type is an error of kind ErrContentType.
func (m *Message) JSON(v any) error {
	if m.ContentType != JSON {
		return m.wrongType(JSON)
	}
	if err := json.Unmarshal(m.Body, v); err != nil {
		return fmt.Errorf("queue: message %s: decoding its JSON body: %w", m.ID, err)
	}
	return nil
}

// Value decodes the body of a V8 message (a structured value) into v, as
// structured.Unmarshal does: into a *any it is the generic representation
// (structured.Object, []byte, float64, ...), what Cloudflare's message.body
// is in JavaScript. Another content type is an error of kind
// ErrContentType.
func (m *Message) Value(v any) error {
	if m.ContentType != V8 {
		return m.wrongType(V8)
	}
	if err := structured.Unmarshal(m.Body, v); err != nil {
		return fmt.Errorf("queue: message %s: decoding its structured (v8) body: %w", m.ID, err)
	}
	return nil
}

func (m *Message) wrongType(want ContentType) error {
	return &Error{ErrContentType, fmt.Sprintf("queue: message %s has content type %s, not %s", m.ID, m.ContentType, want)}
}
