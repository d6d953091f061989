# The routes of bench/baseline (GET /hello, GET and PUT /kv/:key), as
# bench/miniflare/worker.mjs serves them to Miniflare.
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[3] if request.url.count("/") >= 3 else ""
        if path == "hello":
            return Response("hello", headers={"content-type": "text/plain; charset=utf-8"})
        if path.startswith("kv/"):
            key = path[3:]
            if request.method == "GET":
                value = await self.env.STORE.get(key, type="arrayBuffer")
                if value is None:
                    return Response("not found\n", status=404)
                return Response(value, headers={"content-type": "application/octet-stream"})
            if request.method == "PUT":
                await self.env.STORE.put(key, await request.bytes())
                return Response(None, status=204)
            return Response("method not allowed\n", status=405)
        return Response("not found\n", status=404)
