package abi

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero/api"
)

// Trap is an ABI violation by the guest: an out-of-bounds pointer, invalid
// UTF-8, an unknown handle, a misaligned allocation. A host function that
// detects one panics with a *Trap; wazero ends the call with an error that
// wraps it, and the instance is poisoned (see Instance.Poisoned).
type Trap struct {
	// Msg says what the guest did wrong.
	Msg string
}

// Error implements error.
func (t *Trap) Error() string { return "abi trap: " + t.Msg }

// ErrTrap matches every *Trap with errors.Is.
var ErrTrap = errors.New("abi trap")

// Is reports whether target is ErrTrap.
func (t *Trap) Is(target error) bool { return target == ErrTrap }

// Trapf poisons inst (when non-nil) and panics with a *Trap. Call it only
// from a host function, where wazero recovers the panic.
func (i *Instance) Trapf(format string, args ...any) {
	t := &Trap{Msg: fmt.Sprintf(format, args...)}
	if i != nil && i.poison == nil {
		i.poison = t
	}
	panic(t)
}

// Signature formats a core function type, e.g. "(i32, i32) -> i32".
func Signature(params, results []api.ValueType) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, ", ")
	}
	switch len(results) {
	case 0:
		return "(" + names(params) + ")"
	case 1:
		return "(" + names(params) + ") -> " + names(results)
	}
	return "(" + names(params) + ") -> (" + names(results) + ")"
}

// CheckSignature returns an error naming the export name when def's type
// is not params -> results: generated glue checks each export a Worker
// must have when it loads, so that a module built against another
// version of an interface fails at start-up, not on every call.
func CheckSignature(name string, def api.FunctionDefinition, params, results []api.ValueType) error {
	if slices.Equal(def.ParamTypes(), params) && slices.Equal(def.ResultTypes(), results) {
		return nil
	}
	return fmt.Errorf("the module's export %q has the signature %s, want %s: is it built with an SDK for another version of the interface?",
		name, Signature(def.ParamTypes(), def.ResultTypes()), Signature(params, results))
}
