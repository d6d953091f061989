//! Durable Objects (cargo feature `durable-objects`): named single-threaded
//! objects with transactional storage, in the shape of workers-rs's
//! `worker::durable`, without `.await` (a call returns when the host is
//! done).
//!
//! The Worker's side: a namespace binding ([`crate::Env::durable_object`]),
//! ids, and [`Stub`]s that send an object requests ([`Stub::fetch`]) and
//! RPC calls ([`Stub::call`]). The object's side: a type that implements
//! [`DurableObject`], registered with [`crate::durable_objects!`], whose
//! [`State`] has the object's [`Storage`] (key-value, SQL, the alarm) and
//! its hibernatable [`WebSocket`]s.
//!
//! ```no_run
//! use std::cell::Cell;
//!
//! use bindery::durable::{Args, DurableObject, State};
//! use bindery::structured::{self, Value};
//! use bindery::{Env, Error, Request, Response, Result};
//!
//! pub struct Counter {
//!     state: State,
//!     value: Cell<Option<i64>>, // in memory until the object is evicted
//! }
//!
//! impl Counter {
//!     fn get(&self) -> Result<i64> {
//!         if let Some(n) = self.value.get() {
//!             return Ok(n);
//!         }
//!         let n = self.state.storage().get::<i64>("value")?.unwrap_or(0);
//!         self.value.set(Some(n));
//!         Ok(n)
//!     }
//!
//!     fn increment(&self, by: i64) -> Result<i64> {
//!         let n = self.get()? + by;
//!         self.state.storage().put("value", &n)?; // durable before the caller hears of it
//!         self.value.set(Some(n));
//!         Ok(n)
//!     }
//! }
//!
//! impl DurableObject for Counter {
//!     fn new(state: State, _env: Env) -> Self {
//!         Counter { state, value: Cell::new(None) }
//!     }
//!
//!     // RPC: stub.call("increment", &(1,)) from any language's Worker.
//!     fn call(&self, method: &str, args: Args) -> Result<Value> {
//!         match method {
//!             "increment" => {
//!                 let (by,): (i64,) = args.parse()?; // a TypeError to the caller if they do not fit
//!                 Ok(structured::to_value(&self.increment(by)?)?)
//!             }
//!             "get" => Ok(structured::to_value(&self.get()?)?),
//!             _ => Err(Error::no_such_method(method)),
//!         }
//!     }
//!
//!     // stub.fetch(request)
//!     fn fetch(&self, _req: Request) -> Result<Response> {
//!         Ok(Response::json(format!(r#"{{"value":{}}}"#, self.get()?)))
//!     }
//! }
//!
//! fn fetch(req: Request, env: &Env) -> Result<Response> {
//!     let path = req.path().into_owned();
//!     let Some(rest) = path.strip_prefix("/counter/") else {
//!         return Ok(Response::text("not found").with_status(404));
//!     };
//!     let (name, op) = rest.split_once('/').unwrap_or((rest, ""));
//!     let counter = env.durable_object("COUNTER")?.get_by_name(name)?;
//!     match (req.method(), op) {
//!         ("POST", "increment") => {
//!             let n: i64 = counter.call("increment", &(1,))?;
//!             Ok(Response::json(format!(r#"{{"value":{n}}}"#)))
//!         }
//!         ("GET", "") => counter.fetch(req), // the object's response, streamed through
//!         _ => Ok(Response::text("not found").with_status(404)),
//!     }
//! }
//!
//! bindery::serve!(fetch);
//! bindery::durable_objects!(Counter); // class_name "Counter"; or "Name" => path::Type
//! ```
//!
//! Execution model: an object runs one event at a time (requests, RPC
//! calls, its alarm, its sockets' events); while an event waits on
//! another object, other events of objects on the same instance — the
//! waiting object's own included — may run nested, as Cloudflare
//! interleaves at an `await`. That is why [`DurableObject`]'s methods take
//! `&self`: keep in-memory state in `Cell`s and `RefCell`s, and hold no
//! `RefCell` borrow across a call to another object. An object is
//! constructed on its first event after a start or an eviction; its storage
//! outlives it, its memory does not.

mod client;
mod state;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use serde::de::DeserializeOwned;

pub use client::{Namespace, ObjectId, Stub};
pub use state::{
    ListOptions, ScheduledTime, SqlCursor, SqlStorage, SqlStorageValue, State, Storage, Transaction, WebSocket,
    WebSocketIncomingMessage,
};

