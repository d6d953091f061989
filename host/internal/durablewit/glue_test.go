package durablewit_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/abi/stream"
	"github.com/bindery-run/bindery/host/internal/durablewit"
	"github.com/bindery-run/bindery/host/internal/httpwit"
	"github.com/bindery-run/bindery/internal/testutil"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// These tests drive the generated glue of bindery:durable (the host side
// here, the Go guest side in guest-sdk/go/internal/wit/durablewit)
// through testdata/objectguest of the guest package: the host calls each
// object export, the guest calls the state and client imports with what
// it was given, and the values that come back show they crossed intact.
// The fakes below stand in for the object manager, which does not exist
// yet.

// fakeState is one object's state: a map for the KV API, an alarm, the
// sockets accepted.
type fakeState struct {
	mu      sync.Mutex
	kv      map[string][]byte
	alarm   abi.Option[int64]
	txDepth int
	sockets []*fakeSocket
	aborted string
	params  []durablewit.SQLValue
	query   string
}

func derr(tag durablewit.ErrorTag, msg string) *durablewit.Error {
	e := &durablewit.Error{Tag: tag}
	switch tag {
	case durablewit.ErrorInvalidArgument:
		e.InvalidArgument = msg
	case durablewit.ErrorRefused:
		e.Refused = msg
	default:
		e.Internal = msg
	}
	return e
}

func (s *fakeState) Get(ctx context.Context, keys []string) ([]abi.Option[[]byte], *durablewit.Error) {
	out := make([]abi.Option[[]byte], len(keys))
	for i, k := range keys {
		if v, ok := s.kv[k]; ok {
			out[i] = abi.Option[[]byte]{Some: true, Value: v}
		}
	}
	return out, nil
}

func (s *fakeState) Put(ctx context.Context, entries []durablewit.Entry) *durablewit.Error {
	for _, e := range entries {
		s.kv[e.Key] = e.Value
	}
	return nil
}

func (s *fakeState) Delete(ctx context.Context, keys []string) (uint32, *durablewit.Error) {
	return 0, derr(durablewit.ErrorInternal, "not in this test")
}

func (s *fakeState) List(ctx context.Context, options durablewit.ListOptions) ([]durablewit.Entry, *durablewit.Error) {
	return nil, derr(durablewit.ErrorInternal, "not in this test")
}

func (s *fakeState) DeleteAll(ctx context.Context) *durablewit.Error {
	return derr(durablewit.ErrorInternal, "not in this test")
}

// fakeTx counts the open transactions of its state.
type fakeTx struct{ s *fakeState }

func (t fakeTx) Commit(ctx context.Context) *durablewit.Error   { t.s.txDepth--; return nil }
func (t fakeTx) Rollback(ctx context.Context) *durablewit.Error { t.s.txDepth--; return nil }

func (s *fakeState) BeginTransaction(ctx context.Context) (durablewit.Transaction, *durablewit.Error) {
	s.txDepth++
	return fakeTx{s}, nil
}

// fakeCursor has three rows: the parameters, the parameters again, and
// one null.
type fakeCursor struct{ rows [][]durablewit.SQLValue }

func (c *fakeCursor) ColumnNames(ctx context.Context) []string { return []string{"col"} }
func (c *fakeCursor) Next(ctx context.Context, maxRows uint32) [][]durablewit.SQLValue {
	n := min(int(maxRows), len(c.rows))
	out := c.rows[:n]
	c.rows = c.rows[n:]
	return out
}
func (c *fakeCursor) RowsRead(ctx context.Context) uint64    { return 3 }
func (c *fakeCursor) RowsWritten(ctx context.Context) uint64 { return 0 }

func (s *fakeState) SQLExec(ctx context.Context, query string, params []durablewit.SQLValue) (durablewit.Cursor, *durablewit.Error) {
	if query == "" {
		return nil, &durablewit.Error{Tag: durablewit.ErrorSQL, SQL: "SQL code did not contain a statement"}
	}
	s.query, s.params = query, params
	return &fakeCursor{rows: [][]durablewit.SQLValue{params, params, {{Tag: durablewit.SQLValueNull}}}}, nil
}

