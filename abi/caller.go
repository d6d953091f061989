package abi

import "context"

// Caller runs guest calls: host.Guest implements it, and the typed callers
// that the generator makes for a world's exports call through it. Call
// takes an instance (waiting for a free one, or starting one), runs fn
// with a context that carries the instance (WithInstance) and is bounded
// by the caller's limits, and returns the instance when fn returns. fn's
// error is Call's; a failure of the guest itself (a trap, the deadline, a
// quota) is a typed error of the Caller's.
type Caller interface {
	Call(ctx context.Context, fn func(ctx context.Context, inst *Instance) error) error
}

// Lookup returns what finds the guest's exports: the module, or a
// component's view of the core instances that define its exports. It is
// nil for an instance made without one (NewComponentInstance, until
// SetLookup).
func (i *Instance) Lookup() FunctionLookup { return i.lookup }

// SetLookup sets what Lookup returns: the host calls it once a component's
// core instances exist.
func (i *Instance) SetLookup(l FunctionLookup) { i.lookup = l }

// Memo returns the value stored under key for this instance, making it
// with mk the first time: a typed caller keeps the exports it looked up
// (New<Interface>Exports) here, so each instance looks them up once. An
// error from mk is returned and nothing is stored. key should be a value
// of an unexported type of the caller's package, as for context keys.
func (i *Instance) Memo(key any, mk func() (any, error)) (any, error) {
	if v, ok := i.memo[key]; ok {
		return v, nil
	}
	v, err := mk()
	if err != nil {
		return nil, err
	}
	if i.memo == nil {
		i.memo = map[any]any{}
	}
	i.memo[key] = v
	return v, nil
}
