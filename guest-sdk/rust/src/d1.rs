//! Cloudflare D1 SQL databases: [`crate::Env::d1`].
//!
//! The API is workers-rs's `worker::d1`, without `.await` (a Bindery
//! Worker's calls return when the host is done, as KV's and R2's do):
//!
//! ```ignore
//! use bindery::d1::{D1Type, D1Row};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Todo { id: i64, title: String, done: bool }
//!
//! let db = env.d1("DB")?;
//! db.prepare("INSERT INTO todos (title, done) VALUES (?1, ?2)")
//!     .bind(&[D1Type::from("milk"), false.into()])
//!     .run()?;
//! let todos: Vec<Todo> = db.prepare("SELECT * FROM todos").all()?.results()?;
//! let n: Option<i64> = db.prepare("SELECT count(*) AS n FROM todos").first(Some("n"))?;
//! let row: Option<D1Row> = db.prepare("SELECT * FROM todos").first(None)?; // untyped
//! ```
//!
//! Values are SQLite's: NULL, a 64-bit integer (exact beyond 2^53), a
//! float, text or a blob ([`D1Type`]). Rows deserialize with serde into any
//! `T: Deserialize`: a row as a map (or a struct) from column name to
//! value, or as a sequence (a tuple) of its values in column order. An
//! integer deserializes into any Rust integer it fits (and `0`/`1` into
//! `bool`), never into a string; a float into `f64`/`f32`; text into
//! `String`, `char` or a unit enum variant; a blob into `Vec<u8>`; NULL into
//! `None` or `()`.

use std::fmt;
use std::rc::Rc;

use serde::de::value::{SeqDeserializer, StrDeserializer};
use serde::de::{self, Deserialize, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::wit::bindery::d1::database as wit;
use crate::{Error, Result};

/// A value bound to a statement or read from a row: one of SQLite's
/// storage classes. Every integer keeps its 64 bits.
///
/// Anything a statement binds converts with `From`: the integers up to
/// `i64` and `u32`, `bool` (`1` or `0`, as SQLite stores it), `f64` and
/// `f32`, `&str` and `String`, `Vec<u8>` and `&[u8]` (a blob), and
/// `Option<T>` of any of these (`None` is NULL).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum D1Type {
    /// SQL NULL.
    #[default]
    Null,
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit float.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl D1Type {
    /// Whether the value is NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, D1Type::Null)
    }

    /// The integer, or `None` for any other kind.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            D1Type::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The float, or `None` for any other kind (an integer too: convert it
    /// yourself if a column mixes them).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            D1Type::Real(f) => Some(*f),
            _ => None,
        }
    }

    /// The text, or `None` for any other kind.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            D1Type::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The blob's bytes, or `None` for any other kind.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            D1Type::Blob(b) => Some(b),
            _ => None,
        }
    }

    fn to_wit(&self) -> wit::Value {
        match self {
            D1Type::Null => wit::Value::Null,
            D1Type::Integer(i) => wit::Value::Integer(*i),
            D1Type::Real(f) => wit::Value::Real(*f),
            D1Type::Text(s) => wit::Value::Text(s.clone()),
            D1Type::Blob(b) => wit::Value::Blob(b.clone()),
        }
    }

    fn from_wit(v: wit::Value) -> Self {
        match v {
            wit::Value::Null => D1Type::Null,
            wit::Value::Integer(i) => D1Type::Integer(i),
            wit::Value::Real(f) => D1Type::Real(f),
            wit::Value::Text(s) => D1Type::Text(s),
            wit::Value::Blob(b) => D1Type::Blob(b),
        }
    }
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for D1Type {
            fn from(v: $t) -> Self {
                D1Type::Integer(i64::from(v))
            }
        }
    )*};
}
from_integer!(i64, i32, i16, i8, u32, u16, u8);

impl From<bool> for D1Type {
    fn from(v: bool) -> Self {
        D1Type::Integer(i64::from(v))
    }
}

impl From<f64> for D1Type {
    fn from(v: f64) -> Self {
        D1Type::Real(v)
    }
}

impl From<f32> for D1Type {
    fn from(v: f32) -> Self {
        D1Type::Real(f64::from(v))
    }
}

impl From<&str> for D1Type {
    fn from(v: &str) -> Self {
        D1Type::Text(v.to_string())
    }
}

