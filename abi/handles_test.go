package abi_test

import (
	"context"
	"testing"

	"github.com/bindery-run/bindery/abi"
)

const (
	typA = "test:pkg/iface@0.1.0#a"
	typB = "test:pkg/iface@0.1.0#b"
)

// res is a resource representation that counts its drops.
type res struct {
	name  string
	drops int
	ctx   context.Context
}

func (r *res) Drop(ctx context.Context) { r.drops++; r.ctx = ctx }

// plain is a representation without a Drop method.
type plain struct{ name string }

type ctxKey struct{}

func TestTableAddGet(t *testing.T) {
	g := newGuest(t)
	var tab abi.Table
	if n := tab.Len(); n != 0 {
		t.Fatalf("Len of an empty table = %d", n)
	}
	a, b, c := &res{name: "a"}, &res{name: "b"}, &plain{name: "c"}
	var ha, hb, hc uint32
	mustNotTrap(t, g.inst, func() {
		ha = tab.Add(g.inst, typA, a)
		hb = tab.Add(g.inst, typA, b)
		hc = tab.Add(g.inst, typB, c)
	})
	if ha == 0 || hb == 0 || hc == 0 {
		t.Fatalf("handle 0 handed out: %d %d %d", ha, hb, hc)
	}
	if ha == hb || hb == hc || ha == hc {
		t.Fatalf("duplicate handles %d %d %d", ha, hb, hc)
	}
	if n := tab.Len(); n != 3 {
		t.Errorf("Len = %d, want 3", n)
	}
	for _, tt := range []struct {
		h    uint32
		typ  string
		want any
	}{{ha, typA, a}, {hb, typA, b}, {hc, typB, c}} {
		var got any
		mustNotTrap(t, g.inst, func() { got = tab.Get(g.inst, tt.typ, tt.h) })
		if got != tt.want {
			t.Errorf("Get(%d) = %v, want %v", tt.h, got, tt.want)
		}
	}
	// A borrow leaves the handle in the table.
	if n := tab.Len(); n != 3 {
		t.Errorf("Len after Get = %d, want 3", n)
	}
}

func TestTableTraps(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		op   func(tab *abi.Table, inst *abi.Instance, live uint32, dead uint32)
		want string
	}{
		{"Get handle 0", func(tab *abi.Table, inst *abi.Instance, _, _ uint32) { tab.Get(inst, typA, 0) }, "handle 0 is not a live"},
		{"Remove handle 0", func(tab *abi.Table, inst *abi.Instance, _, _ uint32) { tab.Remove(inst, typA, 0) }, "handle 0 is not a live"},
		{"Drop handle 0", func(tab *abi.Table, inst *abi.Instance, _, _ uint32) { tab.Drop(ctx, inst, typA, 0) }, "handle 0 is not a live"},
		{"Get past the end", func(tab *abi.Table, inst *abi.Instance, _, _ uint32) { tab.Get(inst, typA, 1000) }, "not a live"},
		{"Get max handle", func(tab *abi.Table, inst *abi.Instance, _, _ uint32) { tab.Get(inst, typA, 0xffffffff) }, "not a live"},
		{"Get wrong type", func(tab *abi.Table, inst *abi.Instance, live, _ uint32) { tab.Get(inst, typB, live) }, "not a live " + typB},
		{"Remove wrong type", func(tab *abi.Table, inst *abi.Instance, live, _ uint32) { tab.Remove(inst, typB, live) }, "not a live"},
		{"Drop wrong type", func(tab *abi.Table, inst *abi.Instance, live, _ uint32) { tab.Drop(ctx, inst, typB, live) }, "not a live"},
		{"Get after Remove", func(tab *abi.Table, inst *abi.Instance, _, dead uint32) { tab.Get(inst, typA, dead) }, "not a live"},
		{"Remove twice", func(tab *abi.Table, inst *abi.Instance, _, dead uint32) { tab.Remove(inst, typA, dead) }, "not a live"},
		{"Drop after Remove", func(tab *abi.Table, inst *abi.Instance, _, dead uint32) { tab.Drop(ctx, inst, typA, dead) }, "not a live"},
		{"Get on an empty table", func(_ *abi.Table, inst *abi.Instance, _, _ uint32) { new(abi.Table).Get(inst, typA, 1) }, "not a live"},
		{"Remove on an empty table", func(_ *abi.Table, inst *abi.Instance, _, _ uint32) { new(abi.Table).Remove(inst, typA, 1) }, "not a live"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGuest(t)
			var tab abi.Table
			var live, dead uint32
			mustNotTrap(t, g.inst, func() {
				live = tab.Add(g.inst, typA, &res{name: "live"})
				dead = tab.Add(g.inst, typA, &res{name: "dead"})
				tab.Remove(g.inst, typA, dead) // dead now names a free slot
			})
			mustTrap(t, g.inst, tt.want, func() { tt.op(&tab, g.inst, live, dead) })
			// A trap leaves the live handle alone.
			g2 := newGuest(t)
			mustNotTrap(t, g2.inst, func() { tab.Get(g2.inst, typA, live) })
		})
	}
}

