//go:build wasip1

package durable

import (
	"errors"
	"fmt"
	"net/http"
	"time"
	"unsafe"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
	"github.com/bindery-run/bindery/guest-sdk/go/bindery/structured"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/bridge"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/cabi"
	"github.com/bindery-run/bindery/guest-sdk/go/internal/wit/durablewit"
)

// State is an object's context (Cloudflare's ctx): its id, its storage,
// and its web sockets. Every call acts on the object whose event is
// running, and only inside one of its events.
type State struct {
	// ID is the object's id (with its name, when it was reached by name).
	ID ID
	// Storage is the object's storage.
	Storage *Storage

	class   string
	sockets map[uint64]*WebSocket // by key
}

// BlockConcurrencyWhile runs fn while no other event of the object is
// delivered (blockConcurrencyWhile): use it in a constructor to load state
// before the first event runs. An error from fn resets the object, as
// Cloudflare does, and is returned.
func (s *State) BlockConcurrencyWhile(fn func() error) error {
	b, werr := durablewit.BlockConcurrency()
	if werr != nil {
		return errorOf(werr)
	}
	defer b.Drop()
	if err := fn(); err != nil {
		durablewit.Abort("blockConcurrencyWhile: " + err.Error())
		return err
	}
	return nil
}

// Abort resets the object (ctx.abort): its event ends as failed (the
// caller gets ErrObjectFailed), open transactions roll back, and its next
// event constructs it afresh. The handler should return after it.
func (s *State) Abort(reason string) { durablewit.Abort(reason) }

// Storage is an object's transactional storage: a key-value API whose
// values are any Go value in the structured-value encoding (an object of
// another language reads them), an alarm, and SQL for SQLite-backed
// classes. Each call is one transaction, durable when it returns. Calls
// made inside Transaction's function belong to the transaction.
type Storage struct{}

// Get decodes the value of key into v (a pointer) and reports whether the
// key exists.
func (s *Storage) Get(key string, v any) (bool, error) {
	vals, werr := durablewit.Get([]string{key})
	if werr != nil {
		return false, errorOf(werr)
	}
	if len(vals) == 0 || !vals[0].Some {
		return false, nil
	}
	if err := structured.Unmarshal(vals[0].Value, v); err != nil {
		return true, fmt.Errorf("durable: decoding the value of %q: %w", key, err)
	}
	return true, nil
}

// Value is a stored value, still encoded: Decode it into a Go value.
type Value []byte

// Decode decodes the value into v (a pointer).
func (v Value) Decode(into any) error { return structured.Unmarshal(v, into) }

// GetMultiple returns the values of up to 128 keys; missing keys are not
// in the map.
func (s *Storage) GetMultiple(keys []string) (map[string]Value, error) {
	vals, werr := durablewit.Get(keys)
	if werr != nil {
		return nil, errorOf(werr)
	}
	out := make(map[string]Value, len(vals))
	for i, v := range vals {
		if v.Some {
			out[keys[i]] = v.Value
		}
	}
	return out, nil
}

// Put stores v under key.
func (s *Storage) Put(key string, v any) error {
	return s.PutMultiple(map[string]any{key: v})
}

// PutMultiple stores up to 128 entries, all or none.
func (s *Storage) PutMultiple(entries map[string]any) error {
	es := make([]durablewit.Entry, 0, len(entries))
	for k, v := range entries {
		b, err := structured.Marshal(v)
		if err != nil {
			return fmt.Errorf("durable: encoding the value of %q: %w", k, err)
		}
		es = append(es, durablewit.Entry{Key: k, Value: b})
	}
	return errorOf(durablewit.Put(es))
}

// Delete deletes key and reports whether it existed.
func (s *Storage) Delete(key string) (bool, error) {
	n, err := s.DeleteMultiple([]string{key})
	return n > 0, err
}

// DeleteMultiple deletes up to 128 keys and returns how many existed.
func (s *Storage) DeleteMultiple(keys []string) (int, error) {
	n, werr := durablewit.Delete(keys)
	return int(n), errorOf(werr)
}

