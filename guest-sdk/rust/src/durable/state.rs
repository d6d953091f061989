//! An object's side: its state, storage, SQL, alarm and web sockets.

use std::cell::Cell;
use std::ops::Deref;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::ObjectId;
use crate::d1::D1Type;
use crate::structured;
use crate::wit::bindery::durable::state as wit;
use crate::wit::bindery::durable::types::{Message as WitMessage, SqlValue};
use crate::{Error, Request, Result};

/// A SQL value as SQLite stores it (Cloudflare's `SqlStorageValue`): the
/// same type as D1's values, so the same conversions bind parameters.
pub type SqlStorageValue = D1Type;

/// An object's context (Cloudflare's `ctx`, workers-rs's `State`): its id,
/// its storage and its web sockets. Every call acts on the object whose
/// event is running, and works only inside one of its events (or its
/// constructor). Cloning it is cheap.
#[derive(Clone, Debug)]
pub struct State {
    pub(crate) id: Rc<ObjectId>,
}

impl State {
    /// The object's id, with its name when it was reached by name.
    pub fn id(&self) -> &ObjectId {
        &self.id
    }

    /// The object's storage.
    pub fn storage(&self) -> Storage {
        Storage { _private: () }
    }

    /// Runs `f` while no other event of the object is delivered
    /// (blockConcurrencyWhile): use it in the constructor to load state
    /// before the first event. An `Err` from `f` resets the object, as
    /// Cloudflare does, and is returned.
    pub fn block_concurrency_while<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let block = wit::block_concurrency()?;
        let r = f();
        if let Err(e) = &r {
            wit::abort(&format!("blockConcurrencyWhile: {e}"));
        }
        drop(block);
        r
    }

    /// Resets the object (ctx.abort): its event ends as failed (the caller
    /// gets [`Error::ObjectFailed`]), open transactions roll back, and its
    /// next event constructs it afresh. Return from the handler after it.
    pub fn abort(&self, reason: &str) {
        wit::abort(reason)
    }

    /// Accepts the web socket that `req`, the request of this fetch event,
    /// asks for (acceptWebSocket): the host answers it with 101 Switching
    /// Protocols and from then on delivers the socket's messages to
    /// [`super::DurableObject::websocket_message`], across hibernation.
    /// The fetch handler's response is then not sent: return
    /// `Ok(Response::new(101))`. `tags` (at most 10) select the socket in
    /// [`State::get_web_sockets_with_tag`].
    pub fn accept_web_socket(&self, req: &Request, tags: &[&str]) -> Result<WebSocket> {
        let Some(ev) = &req.event else {
            return Err(Error::InvalidArgument("durable: accept_web_socket needs the request of the object's fetch event".into()));
        };
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        let ws = wit::accept_web_socket(&ev.out, &tags)?;
        ev.accepted.set(true);
        Ok(WebSocket::new(ws))
    }

    /// Accepts the fetch event's web socket as
    /// [`State::accept_web_socket`] does, but without hibernation (the
    /// plain `accept()` of a WebSocketPair's server side): the object stays
    /// in memory while the socket is open, so what it keeps in its fields
    /// lives as long as the connection. Its events arrive as a
    /// hibernatable socket's; it has no tags.
    pub fn accept_web_socket_in_memory(&self, req: &Request) -> Result<WebSocket> {
        let Some(ev) = &req.event else {
            return Err(Error::InvalidArgument("durable: accept_web_socket_in_memory needs the request of the object's fetch event".into()));
        };
        let ws = wit::accept_web_socket_in_memory(&ev.out)?;
        ev.accepted.set(true);
        Ok(WebSocket::new(ws))
    }

    /// The object's open web sockets, in the order they were accepted.
    pub fn get_web_sockets(&self) -> Vec<WebSocket> {
        wit::get_web_sockets(None).into_iter().map(WebSocket::new).collect()
    }

    /// The object's open web sockets tagged `tag`.
    pub fn get_web_sockets_with_tag(&self, tag: &str) -> Vec<WebSocket> {
        wit::get_web_sockets(Some(tag)).into_iter().map(WebSocket::new).collect()
    }

    /// Makes the host answer `request` with `response` on every socket of
    /// the object without waking it (setWebSocketAutoResponse); `None`
    /// clears it.
    pub fn set_websocket_auto_response(&self, pair: Option<(&str, &str)>) -> Result<()> {
        let pair = pair.map(|(request, response)| wit::AutoResponse { request: request.into(), response: response.into() });
        Ok(wit::set_web_socket_auto_response(pair.as_ref())?)
    }

    /// The auto-response pair (request, response), if one is set.
    pub fn get_websocket_auto_response(&self) -> Option<(String, String)> {
        wit::get_web_socket_auto_response().map(|p| (p.request, p.response))
    }

    /// Bounds how long a web socket event may run (at most 7 days); `None`
    /// for no bound (setHibernatableWebSocketEventTimeout).
    pub fn set_hibernatable_websocket_event_timeout(&self, timeout: Option<Duration>) -> Result<()> {
        let ms = timeout.map(|d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX));
        Ok(wit::set_hibernatable_web_socket_event_timeout(ms)?)
    }

    /// The web socket event timeout, if one is set.
    pub fn get_hibernatable_websocket_event_timeout(&self) -> Option<Duration> {
        wit::get_hibernatable_web_socket_event_timeout().map(|ms| Duration::from_millis(ms.into()))
    }
}

