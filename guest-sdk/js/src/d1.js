// Bindery JavaScript Worker runtime: Cloudflare D1 (`env.DB`), the
// workers-types D1Database API over bindery:d1/database. The host runs
// every statement and owns D1's rules and messages (bindings/d1); this
// module shapes what the host returns as workerd's D1 binding does: rows
// as objects (all, run, first) or arrays (raw), D1's result and meta field
// names, and workerd's checks of bound values. docs/sdk-js.md#d1 says what
// differs from Cloudflare.
//
// runtime.js resolves a binding name with openD1(name) and, when a request
// ends, calls releaseD1Sessions(): a session's host handle lives for one
// request, and a session used again later reopens at its bookmark.
import { Database as HostDatabase } from 'bindery:d1/database@0.1.0';
import { BindingError } from './errors.js';

const dispose = Symbol.dispose || Symbol.for('dispose');

// token guards the constructors: like workerd's, they are not for Workers.
const token = Symbol('bindery d1');

const FIRST_PRIMARY = 'first-primary';
const FIRST_UNCONSTRAINED = 'first-unconstrained';

// SQLite's integers are 64-bit: a bound Number or BigInt outside them is
// no integer SQLite can store.
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const TWO_63 = 2 ** 63;

/**
 * D1Error is what D1 calls throw: an Error whose message is D1's text
 * ("D1_ERROR: no such table: t: SQLITE_ERROR", "D1_TYPE_ERROR: …",
 * "D1_COLUMN_NOTFOUND: …"), as on Cloudflare, with the message after the
 * prefix as its cause. It is a BindingError too: `code` is the WIT error
 * case ("sql", "limit", "refused", "invalid-argument", …).
 */
export class D1Error extends BindingError {
  constructor(code, message) {
    super(code);
    this.name = 'Error'; // String(e) is "Error: D1_…", as on Cloudflare
    this.message = message;
    const i = message.indexOf(': ');
    this.cause = new Error(i >= 0 ? message.slice(i + 2) : message);
  }
}

// call runs a host call and turns a WIT error variant into a D1Error with
// the host's message.
function call(f) {
  try {
    return f();
  } catch (e) {
    const p = e && e.payload;
    if (p && typeof p === 'object' && 'tag' in p) {
      throw new D1Error(p.tag, typeof p.val === 'string' ? p.val : `D1_ERROR: ${p.tag}`);
    }
    throw e;
  }
}

// utf8 returns s when UTF-8 can carry it, else throws a D1Error before it
// reaches the host (the lowering would send U+FFFD for a lone surrogate,
// and run another statement, or bind another value, than the Worker's).
function utf8(s, what) {
  if (!s.isWellFormed()) {
    throw new D1Error('invalid-argument', `D1_ERROR: ${what} ${JSON.stringify(s)} is not well-formed Unicode (a lone surrogate), so it cannot be sent as UTF-8`);
  }
  return s;
}

// sqlText checks the SQL of prepare and exec.
function sqlText(sql, what) {
  if (typeof sql !== 'string') {
    throw new D1Error('invalid-argument', `D1_ERROR: ${what} takes the SQL text as a string, got ${typeof sql}`);
  }
  return utf8(sql, 'the SQL text');
}

// typeError is workerd's error for a value bind does not take.
function typeError(v) {
  let shown;
  try {
    shown = String(v);
  } catch {
    shown = Object.prototype.toString.call(v);
  }
  return new D1Error('invalid-argument', `D1_TYPE_ERROR: Type '${typeof v}' not supported for value '${shown}'`);
}

const isByte = (b) => Number.isInteger(b) && b >= 0 && b < 256;

// toValue is a bound JavaScript value as the WIT's value, as workerd
// converts it: null is NULL; a string is text; a boolean is 1 or 0; a
// Number is an integer when it is integral and within 64 bits (D1 stores 1
// as INTEGER), else a real; an ArrayBuffer, a view, or an Array of bytes
// is a blob. Bindery also takes a BigInt within 64 bits, so that integers
// beyond 2^53 can be bound whole. Anything else (undefined, a symbol, a
// function, another object) is workerd's D1_TYPE_ERROR. Blobs are copied:
// a statement does not change when the buffer does.
function toValue(v) {
  switch (typeof v) {
    case 'string':
      return { tag: 'text', val: utf8(v, 'the text value') };
    case 'number':
      if (Number.isInteger(v) && v >= -TWO_63 && v < TWO_63) return { tag: 'integer', val: BigInt(v) };
      return { tag: 'real', val: v };
    case 'bigint':
      if (v < I64_MIN || v > I64_MAX) {
        throw new D1Error('invalid-argument', `D1_TYPE_ERROR: BigInt ${v} is outside SQLite's 64-bit integers`);
      }
      return { tag: 'integer', val: v };
    case 'boolean':
      return { tag: 'integer', val: v ? 1n : 0n };
    case 'object':
      if (v === null) return { tag: 'null' };
      if (Array.isArray(v) && v.every(isByte)) return { tag: 'blob', val: Uint8Array.from(v) };
      if (v instanceof ArrayBuffer) return { tag: 'blob', val: new Uint8Array(v.slice(0)) };
      if (ArrayBuffer.isView(v)) return { tag: 'blob', val: new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)) };
  }
  throw typeError(v);
}

