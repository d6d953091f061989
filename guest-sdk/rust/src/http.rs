use std::borrow::Cow;
use std::fmt;
use std::io::{self, Read, Write};

use crate::wit::bindery::http::types::{self as witttp, ResponseOutparam};
use crate::wit::bindery::io::streams::{InputStream, OutputStream, StreamError};
use crate::{Error, Result};

/// The most bytes one host call reads or writes.
const CHUNK: usize = 1 << 20;

/// The most bytes a failed request sends to the host's log.
const MAX_REASON: usize = 16 << 10;

/// Fails the request through the host with `reason`, cut to MAX_REASON
/// bytes (at a char boundary): the host logs it once and answers 500, or
/// cuts a response that had started streaming. An empty reason fails
/// without a log record.
pub(crate) fn fail(out: &ResponseOutparam, reason: &str) {
    let mut end = reason.len().min(MAX_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    out.fail(&reason[..end]);
}

/// Whether e is a write to a client that has gone: no failure to log.
fn client_gone(e: &Error) -> bool {
    matches!(e, Error::Stream(m) if m == STREAM_CLOSED)
}

/// The message of a closed stream (StreamError::Closed).
pub(crate) const STREAM_CLOSED: &str = "stream closed";

/// HTTP header fields in order. Names are matched case-insensitively and
/// stored lower-case; values are bytes (HTTP allows non-UTF-8 values).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, Vec<u8>)>);

impl Headers {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first value of `name` as text, if it has one and it is UTF-8.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_bytes(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The first value of `name`.
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.0.iter().filter(move |(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
    }

    /// Whether `name` has a value.
    pub fn contains(&self, name: &str) -> bool {
        self.get_bytes(name).is_some()
    }

    /// Replaces every value of `name` with `value`.
    pub fn set(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        self.remove(name);
        self.append(name, value);
    }

    /// Adds a value to `name`.
    pub fn append(&mut self, name: &str, value: impl Into<Vec<u8>>) {
        self.0.push((name.to_ascii_lowercase(), value.into()));
    }

    /// Removes every value of `name`.
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    /// The fields in order, names lower-case.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter().map(|(k, v)| (k, String::from_utf8_lossy(v)))).finish()
    }
}

impl<K: AsRef<str>, V: Into<Vec<u8>>> FromIterator<(K, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut h = Headers::new();
        for (k, v) in iter {
            h.append(k.as_ref(), v);
        }
        h
    }
}

/// A request body, or an R2 object's body: a stream the Worker reads with
/// [`Read`], or hands on whole to [`Response::stream`] or
/// [`crate::r2::Bucket::put`], where it moves inside the host. A body made
/// from bytes ([`Body::from`]) is read from memory.
pub struct Body {
    src: Source,
}

/// Where a body's bytes come from.
enum Source {
    Empty,
    Host(InputStream),
    /// Bytes in memory and how many were read.
    Memory(Vec<u8>, usize),
}

/// What a body hands on whole: the host stream, or its unread bytes.
pub(crate) enum Owned {
    Host(InputStream),
    Bytes(Vec<u8>),
}

impl Body {
    pub(crate) fn new(stream: InputStream) -> Self {
        Body { src: Source::Host(stream) }
    }

    /// A body with no bytes.
    pub fn empty() -> Self {
        Body { src: Source::Empty }
    }

    /// Takes what is left of the body, leaving it empty.
    pub(crate) fn take_owned(&mut self) -> Owned {
        match std::mem::replace(&mut self.src, Source::Empty) {
            Source::Host(s) => Owned::Host(s),
            Source::Memory(mut b, pos) => {
                b.drain(..pos);
                Owned::Bytes(b)
            }
            Source::Empty => Owned::Bytes(Vec::new()),
        }
    }

    /// Reads the rest of the body into memory.
    pub fn read_all(&mut self) -> Result<Vec<u8>> {
        if let Source::Memory(..) | Source::Empty = self.src {
            let Owned::Bytes(b) = self.take_owned() else { unreachable!() };
            return Ok(b);
        }
        let mut v = Vec::new();
        self.read_to_end(&mut v)?;
        Ok(v)
    }

    /// Reads the rest of the body as UTF-8 text.
    pub fn read_text(&mut self) -> Result<String> {
        String::from_utf8(self.read_all()?).map_err(|_| Error::status(400, "body is not UTF-8"))
    }

    /// Reads at most `max` bytes (up to 1 MiB) in one host call; `None` at
    /// the end. The chunk comes as the host allocated it, without a copy.
    pub fn chunk(&mut self, max: usize) -> Result<Option<Vec<u8>>> {
        let max = max.clamp(1, CHUNK);
        match &mut self.src {
            Source::Empty => Ok(None),
            Source::Memory(b, pos) => {
                if *pos == b.len() {
                    self.src = Source::Empty;
                    return Ok(None);
                }
                let end = b.len().min(*pos + max);
                let v = b[*pos..end].to_vec();
                *pos = end;
                Ok(Some(v))
            }
            Source::Host(s) => match s.read(max as u32) {
                Ok(v) => Ok(Some(v)),
                Err(StreamError::Closed) => {
                    self.src = Source::Empty;
                    Ok(None)
                }
                Err(e) => {
                    self.src = Source::Empty;
                    Err(e.into())
                }
            },
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Self {
        Body { src: Source::Memory(b, 0) }
    }
}

impl From<&[u8]> for Body {
    fn from(b: &[u8]) -> Self {
        Body::from(b.to_vec())
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::from(s.into_bytes())
    }
}

impl From<&str> for Body {
    fn from(s: &str) -> Self {
        Body::from(s.as_bytes())
    }
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        match self.chunk(buf.len())? {
            // Never more than asked.
            Some(v) => {
                buf[..v.len()].copy_from_slice(&v);
                Ok(v.len())
            }
            None => Ok(0),
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body").field("ended", &matches!(self.src, Source::Empty)).finish()
    }
}

/// A request: the one a handler gets, or one a Worker makes to send to a
/// Durable Object ([`Request::new`], `durable::Stub::fetch`).
#[derive(Debug)]
pub struct Request {
    method: String,
    url: String,
    path: (usize, usize),
    query: Option<(usize, usize)>,
    headers: Headers,
    body: Body,
    /// For a Durable Object's fetch event: where its response goes, which
    /// `State::accept_web_socket` answers.
    #[cfg(feature = "durable-objects")]
    pub(crate) event: Option<std::rc::Rc<crate::durable::EventOut>>,
}

impl Request {
    pub(crate) fn from_wit(req: witttp::Request, body: InputStream) -> Result<Self> {
        let witttp::Request { method, url, headers } = req;
        Request::parse(method, url, Headers(headers), Body::new(body))
    }

    fn parse(method: String, url: String, headers: Headers, body: Body) -> Result<Self> {
        let scheme_end = url.find("://").ok_or_else(|| Error::status(400, format!("bad request URL {url:?}")))? + 3;
        let start = url[scheme_end..].find('/').map_or(url.len(), |i| scheme_end + i);
        let end = url[start..].find(['?', '#']).map_or(url.len(), |i| start + i);
        let query = url[end..].strip_prefix('?').map(|q| {
            let qs = end + 1;
            (qs, q.find('#').map_or(url.len(), |i| qs + i))
        });
        Ok(Request {
            method,
            path: (start, end),
            query,
            url,
            headers,
            body,
            #[cfg(feature = "durable-objects")]
            event: None,
        })
    }

    /// A request to send (to a Durable Object, with `durable::Stub::fetch`):
    /// `method` and an absolute `url` ("http://counter/increment"), no
    /// headers, no body. A URL without "scheme://" is an
    /// [`Error::InvalidArgument`].
    pub fn new(method: &str, url: &str) -> Result<Self> {
        Request::parse(method.to_string(), url.to_string(), Headers::new(), Body::empty())
            .map_err(|_| Error::InvalidArgument(format!("request URL {url:?} is not absolute")))
    }

    /// Sets header `name` to `value`, replacing earlier values.
    pub fn with_header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.set(name, value);
        self
    }

    /// Sets the body: bytes, text, or a host [`Body`] (which moves inside the
    /// host).
    pub fn with_body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// The header fields, to change.
    pub fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }

    /// The parts the host takes: the WIT request and the body.
    #[cfg(feature = "durable-objects")]
    pub(crate) fn into_wit(self) -> (witttp::Request, Body) {
        (witttp::Request { method: self.method, url: self.url, headers: self.headers.0 }, self.body)
    }

    /// The method, e.g. "GET".
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The absolute URL, e.g. "http://127.0.0.1:8787/kv/a?ttl=60".
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The path as sent, e.g. "/kv/a%20b" ("/" when the URL has none).
    pub fn raw_path(&self) -> &str {
        match &self.url[self.path.0..self.path.1] {
            "" => "/",
            p => p,
        }
    }

    /// The path with %XX escapes decoded, e.g. "/kv/a b".
    pub fn path(&self) -> Cow<'_, str> {
        percent_decode(self.raw_path())
    }

    /// The query string without '?', if there is one.
    pub fn query(&self) -> Option<&str> {
        self.query.map(|(s, e)| &self.url[s..e])
    }

    /// The first value of the query parameter `name`, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query()?.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(&k.replace('+', " ")) == name).then(|| percent_decode(&v.replace('+', " ")).into_owned())
        })
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The first value of header `name` as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The body, to read from.
    pub fn body(&mut self) -> &mut Body {
        &mut self.body
    }

    /// The body, to hand on (to a response or an R2 put).
    pub fn into_body(self) -> Body {
        self.body
    }

    /// Reads the whole body into memory.
    pub fn bytes(&mut self) -> Result<Vec<u8>> {
        self.body.read_all()
    }

    /// Reads the whole body as UTF-8 text.
    pub fn text(&mut self) -> Result<String> {
        self.body.read_text()
    }
}

fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

type WriteFn = Box<dyn FnOnce(&mut BodyWriter) -> io::Result<()>>;

enum ResponseBody {
    Bytes(Vec<u8>),
    Stream(Body),
    Writer(WriteFn),
}

/// A response: status, headers, and a body from bytes, a host stream
/// (moved inside the host) or a writer.
pub struct Response {
    status: u16,
    headers: Headers,
    body: ResponseBody,
    /// A web socket a Durable Object accepted (a 101 from `Stub::fetch`).
    #[cfg(feature = "durable-objects")]
    pub(crate) upgrade: Option<crate::wit::bindery::durable::client::Upgrade>,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = match &self.body {
            ResponseBody::Bytes(b) => format!("{} bytes", b.len()),
            ResponseBody::Stream(_) => "stream".into(),
            ResponseBody::Writer(_) => "writer".into(),
        };
        f.debug_struct("Response").field("status", &self.status).field("headers", &self.headers).field("body", &body).finish()
    }
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: u16) -> Self {
        Response::with_body(status, ResponseBody::Bytes(Vec::new()))
    }

    /// 200 with `text`, Content-Type text/plain; charset=utf-8.
    pub fn text(text: impl Into<String>) -> Self {
        Response::bytes(text.into().into_bytes()).with_header("content-type", "text/plain; charset=utf-8")
    }

    /// 200 with JSON text, Content-Type application/json.
    pub fn json(json: impl Into<String>) -> Self {
        Response::bytes(json.into().into_bytes()).with_header("content-type", "application/json")
    }

    /// 200 with `bytes` (no Content-Type unless you set one).
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Response::with_body(200, ResponseBody::Bytes(bytes.into()))
    }

    /// 200 with a host body — the request's, or an R2 object's — which moves
    /// to the client inside the host without passing through the Worker.
    pub fn stream(body: Body) -> Self {
        Response::with_body(200, ResponseBody::Stream(body))
    }

    /// 200 with a body the Worker writes after the head is sent: `write` gets
    /// an [`io::Write`] that streams to the client in chunks. An `Err` from
    /// `write` fails the request: the host logs it once (its `Debug` form)
    /// and cuts the connection if the head is out, so that the client sees
    /// a truncated body, never one that looks complete.
    pub fn writer(write: impl FnOnce(&mut BodyWriter) -> io::Result<()> + 'static) -> Self {
        Response::with_body(200, ResponseBody::Writer(Box::new(write)))
    }

    fn with_body(status: u16, body: ResponseBody) -> Self {
        Response {
            status,
            headers: Headers::new(),
            body,
            #[cfg(feature = "durable-objects")]
            upgrade: None,
        }
    }

    /// A response from a Durable Object (`Stub::fetch`): its body streams
    /// from the object.
    #[cfg(feature = "durable-objects")]
    pub(crate) fn from_object(r: crate::wit::bindery::durable::client::Response) -> Self {
        let mut resp = Response::stream(Body::new(r.body)).with_status(r.status);
        resp.headers = Headers(r.headers);
        resp.upgrade = r.upgrade;
        resp
    }

    /// The body, to read: a response from a Durable Object streams from
    /// it. A [`Response::writer`] body cannot be read: an
    /// [`Error::InvalidArgument`].
    pub fn into_body(self) -> Result<Body> {
        match self.body {
            ResponseBody::Bytes(b) => Ok(Body::from(b)),
            ResponseBody::Stream(b) => Ok(b),
            ResponseBody::Writer(_) => Err(Error::InvalidArgument("a writer response body cannot be read".into())),
        }
    }

    /// Whether the response carries a web socket a Durable Object accepted
    /// (a 101 from `Stub::fetch`). Return the response from the fetch
    /// handler to join the Worker's client to it.
    pub fn has_web_socket(&self) -> bool {
        #[cfg(feature = "durable-objects")]
        return self.upgrade.is_some();
        #[cfg(not(feature = "durable-objects"))]
        false
    }

    /// Sets the status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Sets header `name` to `value`, replacing earlier values.
    pub fn with_header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.set(name, value);
        self
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The header fields, to change.
    pub fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }

    pub(crate) fn send(self, out: ResponseOutparam) {
        #[cfg(feature = "durable-objects")]
        if self.upgrade.is_some() {
            return crate::durable::forward(self, out);
        }
        self.send_to(&out)
    }

    /// Sends the response through `out`, which it borrows (a web socket
    /// upgrade needs it owned: [`Response::send`]).
    pub(crate) fn send_to(self, out: &ResponseOutparam) {
        let Response { status, headers, body, .. } = self;
        let fields = headers.0;
        // A bad status or header: the head is not sent, so say why.
        let refused = |e: witttp::Error| {
            let msg = format!("bindery: cannot send the response: {}\n", Error::from(e));
            let _ = out.send_full(500, &[("content-type".into(), b"text/plain; charset=utf-8".to_vec())], msg.as_bytes());
        };
        let result: Result<()> = match body {
            ResponseBody::Bytes(b) => {
                if let Err(e) = out.send_full(status, &fields, &b) {
                    refused(e);
                }
                Ok(())
            }
            ResponseBody::Stream(mut body) => match body.take_owned() {
                Owned::Bytes(b) => {
                    if let Err(e) = out.send_full(status, &fields, &b) {
                        refused(e);
                    }
                    Ok(())
                }
                Owned::Host(src) => match out.send(status, &fields) {
                    Err(e) => {
                        refused(e);
                        Ok(())
                    }
                    // One call moves the whole body: fewer bytes only when it ends.
                    Ok(os) => match os.splice(&src, 1 << 62) {
                        Ok(_) | Err(StreamError::Closed) => Ok(()),
                        Err(e) => Err(e.into()),
                    },
                },
            },
            ResponseBody::Writer(write) => match out.send(status, &fields) {
                Err(e) => {
                    refused(e);
                    Ok(())
                }
                Ok(os) => {
                    let mut w = BodyWriter { stream: os, buf: Vec::with_capacity(64 << 10) };
                    write(&mut w).and_then(|()| w.flush()).map_err(Error::from)
                }
            },
        };
        match result {
            Ok(()) => {}
            Err(e) if client_gone(&e) => fail(out, ""),
            // The body failed after the head went out: the host cuts the
            // connection, so the client never takes it for a complete one.
            Err(e) => fail(out, &format!("the response body failed: {e:?}")),
        }
    }
}

