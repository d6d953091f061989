// The structured-value encoding: how Durable Objects' stored values, RPC
// arguments and results, socket attachments and thrown values cross the
// ABI (docs/durable-objects.md, "The structured-value encoding"). It is a
// subset of CBOR behind the prefix d9 d9 f7, which every Bindery SDK reads
// and writes byte for byte alike.
//
//   import { SV, encode, decode } from "<path to>/guest-sdk/assemblyscript/structured";
//
//   const v = SV.object().set("name", SV.string("ada")).set("n", SV.int(42));
//   const bytes = encode(v);                  // Result<Uint8Array, StructuredError>
//   if (bytes.isErr) return Response.fail(bytes.error.message);
//   const back = decode(bytes.value);         // Result<SV, StructuredError>
//   if (back.isErr) return Response.fail(back.error.message); // "at byte 5: indefinite length"
//   const n = back.value.get("n")!.asNumber(); // 42
//
// SV (structured value) is one class for every kind of value (AssemblyScript
// has no union types): its kind says which accessors apply. Kinds and order
// are kept: an object's keys, a Map's entries, a typed array's kind.
// AssemblyScript cannot throw and recover, so encode and decode return a
// Result (the SDK's, as every fallible call does).

import { Result } from "./generated/cabi";

/** MAX_DEPTH is how deeply arrays, maps and tags may nest; deeper values are refused by encode and decode. */
export const MAX_DEPTH: i32 = 256;

/** MAX_SAFE_INTEGER is 2^53 − 1: integers up to it in magnitude are numbers, larger ones bigints. */
export const MAX_SAFE_INTEGER: f64 = 9007199254740991;

/** Kind says which kind of value an SV is. */
export enum Kind {
  Undefined,
  Null,
  Bool,
  /** A JavaScript number (f64). */
  Number,
  BigInt,
  /** Text (a well-formed string). */
  String,
  /** An ArrayBuffer (plain bytes). */
  Bytes,
  TypedArray,
  Array,
  /** A plain object: string keys in order, each once. */
  Object,
  /** A Map: keys of any kind, in insertion order. */
  Map,
  /** A Set, in insertion order. */
  Set,
  /** A Date: milliseconds since the epoch (NaN: an invalid Date). */
  Date,
  /** An Error: name, message, stack and cause. */
  Error,
}

const KIND_NAMES: StaticArray<string> = [
  "Undefined", "Null", "Bool", "Number", "BigInt", "String", "Bytes", "TypedArray", "Array", "Object", "Map", "Set", "Date", "Error",
];

/** kindName returns a Kind's name, e.g. "Object". */
export function kindName(k: Kind): string {
  return KIND_NAMES[<i32>k];
}

/** TypedKind is the element type of a typed array. */
export enum TypedKind {
  Uint8,
  Uint8Clamped,
  Int8,
  Uint16,
  Uint32,
  BigUint64,
  Int16,
  Int32,
  BigInt64,
  Float16,
  Float32,
  Float64,
}

const TYPED_TAGS: StaticArray<u32> = [64, 68, 72, 69, 70, 71, 77, 78, 79, 84, 85, 86];
const TYPED_SIZES: StaticArray<i32> = [1, 1, 1, 2, 4, 8, 2, 4, 8, 2, 4, 8];
const TYPED_NAMES: StaticArray<string> = [
  "Uint8Array", "Uint8ClampedArray", "Int8Array", "Uint16Array", "Uint32Array", "BigUint64Array",
  "Int16Array", "Int32Array", "BigInt64Array", "Float16Array", "Float32Array", "Float64Array",
];

/** typedName returns the JavaScript class of a typed array kind, e.g. "Uint16Array". */
export function typedName(k: TypedKind): string {
  return TYPED_NAMES[<i32>k];
}

/** typedSize returns the size of one element of a typed array kind, in bytes. */
export function typedSize(k: TypedKind): i32 {
  return TYPED_SIZES[<i32>k];
}

/** ERROR_NAMES are the Error classes the encoding keeps; any other name is "Error". */
export const ERROR_NAMES: StaticArray<string> = ["Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError"];

function errorName(name: string): string {
  for (let i = 0; i < ERROR_NAMES.length; i++) {
    if (ERROR_NAMES[i] == name) return name;
  }
  return "Error";
}

/**
 * SV is a structured value: what JavaScript's structured clone keeps.
 * Make one with the static constructors (SV.number(1), SV.string("x"),
 * SV.object().set("a", SV.int(1)), SV.map().put(k, v), SV.array().push(v));
 * read it by kind with the accessors (asNumber, asString, get, at, ...),
 * which abort when the kind does not match.
 */
export class SV {
  private b: bool = false;
  private n: f64 = 0;
  private s: string = "";
  private raw: Uint8Array | null = null;
  private tk: TypedKind = TypedKind.Uint8;
  private items: Array<SV> | null = null;
  private keys: Array<string> | null = null;
  private index: Map<string, i32> | null = null; // an object's key -> its place
  private mapKeys: Array<SV> | null = null;
  private name: string = "Error";
  private stackText: string | null = null;
  private causeValue: SV | null = null;

  private constructor(public readonly kind: Kind) {}

  // ---- constructors ---------------------------------------------------------

  /** undefined returns undefined. */
  static undefined(): SV {
    return new SV(Kind.Undefined);
  }

  /** null returns null. */
  static null(): SV {
    return new SV(Kind.Null);
  }

  /** bool returns a boolean. */
  static bool(v: bool): SV {
    const x = new SV(Kind.Bool);
    x.b = v;
    return x;
  }

  /** number returns a number. */
  static number(v: f64): SV {
    const x = new SV(Kind.Number);
    x.n = v;
    return x;
  }

