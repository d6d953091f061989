use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::*;

/// The shared vectors every SDK runs (wit/deps/durable/testdata).
const VECTORS: &str = include_str!("../../../../wit/deps/durable/testdata/structured-values.json");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn num(j: &Json) -> f64 {
    match j {
        Json::String(s) => match s.as_str() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            "-0" => -0.0,
            _ => panic!("number {s:?}"),
        },
        // Rust's parser rounds correctly; the JSON text is the number's.
        Json::Number(n) => n.to_string().parse().expect("number"),
        _ => panic!("number {j}"),
    }
}

fn text(j: &Json) -> String {
    j.as_str().expect("string").to_string()
}

/// The Value a vector's typed JSON describes.
fn typed(j: &Json) -> Value {
    let o = j.as_object().expect("typed value is an object");
    if let Some(kind) = o.get("typed") {
        let kind = TypedArrayKind::from_name(kind.as_str().unwrap()).expect("typed array name");
        return Value::TypedArray { kind, bytes: unhex(o["bytes"].as_str().unwrap()) };
    }
    let (k, v) = o.iter().next().expect("one key");
    match k.as_str() {
        "undefined" => Value::Undefined,
        "null" => Value::Null,
        "bool" => Value::Bool(v.as_bool().unwrap()),
        "number" => Value::Number(num(v)),
        "bigint" => Value::BigInt(v.as_str().unwrap().parse().unwrap()),
        "string" => Value::String(text(v)),
        "bytes" => Value::Bytes(unhex(v.as_str().unwrap())),
        "array" => Value::Array(v.as_array().unwrap().iter().map(typed).collect()),
        "set" => Value::Set(v.as_array().unwrap().iter().map(typed).collect()),
        "object" => Value::Object(v.as_array().unwrap().iter().map(|e| (text(&e[0]), typed(&e[1]))).collect()),
        "map" => Value::Map(v.as_array().unwrap().iter().map(|e| (typed(&e[0]), typed(&e[1]))).collect()),
        "date" => Value::Date(num(v)),
        "error" => Value::Error(Box::new(ErrorValue {
            name: text(&v["name"]),
            message: text(&v["message"]),
            stack: v.get("stack").map(text),
            cause: v.get("cause").map(typed),
        })),
        _ => panic!("unknown kind {k}"),
    }
}

