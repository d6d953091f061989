package host_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/host"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// BenchmarkGuestCall compares a call of a small export (add) through
// Guest.Call (pool, deadline, stop global, quotas reset, typed errors)
// with a raw wazero api.Function.Call of the same module, in one run.
func BenchmarkGuestCall(b *testing.B) {
	ctx := context.Background()
	wasm := benchWasm(b, "testdata/add.wasm")
	b.Run("raw-wazero", func(b *testing.B) {
		r := wazero.NewRuntime(ctx)
		defer r.Close(ctx)
		mod, err := r.Instantiate(ctx, wasm)
		if err != nil {
			b.Fatal(err)
		}
		add := mod.ExportedFunction("add")
		b.ReportAllocs()
		for b.Loop() {
			if res, err := add.Call(ctx, 2, 3); err != nil || res[0] != 5 {
				b.Fatal(res, err)
			}
		}
	})
	b.Run("guest-call", func(b *testing.B) {
		rt := benchRuntime(b)
		g, err := rt.NewGuest(ctx, host.GuestConfig{Name: "add", Wasm: wasm})
		if err != nil {
			b.Fatal(err)
		}
		defer g.Close(ctx)
		fn := func(ctx context.Context, inst *abi.Instance) error {
			res, err := export(inst, "add").Call(ctx, 2, 3)
			if err == nil && res[0] != 5 {
				err = fmt.Errorf("add = %d", res[0])
			}
			return err
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := g.Call(ctx, fn); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGuestQuota measures a host call (ping: lift 16 bytes) with
// per-call quota counting off and on: ns/hostcall is the cost of one
// call of 1,000 made by one guest call.
func BenchmarkGuestQuota(b *testing.B) {
	ctx := context.Background()
	rt := benchRuntime(b)
	wasm := benchWasm(b, "testdata/guest.wasm")
	const calls = 1000
	for _, c := range []struct {
		name   string
		limits host.Limits
	}{
		{"off", host.Limits{}},
		{"on", host.Limits{Operations: 1 << 40, Bytes: 1 << 40}},
	} {
		b.Run(c.name, func(b *testing.B) {
			g, err := rt.NewGuest(ctx, host.GuestConfig{Name: "quota-" + c.name, Wasm: wasm, Bindings: []host.Binding{newTestHost()}, Limits: c.limits})
			if err != nil {
				b.Fatal(err)
			}
			defer g.Close(ctx)
			fn := func(ctx context.Context, inst *abi.Instance) error {
				_, err := export(inst, "ping").Call(ctx, calls, 16)
				return err
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := g.Call(ctx, fn); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/calls, "ns/hostcall")
		})
	}
}

type exportKey string

// export returns the guest's export name, looked up once per instance
// (wazero's ExportedFunction makes a new call engine each time), as a
// generated typed caller keeps its exports in Memo.
func export(inst *abi.Instance, name string) api.Function {
	fn, _ := inst.Memo(exportKey(name), func() (any, error) { return inst.Lookup().ExportedFunction(name), nil })
	return fn.(api.Function)
}
