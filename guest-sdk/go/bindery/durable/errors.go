//go:build wasip1

package durable

import (
	"errors"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery/structured"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/durablewit"
)

// The kinds of Error, for errors.Is.
var (
	// ErrNoSuchNamespace: the config declares no binding of that name.
	ErrNoSuchNamespace = errors.New("durable: no such namespace")
	// ErrInvalidID: the id is not 64 hex digits, or of another namespace.
	ErrInvalidID = errors.New("durable: invalid id")
	// ErrInvalidArgument: an argument is malformed or out of range.
	ErrInvalidArgument = errors.New("durable: invalid argument")
	// ErrLimit: a storage or socket limit (keys per call, value size...).
	ErrLimit = errors.New("durable: limit exceeded")
	// ErrSQL: SQLite refused or failed the statement.
	ErrSQL = errors.New("durable: SQL error")
	// ErrRefused: the call is not allowed here (SQL on a KV-backed class,
	// a statement the authorizer refuses, state outside an event).
	ErrRefused = errors.New("durable: refused")
	// ErrTransaction: a transaction used out of order.
	ErrTransaction = errors.New("durable: transaction misuse")
	// ErrObjectFailed: the object's event failed without an answer (a
	// trap, its deadline, abort); its next event starts it afresh.
	ErrObjectFailed = errors.New("durable: the object failed")
	// ErrClosed: the web socket is closed.
	ErrClosed = errors.New("durable: web socket closed")
	// ErrInternal: the host failed.
	ErrInternal = errors.New("durable: internal error")
)

// Error is an error of a Durable Objects call; errors.Is matches its Kind.
type Error struct {
	Kind    error
	Message string
}

// Error returns the host's message, which names what is at fault.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Kind.Error()
	}
	return e.Message
}

// Unwrap returns the kind.
func (e *Error) Unwrap() error { return e.Kind }

// errorOf converts the WIT error. An error an RPC method threw comes back
// as the *structured.Error it was (or one made of its name and message).
func errorOf(e *durablewit.Error) error {
	if e == nil {
		return nil
	}
	switch e.Tag {
	case durablewit.ErrorNoSuchNamespace:
		return &Error{ErrNoSuchNamespace, e.NoSuchNamespace}
	case durablewit.ErrorInvalidID:
		return &Error{ErrInvalidID, e.InvalidID}
	case durablewit.ErrorInvalidArgument:
		return &Error{ErrInvalidArgument, e.InvalidArgument}
	case durablewit.ErrorLimit:
		return &Error{ErrLimit, e.Limit}
	case durablewit.ErrorSQL:
		return &Error{ErrSQL, e.SQL}
	case durablewit.ErrorRefused:
		return &Error{ErrRefused, e.Refused}
	case durablewit.ErrorTransaction:
		return &Error{ErrTransaction, e.Transaction}
	case durablewit.ErrorThrown:
		return thrownError(e.Thrown)
	case durablewit.ErrorObjectFailed:
		return &Error{ErrObjectFailed, e.ObjectFailed}
	case durablewit.ErrorClosed:
		return &Error{ErrClosed, e.Closed}
	}
	return &Error{ErrInternal, e.Internal}
}

// thrownError is the error an object threw: its encoded value when it is
// an Error, else one of its name and message.
func thrownError(t durablewit.Thrown) error {
	if t.Value.Some {
		var se *structured.Error
		if err := structured.Unmarshal(t.Value.Value, &se); err == nil && se != nil {
			return se
		}
	}
	return &structured.Error{Name: t.Name, Message: t.Message}
}

// thrownOf is what an object's handler returned as an error, for the
// host: its name, message and encoded value.
func thrownOf(err error) *durablewit.Thrown {
	if err == nil {
		return nil
	}
	se := structured.ErrorFrom(err)
	t := &durablewit.Thrown{Name: se.Name, Message: se.Message}
	if b, e := structured.Marshal(se); e == nil {
		t.Value.Some, t.Value.Value = true, b
	}
	return t
}
