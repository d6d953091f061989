use std::fmt;
use std::io;

use crate::wit::bindery::d1::database::Error as D1Error;
use crate::wit::bindery::http::types::Error as HttpError;
use crate::wit::bindery::io::streams::StreamError;
use crate::wit::bindery::kv::store::Error as KvError;
use crate::wit::bindery::queue::producer::Error as QueueError;
use crate::wit::bindery::r2::bucket::Error as R2Error;

/// `Result<T, bindery::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error from a binding, a body stream, or the Worker itself. The text is
/// the host's message, which names the binding, key or limit at fault.
///
/// A handler that returns `Err(e)` whose [`Error::http_status`] is under 500
/// (a bad key or argument, a failed precondition, ...) answers that status
/// with the message as a plain-text body. Any other `Err(e)` fails the
/// request: the host logs `e` (its `Debug` form, as `main` does) once and
/// answers 500 without it, and the instance stays in service. Any error
/// type converts with [`Error::other`] (or `?` on a
/// `Box<dyn std::error::Error + Send + Sync>`).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The config grants no KV namespace, R2 bucket, D1 database or queue of
    /// this name.
    NoSuchBinding(String),
    /// A key is empty, too long, or otherwise not allowed.
    InvalidKey(String),
    /// A value, object, metadata, batch, list or queue message is over its
    /// limit, or a statement over one of D1's (parameters, length, value
    /// size, columns, query time, database size).
    TooLarge(String),
    /// An option or argument is out of range; for D1 a named parameter, an
    /// empty statement, an unknown session constraint or bookmark, or a
    /// column `first` does not find.
    InvalidArgument(String),
    /// D1 (SQLite) failed or refused a statement: a syntax error, a missing
    /// table, a constraint, or what D1 does not allow (ATTACH, BEGIN,
    /// most PRAGMAs). The text is D1's, e.g. "D1_ERROR: no such table:
    /// todos: SQLITE_ERROR".
    Sql(String),
    /// An R2 put's `only_if` condition failed.
    PreconditionFailed,
    /// The bytes do not match a checksum given to an R2 put.
    BadDigest(String),
    /// An R2 range starts past the end of the object.
    InvalidRange(String),
    /// An R2 multipart upload does not exist (completed, aborted, unknown).
    NoSuchUpload(String),
    /// A multipart part is missing, out of order, too small or has a wrong etag.
    InvalidPart(String),
    /// A body stream failed, or the other side went away.
    Stream(String),
    /// The response could not be sent (bad status or header, client gone).
    Http(String),
    /// The host failed.
    Internal(String),
    /// A Durable Object id is not 64 hex digits, or is of another class
    /// (Cloudflare throws a TypeError).
    InvalidId(String),
    /// A Durable Objects call not allowed here: SQL on a KV-backed class, a
    /// statement the authorizer refuses, a state call outside an object's
    /// event, a call to another object while a transaction is open.
    Refused(String),
    /// A Durable Object transaction used out of order.
    Transaction(String),
    /// A Durable Object's event failed without an answer (a trap, its
    /// deadline, `abort`); its next event starts the object afresh.
    ObjectFailed(String),
    /// The web socket is closed.
    Closed(String),
    /// A value a Durable Object's code threw (an RPC method's `Err`), as the
    /// caller of `durable::Stub::call` gets it: usually an
    /// [`crate::structured::Value::Error`] with the error's name and
    /// message. An object that returns it from an RPC method throws it on
    /// to its own caller unchanged. Make one with [`Error::thrown`].
    Thrown(Box<crate::structured::Value>),
    /// An I/O error of the Worker's own readers and writers.
    Io(io::Error),
    /// An error of the Worker's own, answered with this HTTP status (one
    /// of 500 or more fails the request instead: see above).
    Status(u16, String),
    /// Any other error (see [`Error::other`]): it fails the request.
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// An error answered with `status` and `message`.
    pub fn status(status: u16, message: impl Into<String>) -> Self {
        Error::Status(status, message.into())
    }

    /// A thrown error named `name` ("TypeError", "RangeError", ... or
    /// "Error") with `message`: what an RPC method returns to throw that
    /// error to its caller, in any language.
    pub fn thrown(name: &str, message: impl Into<String>) -> Self {
        Error::Thrown(Box::new(crate::structured::Value::Error(Box::new(crate::structured::ErrorValue::new(name, message)))))
    }

    /// Wraps any error — an `anyhow::Error`, an error type of the Worker's,
    /// a `String` — as [`Error::Other`], which fails the request, as
    /// `std::io::Error::other` does for I/O:
    ///
    /// ```ignore
    /// let n: u64 = text.parse().map_err(Error::other)?;
    /// ```
    pub fn other(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Other(error.into())
    }

    /// The HTTP status that fits: 400 for a bad key, argument, digest or
    /// part, 404 for a missing upload, 412, 413, 416, else 500.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::InvalidKey(_) | Error::InvalidArgument(_) | Error::BadDigest(_) | Error::InvalidPart(_) | Error::InvalidId(_) => 400,
            Error::NoSuchUpload(_) => 404,
            Error::PreconditionFailed => 412,
            Error::TooLarge(_) => 413,
            Error::InvalidRange(_) => 416,
            Error::Status(s, _) => *s,
            _ => 500,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoSuchBinding(m)
            | Error::InvalidKey(m)
            | Error::TooLarge(m)
            | Error::InvalidArgument(m)
            | Error::Sql(m)
            | Error::BadDigest(m)
            | Error::InvalidRange(m)
            | Error::NoSuchUpload(m)
            | Error::InvalidPart(m)
            | Error::Stream(m)
            | Error::Http(m)
            | Error::Internal(m)
            | Error::InvalidId(m)
            | Error::Refused(m)
            | Error::Transaction(m)
            | Error::ObjectFailed(m)
            | Error::Closed(m)
            | Error::Status(_, m) => f.write_str(m),
            Error::Thrown(v) => match &**v {
                crate::structured::Value::Error(e) if e.message.is_empty() => f.write_str(&e.name),
                crate::structured::Value::Error(e) => write!(f, "{}: {}", e.name, e.message),
                crate::structured::Value::String(s) => write!(f, "Uncaught {s:?}"),
                v => write!(f, "Uncaught {}", v.kind()),
            },
            Error::PreconditionFailed => f.write_str("r2: precondition failed"),
            Error::Io(e) => e.fmt(f),
            Error::Other(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Other(e) => Some(&**e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        // Unwrap our own errors that passed through an io::Read or io::Write.
        if e.get_ref().is_some_and(|i| i.is::<Error>()) {
            return *e.into_inner().unwrap().downcast::<Error>().unwrap();
        }
        Error::Io(e)
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Io(e) => e,
            e => io::Error::other(e),
        }
    }
}

