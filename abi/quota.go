package abi

import (
	"context"
	"errors"
	"fmt"
)

// Quota bounds what one guest call may do through one interface: how many
// host functions it may call (Operations) and how many bytes those calls
// may copy into and out of guest memory (Bytes). Zero means no limit.
type Quota struct {
	Operations int64
	Bytes      int64
}

// ErrQuota matches every *QuotaError with errors.Is.
var ErrQuota = errors.New("quota exceeded")

// QuotaError is the trap of a host call that went over its interface's
// Quota: the call ends, and the instance is poisoned.
type QuotaError struct {
	// Interface is the WIT interface whose quota was exceeded.
	Interface string
	// Limit is what ran out: "operations" or "bytes".
	Limit string
	// Max is the quota that was exceeded.
	Max int64
}

// Error implements error.
func (e *QuotaError) Error() string {
	return fmt.Sprintf("quota exceeded: more than %d %s through %s in one call", e.Max, e.Limit, e.Interface)
}

// Is reports whether target is ErrQuota.
func (e *QuotaError) Is(target error) bool { return target == ErrQuota }

// usage is what the current call has spent through one interface.
type usage struct {
	ops, bytes int64
}

// SetQuotas sets the instance's quotas, indexed by interface slot (as the
// implementations given to NewInstance), and the interface names that
// errors give. A zero Quota, or a slot beyond q, has no limit; nil q
// turns counting off.
func (i *Instance) SetQuotas(q []Quota, names []string) {
	i.quota, i.quotaNames = q, names
	i.used = make([]usage, len(q))
	i.cur = -1
}

// ResetUsage starts a new guest call: what earlier calls spent no longer
// counts. The host calls it before each call.
func (i *Instance) ResetUsage() {
	if i.quota != nil {
		clear(i.used)
	}
	i.cur = -1
}

// Enter is From for a generated host function of the interface defined at
// slot: it returns the calling Instance and charges the call one
// operation of that interface's quota (see SetQuotas), trapping with a
// *QuotaError once the quota is spent. The bytes the host function lifts
// and lowers are charged to the same interface.
func Enter(ctx context.Context, slot int) *Instance {
	inst := From(ctx)
	if inst.quota == nil || slot >= len(inst.quota) || slot < 0 {
		return inst
	}
	inst.cur = slot
	if max := inst.quota[slot].Operations; max > 0 {
		u := &inst.used[slot]
		u.ops++
		if u.ops > max {
			inst.overQuota(slot, "operations", max)
		}
	}
	return inst
}

// EnterChunk is Enter for a host function that moves one chunk of a body
// (a resource method named write or read, e.g. an R2 object-writer's
// write): the bytes it lifts and lowers are charged to the interface's
// quota, but the call is not an operation — a body streamed in many chunks
// is still the one operation that opened it.
func EnterChunk(ctx context.Context, slot int) *Instance {
	inst := From(ctx)
	if inst.quota != nil && slot >= 0 && slot < len(inst.quota) {
		inst.cur = slot
	}
	return inst
}

// chargeBytes charges n bytes copied in or out of guest memory to the
// interface of the host call in progress.
func (i *Instance) chargeBytes(n uint32) {
	s := i.cur
	if s < 0 || i.quota == nil {
		return
	}
	if max := i.quota[s].Bytes; max > 0 {
		u := &i.used[s]
		u.bytes += int64(n)
		if u.bytes > max {
			i.overQuota(s, "bytes", max)
		}
	}
}

func (i *Instance) overQuota(slot int, limit string, max int64) {
	name := fmt.Sprintf("interface #%d", slot)
	if slot < len(i.quotaNames) && i.quotaNames[slot] != "" {
		name = i.quotaNames[slot]
	}
	err := &QuotaError{Interface: name, Limit: limit, Max: max}
	i.Poison(err)
	panic(err)
}

// Charge charges n more operations to the interface of the host call in
// progress in ctx (the one Enter was called for), for a host function that
// does the work of several: a D1 batch of n statements counts as n
// queries. It traps with a *QuotaError as Enter does once the quota is
// spent. Outside a host call it does nothing.
func Charge(ctx context.Context, n int64) {
	i, _ := ctx.Value(instanceKey{}).(*Instance)
	if i == nil || i.quota == nil || n <= 0 {
		return
	}
	s := i.cur
	if s < 0 || s >= len(i.quota) {
		return
	}
	if max := i.quota[s].Operations; max > 0 {
		u := &i.used[s]
		u.ops += n
		if u.ops > max {
			i.overQuota(s, "operations", max)
		}
	}
}
