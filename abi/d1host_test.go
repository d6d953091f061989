package abi_test

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/d1/d1wit"
	"github.com/tetratelabs/wazero/api"
)

// These tests drive the generated host glue of bindery:d1/database
// (bindings/d1/d1wit) through testdata/d1guest.wat, which forwards its
// arguments unchanged to the imports. Its lists of variants (statement
// parameters, result rows) are the deepest nesting any interface lifts
// and lowers.

// fakeDB is a bounded D1 database: a query answers one row echoing the
// statement's first parameters, whatever the arguments.
type fakeDB struct{ drops int }

func d1Err(msg string) *d1wit.Error { return &d1wit.Error{Tag: d1wit.ErrorSQL, SQL: msg} }

func (d *fakeDB) echo(s d1wit.Statement) (d1wit.QueryResult, *d1wit.Error) {
	if s.SQL == "" {
		return d1wit.QueryResult{}, d1Err("D1_ERROR: no SQL statements detected")
	}
	row := []d1wit.Value{{Tag: d1wit.ValueText, Text: trunc(s.SQL)}}
	cols := []string{"sql"}
	for _, p := range s.Params[:min(len(s.Params), 4)] {
		if p.Tag == d1wit.ValueBlob {
			p.Blob = p.Blob[:min(len(p.Blob), 16)]
		}
		p.Text = trunc(p.Text)
		row = append(row, p)
		cols = append(cols, "p")
	}
	return d1wit.QueryResult{Columns: cols, Rows: [][]d1wit.Value{row, row}, Meta: d1wit.Meta{Duration: 0.5, RowsRead: 2, LastRowID: -1}}, nil
}