impl From<Box<dyn std::error::Error + Send + Sync>> for Error {
    fn from(e: Box<dyn std::error::Error + Send + Sync>) -> Self {
        Error::Other(e)
    }
}

impl From<KvError> for Error {
    fn from(e: KvError) -> Self {
        match e {
            KvError::NoSuchNamespace(m) => Error::NoSuchBinding(m),
            KvError::InvalidKey(m) => Error::InvalidKey(m),
            KvError::TooLarge(m) => Error::TooLarge(m),
            KvError::InvalidArgument(m) => Error::InvalidArgument(m),
            KvError::Internal(m) => Error::Internal(m),
        }
    }
}

impl From<R2Error> for Error {
    fn from(e: R2Error) -> Self {
        match e {
            R2Error::NoSuchBucket(m) => Error::NoSuchBinding(m),
            R2Error::InvalidKey(m) => Error::InvalidKey(m),
            R2Error::MetadataTooLarge(m) | R2Error::EntityTooLarge(m) => Error::TooLarge(m),
            R2Error::EntityTooSmall(m) | R2Error::InvalidPart(m) | R2Error::InvalidPartOrder(m) => Error::InvalidPart(m),
            R2Error::BadDigest(m) => Error::BadDigest(m),
            R2Error::InvalidRange(m) => Error::InvalidRange(m),
            R2Error::NoSuchUpload(m) => Error::NoSuchUpload(m),
            R2Error::InvalidArgument(m) => Error::InvalidArgument(m),
            R2Error::Body(m) => Error::Stream(m),
            R2Error::Internal(m) => Error::Internal(m),
        }
    }
}

impl From<D1Error> for Error {
    fn from(e: D1Error) -> Self {
        match e {
            D1Error::NoSuchDatabase(m) => Error::NoSuchBinding(m),
            D1Error::Sql(m) | D1Error::Refused(m) => Error::Sql(m),
            D1Error::Limit(m) => Error::TooLarge(m),
            D1Error::InvalidArgument(m) => Error::InvalidArgument(m),
            D1Error::Internal(m) => Error::Internal(m),
        }
    }
}

impl From<QueueError> for Error {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::NoSuchQueue(m) => Error::NoSuchBinding(m),
            QueueError::TooLarge(m) => Error::TooLarge(m),
            QueueError::InvalidArgument(m) => Error::InvalidArgument(m),
            QueueError::Internal(m) => Error::Internal(m),
        }
    }
}

impl From<StreamError> for Error {
    fn from(e: StreamError) -> Self {
        match e {
            StreamError::Closed => Error::Stream(crate::http::STREAM_CLOSED.into()),
            StreamError::Failed(m) => Error::Stream(m),
        }
    }
}

impl From<HttpError> for Error {
    fn from(e: HttpError) -> Self {
        Error::Http(match e {
            HttpError::AlreadySent => "response already sent".into(),
            HttpError::InvalidStatus(s) => format!("invalid status {s}"),
            HttpError::InvalidHeader(m) => m,
            HttpError::Closed => "client closed the connection".into(),
        })
    }
}
