package abi

import (
	"errors"
	"fmt"
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
