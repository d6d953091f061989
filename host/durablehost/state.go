package durablehost

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bindery-run/bindery/abi"
	"github.com/bindery-run/bindery/bindings/d1"
	"github.com/bindery-run/bindery/bindings/durable/objects"
	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/host/internal/durablewit"
	"github.com/bindery-run/bindery/host/internal/httpwit"
	"github.com/ncruces/go-sqlite3"
)

// blockTimeout is how long a blockConcurrencyWhile section may last:
// past it Cloudflare resets the object.
const blockTimeout = 30 * time.Second

// eventState is what the host keeps for one event in progress: the
// object, its open transactions and blocks.
type eventState struct {
	h       *Host
	obj     *objects.Object
	txs     []*txSession // open transactions, outermost first
	blocks  []*block
	aborted string // the reason abort gave, if it was called
	// cancel ends the event (and so stops its instance): a
	// blockConcurrencyWhile section that outlived its bound.
	cancel context.CancelCauseFunc
	// A fetch event's: the event, and the client connection its request
	// came on, for a web socket the object accepts (or passes on).
	fetch  *fetchEvent
	client *clientConn
}

type eventKey struct{}

func withEvent(ctx context.Context, st *eventState) context.Context {
	return context.WithValue(ctx, eventKey{}, st)
}

// eventOf returns the event ctx belongs to, or nil outside an event.
func eventOf(ctx context.Context) *eventState {
	st, _ := ctx.Value(eventKey{}).(*eventState)
	return st
}

// end rolls back the transactions the event left open and releases its
// blocks.
func (st *eventState) end(ctx context.Context) {
	for i := len(st.txs) - 1; i >= 0; i-- {
		st.txs[i].finish(storage.ErrRollback)
	}
	st.txs = nil
	for _, b := range st.blocks {
		b.end()
	}
	st.blocks = nil
}

// ops returns what a storage call uses: the innermost open transaction,
// or the object's storage.
func (st *eventState) ops(ctx context.Context) (storage.Ops, *durablewit.Error) {
	if n := len(st.txs); n > 0 {
		return st.txs[n-1], nil
	}
	s, err := st.obj.Storage()
	if err != nil {
		return nil, errorOf(err)
	}
	return s, nil
}

// State is the state binding (bindery:durable/state): every call acts on
// the object whose event is running.
type State struct{ h *Host }

// WIT returns the interface the binding serves.
func (s *State) WIT() abi.Interface { return StateWIT() }

// StateWIT returns the host side of bindery:durable/state, denying every
// call (a Worker without Durable Objects).
func StateWIT() abi.Interface {
	return abi.Interface{Name: durablewit.StateInterface, Define: durablewit.DefineState, Deny: &State{}}
}

var _ durablewit.StateHost = (*State)(nil)

// event returns the event of ctx, or the refused error.
func (s *State) event(ctx context.Context) (*eventState, *durablewit.Error) {
	st := eventOf(ctx)
	if st == nil || s.h == nil || st.h != s.h {
		return nil, refused("Durable Object state is reachable only inside one of the object's events")
	}
	return st, nil
}

// ops returns what a storage call of the event in ctx uses, or the
// refused error outside an event.
func (s *State) ops(ctx context.Context) (storage.Ops, *durablewit.Error) {
	st, e := s.event(ctx)
	if e != nil {
		return nil, e
	}
	return st.ops(ctx)
}

// Get returns the values of keys.
func (s *State) Get(ctx context.Context, keys []string) ([]abi.Option[[]byte], *durablewit.Error) {
	ops, e := s.ops(ctx)
	if e != nil {
		return nil, e
	}
	got, err := ops.Get(ctx, keys)
	if err != nil {
		return nil, errorOf(err)
	}
	byKey := make(map[string][]byte, len(got))
	for _, en := range got {
		byKey[en.Key] = en.Value
	}
	out := make([]abi.Option[[]byte], len(keys))
	for i, k := range keys {
		if v, ok := byKey[k]; ok {
			out[i] = abi.Option[[]byte]{Some: true, Value: v}
		}
	}
	return out, nil
}

// Put stores entries.
func (s *State) Put(ctx context.Context, entries []durablewit.Entry) *durablewit.Error {
	ops, e := s.ops(ctx)
	if e != nil {
		return e
	}
	in := make([]storage.Entry, len(entries))
	for i, en := range entries {
		in[i] = storage.Entry{Key: en.Key, Value: en.Value}
	}
	return errorOf(ops.Put(ctx, in))
}

