package durablehost

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/host/internal/durablewit"
)

// FuzzStateHost drives the generated host glue of bindery:durable/state
// (lists of strings and of entries, the list-options record of options,
// SQL values, options of records, resources) through
// testdata/stateguest.wat, which forwards arbitrary core values to the
// imports, with the binding's refusals outside an event answering. A
// call either returns with the instance usable, or traps and poisons it;
// it never panics the host or fails otherwise.
func FuzzStateHost(f *testing.F) {
	mem := make([]byte, 0x200)
	copy(mem[0x100:], "abcSELECT ?")
	// A list<string> of two at 0x40: (ptr, len) each.
	for i, w := range []uint32{0x100, 1, 0x101, 2} {
		binary.LittleEndian.PutUint32(mem[0x40+4*i:], w)
	}
	// A list<entry> of one at 0x60: key (ptr, len), value (ptr, len).
	for i, w := range []uint32{0x100, 3, 0x103, 6} {
		binary.LittleEndian.PutUint32(mem[0x60+4*i:], w)
	}
	const ret = 0x1000
	//       fn a0 ... a5 (the rest of a list's 16 arguments are zero)
	f.Add(uint8(0), uint32(0x40), uint32(2), uint32(ret), uint32(0), uint32(0), uint32(0), mem)      // get
	f.Add(uint8(1), uint32(0x60), uint32(1), uint32(ret), uint32(0), uint32(0), uint32(0), mem)      // put
	f.Add(uint8(2), uint32(0x40), uint32(3), uint32(ret), uint32(0), uint32(0), uint32(0), mem)      // delete past the memory
	f.Add(uint8(3), uint32(1), uint32(0x100), uint32(3), uint32(0), uint32(0), uint32(0), mem)       // list with start
	f.Add(uint8(4), uint32(0x103), uint32(8), uint32(0x80), uint32(1), uint32(ret), uint32(0), mem)  // sql-exec
	f.Add(uint8(5), uint32(1), uint32(0x100), uint32(1), uint32(0x101), uint32(2), uint32(ret), mem) // set-auto-response
	f.Add(uint8(6), uint32(1), uint32(0x100), uint32(3), uint32(ret), uint32(0), uint32(0), mem)     // get-web-sockets
	f.Add(uint8(7), uint32(1), uint32(0x40), uint32(2), uint32(ret), uint32(0), uint32(0), mem)      // accept of a cursor
	f.Add(uint8(8), uint32(0x100), uint32(3), uint32(0), uint32(0), uint32(0), uint32(0), mem)       // abort
	f.Add(uint8(9), uint32(1), uint32(10), uint32(ret), uint32(0), uint32(0), uint32(0), mem)        // cursor.next
	f.Add(uint8(10), uint32(1), uint32(ret), uint32(0), uint32(0), uint32(0), uint32(0), mem)        // cursor.column-names
	f.Add(uint8(11), uint32(1), uint32(0), uint32(0x100), uint32(3), uint32(ret), uint32(0), mem)    // send on a cursor
	f.Add(uint8(12), uint32(2), uint32(1), uint32(1000), uint32(0x100), uint32(3), uint32(ret), mem) // close
	f.Add(uint8(13), uint32(2), uint32(ret), uint32(0), uint32(0), uint32(0), uint32(0), mem)        // commit
	f.Add(uint8(14), uint32(1), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), mem)          // cursor drop
	fns := []struct {
		name string
		n    int
	}{{"get", 3}, {"put", 3}, {"delete", 3}, {"list", 16}, {"sql-exec", 5}, {"set-auto-response", 6},
		{"get-web-sockets", 4}, {"accept-web-socket", 4}, {"abort", 2}, {"cursor-next", 3}, {"cursor-columns", 2},
		{"ws-send", 5}, {"ws-close", 6}, {"tx-commit", 2}, {"cursor-drop", 1}}
	f.Fuzz(func(t *testing.T, fn uint8, a0, a1, a2, a3, a4, a5 uint32, mem []byte) {
		mod, inst, ctx := newStateGuest(t)
		mod.Memory().Write(0, mem[:min(len(mem), 0x4000)]) // below the guest's heap at 0x8000
		fc := fns[int(fn)%len(fns)]
		args := make([]uint64, fc.n)
		for i, a := range []uint32{a0, a1, a2, a3, a4, a5} {
			if i < fc.n {
				args[i] = uint64(a)
			}
		}
		if fc.n == 16 {
			args[15] = uint64(a5) // list's retptr is its last argument
		}
		_, err := mod.ExportedFunction(fc.name).Call(ctx, args...)
		if err == nil {
			if inst.Poisoned() != nil {
				t.Fatalf("%s%v: returned normally but poisoned the instance: %v", fc.name, args, inst.Poisoned())
			}
			return
		}
		if !errors.Is(err, abi.ErrTrap) {
			t.Fatalf("%s%v: failed with a non-trap error: %v", fc.name, args, err)
		}
		if inst.Poisoned() == nil {
			t.Fatalf("%s%v: trapped without poisoning the instance: %v", fc.name, args, err)
		}
	})
}

var (
	stateOnce sync.Once
	stateRT   wazero.Runtime
	stateMod  wazero.CompiledModule
)

// newStateGuest instantiates testdata/stateguest.wasm with the state
// binding outside any event (every call is refused after its arguments
// are lifted), a cursor as handle 1 and a transaction as handle 2.
func newStateGuest(tb testing.TB) (api.Module, *abi.Instance, context.Context) {
	tb.Helper()
	ctx := context.Background()
	stateOnce.Do(func() {
		stateRT = wazero.NewRuntime(ctx)
		hb := stateRT.NewHostModuleBuilder(durablewit.StateInterface)
		durablewit.DefineState(hb, 0)
		if _, err := hb.Instantiate(ctx); err != nil {
			panic(err)
		}
		wasm, err := os.ReadFile("testdata/stateguest.wasm")
		if err != nil {
			panic(err)
		}
		if stateMod, err = stateRT.CompileModule(ctx, wasm); err != nil {
			panic(err)
		}
	})
	mod, err := stateRT.InstantiateModule(ctx, stateMod, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { mod.Close(ctx) })
	inst, err := abi.NewInstance(mod, []any{&State{}})
	if err != nil {
		tb.Fatal(err)
	}
	inst.Handles.Add(inst, durablewit.CursorType, durablewit.Cursor(&cursor{c: &storage.Cursor{Columns: []string{"a"}, Rows: [][]storage.Value{{d1.Int(1)}, {d1.Text("x")}}}}))
	inst.Handles.Add(inst, durablewit.TransactionType, durablewit.Transaction(&txSession{closed: true}))
	return mod, inst, abi.WithInstance(ctx, inst)
}
