//! Queues' host-free parts: the outcome the handler's calls record (the
//! first-call-wins rules of workerd's queue.c++), message bodies per content
//! type, and the requests the producer sends.

use super::*;

#[derive(Clone, Copy, Debug)]
enum Op {
    Ack(u32),
    Retry(u32, Option<u32>),
    AckAll,
    RetryAll(Option<u32>),
}

/// The outcome as comparable parts: acked, retried, ack-all, retry-all,
/// retry-all delay.
type Parts = (Vec<u32>, Vec<(u32, Option<u32>)>, bool, bool, Option<u32>);

fn parts(o: &consumer::Outcome) -> Parts {
    (o.acked.clone(), o.retried.iter().map(|r| (r.index, r.delay_seconds)).collect(), o.ack_all, o.retry_all, o.retry_all_delay)
}

#[test]
fn outcome_rules() {
    use Op::*;
    let tests: Vec<(&str, Vec<Op>, Parts, Vec<&str>)> = vec![
        ("nothing", vec![], (vec![], vec![], false, false, None), vec![]),
        ("ack and retry", vec![Ack(2), Retry(0, Some(5)), Ack(2)], (vec![2], vec![(0, Some(5))], false, false, None), vec![]),
        (
            "ack then retry",
            vec![Ack(0), Retry(0, None)],
            (vec![0], vec![], false, false, None),
            vec!["Received a call to retry() on message m0 after ack() was already called. Calling retry() on a message after calling ack() has no effect."],
        ),
        (
            "retry then ack",
            vec![Retry(1, Some(3)), Ack(1)],
            (vec![], vec![(1, Some(3))], false, false, None),
            vec!["Received a call to ack() on message m1 after retry() was already called. Calling ack() on a message after calling retry() has no effect."],
        ),
        ("retry twice keeps a delay", vec![Retry(0, Some(5)), Retry(0, None)], (vec![], vec![(0, Some(5))], false, false, None), vec![]),
        ("retry twice, the second delay", vec![Retry(0, Some(5)), Retry(0, Some(9))], (vec![], vec![(0, Some(9))], false, false, None), vec![]),
        (
            "retryAll then ack",
            vec![RetryAll(None), Ack(0)],
            (vec![], vec![], false, true, None),
            vec!["Received a call to ack() on message m0 after retryAll() was already called. Calling ack() on a message after calling retryAll() has no effect."],
        ),
        ("retryAll then retry", vec![RetryAll(Some(1)), Retry(1, Some(2))], (vec![], vec![(1, Some(2))], false, true, Some(1)), vec![]),
        ("ack then retryAll", vec![Ack(0), RetryAll(None)], (vec![0], vec![], false, true, None), vec![]),
        ("retryAll twice keeps a delay", vec![RetryAll(Some(4)), RetryAll(None)], (vec![], vec![], false, true, Some(4)), vec![]),
        (
            "ackAll then retryAll",
            vec![AckAll, RetryAll(Some(7))],
            (vec![], vec![], true, false, None),
            vec!["Received a call to retryAll() after ackAll() was already called. Calling retryAll() after calling ackAll() has no effect."],
        ),
        (
            "retryAll then ackAll",
            vec![RetryAll(Some(3)), AckAll],
            (vec![], vec![], false, true, Some(3)),
            vec!["Received a call to ackAll() after retryAll() was already called. Calling ackAll() after calling retryAll() has no effect."],
        ),
        ("ackAll then ack, silently", vec![AckAll, Ack(0)], (vec![], vec![], true, false, None), vec![]),
        (
            "ackAll then retry",
            vec![AckAll, Retry(2, None)],
            (vec![], vec![], true, false, None),
            vec!["Received a call to retry() on message m2 after ackAll() was already called. Calling retry() on a message after calling ackAll() has no effect."],
        ),
        ("retry then ackAll", vec![Retry(2, None), AckAll], (vec![], vec![(2, None)], true, false, None), vec![]),
    ];
    for (name, ops, want, want_warnings) in tests {
        let mut o = Outcome::new(3);
        let mut warnings = Vec::new();
        for op in ops {
            let w = match op {
                Ack(i) => o.ack(i, &format!("m{i}")),
                Retry(i, d) => o.retry(i, &format!("m{i}"), d),
                AckAll => o.ack_all(),
                RetryAll(d) => o.retry_all(d),
            };
            warnings.extend(w);
        }
        let got = o.to_wit(None);
        assert_eq!(parts(&got), want, "{name}");
        assert_eq!(got.error, None, "{name}");
        assert_eq!(warnings, want_warnings, "{name}");
    }
}

