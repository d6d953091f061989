package abi

import (
	"errors"
	"testing"
)

func TestMemo(t *testing.T) {
	type key struct{}
	inst := &Instance{}
	calls := 0
	mk := func() (any, error) { calls++; return calls, nil }
	for range 3 {
		v, err := inst.Memo(key{}, mk)
		if err != nil || v != 1 {
			t.Fatalf("Memo = %v, %v; want 1, nil", v, err)
		}
	}
	type other struct{}
	boom := errors.New("boom")
	if _, err := inst.Memo(other{}, func() (any, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("Memo error = %v, want boom", err)
	}
	if v, err := inst.Memo(other{}, mk); err != nil || v != 2 {
		t.Fatalf("after a failed make, Memo = %v, %v; want 2, nil (nothing stored)", v, err)
	}
}
