// Package wasi02 serves the WASI 0.2 interfaces a guest engine needs
// (clocks, random, io poll/streams/error, cli stdio/environment/exit/
// terminal, filesystem preopens) as core host functions with the Canonical
// ABI, through package abi: the same conventions as Bindery's own
// interfaces (legacy names, the guest's cabi_realloc and memory).
//
// This is what lets the single core module of a componentize-js component
// run on the host as it is (see docs/sdk-js.md): its JS engine imports
// wasi:io/poll, wasi:io/streams, wasi:clocks/monotonic-clock and
// wasi:random/random directly, and wasi_snapshot_preview1 (which wazero
// serves) for console.log and Date.now.
//
// What the clocks, random, sleep, the environment and the arguments give
// is each instance's Policy (SetPolicy; the host sets it from the guest's
// WASIConfig, and a Worker gets the real clocks, sleep and crypto/rand):
// without one, everything is denied. stdout and stderr go to the guest's
// log (abi.Instance.Stdout/Stderr; else the host's log), stdin is empty,
// there are no preopened directories and no terminals. exit ends the call as a trap
// with the exit code. The filesystem and sockets are capability-denied
// (denied.go): a Worker has neither.
//
// The glue is written by hand: cmd/bindery-bindgen generates only
// interfaces of world "worker" (and emits C guest bindings for every
// target), so WASI interfaces, which the Bindery world does not import,
// cannot go through it without changing the world.
//
// Every patch version 0.2.0 through 0.2.MaxPatch is served under its own
// host module name (guests name the exact version they were built with);
// resources are shared across versions, as a component would unify them.
package wasi02

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// MaxPatch is the newest WASI 0.2 patch version served.
const MaxPatch = 12

// Resource types in handle tables (version-less: one resource whatever
// patch version of the interface handed it out).
const (
	PollableType       = "wasi:io/poll#pollable"
	InputStreamType    = "wasi:io/streams#input-stream"
	OutputStreamType   = "wasi:io/streams#output-stream"
	ErrorType          = "wasi:io/error#error"
	TerminalInputType  = "wasi:cli/terminal-input#terminal-input"
	TerminalOutputType = "wasi:cli/terminal-output#terminal-output"
)

// Host is the one implementation every Worker gets: WASI 0.2 grants
// nothing that is per Worker.
type Host struct {
	log   *slog.Logger
	start time.Time // the monotonic clock's zero
}

// Interfaces returns every WASI 0.2 interface at every patch version, for
// host.Runtime. Output to stdout and stderr goes to log (nil discards it).
func Interfaces(log *slog.Logger) []abi.Interface {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Host{log: log, start: time.Now()}
	defs := []struct {
		name   string
		define func(hb wazero.HostModuleBuilder)
	}{
		{"wasi:io/poll", h.definePoll},
		{"wasi:io/error", h.defineError},
		{"wasi:io/streams", h.defineStreams},
		{"wasi:clocks/monotonic-clock", h.defineMonotonic},
		{"wasi:clocks/wall-clock", h.defineWall},
		{"wasi:random/random", h.defineRandom},
		{"wasi:random/insecure", h.defineInsecure},
		{"wasi:random/insecure-seed", h.defineInsecureSeed},
		{"wasi:cli/environment", h.defineEnvironment},
		{"wasi:cli/exit", h.defineExit},
		{"wasi:cli/stdin", h.defineStdin},
		{"wasi:cli/stdout", h.defineStdout},
		{"wasi:cli/stderr", h.defineStderr},
		{"wasi:cli/terminal-input", h.defineTerminalInput},
		{"wasi:cli/terminal-output", h.defineTerminalOutput},
		{"wasi:cli/terminal-stdin", h.defineTerminalGetter("get-terminal-stdin")},
		{"wasi:cli/terminal-stdout", h.defineTerminalGetter("get-terminal-stdout")},
		{"wasi:cli/terminal-stderr", h.defineTerminalGetter("get-terminal-stderr")},
		{"wasi:filesystem/preopens", h.definePreopens},
		{"wasi:filesystem/types", h.defineFilesystemTypes},
		{"wasi:sockets/network", h.defineNetwork},
		{"wasi:sockets/instance-network", h.defineInstanceNetwork},
		{"wasi:sockets/tcp-create-socket", h.defineTCPCreateSocket},
		{"wasi:sockets/udp-create-socket", h.defineUDPCreateSocket},
		{"wasi:sockets/tcp", h.defineTCP},
		{"wasi:sockets/udp", h.defineUDP},
		{"wasi:sockets/ip-name-lookup", h.defineIPNameLookup},
	}
	var out []abi.Interface
	for patch := 0; patch <= MaxPatch; patch++ {
		for _, d := range defs {
			define := d.define
			out = append(out, abi.Interface{
				Name:   fmt.Sprintf("%s@0.2.%d", d.name, patch),
				Define: func(hb wazero.HostModuleBuilder, _ int) { define(hb) },
			})
		}
	}
	return out
}

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// fn adds one host function; f gets the calling instance and the stack.
func fn(hb wazero.HostModuleBuilder, name string, params, results []api.ValueType, f func(ctx context.Context, inst *abi.Instance, stack []uint64)) {
	hb.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
		f(ctx, abi.From(ctx), stack)
	}), params, results).Export(name)
}