func (s *fakeState) DatabaseSize(ctx context.Context) (uint64, *durablewit.Error) { return 4096, nil }
func (s *fakeState) GetAlarm(ctx context.Context) (abi.Option[int64], *durablewit.Error) {
	return s.alarm, nil
}
func (s *fakeState) SetAlarm(ctx context.Context, t int64) *durablewit.Error {
	s.alarm = abi.Option[int64]{Some: true, Value: t}
	return nil
}
func (s *fakeState) DeleteAlarm(ctx context.Context) *durablewit.Error {
	s.alarm = abi.Option[int64]{}
	return nil
}
func (s *fakeState) BlockConcurrency(ctx context.Context) (durablewit.ConcurrencyBlock, *durablewit.Error) {
	return nil, derr(durablewit.ErrorInternal, "not in this test")
}
func (s *fakeState) Abort(ctx context.Context, reason string) { s.aborted = reason }

func (s *fakeState) AcceptWebSocketInMemory(ctx context.Context, out httpwit.ResponseOutparam) (durablewit.WebSocket, *durablewit.Error) {
	return s.AcceptWebSocket(ctx, out, nil)
}

var _ durablewit.StateHost = (*fakeState)(nil)

func (s *fakeState) AcceptWebSocket(ctx context.Context, out httpwit.ResponseOutparam, tags []string) (durablewit.WebSocket, *durablewit.Error) {
	o, ok := out.(*fakeOut)
	if !ok {
		return nil, derr(durablewit.ErrorInvalidArgument, fmt.Sprintf("out is a %T", out))
	}
	o.status = 101
	ws := &fakeSocket{key: uint64(len(s.sockets) + 7), tags: tags}
	s.sockets = append(s.sockets, ws)
	return ws, nil
}

func (s *fakeState) GetWebSockets(ctx context.Context, tag abi.Option[string]) []durablewit.WebSocket {
	return nil
}
func (s *fakeState) SetWebSocketAutoResponse(ctx context.Context, pair abi.Option[durablewit.AutoResponse]) *durablewit.Error {
	return nil
}
func (s *fakeState) GetWebSocketAutoResponse(ctx context.Context) abi.Option[durablewit.AutoResponse] {
	return abi.Option[durablewit.AutoResponse]{}
}
func (s *fakeState) SetHibernatableWebSocketEventTimeout(ctx context.Context, ms abi.Option[uint32]) *durablewit.Error {
	return nil
}
func (s *fakeState) GetHibernatableWebSocketEventTimeout(ctx context.Context) abi.Option[uint32] {
	return abi.Option[uint32]{}
}

// fakeSocket records what the guest sends and sets on it.
type fakeSocket struct {
	key        uint64
	tags       []string
	sent       []durablewit.Message
	attachment []byte
	closed     string
	drops      int
}

func (w *fakeSocket) AutoResponseTimestamp(ctx context.Context) abi.Option[int64] {
	return abi.Option[int64]{}
}
func (w *fakeSocket) Close(ctx context.Context, code abi.Option[uint16], reason string) *durablewit.Error {
	w.closed = fmt.Sprintf("%v %d %s", code.Some, code.Value, reason)
	return nil
}
func (w *fakeSocket) DeserializeAttachment(ctx context.Context) abi.Option[[]byte] {
	return abi.Option[[]byte]{Some: w.attachment != nil, Value: w.attachment}
}
func (w *fakeSocket) Key(ctx context.Context) uint64 { return w.key }
func (w *fakeSocket) Send(ctx context.Context, m durablewit.Message) *durablewit.Error {
	w.sent = append(w.sent, m)
	return nil
}
func (w *fakeSocket) SerializeAttachment(ctx context.Context, v []byte) *durablewit.Error {
	w.attachment = v
	return nil
}
func (w *fakeSocket) Tags(ctx context.Context) []string { return w.tags }
func (w *fakeSocket) Drop(ctx context.Context)          { w.drops++ }