  /** int returns a number when |v| ≤ 2^53 − 1, else a bigint: no digit is lost. */
  static int(v: i64): SV {
    if (v >= -9007199254740991 && v <= 9007199254740991) return SV.number(<f64>v);
    const neg = v < 0;
    return SV.bigint(neg, be64(neg ? <u64>(-(v + 1)) + 1 : <u64>v));
  }

  /** uint returns a number when v ≤ 2^53 − 1, else a bigint. */
  static uint(v: u64): SV {
    if (v <= 9007199254740991) return SV.number(<f64>v);
    return SV.bigint(false, be64(v));
  }

  /** bigint returns a bigint of a sign and a big-endian magnitude (leading zero bytes allowed; a negative zero is 0n). */
  static bigint(negative: bool, magnitude: Uint8Array): SV {
    const x = new SV(Kind.BigInt);
    const m = trimZeros(magnitude);
    x.b = negative && m.length > 0;
    x.raw = m;
    return x;
  }

  /** string returns text; encode refuses a string with a lone surrogate. */
  static string(v: string): SV {
    const x = new SV(Kind.String);
    x.s = v;
    return x;
  }

  /** bytes returns an ArrayBuffer's worth of bytes (not copied). */
  static bytes(v: Uint8Array): SV {
    const x = new SV(Kind.Bytes);
    x.raw = v;
    return x;
  }

  /** typed returns a typed array of its viewed bytes, little-endian (not copied; encode refuses a partial element). */
  static typed(kind: TypedKind, bytes: Uint8Array): SV {
    const x = new SV(Kind.TypedArray);
    x.tk = kind;
    x.raw = bytes;
    return x;
  }

  /** array returns an array of items (kept, not copied); add more with push. */
  static array(items: Array<SV> = []): SV {
    const x = new SV(Kind.Array);
    x.items = items;
    return x;
  }

  /** object returns an empty plain object; add properties with set. */
  static object(): SV {
    const x = new SV(Kind.Object);
    x.keys = [];
    x.index = new Map<string, i32>();
    x.items = [];
    return x;
  }

  /** map returns an empty Map; add entries with put. */
  static map(): SV {
    const x = new SV(Kind.Map);
    x.mapKeys = [];
    x.items = [];
    return x;
  }

  /** setOf returns a Set of items in order (kept as given: encode writes them all); add more with push. */
  static setOf(items: Array<SV> = []): SV {
    const x = new SV(Kind.Set);
    x.items = items;
    return x;
  }

  /**
   * date returns a Date of ms milliseconds since the epoch (NaN: an invalid
   * Date). As JavaScript's TimeClip has it, encode writes a fraction
   * truncated toward −∞ and a time beyond ±8.64e15 ms as NaN, and decode
   * reads such a time as NaN.
   */
  static date(ms: f64): SV {
    const x = new SV(Kind.Date);
    x.n = ms;
    return x;
  }

  /** error returns an Error; a name other than JavaScript's seven Error classes is "Error". */
  static error(name: string, message: string): SV {
    const x = new SV(Kind.Error);
    x.name = errorName(name);
    x.s = message;
    return x;
  }

  // ---- building -------------------------------------------------------------

  /** set sets an object's property, in place when the key is there (as JavaScript assignment), else at the end; returns this. */
  set(key: string, value: SV): SV {
    this.want(Kind.Object);
    const index = this.index!;
    if (index.has(key)) {
      this.items![index.get(key)] = value;
    } else {
      index.set(key, this.keys!.length);
      this.keys!.push(key);
      this.items!.push(value);
    }
    return this;
  }

  /** put adds a Map entry at the end; returns this. */
  put(key: SV, value: SV): SV {
    this.want(Kind.Map);
    this.mapKeys!.push(key);
    this.items!.push(value);
    return this;
  }

  /** push adds an element to an array or Set; returns this. */
  push(value: SV): SV {
    if (this.kind != Kind.Set) this.want(Kind.Array);
    this.items!.push(value);
    return this;
  }

  /** withStack sets an Error's stack; returns this. */
  withStack(stack: string): SV {
    this.want(Kind.Error);
    this.stackText = stack;
    return this;
  }

  /** withCause sets an Error's cause; returns this. */
  withCause(cause: SV): SV {
    this.want(Kind.Error);
    this.causeValue = cause;
    return this;
  }

  // ---- reading --------------------------------------------------------------

  /** isNullish says whether the value is undefined or null. */
  get isNullish(): bool {
    return this.kind == Kind.Undefined || this.kind == Kind.Null;
  }

  /** asBool returns a boolean. */
  asBool(): bool {
    this.want(Kind.Bool);
    return this.b;
  }

  /** asNumber returns a number, or a Date's milliseconds. */
  asNumber(): f64 {
    if (this.kind != Kind.Date) this.want(Kind.Number);
    return this.n;
  }

  /** asString returns text, or an Error's message. */
  asString(): string {
    if (this.kind != Kind.Error) this.want(Kind.String);
    return this.s;
  }

  /** asBytes returns the bytes of a Bytes or TypedArray value, or a bigint's magnitude (big-endian, no leading zero). */
  asBytes(): Uint8Array {
    if (this.kind != Kind.TypedArray && this.kind != Kind.BigInt) this.want(Kind.Bytes);
    return this.raw!;
  }

  /** negative says whether a bigint is below zero. */
  get negative(): bool {
    this.want(Kind.BigInt);
    return this.b;
  }

  /** typedKind returns a typed array's kind. */
  get typedKind(): TypedKind {
    this.want(Kind.TypedArray);
    return this.tk;
  }

  /** length returns how many elements an array or Set has, or how many entries an object or Map has. */
  get length(): i32 {
    if (this.items == null) this.want(Kind.Array);
    return this.items!.length;
  }