// fromValue is a WIT value as D1 returns it: an integer is a Number when
// Number holds it exactly and a BigInt beyond 2^53 (Cloudflare rounds it
// to a Number); a blob is an Array of byte values, as D1's are.
function fromValue(v) {
  switch (v.tag) {
    case 'integer': return integer(v.val);
    case 'real': return v.val;
    case 'text': return v.val;
    case 'blob': return Array.from(v.val);
  }
  return null;
}

const integer = (b) => (b >= Number.MIN_SAFE_INTEGER && b <= Number.MAX_SAFE_INTEGER ? Number(b) : b);

// meta is D1's meta with D1's field names. Bindery has one copy of a
// database, so every statement is served by the primary.
function meta(m) {
  return {
    served_by_primary: true,
    timings: { sql_duration_ms: m.duration },
    duration: m.duration,
    changes: Number(m.changes),
    last_row_id: integer(m.lastRowId),
    changed_db: m.changedDb,
    size_after: Number(m.sizeAfter),
    rows_read: Number(m.rowsRead),
    rows_written: Number(m.rowsWritten),
  };
}

// rowsOf is a query-result's columns and rows as this realm's Arrays (the
// bindings' lists are another realm's: web/bytes.js).
function rowsOf(r) {
  return { columns: Array.from(r.columns), rows: Array.from(r.rows, (row) => Array.from(row, fromValue)) };
}

// objects turns rows into objects keyed by column, as workerd does: a name
// that repeats keeps its last column's value.
const objects = ({ columns, rows }) => rows.map((row) => Object.fromEntries(row.map((v, i) => [columns[i], v])));

// result is D1's D1Result for one query-result.
function result(r) {
  return { success: true, meta: meta(r.meta), results: objects(rowsOf(r)) };
}

// statementOf returns a D1PreparedStatement's WIT statement, or undefined
// for anything else.
let statementOf;

/**
 * D1PreparedStatement is a statement and its bound values: bind returns a
 * new statement, so one prepared statement can be bound many times.
 */
