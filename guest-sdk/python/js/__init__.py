"""The JavaScript globals a Cloudflare Python Worker imports with ``from js
import ...``, as Python classes with the same names and methods, so Workers
written in that style run unchanged::

    from js import Headers, Response, URL

    async def on_fetch(request, env):
        url = URL.new(request.url)
        headers = Headers.new({"content-type": "text/plain"}.items())
        return Response.new(f"hello {url.searchParams.get('name')}", headers=headers)

``X.new(...)`` is ``new X(...)``; keyword arguments are the options object
(``Response.new(body, status=404)``), as Pyodide passes them. What is here:
Response, Request, Headers, URL, URLSearchParams, FormData, Blob, File,
fetch (raises FetchError: no egress yet), JSON, Object, console, Date (now)
and crypto (randomUUID, getRandomValues). Any other name is an ImportError
that says so, when the Worker is built.
"""

import json as _json
import os as _os
import sys as _sys
import time as _time

from bindery import (
    Blob,
    File,
    FormData,
    Headers,
    JsObject,
    Request,
    Response,
    URL,
    URLSearchParams,
    WebSocketPair,
    fetch,
)
from bindery._js import loads as _loads

__all__ = [
    "Blob", "File", "FormData", "Headers", "JSON", "Object", "Request", "Response", "URL",
    "URLSearchParams", "WebSocketPair", "console", "crypto", "Date", "fetch",
]


class JSON:
    """JSON.stringify and JSON.parse."""

    @staticmethod
    def stringify(value, replacer=None, space=None):
        if isinstance(space, int) and space > 0:
            return _json.dumps(value, indent=space, ensure_ascii=False)
        if isinstance(space, str) and space:
            return _json.dumps(value, indent=space, ensure_ascii=False)
        return _json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def parse(text):
        return _loads(text)


class Object:
    """Object.fromEntries, entries, keys, values, assign; Object.new()."""

    @staticmethod
    def new():
        return JsObject()

    @staticmethod
    def fromEntries(entries):
        if isinstance(entries, dict):
            entries = entries.items()
        return JsObject((k, v) for k, v in entries)

    @staticmethod
    def entries(o):
        return [[k, v] for k, v in o.items()]

    @staticmethod
    def keys(o):
        return list(o.keys())

    @staticmethod
    def values(o):
        return list(o.values())

    @staticmethod
    def assign(target, *sources):
        for s in sources:
            target.update(s)
        return target


def _fmt(args):
    return " ".join(a if isinstance(a, str) else _json.dumps(a, default=str) if isinstance(a, (dict, list)) else str(a) for a in args)


class console:
    """console.log, info and debug print to stdout (the Worker's log at
    info); warn and error to stderr (at warn)."""

    @staticmethod
    def log(*args):
        print(_fmt(args))

    info = debug = log

    @staticmethod
    def warn(*args):
        print(_fmt(args), file=_sys.stderr)

    error = warn


class Date:
    """Date.now(): milliseconds since the epoch."""

    @staticmethod
    def now():
        return int(_time.time() * 1000)


class crypto:
    """crypto.randomUUID() and crypto.getRandomValues(buffer) (a bytearray
    or memoryview, filled in place), from the host's random source."""

    @staticmethod
    def randomUUID():
        b = bytearray(_os.urandom(16))
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        h = b.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    @staticmethod
    def getRandomValues(buf):
        mv = memoryview(buf).cast("B")
        mv[:] = _os.urandom(len(mv))
        return buf


class _Unavailable(ImportError):
    """A JavaScript global this module does not have. An ImportError, not
    an AttributeError, so that ``from js import X`` says why (Python
    replaces an AttributeError with a bare "cannot import name")."""


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise _Unavailable(
        f"js.{name} is not available in Bindery: its js module has {', '.join(sorted(__all__))} "
        "(see docs/sdk-python.md)", name=name)

