package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/ext/fts5"
	"github.com/ncruces/go-sqlite3/ext/rtree"

	"github.com/bindery-run/bindery/bindings/d1"
)

// kvTable is the table of the KV API in a SQLite-backed object, named
// as workerd names it.
const kvTable = "_cf_KV"

// recordHeaderRoom is the room SQLite's row limit leaves for a record's
// header (a few varints) above MaxSQLiteEntrySize.
const recordHeaderRoom = 64

// SQLiteOptions configures a SQLite-backed object. The zero value is
// Cloudflare's limits.
type SQLiteOptions struct {
	// MaxSize is the object's size limit in bytes (SQLite's
	// max_page_count); 0 means DefaultMaxSize, negative means none.
	MaxSize int64
	// BusyTimeout is how long a call waits for a lock another process
	// holds on the file; 0 means 5s.
	BusyTimeout time.Duration
}

// SQLite is the storage of one SQLite-backed object: one SQLite file
// in WAL mode, opened on the first call. It implements Storage and SQL.
type SQLite struct {
	path string
	opts SQLiteOptions

	mu      sync.Mutex
	c       *sqlite3.Conn            // nil until opened
	trusted bool                     // the storage's own statements bypass the authorizer
	denied  string                   // what the authorizer refused last
	hasKV   bool                     // the _cf_KV table exists
	stmts   map[string]*sqlite3.Stmt // the storage's own statements
	// sqlCache holds the statements of single-statement queries.
	sqlCache map[string]*sqlite3.Stmt
	depth    int             // transactions open
	ictx     context.Context // the context interrupting the call running
}

// interrupt lets ctx interrupt the statements that run from now on.
func (s *SQLite) interrupt(ctx context.Context) {
	s.ictx = ctx
	s.c.SetInterrupt(ctx)
}

var (
	_ Storage = (*SQLite)(nil)
	_ SQL     = (*SQLite)(nil)
)

// NewSQLite returns the storage of the object whose database is the
// file at path (created, with its directory, on the first call).
func NewSQLite(path string, opts SQLiteOptions) *SQLite {
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	return &SQLite{path: path, opts: opts}
}

// Path is the database file.
func (s *SQLite) Path() string { return s.path }

// Close closes the database connection if it is open. Nothing is lost:
// the next call opens it again.
func (s *SQLite) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.close()
}

func (s *SQLite) close() error {
	if s.c == nil {
		return nil
	}
	for _, m := range []map[string]*sqlite3.Stmt{s.stmts, s.sqlCache} {
		for k, st := range m {
			st.Close()
			delete(m, k)
		}
	}
	err := s.c.Close()
	s.c = nil
	if err != nil {
		return fmt.Errorf("durable object storage: close %s: %w", s.path, err)
	}
	return nil
}

