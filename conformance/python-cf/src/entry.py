# The conformance Worker in Cloudflare's current Python style (see
# conformance/harness_test.go for the contract): a Default entry point
# class, `from workers import ...`, self.env and self.ctx. Besides the
# contract it serves /cf/... routes that use Cloudflare's Python API the
# way Cloudflare's examples do (conformance/pythoncf_test.go).
#
# Only /trap and /fail-stream use Bindery's own API (trap, a generator as
# a body): Cloudflare has neither.
import json
import time
from urllib.parse import parse_qs, unquote, urlparse

from bindery import trap
from js import Object, WebSocketPair
from pyodide.ffi import to_js
from shapes import summary
from workers import DurableObject, Response, WorkerEntrypoint, fetch

FAILURE = "ConformanceFailure: failed on purpose"
TEXT = {"content-type": "text/plain; charset=utf-8"}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlparse(request.url)
        path, method = url.path, request.method
        if path == "/hello" and method == "GET":
            return Response("hello from python-cf", headers=TEXT)
        if path.startswith("/kv/"):
            return await self.kv(request, unquote(path[4:]))
        if path == "/vars" and method == "GET":
            token = getattr(self.env, "API_TOKEN", None)
            return Response.json({"greeting": self.env.GREETING, "secret_set": bool(token)})
        if path == "/kv-too-long" and method == "PUT":
            try:
                await self.env.STORE.put("k" * 513, "x")
            except Exception as e:
                return Response(str(e), status=400, headers=TEXT)
            return Response("a 513-byte key was accepted", status=500)
        if path == "/echo" and method == "POST":
            return Response(request.body, headers={"content-type": "application/octet-stream"})
        if path.startswith("/r2/"):
            return await self.r2(request, unquote(path[4:]))
        if path == "/trap":
            trap("conformance: trap")
        if path == "/fail":
            raise RuntimeError(FAILURE)
        if path == "/fail-stream":
            return Response(fail_stream(), headers={"content-type": "application/octet-stream"})
        if path == "/kv-not-utf8" and method == "PUT":
            try:
                await self.env.STORE.put("\udcff\udcfe", "x")
            except Exception as e:
                return Response(str(e), status=400, headers=TEXT)
            return Response("a key with surrogates was accepted", status=500)
        if path.startswith("/d1/"):
            return await self.d1(method, path[4:])
        if path.startswith("/cf/"):
            return await self.cf(request, path[4:], parse_qs(url.query))
        if path.startswith("/do/"):
            return await self.do(request, path)
        if path.startswith("/queue/"):
            return await self.queues(request, path, parse_qs(url.query))
        if path == "/cron/last" and method == "GET":
            return await self.kv_json("cron:" + parse_qs(url.query).get("cron", [""])[0])
        return Response("not found", status=404, headers=TEXT)

    # --- Queues and cron triggers (conformance/queues_test.go), as
    # Cloudflare's Python Workers write them: the JavaScript API through
    # the FFI (camelCase, options as keyword arguments, to_js values).

    async def kv_json(self, key):
        v = await self.env.STORE.get(key)
        return Response("null" if v is None else v, headers={"content-type": "application/json"})

    async def queues(self, request, path, query):
        method = request.method
        queue = self.env.QUEUE

        async def sent(send):
            try:
                await send
            except Exception as e:
                return Response.json({"error": str(e)})
            return Response.json({"ok": True})

        if path == "/queue/send" and method == "POST":
            t = query.get("type", [""])[0]
            if t == "text":
                return await sent(queue.send(await request.text(), contentType="text"))
            if t == "bytes":
                return await sent(queue.send(to_js(await request.bytes()), contentType="bytes"))
            if t == "json":
                body = to_js(json.loads(await request.text()), dict_converter=Object.fromEntries)
                return await sent(queue.send(body, contentType="json"))
            if t == "v8":
                body = {"key": query.get("key", [""])[0], "n": 1.5, "b": to_js(bytes([0, 1, 255]))}
                return await sent(queue.send(to_js(body, dict_converter=Object.fromEntries)))
            return Response(f"unknown type {t!r}", status=400)
        if path == "/queue/batch" and method == "POST":
            messages = [{"body": b, "contentType": "text"} for b in json.loads(await request.text())]
            return await sent(queue.sendBatch(to_js(messages, dict_converter=Object.fromEntries)))
        if path == "/queue/limits" and method == "GET":
            out = {}
            many = to_js([{"body": "x", "contentType": "text"}] * 101, dict_converter=Object.fromEntries)
            for name, send in (
                ("large", lambda: queue.send("x" * 131072, contentType="text")),
                ("many", lambda: queue.sendBatch(many)),
                ("delay", lambda: queue.send("x", delaySeconds=86401)),
            ):
                try:
                    await send()
                    out[name] = None
                except Exception as e:
                    out[name] = str(e)
            return Response.json(out)
        if path.startswith("/queue/seen/") and method == "GET":
            return await self.kv_json("seen:" + unquote(path[len("/queue/seen/"):]))
        if path.startswith("/queue/dead/") and method == "GET":
            return await self.kv_json("dead:" + unquote(path[len("/queue/dead/"):]))
        return Response("not found", status=404, headers=TEXT)

    async def queue(self, batch):
        if batch.queue == "conf-dlq":
            for msg in batch.messages:
                key, body = queue_body(msg.body)
                record = {"queue": batch.queue, "attempts": msg.attempts, "body": body}
                await self.env.STORE.put("dead:" + key, json.dumps(record))
            return
        boom = None
        for msg in batch.messages:
            key, body = queue_body(msg.body)
            record = {
                "queue": batch.queue, "id": msg.id, "timestamp": msg.timestamp.getTime(),
                "attempts": msg.attempts, "batchSize": len(batch.messages), "body": body,
            }
            await self.env.STORE.put("seen:" + key, json.dumps(record))
            mode = body.get("mode") if isinstance(body, dict) else None
            if mode == "ack":
                msg.ack()
            elif mode == "retry":
                msg.retry()
            elif mode == "ack-then-retry":
                msg.ack()
                msg.retry()
            elif mode == "retry-all":
                batch.retryAll()
            elif mode == "ack-all-then-retry-all":
                batch.ackAll()
                batch.retryAll()
            elif mode == "throw" and boom is None:
                boom = key
        if boom is not None:
            raise RuntimeError(f"boom {boom}")

    async def scheduled(self, controller):
        record = {"cron": controller.cron, "scheduledTime": controller.scheduledTime}
        await self.env.STORE.put("cron:" + controller.cron, json.dumps(record))
        if controller.cron == "59 23 31 12 *":
            raise RuntimeError("cron boom")

    async def do(self, request, path):
        """The Durable Objects section (conformance/durable_test.go)."""
        ns = self.env.OBJECTS
        if path == "/do/ids":
            named = ns.idFromName("a")
            try:
                ns.idFromString("not-an-id")
                invalid = "not-an-id was accepted"
            except Exception as e:
                invalid = str(e)
            return Response.json({"named": named.toString(), "same": named.equals(ns.idFromName("a")),
                                  "other": not named.equals(ns.idFromName("b")), "unique": str(ns.newUniqueId()),
                                  "parsed": ns.idFromString(str(named)).equals(named), "invalid": invalid})
        name, _, op = path[len("/do/"):].partition("/")
        stub = ns.get(ns.idFromName(name))
        if op in ("fetch", "ws"):
            return await stub.fetch(request)
        if op == "rpc":
            echo = await stub.echo({"s": "héllo", "n": 1.5, "i": -7, "t": True, "z": None, "l": [1, 2, 3],
                                    "b": b"\x00\x01\xff", "big": 2**60})
            echo["b"], echo["big"] = echo["b"].hex(), str(int(echo["big"]))
            return Response.json({"sum": await stub.add(2, 3.5), "echo": echo})
        if op == "storage":
            return Response.json(await stub.storage())
        if op == "txn":
            return Response.json(await stub.txn())
        if op == "sql":
            return Response.json(await stub.sql())
        if op == "incr":
            return Response.json(await stub.incr())
        if op == "alarm":
            return Response.json(await stub.setAlarm())
        if op == "alarmed":
            return Response.json(await stub.alarmed())
        if op == "throw":
            try:
                await stub.boom(name)
            except Exception as e:
                return Response.json({"name": e.name, "message": e.message})
            return Response("boom did not raise", status=500)
        if op == "missing":
            try:
                await stub.noSuchMethod()
            except Exception as e:
                return Response.json({"error": str(e)})
            return Response("noSuchMethod did not raise", status=500)
        return Response("not found", status=404, headers=TEXT)

    async def kv(self, request, key):
        if request.method == "PUT":
            try:
                await self.env.STORE.put(key, await request.bytes())
            except Exception as e:
                return Response(str(e), status=400)
            return Response(None, status=204)
        if request.method == "GET":
            v = await self.env.STORE.get(key, "arrayBuffer")
            return Response("not found", status=404) if v is None else Response(v.to_bytes())
        if request.method == "DELETE":
            await self.env.STORE.delete(key)
            return Response(None, status=204)
        return Response("method not allowed", status=405)

    async def r2(self, request, key):
        if request.method == "PUT":
            obj = await self.env.FILES.put(key, request.body)
            return Response.json({"etag": obj.etag, "size": obj.size}, status=201)
        if request.method == "GET":
            obj = await self.env.FILES.get(key)
            if obj is None:
                return Response("not found", status=404)
            return Response(obj.body)
        return Response("method not allowed", status=405)

    # --- D1, in Cloudflare's style (conformance/d1_test.go) ---

    async def d1(self, method, route):
        db = self.env.DB
        if route == "setup" and method == "POST":
            result = await db.exec("DROP TABLE IF EXISTS t; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER, r REAL, b BLOB)")
            return Response.json({"count": result.count})
        if route == "insert" and method == "POST":
            result = await db.prepare("INSERT INTO t (name, n, r, b) VALUES (?1, ?2, ?3, ?4)").bind(
                "héllo", 9007199254740993, 1.5, b"\x00\x01\xff").run()
            meta = result.meta
            return Response.json({"success": result.success, "changes": meta.changes, "last_row_id": meta.last_row_id,
                                  "rows_written": meta.rows_written, "changed_db": meta.changed_db})
        if route == "row":
            row = await db.prepare("SELECT id, name, n, r, b, NULL AS z FROM t WHERE id = ?").bind(1).first()
            return Response.json({k: d1_out(v) for k, v in row.to_py().items()})
        if route == "first":
            name = await db.prepare("SELECT name FROM t WHERE id = 1").first("name")
            none = await db.prepare("SELECT * FROM t WHERE id = 999").first()
            return Response.json({"name": name, "none": none})
        if route == "raw":
            rows = await db.prepare("SELECT id, name FROM t ORDER BY id").raw(columnNames=True)
            return Response.json([[d1_out(v) for v in row] for row in rows])
        if route == "batch" and method == "POST":
            insert = db.prepare("INSERT INTO t (name) VALUES (?)")
            results = await db.batch([insert.bind("a"), insert.bind("b"), db.prepare("SELECT count(*) AS c FROM t")])
            return Response.json({"results": len(results), "count": d1_out(results[2].results[0].c)})
        if route == "batch-fail" and method == "POST":
            try:
                await db.batch([
                    db.prepare("INSERT INTO t (id, name) VALUES (10, 'x')"),
                    db.prepare("INSERT INTO t (id, name) VALUES (1, 'dup')"),
                ])
                error = "the batch succeeded"
            except Exception as e:
                error = e.message
            count = await db.prepare("SELECT count(*) AS c FROM t").first("c")
            return Response.json({"error": error, "count": d1_out(count)})
        if route == "errors":
            out = {}
            many = db.prepare("SELECT " + ",".join(["?"] * 101)).bind(*range(101))
            for name, stmt in (("sql", db.prepare("SELECT * FROM nope")),
                               ("refused", db.prepare("ATTACH DATABASE 'x.db' AS x")), ("params", many)):
                try:
                    await stmt.all()
                    out[name] = "succeeded"
                except Exception as e:
                    out[name] = e.message
            return Response.json(out)
        if route == "session":
            session = db.withSession("first-primary")
            count = await session.prepare("SELECT count(*) AS c FROM t").first("c")
            return Response.json({"count": d1_out(count), "bookmark": session.getBookmark()})
        return Response("not found", status=404, headers=TEXT)

    # --- Cloudflare's Python API (conformance/pythoncf_test.go) ---

    async def cf_d1(self):
        """D1 as Cloudflare's Python Workers use it: results as objects with
        attributes, to_py(), and Python's values bound as D1 binds them."""
        db = self.env.DB
        done = await db.exec("DROP TABLE IF EXISTS cf; CREATE TABLE cf (id INTEGER PRIMARY KEY, title TEXT, "
                             "done INTEGER, score REAL, data BLOB, big INTEGER)")
        insert = db.prepare("INSERT INTO cf (title, done, score, data, big) VALUES (?, ?, ?, ?, ?)")
        inserted = await db.batch([
            insert.bind("one", True, None, bytearray(b"\x01\x02"), -(2 ** 63)),
            insert.bind("two", False, 2.5, memoryview(b"\xff"), 2 ** 63 - 1),
        ])
        result = await db.prepare("SELECT * FROM cf ORDER BY id").all()
        rows = result.results
        try:
            db.prepare("SELECT ?").bind({"an": "object"})
            type_error = "bound"
        except TypeError as e:
            type_error = str(e)
        try:
            db.prepare("SELECT ?").bind(2 ** 63)
            overflow = "bound"
        except Exception as e:
            overflow = e.message
        try:
            await db.prepare("SELECT title FROM cf").first("nope")
            not_found = "found"
        except Exception as e:
            not_found = e.message
        session = db.withSession()
        before = session.getBookmark()
        await session.prepare("SELECT 1").run()
        return Response.json({
            "exec": done.count,
            "changes": [r.meta.changes for r in inserted],
            "last_row_id": inserted[1].meta["last_row_id"],
            "success": result.success,
            "titles": [row.title for row in rows],
            "done": [row.done for row in rows],
            "score": [row["score"] for row in rows],
            "data": [bytes(row.data.to_py()).hex() for row in rows],
            "big": [str(row.big) for row in rows],
            "to_py": result.to_py()["results"][1]["title"],
            "rows_to_py": [r["id"] for r in rows.to_py()],
            "raw": await db.prepare("SELECT id, title FROM cf ORDER BY id").raw(),
            "repeated": await db.prepare("SELECT 1 AS a, 2 AS a").first(),
            "no_row": await db.prepare("SELECT title FROM cf WHERE id = 99").first("title"),
            "type_error": type_error,
            "overflow": overflow.startswith("D1_TYPE_ERROR"),
            "not_found": not_found,
            "bookmarks": [before, len(session.getBookmark())],
        })

    async def cf(self, request, route, query):
        env = self.env
        if route == "kv":
            kv = env.STORE
            await kv.put("cf:a", json.dumps({"n": 1}), expirationTtl=3600, metadata={"by": "cf"})
            await kv.put("cf:b", "bee", {"expiration": 4102444800})
            await kv.put("cf:c", b"\x00\x01")
            page = await kv.list(prefix="cf:", limit=2)
            rest = await kv.list({"prefix": "cf:", "cursor": page["cursor"]})
            meta = await kv.getWithMetadata("cf:a", type="json")
            many = await kv.get(["cf:a", "cf:b", "cf:none"])
            raw = await kv.get("cf:c", "arrayBuffer")
            await kv.delete("cf:c")
            return Response.json({
                "json": (await kv.get("cf:a", "json"))["n"],
                "json_attr": (await kv.get("cf:a", {"type": "json"})).n,
                "text": await kv.get("cf:b"),
                "bytes": list(raw.to_bytes()),
                "missing": await kv.get("cf:none"),
                "page": [k.name for k in page.keys],
                "complete": [page["list_complete"], rest.list_complete],
                "rest": [k["name"] for k in rest["keys"]],
                "expiration": page.keys[1].get("expiration"),
                "meta": [meta.value, meta["metadata"]],
                "many": many,
                "deleted": await kv.get("cf:c"),
            })
        if route == "r2":
            b = env.FILES
            put = await b.put("cf/one.txt", "hello r2", httpMetadata={"contentType": "text/x-cf"}, customMetadata={"by": "cf"})
            await b.put("cf/dir/two.txt", b"two", {"httpMetadata": {"contentType": "text/plain"}})
            head = await b.head("cf/one.txt")
            part = await b.get("cf/one.txt", range={"offset": 6, "length": 2})
            stale = await b.get("cf/one.txt", onlyIf={"etagDoesNotMatch": put.etag})
            listing = await b.list(prefix="cf/", delimiter="/", include=["httpMetadata"])
            headers = {}
            head.writeHttpMetadata(headers)
            upload = await b.createMultipartUpload("cf/multi.bin", httpMetadata={"contentType": "application/x-multi"})
            p1 = await upload.uploadPart(1, b"only part")
            multi = await upload.complete([p1])
            got = await b.get("cf/multi.bin")
            await b.delete(["cf/dir/two.txt", "cf/multi.bin"])
            return Response.json({
                "put": summary(put),
                "head": summary(head),
                "range": await part.text(),
                "stale_has_body": hasattr(stale, "body"),
                "objects": [o.key for o in listing.objects],
                "prefixes": listing.delimitedPrefixes,
                "truncated": listing["truncated"],
                "headers": headers,
                "multi": [multi.size, await got.text(), got.httpMetadata["contentType"]],
                "after_delete": await b.head("cf/dir/two.txt"),
            })
        if route == "d1":
            return await self.cf_d1()
        if route == "json" and request.method == "POST":
            data = await request.json()
            return Response.json({"name": data.name, "got": data}, status=201, headers={"x-from": "cf"})
        if route == "form" and request.method == "POST":
            form = await request.form_data()
            out = {}
            for k, v in form.items():
                out[k] = v if isinstance(v, str) else {"filename": v.name, "type": v.content_type, "text": await v.text()}
            return Response.json(out)
        if route == "request":
            return Response.json({
                "method": request.method,
                "url": request.url,
                "x-test": request.headers.get("x-test"),
                "missing": request.headers.get("x-none"),
                "q": query.get("q", [None])[0],
            })
        if route == "status":
            return Response("teapot", 418, "I'm a teapot", {"x-status": "418"})
        if route == "redirect":
            return Response.redirect("https://example.com/next", 301)
        if route == "wait":
            async def later():
                await env.STORE.put("cf:waited", "after the response")
            self.ctx.waitUntil(later())
            return Response("waiting", headers=TEXT)
        if route == "fetch":
            try:
                await fetch("https://example.com/api", method="POST")
            except Exception as e:
                return Response(f"{type(e).__name__}: {e}", status=502, headers=TEXT)
            return Response("fetch succeeded", status=500)
        if route == "fetch-uncaught":
            resp = await fetch("https://example.com/")
            return resp
        if route == "boom":
            raise ValueError("cf boom: " + json.dumps({"why": "on purpose"}))
        return Response("not found", status=404, headers=TEXT)


