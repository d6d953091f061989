package abi

import "context"

// MaxHandles bounds the resource table of one instance; a guest that leaks
// handles past it traps instead of growing host memory without bound.
const MaxHandles = 1 << 16

// Dropper is implemented by resource representations that release host
// state when the guest drops their last handle.
type Dropper interface {
	Drop(ctx context.Context)
}

type entry struct {
	typ string // the WIT resource, e.g. "bindery:kv/store@0.1.0#namespace"; "" = free
	rep any
}

// Table is an instance's table of resource handles. Index 0 is never valid,
// as the Canonical ABI requires. Handles are reused after a drop.
//
// Table is not safe for concurrent use.
type Table struct {
	entries []entry
	free    []uint32
}

// Add stores rep as a resource of type typ and returns its handle. It traps
// (through inst) when the table is full.
func (t *Table) Add(inst *Instance, typ string, rep any) uint32 {
	if len(t.entries) == 0 {
		t.entries = append(t.entries, entry{}) // index 0 stays invalid
	}
	if n := len(t.free); n > 0 {
		h := t.free[n-1]
		t.free = t.free[:n-1]
		t.entries[h] = entry{typ: typ, rep: rep}
		return h
	}
	if len(t.entries) > MaxHandles {
		inst.Trapf("resource table is full (%d handles): the guest does not drop its handles", MaxHandles)
	}
	t.entries = append(t.entries, entry{typ: typ, rep: rep})
	return uint32(len(t.entries) - 1)
}

// Get returns the representation behind handle h, trapping when h is not a
// live handle of type typ (a borrow).
func (t *Table) Get(inst *Instance, typ string, h uint32) any {
	if h == 0 || int(h) >= len(t.entries) || t.entries[h].typ != typ {
		inst.Trapf("handle %d is not a live %s", h, typ)
	}
	return t.entries[h].rep
}

// Remove takes handle h of type typ out of the table and returns its
// representation (an own moving to the host, or a drop), trapping when h is
// not a live handle of that type.
func (t *Table) Remove(inst *Instance, typ string, h uint32) any {
	rep := t.Get(inst, typ, h)
	t.entries[h] = entry{}
	t.free = append(t.free, h)
	return rep
}

// Drop removes handle h and calls the representation's Drop method if it
// has one: the host side of [resource-drop].
func (t *Table) Drop(ctx context.Context, inst *Instance, typ string, h uint32) {
	if d, ok := t.Remove(inst, typ, h).(Dropper); ok {
		d.Drop(ctx)
	}
}

// Len returns the number of live handles.
func (t *Table) Len() int {
	if len(t.entries) == 0 {
		return 0
	}
	return len(t.entries) - 1 - len(t.free)
}

// DropAll drops every live handle, for when the instance closes.
func (t *Table) DropAll(ctx context.Context) {
	for h := range t.entries {
		e := t.entries[h]
		if e.typ == "" {
			continue
		}
		t.entries[h] = entry{}
		if d, ok := e.rep.(Dropper); ok {
			d.Drop(ctx)
		}
	}
	t.entries, t.free = t.entries[:0], t.free[:0]
}
