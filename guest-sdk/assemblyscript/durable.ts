// Durable Objects for AssemblyScript Workers: namespaces, ids and stubs
// (fetch and RPC calls), object classes and their state (transactional
// storage, SQL, the alarm, hibernatable web sockets).
//
//   import { Request, Response } from "<path to>/guest-sdk/assemblyscript";
//   import { DurableObject, DurableObjectState, defineClass, namespace, rpcOk } from "<path to>/guest-sdk/assemblyscript/durable";
//   import { SV } from "<path to>/guest-sdk/assemblyscript/structured";
//
//   class Counter extends DurableObject {
//     call(method: string, args: Array<SV>): Result<SV, SV> {
//       if (method != "increment") return super.call(method, args);
//       const n = this.ctx.storage.get("n");        // Result<SV | null, BinderyError>
//       ...
//       return rpcOk(SV.number(count));
//     }
//   }
//   defineClass("Counter", (ctx: DurableObjectState): DurableObject => new Counter(ctx));
//
//   // In the Worker's fetch:
//   const stub = namespace("COUNTER").getByName("a").value;
//   const r = stub.call("increment");              // Result<SV, BinderyError>
//
// A Worker that imports this file is a Worker of world worker-with-objects:
// build.sh's transform adds the object events (generated-durable/) to its
// exports. Other Workers do not change.
//
// Errors: AssemblyScript cannot throw and catch, so a handler returns what
// JavaScript would throw: an RPC method returns Result<SV, SV> (rpcOk,
// rpcThrow, rpcError), the alarm and web socket handlers the thrown value
// or null. The caller of an RPC method gets a BinderyError with code
// ErrorCode.Thrown, an RpcError holding the value.
//
// Values (storage, RPC arguments and results, socket attachments) are
// structured values (structured.ts's SV), in the encoding every Bindery
// SDK shares, so objects and callers in other languages read them.
//
// Events may nest (an object's event runs while another event of its
// instance waits in a host call): the SDK keeps each event's state in its
// own locals and objects, so it tells the host reentrant = true.

import {
  BinderyError,
  Body,
  D1Row,
  D1Type,
  D1Value,
  ErrorCode,
  Headers,
  Request,
  Response,
  ResponseForwarder,
  sendResponse,
  wellFormed,
} from "./index";
import { writeLine } from "./abort";
import { Option, Result, Tuple2 } from "./generated/cabi";
import { Request as WitRequest, ResponseOutparam } from "./generated/http_types";
import { InputStream } from "./generated/io_streams";
import { Namespace as WitNamespace, Stub as WitStub, Upgrade } from "./generated-durable/durable_client";
import {
  AlarmInfo as WitAlarmInfo,
  ModuleInfo,
  setAlarm as setAlarmExport,
  setCall,
  setDescribe,
  setEvict,
  setFetch,
  setWebSocketClose,
  setWebSocketError,
  setWebSocketMessage,
} from "./generated-durable/durable_object";
import * as st from "./generated-durable/durable_state";
import {
  AutoResponse,
  Cursor,
  Entry,
  ListOptions,
  Transaction,
  WebSocket as WitWebSocket,
  ConcurrencyBlock,
} from "./generated-durable/durable_state";
import { Body as WitBody, DurableError as WitError, Message, ObjectInfo, SqlValue, Thrown } from "./generated-durable/durable_types";
import { Kind, SV, decode, encode } from "./structured";

// ---- errors ---------------------------------------------------------------------

/**
 * RpcError is what a stub's call returns when the object's method threw
 * (code ErrorCode.Thrown): the thrown value (an Error SV, or whatever
 * the method threw), its class name and message.
 */
export class RpcError extends BinderyError {
  constructor(
    /** name is the thrown error's class, e.g. "TypeError". */
    public name: string,
    message: string,
    /** value is the thrown value itself. */
    public value: SV,
  ) {
    super(ErrorCode.Thrown, message);
  }
}

function errorOf(e: WitError): BinderyError {
  switch (e.tag) {
    case WitError.NoSuchNamespace:
      return new BinderyError(ErrorCode.NoSuchBinding, e.noSuchNamespace!);
    case WitError.InvalidId:
      return new BinderyError(ErrorCode.Invalid, e.invalidId!);
    case WitError.InvalidArgument:
      return new BinderyError(ErrorCode.Invalid, e.invalidArgument!);
    case WitError.Limit:
      return new BinderyError(ErrorCode.Limit, e.limit!);
    case WitError.Sql:
      return new BinderyError(ErrorCode.SQL, e.sql!);
    case WitError.Refused:
      return new BinderyError(ErrorCode.Refused, e.refused!);
    case WitError.Transaction:
      return new BinderyError(ErrorCode.Transaction, e.transaction!);
    case WitError.Thrown:
      return thrownError(e.thrown!);
    case WitError.ObjectFailed:
      return new BinderyError(ErrorCode.ObjectFailed, e.objectFailed!);
    case WitError.Closed:
      return new BinderyError(ErrorCode.Closed, e.closed!);
  }
  return new BinderyError(ErrorCode.Failed, e.internal != null ? e.internal! : e.toString());
}

function orNull(e: WitError | null): BinderyError | null {
  return e == null ? null : errorOf(e);
}

/** thrownError is the RpcError of what an object threw: its encoded value when it decodes, else an Error of its name and message. */
function thrownError(t: Thrown): RpcError {
  const b = t.value;
  if (b != null) {
    const v = decode(b);
    if (v.isOk) {
      const x = v.value;
      if (x.kind == Kind.Error) return new RpcError(x.errorName, x.asString(), x);
      return new RpcError(t.name, t.message, x);
    }
  }
  return new RpcError(t.name, t.message, SV.error(t.name, t.message));
}