def queue_body(body):
    """A received body's key and its JSON rendering: a string is both; an
    ArrayBuffer (a "bytes" body) is its hex; an object (json, v8) is its
    "key" and itself, with its bytes as hex."""
    if isinstance(body, str):
        return body, body
    if hasattr(body, "to_bytes"):
        return body.to_bytes().hex(), body.to_bytes().hex()
    value = hex_bytes(body.to_py())
    return value["key"], value


def hex_bytes(v):
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, dict):
        return {k: hex_bytes(x) for k, x in v.items()}
    if isinstance(v, list):
        return [hex_bytes(x) for x in v]
    return v


def d1_out(v):
    """A D1 value as conformance/d1_test.go renders it: an integer as its
    decimal text, a blob (bytes once to_py() converted it; on Cloudflare
    an array of numbers) as hex."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return str(v)
    if hasattr(v, "to_py"):
        v = v.to_py()
    if isinstance(v, (bytes, bytearray, memoryview, list)):
        return bytes(v).hex()
    return v


def fail_stream():
    """128 KiB of 'x', then an exception: the head and the first chunks are out by then."""
    yield b"x" * (64 << 10)
    yield b"x" * (64 << 10)
    raise RuntimeError(FAILURE + " mid-stream")


class Conformance(DurableObject):
    """The Durable Objects section's class, as Cloudflare's Python Durable
    Objects are written."""

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.fetches = 0

    async def fetch(self, request):
        if request.headers.get("Upgrade") == "websocket":
            client, server = WebSocketPair.new()
            self.ctx.acceptWebSocket(server, ["conf"])
            return Response(None, status=101, web_socket=client)
        self.fetches += 1
        return Response.json({"name": self.ctx.id.name, "id": self.ctx.id.toString(), "method": request.method,
                              "body": await request.text(), "fetches": self.fetches})

    async def add(self, a, b):
        return a + b

    async def echo(self, v):
        return v

    async def incr(self):
        count = (await self.ctx.storage.get("count") or 0) + 1
        await self.ctx.storage.put("count", count)
        return count

    async def storage(self):
        storage = self.ctx.storage
        await storage.put({"k1": 1, "k2": "two", "k3": [1, 2]})
        deleted = await storage.delete("k1")
        again = await storage.delete("k1")
        keys = await storage.list({"prefix": "k"})
        last = await storage.list({"reverse": True, "limit": 1})
        return {"deleted": deleted, "deletedAgain": again, "keys": list(keys.keys()), "last": list(last.keys()),
                "k2": await storage.get("k2"), "missing": await storage.get("nope") is None}

    async def txn(self):
        storage = self.ctx.storage
        await storage.put("t", 1)

        async def rolled_back(txn):
            await txn.put("t", 2)
            raise ValueError("roll back")

        try:
            await storage.transaction(rolled_back)
        except ValueError:
            pass
        after_rollback = await storage.get("t")

        async def committed(txn):
            await txn.put("t", 3)

        await storage.transaction(committed)
        return {"afterRollback": after_rollback, "afterCommit": await storage.get("t")}

    async def sql(self):
        sql = self.ctx.storage.sql
        sql.exec("CREATE TABLE IF NOT EXISTS r (id INTEGER PRIMARY KEY, v TEXT)")
        written = sql.exec("INSERT INTO r (v) VALUES (?)", "x").rowsWritten
        cursor = sql.exec("SELECT id, v FROM r ORDER BY id")
        rows = [[row.id, row.v] for row in cursor.toArray()]
        try:
            sql.exec("SELECT * FROM nope")
            error = "SELECT * FROM nope succeeded"
        except Exception as e:
            error = str(e)
        return {"columns": cursor.columnNames, "rows": rows, "written": written, "error": error}

    async def boom(self, name):
        raise TypeError("boom: " + name)

    async def setAlarm(self):
        await self.ctx.storage.setAlarm(time.time() * 1000 + 100)
        return await self.ctx.storage.getAlarm() is not None

    async def alarm(self, alarmInfo):
        await self.ctx.storage.put("alarm", {"retryCount": alarmInfo.retryCount})

    async def alarmed(self):
        return await self.ctx.storage.get("alarm")

    async def webSocketMessage(self, ws, message):
        if message == "ping":
            ws.send(f"pong {len(self.ctx.getWebSockets('conf'))}")
        else:
            ws.send(message)
