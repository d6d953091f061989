# The structured-value test Worker of the Python SDK (structured_test.go,
# TestStructuredEngine): POST /run with the shared vectors file as its body
# runs every vector through bindery.structured in the interpreter Workers
# run in (componentize-py's), and answers a JSON object, for each vector
# "" or what went wrong: a vector that is not decodeOnly must read and
# write back to its bytes, a decodeOnly one must read, an error one must be
# refused with its offset. GET /mappings checks a few Python mappings that
# need the stdlib's C modules (array, datetime, struct).
import array
import datetime
import traceback

from bindery import Response
from bindery import structured


def check(v):
    data = bytes.fromhex(v["hex"])
    if "error" in v:
        try:
            structured.loads(data)
        except structured.DataCloneError as e:
            if e.offset is None or not 0 <= e.offset <= len(data):
                return f"offset {e.offset}"
            return ""
        return "not refused"
    got = structured.loads(data, undefined=structured.Undefined)
    if not v.get("decodeOnly") and structured.dumps(got) != data:
        return f"wrote back {structured.dumps(got).hex()}"
    return ""


def mappings():
    utc = datetime.timezone.utc
    cases = {
        "int beyond 2**53": (2**53, "d9d9f7c24720000000000000"),
        "array.array": (array.array("h", [-2]), "d9d9f7d84d42feff"),
        "datetime": (datetime.datetime(2026, 12, 8, 0, 0, 0, 123000, tzinfo=utc), "d9d9f7c1fb41dac5d22007df3b"),
        "set": ({"b", 1}, "d9d9f7d9010282016162"),
        "exception": (TypeError("m"), "d9d9f7d81b82654572726f72a2646e616d6569547970654572726f72676d657373616765616d"),
    }
    out = {}
    for name, (value, want) in cases.items():
        got = structured.dumps(value).hex()
        out[name] = "" if got == want else f"wrote {got}, want {want}"
    try:
        raise ValueError("with a traceback")
    except ValueError as e:
        back = structured.loads(structured.dumps(e))
        ok = isinstance(back, ValueError) and back.name == "RangeError" and "with a traceback" in (back.stack or "")
        out["raised exception"] = "" if ok else f"read back {back!r} with stack {back.stack!r}"
    return out


async def fetch(request, env):
    path = request.url.split("/", 3)[3]
    if path == "run":
        vectors = (await request.json())["vectors"]
        out = {}
        for v in vectors:
            try:
                out[v["name"]] = check(v)
            except Exception:
                out[v["name"]] = traceback.format_exc()
        return Response.json(out)
    if path == "mappings":
        return Response.json(mappings())
    return Response("not found\n", status=404)