/** thrownOf is the WIT form of a thrown value: its name and message, and its encoding. */
function thrownOf(v: SV): Thrown {
  const t = new Thrown();
  if (v.kind == Kind.Error) {
    t.name = v.errorName;
    t.message = v.asString();
  } else {
    t.name = "Error";
    t.message = v.toString();
  }
  const b = encode(v);
  t.value = b.isOk ? b.value : null;
  return t;
}

function failed(code: ErrorCode, message: string): BinderyError {
  return new BinderyError(code, message);
}

/** notText is the Invalid error for a string UTF-8 cannot carry (a lone surrogate), or null. */
function notText(what: string, s: string): BinderyError | null {
  if (wellFormed(s)) return null;
  return failed(ErrorCode.Invalid, "durable: " + what + " is not well-formed Unicode (a lone surrogate), so it cannot be sent as UTF-8");
}

// ---- namespaces, ids, stubs -------------------------------------------------------

const namespaces = new Map<string, DurableObjectNamespace>();

/**
 * namespace returns the Durable Object namespace bound to binding in the
 * Worker's config (env.COUNTER in JavaScript); a name the config does not
 * grant fails on use with ErrorCode.NoSuchBinding.
 */
export function namespace(binding: string): DurableObjectNamespace {
  if (namespaces.has(binding)) return namespaces.get(binding);
  const ns = new DurableObjectNamespace(binding);
  namespaces.set(binding, ns);
  return ns;
}

/** DurableObjectId names one object: 64 lower-case hex digits, and the name it was made from (idFromName). */
export class DurableObjectId {
  constructor(
    /** hex is the id's 64 lower-case hex digits. */
    public hex: string,
    /** name is the name the id was made from, null for a unique or parsed id. */
    public name: string | null = null,
  ) {}

  /** equals says whether two ids name the same object. */
  equals(other: DurableObjectId): bool {
    return this.hex == other.hex;
  }

  toString(): string {
    return this.hex;
  }
}

/** DurableObjectNamespace is the objects of one class, by its binding's name. */
export class DurableObjectNamespace {
  private h: WitNamespace | null = null;

  constructor(public binding: string) {}

  private open(): Result<WitNamespace, BinderyError> {
    const h = this.h;
    if (h != null) return Result.ok<WitNamespace, BinderyError>(h);
    const bad = notText("binding name", this.binding);
    if (bad != null) return Result.err<WitNamespace, BinderyError>(bad);
    const r = WitNamespace.open(this.binding);
    if (r.isErr) return Result.err<WitNamespace, BinderyError>(errorOf(r.error));
    this.h = r.value;
    return Result.ok<WitNamespace, BinderyError>(r.value);
  }

  /** idFromName returns the id of the object called name: the same name always gives the same id. */
  idFromName(name: string): Result<DurableObjectId, BinderyError> {
    const ns = this.open();
    if (ns.isErr) return Result.err<DurableObjectId, BinderyError>(ns.error);
    const bad = notText("object name", name);
    if (bad != null) return Result.err<DurableObjectId, BinderyError>(bad);
    const r = ns.value.idFromName(name);
    if (r.isErr) return Result.err<DurableObjectId, BinderyError>(errorOf(r.error));
    return Result.ok<DurableObjectId, BinderyError>(new DurableObjectId(r.value, name));
  }

  /** newUniqueId returns a new random id, never equal to a named one; jurisdiction may be "eu" or "fedramp" (accepted, ignored). */
  newUniqueId(jurisdiction: string | null = null): Result<DurableObjectId, BinderyError> {
    const ns = this.open();
    if (ns.isErr) return Result.err<DurableObjectId, BinderyError>(ns.error);
    const r = ns.value.newUniqueId(jurisdiction);
    if (r.isErr) return Result.err<DurableObjectId, BinderyError>(errorOf(r.error));
    return Result.ok<DurableObjectId, BinderyError>(new DurableObjectId(r.value));
  }

  /** idFromString parses 64 hex digits; an id of another class, or no id, is ErrorCode.Invalid. */
  idFromString(s: string): Result<DurableObjectId, BinderyError> {
    const ns = this.open();
    if (ns.isErr) return Result.err<DurableObjectId, BinderyError>(ns.error);
    const bad = notText("id", s);
    if (bad != null) return Result.err<DurableObjectId, BinderyError>(bad);
    const r = ns.value.idFromString(s);
    if (r.isErr) return Result.err<DurableObjectId, BinderyError>(errorOf(r.error));
    return Result.ok<DurableObjectId, BinderyError>(new DurableObjectId(r.value));
  }

  /** get returns a stub for the object id; making it does not make the object (its first request does). */
  get(id: DurableObjectId): Result<DurableObjectStub, BinderyError> {
    const name = id.name;
    if (name != null) return this.getByName(name);
    const ns = this.open();
    if (ns.isErr) return Result.err<DurableObjectStub, BinderyError>(ns.error);
    const r = ns.value.get(id.hex);
    if (r.isErr) return Result.err<DurableObjectStub, BinderyError>(errorOf(r.error));
    return Result.ok<DurableObjectStub, BinderyError>(new DurableObjectStub(r.value, id));
  }

  /** getByName returns a stub for the object called name (the object sees its name in ctx.id.name). */
  getByName(name: string): Result<DurableObjectStub, BinderyError> {
    const ns = this.open();
    if (ns.isErr) return Result.err<DurableObjectStub, BinderyError>(ns.error);
    const bad = notText("object name", name);
    if (bad != null) return Result.err<DurableObjectStub, BinderyError>(bad);
    const r = ns.value.getByName(name);
    if (r.isErr) return Result.err<DurableObjectStub, BinderyError>(errorOf(r.error));
    const h = r.value;
    return Result.ok<DurableObjectStub, BinderyError>(new DurableObjectStub(h, new DurableObjectId(h.id(), name)));
  }
}

