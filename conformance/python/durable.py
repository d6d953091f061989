# The Durable Objects section of the conformance Worker
# (conformance/durable_test.go): the Worker's routes under /do/ and the
# class Conformance, written with Bindery's own Python API.
import time
from datetime import datetime, timedelta, timezone

from bindery import BindingError, DurableObject, JsException, Response, WebSocketPair
from bindery import structured


class Conformance(DurableObject):
    """The section's class: requests, RPC methods, storage, SQL, an alarm and
    web sockets."""

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.fetches = 0

    async def fetch(self, request):
        if request.headers.get("upgrade") == "websocket" and request.url.endswith("/wsmem"):
            # Without hibernation (conformance/pythondurable_test.go).
            client, server = WebSocketPair.new()
            server.accept()
            server.add_event_listener("message", lambda event: server.send("mem: " + event.data))
            return Response(status=101, web_socket=client)
        if request.headers.get("upgrade") == "websocket":
            ws = self.ctx.accept_web_socket(tags=["conf"])
            return Response(status=101, web_socket=ws)
        self.fetches += 1
        return Response.json({"name": self.ctx.id.name, "id": str(self.ctx.id), "method": request.method,
                              "body": await request.text(), "fetches": self.fetches})

    def add(self, a, b):
        return a + b

    def echo(self, v):
        return v

    async def incr(self):
        n = (await self.ctx.storage.get("count") or 0) + 1
        await self.ctx.storage.put("count", n)
        return n

    async def storage(self):
        st = self.ctx.storage
        await st.put({"k1": 1, "k2": "two", "k3": [1, 2]})
        deleted = await st.delete("k1")
        again = await st.delete("k1")
        return {"deleted": deleted, "deletedAgain": again, "keys": list(await st.list(prefix="k")),
                "last": list(await st.list(reverse=True, limit=1)), "k2": await st.get("k2"),
                "missing": await st.get("nope") is None}

    async def txn(self):
        st = self.ctx.storage
        await st.put("t", 1)

        async def fail(tx):
            await tx.put("t", 2)
            raise RuntimeError("roll back")

        try:
            await st.transaction(fail)
        except RuntimeError as e:
            if str(e) != "roll back":
                raise
        else:
            raise AssertionError("the transaction did not raise")
        rolled_back = await st.get("t")

        async def commit(tx):
            await tx.put("t", 3)

        await st.transaction(commit)
        return {"afterRollback": rolled_back, "afterCommit": await st.get("t")}

    def sql(self):
        sql = self.ctx.storage.sql
        sql.exec("CREATE TABLE IF NOT EXISTS r (id INTEGER PRIMARY KEY, v TEXT)")
        written = sql.exec("INSERT INTO r (v) VALUES (?)", "x").rows_written
        c = sql.exec("SELECT id, v FROM r ORDER BY id")
        rows = list(c.raw())
        try:
            sql.exec("SELECT * FROM nope")
            error = "SELECT * FROM nope succeeded"
        except BindingError as e:
            error = str(e)
        return {"columns": c.column_names, "rows": rows, "written": written, "error": error}

    def boom(self, n):
        raise TypeError("boom: " + n)

    async def set_alarm(self):
        await self.ctx.storage.set_alarm(time.time() * 1000 + 100)
        return await self.ctx.storage.get_alarm() is not None

    async def alarm(self, info):
        await self.ctx.storage.put("alarm", {"retryCount": info.retry_count})

    async def alarmed(self):
        return await self.ctx.storage.get("alarm")

    async def web_socket_message(self, ws, message):
        if isinstance(message, bytes):
            ws.send(message)
        elif message == "ping":
            ws.send(f"pong {len(self.ctx.get_web_sockets('conf'))}")
        elif message.startswith("attach "):  # conformance/pythondurable_test.go
            ws.serialize_attachment({"v": message[len("attach "):]})
            ws.send("attached")
        elif message == "attachment":
            ws.send(repr(ws.deserialize_attachment()) + " " + ",".join(self.ctx.get_tags(ws)))
        else:
            ws.send(message)

    # The rest of the API (conformance/pythondurable_test.go).

    async def api(self):
        st, sql = self.ctx.storage, self.ctx.storage.sql
        out = {}
        await st.delete_all()
        await st.put({"a": 1, "b": 2, "c": 3, "d": 4})
        out["many"] = await st.get(["a", "c", "zz"])
        out["range"] = list(await st.list(start="b", end="d"))
        out["after"] = list(await st.list({"startAfter": "b"}))
        out["deletedMany"] = await st.delete(["a", "b", "zz"])

        async def rolled_back(tx):
            await tx.put("r", 1)
            tx.rollback()
            return "rolled"

        out["rollbackReturn"] = await st.transaction(rolled_back)
        out["afterRollback"] = await st.get("r")
        when = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
        await st.put("v", {"when": when, "tags": {"x"}, "raw": b"\x00", "big": 2**70})
        v = await st.get("v")
        out["roundTrip"] = [v["when"] == when, list(v["tags"]), v["raw"].hex(), str(int(v["big"]))]
        try:
            await st.put("bad", object())
            out["cloneError"] = "stored"
        except structured.DataCloneError as e:
            out["cloneError"] = type(e).__name__

        sql.exec("CREATE TABLE api (k TEXT, n INTEGER, b BLOB)")
        st.transaction_sync(lambda: sql.exec("INSERT INTO api VALUES (?, ?, ?)", "x", 2**62, b"\x01"))
        row = sql.exec("SELECT k, n, b FROM api").one()
        out["one"] = [row.k, str(row.n), bytes(row.b).hex()]
        out["iter"] = [r["k"] for r in sql.exec("SELECT k FROM api")]
        out["toArray"] = sql.exec("SELECT k AS key FROM api").to_array()
        try:
            sql.exec("SELECT 1 UNION SELECT 2").one()
            out["oneOfMany"] = "one row"
        except BindingError as e:
            out["oneOfMany"] = e.code

        def failing():
            sql.exec("INSERT INTO api VALUES ('y', 1, NULL)")
            raise ValueError("no")

        try:
            st.transaction_sync(failing)
        except ValueError:
            pass
        out["afterSyncRollback"] = sql.exec("SELECT count(*) AS c FROM api").one().c
        out["size"] = sql.database_size > 0
        try:
            sql.exec("BEGIN")
            out["refused"] = "BEGIN ran"
        except BindingError as e:
            out["refused"] = e.code

        await st.set_alarm(datetime.now(timezone.utc) + timedelta(hours=1))
        out["alarmSet"] = await st.get_alarm() is not None
        await st.delete_alarm()
        out["alarmDeleted"] = await st.get_alarm() is None

        async def load():
            await st.put("loaded", True)
            return "done"

        out["block"] = await self.ctx.block_concurrency_while(load)
        out["loaded"] = await st.get("loaded")
        return out

    def fail_range(self):
        raise ValueError("out of range")

    # Nesting (conformance/pythondurable_test.go): relay calls the object
    # `to`, which calls this object back while relay waits; with every
    # object on one instance, both calls run nested in the instance.

    async def relay(self, to):
        await self.ctx.storage.put("relay", "mine")
        got = await self.env.OBJECTS.get_by_name(to).call_back(self.ctx.id.name)
        return {"got": got, "mine": await self.ctx.storage.get("relay"), "fetches": self.fetches}

    async def call_back(self, to):
        await self.ctx.storage.put("relay", "theirs")
        return await self.env.OBJECTS.get_by_name(to).echo("back from " + self.ctx.id.name)


