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
//!   GET /fail             returns an Err the SDK fails the request with
//!   GET /fail-stream      a writer that sends 128 KiB of 'x', then returns an Err
//!   /r2x/...              the rest of R2 (conformance/r2ext_js_rust_test.go):
//!                         onlyIf, ranges, checksums, multipart, list, delete
//!   /d1/...               D1 "DB" (the contract is in conformance/d1_test.go)
//!   /do/...               Durable Objects "OBJECTS" of the class Conformance
//!                         (the contract is in conformance/durable_test.go)
//!   /queue/..., /cron/... Queues (producer QUEUE) and cron triggers, with the
//!                         queue and scheduled handlers (conformance/queues_test.go)

mod durable;
mod queues;

use std::io::{self, Write};

use bindery::d1::{D1Row, D1Type};
use bindery::r2::{self, Conditional, GetOptions, ListOptions, MultipartOptions, PutOptions, UploadedPart};
use bindery::{Env, Error, Request, Response, Result};
use serde::Deserialize;

/// What /fail and /fail-stream fail with: the host logs it, the client never sees it.
const FAILURE: &str = "ConformanceFailure: failed on purpose";

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
    if path.starts_with("/do/") {
        return durable::route(req, env, &path);
    }
    if path.starts_with("/queue/") || path.starts_with("/cron/") {
        return queues::route(req, env, &path, &method);
    }
    if path.starts_with("/d1/") {
        return d1(env, &path, &method);
    }
    if path.starts_with("/r2x/") {
        return r2x(req, env, &path, &method);
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
        // Any error, as Error::Other: the SDK fails the request (the host logs it).
        ("GET", "/fail") => Err(Error::other(FAILURE)),
        ("GET", "/fail-stream") => Ok(Response::writer(|w| {
            w.write_all(&[b'x'; 128 << 10])?;
            w.flush()?;
            Err(io::Error::other(format!("{FAILURE} mid-stream")))
        })
        .with_header("content-type", "application/octet-stream")),
        _ => Ok(Response::text("no route").with_status(404)),
    }
}