/** StubResponse is an object's answer to stub.fetch: the head, and the body as a stream. */
export class StubResponse {
  headers: Headers = new Headers();
  /** upgrade, for a 101, is the web socket the object accepted. */
  upgrade: Upgrade | null = null;

  constructor(
    public status: u16,
    /** body streams while the object writes it. */
    public body: Body,
  ) {}

  /**
   * toResponse makes the Worker's answer of it: the same status, headers
   * and body (streamed inside the host), or, for a web socket, the 101
   * that joins the Worker's client to the object's socket.
   */
  toResponse(): Response {
    const r = Response.stream(this.body, this.status);
    r.headers = this.headers;
    const up = this.upgrade;
    if (up != null) {
      r.forward = new UpgradeForwarder(up);
      this.upgrade = null;
    }
    return r;
  }

  /** text reads the whole body as UTF-8. */
  text(): string {
    return this.body.text();
  }
}

/** UpgradeForwarder joins the Worker's client to an object's web socket. */
class UpgradeForwarder extends ResponseForwarder {
  constructor(private up: Upgrade) {
    super();
  }

  forward(out: ResponseOutparam): void {
    const e = this.up.forward(out);
    out.handle = 0; // used up either way
    this.up.drop();
    if (e != null) writeLine(2, "bindery: passing on a Durable Object's web socket: " + e.toString());
  }
}

/** DurableObjectStub is the way to one object: requests and RPC calls. */
export class DurableObjectStub {
  constructor(
    private h: WitStub,
    /** id is the object's id. */
    public id: DurableObjectId,
  ) {}

  /**
   * fetch sends the object req (the Worker's own request: its body moves
   * to the object unread, inside the host) and returns the head of its
   * answer; the body streams. A 101 carries the object's web socket:
   * return toResponse() to pass it to the Worker's client.
   */
  fetch(req: Request): Result<StubResponse, BinderyError> {
    const head = new WitRequest();
    head.method = req.method;
    head.url = req.url;
    head.headers = req.headers.fields();
    const s = req.body.take();
    const body = s != null ? WitBody.stream(s) : WitBody.bytes(new Uint8Array(0));
    return this.send(head, body);
  }

  /** fetchURL sends the object a request of its own: method, an absolute url, headers and body bytes. */
  fetchURL(url: string, method: string = "GET", body: Uint8Array | null = null, headers: Headers | null = null): Result<StubResponse, BinderyError> {
    const head = new WitRequest();
    head.method = method;
    head.url = url;
    if (headers != null) head.headers = headers.fields();
    return this.send(head, WitBody.bytes(body != null ? body : new Uint8Array(0)));
  }

  private send(head: WitRequest, body: WitBody): Result<StubResponse, BinderyError> {
    const bad = notText("url", head.url);
    if (bad != null) return Result.err<StubResponse, BinderyError>(bad);
    const r = this.h.fetch(head, body);
    if (r.isErr) return Result.err<StubResponse, BinderyError>(errorOf(r.error));
    const w = r.value;
    const out = new StubResponse(w.status, new Body(w.body));
    for (let i = 0; i < w.headers.length; i++) {
      const f = w.headers[i];
      out.headers.append(f.f0, String.UTF8.decodeUnsafe(f.f1.dataStart, <usize>f.f1.length));
    }
    out.upgrade = w.upgrade;
    return Result.ok<StubResponse, BinderyError>(out);
  }

  /**
   * call calls the object's RPC method with args (stub.method(...args) in
   * JavaScript) and returns its result (undefined when it returns
   * nothing). What the method threw comes back as an RpcError (code
   * ErrorCode.Thrown).
   */
  call(method: string, args: Array<SV> = []): Result<SV, BinderyError> {
    const bad = notText("method", method);
    if (bad != null) return Result.err<SV, BinderyError>(bad);
    const enc = encode(SV.array(args));
    if (enc.isErr) return Result.err<SV, BinderyError>(failed(ErrorCode.Invalid, "durable: " + method + ": the arguments: " + enc.error.message));
    const r = this.h.call(method, enc.value);
    if (r.isErr) return Result.err<SV, BinderyError>(errorOf(r.error));
    const v = decode(r.value);
    if (v.isErr) return Result.err<SV, BinderyError>(failed(ErrorCode.Failed, "durable: " + method + ": the result: " + v.error.message));
    return Result.ok<SV, BinderyError>(v.value);
  }

  /** close releases the stub's handle; it cannot be used afterwards. */
  close(): void {
    this.h.drop();
  }
}

// ---- classes ------------------------------------------------------------------------

/** rpcOk is what an RPC method returns: v. */
export function rpcOk(v: SV): Result<SV, SV> {
  return Result.ok<SV, SV>(v);
}

/** rpcThrow is what an RPC method returns to throw v (an Error SV, or any value) to its caller. */
export function rpcThrow(v: SV): Result<SV, SV> {
  return Result.err<SV, SV>(v);
}

/** rpcError throws an Error of class name ("TypeError") with message to the caller. */
export function rpcError(name: string, message: string): Result<SV, SV> {
  return Result.err<SV, SV>(SV.error(name, message));
}

/** AlarmInfo is what the alarm handler knows about its attempt. */
export class AlarmInfo {
  constructor(
    /** retryCount is how many times the alarm was retried before: 0 on the first attempt. */
    public retryCount: u32,
    /** isRetry says that this is a retry. */
    public isRetry: bool,
  ) {}
}

/** WebSocketMessage is a message on a web socket: text, or binary bytes. */
export class WebSocketMessage {
  constructor(
    /** isBinary says which of text and bytes it is. */
    public isBinary: bool,
    public text: string,
    public bytes: Uint8Array,
  ) {}
}

/**
 * DurableObject is a Durable Object class: extend it, override the events
 * the class handles, and register it with defineClass. An instance lives
 * in memory from the object's first event after a start or an eviction
 * until it is evicted; ctx is its state.
 */
