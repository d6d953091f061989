//! Rust SDK for [Bindery](https://github.com/bindery-run/bindery) Workers.
//!
//! A Worker is a `cdylib` crate built for `wasm32-wasip1`: one fetch handler
//! that takes a [`Request`] and the Worker's [`Env`] (its bindings from
//! `wrangler.toml`) and returns a [`Response`].
//!
//! ```ignore
//! use bindery::{Env, Request, Response, Result};
//!
//! fn fetch(req: Request, env: &Env) -> Result<Response> {
//!     let store = env.kv("STORE")?;
//!     match store.get(req.path())? {
//!         Some(v) => Ok(Response::bytes(v)),
//!         None => Ok(Response::text("not found").with_status(404)),
//!     }
//! }
//!
//! bindery::serve!(fetch);
//! ```
//!
//! The low-level bindings ([`wit`]) are generated from the repository's
//! `wit/` folder at build time by the upstream `wit-bindgen` crate, so they
//! cannot drift from the host's interfaces.
//!
//! Notes:
//! - One request at a time runs per instance; the host runs several
//!   instances for concurrency. Statics are per instance, never shared.
//! - An `Err` from the handler whose [`Error::http_status`] is under 500
//!   answers that status with the message; any other fails the request: the
//!   host logs it once (its `Debug` form) and answers 500 without it, or,
//!   if a streamed body had started, cuts the connection so that the client
//!   never takes a truncated body for a complete one. An `Err` from a
//!   [`Response::writer`] closure fails a streamed response the same way.
//!   The instance stays in service.
//! - A panic aborts the instance (the profile must set `panic = "abort"`):
//!   the host answers 500 for that request and starts a fresh instance.
//! - Bodies stream: [`Body`] implements [`std::io::Read`], a response can be
//!   written through [`std::io::Write`] ([`Response::writer`]), and a host body
//!   (the request's or an R2 object's) given to [`Response::stream`] or
//!   [`r2::Bucket::put`] moves inside the host, never through Worker memory.
//! - Queues ([`mod@queue`]: a producer from [`Env::queue`], and a queue handler
//!   exported with [`queue!`]) and cron triggers (a scheduled handler
//!   exported with [`scheduled!`]): a Worker exports only the handlers it
//!   defines, beside its fetch handler.
//! - Durable Objects (module `durable`: stubs, RPC, classes with storage, SQL,
//!   alarms and web sockets) come with the cargo feature `durable-objects`;
//!   without it a Worker is built against world `worker` as before.

extern crate self as bindery;

pub mod d1;
#[cfg(feature = "durable-objects")]
pub mod durable;
mod env;
mod error;
mod http;
pub mod kv;
pub mod queue;
pub mod r2;
pub mod scheduled;
pub mod structured;

pub use env::{Env, Var};
pub use error::{Error, Result};
pub use http::{Body, BodyWriter, Headers, Request, Response};

/// The bindings `wit-bindgen` generates from `wit/`: world `worker`, or
/// `worker-with-objects` with the cargo feature `durable-objects` (Rust's
/// wit-bindgen wants an implementation of every export of its world, so only
/// a Worker that asks for Durable Objects gets their interfaces). The SDK
/// wraps them; use them directly only for what the SDK does not cover.
pub mod wit {
    #[cfg(not(feature = "durable-objects"))]
    wit_bindgen::generate!({
        world: "worker",
        path: "../../wit",
        pub_export_macro: true,
        default_bindings_module: "bindery::wit",
        generate_all,
    });
    #[cfg(feature = "durable-objects")]
    wit_bindgen::generate!({
        world: "worker-with-objects",
        path: "../../wit",
        pub_export_macro: true,
        default_bindings_module: "bindery::wit",
        generate_all,
    });
}

/// Exports `$ty`'s fetch handler: the handler interface's export macro
/// alone, never the world's, which wants every export of the world (the
/// queue and scheduled handlers, and with `durable-objects` the object
/// interface): a Worker exports only the handlers it defines ([`queue!`],
/// [`scheduled!`], `durable_objects!`).
#[doc(hidden)]
#[macro_export]
macro_rules! __export_handler {
    ($ty:ident) => {
        $crate::__export_bindery_http_handler_0_1_0_cabi!($ty with_types_in $crate::wit::exports::bindery::http::handler);
    };
}

/// Makes `handler` — any `fn(Request, &Env) -> Result<Response>` or closure of
/// that shape — the Worker's fetch handler. Use it once, at the top level of
/// the Worker crate. An `Err` it returns answers its status (under 500) or
/// fails the request (see [`Error`]).
///
/// ```ignore
/// bindery::serve!(fetch);
/// ```
#[macro_export]
macro_rules! serve {
    ($handler:expr) => {
        const _: () = {
            struct BinderyWorker;
            impl $crate::wit::exports::bindery::http::handler::Guest for BinderyWorker {
                fn handle(
                    req: $crate::wit::bindery::http::types::Request,
                    body: $crate::wit::bindery::io::streams::InputStream,
                    out: $crate::wit::bindery::http::types::ResponseOutparam,
                ) {
                    $crate::__handle(req, body, out, $handler)
                }
            }
            $crate::__export_handler!(BinderyWorker);
        };
    };
}

#[doc(hidden)]
pub fn __handle<F>(
    req: wit::bindery::http::types::Request,
    body: wit::bindery::io::streams::InputStream,
    out: wit::bindery::http::types::ResponseOutparam,
    handler: F,
) where
    F: FnOnce(Request, &Env) -> Result<Response>,
{
    let method = req.method.clone();
    let url = req.url.clone();
    let resp = match Request::from_wit(req, body) {
        Ok(r) => handler(r, &Env::new()),
        Err(e) => Err(e),
    };
    match resp {
        Ok(resp) => resp.send(out),
        // The client's fault (a bad key, a failed precondition): answered.
        Err(e) if e.http_status() < 500 => Response::text(e.to_string()).with_status(e.http_status()).send(out),
        // The Worker's: the host logs it once, the client gets a 500.
        Err(e) => http::fail(&out, &format!("{method} {url}: {e:?}")),
    }
}
