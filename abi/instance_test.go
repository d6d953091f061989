package abi_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/bindery-run/bindery/abi"
)

func TestNewInstance(t *testing.T) {
	tests := []struct {
		guest   string
		wantErr bool
	}{
		{"guest", false},
		{"norealloc", false}, // cabi_realloc is needed only to lower lists
		{"nomemory", true},
		{"hiddenmemory", true}, // exported as "mem"
	}
	for _, tt := range tests {
		t.Run(tt.guest, func(t *testing.T) {
			mod := instantiate(t, tt.guest)
			inst, err := abi.NewInstance(mod, []any{"impl0"})
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error for a module without memory")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if inst.Module() != mod || inst.Memory() != mod.Memory() {
				t.Errorf("Module/Memory do not return the wrapped module")
			}
			if inst.Poisoned() != nil {
				t.Errorf("new instance is poisoned: %v", inst.Poisoned())
			}
		})
	}
}

func TestImpl(t *testing.T) {
	mod := instantiate(t, "guest")
	inst, err := abi.NewInstance(mod, []any{"zero", "one"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		slot int
		want any
	}{{0, "zero"}, {1, "one"}, {2, nil}, {-1, nil}, {1 << 30, nil}} {
		if got := inst.Impl(tt.slot); got != tt.want {
			t.Errorf("Impl(%d) = %v, want %v", tt.slot, got, tt.want)
		}
	}
}

func TestPoison(t *testing.T) {
	g := newGuest(t)
	first, second := errors.New("first"), errors.New("second")
	g.inst.Poison(first)
	g.inst.Poison(second)
	if got := g.inst.Poisoned(); got != first {
		t.Errorf("Poisoned() = %v, want the first error", got)
	}
	// A trap on an already poisoned instance keeps the first error.
	r := catch(func() { g.inst.Trapf("later %d", 1) })
	if tr, ok := r.(*abi.Trap); !ok || tr.Msg != "later 1" {
		t.Errorf("Trapf panicked with %v", r)
	}
	if got := g.inst.Poisoned(); got != first {
		t.Errorf("Poisoned() = %v after a later trap, want the first error", got)
	}

	// The first trap poisons a healthy instance with itself.
	g = newGuest(t)
	tr := mustTrap(t, g.inst, "bad thing 42", func() { g.inst.Trapf("bad thing %d", 42) })
	if g.inst.Poisoned() != error(tr) {
		t.Errorf("Poisoned() = %v, want the trap %v", g.inst.Poisoned(), tr)
	}
	mustTrap(t, g.inst, "second", func() { g.inst.Trapf("second") })
	if g.inst.Poisoned() != error(tr) {
		t.Errorf("a second trap replaced the first poison")
	}

	// Trapf on a nil instance still panics with a *Trap.
	var nilInst *abi.Instance
	mustTrap(t, nil, "no instance", func() { nilInst.Trapf("no instance") })
}

func TestFromAndWithInstance(t *testing.T) {
	g := newGuest(t)
	ctx := abi.WithInstance(context.Background(), g.inst)
	if got := abi.From(ctx); got != g.inst {
		t.Errorf("From(WithInstance(inst)) = %p, want %p", got, g.inst)
	}
	for name, ctx := range map[string]context.Context{
		"background":   context.Background(),
		"nil instance": abi.WithInstance(context.Background(), nil),
	} {
		t.Run(name, func(t *testing.T) {
			mustTrap(t, nil, "outside of a bindery call", func() { abi.From(ctx) })
		})
	}
}

func TestTrapIs(t *testing.T) {
	tr := &abi.Trap{Msg: "m"}
	tests := []struct {
		err  error
		want bool
	}{
		{tr, true},
		{fmt.Errorf("call: %w", tr), true},
		{fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", tr)), true},
		{errors.New("abi trap"), false},
		{errors.New("abi trap: m"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, abi.ErrTrap); got != tt.want {
			t.Errorf("errors.Is(%v, ErrTrap) = %v, want %v", tt.err, got, tt.want)
		}
	}
	var target *abi.Trap
	if !errors.As(fmt.Errorf("w: %w", tr), &target) || target != tr {
		t.Errorf("errors.As does not find the *Trap")
	}
	if got := tr.Error(); got != "abi trap: m" {
		t.Errorf("Error() = %q", got)
	}
}

func TestOption(t *testing.T) {
	if v, ok := abi.Some(7).Get(); !ok || v != 7 {
		t.Errorf("Some(7).Get() = %v, %v", v, ok)
	}
	if v, ok := abi.None[string]().Get(); ok || v != "" {
		t.Errorf("None().Get() = %q, %v", v, ok)
	}
	var zero abi.Option[int]
	if zero != abi.None[int]() {
		t.Errorf("the zero Option is not None")
	}
	tu := abi.Tuple2[string, []byte]{F0: "k", F1: []byte("v")}
	if tu.F0 != "k" || string(tu.F1) != "v" {
		t.Errorf("Tuple2 = %+v", tu)
	}
}