export class DurableObject {
  constructor(public ctx: DurableObjectState) {}

  /** fetch handles a request sent with stub.fetch. The default answers 501. */
  fetch(req: Request): Response {
    return Response.text("this Durable Object class has no fetch handler\n", 501);
  }

  /**
   * call runs the RPC method method with its arguments; return rpcOk(v),
   * or rpcThrow/rpcError to throw to the caller. The default throws the
   * TypeError of a method the class lacks (return super.call(method, args)
   * for a name you do not know).
   */
  call(method: string, args: Array<SV>): Result<SV, SV> {
    return rpcError("TypeError", 'The RPC receiver does not implement the method "' + method + '".');
  }

  /** alarm runs the alarm; a thrown value (non-null) retries it, with backoff, up to 6 times. The default throws. */
  alarm(info: AlarmInfo): SV | null {
    return SV.error("Error", "this Durable Object class has no alarm handler");
  }

  /** webSocketMessage handles a message on a socket the object accepted; a thrown value is logged. */
  webSocketMessage(ws: DurableWebSocket, message: WebSocketMessage): SV | null {
    return SV.error("Error", "this Durable Object class has no webSocketMessage handler");
  }

  /** webSocketClose is told that a socket closed (code 1005 when none was sent, 1006 when the connection was lost). */
  webSocketClose(ws: DurableWebSocket, code: u16, reason: string, wasClean: bool): SV | null {
    return null;
  }

  /** webSocketError is told that a socket failed; it is closed. */
  webSocketError(ws: DurableWebSocket, reason: string): SV | null {
    return null;
  }
}

/** Factory makes a class's instance for an object (its constructor). */
export type Factory = (ctx: DurableObjectState) => DurableObject;

const classes = new Map<string, Factory>();

/**
 * defineClass defines the Durable Object class name (the config's
 * class_name) with the factory that makes an instance of it. Call it at
 * the top level of the Worker's entry file.
 */
export function defineClass(name: string, factory: Factory): void {
  classes.set(name, factory);
}


/** Live is an object in memory. */
class Live {
  constructor(
    public state: DurableObjectState,
    public obj: DurableObject | null,
  ) {}
}

const live = new Map<string, Live>();

function describe(): ModuleInfo {
  const m = new ModuleInfo();
  const names = classes.keys();
  names.sort();
  m.classes = names;
  // Each event's state is in its own locals and objects: events may nest.
  m.reentrant = true;
  return m;
}

/** object returns info's object, constructing it on its first event; null for a class the Worker lacks. */
function object(info: ObjectInfo): Live | null {
  const key = info.className + "\0" + info.id;
  if (live.has(key)) return live.get(key);
  if (!classes.has(info.className)) return null;
  const st = new DurableObjectState(new DurableObjectId(info.id, info.name));
  const l = new Live(st, null);
  live.set(key, l); // before the constructor: its calls may nest events
  const make = classes.get(info.className);
  l.obj = make(st);
  return l;
}

function noClass(info: ObjectInfo): SV {
  return SV.error("Error", "durable: the Worker defines no class " + info.className + " (call defineClass)");
}

function evict(info: ObjectInfo): void {
  live.delete(info.className + "\0" + info.id);
}

/** FetchEvent is a fetch event in progress: its outparam, for acceptWebSocket. */
class FetchEvent {
  accepted: bool = false;
  constructor(public out: ResponseOutparam) {}
}

const fetches = new Map<Request, FetchEvent>();

function objectFetch(info: ObjectInfo, head: WitRequest, body: InputStream, out: ResponseOutparam): void {
  const req = new Request(head, body);
  const l = object(info);
  let res: Response;
  const ev = new FetchEvent(out);
  if (l == null) {
    res = Response.fail(noClass(info).asString());
  } else {
    fetches.set(req, ev);
    res = l.obj!.fetch(req);
    fetches.delete(req);
  }
  if (!ev.accepted) sendResponse(res, out);
  else if (res.stream != null) res.stream!.close(); // the host answered 101
  req.body.close();
  out.drop();
}

function objectCall(info: ObjectInfo, method: string, args: Uint8Array): Result<Uint8Array, Thrown> {
  const l = object(info);
  if (l == null) return Result.err<Uint8Array, Thrown>(thrownOf(noClass(info)));
  const a = decode(args);
  if (a.isErr || a.value.kind != Kind.Array) {
    const why = a.isErr ? a.error.message : "not an array";
    return Result.err<Uint8Array, Thrown>(thrownOf(SV.error("TypeError", method + ": the arguments are not an encoded array: " + why)));
  }
  const list = new Array<SV>();
  for (let i = 0; i < a.value.length; i++) list.push(a.value.at(i));
  const r = l.obj!.call(method, list);
  if (r.isErr) return Result.err<Uint8Array, Thrown>(thrownOf(r.error));
  const b = encode(r.value);
  if (b.isErr) return Result.err<Uint8Array, Thrown>(thrownOf(SV.error("Error", "DataCloneError: " + method + ": the result: " + b.error.message)));
  return Result.ok<Uint8Array, Thrown>(b.value);
}

function thrownOrNull(v: SV | null): Thrown | null {
  return v == null ? null : thrownOf(v);
}

function objectAlarm(info: ObjectInfo, ai: WitAlarmInfo): Thrown | null {
  const l = object(info);
  if (l == null) return thrownOf(noClass(info));
  return thrownOrNull(l.obj!.alarm(new AlarmInfo(ai.retryCount, ai.isRetry)));
}

function objectMessage(info: ObjectInfo, h: WitWebSocket, m: Message): Thrown | null {
  const l = object(info);
  if (l == null) {
    h.drop();
    return thrownOf(noClass(info));
  }
  const ws = l.state.socket(h);
  const binary = m.tag == Message.Binary;
  const msg = new WebSocketMessage(binary, binary ? "" : m.text!, binary ? m.binary! : new Uint8Array(0));
  return thrownOrNull(l.obj!.webSocketMessage(ws, msg));
}

