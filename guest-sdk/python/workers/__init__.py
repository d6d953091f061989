"""Cloudflare's Python Workers SDK (``from workers import ...``), served by
Bindery's SDK (the ``bindery`` package), so a Worker written for
Cloudflare runs unchanged::

    from workers import Response, WorkerEntrypoint

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            await self.env.STORE.put("bar", "baz")
            return Response(await self.env.STORE.get("bar"))

``Default`` is made once per request with ``self.env`` (the bindings) and
``self.ctx`` (``ctx.waitUntil``). ``Request``, ``Response``, ``FormData``,
``Blob`` and ``File`` are Bindery's classes, which take Cloudflare's
arguments. ``fetch`` (outbound) raises ``FetchError``: Bindery has no
egress yet. ``DurableObject`` is the base class of a Durable Object class
(``self.ctx.storage``, RPC methods, alarms, hibernatable web sockets);
``WorkflowEntrypoint`` exists so that a module defining one imports, but
nothing runs it. See docs/sdk-python.md.
"""

from bindery import (
    Blob,
    Context,
    DurableObject,
    DurableObjectState,
    FetchError,
    File,
    FormData,
    Headers,
    JsException,
    Request,
    Response,
    WebSocket,
    WebSocketPair,
    WorkerEntrypoint,
    WorkflowEntrypoint,
    fetch,
    handler,
)

__all__ = [
    "Blob", "Context", "DurableObject", "DurableObjectState", "FetchError", "File", "FormData", "Headers",
    "JsException", "Request", "Response", "WebSocket", "WebSocketPair", "WorkerEntrypoint", "WorkflowEntrypoint",
    "fetch", "handler",
]