/// When an alarm is to run: a time, or a delay from now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduledTime(i64);

impl ScheduledTime {
    /// Milliseconds since the Unix epoch.
    pub fn from_millis(ms: i64) -> Self {
        ScheduledTime(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub fn as_millis(self) -> i64 {
        self.0
    }
}

impl From<SystemTime> for ScheduledTime {
    fn from(t: SystemTime) -> Self {
        ScheduledTime(match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
        })
    }
}

impl From<Duration> for ScheduledTime {
    /// `d` from now (the host's clock).
    fn from(d: Duration) -> Self {
        ScheduledTime::from(SystemTime::now() + d)
    }
}

/// An object's transactional storage (`ctx.storage`): a key-value API whose
/// values are any serde type in the structured-value encoding (an object
/// of another language reads them), an alarm, and SQL for SQLite-backed
/// classes. Each call is one transaction, durable when it returns; calls
/// made inside [`Storage::transaction`]'s closure belong to it.
#[derive(Clone, Debug)]
pub struct Storage {
    _private: (),
}

/// What [`Storage::list`] returns, as Cloudflare's list options.
#[derive(Clone, Debug, Default)]
pub struct ListOptions<'a> {
    /// The first key (inclusive).
    pub start: Option<&'a str>,
    /// List after this key (exclusive); not with `start`.
    pub start_after: Option<&'a str>,
    /// Stop before this key (exclusive).
    pub end: Option<&'a str>,
    /// Only keys that begin with this.
    pub prefix: Option<&'a str>,
    /// Descending order; with `limit`, the last keys of the range.
    pub reverse: bool,
    /// At most this many entries.
    pub limit: Option<u32>,
}

fn decode<T: DeserializeOwned>(key: &str, v: &[u8]) -> Result<T> {
    structured::from_slice(v).map_err(|e| Error::other(format!("durable: the value of {key:?}: {e}")))
}

fn encode<T: Serialize + ?Sized>(key: &str, v: &T) -> Result<Vec<u8>> {
    structured::to_vec(v).map_err(|e| Error::other(format!("durable: the value of {key:?}: {e}")))
}

