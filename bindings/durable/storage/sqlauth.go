package storage

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ncruces/go-sqlite3"
)

// AuthError reports a SQL statement the authorizer refused.
type AuthError struct {
	What string // e.g. "access to _cf_KV", "PRAGMA journal_mode", "BEGIN"
}

// Error names what was refused.
func (e *AuthError) Error() string {
	return fmt.Sprintf("durable object storage: not authorized: %s", e.What)
}

// allowedName is workerd's rule for the SQL API: no table, index,
// trigger, view or savepoint name may begin with _cf_ (in any case),
// the prefix of the storage's own tables.
func allowedName(name string) bool {
	return len(name) < 4 || !strings.EqualFold(name[:4], "_cf_")
}

// pragmaSig is what a PRAGMA may be given, per workerd's allowlist.
type pragmaSig int

const (
	pragmaNoArg pragmaSig = iota
	pragmaBool
	pragmaObject
	pragmaOptionalObject
	pragmaNullOrNumber
	pragmaNullNumberOrObject
)

// allowedPragmas is workerd's pragma allowlist for Durable Objects'
// SQL (table_list and table_info/table_xinfo are handled apart).
var allowedPragmas = map[string]pragmaSig{
	"data_version":              pragmaNoArg,
	"page_size":                 pragmaNoArg, // R*Tree reads it; setting it is refused
	"case_sensitive_like":       pragmaBool,
	"foreign_keys":              pragmaBool,
	"defer_foreign_keys":        pragmaBool,
	"ignore_check_constraints":  pragmaBool,
	"legacy_alter_table":        pragmaBool,
	"recursive_triggers":        pragmaBool,
	"reverse_unordered_selects": pragmaBool,
	"foreign_key_check":         pragmaOptionalObject,
	"foreign_key_list":          pragmaObject,
	"index_info":                pragmaObject,
	"index_list":                pragmaObject,
	"index_xinfo":               pragmaObject,
	"quick_check":               pragmaNullNumberOrObject,
	"optimize":                  pragmaNullOrNumber,
}

// allowedFunctions is workerd's function allowlist for Durable
// Objects' SQL: SQLite's core, date, aggregate, window, math and JSON
// functions, FTS5's and R*Tree's, and those ALTER TABLE uses; not the
// ones that reveal SQLite's build (sqlite_version, …).
var allowedFunctions = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields(`
		abs changes char coalesce concat concat_ws format glob hex ifnull iif instr
		last_insert_rowid length like likelihood likely load_extension lower ltrim
		max_scalar min_scalar nullif octet_length printf quote random randomblob replace
		round rtrim sign soundex substr substring total_changes trim typeof unhex unicode
		unlikely upper zeroblob
		date time datetime julianday unixepoch strftime timediff current_date current_time
		current_timestamp
		avg count group_concat max min string_agg sum total
		row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value
		last_value nth_value
		acos acosh asin asinh atan atan2 atanh ceil cos cosh degrees exp floor ln log log2
		mod pi pow radians sin sinh sqrt tan tanh trunc
		json jsonb json_array jsonb_array json_array_length json_extract jsonb_extract
		-> ->> json_insert jsonb_insert json_object jsonb_object json_patch jsonb_patch
		json_remove jsonb_remove json_replace jsonb_replace json_set jsonb_set json_type
		json_valid json_quote json_group_array jsonb_group_array json_group_object
		jsonb_group_object json_each json_tree
		match highlight bm25 snippet rtreecheck
		sqlite_rename_column sqlite_rename_table sqlite_rename_test sqlite_drop_column
		sqlite_rename_quotefix`) {
		m[f] = true
	}
	return m
}()

// isBool reports whether v is one of SQLite's spellings of a boolean,
// as workerd checks it (case-insensitive, optionally quoted).
func isBool(v string) bool {
	if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	switch strings.ToLower(v) {
	case "true", "false", "yes", "no", "on", "off", "1", "0":
		return true
	}
	return false
}

// authorize is SQLite's authorizer callback: workerd's rules for the
// SQL API of a Durable Object. The storage's own statements run
// trusted.
func (s *SQLite) authorize(action sqlite3.AuthorizerActionCode, p1, p2, db, _ string) sqlite3.AuthorizerReturnCode {
	if s.trusted {
		return sqlite3.AUTH_OK
	}
	if !s.authorized(action, p1, p2, db) {
		if s.denied == "" {
			s.denied = describe(action, p1, p2, db)
		}
		return sqlite3.AUTH_DENY
	}
	return sqlite3.AUTH_OK
}

