package abi

import (
	"context"
	"errors"
	"testing"
)

// TestEnterChunk: a body's chunks (EnterChunk) are not operations, so a
// body streamed in more chunks than the operations quota still passes,
// while plain calls (Enter) are counted and trap past the quota.
func TestEnterChunk(t *testing.T) {
	inst := &Instance{}
	inst.SetQuotas([]Quota{{Operations: 2}}, []string{"test:q/i"})
	ctx := WithInstance(context.Background(), inst)
	for range 1000 {
		EnterChunk(ctx, 0)
	}
	Enter(ctx, 0)
	Enter(ctx, 0)
	defer func() {
		var qe *QuotaError
		err, _ := recover().(error)
		if !errors.As(err, &qe) || qe.Interface != "test:q/i" || qe.Limit != "operations" {
			t.Fatalf("third Enter: recovered %v, want a *QuotaError for the operations of test:q/i", err)
		}
	}()
	Enter(ctx, 0)
	t.Fatal("third Enter did not trap")
}

// TestCharge: Charge counts n operations against the interface Enter
// named, and traps once they pass the quota; outside a call it is a no-op.
func TestCharge(t *testing.T) {
	inst := &Instance{}
	inst.SetQuotas([]Quota{{Operations: 10}}, []string{"test:q/i"})
	Charge(context.Background(), 100) // no instance
	ctx := WithInstance(context.Background(), inst)
	Charge(ctx, 100) // no call in progress: nothing to charge
	Enter(ctx, 0)
	Charge(ctx, 8) // 9 operations
	defer func() {
		var qe *QuotaError
		err, _ := recover().(error)
		if !errors.As(err, &qe) || qe.Max != 10 {
			t.Fatalf("Charge past the quota: recovered %v, want a *QuotaError with Max 10", err)
		}
	}()
	Enter(ctx, 0) // 10
	Charge(ctx, 1)
	t.Fatal("Charge past the quota did not trap")
}
