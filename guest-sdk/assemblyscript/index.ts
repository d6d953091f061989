// Bindery's AssemblyScript SDK: write a Worker as a fetch function.
//
//   import { Request, Response, Env, serve } from "<path to>/guest-sdk/assemblyscript";
//
//   function fetch(req: Request): Response {
//     return Response.text("hello from " + Env.var("GREETING")!);
//   }
//   serve(fetch);
//
// Build it with guest-sdk/assemblyscript/build.sh (see docs/sdk-assemblyscript.md).
//
// Errors: AssemblyScript has no catchable exceptions, so a call that can
// fail returns a BinderyError (null on success) or a Result (check isErr).
// A trap (abort, unreachable, a failed assert) ends the request with a 500
// and the host keeps serving.
//
// Concurrency: an instance serves one request at a time.

import "./abort";
import { writeLine } from "./abort";
import { Result, Tuple2 } from "./generated/cabi";
import * as vars from "./generated/config_vars";
import { setHandle } from "./generated/http_handler";
import { Fields, HttpError, Request as WitRequest, ResponseOutparam } from "./generated/http_types";
import { InputStream, OutputStream, StreamError } from "./generated/io_streams";
import { KvError, Namespace, PutOptions as KvPutOptions } from "./generated/kv_store";
import { Body as R2Body, Bucket, GetOptions, PutOptions as R2PutOptions, R2Error, R2Object } from "./generated/r2_bucket";

export { Result } from "./generated/cabi";
export { R2Object, HttpMetadata, Checksums } from "./generated/r2_bucket";
export { PutOptions as KVPutOptions } from "./generated/kv_store";
export { InputStream, OutputStream } from "./generated/io_streams";

/** CHUNK is how many bytes a body read asks for by default. */
export const CHUNK: i32 = 64 * 1024;

// ---- errors -----------------------------------------------------------------

/** ErrorCode says what kind of failure a BinderyError is. */
export enum ErrorCode {
  /** The config grants no binding of that name. */
  NoSuchBinding,
  /** An invalid key or argument (empty, too long, out of range). */
  Invalid,
  /** A value, object or metadata is over its limit. */
  TooLarge,
  /** An R2 onlyIf precondition failed. */
  Precondition,
  /** The client or the stream has gone away. */
  Closed,
  /** Anything else: see message. */
  Failed,
}

/** BinderyError is a failed call: its code and the host's message (which names the key and the limit). */
export class BinderyError {
  constructor(public code: ErrorCode, public message: string) {}

  toString(): string {
    return this.message;
  }
}

function kvError(e: KvError): BinderyError {
  switch (e.tag) {
    case KvError.NoSuchNamespace:
      return new BinderyError(ErrorCode.NoSuchBinding, e.noSuchNamespace!);
    case KvError.InvalidKey:
      return new BinderyError(ErrorCode.Invalid, e.invalidKey!);
    case KvError.InvalidArgument:
      return new BinderyError(ErrorCode.Invalid, e.invalidArgument!);
    case KvError.TooLarge:
      return new BinderyError(ErrorCode.TooLarge, e.tooLarge!);
  }
  return new BinderyError(ErrorCode.Failed, e.toString());
}

function r2Error(e: R2Error): BinderyError {
  let msg = e.toString();
  const colon = msg.indexOf(": ");
  if (colon >= 0) msg = msg.substring(colon + 2);
  switch (e.tag) {
    case R2Error.NoSuchBucket:
      return new BinderyError(ErrorCode.NoSuchBinding, msg);
    case R2Error.InvalidKey:
    case R2Error.InvalidArgument:
    case R2Error.InvalidRange:
    case R2Error.BadDigest:
      return new BinderyError(ErrorCode.Invalid, msg);
    case R2Error.MetadataTooLarge:
    case R2Error.EntityTooLarge:
      return new BinderyError(ErrorCode.TooLarge, msg);
  }
  return new BinderyError(ErrorCode.Failed, msg);
}

function streamError(e: StreamError): BinderyError {
  if (e.tag == StreamError.Closed) return new BinderyError(ErrorCode.Closed, "closed");
  return new BinderyError(ErrorCode.Failed, e.failed!);
}

