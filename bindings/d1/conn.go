package d1

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/ext/fts5"
	"github.com/ncruces/go-sqlite3/ext/rtree"
)

// allowedPragmas are the PRAGMAs D1 lets a Worker run
// (developers.cloudflare.com/d1/sql-api/sql-statements/, "Compatible
// PRAGMA statements"); every other PRAGMA is refused.
var allowedPragmas = map[string]bool{
	"table_list":                true,
	"table_info":                true,
	"table_xinfo":               true,
	"index_list":                true,
	"index_info":                true,
	"index_xinfo":               true,
	"quick_check":               true,
	"foreign_key_check":         true,
	"foreign_key_list":          true,
	"case_sensitive_like":       true,
	"ignore_check_constraints":  true,
	"foreign_keys":              true,
	"defer_foreign_keys":        true,
	"legacy_alter_table":        true,
	"recursive_triggers":        true,
	"reverse_unordered_selects": true,
	"optimize":                  true,
}

// AllowedPragmas returns the PRAGMAs the authorizer lets through.
func AllowedPragmas() []string {
	out := make([]string, 0, len(allowedPragmas))
	for p := range allowedPragmas {
		out = append(out, p)
	}
	return out
}

// conn is one SQLite connection with D1's authorizer and limits. It is
// used by one goroutine at a time.
type conn struct {
	c       *sqlite3.Conn
	denied  string // what the authorizer refused last, for the error
	trusted bool   // the engine's own statements bypass the authorizer
	dml     bool   // the statement being prepared is INSERT/UPDATE/DELETE
	// preparing is set while a caller's statement is prepared: the
	// statements SQLite and its extensions prepare themselves while one
	// runs are not the caller's.
	preparing bool
	cache     map[string]*sqlite3.Stmt
	pages     *sqlite3.Stmt // PRAGMA page_count, prepared trusted
	pageSz    int64
	maxSize   int64        // the database size limit, for its error
	temp      *atomic.Bool // set when a TEMP object is created (writer only)
}

// stmtCacheSize bounds each connection's prepared-statement cache.
const stmtCacheSize = 64

// prepare returns a prepared statement for sql, from the cache or
// freshly prepared (and then checked: one statement, nothing refused).
func (cn *conn) prepare(sql string) (*sqlite3.Stmt, error) {
	if st := cn.cache[sql]; st != nil {
		delete(cn.cache, sql) // in use; release puts it back
		return st, nil
	}
	if err := refuseStatement(sql); err != nil {
		return nil, err
	}
	cn.dml = isDML(sql)
	cn.preparing = true
	st, tail, err := cn.c.Prepare(sql)
	cn.dml, cn.preparing = false, false
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, ErrEmptyStatement
	}
	if strings.Trim(tail, " \t\r\n;") != "" {
		st.Close()
		return nil, fmt.Errorf("%w (found more after %q); use exec for several", ErrMultipleStatements, st.SQL())
	}
	for i := 1; i <= st.BindCount(); i++ {
		if name := st.BindName(i); name != "" && name[0] != '?' {
			st.Close()
			return nil, fmt.Errorf("%w: %s (D1 binds ? and ?NNN only)", ErrNamedParameter, name)
		}
	}
	return st, nil
}

// release resets st and keeps it for the next use of sql.
func (cn *conn) release(sql string, st *sqlite3.Stmt) {
	if st.Reset() != nil || st.ClearBindings() != nil || cn.cache[sql] != nil {
		st.Close()
		return
	}
	if len(cn.cache) >= stmtCacheSize {
		cn.closeCache()
	}
	if cn.cache == nil {
		cn.cache = make(map[string]*sqlite3.Stmt)
	}
	cn.cache[sql] = st
}

func (cn *conn) closeCache() {
	for k, st := range cn.cache {
		st.Close()
		delete(cn.cache, k)
	}
}

// close closes the cached statements and the connection.
func (cn *conn) close() error {
	cn.closeCache()
	if cn.pages != nil {
		cn.pages.Close()
	}
	return cn.c.Close()
}

