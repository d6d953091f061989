//! serde deserialization from a [`Value`].

use serde::de::value::{SeqDeserializer, StringDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use super::ser::VALUE_TOKEN;
use super::{Error, PathSeg, TypedArrayKind, Value};

/// Decodes `bytes` into a `T`. A decoding error names the byte offset; a
/// value that does not fit `T` is named by its path (`$.items[2].id`).
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    from_value(Value::decode(bytes)?)
}

/// Converts a [`Value`] into a `T`, as [`from_slice`] would.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(Deserializer(value))
}

impl de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::msg(msg.to_string())
    }
}

/// Deserializes one [`Value`].
struct Deserializer(Value);

impl Deserializer {
    fn unexpected(&self) -> de::Unexpected<'_> {
        match &self.0 {
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Number(n) => de::Unexpected::Float(*n),
            Value::String(s) => de::Unexpected::Str(s),
            Value::Bytes(b) => de::Unexpected::Bytes(b),
            Value::Undefined | Value::Null => de::Unexpected::Unit,
            v => de::Unexpected::Other(v.kind()),
        }
    }

    fn invalid(&self, expected: &dyn de::Expected) -> Error {
        de::Error::invalid_type(self.unexpected(), expected)
    }
}

/// The bytes of an ArrayBuffer or a one-byte-element typed array.
fn byte_view(v: &Value) -> bool {
    matches!(v, Value::Bytes(_) | Value::TypedArray { kind: TypedArrayKind::Uint8 | TypedArrayKind::Uint8Clamped, .. })
}