impl Storage {
    /// The value of `key` decoded into `T` ([`structured::Value`] keeps every kind),
    /// or `None` when there is no such key.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let mut vals = wit::get(&[key.to_string()])?;
        match vals.pop().flatten() {
            Some(v) => decode(key, &v).map(Some),
            None => Ok(None),
        }
    }

    /// The values of up to 128 keys, in the order asked, `None` for a
    /// missing key (use [`structured::Value`] for values of different types).
    pub fn get_multiple<T: DeserializeOwned>(&self, keys: &[&str]) -> Result<Vec<Option<T>>> {
        let owned: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        let vals = wit::get(&owned)?;
        keys.iter().zip(vals).map(|(k, v)| v.map(|v| decode(k, &v)).transpose()).collect()
    }

    /// Stores `value` under `key`.
    pub fn put<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<()> {
        Ok(wit::put(&[wit::Entry { key: key.to_string(), value: encode(key, value)? }])?)
    }

    /// Stores up to 128 entries, all or none (use [`structured::Value`], e.g. from
    /// [`structured::to_value`], for values of different types).
    pub fn put_multiple<K: AsRef<str>, V: Serialize>(&self, entries: impl IntoIterator<Item = (K, V)>) -> Result<()> {
        let es = entries
            .into_iter()
            .map(|(k, v)| Ok(wit::Entry { key: k.as_ref().to_string(), value: encode(k.as_ref(), &v)? }))
            .collect::<Result<Vec<_>>>()?;
        Ok(wit::put(&es)?)
    }

    /// Deletes `key` and says whether it existed.
    pub fn delete(&self, key: &str) -> Result<bool> {
        Ok(wit::delete(&[key.to_string()])? > 0)
    }

    /// Deletes up to 128 keys and returns how many existed.
    pub fn delete_multiple(&self, keys: &[&str]) -> Result<u32> {
        let owned: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        Ok(wit::delete(&owned)?)
    }

    /// The entries `opts` selects, in key order (UTF-8 bytes; descending
    /// when reversed), each value decoded into `T`.
    pub fn list<T: DeserializeOwned>(&self, opts: &ListOptions<'_>) -> Result<Vec<(String, T)>> {
        let o = wit::ListOptions {
            start: opts.start.map(Into::into),
            start_after: opts.start_after.map(Into::into),
            end: opts.end.map(Into::into),
            prefix: opts.prefix.map(Into::into),
            reverse: opts.reverse,
            limit: opts.limit,
        };
        wit::list(&o)?.into_iter().map(|e| decode(&e.key, &e.value).map(|v| (e.key, v))).collect()
    }

    /// Deletes every key (for a SQLite-backed class, every table). The
    /// alarm stays.
    pub fn delete_all(&self) -> Result<()> {
        Ok(wit::delete_all()?)
    }

    /// Runs `f` in a transaction: its storage calls (SQL included) commit
    /// together when it returns `Ok`, and roll back when it returns `Err`,
    /// which is returned, or called [`Transaction::rollback`].
    /// Transactions nest. While one is open the object's other events wait,
    /// and calls to other objects are refused.
    pub fn transaction<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let txn = Transaction { handle: wit::begin_transaction()?, storage: self.clone(), rolled_back: Cell::new(false) };
        match f(&txn) {
            Ok(v) if txn.rolled_back.get() => {
                txn.handle.rollback()?;
                Ok(v)
            }
            Ok(v) => {
                txn.handle.commit()?;
                Ok(v)
            }
            Err(e) => {
                // The closure's error is the one that matters.
                let _ = txn.handle.rollback();
                Err(e)
            }
        }
    }

    /// The alarm's time, `None` if none is set.
    pub fn get_alarm(&self) -> Result<Option<SystemTime>> {
        Ok(wit::get_alarm()?.map(|ms| match u64::try_from(ms) {
            Ok(ms) => UNIX_EPOCH + Duration::from_millis(ms),
            Err(_) => UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs()),
        }))
    }

    /// Sets the object's one alarm (replacing any other) to a time
    /// ([`SystemTime`]) or a delay from now ([`Duration`]); a time in the
    /// past runs it at once. The object's
    /// [`super::DurableObject::alarm`] runs then.
    pub fn set_alarm(&self, time: impl Into<ScheduledTime>) -> Result<()> {
        Ok(wit::set_alarm(time.into().0)?)
    }

    /// Deletes the alarm, if one is set.
    pub fn delete_alarm(&self) -> Result<()> {
        Ok(wit::delete_alarm()?)
    }

    /// The SQL API of a SQLite-backed class (`ctx.storage.sql`); its calls
    /// are [`Error::Refused`] on a KV-backed class.
    pub fn sql(&self) -> SqlStorage {
        SqlStorage { _private: () }
    }
}