function httpError(e: HttpError): BinderyError {
  if (e.tag == HttpError.Closed) return new BinderyError(ErrorCode.Closed, "closed");
  return new BinderyError(ErrorCode.Failed, e.toString());
}

// ---- logging ------------------------------------------------------------------

/** log writes a line to the Worker's stdout, which the host logs at info. */
export function log(message: string): void {
  writeLine(1, message);
}

// ---- headers --------------------------------------------------------------------

/** Headers are HTTP header fields in order; names compare without case. */
export class Headers {
  names: Array<string> = [];
  values: Array<string> = [];

  /** get returns the first value of name, or null. */
  get(name: string): string | null {
    const n = name.toLowerCase();
    for (let i = 0; i < this.names.length; i++) {
      if (this.names[i] == n) return this.values[i];
    }
    return null;
  }

  /** has says whether there is a field name. */
  has(name: string): bool {
    return this.get(name) != null;
  }

  /** append adds a field. */
  append(name: string, value: string): void {
    this.names.push(name.toLowerCase());
    this.values.push(value);
  }

  /** set replaces every field name with one. */
  set(name: string, value: string): void {
    this.delete(name);
    this.append(name, value);
  }

  /** delete removes every field name. */
  delete(name: string): void {
    const n = name.toLowerCase();
    for (let i = this.names.length - 1; i >= 0; i--) {
      if (this.names[i] == n) {
        this.names.splice(i, 1);
        this.values.splice(i, 1);
      }
    }
  }

  /** length is the number of fields. */
  get length(): i32 {
    return this.names.length;
  }

  fields(): Fields {
    const f = new Array<Tuple2<string, Uint8Array>>();
    for (let i = 0; i < this.names.length; i++) {
      f.push(new Tuple2<string, Uint8Array>(this.names[i], Uint8Array.wrap(String.UTF8.encode(this.values[i]))));
    }
    return f;
  }
}

// ---- bodies -----------------------------------------------------------------------

/**
 * Body is a host byte stream the Worker reads: a request body or an R2
 * object's body. Read it in chunks, all at once, or hand it on without
 * reading it (Response.stream, R2Bucket.putBody): then the bytes never enter
 * the Worker's memory.
 */
export class Body {
  private done: bool = false;

  constructor(private stream: InputStream | null) {}

  /** read returns up to max bytes, waiting for at least one; null at the end. */
  read(max: i32 = CHUNK): Uint8Array | null {
    const s = this.stream;
    if (s == null || this.done) return null;
    const r = s.read(<u32>max);
    if (r.isErr) {
      this.done = true; // closed (the end) or failed: either way no more bytes
      return null;
    }
    return r.value;
  }

  /** bytes reads the rest of the body. */
  bytes(): Uint8Array {
    const parts = new Array<Uint8Array>();
    let n = 0;
    for (;;) {
      const c = this.read();
      if (c == null) break;
      parts.push(c);
      n += c.length;
    }
    if (parts.length == 1) return parts[0];
    const all = new Uint8Array(n);
    let off = 0;
    for (let i = 0; i < parts.length; i++) {
      all.set(parts[i], off);
      off += parts[i].length;
    }
    return all;
  }

  /** text reads the rest of the body as UTF-8. */
  text(): string {
    const b = this.bytes();
    return String.UTF8.decodeUnsafe(b.dataStart, <usize>b.length);
  }

  /** take gives the stream away (its handle moves to the host); null if already taken. */
  take(): InputStream | null {
    const s = this.stream;
    this.stream = null;
    return s;
  }

  /** close releases the stream. */
  close(): void {
    const s = this.stream;
    if (s != null) s.drop();
    this.stream = null;
  }
}

/** BodyWriter writes a streamed response body: see Response.streaming. */
export class BodyWriter {
  constructor(private out: OutputStream) {}

  /** write sends bytes; it returns null, or the error (the client has gone). */
  write(b: Uint8Array): BinderyError | null {
    for (let off = 0; off < b.length; off += CHUNK) {
      const part = off == 0 && b.length <= CHUNK ? b : b.subarray(off, min(off + CHUNK, b.length));
      const e = this.out.write(part);
      if (e != null) return streamError(e);
    }
    return null;
  }

