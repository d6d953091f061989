// Tests of queue.ts (the acknowledgement rules of workerd's queue.c++ and
// the bodies of each content type), scheduled.ts and structured.ts's
// fromJSON, compiled by build.sh --test into a module that
// test/queue_test.mjs runs under node, which serves bindery:log/console
// (counting warnings) and "test" "warnings". run returns one line per
// failure and a last line "N checks, M failed".

import { ErrorCode, MessageSendRequest, NO_DELAY } from "../index";
import { Message as WitMessage, Outcome } from "../generated/queue_consumer";
import { ContentType } from "../generated/queue_types";
import { MessageBatch, handleBatch, serveQueue } from "../queue";
import { Kind, SV, encode, fromJSON } from "../structured";

/** warnings returns how many warnings the module has logged so far. */
@external("test", "warnings")
declare function warnings(): i32;

let checks = 0;
let failures = new Array<string>();

function check(ok: bool, what: string): void {
  checks++;
  if (!ok) failures.push(what);
}

function messages(n: i32): Array<WitMessage> {
  const ms = new Array<WitMessage>(0);
  for (let i = 0; i < n; i++) {
    const m = new WitMessage();
    m.id = "id" + i.toString();
    m.timestamp = 1700000000000 + i;
    m.body = Uint8Array.wrap(String.UTF8.encode("m" + i.toString()));
    m.contentType = ContentType.Text;
    m.attempts = 1;
    ms.push(m);
  }
  return ms;
}

function join(a: Array<u32>): string {
  const s = new Array<string>(0);
  for (let i = 0; i < a.length; i++) s.push(a[i].toString());
  return s.join(",");
}

/** describe renders an outcome: "acked=0,2 retried=1@5,3 ackAll retryAll@7 error=x". */
function describe(o: Outcome): string {
  const r = new Array<string>(0);
  for (let i = 0; i < o.retried.length; i++) {
    const x = o.retried[i];
    r.push(x.index.toString() + (x.delaySeconds.isSome ? "@" + x.delaySeconds.value.toString() : ""));
  }
  let s = "acked=" + join(o.acked) + " retried=" + r.join(",");
  if (o.ackAll) s += " ackAll";
  if (o.retryAll) s += " retryAll" + (o.retryAllDelay.isSome ? "@" + o.retryAllDelay.value.toString() : "");
  const e = o.error;
  if (e != null) s += " error=" + e;
  return s;
}

let scenario: (b: MessageBatch) => string | null = (b: MessageBatch): string | null => null;

/** outcome runs scenario on a batch of n text messages and checks the outcome and the warnings it logged. */
function outcome(name: string, n: i32, fn: (b: MessageBatch) => string | null, want: string, wantWarnings: i32): void {
  scenario = fn;
  const before = warnings();
  const got = describe(handleBatch("q", messages(n)));
  check(got == want, name + ": outcome " + got + ", want " + want);
  const w = warnings() - before;
  check(w == wantWarnings, name + ": " + w.toString() + " warnings, want " + wantWarnings.toString());
}

