# The conformance Worker in Python: the contract every language implements
# (see conformance/harness_test.go), written with guest-sdk/python.
#
#   guest-sdk/python/build.sh conformance/python/worker.py -o python.wasm
import datetime
import json
from urllib.parse import parse_qs, unquote, urlsplit

from bindery import BindingError, D1Error, Response, trap
from durable import Conformance, do_route  # noqa: F401 (Conformance: the Durable Object class the config binds)


def text(body, status=200):
    return Response(body, status=status, headers={"content-type": "text/plain; charset=utf-8"})


async def fetch(request, env):
    path = urlsplit(request.url).path
    m = request.method
    if path == "/hello" and m == "GET":
        return text("hello from python")
    if path.startswith("/kv/"):
        return await kv(request, env, unquote(path[4:]))
    if path == "/vars" and m == "GET":
        token = env.get("API_TOKEN")
        return Response.json({"greeting": env.GREETING, "secret_set": isinstance(token, str) and len(token) > 0})
    if path == "/kv-too-long" and m == "PUT":
        try:
            await env.STORE.put("k" * 513, "x")
        except BindingError as e:
            return text(str(e), 400)
        return text("a 513-byte key was accepted", 500)
    if path == "/echo" and m == "POST":
        # Through Python, chunk by chunk (not a host splice).
        return Response((chunk for chunk in request.body), headers={"content-type": "application/octet-stream"})
    if path.startswith("/r2/"):
        return await r2(request, env, unquote(path[4:]))
    if path == "/trap":
        trap("conformance: trap")
    if path == "/fail":
        # An exception: the SDK fails the request through the host.
        raise RuntimeError(FAILURE)
    if path == "/fail-stream":
        return Response(fail_stream(), headers={"content-type": "application/octet-stream"})
    if path == "/kv-not-utf8" and m == "PUT":
        # What unquote("%FF%FE", errors="surrogateescape") gives.
        try:
            await env.STORE.put("\udcff\udcfe", "x")
        except BindingError as e:
            if e.code == "invalid-key":
                return text(str(e), 400)
            return text(f"want invalid-key, got {e}", 500)
        return text("a key with surrogates was accepted", 500)
    if path.startswith("/do/"):
        return await do_route(request, env, path)
    if path.startswith("/d1/"):
        return await d1(m, path[4:], env.DB)
    if path == "/sdk-errors":
        return Response.json(await sdk_errors(env))
    if path.startswith("/queue/"):
        return await queue_route(request, env, path, parse_qs(urlsplit(request.url).query))
    if path == "/cron/last" and m == "GET":
        cron = parse_qs(urlsplit(request.url).query).get("cron", [""])[0]
        return await kv_json(env, "cron:" + cron)
    if path == "/status-wrap":
        # A status a u16 cannot hold: the SDK raises (a failed request), never a trap.
        return Response("this status must not be sent", status=65736)
    return text("not found", 404)


async def kv(request, env, key):
    if request.method == "PUT":
        try:
            await env.STORE.put(key, await request.bytes())
        except BindingError as e:
            return text(str(e), 400)
        return Response(status=204)
    if request.method == "GET":
        v = await env.STORE.get(key, "bytes")
        return text("not found", 404) if v is None else Response(v)
    if request.method == "DELETE":
        await env.STORE.delete(key)
        return Response(status=204)
    return text("method not allowed", 405)


async def r2(request, env, key):
    if request.method == "PUT":
        try:
            obj = await env.FILES.put(key, request.body)  # moves inside the host
        except BindingError as e:
            return text(str(e), 400)
        return Response.json({"etag": obj.etag, "size": obj.size}, status=201)
    if request.method == "GET":
        obj = await env.FILES.get(key)
        if obj is None:
            return text("not found", 404)
        return Response(obj.body)  # spliced inside the host
    return text("method not allowed", 405)


# --- D1 (conformance/d1_test.go) ---


