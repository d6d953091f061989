// Tests of structured.ts, compiled by build.sh --test into a module that
// test/structured_test.mjs runs under node: run checks every shared
// vector, selfTest what is particular to AssemblyScript. Each returns one
// line per failure and a last line "N checks, M failed".

import { SV, Kind, TypedKind, encode, decode, typedName } from "../structured";

let checks = 0;
let failures = new Array<string>();

function check(ok: bool, what: string): void {
  checks++;
  if (!ok) failures.push(what);
}

function report(): string {
  const out = failures.join("\n") + (failures.length > 0 ? "\n" : "") + checks.toString() + " checks, " + failures.length.toString() + " failed";
  checks = 0;
  failures = [];
  return out;
}

/**
 * run checks every vector of the shared file, given as JSON in which
 * structured_test.mjs has replaced every number of a "number" or "date"
 * value by the 16 hex digits of its float64 bits.
 */
export function run(vectors: string): string {
  const root = new JSONParser(vectors).parse();
  const list = root.field("vectors")!;
  for (let i = 0; i < list.items.length; i++) {
    const v = list.items[i];
    const name = v.field("name")!.s;
    const bytes = unhex(v.field("hex")!.s);
    const got = decode(bytes);
    const why = v.field("error");
    if (why != null) {
      check(got.isErr, name + ": decoded bytes it must refuse (" + why.s + ")");
      if (got.isErr) check(got.error.offset >= 0 && got.error.offset <= bytes.length, name + ": offset " + got.error.offset.toString());
      continue;
    }
    const want = fromJSON(v.field("value")!);
    if (got.isErr) {
      check(false, name + ": decode: " + got.error.message);
      continue;
    }
    check(got.value.equals(want), name + ": decoded " + got.value.toString() + ", want " + want.toString());
    const only = v.field("decodeOnly");
    if (only != null && only.b) continue;
    const enc = encode(want);
    if (enc.isErr) {
      check(false, name + ": encode: " + enc.error.message);
      continue;
    }
    check(hex(enc.value) == v.field("hex")!.s, name + ": encoded " + hex(enc.value));
  }
  for (let i = 0; i < list.items.length; i++) mutate(list.items[i].field("name")!.s, unhex(list.items[i].field("hex")!.s));
  return report();
}

const MUTATIONS: StaticArray<u8> = [0x00, 0x18, 0x1b, 0x5b, 0x80, 0x9b, 0xa1, 0xc3, 0xd8, 0xf9, 0xff];

/** mutate decodes b (a short vector) with each byte changed and cut short: no trap, and what decodes encodes and decodes the same. */
function mutate(name: string, b: Uint8Array): void {
  if (b.length > 64) return;
  for (let i = 0; i < b.length; i++) {
    const was = b[i];
    for (let j = 0; j <= MUTATIONS.length; j++) {
      b[i] = j < MUTATIONS.length ? MUTATIONS[j] : was ^ 1;
      const v = decode(b);
      if (v.isErr) continue;
      const again = encode(v.value);
      check(again.isOk && decode(again.value).value.equals(v.value), name + ": byte " + i.toString() + " = " + b[i].toString() + " does not round-trip");
    }
    b[i] = was;
    decode(b.subarray(0, i));
  }
}