impl From<String> for D1Type {
    fn from(v: String) -> Self {
        D1Type::Text(v)
    }
}

impl From<&String> for D1Type {
    fn from(v: &String) -> Self {
        D1Type::Text(v.clone())
    }
}

impl From<Vec<u8>> for D1Type {
    fn from(v: Vec<u8>) -> Self {
        D1Type::Blob(v)
    }
}

impl From<&[u8]> for D1Type {
    fn from(v: &[u8]) -> Self {
        D1Type::Blob(v.to_vec())
    }
}

impl<const N: usize> From<&[u8; N]> for D1Type {
    fn from(v: &[u8; N]) -> Self {
        D1Type::Blob(v.to_vec())
    }
}

impl From<&D1Type> for D1Type {
    fn from(v: &D1Type) -> Self {
        v.clone()
    }
}

impl<T: Into<D1Type>> From<Option<T>> for D1Type {
    fn from(v: Option<T>) -> Self {
        v.map_or(D1Type::Null, Into::into)
    }
}

/// A row without a type of the Worker's: its column names and values in
/// order. Read one with `first::<D1Row>(None)` or `results::<D1Row>()`.
/// Like a row object in JavaScript, a column name that repeats keeps its
/// last value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct D1Row {
    columns: Vec<String>,
    values: Vec<D1Type>,
}

impl D1Row {
    /// The value of column `name`, or `None` when the row has no such column.
    pub fn get(&self, name: &str) -> Option<&D1Type> {
        self.columns.iter().position(|c| c == name).map(|i| &self.values[i])
    }

    /// The column names, in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The values, in column order.
    pub fn values(&self) -> &[D1Type] {
        &self.values
    }

    /// `(name, value)` pairs in column order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &D1Type)> {
        self.columns.iter().map(String::as_str).zip(&self.values)
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// D1's result metadata.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct D1ResultMeta {
    /// Milliseconds the statement ran.
    pub duration: f64,
    /// Rows read.
    pub rows_read: u64,
    /// Rows written.
    pub rows_written: u64,
    /// The rowid of the last row inserted, 0 if none.
    pub last_row_id: i64,
    /// Rows changed by the statement.
    pub changes: u64,
    /// Whether the statement changed the database.
    pub changed_db: bool,
    /// The database size in bytes after the statement.
    pub size_after: u64,
}

/// The result of one statement ([`D1PreparedStatement::all`] and
/// [`D1PreparedStatement::run`], and each of a batch's).
#[derive(Clone, Debug, PartialEq)]
pub struct D1Result {
    columns: Vec<String>,
    rows: Vec<Vec<D1Type>>,
    meta: D1ResultMeta,
}

impl D1Result {
    fn from_wit(r: wit::QueryResult) -> Self {
        let m = r.meta;
        D1Result {
            columns: r.columns,
            rows: r.rows.into_iter().map(|row| row.into_iter().map(D1Type::from_wit).collect()).collect(),
            meta: D1ResultMeta {
                duration: m.duration,
                rows_read: m.rows_read,
                rows_written: m.rows_written,
                last_row_id: m.last_row_id,
                changes: m.changes,
                changed_db: m.changed_db,
                size_after: m.size_after,
            },
        }
    }

    /// Always `true`, as in D1: a statement that failed is an `Err`, never
    /// a result.
    pub fn success(&self) -> bool {
        true
    }

