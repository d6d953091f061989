package webcrypto

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bindery-run/bindery/host/webcrypto/cryptowit"
)

// Sentinel errors, one per DOMException name WebCrypto throws. Every
// error the package returns wraps exactly one of them (test with
// [errors.Is]) and says what was wrong, e.g.
//
//	webcrypto: operation failed: aes-gcm: the iv is empty
var (
	// ErrNotSupported is NotSupportedError: an algorithm, format, curve or
	// parameter value the host does not implement.
	ErrNotSupported = errors.New("webcrypto: not supported")
	// ErrSyntax is SyntaxError: a usage or extractability the algorithm
	// forbids. The host rarely sees these: usages are the guest's.
	ErrSyntax = errors.New("webcrypto: syntax error")
	// ErrInvalidAccess is InvalidAccessError: the key does not fit the
	// operation (its algorithm, type or curve).
	ErrInvalidAccess = errors.New("webcrypto: invalid access")
	// ErrData is DataError: key data that does not parse or does not fit
	// the algorithm.
	ErrData = errors.New("webcrypto: data error")
	// ErrOperation is OperationError: the operation failed (a tag or
	// padding that does not check, a length the algorithm refuses).
	ErrOperation = errors.New("webcrypto: operation failed")
)

// errorf returns an error wrapping sentinel with a message; args may hold
// one more error to wrap (%w).
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Errorf(format, args...))
}

func notSupported(format string, args ...any) error { return errorf(ErrNotSupported, format, args...) }
func invalidAccess(format string, args ...any) error {
	return errorf(ErrInvalidAccess, format, args...)
}
func dataError(format string, args ...any) error { return errorf(ErrData, format, args...) }
func opError(format string, args ...any) error   { return errorf(ErrOperation, format, args...) }

// witError maps a Go error onto the WIT error variant: the one place where
// errors cross to the guest. The message loses the sentinel's prefix (the
// guest shows the name as the DOMException's). An error that wraps no
// sentinel is an OperationError.
func witError(err error) *cryptowit.Error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, c := range []struct {
		sentinel error
		tag      cryptowit.ErrorTag
	}{
		{ErrNotSupported, cryptowit.ErrorNotSupported},
		{ErrSyntax, cryptowit.ErrorSyntax},
		{ErrInvalidAccess, cryptowit.ErrorInvalidAccess},
		{ErrData, cryptowit.ErrorData},
		{ErrOperation, cryptowit.ErrorOperation},
	} {
		if !errors.Is(err, c.sentinel) {
			continue
		}
		msg = strings.TrimPrefix(msg, c.sentinel.Error()+": ")
		e := &cryptowit.Error{Tag: c.tag}
		switch c.tag {
		case cryptowit.ErrorNotSupported:
			e.NotSupported = msg
		case cryptowit.ErrorSyntax:
			e.Syntax = msg
		case cryptowit.ErrorInvalidAccess:
			e.InvalidAccess = msg
		case cryptowit.ErrorData:
			e.Data = msg
		default:
			e.Operation = msg
		}
		return e
	}
	return &cryptowit.Error{Tag: cryptowit.ErrorOperation, Operation: msg}
}