// drop adds [resource-drop]name for resource type typ.
func drop(hb wazero.HostModuleBuilder, name, typ string) {
	fn(hb, "[resource-drop]"+name, []api.ValueType{i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		inst.Handles.Drop(ctx, inst, typ, uint32(s[0]))
	})
}

// --- wasi:io/poll ------------------------------------------------------

// Pollable is the representation of a pollable.
type Pollable interface {
	// Ready reports whether the pollable is ready now.
	Ready() bool
	// Block waits until it is ready or ctx is done.
	Block(ctx context.Context)
}

// readyPollable is always ready: the streams here never make a guest wait
// for readiness (reads and writes complete in the call).
type readyPollable struct{}

func (readyPollable) Ready() bool               { return true }
func (readyPollable) Block(ctx context.Context) {}

// timerPollable is ready at a monotonic instant.
type timerPollable struct{ at time.Time }

func (p timerPollable) Ready() bool { return !time.Now().Before(p.at) }

func (p timerPollable) Block(ctx context.Context) {
	d := time.Until(p.at)
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done(): // the guest stops at its next yield point
	}
}

func (h *Host) definePoll(hb wazero.HostModuleBuilder) {
	fn(hb, "[method]pollable.ready", []api.ValueType{i32}, []api.ValueType{i32}, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		p := inst.Handles.Get(inst, PollableType, uint32(s[0])).(Pollable)
		s[0] = b2u(p.Ready())
	})
	fn(hb, "[method]pollable.block", []api.ValueType{i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		inst.Handles.Get(inst, PollableType, uint32(s[0])).(Pollable).Block(ctx)
	})
	// poll: func(in: list<borrow<pollable>>) -> list<u32>
	fn(hb, "poll", []api.ValueType{i32, i32, i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		ptr, n, ret := uint32(s[0]), uint32(s[1]), uint32(s[2])
		if n == 0 {
			inst.Trapf("wasi:io/poll#poll: the list of pollables is empty")
		}
		inst.CheckList(ptr, n, 4, 4)
		ps := make([]Pollable, n)
		for i := range ps {
			ps[i] = inst.Handles.Get(inst, PollableType, inst.U32(ptr+uint32(i)*4)).(Pollable)
		}
		ready := pollReady(ps)
		for len(ready) == 0 && ctx.Err() == nil {
			// Wait for the earliest timer; other pollables here are always ready.
			var first Pollable
			for _, p := range ps {
				if t, ok := p.(timerPollable); ok && (first == nil || t.at.Before(first.(timerPollable).at)) {
					first = t
				}
			}
			if first == nil {
				break
			}
			first.Block(ctx)
			ready = pollReady(ps)
		}
		inst.CheckList(ret, 1, 8, 4)
		out := inst.AllocList(ctx, len(ready), 4, 4)
		for i, idx := range ready {
			inst.PutU32(out+uint32(i)*4, idx)
		}
		inst.PutU32(ret, out)
		inst.PutU32(ret+4, uint32(len(ready)))
	})
	drop(hb, "pollable", PollableType)
}

