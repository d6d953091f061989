//! The Durable Objects section (conformance/durable_test.go): the Worker's
//! routes under /do/ and the class Conformance, bound as "OBJECTS".

use std::cell::Cell;
use std::time::Duration;

use bindery::durable::{AlarmInfo, Args, DurableObject, ListOptions, SqlStorageValue, State, WebSocket, WebSocketIncomingMessage};
use bindery::structured::{self, BigInt, Value};
use bindery::{Env, Error, Request, Response, Result};
use serde::Serialize;

use crate::{hex, json_string};

/// The class Conformance.
pub struct Conformance {
    state: State,
    env: Env,
    /// Fetch events seen while in memory.
    fetches: Cell<u32>,
    /// What "nest" sets and "peek" reads: in memory only.
    marker: Cell<f64>,
}

impl DurableObject for Conformance {
    fn new(state: State, env: Env) -> Self {
        Conformance { state, env, fetches: Cell::new(0), marker: Cell::new(0.0) }
    }

    fn fetch(&self, mut req: Request) -> Result<Response> {
        if req.header("upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
            // conformance/rust_durable_test.go: without hibernation.
            if req.header("x-in-memory").is_some() {
                self.state.accept_web_socket_in_memory(&req)?;
            } else {
                self.state.accept_web_socket(&req, &["conf"])?;
            }
            return Ok(Response::new(101));
        }
        self.fetches.set(self.fetches.get() + 1);
        let id = self.state.id();
        let name = id.name().map_or("null".into(), json_string);
        Ok(Response::json(format!(
            r#"{{"name":{name},"id":{},"method":{},"body":{},"fetches":{}}}"#,
            json_string(id.as_str()),
            json_string(req.method()),
            json_string(&req.text()?),
            self.fetches.get()
        )))
    }

    fn call(&self, method: &str, args: Args) -> Result<Value> {
        let storage = self.state.storage();
        let v = match method {
            "add" => {
                let (a, b): (f64, f64) = args.parse()?;
                Value::Number(a + b)
            }
            "echo" => args.get::<Value>(0)?,
            "incr" => {
                let n = storage.get::<i64>("count")?.unwrap_or(0) + 1;
                storage.put("count", &n)?;
                structured::to_value(&n)?
            }
            "storage" => self.storage()?,
            "txn" => self.txn()?,
            "sql" => self.sql()?,
            "boom" => {
                let (n,): (String,) = args.parse()?;
                return Err(Error::thrown("TypeError", format!("boom: {n}")));
            }
            "setAlarm" => {
                storage.set_alarm(Duration::from_millis(100))?;
                Value::Bool(storage.get_alarm()?.is_some())
            }
            "alarmed" => storage.get::<Value>("alarm")?.unwrap_or(Value::Null),
            // Nesting (conformance/rust_durable_test.go): this object calls
            // peer, which calls it back while its event waits.
            "nest" => {
                let (peer,): (String,) = args.parse()?;
                self.marker.set(42.0);
                let me = self.state.id().name().unwrap_or_default().to_string();
                let v: Value = self.env.durable_object("OBJECTS")?.get_by_name(&peer)?.call("callBack", &(me,))?;
                self.marker.set(0.0);
                v
            }
            "callBack" => {
                let (back,): (String,) = args.parse()?;
                let stub = self.env.durable_object("OBJECTS")?.get_by_name(&back)?;
                let peek: f64 = stub.call("peek", &())?;
                let fetched = stub.fetch_with_str("http://do/nested")?.into_body()?.read_text()?;
                Value::Object(vec![("peek".into(), Value::Number(peek)), ("fetch".into(), Value::String(fetched))])
            }
            "peek" => Value::Number(self.marker.get()),
            _ => return Err(Error::no_such_method(method)),
        };
        Ok(v)
    }