def d1_out(v):
    """A value as the D1 section renders it: an int as its decimal text
    (whole beyond 2^53), a blob as lower-case hex; the rest as JSON has it."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    return v


async def d1_count(db):
    return d1_out(await db.prepare("SELECT count(*) AS c FROM t").first("c"))


async def d1_error(f):
    """The message of the D1Error f() raises, or what happened instead."""
    try:
        await f()
    except D1Error as e:
        return e.message
    return "succeeded, want a D1Error"


async def d1(method, route, db):
    if route == "setup" and method == "POST":
        r = await db.exec("DROP TABLE IF EXISTS t; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER, r REAL, b BLOB)")
        return Response.json({"count": r["count"]})
    if route == "insert" and method == "POST":
        stmt = db.prepare("INSERT INTO t (name, n, r, b) VALUES (?1, ?2, ?3, ?4)")
        r = await stmt.bind("héllo", 9007199254740993, 1.5, b"\x00\x01\xff").run()
        m = r["meta"]
        return Response.json({"success": r["success"], "changes": m["changes"], "last_row_id": m["last_row_id"],
                              "rows_written": m["rows_written"], "changed_db": m["changed_db"]})
    if route == "row":
        row = await db.prepare("SELECT id, name, n, r, b, NULL AS z FROM t WHERE id = ?").bind(1).first()
        return Response.json({k: d1_out(v) for k, v in row.items()})
    if route == "first":
        name = await db.prepare("SELECT name FROM t WHERE id = 1").first("name")
        none = await db.prepare("SELECT * FROM t WHERE id = 999").first()
        return Response.json({"name": name, "none": none})
    if route == "raw":
        rows = await db.prepare("SELECT id, name FROM t ORDER BY id").raw(column_names=True)
        return Response.json([[d1_out(v) for v in row] for row in rows])
    if route == "batch" and method == "POST":
        rs = await db.batch([
            db.prepare("INSERT INTO t (name) VALUES (?)").bind("a"),
            db.prepare("INSERT INTO t (name) VALUES (?)").bind("b"),
            db.prepare("SELECT count(*) AS c FROM t"),
        ])
        return Response.json({"results": len(rs), "count": d1_out(rs[2]["results"][0]["c"])})
    if route == "batch-fail" and method == "POST":
        err = await d1_error(lambda: db.batch([
            db.prepare("INSERT INTO t (id, name) VALUES (10, 'x')"),
            db.prepare("INSERT INTO t (id, name) VALUES (1, 'dup')"),
        ]))
        return Response.json({"error": err, "count": await d1_count(db)})
    if route == "errors":
        many = db.prepare("SELECT " + ",".join(["?"] * 101)).bind(*range(101))
        return Response.json({
            "sql": await d1_error(lambda: db.prepare("SELECT * FROM nope").all()),
            "refused": await d1_error(lambda: db.prepare("ATTACH DATABASE 'x.db' AS x").run()),
            "params": await d1_error(lambda: many.all()),
        })
    if route == "session":
        s = db.with_session("first-primary")
        count = await s.prepare("SELECT count(*) AS c FROM t").first("c")
        return Response.json({"count": d1_out(count), "bookmark": s.get_bookmark()})
    return text("not found", 404)


# --- failures and input the host could not take (harness_test.go, sdkerrors_test.go) ---

FAILURE = "ConformanceFailure: failed on purpose"


def fail_stream():
    """128 KiB of 'x', then an exception: the head and the first chunks are out by then."""
    yield b"x" * (64 << 10)
    yield b"x" * (64 << 10)
    raise RuntimeError(FAILURE + " mid-stream")


async def sdk_errors(env):
    """Calls the SDK with strs UTF-8 cannot carry (surrogates) wherever it
    passes a string on, and with ints the WIT's unsigned types cannot hold:
    each must raise the BindingError with the code given before the host
    sees it. Answers, for each call, "" or what happened instead."""
    bad = b"a\xffb".decode("utf-8", "surrogateescape")
    out = {}

    async def check(name, code, f):
        try:
            await f()
            out[name] = f"succeeded, want BindingError {code}"
        except BindingError as e:
            if e.code != code:
                out[name] = f"got {e}, want BindingError {code}"
            elif "surrogate" in name and "UTF-8" not in str(e):
                out[name] = f"the message {e} does not say UTF-8"
            else:
                out[name] = ""
        except Exception as e:
            out[name] = f"got {type(e).__name__}: {e}, want BindingError {code}"

    kv, b = env.STORE, env.FILES
    await check("kv get: surrogate", "invalid-key", lambda: kv.get(bad))
    await check("kv get_with_metadata: surrogate", "invalid-key", lambda: kv.get_with_metadata(bad))
    await check("kv put: surrogate", "invalid-key", lambda: kv.put(bad, "x"))
    await check("kv delete: surrogate", "invalid-key", lambda: kv.delete(bad))
    await check("kv list prefix: surrogate", "invalid-argument", lambda: kv.list(prefix=bad))
    await check("kv list cursor: surrogate", "invalid-argument", lambda: kv.list(cursor=bad))
    await check("kv put negative ttl", "invalid-argument", lambda: kv.put("k", "x", expiration_ttl=-60))
    await check("kv put expiration over u64", "invalid-argument", lambda: kv.put("k", "x", expiration=1 << 64))
    await check("kv list limit over u32", "invalid-argument", lambda: kv.list(limit=(1 << 32) + 1))
    await check("kv list negative limit", "invalid-argument", lambda: kv.list(limit=-1))
    await check("r2 head: surrogate", "invalid-key", lambda: b.head(bad))
    await check("r2 get: surrogate", "invalid-key", lambda: b.get(bad))
    await check("r2 get negative range", "invalid-range", lambda: b.get("k", range={"offset": -1}))
    await check("r2 put: surrogate", "invalid-key", lambda: b.put(bad, "x"))
    await check("r2 put http_metadata: surrogate", "invalid-argument", lambda: b.put("k", "x", http_metadata={"content_type": bad}))
    await check("r2 put custom_metadata: surrogate", "invalid-argument", lambda: b.put("k", "x", custom_metadata={"owner": bad}))
    await check("r2 put storage_class: surrogate", "invalid-argument", lambda: b.put("k", "x", storage_class=bad))
    await check("r2 delete: surrogate", "invalid-key", lambda: b.delete(["fine", bad]))
    await check("r2 list start_after: surrogate", "invalid-argument", lambda: b.list(start_after=bad))
    await check("r2 list limit over u32", "invalid-argument", lambda: b.list(limit=1 << 40))
    db = env.DB
    await check("d1 prepare: surrogate", "invalid-argument", lambda: db.prepare(bad).all())
    await check("d1 bind text: surrogate", "invalid-argument", lambda: db.prepare("SELECT ?").bind("ok", bad).all())
    await check("d1 first column: surrogate", "invalid-argument", lambda: db.prepare("SELECT 1 AS a").first(bad))
    await check("d1 exec: surrogate", "invalid-argument", lambda: db.exec(bad))
    await check("d1 with_session: surrogate", "invalid-argument", lambda: db.with_session(bad).batch([]))
    await check("d1 session prepare: surrogate", "invalid-argument", lambda: db.with_session().prepare(bad).run())
    await check("d1 bind integer over s64", "invalid-argument", lambda: db.prepare("SELECT ?").bind(1 << 63).all())
    await check("d1 bind integer under s64", "invalid-argument", lambda: db.prepare("SELECT ?").bind(-(1 << 63) - 1).all())
    try:
        db.prepare("SELECT ?").bind({"an": "object"})
        out["d1 bind: dict"] = "succeeded, want TypeError"
    except TypeError as e:
        out["d1 bind: dict"] = "" if "D1_TYPE_ERROR" in str(e) else f"the TypeError {e} does not say D1_TYPE_ERROR"
    out["env name: surrogate"] = "" if env.get(bad) is None else "a binding name with a surrogate was found"
    try:
        await kv.get(b"k")
        out["kv get: bytes key"] = "succeeded, want TypeError"
    except TypeError:
        out["kv get: bytes key"] = ""
    return out


# --- Queues and cron triggers (conformance/queues_test.go) ---------------------

V8_BYTES = bytes([0x00, 0x01, 0xFF])
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


async def sent(f):
    """{"ok": true}, or {"error": the SDK's message} when the send fails."""
    try:
        await f
    except BindingError as e:
        return Response.json({"error": str(e)})
    return Response.json({"ok": True})


async def kv_json(env, key):
    v = await env.STORE.get(key)
    return Response("null" if v is None else v, headers={"content-type": "application/json"})


async def queue_route(request, env, path, query):
    m = request.method
    q = env.QUEUE
    if path == "/queue/send" and m == "POST":
        t = query.get("type", [""])[0]
        if t == "text":
            return await sent(q.send(await request.text(), content_type="text"))
        if t == "bytes":
            return await sent(q.send(await request.bytes(), content_type="bytes"))
        if t == "json":
            return await sent(q.send(json.loads(await request.text()), content_type="json"))
        if t == "v8":
            key = query.get("key", [""])[0]
            return await sent(q.send({"key": key, "n": 1.5, "b": V8_BYTES}, content_type="v8"))
        return text(f"unknown type {t!r}", 400)
    if path == "/queue/batch" and m == "POST":
        bodies = json.loads(await request.text())
        return await sent(q.send_batch([{"body": b, "content_type": "text"} for b in bodies]))
    if path == "/queue/limits" and m == "GET":
        out = {}
        for name, f in (
            ("large", lambda: q.send("x" * 131072, content_type="text")),
            ("many", lambda: q.send_batch([{"body": "x", "content_type": "text"}] * 101)),
            ("delay", lambda: q.send("x", delay_seconds=86401)),
        ):
            try:
                await f()
                out[name] = None
            except BindingError as e:
                out[name] = str(e)
        return Response.json(out)
    if path.startswith("/queue/seen/") and m == "GET":
        return await kv_json(env, "seen:" + unquote(path[len("/queue/seen/"):]))
    if path.startswith("/queue/dead/") and m == "GET":
        return await kv_json(env, "dead:" + unquote(path[len("/queue/dead/"):]))
    return text("not found", 404)


def render(v):
    """A received body as JSON: bytes as lowercase hex."""
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, dict):
        return {k: render(x) for k, x in v.items()}
    if isinstance(v, list):
        return [render(x) for x in v]
    return v