// Delete deletes keys.
func (s *State) Delete(ctx context.Context, keys []string) (uint32, *durablewit.Error) {
	ops, e := s.ops(ctx)
	if e != nil {
		return 0, e
	}
	n, err := ops.Delete(ctx, keys)
	return uint32(n), errorOf(err)
}

// List lists entries.
func (s *State) List(ctx context.Context, o durablewit.ListOptions) ([]durablewit.Entry, *durablewit.Error) {
	ops, e := s.ops(ctx)
	if e != nil {
		return nil, e
	}
	lo := storage.ListOptions{Reverse: o.Reverse}
	if o.Start.Some {
		lo.Start = &o.Start.Value
	}
	if o.StartAfter.Some {
		lo.StartAfter = &o.StartAfter.Value
	}
	if o.End.Some {
		lo.End = &o.End.Value
	}
	if o.Prefix.Some {
		lo.Prefix = o.Prefix.Value
	}
	if o.Limit.Some {
		if o.Limit.Value == 0 {
			return nil, errorOf(storage.ErrBadLimit)
		}
		lo.Limit = int(o.Limit.Value)
	}
	got, err := ops.List(ctx, lo)
	if err != nil {
		return nil, errorOf(err)
	}
	out := make([]durablewit.Entry, len(got))
	for i, en := range got {
		out[i] = durablewit.Entry{Key: en.Key, Value: en.Value}
	}
	return out, nil
}

// DeleteAll deletes every key (and every table of a SQLite-backed
// object).
func (s *State) DeleteAll(ctx context.Context) *durablewit.Error {
	st, e := s.event(ctx)
	if e != nil {
		return e
	}
	if len(st.txs) > 0 {
		return refused("deleteAll cannot run inside a transaction")
	}
	store, err := st.obj.Storage()
	if err != nil {
		return errorOf(err)
	}
	if _, err = store.DeleteAll(ctx); err != nil {
		return errorOf(err)
	}
	if a := s.h.cfg.Alarms; a != nil {
		return errorOf(a.Delete(ctx, s.h.storageOf(st.obj.Class()), st.obj.ID().String()))
	}
	return nil
}

// BeginTransaction begins a transaction, or a savepoint inside one.
func (s *State) BeginTransaction(ctx context.Context) (durablewit.Transaction, *durablewit.Error) {
	st, e := s.event(ctx)
	if e != nil {
		return nil, e
	}
	var t *txSession
	if n := len(st.txs); n > 0 {
		t = st.txs[n-1].begin(ctx)
	} else {
		store, err := st.obj.Storage()
		if err != nil {
			return nil, errorOf(err)
		}
		t = beginTx(ctx, store)
	}
	if err := t.started(); err != nil {
		return nil, errorOf(err)
	}
	t.st = st
	st.txs = append(st.txs, t)
	return t, nil
}

// sqlOps returns the SQL API for a call: the innermost transaction's or
// the object's, refused for a KV-backed class.
func (st *eventState) sqlOps(ctx context.Context) (storage.SQL, *durablewit.Error) {
	if c, ok := st.h.cfg.Classes[st.obj.Class()]; !ok || !c.SQLite {
		return nil, refused(fmt.Sprintf("sql is only available on SQLite-backed Durable Object classes; %s is KV-backed (create it with new_sqlite_classes)", st.obj.Class()))
	}
	ops, e := st.ops(ctx)
	if e != nil {
		return nil, e
	}
	q, ok := ops.(storage.SQL)
	if !ok {
		return nil, refused("this object's storage has no SQL")
	}
	return q, nil
}

// SQLExec runs SQL statements.
func (s *State) SQLExec(ctx context.Context, query string, params []durablewit.SQLValue) (durablewit.Cursor, *durablewit.Error) {
	st, e := s.event(ctx)
	if e != nil {
		return nil, e
	}
	q, e := st.sqlOps(ctx)
	if e != nil {
		return nil, e
	}
	vals := make([]storage.Value, len(params))
	for i, p := range params {
		switch p.Tag {
		case durablewit.SQLValueInteger:
			vals[i] = d1.Int(p.Integer)
		case durablewit.SQLValueReal:
			vals[i] = d1.Real(p.Real)
		case durablewit.SQLValueText:
			vals[i] = d1.Text(p.Text)
		case durablewit.SQLValueBlob:
			vals[i] = d1.Blob(p.Blob)
		}
	}
	c, err := q.Exec(ctx, query, vals...)
	if err != nil {
		return nil, errorOf(err)
	}
	return &cursor{c: c}, nil
}

