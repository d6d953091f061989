//! The structured-value encoding: the bytes in which values cross between
//! Workers and Durable Objects (stored values, RPC arguments and results,
//! WebSocket attachments, thrown values), identical in every Bindery SDK.
//! The format is a subset of CBOR with a fixed set of tags, specified in
//! `docs/durable-objects.md` ("The structured-value encoding").
//!
//! Two ways in:
//!
//! - Typed, with serde: [`to_vec`] and [`from_slice`] (and [`to_value`],
//!   [`from_value`] to go through a [`Value`]).
//! - Untyped: [`Value`], a tree that keeps every JavaScript kind (undefined
//!   and null, Map and Set, Date, bigint, typed arrays, Error) and the order
//!   of keys and entries; [`Value::encode`] and [`Value::decode`].
//!
//! ```
//! use bindery::structured::{self, Value};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, PartialEq, Debug)]
//! struct Counter { name: String, value: u64, tags: Option<Vec<String>> }
//!
//! let c = Counter { name: "hits".into(), value: 1 << 60, tags: None };
//! let bytes = structured::to_vec(&c).unwrap();
//! assert_eq!(structured::from_slice::<Counter>(&bytes).unwrap(), c);
//! // The same bytes as a Value: an object, fields in declaration order;
//! // 2^60 is beyond 2^53 - 1, so it is a bigint.
//! let v = Value::decode(&bytes).unwrap();
//! assert_eq!(v.get("value"), Some(&Value::BigInt((1u64 << 60).into())));
//! ```
//!
//! How serde's data model maps (the reverse of each is accepted when
//! decoding, plus what the notes say):
//!
//! | Rust | value |
//! |---|---|
//! | `bool` | boolean |
//! | `f32`, `f64`, `i8`..`i32`, `u8`..`u32` | number |
//! | `i64`, `u64`, `i128`, `u128` | number when \|n\| ≤ 2^53 − 1, else bigint |
//! | `char`, `String`, `&str`, a unit enum variant | string |
//! | `Option::None` | null (`None` also reads undefined) |
//! | `()` and unit structs | undefined (what a JavaScript function returns when it returns nothing) |
//! | a struct | plain object, fields in declaration order |
//! | `Vec<T>`, slices, tuples, sets | array |
//! | maps whose keys are all strings (`HashMap<String, T>`, `BTreeMap`) | plain object, keys sorted by their encoded bytes (serde cannot tell an ordered map from a `HashMap`, and one value must have one encoding) |
//! | maps with other keys | Map, entries sorted the same way |
//! | an enum's newtype, tuple or struct variant | `{"Variant": value}` (as serde_json) |
//! | [`Bytes`], `#[serde(with = "bindery::structured::bytes")]`, serde's `serialize_bytes` | ArrayBuffer (byte string) |
//! | [`Value`] inside a struct | itself, kinds kept |
//!
//! Notes:
//! - A plain `Vec<u8>` serializes as an array of numbers (serde gives a
//!   serializer no way to tell it from any other `Vec`); wrap it in [`Bytes`]
//!   or use the [`bytes`] module to write an ArrayBuffer. Decoding is
//!   lenient: a `Vec<u8>` reads an ArrayBuffer or a `Uint8Array` as well as
//!   an array of numbers.
//! - Integers read from a number when it is integral and in range, and from
//!   a bigint in range; floats only from a number.
//! - A Map reads into any serde map; a Set into any sequence; an Error into
//!   a struct or map with the fields `name`, `message`, `stack` and `cause`;
//!   a Date into a [`Value`] (an `f64` field refuses it, a self-describing
//!   target such as `serde_json::Value` gets its milliseconds).
//! - Errors name the byte offset (decoding) or the path of the value at
//!   fault (`$.field[3]`).

mod de;
mod ser;

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

pub use de::{from_slice, from_value};
pub use ser::{to_value, to_vec};

/// The three bytes every encoded value starts with: CBOR's self-described
/// tag 55799.
pub const PREFIX: [u8; 3] = [0xd9, 0xd9, 0xf7];

/// Arrays, maps and tags nest at most this deep (the decoder refuses
/// deeper values, so the encoder does too).
pub const MAX_DEPTH: usize = 256;