// open opens the connection if it is not open yet.
func (s *SQLite) open(ctx context.Context) error {
	if s.c != nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("durable object storage: open %s: %w", s.path, err)
	}
	c, err := sqlite3.OpenFlags(s.path, sqlite3.OPEN_READWRITE|sqlite3.OPEN_CREATE|sqlite3.OPEN_NOMUTEX)
	if err != nil {
		return fmt.Errorf("durable object storage: open %s: %w", s.path, err)
	}
	fail := func(err error) error {
		c.Close()
		return fmt.Errorf("durable object storage: open %s: %w", s.path, err)
	}
	c.SetInterrupt(ctx)
	defer c.SetInterrupt(context.Background())
	if err := c.BusyTimeout(s.opts.BusyTimeout); err != nil {
		return fail(err)
	}
	// Cloudflare's SQLite has FTS5 and R*Tree (JSON is built in).
	if err := fts5.Register(c); err != nil {
		return fail(fmt.Errorf("fts5: %w", err))
	}
	if err := rtree.Register(c); err != nil {
		return fail(fmt.Errorf("rtree: %w", err))
	}
	// WAL with synchronous=NORMAL: a commit is in the WAL file before
	// it returns, so it survives the process being killed.
	for _, q := range []string{"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"} {
		if err := c.Exec(q); err != nil {
			return fail(fmt.Errorf("%s: %w", q, err))
		}
	}
	if s.opts.MaxSize > 0 {
		st, _, err := c.Prepare("PRAGMA page_size")
		if err != nil {
			return fail(err)
		}
		st.Step()
		ps := st.ColumnInt64(0)
		st.Close()
		if err := c.Exec(fmt.Sprintf("PRAGMA max_page_count=%d", max(s.opts.MaxSize/max(ps, 1), 1))); err != nil {
			return fail(err)
		}
	}
	if _, err := c.Config(sqlite3.DBCONFIG_DEFENSIVE, true); err != nil {
		return fail(err)
	}
	// workerd's limits, and Cloudflare's documented SQL limits.
	// A row's limit is its record, which has a header: the room it
	// needs lets a key and value of 2 MB together fit.
	c.Limit(sqlite3.LIMIT_LENGTH, MaxSQLiteEntrySize+recordHeaderRoom)
	c.Limit(sqlite3.LIMIT_SQL_LENGTH, d1.MaxStatementLength)
	c.Limit(sqlite3.LIMIT_COLUMN, d1.MaxColumns)
	c.Limit(sqlite3.LIMIT_EXPR_DEPTH, 100)
	c.Limit(sqlite3.LIMIT_COMPOUND_SELECT, 5)
	c.Limit(sqlite3.LIMIT_VDBE_OP, 25000)
	c.Limit(sqlite3.LIMIT_FUNCTION_ARG, 127)
	c.Limit(sqlite3.LIMIT_ATTACHED, 0)
	c.Limit(sqlite3.LIMIT_LIKE_PATTERN_LENGTH, 50)
	c.Limit(sqlite3.LIMIT_VARIABLE_NUMBER, d1.MaxBoundParameters)
	c.Limit(sqlite3.LIMIT_TRIGGER_DEPTH, 10)
	if err := c.SetAuthorizer(s.authorize); err != nil {
		return fail(err)
	}
	s.c = c
	s.stmts = make(map[string]*sqlite3.Stmt)
	s.sqlCache = make(map[string]*sqlite3.Stmt)
	if err := s.checkKVTable(); err != nil {
		s.close()
		return fmt.Errorf("durable object storage: open %s: %w", s.path, err)
	}
	return nil
}

// lock takes the storage and opens it, with ctx interrupting SQLite.
func (s *SQLite) lock(ctx context.Context) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("durable object storage: %w", err)
	}
	s.mu.Lock()
	if err := s.open(ctx); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	s.interrupt(ctx)
	return func() {
		if s.c != nil {
			s.c.SetInterrupt(context.Background())
		}
		s.mu.Unlock()
	}, nil
}

// stmt returns the storage's own prepared statement for sql.
func (s *SQLite) stmt(sql string) (*sqlite3.Stmt, error) {
	if st := s.stmts[sql]; st != nil {
		return st, nil
	}
	s.trusted = true
	st, _, err := s.c.Prepare(sql)
	s.trusted = false
	if err != nil {
		return nil, err
	}
	s.stmts[sql] = st
	return st, nil
}

// run runs one of the storage's own statements with args (strings are
// bound as text, byte slices as blobs), calling row for each row.
func (s *SQLite) run(sql string, row func(*sqlite3.Stmt) error, args ...any) error {
	st, err := s.stmt(sql)
	if err != nil {
		return s.wrap(err)
	}
	s.trusted = true
	defer func() { s.trusted = false }()
	defer st.Reset()
	for i, a := range args {
		var err error
		switch a := a.(type) {
		case string:
			err = st.BindText(i+1, a)
		case []byte:
			if a == nil {
				a = []byte{}
			}
			err = st.BindBlob(i+1, a)
		case int64:
			err = st.BindInt64(i+1, a)
		default:
			err = fmt.Errorf("unsupported argument %T", a)
		}
		if err != nil {
			return s.wrap(err)
		}
	}
	for st.Step() {
		if row != nil {
			if err := row(st); err != nil {
				return err
			}
		}
	}
	return s.wrap(st.Err())
}

