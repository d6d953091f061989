//! A Rust Worker: greets, counts visits in KV, and echoes bodies.
//!
//!   GET  /            "hello from rust" and the greeting from [vars]
//!   GET  /count       increments and returns a counter kept in KV
//!   POST /echo        the request body, streamed back
//!
//! Run it with `bindery dev` in this folder.

use std::io;

use bindery::{Env, Request, Response, Result};

fn fetch(req: Request, env: &Env) -> Result<Response> {
    match (req.method(), &*req.path()) {
        ("GET", "/") => {
            let greeting = env.var("GREETING").unwrap_or_else(|| "hi".into());
            Ok(Response::text(format!("hello from rust: {greeting}\n")))
        }
        ("GET", "/count") => {
            let store = env.kv("STORE")?;
            let n = store.get_text("count")?.and_then(|s| s.parse::<u64>().ok()).unwrap_or(0) + 1;
            store.put("count", n.to_string())?;
            Ok(Response::text(format!("{n}\n")))
        }
        ("POST", "/echo") => {
            let mut body = req.into_body();
            Ok(Response::writer(move |w| io::copy(&mut body, w).map(|_| ())))
        }
        _ => Ok(Response::text("not found\n").with_status(404)),
    }
}

bindery::serve!(fetch);