/// The /r2x routes: the same contract as conformance/js/worker.js.
fn r2x(mut req: Request, env: &Env, path: &str, method: &str) -> Result<Response> {
    let bucket = env.r2("FILES")?;
    let q = |name: &str| req.query_param(name);
    if let Some(key) = path.strip_prefix("/r2x/obj/") {
        match method {
            "PUT" => {
                let h = req.headers();
                let hex_opt = |name: &str| h.get(name).map(unhex).transpose();
                let opts = PutOptions {
                    http_metadata: Some(r2::http_metadata_from_headers(h)),
                    custom_metadata: h.get("x-owner").map(|o| vec![("owner".to_string(), o.to_string())]).unwrap_or_default(),
                    md5: hex_opt("x-md5")?,
                    sha256: hex_opt("x-sha256")?,
                    only_if: Conditional::from_headers(h),
                    ..Default::default()
                };
                return match bucket.put_with(key, req.into_body(), &opts) {
                    Ok(obj) => Ok(Response::json(format!(r#"{{"etag":{},"size":{}}}"#, json_string(&obj.etag), obj.size)).with_status(201)),
                    Err(Error::PreconditionFailed) => Ok(Response::text("precondition failed").with_status(412)),
                    Err(e) => Err(e),
                };
            }
            "GET" => {
                let range = r2::range_from_header(req.header("range"))?;
                let opts = GetOptions { only_if: Conditional::from_headers(req.headers()), range: range.clone() };
                let Some(ob) = bucket.get_with(key, &opts)? else {
                    return Ok(Response::text("not found").with_status(404));
                };
                let mut resp = Response::new(200).with_header("etag", ob.object.http_etag());
                ob.object.write_http_metadata(resp.headers_mut());
                let Some(body) = ob.body else {
                    return Ok(resp.with_status(412)); // onlyIf failed: the object without a body
                };
                if range.is_some() {
                    let r = ob.object.range.as_ref().ok_or_else(|| Error::status(500, "a ranged get returned no range"))?;
                    let (off, len) = (r.offset.unwrap_or(0), r.length.unwrap_or(0));
                    let cr = format!("bytes {}-{}/{}", off, off + len - 1, ob.object.size);
                    resp = resp.with_status(206).with_header("content-range", cr);
                }
                let mut out = Response::stream(body).with_status(resp.status());
                for (k, v) in resp.headers().iter() {
                    out = out.with_header(k, v.to_vec());
                }
                return Ok(out);
            }
            _ => {}
        }
    }
    if let (Some(key), "GET") = (path.strip_prefix("/r2x/head/"), method) {
        let Some(o) = bucket.head(key)? else {
            return Ok(Response::text("not found").with_status(404));
        };
        let m = &o.http_metadata;
        let custom: Vec<String> = o.custom_metadata.iter().map(|(k, v)| format!("{}:{}", json_string(k), json_string(v))).collect();
        return Ok(Response::json(format!(
            r#"{{"key":{},"size":{},"etag":{},"httpEtag":{},"uploaded":{},"contentType":{},"cacheControl":{},"customMetadata":{{{}}},"md5":{}}}"#,
            json_string(&o.key),
            o.size,
            json_string(&o.etag),
            json_string(&o.http_etag()),
            o.uploaded,
            json_string(m.content_type.as_deref().unwrap_or("")),
            json_string(m.cache_control.as_deref().unwrap_or("")),
            custom.join(","),
            json_string(&o.checksums.md5.as_deref().map(hex).unwrap_or_default()),
        )));
    }
    if (method, path) == ("GET", "/r2x/list") {
        let r = bucket.list(&ListOptions {
            prefix: q("prefix"),
            delimiter: q("delimiter"),
            cursor: q("cursor"),
            limit: q("limit").and_then(|l| l.parse().ok()),
            ..Default::default()
        })?;
        let keys: Vec<String> = r.objects.iter().map(|o| json_string(&o.key)).collect();
        let prefixes: Vec<String> = r.delimited_prefixes.iter().map(|p| json_string(p)).collect();
        return Ok(Response::json(format!(
            r#"{{"keys":[{}],"prefixes":[{}],"truncated":{},"cursor":{}}}"#,
            keys.join(","),
            prefixes.join(","),
            r.truncated,
            json_string(r.cursor.as_deref().unwrap_or(""))
        )));
    }
    if (method, path) == ("POST", "/r2x/delete") {
        let text = req.text()?;
        let keys: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        bucket.delete_many(&keys)?;
        return Ok(Response::new(204));
    }
    if let Some(key) = path.strip_prefix("/r2x/mpu/") {
        let action = q("action").unwrap_or_default();
        if (method, action.as_str()) == ("POST", "create") {
            let h = req.headers();
            let u = bucket.create_multipart_upload(key, &MultipartOptions {
                http_metadata: Some(r2::http_metadata_from_headers(h)),
                custom_metadata: h.get("x-owner").map(|o| vec![("owner".to_string(), o.to_string())]).unwrap_or_default(),
                ..Default::default()
            })?;
            return Ok(Response::text(u.upload_id()));
        }
        let u = bucket.resume_multipart_upload(key, &q("uploadId").unwrap_or_default());
        match (method, action.as_str()) {
            ("PUT", "part") => {
                let n: u32 = q("part").and_then(|p| p.parse().ok()).ok_or_else(|| Error::status(400, "bad part"))?;
                let part = if q("via").as_deref() == Some("writer") {
                    // Through the Worker's memory, piece by piece: part-writer.
                    u.upload_part_reader(n, req.into_body())?
                } else {
                    u.upload_part(n, req.into_body())? // moves inside the host
                };
                return Ok(Response::json(format!(r#"{{"partNumber":{},"etag":{}}}"#, part.part_number, json_string(&part.etag))));
            }
            ("POST", "complete") => {
                let text = req.text()?;
                let mut parts = Vec::new();
                for p in text.split(',') {
                    let (n, etag) = p.split_once(':').ok_or_else(|| Error::status(400, "bad part list"))?;
                    let part_number = n.parse().map_err(|_| Error::status(400, "bad part number"))?;
                    parts.push(UploadedPart { part_number, etag: etag.to_string() });
                }
                let o = u.complete(&parts)?;
                return Ok(Response::json(format!(r#"{{"etag":{},"size":{}}}"#, json_string(&o.etag), o.size)));
            }
            ("DELETE", _) => {
                u.abort()?;
                return Ok(Response::new(204));
            }
            _ => {}
        }
    }
    Ok(Response::text("no route").with_status(404))
}

/// A row of table t, as /d1/row reads it.
#[derive(Deserialize)]
struct Row {
    id: i64,
    name: String,
    n: i64,
    r: f64,
    b: Vec<u8>,
    z: Option<i64>,
}

/// The /d1 routes: the contract at the top of conformance/d1_test.go.
fn d1(env: &Env, path: &str, method: &str) -> Result<Response> {
    let db = env.d1("DB")?;
    let count = || -> Result<String> {
        let c: Option<i64> = db.prepare("SELECT count(*) AS c FROM t").first(Some("c"))?;
        Ok(d1_json(&c.into()))
    };
    let body = match (method, path) {
        ("POST", "/d1/setup") => {
            let r = db.exec("DROP TABLE IF EXISTS t; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER, r REAL, b BLOB)")?;
            format!(r#"{{"count":{}}}"#, r.count)
        }
        ("POST", "/d1/insert") => {
            let r = db
                .prepare("INSERT INTO t (name, n, r, b) VALUES (?1, ?2, ?3, ?4)")
                .bind(&[D1Type::from("héllo"), 9007199254740993i64.into(), 1.5.into(), vec![0u8, 1, 0xff].into()])
                .run()?;
            let m = r.meta();
            format!(
                r#"{{"success":{},"changes":{},"last_row_id":{},"rows_written":{},"changed_db":{}}}"#,
                r.success(),
                m.changes,
                m.last_row_id,
                m.rows_written,
                m.changed_db
            )
        }
        ("GET", "/d1/row") => {
            // Into a type of the Worker's, by serde.
            let row: Row = db
                .prepare("SELECT id, name, n, r, b, NULL AS z FROM t WHERE id = ?")
                .bind([1])
                .first(None)?
                .ok_or_else(|| Error::status(500, "no row 1"))?;
            format!(
                r#"{{"id":{},"name":{},"n":{},"r":{},"b":{},"z":{}}}"#,
                d1_json(&row.id.into()),
                json_string(&row.name),
                d1_json(&row.n.into()),
                d1_json(&row.r.into()),
                d1_json(&row.b.into()),
                d1_json(&row.z.into())
            )
        }
        ("GET", "/d1/first") => {
            let name: Option<D1Type> = db.prepare("SELECT name FROM t WHERE id = 1").first(Some("name"))?;
            // Untyped.
            let none: Option<D1Row> = db.prepare("SELECT * FROM t WHERE id = 999").first(None)?;
            let none = match none {
                Some(row) => format!("{{{}}}", row.iter().map(|(k, v)| format!("{}:{}", json_string(k), d1_json(v))).collect::<Vec<_>>().join(",")),
                None => "null".into(),
            };
            format!(r#"{{"name":{},"none":{none}}}"#, d1_json(&name.into()))
        }
        ("GET", "/d1/raw") => {
            let rows: Vec<Vec<D1Type>> = db.prepare("SELECT id, name FROM t ORDER BY id").raw_with_column_names()?;
            let rows: Vec<String> = rows.iter().map(|r| format!("[{}]", r.iter().map(d1_json).collect::<Vec<_>>().join(","))).collect();
            format!("[{}]", rows.join(","))
        }
        ("POST", "/d1/batch") => {
            #[derive(Deserialize)]
            struct Count {
                c: i64,
            }
            let insert = db.prepare("INSERT INTO t (name) VALUES (?)");
            let mut stmts = insert.batch_bind([["a"], ["b"]]);
            stmts.push(db.prepare("SELECT count(*) AS c FROM t"));
            let rs = db.batch(stmts)?;
            let c = rs.get(2).map(|r| r.results::<Count>()).transpose()?.and_then(|v| v.into_iter().next()).map(|c| c.c);
            format!(r#"{{"results":{},"count":{}}}"#, rs.len(), d1_json(&c.into()))
        }
        ("POST", "/d1/batch-fail") => {
            let r = db.batch(vec![
                db.prepare("INSERT INTO t (id, name) VALUES (10, 'x')"),
                db.prepare("INSERT INTO t (id, name) VALUES (1, 'dup')"),
            ]);
            let Err(e) = r else {
                return Err(Error::status(500, "a batch with a duplicate key succeeded"));
            };
            format!(r#"{{"error":{},"count":{}}}"#, json_string(&e.to_string()), count()?)
        }
        ("GET", "/d1/errors") => {
            let message = |r: Result<bindery::d1::D1Result>| match r {
                Err(e) => Ok(json_string(&e.to_string())),
                Ok(_) => Err(Error::status(500, "a statement that must fail succeeded")),
            };
            let sql = message(db.prepare("SELECT * FROM nope").all())?;
            let refused = message(db.prepare("ATTACH DATABASE 'x.db' AS x").run())?;
            let params = message(db.prepare(format!("SELECT {}", vec!["?"; 101].join(","))).bind(1..=101).all())?;
            format!(r#"{{"sql":{sql},"refused":{refused},"params":{params}}}"#)
        }
        ("GET", "/d1/session") => {
            let s = db.with_session(Some("first-primary"))?;
            let c: Option<i64> = s.prepare("SELECT count(*) AS c FROM t").first(Some("c"))?;
            let bookmark = s.get_bookmark().map_or("null".into(), |b| json_string(&b));
            format!(r#"{{"count":{},"bookmark":{bookmark}}}"#, d1_json(&c.into()))
        }
        _ => return Ok(Response::text("no route").with_status(404)),
    };
    Ok(Response::json(body))
}

/// A D1 value as the D1 section answers it: an integer as its decimal
/// text, a real as a number, a blob as hex.
fn d1_json(v: &D1Type) -> String {
    match v {
        D1Type::Null => "null".into(),
        D1Type::Integer(i) => format!("\"{i}\""),
        D1Type::Real(f) => f.to_string(),
        D1Type::Text(s) => json_string(s),
        D1Type::Blob(b) => json_string(&hex(b)),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>> {
    if s.len() % 2 != 0 {
        return Err(Error::status(400, "odd hex"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| Error::status(400, "bad hex")))
        .collect()
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
bindery::durable_objects!("Conformance" => durable::Conformance);
bindery::queue!(queues::queue);
bindery::scheduled!(queues::scheduled);