// ListOptions select what List returns, as Cloudflare's list options.
type ListOptions struct {
	Start      string // first key (inclusive); "" for none
	StartAfter string // list after this key (exclusive); not with Start
	End        string // stop before this key (exclusive); "" for none
	Prefix     string // only keys with this prefix
	Reverse    bool   // descending order
	Limit      int    // at most this many entries; 0 for all
}

// Entry is one key and its value.
type Entry struct {
	Key   string
	Value Value
}

// List returns the entries opts selects, in key order (UTF-8 bytes).
func (s *Storage) List(opts ListOptions) ([]Entry, error) {
	o := durablewit.ListOptions{
		Start:      cabi.Option[string]{Some: opts.Start != "", Value: opts.Start},
		StartAfter: cabi.Option[string]{Some: opts.StartAfter != "", Value: opts.StartAfter},
		End:        cabi.Option[string]{Some: opts.End != "", Value: opts.End},
		Prefix:     cabi.Option[string]{Some: opts.Prefix != "", Value: opts.Prefix},
		Reverse:    opts.Reverse,
	}
	if opts.Limit < 0 {
		return nil, &Error{ErrInvalidArgument, "durable: list limit must be positive"}
	}
	if opts.Limit > 0 {
		o.Limit = cabi.Option[uint32]{Some: true, Value: uint32(opts.Limit)}
	}
	es, werr := durablewit.List(o)
	if werr != nil {
		return nil, errorOf(werr)
	}
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = Entry{Key: e.Key, Value: e.Value}
	}
	return out, nil
}

// DeleteAll deletes every key (for a SQLite-backed class, every table).
func (s *Storage) DeleteAll() error { return errorOf(durablewit.DeleteAll()) }

// ErrRollback, returned by Transaction's function, rolls the transaction
// back; Transaction then returns nil (Cloudflare's txn.rollback()).
var ErrRollback = errors.New("durable: roll back")

// Transaction runs fn in a transaction: its storage calls (SQL included)
// commit together when fn returns nil and roll back when it returns an
// error, which Transaction returns (nil for ErrRollback). Transactions
// nest. While one is open the object's other events wait, and calls to
// other objects are refused.
func (s *Storage) Transaction(fn func(tx *Storage) error) error {
	t, werr := durablewit.BeginTransaction()
	if werr != nil {
		return errorOf(werr)
	}
	defer t.Drop()
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Rollback()
				panic(p)
			}
		}()
		err = fn(s)
	}()
	if err != nil {
		if werr := t.Rollback(); werr != nil {
			return errors.Join(err, errorOf(werr))
		}
		if errors.Is(err, ErrRollback) {
			return nil
		}
		return err
	}
	return errorOf(t.Commit())
}

// GetAlarm returns the time of the object's alarm, and false if none is
// set.
func (s *Storage) GetAlarm() (time.Time, bool, error) {
	v, werr := durablewit.GetAlarm()
	if werr != nil || !v.Some {
		return time.Time{}, false, errorOf(werr)
	}
	return time.UnixMilli(v.Value), true, nil
}

// SetAlarm sets the object's one alarm to t (to the millisecond),
// replacing any other; a time in the past runs it at once. The object's
// Alarm method runs then.
func (s *Storage) SetAlarm(t time.Time) error {
	return errorOf(durablewit.SetAlarm(t.UnixMilli()))
}

// DeleteAlarm deletes the alarm, if one is set.
func (s *Storage) DeleteAlarm() error { return errorOf(durablewit.DeleteAlarm()) }

// SQL returns the SQL API of a SQLite-backed class (ctx.storage.sql); its
// calls fail with ErrRefused on a KV-backed class.
func (s *Storage) SQL() *SQL { return &SQL{} }

// SQL runs SQL on the object's SQLite database.
type SQL struct{}

// The SQL values of a row have bindery.D1Value's layout (checked here).
var (
	_ [unsafe.Sizeof(bindery.D1Value{}) - unsafe.Sizeof(durablewit.SQLValue{})]struct{}
	_ [unsafe.Sizeof(durablewit.SQLValue{}) - unsafe.Sizeof(bindery.D1Value{})]struct{}
)