    fn alarm(&self, info: AlarmInfo) -> Result<()> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Alarmed {
            retry_count: u32,
        }
        self.state.storage().put("alarm", &Alarmed { retry_count: info.retry_count })
    }

    fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> Result<()> {
        match message {
            WebSocketIncomingMessage::Binary(b) => ws.send_with_bytes(&b),
            WebSocketIncomingMessage::String(s) if s == "ping" => {
                ws.send_with_str(&format!("pong {}", self.state.get_web_sockets_with_tag("conf").len()))
            }
            WebSocketIncomingMessage::String(s) => ws.send_with_str(&s),
        }
    }
}

impl Conformance {
    /// The key-value API.
    fn storage(&self) -> Result<Value> {
        let st = self.state.storage();
        st.put_multiple([
            ("k1", Value::Number(1.0)),
            ("k2", Value::String("two".into())),
            ("k3", Value::Array(vec![Value::Number(1.0), Value::Number(2.0)])),
        ])?;
        let deleted = st.delete("k1")?;
        let deleted_again = st.delete("k1")?;
        let keys = |opts: &ListOptions<'_>| -> Result<Vec<String>> { Ok(st.list::<Value>(opts)?.into_iter().map(|(k, _)| k).collect()) };
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Out {
            deleted: bool,
            deleted_again: bool,
            keys: Vec<String>,
            last: Vec<String>,
            k2: Option<String>,
            missing: bool,
        }
        Ok(structured::to_value(&Out {
            deleted,
            deleted_again,
            keys: keys(&ListOptions { prefix: Some("k"), ..Default::default() })?,
            last: keys(&ListOptions { reverse: true, limit: Some(1), ..Default::default() })?,
            k2: st.get("k2")?,
            missing: st.get::<Value>("nope")?.is_none(),
        })?)
    }

    /// A rolled-back and a committed transaction.
    fn txn(&self) -> Result<Value> {
        let st = self.state.storage();
        st.put("t", &1)?;
        match st.transaction(|tx| -> Result<()> {
            tx.put("t", &2)?;
            Err(Error::other("roll back"))
        }) {
            Err(e) if e.to_string() == "roll back" => {}
            r => return Err(Error::other(format!("the transaction returned {r:?}"))),
        }
        let after_rollback: Option<i64> = st.get("t")?;
        st.transaction(|tx| tx.put("t", &3))?;
        let after_commit: Option<i64> = st.get("t")?;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Out {
            after_rollback: Option<i64>,
            after_commit: Option<i64>,
        }
        Ok(structured::to_value(&Out { after_rollback, after_commit })?)
    }

    /// sql.exec.
    fn sql(&self) -> Result<Value> {
        let sql = self.state.storage().sql();
        sql.exec("CREATE TABLE IF NOT EXISTS r (id INTEGER PRIMARY KEY, v TEXT)", &[])?;
        let written = sql.exec("INSERT INTO r (v) VALUES (?)", &["x".into()])?.rows_written();
        let mut c = sql.exec("SELECT id, v FROM r ORDER BY id", &[])?;
        let columns = c.column_names().to_vec();
        let rows: Vec<Vec<SqlStorageValue>> = c.by_ref().collect();
        let error = match sql.exec("SELECT * FROM nope", &[]) {
            Err(e) => e.to_string(),
            Ok(_) => return Err(Error::other("SELECT * FROM nope succeeded")),
        };
        let row = |r: Vec<SqlStorageValue>| {
            Value::Array(
                r.into_iter()
                    .map(|v| match v {
                        SqlStorageValue::Integer(i) => Value::Number(i as f64),
                        SqlStorageValue::Real(f) => Value::Number(f),
                        SqlStorageValue::Text(s) => Value::String(s),
                        SqlStorageValue::Blob(b) => Value::Bytes(b),
                        _ => Value::Null,
                    })
                    .collect(),
            )
        };
        Ok(Value::Object(vec![
            ("columns".into(), structured::to_value(&columns)?),
            ("rows".into(), Value::Array(rows.into_iter().map(row).collect())),
            ("written".into(), Value::Number(written as f64)),
            ("error".into(), Value::String(error)),
        ]))
    }
}

