package abi

import "github.com/tetratelabs/wazero"

// Interface is the host side of one WIT interface, as generated: its
// versioned name (also the wazero host module's name) and the function that
// defines its host functions. Functions that are not resource methods find
// their implementation in the calling Instance at Slot.
type Interface struct {
	// Name is the WIT interface ID, e.g. "bindery:kv/store@0.1.0".
	Name string
	// Define adds the interface's host functions to hb.
	Define func(hb wazero.HostModuleBuilder, slot int)
	// Deny is the implementation a Worker gets when it grants nothing for
	// this interface: it must deny everything the way an empty grant does
	// (e.g. KV's open fails with no-such-namespace, vars has no names).
	// Nil means calls trap.
	Deny any
}
