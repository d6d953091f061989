//! Queues: sending messages ([`crate::Env::queue`] → [`Queue`]) and the
//! Worker's queue handler ([`crate::queue!`], which gets a [`Batch`]).
//! Semantics and limits are Cloudflare Queues' (docs/queues.md): a message
//! up to 128 KB, a batch up to 100 messages and 256 KB, a delay up to
//! 86400 seconds (24 hours).
//!
//! ```no_run
//! use bindery::queue::{Batch, SendRequest};
//! use bindery::scheduled::Controller;
//! use bindery::{Env, Error, Request, Response, Result};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Job { url: String }
//!
//! fn fetch(req: Request, env: &Env) -> Result<Response> {
//!     let jobs = env.queue("JOBS")?;
//!     jobs.send_json(&Job { url: req.url().to_string() })?;         // content type json
//!     jobs.send_batch(&[SendRequest::text("a"), SendRequest::text("b").with_delay(60)], None)?;
//!     Ok(Response::text("queued"))
//! }
//!
//! fn queue(batch: Batch, env: &Env) -> Result<()> {
//!     let done = env.kv("DONE")?;
//!     for m in batch.messages() {
//!         let job: Job = m.json()?;               // a json or a v8 body, into your type
//!         if done.get(&job.url)?.is_some() {
//!             m.ack();
//!         } else {
//!             m.retry(Some(30));                  // again in 30 s
//!         }
//!     }
//!     Ok(())                                      // the other messages are acked
//! }
//!
//! fn scheduled(c: Controller, env: &Env) -> Result<()> {
//!     env.kv("DONE")?.put(&format!("cron:{}", c.cron()), c.scheduled_time().to_string())?;
//!     if c.cron() == "0 0 * * *" {
//!         return Err(Error::other("nightly run failed")); // logged; never retried
//!     }
//!     Ok(())
//! }
//!
//! bindery::serve!(fetch);
//! bindery::queue!(queue);
//! bindery::scheduled!(scheduled);
//! ```
//!
//! A message's body is encoded by its [`ContentType`]: text, bytes, JSON
//! (serde_json), or a structured value ("v8", the encoding of
//! [`crate::structured`], which every Bindery SDK reads), so a message sent
//! by a Worker in any language reads here, and the other way round.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::structured::{self, Value};
use crate::wit::bindery::queue::producer as wit;
use crate::wit::exports::bindery::queue::consumer as consumer;
use crate::{Env, Error, Result};

pub use crate::wit::bindery::queue::types::ContentType;
pub use wit::SendRequest;

/// A queue bound in the Worker's config (`[[queues.producers]]`), by its
/// binding name: [`crate::Env::queue`].
#[derive(Clone, Debug)]
pub struct Queue {
    pub(crate) q: Rc<wit::Queue>,
}

impl Queue {
    /// Sends `body` as a text message. It returns once the message is
    /// durable.
    pub fn send_text(&self, body: impl Into<String>) -> Result<()> {
        self.send(SendRequest::text(body))
    }

    /// Sends `body` as a bytes message.
    pub fn send_bytes(&self, body: impl Into<Vec<u8>>) -> Result<()> {
        self.send(SendRequest::bytes(body))
    }

    /// Sends `body` as JSON (serde_json): a consumer in JavaScript gets the
    /// parsed value.
    pub fn send_json<T: Serialize + ?Sized>(&self, body: &T) -> Result<()> {
        self.send(SendRequest::json(body)?)
    }

    /// Sends `body` as a structured value (content type "v8",
    /// Cloudflare's default): a [`Value`], or any serde type as
    /// [`structured::to_vec`] encodes it. A consumer in JavaScript gets the
    /// value with its kinds (bytes as an ArrayBuffer, a Map, a Date, ...).
    pub fn send_value<T: Serialize + ?Sized>(&self, body: &T) -> Result<()> {
        self.send(SendRequest::value(body)?)
    }

    /// Sends one message.
    pub fn send(&self, message: SendRequest) -> Result<()> {
        Ok(self.q.send(&message)?)
    }

    /// Sends up to 100 messages (256 KB in all) at once, all or none.
    /// `delay_seconds` applies to each message that has no delay of its own
    /// (`None`: the producer's `delivery_delay`).
    pub fn send_batch(&self, messages: &[SendRequest], delay_seconds: Option<u32>) -> Result<()> {
        Ok(self.q.send_batch(messages, delay_seconds)?)
    }
}