    /// The rows, each deserialized into `T` (a struct, a map such as
    /// `HashMap<String, D1Type>`, a tuple, or [`D1Row`]).
    pub fn results<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        (0..self.rows.len()).map(|i| self.row(i)).collect()
    }

    /// The metadata: duration, rows read and written, last row id, changes.
    pub fn meta(&self) -> &D1ResultMeta {
        &self.meta
    }

    /// The column names in order (names may repeat, as SQLite allows).
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The rows' values in column order, untyped.
    pub fn rows(&self) -> &[Vec<D1Type>] {
        &self.rows
    }

    /// D1's `first` of this result.
    fn first<T: DeserializeOwned>(&self, column: Option<&str>) -> Result<Option<T>> {
        if self.rows.is_empty() {
            return Ok(None);
        }
        let Some(name) = column else {
            return self.row(0).map(Some);
        };
        // A repeated name means its last column, as in a JavaScript row object.
        let i = self.columns.iter().rposition(|c| c == name).ok_or_else(|| Error::InvalidArgument(format!("D1_COLUMN_NOTFOUND: Column not found ({name})")))?;
        Ok(Some(T::deserialize(ValueDe(&self.rows[0][i])).map_err(|e| e.in_column(name).in_row(0))?))
    }

    /// Row `i` deserialized into `T`.
    fn row<T: DeserializeOwned>(&self, i: usize) -> Result<T> {
        T::deserialize(RowDe { columns: &self.columns, values: &self.rows[i] }).map_err(|e| e.in_row(i).into())
    }

    /// Each row's values deserialized into `T` (D1's `raw`).
    fn raw<T: DeserializeOwned>(&self, column_names: bool) -> Result<Vec<Vec<T>>> {
        let mut out = Vec::with_capacity(self.rows.len() + usize::from(column_names));
        if column_names {
            let names = self.columns.iter().map(|c| T::deserialize(ValueDe(&D1Type::Text(c.clone())))).collect::<Result<_, DeError>>();
            out.push(names.map_err(|e| e.context("d1: column names".into()))?);
        }
        for (i, row) in self.rows.iter().enumerate() {
            let row = row.iter().enumerate().map(|(j, v)| T::deserialize(ValueDe(v)).map_err(|e| e.in_column(&self.columns[j])));
            out.push(row.collect::<Result<_, DeError>>().map_err(|e| e.in_row(i))?);
        }
        Ok(out)
    }
}

/// What [`D1Database::exec`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct D1ExecResult {
    /// The statements it ran.
    pub count: u32,
    /// Their total milliseconds.
    pub duration: f64,
}

/// Where a statement runs: the database, or a session of it.
#[derive(Clone, Debug)]
enum Target {
    Database(Rc<wit::Database>),
    Session(Rc<wit::Session>),
}

impl Target {
    fn query(&self, s: &wit::Statement) -> Result<wit::QueryResult> {
        Ok(match self {
            Target::Database(db) => db.query(s)?,
            Target::Session(se) => se.query(s)?,
        })
    }

    fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<D1Result>> {
        let ss: Vec<wit::Statement> = statements.iter().map(D1PreparedStatement::to_wit).collect();
        let rs = match self {
            Target::Database(db) => db.batch(&ss)?,
            Target::Session(se) => se.batch(&ss)?,
        };
        Ok(rs.into_iter().map(D1Result::from_wit).collect())
    }
}

/// A D1 database bound in the Worker's config (`[[d1_databases]]`), from
/// [`crate::Env::d1`].
#[derive(Clone, Debug)]
pub struct D1Database {
    pub(crate) db: Rc<wit::Database>,
}

impl D1Database {
    /// A statement of `query`, with `?` or `?NNN` for the parameters that
    /// [`D1PreparedStatement::bind`] gives. Nothing runs until `first`,
    /// `all`, `run`, `raw` or a batch.
    pub fn prepare(&self, query: impl Into<String>) -> D1PreparedStatement {
        D1PreparedStatement { target: Target::Database(self.db.clone()), sql: query.into(), params: Vec::new() }
    }

    /// Runs the statements in one transaction: all take effect, or on the
    /// first error none does and the error names the statement. The
    /// results are in the order of the statements. Each statement runs
    /// here, whichever database or session prepared it.
    pub fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<D1Result>> {
        Target::Database(self.db.clone()).batch(statements)
    }

    /// Runs one or more unbound statements separated by semicolons, in
    /// order, stopping at the first error (the ones before it stay done).
    /// For migrations and one-off maintenance; use `prepare` for queries.
    pub fn exec(&self, query: &str) -> Result<D1ExecResult> {
        let r = self.db.exec(query)?;
        Ok(D1ExecResult { count: r.count, duration: r.duration })
    }

    /// Starts a session (D1's `withSession`): `None` or
    /// `Some("first-unconstrained")` reads from any replica,
    /// `Some("first-primary")` from the primary, and a bookmark from
    /// [`D1DatabaseSession::get_bookmark`] from a replica at least that new.
    /// An unknown constraint or a malformed bookmark is
    /// [`Error::InvalidArgument`].
    pub fn with_session(&self, constraint_or_bookmark: Option<&str>) -> Result<D1DatabaseSession> {
        Ok(D1DatabaseSession { s: Rc::new(self.db.with_session(constraint_or_bookmark)?) })
    }