// exec runs one of the storage's own statements without arguments.
func (s *SQLite) exec(sql string) error {
	s.trusted = true
	defer func() { s.trusted = false }()
	return s.wrap(s.c.Exec(sql))
}

// control runs a BEGIN, COMMIT, ROLLBACK, SAVEPOINT or RELEASE. A
// cancelled context does not interrupt it: a transaction always ends,
// committed or rolled back.
func (s *SQLite) control(sql string) error {
	old := s.c.SetInterrupt(context.Background())
	defer s.c.SetInterrupt(old)
	return s.exec(sql)
}

// checkKVTable finds whether the KV table exists (again, after a
// rollback that may have undone its creation). A cancelled context
// does not interrupt it.
func (s *SQLite) checkKVTable() error {
	old := s.c.SetInterrupt(context.Background())
	defer s.c.SetInterrupt(old)
	found := false
	err := s.run("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '"+kvTable+"'",
		func(*sqlite3.Stmt) error { found = true; return nil })
	if err != nil {
		return err
	}
	s.hasKV = found
	return nil
}

func (s *SQLite) ensureKVTable() error {
	if s.hasKV {
		return nil
	}
	if err := s.exec("CREATE TABLE IF NOT EXISTS " + kvTable + " (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID"); err != nil {
		return err
	}
	s.hasKV = true
	return nil
}

// atomic runs fn in a transaction of its own, or in a savepoint inside
// the transaction that is open. One statement is atomic by itself:
// when fn runs one (single) and the KV table exists, it runs bare.
func (s *SQLite) atomic(single bool, fn func() error) error {
	if single && s.hasKV {
		return fn()
	}
	begin, commit, rollback := "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"
	if s.depth > 0 {
		begin, commit, rollback = "SAVEPOINT _cf_op", "RELEASE _cf_op", "ROLLBACK TO _cf_op; RELEASE _cf_op"
	}
	if err := s.control(begin); err != nil {
		return err
	}
	if err := fn(); err != nil {
		return s.rollback(err, rollback)
	}
	if err := s.control(commit); err != nil {
		return s.rollback(err, rollback)
	}
	return nil
}

func (s *SQLite) rollback(cause error, rollback string) error {
	// SQLite may have rolled the transaction back itself (then there
	// is nothing left to roll back); any other failure is reported.
	if err := s.control(rollback); err != nil && !s.c.GetAutocommit() {
		return fmt.Errorf("%w (rollback: %v)", cause, err)
	}
	if err := s.checkKVTable(); err != nil {
		return fmt.Errorf("%w (after rollback: %v)", cause, err)
	}
	return cause
}

// Get returns the entries of the keys that exist, in key order.
func (s *SQLite) Get(ctx context.Context, keys []string) ([]Entry, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.get(keys)
}