func (s *SQLite) authorized(action sqlite3.AuthorizerActionCode, p1, p2, db string) bool {
	// SQLite passes the schema name first for these two.
	if action == sqlite3.AUTH_ALTER_TABLE || action == sqlite3.AUTH_DETACH {
		p1, p2, db = p2, "", p1
	}
	switch db {
	case "", "main":
	case "temp":
		// The temp schema is readable (SQLite's own use of it), never
		// written: there are no temporary tables.
		return (action == sqlite3.AUTH_READ || action == sqlite3.AUTH_UPDATE) && allowedName(p1)
	default:
		return false
	}
	switch action {
	case sqlite3.AUTH_SELECT, sqlite3.AUTH_RECURSIVE, sqlite3.AUTH_ANALYZE:
		return true
	case sqlite3.AUTH_CREATE_TABLE, sqlite3.AUTH_DELETE, sqlite3.AUTH_DROP_TABLE, sqlite3.AUTH_INSERT,
		sqlite3.AUTH_CREATE_VIEW, sqlite3.AUTH_DROP_VIEW, sqlite3.AUTH_REINDEX,
		sqlite3.AUTH_READ, sqlite3.AUTH_UPDATE, sqlite3.AUTH_ALTER_TABLE:
		return allowedName(p1)
	case sqlite3.AUTH_CREATE_INDEX, sqlite3.AUTH_DROP_INDEX, sqlite3.AUTH_CREATE_TRIGGER, sqlite3.AUTH_DROP_TRIGGER:
		return allowedName(p1) && allowedName(p2)
	case sqlite3.AUTH_TRANSACTION, sqlite3.AUTH_SAVEPOINT:
		// Transactions are the storage's: ctx.storage.transaction.
		return false
	case sqlite3.AUTH_PRAGMA:
		return pragmaAllowed(strings.ToLower(p1), p2)
	case sqlite3.AUTH_FUNCTION:
		return allowedFunctions[strings.ToLower(p2)]
	case sqlite3.AUTH_CREATE_VTABLE, sqlite3.AUTH_DROP_VTABLE:
		switch strings.ToLower(p2) {
		case "fts5", "fts5vocab", "rtree", "rtree_i32":
			return allowedName(p1)
		}
		return false
	}
	// ATTACH, DETACH, temporary objects and anything else.
	return false
}

func pragmaAllowed(name, arg string) bool {
	switch name {
	case "table_list":
		return true
	case "table_info", "table_xinfo":
		return arg != "" && allowedName(arg)
	}
	sig, ok := allowedPragmas[name]
	if !ok {
		return false
	}
	switch sig {
	case pragmaNoArg:
		return arg == ""
	case pragmaBool:
		return arg == "" || isBool(arg)
	case pragmaObject:
		return arg != "" && allowedName(arg)
	case pragmaOptionalObject:
		return allowedName(arg)
	case pragmaNullOrNumber:
		_, err := strconv.ParseInt(arg, 10, 32)
		return arg == "" || err == nil
	case pragmaNullNumberOrObject:
		_, err := strconv.ParseUint(arg, 10, 32)
		return arg == "" || err == nil || allowedName(arg)
	}
	return false
}

// describe names a refused action for its AuthError.
func describe(action sqlite3.AuthorizerActionCode, p1, p2, db string) string {
	if db == "temp" {
		return "temporary tables, views, indexes and triggers"
	}
	switch action {
	case sqlite3.AUTH_PRAGMA:
		if p2 != "" {
			return fmt.Sprintf("PRAGMA %s(%s)", p1, p2)
		}
		return "PRAGMA " + p1
	case sqlite3.AUTH_FUNCTION:
		return "function " + p2 + "()"
	case sqlite3.AUTH_TRANSACTION:
		return p1 + " (use the storage's transaction)"
	case sqlite3.AUTH_SAVEPOINT:
		return p1 + " of savepoint " + p2 + " (use the storage's transaction)"
	case sqlite3.AUTH_ATTACH:
		return "ATTACH"
	case sqlite3.AUTH_DETACH:
		return "DETACH"
	case sqlite3.AUTH_CREATE_TEMP_TABLE, sqlite3.AUTH_CREATE_TEMP_VIEW, sqlite3.AUTH_CREATE_TEMP_INDEX,
		sqlite3.AUTH_CREATE_TEMP_TRIGGER:
		return "temporary tables, views, indexes and triggers"
	case sqlite3.AUTH_CREATE_VTABLE:
		return "virtual table module " + p2
	}
	for _, n := range []string{p1, p2} {
		if n != "" && !allowedName(n) {
			return "access to " + n + " (names beginning with _cf_ are reserved)"
		}
	}
	return fmt.Sprintf("SQLite action %d", action)
}

// renameTarget returns the new name of an ALTER TABLE … RENAME TO
// statement: the authorizer is not told it (workerd patches SQLite for
// that), so it is checked before the statement is prepared.
func renameTarget(sql string) (string, bool) {
	toks := sqlTokens(sql, 12)
	if len(toks) < 5 || !strings.EqualFold(toks[0], "ALTER") {
		return "", false
	}
	for i := 1; i+1 < len(toks); i++ {
		if strings.EqualFold(toks[i], "RENAME") {
			j := i + 1
			if strings.EqualFold(toks[j], "TO") && j+1 < len(toks) {
				return toks[j+1], true
			}
			if strings.EqualFold(toks[j], "COLUMN") || j+2 < len(toks) && strings.EqualFold(toks[j+1], "TO") {
				return "", false // a column rename
			}
		}
	}
	return "", false
}

// sqlTokens returns up to n tokens of sql's first statement: words,
// quoted names (unquoted) and single punctuation, skipping comments.
func sqlTokens(sql string, n int) []string {
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
			out = append(out, sql[i+1:i+1+j])
			i += j + 2
		case c == ';':
			return out
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			j := i
			for j < len(sql) && (sql[j] == '_' || sql[j] == '$' || sql[j] >= 'a' && sql[j] <= 'z' ||
				sql[j] >= 'A' && sql[j] <= 'Z' || sql[j] >= '0' && sql[j] <= '9' || sql[j] >= 0x80) {
				j++
			}
			out = append(out, sql[i:j])
			i = j
		default:
			out = append(out, sql[i:i+1])
			i++
		}
	}
	return out
}