func TestTableRemoveAndReuse(t *testing.T) {
	g := newGuest(t)
	var tab abi.Table
	a, b := &res{name: "a"}, &res{name: "b"}
	var ha, hb, hc uint32
	var got any
	mustNotTrap(t, g.inst, func() {
		ha = tab.Add(g.inst, typA, a)
		hb = tab.Add(g.inst, typA, b)
		got = tab.Remove(g.inst, typA, ha)
	})
	if got != a {
		t.Fatalf("Remove = %v, want a", got)
	}
	if a.drops != 0 {
		t.Errorf("Remove called Drop (own moving to the host must not drop)")
	}
	if n := tab.Len(); n != 1 {
		t.Errorf("Len after Remove = %d, want 1", n)
	}
	c := &plain{name: "c"}
	mustNotTrap(t, g.inst, func() { hc = tab.Add(g.inst, typB, c) })
	if hc != ha {
		t.Errorf("Add after Remove = %d, want the freed handle %d", hc, ha)
	}
	// The reused handle has its new type and representation only.
	mustNotTrap(t, g.inst, func() { got = tab.Get(g.inst, typB, hc) })
	if got != c {
		t.Errorf("Get(reused) = %v, want c", got)
	}
	mustTrap(t, g.inst, "not a live", func() { tab.Get(g.inst, typA, hc) })
	_ = hb
}

func TestTableDrop(t *testing.T) {
	ctx := context.WithValue(context.Background(), ctxKey{}, "drop-ctx")
	g := newGuest(t)
	var tab abi.Table
	a, p := &res{name: "a"}, &plain{name: "p"}
	var ha, hp uint32
	mustNotTrap(t, g.inst, func() {
		ha = tab.Add(g.inst, typA, a)
		hp = tab.Add(g.inst, typB, p)
		tab.Drop(ctx, g.inst, typA, ha)
		tab.Drop(ctx, g.inst, typB, hp) // no Drop method: just removed
	})
	if a.drops != 1 {
		t.Errorf("Dropper called %d times, want 1", a.drops)
	}
	if a.ctx == nil || a.ctx.Value(ctxKey{}) != "drop-ctx" {
		t.Errorf("Dropper did not get the caller's context")
	}
	if n := tab.Len(); n != 0 {
		t.Errorf("Len after drops = %d", n)
	}
	mustTrap(t, g.inst, "not a live", func() { tab.Drop(ctx, g.inst, typA, ha) })
	if a.drops != 1 {
		t.Errorf("a dropped twice")
	}
}

func TestTableDropAll(t *testing.T) {
	ctx := context.WithValue(context.Background(), ctxKey{}, "drop-all")
	g := newGuest(t)
	var tab abi.Table
	rs := []*res{{name: "0"}, {name: "1"}, {name: "2"}, {name: "3"}}
	var hs []uint32
	mustNotTrap(t, g.inst, func() {
		for _, r := range rs {
			hs = append(hs, tab.Add(g.inst, typA, r))
		}
		tab.Add(g.inst, typB, &plain{}) // not a Dropper
		tab.Remove(g.inst, typA, hs[1]) // moved to the host: DropAll must not drop it
		tab.Drop(ctx, g.inst, typA, hs[2])
	})
	tab.DropAll(ctx)
	for i, want := range []int{1, 0, 1, 1} {
		if rs[i].drops != want {
			t.Errorf("resource %d dropped %d times, want %d", i, rs[i].drops, want)
		}
	}
	if rs[3].ctx.Value(ctxKey{}) != "drop-all" {
		t.Errorf("DropAll did not pass its context")
	}
	if n := tab.Len(); n != 0 {
		t.Errorf("Len after DropAll = %d", n)
	}
	for _, h := range hs {
		mustTrap(t, g.inst, "not a live", func() { tab.Get(g.inst, typA, h) })
	}
	// The table is usable again and starts over at 1.
	g = newGuest(t)
	var h uint32
	mustNotTrap(t, g.inst, func() { h = tab.Add(g.inst, typA, &res{}) })
	if h != 1 {
		t.Errorf("first handle after DropAll = %d, want 1", h)
	}
	if n := tab.Len(); n != 1 {
		t.Errorf("Len = %d, want 1", n)
	}
	// DropAll on a zero Table does nothing.
	var empty abi.Table
	empty.DropAll(ctx)
	if empty.Len() != 0 {
		t.Errorf("empty table has %d handles", empty.Len())
	}
}

func TestTableMaxHandles(t *testing.T) {
	g := newGuest(t)
	var tab abi.Table
	seen := make(map[uint32]bool, abi.MaxHandles)
	mustNotTrap(t, g.inst, func() {
		for i := range abi.MaxHandles {
			h := tab.Add(g.inst, typA, i)
			if h == 0 || seen[h] {
				t.Fatalf("Add #%d returned handle %d (zero or duplicate)", i, h)
			}
			seen[h] = true
		}
	})
	if n := tab.Len(); n != abi.MaxHandles {
		t.Fatalf("Len = %d, want MaxHandles", n)
	}
	mustTrap(t, g.inst, "resource table is full", func() { tab.Add(g.inst, typA, "one too many") })
	if n := tab.Len(); n != abi.MaxHandles {
		t.Errorf("Len after the trap = %d, want MaxHandles", n)
	}
	// Freeing one handle makes room for exactly one more.
	g = newGuest(t)
	var h uint32
	mustNotTrap(t, g.inst, func() {
		tab.Remove(g.inst, typA, 77)
		h = tab.Add(g.inst, typA, "again")
	})
	if h != 77 {
		t.Errorf("Add after Remove at capacity = %d, want 77", h)
	}
	mustTrap(t, g.inst, "resource table is full", func() { tab.Add(g.inst, typA, "one too many") })
}

// TestTableNilInstance: a table used without an instance (as in tests of
// bindings) still traps, with a *Trap.
func TestTableNilInstance(t *testing.T) {
	var tab abi.Table
	mustTrap(t, nil, "not a live", func() { tab.Get(nil, typA, 1) })
}
