// The Queues and cron section of the conformance Worker
// (conformance/queues_test.go): the /queue and /cron routes, the queue
// handler of conf-queue and conf-dlq, and the scheduled handler.

import {
  BinderyError,
  Env,
  MessageSendRequest,
  QueueContentType,
  QueueSendOptions,
  Request,
  Response,
  quote,
} from "../../guest-sdk/assemblyscript";
import { Message, MessageBatch, serveQueue } from "../../guest-sdk/assemblyscript/queue";
import { ScheduledController, serveScheduled } from "../../guest-sdk/assemblyscript/scheduled";
import { Kind, SV, fromJSON } from "../../guest-sdk/assemblyscript/structured";
import { bytes, hex, jsonOf } from "./durable";

const KV = "STORE";
const QUEUE = "QUEUE";

/** param returns the query parameter name of req, decoded, or null. */
function param(req: Request, name: string): string | null {
  const pairs = req.query.split("&");
  for (let i = 0; i < pairs.length; i++) {
    const eq = pairs[i].indexOf("=");
    const k = eq < 0 ? pairs[i] : pairs[i].substring(0, eq);
    if (k == name) return eq < 0 ? "" : decodeURIComponent(pairs[i].substring(eq + 1).replaceAll("+", " "));
  }
  return null;
}

function sent(e: BinderyError | null): Response {
  if (e != null) return Response.json('{"error":' + quote(e.message) + "}");
  return Response.json('{"ok":true}');
}

function errorText(e: BinderyError | null): string {
  return quote(e != null ? e.message : "");
}

/** kvJSON answers the KV value of key (JSON text as stored) or null. */
function kvJSON(key: string): Response {
  const r = Env.kv(KV).getText(key);
  if (r.isErr) return Response.text(r.error.message, 500);
  const v = r.value;
  return Response.json(v != null ? v : "null");
}

/** queueRoute serves /queue/... and /cron/.... */
export function queueRoute(req: Request, p: string): Response {
  const q = Env.queue(QUEUE);
  const m = req.method;
  if (m == "POST" && p == "/queue/send") {
    const t = param(req, "type");
    if (t == "text") return sent(q.sendText(req.text()));
    if (t == "bytes") return sent(q.sendBytes(req.bytes()));
    if (t == "json") return sent(q.sendJson(req.text()));
    if (t == "v8") {
      const key = param(req, "key");
      const v = SV.object()
        .set("key", SV.string(key != null ? key : ""))
        .set("n", SV.number(1.5))
        .set("b", SV.bytes(bytes([0, 1, 0xff])));
      return sent(q.sendValue(v));
    }
    return Response.text("unknown type", 400);
  }
  if (m == "POST" && p == "/queue/batch") {
    const v = fromJSON(req.text());
    if (v.isErr) return Response.text(v.error.message, 400);
    const list = v.value;
    if (list.kind != Kind.Array) return Response.text("want a JSON array", 400);
    const msgs = new Array<MessageSendRequest>(0);
    for (let i = 0; i < list.length; i++) msgs.push(MessageSendRequest.text(list.at(i).asString()));
    return sent(q.sendBatch(msgs));
  }
  if (m == "GET" && p == "/queue/limits") {
    const large = q.sendText("x".repeat(131072));
    const many = new Array<MessageSendRequest>(0);
    for (let i = 0; i < 101; i++) many.push(MessageSendRequest.text("x"));
    const tooMany = q.sendBatch(many);
    const late = q.sendText("x", QueueSendOptions.delay(86401));
    return Response.json('{"large":' + errorText(large) + ',"many":' + errorText(tooMany) + ',"delay":' + errorText(late) + "}");
  }
  if (m == "GET" && p.startsWith("/queue/seen/")) return kvJSON("seen:" + decodeURIComponent(p.substring(12)));
  if (m == "GET" && p.startsWith("/queue/dead/")) return kvJSON("dead:" + decodeURIComponent(p.substring(12)));
  if (m == "GET" && p == "/cron/last") {
    const cron = param(req, "cron");
    return kvJSON("cron:" + (cron != null ? cron : ""));
  }
  return Response.text("not found", 404);
}

/** Decoded is a message's key, its body as the suite renders it, and its mode. */
class Decoded {
  key: string = "";
  body: string = "null";
  mode: string = "";
}

function decoded(msg: Message): Decoded {
  const d = new Decoded();
  if (msg.contentType == QueueContentType.Text) {
    d.key = msg.text();
    d.body = quote(d.key);
    return d;
  }
  if (msg.contentType == QueueContentType.Bytes) {
    d.key = hex(msg.bytes);
    d.body = quote(d.key);
    return d;
  }
  const v = msg.body();
  if (v.isErr) {
    d.body = quote(v.error.message);
    return d;
  }
  // JSON as received; a v8 value rendered with bytes as hex.
  d.body = msg.contentType == QueueContentType.Json ? msg.text() : jsonOf(v.value);
  const key = v.value.kind == Kind.Object ? v.value.get("key") : null;
  if (key != null && key.kind == Kind.String) d.key = key.asString();
  const mode = v.value.kind == Kind.Object ? v.value.get("mode") : null;
  if (mode != null && mode.kind == Kind.String) d.mode = mode.asString();
  return d;
}

function queue(batch: MessageBatch): string | null {
  const store = Env.kv(KV);
  let boom: string | null = null;
  for (let i = 0; i < batch.messages.length; i++) {
    const msg = batch.messages[i];
    const d = decoded(msg);
    if (batch.queue == "conf-dlq") {
      const e = store.putText("dead:" + d.key, '{"queue":' + quote(batch.queue) + ',"attempts":' + msg.attempts.toString() + ',"body":' + d.body + "}");
      if (e != null) return e.message;
      continue;
    }
    const e = store.putText(
      "seen:" + d.key,
      '{"queue":' + quote(batch.queue) +
        ',"id":' + quote(msg.id) +
        ',"timestamp":' + msg.timestamp.toString() +
        ',"attempts":' + msg.attempts.toString() +
        ',"batchSize":' + batch.messages.length.toString() +
        ',"body":' + d.body +
        "}",
    );
    if (e != null) return e.message;
    if (d.mode == "ack") msg.ack();
    else if (d.mode == "retry") msg.retry();
    else if (d.mode == "ack-then-retry") {
      msg.ack();
      msg.retry();
    } else if (d.mode == "retry-all") batch.retryAll();
    else if (d.mode == "ack-all-then-retry-all") {
      batch.ackAll();
      batch.retryAll();
    } else if (d.mode == "throw" && boom == null) boom = "boom " + d.key;
  }
  return boom;
}

function scheduled(c: ScheduledController): string | null {
  const e = Env.kv(KV).putText("cron:" + c.cron, '{"cron":' + quote(c.cron) + ',"scheduledTime":' + c.scheduledTime.toString() + "}");
  if (e != null) return e.message;
  if (c.cron == "59 23 31 12 *") return "cron boom";
  return null;
}

serveQueue(queue);
serveScheduled(scheduled);