func pollReady(ps []Pollable) []uint32 {
	var ready []uint32
	for i, p := range ps {
		if p.Ready() {
			ready = append(ready, uint32(i))
		}
	}
	return ready
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// --- wasi:io/error -----------------------------------------------------

// ioError is the representation of a wasi:io/error error.
type ioError struct{ msg string }

func (h *Host) defineError(hb wazero.HostModuleBuilder) {
	fn(hb, "[method]error.to-debug-string", []api.ValueType{i32, i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		e := inst.Handles.Get(inst, ErrorType, uint32(s[0])).(*ioError)
		ret := uint32(s[1])
		inst.CheckList(ret, 1, 8, 4)
		p, n := inst.LowerString(ctx, e.msg)
		inst.PutU32(ret, p)
		inst.PutU32(ret+4, n)
	})
	drop(hb, "error", ErrorType)
}

// --- wasi:io/streams ---------------------------------------------------

// InputStream is the representation of an input-stream. Read returns at
// most n bytes; io.EOF means the stream has ended (stream-error::closed).
type InputStream interface {
	Read(ctx context.Context, n uint64) ([]byte, error)
}

// OutputStream is the representation of an output-stream. An error from
// Write or Flush becomes stream-error::last-operation-failed.
type OutputStream interface {
	Write(ctx context.Context, p []byte) error
	Flush(ctx context.Context) error
}

// writeBudget is what check-write permits at a time.
const writeBudget = 1 << 20

// storeStreamError stores a stream-error at a: closed for io.EOF, else
// last-operation-failed with a new error resource.
func storeStreamError(inst *abi.Instance, a uint32, err error) {
	if err == io.EOF {
		inst.PutU8(a, 1)
		return
	}
	inst.PutU8(a, 0)
	inst.PutU32(a+4, inst.Handles.Add(inst, ErrorType, &ioError{msg: err.Error()}))
}

// putUnitResult stores a result<_, stream-error> at ret.
func putUnitResult(inst *abi.Instance, ret uint32, err error) {
	inst.CheckList(ret, 1, 12, 4)
	if err != nil {
		storeStreamError(inst, ret+4, err)
		inst.PutU8(ret, 1)
		return
	}
	inst.PutU8(ret, 0)
}

// putU64Result stores a result<u64, stream-error> at ret.
func putU64Result(inst *abi.Instance, ret uint32, v uint64, err error) {
	inst.CheckList(ret, 1, 16, 8)
	if err != nil {
		storeStreamError(inst, ret+8, err)
		inst.PutU8(ret, 1)
		return
	}
	inst.PutU64(ret+8, v)
	inst.PutU8(ret, 0)
}

func (h *Host) defineStreams(hb wazero.HostModuleBuilder) {
	in := func(inst *abi.Instance, h uint64) InputStream {
		return inst.Handles.Get(inst, InputStreamType, uint32(h)).(InputStream)
	}
	out := func(inst *abi.Instance, h uint64) OutputStream {
		return inst.Handles.Get(inst, OutputStreamType, uint32(h)).(OutputStream)
	}
	read := func(ctx context.Context, inst *abi.Instance, s []uint64) {
		src, n, ret := in(inst, s[0]), s[1], uint32(s[2])
		inst.CheckList(ret, 1, 12, 4)
		n = min(n, uint64(inst.Memory().Size())) // never more than the guest could hold
		b, err := src.Read(ctx, n)
		if err != nil && len(b) == 0 {
			storeStreamError(inst, ret+4, err)
			inst.PutU8(ret, 1)
			return
		}
		p, l := inst.LowerBytes(ctx, b)
		inst.PutU32(ret+4, p)
		inst.PutU32(ret+8, l)
		inst.PutU8(ret, 0)
	}
	skip := func(ctx context.Context, inst *abi.Instance, s []uint64) {
		src, n, ret := in(inst, s[0]), s[1], uint32(s[2])
		b, err := src.Read(ctx, min(n, 1<<20))
		if err != nil && len(b) == 0 {
			putU64Result(inst, ret, 0, err)
			return
		}
		putU64Result(inst, ret, uint64(len(b)), nil)
	}
	subscribe := func(ctx context.Context, inst *abi.Instance, s []uint64) {
		s[0] = uint64(inst.Handles.Add(inst, PollableType, readyPollable{}))
	}
	rws := []api.ValueType{i32, i64, i32}
	fn(hb, "[method]input-stream.read", rws, nil, read)
	fn(hb, "[method]input-stream.blocking-read", rws, nil, read)
	fn(hb, "[method]input-stream.skip", rws, nil, skip)
	fn(hb, "[method]input-stream.blocking-skip", rws, nil, skip)
	fn(hb, "[method]input-stream.subscribe", []api.ValueType{i32}, []api.ValueType{i32}, subscribe)

	fn(hb, "[method]output-stream.check-write", []api.ValueType{i32, i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		out(inst, s[0])
		putU64Result(inst, uint32(s[1]), writeBudget, nil)
	})
	write := func(flush bool) func(ctx context.Context, inst *abi.Instance, s []uint64) {
		return func(ctx context.Context, inst *abi.Instance, s []uint64) {
			dst := out(inst, s[0])
			err := dst.Write(ctx, inst.View(uint32(s[1]), uint32(s[2])))
			if err == nil && flush {
				err = dst.Flush(ctx)
			}
			putUnitResult(inst, uint32(s[3]), err)
		}
	}
	fn(hb, "[method]output-stream.write", []api.ValueType{i32, i32, i32, i32}, nil, write(false))
	fn(hb, "[method]output-stream.blocking-write-and-flush", []api.ValueType{i32, i32, i32, i32}, nil, write(true))
	flush := func(ctx context.Context, inst *abi.Instance, s []uint64) {
		putUnitResult(inst, uint32(s[1]), out(inst, s[0]).Flush(ctx))
	}
	fn(hb, "[method]output-stream.flush", []api.ValueType{i32, i32}, nil, flush)
	fn(hb, "[method]output-stream.blocking-flush", []api.ValueType{i32, i32}, nil, flush)
	fn(hb, "[method]output-stream.subscribe", []api.ValueType{i32}, []api.ValueType{i32}, subscribe)
	zeroes := func(flush bool) func(ctx context.Context, inst *abi.Instance, s []uint64) {
		return func(ctx context.Context, inst *abi.Instance, s []uint64) {
			dst, n := out(inst, s[0]), s[1]
			if n > writeBudget {
				inst.Trapf("wasi:io/streams#write-zeroes: %d bytes, more than check-write permits (%d)", n, writeBudget)
			}
			err := dst.Write(ctx, make([]byte, n))
			if err == nil && flush {
				err = dst.Flush(ctx)
			}
			putUnitResult(inst, uint32(s[2]), err)
		}
	}
	fn(hb, "[method]output-stream.write-zeroes", rws, nil, zeroes(false))
	fn(hb, "[method]output-stream.blocking-write-zeroes-and-flush", rws, nil, zeroes(true))
	splice := func(ctx context.Context, inst *abi.Instance, s []uint64) {
		dst, src, n, ret := out(inst, s[0]), in(inst, s[1]), s[2], uint32(s[3])
		b, err := src.Read(ctx, min(n, writeBudget))
		if err != nil && len(b) == 0 {
			putU64Result(inst, ret, 0, err)
			return
		}
		if err := dst.Write(ctx, b); err != nil {
			putU64Result(inst, ret, 0, err)
			return
		}
		putU64Result(inst, ret, uint64(len(b)), nil)
	}
	sp := []api.ValueType{i32, i32, i64, i32}
	fn(hb, "[method]output-stream.splice", sp, nil, splice)
	fn(hb, "[method]output-stream.blocking-splice", sp, nil, splice)
	drop(hb, "input-stream", InputStreamType)
	drop(hb, "output-stream", OutputStreamType)
}

// emptyStream is stdin: it has ended.
type emptyStream struct{}

func (emptyStream) Read(context.Context, uint64) ([]byte, error) { return nil, io.EOF }

// logStream is stdout or stderr: one log record per line.
type logStream struct {
	log   *slog.Logger
	level slog.Level
	name  string
	buf   []byte
}

// maxLine bounds one logged line; longer lines are split.
const maxLine = 16 << 10

func (l *logStream) Write(ctx context.Context, p []byte) error {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.buf = append(l.buf, p...)
			if len(l.buf) >= maxLine {
				l.emit()
			}
			return nil
		}
		l.buf = append(l.buf, p[:i]...)
		l.emit()
		p = p[i+1:]
	}
	return nil
}