function objectClose(info: ObjectInfo, h: WitWebSocket, code: u16, reason: string, wasClean: bool): Thrown | null {
  const l = object(info);
  if (l == null) {
    h.drop();
    return thrownOf(noClass(info));
  }
  const ws = l.state.socket(h);
  ws.closed = true;
  const r = l.obj!.webSocketClose(ws, code, reason, wasClean);
  l.state.forget(ws);
  return thrownOrNull(r);
}

function objectError(info: ObjectInfo, h: WitWebSocket, reason: string): Thrown | null {
  const l = object(info);
  if (l == null) {
    h.drop();
    return thrownOf(noClass(info));
  }
  const ws = l.state.socket(h);
  ws.closed = true;
  const r = l.obj!.webSocketError(ws, reason);
  l.state.forget(ws);
  return thrownOrNull(r);
}

// ---- state ------------------------------------------------------------------------------

/**
 * DurableObjectState is an object's context (Cloudflare's ctx): its id,
 * its storage, and its web sockets. Every call acts on the object whose
 * event is running, and only inside one of its events.
 */
export class DurableObjectState {
  /** storage is the object's transactional storage. */
  storage: DurableObjectStorage = new DurableObjectStorage();
  private sockets: Map<u64, DurableWebSocket> = new Map<u64, DurableWebSocket>();

  constructor(
    /** id is the object's id, with its name when it was reached by name. */
    public id: DurableObjectId,
  ) {}

  /**
   * blockConcurrency holds the object's other events until the block's
   * end (blockConcurrencyWhile without a closure, which AssemblyScript
   * lacks): use it in the constructor to load state before the first
   * event runs. If what it guards fails, call abort, as Cloudflare resets
   * an object whose callback throws.
   */
  blockConcurrency(): Result<ConcurrencyGuard, BinderyError> {
    const r = st.blockConcurrency();
    if (r.isErr) return Result.err<ConcurrencyGuard, BinderyError>(errorOf(r.error));
    return Result.ok<ConcurrencyGuard, BinderyError>(new ConcurrencyGuard(r.value));
  }

  /**
   * abort resets the object (ctx.abort): its event ends as failed (the
   * caller gets ErrorCode.ObjectFailed), open transactions roll back, and
   * its next event constructs it afresh. Return from the handler after it.
   */
  abort(reason: string): void {
    st.abort_(reason);
  }

  /**
   * acceptWebSocket accepts the web socket that req, the fetch event's
   * request, asks for (acceptWebSocket): the host answers 101 and delivers
   * the socket's messages to webSocketMessage, across hibernation. What
   * the fetch handler returns afterwards is not sent. tags (at most 10)
   * select the socket in getWebSockets.
   */
  acceptWebSocket(req: Request, tags: Array<string> = []): Result<DurableWebSocket, BinderyError> {
    const fe = this.fetchEvent(req);
    if (fe.isErr) return Result.err<DurableWebSocket, BinderyError>(fe.error);
    const ev = fe.value;
    for (let i = 0; i < tags.length; i++) {
      const bad = notText("tag", tags[i]);
      if (bad != null) return Result.err<DurableWebSocket, BinderyError>(bad);
    }
    const r = st.acceptWebSocket(ev.out, tags);
    if (r.isErr) return Result.err<DurableWebSocket, BinderyError>(errorOf(r.error));
    ev.accepted = true;
    return Result.ok<DurableWebSocket, BinderyError>(this.socket(r.value));
  }

  /**
   * acceptWebSocketInMemory accepts req's web socket as acceptWebSocket
   * does, but without hibernation (a WebSocketPair's plain accept()): the
   * object stays in memory while the socket is open, so what it keeps in
   * its fields lives as long as the connection. The socket has no tags.
   */
  acceptWebSocketInMemory(req: Request): Result<DurableWebSocket, BinderyError> {
    const ev = this.fetchEvent(req);
    if (ev.isErr) return Result.err<DurableWebSocket, BinderyError>(ev.error);
    const r = st.acceptWebSocketInMemory(ev.value.out);
    if (r.isErr) return Result.err<DurableWebSocket, BinderyError>(errorOf(r.error));
    ev.value.accepted = true;
    return Result.ok<DurableWebSocket, BinderyError>(this.socket(r.value));
  }

  /** fetchEvent returns the fetch event in progress of req, whose web socket is not accepted yet. */
  private fetchEvent(req: Request): Result<FetchEvent, BinderyError> {
    if (!fetches.has(req)) {
      return Result.err<FetchEvent, BinderyError>(failed(ErrorCode.Invalid, "durable: accepting a web socket needs the request of a fetch event in progress"));
    }
    const ev = fetches.get(req);
    if (ev.accepted) return Result.err<FetchEvent, BinderyError>(failed(ErrorCode.Invalid, "durable: the web socket was accepted already"));
    return Result.ok<FetchEvent, BinderyError>(ev);
  }

  /** getWebSockets returns the object's open web sockets, those tagged tag when given, in the order they were accepted. */
  getWebSockets(tag: string | null = null): Array<DurableWebSocket> {
    const out = new Array<DurableWebSocket>();
    if (tag != null && !wellFormed(tag)) return out; // no tag is such a string
    const hs = st.getWebSockets(tag);
    for (let i = 0; i < hs.length; i++) out.push(this.socket(hs[i]));
    return out;
  }

  /** setWebSocketAutoResponse makes the host answer request with response on every socket of the object without waking it. */
  setWebSocketAutoResponse(request: string, response: string): BinderyError | null {
    const bad = notText("auto-response", request + response);
    if (bad != null) return bad;
    const p = new AutoResponse();
    p.request = request;
    p.response = response;
    return orNull(st.setWebSocketAutoResponse(p));
  }

