package d1

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// ScriptError is the error of ExecScript: which statement of the script
// failed, and where it starts, so that a CLI can point at file:line.
type ScriptError struct {
	// Statement is the failing statement's 1-based index (counting the
	// script's statements, then those run after it).
	Statement int
	// Offset is the byte offset in the script of the failing statement's
	// first token (past the whitespace and comments before it); -1 for
	// a statement run after the script.
	Offset int
	// Err is the statement's error.
	Err error
}

// Error names the statement and its error.
func (e *ScriptError) Error() string {
	return fmt.Sprintf("d1: statement %d: %v", e.Statement, e.Err)
}

// Unwrap returns the statement's error.
func (e *ScriptError) Unwrap() error { return e.Err }

// Position returns the 1-based line and column (in bytes) of the failing
// statement in script, the text given to ExecScript; ok is false when
// the error's offset is not in it.
func (e *ScriptError) Position(script string) (line, col int, ok bool) {
	if e.Offset < 0 || e.Offset > len(script) {
		return 0, 0, false
	}
	before := script[:e.Offset]
	line = strings.Count(before, "\n") + 1
	col = e.Offset - strings.LastIndexByte(before, '\n')
	return line, col, true
}

// ExecScript runs every statement of script (separated by semicolons, as
// Exec takes them), then the statements then, all in one transaction:
// all of them take effect or, on the first error, none. It returns one
// result per statement, in order; the error of a failing statement is a
// *ScriptError that says where the statement starts. Each statement
// passes D1's authorizer and limits, and has the query time limit.
//
// It is for trusted host-side callers (the bindery d1 CLI applies
// migrations with it: a migration file, then the INSERT that records it);
// a Worker has Exec and Batch.
func (db *Database) ExecScript(ctx context.Context, script string, then ...*Statement) ([]*Result, error) {
	if db.closed.Load() {
		return nil, ErrClosed
	}
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if db.closed.Load() {
		return nil, ErrClosed
	}
	w := db.w
	if err := w.trustedExec("BEGIN IMMEDIATE"); err != nil {
		return nil, fmt.Errorf("d1: script: begin: %w", w.wrap(err, "", db.opts.QueryTimeout))
	}
	var out []*Result
	fail := func(offset int, err error) ([]*Result, error) {
		serr := &ScriptError{Statement: len(out) + 1, Offset: offset, Err: err}
		if rerr := w.trustedExec("ROLLBACK"); rerr != nil {
			return nil, fmt.Errorf("%w (rollback: %v)", serr, rerr)
		}
		return nil, serr
	}
	run := func(sql string, args []Value) error {
		if err := checkLimits(sql, args); err != nil {
			return err
		}
		res, _, err := db.step(ctx, w, sql, args, false)
		if err == nil {
			out = append(out, res)
		}
		return err
	}
	for pos, rest := 0, script; ; {
		one, tail := splitFirst(w, rest)
		if one == "" {
			break
		}
		start := pos + skipSpace(one)
		if err := run(one, nil); err != nil {
			return fail(start, err)
		}
		pos += len(rest) - len(tail)
		rest = tail
	}
	for _, s := range then {
		if err := run(s.sql, s.args); err != nil {
			return fail(-1, err)
		}
	}
	if err := w.trustedExec("COMMIT"); err != nil {
		_ = w.trustedExec("ROLLBACK")
		return nil, fmt.Errorf("d1: script: commit: %w", w.wrap(err, "", db.opts.QueryTimeout))
	}
	// A commit that changed nothing (a script of reads) is no new state
	// for a session's bookmark.
	if slices.ContainsFunc(out, func(r *Result) bool { return r.Meta.ChangedDB }) {
		db.seq.Add(1)
	}
	db.size.Store(w.size())
	for _, r := range out {
		r.Meta.SizeAfter = db.size.Load()
	}
	return out, nil
}

// skipSpace returns the length of the whitespace and comments that
// start sql.
func skipSpace(sql string) int {
	i := 0
	for i < len(sql) {
		switch c := sql[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				return len(sql)
			}
			i += j + 1
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return len(sql)
			}
			i += j + 4
		default:
			return i
		}
	}
	return i
}