  /** at returns element i of an array or Set, or the value of entry i of an object or Map. */
  at(i: i32): SV {
    if (this.items == null) this.want(Kind.Array);
    return this.items![i];
  }

  /** keyAt returns the key of an object's entry i. */
  keyAt(i: i32): string {
    this.want(Kind.Object);
    return this.keys![i];
  }

  /** mapKeyAt returns the key of a Map's entry i. */
  mapKeyAt(i: i32): SV {
    this.want(Kind.Map);
    return this.mapKeys![i];
  }

  /** get returns an object's property, or null when it has none of that name. */
  get(key: string): SV | null {
    this.want(Kind.Object);
    const index = this.index!;
    return index.has(key) ? this.items![index.get(key)] : null;
  }

  /** errorName returns an Error's class ("TypeError"). */
  get errorName(): string {
    this.want(Kind.Error);
    return this.name;
  }

  /** stack returns an Error's stack, or null. */
  get stack(): string | null {
    this.want(Kind.Error);
    return this.stackText;
  }

  /** cause returns an Error's cause, or null when it has none. */
  get cause(): SV | null {
    this.want(Kind.Error);
    return this.causeValue;
  }

  /** equals says whether two values are the same: same kinds and order; numbers and dates by their bits, NaN equal to NaN. */
  equals(o: SV): bool {
    if (this.kind != o.kind) return false;
    switch (this.kind) {
      case Kind.Undefined:
      case Kind.Null:
        return true;
      case Kind.Bool:
        return this.b == o.b;
      case Kind.Number:
      case Kind.Date:
        return sameNumber(this.n, o.n);
      case Kind.String:
        return this.s == o.s;
      case Kind.BigInt:
        return this.b == o.b && sameBytes(this.raw!, o.raw!);
      case Kind.Bytes:
        return sameBytes(this.raw!, o.raw!);
      case Kind.TypedArray:
        return this.tk == o.tk && sameBytes(this.raw!, o.raw!);
      case Kind.Error: {
        if (this.name != o.name || this.s != o.s) return false;
        const s1 = this.stackText, s2 = o.stackText;
        if ((s1 == null) != (s2 == null) || (s1 != null && s1 != s2)) return false;
        const c1 = this.causeValue, c2 = o.causeValue;
        if (c1 == null || c2 == null) return c1 == null && c2 == null;
        return c1.equals(c2);
      }
    }
    const a = this.items!, b = o.items!;
    if (a.length != b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (this.kind == Kind.Object && this.keys![i] != o.keys![i]) return false;
      if (this.kind == Kind.Map && !this.mapKeys![i].equals(o.mapKeys![i])) return false;
      if (!a[i].equals(b[i])) return false;
    }
    return true;
  }

  /** toString describes the value for a log line, in a JavaScript-like notation. */
  toString(): string {
    switch (this.kind) {
      case Kind.Undefined:
        return "undefined";
      case Kind.Null:
        return "null";
      case Kind.Bool:
        return this.b ? "true" : "false";
      case Kind.Number:
        return numberText(this.n);
      case Kind.Date:
        return "Date(" + numberText(this.n) + ")";
      case Kind.String:
        return quoteText(this.s);
      case Kind.BigInt:
        return (this.b ? "-0x" : "0x") + hex(this.raw!) + "n";
      case Kind.Bytes:
        return "bytes(" + hex(this.raw!) + ")";
      case Kind.TypedArray:
        return typedName(this.tk) + "(" + hex(this.raw!) + ")";
      case Kind.Error: {
        let t = this.name + "(" + quoteText(this.s);
        if (this.stackText != null) t += ", stack " + quoteText(this.stackText!);
        if (this.causeValue != null) t += ", cause " + this.causeValue!.toString();
        return t + ")";
      }
    }
    const a = this.items!;
    const parts = new Array<string>(a.length);
    for (let i = 0; i < a.length; i++) {
      if (this.kind == Kind.Object) parts[i] = quoteText(this.keys![i]) + ": " + a[i].toString();
      else if (this.kind == Kind.Map) parts[i] = this.mapKeys![i].toString() + " => " + a[i].toString();
      else parts[i] = a[i].toString();
    }
    const body = parts.join(", ");
    if (this.kind == Kind.Object) return "{" + body + "}";
    if (this.kind == Kind.Map) return "Map {" + body + "}";
    if (this.kind == Kind.Set) return "Set {" + body + "}";
    return "[" + body + "]";
  }

  private want(k: Kind): void {
    if (this.kind != k) throw new Error("structured: " + kindName(this.kind) + " value used as " + kindName(k));
  }
}

function numberText(n: f64): string {
  if (n == 0 && 1 / n < 0) return "-0";
  if (Math.trunc(n) == n && Math.abs(n) <= MAX_SAFE_INTEGER) return (<i64>n).toString();
  return n.toString();
}

function quoteText(s: string): string {
  return '"' + s.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n") + '"';
}

function hex(b: Uint8Array): string {
  let t = "";
  for (let i = 0; i < b.length; i++) t += (<u32>b[i] + 0x100).toString(16).substring(1);
  return t;
}

function sameNumber(a: f64, b: f64): bool {
  if (isNaN(a)) return isNaN(b);
  return reinterpret<u64>(a) == reinterpret<u64>(b);
}

function sameBytes(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  return memory.compare(a.dataStart, b.dataStart, <usize>a.length) == 0;
}

function trimZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] == 0) i++;
  return i == 0 ? b : b.subarray(i);
}

/** be64 returns v's big-endian bytes without leading zeros. */
function be64(v: u64): Uint8Array {
  const out = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) {
    out[i] = <u8>v;
    v >>= 8;
  }
  return trimZeros(out);
}