use crate::structured::{self, ErrorValue, Value};
use crate::wit::bindery::durable::types::{Error as WitError, ObjectInfo, Thrown};
use crate::wit::bindery::http::types::{Request as WitRequest, ResponseOutparam};
use crate::wit::bindery::io::streams::InputStream;
use crate::wit::exports::bindery::durable::object::{AlarmInfo as WitAlarmInfo, ModuleInfo};
use crate::{Env, Error, Request, Response, Result};

/// A Durable Object class: what a Worker implements to define one, and
/// registers with [`crate::durable_objects!`]. Only `new` is required; an
/// event whose method the class does not implement fails (a fetch with
/// 500, an RPC call with a TypeError to the caller).
pub trait DurableObject: 'static {
    /// Makes the object's in-memory instance on its first event after a
    /// start or an eviction (Cloudflare's constructor). Load what it needs
    /// inside [`State::block_concurrency_while`], so that no event runs
    /// before it is loaded.
    fn new(state: State, env: Env) -> Self
    where
        Self: Sized;

    /// A request sent with [`Stub::fetch`]. An `Err` answers as a Worker's
    /// fetch handler's does.
    fn fetch(&self, req: Request) -> Result<Response> {
        let _ = req;
        Err(Error::other("durable: the class has no fetch handler"))
    }

    /// An RPC call ([`Stub::call`]): `method` and its arguments. Return
    /// the result as a [`Value`] ([`structured::to_value`] makes one of
    /// any serde type); an `Err` is thrown to the caller (make one with
    /// [`Error::thrown`]; [`Error::no_such_method`] for a method the class
    /// lacks).
    fn call(&self, method: &str, args: Args) -> Result<Value> {
        let _ = args;
        Err(Error::no_such_method(method))
    }

    /// The alarm set with [`Storage::set_alarm`]. An `Err` retries it, up
    /// to 6 times with exponential backoff.
    fn alarm(&self, info: AlarmInfo) -> Result<()> {
        let _ = info;
        Err(Error::other("durable: the class has no alarm handler"))
    }

    /// A message on a web socket accepted with
    /// [`State::accept_web_socket`], delivered even after the object was
    /// evicted (webSocketMessage).
    fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        let _ = (ws, message);
        Err(Error::other("durable: the class has no websocket_message handler"))
    }

    /// A web socket closed (webSocketClose): its close code (1005 when none
    /// was sent, 1006 for a lost connection), reason, and whether it
    /// closed cleanly.
    fn websocket_close(&self, ws: WebSocket, code: u16, reason: String, was_clean: bool) -> Result<()> {
        let _ = (ws, code, reason, was_clean);
        Ok(())
    }

    /// A web socket failed (webSocketError); it is closed. The error is an
    /// [`Error::Closed`] that says how.
    fn websocket_error(&self, ws: WebSocket, error: Error) -> Result<()> {
        let _ = (ws, error);
        Ok(())
    }
}

/// What an alarm handler is told about its attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlarmInfo {
    /// How many times the alarm was retried before: 0 on the first attempt.
    pub retry_count: u32,
    /// Whether this is a retry.
    pub is_retry: bool,
}

/// The arguments of an RPC call, decoded: read them into serde types.
#[derive(Clone, Debug)]
pub struct Args {
    method: String,
    values: Vec<Value>,
}

impl Args {
    /// The number of arguments.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The arguments, untyped.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Argument `i` (from 0) as a `T`; a missing one reads as undefined
    /// (`Option::None`). A value that does not fit `T` is a TypeError
    /// thrown to the caller.
    pub fn get<T: DeserializeOwned>(&self, i: usize) -> Result<T> {
        let v = self.values.get(i).cloned().unwrap_or(Value::Undefined);
        structured::from_value(v).map_err(|e| Error::thrown("TypeError", format!("{}: argument {}: {e}", self.method, i + 1)))
    }

    /// All the arguments as one `T`, usually a tuple: `let (a, b): (f64,
    /// f64) = args.parse()?`. Arguments that do not fit are a TypeError
    /// thrown to the caller.
    pub fn parse<T: DeserializeOwned>(self) -> Result<T> {
        let Args { method, values } = self;
        structured::from_value(Value::Array(values)).map_err(|e| Error::thrown("TypeError", format!("{method}: the arguments: {e}")))
    }
}

