//! A Worker's side: namespaces, ids and stubs.

use std::fmt;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::structured::{self, Value};
use crate::wit::bindery::durable::client as wit;
use crate::wit::bindery::durable::types::Body as WitBody;
use crate::{Error, Request, Response, Result};

/// A Durable Object namespace binding: the objects of one class
/// (`env.COUNTER` in JavaScript, `ObjectNamespace` in workers-rs). Get it
/// with [`crate::Env::durable_object`].
#[derive(Clone, Debug)]
pub struct Namespace {
    pub(crate) ns: Rc<wit::Namespace>,
}

/// An object's id: 64 lower-case hex digits, and the name it was made from
/// when it came from a name. Ids are equal when their digits are
/// (Cloudflare's `id.equals`), whether or not they know the name.
#[derive(Clone, Debug)]
pub struct ObjectId {
    pub(crate) hex: String,
    pub(crate) name: Option<String>,
}

impl PartialEq for ObjectId {
    fn eq(&self, other: &Self) -> bool {
        self.hex == other.hex
    }
}

impl Eq for ObjectId {}

impl std::hash::Hash for ObjectId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.hex.hash(state)
    }
}

impl ObjectId {
    /// The name the id was made from ([`Namespace::id_from_name`],
    /// [`Namespace::get_by_name`]; Cloudflare's `id.name`); `None` for a
    /// unique id or one parsed from a string.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.hex
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex)
    }
}

impl Namespace {
    /// The id of the object called `name` (idFromName): the same name
    /// always gives the same id.
    pub fn id_from_name(&self, name: &str) -> Result<ObjectId> {
        Ok(ObjectId { hex: self.ns.id_from_name(name)?, name: Some(name.to_string()) })
    }

    /// A new random id, never equal to a named one (newUniqueId).
    pub fn unique_id(&self) -> Result<ObjectId> {
        Ok(ObjectId { hex: self.ns.new_unique_id(None)?, name: None })
    }

    /// A new random id in `jurisdiction` ("eu" or "fedramp", accepted and
    /// ignored by Bindery).
    pub fn unique_id_with_jurisdiction(&self, jurisdiction: &str) -> Result<ObjectId> {
        Ok(ObjectId { hex: self.ns.new_unique_id(Some(jurisdiction))?, name: None })
    }

    /// Parses an id given as 64 hex digits (idFromString); a malformed id,
    /// or one of another class, is [`Error::InvalidId`].
    pub fn id_from_string(&self, hex: &str) -> Result<ObjectId> {
        Ok(ObjectId { hex: self.ns.id_from_string(hex)?, name: None })
    }

    /// A stub for the object `id`. Making a stub does not make the object:
    /// its first request does. An id made from a name reaches the object
    /// by name, so the object sees its name.
    pub fn get(&self, id: &ObjectId) -> Result<Stub> {
        if let Some(name) = &id.name {
            return self.get_by_name(name);
        }
        Ok(Stub { stub: self.ns.get(&id.hex)?, id: id.clone() })
    }

    /// A stub for the object called `name` (getByName): as
    /// `get(&id_from_name(name)?)`.
    pub fn get_by_name(&self, name: &str) -> Result<Stub> {
        let stub = self.ns.get_by_name(name)?;
        let id = ObjectId { hex: stub.id(), name: Some(name.to_string()) };
        Ok(Stub { stub, id })
    }
}

/// The way to one object: its requests ([`Stub::fetch`]) and RPC calls
/// ([`Stub::call`]).
#[derive(Debug)]
pub struct Stub {
    stub: wit::Stub,
    id: ObjectId,
}

impl Stub {
    /// The object's id.
    pub fn id(&self) -> &ObjectId {
        &self.id
    }

    /// Sends the object `req` (the Worker's own request, passed on, or one
    /// made with [`Request::new`]) and returns its response once the object
    /// has sent the head; the body streams while the object writes it. A
    /// request body from the host (the Worker's own) moves inside the host.
    ///
    /// Return the response from the fetch handler to answer with it: a 101
    /// with a web socket the object accepted joins the Worker's client to
    /// it.
    pub fn fetch(&self, req: Request) -> Result<Response> {
        let (req, mut body) = req.into_wit();
        let body = match body.take_owned() {
            crate::http::Owned::Host(s) => WitBody::Stream(s),
            crate::http::Owned::Bytes(b) => WitBody::Bytes(b),
        };
        Ok(Response::from_object(self.stub.fetch(&req, body)?))
    }

    /// Sends the object a GET of `url`.
    pub fn fetch_with_str(&self, url: &str) -> Result<Response> {
        self.fetch(Request::new("GET", url)?)
    }

    /// Calls the object's RPC method `method` with `args`, a tuple of the
    /// arguments (`&(a, b)`, `&(a,)`, `&()`), and decodes its result into
    /// `R` (a [`Value`] keeps every kind; `()` reads undefined, what a method
    /// that returns nothing returns; `serde::de::IgnoredAny` drops anything). Arguments and
    /// result travel in the structured-value encoding, so an object in any
    /// language can be called. An error the method throws is
    /// [`Error::Thrown`].
    pub fn call<R: DeserializeOwned>(&self, method: &str, args: &impl Serialize) -> Result<R> {
        let args = match structured::to_value(args)? {
            Value::Undefined => Value::Array(Vec::new()),
            v @ Value::Array(_) => v,
            v => {
                return Err(Error::InvalidArgument(format!(
                    "durable: {method}: the arguments must be a tuple or a sequence, not a {}",
                    v.kind()
                )));
            }
        };
        let res = self.stub.call(method, &args.encode()?)?;
        structured::from_slice(&res).map_err(|e| Error::other(format!("durable: {method}: decoding the result: {e}")))
    }
}
