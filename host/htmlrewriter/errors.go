package htmlrewriter

import (
	"errors"
	"fmt"

	"github.com/bindery-run/bindery/host/htmlrewriter/htmlwit"
)

// Sentinel errors of the htmlrewriter package. Errors from a [Rewriter]
// wrap one of them (test with [errors.Is]) and say what was at fault.
var (
	// ErrInvalidSelector is returned for a selector that is not CSS, or
	// that uses what the rewriter does not support (see [SelectorError]).
	ErrInvalidSelector = errors.New("htmlrewriter: invalid selector")

	// ErrInvalidMutation is returned for a mutation the pending event's
	// token does not take, or whose value is not allowed there.
	ErrInvalidMutation = errors.New("htmlrewriter: invalid mutation")

	// ErrInvalidState is returned for a call out of order: a write while
	// an event waits for its answer, a resume with none waiting, a call
	// after the document ended or after an error.
	ErrInvalidState = errors.New("htmlrewriter: call out of order")

	// ErrTooLarge is returned when a tag, comment or doctype is longer
	// than [Limits].MaxTokenBytes or elements nest deeper than
	// [Limits].MaxDepth.
	ErrTooLarge = errors.New("htmlrewriter: too large")

	// ErrSource is returned when reading the ReadFrom source fails.
	ErrSource = errors.New("htmlrewriter: reading the source failed")

	// ErrClosed is returned when the WriteTo stream's other side has gone.
	ErrClosed = errors.New("htmlrewriter: the output stream is closed")
)

// SelectorError is a selector that cannot be used: its text, the byte
// offset where the problem is, and why. It wraps [ErrInvalidSelector].
type SelectorError struct {
	Selector string
	Offset   int
	Reason   string
}

// Error says which selector and why, e.g. `unsupported pseudo-class
// ":last-child" in selector "li:last-child" at offset 2`.
func (e *SelectorError) Error() string {
	return fmt.Sprintf("%s in selector %q at offset %d", e.Reason, e.Selector, e.Offset)
}

// Unwrap makes errors.Is(err, ErrInvalidSelector) hold.
func (e *SelectorError) Unwrap() error { return ErrInvalidSelector }

// witError maps a Go error onto the WIT error variant: the one place where
// rewriter errors cross to the guest.
func witError(err error) *htmlwit.Error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var se *SelectorError
	switch {
	case errors.As(err, &se):
		return &htmlwit.Error{Tag: htmlwit.ErrorInvalidSelector, InvalidSelector: msg}
	case errors.Is(err, ErrInvalidMutation):
		return &htmlwit.Error{Tag: htmlwit.ErrorInvalidMutation, InvalidMutation: msg}
	case errors.Is(err, ErrTooLarge):
		return &htmlwit.Error{Tag: htmlwit.ErrorTooLarge, TooLarge: msg}
	case errors.Is(err, ErrSource):
		return &htmlwit.Error{Tag: htmlwit.ErrorSource, Source: msg}
	case errors.Is(err, ErrClosed):
		return &htmlwit.Error{Tag: htmlwit.ErrorClosed}
	}
	return &htmlwit.Error{Tag: htmlwit.ErrorInvalidState, InvalidState: msg}
}