def json_of(v):
    """A decoded value as the section renders it: bytes as hex, a bigint as
    its decimal text."""
    if isinstance(v, dict):
        return {k: json_of(x) for k, x in v.items()}
    if isinstance(v, list):
        return [json_of(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, structured.BigInt):
        return str(int(v))
    return v


async def do_route(request, env, path):
    ns = env.OBJECTS
    if path == "/do/ids":
        named = ns.id_from_name("a")
        try:
            ns.id_from_string("not-an-id")
            invalid = "not-an-id was accepted"
        except BindingError as e:
            invalid = str(e)
        return Response.json({"named": str(named), "same": named == ns.id_from_name("a"),
                              "other": named != ns.id_from_name("b"), "unique": str(ns.new_unique_id()),
                              "parsed": ns.id_from_string(str(named)) == named, "invalid": invalid})
    name, _, op = path[len("/do/"):].partition("/")
    stub = ns.get_by_name(name)
    if op in ("fetch", "ws", "wsmem"):
        return await stub.fetch(request)
    if op == "rpc":
        echo = await stub.echo({"s": "héllo", "n": 1.5, "i": -7, "t": True, "z": None, "l": [1, 2, 3],
                                "b": b"\x00\x01\xff", "big": structured.BigInt(2**60)})
        return Response.json({"sum": await stub.add(2, 3.5), "echo": json_of(echo)})
    if op in ("storage", "txn", "sql", "incr", "alarmed"):
        return Response.json(await getattr(stub, op)())
    if op == "alarm":
        return Response.json(await stub.set_alarm())
    if op == "throw":
        try:
            await stub.boom(name)
        except JsException as e:
            return Response.json({"name": e.name, "message": e.message})
        return Response("boom did not raise", status=500)
    if op == "missing":
        try:
            await stub.noSuchMethod()
        except JsException as e:
            return Response.json({"error": str(e)})
        return Response("noSuchMethod did not raise", status=500)
    if op == "api":
        out = await stub.api()
        try:
            await stub.fail_range()
        except ValueError as e:
            out["thrown"] = [e.name, e.message, isinstance(e, JsException)]
        try:
            ns.id_from_string("0" * 64)
        except BindingError as e:
            out["otherClass"] = e.code
        return Response.json(out)
    if op.startswith("relay/"):
        return Response.json(await stub.relay(op[len("relay/"):]))
    return Response("not found", status=404)