/** wellFormed says whether s holds no lone surrogate, so that UTF-8 can carry it. */
function wellFormed(s: string): bool {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff || i + 1 == n) return false;
    const d = s.charCodeAt(i + 1);
    if (d < 0xdc00 || d > 0xdfff) return false;
    i++;
  }
  return true;
}

/**
 * StructuredError says why encode or decode failed: decode gives the byte
 * offset of the item at fault, encode the path of the value at fault
 * (".a[2]", "" at the top).
 */
export class StructuredError {
  constructor(
    /** reason says what is wrong, e.g. "indefinite length". */
    public reason: string,
    /** offset is where decode failed in its input, or -1 after encode. */
    public offset: i32 = -1,
    /** path is where encode failed in its value (".a[2]"), or "" after decode. */
    public path: string = "",
  ) {}

  /** message is "at byte 5: indefinite length" or "value.a[2]: string has a lone surrogate". */
  get message(): string {
    if (this.offset >= 0) return "at byte " + this.offset.toString() + ": " + this.reason;
    return "value" + this.path + ": " + this.reason;
  }

  toString(): string {
    return this.message;
  }
}

// ---- encoding -----------------------------------------------------------------

/**
 * encode returns the encoding of v, or an error naming the value at fault:
 * a string with a lone surrogate, a typed array that is not a whole
 * number of elements, nesting deeper than
 * MAX_DEPTH (which a cycle also is).
 */
export function encode(v: SV): Result<Uint8Array, StructuredError> {
  const e = new Encoder();
  e.byte(0xd9);
  e.byte(0xd9);
  e.byte(0xf7);
  if (!e.value(v, 0)) return Result.err<Uint8Array, StructuredError>(e.err!);
  return Result.ok<Uint8Array, StructuredError>(e.buf.slice(0, e.len));
}

class Encoder {
  buf: Uint8Array = new Uint8Array(64);
  len: i32 = 0;
  err: StructuredError | null = null;

  fail(reason: string): bool {
    this.err = new StructuredError(reason);
    return false;
  }

  /** at prefixes the error's path with seg and returns false. */
  at(seg: string): bool {
    this.err!.path = seg + this.err!.path;
    return false;
  }

  grow(n: i32): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf);
    this.buf = b;
  }

  byte(x: u8): void {
    this.grow(1);
    this.buf[this.len++] = x;
  }

  view(b: Uint8Array): void {
    this.grow(b.length);
    memory.copy(this.buf.dataStart + <usize>this.len, b.dataStart, <usize>b.length);
    this.len += b.length;
  }

  head(major: u8, arg: u64): void {
    const m = major << 5;
    if (arg < 24) {
      this.byte(m | <u8>arg);
      return;
    }
    let n = 8;
    let info: u8 = 27;
    if (arg <= 0xff) {
      n = 1;
      info = 24;
    } else if (arg <= 0xffff) {
      n = 2;
      info = 25;
    } else if (arg <= 0xffffffff) {
      n = 4;
      info = 26;
    }
    this.byte(m | info);
    for (let i = n - 1; i >= 0; i--) this.byte(<u8>(arg >> (<u64>i * 8)));
  }

  float(f: f64): void {
    this.byte(0xfb);
    const bits: u64 = isNaN(f) ? 0x7ff8000000000000 : reinterpret<u64>(f);
    for (let i = 7; i >= 0; i--) this.byte(<u8>(bits >> (<u64>i * 8)));
  }

  number(f: f64): void {
    const negZero = f == 0 && 1 / f < 0;
    if (!negZero && Math.trunc(f) == f && Math.abs(f) <= MAX_SAFE_INTEGER) {
      const i = <i64>f;
      if (i >= 0) this.head(0, <u64>i);
      else this.head(1, <u64>(-1 - i));
      return;
    }
    this.float(f);
  }

  text(s: string): bool {
    if (!wellFormed(s)) return this.fail("string has a lone surrogate (not UTF-8)");
    const u = Uint8Array.wrap(String.UTF8.encode(s));
    this.head(3, <u64>u.length);
    this.view(u);
    return true;
  }

  depth(d: i32): bool {
    if (d >= MAX_DEPTH) return this.fail("nesting deeper than 256 (or a cycle)");
    return true;
  }

  value(v: SV, d: i32): bool {
    switch (v.kind) {
      case Kind.Undefined:
        this.byte(0xf7);
        return true;
      case Kind.Null:
        this.byte(0xf6);
        return true;
      case Kind.Bool:
        this.byte(v.asBool() ? 0xf5 : 0xf4);
        return true;
      case Kind.Number:
        this.number(v.asNumber());
        return true;
      case Kind.String:
        return this.text(v.asString());
      case Kind.Bytes: {
        const b = v.asBytes();
        this.head(2, <u64>b.length);
        this.view(b);
        return true;
      }
      case Kind.BigInt: {
        if (!this.depth(d)) return false;
        let m = v.asBytes();
        if (!v.negative) {
          this.head(6, 2);
        } else {
          // Tag 3 holds |n| − 1.
          m = m.slice(0);
          for (let i = m.length - 1; i >= 0; i--) {
            if (m[i] != 0) {
              m[i]--;
              break;
            }
            m[i] = 0xff;
          }
          m = trimZeros(m);
          this.head(6, 3);
        }
        this.head(2, <u64>m.length);
        this.view(m);
        return true;
      }
      case Kind.TypedArray: {
        const k = v.typedKind;
        const b = v.asBytes();
        if (b.length % typedSize(k) != 0) return this.fail("typed array is not a whole number of elements");
        if (!this.depth(d)) return false;
        this.head(6, TYPED_TAGS[<i32>k]);
        this.head(2, <u64>b.length);
        this.view(b);
        return true;
      }
      case Kind.Date: {
        if (!this.depth(d)) return false;
        const ms = timeClip(Math.floor(v.asNumber()));
        this.head(6, 1);
        if (ms % 1000 == 0) this.number(ms / 1000 + 0);
        else this.float(ms / 1000);
        return true;
      }
      case Kind.Array:
      case Kind.Set: {
        let dd = d;
        if (v.kind == Kind.Set) {
          if (!this.depth(d + 1)) return false;
          this.head(6, 258);
          dd++;
        } else if (!this.depth(d)) return false;
        const n = v.length;
        this.head(4, <u64>n);
        for (let i = 0; i < n; i++) {
          if (!this.value(v.at(i), dd + 1)) return this.at("[" + i.toString() + "]");
        }
        return true;
      }
      case Kind.Object: {
        if (!this.depth(d)) return false;
        const n = v.length;
        this.head(5, <u64>n);
        for (let i = 0; i < n; i++) {
          const k = v.keyAt(i); // once each: set keeps them so
          if (!this.text(k)) return this.at("[" + i.toString() + "] (a key)");
          if (!this.value(v.at(i), d + 1)) return this.at("." + k);
        }
        return true;
      }
      case Kind.Map: {
        if (!this.depth(d + 1)) return false;
        this.head(6, 259);
        const n = v.length;
        this.head(5, <u64>n);
        for (let i = 0; i < n; i++) {
          if (!this.value(v.mapKeyAt(i), d + 2)) return this.at("[" + i.toString() + "] (a key)");
          if (!this.value(v.at(i), d + 2)) return this.at("[" + i.toString() + "]");
        }
        return true;
      }
    }
    // Kind.Error: tag 27 over ["Error", {name, message, stack?, cause?}].
    if (!this.depth(d + 2)) return false;
    this.head(6, 27);
    this.head(4, 2);
    this.text("Error");
    const stack = v.stack;
    const cause = v.cause;
    this.head(5, 2 + (stack != null ? 1 : 0) + (cause != null ? 1 : 0));
    this.text("name");
    this.text(v.errorName);
    this.text("message");
    if (!this.text(v.asString())) return this.at(".message");
    if (stack != null) {
      this.text("stack");
      if (!this.text(stack)) return this.at(".stack");
    }
    if (cause != null) {
      this.text("cause");
      if (!this.value(cause, d + 3)) return this.at(".cause");
    }
    return true;
  }
}