/** selfTest checks the builders, the int rule and the errors' messages. */
export function selfTest(): string {
  // Builders; set replaces in place, as JavaScript assignment does.
  const o = SV.object().set("b", SV.int(1)).set("a", SV.string("x")).set("b", SV.int(2));
  expectHex(o, "d9d9f7a2616202616161" + "78", "object built with set");
  check(o.get("b")!.asNumber() == 2 && o.get("zz") == null && o.keyAt(1) == "a", "object readers");
  const m = SV.map().put(SV.int(1), SV.null()).put(SV.string("k"), SV.setOf([SV.bool(true)]));
  expectHex(m, "d9d9f7d90103a201f6616bd9010281f5", "Map and Set");
  expectHex(SV.array().push(SV.undefined()).push(SV.date(1500)), "d9d9f782f7c1fb3ff8000000000000", "array and Date");
  expectHex(SV.error("Nope", "m").withCause(SV.int(1)),
    "d9d9f7d81b82654572726f72a3646e616d65654572726f72676d657373616765616d65636175736501", "an Error's unknown name is Error");
  expectHex(SV.typed(TypedKind.Uint16, unhex("0100")), "d9d9f7d845420100", "typed array");
  check(typedName(TypedKind.BigInt64) == "BigInt64Array", "typedName");

  // Integers: numbers up to 2^53 − 1, bigints beyond.
  expectHex(SV.int(9007199254740991), "d9d9f71b001fffffffffffff", "int 2^53-1");
  expectHex(SV.int(9007199254740992), "d9d9f7c24720000000000000", "int 2^53");
  expectHex(SV.int(-9007199254740992), "d9d9f7c3471fffffffffffff", "int -2^53");
  expectHex(SV.int(i64.MIN_VALUE), "d9d9f7c3487fffffffffffffff", "int min i64");
  expectHex(SV.uint(u64.MAX_VALUE), "d9d9f7c248ffffffffffffffff", "uint max u64");
  const big = decode(unhex("d9d9f73bffffffffffffffff")).value;
  check(big.kind == Kind.BigInt && big.negative && hex(big.asBytes()) == "010000000000000000", "-2^64 decodes as a bigint");

  // Dates as TimeClip makes them.
  expectHexOnly(SV.date(8.64e15 + 1), "d9d9f7c1fb7ff8000000000000", "Date beyond 8.64e15 ms");
  expectHexOnly(SV.date(-Infinity), "d9d9f7c1fb7ff8000000000000", "Date -Infinity");
  expectHexOnly(SV.date(1500.7), "d9d9f7c1fb3ff8000000000000", "Date 1500.7 ms");
  expectHexOnly(SV.date(-0.5), "d9d9f7c1fbbf50624dd2f1a9fc", "Date -0.5 ms is -1");
  expectHexOnly(SV.date(-0.0), "d9d9f7c100", "Date -0");
  check(isNaN(decode(unhex("d9d9f7c1fb4415af1d78b58c40")).value.asNumber()), "Date 1e20 s is invalid");
  check(isNaN(decode(unhex("d9d9f7c1f97c00")).value.asNumber()), "Date Infinity is invalid");
  check(isNaN(decode(unhex("d9d9f7c11b0020000000000000")).value.asNumber()), "Date 2^53 s is invalid");

  // Encode names the value at fault.
  const lone = encode(SV.object().set("a", SV.array([SV.string("ok"), SV.string("b\uD800")])));
  check(lone.isErr && lone.error.message == "value.a[1]: string has a lone surrogate (not UTF-8)", "lone surrogate: " + (lone.isErr ? lone.error.message : "encoded"));
  const odd = encode(SV.typed(TypedKind.Float32, unhex("000000")));
  check(odd.isErr && odd.error.message == "value: typed array is not a whole number of elements", "typed array length");
  const cyc = SV.array();
  cyc.push(cyc);
  const c = encode(cyc);
  check(c.isErr && c.error.reason.startsWith("nesting deeper than 256"), "a cycle is refused");

  // Decode names the byte offset.
  const bad = decode(unhex("d9d9f782019fff"));
  check(bad.isErr && bad.error.message == "at byte 5: indefinite length", "decode offset: " + (bad.isErr ? bad.error.message : "decoded"));
  const none = decode(unhex("8201"));
  check(none.isErr && none.error.offset == 0, "no prefix at byte 0");

  // Decoded bytes are copies.
  const input = unhex("d9d9f7420102");
  const bytes = decode(input).value;
  input[4] = 9;
  check(bytes.asBytes()[0] == 1, "decoded bytes are a copy");
  return report();
}

/** expectHexOnly checks v's encoding, and not that it reads back the same. */
function expectHexOnly(v: SV, want: string, what: string): void {
  const r = encode(v);
  check(r.isOk && hex(r.value) == want, what + ": encoded " + (r.isOk ? hex(r.value) : r.error.message) + ", want " + want);
}

function expectHex(v: SV, want: string, what: string): void {
  const r = encode(v);
  if (r.isErr) {
    check(false, what + ": " + r.error.message);
    return;
  }
  check(hex(r.value) == want, what + ": encoded " + hex(r.value) + ", want " + want);
  const back = decode(r.value);
  check(back.isOk && back.value.equals(v), what + ": round trip");
}

/** fromJSON turns a vector's typed JSON value into an SV. */
function fromJSON(j: JSON): SV {
  const k = j.keys[0];
  const v = j.items[0];
  if (k == "undefined") return SV.undefined();
  if (k == "null") return SV.null();
  if (k == "bool") return SV.bool(v.b);
  if (k == "number") return SV.number(bitsOf(v.s));
  if (k == "date") return SV.date(bitsOf(v.s));
  if (k == "string") return SV.string(v.s);
  if (k == "bytes") return SV.bytes(unhex(v.s));
  if (k == "bigint") return bigintOf(v.s);
  if (k == "typed") {
    for (let t = 0; t <= <i32>TypedKind.Float64; t++) {
      if (typedName(<TypedKind>t) == v.s) return SV.typed(<TypedKind>t, unhex(j.field("bytes")!.s));
    }
    throw new Error("unknown typed array " + v.s);
  }
  if (k == "array" || k == "set") {
    const out = k == "array" ? SV.array() : SV.setOf();
    for (let i = 0; i < v.items.length; i++) out.push(fromJSON(v.items[i]));
    return out;
  }
  if (k == "object") {
    const out = SV.object();
    for (let i = 0; i < v.items.length; i++) out.set(v.items[i].items[0].s, fromJSON(v.items[i].items[1]));
    return out;
  }
  if (k == "map") {
    const out = SV.map();
    for (let i = 0; i < v.items.length; i++) out.put(fromJSON(v.items[i].items[0]), fromJSON(v.items[i].items[1]));
    return out;
  }
  if (k == "error") {
    const msg = v.field("message");
    const e = SV.error(v.field("name")!.s, msg != null ? msg.s : "");
    const stack = v.field("stack");
    if (stack != null) e.withStack(stack.s);
    const cause = v.field("cause");
    if (cause != null) e.withCause(fromJSON(cause));
    return e;
  }
  throw new Error("unknown vector value " + k);
  return SV.null();
}