// DatabaseSize returns the database's size.
func (s *State) DatabaseSize(ctx context.Context) (uint64, *durablewit.Error) {
	st, e := s.event(ctx)
	if e != nil {
		return 0, e
	}
	q, e := st.sqlOps(ctx)
	if e != nil {
		return 0, e
	}
	n, err := q.DatabaseSize(ctx)
	return uint64(n), errorOf(err)
}

// isSQLError reports an error SQLite raised for a statement.
func isSQLError(err error) bool {
	var se *sqlite3.Error
	return errors.As(err, &se) || errors.Is(err, storage.ErrParameters) || errors.Is(err, storage.ErrEmptyStatement)
}

// cursor is a SQL result, paged to the guest.
type cursor struct {
	c    *storage.Cursor
	next int
}

func (c *cursor) ColumnNames(ctx context.Context) []string { return c.c.Columns }

func (c *cursor) Next(ctx context.Context, maxRows uint32) [][]durablewit.SQLValue {
	n := min(int(max(maxRows, 1)), len(c.c.Rows)-c.next)
	out := make([][]durablewit.SQLValue, n)
	for i := range n {
		row := c.c.Rows[c.next+i]
		vs := make([]durablewit.SQLValue, len(row))
		for j, v := range row {
			vs[j] = sqlValue(v)
		}
		out[i] = vs
	}
	c.next += n
	return out
}

func sqlValue(v storage.Value) durablewit.SQLValue {
	switch v.Kind {
	case d1.KindInteger:
		return durablewit.SQLValue{Tag: durablewit.SQLValueInteger, Integer: v.Int}
	case d1.KindReal:
		return durablewit.SQLValue{Tag: durablewit.SQLValueReal, Real: v.Float}
	case d1.KindText:
		return durablewit.SQLValue{Tag: durablewit.SQLValueText, Text: v.Text}
	case d1.KindBlob:
		return durablewit.SQLValue{Tag: durablewit.SQLValueBlob, Blob: v.Blob}
	}
	return durablewit.SQLValue{}
}

func (c *cursor) RowsRead(ctx context.Context) uint64    { return uint64(c.c.RowsRead) }
func (c *cursor) RowsWritten(ctx context.Context) uint64 { return uint64(c.c.RowsWritten) }

// pendingAlarm returns the alarm change made in the event's open
// transactions, innermost first, if any.
func (st *eventState) pendingAlarm() *alarmOp {
	for i := len(st.txs) - 1; i >= 0; i-- {
		if a := st.txs[i].alarm; a != nil {
			return a
		}
	}
	return nil
}

// applyAlarm makes a change of the object's alarm.
func (h *Host) applyAlarm(ctx context.Context, st *eventState, op *alarmOp) *durablewit.Error {
	a := h.cfg.Alarms
	class, id := h.storageOf(st.obj.Class()), st.obj.ID().String()
	if op.at == nil {
		return errorOf(a.Delete(ctx, class, id))
	}
	return errorOf(a.Set(ctx, class, id, *op.at))
}

// GetAlarm returns the object's alarm: as a transaction in progress left
// it, or as stored.
func (s *State) GetAlarm(ctx context.Context) (abi.Option[int64], *durablewit.Error) {
	st, e := s.event(ctx)
	if e != nil {
		return abi.Option[int64]{}, e
	}
	a := s.h.cfg.Alarms
	if a == nil {
		return abi.Option[int64]{}, nil
	}
	if op := st.pendingAlarm(); op != nil {
		if op.at == nil {
			return abi.Option[int64]{}, nil
		}
		return abi.Option[int64]{Some: true, Value: op.at.UnixMilli()}, nil
	}
	t, ok, err := a.Get(ctx, s.h.storageOf(st.obj.Class()), st.obj.ID().String())
	if err != nil || !ok {
		return abi.Option[int64]{}, errorOf(err)
	}
	return abi.Option[int64]{Some: true, Value: t.UnixMilli()}, nil
}

// setAlarm sets or deletes the alarm: at once, or, inside a
// transaction, when the transaction commits.
func (s *State) setAlarm(ctx context.Context, at *time.Time) *durablewit.Error {
	st, e := s.event(ctx)
	if e != nil {
		return e
	}
	if s.h.cfg.Alarms == nil {
		if at == nil {
			return nil
		}
		return refused("this host keeps no alarms")
	}
	op := &alarmOp{at: at}
	if n := len(st.txs); n > 0 {
		st.txs[n-1].alarm = op
		return nil
	}
	return s.h.applyAlarm(ctx, st, op)
}

// SetAlarm sets the object's alarm.
func (s *State) SetAlarm(ctx context.Context, scheduledTime int64) *durablewit.Error {
	t := time.UnixMilli(scheduledTime)
	return s.setAlarm(ctx, &t)
}