fn wit_message(i: usize, content_type: ContentType, body: &[u8]) -> consumer::Message {
    consumer::Message { id: format!("{i:032x}"), timestamp: 1_700_000_000_000 + i as i64, body: body.to_vec(), content_type, attempts: i as u32 + 1 }
}

#[test]
fn the_handler_gets_the_batch_and_its_calls_come_back() {
    let messages = vec![wit_message(0, ContentType::Text, b"a"), wit_message(1, ContentType::Bytes, &[0, 1, 0xff]), wit_message(2, ContentType::Text, b"c")];
    let out = __queue("jobs".into(), messages, |batch, _env| {
        assert_eq!(batch.queue(), "jobs");
        let m = batch.messages();
        assert_eq!(m.len(), 3);
        assert_eq!((m[1].id(), m[1].timestamp(), m[1].attempts()), ("00000000000000000000000000000001", 1_700_000_000_001, 2));
        assert_eq!(m[1].content_type(), ContentType::Bytes);
        m[0].ack();
        m[2].retry(Some(30));
        Ok(())
    });
    assert_eq!(parts(&out), (vec![0], vec![(2, Some(30))], false, false, None));
    assert_eq!(out.error, None);
}

#[test]
fn an_err_is_the_outcome_error() {
    let out = __queue("jobs".into(), vec![wit_message(0, ContentType::Text, b"a"), wit_message(1, ContentType::Text, b"b")], |batch, _env| {
        batch.messages()[1].ack();
        Err(Error::other("boom b"))
    });
    assert_eq!(parts(&out), (vec![1], vec![], false, false, None));
    assert_eq!(out.error.as_deref(), Some("boom b"));
    // The handler may also drop the batch: what it recorded stays.
    let out = __queue("jobs".into(), vec![wit_message(0, ContentType::Text, b"a")], |batch, _env| {
        batch.retry_all(Some(5));
        drop(batch);
        Err(Error::status(500, "late"))
    });
    assert_eq!(parts(&out), (vec![], vec![], false, true, Some(5)));
    assert_eq!(out.error.as_deref(), Some("late"));
}

