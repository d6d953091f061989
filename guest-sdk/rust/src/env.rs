use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::wit::bindery::config::vars;
use crate::wit::bindery::d1::database::Database as WitDatabase;
use crate::wit::bindery::kv::store::Namespace;
use crate::wit::bindery::queue::producer::Queue as WitQueue;
use crate::wit::bindery::r2::bucket::Bucket as WitBucket;
use crate::{d1, kv, queue, r2, Result};

/// A variable or secret from the Worker's config.
pub use crate::wit::bindery::config::vars::Value as Var;

/// The Worker's bindings, as named in its `wrangler.toml`: KV namespaces,
/// R2 buckets, D1 databases, queues, `[vars]` and secrets (`.dev.vars`).
#[derive(Debug)]
pub struct Env {
    _private: (),
}

thread_local! {
    // Handles are opened once per instance and reused by later requests.
    static KV: RefCell<HashMap<String, Rc<Namespace>>> = RefCell::new(HashMap::new());
    static R2: RefCell<HashMap<String, Rc<WitBucket>>> = RefCell::new(HashMap::new());
    static D1: RefCell<HashMap<String, Rc<WitDatabase>>> = RefCell::new(HashMap::new());
    static QUEUES: RefCell<HashMap<String, Rc<WitQueue>>> = RefCell::new(HashMap::new());
    #[cfg(feature = "durable-objects")]
    static DO: RefCell<HashMap<String, Rc<crate::wit::bindery::durable::client::Namespace>>> = RefCell::new(HashMap::new());
}

impl Env {
    pub(crate) fn new() -> Self {
        Env { _private: () }
    }

    /// The text of variable or secret `name` (a JSON variable as its JSON
    /// text), or `None` when the config has no such name.
    pub fn var(&self, name: &str) -> Option<String> {
        vars::get(name).map(|v| match v {
            Var::Text(s) | Var::Json(s) | Var::Secret(s) => s,
        })
    }

    /// The secret `name`; `None` for a plain variable or a missing name.
    pub fn secret(&self, name: &str) -> Option<String> {
        match vars::get(name) {
            Some(Var::Secret(s)) => Some(s),
            _ => None,
        }
    }

    /// Variable or secret `name` with its kind (text, JSON or secret).
    pub fn get(&self, name: &str) -> Option<Var> {
        vars::get(name)
    }

    /// The names of every variable and secret, sorted.
    pub fn var_names(&self) -> Vec<String> {
        vars::names()
    }

    /// The KV namespace bound to `name` (e.g. "STORE"). A name the config does
    /// not grant is [`crate::Error::NoSuchBinding`].
    pub fn kv(&self, name: &str) -> Result<kv::Namespace> {
        let ns = KV.with(|m| -> Result<Rc<Namespace>> {
            if let Some(ns) = m.borrow().get(name) {
                return Ok(ns.clone());
            }
            let ns = Rc::new(Namespace::open(name)?);
            m.borrow_mut().insert(name.to_string(), ns.clone());
            Ok(ns)
        })?;
        Ok(kv::Namespace { ns })
    }

    /// The R2 bucket bound to `name` (e.g. "FILES"). A name the config does
    /// not grant is [`crate::Error::NoSuchBinding`].
    pub fn r2(&self, name: &str) -> Result<r2::Bucket> {
        let b = R2.with(|m| -> Result<Rc<WitBucket>> {
            if let Some(b) = m.borrow().get(name) {
                return Ok(b.clone());
            }
            let b = Rc::new(WitBucket::open(name)?);
            m.borrow_mut().insert(name.to_string(), b.clone());
            Ok(b)
        })?;
        Ok(r2::Bucket { b })
    }

    /// The D1 database bound to `name` (e.g. "DB"). A name the config does
    /// not grant is [`crate::Error::NoSuchBinding`].
    pub fn d1(&self, name: &str) -> Result<d1::D1Database> {
        let db = D1.with(|m| -> Result<Rc<WitDatabase>> {
            if let Some(db) = m.borrow().get(name) {
                return Ok(db.clone());
            }
            let db = Rc::new(WitDatabase::open(name)?);
            m.borrow_mut().insert(name.to_string(), db.clone());
            Ok(db)
        })?;
        Ok(d1::D1Database { db })
    }

    /// The queue bound to `name` (e.g. "JOBS"), to send messages to. A name
    /// the config does not grant (`[[queues.producers]]`) is
    /// [`crate::Error::NoSuchBinding`].
    pub fn queue(&self, name: &str) -> Result<queue::Queue> {
        let q = QUEUES.with(|m| -> Result<Rc<WitQueue>> {
            if let Some(q) = m.borrow().get(name) {
                return Ok(q.clone());
            }
            let q = Rc::new(WitQueue::open(name)?);
            m.borrow_mut().insert(name.to_string(), q.clone());
            Ok(q)
        })?;
        Ok(queue::Queue { q })
    }

    /// The Durable Object namespace bound to `name` (e.g. "COUNTER"): the
    /// objects of one class. A name the config does not grant is
    /// [`crate::Error::NoSuchBinding`]. Needs the cargo feature
    /// `durable-objects`.
    #[cfg(feature = "durable-objects")]
    pub fn durable_object(&self, name: &str) -> Result<crate::durable::Namespace> {
        use crate::wit::bindery::durable::client::Namespace as WitNamespace;
        let ns = DO.with(|m| -> Result<Rc<WitNamespace>> {
            if let Some(ns) = m.borrow().get(name) {
                return Ok(ns.clone());
            }
            let ns = Rc::new(WitNamespace::open(name)?);
            m.borrow_mut().insert(name.to_string(), ns.clone());
            Ok(ns)
        })?;
        Ok(crate::durable::Namespace { ns })
    }
}