func (d *fakeDB) batch(ss []d1wit.Statement) ([]d1wit.QueryResult, *d1wit.Error) {
	if len(ss) > 4 {
		return nil, d1Err("batch over 4")
	}
	var out []d1wit.QueryResult
	for _, s := range ss {
		r, err := d.echo(s)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (d *fakeDB) Drop(context.Context) { d.drops++ }
func (d *fakeDB) Query(_ context.Context, s d1wit.Statement) (d1wit.QueryResult, *d1wit.Error) {
	return d.echo(s)
}
func (d *fakeDB) Batch(_ context.Context, ss []d1wit.Statement) ([]d1wit.QueryResult, *d1wit.Error) {
	return d.batch(ss)
}
func (d *fakeDB) Exec(_ context.Context, sql string) (d1wit.ExecResult, *d1wit.Error) {
	if sql == "" {
		return d1wit.ExecResult{}, d1Err("empty")
	}
	return d1wit.ExecResult{Count: uint32(len(sql)), Duration: math.Inf(1)}, nil
}
func (d *fakeDB) WithSession(_ context.Context, c abi.Option[string]) (d1wit.Session, *d1wit.Error) {
	if c.Some && c.Value == "" {
		return nil, &d1wit.Error{Tag: d1wit.ErrorInvalidArgument, InvalidArgument: "empty bookmark"}
	}
	return fakeSession{d}, nil
}

type fakeSession struct{ d *fakeDB }

func (s fakeSession) Drop(context.Context) {}
func (s fakeSession) Query(_ context.Context, st d1wit.Statement) (d1wit.QueryResult, *d1wit.Error) {
	return s.d.echo(st)
}
func (s fakeSession) Batch(_ context.Context, ss []d1wit.Statement) ([]d1wit.QueryResult, *d1wit.Error) {
	return s.d.batch(ss)
}
func (s fakeSession) Bookmark(context.Context) abi.Option[string] {
	return abi.Some("0000000000000001")
}

type fakeD1Host struct{ db *fakeDB }

func (h fakeD1Host) DatabaseOpen(_ context.Context, name string) (d1wit.Database, *d1wit.Error) {
	if name != "DB" {
		return nil, &d1wit.Error{Tag: d1wit.ErrorNoSuchDatabase, NoSuchDatabase: trunc(name)}
	}
	return h.db, nil
}

var d1Once sync.Once

// newD1Guest instantiates testdata/d1guest.wat with the d1wit host
// functions. Handle 1 is a database, handle 2 a session, handle 3 a
// resource of another type.
func newD1Guest(tb testing.TB) (api.Module, *abi.Instance, context.Context) {
	tb.Helper()
	r := runtime(tb)
	d1Once.Do(func() {
		hb := r.NewHostModuleBuilder(d1wit.DatabaseInterface)
		d1wit.DefineDatabase(hb, 0)
		if _, err := hb.Instantiate(context.Background()); err != nil {
			tb.Fatal(err)
		}
	})
	mod := instantiate(tb, "d1guest")
	db := &fakeDB{}
	inst, err := abi.NewInstance(mod, []any{fakeD1Host{db}})
	if err != nil {
		tb.Fatal(err)
	}
	inst.Handles.Add(inst, d1wit.DatabaseType, d1wit.Database(db))
	inst.Handles.Add(inst, d1wit.SessionType, d1wit.Session(fakeSession{db}))
	inst.Handles.Add(inst, "test:other/iface@0.1.0#thing", &res{})
	return mod, inst, abi.WithInstance(context.Background(), inst)
}

// d1Value writes a value (16 bytes: tag, then the payload at 8) at p.
func d1Value(mem []byte, p int, tag byte, a, b uint64) {
	mem[p] = tag
	binary.LittleEndian.PutUint64(mem[p+8:], a)
	if tag >= 3 { // text and blob: (ptr, len)
		binary.LittleEndian.PutUint32(mem[p+8:], uint32(a))
		binary.LittleEndian.PutUint32(mem[p+12:], uint32(b))
	}
}

// TestD1HostRoundTrip: a statement with one value of each kind crosses
// into the host and its echo comes back in the return area.
func TestD1HostRoundTrip(t *testing.T) {
	mod, inst, ctx := newD1Guest(t)
	mem := make([]byte, 0x200)
	copy(mem[0x100:], "SELECT ?hiblob")
	d1Value(mem, 0x00, 0, 0, 0)
	d1Value(mem, 0x10, 1, uint64(1<<53+1), 0)
	d1Value(mem, 0x20, 2, math.Float64bits(1.5), 0)
	d1Value(mem, 0x30, 3, 0x108, 2)
	mod.Memory().Write(0, mem)
	if _, err := mod.ExportedFunction("query").Call(ctx, 1, 0x100, 8, 0, 4, ret); err != nil {
		t.Fatal(err)
	}
	checkTrap(t, inst, nil, "")
	m := mod.Memory()
	tag, _ := m.ReadByte(ret)
	// result<query-result, error>: the tag, then at 8 (meta's alignment)
	// columns (ptr, len), rows (ptr, len), meta.
	nrows, _ := m.ReadUint32Le(ret + 8 + 12)
	if tag != 0 || nrows != 2 {
		t.Fatalf("result tag %d, %d rows; want ok with 2", tag, nrows)
	}
	rows, _ := m.ReadUint32Le(ret + 8 + 8)
	row, _ := m.ReadUint32Le(rows)
	big, _ := m.ReadUint64Le(row + 2*16 + 8) // values are 16 bytes: the sql, NULL, then the integer
	if big != 1<<53+1 {
		t.Errorf("echoed integer %d, want 2^53+1", big)
	}
}

// FuzzD1Host calls the generated d1 host functions with arbitrary core
// values and guest memory: each call must return normally or trap with an
// abi trap that poisons the instance, never fail otherwise (a Go runtime
// error in the glue, a non-trap panic) or crash the test.
func FuzzD1Host(f *testing.F) {
	mem := make([]byte, 0x200)
	copy(mem[0x100:], "DBSELECT ?hi")
	d1Value(mem, 0x00, 1, 7, 0)
	d1Value(mem, 0x10, 3, 0x10a, 2)
	d1Value(mem, 0x20, 4, 0x100, 2)
	// A list<statement> of two at 0x40: (sql ptr, len, params ptr, len).
	for i, w := range []uint32{0x102, 8, 0, 3, 0x102, 6, 0x10, 1} {
		binary.LittleEndian.PutUint32(mem[0x40+4*i:], w)
	}
	bad := append([]byte(nil), mem...)
	bad[0x10] = 9 // an invalid value discriminant
	//       fn a0 a1 a2 a3 a4 a5
	f.Add(uint8(0), uint32(0x100), uint32(2), uint32(ret), uint32(0), uint32(0), uint32(0), mem) // open
	f.Add(uint8(1), uint32(1), uint32(0x102), uint32(8), uint32(0), uint32(3), uint32(ret), mem) // query
	f.Add(uint8(1), uint32(1), uint32(0x102), uint32(8), uint32(0), uint32(3), uint32(ret), bad)
	f.Add(uint8(2), uint32(1), uint32(0x40), uint32(2), uint32(ret), uint32(0), uint32(0), mem)     // batch
	f.Add(uint8(3), uint32(1), uint32(0x102), uint32(8), uint32(ret), uint32(0), uint32(0), mem)    // exec
	f.Add(uint8(4), uint32(1), uint32(1), uint32(0x100), uint32(2), uint32(ret), uint32(0), mem)    // with-session
	f.Add(uint8(5), uint32(2), uint32(0x102), uint32(8), uint32(0x10), uint32(2), uint32(ret), mem) // session query
	f.Add(uint8(6), uint32(2), uint32(0x40), uint32(2), uint32(ret), uint32(0), uint32(0), mem)     // session batch
	f.Add(uint8(7), uint32(2), uint32(ret), uint32(0), uint32(0), uint32(0), uint32(0), mem)        // bookmark
	f.Add(uint8(8), uint32(1), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), mem)          // drop
	f.Add(uint8(9), uint32(3), uint32(0), uint32(0), uint32(0), uint32(0), uint32(0), mem)          // drop of another type

	fns := []struct {
		name string
		n    int
	}{{"open", 3}, {"query", 6}, {"batch", 4}, {"exec", 4}, {"with-session", 5}, {"session-query", 6},
		{"session-batch", 4}, {"bookmark", 2}, {"drop", 1}, {"session-drop", 1}}
	f.Fuzz(func(t *testing.T, fn uint8, a0, a1, a2, a3, a4, a5 uint32, mem []byte) {
		mod, inst, ctx := newD1Guest(t)
		mod.Memory().Write(0, mem[:min(len(mem), 0x4000)]) // below the guest's heap at 0x8000
		f := fns[int(fn)%len(fns)]
		args := []uint64{uint64(a0), uint64(a1), uint64(a2), uint64(a3), uint64(a4), uint64(a5)}[:f.n]
		_, err := mod.ExportedFunction(f.name).Call(ctx, args...)
		if err == nil {
			if inst.Poisoned() != nil {
				t.Fatalf("%s%v: returned normally but poisoned the instance: %v", f.name, args, inst.Poisoned())
			}
			return
		}
		if !errors.Is(err, abi.ErrTrap) {
			t.Fatalf("%s%v: failed with a non-trap error: %v", f.name, args, err)
		}
		if inst.Poisoned() == nil {
			t.Fatalf("%s%v: trapped without poisoning the instance: %v", f.name, args, err)
		}
	})
}
