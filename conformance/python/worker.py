# The conformance Worker in Python: the contract every language implements
# (see conformance/harness_test.go), written with guest-sdk/python.
#
#   guest-sdk/python/build.sh conformance/python/worker.py -o python.wasm
from urllib.parse import unquote, urlsplit

from bindery import BindingError, Response, trap


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
