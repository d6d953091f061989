//! R2 buckets: [`crate::Env::r2`]. Object bodies stream: a [`Body`] given to
//! [`Bucket::put`] moves inside the host, and an object's body handed to
//! [`crate::Response::stream`] reaches the client without entering the Worker.

use std::io::{self, Read, Write};
use std::rc::Rc;

use crate::wit::bindery::r2::bucket as wit;
use crate::{Body, Error, Result};

pub use wit::{Checksums, HttpMetadata, ListResult, Object, Range, UploadedPart};

/// An R2 bucket bound in the Worker's config.
#[derive(Clone, Debug)]
pub struct Bucket {
    pub(crate) b: Rc<wit::Bucket>,
}

/// An object and its body. `body` is `None` when a `only_if` precondition
/// of [`Bucket::get_with`] failed.
#[derive(Debug)]
pub struct ObjectBody {
    pub object: Object,
    pub body: Option<Body>,
}

impl ObjectBody {
    /// The body (empty when a precondition failed).
    pub fn into_body(self) -> Body {
        self.body.unwrap_or_else(Body::empty)
    }
}

/// The bytes to put: in memory, or a host stream (a request's or an object's
/// body) that the host reads to its end without a copy through the Worker.
#[derive(Debug)]
pub enum PutBody {
    Bytes(Vec<u8>),
    Stream(Body),
}

impl From<Vec<u8>> for PutBody {
    fn from(v: Vec<u8>) -> Self {
        PutBody::Bytes(v)
    }
}
impl From<&[u8]> for PutBody {
    fn from(v: &[u8]) -> Self {
        PutBody::Bytes(v.to_vec())
    }
}
impl From<String> for PutBody {
    fn from(v: String) -> Self {
        PutBody::Bytes(v.into_bytes())
    }
}
impl From<&str> for PutBody {
    fn from(v: &str) -> Self {
        PutBody::Bytes(v.as_bytes().to_vec())
    }
}
impl From<Body> for PutBody {
    fn from(b: Body) -> Self {
        PutBody::Stream(b)
    }
}

impl PutBody {
    fn wit(self) -> wit::Body {
        match self {
            PutBody::Bytes(v) => wit::Body::Bytes(v),
            PutBody::Stream(mut b) => match b.stream.take() {
                Some(s) => wit::Body::Stream(s),
                None => wit::Body::Bytes(Vec::new()),
            },
        }
    }
}

/// R2's `onlyIf`: preconditions on the current object, evaluated in HTTP's
/// order. `"*"` matches any object. Empty fields are not checked.
#[derive(Clone, Debug, Default)]
pub struct Conditional {
    pub etag_matches: Vec<String>,
    pub etag_does_not_match: Vec<String>,
    /// Milliseconds since the Unix epoch.
    pub uploaded_before: Option<u64>,
    /// Milliseconds since the Unix epoch.
    pub uploaded_after: Option<u64>,
    pub seconds_granularity: bool,
}

impl Conditional {
    fn wit(&self) -> wit::Conditional {
        wit::Conditional {
            etag_matches: self.etag_matches.clone(),
            etag_does_not_match: self.etag_does_not_match.clone(),
            uploaded_before: self.uploaded_before,
            uploaded_after: self.uploaded_after,
            seconds_granularity: self.seconds_granularity,
        }
    }
}

/// Options of [`Bucket::get_with`].
#[derive(Clone, Debug, Default)]
pub struct GetOptions {
    pub only_if: Option<Conditional>,
    /// Part of the object: `suffix` alone, or `offset` and optionally `length`.
    pub range: Option<Range>,
}

