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
//
// Failing a request: return Response.fail(reason) (or call fail on the
// BodyWriter of a streamed response): the host logs reason once and
// answers 500, or cuts a response that had started streaming, and the
// instance stays in service. A trap (abort, throw, unreachable, a failed
// assert) also fails the request, with abort's message in the log, but
// costs the instance: abort cannot return to the SDK (AssemblyScript
// follows every abort with unreachable), and the host logs a trap as its
// own record, so the message goes to stderr, which the host puts in it.
//
// D1: Env.d1(name) is a D1Database shaped like D1's JavaScript API
// (prepare, bind, all, first, run, raw, batch, exec, withSession); see
// the D1 section near the end of this file.
//
// Queues: Env.queue(name) is a queue producer (sendText, sendBytes,
// sendJson, sendValue, sendBatch; the Queues section at the end of this
// file); queue.ts defines the queue handler, scheduled.ts the scheduled
// (cron) handler.
//
// Strings: AssemblyScript strings are UTF-16 and may hold a lone surrogate,
// which UTF-8 cannot carry (the generated lowering would send U+FFFD, so
// "a\uD800" and "a\uDC00" would be the same key). The SDK refuses such a
// key, binding name, option, D1 SQL, bound text or bookmark with
// ErrorCode.Invalid before it reaches the host; Env.var and Env.secret
// find no variable by such a name.
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
import {
  Body as R2Body,
  Bucket,
  Checksums,
  Conditional,
  GetOptions,
  HttpMetadata,
  ListOptions,
  MultipartOptions,
  MultipartUpload,
  ObjectWriter,
  PartWriter,
  PutOptions,
  R2Error,
  R2Object as WitObject,
  Range,
  UploadedPart,
} from "./generated/r2_bucket";
import { Option } from "./generated/cabi";
import { QueueError, Queue as QueueHandle, SendRequest } from "./generated/queue_producer";
import { ContentType } from "./generated/queue_types";
import {
  D1Error,
  Database as D1Handle,
  ExecResult,
  Meta as WitMeta,
  QueryResult,
  Session as D1SessionHandle,
  Statement as WitStatement,
  Value as WitValue,
} from "./generated/d1_database";

export { Result } from "./generated/cabi";
export { Checksums } from "./generated/r2_bucket";
export { PutOptions as KVPutOptions } from "./generated/kv_store";
export { InputStream, OutputStream } from "./generated/io_streams";
export { ContentType as QueueContentType } from "./generated/queue_types";
import * as structured from "./structured";
export { structured };

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
  /** An R2 multipart upload was completed, aborted or never existed. */
  NoSuchUpload,
  /** An R2 part to complete is missing, has another etag, is out of order, or is too small (every part but the last at least 5 MiB, all the same size). */
  InvalidPart,
  /** An R2 range starts past the end of the object. */
  InvalidRange,
  /** SQLite refused or failed a D1 statement: a syntax error, a missing table, a constraint (D1_ERROR). */
  SQL,
  /** A D1 limit: more than 100 parameters, a statement over 100 KB, a value or row over 2 MB, more than 100 columns, the query time or the database size. */
  Limit,
  /** A D1 statement that would reach outside the database (ATTACH, VACUUM, a PRAGMA outside D1's list) or control transactions (BEGIN, COMMIT); a Durable Object call not allowed here (SQL on a KV-backed class, state outside an event, a call to another object in a transaction). */
  Refused,
  /** A Durable Object transaction used out of order (committed twice, or with one begun inside it still open). */
  Transaction,
  /** A Durable Object's RPC method threw: the error is an RpcError (durable.ts) with the thrown value. */
  Thrown,
  /** A Durable Object's event failed without an answer (a trap, its deadline, abort); its next event starts it afresh. */
  ObjectFailed,
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
    case R2Error.BadDigest:
      return new BinderyError(ErrorCode.Invalid, msg);
    case R2Error.InvalidRange:
      return new BinderyError(ErrorCode.InvalidRange, msg);
    case R2Error.MetadataTooLarge:
    case R2Error.EntityTooLarge:
      return new BinderyError(ErrorCode.TooLarge, msg);
    case R2Error.NoSuchUpload:
      return new BinderyError(ErrorCode.NoSuchUpload, msg);
    case R2Error.InvalidPart:
    case R2Error.InvalidPartOrder:
    case R2Error.EntityTooSmall:
      return new BinderyError(ErrorCode.InvalidPart, msg);
  }
  return new BinderyError(ErrorCode.Failed, msg);
}

function streamError(e: StreamError): BinderyError {
  if (e.tag == StreamError.Closed) return new BinderyError(ErrorCode.Closed, "closed");
  return new BinderyError(ErrorCode.Failed, e.failed!);
}