impl Error {
    /// The TypeError a class throws for an RPC method it lacks (what
    /// [`DurableObject::call`] returns by default).
    pub fn no_such_method(method: &str) -> Self {
        Error::thrown("TypeError", format!("The RPC receiver does not implement the method {method:?}."))
    }
}

impl From<WitError> for Error {
    fn from(e: WitError) -> Self {
        match e {
            WitError::NoSuchNamespace(m) => Error::NoSuchBinding(m),
            WitError::InvalidId(m) => Error::InvalidId(m),
            WitError::InvalidArgument(m) => Error::InvalidArgument(m),
            WitError::Limit(m) => Error::TooLarge(m),
            WitError::Sql(m) => Error::Sql(m),
            WitError::Refused(m) => Error::Refused(m),
            WitError::Transaction(m) => Error::Transaction(m),
            WitError::Thrown(t) => Error::Thrown(Box::new(thrown_value(t))),
            WitError::ObjectFailed(m) => Error::ObjectFailed(m),
            WitError::Closed(m) => Error::Closed(m),
            WitError::Internal(m) => Error::Internal(m),
        }
    }
}

/// The value an object threw: its encoding when there is one that
/// decodes, else an Error of its name and message.
fn thrown_value(t: Thrown) -> Value {
    t.value
        .and_then(|b| Value::decode(&b).ok())
        .unwrap_or_else(|| Value::Error(Box::new(ErrorValue::new(&t.name, t.message))))
}

/// What an object's handler returned as an error, for the host: a thrown
/// value goes on as it is; any other error is an Error with its text.
fn thrown_of(e: Error) -> Thrown {
    let v = match e {
        Error::Thrown(v) => *v,
        e => Value::Error(Box::new(ErrorValue::new("Error", e.to_string()))),
    };
    let (name, message) = match &v {
        Value::Error(ev) => (ev.name.clone(), ev.message.clone()),
        v => ("Error".to_string(), Error::Thrown(Box::new(v.clone())).to_string()),
    };
    Thrown { name, message, value: v.encode().ok() }
}

/// A class, for [`crate::durable_objects!`]: its name and constructor.
#[doc(hidden)]
pub struct Class {
    name: &'static str,
    new: fn(State, Env) -> Rc<dyn DurableObject>,
}

impl Class {
    #[doc(hidden)]
    pub const fn new<T: DurableObject>(name: &'static str) -> Self {
        Class { name, new: construct::<T> }
    }
}

fn construct<T: DurableObject>(state: State, env: Env) -> Rc<dyn DurableObject> {
    Rc::new(T::new(state, env))
}

thread_local! {
    // The live objects, by class and id: made on an object's first event,
    // dropped on its eviction.
    static OBJECTS: RefCell<HashMap<(String, String), Rc<dyn DurableObject>>> = RefCell::new(HashMap::new());
}

/// The object `info` names, constructed on its first event.
fn object(classes: &[Class], info: &ObjectInfo) -> Result<Rc<dyn DurableObject>> {
    let key = (info.class_name.clone(), info.id.clone());
    if let Some(o) = OBJECTS.with(|m| m.borrow().get(&key).cloned()) {
        return Ok(o);
    }
    let class = classes.iter().find(|c| c.name == info.class_name).ok_or_else(|| {
        Error::other(format!("durable: the Worker defines no class {:?} (register it with bindery::durable_objects!)", info.class_name))
    })?;
    let state = State { id: Rc::new(ObjectId { hex: info.id.clone(), name: info.name.clone() }) };
    // No borrow is held while the constructor runs: its host calls may
    // nest events. If one of them made this object meanwhile, that one
    // stays, so that the object has one instance.
    let obj = (class.new)(state, Env::new());
    Ok(OBJECTS.with(|m| m.borrow_mut().entry(key).or_insert(obj).clone()))
}

/// Where an object's fetch event answers: [`State::accept_web_socket`]
/// answers through it, and then the handler's response is not sent.
#[derive(Debug)]
pub(crate) struct EventOut {
    pub(crate) out: ResponseOutparam,
    pub(crate) accepted: Cell<bool>,
}