function rules(): void {
  serveQueue((b: MessageBatch): string | null => scenario(b));
  outcome("nothing", 2, (b: MessageBatch): string | null => null, "acked= retried=", 0);
  outcome("ack and retry", 3, (b: MessageBatch): string | null => {
    b.messages[2].ack();
    b.messages[0].retry(5);
    b.messages[1].retry();
    return null;
  }, "acked=2 retried=0@5,1", 0);
  outcome("ack twice", 1, (b: MessageBatch): string | null => {
    b.messages[0].ack();
    b.messages[0].ack();
    return null;
  }, "acked=0 retried=", 0);
  outcome("ack then retry", 1, (b: MessageBatch): string | null => {
    b.messages[0].ack();
    b.messages[0].retry();
    return null;
  }, "acked=0 retried=", 1);
  outcome("retry then ack", 1, (b: MessageBatch): string | null => {
    b.messages[0].retry(3);
    b.messages[0].ack();
    return null;
  }, "acked= retried=0@3", 1);
  outcome("retry twice: the later delay", 1, (b: MessageBatch): string | null => {
    b.messages[0].retry(3);
    b.messages[0].retry(9);
    b.messages[0].retry();
    return null;
  }, "acked= retried=0@9", 0);
  outcome("ackAll then ack, retry, retryAll", 2, (b: MessageBatch): string | null => {
    b.ackAll();
    b.messages[0].ack(); // silently nothing, as workerd
    b.messages[1].retry();
    b.retryAll();
    return null;
  }, "acked= retried= ackAll", 2);
  outcome("retryAll then ack, ackAll, retry", 2, (b: MessageBatch): string | null => {
    b.retryAll(7);
    b.messages[0].ack();
    b.ackAll();
    b.messages[1].retry(2); // recorded, as workerd
    return null;
  }, "acked= retried=1@2 retryAll@7", 2);
  outcome("retryAll twice", 1, (b: MessageBatch): string | null => {
    b.retryAll(4);
    b.retryAll();
    return null;
  }, "acked= retried= retryAll@4", 0);
  outcome("ack before retryAll", 2, (b: MessageBatch): string | null => {
    b.messages[1].ack();
    b.retryAll();
    return null;
  }, "acked=1 retried= retryAll", 0);
  outcome("a negative delay", 1, (b: MessageBatch): string | null => {
    b.messages[0].retry(-5);
    return null;
  }, "acked= retried=0", 1);
  outcome("NO_DELAY", 1, (b: MessageBatch): string | null => {
    b.messages[0].retry(NO_DELAY);
    return null;
  }, "acked= retried=0", 0);
  outcome("an error", 2, (b: MessageBatch): string | null => {
    b.messages[0].ack();
    return "boom";
  }, "acked=0 retried= error=boom", 0);
  outcome("the batch", 2, (b: MessageBatch): string | null => {
    if (b.queue != "q" || b.messages.length != 2) return "batch " + b.queue + " of " + b.messages.length.toString();
    const m = b.messages[1];
    if (m.id != "id1" || m.timestamp != 1700000000001 || m.attempts != 1 || m.text() != "m1") return "message " + m.id;
    return null;
  }, "acked= retried=", 0);
}

// What bodies' scenario saw (AssemblyScript has no closures).
let got: SV | null = null;
let err: string | null = null;

function bodies(): void {
  const m = new WitMessage();
  m.id = "x";
  m.attempts = 2;
  scenario = (b: MessageBatch): string | null => {
    const r = b.messages[0].body();
    got = r.isOk ? r.value : null;
    err = r.isErr ? r.error.message : null;
    return null;
  };
  const cases: Array<Array<string>> = [
    // content type, body (for v8: JSON of the value to encode), want (SV.toString), or "!" + error text
    ["text", "héllo", SV.string("héllo").toString()],
    ["json", '{"key":"k","n":[1,2.5,-3e2],"t":true,"z":null,"s":"a\\"\\u00e9\\ud83d\\ude00"}',
      SV.object().set("key", SV.string("k")).set("n", SV.array([SV.number(1), SV.number(2.5), SV.number(-300)])).set("t", SV.bool(true)).set("z", SV.null()).set("s", SV.string("a\"é😀")).toString()],
    ["json", "[1,", "!queue: message x: at byte 3: JSON: unexpected end of text"],
    ["v8", '{"key":"v","n":1.5}', SV.object().set("key", SV.string("v")).set("n", SV.number(1.5)).toString()],
  ];
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    m.contentType = c[0] == "text" ? ContentType.Text : c[0] == "json" ? ContentType.Json : ContentType.V8;
    if (c[0] == "v8") m.body = encode(fromJSON(c[1]).value).value;
    else m.body = Uint8Array.wrap(String.UTF8.encode(c[1]));
    handleBatch("q", [m]);
    const want = c[2];
    if (want.startsWith("!")) check(err == want.substring(1), c[0] + " " + c[1] + ": error " + (err != null ? err! : "none") + ", want " + want.substring(1));
    else check(got != null && got!.toString() == want, c[0] + " " + c[1] + ": " + (got != null ? got!.toString() : "error " + err!) + ", want " + want);
  }
  m.contentType = ContentType.Bytes;
  m.body = new Uint8Array(3);
  m.body[2] = 0xff;
  handleBatch("q", [m]);
  check(got != null && got!.kind == Kind.Bytes && got!.asBytes().length == 3 && got!.asBytes()[2] == 0xff, "bytes: " + (got != null ? got!.toString() : "error"));
  m.contentType = ContentType.V8;
  m.body = Uint8Array.wrap(String.UTF8.encode("{}"));
  handleBatch("q", [m]);
  check(err != null && err!.startsWith("queue: message x: at byte 0: "), "v8 that is not the encoding: " + (err != null ? err! : "no error"));
}