impl SendRequest {
    /// A text message.
    pub fn text(body: impl Into<String>) -> Self {
        SendRequest { body: body.into().into_bytes(), content_type: ContentType::Text, delay_seconds: None }
    }

    /// A bytes message.
    pub fn bytes(body: impl Into<Vec<u8>>) -> Self {
        SendRequest { body: body.into(), content_type: ContentType::Bytes, delay_seconds: None }
    }

    /// A JSON message: `body` serialized by serde_json. (To send JSON text
    /// as it is, build the request: `SendRequest { body, content_type:
    /// ContentType::Json, delay_seconds: None }`.)
    pub fn json<T: Serialize + ?Sized>(body: &T) -> Result<Self> {
        let body = serde_json::to_vec(body).map_err(|e| Error::other(format!("queue message: JSON: {e}")))?;
        Ok(SendRequest { body, content_type: ContentType::Json, delay_seconds: None })
    }

    /// A structured-value message (content type "v8"): a [`Value`] or any
    /// serde type, encoded by [`structured::to_vec`].
    pub fn value<T: Serialize + ?Sized>(body: &T) -> Result<Self> {
        Ok(SendRequest { body: structured::to_vec(body)?, content_type: ContentType::V8, delay_seconds: None })
    }

    /// The message with a delivery delay of `seconds` (at most 86400).
    pub fn with_delay(mut self, seconds: u32) -> Self {
        self.delay_seconds = Some(seconds);
        self
    }
}

impl fmt::Display for ContentType {
    /// Cloudflare's name: "text", "bytes", "json" or "v8".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContentType::Text => "text",
            ContentType::Bytes => "bytes",
            ContentType::Json => "json",
            ContentType::V8 => "v8",
        })
    }
}

/// A batch of messages of one queue, as the queue handler gets it
/// ([`crate::queue!`]). When the handler returns `Ok`, every message not
/// retried is acknowledged; when it returns `Err`, every message not acked
/// explicitly is retried.
#[derive(Debug)]
pub struct Batch {
    queue: String,
    messages: Vec<Message>,
    outcome: Rc<RefCell<Outcome>>,
}

impl Batch {
    /// The queue's name (the config's `queue`, not a binding name).
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// The messages, in delivery order.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Acknowledges every message: none is retried, whatever the handler
    /// returns. After [`Batch::retry_all`] it has no effect (a warning).
    pub fn ack_all(&self) {
        let w = self.outcome.borrow_mut().ack_all();
        warn(w);
    }

    /// Retries every message not acked explicitly, after `delay_seconds`
    /// (`None`: the consumer's `retry_delay`). After [`Batch::ack_all`] it
    /// has no effect (a warning).
    pub fn retry_all(&self, delay_seconds: Option<u32>) {
        let w = self.outcome.borrow_mut().retry_all(delay_seconds);
        warn(w);
    }
}

