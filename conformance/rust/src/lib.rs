//! The conformance Worker in Rust: the contract every language's Worker
//! implements for the shared suite (conformance/harness_test.go), with
//! bindings KV "STORE", R2 "FILES", var GREETING and secret API_TOKEN.
//!
//!   GET /hello            200 "hello from rust", text/plain
//!   PUT|GET|DELETE /kv/K  KV put (204), get (200 or 404), delete (204)
//!   GET /vars             {"greeting":…,"secret_set":…}
//!   PUT /kv-too-long      a put with a 513-byte key: 400 with the host's message
//!   POST /echo            the request body, streamed back through the Worker
//!   PUT|GET /r2/K         R2 put from the request body (201 {"etag","size"}),
//!                         get spliced to the response (200 or 404)
//!   GET /trap             panics, so the instance traps

use std::io;

use bindery::{Env, Error, Request, Response, Result};

fn fetch(mut req: Request, env: &Env) -> Result<Response> {
    let path = req.path().into_owned();
    let method = req.method().to_string();
    if let Some(key) = path.strip_prefix("/kv/") {
        let store = env.kv("STORE")?;
        return match method.as_str() {
            "PUT" => {
                store.put(key, req.bytes()?)?;
                Ok(Response::new(204))
            }
            "GET" => Ok(match store.get(key)? {
                Some(v) => Response::bytes(v).with_header("content-type", "application/octet-stream"),
                None => Response::text("not found").with_status(404),
            }),
            "DELETE" => {
                store.delete(key)?;
                Ok(Response::new(204))
            }
            _ => Ok(Response::new(405)),
        };
    }
    if let Some(key) = path.strip_prefix("/r2/") {
        let files = env.r2("FILES")?;
        return match method.as_str() {
            "PUT" => {
                // The request body moves into the bucket inside the host.
                let obj = files.put(key, req.into_body())?;
                Ok(Response::json(format!(r#"{{"etag":{},"size":{}}}"#, json_string(&obj.etag), obj.size)).with_status(201))
            }
            "GET" => Ok(match files.get(key)? {
                // The object's body moves to the client inside the host (splice).
                Some(obj) => Response::stream(obj.into_body()).with_header("content-type", "application/octet-stream"),
                None => Response::text("not found").with_status(404),
            }),
            _ => Ok(Response::new(405)),
        };
    }
    match (method.as_str(), path.as_str()) {
        ("GET", "/hello") => Ok(Response::text("hello from rust").with_header("content-type", "text/plain")),
        ("GET", "/vars") => {
            let greeting = env.var("GREETING").unwrap_or_default();
            let secret_set = env.secret("API_TOKEN").is_some();
            Ok(Response::json(format!(r#"{{"greeting":{},"secret_set":{secret_set}}}"#, json_string(&greeting))))
        }
        ("PUT", "/kv-too-long") => match env.kv("STORE")?.put(&"k".repeat(513), b"v") {
            Err(e @ Error::InvalidKey(_)) => Ok(Response::text(e.to_string()).with_status(400)),
            Err(e) => Err(Error::status(500, format!("want an invalid-key error, got {e:?}"))),
            Ok(()) => Err(Error::status(500, "a 513-byte key was accepted")),
        },
        ("POST", "/echo") => {
            // Through the Worker's memory on purpose: Read on the request
            // body, Write on the response, in chunks.
            let mut body = req.into_body();
            Ok(Response::writer(move |w| io::copy(&mut body, w).map(|_| ()))
                .with_header("content-type", "application/octet-stream"))
        }
        ("GET", "/trap") => panic!("trap requested"),
        _ => Ok(Response::text("no route").with_status(404)),
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

bindery::serve!(fetch);