/// A structured value: a tree that keeps every kind the encoding has and the
/// order of object keys, Map entries and Set elements.
///
/// Equality is JavaScript's `Object.is` on numbers and Dates (`NaN` equals
/// `NaN`, `-0` does not equal `0`) and structural everywhere else.
#[derive(Debug, Clone)]
pub enum Value {
    /// `undefined` (also an array's hole).
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (an IEEE 754 double).
    Number(f64),
    /// A bigint of any size.
    BigInt(BigInt),
    /// A string.
    String(String),
    /// An ArrayBuffer (a language's plain bytes).
    Bytes(Vec<u8>),
    /// A typed array: its kind and its viewed bytes, little-endian.
    TypedArray {
        /// Which typed array.
        kind: TypedArrayKind,
        /// The elements' bytes; a multiple of [`TypedArrayKind::element_size`].
        bytes: Vec<u8>,
    },
    /// An array.
    Array(Vec<Value>),
    /// A plain object: its keys in order (no key twice).
    Object(Vec<(String, Value)>),
    /// A Map: its entries in insertion order.
    Map(Vec<(Value, Value)>),
    /// A Set: its elements in insertion order.
    Set(Vec<Value>),
    /// A Date: milliseconds since the epoch (NaN for an invalid Date).
    Date(f64),
    /// An Error (or one of its six subclasses).
    Error(Box<ErrorValue>),
}

/// An Error value: `name` is one of [`ERROR_NAMES`] (any other name is
/// written and read as "Error").
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorValue {
    /// "Error", "TypeError", "RangeError", ...
    pub name: String,
    /// The message ("" when there is none).
    pub message: String,
    /// The stack, when the error has one.
    pub stack: Option<String>,
    /// The cause, when the error has one.
    pub cause: Option<Value>,
}

/// The Error names the encoding keeps; any other is "Error".
pub const ERROR_NAMES: [&str; 7] = ["Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError"];

impl ErrorValue {
    /// An error named `name` (normalized: see [`ERROR_NAMES`]) with `message`,
    /// no stack and no cause.
    pub fn new(name: &str, message: impl Into<String>) -> Self {
        ErrorValue { name: error_name(name).to_string(), message: message.into(), stack: None, cause: None }
    }
}

fn error_name(name: &str) -> &'static str {
    ERROR_NAMES.iter().find(|n| **n == name).copied().unwrap_or("Error")
}

impl Value {
    /// The value of `key` when this is an object with that key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// What kind of value this is, as an error message names it
    /// ("number", "Map", "Uint16Array", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Undefined => "undefined",
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::BigInt(_) => "bigint",
            Value::String(_) => "string",
            Value::Bytes(_) => "ArrayBuffer",
            Value::TypedArray { kind, .. } => kind.name(),
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Map(_) => "Map",
            Value::Set(_) => "Set",
            Value::Date(_) => "Date",
            Value::Error(_) => "Error",
        }
    }

    /// Encodes the value: the prefix and one data item. It fails for a
    /// typed array whose length is not a multiple of its element size, an
    /// object with a key twice, or nesting deeper than [`MAX_DEPTH`]; the
    /// error names the value's path.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        let mut out = PREFIX.to_vec();
        let mut path = Vec::new();
        encode_item(&mut out, self, 0, &mut path)?;
        Ok(out)
    }

    /// Decodes bytes written by any SDK's encoder (or by another CBOR
    /// encoder within the subset). The error names the byte offset.
    pub fn decode(bytes: &[u8]) -> Result<Value, Error> {
        if bytes.len() < 3 || bytes[..3] != PREFIX {
            return Err(Error::at(0, "not a structured value: no d9 d9 f7 prefix"));
        }
        let mut r = Reader { buf: bytes, pos: 3 };
        let v = r.item(0)?;
        if r.pos != bytes.len() {
            return Err(Error::at(r.pos, format!("{} trailing bytes after the value", bytes.len() - r.pos)));
        }
        Ok(v)
    }
}

macro_rules! value_from {
    ($($t:ty => $v:expr),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(x: $t) -> Self {
                $v(x)
            }
        }
    )*};
}
value_from! {
    bool => Value::Bool,
    f64 => Value::Number,
    String => Value::String,
    BigInt => Value::BigInt,
}

impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Number(n.into())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<ErrorValue> for Value {
    fn from(e: ErrorValue) -> Self {
        Value::Error(Box::new(e))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    /// `None` is null.
    fn from(o: Option<T>) -> Self {
        o.map_or(Value::Null, Into::into)
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (Undefined, Undefined) | (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (Number(a), Number(b)) | (Date(a), Date(b)) => object_is(*a, *b),
            (BigInt(a), BigInt(b)) => a == b,
            (String(a), String(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (TypedArray { kind: k1, bytes: b1 }, TypedArray { kind: k2, bytes: b2 }) => k1 == k2 && b1 == b2,
            (Array(a), Array(b)) | (Set(a), Set(b)) => a == b,
            (Object(a), Object(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (Error(a), Error(b)) => a == b,
            _ => false,
        }
    }
}

fn object_is(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

/// A bigint of any size: a sign and a big-endian magnitude without leading
/// zero bytes (zero has an empty magnitude and is never negative).
///
/// It converts from and to Rust's integers (`From`, [`BigInt::to_i128`],
/// `TryFrom`) and decimal text (`FromStr`, `Display`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BigInt {
    negative: bool,
    magnitude: Vec<u8>,
}

impl BigInt {
    /// The bigint `-magnitude` (when `negative`) or `magnitude`, the
    /// magnitude big-endian; leading zero bytes are dropped.
    pub fn new(negative: bool, magnitude: Vec<u8>) -> Self {
        let mut magnitude = magnitude;
        let lead = magnitude.iter().take_while(|b| **b == 0).count();
        magnitude.drain(..lead);
        BigInt { negative: negative && !magnitude.is_empty(), magnitude }
    }

    /// Whether it is below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Its absolute value, big-endian, without leading zero bytes.
    pub fn magnitude(&self) -> &[u8] {
        &self.magnitude
    }

    /// It as an `i128`, when it fits.
    pub fn to_i128(&self) -> Option<i128> {
        let m = self.to_u128_magnitude()?;
        if self.negative {
            if m <= i128::MAX as u128 + 1 { Some((m as i128).wrapping_neg()) } else { None }
        } else {
            i128::try_from(m).ok()
        }
    }

    /// It as a `u128`, when it fits.
    pub fn to_u128(&self) -> Option<u128> {
        if self.negative { None } else { self.to_u128_magnitude() }
    }

    fn to_u128_magnitude(&self) -> Option<u128> {
        if self.magnitude.len() > 16 {
            return None;
        }
        Some(self.magnitude.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b)))
    }

    fn from_parts(negative: bool, m: u128) -> Self {
        BigInt::new(negative, m.to_be_bytes().to_vec())
    }
}

macro_rules! bigint_from {
    ($($t:ty),*) => {$(
        impl From<$t> for BigInt {
            fn from(n: $t) -> Self {
                BigInt::from_parts(n < 0, (n as i128).unsigned_abs())
            }
        }
    )*};
}
bigint_from!(i8, i16, i32, i64, i128);

macro_rules! bigint_from_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for BigInt {
            fn from(n: $t) -> Self {
                BigInt::from_parts(false, n as u128)
            }
        }
    )*};
}
bigint_from_unsigned!(u8, u16, u32, u64, u128);

impl TryFrom<&BigInt> for i64 {
    type Error = Error;
    fn try_from(b: &BigInt) -> Result<i64, Error> {
        b.to_i128().and_then(|n| i64::try_from(n).ok()).ok_or_else(|| Error::msg(format!("bigint {b} is out of range for i64")))
    }
}

impl TryFrom<&BigInt> for u64 {
    type Error = Error;
    fn try_from(b: &BigInt) -> Result<u64, Error> {
        b.to_u128().and_then(|n| u64::try_from(n).ok()).ok_or_else(|| Error::msg(format!("bigint {b} is out of range for u64")))
    }
}

impl fmt::Display for BigInt {
    /// Decimal, with a leading "-" when negative.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Repeated division by 10^9 of a base-256 number.
        let mut m = self.magnitude.clone();
        let mut chunks = Vec::new();
        while !m.is_empty() {
            let mut rem: u64 = 0;
            for b in m.iter_mut() {
                let cur = (rem << 8) | u64::from(*b);
                *b = (cur / 1_000_000_000) as u8;
                rem = cur % 1_000_000_000;
            }
            chunks.push(rem as u32);
            let lead = m.iter().take_while(|b| **b == 0).count();
            m.drain(..lead);
        }
        let mut s = String::new();
        if self.negative {
            s.push('-');
        }
        match chunks.split_last() {
            None => s.push('0'),
            Some((first, rest)) => {
                s.push_str(&first.to_string());
                for c in rest.iter().rev() {
                    s.push_str(&format!("{c:09}"));
                }
            }
        }
        f.pad(&s)
    }
}

impl FromStr for BigInt {
    type Err = Error;

