# A Python Worker in the older style of Cloudflare's examples: a module
# function on_fetch(request, env) and the JavaScript classes through
# `from js import ...` (Response.new, Headers.new, URL.new, JSON), with
# pyodide.ffi.to_js for options objects, and D1 as env.DB. Bindery runs
# it unchanged (conformance/pythoncf_test.go).
from js import JSON, URL, Headers, Object, Response, console, fetch
from pyodide.ffi import to_js


def text(body, status=200):
    return Response.new(body, status=status, headers=Headers.new({"content-type": "text/plain"}.items()))


async def on_fetch(request, env):
    url = URL.new(request.url)
    console.log("python-js:", request.method, url.pathname)
    if url.pathname == "/":
        return text("hello from python-js")
    if url.pathname == "/url":
        return Response.new(JSON.stringify({
            "pathname": url.pathname,
            "host": url.host,
            "name": url.searchParams.get("name"),
            "all": url.searchParams.getAll("tag"),
            "missing": url.searchParams.get("nope"),
        }), headers=Headers.new({"content-type": "application/json"}.items()))
    if url.pathname == "/json" and request.method == "POST":
        data = await request.json()
        return Response.json(to_js({"name": data.name, "n": data.to_py()["n"] + 1}, dict_converter=Object.fromEntries))
    if url.pathname == "/kv":
        await env.STORE.put("js:key", "js value", expirationTtl=3600)
        value = await env.STORE.get("js:key")
        listing = await env.STORE.list(prefix="js:")
        return Response.json({"value": value, "keys": [k.name for k in listing.keys], "greeting": env.GREETING})
    if url.pathname == "/r2":
        await env.FILES.put("js/file.txt", "from js", to_js({"httpMetadata": {"contentType": "text/x-js"}}))
        obj = await env.FILES.get("js/file.txt")
        headers = Headers.new()
        obj.writeHttpMetadata(headers)
        headers.set("etag", obj.httpEtag)
        return Response.new(obj.body, headers=headers)
    if url.pathname == "/d1":
        await env.DB.exec("CREATE TABLE IF NOT EXISTS quotes (quote TEXT, author TEXT)")
        await env.DB.prepare("INSERT INTO quotes VALUES (?, ?)").bind("Simplicity is prerequisite for reliability.", "Dijkstra").run()
        results = await env.DB.prepare("SELECT quote, author FROM quotes LIMIT 1").all()
        data = results.results[0]
        raw = await env.DB.prepare("SELECT author FROM quotes").raw(to_js({"columnNames": True}, dict_converter=Object.fromEntries))
        return Response.json(to_js({"quote": data.quote, "author": data["author"], "raw": raw.to_py()}, dict_converter=Object.fromEntries))
    if url.pathname == "/status":
        return Response.new("gone", to_js({"status": 410, "statusText": "Gone"}))
    if url.pathname == "/redirect":
        return Response.redirect("https://example.com/moved", 307)
    if url.pathname == "/fetch":
        try:
            await fetch("https://example.com/")
        except Exception as e:
            return text(f"{type(e).__name__}: {e}", 502)
        return text("fetch succeeded", 500)
    if url.pathname == "/boom":
        raise KeyError("js boom")
    return text("not found", 404)