function json(): void {
  const bad = ["", "{", "[1 2]", "01", "1.", "-", "tru", '"a', '"\\x"', '"\\u12"', "[1]x", '{"a" 1}', '{1:2}', "\"\t\""];
  for (let i = 0; i < bad.length; i++) check(fromJSON(bad[i]).isErr, "fromJSON accepted " + bad[i]);
  const good = ["0", "-0.5e-3", "1E2", " [ ] ", "{}", '"\\/\\b\\f\\n\\r\\t"', '{"a":1,"a":2}'];
  for (let i = 0; i < good.length; i++) check(fromJSON(good[i]).isOk, "fromJSON refused " + good[i] + ": " + (fromJSON(good[i]).isErr ? fromJSON(good[i]).error.message : ""));
  const dup = fromJSON('{"a":1,"b":2,"a":3}').value;
  check(dup.length == 2 && dup.keyAt(0) == "a" && dup.at(0).asNumber() == 3, "a repeated key: " + dup.toString());
  check(fromJSON("[".repeat(300) + "]".repeat(300)).isErr, "fromJSON accepted nesting deeper than MAX_DEPTH");
}

/** producer checks what the SDK refuses before a send reaches the host, and what it lowers. */
function producer(): void {
  const cases: Array<MessageSendRequest> = [
    MessageSendRequest.text("a\uD800"),
    MessageSendRequest.json('"\uDC00"'),
    MessageSendRequest.text("x", -2),
  ];
  const want = [
    'queue: text "a\\ud800" is not well-formed Unicode',
    'queue: JSON text "\\"\\udc00\\"" is not well-formed Unicode',
    "queue: delaySeconds -2 is negative",
  ];
  for (let i = 0; i < cases.length; i++) {
    const r = cases[i].wit();
    check(r.isErr && r.error.code == ErrorCode.Invalid && r.error.message.startsWith(want[i]), "producer case " + i.toString() + ": " + (r.isErr ? r.error.message : "accepted"));
  }
  const bad = MessageSendRequest.value(SV.string("a\uD800"));
  check(bad.isErr && bad.error.code == ErrorCode.Invalid && bad.error.message.startsWith("queue: value"), "a value encode refuses: " + (bad.isErr ? bad.error.message : "accepted"));
  const ok = MessageSendRequest.text("héllo", 30).wit();
  check(ok.isOk && ok.value.contentType == ContentType.Text && ok.value.body.length == 6 && ok.value.delaySeconds.isSome && ok.value.delaySeconds.value == 30, "text héllo, 30 s");
  const none = MessageSendRequest.bytes(new Uint8Array(2)).wit();
  check(none.isOk && none.value.contentType == ContentType.Bytes && !none.value.delaySeconds.isSome, "bytes without a delay");
  const v = MessageSendRequest.value(SV.object().set("n", SV.number(1.5)));
  check(v.isOk && v.value.contentType == ContentType.V8 && v.value.body[0] == 0xd9, "a value is v8, encoded");
}

export function run(): string {
  rules();
  producer();
  bodies();
  json();
  const out = failures.join("\n") + (failures.length > 0 ? "\n" : "") + checks.toString() + " checks, " + failures.length.toString() + " failed";
  checks = 0;
  failures = [];
  return out;
}