// Exec runs one or more statements separated by semicolons and returns
// the last one's rows; only the last may have parameters (args, bound as
// D1's Bind binds them). The statements before a failing one stay done.
func (q *SQL) Exec(query string, args ...any) (*Cursor, error) {
	ps, err := bridge.SQLParams(args)
	if err != nil {
		return nil, err
	}
	params := ps.([]bindery.D1Value)
	wp := unsafe.Slice((*durablewit.SQLValue)(unsafe.Pointer(unsafe.SliceData(params))), len(params))
	c, werr := durablewit.SQLExec(query, wp)
	if werr != nil {
		return nil, errorOf(werr)
	}
	return &Cursor{h: c, cols: c.ColumnNames()}, nil
}

// DatabaseSize returns the database's size in bytes (sql.databaseSize).
func (q *SQL) DatabaseSize() (int64, error) {
	n, werr := durablewit.DatabaseSize()
	return int64(n), errorOf(werr)
}

// Cursor reads the rows of Exec's last statement, in batches from the
// host. Close it (or read it to the end) to release it.
type Cursor struct {
	h     durablewit.Cursor
	cols  []string
	batch [][]bindery.D1Value
	row   []bindery.D1Value
	done  bool
}

// cursorBatch is how many rows one host call brings.
const cursorBatch = 256

// Columns returns the column names.
func (c *Cursor) Columns() []string { return c.cols }

// Next moves to the next row; false at the end.
func (c *Cursor) Next() bool {
	if len(c.batch) == 0 && !c.done {
		rows := c.h.Next(cursorBatch)
		if len(rows) == 0 {
			c.done = true
		}
		c.batch = unsafe.Slice((*[]bindery.D1Value)(unsafe.Pointer(unsafe.SliceData(rows))), len(rows))
	}
	if len(c.batch) == 0 {
		c.row = nil
		return false
	}
	c.row, c.batch = c.batch[0], c.batch[1:]
	return true
}

// Row returns the current row's values, one per column.
func (c *Cursor) Row() []bindery.D1Value { return c.row }

// ToArray reads the remaining rows as maps from column name to value
// (toArray); a repeated column name keeps its last value.
func (c *Cursor) ToArray() []map[string]any {
	var out []map[string]any
	for c.Next() {
		m := make(map[string]any, len(c.cols))
		for i, v := range c.row {
			m[c.cols[i]] = v.Any()
		}
		out = append(out, m)
	}
	return out
}

// One returns the only row; an error when there is none or more than one.
func (c *Cursor) One() ([]bindery.D1Value, error) {
	if !c.Next() {
		return nil, &Error{ErrSQL, "Expected exactly one result from SQL query, but got no results."}
	}
	row := c.row
	if c.Next() {
		return nil, &Error{ErrSQL, "Expected exactly one result from SQL query, but got multiple results."}
	}
	return row, nil
}

// RowsRead returns the rows the statements read.
func (c *Cursor) RowsRead() int64 { return int64(c.h.RowsRead()) }

// RowsWritten returns the rows the statements wrote.
func (c *Cursor) RowsWritten() int64 { return int64(c.h.RowsWritten()) }

// Close releases the cursor.
func (c *Cursor) Close() { c.h.Drop() }

// Message is a web socket message: text, or binary when Binary is set.
type Message struct {
	Binary bool
	Data   []byte
}

// Text returns the message's text.
func (m Message) Text() string { return string(m.Data) }

// WebSocket is a hibernatable web socket the object accepted: it stays
// open while the object is evicted, and its messages wake the object.
// The same socket is the same *WebSocket in every event while the object
// stays in memory.
type WebSocket struct {
	h      durablewit.WebSocket
	key    uint64
	closed bool
}

// socket returns the object's *WebSocket for handle h (the one it has for
// the same socket, with h as its handle now).
func (s *State) socket(h durablewit.WebSocket) *WebSocket {
	key := h.Key()
	if ws := s.sockets[key]; ws != nil {
		if ws.h != h {
			ws.h.Drop()
			ws.h = h
		}
		return ws
	}
	ws := &WebSocket{h: h, key: key}
	s.sockets[key] = ws
	return ws
}

