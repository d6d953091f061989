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

// TestNest: a nested call (Nest) starts with fresh quotas and no slot in
// progress, and Unnest gives the outer host call back its slot, budget
// and spending, so that what it lowers after the nested call is charged
// to it and the nested call's operations never were.
func TestNest(t *testing.T) {
	inst := &Instance{}
	inst.SetQuotas([]Quota{{Operations: 2, Bytes: 100}, {Operations: 5}}, []string{"test:q/a", "test:q/b"})
	ctx := WithInstance(context.Background(), inst)
	if Current(ctx) != inst || Current(context.Background()) != nil {
		t.Fatal("Current does not return the instance ctx carries")
	}
	Enter(ctx, 0)
	Enter(ctx, 0) // the outer call's quota of test:q/a is spent
	inst.lifted = 42
	st := inst.Nest()
	if inst.cur != -1 || inst.lifted != 0 || inst.used[0] != (usage{}) {
		t.Fatalf("after Nest: cur %d, lifted %d, used %+v; want a fresh call", inst.cur, inst.lifted, inst.used)
	}
	Enter(ctx, 0) // the nested call's own quota
	Enter(ctx, 0)
	Enter(ctx, 1)
	inst.chargeBytes(60)
	inst.Unnest(st)
	if inst.cur != 0 || inst.lifted != 42 || inst.used[0] != (usage{ops: 2}) || inst.used[1] != (usage{}) {
		t.Fatalf("after Unnest: cur %d, lifted %d, used %+v; want the outer call's", inst.cur, inst.lifted, inst.used)
	}
	inst.chargeBytes(60) // charged to the outer call's slot 0
	if inst.used[0].bytes != 60 {
		t.Fatalf("bytes after Unnest went to %+v, want slot 0's 60", inst.used)
	}
}
