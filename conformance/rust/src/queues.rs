//! The Queues and cron triggers section (the contract is in
//! conformance/queues_test.go): routes that send to the producer binding
//! QUEUE, the queue handler of "conf-queue" and "conf-dlq", and the
//! scheduled handler, which record what they got in KV "STORE".

use bindery::queue::{Batch, ContentType, Message, SendRequest};
use bindery::scheduled::Controller;
use bindery::structured::Value;
use bindery::{Env, Error, Request, Response, Result};
use serde_json::json;

use crate::hex;

/// The /queue/... and /cron/... routes.
pub fn route(mut req: Request, env: &Env, path: &str, method: &str) -> Result<Response> {
    match (method, path) {
        ("POST", "/queue/send") => {
            let body = req.bytes()?;
            let sent = match req.query_param("type").as_deref() {
                Some("text") => {
                    let text = String::from_utf8(body).map_err(|_| Error::status(400, "the body is not UTF-8"))?;
                    env.queue("QUEUE").and_then(|q| q.send_text(text))
                }
                Some("bytes") => env.queue("QUEUE").and_then(|q| q.send_bytes(body)),
                Some("json") => {
                    let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| Error::status(400, format!("the body is not JSON: {e}")))?;
                    env.queue("QUEUE").and_then(|q| q.send_json(&v))
                }
                Some("v8") => {
                    let key = req.query_param("key").ok_or_else(|| Error::status(400, "no key"))?;
                    let v = Value::Object(vec![
                        ("key".into(), Value::String(key)),
                        ("n".into(), Value::Number(1.5)),
                        ("b".into(), Value::Bytes(vec![0x00, 0x01, 0xff])),
                    ]);
                    env.queue("QUEUE").and_then(|q| q.send_value(&v))
                }
                t => return Ok(Response::text(format!("unknown type {t:?}")).with_status(400)),
            };
            Ok(answer(sent))
        }
        ("POST", "/queue/batch") => {
            let texts: Vec<String> = serde_json::from_slice(&req.bytes()?).map_err(|e| Error::status(400, format!("want a JSON array of strings: {e}")))?;
            let messages: Vec<SendRequest> = texts.into_iter().map(SendRequest::text).collect();
            Ok(answer(env.queue("QUEUE").and_then(|q| q.send_batch(&messages, None))))
        }
        ("GET", "/queue/limits") => {
            let q = env.queue("QUEUE")?;
            let large = q.send_text("x".repeat(131072));
            let many = q.send_batch(&vec![SendRequest::text("x"); 101], None);
            let delay = q.send(SendRequest::text("x").with_delay(86401));
            let msg = |r: Result<()>| r.err().map(|e| e.to_string());
            Ok(Response::json(json!({"large": msg(large), "many": msg(many), "delay": msg(delay)}).to_string()))
        }
        ("GET", _) if path.starts_with("/queue/seen/") || path.starts_with("/queue/dead/") => {
            let (prefix, key) = path["/queue/".len()..].split_once('/').unwrap_or_default();
            let stored = env.kv("STORE")?.get_text(&format!("{prefix}:{key}"))?;
            Ok(Response::json(stored.unwrap_or_else(|| "null".into())))
        }
        ("GET", "/cron/last") => {
            let cron = req.query_param("cron").ok_or_else(|| Error::status(400, "no cron"))?;
            let stored = env.kv("STORE")?.get_text(&format!("cron:{cron}"))?;
            Ok(Response::json(stored.unwrap_or_else(|| "null".into())))
        }
        _ => Ok(Response::text("no route").with_status(404)),
    }
}

/// `{"ok":true}`, or the SDK's error message.
fn answer(sent: Result<()>) -> Response {
    Response::json(match sent {
        Ok(()) => json!({"ok": true}).to_string(),
        Err(e) => json!({"error": e.to_string()}).to_string(),
    })
}

/// The queue handler.
pub fn queue(batch: Batch, env: &Env) -> Result<()> {
    let store = env.kv("STORE")?;
    let mut throw = None;
    for m in batch.messages() {
        let (key, body, mode) = decode(m)?;
        if batch.queue() == "conf-dlq" {
            let dead = json!({"queue": batch.queue(), "attempts": m.attempts(), "body": body});
            store.put(&format!("dead:{key}"), dead.to_string())?;
            continue;
        }
        let seen = json!({
            "queue": batch.queue(),
            "id": m.id(),
            "timestamp": m.timestamp(),
            "attempts": m.attempts(),
            "batchSize": batch.messages().len(),
            "body": body,
        });
        store.put(&format!("seen:{key}"), seen.to_string())?;
        match mode.as_deref() {
            Some("ack") => m.ack(),
            Some("retry") => m.retry(None),
            Some("ack-then-retry") => {
                m.ack();
                m.retry(None);
            }
            Some("retry-all") => batch.retry_all(None),
            Some("ack-all-then-retry-all") => {
                batch.ack_all();
                batch.retry_all(None);
            }
            Some("throw") => {
                throw.get_or_insert(key);
            }
            _ => {}
        }
    }
    match throw {
        Some(key) => Err(Error::other(format!("boom {key}"))),
        None => Ok(()),
    }
}

/// A message's key, its body as the section records it, and its "mode".
fn decode(m: &Message) -> Result<(String, serde_json::Value, Option<String>)> {
    let field = |v: &serde_json::Value, name: &str| v.get(name).and_then(|f| f.as_str()).map(str::to_string);
    Ok(match m.content_type() {
        ContentType::Text => {
            let text = m.text()?.to_string();
            (text.clone(), serde_json::Value::String(text), None)
        }
        ContentType::Bytes => {
            let h = hex(m.bytes());
            (h.clone(), serde_json::Value::String(h), None)
        }
        ContentType::Json => {
            let v: serde_json::Value = m.json()?;
            (field(&v, "key").unwrap_or_default(), v.clone(), field(&v, "mode"))
        }
        ContentType::V8 => {
            let v = to_json(&m.value()?);
            (field(&v, "key").unwrap_or_default(), v.clone(), field(&v, "mode"))
        }
    })
}

/// A structured value as JSON, bytes as lowercase hex.
fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Undefined | Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) | Value::Date(n) => serde_json::Number::from_f64(*n).map_or(J::Null, J::Number),
        Value::BigInt(b) => J::String(b.to_string()),
        Value::String(s) => J::String(s.clone()),
        Value::Bytes(b) | Value::TypedArray { bytes: b, .. } => J::String(hex(b)),
        Value::Array(a) | Value::Set(a) => J::Array(a.iter().map(to_json).collect()),
        Value::Object(o) => J::Object(o.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        Value::Map(m) => J::Array(m.iter().map(|(k, v)| J::Array(vec![to_json(k), to_json(v)])).collect()),
        Value::Error(e) => json!({"name": e.name, "message": e.message}),
    }
}

/// The scheduled handler.
pub fn scheduled(c: Controller, env: &Env) -> Result<()> {
    let last = json!({"cron": c.cron(), "scheduledTime": c.scheduled_time()});
    env.kv("STORE")?.put(&format!("cron:{}", c.cron()), last.to_string())?;
    if c.cron() == "59 23 31 12 *" {
        return Err(Error::other("cron boom"));
    }
    Ok(())
}