def key_of(body):
    """The message's key: a text body itself, a bytes body's hex, an
    object's "key"."""
    if isinstance(body, str):
        return body
    if isinstance(body, (bytes, bytearray)):
        return bytes(body).hex()
    return body["key"]


async def queue(batch, env, ctx):
    if batch.queue == "conf-dlq":
        for msg in batch.messages:
            record = {"queue": batch.queue, "attempts": msg.attempts, "body": render(msg.body)}
            await env.STORE.put("dead:" + key_of(msg.body), json.dumps(record))
        return
    boom = None
    for msg in batch.messages:
        body = msg.body
        key = key_of(body)
        record = {
            "queue": batch.queue, "id": msg.id,
            "timestamp": (msg.timestamp - EPOCH) // datetime.timedelta(milliseconds=1),
            "attempts": msg.attempts, "batchSize": len(batch.messages), "body": render(body),
        }
        await env.STORE.put("seen:" + key, json.dumps(record))
        mode = body.get("mode") if isinstance(body, dict) else None
        if mode == "ack":
            msg.ack()
        elif mode == "retry":
            msg.retry()
        elif mode == "ack-then-retry":
            msg.ack()
            msg.retry()
        elif mode == "retry-all":
            batch.retry_all()
        elif mode == "ack-all-then-retry-all":
            batch.ack_all()
            batch.retry_all()
        elif mode == "throw" and boom is None:
            boom = key
    if boom is not None:
        raise RuntimeError(f"boom {boom}")


async def scheduled(controller, env, ctx):
    record = {"cron": controller.cron, "scheduledTime": controller.scheduled_time}
    await env.STORE.put("cron:" + controller.cron, json.dumps(record))
    if controller.cron == "59 23 31 12 *":
        raise RuntimeError("cron boom")
