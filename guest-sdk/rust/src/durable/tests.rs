//! Durable Objects' host-free parts: errors thrown across objects, RPC
//! arguments, alarm times.

use std::time::{Duration, UNIX_EPOCH};

use super::*;

#[test]
fn thrown_error_round_trips() {
    let t = thrown_of(Error::thrown("TypeError", "boom: one"));
    assert_eq!((t.name.as_str(), t.message.as_str()), ("TypeError", "boom: one"));
    let e = Error::from(WitError::Thrown(t));
    match &e {
        Error::Thrown(v) => match &**v {
            Value::Error(ev) => assert_eq!((ev.name.as_str(), ev.message.as_str()), ("TypeError", "boom: one")),
            v => panic!("thrown {v:?}"),
        },
        e => panic!("got {e:?}"),
    }
    assert_eq!(e.to_string(), "TypeError: boom: one");
    // Returned again from a method, it goes on unchanged.
    let again = thrown_of(e);
    assert_eq!((again.name.as_str(), again.message.as_str()), ("TypeError", "boom: one"));
}

#[test]
fn other_errors_are_thrown_as_error() {
    let t = thrown_of(Error::Sql("no such table: nope".into()));
    assert_eq!((t.name.as_str(), t.message.as_str()), ("Error", "no such table: nope"));
    assert!(t.value.is_some());
}

#[test]
fn thrown_values_that_are_no_errors() {
    let t = thrown_of(Error::Thrown(Box::new(Value::Number(42.0))));
    assert_eq!(t.name, "Error");
    assert_eq!(Value::decode(t.value.as_deref().unwrap()).unwrap(), Value::Number(42.0));
    assert_eq!(Error::Thrown(Box::new(Value::String("x".into()))).to_string(), "Uncaught \"x\"");
}

#[test]
fn thrown_without_an_encoding_uses_name_and_message() {
    let v = thrown_value(Thrown { name: "RangeError".into(), message: "too big".into(), value: None });
    assert_eq!(v, Value::Error(Box::new(ErrorValue::new("RangeError", "too big"))));
    // Bytes that do not decode are not trusted either.
    let v = thrown_value(Thrown { name: "Error".into(), message: "m".into(), value: Some(vec![1, 2]) });
    assert_eq!(v, Value::Error(Box::new(ErrorValue::new("Error", "m"))));
}

fn args(values: Vec<Value>) -> Args {
    Args { method: "add".into(), values }
}

#[test]
fn args_parse_into_tuples() {
    let (a, b): (f64, i64) = args(vec![Value::Number(2.5), Value::Number(3.0)]).parse().unwrap();
    assert_eq!((a, b), (2.5, 3));
    let a = args(vec![Value::String("s".into())]);
    assert_eq!(a.len(), 1);
    assert_eq!(a.get::<String>(0).unwrap(), "s");
    assert_eq!(a.get::<Option<String>>(3).unwrap(), None);
}

#[test]
fn bad_args_throw_a_type_error_naming_the_method() {
    for e in [
        args(vec![Value::String("x".into())]).get::<f64>(0).unwrap_err(),
        args(vec![Value::String("x".into())]).parse::<(f64,)>().unwrap_err(),
    ] {
        let t = thrown_of(e);
        assert_eq!(t.name, "TypeError");
        assert!(t.message.starts_with("add: "), "{}", t.message);
    }
}

#[test]
fn no_such_method_is_a_type_error() {
    let t = thrown_of(Error::no_such_method("nope"));
    assert_eq!(t.name, "TypeError");
    assert!(t.message.contains("\"nope\""), "{}", t.message);
}

#[test]
fn scheduled_times_are_milliseconds_since_the_epoch() {
    assert_eq!(ScheduledTime::from(UNIX_EPOCH + Duration::from_millis(1500)).as_millis(), 1500);
    assert_eq!(ScheduledTime::from(UNIX_EPOCH - Duration::from_millis(20)).as_millis(), -20);
    let soon = ScheduledTime::from(Duration::from_secs(60)).as_millis();
    let now = ScheduledTime::from(std::time::SystemTime::now()).as_millis();
    assert!((59_000..=61_000).contains(&(soon - now)), "{soon} - {now}");
}

#[test]
fn ids_are_equal_by_their_digits() {
    let named = ObjectId { hex: "ab".repeat(32), name: Some("a".into()) };
    let parsed = ObjectId { hex: "ab".repeat(32), name: None };
    assert_eq!(named, parsed);
    assert_ne!(named, ObjectId { hex: "cd".repeat(32), name: Some("a".into()) });
    assert_eq!(named.to_string(), "ab".repeat(32));
}