/// Options of [`Bucket::put_with`] and [`Bucket::writer`].
#[derive(Clone, Debug, Default)]
pub struct PutOptions {
    /// Content-Type, Cache-Control and the other stored HTTP headers.
    pub http_metadata: Option<HttpMetadata>,
    pub custom_metadata: Vec<(String, String)>,
    /// Digests the bytes must have: an MD5 and at most one SHA.
    pub md5: Option<Vec<u8>>,
    pub sha1: Option<Vec<u8>>,
    pub sha256: Option<Vec<u8>>,
    pub sha384: Option<Vec<u8>>,
    pub sha512: Option<Vec<u8>>,
    /// The put fails with [`Error::PreconditionFailed`] when this fails.
    pub only_if: Option<Conditional>,
    pub storage_class: Option<String>,
}

impl PutOptions {
    fn wit(&self) -> wit::PutOptions {
        wit::PutOptions {
            http_metadata: self.http_metadata.clone(),
            custom_metadata: self.custom_metadata.clone(),
            checksums: wit::Checksums {
                md5: self.md5.clone(),
                sha1: self.sha1.clone(),
                sha256: self.sha256.clone(),
                sha384: self.sha384.clone(),
                sha512: self.sha512.clone(),
            },
            only_if: self.only_if.as_ref().map(Conditional::wit),
            storage_class: self.storage_class.clone(),
        }
    }
}

/// Options of [`Bucket::list`].
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    /// 1 to 1000 (1000 when `None`).
    pub limit: Option<u32>,
    pub prefix: Option<String>,
    pub cursor: Option<String>,
    pub delimiter: Option<String>,
    pub start_after: Option<String>,
    pub include_http_metadata: bool,
    pub include_custom_metadata: bool,
}

/// Options of [`Bucket::create_multipart_upload`].
#[derive(Clone, Debug, Default)]
pub struct MultipartOptions {
    pub http_metadata: Option<HttpMetadata>,
    pub custom_metadata: Vec<(String, String)>,
    pub storage_class: Option<String>,
}

/// An empty [`HttpMetadata`], to fill in field by field.
pub fn http_metadata() -> HttpMetadata {
    HttpMetadata {
        content_type: None,
        content_language: None,
        content_disposition: None,
        content_encoding: None,
        cache_control: None,
        cache_expiry: None,
    }
}

fn stored(o: Option<Object>) -> Result<Object> {
    o.ok_or(Error::PreconditionFailed)
}

impl Bucket {
    /// The object's metadata, or `None`.
    pub fn head(&self, key: &str) -> Result<Option<Object>> {
        Ok(self.b.head(key)?)
    }

    /// The object and its body, or `None`.
    pub fn get(&self, key: &str) -> Result<Option<ObjectBody>> {
        self.get_with(key, &GetOptions::default())
    }

    /// The object, or part of it, and its body (no body when `only_if`
    /// failed), or `None`.
    pub fn get_with(&self, key: &str, opts: &GetOptions) -> Result<Option<ObjectBody>> {
        let o = wit::GetOptions { only_if: opts.only_if.as_ref().map(Conditional::wit), range: opts.range.clone() };
        Ok(self.b.get(key, &o)?.map(|ob| ObjectBody { object: ob.object, body: ob.body.map(Body::new) }))
    }

    /// Stores `body` — bytes, or a [`Body`] that moves inside the host — under `key`.
    pub fn put(&self, key: &str, body: impl Into<PutBody>) -> Result<Object> {
        self.put_with(key, body, &PutOptions::default())
    }

    /// Stores `body` under `key` with options; [`Error::PreconditionFailed`]
    /// when `only_if` failed.
    pub fn put_with(&self, key: &str, body: impl Into<PutBody>, opts: &PutOptions) -> Result<Object> {
        stored(self.b.put(key, body.into().wit(), &opts.wit())?)
    }

    /// Stores what `r` yields under `key`, streaming it in chunks.
    pub fn put_reader(&self, key: &str, mut r: impl Read, opts: &PutOptions) -> Result<Object> {
        let mut w = self.writer(key, opts)?;
        io::copy(&mut r, &mut w)?;
        w.finish()
    }

