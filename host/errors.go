package host

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/bindery-run/bindery/abi"
	"github.com/tetratelabs/wazero/sys"
)

// The kinds of a failed guest call: a *CallError matches exactly one of
// them with errors.Is.
var (
	// ErrDeadline: the call ran past its deadline (Limits.Timeout, or the
	// caller's context's deadline) and was stopped.
	ErrDeadline = errors.New("deadline exceeded")
	// ErrMemoryLimit: the guest could not grow its memory past
	// Limits.Memory and failed.
	ErrMemoryLimit = errors.New("memory limit reached")
	// ErrQuota: a host call went over its interface's per-call quota
	// (Limits.Operations, Bytes, PerInterface); the cause is an
	// *abi.QuotaError naming the interface and the limit.
	ErrQuota = abi.ErrQuota
	// ErrTrap: the guest trapped (unreachable, a bad memory access, an
	// ABI violation such as an out-of-bounds pointer, an exit) or could
	// not start.
	ErrTrap = errors.New("guest trapped")
	// ErrCanceled: the caller's context was canceled during the call.
	ErrCanceled = errors.New("call canceled")
	// ErrClosed: the guest was closed (Close) before or during the call.
	ErrClosed = errors.New("guest closed")
)

// maxStackLines bounds CallError.Stack.
const maxStackLines = 16

// CallError is the error of a guest call that failed in the guest or its
// sandbox. errors.Is matches its Kind (ErrDeadline, ErrTrap, …) and its
// cause's chain (context.DeadlineExceeded, abi.ErrTrap, an
// *abi.QuotaError with errors.As).
type CallError struct {
	// Guest is the guest's name.
	Guest string
	// Kind is one of ErrDeadline, ErrMemoryLimit, ErrQuota, ErrTrap,
	// ErrCanceled and ErrClosed.
	Kind error
	// Err is the cause, without the guest's stack.
	Err error
	// Stack is the guest's stack when it failed (innermost frame first,
	// at most 16 lines), or "".
	Stack string
}

// Error implements error.
func (e *CallError) Error() string {
	msg := e.Err.Error()
	if k := e.Kind.Error(); !strings.HasPrefix(msg, k) {
		msg = k + ": " + msg
	}
	return fmt.Sprintf("guest %q: %s", e.Guest, msg)
}

// Unwrap returns the kind and the cause.
func (e *CallError) Unwrap() []error { return []error{e.Kind, e.Err} }

// stackErr is a cause with the wasm stack trace split off.
type stackErr struct {
	msg string
	err error
}

func (e *stackErr) Error() string { return e.msg }
func (e *stackErr) Unwrap() error { return e.err }

// guestFailure reports whether err, returned by a guest call, is a
// failure of the guest (a trap, an exit, a stop, a quota) rather than an
// error of the caller's own code.
func guestFailure(err error) bool {
	var exit *sys.ExitError
	return errors.Is(err, abi.ErrTrap) || errors.Is(err, abi.ErrStopped) || errors.Is(err, abi.ErrQuota) ||
		errors.As(err, &exit) || strings.Contains(err.Error(), "\nwasm stack trace:") || wasmRuntimeError(err)
}

// wasmRuntimePkg is the package of wazero's runtime errors (a trap of the
// engine: stack overflow, unreachable, out of bounds memory access…).
const wasmRuntimePkg = "github.com/tetratelabs/wazero/internal/wasmruntime"

// wasmRuntimeError reports whether err's chain holds one of wazero's
// runtime errors. Most come wrapped with the guest's stack trace, but a
// stack overflow comes bare ("stack overflow"), and the package is
// internal to wazero, so it is told by its type's package.
func wasmRuntimeError(err error) bool {
	for err != nil {
		if t := reflect.TypeOf(err); t.Kind() == reflect.Pointer && t.Elem().PkgPath() == wasmRuntimePkg {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if wasmRuntimeError(e) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// callError classifies the failure err of a call bounded by ctx on inst
// (nil when no instance was had); stopped says the call's context ended
// it.
func (g *Guest) callError(ctx context.Context, inst *instance, err error, stopped bool) *CallError {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce
	}
	e := &CallError{Guest: g.name}
	switch {
	case errors.Is(err, errStoppedByClose):
		e.Kind = ErrClosed
	case g.kill.Err() != nil && ctx.Err() != nil:
		e.Kind, err = ErrClosed, fmt.Errorf("stopped by Close: %w", err)
	case errors.Is(err, abi.ErrQuota):
		e.Kind = ErrQuota
	case stopped || (ctx.Err() != nil && (errors.Is(err, abi.ErrStopped) || inst == nil || errors.Is(err, ctx.Err()))):
		if stopped || errors.Is(err, abi.ErrStopped) {
			err = errStopped(ctx)
		}
		e.Kind = ErrDeadline
		if errors.Is(ctx.Err(), context.Canceled) {
			e.Kind = ErrCanceled
		}
	case inst != nil && inst.refused.Load(), strings.Contains(err.Error(), "out of memory") && !errors.Is(err, abi.ErrTrap):
		e.Kind = ErrMemoryLimit
	default:
		e.Kind = ErrTrap
	}
	msg := err.Error()
	if i := strings.Index(msg, "\nwasm stack trace:\n"); i >= 0 {
		lines := strings.Split(strings.TrimSpace(msg[i+len("\nwasm stack trace:\n"):]), "\n")
		for j := range lines {
			lines[j] = strings.TrimSpace(lines[j])
		}
		e.Stack = boundLines(lines, maxStackLines-4, 3)
		err = &stackErr{msg: msg[:i], err: err}
	}
	if e.Kind == ErrMemoryLimit {
		err = fmt.Errorf("%w (the limit is %s)", err, mib(g.memLimit))
	}
	e.Err = err
	return e
}