function bitsOf(s: string): f64 {
  return reinterpret<f64>(U64.parseInt(s, 16));
}

/** bigintOf parses a decimal bigint ("-123"). */
function bigintOf(s: string): SV {
  const neg = s.startsWith("-");
  const digits = neg ? s.substring(1) : s;
  let le = new Array<u8>(); // little-endian while building
  for (let i = 0; i < digits.length; i++) {
    let carry = <u32>(digits.charCodeAt(i) - 48);
    for (let j = 0; j < le.length; j++) {
      const x = <u32>le[j] * 10 + carry;
      le[j] = <u8>x;
      carry = x >> 8;
    }
    if (carry != 0) le.push(<u8>carry);
  }
  const m = new Uint8Array(le.length);
  for (let i = 0; i < le.length; i++) m[i] = le[le.length - 1 - i];
  return SV.bigint(neg, m);
}

function unhex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = <u8>I32.parseInt(s.substring(2 * i, 2 * i + 2), 16);
  return out;
}

function hex(b: Uint8Array): string {
  let t = "";
  for (let i = 0; i < b.length; i++) t += (<u32>b[i] + 0x100).toString(16).substring(1);
  return t;
}

/** JSON is a parsed JSON value without numbers: a string, array, object (keys with items), bool or null. */
class JSON {
  s: string = "";
  b: bool = false;
  keys: Array<string> = [];
  items: Array<JSON> = [];

  field(name: string): JSON | null {
    const i = this.keys.indexOf(name);
    return i >= 0 ? this.items[i] : null;
  }
}

class JSONParser {
  i: i32 = 0;
  constructor(public t: string) {}

  parse(): JSON {
    this.space();
    const c = this.t.charAt(this.i);
    const out = new JSON();
    if (c == "{") {
      this.i++;
      this.space();
      if (this.t.charAt(this.i) == "}") {
        this.i++;
        return out;
      }
      while (true) {
        this.space();
        out.keys.push(this.str());
        this.space();
        this.expect(":");
        out.items.push(this.parse());
        this.space();
        if (this.t.charAt(this.i) == ",") {
          this.i++;
          continue;
        }
        this.expect("}");
        return out;
      }
    }
    if (c == "[") {
      this.i++;
      this.space();
      if (this.t.charAt(this.i) == "]") {
        this.i++;
        return out;
      }
      while (true) {
        out.items.push(this.parse());
        this.space();
        if (this.t.charAt(this.i) == ",") {
          this.i++;
          continue;
        }
        this.expect("]");
        return out;
      }
    }
    if (c == '"') {
      out.s = this.str();
      return out;
    }
    if (this.t.startsWith("true", this.i)) {
      this.i += 4;
      out.b = true;
      return out;
    }
    if (this.t.startsWith("false", this.i)) {
      this.i += 5;
      return out;
    }
    if (this.t.startsWith("null", this.i)) {
      this.i += 4;
      return out;
    }
    throw new Error("JSON: unexpected " + c + " at " + this.i.toString());
    return out;
  }

  space(): void {
    while (this.i < this.t.length) {
      const c = this.t.charCodeAt(this.i);
      if (c != 32 && c != 10 && c != 13 && c != 9) return;
      this.i++;
    }
  }

  expect(c: string): void {
    if (this.t.charAt(this.i) != c) throw new Error("JSON: want " + c + " at " + this.i.toString());
    this.i++;
  }

  str(): string {
    this.expect('"');
    let out = "";
    while (true) {
      const c = this.t.charAt(this.i++);
      if (c == '"') return out;
      if (c != "\\") {
        out += c;
        continue;
      }
      const e = this.t.charAt(this.i++);
      if (e == "n") out += "\n";
      else if (e == "t") out += "\t";
      else if (e == "r") out += "\r";
      else if (e == "b") out += "\b";
      else if (e == "f") out += "\f";
      else if (e == "u") {
        out += String.fromCharCode(I32.parseInt(this.t.substring(this.i, this.i + 4), 16));
        this.i += 4;
      } else out += e;
    }
  }
}