  /** clearWebSocketAutoResponse removes the auto-response. */
  clearWebSocketAutoResponse(): BinderyError | null {
    return orNull(st.setWebSocketAutoResponse(null));
  }

  /** getWebSocketAutoResponse returns the auto-response pair (request, response), or null. */
  getWebSocketAutoResponse(): Tuple2<string, string> | null {
    const p = st.getWebSocketAutoResponse();
    return p == null ? null : new Tuple2<string, string>(p.request, p.response);
  }

  /** setHibernatableWebSocketEventTimeout bounds how long a web socket event may run, in ms (at most 7 days); 0 for no bound. */
  setHibernatableWebSocketEventTimeout(ms: u32): BinderyError | null {
    return orNull(st.setHibernatableWebSocketEventTimeout(ms == 0 ? Option.none<u32>() : Option.some<u32>(ms)));
  }

  /** getHibernatableWebSocketEventTimeout returns the timeout in ms, 0 when there is none. */
  getHibernatableWebSocketEventTimeout(): u32 {
    const o = st.getHibernatableWebSocketEventTimeout();
    return o.isSome ? o.value : 0;
  }

  /** socket returns the object's DurableWebSocket for handle h (the one it has for the same socket, with h as its handle now). */
  socket(h: WitWebSocket): DurableWebSocket {
    const key = h.key();
    if (this.sockets.has(key)) {
      const ws = this.sockets.get(key);
      if (ws.h.handle != h.handle) {
        ws.h.drop();
        ws.h = h;
      }
      return ws;
    }
    const ws = new DurableWebSocket(h, key);
    this.sockets.set(key, ws);
    return ws;
  }

  /** forget drops a closed socket. */
  forget(ws: DurableWebSocket): void {
    this.sockets.delete(ws.key);
    ws.h.drop();
  }
}

/** ConcurrencyGuard holds the object's other events until end (blockConcurrency). */
export class ConcurrencyGuard {
  constructor(private b: ConcurrencyBlock) {}

  /** remainingMs is what is left of the 30 s a block may last. */
  remainingMs(): u32 {
    return this.b.remainingMs();
  }

  /** end lets the object's other events run again. */
  end(): void {
    this.b.drop();
  }
}

/** DurableWebSocket is a hibernatable web socket the object accepted. */
export class DurableWebSocket {
  /** closed is set once the socket's close or error event came. */
  closed: bool = false;

  constructor(
    public h: WitWebSocket,
    /** key names the socket while it is open. */
    public key: u64,
  ) {}

  /** send sends a text message; ErrorCode.Closed once the socket is closed. */
  send(text: string): BinderyError | null {
    const bad = notText("message", text);
    if (bad != null) return bad;
    return orNull(this.h.send(Message.text(text)));
  }

  /** sendBytes sends a binary message. */
  sendBytes(b: Uint8Array): BinderyError | null {
    return orNull(this.h.send(Message.binary(b)));
  }

  /** close closes the socket with code (1000, or 3000 to 4999; 0 for none) and reason. */
  close(code: u16 = 1000, reason: string = ""): BinderyError | null {
    const bad = notText("reason", reason);
    if (bad != null) return bad;
    return orNull(this.h.close(code == 0 ? Option.none<u16>() : Option.some<u16>(code), reason));
  }

  /** tags returns the tags it was accepted with. */
  tags(): Array<string> {
    return this.h.tags();
  }

  /** serializeAttachment keeps v (at most 16 KiB encoded) with the socket across hibernation. */
  serializeAttachment(v: SV): BinderyError | null {
    const b = encode(v);
    if (b.isErr) return failed(ErrorCode.Invalid, "durable: the attachment: " + b.error.message);
    return orNull(this.h.serializeAttachment(b.value));
  }

  /** deserializeAttachment returns what serializeAttachment kept, null when nothing. */
  deserializeAttachment(): Result<SV | null, BinderyError> {
    const b = this.h.deserializeAttachment();
    if (b == null) return Result.ok<SV | null, BinderyError>(null);
    const v = decode(b);
    if (v.isErr) return Result.err<SV | null, BinderyError>(failed(ErrorCode.Failed, "durable: the attachment: " + v.error.message));
    return Result.ok<SV | null, BinderyError>(v.value);
  }

  /** autoResponseTimestamp is when the host last sent the auto-response on it (ms since the epoch), -1 if never. */
  autoResponseTimestamp(): i64 {
    const t = this.h.autoResponseTimestamp();
    return t.isSome ? t.value : -1;
  }
}

// ---- storage ----------------------------------------------------------------------------

/** StorageListOptions select what list returns, as Cloudflare's list options. */
export class StorageListOptions {
  /** start is the first key (inclusive). */
  start: string | null = null;
  /** startAfter is the key to list after (exclusive); not with start. */
  startAfter: string | null = null;
  /** end is the key to stop before (exclusive). */
  end: string | null = null;
  /** prefix keeps only keys that begin with it. */
  prefix: string | null = null;
  /** reverse lists in descending order. */
  reverse: bool = false;
  /** limit is the most entries to return; 0 for all. */
  limit: u32 = 0;
}

function keysNotText(keys: Array<string>): BinderyError | null {
  for (let i = 0; i < keys.length; i++) {
    const bad = notText("key", keys[i]);
    if (bad != null) return bad;
  }
  return null;
}

function decodeValue(key: string, b: Uint8Array): Result<SV, BinderyError> {
  const v = decode(b);
  if (v.isErr) return Result.err<SV, BinderyError>(failed(ErrorCode.Failed, "durable: the value of " + key + ": " + v.error.message));
  return Result.ok<SV, BinderyError>(v.value);
}

/**
 * DurableObjectStorage is an object's storage (ctx.storage): keys and
 * structured values, transactions, SQL for SQLite-backed classes, and the
 * alarm. Each call is one transaction, durable when it returns.
 */
