# The conformance Worker in Cloudflare's current Python style (see
# conformance/harness_test.go for the contract): a Default entry point
# class, `from workers import ...`, self.env and self.ctx. Besides the
# contract it serves /cf/... routes that use Cloudflare's Python API the
# way Cloudflare's examples do (conformance/pythoncf_test.go).
#
# Only /trap and /fail-stream use Bindery's own API (trap, a generator as
# a body): Cloudflare has neither.
import json
from urllib.parse import parse_qs, unquote, urlparse

from bindery import trap
from shapes import summary
from workers import Response, WorkerEntrypoint, fetch

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