/// Streams a response body to the client: writes are buffered up to 64 KiB
/// and sent in chunks; `flush` sends what is buffered now.
pub struct BodyWriter {
    stream: OutputStream,
    buf: Vec<u8>,
}

impl BodyWriter {
    fn send(&mut self, mut p: &[u8]) -> io::Result<()> {
        while !p.is_empty() {
            let n = p.len().min(CHUNK);
            self.stream.write(&p[..n]).map_err(Error::from)?;
            p = &p[n..];
        }
        Ok(())
    }

    /// Moves the rest of `body` (a request's or an R2 object's) to the
    /// client inside the host and returns how many bytes moved.
    pub fn splice(&mut self, body: &mut Body) -> io::Result<u64> {
        self.flush_buf()?;
        let src = match body.take_owned() {
            Owned::Host(s) => s,
            Owned::Bytes(b) => {
                self.send(&b)?;
                return Ok(b.len() as u64);
            }
        };
        match self.stream.splice(&src, 1 << 62) {
            Ok(n) => Ok(n),
            Err(StreamError::Closed) => Ok(0),
            Err(e) => Err(Error::from(e).into()),
        }
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let buf = std::mem::take(&mut self.buf);
            let r = self.send(&buf);
            self.buf = buf;
            self.buf.clear();
            r?;
        }
        Ok(())
    }
}