// fakeOut is the fetch event's response-outparam.
type fakeOut struct {
	status uint16
	failed string
}

func (o *fakeOut) Fail(ctx context.Context, reason string) { o.failed = reason }
func (o *fakeOut) Send(ctx context.Context, status uint16, headers httpwit.Fields) (stream.OutputStream, *httpwit.Error) {
	return nil, &httpwit.Error{Tag: httpwit.ErrorClosed}
}
func (o *fakeOut) SendFull(ctx context.Context, status uint16, headers httpwit.Fields, body []byte) *httpwit.Error {
	o.status = status
	return nil
}

type emptyBody struct{}

func (emptyBody) Read(ctx context.Context, n uint32) ([]byte, *stream.StreamError) {
	return nil, &stream.StreamError{Tag: stream.StreamErrorClosed}
}

// fakeClient serves namespace COUNTER, whose stubs answer a call with
// the method and arguments, or throw for method "boom".
type fakeClient struct{}

type fakeNS struct{}
type fakeStub struct{ id string }

func (fakeClient) NamespaceOpen(ctx context.Context, name string) (durablewit.Namespace, *durablewit.Error) {
	if name != "COUNTER" {
		return nil, &durablewit.Error{Tag: durablewit.ErrorNoSuchNamespace, NoSuchNamespace: name}
	}
	return fakeNS{}, nil
}
func (fakeNS) Get(ctx context.Context, id string) (durablewit.Stub, *durablewit.Error) {
	return fakeStub{id}, nil
}
func (fakeNS) GetByName(ctx context.Context, name string) (durablewit.Stub, *durablewit.Error) {
	return fakeStub{strings.Repeat(name[:1], 64)}, nil
}
func (fakeNS) IDFromName(ctx context.Context, name string) (string, *durablewit.Error) {
	return strings.Repeat("a", 64), nil
}
func (fakeNS) IDFromString(ctx context.Context, id string) (string, *durablewit.Error) {
	return id, nil
}
func (fakeNS) NewUniqueID(ctx context.Context, j abi.Option[string]) (string, *durablewit.Error) {
	return strings.Repeat("f", 64), nil
}
func (s fakeStub) ID(ctx context.Context) string { return s.id }
func (s fakeStub) Call(ctx context.Context, method string, args []byte) ([]byte, *durablewit.Error) {
	if method == "boom" {
		return nil, &durablewit.Error{Tag: durablewit.ErrorThrown, Thrown: durablewit.Thrown{
			Name: "RangeError", Message: "boom", Value: abi.Option[[]byte]{Some: true, Value: []byte{0xd9, 0xd9, 0xf7, 0xf6}}}}
	}
	return []byte(method + "(" + string(args) + ")"), nil
}
func (s fakeStub) Fetch(ctx context.Context, req httpwit.Request, body durablewit.Body) (durablewit.Response, *durablewit.Error) {
	return durablewit.Response{}, derr(durablewit.ErrorInternal, "not in this test")
}