    /// A writer that stores the bytes written to it under `key` on
    /// [`ObjectWriter::finish`]; dropping it unfinished abandons the put.
    pub fn writer(&self, key: &str, opts: &PutOptions) -> Result<ObjectWriter> {
        Ok(ObjectWriter { w: self.b.put_writer(key, &opts.wit())?, buf: Vec::with_capacity(256 << 10) })
    }

    /// Deletes `key`; a missing key is not an error.
    pub fn delete(&self, key: &str) -> Result<()> {
        self.delete_many(&[key])
    }

    /// Deletes up to 1000 keys.
    pub fn delete_many<S: AsRef<str>>(&self, keys: &[S]) -> Result<()> {
        let keys: Vec<String> = keys.iter().map(|k| k.as_ref().to_string()).collect();
        Ok(self.b.delete(&keys)?)
    }

    /// One page of objects in key order.
    pub fn list(&self, opts: &ListOptions) -> Result<ListResult> {
        let o = wit::ListOptions {
            limit: opts.limit,
            prefix: opts.prefix.clone(),
            cursor: opts.cursor.clone(),
            delimiter: opts.delimiter.clone(),
            start_after: opts.start_after.clone(),
            include_http_metadata: opts.include_http_metadata,
            include_custom_metadata: opts.include_custom_metadata,
        };
        Ok(self.b.list_objects(&o)?)
    }

    /// Starts a multipart upload.
    pub fn create_multipart_upload(&self, key: &str, opts: &MultipartOptions) -> Result<MultipartUpload> {
        let o = wit::MultipartOptions {
            http_metadata: opts.http_metadata.clone(),
            custom_metadata: opts.custom_metadata.clone(),
            storage_class: opts.storage_class.clone(),
        };
        Ok(MultipartUpload { u: self.b.create_multipart_upload(key, &o)? })
    }

    /// Continues the upload `upload_id`; errors surface on use.
    pub fn resume_multipart_upload(&self, key: &str, upload_id: &str) -> MultipartUpload {
        MultipartUpload { u: self.b.resume_multipart_upload(key, upload_id) }
    }
}

/// An object being written piece by piece ([`Bucket::writer`]).
pub struct ObjectWriter {
    w: wit::ObjectWriter,
    buf: Vec<u8>,
}

impl ObjectWriter {
    fn flush_buf(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.w.write(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Stores the object; [`Error::PreconditionFailed`] when `only_if` failed.
    pub fn finish(mut self) -> Result<Object> {
        self.flush_buf()?;
        stored(self.w.finish()?)
    }
}

impl Write for ObjectWriter {
    fn write(&mut self, p: &[u8]) -> io::Result<usize> {
        if self.buf.len() + p.len() > self.buf.capacity() {
            self.flush_buf()?;
        }
        if p.len() >= self.buf.capacity() {
            self.w.write(p).map_err(Error::from)?;
        } else {
            self.buf.extend_from_slice(p);
        }
        Ok(p.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(self.flush_buf()?)
    }
}

/// An incomplete multipart upload.
#[derive(Debug)]
pub struct MultipartUpload {
    u: wit::MultipartUpload,
}

impl MultipartUpload {
    /// The object's key.
    pub fn key(&self) -> String {
        self.u.key()
    }

    /// The upload's id, for [`Bucket::resume_multipart_upload`].
    pub fn upload_id(&self) -> String {
        self.u.upload_id()
    }

    /// Stores part `part_number` (1 to 10000).
    pub fn upload_part(&self, part_number: u32, body: impl Into<PutBody>) -> Result<UploadedPart> {
        Ok(self.u.upload_part(part_number, body.into().wit())?)
    }

    /// Joins the parts, in ascending order, into the object.
    pub fn complete(&self, parts: &[UploadedPart]) -> Result<Object> {
        Ok(self.u.complete(parts)?)
    }

    /// Discards the upload and its parts.
    pub fn abort(&self) -> Result<()> {
        Ok(self.u.abort()?)
    }
}