/// Integer targets: as `deserialize_any`, except that -0 (integral, as
/// JavaScript's `Number.isInteger` says) reads as 0.
macro_rules! integers {
    ($($name:ident)*) => {$(
        fn $name<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            match self.0 {
                Value::Number(n) if n == 0.0 => v.visit_u64(0),
                _ => self.deserialize_any(v),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Deserializer {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Undefined | Value::Null => v.visit_unit(),
            Value::Bool(b) => v.visit_bool(b),
            Value::Number(n) => {
                if n.fract() == 0.0 && n.abs() <= super::MAX_SAFE && !(n == 0.0 && n.is_sign_negative()) {
                    if n >= 0.0 { v.visit_u64(n as u64) } else { v.visit_i64(n as i64) }
                } else {
                    v.visit_f64(n)
                }
            }
            Value::BigInt(b) => {
                if let Some(n) = b.to_u128() {
                    match u64::try_from(n) {
                        Ok(n) => v.visit_u64(n),
                        Err(_) => v.visit_u128(n),
                    }
                } else if let Some(n) = b.to_i128() {
                    match i64::try_from(n) {
                        Ok(n) => v.visit_i64(n),
                        Err(_) => v.visit_i128(n),
                    }
                } else {
                    Err(Error::msg(format!("bigint {b} is beyond 128 bits")))
                }
            }
            Value::String(s) => v.visit_string(s),
            Value::Bytes(b) | Value::TypedArray { bytes: b, .. } => v.visit_byte_buf(b),
            Value::Array(items) | Value::Set(items) => v.visit_seq(Seq { items: items.into_iter(), next: 0 }),
            Value::Object(entries) => v.visit_map(Object { entries: entries.into_iter(), value: None }),
            Value::Map(entries) => v.visit_map(MapAccess { entries: entries.into_iter(), value: None, next: 0 }),
            Value::Date(ms) => v.visit_f64(ms),
            Value::Error(e) => {
                let mut fields = vec![("name".to_string(), Value::String(e.name)), ("message".to_string(), Value::String(e.message))];
                if let Some(s) = e.stack {
                    fields.push(("stack".to_string(), Value::String(s)));
                }
                if let Some(c) = e.cause {
                    fields.push(("cause".to_string(), c));
                }
                v.visit_map(Object { entries: fields.into_iter(), value: None })
            }
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Number(n) => v.visit_f64(n),
            _ => Err(self.invalid(&"a number")),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_f64(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Undefined | Value::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Undefined | Value::Null => v.visit_unit(),
            _ => Err(self.invalid(&"undefined or null")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> Result<V::Value, Error> {
        self.deserialize_unit(v)
    }

    // A Vec<u8> asks for a sequence: an ArrayBuffer or Uint8Array is one too.
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if byte_view(&self.0) {
            let (Value::Bytes(b) | Value::TypedArray { bytes: b, .. }) = self.0 else { unreachable!("byte_view") };
            return v.visit_seq(SeqDeserializer::<_, Error>::new(b.into_iter()));
        }
        match self.0 {
            Value::Array(_) | Value::Set(_) => self.deserialize_any(v),
            _ => Err(self.invalid(&"an array or a Set")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, v: V) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_byte_buf(v)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Bytes(_) | Value::TypedArray { .. } | Value::Array(_) => self.deserialize_any(v),
            _ => Err(self.invalid(&"an ArrayBuffer or a typed array")),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(_) | Value::Map(_) | Value::Error(_) => self.deserialize_any(v),
            _ => Err(self.invalid(&"an object or a Map")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(self, _name: &'static str, _fields: &'static [&'static str], v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(_) | Value::Map(_) | Value::Error(_) | Value::Array(_) => self.deserialize_any(v),
            _ => Err(self.invalid(&"an object")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _name: &'static str, _variants: &'static [&'static str], v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) => v.visit_enum(s.into_deserializer() as StringDeserializer<Error>),
            Value::Object(entries) if entries.len() == 1 => {
                let (variant, value) = entries.into_iter().next().expect("one entry");
                v.visit_enum(Enum { variant, value })
            }
            _ => Err(self.invalid(&"a string or an object with one key (an enum variant)")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, Error> {
        if name == VALUE_TOKEN {
            // A Value asks for its own encoding.
            return v.visit_byte_buf(self.0.encode()?);
        }
        v.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }

    integers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
    }

    serde::forward_to_deserialize_any! {
        bool char str string identifier
    }
}


/// An array's or Set's elements.
struct Seq {
    items: std::vec::IntoIter<Value>,
    next: usize,
}

impl<'de> de::SeqAccess<'de> for Seq {
    type Error = Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        let Some(item) = self.items.next() else { return Ok(None) };
        let i = self.next;
        self.next += 1;
        seed.deserialize(Deserializer(item)).map(Some).map_err(|e| e.within(PathSeg::Index(i)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// An object's entries.
struct Object {
    entries: std::vec::IntoIter<(String, Value)>,
    value: Option<(String, Value)>,
}

impl<'de> de::MapAccess<'de> for Object {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((k, v)) = self.entries.next() else { return Ok(None) };
        let key = seed.deserialize(k.clone().into_deserializer() as StringDeserializer<Error>).map_err(|e| e.within(PathSeg::Key(k.clone())))?;
        self.value = Some((k, v));
        Ok(Some(key))
    }

    fn next_value_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let (k, v) = self.value.take().ok_or_else(|| Error::msg("next_value before next_key"))?;
        seed.deserialize(Deserializer(v)).map_err(|e| e.within(PathSeg::Key(k)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A Map's entries.
struct MapAccess {
    entries: std::vec::IntoIter<(Value, Value)>,
    value: Option<Value>,
    next: usize,
}

impl<'de> de::MapAccess<'de> for MapAccess {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some((k, v)) = self.entries.next() else { return Ok(None) };
        let key = seed.deserialize(Deserializer(k)).map_err(|e| e.within(PathSeg::Key(format!("<key {}>", self.next))))?;
        self.value = Some(v);
        Ok(Some(key))
    }

    fn next_value_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let v = self.value.take().ok_or_else(|| Error::msg("next_value before next_key"))?;
        let i = self.next;
        self.next += 1;
        seed.deserialize(Deserializer(v)).map_err(|e| e.within(PathSeg::Key(format!("<value {i}>"))))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum variant written as `{"Variant": value}`.
struct Enum {
    variant: String,
    value: Value,
}

impl<'de> de::EnumAccess<'de> for Enum {
    type Error = Error;
    type Variant = VariantAccess;

    fn variant_seed<V: de::DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, VariantAccess), Error> {
        let name = self.variant.clone();
        let v = seed.deserialize(self.variant.into_deserializer() as StringDeserializer<Error>)?;
        Ok((v, VariantAccess { name, value: self.value }))
    }
}

/// The value of an enum variant.
struct VariantAccess {
    name: String,
    value: Value,
}

impl<'de> de::VariantAccess<'de> for VariantAccess {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        <() as de::Deserialize>::deserialize(Deserializer(self.value)).map_err(|e| e.within(PathSeg::Key(self.name)))
    }

    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(Deserializer(self.value)).map_err(|e| e.within(PathSeg::Key(self.name)))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(Deserializer(self.value), v).map_err(|e| e.within(PathSeg::Key(self.name)))
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], v: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_map(Deserializer(self.value), v).map_err(|e| e.within(PathSeg::Key(self.name)))
    }
}

impl<'de> de::Deserialize<'de> for Value {
    /// Reads a Value from this module's deserializer (which hands over the
    /// value's encoding), keeping every kind.
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_newtype_struct(VALUE_TOKEN, ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a structured value (only bindery::structured deserializes one)")
    }

    fn visit_byte_buf<E: de::Error>(self, b: Vec<u8>) -> Result<Value, E> {
        Value::decode(&b).map_err(E::custom)
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<Value, E> {
        Value::decode(b).map_err(E::custom)
    }
}