/// A transaction in progress: the object's [`Storage`] (its calls belong to
/// the transaction), and [`Transaction::rollback`].
pub struct Transaction {
    handle: wit::Transaction,
    storage: Storage,
    rolled_back: Cell<bool>,
}

impl Transaction {
    /// Rolls the transaction back when its closure returns, even with `Ok`
    /// (Cloudflare's `txn.rollback()`).
    pub fn rollback(&self) {
        self.rolled_back.set(true);
    }
}

impl Deref for Transaction {
    type Target = Storage;

    fn deref(&self) -> &Storage {
        &self.storage
    }
}

/// SQL on an object's SQLite database (`ctx.storage.sql`).
#[derive(Clone, Debug)]
pub struct SqlStorage {
    _private: (),
}

impl SqlStorage {
    /// Runs one or more statements separated by semicolons and returns the
    /// last one's rows; only the last may have parameters (`?`, `?NNN`),
    /// bound from `params`. The statements before a failing one stay done.
    pub fn exec(&self, query: &str, params: &[SqlStorageValue]) -> Result<SqlCursor> {
        let ps: Vec<SqlValue> = params.iter().map(to_sql).collect();
        let cursor = wit::sql_exec(query, &ps)?;
        Ok(SqlCursor { columns: cursor.column_names(), cursor, batch: Vec::new().into_iter(), done: false })
    }

    /// The database's size in bytes (databaseSize).
    pub fn database_size(&self) -> Result<u64> {
        Ok(wit::database_size()?)
    }
}

fn to_sql(v: &SqlStorageValue) -> SqlValue {
    match v {
        D1Type::Null => SqlValue::Null,
        D1Type::Integer(i) => SqlValue::Integer(*i),
        D1Type::Real(f) => SqlValue::Real(*f),
        D1Type::Text(s) => SqlValue::Text(s.clone()),
        D1Type::Blob(b) => SqlValue::Blob(b.clone()),
    }
}

fn from_sql(v: SqlValue) -> SqlStorageValue {
    match v {
        SqlValue::Null => D1Type::Null,
        SqlValue::Integer(i) => D1Type::Integer(i),
        SqlValue::Real(f) => D1Type::Real(f),
        SqlValue::Text(s) => D1Type::Text(s),
        SqlValue::Blob(b) => D1Type::Blob(b),
    }
}

/// How many rows one host call brings.
const CURSOR_BATCH: u32 = 256;

/// The rows of [`SqlStorage::exec`]'s last statement (SqlStorageCursor),
/// read from the host in batches. As an [`Iterator`] it yields each row's
/// values in column order (Cloudflare's `raw()`).
pub struct SqlCursor {
    cursor: wit::Cursor,
    columns: Vec<String>,
    batch: std::vec::IntoIter<Vec<SqlValue>>,
    done: bool,
}

impl SqlCursor {
    /// The column names, in order (names may repeat).
    pub fn column_names(&self) -> &[String] {
        &self.columns
    }

    /// The remaining rows, each deserialized into `T` as D1's rows are (a
    /// struct or map from column name to value, a tuple, or
    /// [`crate::d1::D1Row`]): Cloudflare's `toArray()`.
    pub fn to_array<T: DeserializeOwned>(&mut self) -> Result<Vec<T>> {
        let mut out = Vec::new();
        while let Some(row) = self.next() {
            out.push(crate::d1::row_into(&self.columns, &row, out.len())?);
        }
        Ok(out)
    }

    /// The only row, deserialized into `T`; an [`Error::Sql`] when there is
    /// none or more than one.
    pub fn one<T: DeserializeOwned>(&mut self) -> Result<T> {
        let Some(row) = self.next() else {
            return Err(Error::Sql("Expected exactly one result from SQL query, but got no results.".into()));
        };
        if self.next().is_some() {
            return Err(Error::Sql("Expected exactly one result from SQL query, but got multiple results.".into()));
        }
        crate::d1::row_into(&self.columns, &row, 0)
    }

