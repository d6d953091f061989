//! R2 buckets: [`crate::Env::r2`]. Object bodies stream: a [`Body`] given to
//! [`Bucket::put`] moves inside the host, and an object's body handed to
//! [`crate::Response::stream`] reaches the client without entering the Worker.

use std::io::{self, Read, Write};
use std::rc::Rc;

use crate::wit::bindery::r2::bucket as wit;
use crate::http::Owned;
use crate::{Body, Error, Headers, Result};

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
            PutBody::Stream(mut b) => match b.take_owned() {
                Owned::Host(s) => wit::Body::Stream(s),
                Owned::Bytes(v) => wit::Body::Bytes(v),
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
    /// The conditional a request's `If-Match`, `If-None-Match`,
    /// `If-Modified-Since` and `If-Unmodified-Since` headers ask for, with
    /// seconds granularity (HTTP dates have no milliseconds); `None` when it
    /// has none of them. Unparsable dates are ignored, as HTTP says.
    pub fn from_headers(h: &Headers) -> Option<Conditional> {
        let etags = |name: &str| -> Vec<String> {
            h.get_all(name)
                .flat_map(|v| String::from_utf8_lossy(v).split(',').map(str::to_string).collect::<Vec<_>>())
                .map(|e| e.trim().trim_start_matches("W/").trim_matches('"').to_string())
                .filter(|e| !e.is_empty())
                .collect()
        };
        let c = Conditional {
            etag_matches: etags("if-match"),
            etag_does_not_match: etags("if-none-match"),
            uploaded_before: h.get("if-unmodified-since").and_then(parse_http_date),
            uploaded_after: h.get("if-modified-since").and_then(parse_http_date),
            seconds_granularity: true,
        };
        let empty = c.etag_matches.is_empty()
            && c.etag_does_not_match.is_empty()
            && c.uploaded_before.is_none()
            && c.uploaded_after.is_none();
        (!empty).then_some(c)
    }

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

/// Parses an HTTP `Range` header of one byte range (`bytes=0-99`,
/// `bytes=100-`, `bytes=-100`) for [`GetOptions::range`]: `Ok(None)` when
/// there is no header, [`Error::InvalidRange`] for one that cannot be served.
pub fn range_from_header(v: Option<&str>) -> Result<Option<Range>> {
    let Some(v) = v else { return Ok(None) };
    let bad = || Error::InvalidRange(format!("r2: unsupported Range header {v:?}"));
    let spec = v.trim().strip_prefix("bytes=").ok_or_else(bad)?;
    let (first, last) = spec.split_once('-').ok_or_else(bad)?;
    let n = |s: &str| s.parse::<u64>().map_err(|_| bad());
    let r = match (first, last) {
        ("", last) => Range { offset: None, length: None, suffix: Some(n(last)?).filter(|&s| s > 0) },
        (first, "") => Range { offset: Some(n(first)?), length: None, suffix: None },
        (first, last) => {
            let (a, b) = (n(first)?, n(last)?);
            if b < a {
                return Err(bad());
            }
            Range { offset: Some(a), length: Some(b - a + 1), suffix: None }
        }
    };
    if r.offset.is_none() && r.suffix.is_none() {
        return Err(bad());
    }
    Ok(Some(r))
}

/// The stored HTTP headers (`Content-Type`, `Content-Language`,
/// `Content-Disposition`, `Content-Encoding`, `Cache-Control`, `Expires`)
/// picked from `h`, as R2's put does when given a `Headers`.
pub fn http_metadata_from_headers(h: &Headers) -> HttpMetadata {
    let get = |n: &str| h.get(n).map(str::to_string);
    HttpMetadata {
        content_type: get("content-type"),
        content_language: get("content-language"),
        content_disposition: get("content-disposition"),
        content_encoding: get("content-encoding"),
        cache_control: get("cache-control"),
        cache_expiry: h.get("expires").and_then(parse_http_date),
    }
}

impl Object {
    /// The etag quoted, for an `ETag` header.
    pub fn http_etag(&self) -> String {
        format!("\"{}\"", self.etag)
    }

    /// Sets the object's stored HTTP headers (`Content-Type`,
    /// `Content-Language`, `Content-Disposition`, `Content-Encoding`,
    /// `Cache-Control`, `Expires`) on `h`, as R2's `writeHttpMetadata` does.
    pub fn write_http_metadata(&self, h: &mut Headers) {
        let m = &self.http_metadata;
        for (name, v) in [
            ("content-type", &m.content_type),
            ("content-language", &m.content_language),
            ("content-disposition", &m.content_disposition),
            ("content-encoding", &m.content_encoding),
            ("cache-control", &m.cache_control),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                h.set(name, v);
            }
        }
        if let Some(ms) = m.cache_expiry {
            h.set("expires", format_http_date(ms));
        }
    }
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]; // 1970-01-01 was a Thursday

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Parses an HTTP date in IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`)
/// into milliseconds since the Unix epoch.
fn parse_http_date(s: &str) -> Option<u64> {
    let mut f = s.trim().split_ascii_whitespace();
    let (_wd, d, mon, y, t, gmt) = (f.next()?, f.next()?, f.next()?, f.next()?, f.next()?, f.next()?);
    if gmt != "GMT" || f.next().is_some() {
        return None;
    }
    let m = MONTHS.iter().position(|&x| x == mon)? as i64 + 1;
    let (d, y): (i64, i64) = (d.parse().ok()?, y.parse().ok()?);
    let mut hms = t.split(':').map(|x| x.parse::<i64>().ok());
    let (hh, mm, ss) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 || y < 1970 {
        return None;
    }
    let secs = days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    u64::try_from(secs).ok().map(|s| s * 1000)
}

/// Formats milliseconds since the Unix epoch as an HTTP date (IMF-fixdate).
fn format_http_date(ms: u64) -> String {
    let secs = (ms / 1000) as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
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
        Ok(ObjectWriter { c: Chunked::new(self.b.put_writer(key, &opts.wit())?) })
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

/// Where a [`Chunked`] writer's bytes go: an object's or a part's writer.
trait Sink {
    fn put(&self, p: &[u8]) -> Result<()>;
}

impl Sink for wit::ObjectWriter {
    fn put(&self, p: &[u8]) -> Result<()> {
        Ok(self.write(p)?)
    }
}

impl Sink for wit::PartWriter {
    fn put(&self, p: &[u8]) -> Result<()> {
        Ok(self.write(p)?)
    }
}

/// Buffers small writes into 256 KiB host calls.
struct Chunked<S> {
    w: S,
    buf: Vec<u8>,
}

impl<S: Sink> Chunked<S> {
    fn new(w: S) -> Self {
        Chunked { w, buf: Vec::with_capacity(256 << 10) }
    }

    fn flush_buf(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            self.w.put(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn write(&mut self, p: &[u8]) -> io::Result<usize> {
        if self.buf.len() + p.len() > self.buf.capacity() {
            self.flush_buf()?;
        }
        if p.len() >= self.buf.capacity() {
            self.w.put(p)?;
        } else {
            self.buf.extend_from_slice(p);
        }
        Ok(p.len())
    }
}

/// An object being written piece by piece ([`Bucket::writer`]).
pub struct ObjectWriter {
    c: Chunked<wit::ObjectWriter>,
}

impl ObjectWriter {
    /// Stores the object; [`Error::PreconditionFailed`] when `only_if` failed.
    pub fn finish(mut self) -> Result<Object> {
        self.c.flush_buf()?;
        stored(self.c.w.finish()?)
    }
}

impl Write for ObjectWriter {
    fn write(&mut self, p: &[u8]) -> io::Result<usize> {
        self.c.write(p)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(self.c.flush_buf()?)
    }
}

/// A multipart part being written piece by piece
/// ([`MultipartUpload::part_writer`]): `impl Write`, then
/// [`PartWriter::finish`]. Dropping it unfinished abandons the part.
pub struct PartWriter {
    c: Chunked<wit::PartWriter>,
}

impl PartWriter {
    /// Stores the part and returns it, for [`MultipartUpload::complete`].
    pub fn finish(mut self) -> Result<UploadedPart> {
        self.c.flush_buf()?;
        Ok(self.c.w.finish()?)
    }
}

impl Write for PartWriter {
    fn write(&mut self, p: &[u8]) -> io::Result<usize> {
        self.c.write(p)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(self.c.flush_buf()?)
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

    /// A writer that stores the bytes written to it as part `part_number`
    /// (1 to 10000) on [`PartWriter::finish`]; the part never has to fit in
    /// memory.
    pub fn part_writer(&self, part_number: u32) -> Result<PartWriter> {
        Ok(PartWriter { c: Chunked::new(self.u.part_writer(part_number)?) })
    }

    /// Stores what `r` yields as part `part_number`, streaming it in chunks.
    pub fn upload_part_reader(&self, part_number: u32, mut r: impl Read) -> Result<UploadedPart> {
        let mut w = self.part_writer(part_number)?;
        io::copy(&mut r, &mut w)?;
        w.finish()
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