export class DurableObjectStorage {
  /** sql is the SQL API of a SQLite-backed class. */
  sql: SqlStorage = new SqlStorage();

  /** get returns the value of key, null when there is none. */
  get(key: string): Result<SV | null, BinderyError> {
    const r = this.getMultiple([key]);
    if (r.isErr) return Result.err<SV | null, BinderyError>(r.error);
    return Result.ok<SV | null, BinderyError>(r.value.has(key) ? r.value.get(key) : null);
  }

  /** getMultiple returns the values of up to 128 keys, found keys only, in the order asked. */
  getMultiple(keys: Array<string>): Result<Map<string, SV>, BinderyError> {
    const bad = keysNotText(keys);
    if (bad != null) return Result.err<Map<string, SV>, BinderyError>(bad);
    const r = st.get(keys);
    if (r.isErr) return Result.err<Map<string, SV>, BinderyError>(errorOf(r.error));
    const out = new Map<string, SV>();
    for (let i = 0; i < r.value.length; i++) {
      const b = r.value[i];
      if (b == null) continue;
      const v = decodeValue(keys[i], b);
      if (v.isErr) return Result.err<Map<string, SV>, BinderyError>(v.error);
      out.set(keys[i], v.value);
    }
    return Result.ok<Map<string, SV>, BinderyError>(out);
  }

  /** put stores v under key. */
  put(key: string, v: SV): BinderyError | null {
    return this.putMultiple([key], [v]);
  }

  /** putMultiple stores up to 128 entries (values[i] under keys[i]), all or none. */
  putMultiple(keys: Array<string>, values: Array<SV>): BinderyError | null {
    if (keys.length != values.length) return failed(ErrorCode.Invalid, "durable: putMultiple: " + keys.length.toString() + " keys but " + values.length.toString() + " values");
    const bad = keysNotText(keys);
    if (bad != null) return bad;
    const es = new Array<Entry>();
    for (let i = 0; i < keys.length; i++) {
      const b = encode(values[i]);
      if (b.isErr) return failed(ErrorCode.Invalid, "durable: the value of " + keys[i] + ": " + b.error.message);
      const e = new Entry();
      e.key = keys[i];
      e.value = b.value;
      es.push(e);
    }
    return orNull(st.put(es));
  }

  /** delete deletes key and returns whether it existed. */
  delete(key: string): Result<bool, BinderyError> {
    const r = this.deleteMultiple([key]);
    if (r.isErr) return Result.err<bool, BinderyError>(r.error);
    return Result.ok<bool, BinderyError>(r.value > 0);
  }

  /** deleteMultiple deletes up to 128 keys and returns how many existed. */
  deleteMultiple(keys: Array<string>): Result<u32, BinderyError> {
    const bad = keysNotText(keys);
    if (bad != null) return Result.err<u32, BinderyError>(bad);
    const r = st.delete_(keys);
    if (r.isErr) return Result.err<u32, BinderyError>(errorOf(r.error));
    return Result.ok<u32, BinderyError>(r.value);
  }

  /** list returns the entries options select, in key order (UTF-8 bytes; descending when reversed). */
  list(options: StorageListOptions | null = null): Result<Map<string, SV>, BinderyError> {
    const o = new ListOptions();
    if (options != null) {
      const parts = [options.start, options.startAfter, options.end, options.prefix];
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i];
        if (p != null) {
          const bad = notText("list option", p);
          if (bad != null) return Result.err<Map<string, SV>, BinderyError>(bad);
        }
      }
      o.start = options.start;
      o.startAfter = options.startAfter;
      o.end = options.end;
      o.prefix = options.prefix;
      o.reverse = options.reverse;
      if (options.limit > 0) o.limit = Option.some<u32>(options.limit);
    }
    const r = st.list(o);
    if (r.isErr) return Result.err<Map<string, SV>, BinderyError>(errorOf(r.error));
    const out = new Map<string, SV>();
    for (let i = 0; i < r.value.length; i++) {
      const e = r.value[i];
      const v = decodeValue(e.key, e.value);
      if (v.isErr) return Result.err<Map<string, SV>, BinderyError>(v.error);
      out.set(e.key, v.value);
    }
    return Result.ok<Map<string, SV>, BinderyError>(out);
  }

  /** deleteAll deletes every key (for a SQLite-backed class, every table). */
  deleteAll(): BinderyError | null {
    return orNull(st.deleteAll());
  }

  /**
   * transaction begins a transaction (or, inside one, a nested one): every
   * storage call until its commit or rollback, SQL included, is part of
   * it. AssemblyScript has no closures, so where JavaScript writes
   * transaction(closure), call commit when the work is done and rollback
   * when it fails. While it is open the object's other events wait, and
   * calls to other objects are refused.
   */
  transaction(): Result<DurableTransaction, BinderyError> {
    const r = st.beginTransaction();
    if (r.isErr) return Result.err<DurableTransaction, BinderyError>(errorOf(r.error));
    return Result.ok<DurableTransaction, BinderyError>(new DurableTransaction(r.value));
  }

  /** getAlarm returns the alarm's time in ms since the epoch, or -1 when none is set. */
  getAlarm(): Result<i64, BinderyError> {
    const r = st.getAlarm();
    if (r.isErr) return Result.err<i64, BinderyError>(errorOf(r.error));
    return Result.ok<i64, BinderyError>(r.value.isSome ? r.value.value : -1);
  }

  /** setAlarm sets the object's one alarm to ms since the epoch (now() + delay), replacing any other. */
  setAlarm(ms: i64): BinderyError | null {
    return orNull(st.setAlarm(ms));
  }

  /** deleteAlarm deletes the alarm, if one is set. */
  deleteAlarm(): BinderyError | null {
    return orNull(st.deleteAlarm());
  }
}