  /** writeString sends s as UTF-8. */
  writeString(s: string): BinderyError | null {
    return this.write(Uint8Array.wrap(String.UTF8.encode(s)));
  }

  /** splice sends the rest of body inside the host: the bytes never enter the Worker. */
  splice(body: Body): BinderyError | null {
    const s = body.take();
    if (s == null) return null;
    const all: u64 = 1 << 62;
    for (;;) {
      const r = this.out.splice(s, all);
      if (r.isErr) {
        s.drop();
        return r.error.tag == StreamError.Closed ? null : streamError(r.error);
      }
      if (r.value < all) break;
    }
    s.drop();
    return null;
  }

  /** flush sends what the host has buffered now. */
  flush(): BinderyError | null {
    const e = this.out.flush();
    return e == null ? null : streamError(e);
  }
}

/** BodyProducer writes a response body as it goes: subclass it and hold what produce needs. */
export abstract class BodyProducer {
  abstract produce(w: BodyWriter): void;
}

// ---- request and response -----------------------------------------------------

/** Request is the incoming request. */
export class Request {
  /** method is e.g. "GET". */
  method: string;
  /** url is the absolute URL, e.g. "http://127.0.0.1:8787/kv/a?x=1". */
  url: string;
  /** path is the URL's path, still %-escaped, e.g. "/kv/a". */
  path: string;
  /** query is the URL's query without "?", or "". */
  query: string;
  headers: Headers = new Headers();
  /** body is the request body, read as a stream. */
  body: Body;

  constructor(head: WitRequest, body: InputStream) {
    this.body = new Body(body);
    this.method = head.method;
    this.url = head.url;
    let p = head.url.indexOf("://");
    p = p < 0 ? 0 : head.url.indexOf("/", p + 3);
    const rest = p < 0 ? "/" : head.url.substring(p);
    const q = rest.indexOf("?");
    this.path = q < 0 ? rest : rest.substring(0, q);
    this.query = q < 0 ? "" : rest.substring(q + 1);
    for (let i = 0; i < head.headers.length; i++) {
      const f = head.headers[i];
      this.headers.append(f.f0, String.UTF8.decodeUnsafe(f.f1.dataStart, <usize>f.f1.length));
    }
  }

  /** text reads the whole body as UTF-8. */
  text(): string {
    return this.body.text();
  }

  /** bytes reads the whole body. */
  bytes(): Uint8Array {
    return this.body.bytes();
  }
}

/** Response is what a fetch function returns. */
export class Response {
  headers: Headers = new Headers();
  /** body is the whole body, when it is not streamed. */
  body: Uint8Array = new Uint8Array(0);
  /** stream, when set, is sent as the body inside the host (splice). */
  stream: Body | null = null;
  /** producer, when set, writes the body as it goes. */
  producer: BodyProducer | null = null;

  constructor(public status: u16 = 200) {}

  /** header adds a header field and returns the response. */
  header(name: string, value: string): Response {
    this.headers.append(name, value);
    return this;
  }

  /** text answers text/plain. */
  static text(s: string, status: u16 = 200): Response {
    const r = new Response(status).header("content-type", "text/plain; charset=utf-8");
    r.body = Uint8Array.wrap(String.UTF8.encode(s));
    return r;
  }

  /** json answers application/json; json is the JSON text. */
  static json(json: string, status: u16 = 200): Response {
    const r = Response.text(json, status);
    r.headers.set("content-type", "application/json");
    return r;
  }

  /** bytes answers application/octet-stream. */
  static bytes(b: Uint8Array, status: u16 = 200): Response {
    const r = new Response(status).header("content-type", "application/octet-stream");
    r.body = b;
    return r;
  }

  /** stream answers with body's bytes, moved inside the host (an R2 object, or the request body). */
  static stream(body: Body, status: u16 = 200): Response {
    const r = new Response(status);
    r.stream = body;
    return r;
  }

  /** streaming answers with what p writes, sent as it is written. */
  static streaming(p: BodyProducer, status: u16 = 200): Response {
    const r = new Response(status);
    r.producer = p;
    return r;
  }
}

/** quote returns s as a JSON string literal. */
export function quote(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c < 0x20) out += "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}

// ---- serving ----------------------------------------------------------------------

let handler: ((req: Request) => Response) | null = null;