    /// [`D1Database::with_session`] with a typed constraint.
    pub fn with_session_constraint(&self, constraint: D1SessionConstraint) -> Result<D1DatabaseSession> {
        self.with_session(Some(constraint.as_str()))
    }
}

/// Where a session's first query goes ([`D1Database::with_session_constraint`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum D1SessionConstraint {
    /// To the primary: "first-primary".
    FirstPrimary,
    /// To any replica: "first-unconstrained".
    FirstUnconstrained,
}

impl D1SessionConstraint {
    /// D1's name of the constraint.
    pub fn as_str(self) -> &'static str {
        match self {
            D1SessionConstraint::FirstPrimary => "first-primary",
            D1SessionConstraint::FirstUnconstrained => "first-unconstrained",
        }
    }
}

/// A D1 session: its reads are never older than its bookmark.
#[derive(Clone, Debug)]
pub struct D1DatabaseSession {
    s: Rc<wit::Session>,
}

impl D1DatabaseSession {
    /// As [`D1Database::prepare`], for a statement that runs in the session.
    pub fn prepare(&self, query: impl Into<String>) -> D1PreparedStatement {
        D1PreparedStatement { target: Target::Session(self.s.clone()), sql: query.into(), params: Vec::new() }
    }

    /// As [`D1Database::batch`], in the session.
    pub fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<D1Result>> {
        Target::Session(self.s.clone()).batch(statements)
    }

    /// The bookmark of the latest commit the session has seen, to start a
    /// later session from; `None` before its first query (unless it
    /// started at the primary or at a bookmark).
    pub fn get_bookmark(&self) -> Option<String> {
        self.s.bookmark()
    }
}

/// A statement and its bound parameters, from `prepare`. It does nothing
/// until one of `first`, `all`, `run` or `raw` runs it (each runs it
/// again), or a batch does.
#[derive(Clone, Debug)]
#[must_use = "a statement does nothing until first, all, run or raw runs it"]
pub struct D1PreparedStatement {
    target: Target,
    sql: String,
    params: Vec<D1Type>,
}

impl D1PreparedStatement {
    /// The statement with `values` bound to its parameters in order (`?`,
    /// or `?NNN` by position), replacing any bound before:
    ///
    /// ```ignore
    /// stmt.bind(&[D1Type::from("ann"), 42.into(), D1Type::Null])
    /// stmt.bind([1, 2, 3])
    /// ```
    ///
    /// Unlike workers-rs's it cannot fail, so it returns the statement, not
    /// a `Result`: every Rust value that converts to [`D1Type`] is one D1
    /// takes. D1's limits (100 parameters, 2 MB a value) are checked when
    /// the statement runs.
    pub fn bind<I>(mut self, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<D1Type>,
    {
        self.params = values.into_iter().map(Into::into).collect();
        self
    }

    /// A statement per set of values, for a batch (workers-rs's
    /// `batch_bind`).
    pub fn batch_bind<I, J>(&self, sets: I) -> Vec<D1PreparedStatement>
    where
        I: IntoIterator<Item = J>,
        J: IntoIterator,
        J::Item: Into<D1Type>,
    {
        sets.into_iter().map(|set| self.clone().bind(set)).collect()
    }

    /// The SQL text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The bound values.
    pub fn params(&self) -> &[D1Type] {
        &self.params
    }

    /// The first row deserialized into `T`, or with `Some(column)` that
    /// column's value; `None` when there are no rows. A column the result
    /// does not have is [`Error::InvalidArgument`] with D1's message
    /// ("D1_COLUMN_NOTFOUND: Column not found (column)").
    pub fn first<T: DeserializeOwned>(&self, column: Option<&str>) -> Result<Option<T>> {
        self.query()?.first(column)
    }

    /// Runs the statement: its rows and metadata.
    pub fn all(&self) -> Result<D1Result> {
        self.query()
    }

    /// Runs the statement, as [`D1PreparedStatement::all`] (D1's `run`,
    /// for statements whose rows do not matter).
    pub fn run(&self) -> Result<D1Result> {
        self.query()
    }

    /// The rows as arrays of values in column order, each value
    /// deserialized into `T` (e.g. [`D1Type`]).
    pub fn raw<T: DeserializeOwned>(&self) -> Result<Vec<Vec<T>>> {
        self.query()?.raw(false)
    }

    /// As [`D1PreparedStatement::raw`], with the column names (as text
    /// values) first: D1's `raw({columnNames: true})`.
    pub fn raw_with_column_names<T: DeserializeOwned>(&self) -> Result<Vec<Vec<T>>> {
        self.query()?.raw(true)
    }

    fn to_wit(&self) -> wit::Statement {
        wit::Statement { sql: self.sql.clone(), params: self.params.iter().map(D1Type::to_wit).collect() }
    }

    fn query(&self) -> Result<D1Result> {
        Ok(D1Result::from_wit(self.target.query(&self.to_wit())?))
    }
}

/// Row `i` of a result with `columns` deserialized into `T`, as
/// [`D1Result::results`] does (for a Durable Object's SQL cursor).
#[cfg(feature = "durable-objects")]
pub(crate) fn row_into<T: DeserializeOwned>(columns: &[String], values: &[D1Type], i: usize) -> Result<T> {
    T::deserialize(RowDe { columns, values }).map_err(|e| e.context(format!("sql: row {i}")).into())
}

/// Why a row or value did not deserialize into the Worker's type; it
/// reaches the Worker as [`Error::Other`].
#[derive(Debug)]
struct DeError(String);

impl DeError {
    fn context(self, what: String) -> Self {
        DeError(format!("{what}: {}", self.0))
    }

