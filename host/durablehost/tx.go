package durablehost

import (
	"context"
	"errors"
	"time"

	"github.com/bindery-run/bindery/bindings/durable/storage"
	"github.com/bindery-run/bindery/host/internal/durablewit"
)

// txSession is a transaction the guest opened with begin-transaction and
// ends with commit or rollback, across host calls. The storage's
// Transaction takes a closure, so the session runs it on a goroutine of
// its own that takes the guest's calls one at a time until the end; a
// nested transaction runs its closure on the same goroutine, inside the
// enclosing one's (storage.Tx.Transaction), so the goroutine serves the
// innermost open session. A call waits for its result: the guest's
// event stays one at a time.
type txSession struct {
	st     *eventState
	ops    chan func(tx storage.Tx)
	end    chan error // nil commits, storage.ErrRollback rolls back
	done   chan error // Transaction's result
	start  chan error // nil once the closure runs, or why it could not
	closed bool
	// alarm is a setAlarm or deleteAlarm made inside the transaction:
	// it takes effect when the outermost transaction commits.
	alarm *alarmOp
}

// alarmOp is a pending change of the object's alarm: a set, or a delete
// (at nil).
type alarmOp struct{ at *time.Time }

func newSession() *txSession {
	return &txSession{ops: make(chan func(storage.Tx)), end: make(chan error), done: make(chan error, 1), start: make(chan error, 1)}
}

// serve is a session's closure: it runs the calls sent to it until the
// end.
func (t *txSession) serve(tx storage.Tx) error {
	t.start <- nil
	for {
		select {
		case op := <-t.ops:
			op(tx)
		case err := <-t.end:
			return err
		}
	}
}

// beginTx begins an outermost transaction on s.
func beginTx(ctx context.Context, s storage.Storage) *txSession {
	t := newSession()
	go func() {
		err := s.Transaction(context.WithoutCancel(ctx), t.serve)
		t.start <- err // the closure never ran, if it failed to begin
		t.done <- err
	}()
	return t
}

// begin begins a transaction nested in t.
func (t *txSession) begin(ctx context.Context) *txSession {
	n := newSession()
	if t.closed {
		n.start <- storage.ErrTxDone
		return n
	}
	t.ops <- func(tx storage.Tx) {
		err := tx.Transaction(context.WithoutCancel(ctx), n.serve)
		n.start <- err
		n.done <- err
	}
	return n
}

// started waits until the session's closure runs, or reports why it
// could not begin.
func (t *txSession) started() error {
	if err := <-t.start; err != nil {
		t.closed = true
		return err
	}
	return nil
}

// do runs fn inside the transaction.
func (t *txSession) do(fn func(tx storage.Tx) error) error {
	if t.closed {
		return storage.ErrTxDone
	}
	res := make(chan error, 1)
	t.ops <- func(tx storage.Tx) { res <- fn(tx) }
	return <-res
}

// finish ends the session with commit (nil) or rollback
// (storage.ErrRollback) and returns the transaction's error.
func (t *txSession) finish(how error) error {
	if t.closed {
		return storage.ErrTxDone
	}
	t.closed = true
	t.end <- how
	return <-t.done
}

// Get implements storage.Ops inside the transaction.
func (t *txSession) Get(ctx context.Context, keys []string) (out []storage.Entry, err error) {
	err = t.do(func(tx storage.Tx) (e error) { out, e = tx.Get(ctx, keys); return })
	return
}

// Put implements storage.Ops inside the transaction.
func (t *txSession) Put(ctx context.Context, entries []storage.Entry) error {
	return t.do(func(tx storage.Tx) error { return tx.Put(ctx, entries) })
}

// Delete implements storage.Ops inside the transaction.
func (t *txSession) Delete(ctx context.Context, keys []string) (n int, err error) {
	err = t.do(func(tx storage.Tx) (e error) { n, e = tx.Delete(ctx, keys); return })
	return
}

// List implements storage.Ops inside the transaction.
func (t *txSession) List(ctx context.Context, o storage.ListOptions) (out []storage.Entry, err error) {
	err = t.do(func(tx storage.Tx) (e error) { out, e = tx.List(ctx, o); return })
	return
}

// Exec implements storage.SQL inside the transaction of a SQLite-backed
// object.
func (t *txSession) Exec(ctx context.Context, query string, params ...storage.Value) (c *storage.Cursor, err error) {
	err = t.do(func(tx storage.Tx) error {
		q, ok := tx.(storage.SQL)
		if !ok {
			return errNoSQL
		}
		var e error
		c, e = q.Exec(ctx, query, params...)
		return e
	})
	return
}

// DatabaseSize implements storage.SQL inside the transaction.
func (t *txSession) DatabaseSize(ctx context.Context) (n int64, err error) {
	err = t.do(func(tx storage.Tx) error {
		q, ok := tx.(storage.SQL)
		if !ok {
			return errNoSQL
		}
		var e error
		n, e = q.DatabaseSize(ctx)
		return e
	})
	return
}

var errNoSQL = errors.New("this object's storage has no SQL")

// Commit commits the transaction (the guest's transaction.commit).
func (t *txSession) Commit(ctx context.Context) *durablewit.Error {
	return t.close(nil)
}

// Rollback rolls it back.
func (t *txSession) Rollback(ctx context.Context) *durablewit.Error {
	return t.close(storage.ErrRollback)
}

// Drop rolls back a transaction the guest dropped without ending it.
func (t *txSession) Drop(ctx context.Context) {
	if !t.closed {
		t.close(storage.ErrRollback)
	}
}

// close ends the session, which must be the event's innermost open one
// (rolling back an outer one rolls back those inside it first).
func (t *txSession) close(how error) *durablewit.Error {
	st := t.st
	if t.closed || st == nil {
		return &durablewit.Error{Tag: durablewit.ErrorTransaction, Transaction: "the transaction has ended already"}
	}
	i := len(st.txs) - 1
	for i >= 0 && st.txs[i] != t {
		i--
	}
	if i < 0 {
		return &durablewit.Error{Tag: durablewit.ErrorTransaction, Transaction: "the transaction belongs to another event"}
	}
	if i != len(st.txs)-1 {
		if how == nil {
			return &durablewit.Error{Tag: durablewit.ErrorTransaction, Transaction: "cannot commit while a transaction begun inside it is open"}
		}
		for j := len(st.txs) - 1; j > i; j-- {
			st.txs[j].finish(storage.ErrRollback)
		}
	}
	st.txs = st.txs[:i]
	if err := t.finish(how); err != nil {
		return errorOf(err)
	}
	if how != nil || t.alarm == nil {
		return nil
	}
	if i > 0 { // a savepoint: its alarm change joins the enclosing transaction
		st.txs[i-1].alarm = t.alarm
		return nil
	}
	return st.h.applyAlarm(context.Background(), st, t.alarm)
}