// ---- decoding -----------------------------------------------------------------

/**
 * decode reads one encoded value, or returns an error naming the byte
 * offset at fault: no d9 d9 f7 prefix, trailing bytes, indefinite
 * lengths, unknown tags and simple values, text that is not UTF-8, an
 * object key that is not text or is there twice, a tag over the wrong
 * item, nesting deeper than MAX_DEPTH. It accepts arguments not in their
 * shortest form, half and single floats, and bigint magnitudes with
 * leading zeros. The SV's bytes are copies: b may be reused.
 */
export function decode(b: Uint8Array): Result<SV, StructuredError> {
  const d = new Decoder(b);
  if (b.length < 3 || b[0] != 0xd9 || b[1] != 0xd9 || b[2] != 0xf7) {
    return Result.err<SV, StructuredError>(new StructuredError("no d9 d9 f7 prefix (not this encoding)", 0));
  }
  d.pos = 3;
  const v = d.item(0);
  if (v == null) return Result.err<SV, StructuredError>(d.err!);
  if (d.pos != b.length) return Result.err<SV, StructuredError>(new StructuredError("bytes after the value", d.pos));
  return Result.ok<SV, StructuredError>(v);
}

class Decoder {
  pos: i32 = 0;
  err: StructuredError | null = null;
  // The last head read.
  at: i32 = 0;
  major: u8 = 0;
  info: u8 = 0;
  arg: u64 = 0;

  constructor(public b: Uint8Array) {}

  fail(at: i32, reason: string): SV | null {
    this.err = new StructuredError(reason, at);
    return null;
  }

  bad(at: i32, reason: string): bool {
    this.err = new StructuredError(reason, at);
    return false;
  }

  /** head reads an item's head into at, major, info and arg, or fails. */
  head(): bool {
    const at = this.pos;
    this.at = at;
    if (at >= this.b.length) return this.bad(at, "unexpected end of input");
    const x = this.b[at];
    this.major = x >> 5;
    this.info = x & 31;
    this.pos++;
    let n = 0;
    if (this.info < 24) {
      this.arg = <u64>this.info;
      return true;
    } else if (this.info == 24) n = 1;
    else if (this.info == 25) n = 2;
    else if (this.info == 26) n = 4;
    else if (this.info == 27) n = 8;
    else if (this.info < 31) return this.bad(at, "reserved additional information");
    else return this.bad(at, this.major == 7 ? "unexpected break" : "indefinite length");
    if (this.b.length - this.pos < n) return this.bad(at, "unexpected end of input");
    let arg: u64 = 0;
    for (let i = 0; i < n; i++) arg = (arg << 8) | <u64>this.b[this.pos + i];
    this.pos += n;
    this.arg = arg;
    return true;
  }