/** serve makes fetch the Worker's fetch handler; call it at the top level of your entry file. */
export function serve(fetch: (req: Request) => Response): void {
  handler = fetch;
  setHandle(handle);
}

function handle(head: WitRequest, body: InputStream, out: ResponseOutparam): void {
  const req = new Request(head, body);
  const fetch = handler;
  const res = fetch != null ? fetch(req) : Response.text("no fetch function: call serve(fetch)\n", 500);
  send(res, out);
  req.body.close();
  out.drop();
}

function send(res: Response, out: ResponseOutparam): void {
  const stream = res.stream;
  const producer = res.producer;
  if (stream == null && producer == null) {
    const e = out.sendFull(res.status, res.headers.fields(), res.body);
    if (e != null) writeLine(2, "bindery: send response: " + e.toString());
    return;
  }
  const r = out.send(res.status, res.headers.fields());
  if (r.isErr) {
    writeLine(2, "bindery: send response: " + r.error.toString());
    if (stream != null) stream.close();
    return;
  }
  const os = r.value;
  const w = new BodyWriter(os);
  if (stream != null) {
    w.splice(stream);
    stream.close();
  } else if (producer != null) {
    producer.produce(w);
  }
  os.drop(); // ends the body
}

// ---- env: vars, secrets, KV, R2 ---------------------------------------------------

const kvOpened = new Map<string, KVNamespace>();
const r2Opened = new Map<string, R2Bucket>();

/** Env is the Worker's bindings, by their names in wrangler.toml. */
export class Env {
  /** var returns the variable or secret name (a JSON variable as its JSON text), or null. */
  static var(name: string): string | null {
    const v = vars.get(name);
    if (v == null) return null;
    switch (v.tag) {
      case vars.Value.Text:
        return v.text;
      case vars.Value.Json:
        return v.json;
    }
    return v.secret;
  }

  /** secret returns the secret name, or null (also for a plain variable). */
  static secret(name: string): string | null {
    const v = vars.get(name);
    if (v == null || v.tag != vars.Value.Secret) return null;
    return v.secret;
  }

  /** kv returns the KV namespace bound to name; a name the config does not grant fails on use. */
  static kv(name: string): KVNamespace {
    if (kvOpened.has(name)) return kvOpened.get(name);
    const ns = new KVNamespace(name);
    kvOpened.set(name, ns);
    return ns;
  }

  /** r2 returns the R2 bucket bound to name; a name the config does not grant fails on use. */
  static r2(name: string): R2Bucket {
    if (r2Opened.has(name)) return r2Opened.get(name);
    const b = new R2Bucket(name);
    r2Opened.set(name, b);
    return b;
  }
}

/** KVNamespace is a Workers KV namespace. */
export class KVNamespace {
  private ns: Namespace | null = null;

  constructor(public binding: string) {}

  private open(): Result<Namespace, BinderyError> {
    const ns = this.ns;
    if (ns != null) return Result.ok<Namespace, BinderyError>(ns);
    const r = Namespace.open(this.binding);
    if (r.isErr) return Result.err<Namespace, BinderyError>(kvError(r.error));
    this.ns = r.value;
    return Result.ok<Namespace, BinderyError>(r.value);
  }

  /** get returns the value of key, null (as value) when there is none. */
  get(key: string): Result<Uint8Array | null, BinderyError> {
    const ns = this.open();
    if (ns.isErr) return Result.err<Uint8Array | null, BinderyError>(ns.error);
    const r = ns.value.get(key);
    if (r.isErr) return Result.err<Uint8Array | null, BinderyError>(kvError(r.error));
    return Result.ok<Uint8Array | null, BinderyError>(r.value);
  }

  /** getText is get, decoded as UTF-8. */
  getText(key: string): Result<string | null, BinderyError> {
    const r = this.get(key);
    if (r.isErr) return Result.err<string | null, BinderyError>(r.error);
    const v = r.value;
    if (v == null) return Result.ok<string | null, BinderyError>(null);
    return Result.ok<string | null, BinderyError>(String.UTF8.decodeUnsafe(v.dataStart, <usize>v.length));
  }