/// Answers the Worker's request with the web socket of `resp`, a 101 from
/// an object.
pub(crate) fn forward(mut resp: Response, out: ResponseOutparam) {
    let Some(up) = resp.upgrade.take() else { return resp.send_to(&out) };
    if let Err(e) = up.forward(out) {
        use crate::wit::bindery::log::console;
        console::log(console::Level::Error, &format!("bindery: passing on a Durable Object's web socket: {}", Error::from(e)));
    }
}

#[doc(hidden)]
pub fn __describe(classes: &[Class]) -> ModuleInfo {
    let mut names: Vec<String> = classes.iter().map(|c| c.name.to_string()).collect();
    names.sort();
    // Each event's state is its own (locals, and the objects by id), so
    // events may nest.
    ModuleInfo { classes: names, reentrant: true }
}

#[doc(hidden)]
pub fn __fetch(classes: &[Class], info: ObjectInfo, req: WitRequest, body: InputStream, out: ResponseOutparam) {
    let (method, url) = (req.method.clone(), req.url.clone());
    let ev = Rc::new(EventOut { out, accepted: Cell::new(false) });
    let resp = object(classes, &info).and_then(|obj| {
        let mut req = Request::from_wit(req, body)?;
        req.event = Some(ev.clone());
        obj.fetch(req)
    });
    if ev.accepted.get() {
        // The host answered 101 when the socket was accepted.
        return;
    }
    match resp {
        Ok(resp) if resp.has_web_socket() => match Rc::try_unwrap(ev) {
            Ok(ev) => forward(resp, ev.out),
            Err(ev) => crate::http::fail(&ev.out, "durable: a web socket response needs the request's answer, which the object kept (a Request it did not drop)"),
        },
        Ok(resp) => resp.send_to(&ev.out),
        Err(e) if e.http_status() < 500 => Response::text(e.to_string()).with_status(e.http_status()).send_to(&ev.out),
        Err(e) => crate::http::fail(&ev.out, &format!("{method} {url}: {e:?}")),
    }
}

#[doc(hidden)]
pub fn __call(classes: &[Class], info: ObjectInfo, method: String, args: Vec<u8>) -> std::result::Result<Vec<u8>, Thrown> {
    let run = || -> Result<Vec<u8>> {
        let obj = object(classes, &info)?;
        let values = match Value::decode(&args) {
            Ok(Value::Array(vs)) => vs,
            Ok(v) => return Err(Error::thrown("TypeError", format!("{method}: the arguments are a {}, not an array", v.kind()))),
            Err(e) => return Err(Error::thrown("TypeError", format!("{method}: the arguments: {e}"))),
        };
        let v = obj.call(&method, Args { method: method.clone(), values })?;
        v.encode().map_err(|e| Error::thrown("Error", format!("{method}: encoding the result: {e}")))
    };
    run().map_err(thrown_of)
}

#[doc(hidden)]
pub fn __alarm(classes: &[Class], info: ObjectInfo, ai: WitAlarmInfo) -> std::result::Result<(), Thrown> {
    let r = object(classes, &info).and_then(|obj| obj.alarm(AlarmInfo { retry_count: ai.retry_count, is_retry: ai.is_retry }));
    r.map_err(thrown_of)
}

#[doc(hidden)]
pub fn __websocket_message(
    classes: &[Class],
    info: ObjectInfo,
    ws: crate::wit::bindery::durable::state::WebSocket,
    message: crate::wit::bindery::durable::types::Message,
) -> std::result::Result<(), Thrown> {
    let r = object(classes, &info).and_then(|obj| obj.websocket_message(WebSocket::new(ws), message.into()));
    r.map_err(thrown_of)
}

#[doc(hidden)]
pub fn __websocket_close(
    classes: &[Class],
    info: ObjectInfo,
    ws: crate::wit::bindery::durable::state::WebSocket,
    code: u16,
    reason: String,
    was_clean: bool,
) -> std::result::Result<(), Thrown> {
    let r = object(classes, &info).and_then(|obj| obj.websocket_close(WebSocket::new(ws), code, reason, was_clean));
    r.map_err(thrown_of)
}

#[doc(hidden)]
pub fn __websocket_error(
    classes: &[Class],
    info: ObjectInfo,
    ws: crate::wit::bindery::durable::state::WebSocket,
    reason: String,
) -> std::result::Result<(), Thrown> {
    let r = object(classes, &info).and_then(|obj| obj.websocket_error(WebSocket::new(ws), Error::Closed(reason)));
    r.map_err(thrown_of)
}