/** DurableTransaction is a transaction in progress: commit it, or roll it back. */
export class DurableTransaction {
  constructor(private t: Transaction) {}

  /** commit makes its writes durable (or part of the enclosing transaction). */
  commit(): BinderyError | null {
    const e = this.t.commit();
    this.t.drop();
    return orNull(e);
  }

  /** rollback undoes its writes. */
  rollback(): BinderyError | null {
    const e = this.t.rollback();
    this.t.drop();
    return orNull(e);
  }
}

const WALL: u32 = 0;

@external("wasi_snapshot_preview1", "clock_time_get")
declare function clock_time_get(id: u32, precision: u64, time: usize): u16;

const nowBuf = memory.data(8, 8);

/** now returns the time in ms since the Unix epoch (the host's clock), for setAlarm. */
export function now(): i64 {
  clock_time_get(WALL, 1000000, nowBuf);
  return <i64>(load<u64>(nowBuf) / 1000000);
}

// ---- SQL ------------------------------------------------------------------------------

function sqlValue(v: D1Value): SqlValue {
  switch (v.type) {
    case D1Type.Integer:
      return SqlValue.integer(v.asInt());
    case D1Type.Real:
      return SqlValue.real(v.asReal());
    case D1Type.Text:
      return SqlValue.text(v.asText()!);
    case D1Type.Blob:
      return SqlValue.blob(v.asBytes()!);
  }
  return SqlValue.null_();
}

function d1Value(v: SqlValue): D1Value {
  switch (v.tag) {
    case SqlValue.Integer:
      return D1Value.int(v.integer);
    case SqlValue.Real:
      return D1Value.real(v.real);
    case SqlValue.Text:
      return D1Value.text(v.text!);
    case SqlValue.Blob:
      return D1Value.bytes(v.blob!);
  }
  return D1Value.null();
}

/** SqlStorage runs SQL on a SQLite-backed object's database (ctx.storage.sql); a KV-backed class gets ErrorCode.Refused. */
export class SqlStorage {
  /**
   * exec runs one or more statements separated by semicolons and returns
   * the last one's rows; only the last may have parameters (? and ?NNN),
   * D1Values as D1 binds them. The statements before a failing one stay done.
   */
  exec(query: string, params: Array<D1Value> = []): Result<SqlCursor, BinderyError> {
    const bad = notText("SQL", query);
    if (bad != null) return Result.err<SqlCursor, BinderyError>(bad);
    const ps = new Array<SqlValue>();
    for (let i = 0; i < params.length; i++) {
      const t = params[i].asText();
      if (t != null) {
        const b = notText("parameter", t);
        if (b != null) return Result.err<SqlCursor, BinderyError>(b);
      }
      ps.push(sqlValue(params[i]));
    }
    const r = st.sqlExec(query, ps);
    if (r.isErr) return Result.err<SqlCursor, BinderyError>(errorOf(r.error));
    return Result.ok<SqlCursor, BinderyError>(new SqlCursor(r.value));
  }

  /** databaseSize returns the database's size in bytes. */
  databaseSize(): Result<u64, BinderyError> {
    const r = st.databaseSize();
    if (r.isErr) return Result.err<u64, BinderyError>(errorOf(r.error));
    return Result.ok<u64, BinderyError>(r.value);
  }
}

/** CURSOR_BATCH is how many rows a cursor brings from the host at once. */
const CURSOR_BATCH: u32 = 256;

/** SqlCursor reads the rows of exec's last statement, in batches from the host. */
export class SqlCursor {
  /** columnNames are the column names in order (a name may repeat). */
  columnNames: Array<string>;
  private batch: Array<Array<SqlValue>> = [];
  private at: i32 = 0;
  private done: bool = false;

  constructor(private h: Cursor) {
    this.columnNames = h.columnNames();
  }

  /** next returns the next row's values, one per column; null at the end. */
  next(): Array<D1Value> | null {
    if (this.at >= this.batch.length) {
      if (this.done) return null;
      this.batch = this.h.next(CURSOR_BATCH);
      this.at = 0;
      if (this.batch.length == 0) {
        this.done = true;
        return null;
      }
    }
    const row = this.batch[this.at++];
    const out = new Array<D1Value>(row.length);
    for (let i = 0; i < row.length; i++) out[i] = d1Value(row[i]);
    return out;
  }

  /** toArray reads the remaining rows as D1Rows (by column name, as toArray's objects). */
  toArray(): Array<D1Row> {
    const out = new Array<D1Row>();
    for (;;) {
      const r = this.next();
      if (r == null) break;
      out.push(new D1Row(this.columnNames, r));
    }
    return out;
  }

  /** one returns the only row; an error when there is none or more than one. */
  one(): Result<Array<D1Value>, BinderyError> {
    const r = this.next();
    if (r == null) return Result.err<Array<D1Value>, BinderyError>(failed(ErrorCode.SQL, "Expected exactly one result from SQL query, but got no results."));
    if (this.next() != null) return Result.err<Array<D1Value>, BinderyError>(failed(ErrorCode.SQL, "Expected exactly one result from SQL query, but got multiple results."));
    return Result.ok<Array<D1Value>, BinderyError>(r);
  }

  /** rowsRead returns the rows the statements read. */
  get rowsRead(): u64 {
    return this.h.rowsRead();
  }

  /** rowsWritten returns the rows the statements wrote. */
  get rowsWritten(): u64 {
    return this.h.rowsWritten();
  }

  /** close releases the cursor. */
  close(): void {
    this.h.drop();
  }
}

// ---- the object events -------------------------------------------------------------

// Every Worker that imports this file exports them (with no class
// defined, describe lists none).
setDescribe(describe);
setFetch(objectFetch);
setCall(objectCall);
setAlarmExport(objectAlarm);
setWebSocketMessage(objectMessage);
setWebSocketClose(objectClose);
setWebSocketError(objectError);
setEvict(evict);