/// One delivered message. The first of [`Message::ack`] and
/// [`Message::retry`] wins; a later call of the other has no effect (a
/// warning), as on Cloudflare.
pub struct Message {
    index: u32,
    id: String,
    timestamp: i64,
    attempts: u32,
    body: Vec<u8>,
    content_type: ContentType,
    outcome: Rc<RefCell<Outcome>>,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id)
            .field("timestamp", &self.timestamp)
            .field("attempts", &self.attempts)
            .field("content_type", &self.content_type)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Message {
    /// The message's id (32 hex digits), the same on every attempt.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// When it was sent, in milliseconds since the Unix epoch.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// How many times it has been delivered, this time included (1 on the
    /// first delivery).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// How the body is encoded.
    pub fn content_type(&self) -> ContentType {
        self.content_type
    }

    /// The body's bytes as sent, whatever the content type (the UTF-8 of a
    /// text or JSON message, the encoding of a structured value).
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The body of a text message (or the text of a JSON one).
    /// [`Error::InvalidArgument`] for another content type or a body that
    /// is not UTF-8.
    pub fn text(&self) -> Result<&str> {
        match self.content_type {
            ContentType::Text | ContentType::Json => std::str::from_utf8(&self.body)
                .map_err(|e| Error::InvalidArgument(format!("queue message {}: the {} body is not UTF-8: {e}", self.id, self.content_type))),
            ct => Err(self.not(ct, "text")),
        }
    }

    /// The body of a JSON message parsed into `T` by serde_json, or that of
    /// a structured-value ("v8") message decoded into `T` by
    /// [`structured::from_slice`]: the same serde type reads what a
    /// JavaScript producer sent either way. [`Error::InvalidArgument`] for a
    /// text or bytes message.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        match self.content_type {
            ContentType::Json => serde_json::from_slice(&self.body).map_err(|e| Error::other(format!("queue message {}: JSON: {e}", self.id))),
            ContentType::V8 => Ok(structured::from_slice(&self.body)?),
            ct => Err(self.not(ct, "json or v8")),
        }
    }

    /// The body as a structured value, as a JavaScript consumer's
    /// `message.body` sees it: a string (text), bytes (an ArrayBuffer), the
    /// parsed JSON (numbers as doubles, keys in their order), or the
    /// structured value itself (v8).
    pub fn value(&self) -> Result<Value> {
        match self.content_type {
            ContentType::Text => Ok(Value::String(self.text()?.to_string())),
            ContentType::Bytes => Ok(Value::Bytes(self.body.clone())),
            ContentType::Json => serde_json::from_slice::<JsonValue>(&self.body)
                .map(|v| v.0)
                .map_err(|e| Error::other(format!("queue message {}: JSON: {e}", self.id))),
            ContentType::V8 => Ok(Value::decode(&self.body)?),
        }
    }

    /// Acknowledges the message: it is not delivered again, whatever the
    /// handler returns. After [`Message::retry`] or [`Batch::retry_all`]
    /// it has no effect (a warning); after [`Batch::ack_all`] none is
    /// needed.
    pub fn ack(&self) {
        let w = self.outcome.borrow_mut().ack(self.index, &self.id);
        warn(w);
    }

    /// Retries the message after `delay_seconds` (`None`: the consumer's
    /// `retry_delay`), whatever the handler returns; once it has been
    /// delivered `max_retries` times it goes to the dead-letter queue, if
    /// any. After [`Message::ack`] or [`Batch::ack_all`] it has no effect
    /// (a warning).
    pub fn retry(&self, delay_seconds: Option<u32>) {
        let w = self.outcome.borrow_mut().retry(self.index, &self.id, delay_seconds);
        warn(w);
    }

    fn not(&self, ct: ContentType, want: &str) -> Error {
        Error::InvalidArgument(format!("queue message {} is {ct}, not {want}", self.id))
    }
}

/// What one message was told.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Decision {
    None,
    Acked,
    Retried(Option<u32>),
}

/// The handler's calls as workerd records them (src/workerd/api/queue.c++):
/// the first of ack and retry on a message wins, and so does the first of
/// ackAll and retryAll. Each call returns the warning to log when it has no
/// effect.
#[derive(Debug)]
pub(crate) struct Outcome {
    decisions: Vec<Decision>,
    ack_all: bool,
    retry_all: bool,
    retry_all_delay: Option<u32>,
}

impl Outcome {
    pub(crate) fn new(messages: usize) -> Self {
        Outcome { decisions: vec![Decision::None; messages], ack_all: false, retry_all: false, retry_all_delay: None }
    }

    pub(crate) fn ack(&mut self, index: u32, id: &str) -> Option<String> {
        if self.ack_all {
            return None; // acked already: workerd says nothing
        }
        if self.retry_all {
            return Some(format!(
                "Received a call to ack() on message {id} after retryAll() was already called. Calling ack() on a message after calling retryAll() has no effect."
            ));
        }
        let d = &mut self.decisions[index as usize];
        if let Decision::Retried(_) = d {
            return Some(format!(
                "Received a call to ack() on message {id} after retry() was already called. Calling ack() on a message after calling retry() has no effect."
            ));
        }
        *d = Decision::Acked;
        None
    }

    pub(crate) fn retry(&mut self, index: u32, id: &str, delay_seconds: Option<u32>) -> Option<String> {
        if self.ack_all {
            return Some(format!(
                "Received a call to retry() on message {id} after ackAll() was already called. Calling retry() on a message after calling ackAll() has no effect."
            ));
        }
        let d = &mut self.decisions[index as usize];
        match *d {
            Decision::Acked => Some(format!(
                "Received a call to retry() on message {id} after ack() was already called. Calling retry() on a message after calling ack() has no effect."
            )),
            // A second retry keeps the first's delay unless it gives one.
            Decision::Retried(before) => {
                *d = Decision::Retried(delay_seconds.or(before));
                None
            }
            Decision::None => {
                *d = Decision::Retried(delay_seconds);
                None
            }
        }
    }

