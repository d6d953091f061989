package d1

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ncruces/go-sqlite3"
)

// D1's limits (developers.cloudflare.com/d1/platform/limits/).
const (
	MaxBoundParameters  = 100
	MaxStatementLength  = 100_000
	MaxValueSize        = 2_000_000
	MaxColumns          = 100
	DefaultQueryTimeout = 30 * time.Second
	DefaultMaxSize      = 10 << 30 // 10 GB, D1's paid-plan database size
)

// Options configures a Database. The zero value is D1's defaults.
type Options struct {
	// MaxSize is the database size limit in bytes (SQLite's
	// max_page_count); 0 means DefaultMaxSize, negative means none.
	MaxSize int64
	// QueryTimeout interrupts a statement that runs longer; 0 means
	// DefaultQueryTimeout.
	QueryTimeout time.Duration
	// Readers is the size of the reader pool of a file database; 0
	// means 4.
	Readers int
	// BusyTimeout is how long a connection waits for a lock another
	// process holds; 0 means 5s.
	BusyTimeout time.Duration

	memory bool
}

func (o Options) withDefaults() Options {
	if o.MaxSize == 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = DefaultQueryTimeout
	}
	if o.Readers <= 0 {
		o.Readers = 4
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	return o
}

// Database is one D1 database. It is safe for concurrent use: writes
// are serialized on one writer connection, reads of a file database run
// concurrently on a pool of reader connections.
type Database struct {
	opts    Options
	path    string
	wmu     sync.Mutex
	w       *conn
	readers chan *conn // nil for an in-memory database
	nreader int        // readers opened (all of them come back to readers)
	seq     atomic.Uint64
	size    atomic.Int64
	closed  atomic.Bool
	done    chan struct{} // closed by Close
	temp    atomic.Bool   // the writer has TEMP objects the readers cannot see
}