/** wellFormed says whether s holds no lone surrogate, so that UTF-8 can carry it. */
export function wellFormed(s: string): bool {
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

/** notWellFormed returns the Invalid error for s (what names it), or null when UTF-8 can carry s. */
function notWellFormed(what: string, s: string | null): BinderyError | null {
  if (s == null || wellFormed(s)) return null;
  return new BinderyError(ErrorCode.Invalid, what + " " + quote(s) + " is not well-formed Unicode (a lone surrogate), so it cannot be sent as UTF-8");
}

/** firstNotWellFormed is notWellFormed for each of ss. */
function firstNotWellFormed(what: string, ss: Array<string>): BinderyError | null {
  for (let i = 0; i < ss.length; i++) {
    const e = notWellFormed(what, ss[i]);
    if (e != null) return e;
  }
  return null;
}

/** MAX_REASON bounds what a failed request sends to the host's log (UTF-8 bytes). */
const MAX_REASON: i32 = 16 * 1024;

/** bounded cuts reason to MAX_REASON bytes of UTF-8 (a pair cut in two becomes U+FFFD). */
function bounded(reason: string): string {
  let s = reason;
  let n = s.length;
  while (String.UTF8.byteLength(s) > MAX_REASON) {
    n = min(n, MAX_REASON) - 1024;
    s = s.substring(0, n);
  }
  return s;
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

  /** read returns up to max bytes (at least 1), waiting for at least one; null at the end. */
  read(max: i32 = CHUNK): Uint8Array | null {
    const s = this.stream;
    if (s == null || this.done) return null;
    const r = s.read(<u32>(max < 1 ? 1 : max)); // a negative max must not wrap to 4 GiB
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
  private failed: bool = false;

  constructor(
    private out: OutputStream,
    private outparam: ResponseOutparam | null = null,
  ) {}

  /**
   * fail ends the request as failed after the head went out: the host logs
   * reason once (cut to 16 KiB) and cuts the connection, so that the client
   * sees a truncated body, never one that looks complete. "" fails without
   * a log record. Later writes return ErrorCode.Closed; produce should return.
   */
  fail(reason: string): void {
    const o = this.outparam;
    if (this.failed || o == null) return;
    this.failed = true;
    o.fail(bounded(reason));
  }

  /** write sends bytes; it returns null, or the error (the client has gone). */
  write(b: Uint8Array): BinderyError | null {
    if (this.failed) return new BinderyError(ErrorCode.Closed, "the response failed");
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
    if (this.failed) return new BinderyError(ErrorCode.Closed, "the response failed");
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
  /** failure, when set, fails the request instead (see Response.fail). */
  failure: string | null = null;
  /** forward, when set, answers the request itself (a Durable Object's web socket: see durable.ts); the rest is ignored. */
  forward: ResponseForwarder | null = null;

  constructor(public status: u16 = 200) {}

  /**
   * fail fails the request (an error the Worker cannot answer; AssemblyScript
   * has no exceptions to throw): the host logs reason once, with the request
   * (cut to 16 KiB), and answers 500 without it; the instance stays in
   * service. "" fails without a log record. To fail a response that is
   * already streaming, call fail on its BodyWriter.
   */
  static fail(reason: string): Response {
    const r = new Response(500);
    r.failure = reason;
    return r;
  }

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

/**
 * ResponseForwarder answers a request through its response-outparam in
 * place of a Response's status, headers and body: what durable.ts's
 * StubResponse.toResponse sets to join the client to a Durable Object's
 * web socket.
 */
export abstract class ResponseForwarder {
  /** forward answers through out, which it uses up. */
  abstract forward(out: ResponseOutparam): void;
}

/** quote returns s as a JSON string literal. */
export function quote(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c < 0x20) out += "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
    else if (c >= 0xd800 && c <= 0xdfff && !wellFormed(s.substring(c <= 0xdbff ? i : i - 1, c <= 0xdbff ? i + 2 : i + 1))) out += "\\u" + c.toString(16);
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

/**
 * sendResponse answers a request with res through out (for durable.ts,
 * which serves a Durable Object's requests as serve does a Worker's);
 * the caller drops out afterwards.
 */
export function sendResponse(res: Response, out: ResponseOutparam): void {
  send(res, out);
}

function send(res: Response, out: ResponseOutparam): void {
  const fwd = res.forward;
  if (fwd != null) {
    fwd.forward(out);
    const s = res.stream;
    if (s != null) s.close();
    return;
  }
  const stream = res.stream;
  const producer = res.producer;
  const failure = res.failure;
  if (failure != null) {
    out.fail(bounded(failure));
    if (stream != null) stream.close();
    return;
  }
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
  const w = new BodyWriter(os, out);
  if (stream != null) {
    w.splice(stream);
    stream.close();
  } else if (producer != null) {
    producer.produce(w);
  }
  os.drop(); // ends the body
}

// ---- env: vars, secrets, KV, R2, D1 -----------------------------------------------

const kvOpened = new Map<string, KVNamespace>();
const r2Opened = new Map<string, R2Bucket>();
const d1Opened = new Map<string, D1Database>();
const queueOpened = new Map<string, Queue>();

/** Env is the Worker's bindings, by their names in wrangler.toml. */
export class Env {
  /** var returns the variable or secret name (a JSON variable as its JSON text), or null. */
  static var(name: string): string | null {
    if (!wellFormed(name)) return null; // no variable has a name UTF-8 cannot carry
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
    if (!wellFormed(name)) return null;
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

  /** d1 returns the D1 database bound to name; a name the config does not grant fails on use. */
  static d1(name: string): D1Database {
    if (d1Opened.has(name)) return d1Opened.get(name);
    const db = new D1Database(name);
    d1Opened.set(name, db);
    return db;
  }

  /** queue returns the queue producer bound to name; a name the config does not grant fails on use. */
  static queue(name: string): Queue {
    if (queueOpened.has(name)) return queueOpened.get(name);
    const q = new Queue(name);
    queueOpened.set(name, q);
    return q;
  }
}

/** KVNamespace is a Workers KV namespace. */
export class KVNamespace {
  private ns: Namespace | null = null;

  constructor(public binding: string) {}

  private open(): Result<Namespace, BinderyError> {
    const ns = this.ns;
    if (ns != null) return Result.ok<Namespace, BinderyError>(ns);
    const bad = notWellFormed("kv: binding name", this.binding);
    if (bad != null) return Result.err<Namespace, BinderyError>(bad);
    const r = Namespace.open(this.binding);
    if (r.isErr) return Result.err<Namespace, BinderyError>(kvError(r.error));
    this.ns = r.value;
    return Result.ok<Namespace, BinderyError>(r.value);
  }

  /** get returns the value of key, null (as value) when there is none. */
  get(key: string): Result<Uint8Array | null, BinderyError> {
    const ns = this.open();
    if (ns.isErr) return Result.err<Uint8Array | null, BinderyError>(ns.error);
    const bad = notWellFormed("kv: key", key);
    if (bad != null) return Result.err<Uint8Array | null, BinderyError>(bad);
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
    const bad = notWellFormed("kv: key", key);
    if (bad != null) return bad;
    if (options != null) {
      const badMeta = notWellFormed("kv: metadata", options.metadata);
      if (badMeta != null) return badMeta;
    }
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
    const bad = notWellFormed("kv: key", key);
    if (bad != null) return bad;
    const e = ns.value.delete(key);
    return e == null ? null : kvError(e);
  }
}

// ---- R2 ---------------------------------------------------------------------------
//
// The Workers R2 API (docs/r2.md) in AssemblyScript's idiom: options are
// classes with nullable fields (null or 0 = not set), times are
// milliseconds since the Unix epoch, custom metadata is a Map.

function optU64(v: u64): Option<u64> {
  return v != 0 ? Option.some<u64>(v) : new Option<u64>();
}

/** R2HTTPMetadata is the HTTP headers stored with an object. */
export class R2HTTPMetadata {
  contentType: string | null = null;
  contentLanguage: string | null = null;
  contentDisposition: string | null = null;
  contentEncoding: string | null = null;
  cacheControl: string | null = null;
  /** cacheExpiry is the Expires header in milliseconds since the Unix epoch; 0 = not set. */
  cacheExpiry: u64 = 0;

  static from(h: HttpMetadata): R2HTTPMetadata {
    const m = new R2HTTPMetadata();
    m.contentType = h.contentType;
    m.contentLanguage = h.contentLanguage;
    m.contentDisposition = h.contentDisposition;
    m.contentEncoding = h.contentEncoding;
    m.cacheControl = h.cacheControl;
    m.cacheExpiry = h.cacheExpiry.isSome ? h.cacheExpiry.value : 0;
    return m;
  }

  wit(): HttpMetadata {
    const h = new HttpMetadata();
    h.contentType = this.contentType;
    h.contentLanguage = this.contentLanguage;
    h.contentDisposition = this.contentDisposition;
    h.contentEncoding = this.contentEncoding;
    h.cacheControl = this.cacheControl;
    h.cacheExpiry = optU64(this.cacheExpiry);
    return h;
  }

  /** write sets the stored headers on h (Content-Type, ..., Expires as milliseconds are not formatted: see cacheExpiry), as R2's writeHttpMetadata does. */
  write(h: Headers): void {
    if (this.contentType != null) h.set("content-type", this.contentType!);
    if (this.contentLanguage != null) h.set("content-language", this.contentLanguage!);
    if (this.contentDisposition != null) h.set("content-disposition", this.contentDisposition!);
    if (this.contentEncoding != null) h.set("content-encoding", this.contentEncoding!);
    if (this.cacheControl != null) h.set("cache-control", this.cacheControl!);
  }
}

/** R2Range selects bytes: the last suffix bytes when suffix > 0, else length bytes from offset (to the end when length is 0). */
export class R2Range {
  offset: u64 = 0;
  length: u64 = 0;
  suffix: u64 = 0;

  /** bytes selects length bytes from offset (to the end when length is 0). */
  static bytes(offset: u64, length: u64 = 0): R2Range {
    const r = new R2Range();
    r.offset = offset;
    r.length = length;
    return r;
  }

  /** last selects the last n bytes. */
  static last(n: u64): R2Range {
    const r = new R2Range();
    r.suffix = n;
    return r;
  }

  wit(): Range {
    const r = new Range();
    if (this.suffix > 0) {
      r.suffix = Option.some<u64>(this.suffix);
    } else {
      r.offset = Option.some<u64>(this.offset);
      r.length = optU64(this.length);
    }
    return r;
  }
}

/**
 * R2Conditional is R2's onlyIf, evaluated in HTTP's order (etagMatches,
 * else uploadedBefore; then etagDoesNotMatch, else uploadedAfter). Etags
 * are unquoted; "*" matches any object.
 */
export class R2Conditional {
  etagMatches: Array<string> = [];
  etagDoesNotMatch: Array<string> = [];
  /** uploadedBefore in milliseconds since the Unix epoch; 0 = not checked. */
  uploadedBefore: u64 = 0;
  uploadedAfter: u64 = 0;
  secondsGranularity: bool = false;

  /** etagMatches returns a conditional that holds when the object's etag is etag. */
  static etagMatches(etag: string): R2Conditional {
    const c = new R2Conditional();
    c.etagMatches = [etag];
    return c;
  }

  /** etagDoesNotMatch returns a conditional that holds when the object's etag is not etag. */
  static etagDoesNotMatch(etag: string): R2Conditional {
    const c = new R2Conditional();
    c.etagDoesNotMatch = [etag];
    return c;
  }

  wit(): Conditional {
    const c = new Conditional();
    c.etagMatches = this.etagMatches;
    c.etagDoesNotMatch = this.etagDoesNotMatch;
    c.uploadedBefore = optU64(this.uploadedBefore);
    c.uploadedAfter = optU64(this.uploadedAfter);
    c.secondsGranularity = this.secondsGranularity;
    return c;
  }
}

/** R2Object is an object's metadata. */
export class R2Object {
  key: string = "";
  version: string = "";
  size: u64 = 0;
  /** etag is the hex md5 without quotes (multipart: md5-of-md5s "-" parts). */
  etag: string = "";
  /** uploaded is the upload time in milliseconds since the Unix epoch. */
  uploaded: u64 = 0;
  httpMetadata: R2HTTPMetadata = new R2HTTPMetadata();
  customMetadata: Map<string, string> = new Map<string, string>();
  checksums: Checksums = new Checksums();
  storageClass: string = "";
  /** range is the bytes a ranged get's body holds, else null. */
  range: R2Range | null = null;

  /** httpEtag is the etag quoted, for an ETag header. */
  get httpEtag(): string {
    return "\"" + this.etag + "\"";
  }

  /** writeHttpMetadata sets the object's stored HTTP headers on h. */
  writeHttpMetadata(h: Headers): void {
    this.httpMetadata.write(h);
  }

  static from(o: WitObject): R2Object {
    const r = new R2Object();
    r.key = o.key;
    r.version = o.version;
    r.size = o.size;
    r.etag = o.etag;
    r.uploaded = o.uploaded;
    r.httpMetadata = R2HTTPMetadata.from(o.httpMetadata);
    for (let i = 0; i < o.customMetadata.length; i++) {
      r.customMetadata.set(o.customMetadata[i].f0, o.customMetadata[i].f1);
    }
    r.checksums = o.checksums;
    r.storageClass = o.storageClass;
    const wr = o.range;
    if (wr != null) {
      const rr = new R2Range();
      rr.offset = wr.offset.isSome ? wr.offset.value : 0;
      rr.length = wr.length.isSome ? wr.length.value : 0;
      rr.suffix = wr.suffix.isSome ? wr.suffix.value : 0;
      r.range = rr;
    }
    return r;
  }
}

/** R2ObjectBody is an object's metadata and its body. */
export class R2ObjectBody {
  constructor(
    public object: R2Object,
    /** body is the object's bytes; empty when onlyIf failed (see hasBody). */
    public body: Body,
    /** hasBody is false when the get's onlyIf failed: answer 304 or 412. */
    public hasBody: bool = true,
  ) {}
}

/** R2GetOptions are the options of a get. */
export class R2GetOptions {
  /** onlyIf failing returns the object without a body (hasBody false). */
  onlyIf: R2Conditional | null = null;
  range: R2Range | null = null;
}

// The checks of strings R2 options carry (see wellFormed): null when UTF-8 can carry them all.

function httpNotWellFormed(h: R2HTTPMetadata | null): BinderyError | null {
  if (h == null) return null;
  let e = notWellFormed("r2: content type", h.contentType);
  if (e == null) e = notWellFormed("r2: content language", h.contentLanguage);
  if (e == null) e = notWellFormed("r2: content disposition", h.contentDisposition);
  if (e == null) e = notWellFormed("r2: content encoding", h.contentEncoding);
  if (e == null) e = notWellFormed("r2: cache control", h.cacheControl);
  return e;
}

function customNotWellFormed(m: Map<string, string> | null): BinderyError | null {
  if (m == null) return null;
  const keys = m.keys();
  for (let i = 0; i < keys.length; i++) {
    let e = notWellFormed("r2: custom metadata key", keys[i]);
    if (e == null) e = notWellFormed("r2: custom metadata value", m.get(keys[i]));
    if (e != null) return e;
  }
  return null;
}

function conditionalNotWellFormed(c: R2Conditional | null): BinderyError | null {
  if (c == null) return null;
  const e = firstNotWellFormed("r2: etag", c.etagMatches);
  return e != null ? e : firstNotWellFormed("r2: etag", c.etagDoesNotMatch);
}

function putNotWellFormed(key: string, o: R2PutOptions | null): BinderyError | null {
  let e = notWellFormed("r2: key", key);
  if (e != null || o == null) return e;
  e = httpNotWellFormed(o.httpMetadata);
  if (e == null) e = customNotWellFormed(o.customMetadata);
  if (e == null) e = conditionalNotWellFormed(o.onlyIf);
  if (e == null) e = notWellFormed("r2: storage class", o.storageClass);
  return e;
}

function pairs(m: Map<string, string> | null): Array<Tuple2<string, string>> {
  const out = new Array<Tuple2<string, string>>();
  if (m == null) return out;
  const keys = m.keys().sort();
  for (let i = 0; i < keys.length; i++) out.push(new Tuple2<string, string>(keys[i], m.get(keys[i])));
  return out;
}

/** R2PutOptions are the options of a put. */
export class R2PutOptions {
  httpMetadata: R2HTTPMetadata | null = null;
  customMetadata: Map<string, string> | null = null;
  /** checksums the bytes must have (md5 and at most one SHA); a mismatch fails with ErrorCode.Invalid and stores nothing. */
  checksums: Checksums | null = null;
  /** onlyIf failing fails the put with ErrorCode.Precondition and stores nothing. */
  onlyIf: R2Conditional | null = null;
  storageClass: string | null = null;

  wit(): PutOptions {
    const o = new PutOptions();
    const h = this.httpMetadata;
    if (h != null) o.httpMetadata = h.wit();
    o.customMetadata = pairs(this.customMetadata);
    const c = this.checksums;
    if (c != null) o.checksums = c;
    const oi = this.onlyIf;
    if (oi != null) o.onlyIf = oi.wit();
    o.storageClass = this.storageClass;
    return o;
  }
}

/** R2ListOptions are the options of a list. */
export class R2ListOptions {
  /** limit is the page size, 1 to 1000; 0 = 1000. */
  limit: u32 = 0;
  prefix: string | null = null;
  /** cursor is the previous page's cursor. */
  cursor: string | null = null;
  delimiter: string | null = null;
  startAfter: string | null = null;
  /** include fills these fields of the listed objects: "httpMetadata", "customMetadata". */
  include: Array<string> = [];
}

/** R2Objects is one page of a list: loop while truncated, passing cursor. */
export class R2Objects {
  objects: Array<R2Object> = [];
  truncated: bool = false;
  cursor: string | null = null;
  delimitedPrefixes: Array<string> = [];
}

/** R2MultipartOptions apply to the object a multipart upload makes. */
export class R2MultipartOptions {
  httpMetadata: R2HTTPMetadata | null = null;
  customMetadata: Map<string, string> | null = null;
  storageClass: string | null = null;
}

/** R2UploadedPart identifies a stored part for complete. */
export class R2UploadedPart {
  constructor(
    public partNumber: u32,
    public etag: string,
  ) {}
}

function partResult(r: Result<UploadedPart, R2Error>): Result<R2UploadedPart, BinderyError> {
  if (r.isErr) return Result.err<R2UploadedPart, BinderyError>(r2Error(r.error));
  return Result.ok<R2UploadedPart, BinderyError>(new R2UploadedPart(r.value.partNumber, r.value.etag));
}

/** R2ObjectWriter is a put whose bytes the Worker writes piece by piece: write, then finish (or abort). */
export class R2ObjectWriter {
  constructor(private w: ObjectWriter) {}

  /** write appends bytes to the object. */
  write(b: Uint8Array): BinderyError | null {
    const e = this.w.write(b);
    return e == null ? null : r2Error(e);
  }

  /** finish stores the object; onlyIf failing is ErrorCode.Precondition. */
  finish(): Result<R2Object, BinderyError> {
    const r = this.w.finish();
    this.w.drop();
    if (r.isErr) return Result.err<R2Object, BinderyError>(r2Error(r.error));
    const obj = r.value;
    if (obj == null) return Result.err<R2Object, BinderyError>(new BinderyError(ErrorCode.Precondition, "precondition failed"));
    return Result.ok<R2Object, BinderyError>(R2Object.from(obj));
  }

  /** abort abandons the put. */
  abort(): void {
    this.w.drop();
  }
}

/** R2PartWriter is a part whose bytes the Worker writes piece by piece: write, then finish (or abort). */
export class R2PartWriter {
  constructor(private w: PartWriter) {}

  /** write appends bytes to the part. */
  write(b: Uint8Array): BinderyError | null {
    const e = this.w.write(b);
    return e == null ? null : r2Error(e);
  }

  /** finish stores the part. */
  finish(): Result<R2UploadedPart, BinderyError> {
    const r = this.w.finish();
    this.w.drop();
    return partResult(r);
  }

  /** abort abandons the part. */
  abort(): void {
    this.w.drop();
  }
}

/**
 * R2MultipartUpload is an incomplete multipart upload. Keep uploadId to
 * resume it in a later request (R2Bucket.resumeMultipartUpload); close
 * releases the handle (the upload stays until complete or abort).
 */
export class R2MultipartUpload {
  constructor(
    public key: string,
    public uploadId: string,
    private u: MultipartUpload,
  ) {}

  /** uploadPart stores bytes as part n (1 to 10000), replacing an earlier one. */
  uploadPart(n: u32, value: Uint8Array): Result<R2UploadedPart, BinderyError> {
    return partResult(this.u.uploadPart(n, R2Body.bytes(value)));
  }

  /** uploadPartBody stores the rest of body (e.g. req.body) as part n, streamed inside the host; the body is used up. */
  uploadPartBody(n: u32, body: Body): Result<R2UploadedPart, BinderyError> {
    const s = body.take();
    if (s == null) return Result.err<R2UploadedPart, BinderyError>(new BinderyError(ErrorCode.Failed, "the body is used up"));
    return partResult(this.u.uploadPart(n, R2Body.stream(s)));
  }

  /** partWriter starts part n, whose bytes the Worker writes piece by piece. */
  partWriter(n: u32): Result<R2PartWriter, BinderyError> {
    const r = this.u.partWriter(n);
    if (r.isErr) return Result.err<R2PartWriter, BinderyError>(r2Error(r.error));
    return Result.ok<R2PartWriter, BinderyError>(new R2PartWriter(r.value));
  }

  /** complete joins the parts (in ascending order of part number) into the object. */
  complete(parts: Array<R2UploadedPart>): Result<R2Object, BinderyError> {
    const ps = new Array<UploadedPart>();
    for (let i = 0; i < parts.length; i++) {
      const bad = notWellFormed("r2: part etag", parts[i].etag);
      if (bad != null) return Result.err<R2Object, BinderyError>(new BinderyError(ErrorCode.InvalidPart, bad.message));
      const p = new UploadedPart();
      p.partNumber = parts[i].partNumber;
      p.etag = parts[i].etag;
      ps.push(p);
    }
    const r = this.u.complete(ps);
    if (r.isErr) return Result.err<R2Object, BinderyError>(r2Error(r.error));
    return Result.ok<R2Object, BinderyError>(R2Object.from(r.value));
  }

  /** abort discards the upload and its parts. */
  abort(): BinderyError | null {
    const e = this.u.abort();
    return e == null ? null : r2Error(e);
  }

  /** close releases the handle; the upload itself stays as it is. */
  close(): void {
    this.u.drop();
  }
}

/** R2Bucket is an R2 bucket. */
export class R2Bucket {
  private b: Bucket | null = null;

  constructor(public binding: string) {}

  private open(): Result<Bucket, BinderyError> {
    const b = this.b;
    if (b != null) return Result.ok<Bucket, BinderyError>(b);
    const bad = notWellFormed("r2: binding name", this.binding);
    if (bad != null) return Result.err<Bucket, BinderyError>(bad);
    const r = Bucket.open(this.binding);
    if (r.isErr) return Result.err<Bucket, BinderyError>(r2Error(r.error));
    this.b = r.value;
    return Result.ok<Bucket, BinderyError>(r.value);
  }

  private putValue(key: string, value: R2Body, options: R2PutOptions | null): Result<R2Object, BinderyError> {
    const b = this.open();
    const err: BinderyError | null = b.isErr ? b.error : putNotWellFormed(key, options);
    if (err != null) {
      const s = value.stream;
      if (s != null) s.drop();
      return Result.err<R2Object, BinderyError>(err);
    }
    const r = b.value.put(key, value, options != null ? options.wit() : new PutOptions());
    if (r.isErr) return Result.err<R2Object, BinderyError>(r2Error(r.error));
    const obj = r.value;
    if (obj == null) return Result.err<R2Object, BinderyError>(new BinderyError(ErrorCode.Precondition, "precondition failed"));
    return Result.ok<R2Object, BinderyError>(R2Object.from(obj));
  }

  /** put stores value under key and returns the stored object's metadata; onlyIf failing is ErrorCode.Precondition. */
  put(key: string, value: Uint8Array, options: R2PutOptions | null = null): Result<R2Object, BinderyError> {
    return this.putValue(key, R2Body.bytes(value), options);
  }

  /** putText stores s as UTF-8. */
  putText(key: string, s: string, options: R2PutOptions | null = null): Result<R2Object, BinderyError> {
    return this.put(key, Uint8Array.wrap(String.UTF8.encode(s)), options);
  }

  /** putBody stores the rest of body (e.g. req.body) under key, streamed inside the host; the body is used up. */
  putBody(key: string, body: Body, options: R2PutOptions | null = null): Result<R2Object, BinderyError> {
    const s = body.take();
    if (s == null) return Result.err<R2Object, BinderyError>(new BinderyError(ErrorCode.Failed, "the body is used up"));
    return this.putValue(key, R2Body.stream(s), options);
  }

  /** writer starts a put whose bytes the Worker writes piece by piece. */
  writer(key: string, options: R2PutOptions | null = null): Result<R2ObjectWriter, BinderyError> {
    const b = this.open();
    if (b.isErr) return Result.err<R2ObjectWriter, BinderyError>(b.error);
    const bad = putNotWellFormed(key, options);
    if (bad != null) return Result.err<R2ObjectWriter, BinderyError>(bad);
    const r = b.value.putWriter(key, options != null ? options.wit() : new PutOptions());
    if (r.isErr) return Result.err<R2ObjectWriter, BinderyError>(r2Error(r.error));
    return Result.ok<R2ObjectWriter, BinderyError>(new R2ObjectWriter(r.value));
  }

  /** get returns the object and its body, or null (as value) when there is none. When options.onlyIf fails, hasBody is false. */
  get(key: string, options: R2GetOptions | null = null): Result<R2ObjectBody | null, BinderyError> {
    const b = this.open();
    if (b.isErr) return Result.err<R2ObjectBody | null, BinderyError>(b.error);
    let bad = notWellFormed("r2: key", key);
    if (bad == null && options != null) bad = conditionalNotWellFormed(options.onlyIf);
    if (bad != null) return Result.err<R2ObjectBody | null, BinderyError>(bad);
    const o = new GetOptions();
    if (options != null) {
      const oi = options.onlyIf;
      if (oi != null) o.onlyIf = oi.wit();
      const rg = options.range;
      if (rg != null) o.range = rg.wit();
    }
    const r = b.value.get(key, o);
    if (r.isErr) return Result.err<R2ObjectBody | null, BinderyError>(r2Error(r.error));
    const ob = r.value;
    if (ob == null) return Result.ok<R2ObjectBody | null, BinderyError>(null);
    return Result.ok<R2ObjectBody | null, BinderyError>(new R2ObjectBody(R2Object.from(ob.object), new Body(ob.body), ob.body != null));
  }

  /** head returns the object's metadata, or null (as value) when there is none. */
  head(key: string): Result<R2Object | null, BinderyError> {
    const b = this.open();
    if (b.isErr) return Result.err<R2Object | null, BinderyError>(b.error);
    const bad = notWellFormed("r2: key", key);
    if (bad != null) return Result.err<R2Object | null, BinderyError>(bad);
    const r = b.value.head(key);
    if (r.isErr) return Result.err<R2Object | null, BinderyError>(r2Error(r.error));
    const o = r.value;
    return Result.ok<R2Object | null, BinderyError>(o != null ? R2Object.from(o) : null);
  }

  /** delete deletes key; a missing key is not an error. */
  delete(key: string): BinderyError | null {
    return this.deleteMany([key]);
  }

  /** deleteMany deletes up to 1000 keys in one call; missing keys are not an error. */
  deleteMany(keys: Array<string>): BinderyError | null {
    const b = this.open();
    if (b.isErr) return b.error;
    const bad = firstNotWellFormed("r2: key", keys);
    if (bad != null) return bad;
    const e = b.value.delete(keys);
    return e == null ? null : r2Error(e);
  }

  /** list returns one page of objects in key order. */
  list(options: R2ListOptions | null = null): Result<R2Objects, BinderyError> {
    const b = this.open();
    if (b.isErr) return Result.err<R2Objects, BinderyError>(b.error);
    const o = new ListOptions();
    if (options != null) {
      let bad = notWellFormed("r2: list prefix", options.prefix);
      if (bad == null) bad = notWellFormed("r2: list cursor", options.cursor);
      if (bad == null) bad = notWellFormed("r2: list delimiter", options.delimiter);
      if (bad == null) bad = notWellFormed("r2: list startAfter", options.startAfter);
      if (bad != null) return Result.err<R2Objects, BinderyError>(bad);
      if (options.limit != 0) o.limit = Option.some<u32>(options.limit);
      o.prefix = options.prefix;
      o.cursor = options.cursor;
      o.delimiter = options.delimiter;
      o.startAfter = options.startAfter;
      for (let i = 0; i < options.include.length; i++) {
        const inc = options.include[i];
        if (inc == "httpMetadata") o.includeHttpMetadata = true;
        else if (inc == "customMetadata") o.includeCustomMetadata = true;
        else return Result.err<R2Objects, BinderyError>(new BinderyError(ErrorCode.Invalid, "list include " + quote(inc) + " is not httpMetadata or customMetadata"));
      }
    }
    const r = b.value.listObjects(o);
    if (r.isErr) return Result.err<R2Objects, BinderyError>(r2Error(r.error));
    const out = new R2Objects();
    const lr = r.value;
    for (let i = 0; i < lr.objects.length; i++) out.objects.push(R2Object.from(lr.objects[i]));
    out.truncated = lr.truncated;
    out.cursor = lr.cursor;
    out.delimitedPrefixes = lr.delimitedPrefixes;
    return Result.ok<R2Objects, BinderyError>(out);
  }

  /** createMultipartUpload starts a multipart upload of key. */
  createMultipartUpload(key: string, options: R2MultipartOptions | null = null): Result<R2MultipartUpload, BinderyError> {
    const b = this.open();
    if (b.isErr) return Result.err<R2MultipartUpload, BinderyError>(b.error);
    let bad = notWellFormed("r2: key", key);
    if (bad == null && options != null) {
      bad = httpNotWellFormed(options.httpMetadata);
      if (bad == null) bad = customNotWellFormed(options.customMetadata);
      if (bad == null) bad = notWellFormed("r2: storage class", options.storageClass);
    }
    if (bad != null) return Result.err<R2MultipartUpload, BinderyError>(bad);
    const o = new MultipartOptions();
    if (options != null) {
      const h = options.httpMetadata;
      if (h != null) o.httpMetadata = h.wit();
      o.customMetadata = pairs(options.customMetadata);
      o.storageClass = options.storageClass;
    }
    const r = b.value.createMultipartUpload(key, o);
    if (r.isErr) return Result.err<R2MultipartUpload, BinderyError>(r2Error(r.error));
    return Result.ok<R2MultipartUpload, BinderyError>(new R2MultipartUpload(key, r.value.uploadId(), r.value));
  }

  /** resumeMultipartUpload continues an upload by its id; it does not check that the upload exists (its calls fail with ErrorCode.NoSuchUpload if not). */
  resumeMultipartUpload(key: string, uploadId: string): Result<R2MultipartUpload, BinderyError> {
    const b = this.open();
    if (b.isErr) return Result.err<R2MultipartUpload, BinderyError>(b.error);
    let bad = notWellFormed("r2: key", key);
    if (bad == null) bad = notWellFormed("r2: upload id", uploadId);
    if (bad != null) return Result.err<R2MultipartUpload, BinderyError>(bad);
    return Result.ok<R2MultipartUpload, BinderyError>(new R2MultipartUpload(key, uploadId, b.value.resumeMultipartUpload(key, uploadId)));
  }
}

// ---- D1 ---------------------------------------------------------------------------
//
// D1's JavaScript API (docs/d1.md) in AssemblyScript's idiom: a value is a
// D1Value (AssemblyScript has no union of number, string and ArrayBuffer),
// bind takes an array of them, and every call returns a Result. D1's
// first() and first(column) are first() and firstValue(column), since
// one method cannot return a row or a value.

/** D1Type says which SQL type a D1Value holds. */
export enum D1Type {
  Null,
  /** A 64-bit integer, whole beyond 2^53. */
  Integer,
  /** A float64. */
  Real,
  Text,
  Blob,
}

/**
 * D1Value is one SQL value as SQLite stores it: NULL, a 64-bit integer
 * (i64, so 2^53+1 crosses whole), a float64, text or a blob (an
 * ArrayBuffer). Make one with D1Value.null(), int, real, text, blob,
 * bytes or bool; read it with type and the as* accessors.
 */
export class D1Value {
  /** type is the SQL type held. */
  type: D1Type = D1Type.Null;
  private i: i64 = 0;
  private f: f64 = 0;
  private s: string | null = null;
  private b: ArrayBuffer | null = null;

  /** null returns SQL NULL. */
  static null(): D1Value {
    return new D1Value();
  }

  /** int returns an INTEGER: every one of its 64 bits is kept. */
  static int(v: i64): D1Value {
    const x = new D1Value();
    x.type = D1Type.Integer;
    x.i = v;
    return x;
  }

  /** real returns a REAL. */
  static real(v: f64): D1Value {
    const x = new D1Value();
    x.type = D1Type.Real;
    x.f = v;
    return x;
  }

  /** text returns TEXT; a string with a lone surrogate fails with ErrorCode.Invalid when the statement runs. */
  static text(v: string): D1Value {
    const x = new D1Value();
    x.type = D1Type.Text;
    x.s = v;
    return x;
  }

  /** blob returns a BLOB of the buffer's bytes (not copied: do not change them before the statement runs). */
  static blob(v: ArrayBuffer): D1Value {
    const x = new D1Value();
    x.type = D1Type.Blob;
    x.b = v;
    return x;
  }

  /** bytes returns a BLOB of a copy of the view's bytes. */
  static bytes(v: Uint8Array): D1Value {
    return D1Value.blob(v.slice(0).buffer);
  }

  /** bool returns 1 or 0 as an INTEGER, as D1 stores a JavaScript boolean. */
  static bool(v: bool): D1Value {
    return D1Value.int(v ? 1 : 0);
  }

  /** isNull says whether the value is SQL NULL. */
  get isNull(): bool {
    return this.type == D1Type.Null;
  }

  /** asInt returns an INTEGER, a REAL truncated toward zero, else 0. */
  asInt(): i64 {
    if (this.type == D1Type.Integer) return this.i;
    if (this.type == D1Type.Real) return <i64>this.f;
    return 0;
  }

  /** asReal returns a REAL, an INTEGER as the nearest float64, else 0. */
  asReal(): f64 {
    if (this.type == D1Type.Real) return this.f;
    if (this.type == D1Type.Integer) return <f64>this.i;
    return 0;
  }

  /** asText returns TEXT, else null. */
  asText(): string | null {
    return this.type == D1Type.Text ? this.s : null;
  }

  /** asBlob returns a BLOB's bytes, else null. */
  asBlob(): ArrayBuffer | null {
    return this.type == D1Type.Blob ? this.b : null;
  }

  /** asBytes returns a BLOB's bytes as a view, else null. */
  asBytes(): Uint8Array | null {
    const b = this.asBlob();
    return b != null ? Uint8Array.wrap(b) : null;
  }

  /** toString returns "null", the integer's decimal digits, the real, the text, or a blob as lower-case hex. */
  toString(): string {
    switch (this.type) {
      case D1Type.Integer:
        return this.i.toString();
      case D1Type.Real:
        return this.f.toString();
      case D1Type.Text:
        return this.s!;
      case D1Type.Blob:
        return hex(Uint8Array.wrap(this.b!));
    }
    return "null";
  }

  /**
   * toJSON returns the value as JSON text, as D1's JavaScript API would:
   * null, a number (an integer with all its digits, which a JavaScript
   * reader rounds beyond 2^53; a real that is not finite as null), a
   * string, or a blob as an array of byte values.
   */
  toJSON(): string {
    switch (this.type) {
      case D1Type.Integer:
        return this.i.toString();
      case D1Type.Real:
        return isFinite(this.f) ? this.f.toString() : "null";
      case D1Type.Text:
        return quote(this.s!);
      case D1Type.Blob: {
        const u = Uint8Array.wrap(this.b!);
        let out = "[";
        for (let i = 0; i < u.length; i++) out += (i > 0 ? "," : "") + u[i].toString();
        return out + "]";
      }
    }
    return "null";
  }

  /** equals says whether v has the same type and value (reals by ==, blobs byte by byte). */
  equals(v: D1Value): bool {
    if (this.type != v.type) return false;
    switch (this.type) {
      case D1Type.Integer:
        return this.i == v.i;
      case D1Type.Real:
        return this.f == v.f;
      case D1Type.Text:
        return this.s! == v.s!;
      case D1Type.Blob: {
        const a = Uint8Array.wrap(this.b!);
        const b = Uint8Array.wrap(v.b!);
        if (a.length != b.length) return false;
        for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
        return true;
      }
    }
    return true;
  }

  /** from converts the bindings' value (the host's). */
  static from(v: WitValue): D1Value {
    switch (v.tag) {
      case WitValue.Integer:
        return D1Value.int(v.integer);
      case WitValue.Real:
        return D1Value.real(v.real);
      case WitValue.Text:
        return D1Value.text(v.text!);
      case WitValue.Blob: {
        const u = v.blob!;
        // liftBytes copies into a Uint8Array of its own buffer: hand that on.
        return D1Value.blob(u.byteOffset == 0 && u.byteLength == u.buffer.byteLength ? u.buffer : u.slice(0).buffer);
      }
    }
    return D1Value.null();
  }

  /** wit converts the value for the bindings. */
  wit(): WitValue {
    switch (this.type) {
      case D1Type.Integer:
        return WitValue.integer(this.i);
      case D1Type.Real:
        return WitValue.real(this.f);
      case D1Type.Text:
        return WitValue.text(this.s!);
      case D1Type.Blob:
        return WitValue.blob(Uint8Array.wrap(this.b!));
    }
    return WitValue.null_();
  }
}

/** hex returns b as lower-case hex. */
function hex(b: Uint8Array): string {
  const digits = "0123456789abcdef";
  let out = "";
  for (let i = 0; i < b.length; i++) out += digits.charAt(b[i] >> 4) + digits.charAt(b[i] & 15);
  return out;
}

/** D1Meta is D1's result metadata, with D1's field names. */
export class D1Meta {
  /** duration is the milliseconds the statement ran. */
  duration: f64 = 0;
  rows_read: u64 = 0;
  rows_written: u64 = 0;
  /** last_row_id is the rowid of the last row inserted, 0 if none. */
  last_row_id: i64 = 0;
  /** changes is the rows the statement changed. */
  changes: u64 = 0;
  /** changed_db says whether the statement changed the database. */
  changed_db: bool = false;
  /** size_after is the database's size in bytes after the statement. */
  size_after: u64 = 0;

  /** from converts the bindings' meta. */
  static from(m: WitMeta): D1Meta {
    const d = new D1Meta();
    d.duration = m.duration;
    d.rows_read = m.rowsRead;
    d.rows_written = m.rowsWritten;
    d.last_row_id = m.lastRowId;
    d.changes = m.changes;
    d.changed_db = m.changedDb;
    d.size_after = m.sizeAfter;
    return d;
  }
}

/** D1Row is one row of a result: D1's row object, its values in column order. */
export class D1Row {
  constructor(
    /** columns are the result's column names in order (a name may repeat, as SQLite allows). */
    public columns: Array<string>,
    /** values are the row's values in column order. */
    public values: Array<D1Value>,
  ) {}

  /** get returns the value of the first column named column, or null when there is none. */
  get(column: string): D1Value | null {
    const i = this.columns.indexOf(column);
    return i >= 0 ? this.values[i] : null;
  }

  /** has says whether the row has a column named column. */
  has(column: string): bool {
    return this.columns.includes(column);
  }
}

/** D1Result is what all and run return (D1's D1Result), and what batch returns for each statement. */
export class D1Result {
  /** success is always true: a statement that failed returns its error instead. */
  success: bool = true;
  /** columns are the column names in order. */
  columns: Array<string> = [];
  /** rows are each row's values in column order (what raw returns). */
  rows: Array<Array<D1Value>> = [];
  meta: D1Meta = new D1Meta();

  /** results are the rows as D1Row (D1's results), sharing columns and rows. */
  get results(): Array<D1Row> {
    const out = new Array<D1Row>(this.rows.length);
    for (let i = 0; i < this.rows.length; i++) out[i] = new D1Row(this.columns, this.rows[i]);
    return out;
  }

  /** from converts the bindings' result (the host's). */
  static from(q: QueryResult): D1Result {
    const r = new D1Result();
    r.columns = q.columns;
    const rows = new Array<Array<D1Value>>(q.rows.length);
    for (let i = 0; i < q.rows.length; i++) {
      const wr = q.rows[i];
      const row = new Array<D1Value>(wr.length);
      for (let j = 0; j < wr.length; j++) row[j] = D1Value.from(wr[j]);
      rows[i] = row;
    }
    r.rows = rows;
    r.meta = D1Meta.from(q.meta);
    return r;
  }
}

/** D1ExecResult is what exec returns: the statements it ran and their total milliseconds. */
export class D1ExecResult {
  count: u32 = 0;
  duration: f64 = 0;
}

/** d1Error maps the host's D1 error onto the SDK's codes, keeping D1's message. */
function d1Error(e: D1Error): BinderyError {
  switch (e.tag) {
    case D1Error.NoSuchDatabase:
      return new BinderyError(ErrorCode.NoSuchBinding, e.noSuchDatabase!);
    case D1Error.Sql:
      return new BinderyError(ErrorCode.SQL, e.sql!);
    case D1Error.Limit:
      return new BinderyError(ErrorCode.Limit, e.limit!);
    case D1Error.Refused:
      return new BinderyError(ErrorCode.Refused, e.refused!);
    case D1Error.InvalidArgument:
      return new BinderyError(ErrorCode.Invalid, e.invalidArgument!);
    case D1Error.Internal:
      return new BinderyError(ErrorCode.Failed, e.internal!);
  }
  return new BinderyError(ErrorCode.Failed, e.toString());
}

/** d1Closed is the error of a call on a closed session. */
function d1Closed(): BinderyError {
  return new BinderyError(ErrorCode.Closed, "d1: the session is closed");
}

/**
 * D1PreparedStatement is SQL with its bound parameters (for ? and ?NNN;
 * D1 refuses :name). It runs on the database or session that prepared it,
 * each time it is called; bind returns a new statement.
 */
export class D1PreparedStatement {
  constructor(
    private db: D1Database | null,
    private session: D1DatabaseSession | null,
    /** sql is the statement's text. */
    public sql: string,
    /** params are the bound values, ?1 first. */
    public params: Array<D1Value> = [],
  ) {}

  /** bind returns the statement with values bound to ?1, ?2, ... (replacing what was bound). */
  bind(values: Array<D1Value>): D1PreparedStatement {
    return new D1PreparedStatement(this.db, this.session, this.sql, values.slice(0));
  }

  /** all runs the statement and returns its rows and meta. */
  all(): Result<D1Result, BinderyError> {
    const bad = this.notWellFormed();
    if (bad != null) return Result.err<D1Result, BinderyError>(bad);
    let r: Result<QueryResult, D1Error>;
    const s = this.session;
    const db = this.db;
    if (s != null) {
      const h = s.handle();
      if (h == null) return Result.err<D1Result, BinderyError>(d1Closed());
      r = h.query(this.wit());
    } else if (db != null) {
      const h = db.open();
      if (h.isErr) return Result.err<D1Result, BinderyError>(h.error);
      r = h.value.query(this.wit());
    } else {
      return Result.err<D1Result, BinderyError>(new BinderyError(ErrorCode.Failed, "d1: the statement was not prepared by a database or a session"));
    }
    if (r.isErr) return Result.err<D1Result, BinderyError>(d1Error(r.error));
    return Result.ok<D1Result, BinderyError>(D1Result.from(r.value));
  }

  /** run is all (D1's run returns the same D1Result); use it for statements that change the database. */
  run(): Result<D1Result, BinderyError> {
    return this.all();
  }

  /** first returns the first row, or null (as value) when there is none. */
  first(): Result<D1Row | null, BinderyError> {
    const r = this.all();
    if (r.isErr) return Result.err<D1Row | null, BinderyError>(r.error);
    const res = r.value;
    if (res.rows.length == 0) return Result.ok<D1Row | null, BinderyError>(null);
    return Result.ok<D1Row | null, BinderyError>(new D1Row(res.columns, res.rows[0]));
  }

  /**
   * firstValue is D1's first(column): the value of column in the first
   * row (D1Value.null() for SQL NULL), or null (as value) when there is no
   * row. A result with rows but no such column fails with ErrorCode.Invalid
   * and D1's "D1_COLUMN_NOTFOUND: Column not found (column)".
   */
  firstValue(column: string): Result<D1Value | null, BinderyError> {
    const r = this.all();
    if (r.isErr) return Result.err<D1Value | null, BinderyError>(r.error);
    const res = r.value;
    if (res.rows.length == 0) return Result.ok<D1Value | null, BinderyError>(null);
    const i = res.columns.indexOf(column);
    if (i < 0) return Result.err<D1Value | null, BinderyError>(new BinderyError(ErrorCode.Invalid, "D1_COLUMN_NOTFOUND: Column not found (" + column + ")"));
    return Result.ok<D1Value | null, BinderyError>(res.rows[0][i]);
  }

  /** raw returns the rows as arrays of values; with columnNames the first array is the column names (as text values). */
  raw(columnNames: bool = false): Result<Array<Array<D1Value>>, BinderyError> {
    const r = this.all();
    if (r.isErr) return Result.err<Array<Array<D1Value>>, BinderyError>(r.error);
    const res = r.value;
    if (!columnNames) return Result.ok<Array<Array<D1Value>>, BinderyError>(res.rows);
    const names = new Array<D1Value>(res.columns.length);
    for (let i = 0; i < res.columns.length; i++) names[i] = D1Value.text(res.columns[i]);
    const out = new Array<Array<D1Value>>();
    out.push(names);
    for (let i = 0; i < res.rows.length; i++) out.push(res.rows[i]);
    return Result.ok<Array<Array<D1Value>>, BinderyError>(out);
  }

  /** notWellFormed returns the Invalid error for SQL or a text value UTF-8 cannot carry, or null. */
  notWellFormed(): BinderyError | null {
    const bad = sqlNotWellFormed(this.sql);
    if (bad != null) return bad;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      const e = notWellFormed("d1: text bound to ?" + (i + 1).toString() + ",", p.asText());
      if (e != null) return e;
    }
    return null;
  }

  /** wit returns the statement for the bindings. */
  wit(): WitStatement {
    const st = new WitStatement();
    st.sql = this.sql;
    const ps = new Array<WitValue>(this.params.length);
    for (let i = 0; i < this.params.length; i++) ps[i] = this.params[i].wit();
    st.params = ps;
    return st;
  }
}

/** sqlNotWellFormed returns the Invalid error for SQL UTF-8 cannot carry (naming its first 200 characters), or null. */
function sqlNotWellFormed(sql: string): BinderyError | null {
  if (wellFormed(sql)) return null;
  const shown = sql.length > 200 ? sql.substring(0, 200) + "..." : sql;
  return new BinderyError(ErrorCode.Invalid, "d1: the SQL " + quote(shown) + " is not well-formed Unicode (a lone surrogate), so it cannot be sent as UTF-8");
}

/** d1Statements checks statements and converts them for a batch. */
function d1Statements(statements: Array<D1PreparedStatement>): Result<Array<WitStatement>, BinderyError> {
  const out = new Array<WitStatement>(statements.length);
  for (let i = 0; i < statements.length; i++) {
    const bad = statements[i].notWellFormed();
    if (bad != null) return Result.err<Array<WitStatement>, BinderyError>(bad);
    out[i] = statements[i].wit();
  }
  return Result.ok<Array<WitStatement>, BinderyError>(out);
}

/** d1Results converts a batch's results, or its error. */
function d1Results(r: Result<Array<QueryResult>, D1Error>): Result<Array<D1Result>, BinderyError> {
  if (r.isErr) return Result.err<Array<D1Result>, BinderyError>(d1Error(r.error));
  const out = new Array<D1Result>(r.value.length);
  for (let i = 0; i < r.value.length; i++) out[i] = D1Result.from(r.value[i]);
  return Result.ok<Array<D1Result>, BinderyError>(out);
}

/** D1Database is a D1 database (Env.d1(name)): D1's D1Database. */
export class D1Database {
  private h: D1Handle | null = null;

  constructor(public binding: string) {}

  /** open opens the binding on first use and returns the generated bindings' handle (for what this layer does not cover). */
  open(): Result<D1Handle, BinderyError> {
    const h = this.h;
    if (h != null) return Result.ok<D1Handle, BinderyError>(h);
    const bad = notWellFormed("d1: binding name", this.binding);
    if (bad != null) return Result.err<D1Handle, BinderyError>(bad);
    const r = D1Handle.open(this.binding);
    if (r.isErr) return Result.err<D1Handle, BinderyError>(d1Error(r.error));
    this.h = r.value;
    return Result.ok<D1Handle, BinderyError>(r.value);
  }

  /** prepare returns a statement of sql, run on this database; nothing reaches the host until it runs. */
  prepare(sql: string): D1PreparedStatement {
    return new D1PreparedStatement(this, null, sql);
  }

  /**
   * batch runs the statements' SQL and parameters in one transaction on
   * this database: all take effect, or on the first error none does and
   * the error names the statement. It returns a result per statement.
   */
  batch(statements: Array<D1PreparedStatement>): Result<Array<D1Result>, BinderyError> {
    const ss = d1Statements(statements);
    if (ss.isErr) return Result.err<Array<D1Result>, BinderyError>(ss.error);
    const h = this.open();
    if (h.isErr) return Result.err<Array<D1Result>, BinderyError>(h.error);
    return d1Results(h.value.batch(ss.value));
  }

  /** exec runs one or more statements separated by semicolons, without parameters, stopping at the first error (those before it stay done). */
  exec(sql: string): Result<D1ExecResult, BinderyError> {
    const bad = sqlNotWellFormed(sql);
    if (bad != null) return Result.err<D1ExecResult, BinderyError>(bad);
    const h = this.open();
    if (h.isErr) return Result.err<D1ExecResult, BinderyError>(h.error);
    const r: Result<ExecResult, D1Error> = h.value.exec(sql);
    if (r.isErr) return Result.err<D1ExecResult, BinderyError>(d1Error(r.error));
    const out = new D1ExecResult();
    out.count = r.value.count;
    out.duration = r.value.duration;
    return Result.ok<D1ExecResult, BinderyError>(out);
  }

  /**
   * withSession starts a session (D1's withSession): null or
   * "first-unconstrained" reads from any replica, "first-primary" from the
   * primary, a bookmark (getBookmark of an earlier session) from a replica
   * at least that new. An unknown constraint or bookmark is ErrorCode.Invalid.
   * close the session when done with it.
   */
  withSession(constraintOrBookmark: string | null = null): Result<D1DatabaseSession, BinderyError> {
    const bad = notWellFormed("d1: session constraint or bookmark", constraintOrBookmark);
    if (bad != null) return Result.err<D1DatabaseSession, BinderyError>(bad);
    const h = this.open();
    if (h.isErr) return Result.err<D1DatabaseSession, BinderyError>(h.error);
    const r = h.value.withSession(constraintOrBookmark);
    if (r.isErr) return Result.err<D1DatabaseSession, BinderyError>(d1Error(r.error));
    return Result.ok<D1DatabaseSession, BinderyError>(new D1DatabaseSession(r.value));
  }
}

/** D1DatabaseSession is a D1 session: its reads are never older than its bookmark. */
export class D1DatabaseSession {
  constructor(private s: D1SessionHandle | null) {}

  /** handle is the session's handle, null once closed. */
  handle(): D1SessionHandle | null {
    return this.s;
  }

  /** prepare returns a statement of sql, run in this session. */
  prepare(sql: string): D1PreparedStatement {
    return new D1PreparedStatement(null, this, sql);
  }

  /** batch is D1Database.batch, in this session. */
  batch(statements: Array<D1PreparedStatement>): Result<Array<D1Result>, BinderyError> {
    const ss = d1Statements(statements);
    if (ss.isErr) return Result.err<Array<D1Result>, BinderyError>(ss.error);
    const s = this.s;
    if (s == null) return Result.err<Array<D1Result>, BinderyError>(d1Closed());
    return d1Results(s.batch(ss.value));
  }

  /** getBookmark returns the bookmark of the latest commit the session has seen (16 hex digits), null before its first query. */
  getBookmark(): string | null {
    const s = this.s;
    return s != null ? s.bookmark() : null;
  }

  /** close releases the session's handle; later calls fail with ErrorCode.Closed. */
  close(): void {
    const s = this.s;
    if (s != null) s.drop();
    this.s = null;
  }
}

// ---- Queues -----------------------------------------------------------------------
//
// The producer side of Cloudflare Queues (docs/queues.md): send and
// sendBatch of a queue binding. A body is bytes with a content type
// (QueueContentType: Text, Bytes, Json, V8); sendText, sendBytes,
// sendJson (JSON text, sent as is) and sendValue (a structured value, the
// "v8" content type, which every SDK reads) set both. A delay is in
// seconds (at most 86400 = 24 hours); -1 means not set: the batch's
// delay, else the producer's delivery_delay. The consumer side is in
// queue.ts.

/** NO_DELAY is a delaySeconds that is not set. */
export const NO_DELAY: i32 = -1;

/** QueueSendOptions are the options of one send. */
export class QueueSendOptions {
  /** delaySeconds delays the message's delivery (NO_DELAY: not set). */
  delaySeconds: i32 = NO_DELAY;

  /** delay returns options with delaySeconds = seconds. */
  static delay(seconds: i32): QueueSendOptions {
    const o = new QueueSendOptions();
    o.delaySeconds = seconds;
    return o;
  }
}

/** QueueSendBatchOptions are the options of a sendBatch. */
export class QueueSendBatchOptions {
  /** delaySeconds delays each message that has no delay of its own (NO_DELAY: not set). */
  delaySeconds: i32 = NO_DELAY;

  /** delay returns options with delaySeconds = seconds. */
  static delay(seconds: i32): QueueSendBatchOptions {
    const o = new QueueSendBatchOptions();
    o.delaySeconds = seconds;
    return o;
  }
}

/** MessageSendRequest is one message of a sendBatch: Cloudflare's { body, contentType, delaySeconds }. */
export class MessageSendRequest {
  /** source is the string text and json were given, which sendBatch refuses when UTF-8 cannot carry it. */
  private source: string | null = null;

  constructor(
    /** body is the message's bytes, encoded as contentType says. */
    public body: Uint8Array,
    public contentType: ContentType = ContentType.Bytes,
    /** delaySeconds delays this message (NO_DELAY: the batch's delay). */
    public delaySeconds: i32 = NO_DELAY,
  ) {}

  /** text returns a message of s (content type text). */
  static text(s: string, delaySeconds: i32 = NO_DELAY): MessageSendRequest {
    const m = new MessageSendRequest(utf8(s), ContentType.Text, delaySeconds);
    m.source = s;
    return m;
  }

  /** bytes returns a message of b (content type bytes). */
  static bytes(b: Uint8Array, delaySeconds: i32 = NO_DELAY): MessageSendRequest {
    return new MessageSendRequest(b, ContentType.Bytes, delaySeconds);
  }

  /** json returns a message of the JSON text json, sent as is (content type json). */
  static json(json: string, delaySeconds: i32 = NO_DELAY): MessageSendRequest {
    const m = new MessageSendRequest(utf8(json), ContentType.Json, delaySeconds);
    m.source = json;
    return m;
  }

  /** wit returns the request the host takes, or why it cannot be sent. */
  wit(): Result<SendRequest, BinderyError> {
    const bad = notWellFormed(this.contentType == ContentType.Json ? "queue: JSON text" : "queue: text", this.source);
    if (bad != null) return Result.err<SendRequest, BinderyError>(bad);
    const d = queueDelay("delaySeconds", this.delaySeconds);
    if (d.isErr) return Result.err<SendRequest, BinderyError>(d.error);
    const r = new SendRequest();
    r.body = this.body;
    r.contentType = this.contentType;
    r.delaySeconds = d.value;
    return Result.ok<SendRequest, BinderyError>(r);
  }

  /** value returns a message of the structured value v (content type v8), or why v cannot be encoded. */
  static value(v: structured.SV, delaySeconds: i32 = NO_DELAY): Result<MessageSendRequest, BinderyError> {
    const b = structured.encode(v);
    if (b.isErr) return Result.err<MessageSendRequest, BinderyError>(new BinderyError(ErrorCode.Invalid, "queue: " + b.error.message));
    return Result.ok<MessageSendRequest, BinderyError>(new MessageSendRequest(b.value, ContentType.V8, delaySeconds));
  }
}

function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

function queueError(e: QueueError): BinderyError {
  switch (e.tag) {
    case QueueError.NoSuchQueue:
      return new BinderyError(ErrorCode.NoSuchBinding, e.noSuchQueue!);
    case QueueError.TooLarge:
      return new BinderyError(ErrorCode.TooLarge, e.tooLarge!);
    case QueueError.InvalidArgument:
      return new BinderyError(ErrorCode.Invalid, e.invalidArgument!);
    case QueueError.Internal:
      return new BinderyError(ErrorCode.Failed, e.internal!);
  }
  return new BinderyError(ErrorCode.Failed, e.toString());
}

/** queueDelay lowers a delay (NO_DELAY: none); a negative one is Invalid. */
function queueDelay(what: string, seconds: i32): Result<Option<u32>, BinderyError> {
  if (seconds == NO_DELAY) return Result.ok<Option<u32>, BinderyError>(new Option<u32>());
  if (seconds < 0) {
    return Result.err<Option<u32>, BinderyError>(new BinderyError(ErrorCode.Invalid, "queue: " + what + " " + seconds.toString() + " is negative"));
  }
  return Result.ok<Option<u32>, BinderyError>(Option.some<u32>(<u32>seconds));
}

/** Queue is a queue producer binding (Cloudflare's Queue): send and sendBatch. */
export class Queue {
  private q: QueueHandle | null = null;

  constructor(public binding: string) {}

  private open(): Result<QueueHandle, BinderyError> {
    const q = this.q;
    if (q != null) return Result.ok<QueueHandle, BinderyError>(q);
    const bad = notWellFormed("queue: binding name", this.binding);
    if (bad != null) return Result.err<QueueHandle, BinderyError>(bad);
    const r = QueueHandle.open(this.binding);
    if (r.isErr) return Result.err<QueueHandle, BinderyError>(queueError(r.error));
    this.q = r.value;
    return Result.ok<QueueHandle, BinderyError>(r.value);
  }

  /** send sends one message of body, encoded as contentType says; it returns once the message is stored. */
  send(body: Uint8Array, contentType: ContentType, options: QueueSendOptions | null = null): BinderyError | null {
    return this.sendRequest(new MessageSendRequest(body, contentType, options != null ? options.delaySeconds : NO_DELAY));
  }

  /** sendText sends s (content type text). */
  sendText(s: string, options: QueueSendOptions | null = null): BinderyError | null {
    return this.sendRequest(MessageSendRequest.text(s, options != null ? options.delaySeconds : NO_DELAY));
  }

  /** sendBytes sends b (content type bytes). */
  sendBytes(b: Uint8Array, options: QueueSendOptions | null = null): BinderyError | null {
    return this.send(b, ContentType.Bytes, options);
  }

  /** sendJson sends the JSON text json as is (content type json): the consumer gets that JSON value. */
  sendJson(json: string, options: QueueSendOptions | null = null): BinderyError | null {
    return this.sendRequest(MessageSendRequest.json(json, options != null ? options.delaySeconds : NO_DELAY));
  }

  /** sendValue sends the structured value v (content type v8), which a consumer in any language decodes. */
  sendValue(v: structured.SV, options: QueueSendOptions | null = null): BinderyError | null {
    const m = MessageSendRequest.value(v, options != null ? options.delaySeconds : NO_DELAY);
    if (m.isErr) return m.error;
    return this.sendRequest(m.value);
  }

  /** sendBatch sends up to 100 messages (256 KB in all) at once, all or none. */
  sendBatch(messages: Array<MessageSendRequest>, options: QueueSendBatchOptions | null = null): BinderyError | null {
    const q = this.open();
    if (q.isErr) return q.error;
    const reqs = new Array<SendRequest>(0);
    for (let i = 0; i < messages.length; i++) {
      const r = messages[i].wit();
      if (r.isErr) return r.error;
      reqs.push(r.value);
    }
    const d = queueDelay("delaySeconds", options != null ? options.delaySeconds : NO_DELAY);
    if (d.isErr) return d.error;
    const e = q.value.sendBatch(reqs, d.value);
    return e == null ? null : queueError(e);
  }

  private sendRequest(m: MessageSendRequest): BinderyError | null {
    const q = this.open();
    if (q.isErr) return q.error;
    const r = m.wit();
    if (r.isErr) return r.error;
    const e = q.value.send(r.value);
    return e == null ? null : queueError(e);
  }
}