// objectGuest instantiates the test guest with the fakes and returns its
// exports and the context its calls run in.
func objectGuest(t *testing.T, st *fakeState) (*durablewit.ObjectExports, context.Context, *abi.Instance) {
	t.Helper()
	wasm, err := os.ReadFile(testutil.BuildGoGuest(t, "guest-sdk/go/internal/wit/durablewit/testdata/objectguest"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	modules := []struct {
		name   string
		define func(wazero.HostModuleBuilder, int)
		impl   any
	}{
		{stream.StreamsInterface, stream.DefineStreams, nil},
		{httpwit.TypesInterface, httpwit.DefineTypes, nil},
		{durablewit.ClientInterface, durablewit.DefineClient, fakeClient{}},
		{durablewit.StateInterface, durablewit.DefineState, st},
	}
	impls := make([]any, len(modules))
	for i, m := range modules {
		hb := r.NewHostModuleBuilder(m.name)
		m.define(hb, i)
		if _, err := hb.Instantiate(ctx); err != nil {
			t.Fatalf("define %s: %v", m.name, err)
		}
		impls[i] = m.impl
	}
	mod, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithStartFunctions("_initialize").WithStderr(os.Stderr))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := abi.NewInstance(mod, impls)
	if err != nil {
		t.Fatal(err)
	}
	x, err := durablewit.NewObjectExports(mod)
	if err != nil {
		t.Fatal(err)
	}
	return x, abi.WithInstance(ctx, inst), inst
}

var counter = durablewit.ObjectInfo{ClassName: "Counter", ID: strings.Repeat("0123456789abcdef", 4), Name: abi.Option[string]{Some: true, Value: "n"}}

func TestObjectGlue(t *testing.T) {
	st := &fakeState{kv: map[string][]byte{}}
	x, ctx, inst := objectGuest(t, st)

	info, err := x.Describe(ctx, inst)
	if err != nil || !slices.Equal(info.Classes, []string{"Counter", "Room"}) || !info.Reentrant {
		t.Errorf("describe = %+v, %v", info, err)
	}

	calls := []struct {
		method string
		args   []byte
		want   string
		thrown string // name: message, when the call throws
	}{
		{method: "store", args: []byte{0xd9, 0xd9, 0xf7, 0x82, 0x01, 0x00, 0xff}, want: "\xd9\xd9\xf7\x82\x01\x00\xff"},
		{method: "store", args: []byte{}, want: ""},
		{method: "sql", args: []byte("select ?"), want: "\x05\x00\x01\x02\x03\x04\x05\x00\x01\x02\x03\x04\x01\x00col"},
		{method: "sql", args: []byte(""), thrown: "HostError: "},
		{method: "stub", args: []byte("hello"), want: "hello(" + strings.Repeat("n", 64) + ")"},
		{method: "stub", args: []byte("boom"), thrown: "RangeError: boom"},
		{method: "nope", args: []byte{1, 2}, thrown: "TypeError: no method nope"},
	}
	for _, c := range calls {
		res, gerr, err := x.Call(ctx, inst, counter, c.method, c.args)
		if err != nil {
			t.Fatalf("call %s: %v", c.method, err)
		}
		switch {
		case c.thrown != "":
			if gerr == nil || !strings.HasPrefix(gerr.Name+": "+gerr.Message, c.thrown) {
				t.Errorf("call %s(%q) = %q, thrown %+v; want thrown %q", c.method, c.args, res, gerr, c.thrown)
			}
		case gerr != nil || string(res) != c.want:
			t.Errorf("call %s(%q) = %q, thrown %+v; want %q", c.method, c.args, res, gerr, c.want)
		}
	}
	if st.query != "select ?" || len(st.params) != 5 || st.params[1].Integer != -1<<63 || st.params[2].Real != 1.5 ||
		st.params[3].Text != "t" || !bytes.Equal(st.params[4].Blob, []byte{0, 255}) {
		t.Errorf("sql-exec got %q %+v", st.query, st.params)
	}
	// The thrown value of a stub call and of an unknown method came back
	// whole.
	_, gerr, _ := x.Call(ctx, inst, counter, "stub", []byte("boom"))
	if gerr == nil || !gerr.Value.Some || !bytes.Equal(gerr.Value.Value, []byte{0xd9, 0xd9, 0xf7, 0xf6}) {
		t.Errorf("thrown value %+v", gerr)
	}

	// alarm: a first attempt sets the alarm in a transaction; a retry
	// throws with its count.
	if gerr, err := x.Alarm(ctx, inst, counter, durablewit.AlarmInfo{}); err != nil || gerr != nil {
		t.Errorf("alarm: %+v, %v", gerr, err)
	}
	if !st.alarm.Some || st.alarm.Value != -1 || st.txDepth != 0 {
		t.Errorf("alarm %+v, transactions open %d", st.alarm, st.txDepth)
	}
	if gerr, _ := x.Alarm(ctx, inst, counter, durablewit.AlarmInfo{RetryCount: 3, IsRetry: true}); gerr == nil || gerr.Message != "retry 3" {
		t.Errorf("alarm retry: %+v", gerr)
	}

	// fetch accepts a socket through the event's own outparam.
	out := &fakeOut{}
	req := httpwit.Request{Method: "GET", URL: "http://do/room", Headers: httpwit.Fields{{F0: "upgrade", F1: []byte("websocket")}}}
	if err := x.Fetch(ctx, inst, counter, req, emptyBody{}, out); err != nil {
		t.Fatal(err)
	}
	if out.status != 101 || out.failed != "" || len(st.sockets) != 1 {
		t.Fatalf("fetch: status %d, failed %q, %d sockets", out.status, out.failed, len(st.sockets))
	}
	ws := st.sockets[0]
	if !slices.Equal(ws.tags, []string{"http://do/room", "GET"}) || len(ws.sent) != 1 || ws.sent[0].Text != "Counter" || ws.drops != 1 {
		t.Errorf("socket after fetch: %+v", ws)
	}

	// Socket events get the socket as a handle of their own.
	msgs := []struct {
		in     durablewit.Message
		want   durablewit.Message
		thrown string
	}{
		{in: durablewit.Message{Tag: durablewit.MessageText, Text: "hi"}, want: durablewit.Message{Tag: durablewit.MessageText, Text: "http://do/room:hi"}},
		{in: durablewit.Message{Tag: durablewit.MessageBinary, Binary: []byte{1, 2}}, want: durablewit.Message{Tag: durablewit.MessageBinary, Binary: []byte{7, 1, 2}}},
		{in: durablewit.Message{Tag: durablewit.MessageText, Text: "throw"}, thrown: "RangeError: asked to"},
	}
	for _, m := range msgs {
		gerr, err := x.WebSocketMessage(ctx, inst, counter, ws, m.in)
		if err != nil {
			t.Fatal(err)
		}
		if m.thrown != "" {
			if gerr == nil || gerr.Name+": "+gerr.Message != m.thrown {
				t.Errorf("message %+v: thrown %+v", m.in, gerr)
			}
			continue
		}
		last := ws.sent[len(ws.sent)-1]
		if gerr != nil || last.Tag != m.want.Tag || last.Text != m.want.Text || !bytes.Equal(last.Binary, m.want.Binary) {
			t.Errorf("message %+v: sent %+v, thrown %+v; want %+v", m.in, last, gerr, m.want)
		}
	}
	if !bytes.Equal(ws.attachment, []byte{1, 2}) {
		t.Errorf("attachment %v", ws.attachment)
	}
	if gerr, err := x.WebSocketClose(ctx, inst, counter, ws, 4001, "bye", true); err != nil || gerr != nil || ws.closed != "true 4001 bye" {
		t.Errorf("close: %+v, %v, closed %q", gerr, err, ws.closed)
	}
	if gerr, err := x.WebSocketError(ctx, inst, counter, ws, "reset by peer"); err != nil || gerr == nil || gerr.Message != "reset by peer" {
		t.Errorf("error event: %+v, %v", gerr, err)
	}
	if ws.drops != 6 {
		t.Errorf("the socket's handles were dropped %d times, want 6 (one per event)", ws.drops)
	}

	if err := x.Evict(ctx, inst, counter); err != nil || st.aborted != "evicted "+counter.ID {
		t.Errorf("evict: %v, aborted %q", err, st.aborted)
	}
	if err := inst.Poisoned(); err != nil {
		t.Fatalf("instance poisoned: %v", err)
	}
}