#[doc(hidden)]
pub fn __evict(info: ObjectInfo) {
    // Dropped after the map's borrow ends: a Drop of the Worker's may make
    // host calls.
    let obj = OBJECTS.with(|m| m.borrow_mut().remove(&(info.class_name, info.id)));
    drop(obj);
}

/// Registers the Worker's Durable Object classes: types that implement
/// [`durable::DurableObject`](crate::durable::DurableObject), each under
/// the config's `class_name` — the type's name, or a name given as
/// `"Name" => Type`. Use it once, at the top level of the Worker crate,
/// beside [`crate::serve!`] (a Worker that defines classes still has a
/// fetch handler). Needs the cargo feature `durable-objects`.
///
/// ```ignore
/// bindery::durable_objects!(Counter, ChatRoom);
/// bindery::durable_objects!("Counter" => counter::Counter);
/// ```
#[macro_export]
macro_rules! durable_objects {
    ($($class:ident),+ $(,)?) => {
        $crate::durable_objects!($(stringify!($class) => $class),+);
    };
    ($($name:expr => $class:ty),+ $(,)?) => {
        const _: () = {
            static CLASSES: &[$crate::durable::Class] = &[$($crate::durable::Class::new::<$class>($name)),+];
            struct BinderyObjects;
            impl $crate::wit::exports::bindery::durable::object::Guest for BinderyObjects {
                fn describe() -> $crate::wit::exports::bindery::durable::object::ModuleInfo {
                    $crate::durable::__describe(CLASSES)
                }
                fn fetch(
                    object: $crate::wit::bindery::durable::types::ObjectInfo,
                    req: $crate::wit::bindery::http::types::Request,
                    body: $crate::wit::bindery::io::streams::InputStream,
                    out: $crate::wit::bindery::http::types::ResponseOutparam,
                ) {
                    $crate::durable::__fetch(CLASSES, object, req, body, out)
                }
                fn call(
                    object: $crate::wit::bindery::durable::types::ObjectInfo,
                    method: ::std::string::String,
                    args: ::std::vec::Vec<u8>,
                ) -> ::std::result::Result<::std::vec::Vec<u8>, $crate::wit::bindery::durable::types::Thrown> {
                    $crate::durable::__call(CLASSES, object, method, args)
                }
                fn alarm(
                    object: $crate::wit::bindery::durable::types::ObjectInfo,
                    info: $crate::wit::exports::bindery::durable::object::AlarmInfo,
                ) -> ::std::result::Result<(), $crate::wit::bindery::durable::types::Thrown> {
                    $crate::durable::__alarm(CLASSES, object, info)
                }
                fn web_socket_message(
                    object: $crate::wit::bindery::durable::types::ObjectInfo,
                    ws: $crate::wit::bindery::durable::state::WebSocket,
                    message: $crate::wit::bindery::durable::types::Message,
                ) -> ::std::result::Result<(), $crate::wit::bindery::durable::types::Thrown> {
                    $crate::durable::__websocket_message(CLASSES, object, ws, message)
                }
                fn web_socket_close(
                    object: $crate::wit::bindery::durable::types::ObjectInfo,
                    ws: $crate::wit::bindery::durable::state::WebSocket,
                    code: u16,
                    reason: ::std::string::String,
                    was_clean: bool,
                ) -> ::std::result::Result<(), $crate::wit::bindery::durable::types::Thrown> {
                    $crate::durable::__websocket_close(CLASSES, object, ws, code, reason, was_clean)
                }
                fn web_socket_error(
                    object: $crate::wit::bindery::durable::types::ObjectInfo,
                    ws: $crate::wit::bindery::durable::state::WebSocket,
                    reason: ::std::string::String,
                ) -> ::std::result::Result<(), $crate::wit::bindery::durable::types::Thrown> {
                    $crate::durable::__websocket_error(CLASSES, object, ws, reason)
                }
                fn evict(object: $crate::wit::bindery::durable::types::ObjectInfo) {
                    $crate::durable::__evict(object)
                }
            }
            $crate::__export_bindery_durable_object_0_1_0_cabi!(BinderyObjects with_types_in $crate::wit::exports::bindery::durable::object);
        };
    };
}

#[cfg(test)]
mod tests;