    /// Parses decimal digits with an optional leading "-" (as JavaScript's
    /// `BigInt("-123")`).
    fn from_str(s: &str) -> Result<Self, Error> {
        let (negative, digits) = match s.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, s),
        };
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return Err(Error::msg(format!("{s:?} is not a decimal bigint")));
        }
        let mut m: Vec<u8> = Vec::new(); // little-endian while building
        for c in digits.bytes() {
            let mut carry = u32::from(c - b'0');
            for b in m.iter_mut() {
                let cur = u32::from(*b) * 10 + carry;
                *b = cur as u8;
                carry = cur >> 8;
            }
            while carry > 0 {
                m.push(carry as u8);
                carry >>= 8;
            }
        }
        m.reverse();
        Ok(BigInt::new(negative, m))
    }
}

/// The kind of a typed array, with its RFC 8746 tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypedArrayKind {
    /// `Uint8Array` (tag 64).
    Uint8,
    /// `Uint8ClampedArray` (tag 68).
    Uint8Clamped,
    /// `Int8Array` (tag 72).
    Int8,
    /// `Uint16Array` (tag 69).
    Uint16,
    /// `Uint32Array` (tag 70).
    Uint32,
    /// `BigUint64Array` (tag 71).
    BigUint64,
    /// `Int16Array` (tag 77).
    Int16,
    /// `Int32Array` (tag 78).
    Int32,
    /// `BigInt64Array` (tag 79).
    BigInt64,
    /// `Float16Array` (tag 84).
    Float16,
    /// `Float32Array` (tag 85).
    Float32,
    /// `Float64Array` (tag 86).
    Float64,
}

const TYPED: [(TypedArrayKind, u64, usize, &str); 12] = [
    (TypedArrayKind::Uint8, 64, 1, "Uint8Array"),
    (TypedArrayKind::Uint8Clamped, 68, 1, "Uint8ClampedArray"),
    (TypedArrayKind::Int8, 72, 1, "Int8Array"),
    (TypedArrayKind::Uint16, 69, 2, "Uint16Array"),
    (TypedArrayKind::Uint32, 70, 4, "Uint32Array"),
    (TypedArrayKind::BigUint64, 71, 8, "BigUint64Array"),
    (TypedArrayKind::Int16, 77, 2, "Int16Array"),
    (TypedArrayKind::Int32, 78, 4, "Int32Array"),
    (TypedArrayKind::BigInt64, 79, 8, "BigInt64Array"),
    (TypedArrayKind::Float16, 84, 2, "Float16Array"),
    (TypedArrayKind::Float32, 85, 4, "Float32Array"),
    (TypedArrayKind::Float64, 86, 8, "Float64Array"),
];

impl TypedArrayKind {
    fn row(self) -> &'static (TypedArrayKind, u64, usize, &'static str) {
        TYPED.iter().find(|r| r.0 == self).expect("every kind is in TYPED")
    }

    /// Its CBOR tag (RFC 8746, little-endian).
    pub fn tag(self) -> u64 {
        self.row().1
    }

    /// The size of one element in bytes.
    pub fn element_size(self) -> usize {
        self.row().2
    }

    /// Its JavaScript name: "Uint8Array", "Float64Array", ...
    pub fn name(self) -> &'static str {
        self.row().3
    }

    /// The kind whose tag is `tag`.
    pub fn from_tag(tag: u64) -> Option<Self> {
        TYPED.iter().find(|r| r.1 == tag).map(|r| r.0)
    }

    /// The kind whose JavaScript name is `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        TYPED.iter().find(|r| r.3 == name).map(|r| r.0)
    }
}

/// Why a value did not encode or decode: the byte offset (decoding) or the
/// path of the value at fault, and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    offset: Option<usize>,
    path: String,
    message: String,
}

impl Error {
    fn at(offset: usize, message: impl Into<String>) -> Self {
        Error { offset: Some(offset), path: String::new(), message: message.into() }
    }

    fn msg(message: impl Into<String>) -> Self {
        Error { offset: None, path: String::new(), message: message.into() }
    }

    fn in_path(path: &[PathSeg], message: impl Into<String>) -> Self {
        let mut e = Error::msg(message);
        for seg in path.iter().rev() {
            e = e.within(seg.clone());
        }
        e
    }

    /// Prefixes the path with one step (an outer field or index).
    fn within(mut self, seg: PathSeg) -> Self {
        self.path = match seg {
            PathSeg::Key(k) => format!(".{k}{}", self.path),
            PathSeg::Index(i) => format!("[{i}]{}", self.path),
        };
        self
    }