// openConn opens one connection with D1's limits, authorizer and
// extensions; the writer also sets WAL mode and the size limit.
func openConn(ctx context.Context, name string, flags sqlite3.OpenFlag, o *Options, writer bool) (*conn, error) {
	c, err := sqlite3.OpenFlags(name, flags)
	if err != nil {
		return nil, fmt.Errorf("d1: open %s: %w", name, err)
	}
	cn := &conn{c: c, maxSize: o.MaxSize}
	c.SetInterrupt(ctx) // the setup below stops if ctx is done
	defer c.SetInterrupt(context.Background())
	fail := func(err error) (*conn, error) {
		c.Close()
		return nil, fmt.Errorf("d1: open %s: %w", name, err)
	}
	if err := c.BusyTimeout(o.BusyTimeout); err != nil {
		return fail(err)
	}
	// D1 supports FTS5 and R*Tree (JSON is built in).
	if err := fts5.Register(c); err != nil {
		return fail(fmt.Errorf("fts5: %w", err))
	}
	if err := rtree.Register(c); err != nil {
		return fail(fmt.Errorf("rtree: %w", err))
	}
	setup := []string{"PRAGMA foreign_keys=ON"}
	if writer && !o.memory {
		setup = append(setup, "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
	}
	for _, s := range setup {
		if err := c.Exec(s); err != nil {
			return fail(fmt.Errorf("%s: %w", s, err))
		}
	}
	if writer && o.MaxSize > 0 {
		// max_page_count is per connection; the writer is the only
		// connection that writes.
		ps, err := cn.pragmaInt("page_size")
		if err != nil {
			return fail(err)
		}
		if err := c.Exec(fmt.Sprintf("PRAGMA max_page_count=%d", max(o.MaxSize/ps, 1))); err != nil {
			return fail(err)
		}
	}
	if _, err := c.Config(sqlite3.DBCONFIG_DEFENSIVE, true); err != nil {
		return fail(err)
	}
	c.Limit(sqlite3.LIMIT_LENGTH, MaxValueSize)
	c.Limit(sqlite3.LIMIT_SQL_LENGTH, MaxStatementLength)
	c.Limit(sqlite3.LIMIT_VARIABLE_NUMBER, MaxBoundParameters)
	c.Limit(sqlite3.LIMIT_COLUMN, MaxColumns)
	c.Limit(sqlite3.LIMIT_ATTACHED, 0)
	if err := c.SetAuthorizer(cn.authorize); err != nil {
		return fail(err)
	}
	return cn, nil
}

func (cn *conn) pragmaInt(name string) (int64, error) {
	prev := cn.trusted
	cn.trusted = true
	defer func() { cn.trusted = prev }()
	s, _, err := cn.c.Prepare("PRAGMA " + name)
	if err != nil {
		return 0, fmt.Errorf("PRAGMA %s: %w", name, err)
	}
	defer s.Close()
	if !s.Step() {
		return 0, fmt.Errorf("PRAGMA %s: no row: %w", name, s.Err())
	}
	return s.ColumnInt64(0), nil
}

// size returns the database's size in bytes.
func (cn *conn) size() int64 {
	prev := cn.trusted
	cn.trusted = true
	defer func() { cn.trusted = prev }()
	if cn.pageSz == 0 {
		ps, err := cn.pragmaInt("page_size")
		if err != nil {
			return 0
		}
		cn.pageSz = ps
	}
	if cn.pages == nil {
		st, _, err := cn.c.Prepare("PRAGMA page_count")
		if err != nil {
			return 0
		}
		cn.pages = st
	}
	defer cn.pages.Reset()
	if !cn.pages.Step() {
		return 0
	}
	return cn.pages.ColumnInt64(0) * cn.pageSz
}

var schemaTables = map[string]bool{
	"sqlite_master": true, "sqlite_schema": true,
	"sqlite_temp_master": true, "sqlite_temp_schema": true,
}

func (cn *conn) authorize(action sqlite3.AuthorizerActionCode, name3, name4, schema, inner string) sqlite3.AuthorizerReturnCode {
	if cn.trusted {
		return sqlite3.AUTH_OK
	}
	deny := func(what string) sqlite3.AuthorizerReturnCode {
		cn.denied = what
		return sqlite3.AUTH_DENY
	}
	switch action {
	case sqlite3.AUTH_CREATE_TEMP_TABLE, sqlite3.AUTH_CREATE_TEMP_VIEW:
		// TEMP objects live on the writer's connection only; from now
		// on reads go there too (Database.query).
		if cn.temp != nil {
			cn.temp.Store(true)
		}
	case sqlite3.AUTH_ATTACH:
		return deny("ATTACH")
	case sqlite3.AUTH_DETACH:
		return deny("DETACH")
	case sqlite3.AUTH_PRAGMA:
		// R*Tree reads page_size when it creates a table; reading it
		// is harmless, setting it is refused.
		if strings.EqualFold(name3, "page_size") && name4 == "" {
			return sqlite3.AUTH_OK
		}
		// FTS5 reads "main".data_version with a statement of its own
		// when it writes; a caller's PRAGMA data_version (prepared by
		// the caller, or unqualified through pragma_data_version) is
		// still refused. Reading the counter is harmless either way.
		if strings.EqualFold(name3, "data_version") && name4 == "" && schema != "" && !cn.preparing {
			return sqlite3.AUTH_OK
		}
		if !allowedPragmas[strings.ToLower(name3)] {
			return deny("PRAGMA " + name3)
		}
	case sqlite3.AUTH_FUNCTION:
		if strings.EqualFold(name4, "load_extension") {
			return deny("load_extension()")
		}
	case sqlite3.AUTH_INSERT, sqlite3.AUTH_UPDATE, sqlite3.AUTH_DELETE:
		// SQLite's own schema changes (CREATE TABLE …) write the
		// schema table through nested statements the authorizer sees
		// too; only a DML statement is refused for it.
		if cn.dml && schemaTables[strings.ToLower(name3)] {
			return deny("write to " + name3)
		}
	}
	return sqlite3.AUTH_OK
}

// wrap turns a driver error into the engine's typed errors.
func (cn *conn) wrap(err error, sql string, timeout time.Duration) error {
	if err == nil {
		return nil
	}
	var ae *AuthError
	var le *LimitError
	if errors.As(err, &ae) || errors.As(err, &le) || errCode(err) == 0 {
		return err
	}
	switch errCode(err) {
	case sqlite3.AUTH:
		what := cn.denied
		cn.denied = ""
		if what == "" {
			what = "this statement"
		}
		return &AuthError{What: what}
	case sqlite3.INTERRUPT:
		return &LimitError{Limit: LimitQueryTime, Max: timeout.Milliseconds()}
	case sqlite3.TOOBIG:
		if len(sql) > MaxStatementLength {
			return &LimitError{Limit: LimitStatementLength, Max: MaxStatementLength, Got: int64(len(sql))}
		}
		return &LimitError{Limit: LimitValueSize, Max: MaxValueSize}
	case sqlite3.ERROR:
		if strings.Contains(err.Error(), "too many SQL variables") {
			return &LimitError{Limit: LimitBoundParameters, Max: MaxBoundParameters}
		}
		if strings.Contains(err.Error(), "too many columns") {
			return &LimitError{Limit: LimitColumns, Max: MaxColumns}
		}
		if strings.Contains(err.Error(), "may not be modified") {
			return &AuthError{What: "write to sqlite_master"}
		}
	case sqlite3.FULL:
		return &LimitError{Limit: LimitDatabaseSize, Max: cn.maxSize}
	}
	return fmt.Errorf("d1: %w", err)
}

func errCode(err error) sqlite3.ErrorCode {
	var e *sqlite3.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	var c sqlite3.ErrorCode
	if errors.As(err, &c) {
		return c
	}
	var x sqlite3.ExtendedErrorCode
	if errors.As(err, &x) {
		return sqlite3.ErrorCode(x & 0xff)
	}
	return 0
}