/// Serves /do/...: the Worker's side.
pub fn route(req: Request, env: &Env, path: &str) -> Result<Response> {
    let ns = env.durable_object("OBJECTS")?;
    if path == "/do/ids" {
        let named = ns.id_from_name("a")?;
        let invalid = match ns.id_from_string("not-an-id") {
            Err(e) => e.to_string(),
            Ok(id) => return Err(Error::other(format!("idFromString(\"not-an-id\") gave {id}"))),
        };
        return Ok(Response::json(format!(
            r#"{{"named":{},"same":{},"other":{},"unique":{},"parsed":{},"invalid":{}}}"#,
            json_string(named.as_str()),
            named == ns.id_from_name("a")?,
            named != ns.id_from_name("b")?,
            json_string(ns.unique_id()?.as_str()),
            ns.id_from_string(named.as_str())? == named,
            json_string(&invalid)
        )));
    }
    let rest = path.strip_prefix("/do/").unwrap_or_default();
    let (name, op) = rest.split_once('/').unwrap_or((rest, ""));
    let stub = ns.get_by_name(name)?;
    let body = match op {
        // The Worker's request goes to the object as it is; a web socket
        // the object accepts comes back in the response.
        "fetch" | "ws" => return stub.fetch(req),
        "rpc" => {
            let sum: f64 = stub.call("add", &(2, 3.5))?;
            let v = Value::Object(vec![
                ("s".into(), Value::String("héllo".into())),
                ("n".into(), Value::Number(1.5)),
                ("i".into(), Value::Number(-7.0)),
                ("t".into(), Value::Bool(true)),
                ("z".into(), Value::Null),
                ("l".into(), Value::Array(vec![Value::Number(1.0), Value::Number(2.0), Value::Number(3.0)])),
                ("b".into(), Value::Bytes(vec![0, 1, 0xff])),
                ("big".into(), Value::BigInt(BigInt::from(1u64 << 60))),
            ]);
            let echo: Value = stub.call("echo", &(v,))?;
            format!(r#"{{"sum":{},"echo":{}}}"#, json(&Value::Number(sum)), json(&echo))
        }
        "storage" | "txn" | "sql" | "incr" | "alarmed" => json(&stub.call::<Value>(op, &())?),
        "alarm" => json(&stub.call::<Value>("setAlarm", &())?),
        "nest" => json(&stub.call::<Value>("nest", &(format!("{name}-peer"),))?),
        "throw" => match stub.call::<Value>("boom", &(name,)) {
            Err(Error::Thrown(v)) => match *v {
                Value::Error(e) => format!(r#"{{"name":{},"message":{}}}"#, json_string(&e.name), json_string(&e.message)),
                v => return Err(Error::other(format!("boom threw {v:?}"))),
            },
            r => return Err(Error::other(format!("boom returned {r:?}"))),
        },
        "missing" => match stub.call::<Value>("noSuchMethod", &()) {
            Err(e) => format!(r#"{{"error":{}}}"#, json_string(&e.to_string())),
            Ok(v) => return Err(Error::other(format!("noSuchMethod returned {v:?}"))),
        },
        _ => return Ok(Response::text("no route").with_status(404)),
    };
    Ok(Response::json(body))
}

/// A structured value as the suite's JSON: bytes as hex, a bigint as its
/// decimal text, undefined as null.
fn json(v: &Value) -> String {
    match v {
        Value::Undefined | Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_finite() => n.to_string(),
        Value::Number(_) => "null".into(),
        Value::BigInt(b) => json_string(&b.to_string()),
        Value::String(s) => json_string(s),
        Value::Bytes(b) | Value::TypedArray { bytes: b, .. } => json_string(&hex(b)),
        Value::Array(vs) | Value::Set(vs) => format!("[{}]", vs.iter().map(json).collect::<Vec<_>>().join(",")),
        Value::Object(es) => {
            format!("{{{}}}", es.iter().map(|(k, v)| format!("{}:{}", json_string(k), json(v))).collect::<Vec<_>>().join(","))
        }
        v => json_string(&format!("{v:?}")),
    }
}