#[test]
fn vectors() {
    // The nesting vectors are deeper than serde_json's default limit.
    let mut de = serde_json::Deserializer::from_str(VECTORS);
    de.disable_recursion_limit();
    let doc = Json::deserialize(&mut de).expect("vectors parse");
    let vectors = doc["vectors"].as_array().expect("vectors");
    assert!(vectors.len() > 100, "only {} vectors", vectors.len());
    let mut failures = Vec::new();
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let bytes = unhex(v["hex"].as_str().unwrap());
        if let Some(why) = v.get("error") {
            match Value::decode(&bytes) {
                Ok(got) => failures.push(format!("{name}: decoded {got:?}, want an error ({why})")),
                Err(e) if e.offset().is_none() => failures.push(format!("{name}: error {e} names no offset")),
                Err(e) if e.offset().unwrap() > bytes.len() => failures.push(format!("{name}: error {e} beyond the input")),
                Err(_) => {}
            }
            continue;
        }
        let want = typed(&v["value"]);
        match Value::decode(&bytes) {
            Ok(got) if got == want => {}
            Ok(got) => failures.push(format!("{name}: decoded {got:?}, want {want:?}")),
            Err(e) => failures.push(format!("{name}: decode: {e}")),
        }
        let enc = match want.encode() {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!("{name}: encode: {e}"));
                continue;
            }
        };
        if v.get("decodeOnly").is_none() && enc != bytes {
            failures.push(format!("{name}: encoded {}, want {}", hex(&enc), hex(&bytes)));
        }
        match Value::decode(&enc) {
            Ok(back) if back == want => {}
            other => failures.push(format!("{name}: round trip gave {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{} vectors failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn decode_error_names_offset() {
    // A reserved byte after three arrays: offset 3 (prefix) + 3.
    let e = Value::decode(&unhex("d9d9f78181811c")).unwrap_err();
    assert_eq!(e.offset(), Some(6), "{e}");
    assert!(e.to_string().contains("at byte 6"), "{e}");
    let e = Value::decode(&unhex("d9d9f70000")).unwrap_err();
    assert_eq!(e.offset(), Some(4), "{e}");
}

#[test]
fn encode_refuses_bad_values() {
    let deep = (0..257).fold(Value::Null, |v, _| Value::Array(vec![v]));
    assert!(deep.encode().is_err());
    let ok = (0..256).fold(Value::Null, |v, _| Value::Array(vec![v]));
    assert!(ok.encode().is_ok());
    let odd = Value::Object(vec![("a".into(), Value::Array(vec![Value::Null, Value::TypedArray { kind: TypedArrayKind::Uint16, bytes: vec![1] }]))]);
    let e = odd.encode().unwrap_err();
    assert_eq!(e.path().as_deref(), Some("$.a[1]"), "{e}");
    let twice = Value::Object(vec![("k".into(), Value::Null), ("k".into(), Value::Null)]);
    assert!(twice.encode().unwrap_err().to_string().contains("\"k\" twice"));
}

#[test]
fn error_name_outside_the_seven_is_error() {
    let v = Value::Error(Box::new(ErrorValue { name: "AggregateError".into(), message: "m".into(), stack: None, cause: None }));
    let back = Value::decode(&v.encode().unwrap()).unwrap();
    assert_eq!(back, Value::Error(Box::new(ErrorValue::new("Error", "m"))));
}

#[test]
fn bigint_text() {
    for s in ["0", "1", "-1", "255", "-256", "18446744073709551616", "-123456789012345678901234567890"] {
        assert_eq!(s.parse::<BigInt>().unwrap().to_string(), s);
    }
    assert!("".parse::<BigInt>().is_err());
    assert!("1x".parse::<BigInt>().is_err());
    assert_eq!(BigInt::from(i128::MIN).to_i128(), Some(i128::MIN));
    assert_eq!(BigInt::from(u128::MAX).to_u128(), Some(u128::MAX));
    assert_eq!(BigInt::from(-5i64).to_u128(), None);
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Point {
    y: i32,
    x: i32,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Record {
    name: String,
    big: u64,
    small: i64,
    neg_big: i64,
    wide: i128,
    ratio: f64,
    missing: Option<String>,
    list: Vec<Point>,
    #[serde(with = "crate::structured::bytes")]
    blob: Vec<u8>,
    raw: Vec<u8>,
    kind: Kind,
    any: Value,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Kind {
    Plain,
    Pair(u8, u8),
    Named { a: bool },
}

fn record() -> Record {
    Record {
        name: "r".into(),
        big: 1 << 60,
        small: -(1 << 53) + 1,
        neg_big: i64::MIN,
        wide: 1 << 100,
        ratio: 0.5,
        missing: None,
        list: vec![Point { y: 2, x: 1 }],
        blob: vec![1, 2],
        raw: vec![3],
        kind: Kind::Named { a: true },
        any: Value::Map(vec![(Value::Date(0.0), Value::Set(vec![Value::Undefined]))]),
    }
}

#[test]
fn serde_struct_round_trip() {
    let r = record();
    let bytes = to_vec(&r).unwrap();
    assert_eq!(from_slice::<Record>(&bytes).unwrap(), r);
}

#[test]
fn serde_mapping() {
    let v = Value::decode(&to_vec(&record()).unwrap()).unwrap();
    let Value::Object(fields) = &v else { panic!("{v:?}") };
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["name", "big", "small", "neg_big", "wide", "ratio", "missing", "list", "blob", "raw", "kind", "any"], "fields in declaration order");
    assert_eq!(v.get("big"), Some(&Value::BigInt(BigInt::from(1u64 << 60))), "beyond 2^53 - 1: bigint");
    assert_eq!(v.get("small"), Some(&Value::Number(-9007199254740991.0)), "within 2^53 - 1: number");
    assert_eq!(v.get("neg_big"), Some(&Value::BigInt(BigInt::from(i64::MIN))));
    assert_eq!(v.get("wide"), Some(&Value::BigInt(BigInt::from(1i128 << 100))));
    assert_eq!(v.get("missing"), Some(&Value::Null));
    assert_eq!(v.get("list"), Some(&Value::Array(vec![Value::Object(vec![("y".into(), Value::Number(2.0)), ("x".into(), Value::Number(1.0))])])));
    assert_eq!(v.get("blob"), Some(&Value::Bytes(vec![1, 2])));
    assert_eq!(v.get("raw"), Some(&Value::Array(vec![Value::Number(3.0)])), "a plain Vec<u8> is an array");
    assert_eq!(v.get("kind"), Some(&Value::Object(vec![("Named".into(), Value::Object(vec![("a".into(), Value::Bool(true))]))])));
    assert_eq!(v.get("any"), Some(&record().any), "an embedded Value keeps its kinds");

    assert_eq!(to_vec(&()).unwrap(), unhex("d9d9f7f7"), "() is undefined");
    assert_eq!(to_vec(&Kind::Plain).unwrap(), unhex("d9d9f765506c61696e"));
    assert_eq!(to_value(&Kind::Pair(1, 2)).unwrap(), Value::Object(vec![("Pair".into(), Value::Array(vec![Value::Number(1.0), Value::Number(2.0)]))]));
    assert_eq!(from_slice::<Kind>(&to_vec(&Kind::Pair(1, 2)).unwrap()).unwrap(), Kind::Pair(1, 2));
    assert_eq!(to_vec(&Bytes(vec![9])).unwrap(), unhex("d9d9f74109"));
    assert_eq!(to_vec(&(1u8, "a")).unwrap(), unhex("d9d9f7820161 61".replace(' ', "").as_str()));
}

#[test]
fn serde_maps_sorted_by_encoded_key() {
    let m: HashMap<String, u8> = [("bb".to_string(), 1), ("a".to_string(), 2), ("c".to_string(), 3)].into();
    // Shorter keys first (their head byte is smaller), then bytewise.
    assert_eq!(to_value(&m).unwrap(), Value::Object(vec![("a".into(), Value::Number(2.0)), ("c".into(), Value::Number(3.0)), ("bb".into(), Value::Number(1.0))]));
    let n: BTreeMap<i32, bool> = [(-1, true), (300, false), (2, true)].into();
    let v = to_value(&n).unwrap();
    assert_eq!(v, Value::Map(vec![(Value::Number(2.0), Value::Bool(true)), (Value::Number(300.0), Value::Bool(false)), (Value::Number(-1.0), Value::Bool(true))]));
    assert_eq!(from_value::<BTreeMap<i32, bool>>(v).unwrap(), n);
}

#[test]
fn serde_lenient_reads() {
    // A Vec<u8> reads an ArrayBuffer and a Uint8Array; a Vec reads a Set.
    assert_eq!(from_slice::<Vec<u8>>(&unhex("d9d9f743010203")).unwrap(), [1, 2, 3]);
    assert_eq!(from_slice::<Vec<u8>>(&unhex("d9d9f7d840430102ff")).unwrap(), [1, 2, 255]);
    assert_eq!(from_slice::<Vec<u32>>(&unhex("d9d9f7d9010283010203")).unwrap(), [1, 2, 3]);
    // Integers from a bigint in range; None from undefined; f64 from a Date.
    assert_eq!(from_slice::<u64>(&unhex("d9d9f7c248ffffffffffffffff")).unwrap(), u64::MAX);
    assert_eq!(from_slice::<Option<u8>>(&unhex("d9d9f7f7")).unwrap(), None);
    assert_eq!(from_slice::<i32>(&unhex("d9d9f7fb8000000000000000")).unwrap(), 0, "-0 is an integer");
    assert!(from_slice::<i32>(&unhex("d9d9f7fb3ff8000000000000")).is_err(), "1.5 is not");
    assert_eq!(from_slice::<f64>(&unhex("d9d9f7c101")).unwrap_err().to_string(), "structured value: invalid type: Date, expected a number");
    let m: HashMap<String, String> = from_slice(&unhex("d9d9f7d90103a161616162")).unwrap();
    assert_eq!(m["a"], "b", "a Map reads into a serde map");
    #[derive(Deserialize)]
    struct E {
        name: String,
        message: String,
    }
    let e: E = from_slice(&unhex("d9d9f7d81b82654572726f72a2646e616d6569547970654572726f72676d657373616765616d")).unwrap();
    assert_eq!((e.name.as_str(), e.message.as_str()), ("TypeError", "m"));
}

#[test]
fn serde_errors_name_the_path() {
    let bytes = Value::Object(vec![("list".into(), Value::Array(vec![Value::Object(vec![("y".into(), Value::Number(1.5)), ("x".into(), Value::Number(0.0))])]))]).encode().unwrap();
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct L {
        list: Vec<Point>,
    }
    let e = from_slice::<L>(&bytes).unwrap_err();
    assert_eq!(e.path().as_deref(), Some("$.list[0].y"), "{e}");
    assert!(e.to_string().contains("1.5"), "{e}");
    assert!(from_slice::<u8>(&unhex("d9d9f7190100")).is_err(), "256 is out of range for u8");
    assert!(from_slice::<i64>(&unhex("d9d9f7c249010000000000000000")).is_err(), "2^64 is out of range for i64");
}

#[test]
fn value_from() {
    let v = Value::Array(vec![1.into(), 1.5.into(), "a".into(), true.into(), None::<&str>.into(), BigInt::from(u64::MAX).into(), ErrorValue::new("TypeError", "m").into()]);
    assert_eq!(v.encode().unwrap(), unhex("d9d9f78701fb3ff80000000000006161f5f6c248ffffffffffffffffd81b82654572726f72a2646e616d6569547970654572726f72676d657373616765616d"));
}