func (l *logStream) Flush(ctx context.Context) error { return nil }

func (l *logStream) emit() {
	l.log.Log(context.Background(), l.level, string(l.buf), "stream", l.name)
	l.buf = l.buf[:0]
}

// Drop logs a pending partial line when the guest drops the stream.
func (l *logStream) Drop(ctx context.Context) {
	if len(l.buf) > 0 {
		l.emit()
	}
}

// writerStream is stdout or stderr when the host gives the instance its
// own writers (abi.Instance.Stdout, Stderr): a Worker's log.
type writerStream struct{ w io.Writer }

func (s writerStream) Write(ctx context.Context, p []byte) error {
	_, err := s.w.Write(p)
	return err
}

func (s writerStream) Flush(ctx context.Context) error { return nil }

// --- wasi:clocks ---------------------------------------------------------

func (h *Host) defineMonotonic(hb wazero.HostModuleBuilder) {
	fn(hb, "now", nil, []api.ValueType{i64}, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		s[0] = policy(inst).monoNow(h)
	})
	fn(hb, "resolution", nil, []api.ValueType{i64}, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		s[0] = 1
	})
	fn(hb, "subscribe-instant", []api.ValueType{i64}, []api.ValueType{i32}, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		var p Pollable = readyPollable{}
		if st := policy(inst); st.p.Sleep && st.p.Monotonic {
			p = timerPollable{at: h.start.Add(time.Duration(min(s[0], 1<<63-1)))}
		}
		s[0] = uint64(inst.Handles.Add(inst, PollableType, p))
	})
	fn(hb, "subscribe-duration", []api.ValueType{i64}, []api.ValueType{i32}, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		var p Pollable = readyPollable{}
		if policy(inst).p.Sleep {
			p = timerPollable{at: time.Now().Add(time.Duration(min(s[0], 1<<62)))}
		}
		s[0] = uint64(inst.Handles.Add(inst, PollableType, p))
	})
}

