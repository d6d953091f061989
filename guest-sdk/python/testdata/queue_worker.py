# The queue and scheduled handlers of the Python SDK through the
# component's exports (host/python_queue_test.go, TestPythonQueueExports),
# in Cloudflare's older module style (on_queue, on_scheduled). Each
# message's body may hold "ops", what the handler does on it: "ack",
# "retry", "retry:N" (delaySeconds N), "ackAll", "retryAll",
# "retryAll:N", "throw". What the handler saw goes to KV (through
# ctx.waitUntil, which runs even when the handler throws): "seen:<queue>"
# is a list of {id, timestamp, attempts, type (the body's Python type),
# body (bytes as hex)}. GET /kv/<key> reads KV. GET /produce sends
# through env.QUEUE in each spelling and content type, then answers what
# the refused sends raised.
import json
from urllib.parse import unquote, urlsplit

from bindery import BindingError, Response


async def fetch(request, env):
    path = urlsplit(request.url).path
    if path.startswith("/kv/"):
        v = await env.STORE.get(unquote(path[4:]))
        return Response("null" if v is None else v, headers={"content-type": "application/json"})
    if path == "/produce":
        return Response.json(await produce(env))
    return Response("not found", status=404)


async def produce(env):
    q = env.QUEUE
    await q.send("text", content_type="text")
    await q.send(b"\x00\xff", contentType="bytes", delaySeconds=5)
    await q.send({"a": [1, "é"]}, {"contentType": "json"})
    await q.send({"key": "v8", "b": b"\x00\x01\xff", "n": 1.5})
    await q.send_batch([{"body": "b1", "contentType": "text"},
                        {"body": "b2", "content_type": "TEXT", "delay_seconds": 3}], delaySeconds=7)
    await q.sendBatch([{"body": bytearray(b"b3"), "contentType": "bytes"}])
    refused = {}
    for name, f in (
        ("host", lambda: q.send("fail", content_type="text")),
        ("text-not-str", lambda: q.send(1, content_type="text")),
        ("unknown-type", lambda: q.send("x", content_type="xml")),
        ("negative-delay", lambda: q.send("x", delaySeconds=-1)),
        ("unknown-option", lambda: q.send("x", delay=1)),
        ("batch-not-dicts", lambda: q.sendBatch(["x"])),
        ("v8-function", lambda: q.send(print)),
    ):
        try:
            await f()
            refused[name] = "sent"
        except BindingError as e:
            refused[name] = f"BindingError {e.code}: {e.message}"
        except Exception as e:
            refused[name] = type(e).__name__
    refused["ungranted"] = env.get("NOPE", "absent")
    return refused


def render(v):
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, dict):
        return {k: render(x) for k, x in v.items()}
    if isinstance(v, list):
        return [render(x) for x in v]
    return v


async def on_queue(batch, env, ctx):
    seen = []

    async def save():
        await env.STORE.put("seen:" + batch.queue, json.dumps(seen))

    ctx.waitUntil(save())
    for m in batch.messages:
        body = m.body
        seen.append({"id": m.id, "timestamp": m.timestamp.getTime(), "attempts": m.attempts,
                     "type": type(body).__name__, "body": render(body)})
        ops = (body.get("ops") or []) if isinstance(body, dict) else []
        for op in ops:
            name, _, n = op.partition(":")
            delay = int(n) if n else None
            if name == "ack":
                m.ack()
            elif name == "retry":
                m.retry(delaySeconds=delay)
            elif name == "ackAll":
                batch.ackAll()
            elif name == "retryAll":
                batch.retryAll(delay_seconds=delay)
            elif name == "throw":
                raise ValueError(f"thrown at message {m.id}")


async def on_scheduled(controller, env):
    record = {"cron": controller.cron, "scheduledTime": controller.scheduledTime, "type": controller.type}
    controller.noRetry()
    await env.STORE.put("cron", json.dumps(record))
    if controller.cron == "0 0 * * *":
        raise RuntimeError("scheduled failed on purpose")