    /// The byte offset of the fault, for a decoding error.
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }

    /// The path of the value at fault (`$.a[2]`), when known.
    pub fn path(&self) -> Option<String> {
        if self.path.is_empty() && self.offset.is_some() { None } else { Some(format!("${}", self.path)) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("structured value: ")?;
        if let Some(o) = self.offset {
            write!(f, "at byte {o}: ")?;
        }
        if !self.path.is_empty() {
            write!(f, "${}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<Error> for crate::Error {
    fn from(e: Error) -> Self {
        crate::Error::other(e)
    }
}

#[derive(Clone, Debug)]
enum PathSeg {
    Key(String),
    Index(usize),
}

const MAX_SAFE: f64 = 9007199254740991.0; // 2^53 - 1

// ---- encoding ----

fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    if arg < 24 {
        out.push(m | arg as u8);
    } else if arg <= 0xff {
        out.extend_from_slice(&[m | 24, arg as u8]);
    } else if arg <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(arg as u16).to_be_bytes());
    } else if arg <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(arg as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}

/// Writes a number: an integer when it is one, not -0, and within 2^53 - 1;
/// else a float64 (every NaN as 7ff8...).
fn number(out: &mut Vec<u8>, n: f64) {
    if n.fract() == 0.0 && n.abs() <= MAX_SAFE && !(n == 0.0 && n.is_sign_negative()) {
        if n >= 0.0 { head(out, 0, n as u64) } else { head(out, 1, (-1.0 - n) as u64) }
    } else {
        out.push(0xfb);
        let bits = if n.is_nan() { 0x7ff8_0000_0000_0000u64 } else { n.to_bits() };
        out.extend_from_slice(&bits.to_be_bytes());
    }
}

fn bytes_item(out: &mut Vec<u8>, major: u8, b: &[u8]) {
    head(out, major, b.len() as u64);
    out.extend_from_slice(b);
}

fn bigint(out: &mut Vec<u8>, b: &BigInt) {
    if b.negative {
        // Tag 3 over the magnitude of -1 - n, i.e. |n| - 1.
        let mut m = b.magnitude.clone();
        for byte in m.iter_mut().rev() {
            if *byte == 0 {
                *byte = 0xff;
            } else {
                *byte -= 1;
                break;
            }
        }
        let lead = m.iter().take_while(|x| **x == 0).count();
        head(out, 6, 3);
        bytes_item(out, 2, &m[lead..]);
    } else {
        head(out, 6, 2);
        bytes_item(out, 2, &b.magnitude);
    }
}

fn encode_item(out: &mut Vec<u8>, v: &Value, depth: usize, path: &mut Vec<PathSeg>) -> Result<(), Error> {
    // Each array, map and tag is one level.
    let enter = |levels: usize, path: &[PathSeg]| -> Result<usize, Error> {
        if depth + levels > MAX_DEPTH {
            return Err(Error::in_path(path, format!("nested deeper than {MAX_DEPTH} arrays, maps and tags")));
        }
        Ok(depth + levels)
    };
    match v {
        Value::Undefined => out.push(0xf7),
        Value::Null => out.push(0xf6),
        Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Value::Number(n) => number(out, *n),
        Value::BigInt(b) => {
            enter(1, path)?;
            bigint(out, b)
        }
        Value::String(s) => bytes_item(out, 3, s.as_bytes()),
        Value::Bytes(b) => bytes_item(out, 2, b),
        Value::TypedArray { kind, bytes } => {
            enter(1, path)?;
            if bytes.len() % kind.element_size() != 0 {
                return Err(Error::in_path(path, format!("{} of {} bytes: not a multiple of {}", kind.name(), bytes.len(), kind.element_size())));
            }
            head(out, 6, kind.tag());
            bytes_item(out, 2, bytes);
        }
        Value::Array(items) => {
            let d = enter(1, path)?;
            head(out, 4, items.len() as u64);
            encode_seq(out, items, d, path)?;
        }
        Value::Set(items) => {
            let d = enter(2, path)?;
            head(out, 6, 258);
            head(out, 4, items.len() as u64);
            encode_seq(out, items, d, path)?;
        }
        Value::Object(entries) => {
            let d = enter(1, path)?;
            let mut seen = HashSet::with_capacity(entries.len());
            head(out, 5, entries.len() as u64);
            for (k, v) in entries {
                if !seen.insert(k.as_str()) {
                    return Err(Error::in_path(path, format!("object has the key {k:?} twice")));
                }
                bytes_item(out, 3, k.as_bytes());
                path.push(PathSeg::Key(k.clone()));
                encode_item(out, v, d, path)?;
                path.pop();
            }
        }
        Value::Map(entries) => {
            let d = enter(2, path)?;
            head(out, 6, 259);
            head(out, 5, entries.len() as u64);
            for (i, (k, v)) in entries.iter().enumerate() {
                path.push(PathSeg::Key(format!("<key {i}>")));
                encode_item(out, k, d, path)?;
                path.pop();
                path.push(PathSeg::Key(format!("<value {i}>")));
                encode_item(out, v, d, path)?;
                path.pop();
            }
        }
        Value::Date(ms) => {
            enter(1, path)?;
            head(out, 6, 1);
            if ms.is_finite() && ms % 1000.0 == 0.0 && (ms / 1000.0).abs() <= MAX_SAFE {
                // A whole second (a -0 time is +0, as JavaScript's TimeClip makes it).
                number(out, ms / 1000.0 + 0.0);
            } else {
                number(out, ms / 1000.0);
            }
        }
        Value::Error(e) => {
            let d = enter(3, path)?;
            head(out, 6, 27);
            head(out, 4, 2);
            bytes_item(out, 3, b"Error");
            let n = 2 + usize::from(e.stack.is_some()) + usize::from(e.cause.is_some());
            head(out, 5, n as u64);
            bytes_item(out, 3, b"name");
            bytes_item(out, 3, error_name(&e.name).as_bytes());
            bytes_item(out, 3, b"message");
            bytes_item(out, 3, e.message.as_bytes());
            if let Some(s) = &e.stack {
                bytes_item(out, 3, b"stack");
                bytes_item(out, 3, s.as_bytes());
            }
            if let Some(c) = &e.cause {
                bytes_item(out, 3, b"cause");
                path.push(PathSeg::Key("cause".into()));
                encode_item(out, c, d, path)?;
                path.pop();
            }
        }
    }
    Ok(())
}

fn encode_seq(out: &mut Vec<u8>, items: &[Value], depth: usize, path: &mut Vec<PathSeg>) -> Result<(), Error> {
    for (i, v) in items.iter().enumerate() {
        path.push(PathSeg::Index(i));
        encode_item(out, v, depth, path)?;
        path.pop();
    }
    Ok(())
}

// ---- decoding ----

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// One item's head: its major type and argument, at `start`.
struct Head {
    start: usize,
    major: u8,
    ai: u8,
    arg: u64,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, Error> {
        let b = *self.buf.get(self.pos).ok_or_else(|| Error::at(self.pos, "unexpected end of input"))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&[u8], Error> {
        let start = self.pos;
        let end = usize::try_from(n).ok().and_then(|n| start.checked_add(n)).filter(|e| *e <= self.buf.len());
        let end = end.ok_or_else(|| Error::at(start, format!("unexpected end of input: {n} bytes announced, {} left", self.buf.len() - start)))?;
        self.pos = end;
        Ok(&self.buf[start..end])
    }

    fn head(&mut self) -> Result<Head, Error> {
        let start = self.pos;
        let b = self.byte()?;
        let (major, ai) = (b >> 5, b & 0x1f);
        let arg = match ai {
            0..=23 => u64::from(ai),
            24 => u64::from(self.byte()?),
            25 => u64::from(u16::from_be_bytes(self.take(2)?.try_into().expect("2 bytes"))),
            26 => u64::from(u32::from_be_bytes(self.take(4)?.try_into().expect("4 bytes"))),
            27 => u64::from_be_bytes(self.take(8)?.try_into().expect("8 bytes")),
            28..=30 => return Err(Error::at(start, format!("reserved additional information {ai} (initial byte {b:#04x})"))),
            _ => return Err(Error::at(start, format!("indefinite length (initial byte {b:#04x})"))),
        };
        Ok(Head { start, major, ai, arg })
    }

    fn item(&mut self, depth: usize) -> Result<Value, Error> {
        let h = self.head()?;
        let deeper = || -> Result<usize, Error> {
            if depth >= MAX_DEPTH {
                return Err(Error::at(h.start, format!("nested deeper than {MAX_DEPTH} arrays, maps and tags")));
            }
            Ok(depth + 1)
        };
        match h.major {
            0 => Ok(if h.arg <= MAX_SAFE as u64 { Value::Number(h.arg as f64) } else { Value::BigInt(h.arg.into()) }),
            1 => Ok(if h.arg < MAX_SAFE as u64 { Value::Number(-1.0 - h.arg as f64) } else { Value::BigInt((-1 - i128::from(h.arg)).into()) }),
            2 => Ok(Value::Bytes(self.take(h.arg)?.to_vec())),
            3 => {
                let at = self.pos;
                let raw = self.take(h.arg)?.to_vec();
                String::from_utf8(raw).map(Value::String).map_err(|e| Error::at(at + e.utf8_error().valid_up_to(), "text string is not UTF-8"))
            }
            4 => {
                let d = deeper()?;
                let mut items = Vec::new();
                for _ in 0..h.arg {
                    items.push(self.item(d)?);
                }
                Ok(Value::Array(items))
            }
            5 => {
                let d = deeper()?;
                self.object(h.arg, d)
            }
            6 => {
                let d = deeper()?;
                self.tagged(&h, d)
            }
            _ => match h.ai {
                20 => Ok(Value::Bool(false)),
                21 => Ok(Value::Bool(true)),
                22 => Ok(Value::Null),
                23 => Ok(Value::Undefined),
                25 => Ok(Value::Number(canonical_nan(f16_to_f64(h.arg as u16)))),
                26 => Ok(Value::Number(canonical_nan(f64::from(f32::from_bits(h.arg as u32))))),
                27 => Ok(Value::Number(canonical_nan(f64::from_bits(h.arg)))),
                _ => Err(Error::at(h.start, format!("simple value {} is not false, true, null or undefined", h.arg))),
            },
        }
    }

    /// An untagged map: text keys, none twice.
    fn object(&mut self, n: u64, depth: usize) -> Result<Value, Error> {
        let mut entries: Vec<(String, Value)> = Vec::new();
        let mut seen = HashSet::new();
        for _ in 0..n {
            let at = self.pos;
            let Value::String(k) = self.item(depth)? else {
                return Err(Error::at(at, "object key is not a text string"));
            };
            if !seen.insert(k.clone()) {
                return Err(Error::at(at, format!("object has the key {k:?} twice")));
            }
            let v = self.item(depth)?;
            entries.push((k, v));
        }
        Ok(Value::Object(entries))
    }

    fn tagged(&mut self, h: &Head, depth: usize) -> Result<Value, Error> {
        let at = self.pos;
        let peek = self.buf.get(at).copied();
        let inner_major = peek.map(|b| b >> 5);
        let wrong = |what: &str| Error::at(h.start, format!("tag {} over {what}", h.arg));
        match h.arg {
            1 => {
                // Seconds since the epoch: an integer or a float.
                let is_number = matches!(inner_major, Some(0 | 1)) || matches!(peek, Some(0xf9..=0xfb));
                if !is_number {
                    return Err(wrong("something other than an integer or a float"));
                }
                let ih = self.head()?;
                let secs = match ih.major {
                    0 => ih.arg as f64,
                    1 => (-1 - i128::from(ih.arg)) as f64,
                    _ => match ih.ai {
                        25 => f16_to_f64(ih.arg as u16),
                        26 => f64::from(f32::from_bits(ih.arg as u32)),
                        _ => f64::from_bits(ih.arg),
                    },
                };
                // f64::round rounds halves away from zero; + 0.0 makes -0 the epoch.
                Ok(Value::Date(canonical_nan((secs * 1000.0).round() + 0.0)))
            }
            2 | 3 => {
                if inner_major != Some(2) {
                    return Err(wrong("something other than a byte string"));
                }
                let Value::Bytes(m) = self.item(depth)? else { unreachable!("major type 2 is bytes") };
                let b = BigInt::new(false, m);
                if h.arg == 2 {
                    return Ok(Value::BigInt(b));
                }
                // n = -1 - m: |n| = m + 1.
                let mut mag = b.magnitude;
                let mut carry = true;
                for byte in mag.iter_mut().rev() {
                    if !carry {
                        break;
                    }
                    let (s, c) = byte.overflowing_add(1);
                    *byte = s;
                    carry = c;
                }
                if carry {
                    mag.insert(0, 1);
                }
                Ok(Value::BigInt(BigInt::new(true, mag)))
            }
            27 => {
                let v = self.item(depth)?;
                error_value(v).ok_or_else(|| wrong("something other than [\"Error\", {name, message, ...}]"))
            }
            258 => {
                if inner_major != Some(4) {
                    return Err(wrong("something other than an array"));
                }
                let Value::Array(items) = self.item(depth)? else { unreachable!("major type 4 is an array") };
                // A repeated element is kept once, and -0 is 0 (Set.prototype.add).
                let mut set: Vec<Value> = Vec::with_capacity(items.len());
                for v in items.into_iter().map(zero_is_zero) {
                    if !set.iter().any(|e| same_key(e, &v)) {
                        set.push(v);
                    }
                }
                Ok(Value::Set(set))
            }
            259 => {
                if inner_major != Some(5) {
                    return Err(wrong("something other than a map"));
                }
                let mh = self.head()?;
                let mut entries: Vec<(Value, Value)> = Vec::new();
                for _ in 0..mh.arg {
                    let k = zero_is_zero(self.item(depth)?);
                    let v = self.item(depth)?;
                    // A repeated key: the later entry wins, in the first one's place, and
                    // -0 is 0 (Map.prototype.set).
                    match entries.iter_mut().find(|(e, _)| same_key(e, &k)) {
                        Some(e) => e.1 = v,
                        None => entries.push((k, v)),
                    }
                }
                Ok(Value::Map(entries))
            }
            tag => match TypedArrayKind::from_tag(tag) {
                Some(kind) => {
                    if inner_major != Some(2) {
                        return Err(wrong("something other than a byte string"));
                    }
                    let Value::Bytes(bytes) = self.item(depth)? else { unreachable!("major type 2 is bytes") };
                    if bytes.len() % kind.element_size() != 0 {
                        return Err(Error::at(h.start, format!("{} of {} bytes: not a multiple of {}", kind.name(), bytes.len(), kind.element_size())));
                    }
                    Ok(Value::TypedArray { kind, bytes })
                }
                None => Err(Error::at(h.start, format!("unknown tag {tag}"))),
            },
        }
    }
}

/// Reads tag 27's content, `["Error", {name, message, stack?, cause?}]`.
fn error_value(v: Value) -> Option<Value> {
    let Value::Array(items) = v else { return None };
    let [Value::String(marker), Value::Object(fields)] = <[Value; 2]>::try_from(items).ok()? else {
        return None;
    };
    if marker != "Error" {
        return None;
    }
    let mut e = ErrorValue::new("Error", "");
    for (k, v) in fields {
        match (k.as_str(), v) {
            ("name", Value::String(s)) => e.name = error_name(&s).to_string(),
            ("message", Value::String(s)) => e.message = s,
            ("stack", Value::String(s)) => e.stack = Some(s),
            ("cause", v) => e.cause = Some(v),
            ("name" | "message" | "stack", _) => return None,
            // Other properties are not part of an Error's value.
            _ => {}
        }
    }
    Some(Value::Error(Box::new(e)))
}

/// Whether two Map keys or Set elements are the same (JavaScript's SameValueZero):
/// primitives by value, every object distinct.
fn same_key(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Undefined, Value::Undefined) | (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::BigInt(x), Value::BigInt(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// A Map key or Set element -0 is 0, as JavaScript's Map and Set make it.
fn zero_is_zero(v: Value) -> Value {
    match v {
        Value::Number(n) if n == 0.0 => Value::Number(0.0),
        v => v,
    }
}

fn canonical_nan(f: f64) -> f64 {
    if f.is_nan() { f64::NAN } else { f }
}

fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let mant = f64::from(h & 0x3ff);
    sign * match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + mant / 1024.0) * 2f64.powi(exp - 15),
    }
}

/// Serializes as an ArrayBuffer (a CBOR byte string) and deserializes from
/// one (or a `Uint8Array`, or an array of numbers): `Vec<u8>` as the
/// encoding means it, for serde.
///
/// ```
/// use bindery::structured::{self, Bytes};
/// let b = structured::to_vec(&Bytes(vec![1, 2])).unwrap();
/// assert_eq!(b, [0xd9, 0xd9, 0xf7, 0x42, 1, 2]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Bytes(pub Vec<u8>);

impl serde::Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        bytes::deserialize(d).map(Bytes)
    }
}

/// `#[serde(with = "bindery::structured::bytes")]` on a `Vec<u8>` field
/// writes it as an ArrayBuffer (see [`Bytes`]).
///
/// ```
/// use serde::{Deserialize, Serialize};
/// #[derive(Serialize, Deserialize)]
/// struct Blob { #[serde(with = "bindery::structured::bytes")] data: Vec<u8> }
/// ```
pub mod bytes {
    use serde::de::{self, SeqAccess, Visitor};
    use std::fmt;

    /// Writes `b` as a byte string.
    pub fn serialize<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(b)
    }

    /// Reads a byte string (or a sequence of bytes).
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        d.deserialize_byte_buf(BytesVisitor)
    }

    struct BytesVisitor;

    impl<'de> Visitor<'de> for BytesVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("bytes")
        }

        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }

        fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(v)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut out = Vec::new();
            while let Some(b) = seq.next_element::<u8>()? {
                out.push(b);
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests;