func (h *Host) defineWall(hb wazero.HostModuleBuilder) {
	// datetime: record { seconds: u64, nanoseconds: u32 }
	fn(hb, "now", []api.ValueType{i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		ret := uint32(s[0])
		inst.CheckList(ret, 1, 16, 8)
		sec, nsec := policy(inst).wallNow()
		inst.PutU64(ret, uint64(sec))
		inst.PutU32(ret+8, uint32(nsec))
	})
	fn(hb, "resolution", []api.ValueType{i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		ret := uint32(s[0])
		inst.CheckList(ret, 1, 16, 8)
		res := time.Duration(1)
		if st := policy(inst); st.p.Wall == nil {
			res = time.Millisecond
		} else if st.p.WallResolution > 0 {
			res = st.p.WallResolution
		}
		inst.PutU64(ret, uint64(res/time.Second))
		inst.PutU32(ret+8, uint32(res%time.Second))
	})
}

// --- wasi:random -------------------------------------------------------

// randomBytes returns n bytes from the instance's random source,
// trapping when n is more than the guest's memory could hold.
func randomBytes(inst *abi.Instance, n uint64) []byte {
	if n > uint64(inst.Memory().Size()) {
		inst.Trapf("wasi:random: %d random bytes asked, more than guest memory holds", n)
	}
	b := make([]byte, n)
	policy(inst).read(b)
	return b
}

func randomU64(inst *abi.Instance) uint64 {
	var b [8]byte
	policy(inst).read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

func (h *Host) defineRandomNamed(hb wazero.HostModuleBuilder, bytesName, u64Name string) {
	fn(hb, bytesName, []api.ValueType{i64, i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		ret := uint32(s[1])
		inst.CheckList(ret, 1, 8, 4)
		p, n := inst.LowerBytes(ctx, randomBytes(inst, s[0]))
		inst.PutU32(ret, p)
		inst.PutU32(ret+4, n)
	})
	fn(hb, u64Name, nil, []api.ValueType{i64}, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		s[0] = randomU64(inst)
	})
}

func (h *Host) defineRandom(hb wazero.HostModuleBuilder) {
	h.defineRandomNamed(hb, "get-random-bytes", "get-random-u64")
}

// Insecure random is crypto/rand too: nothing is gained by a weaker source.
func (h *Host) defineInsecure(hb wazero.HostModuleBuilder) {
	h.defineRandomNamed(hb, "get-insecure-random-bytes", "get-insecure-random-u64")
}

func (h *Host) defineInsecureSeed(hb wazero.HostModuleBuilder) {
	// insecure-seed: func() -> tuple<u64, u64>
	fn(hb, "insecure-seed", []api.ValueType{i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		ret := uint32(s[0])
		inst.CheckList(ret, 1, 16, 8)
		inst.PutU64(ret, randomU64(inst))
		inst.PutU64(ret+8, randomU64(inst))
	})
}

// --- wasi:cli ------------------------------------------------------------

// putEmptyList stores an empty list at ret.
func putEmptyList(inst *abi.Instance, ret uint32, align uint32) {
	inst.CheckList(ret, 1, 8, 4)
	inst.PutU32(ret, align) // a non-null dangling pointer, as the Canonical ABI allows
	inst.PutU32(ret+4, 0)
}