    pub(crate) fn ack_all(&mut self) -> Option<String> {
        if self.retry_all {
            return Some(
                "Received a call to ackAll() after retryAll() was already called. Calling ackAll() after calling retryAll() has no effect.".into(),
            );
        }
        self.ack_all = true;
        None
    }

    pub(crate) fn retry_all(&mut self, delay_seconds: Option<u32>) -> Option<String> {
        if self.ack_all {
            return Some(
                "Received a call to retryAll() after ackAll() was already called. Calling retryAll() after calling ackAll() has no effect.".into(),
            );
        }
        self.retry_all = true;
        if delay_seconds.is_some() {
            self.retry_all_delay = delay_seconds;
        }
        None
    }

    /// The record the host applies; `error` is the handler's `Err`.
    pub(crate) fn to_wit(&self, error: Option<String>) -> consumer::Outcome {
        let mut acked = Vec::new();
        let mut retried = Vec::new();
        for (i, d) in self.decisions.iter().enumerate() {
            match *d {
                Decision::Acked => acked.push(i as u32),
                Decision::Retried(delay_seconds) => retried.push(consumer::RetryRequest { index: i as u32, delay_seconds }),
                Decision::None => {}
            }
        }
        consumer::Outcome { acked, retried, ack_all: self.ack_all, retry_all: self.retry_all, retry_all_delay: self.retry_all_delay, error }
    }
}

fn warn(w: Option<String>) {
    if let Some(w) = w {
        use crate::wit::bindery::log::console;
        console::log(console::Level::Warn, &w);
    }
}

/// The batch the handler gets, over `outcome`.
pub(crate) fn batch(queue: String, messages: Vec<consumer::Message>, outcome: &Rc<RefCell<Outcome>>) -> Batch {
    let messages = messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| Message {
            index: i as u32,
            id: m.id,
            timestamp: m.timestamp,
            attempts: m.attempts,
            body: m.body,
            content_type: m.content_type,
            outcome: outcome.clone(),
        })
        .collect();
    Batch { queue, messages, outcome: outcome.clone() }
}

#[doc(hidden)]
pub fn __queue<F>(queue: String, messages: Vec<consumer::Message>, handler: F) -> consumer::Outcome
where
    F: FnOnce(Batch, &Env) -> Result<()>,
{
    let outcome = Rc::new(RefCell::new(Outcome::new(messages.len())));
    let r = handler(batch(queue, messages, &outcome), &Env::new());
    // Calls after the handler returned (a Message kept in a static) are
    // recorded but no longer read: the host has the outcome.
    let error = r.err().map(|e| e.to_string());
    outcome.borrow().to_wit(error)
}

/// JSON text read into a [`Value`] as JavaScript's `JSON.parse` reads it:
/// numbers as doubles, object keys in their order (a repeated key keeps
/// its first place and its last value).
struct JsonValue(Value);

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor).map(JsonValue)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::Number(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::Number(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Value::Number(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(JsonValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut entries: Vec<(String, Value)> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::new();
        while let Some((k, JsonValue(v))) = map.next_entry::<String, JsonValue>()? {
            match at.get(&k) {
                Some(&i) => entries[i].1 = v,
                None => {
                    at.insert(k.clone(), entries.len());
                    entries.push((k, v));
                }
            }
        }
        Ok(Value::Object(entries))
    }
}

/// Makes `handler` — any `fn(Batch, &Env) -> Result<()>` or closure of that
/// shape — the Worker's queue handler, which the host calls with a batch of
/// each queue the Worker consumes (`[[queues.consumers]]`). Use it once, at
/// the top level of the Worker crate, beside [`crate::serve!`]. An `Err` it
/// returns retries every message not acked explicitly; the host logs it.
///
/// ```ignore
/// bindery::queue!(queue);
/// ```
#[macro_export]
macro_rules! queue {
    ($handler:expr) => {
        const _: () = {
            struct BinderyQueue;
            impl $crate::wit::exports::bindery::queue::consumer::Guest for BinderyQueue {
                fn queue(
                    queue: ::std::string::String,
                    messages: ::std::vec::Vec<$crate::wit::exports::bindery::queue::consumer::Message>,
                ) -> $crate::wit::exports::bindery::queue::consumer::Outcome {
                    $crate::queue::__queue(queue, messages, $handler)
                }
            }
            $crate::__export_bindery_queue_consumer_0_1_0_cabi!(BinderyQueue with_types_in $crate::wit::exports::bindery::queue::consumer);
        };
    };
}

#[cfg(test)]
mod tests;