func (s *SQLite) get(keys []string) ([]Entry, error) {
	if err := sqliteLimits.checkKeys(keys); err != nil {
		return nil, err
	}
	if !s.hasKV {
		return nil, nil
	}
	var out []Entry
	for _, k := range uniqueSorted(keys) {
		err := s.run("SELECT value FROM "+kvTable+" WHERE key = ?", func(st *sqlite3.Stmt) error {
			out = append(out, Entry{Key: k, Value: st.ColumnBlob(0, []byte{})})
			return nil
		}, k)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Put stores the entries in one transaction.
func (s *SQLite) Put(ctx context.Context, entries []Entry) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return s.put(entries)
}

func (s *SQLite) put(entries []Entry) error {
	if err := sqliteLimits.checkEntries(entries); err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	return s.atomic(len(entries) == 1, func() error {
		if err := s.ensureKVTable(); err != nil {
			return err
		}
		for _, e := range entries {
			err := s.run("INSERT INTO "+kvTable+" (key, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value", nil, e.Key, e.Value)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// Delete deletes the keys in one transaction and returns how many
// existed.
func (s *SQLite) Delete(ctx context.Context, keys []string) (int, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	return s.delete(keys)
}

func (s *SQLite) delete(keys []string) (int, error) {
	if err := sqliteLimits.checkKeys(keys); err != nil {
		return 0, err
	}
	if !s.hasKV || len(keys) == 0 {
		return 0, nil
	}
	n := 0
	err := s.atomic(len(keys) == 1, func() error {
		n = 0
		for _, k := range uniqueSorted(keys) {
			if err := s.run("DELETE FROM "+kvTable+" WHERE key = ?", nil, k); err != nil {
				return err
			}
			n += int(s.c.Changes())
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// List returns the entries opts selects.
func (s *SQLite) List(ctx context.Context, opts ListOptions) ([]Entry, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.list(opts)
}

func (s *SQLite) list(opts ListOptions) ([]Entry, error) {
	r, err := compileRange(opts)
	if err != nil {
		return nil, err
	}
	if r.empty || !s.hasKV {
		return nil, nil
	}
	q := "SELECT key, value FROM " + kvTable + " WHERE key >= ?"
	args := []any{r.lo}
	if r.hi != nil {
		q += " AND key < ?"
		args = append(args, *r.hi)
	}
	q += " ORDER BY key"
	if opts.Reverse {
		q += " DESC"
	}
	if opts.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, int64(opts.Limit))
	}
	var out []Entry
	err = s.run(q, func(st *sqlite3.Stmt) error {
		out = append(out, Entry{Key: st.ColumnText(0), Value: st.ColumnBlob(1, []byte{})})
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteAll deletes the whole database (every key and every table,
// as Cloudflare's deleteAll does for a SQLite-backed object) and
// returns how many keys there were. The file is removed; the next call
// starts a new one.
func (s *SQLite) DeleteAll(ctx context.Context) (int, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	n := 0
	if s.hasKV {
		if err := s.run("SELECT count(*) FROM "+kvTable, func(st *sqlite3.Stmt) error {
			n = int(st.ColumnInt64(0))
			return nil
		}); err != nil {
			return 0, err
		}
	}
	if err := s.close(); err != nil {
		return 0, err
	}
	// Closing the last connection checkpointed the WAL into the file
	// and removed it; any leftover goes first, so that a crash part way
	// leaves either the whole database or none of it (never a WAL that
	// a new file would replay).
	for _, suffix := range []string{"-wal", "-shm", "-journal", ""} {
		if err := os.Remove(s.path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("durable object storage: delete all: %w", err)
		}
	}
	return n, nil
}

// Transaction runs fn in one transaction.
func (s *SQLite) Transaction(ctx context.Context, fn func(Tx) error) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return s.txn(fn)
}

// txn runs fn in a transaction (depth 0) or a savepoint, as workerd
// names them.
func (s *SQLite) txn(fn func(Tx) error) (err error) {
	begin, commit, rollback := "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"
	if s.depth > 0 {
		sp := fmt.Sprintf("_cf_savepoint_%d", s.depth)
		begin, commit, rollback = "SAVEPOINT "+sp, "RELEASE "+sp, "ROLLBACK TO "+sp+"; RELEASE "+sp
	}
	if err := s.control(begin); err != nil {
		return err
	}
	s.depth++
	tx := &sqliteTx{s: s, ctx: s.c.SetInterrupt(context.Background())}
	s.c.SetInterrupt(tx.ctx)
	finished := false
	defer func() {
		tx.done = true
		if !finished { // fn panicked
			s.depth--
			s.rollback(nil, rollback)
		}
	}()
	ferr := fn(tx)
	finished = true
	tx.done = true
	s.depth--
	if ferr != nil {
		return finish(s.rollback(ferr, rollback))
	}
	if err := s.control(commit); err != nil {
		return s.rollback(err, rollback)
	}
	return nil
}

// sqliteTx is a transaction of a SQLite-backed object.
type sqliteTx struct {
	txState
	s   *SQLite
	ctx context.Context // the Transaction's, which interrupts SQLite between calls
}

var (
	_ Tx  = (*sqliteTx)(nil)
	_ SQL = (*sqliteTx)(nil)
)

// Get returns the entries of the keys that exist, in key order.
func (t *sqliteTx) Get(ctx context.Context, keys []string) ([]Entry, error) {
	leave, err := t.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	return t.s.get(keys)
}

// Put stores the entries, all or none.
func (t *sqliteTx) Put(ctx context.Context, entries []Entry) error {
	leave, err := t.enter(ctx)
	if err != nil {
		return err
	}
	defer leave()
	return t.s.put(entries)
}

// Delete deletes the keys, all or none, and returns how many existed.
func (t *sqliteTx) Delete(ctx context.Context, keys []string) (int, error) {
	leave, err := t.enter(ctx)
	if err != nil {
		return 0, err
	}
	defer leave()
	return t.s.delete(keys)
}

// List returns the entries opts selects.
func (t *sqliteTx) List(ctx context.Context, opts ListOptions) ([]Entry, error) {
	leave, err := t.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	return t.s.list(opts)
}

// Transaction runs fn in a savepoint.
func (t *sqliteTx) Transaction(ctx context.Context, fn func(Tx) error) error {
	leave, err := t.enter(ctx)
	if err != nil {
		return err
	}
	defer leave()
	return t.s.txn(fn)
}

// Exec runs SQL in the transaction.
func (t *sqliteTx) Exec(ctx context.Context, query string, params ...Value) (*Cursor, error) {
	leave, err := t.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	return t.s.execSQL(query, params)
}

// DatabaseSize is the database's size in bytes.
func (t *sqliteTx) DatabaseSize(ctx context.Context) (int64, error) {
	leave, err := t.enter(ctx)
	if err != nil {
		return 0, err
	}
	defer leave()
	return t.s.databaseSize()
}

// enter checks the transaction is still open and lets ctx interrupt
// the call; the returned leave puts the Transaction's context back.
func (t *sqliteTx) enter(ctx context.Context) (leave func(), err error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("durable object storage: %w", err)
	}
	t.s.interrupt(ctx)
	return func() { t.s.interrupt(t.ctx) }, nil
}

// wrap turns a driver error into the package's typed errors.
func (s *SQLite) wrap(err error) error {
	if err == nil {
		return nil
	}
	var ae *AuthError
	var le *LimitError
	if errors.As(err, &ae) || errors.As(err, &le) {
		return err
	}
	code, ok := errCode(err)
	if !ok {
		return err
	}
	if s.denied != "" && (code == sqlite3.AUTH || strings.Contains(err.Error(), "not authorized")) {
		what := s.denied
		s.denied = ""
		return &AuthError{What: what}
	}
	switch code {
	case sqlite3.AUTH:
		return &AuthError{What: "this statement"}
	case sqlite3.FULL:
		return &LimitError{Limit: LimitDatabaseSize, Max: s.opts.MaxSize}
	case sqlite3.TOOBIG:
		return &LimitError{Limit: LimitSQLValueSize, Max: MaxSQLiteEntrySize}
	case sqlite3.INTERRUPT:
		if s.ictx != nil && s.ictx.Err() != nil {
			return fmt.Errorf("durable object storage: %w (%v)", context.Cause(s.ictx), err)
		}
		return fmt.Errorf("durable object storage: %w", err)
	case sqlite3.ERROR:
		msg := err.Error()
		switch {
		case strings.Contains(msg, "too many SQL variables"):
			return &LimitError{Limit: LimitBoundParameters, Max: d1.MaxBoundParameters}
		case strings.Contains(msg, "too many columns"):
			return &LimitError{Limit: LimitColumns, Max: d1.MaxColumns}
		}
	}
	return fmt.Errorf("durable object storage: %w", err)
}

// errCode returns the primary result code of a driver error.
func errCode(err error) (sqlite3.ErrorCode, bool) {
	var e *sqlite3.Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	var c sqlite3.ErrorCode
	if errors.As(err, &c) {
		return c, true
	}
	var x sqlite3.ExtendedErrorCode
	if errors.As(err, &x) {
		return sqlite3.ErrorCode(x & 0xff), true
	}
	return 0, false
}