// AcceptWebSocket accepts the web socket that the fetch event's request
// asks for (acceptWebSocket): the client gets 101 Switching Protocols,
// and the handler must not write a response of its own. w is the
// handler's ResponseWriter; tags (at most 10) select the socket in
// GetWebSockets.
func (s *State) AcceptWebSocket(w http.ResponseWriter, tags ...string) (*WebSocket, error) {
	out, ok := bridge.TakeOutparam(w, false)
	if !ok {
		return nil, &Error{ErrInvalidArgument, "durable: AcceptWebSocket needs the fetch handler's ResponseWriter before anything was written to it"}
	}
	if tags == nil {
		tags = []string{}
	}
	h, werr := durablewit.AcceptWebSocket(out, tags)
	if werr != nil {
		return nil, errorOf(werr)
	}
	return s.socket(h), nil
}

// AcceptWebSocketInMemory accepts the fetch event's web socket without
// hibernation (Cloudflare's plain accept()): the object stays in memory
// while the socket is open, so what it keeps in its fields lives as long
// as the connection. Its events arrive as a hibernatable socket's.
func (s *State) AcceptWebSocketInMemory(w http.ResponseWriter) (*WebSocket, error) {
	out, ok := bridge.TakeOutparam(w, false)
	if !ok {
		return nil, &Error{ErrInvalidArgument, "durable: AcceptWebSocketInMemory needs the fetch handler's ResponseWriter before anything was written to it"}
	}
	h, werr := durablewit.AcceptWebSocketInMemory(out)
	if werr != nil {
		return nil, errorOf(werr)
	}
	return s.socket(h), nil
}

// GetWebSockets returns the object's open web sockets, those tagged tag
// when tag is not "", in the order they were accepted.
func (s *State) GetWebSockets(tag string) []*WebSocket {
	hs := durablewit.GetWebSockets(cabi.Option[string]{Some: tag != "", Value: tag})
	out := make([]*WebSocket, len(hs))
	for i, h := range hs {
		out[i] = s.socket(h)
	}
	return out
}

// SetWebSocketAutoResponse makes the host answer request with response on
// every socket of the object without waking it; "" and "" clears it.
func (s *State) SetWebSocketAutoResponse(request, response string) error {
	p := cabi.Option[durablewit.AutoResponse]{Some: request != "" || response != "", Value: durablewit.AutoResponse{Request: request, Response: response}}
	return errorOf(durablewit.SetWebSocketAutoResponse(p))
}

// SetHibernatableWebSocketEventTimeout bounds how long a web socket event
// may run (at most 7 days); 0 for no bound.
func (s *State) SetHibernatableWebSocketEventTimeout(d time.Duration) error {
	ms := cabi.Option[uint32]{Some: d > 0, Value: uint32(d.Milliseconds())}
	return errorOf(durablewit.SetHibernatableWebSocketEventTimeout(ms))
}

// Send sends a text message.
func (ws *WebSocket) Send(text string) error {
	return errorOf(ws.h.Send(durablewit.Message{Tag: durablewit.MessageText, Text: text}))
}

// SendBinary sends a binary message.
func (ws *WebSocket) SendBinary(b []byte) error {
	return errorOf(ws.h.Send(durablewit.Message{Tag: durablewit.MessageBinary, Binary: b}))
}

// Close closes the socket with code (1000, or 3000 to 4999; 0 for none)
// and reason.
func (ws *WebSocket) Close(code int, reason string) error {
	c := cabi.Option[uint16]{Some: code != 0, Value: uint16(code)}
	return errorOf(ws.h.Close(c, reason))
}

// Tags returns the tags it was accepted with.
func (ws *WebSocket) Tags() []string { return ws.h.Tags() }

// SerializeAttachment keeps v (at most 16 KiB encoded) with the socket
// across hibernation.
func (ws *WebSocket) SerializeAttachment(v any) error {
	b, err := structured.Marshal(v)
	if err != nil {
		return fmt.Errorf("durable: encoding the attachment: %w", err)
	}
	return errorOf(ws.h.SerializeAttachment(b))
}

// DeserializeAttachment decodes what SerializeAttachment kept into v and
// reports whether there was anything.
func (ws *WebSocket) DeserializeAttachment(v any) (bool, error) {
	b := ws.h.DeserializeAttachment()
	if !b.Some {
		return false, nil
	}
	return true, structured.Unmarshal(b.Value, v)
}