  /** payload returns the bytes of a string whose head was just read (a copy), or null. */
  payload(): Uint8Array | null {
    if (this.arg > <u64>(this.b.length - this.pos)) {
      this.fail(this.at, "unexpected end of input");
      return null;
    }
    const n = <i32>this.arg;
    const s = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** text returns a text string whose head was just read, or null. */
  text(): string | null {
    const at = this.at;
    const p = this.payload();
    if (p == null) return null;
    if (!validUTF8(p)) {
      this.fail(at, "text is not UTF-8");
      return null;
    }
    return String.UTF8.decodeUnsafe(p.dataStart, <usize>p.length);
  }

  /** count checks that arg items of at least per bytes each can follow. */
  count(per: i32): i32 {
    if (this.arg > <u64>((this.b.length - this.pos) / per)) {
      this.fail(this.at, "unexpected end of input");
      return -1;
    }
    return <i32>this.arg;
  }

  item(depth: i32): SV | null {
    if (!this.head()) return null;
    const at = this.at;
    const arg = this.arg;
    switch (this.major) {
      case 0:
        return arg <= 9007199254740991 ? SV.number(<f64>arg) : SV.bigint(false, be64(arg));
      case 1:
        if (arg < 9007199254740991) return SV.number(-<f64>arg - 1);
        if (arg != 0xffffffffffffffff) return SV.bigint(true, be64(arg + 1));
        const m = new Uint8Array(9); // 2^64
        m[0] = 1;
        return SV.bigint(true, m);
      case 2: {
        const p = this.payload();
        return p == null ? null : SV.bytes(p);
      }
      case 3: {
        const s = this.text();
        return s == null ? null : SV.string(s);
      }
      case 4:
        if (depth >= MAX_DEPTH) return this.fail(at, "nesting deeper than 256");
        return this.array(depth + 1, false);
      case 5:
        if (depth >= MAX_DEPTH) return this.fail(at, "nesting deeper than 256");
        return this.object(depth + 1);
      case 6:
        if (depth >= MAX_DEPTH) return this.fail(at, "nesting deeper than 256");
        return this.tagged(at, arg, depth + 1);
    }
    switch (this.info) {
      case 20:
        return SV.bool(false);
      case 21:
        return SV.bool(true);
      case 22:
        return SV.null();
      case 23:
        return SV.undefined();
      case 25:
        return SV.number(half(<u16>arg));
      case 26:
        return SV.number(<f64>reinterpret<f32>(<u32>arg));
      case 27:
        return SV.number(reinterpret<f64>(arg));
    }
    return this.fail(at, "simple value other than false, true, null, undefined");
  }

  /** array reads the elements of an array whose head was just read: a Set's when set, without repeats. */
  array(depth: i32, set: bool): SV | null {
    const n = this.count(1);
    if (n < 0) return null;
    const out = set ? SV.setOf() : SV.array();
    const seen = new Set<string>(); // a Set's primitives
    for (let i = 0; i < n; i++) {
      let v = this.item(depth);
      if (v == null) return null;
      if (set) {
        v = zeroKey(v);
        const k = primitiveKey(v);
        if (k != null) {
          if (seen.has(k)) continue;
          seen.add(k);
        }
      }
      out.push(v);
    }
    return out;
  }

  object(depth: i32): SV | null {
    const n = this.count(2);
    if (n < 0) return null;
    const out = SV.object();
    for (let i = 0; i < n; i++) {
      if (!this.head()) return null;
      const at = this.at;
      if (this.major != 3) return this.fail(at, "object key is not a text string");
      const k = this.text();
      if (k == null) return null;
      if (out.get(k) != null) return this.fail(at, "object key is there twice");
      const v = this.item(depth);
      if (v == null) return null;
      out.set(k, v);
    }
    return out;
  }

  /** map reads a Map's entries: a primitive key seen before (SameValueZero) keeps its place and takes the later value, as Map.set does. */
  map(depth: i32): SV | null {
    const n = this.count(2);
    if (n < 0) return null;
    const keys = new Array<SV>();
    const values = new Array<SV>();
    const index = new Map<string, i32>();
    for (let i = 0; i < n; i++) {
      let k = this.item(depth);
      if (k == null) return null;
      k = zeroKey(k);
      const v = this.item(depth);
      if (v == null) return null;
      const pk = primitiveKey(k);
      if (pk != null) {
        if (index.has(pk)) {
          values[index.get(pk)] = v;
          continue;
        }
        index.set(pk, keys.length);
      }
      keys.push(k);
      values.push(v);
    }
    const out = SV.map();
    for (let i = 0; i < keys.length; i++) out.put(keys[i], values[i]);
    return out;
  }

  tagged(at: i32, tag: u64, depth: i32): SV | null {
    const c = this.pos; // where the tagged item begins
    if (tag == 1) {
      if (!this.head()) return null;
      let secs: f64 = 0;
      if (this.major == 0) secs = <f64>this.arg;
      else if (this.major == 1) secs = this.arg == 0xffffffffffffffff ? -18446744073709551616.0 : -<f64>(this.arg + 1);
      else if (this.major == 7 && this.info == 25) secs = half(<u16>this.arg);
      else if (this.major == 7 && this.info == 26) secs = <f64>reinterpret<f32>(<u32>this.arg);
      else if (this.major == 7 && this.info == 27) secs = reinterpret<f64>(this.arg);
      else return this.fail(c, "tag 1 (Date) over something other than a number");
      return SV.date(timeClip(roundHalfAway(secs * 1000)));
    }
    if (tag == 2 || tag == 3) {
      if (!this.head()) return null;
      if (this.major != 2) return this.fail(c, "bigint tag over something other than a byte string");
      const p = this.payload();
      if (p == null) return null;
      if (tag == 2) return SV.bigint(false, p);
      // Tag 3 holds |n| − 1.
      const mag: Uint8Array = p;
      const m = new Uint8Array(mag.length + 1);
      m.set(mag, 1);
      for (let i = m.length - 1; i >= 0; i--) {
        if (m[i] != 0xff) {
          m[i]++;
          break;
        }
        m[i] = 0;
      }
      return SV.bigint(true, m);
    }
    if (tag == 27) return this.error(c, depth);
    if (tag == 258 || tag == 259) {
      if (!this.head()) return null;
      if (tag == 258 && this.major != 4) return this.fail(c, "tag 258 (Set) over something other than an array");
      if (tag == 259 && this.major != 5) return this.fail(c, "tag 259 (Map) over something other than a map");
      if (depth >= MAX_DEPTH) return this.fail(c, "nesting deeper than 256");
      return tag == 258 ? this.array(depth + 1, true) : this.map(depth + 1);
    }
    for (let k = 0; k < TYPED_TAGS.length; k++) {
      if (<u64>TYPED_TAGS[k] != tag) continue;
      if (!this.head()) return null;
      if (this.major != 2) return this.fail(c, "typed array tag over something other than a byte string");
      const p = this.payload();
      if (p == null) return null;
      if (p.length % TYPED_SIZES[k] != 0) return this.fail(c, "typed array is not a whole number of elements");
      return SV.typed(<TypedKind>k, p);
    }
    return this.fail(at, "unknown tag");
  }

  /** error reads ["Error", {name, message, stack?, cause?}] under tag 27. */
  error(c: i32, depth: i32): SV | null {
    const bad = 'tag 27 (Error) over something other than ["Error", {…}]';
    if (!this.head()) return null;
    if (this.major != 4 || this.arg != 2) return this.fail(c, bad);
    if (!this.head()) return null;
    if (this.major != 3) return this.fail(c, bad);
    const first = this.text();
    if (first == null) return null;
    if (first != "Error") return this.fail(c, bad);
    if (!this.head()) return null;
    if (this.major != 5) return this.fail(c, bad);
    const mapAt = this.at;
    if (depth + 1 >= MAX_DEPTH) return this.fail(mapAt, "nesting deeper than 256");
    const props = this.object(depth + 2);
    if (props == null) return null;
    let name = "Error";
    let message = "";
    let stack: string | null = null;
    let cause: SV | null = null;
    for (let i = 0; i < props.length; i++) {
      const k = props.keyAt(i);
      const v = props.at(i);
      if (k == "cause") {
        cause = v;
        continue;
      }
      if (k != "name" && k != "message" && k != "stack") continue;
      if (v.kind != Kind.String) return this.fail(mapAt, "the Error's " + k + " is not a string");
      if (k == "name") name = v.asString();
      else if (k == "message") message = v.asString();
      else stack = v.asString();
    }
    const e = SV.error(name, message);
    if (stack != null) e.withStack(stack);
    if (cause != null) e.withCause(cause);
    return e;
  }
}

/** timeClip returns ms, or NaN when it is beyond ±8.64e15 (or NaN), and 0 for −0, as JavaScript's TimeClip makes a Date's time. */
function timeClip(ms: f64): f64 {
  if (!(Math.abs(ms) <= 8.64e15)) return NaN;
  return ms + 0;
}

/** zeroKey returns v, or 0 for −0, as Map.prototype.set and Set.prototype.add make a key or element. */
function zeroKey(v: SV): SV {
  return v.kind == Kind.Number && v.asNumber() == 0 ? SV.number(0) : v;
}

/** primitiveKey returns a string that is the same for primitives JavaScript's SameValueZero equates, or null for objects (never equal). */
function primitiveKey(v: SV): string | null {
  switch (v.kind) {
    case Kind.Undefined:
      return "u";
    case Kind.Null:
      return "n";
    case Kind.Bool:
      return v.asBool() ? "t" : "f";
    case Kind.Number: {
      const f = v.asNumber();
      if (isNaN(f)) return "NaN";
      return "#" + reinterpret<u64>(f == 0 ? 0.0 : f).toString(16);
    }
    case Kind.BigInt: {
      const k: string = (v.negative ? "-" : "+") + hex(v.asBytes());
      return k;
    }
    case Kind.String:
      return "s" + v.asString();
  }
  return null;
}

/** roundHalfAway rounds to the nearest integer, halves away from zero. */
function roundHalfAway(x: f64): f64 {
  if (!isFinite(x)) return x;
  const a = Math.abs(x);
  let r = Math.floor(a);
  if (a - r >= 0.5) r += 1;
  return x < 0 ? -r : r;
}

/** half widens an IEEE 754 half-precision float. */
function half(h: u16): f64 {
  const sign: f64 = (h & 0x8000) != 0 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = <f64>(h & 0x3ff);
  if (exp == 0) return sign * frac * Math.pow(2, -24);
  if (exp == 31) return frac == 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * Math.pow(2, <f64>exp - 15);
}

/** validUTF8 says whether b is well-formed UTF-8 (no overlong forms, surrogates or code points beyond U+10FFFF). */
function validUTF8(b: Uint8Array): bool {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = <u32>b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need = 0;
    let lo: u32 = 0x80, hi: u32 = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else return false;
    if (i + need >= n) return false;
    const c1 = <u32>b[i + 1];
    if (c1 < lo || c1 > hi) return false;
    for (let j = 2; j <= need; j++) {
      const cj = <u32>b[i + j];
      if (cj < 0x80 || cj > 0xbf) return false;
    }
    i += need + 1;
  }
  return true;
}

