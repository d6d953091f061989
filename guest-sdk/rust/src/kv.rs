//! Workers KV namespaces: [`crate::Env::kv`].

use std::rc::Rc;

use crate::wit::bindery::kv::store as wit;
use crate::Result;

pub use wit::{KeyInfo, ListResult, ValueWithMetadata};

/// A KV namespace bound in the Worker's config. Semantics and limits are
/// Workers KV's: keys up to 512 bytes, values up to 25 MiB, metadata up to
/// 1024 bytes of JSON.
#[derive(Clone, Debug)]
pub struct Namespace {
    pub(crate) ns: Rc<wit::Namespace>,
}

/// Options of [`Namespace::put_with`].
#[derive(Clone, Debug, Default)]
pub struct PutOptions {
    /// Absolute expiry, seconds since the Unix epoch.
    pub expiration: Option<u64>,
    /// Expiry in seconds from now (at least 60).
    pub expiration_ttl: Option<u64>,
    /// Metadata as JSON text.
    pub metadata: Option<String>,
}

/// Options of [`Namespace::list`].
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    /// Only keys that start with this.
    pub prefix: Option<String>,
    /// At most this many keys (default and maximum 1000).
    pub limit: Option<u32>,
    /// The cursor from the previous page.
    pub cursor: Option<String>,
}

impl Namespace {
    /// The value of `key`, or `None`.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.ns.get(key)?)
    }

    /// The value of `key` as text (invalid UTF-8 replaced), or `None`.
    pub fn get_text(&self, key: &str) -> Result<Option<String>> {
        Ok(self.get(key)?.map(|v| String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())))
    }

    /// The value of `key` with its metadata, or `None`.
    pub fn get_with_metadata(&self, key: &str) -> Result<Option<ValueWithMetadata>> {
        Ok(self.ns.get_with_metadata(key)?)
    }

    /// The values of up to 100 keys, in the order asked; `None` for a missing key.
    pub fn get_many<S: AsRef<str>>(&self, keys: &[S]) -> Result<Vec<Option<ValueWithMetadata>>> {
        let keys: Vec<String> = keys.iter().map(|k| k.as_ref().to_string()).collect();
        Ok(self.ns.get_many(&keys)?)
    }

    /// Stores `value` under `key`.
    pub fn put(&self, key: &str, value: impl AsRef<[u8]>) -> Result<()> {
        self.put_with(key, value, &PutOptions::default())
    }

    /// Stores `value` under `key` with an expiry or metadata.
    pub fn put_with(&self, key: &str, value: impl AsRef<[u8]>, opts: &PutOptions) -> Result<()> {
        let o = wit::PutOptions { expiration: opts.expiration, expiration_ttl: opts.expiration_ttl, metadata: opts.metadata.clone() };
        Ok(self.ns.put(key, value.as_ref(), &o)?)
    }

    /// Deletes `key`; a missing key is not an error.
    pub fn delete(&self, key: &str) -> Result<()> {
        Ok(self.ns.delete(key)?)
    }

    /// One page of keys in byte order.
    pub fn list(&self, opts: &ListOptions) -> Result<ListResult> {
        let o = wit::ListOptions { prefix: opts.prefix.clone(), limit: opts.limit, cursor: opts.cursor.clone() };
        Ok(self.ns.list_keys(&o)?)
    }
}