// DeleteAlarm deletes the object's alarm.
func (s *State) DeleteAlarm(ctx context.Context) *durablewit.Error { return s.setAlarm(ctx, nil) }

// block is a blockConcurrencyWhile section.
type block struct {
	release func()
	until   time.Time
	h       *Host
	timer   interface{ Stop() bool }
}

// errBlockTimeout ends an event whose blockConcurrencyWhile section
// outlived blockTimeout: Cloudflare resets the object then.
var errBlockTimeout = fmt.Errorf("blockConcurrencyWhile did not finish within %v: the object is reset", blockTimeout)

func (b *block) RemainingMs(ctx context.Context) uint32 {
	d := b.until.Sub(b.h.clk.Now())
	if d < 0 {
		return 0
	}
	return uint32(d.Milliseconds())
}

// Drop ends the section.
func (b *block) Drop(ctx context.Context) { b.end() }

// end releases the section and its timer.
func (b *block) end() {
	b.timer.Stop()
	b.release()
}

// BlockConcurrency starts a blockConcurrencyWhile section.
func (s *State) BlockConcurrency(ctx context.Context) (durablewit.ConcurrencyBlock, *durablewit.Error) {
	st, e := s.event(ctx)
	if e != nil {
		return nil, e
	}
	release, err := s.h.mgr.BlockConcurrency(ctx)
	if err != nil {
		return nil, errorOf(err)
	}
	b := &block{release: release, until: s.h.clk.Now().Add(blockTimeout), h: s.h}
	cancel := st.cancel
	b.timer = s.h.clk.AfterFunc(blockTimeout, func() { cancel(errBlockTimeout) })
	st.blocks = append(st.blocks, b)
	return b, nil
}

// Abort resets the object when its event ends.
func (s *State) Abort(ctx context.Context, reason string) {
	st, e := s.event(ctx)
	if e != nil {
		return
	}
	if reason == "" {
		reason = "(no reason given)"
	}
	st.aborted = reason
}

// AcceptWebSocket accepts the fetch event's web socket.
func (s *State) AcceptWebSocket(ctx context.Context, out httpwit.ResponseOutparam, tags []string) (durablewit.WebSocket, *durablewit.Error) {
	st, e := s.event(ctx)
	if e != nil {
		return nil, e
	}
	return s.h.acceptWebSocket(ctx, st, out, tags, false)
}

// AcceptWebSocketInMemory accepts the fetch event's web socket without
// hibernation: the object stays in memory while it is open.
func (s *State) AcceptWebSocketInMemory(ctx context.Context, out httpwit.ResponseOutparam) (durablewit.WebSocket, *durablewit.Error) {
	st, e := s.event(ctx)
	if e != nil {
		return nil, e
	}
	return s.h.acceptWebSocket(ctx, st, out, []string{}, true)
}

// GetWebSockets lists the object's sockets.
func (s *State) GetWebSockets(ctx context.Context, tag abi.Option[string]) []durablewit.WebSocket {
	st, e := s.event(ctx)
	if e != nil {
		return nil
	}
	return s.h.webSockets(st, tag)
}

// SetWebSocketAutoResponse sets the auto-response pair.
func (s *State) SetWebSocketAutoResponse(ctx context.Context, pair abi.Option[durablewit.AutoResponse]) *durablewit.Error {
	st, e := s.event(ctx)
	if e != nil {
		return e
	}
	return s.h.setAutoResponse(st, pair)
}

// GetWebSocketAutoResponse returns the auto-response pair.
func (s *State) GetWebSocketAutoResponse(ctx context.Context) abi.Option[durablewit.AutoResponse] {
	st, e := s.event(ctx)
	if e != nil {
		return abi.Option[durablewit.AutoResponse]{}
	}
	return s.h.autoResponse(st)
}

// SetHibernatableWebSocketEventTimeout sets the socket event timeout.
func (s *State) SetHibernatableWebSocketEventTimeout(ctx context.Context, timeoutMs abi.Option[uint32]) *durablewit.Error {
	st, e := s.event(ctx)
	if e != nil {
		return e
	}
	return s.h.setEventTimeout(st, timeoutMs)
}

// GetHibernatableWebSocketEventTimeout returns the socket event timeout.
func (s *State) GetHibernatableWebSocketEventTimeout(ctx context.Context) abi.Option[uint32] {
	st, e := s.event(ctx)
	if e != nil {
		return abi.Option[uint32]{}
	}
	return s.h.eventTimeout(st)
}