  /** put stores value under key; options may set expiration, expirationTtl and metadata. */
  put(key: string, value: Uint8Array, options: KvPutOptions | null = null): BinderyError | null {
    const ns = this.open();
    if (ns.isErr) return ns.error;
    const e = ns.value.put(key, value, options != null ? options : new KvPutOptions());
    return e == null ? null : kvError(e);
  }

  /** putText stores s as UTF-8. */
  putText(key: string, s: string, options: KvPutOptions | null = null): BinderyError | null {
    return this.put(key, Uint8Array.wrap(String.UTF8.encode(s)), options);
  }

  /** delete deletes key; a missing key is not an error. */
  delete(key: string): BinderyError | null {
    const ns = this.open();
    if (ns.isErr) return ns.error;
    const e = ns.value.delete(key);
    return e == null ? null : kvError(e);
  }
}

/** R2ObjectBody is an object's metadata and its body. */
export class R2ObjectBody {
  constructor(public object: R2Object, public body: Body) {}
}

/** R2Bucket is an R2 bucket. */
export class R2Bucket {
  private b: Bucket | null = null;

  constructor(public binding: string) {}

  private open(): Result<Bucket, BinderyError> {
    const b = this.b;
    if (b != null) return Result.ok<Bucket, BinderyError>(b);
    const r = Bucket.open(this.binding);
    if (r.isErr) return Result.err<Bucket, BinderyError>(r2Error(r.error));
    this.b = r.value;
    return Result.ok<Bucket, BinderyError>(r.value);
  }

  private putValue(key: string, value: R2Body, options: R2PutOptions | null): Result<R2Object, BinderyError> {
    const b = this.open();
    if (b.isErr) {
      const s = value.stream;
      if (s != null) s.drop();
      return Result.err<R2Object, BinderyError>(b.error);
    }
    const r = b.value.put(key, value, options != null ? options : new R2PutOptions());
    if (r.isErr) return Result.err<R2Object, BinderyError>(r2Error(r.error));
    const obj = r.value;
    if (obj == null) return Result.err<R2Object, BinderyError>(new BinderyError(ErrorCode.Precondition, "precondition failed"));
    return Result.ok<R2Object, BinderyError>(obj);
  }

  /** put stores value under key and returns the stored object's metadata. */
  put(key: string, value: Uint8Array, options: R2PutOptions | null = null): Result<R2Object, BinderyError> {
    return this.putValue(key, R2Body.bytes(value), options);
  }

  /** putBody stores the rest of body (e.g. req.body) under key, streamed inside the host; the body is used up. */
  putBody(key: string, body: Body, options: R2PutOptions | null = null): Result<R2Object, BinderyError> {
    const s = body.take();
    if (s == null) return Result.err<R2Object, BinderyError>(new BinderyError(ErrorCode.Failed, "the body is used up"));
    return this.putValue(key, R2Body.stream(s), options);
  }

  /** get returns the object and its body, or null (as value) when there is none. */
  get(key: string, options: GetOptions | null = null): Result<R2ObjectBody | null, BinderyError> {
    const b = this.open();
    if (b.isErr) return Result.err<R2ObjectBody | null, BinderyError>(b.error);
    const r = b.value.get(key, options != null ? options : new GetOptions());
    if (r.isErr) return Result.err<R2ObjectBody | null, BinderyError>(r2Error(r.error));
    const ob = r.value;
    if (ob == null) return Result.ok<R2ObjectBody | null, BinderyError>(null);
    return Result.ok<R2ObjectBody | null, BinderyError>(new R2ObjectBody(ob.object, new Body(ob.body)));
  }

  /** head returns the object's metadata, or null (as value) when there is none. */
  head(key: string): Result<R2Object | null, BinderyError> {
    const b = this.open();
    if (b.isErr) return Result.err<R2Object | null, BinderyError>(b.error);
    const r = b.value.head(key);
    if (r.isErr) return Result.err<R2Object | null, BinderyError>(r2Error(r.error));
    return Result.ok<R2Object | null, BinderyError>(r.value);
  }

  /** delete deletes key; a missing key is not an error. */
  delete(key: string): BinderyError | null {
    const b = this.open();
    if (b.isErr) return b.error;
    const e = b.value.delete([key]);
    return e == null ? null : r2Error(e);
  }
}
