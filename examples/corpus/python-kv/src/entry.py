from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        if path == "/":
            return Response(f"{self.env.GREETING} from Python")
        if path.startswith("/notes/"):
            name = path[len("/notes/"):]
            if request.method == "PUT":
                await self.env.NOTES.put(name, await request.text(), expirationTtl=3600)
                return Response(None, status=204)
            note = await self.env.NOTES.get(name)
            if note is None:
                return Response("no such note", status=404)
            return Response.json({"name": name, "note": note})
        if path == "/notes":
            listed = await self.env.NOTES.list()
            return Response.json([k["name"] for k in listed["keys"]])
        return Response("not found", status=404)
