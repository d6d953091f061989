package objects

import (
	"context"
	"errors"
	"fmt"
)

// Runner makes instances of an object class: the Wasm side implements it
// (an instance of the Worker's module that defines the class), tests use
// fakes. A Runner is safe for concurrent use.
type Runner interface {
	// NewInstance makes a new instance that will host objects of class.
	// ctx is the Manager's (not a request's): the instance outlives the
	// event that made it.
	NewInstance(ctx context.Context, class string) (Instance, error)
}

// Instance is one instance of a class's module, hosting one or more
// objects (up to Config.ObjectsPerInstance, or one when it cannot nest).
// The Manager calls an Instance from one goroutine at a time, except that
// Run may be called again on the same goroutine from inside a
// [Manager.Wait] made by a host call of an event in progress (a nested,
// re-entrant event), and only when CanNest reports true.
type Instance interface {
	// CanNest reports whether the module can take an event while one of
	// its events waits inside a host call: what its SDK declares
	// (docs/durable-objects.md, "Execution model"). An instance that
	// cannot nest hosts one object, whose events never interleave.
	// Every instance of a class must give the same answer.
	CanNest() bool
	// Run runs one event for obj on the calling goroutine and returns
	// its result. ctx carries the event's frame: host calls the event
	// makes pass it to [Manager.Wait], [Manager.Deliver],
	// [Manager.BlockConcurrency] and [FromContext]. A trap that leaves
	// the instance unusable is reported as a [*TrapError].
	Run(ctx context.Context, obj *Object, event any) (any, error)
	// Evict tells the instance to drop obj's in-memory state: the object
	// is idle and leaves the instance (its storage stays). An error is
	// logged; the object is evicted anyway.
	Evict(ctx context.Context, obj *Object) error
	// Close releases the instance. The Manager calls it once, when the
	// instance has no objects left, has trapped, or the Manager closes.
	Close(ctx context.Context) error
}

// ErrPoisoned is what errors.Is finds in the error of an event whose
// instance trapped: the event that trapped ([*TrapError]) and every event
// that was in progress on the instance then (nested events unwind through
// the ones below them). The instance's objects were reset: their
// in-memory state is gone, their storage is kept, and their next events
// run on a fresh instance.
var ErrPoisoned = errors.New("the object's instance trapped; its objects were reset")

// TrapError is what a Runner returns from Run when the instance trapped
// (or otherwise cannot go on): the instance is poisoned, and the Manager
// resets its objects. errors.Is(err, ErrPoisoned) is true of it.
type TrapError struct {
	Err error // the trap
}

// Error reports the trap.
func (e *TrapError) Error() string { return fmt.Sprintf("instance trapped: %v", e.Err) }

// Unwrap returns the trap.
func (e *TrapError) Unwrap() error { return e.Err }

// Is reports whether target is ErrPoisoned.
func (e *TrapError) Is(target error) bool { return target == ErrPoisoned }

var (
	// ErrNestingDepth is the error of an event that would have run
	// nested deeper than Config.MaxDepth: its instance was waiting, that
	// deep, on events it could not run.
	ErrNestingDepth = errors.New("too many nested events on the object's instance")
	// ErrDeadlock is the error of an event that would wait for ever: its
	// object cannot take another event now (it is inside
	// BlockConcurrency, or busy on an instance that cannot nest), and
	// what holds it waits on the event's caller (directly, through events
	// nested above it on its instance, or through other objects' events
	// and what holds them).
	ErrDeadlock = errors.New("the object is waiting on this call and cannot take another event")
	// ErrOverloaded is the error of an event for an object that cannot
	// be placed: every instance of its class is full and there are
	// Config.MaxInstances of them.
	ErrOverloaded = errors.New("too many live objects of the class")
	// ErrClosed is the error of an event delivered to, or left queued
	// in, a Manager that is closing.
	ErrClosed = errors.New("the object manager is closed")
	// ErrWaitMisuse is returned by Wait and BlockConcurrency called
	// with an event's context off the goroutine running it (or below an
	// event nested on it).
	ErrWaitMisuse = errors.New("called with the context of an event that is not the one running on its instance")
)