fn message(content_type: ContentType, body: &[u8]) -> Message {
    let outcome = Rc::new(RefCell::new(Outcome::new(1)));
    batch("q".into(), vec![wit_message(0, content_type, body)], &outcome).messages.pop().unwrap()
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Job {
    key: String,
    n: f64,
}

#[test]
fn bodies_by_content_type() {
    let text = message(ContentType::Text, "é x".as_bytes());
    assert_eq!(text.text().unwrap(), "é x");
    assert_eq!(text.bytes(), "é x".as_bytes());
    assert_eq!(text.value().unwrap(), Value::String("é x".into()));
    assert!(matches!(text.json::<Job>(), Err(Error::InvalidArgument(m)) if m == "queue message 00000000000000000000000000000000 is text, not json or v8"));

    let bytes = message(ContentType::Bytes, &[0, 1, 0xff]);
    assert_eq!(bytes.bytes(), [0, 1, 0xff]);
    assert_eq!(bytes.value().unwrap(), Value::Bytes(vec![0, 1, 0xff]));
    assert!(matches!(bytes.text(), Err(Error::InvalidArgument(m)) if m.ends_with("is bytes, not text")));

    let json = message(ContentType::Json, br#"{"n":1.5,"key":"k","z":[null,true,-0],"key":"k2"}"#);
    assert_eq!(message(ContentType::Json, br#"{"n":1.5,"key":"k"}"#).json::<Job>().unwrap(), Job { key: "k".into(), n: 1.5 });
    assert_eq!(json.text().unwrap(), r#"{"n":1.5,"key":"k","z":[null,true,-0],"key":"k2"}"#);
    // As JSON.parse: keys in order, a repeated key in its first place with
    // its last value, numbers as doubles.
    assert_eq!(
        json.value().unwrap(),
        Value::Object(vec![
            ("n".into(), Value::Number(1.5)),
            ("key".into(), Value::String("k2".into())),
            ("z".into(), Value::Array(vec![Value::Null, Value::Bool(true), Value::Number(-0.0)])),
        ])
    );
    let big = message(ContentType::Json, b"18446744073709551615");
    assert_eq!(big.value().unwrap(), Value::Number(18446744073709551615.0));
    let bad = message(ContentType::Json, b"{");
    assert!(bad.value().unwrap_err().to_string().starts_with("queue message 00000000000000000000000000000000: JSON: "));
    assert!(bad.json::<Job>().is_err());

    let v = Value::Object(vec![("key".into(), Value::String("k".into())), ("n".into(), Value::Number(1.5)), ("b".into(), Value::Bytes(vec![0, 1, 0xff]))]);
    let v8 = message(ContentType::V8, &v.encode().unwrap());
    assert_eq!(v8.value().unwrap(), v);
    assert_eq!(v8.json::<Job>().unwrap(), Job { key: "k".into(), n: 1.5 });
    assert!(matches!(v8.text(), Err(Error::InvalidArgument(_))));
    let bad = message(ContentType::V8, &[1, 2]);
    assert!(bad.value().is_err());
}

#[test]
fn send_requests() {
    #[derive(serde::Serialize)]
    struct Ping {
        key: &'static str,
    }
    let tests: Vec<(&str, SendRequest, &[u8], ContentType, Option<u32>)> = vec![
        ("text", SendRequest::text("hé"), "hé".as_bytes(), ContentType::Text, None),
        ("bytes", SendRequest::bytes(vec![0, 0xff]), &[0, 0xff], ContentType::Bytes, None),
        ("json", SendRequest::json(&Ping { key: "k" }).unwrap(), br#"{"key":"k"}"#, ContentType::Json, None),
        ("delayed", SendRequest::text("x").with_delay(86400), b"x", ContentType::Text, Some(86400)),
    ];
    for (name, r, body, ct, delay) in tests {
        assert_eq!((r.body.as_slice(), r.content_type, r.delay_seconds), (body, ct, delay), "{name}");
    }
    let v = SendRequest::value(&Value::Bytes(vec![0, 1])).unwrap();
    assert_eq!((v.content_type, Value::decode(&v.body).unwrap()), (ContentType::V8, Value::Bytes(vec![0, 1])));
    let v = SendRequest::value(&Ping { key: "k" }).unwrap();
    assert_eq!(Value::decode(&v.body).unwrap(), Value::Object(vec![("key".into(), Value::String("k".into()))]));
    assert_eq!([ContentType::Text, ContentType::Bytes, ContentType::Json, ContentType::V8].map(|c| c.to_string()), ["text", "bytes", "json", "v8"]);
}

#[test]
fn producer_errors_keep_the_hosts_message() {
    let tests = [
        (wit::Error::NoSuchQueue("no queue binding named NOPE".into()), "NoSuchBinding", 500),
        (wit::Error::TooLarge("queue message is 131072 bytes, over 128 KB".into()), "TooLarge", 413),
        (wit::Error::InvalidArgument("delaySeconds 86401 is over 86400".into()), "InvalidArgument", 400),
        (wit::Error::Internal("disk".into()), "Internal", 500),
    ];
    for (e, kind, status) in tests {
        let msg = match &e {
            wit::Error::NoSuchQueue(m) | wit::Error::TooLarge(m) | wit::Error::InvalidArgument(m) | wit::Error::Internal(m) => m.clone(),
        };
        let got = Error::from(e);
        assert!(format!("{got:?}").starts_with(kind), "{got:?} is no {kind}");
        assert_eq!((got.to_string(), got.http_status()), (msg, status));
    }
}