    /// The rows the statements read so far (rowsRead).
    pub fn rows_read(&self) -> u64 {
        self.cursor.rows_read()
    }

    /// The rows the statements wrote so far (rowsWritten).
    pub fn rows_written(&self) -> u64 {
        self.cursor.rows_written()
    }
}

impl Iterator for SqlCursor {
    type Item = Vec<SqlStorageValue>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.batch.next() {
                return Some(row.into_iter().map(from_sql).collect());
            }
            if self.done {
                return None;
            }
            let rows = self.cursor.next(CURSOR_BATCH);
            self.done = rows.is_empty();
            self.batch = rows.into_iter();
        }
    }
}

/// A web socket message: text or binary (workers-rs's
/// `WebSocketIncomingMessage`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebSocketIncomingMessage {
    /// A text message.
    String(String),
    /// A binary message.
    Binary(Vec<u8>),
}

impl From<WitMessage> for WebSocketIncomingMessage {
    fn from(m: WitMessage) -> Self {
        match m {
            WitMessage::Text(s) => WebSocketIncomingMessage::String(s),
            WitMessage::Binary(b) => WebSocketIncomingMessage::Binary(b),
        }
    }
}

/// A hibernatable web socket the object accepted: it stays open while the
/// object is evicted, and its messages wake the object. Two `WebSocket`s
/// are equal when they are the same socket. A `WebSocket` is a handle for
/// the event that got it (as the WIT promises no more): in a later event,
/// take the one the event is given or ask [`State::get_web_sockets`] again
/// rather than keeping them in the object.
#[derive(Clone, Debug)]
pub struct WebSocket {
    ws: Rc<wit::WebSocket>,
    key: u64,
}

impl PartialEq for WebSocket {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for WebSocket {}

impl WebSocket {
    pub(crate) fn new(ws: wit::WebSocket) -> Self {
        let key = ws.key();
        WebSocket { ws: Rc::new(ws), key }
    }

    /// A number that names the socket while it is open, the same in every
    /// event.
    pub fn key(&self) -> u64 {
        self.key
    }

    /// Sends a text message; [`Error::Closed`] once the socket is closed.
    pub fn send_with_str(&self, text: &str) -> Result<()> {
        Ok(self.ws.send(&WitMessage::Text(text.to_string()))?)
    }

    /// Sends a binary message.
    pub fn send_with_bytes(&self, bytes: &[u8]) -> Result<()> {
        Ok(self.ws.send(&WitMessage::Binary(bytes.to_vec()))?)
    }

    /// Closes the socket with `code` (1000, or 3000 to 4999; `None` sends
    /// none) and `reason` (at most 123 bytes).
    pub fn close(&self, code: Option<u16>, reason: &str) -> Result<()> {
        Ok(self.ws.close(code, reason)?)
    }

    /// The tags it was accepted with.
    pub fn tags(&self) -> Vec<String> {
        self.ws.tags()
    }

    /// Keeps `value` (at most 16 KiB encoded) with the socket across
    /// hibernation (serializeAttachment).
    pub fn serialize_attachment<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let b = structured::to_vec(value).map_err(|e| Error::other(format!("durable: the attachment: {e}")))?;
        Ok(self.ws.serialize_attachment(&b)?)
    }

    /// What [`WebSocket::serialize_attachment`] kept, decoded into `T`, or
    /// `None` (deserializeAttachment).
    pub fn deserialize_attachment<T: DeserializeOwned>(&self) -> Result<Option<T>> {
        match self.ws.deserialize_attachment() {
            Some(b) => structured::from_slice(&b).map(Some).map_err(|e| Error::other(format!("durable: the attachment: {e}"))),
            None => Ok(None),
        }
    }

    /// When the host last sent the auto-response on this socket.
    pub fn auto_response_timestamp(&self) -> Option<SystemTime> {
        self.ws.auto_response_timestamp().and_then(|ms| u64::try_from(ms).ok()).map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
    }
}
