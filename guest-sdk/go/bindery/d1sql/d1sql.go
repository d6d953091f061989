//go:build wasip1

package d1sql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"

	"github.com/bindery-run/bindery/guest-sdk/go/bindery"
)

// ErrNoTransactions is returned by BeginTx: D1 has no interactive
// transactions. Run statements that must take effect together as one
// atomic batch with bindery.D1Database.Batch.
var ErrNoTransactions = errors.New("d1: D1 has no interactive transactions; run the statements as one atomic batch (bindery.D1(name) then Batch)")

func init() {
	sql.Register("d1", Driver{})
}

// Driver is the "d1" driver; the data source name is a D1 binding name.
type Driver struct{}

// Open opens the D1 binding name.
func (Driver) Open(name string) (driver.Conn, error) {
	c, err := Driver{}.OpenConnector(name)
	if err != nil {
		return nil, err
	}
	return c.Connect(context.Background())
}

// OpenConnector returns a connector for the D1 binding name; the binding
// is opened on the first connection (so that sql.Open never fails for a
// name that is not granted, as database/sql documents).
func (Driver) OpenConnector(name string) (driver.Connector, error) {
	return connector{name: name}, nil
}

type connector struct{ name string }

// Connect opens the binding (the SDK caches its handle).
func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	db, err := bindery.D1(c.name)
	if err != nil {
		return nil, err
	}
	return &conn{db: db}, nil
}

// Driver returns the "d1" driver.
func (connector) Driver() driver.Driver { return Driver{} }

// conn is one database/sql connection: every connection of a pool shares
// the binding's handle, which holds no per-connection state.
type conn struct{ db *bindery.D1Database }

var (
	_ driver.Conn               = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.NamedValueChecker  = (*conn)(nil)
	_ driver.StmtExecContext    = (*stmt)(nil)
	_ driver.StmtQueryContext   = (*stmt)(nil)
)

// Prepare returns a statement; D1 checks it when it runs.
func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return &stmt{c: c, query: query}, nil
}

// PrepareContext is Prepare.
func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Prepare(query)
}

// Close does nothing: the binding's handle lives as long as the instance.
func (c *conn) Close() error { return nil }

// Begin fails: see BeginTx.
func (c *conn) Begin() (driver.Tx, error) { return nil, ErrNoTransactions }

// BeginTx fails with ErrNoTransactions: D1 has no interactive
// transactions; D1Database.Batch is the atomic alternative.
func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return nil, ErrNoTransactions
}

// CheckNamedValue accepts the types D1 stores (see the package comment).
func (c *conn) CheckNamedValue(nv *driver.NamedValue) error { return checkNamedValue(nv) }

// ExecContext runs query with args and returns its meta as a Result.
func (c *conn) ExecContext(ctx context.Context, query string, nvs []driver.NamedValue) (driver.Result, error) {
	r, err := c.run(ctx, query, nvs)
	if err != nil {
		return nil, err
	}
	return result(r.Meta), nil
}

// QueryContext runs query with args and returns its rows.
func (c *conn) QueryContext(ctx context.Context, query string, nvs []driver.NamedValue) (driver.Rows, error) {
	r, err := c.run(ctx, query, nvs)
	if err != nil {
		return nil, err
	}
	return &rows{r: r}, nil
}

func (c *conn) run(ctx context.Context, query string, nvs []driver.NamedValue) (*bindery.D1Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a, err := args(nvs)
	if err != nil {
		return nil, err
	}
	return c.db.Prepare(query).Bind(a...).All()
}

// stmt is a prepared statement: the text, run through the connection.
type stmt struct {
	c     *conn
	query string
}

// Close does nothing.
func (s *stmt) Close() error { return nil }

// NumInput is -1: D1 counts the parameters when the statement runs.
func (s *stmt) NumInput() int { return -1 }

// Exec runs the statement with args.
func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.c.ExecContext(context.Background(), s.query, named(args))
}

// Query runs the statement with args.
func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.c.QueryContext(context.Background(), s.query, named(args))
}

// ExecContext runs the statement with args.
func (s *stmt) ExecContext(ctx context.Context, nvs []driver.NamedValue) (driver.Result, error) {
	return s.c.ExecContext(ctx, s.query, nvs)
}

// QueryContext runs the statement with args.
func (s *stmt) QueryContext(ctx context.Context, nvs []driver.NamedValue) (driver.Rows, error) {
	return s.c.QueryContext(ctx, s.query, nvs)
}

func named(vs []driver.Value) []driver.NamedValue {
	nvs := make([]driver.NamedValue, len(vs))
	for i, v := range vs {
		nvs[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nvs
}

// result is D1's meta as a driver.Result.
type result bindery.D1Meta

// LastInsertId is meta.last_row_id: the rowid of the last row inserted,
// 0 if none.
func (r result) LastInsertId() (int64, error) { return r.LastRowID, nil }

// RowsAffected is meta.changes.
func (r result) RowsAffected() (int64, error) { return r.Changes, nil }

// rows walks a result that has arrived whole.
type rows struct {
	r *bindery.D1Result
	i int
}

// Columns returns the column names.
func (r *rows) Columns() []string { return r.r.Columns }

// Close does nothing: the rows are already in memory.
func (r *rows) Close() error { return nil }

// Next fills dest with the next row's values.
func (r *rows) Next(dest []driver.Value) error {
	if r.i >= len(r.r.Rows) {
		return io.EOF
	}
	for j, v := range r.r.Rows[r.i] {
		dest[j] = v.Any()
	}
	r.i++
	return nil
}