// FilePath is where the database with the given id lives under dir:
// dir/<id>.sqlite. The id must be a plain name.
func FilePath(dir, id string) (string, error) {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`+"\x00") {
		return "", fmt.Errorf("d1: invalid database id %q", id)
	}
	return filepath.Join(dir, id+".sqlite"), nil
}

// Open opens (creating if needed) the SQLite file at path in WAL mode.
func Open(ctx context.Context, path string, opts Options) (*Database, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("d1: open %s: %w", path, err)
	}
	w, err := openConn(ctx, path, sqlite3.OPEN_READWRITE|sqlite3.OPEN_CREATE|sqlite3.OPEN_NOMUTEX, &opts, true)
	if err != nil {
		return nil, err
	}
	db := &Database{opts: opts, path: path, w: w, readers: make(chan *conn, opts.Readers), done: make(chan struct{})}
	for range opts.Readers {
		r, err := openConn(ctx, path, sqlite3.OPEN_READONLY|sqlite3.OPEN_NOMUTEX, &opts, false)
		if err != nil {
			db.Close()
			return nil, err
		}
		db.readers <- r
		db.nreader++
	}
	w.temp = &db.temp
	db.size.Store(w.size())
	return db, nil
}

// OpenMemory opens a private in-memory database; it is gone when
// closed. Reads and writes share its one connection.
func OpenMemory(ctx context.Context, opts Options) (*Database, error) {
	opts.memory = true
	opts = opts.withDefaults()
	w, err := openConn(ctx, ":memory:", sqlite3.OPEN_READWRITE|sqlite3.OPEN_CREATE|sqlite3.OPEN_NOMUTEX, &opts, true)
	if err != nil {
		return nil, err
	}
	db := &Database{opts: opts, path: ":memory:", w: w, done: make(chan struct{})}
	db.size.Store(w.size())
	return db, nil
}

// Path is the database file, or ":memory:".
func (db *Database) Path() string { return db.path }

// Close closes every connection, waiting for the ones in use.
func (db *Database) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	close(db.done)
	db.wmu.Lock()
	defer db.wmu.Unlock()
	err := db.w.close()
	for range db.nreader {
		r := <-db.readers // waits for a reader in use
		if e := r.close(); err == nil {
			err = e
		}
	}
	return err
}

// Bookmark is the database's latest commit sequence, as a D1 bookmark.
func (db *Database) Bookmark() string { return formatBookmark(db.seq.Load()) }

func formatBookmark(seq uint64) string { return fmt.Sprintf("%016x", seq) }

// Prepare returns a statement for sql. It is checked when it runs.
func (db *Database) Prepare(sql string) *Statement { return &Statement{db: db, sql: sql} }

// Meta is D1's result metadata.
type Meta struct {
	Duration    float64 `json:"duration"` // milliseconds
	RowsRead    int64   `json:"rows_read"`
	RowsWritten int64   `json:"rows_written"`
	LastRowID   int64   `json:"last_row_id"`
	Changes     int64   `json:"changes"`
	ChangedDB   bool    `json:"changed_db"`
	SizeAfter   int64   `json:"size_after"`
}

// Row is one result row; Columns is shared by the rows of a result.
type Row struct {
	Columns []string
	Values  []Value
}

// Get returns the named column's value, false if there is none.
func (r Row) Get(column string) (Value, bool) {
	for i, c := range r.Columns {
		if c == column {
			return r.Values[i], true
		}
	}
	return Value{}, false
}

// Result is D1's D1Result: the rows, success and meta.
type Result struct {
	Columns []string
	Results []Row
	Success bool
	Meta    Meta
}

// ExecResult is what Exec returns: statements run, total milliseconds.
type ExecResult struct {
	Count    int
	Duration float64
}

// query runs one statement, on a reader if it only reads (file
// databases) or on the writer.
func (db *Database) query(ctx context.Context, sql string, args []Value) (*Result, error) {
	if db.closed.Load() {
		return nil, ErrClosed
	}
	if err := checkLimits(sql, args); err != nil {
		return nil, err
	}
	if db.readers != nil && !db.temp.Load() && looksReadOnly(sql) {
		var r *conn
		select {
		case r = <-db.readers:
		case <-ctx.Done():
			return nil, fmt.Errorf("d1: waiting for a reader: %w", ctx.Err())
		case <-db.done:
			return nil, ErrClosed
		}
		res, wrote, err := db.step(ctx, r, sql, args, true)
		db.readers <- r
		if !wrote {
			return res, err
		}
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed.Load() {
		return nil, ErrClosed
	}
	res, _, err := db.step(ctx, db.w, sql, args, false)
	return res, err
}

func checkLimits(sql string, args []Value) error {
	if len(sql) > MaxStatementLength {
		return &LimitError{Limit: LimitStatementLength, Max: MaxStatementLength, Got: int64(len(sql))}
	}
	if len(args) > MaxBoundParameters {
		return &LimitError{Limit: LimitBoundParameters, Max: MaxBoundParameters, Got: int64(len(args))}
	}
	for _, a := range args {
		if a.size() > MaxValueSize {
			return &LimitError{Limit: LimitValueSize, Max: MaxValueSize, Got: int64(a.size())}
		}
	}
	return nil
}

// step prepares, binds and runs sql on cn. On a reader, a statement
// that turns out to write is not run: wrote is true and the caller
// retries on the writer.
func (db *Database) step(ctx context.Context, cn *conn, sql string, args []Value, reader bool) (res *Result, wrote bool, err error) {
	start := time.Now()
	ictx, cancel := context.WithTimeout(ctx, db.opts.QueryTimeout)
	defer cancel()
	cn.c.SetInterrupt(ictx)
	defer cn.c.SetInterrupt(context.Background())

	st, err := cn.prepare(sql)
	if err != nil {
		return nil, false, cn.wrap(err, sql, db.opts.QueryTimeout)
	}
	defer cn.release(sql, st)
	if reader && !st.ReadOnly() {
		return nil, true, nil
	}
	if len(args) > st.BindCount() {
		return nil, false, fmt.Errorf("d1: %d values bound to a statement with %d parameters", len(args), st.BindCount())
	}
	if err := bindAll(st, args); err != nil {
		return nil, false, cn.wrap(err, sql, db.opts.QueryTimeout)
	}
	readOnly := st.ReadOnly()
	total := cn.c.TotalChanges()
	st.Status(sqlite3.STMTSTATUS_FULLSCAN_STEP, true) // a cached statement's count starts over
	res = &Result{Columns: make([]string, st.ColumnCount())}
	for i := range res.Columns {
		res.Columns[i] = st.ColumnName(i)
	}
	for st.Step() {
		vals := make([]Value, len(res.Columns))
		for i := range vals {
			vals[i] = column(st, i)
		}
		res.Results = append(res.Results, Row{Columns: res.Columns, Values: vals})
	}
	if err := st.Err(); err != nil {
		if context.Cause(ctx) == errBatchTime {
			return nil, false, &LimitError{Limit: LimitQueryTime, Max: db.opts.QueryTimeout.Milliseconds()}
		}
		if ctx.Err() != nil {
			// The caller gave up; that is not D1's query-time limit.
			return nil, false, fmt.Errorf("d1: %w", ctx.Err())
		}
		return nil, false, cn.wrap(err, sql, db.opts.QueryTimeout)
	}
	m := &res.Meta
	m.RowsRead = int64(len(res.Results)) + int64(st.Status(sqlite3.STMTSTATUS_FULLSCAN_STEP, false))
	if !readOnly {
		changed := cn.c.TotalChanges() - total
		m.Changes = cn.c.Changes()
		if changed == 0 {
			m.Changes = 0
		}
		m.RowsWritten = changed
		m.LastRowID = cn.c.LastInsertRowID()
		m.ChangedDB = changed > 0 || !isDML(st.SQL())
		if cn.c.GetAutocommit() {
			db.seq.Add(1)
			db.size.Store(cn.size())
		}
	}
	m.SizeAfter = db.size.Load()
	m.Duration = float64(time.Since(start).Microseconds()) / 1000
	res.Success = true
	return res, false, nil
}

func bindAll(st *sqlite3.Stmt, args []Value) error {
	for i, a := range args {
		var err error
		p := i + 1
		switch a.Kind {
		case KindNull:
			err = st.BindNull(p)
		case KindInteger:
			err = st.BindInt64(p, a.Int)
		case KindReal:
			err = st.BindFloat(p, a.Float)
		case KindText:
			err = st.BindText(p, a.Text)
		case KindBlob:
			err = st.BindBlob(p, a.Blob)
		default:
			err = fmt.Errorf("d1: unsupported value kind %v for parameter %d", a.Kind, p)
		}
		if err != nil {
			return fmt.Errorf("parameter %d: %w", p, err)
		}
	}
	return nil
}

func column(st *sqlite3.Stmt, i int) Value {
	switch st.ColumnType(i) {
	case sqlite3.INTEGER:
		return Int(st.ColumnInt64(i))
	case sqlite3.FLOAT:
		return Real(st.ColumnFloat(i))
	case sqlite3.TEXT:
		return Text(st.ColumnText(i))
	case sqlite3.BLOB:
		return Blob(st.ColumnBlob(i, nil))
	}
	return Null()
}

// Batch runs the statements in one transaction: all take effect or,
// on the first error, none.
func (db *Database) Batch(ctx context.Context, stmts []*Statement) ([]*Result, error) {
	if db.closed.Load() {
		return nil, ErrClosed
	}
	for i, s := range stmts {
		if err := checkLimits(s.sql, s.args); err != nil {
			return nil, fmt.Errorf("d1: batch statement %d: %w", i, err)
		}
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed.Load() {
		return nil, ErrClosed
	}
	w := db.w
	ctx, cancel := context.WithTimeoutCause(ctx, db.opts.QueryTimeout, errBatchTime)
	defer cancel()
	if err := w.trustedExec("BEGIN IMMEDIATE"); err != nil {
		return nil, fmt.Errorf("d1: batch: begin: %w", err)
	}
	out := make([]*Result, len(stmts))
	for i, s := range stmts {
		res, _, err := db.step(ctx, w, s.sql, s.args, false)
		if err != nil {
			if rerr := w.trustedExec("ROLLBACK"); rerr != nil {
				return nil, fmt.Errorf("d1: batch statement %d: %w (rollback: %v)", i, err, rerr)
			}
			return nil, fmt.Errorf("d1: batch statement %d: %w", i, err)
		}
		out[i] = res
	}
	if err := w.trustedExec("COMMIT"); err != nil {
		_ = w.trustedExec("ROLLBACK")
		return nil, fmt.Errorf("d1: batch: commit: %w", w.wrap(err, "", db.opts.QueryTimeout))
	}
	db.seq.Add(1)
	db.size.Store(w.size())
	return out, nil
}

func (cn *conn) trustedExec(sql string) error {
	cn.trusted = true
	defer func() { cn.trusted = false }()
	return cn.c.Exec(sql)
}

// Exec runs one or more unbound statements separated by semicolons, in
// order, stopping at the first error (the ones before it stay done).
func (db *Database) Exec(ctx context.Context, sql string) (ExecResult, error) {
	if db.closed.Load() {
		return ExecResult{}, ErrClosed
	}
	start := time.Now()
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed.Load() {
		return ExecResult{}, ErrClosed
	}
	w := db.w
	var out ExecResult
	rest := sql
	for {
		var one string
		one, rest = splitFirst(w, rest)
		if one == "" {
			break
		}
		if _, _, err := db.step(ctx, w, one, nil, false); err != nil {
			return out, fmt.Errorf("d1: exec statement %d: %w", out.Count+1, err)
		}
		out.Count++
	}
	out.Duration = float64(time.Since(start).Microseconds()) / 1000
	return out, nil
}

// splitFirst returns the first statement of sql and the rest, using
// SQLite's own parser to find the end; on a parse error it returns the
// whole text so that running it reports the error.
func splitFirst(cn *conn, sql string) (first, rest string) {
	if strings.Trim(sql, " \t\r\n;") == "" {
		return "", ""
	}
	st, tail, err := cn.c.Prepare(sql)
	cn.denied = ""
	if err != nil || st == nil {
		if st == nil && err == nil {
			return "", "" // only comments
		}
		return sql, ""
	}
	st.Close()
	return sql[:len(sql)-len(tail)], tail
}

// refuseStatement refuses what the authorizer does not see: VACUUM
// INTO, transaction control, load_extension (not compiled in, refused
// by name all the same) and DML naming the schema table (which SQLite
// refuses before asking the authorizer).
func refuseStatement(sql string) error {
	w := leadingWords(sql, 1<<20)
	for _, x := range w {
		if x == "LOAD_EXTENSION" {
			return &AuthError{What: "load_extension()"}
		}
	}
	if len(w) > 0 && (w[0] == "INSERT" || w[0] == "UPDATE" || w[0] == "DELETE" || w[0] == "REPLACE") {
		for _, x := range w[1:min(len(w), 6)] {
			if schemaTables[strings.ToLower(x)] {
				return &AuthError{What: "write to " + strings.ToLower(x)}
			}
		}
	}
	if len(w) > 0 && w[0] == "VACUUM" {
		for _, x := range w[1:] {
			if x == "INTO" {
				return &AuthError{What: "VACUUM INTO"}
			}
		}
		// Plain VACUUM attaches a temporary database, which the
		// authorizer would report as ATTACH; say what it is.
		return &AuthError{What: "VACUUM"}
	}
	if len(w) > 0 && (w[0] == "BEGIN" || w[0] == "COMMIT" || w[0] == "END" || w[0] == "ROLLBACK" || w[0] == "SAVEPOINT" || w[0] == "RELEASE") {
		return &AuthError{What: w[0] + " (use batch for a transaction)"}
	}
	return nil
}

func looksReadOnly(sql string) bool {
	w := leadingWords(sql, 1)
	return len(w) == 1 && (w[0] == "SELECT" || w[0] == "WITH" || w[0] == "VALUES" || w[0] == "EXPLAIN")
}

func isDML(sql string) bool {
	w := leadingWords(sql, 1)
	return len(w) == 1 && (w[0] == "INSERT" || w[0] == "UPDATE" || w[0] == "DELETE" || w[0] == "REPLACE" || w[0] == "WITH")
}

// leadingWords returns up to n upper-cased bare words of sql, skipping
// comments, whitespace and quoted text.
func leadingWords(sql string, n int) []string {
	var out []string
	for i := 0; i < len(sql) && len(out) < n; {
		c := sql[i]
		switch {
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return out
			}
			i += j + 4
		case c == '\'' || c == '"' || c == '`' || c == '[':
			end := c
			if c == '[' {
				end = ']'
			}
			j := strings.IndexByte(sql[i+1:], end)
			if j < 0 {
				return out
			}
			i += j + 2
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(sql) && (sql[j] == '_' || sql[j] >= 'a' && sql[j] <= 'z' || sql[j] >= 'A' && sql[j] <= 'Z' || sql[j] >= '0' && sql[j] <= '9') {
				j++
			}
			out = append(out, strings.ToUpper(sql[i:j]))
			i = j
		default:
			i++
		}
	}
	return out
}

// IntegrityCheck runs SQLite's PRAGMA integrity_check (which a Worker
// may not run) and returns an error listing the problems it finds.
func (db *Database) IntegrityCheck(ctx context.Context) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed.Load() {
		return ErrClosed
	}
	w := db.w
	w.trusted = true
	defer func() { w.trusted = false }()
	w.c.SetInterrupt(ctx)
	defer w.c.SetInterrupt(context.Background())
	st, _, err := w.c.Prepare("PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("d1: integrity_check of %s: %w", db.path, err)
	}
	defer st.Close()
	var problems []string
	for st.Step() {
		if r := st.ColumnText(0); r != "ok" {
			problems = append(problems, r)
		}
	}
	if err := st.Err(); err != nil {
		return fmt.Errorf("d1: integrity_check of %s: %w", db.path, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("d1: integrity_check of %s: %s", db.path, strings.Join(problems, "; "))
	}
	return nil
}
