# A Python Worker for Bindery: `fetch(request, env)` returns a Response.
# Build: ../../guest-sdk/python/build.sh worker.py -o hello-py.wasm
# (bindery dev runs that for you: see wrangler.toml).
#
# Import every module at the top: the build snapshots the interpreter after
# these imports, and a Worker has no filesystem to import more from later.
import os
import time
from datetime import datetime, timezone
from urllib.parse import unquote, urlsplit

from bindery import Response


async def fetch(request, env):
    path = urlsplit(request.url).path
    if path == "/hello":
        now = datetime.now(timezone.utc).isoformat()
        print(f"hello-py: {request.method} {path} at {now}")  # the Worker's log
        return Response(f"{env.get('GREETING', 'hello')} from python\n", headers={"content-type": "text/plain"})
    if path.startswith("/kv/"):
        key = unquote(path[4:])
        if request.method == "PUT":
            await env.STORE.put(key, await request.text())
            return Response(status=204)
        v = await env.STORE.get(key)
        return Response("not found\n", status=404) if v is None else Response(v)
    if path == "/random":
        return Response.json({"now": int(time.time() * 1000), "random": os.urandom(16).hex()})
    return Response("not found\n", status=404)