export class D1PreparedStatement {
  #runner;
  #sql;
  #params;
  constructor(t, runner, sql, params) {
    if (t !== token) throw new TypeError('Illegal constructor: prepare a statement with env.DB.prepare(sql)');
    this.#runner = runner;
    this.#sql = sql;
    this.#params = params;
  }
  static {
    statementOf = (s) => (typeof s === 'object' && s !== null && #sql in s ? { sql: s.#sql, params: s.#params } : undefined);
  }
  /** bind returns a new statement with values bound to ?1, ?2, … (D1_TYPE_ERROR for a value D1 does not take). */
  bind(...values) {
    return new D1PreparedStatement(token, this.#runner, this.#sql, values.map(toValue));
  }
  #query() {
    return rowsAndMeta(this.#runner.query({ sql: this.#sql, params: this.#params }));
  }
  /**
   * first returns the first row as an object, or its column colName; null
   * when there is no row. A colName the result lacks throws
   * D1_COLUMN_NOTFOUND.
   */
  async first(colName) {
    const r = this.#query();
    if (r.rows.length === 0) return null;
    const row = objects({ columns: r.columns, rows: r.rows.slice(0, 1) })[0];
    if (colName === undefined) return row;
    if (!Object.hasOwn(row, colName)) {
      throw new D1Error('invalid-argument', `D1_COLUMN_NOTFOUND: Column not found (${colName})`);
    }
    return row[colName];
  }
  /** all returns D1's D1Result: { success, meta, results } with a row object per result row. */
  async all() {
    const r = this.#query();
    return { success: true, meta: r.meta, results: objects(r) };
  }
  /** run is all: D1 returns the results of any statement. */
  async run() {
    return this.all();
  }
  /** raw returns the rows as arrays, the column names first when options.columnNames is set. */
  async raw(options) {
    const r = this.#query();
    return options?.columnNames ? [r.columns, ...r.rows] : r.rows;
  }
}

function rowsAndMeta(r) {
  return { ...rowsOf(r), meta: meta(r.meta) };
}

// statements checks batch's argument and returns the WIT statements.
function statements(list) {
  if (list == null || typeof list[Symbol.iterator] !== 'function') {
    throw new TypeError('D1: batch takes an array of prepared statements');
  }
  return Array.from(list, (s, i) => {
    const w = statementOf(s);
    if (w === undefined) throw new TypeError(`D1: batch item ${i} is not a prepared statement (prepare it with env.DB.prepare(sql))`);
    return w;
  });
}

// Sessions with a host handle open in this request (releaseD1Sessions).
const open = new Set();

/**
 * D1DatabaseSession is withSession's session: its queries never read
 * older data than its bookmark, which advances with each of them.
 */
export class D1DatabaseSession {
  #db;
  #spec; // the constraint or bookmark the host session opens at
  #handle; // the host session, opened on first use in a request
  constructor(t, db, spec) {
    if (t !== token) throw new TypeError('Illegal constructor: start a session with env.DB.withSession()');
    this.#db = db;
    this.#spec = spec;
  }
  #session() {
    if (this.#handle === undefined) {
      this.#handle = call(() => this.#db.withSession(this.#spec));
      open.add(this);
    }
    return this.#handle;
  }
  // The runner the session's statements run on.
  #runner = {
    query: (s) => call(() => this.#session().query(s)),
    batch: (ss) => call(() => this.#session().batch(ss)),
  };
  /** prepare returns a statement that runs in this session. */
  prepare(sql) {
    return new D1PreparedStatement(token, this.#runner, sqlText(sql, 'prepare'), []);
  }
  /** batch runs the statements in one transaction in this session: all take effect, or none. */
  async batch(stmts) {
    return Array.from(this.#runner.batch(statements(stmts)), result);
  }
  /** getBookmark returns the bookmark of the latest commit the session has seen, null before its first query. */
  getBookmark() {
    if (this.#handle !== undefined) return this.#handle.bookmark() ?? null;
    return this.#spec === FIRST_PRIMARY || this.#spec === FIRST_UNCONSTRAINED ? null : this.#spec;
  }
  /** release keeps the session's bookmark and gives its host handle back. */
  release() {
    if (this.#handle === undefined) return;
    const b = this.#handle.bookmark();
    if (b !== undefined) this.#spec = b;
    this.#handle[dispose]();
    this.#handle = undefined;
  }
}

/** D1Database is a D1 binding (env.DB): the workers-types D1Database API. */
export class D1Database {
  #db;
  #runner;
  constructor(t, db) {
    if (t !== token) throw new TypeError('Illegal constructor: D1 databases are bindings, env.NAME');
    this.#db = db;
    this.#runner = { query: (s) => call(() => db.query(s)), batch: (ss) => call(() => db.batch(ss)) };
  }
  /** prepare returns a statement for sql, with ? or ?NNN parameters to bind. */
  prepare(sql) {
    return new D1PreparedStatement(token, this.#runner, sqlText(sql, 'prepare'), []);
  }
  /** batch runs the statements in one transaction: all take effect, or on the first error none does. */
  async batch(stmts) {
    return Array.from(this.#runner.batch(statements(stmts)), result);
  }
  /** exec runs statements separated by semicolons, without bound values, and returns { count, duration }. */
  async exec(sql) {
    sqlText(sql, 'exec');
    const r = call(() => this.#db.exec(sql));
    return { count: r.count, duration: r.duration };
  }
  /**
   * withSession starts a session: "first-unconstrained" (the default),
   * "first-primary", or a bookmark from getBookmark. An unknown constraint
   * or a malformed bookmark rejects the session's first query.
   */
  withSession(constraintOrBookmark) {
    if (constraintOrBookmark != null && typeof constraintOrBookmark !== 'string') {
      throw new TypeError(`D1: withSession takes a constraint or a bookmark as a string, got ${typeof constraintOrBookmark}`);
    }
    let spec = constraintOrBookmark?.trim();
    if (!spec) spec = FIRST_UNCONSTRAINED;
    return new D1DatabaseSession(token, this.#db, utf8(spec, 'the bookmark'));
  }
}

/**
 * openD1 returns the D1 binding name as a D1Database, or undefined when
 * the Worker has no D1 binding of that name.
 */
export function openD1(name) {
  let db;
  try {
    db = HostDatabase.open(name);
  } catch {
    return undefined;
  }
  return new D1Database(token, db);
}

/**
 * releaseD1Sessions gives back the host handles of the sessions used in
 * the request that ends; each keeps its bookmark and reopens at it when
 * it is used again.
 */
export function releaseD1Sessions() {
  for (const s of open) s.release();
  open.clear();
}