    fn in_column(self, name: &str) -> Self {
        self.context(format!("column {name:?}"))
    }

    fn in_row(self, i: usize) -> Self {
        self.context(format!("d1: row {i}"))
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

impl From<DeError> for Error {
    fn from(e: DeError) -> Self {
        Error::other(e)
    }
}

/// Deserializes one value.
struct ValueDe<'a>(&'a D1Type);

impl<'de> de::Deserializer<'de> for ValueDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0 {
            D1Type::Null => v.visit_unit(),
            D1Type::Integer(i) => v.visit_i64(*i),
            D1Type::Real(f) => v.visit_f64(*f),
            D1Type::Text(s) => v.visit_str(s),
            D1Type::Blob(b) => v.visit_bytes(b),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0 {
            D1Type::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    // SQLite has no booleans: they are stored as 1 and 0.
    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0 {
            D1Type::Integer(0) => v.visit_bool(false),
            D1Type::Integer(1) => v.visit_bool(true),
            _ => self.deserialize_any(v),
        }
    }

    // A Vec<u8> asks for a sequence.
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0 {
            D1Type::Blob(b) => v.visit_seq(SeqDeserializer::<_, DeError>::new(b.iter().copied())),
            _ => self.deserialize_any(v),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _name: &'static str, _variants: &'static [&'static str], v: V) -> Result<V::Value, DeError> {
        match self.0 {
            D1Type::Text(s) => v.visit_enum::<StrDeserializer<'_, DeError>>(s.as_str().into_deserializer()),
            _ => self.deserialize_any(v),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct tuple_struct map struct identifier ignored_any
    }
}

/// Deserializes one row: a map from column name to value, or a sequence of
/// values.
struct RowDe<'a> {
    columns: &'a [String],
    values: &'a [D1Type],
}

impl<'de> de::Deserializer<'de> for RowDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_map(RowMap { columns: self.columns, values: self.values, next: 0 })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_seq(RowSeq { columns: self.columns, values: self.values, next: 0 })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct map struct enum identifier ignored_any
    }
}

struct RowMap<'a> {
    columns: &'a [String],
    values: &'a [D1Type],
    next: usize,
}

impl<'de> MapAccess<'de> for RowMap<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        // A name that repeats later is skipped: the last one wins, as in a
        // JavaScript row object (and a struct sees each field once).
        while self.next < self.columns.len() && self.columns[self.next + 1..].contains(&self.columns[self.next]) {
            self.next += 1;
        }
        let Some(name) = self.columns.get(self.next) else {
            return Ok(None);
        };
        seed.deserialize::<StrDeserializer<'_, DeError>>(name.as_str().into_deserializer()).map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, DeError> {
        let i = self.next;
        self.next += 1;
        seed.deserialize(ValueDe(&self.values[i])).map_err(|e| e.in_column(&self.columns[i]))
    }
}

struct RowSeq<'a> {
    columns: &'a [String],
    values: &'a [D1Type],
    next: usize,
}