// ---- JSON -----------------------------------------------------------------------

/**
 * fromJSON parses JSON text (RFC 8259) into a structured value, as
 * JavaScript's JSON.parse does: objects (a repeated key keeps its first
 * place and its last value), arrays, strings, numbers, true, false and
 * null. It fails, giving the offset (in UTF-16 code units) at fault, on
 * anything else, on trailing text, or nesting deeper than MAX_DEPTH.
 */
export function fromJSON(text: string): Result<SV, StructuredError> {
  const p = new JSONParser(text);
  const v = p.value(0);
  if (v != null) {
    p.space();
    if (p.i < text.length) return Result.err<SV, StructuredError>(new StructuredError("JSON: unexpected text after the value", p.i));
    return Result.ok<SV, StructuredError>(v);
  }
  return Result.err<SV, StructuredError>(p.err!);
}

class JSONParser {
  i: i32 = 0;
  err: StructuredError | null = null;

  constructor(public s: string) {}

  fail(reason: string): SV | null {
    if (this.err == null) this.err = new StructuredError("JSON: " + reason, this.i);
    return null;
  }

  space(): void {
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.i++;
    }
  }

  literal(word: string, v: SV): SV | null {
    if (this.s.substr(this.i, word.length) != word) return this.fail("invalid literal");
    this.i += word.length;
    return v;
  }

  value(depth: i32): SV | null {
    if (depth > MAX_DEPTH) return this.fail("nesting deeper than " + MAX_DEPTH.toString());
    this.space();
    if (this.i >= this.s.length) return this.fail("unexpected end of text");
    const c = this.s.charCodeAt(this.i);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const str = this.string();
      return str == null ? null : SV.string(str);
    }
    if (c == 0x74) return this.literal("true", SV.bool(true));
    if (c == 0x66) return this.literal("false", SV.bool(false));
    if (c == 0x6e) return this.literal("null", SV.null());
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail("unexpected character " + String.fromCharCode(c));
  }

  digits(): i32 {
    const start = this.i;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c < 0x30 || c > 0x39) break;
      this.i++;
    }
    return this.i - start;
  }

  number(): SV | null {
    const start = this.i;
    if (this.s.charCodeAt(this.i) == 0x2d) this.i++;
    const first = this.i;
    const n = this.digits();
    if (n == 0) return this.fail("a number needs digits");
    if (n > 1 && this.s.charCodeAt(first) == 0x30) {
      this.i = first;
      return this.fail("a number with a leading zero");
    }
    if (this.i < this.s.length && this.s.charCodeAt(this.i) == 0x2e) {
      this.i++;
      if (this.digits() == 0) return this.fail("a fraction needs digits");
    }
    if (this.i < this.s.length && (this.s.charCodeAt(this.i) | 0x20) == 0x65) {
      this.i++;
      if (this.i < this.s.length && (this.s.charCodeAt(this.i) == 0x2b || this.s.charCodeAt(this.i) == 0x2d)) this.i++;
      if (this.digits() == 0) return this.fail("an exponent needs digits");
    }
    return SV.number(parseFloat(this.s.substring(start, this.i)));
  }

  hex4(): i32 {
    if (this.i + 4 > this.s.length) return -1;
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.s.charCodeAt(this.i + k);
      let d = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x61 + 10;
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    this.i += 4;
    return v;
  }

  string(): string | null {
    this.i++; // the opening quote
    const parts = new Array<string>();
    let run = this.i;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c == 0x22) {
        parts.push(this.s.substring(run, this.i));
        this.i++;
        return parts.join("");
      }
      if (c < 0x20) {
        this.fail("a control character in a string");
        return null;
      }
      if (c != 0x5c) {
        this.i++;
        continue;
      }
      parts.push(this.s.substring(run, this.i));
      this.i++;
      if (this.i >= this.s.length) break;
      const e = this.s.charCodeAt(this.i);
      this.i++;
      switch (e) {
        case 0x22: parts.push("\""); break;
        case 0x5c: parts.push("\\"); break;
        case 0x2f: parts.push("/"); break;
        case 0x62: parts.push("\b"); break;
        case 0x66: parts.push("\f"); break;
        case 0x6e: parts.push("\n"); break;
        case 0x72: parts.push("\r"); break;
        case 0x74: parts.push("\t"); break;
        case 0x75: {
          const u = this.hex4();
          if (u < 0) {
            this.fail("a \\u escape needs 4 hex digits");
            return null;
          }
          parts.push(String.fromCharCode(u));
          break;
        }
        default:
          this.i--;
          this.fail("an invalid escape");
          return null;
      }
      run = this.i;
    }
    this.fail("an unterminated string");
    return null;
  }

  array(depth: i32): SV | null {
    this.i++;
    const a = SV.array();
    this.space();
    if (this.i < this.s.length && this.s.charCodeAt(this.i) == 0x5d) {
      this.i++;
      return a;
    }
    while (true) {
      const v = this.value(depth + 1);
      if (v == null) return null;
      a.push(v);
      this.space();
      if (this.i >= this.s.length) return this.fail("an unterminated array");
      const c = this.s.charCodeAt(this.i);
      this.i++;
      if (c == 0x5d) return a;
      if (c != 0x2c) {
        this.i--;
        return this.fail("expected , or ] in an array");
      }
    }
  }

  object(depth: i32): SV | null {
    this.i++;
    const o = SV.object();
    this.space();
    if (this.i < this.s.length && this.s.charCodeAt(this.i) == 0x7d) {
      this.i++;
      return o;
    }
    while (true) {
      this.space();
      if (this.i >= this.s.length || this.s.charCodeAt(this.i) != 0x22) return this.fail("expected a string key in an object");
      const k = this.string();
      if (k == null) return null;
      this.space();
      if (this.i >= this.s.length || this.s.charCodeAt(this.i) != 0x3a) return this.fail("expected : after an object key");
      this.i++;
      const v = this.value(depth + 1);
      if (v == null) return null;
      o.set(k, v);
      this.space();
      if (this.i >= this.s.length) return this.fail("an unterminated object");
      const c = this.s.charCodeAt(this.i);
      this.i++;
      if (c == 0x7d) return o;
      if (c != 0x2c) {
        this.i--;
        return this.fail("expected , or } in an object");
      }
    }
  }
}
