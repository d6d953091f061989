//! serde serialization into a [`Value`].

use serde::ser::{self, Serialize};

use super::{BigInt, Error, MAX_SAFE, PathSeg, Value};

/// The newtype-struct name under which a [`Value`] hands its own encoding to
/// this module's serializer (and asks its deserializer for one), so that a
/// `Value` inside a serde type keeps its kinds.
pub(super) const VALUE_TOKEN: &str = "$bindery::structured::Value";

/// Encodes `value` (any `T: Serialize`): the prefix and one data item. See
/// the module documentation for how Rust types map to values. The error names
/// the path of the value at fault.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    to_value(value)?.encode()
}

/// Converts `value` to a [`Value`], as [`to_vec`] would encode it.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    value.serialize(Serializer)
}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::msg(msg.to_string())
    }
}

fn int(n: i128) -> Value {
    if n.unsigned_abs() <= MAX_SAFE as u128 { Value::Number(n as f64) } else { Value::BigInt(BigInt::from(n)) }
}

/// Serializes into a [`Value`].
struct Serializer;

impl ser::Serializer for Serializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = Seq;
    type SerializeTuple = Seq;
    type SerializeTupleStruct = Seq;
    type SerializeTupleVariant = Variant<Seq>;
    type SerializeMap = MapSer;
    type SerializeStruct = StructSer;
    type SerializeStructVariant = Variant<StructSer>;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        Ok(int(v.into()))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        Ok(int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        Ok(int(v.into()))
    }
    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        Ok(if v <= MAX_SAFE as u128 { Value::Number(v as f64) } else { Value::BigInt(v.into()) })
    }
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        Ok(Value::Number(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        Ok(Value::Number(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value, Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Undefined)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, Error> {
        Ok(Value::Undefined)
    }
    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> Result<Value, Error> {
        Ok(Value::String(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, v: &T) -> Result<Value, Error> {
        let inner = v.serialize(self)?;
        if name == VALUE_TOKEN {
            // A Value's own encoding.
            if let Value::Bytes(b) = &inner {
                return Value::decode(b);
            }
        }
        Ok(inner)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _name: &'static str, _i: u32, variant: &'static str, v: &T) -> Result<Value, Error> {
        let inner = v.serialize(Serializer).map_err(|e| e.within(PathSeg::Key(variant.to_string())))?;
        Ok(Value::Object(vec![(variant.to_string(), inner)]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq, Error> {
        Ok(Seq(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(self, _name: &'static str, _i: u32, variant: &'static str, len: usize) -> Result<Variant<Seq>, Error> {
        Ok(Variant { name: variant, inner: Seq(Vec::with_capacity(len)) })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapSer, Error> {
        Ok(MapSer { entries: Vec::with_capacity(len.unwrap_or(0)), key: None })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<StructSer, Error> {
        Ok(StructSer(Vec::with_capacity(len)))
    }
    fn serialize_struct_variant(self, _name: &'static str, _i: u32, variant: &'static str, len: usize) -> Result<Variant<StructSer>, Error> {
        Ok(Variant { name: variant, inner: StructSer(Vec::with_capacity(len)) })
    }
}

/// An array being serialized.
struct Seq(Vec<Value>);

impl Seq {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let i = self.0.len();
        self.0.push(v.serialize(Serializer).map_err(|e| e.within(PathSeg::Index(i)))?);
        Ok(())
    }
}

impl ser::SerializeSeq for Seq {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Array(self.0))
    }
}

impl ser::SerializeTuple for Seq {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Array(self.0))
    }
}

impl ser::SerializeTupleStruct for Seq {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Array(self.0))
    }
}

/// A struct being serialized: an object, fields in order.
struct StructSer(Vec<(String, Value)>);

impl ser::SerializeStruct for StructSer {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<(), Error> {
        let v = v.serialize(Serializer).map_err(|e| e.within(PathSeg::Key(key.to_string())))?;
        self.0.push((key.to_string(), v));
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Object(self.0))
    }
}

/// An enum's tuple or struct variant: `{"Variant": inner}`.
struct Variant<T> {
    name: &'static str,
    inner: T,
}

impl ser::SerializeTupleVariant for Variant<Seq> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.inner.push(v).map_err(|e| e.within(PathSeg::Key(self.name.to_string())))
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Object(vec![(self.name.to_string(), Value::Array(self.inner.0))]))
    }
}

impl ser::SerializeStructVariant for Variant<StructSer> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, v).map_err(|e| e.within(PathSeg::Key(self.name.to_string())))
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Object(vec![(self.name.to_string(), Value::Object(self.inner.0))]))
    }
}

/// A serde map being serialized: an object when every key is a string,
/// else a Map; entries sorted by the keys' encoded bytes.
struct MapSer {
    entries: Vec<(Value, Value)>,
    key: Option<Value>,
}

impl ser::SerializeMap for MapSer {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Error> {
        let i = self.entries.len();
        self.key = Some(k.serialize(Serializer).map_err(|e| e.within(PathSeg::Key(format!("<key {i}>"))))?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let k = self.key.take().ok_or_else(|| Error::msg("serialize_value before serialize_key"))?;
        let seg = match &k {
            Value::String(s) => PathSeg::Key(s.clone()),
            _ => PathSeg::Key(format!("<value {}>", self.entries.len())),
        };
        let v = v.serialize(Serializer).map_err(|e| e.within(seg))?;
        self.entries.push((k, v));
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        let mut keyed = Vec::with_capacity(self.entries.len());
        for (i, (k, v)) in self.entries.into_iter().enumerate() {
            let enc = k.encode().map_err(|e| e.within(PathSeg::Key(format!("<key {i}>"))))?;
            keyed.push((enc, k, v));
        }
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        if keyed.iter().all(|(_, k, _)| matches!(k, Value::String(_))) {
            let entries = keyed
                .into_iter()
                .map(|(_, k, v)| match k {
                    Value::String(s) => (s, v),
                    _ => unreachable!("every key is a string"),
                })
                .collect();
            return Ok(Value::Object(entries));
        }
        Ok(Value::Map(keyed.into_iter().map(|(_, k, v)| (k, v)).collect()))
    }
}

impl Serialize for Value {
    /// Hands this module's serializer the value's encoding, so that a
    /// `Value` inside a serde type keeps its kinds. Other serde formats
    /// see the encoding as bytes.
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bytes = self.encode().map_err(ser::Error::custom)?;
        s.serialize_newtype_struct(VALUE_TOKEN, &super::Bytes(bytes))
    }
}