impl<'de> SeqAccess<'de> for RowSeq<'_> {
    type Error = DeError;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, DeError> {
        let Some(v) = self.values.get(self.next) else {
            return Ok(None);
        };
        let i = self.next;
        self.next += 1;
        seed.deserialize(ValueDe(v)).map(Some).map_err(|e| e.in_column(&self.columns[i]))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.values.len() - self.next)
    }
}

impl<'de> de::Deserialize<'de> for D1Type {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(D1TypeVisitor)
    }
}

struct D1TypeVisitor;

impl<'de> Visitor<'de> for D1TypeVisitor {
    type Value = D1Type;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SQL value (null, an integer, a float, text or bytes)")
    }

    fn visit_unit<E: de::Error>(self) -> Result<D1Type, E> {
        Ok(D1Type::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<D1Type, E> {
        Ok(D1Type::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<D1Type, D::Error> {
        D1Type::deserialize(d)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<D1Type, E> {
        Ok(v.into())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<D1Type, E> {
        Ok(D1Type::Integer(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<D1Type, E> {
        i64::try_from(v).map(D1Type::Integer).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &"an integer up to 2^63-1"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<D1Type, E> {
        Ok(D1Type::Real(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<D1Type, E> {
        Ok(D1Type::Text(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<D1Type, E> {
        Ok(D1Type::Text(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<D1Type, E> {
        Ok(D1Type::Blob(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<D1Type, E> {
        Ok(D1Type::Blob(v))
    }
}

impl<'de> de::Deserialize<'de> for D1Row {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(D1RowVisitor)
    }
}

struct D1RowVisitor;

impl<'de> Visitor<'de> for D1RowVisitor {
    type Value = D1Row;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row (a map from column name to SQL value)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<D1Row, A::Error> {
        let mut row = D1Row::default();
        while let Some((k, v)) = m.next_entry::<String, D1Type>()? {
            row.columns.push(k);
            row.values.push(v);
        }
        Ok(row)
    }
}

/// A value serializes as its kind: an `i64`, an `f64`, a string, bytes, or
/// a unit (`null` in JSON).
impl Serialize for D1Type {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            D1Type::Null => s.serialize_unit(),
            D1Type::Integer(i) => s.serialize_i64(*i),
            D1Type::Real(f) => s.serialize_f64(*f),
            D1Type::Text(t) => s.serialize_str(t),
            D1Type::Blob(b) => s.serialize_bytes(b),
        }
    }
}

/// A row serializes as a map from column name to value, in column order.
impl Serialize for D1Row {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde::Deserialize;

    use super::*;

    /// A result with these columns and rows (no database needed).
    fn result(columns: &[&str], rows: Vec<Vec<D1Type>>) -> D1Result {
        D1Result { columns: columns.iter().map(|c| c.to_string()).collect(), rows, meta: D1ResultMeta::default() }
    }

    #[test]
    fn values_from_rust() {
        let cases: Vec<(D1Type, D1Type)> = vec![
            (i64::MAX.into(), D1Type::Integer(i64::MAX)),
            (((1i64 << 53) + 1).into(), D1Type::Integer(9007199254740993)),
            (u32::MAX.into(), D1Type::Integer(4294967295)),
            ((-5i8).into(), D1Type::Integer(-5)),
            (true.into(), D1Type::Integer(1)),
            (false.into(), D1Type::Integer(0)),
            (1.5f64.into(), D1Type::Real(1.5)),
            (0.25f32.into(), D1Type::Real(0.25)),
            ("héllo".into(), D1Type::Text("héllo".into())),
            (String::from("s").into(), D1Type::Text("s".into())),
            ((&String::from("r")).into(), D1Type::Text("r".into())),
            (vec![0u8, 1, 255].into(), D1Type::Blob(vec![0, 1, 255])),
            ((&[7u8][..]).into(), D1Type::Blob(vec![7])),
            (b"ab".into(), D1Type::Blob(vec![b'a', b'b'])),
            (None::<i64>.into(), D1Type::Null),
            (Some("x").into(), D1Type::Text("x".into())),
            ((&D1Type::Integer(3)).into(), D1Type::Integer(3)),
        ];
        for (i, (got, want)) in cases.into_iter().enumerate() {
            assert_eq!(got, want, "case {i}");
        }
    }

    #[test]
    fn values_to_and_from_wit() {
        for v in [D1Type::Null, D1Type::Integer(i64::MIN), D1Type::Real(-0.5), D1Type::Text("t".into()), D1Type::Blob(vec![0, 255])] {
            assert_eq!(D1Type::from_wit(v.to_wit()), v);
        }
    }

    #[test]
    fn accessors() {
        assert!(D1Type::Null.is_null());
        assert_eq!(D1Type::Integer(2).as_i64(), Some(2));
        assert_eq!(D1Type::Integer(2).as_f64(), None);
        assert_eq!(D1Type::Real(2.5).as_f64(), Some(2.5));
        assert_eq!(D1Type::Text("a".into()).as_str(), Some("a"));
        assert_eq!(D1Type::Blob(vec![1]).as_bytes(), Some(&[1u8][..]));
        assert_eq!(D1Type::Text("a".into()).as_bytes(), None);
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum State {
        Open,
        Done,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Row {
        id: i64,
        name: String,
        n: u64,
        r: f32,
        b: Vec<u8>,
        z: Option<i64>,
        flag: bool,
        state: State,
        #[serde(default)]
        missing: Option<String>,
    }

    fn sample() -> D1Result {
        result(
            &["id", "name", "n", "r", "b", "z", "flag", "state"],
            vec![
                vec![1.into(), "héllo".into(), 9007199254740993i64.into(), 1.5.into(), vec![0u8, 1, 255].into(), D1Type::Null, 1.into(), "open".into()],
                vec![2.into(), "b".into(), 0.into(), D1Type::Integer(2), vec![].into(), 7.into(), 0.into(), "done".into()],
            ],
        )
    }

    #[test]
    fn rows_into_structs() {
        let rows: Vec<Row> = sample().results().unwrap();
        assert_eq!(
            rows,
            vec![
                Row { id: 1, name: "héllo".into(), n: 9007199254740993, r: 1.5, b: vec![0, 1, 255], z: None, flag: true, state: State::Open, missing: None },
                Row { id: 2, name: "b".into(), n: 0, r: 2.0, b: vec![], z: Some(7), flag: false, state: State::Done, missing: None },
            ]
        );
    }

    #[test]
    fn rows_untyped() {
        let r = sample();
        let rows: Vec<D1Row> = r.results().unwrap();
        assert_eq!(rows[0].columns(), r.columns());
        assert_eq!(rows[0].values(), &r.rows()[0][..]);
        assert_eq!(rows[0].get("n"), Some(&D1Type::Integer(9007199254740993)));
        assert_eq!(rows[0].get("nope"), None);
        assert_eq!(rows[1].iter().next(), Some(("id", &D1Type::Integer(2))));
        let maps: Vec<HashMap<String, D1Type>> = r.results().unwrap();
        assert_eq!(maps[1]["z"], D1Type::Integer(7));
        let tuples: Vec<(i64, String)> = result(&["a", "b"], vec![vec![3.into(), "x".into()]]).results().unwrap();
        assert_eq!(tuples, vec![(3, "x".to_string())]);
    }

    #[test]
    fn repeated_column_keeps_the_last() {
        let r = result(&["a", "a", "b"], vec![vec![1.into(), 2.into(), 3.into()]]);
        let row: D1Row = r.first(None).unwrap().unwrap();
        assert_eq!(row.iter().collect::<Vec<_>>(), vec![("a", &D1Type::Integer(2)), ("b", &D1Type::Integer(3))]);
        assert_eq!(r.first::<i64>(Some("a")).unwrap(), Some(2));
        let m: BTreeMap<String, i64> = r.first(None).unwrap().unwrap();
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn first() {
        let r = sample();
        assert_eq!(r.first::<String>(Some("name")).unwrap(), Some("héllo".to_string()));
        assert_eq!(r.first::<Option<i64>>(Some("z")).unwrap(), Some(None));
        assert_eq!(r.first::<D1Type>(Some("b")).unwrap(), Some(D1Type::Blob(vec![0, 1, 255])));
        let err = r.first::<i64>(Some("nope")).unwrap_err();
        assert!(matches!(&err, Error::InvalidArgument(m) if m == "D1_COLUMN_NOTFOUND: Column not found (nope)"), "{err:?}");
        // No rows: None, whether or not the column exists (as D1).
        let empty = result(&["a"], vec![]);
        assert_eq!(empty.first::<i64>(Some("nope")).unwrap(), None);
        assert_eq!(empty.first::<D1Row>(None).unwrap(), None);
    }

    #[test]
    fn type_errors_name_row_and_column() {
        let r = sample();
        let cases: Vec<(Result<()>, &str)> = vec![
            (r.first::<String>(Some("id")).map(|_| ()), r#"d1: row 0: column "id": invalid type: integer `1`, expected a string"#),
            (r.first::<u8>(Some("n")).map(|_| ()), r#"d1: row 0: column "n": invalid value: integer `9007199254740993`, expected u8"#),
            (r.first::<i64>(Some("r")).map(|_| ()), r#"d1: row 0: column "r": invalid type: floating point `1.5`, expected i64"#),
            (r.first::<bool>(Some("n")).map(|_| ()), r#"d1: row 0: column "n": invalid type: integer `9007199254740993`, expected a boolean"#),
            (r.first::<i64>(Some("z")).map(|_| ()), r#"d1: row 0: column "z": invalid type: unit value, expected i64"#),
            (r.results::<(i64, i64)>().map(|_| ()), r#"d1: row 0: column "name": invalid type: string "héllo", expected i64"#),
        ];
        for (got, want) in cases {
            let err = got.unwrap_err();
            assert!(matches!(err, Error::Other(_)), "{err:?}");
            assert_eq!(err.to_string(), want);
        }
        let err = result(&["id"], vec![vec![1.into()], vec!["x".into()]]).results::<(i64,)>().unwrap_err();
        assert_eq!(err.to_string(), r#"d1: row 1: column "id": invalid type: string "x", expected i64"#);
    }

    #[test]
    fn raw() {
        let r = result(&["id", "name"], vec![vec![1.into(), "héllo".into()]]);
        assert_eq!(r.raw::<D1Type>(false).unwrap(), vec![vec![D1Type::Integer(1), D1Type::Text("héllo".into())]]);
        assert_eq!(
            r.raw::<D1Type>(true).unwrap(),
            vec![vec![D1Type::Text("id".into()), D1Type::Text("name".into())], vec![D1Type::Integer(1), D1Type::Text("héllo".into())]]
        );
        let err = r.raw::<i64>(false).unwrap_err();
        assert_eq!(err.to_string(), r#"d1: row 0: column "name": invalid type: string "héllo", expected i64"#);
        let err = r.raw::<i64>(true).unwrap_err();
        assert_eq!(err.to_string(), r#"d1: column names: invalid type: string "id", expected i64"#);
    }

    #[test]
    fn serialize() {
        let row: D1Row = result(&["i", "r", "t", "z", "b"], vec![vec![9007199254740993i64.into(), 0.5.into(), "é".into(), D1Type::Null, vec![1u8].into()]])
            .first(None)
            .unwrap()
            .unwrap();
        assert_eq!(serde_json::to_string(&row).unwrap(), r#"{"i":9007199254740993,"r":0.5,"t":"é","z":null,"b":[1]}"#);
        assert!(serde_json::from_str::<D1Type>("18446744073709551615").is_err());
        assert_eq!(serde_json::from_str::<D1Type>("null").unwrap(), D1Type::Null);
    }

    #[test]
    fn session_constraints() {
        assert_eq!(D1SessionConstraint::FirstPrimary.as_str(), "first-primary");
        assert_eq!(D1SessionConstraint::FirstUnconstrained.as_str(), "first-unconstrained");
    }

    #[test]
    fn errors_from_the_host() {
        use wit::Error as W;
        let cases = [
            (W::NoSuchDatabase("no D1 binding named X".into()), 500, "no D1 binding named X"),
            (W::Sql("D1_ERROR: no such table: nope: SQLITE_ERROR".into()), 500, "D1_ERROR: no such table: nope: SQLITE_ERROR"),
            (W::Refused("D1_ERROR: not authorized".into()), 500, "D1_ERROR: not authorized"),
            (W::Limit("D1_ERROR: bound parameters limit exceeded: 101 > 100".into()), 413, "D1_ERROR: bound parameters limit exceeded: 101 > 100"),
            (W::InvalidArgument("D1_ERROR: invalid bookmark".into()), 400, "D1_ERROR: invalid bookmark"),
            (W::Internal("D1_ERROR: database is closed".into()), 500, "D1_ERROR: database is closed"),
        ];
        for (w, status, msg) in cases {
            let e = Error::from(w);
            assert_eq!((e.http_status(), e.to_string().as_str()), (status, msg), "{e:?}");
        }
    }
}