func (h *Host) defineEnvironment(hb wazero.HostModuleBuilder) {
	fn(hb, "get-environment", []api.ValueType{i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		env := policy(inst).p.Env
		if len(env) == 0 {
			putEmptyList(inst, uint32(s[0]), 4)
			return
		}
		ret := uint32(s[0])
		inst.CheckList(ret, 1, 8, 4)
		out := inst.AllocList(ctx, len(env), 16, 4)
		for i, kv := range env {
			kp, kn := inst.LowerString(ctx, kv[0])
			vp, vn := inst.LowerString(ctx, kv[1])
			a := out + uint32(i)*16
			inst.PutU32(a, kp)
			inst.PutU32(a+4, kn)
			inst.PutU32(a+8, vp)
			inst.PutU32(a+12, vn)
		}
		inst.PutU32(ret, out)
		inst.PutU32(ret+4, uint32(len(env)))
	})
	fn(hb, "get-arguments", []api.ValueType{i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		args := policy(inst).p.Args
		if len(args) == 0 {
			putEmptyList(inst, uint32(s[0]), 4)
			return
		}
		ret := uint32(s[0])
		inst.CheckList(ret, 1, 8, 4)
		out := inst.AllocList(ctx, len(args), 8, 4)
		for i, a := range args {
			p, n := inst.LowerString(ctx, a)
			inst.PutU32(out+uint32(i)*8, p)
			inst.PutU32(out+uint32(i)*8+4, n)
		}
		inst.PutU32(ret, out)
		inst.PutU32(ret+4, uint32(len(args)))
	})
	fn(hb, "initial-cwd", []api.ValueType{i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		ret := uint32(s[0])
		inst.CheckList(ret, 1, 12, 4)
		inst.PutU8(ret, 0) // none
	})
}

// exit ends the guest call the way proc_exit does: the instance is
// poisoned and the call fails with a *sys.ExitError.
func exit(inst *abi.Instance, code uint32) {
	err := sys.NewExitError(code)
	inst.Poison(err)
	panic(err)
}

func (h *Host) defineExit(hb wazero.HostModuleBuilder) {
	fn(hb, "exit", []api.ValueType{i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		exit(inst, uint32(s[0])) // result<_, _>: 0 ok, 1 err
	})
	fn(hb, "exit-with-code", []api.ValueType{i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		exit(inst, uint32(uint8(s[0])))
	})
}

func (h *Host) defineStdin(hb wazero.HostModuleBuilder) {
	fn(hb, "get-stdin", nil, []api.ValueType{i32}, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		s[0] = uint64(inst.Handles.Add(inst, InputStreamType, emptyStream{}))
	})
}

func (h *Host) defineStdout(hb wazero.HostModuleBuilder) {
	fn(hb, "get-stdout", nil, []api.ValueType{i32}, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		var out OutputStream = &logStream{log: h.log, level: slog.LevelInfo, name: "stdout"}
		if inst.Stdout != nil {
			out = writerStream{inst.Stdout}
		}
		s[0] = uint64(inst.Handles.Add(inst, OutputStreamType, out))
	})
}

func (h *Host) defineStderr(hb wazero.HostModuleBuilder) {
	fn(hb, "get-stderr", nil, []api.ValueType{i32}, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		var out OutputStream = &logStream{log: h.log, level: slog.LevelWarn, name: "stderr"}
		if inst.Stderr != nil {
			out = writerStream{inst.Stderr}
		}
		s[0] = uint64(inst.Handles.Add(inst, OutputStreamType, out))
	})
}

func (h *Host) defineTerminalInput(hb wazero.HostModuleBuilder) {
	drop(hb, "terminal-input", TerminalInputType)
}

func (h *Host) defineTerminalOutput(hb wazero.HostModuleBuilder) {
	drop(hb, "terminal-output", TerminalOutputType)
}

// defineTerminalGetter serves get-terminal-std*: func() -> option<terminal-*>,
// always none: a Worker has no terminal.
func (h *Host) defineTerminalGetter(name string) func(hb wazero.HostModuleBuilder) {
	return func(hb wazero.HostModuleBuilder) {
		fn(hb, name, []api.ValueType{i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
			ret := uint32(s[0])
			inst.CheckList(ret, 1, 8, 4)
			inst.PutU8(ret, 0)
		})
	}
}

// --- wasi:filesystem/preopens ------------------------------------------

func (h *Host) definePreopens(hb wazero.HostModuleBuilder) {
	// get-directories: func() -> list<tuple<descriptor, string>>: none.
	fn(hb, "get-directories", []api.ValueType{i32}, nil, func(ctx context.Context, inst *abi.Instance, s []uint64) {
		putEmptyList(inst, uint32(s[0]), 4)
	})
}