impl Write for BodyWriter {
    fn write(&mut self, p: &[u8]) -> io::Result<usize> {
        if self.buf.len() + p.len() > self.buf.capacity() {
            self.flush_buf()?;
            if p.len() >= self.buf.capacity() {
                self.send(p)?;
                return Ok(p.len());
            }
        }
        self.buf.extend_from_slice(p);
        Ok(p.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_buf()?;
        self.stream.flush().map_err(Error::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_from_bytes_reads_in_chunks() {
        let mut b = Body::from("hello world");
        assert_eq!(b.chunk(5).unwrap().unwrap(), b"hello");
        let mut rest = [0u8; 3];
        assert_eq!(b.read(&mut rest).unwrap(), 3);
        assert_eq!(&rest, b" wo");
        assert_eq!(b.read_all().unwrap(), b"rld");
        assert_eq!(b.chunk(5).unwrap(), None);
        let mut b = Body::from(vec![1, 2, 3]);
        b.chunk(1).unwrap();
        assert!(matches!(b.take_owned(), Owned::Bytes(v) if v == [2, 3]));
        assert!(matches!(b.take_owned(), Owned::Bytes(v) if v.is_empty()));
    }

    #[test]
    fn a_request_made_by_the_worker() {
        let mut r = Request::new("POST", "http://counter/a%20b?x=1").unwrap().with_header("X-N", "1").with_body("hi");
        assert_eq!((r.method(), r.raw_path(), r.query()), ("POST", "/a%20b", Some("x=1")));
        assert_eq!(r.path(), "/a b");
        assert_eq!(r.header("x-n"), Some("1"));
        assert_eq!(r.text().unwrap(), "hi");
        assert!(matches!(Request::new("GET", "/relative"), Err(Error::InvalidArgument(_))));
    }

    #[test]
    fn a_response_body_reads_back() {
        let mut b = Response::text("ok").into_body().unwrap();
        assert_eq!(b.read_text().unwrap(), "ok");
        assert!(Response::writer(|_| Ok(())).into_body().is_err());
    }
}
