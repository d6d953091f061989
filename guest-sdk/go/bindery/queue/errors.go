package queue

import "errors"

// The kinds of Error, for errors.Is.
var (
	// ErrNoSuchQueue: the config grants no queue producer binding of that
	// name.
	ErrNoSuchQueue = errors.New("queue: no such queue")
	// ErrTooLarge: a message is over 128 KB, or a batch over 100 messages
	// or 256 KB.
	ErrTooLarge = errors.New("queue: too large")
	// ErrInvalidArgument: an argument is out of range (a delay over 24
	// hours) or a body does not fit its content type.
	ErrInvalidArgument = errors.New("queue: invalid argument")
	// ErrContentType: a received message was decoded as a content type it
	// does not have (Message.JSON of a "v8" message).
	ErrContentType = errors.New("queue: wrong content type")
	// ErrInternal: the host's queue store failed.
	ErrInternal = errors.New("queue: internal error")
)

// Error is an error of a queue operation; errors.Is matches its Kind.
type Error struct {
	Kind    error
	Message string
}

// Error returns the message (the host's, for an error of the host), which
// names the limit or argument at fault.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Kind.Error()
	}
	return e.Message
}

// Unwrap returns the kind.
func (e *Error) Unwrap() error { return e.Kind }
