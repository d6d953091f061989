"""Bindery Python Worker runtime.

Implements the ``bindery:http/handler`` export on top of the Bindery
imports (the bindings componentize-py generates from ``wit/``) and calls a
Cloudflare-style Worker module, in any of the shapes Cloudflare's Python
Workers take::

    # Cloudflare's current shape (the ``workers`` module is this SDK)
    from workers import Response, WorkerEntrypoint

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            count = int(await self.env.STORE.get("count") or 0) + 1
            await self.env.STORE.put("count", str(count))
            return Response(f"{self.env.GREETING} #{count}\\n")

    # the older shape, with the JavaScript classes of the ``js`` module
    from js import Response

    async def on_fetch(request, env):
        return Response.new("hello")

    # Bindery's own
    from bindery import Response

    async def fetch(request, env):
        return Response("hello")

The build generates the component's entry module, which is just::

    import worker
    from bindery import Env, serve, serve_objects, serve_queue, serve_scheduled
    env = Env()
    BinderyHttpHandler = serve(worker, env)
    Consumer = serve_queue(worker, env)                 # its queue handler, if any
    BinderyScheduledHandler = serve_scheduled(worker, env)  # its scheduled handler, if any
    Object = serve_objects(worker, env)  # its Durable Object classes (_durable.py)

(componentize-py names an export's class after its interface, with the
package when two interfaces share a name: bindery:http/handler and
bindery:scheduled/handler.)

Everything here is imported when the component is built (componentize-py
snapshots the interpreter after the imports), so a request never imports
a module: a Worker has no filesystem to import one from. Import every
module your Worker uses at the top of its file.
"""

import datetime as _datetime
import json as _json
import sys as _sys
import traceback as _traceback

from componentize_py_types import Err
from wit_world import exports as _exports
from wit_world.exports import consumer as _consumer
from wit_world.imports import bucket as _bucket
from wit_world.imports import client as _client
from wit_world.imports import bindery_queue_types as _queue_types
from wit_world.imports import database as _database
from wit_world.imports import producer as _producer
from wit_world.imports import store as _store
from wit_world.imports import streams as _streams
from wit_world.imports import vars as _vars

from ._form import Blob, File, FormData, encode_form as _encode_form, parse_form as _parse_form
from ._js import ArrayBuffer, JsArray, JsException, JsObject, JsProxy, loads as _loads, to_js as _to_js
from ._url import URL, URLSearchParams
from . import _queue
from ._queue import Message, MessageBatch, QueueDate, ScheduledController

__all__ = [
    "AlarmInfo", "ArrayBuffer", "BindingError", "Blob", "Body", "Context", "D1Database", "D1DatabaseSession",
    "D1Error", "D1PreparedStatement", "DurableObject", "DurableObjectId", "DurableObjectNamespace",
    "DurableObjectState", "DurableObjectStorage", "DurableObjectStub", "DurableObjectTransaction", "Env",
    "FetchError", "File", "FormData", "Headers", "JsArray", "JsException", "JsObject", "JsProxy", "KVNamespace",
    "Message", "MessageBatch", "Queue", "QueueDate", "R2Bucket", "R2MultipartUpload", "R2Object", "R2ObjectBody",
    "Request", "Response", "ScheduledController", "SqlStorage", "SqlStorageCursor", "Trap", "URL",
    "URLSearchParams", "WebSocket", "WebSocketPair", "WebSocketRequestResponsePair", "WorkerEntrypoint",
    "WorkflowEntrypoint", "fetch", "handler", "serve", "serve_objects", "serve_queue", "serve_scheduled", "trap",
]

CHUNK = 64 << 10
_SPLICE_ALL = 1 << 62


# --- errors --------------------------------------------------------------------


class BindingError(Exception):
    """A binding's error: ``code`` is the WIT case (e.g. ``"invalid-key"``),
    ``message`` the host's text (e.g. why the key is invalid)."""

    def __init__(self, code, message=None):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class FetchError(OSError, JsException):
    """An outbound request that could not be made. Bindery has no egress
    yet, so every outbound ``fetch`` raises this (an OSError, as a failed
    ``pyfetch`` is in Pyodide, and a JsException named TypeError, as a
    failed ``fetch`` is in JavaScript); ``url`` is what was asked for. The
    Worker can catch it; uncaught, it fails the request like any exception."""

    def __init__(self, message, url=None):
        OSError.__init__(self, message)
        self.name = "TypeError"
        self.message = message
        self.url = url


def _case(v):
    """The WIT case name of a generated variant value: Error_InvalidKey -> invalid-key."""
    name = type(v).__name__.split("_", 1)[-1]
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i:
            out.append("-")
        out.append(c.lower())
    return "".join(out)


def _call(f, *args):
    """Calls a binding and raises a WIT error variant as a BindingError."""
    try:
        return f(*args)
    except Err as e:
        v = e.value
        raise BindingError(_case(v), getattr(v, "value", None)) from None


# --- what the host could not take ---------------------------------------------
#
# Strings reach the host as UTF-8, and numbers as the WIT's unsigned types.
# A str may hold surrogates (bytes.decode(errors="surrogateescape"),
# os.fsdecode, unquote(errors="surrogateescape") make them from bytes that
# are not UTF-8), which UTF-8 cannot carry, and an int may be negative or
# too big: componentize-py's lowering panics on either, which traps, fails
# the request and discards the instance. So the SDK refuses them first, as
# a BindingError (or a TypeError for something that is not a str or int).

_U32 = (1 << 32) - 1
_U64 = (1 << 64) - 1


def _text(v, what, code="invalid-argument"):
    """v, when it is a str UTF-8 can carry (None stays None); else a
    BindingError(code), or a TypeError for something that is not a str."""
    if v is None:
        return None
    if not isinstance(v, str):
        raise TypeError(f"{what} must be a str, not {type(v).__name__}")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise BindingError(code, f"{what} {v!r} is not valid UTF-8 (it holds a surrogate, e.g. from surrogateescape)") from None
    return v


def _key(key):
    return _text(key, "key", "invalid-key")


def _uint(v, what, top, code="invalid-argument"):
    """v, when it is an int from 0 to top (None stays None); else a
    BindingError(code), or a TypeError for something that is not an int."""
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{what} must be an int, not {type(v).__name__}")
    if v < 0 or v > top:
        raise BindingError(code, f"{what} {v} is out of range (0 to {top})")
    return v


class Trap(BaseException):
    """Ends the request as a trap (see trap). A BaseException, so that an
    ``except Exception`` in the Worker does not swallow it."""


def trap(message):
    """Ends the request as a trap: the host answers 500, logs the message and
    replaces the instance. Use it for invariants, not for errors."""
    raise Trap(message)


def _drop(resource):
    resource.__exit__(None, None, None)


def _options(options, kwargs, names, what):
    """Cloudflare's options, given as a dict (or JsObject) and/or keyword
    arguments, as one dict keyed by Bindery's snake_case names. ``names``
    maps every accepted spelling (camelCase as in JavaScript, snake_case)
    to the snake_case name; any other key is a TypeError naming it."""
    out = {}
    if options is not None:
        if not isinstance(options, dict):
            raise TypeError(f"{what} options must be a dict, not {type(options).__name__}")
        kwargs = {**options, **{k: v for k, v in kwargs.items() if v is not None}}
    for k, v in kwargs.items():
        if k not in names:
            raise TypeError(f"{what}: unknown option {k!r} (known: {', '.join(sorted(n for n in names if '_' not in n))})")
        if v is not None:
            out[names[k]] = v
    return out


# --- bodies --------------------------------------------------------------------


class Body:
    """A body that comes from the host: the request's, or an R2 object's.

    Iterate over it (``for chunk in body`` or ``async for``) to read it in
    chunks of at most 64 KiB, or read it whole with ``await body.bytes()``,
    ``text()`` or ``json()``. A body nobody has read yet that is returned in
    a Response or put into R2 moves inside the host, without passing
    through Python.
    """

    def __init__(self, stream):
        self._stream = stream
        self.used = stream is None

    @property
    def bodyUsed(self):
        return self.used

    def _take(self):
        """Hands the unread host stream over (for a splice), or None."""
        if self.used:
            return None
        self.used = True
        s, self._stream = self._stream, None
        return s

    def __iter__(self):
        if self.used:
            raise RuntimeError("the body has already been read")
        self.used = True
        s, self._stream = self._stream, None
        try:
            while True:
                try:
                    chunk = s.read(CHUNK)
                except Err as e:
                    if isinstance(e.value, _streams.StreamError_Closed):
                        return
                    raise BindingError("failed", getattr(e.value, "value", None)) from None
                yield chunk
        finally:
            _drop(s)

    async def __aiter__(self):
        for chunk in self:
            yield chunk

    async def bytes(self):
        """The whole body."""
        return b"".join(self)

    async def text(self):
        """The whole body, decoded as UTF-8."""
        return (await self.bytes()).decode()

    async def json(self):
        """The whole body, parsed as JSON (objects as JsObjects: dicts whose
        keys are also attributes)."""
        return _loads(await self.bytes())

    async def arrayBuffer(self):
        """The whole body, as an ArrayBuffer (bytes)."""
        return ArrayBuffer(await self.bytes())


class _BytesBody(Body):
    """A body held in memory (a cloned request's, a KV value as a stream)."""

    def __init__(self, data):
        super().__init__(None)
        self._data = bytes(data)
        self.used = False

    def _take(self):
        return None

    def __iter__(self):
        if self.used:
            raise RuntimeError("the body has already been read")
        self.used = True
        data, self._data = self._data, b""
        return iter([data] if data else [])


class _EmptyBody(_BytesBody):
    """An empty body (a GET's, or an empty object's)."""

    def __init__(self):
        super().__init__(b"")

    def __iter__(self):
        self.used = True
        return iter(())


class Headers:
    """Header fields: case-insensitive names (kept lower-case, as the
    JavaScript Headers class does), in order, a name may repeat. Made from
    a dict, pairs (``dict.items()``) or another Headers; ``Headers.new(init)``
    as in ``from js import Headers``."""

    def __init__(self, init=None):
        self._items = []
        if init is None:
            return
        if isinstance(init, (Headers, dict)):
            init = init.items()
        for k, v in init:
            self.append(k, v)

    @classmethod
    def new(cls, init=None):
        return cls(init)

    def get(self, name, default=None):
        """The values of ``name`` joined by ", ", or default (None, as
        JavaScript's null)."""
        name = name.lower()
        vs = [v for k, v in self._items if k == name]
        return ", ".join(vs) if vs else default

    def get_all(self, name):
        """Every value of ``name``, in order ([] when there is none)."""
        name = name.lower()
        return [v for k, v in self._items if k == name]

    getAll = get_all

    def getSetCookie(self):
        return self.get_all("set-cookie")

    def has(self, name):
        return self.get(name) is not None

    def append(self, name, value):
        self._items.append((str(name).lower(), str(value)))

    def set(self, name, value):
        self.delete(name)
        self.append(name, value)

    def delete(self, name):
        name = name.lower()
        self._items = [(k, v) for k, v in self._items if k != name]

    def items(self):
        return list(self._items)

    entries = items

    def keys(self):
        return [k for k, _ in self._items]

    def values(self):
        return [v for _, v in self._items]

    def __contains__(self, name):
        return self.get(name) is not None

    def __getitem__(self, name):
        v = self.get(name)
        if v is None:
            raise KeyError(name)
        return v

    def __setitem__(self, name, value):
        self.set(name, value)

    def __delitem__(self, name):
        self.delete(name)

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __repr__(self):
        return f"Headers({self._items!r})"


async def _read_all(body):
    """The bytes of a Request or Response body in any of its forms."""
    if body is None:
        return b""
    if isinstance(body, Body):
        return await body.bytes()
    if isinstance(body, (str, bytes, bytearray, memoryview)):
        return _chunk(body)
    return b"".join(_chunk(c) for c in body)


def _body_content(body, headers):
    """body in a form _send can take (None, str, bytes-like, a Body or an
    iterable of chunks), setting a content-type for the forms that imply
    one (FormData, Blob, URLSearchParams, str) when headers has none."""
    ctype = None
    if isinstance(body, FormData):
        body, ctype = _encode_form(body)
    elif isinstance(body, Blob):
        body, ctype = body._data, body.content_type or None
    elif isinstance(body, URLSearchParams):
        body, ctype = body.toString(), "application/x-www-form-urlencoded;charset=UTF-8"
    elif isinstance(body, str):
        ctype = "text/plain; charset=utf-8"
    elif isinstance(body, dict):
        raise TypeError("a dict is not a body: use Response.json(data), or json.dumps it")
    if ctype and "content-type" not in headers:
        headers.set("content-type", ctype)
    return body


class Request:
    """A request: the one ``fetch`` gets (``method``, absolute ``url``,
    ``headers``, a streamed ``body``: a Body, empty for GET and HEAD), or
    one a Worker makes: ``Request(url, method="POST", headers=..., body=...)``
    (``Request.new(url, init)`` in the ``js`` style)."""

    def __init__(self, input, method=None, headers=None, body=None, **init):
        if isinstance(input, Request):
            method = method or input.method
            headers = input.headers if headers is None else headers
            body = input.body if body is None else body
            input = input.url
        self.method = str(method or "GET").upper()
        self.url = str(input)
        self.headers = Headers(headers)
        self.body = _body_content(body, self.headers) if body is not None else _EmptyBody()
        self.cf = init.get("cf")

    @classmethod
    def new(cls, input, init=None, **kwargs):
        init = dict(init or {}, **kwargs)
        return cls(input, init.pop("method", None), init.pop("headers", None), init.pop("body", None), **init)

    @classmethod
    def _incoming(cls, method, url, headers, body):
        r = cls.__new__(cls)
        r.method, r.url, r.headers, r.body, r.cf = method, url, headers, body, None
        return r

    @property
    def body_used(self):
        return isinstance(self.body, Body) and self.body.used

    bodyUsed = body_used

    @property
    def js_object(self):
        return self

    async def bytes(self):
        return await _read_all(self.body)

    async def text(self):
        return (await self.bytes()).decode()

    async def json(self):
        """The body parsed as JSON (objects as JsObjects: dicts whose keys
        are also attributes)."""
        return _loads(await self.bytes())

    async def arrayBuffer(self):
        return ArrayBuffer(await self.bytes())

    buffer = arrayBuffer

    async def form_data(self):
        """The body as a FormData (multipart/form-data or
        application/x-www-form-urlencoded, by the content-type)."""
        return _parse_form(self.headers.get("content-type"), await self.bytes())

    formData = form_data

    async def blob(self):
        return Blob(await self.bytes(), self.headers.get("content-type"))

    def clone(self):
        """A copy with its own body (the body is read into memory)."""
        if self.body_used:
            raise TypeError("the body has already been read")
        if isinstance(self.body, Body) and not isinstance(self.body, _BytesBody):
            self.body = _BytesBody(b"".join(self.body))
        data = self.body._data if isinstance(self.body, _BytesBody) else self.body
        c = Request._incoming(self.method, self.url, Headers(self.headers), _BytesBody(data) if isinstance(data, bytes) else data)
        c.cf = self.cf
        return c

    def __repr__(self):
        return f"<Request {self.method} {self.url}>"


class _dual:
    """A method that is a classmethod when called on the class and an
    instance method when called on an instance (Response.json)."""

    def __init__(self, on_class, on_instance):
        self._c, self._i = on_class, on_instance

    def __get__(self, obj, cls):
        if obj is None:
            return self._c.__get__(cls)
        return self._i.__get__(obj)


_REDIRECTS = (301, 302, 303, 307, 308)


class Response:
    """A response: ``Response(body=None, status=200, headers=None)``.

    ``body`` is None, ``str`` (sent as UTF-8, text/plain by default),
    bytes-like, a Body (moved inside the host when unread), a FormData,
    Blob or URLSearchParams, or an iterable of bytes or str chunks
    (streamed). ``headers`` is a dict, pairs or a Headers.

    Cloudflare's argument orders work too: ``Response(body, status,
    status_text, headers)`` (``workers``: a str third argument is the status
    text) and ``Response.new(body, {"status": 404, "headers": ...})`` or
    ``Response.new(body, status=404)`` (``js``). The status text is kept
    on the object; HTTP/1.1 sends the standard one.
    """

    def __init__(self, body=None, status=None, headers=None, status_text=None, web_socket=None, *, statusText=None):
        if isinstance(status, dict):
            init = status
            status, headers = init.get("status"), init.get("headers", headers)
            status_text = init.get("statusText", init.get("status_text", status_text))
        if isinstance(headers, str):
            # Cloudflare's order: Response(body, status, status_text, headers).
            headers, status_text = status_text, headers
        if isinstance(body, Response):
            # new Response(body, init) copying another response's body.
            body = body.body
        self.status = 200 if status is None else int(status)
        self.status_text = status_text or statusText or ""
        self.headers = Headers(headers)
        self.body = _body_content(body, self.headers)
        self.url = ""
        self.redirected = False
        self._used = False
        # A web socket: the client end of a WebSocketPair whose server end
        # a Durable Object accepted, or the socket of a stub.fetch response
        # (whose _upgrade joins the Worker's client to it).
        self.web_socket = web_socket
        self._upgrade = None

    @classmethod
    def new(cls, body=None, init=None, **kwargs):
        """``new Response(body, init)`` as ``from js import Response`` spells
        it: init is a dict (or keyword arguments) with status, statusText
        and headers."""
        init = dict(init or {}, **kwargs)
        return cls(body, init.get("status"), init.get("headers"), init.get("statusText", init.get("status_text")))

    def _from_json(cls, data, status=None, headers=None, status_text=None, **init):
        """A JSON response (compact, as JSON.stringify writes it):
        ``Response.json(data, status=200, headers=None)``; also
        ``Response.json(data, {"status": 201})`` (JavaScript's init)."""
        if isinstance(status, dict):
            init = dict(status, **init)
            status = None
        if init:
            status = init.get("status", status)
            headers = init.get("headers", headers)
            status_text = init.get("statusText", init.get("status_text", status_text))
        if isinstance(headers, str):
            headers, status_text = status_text, headers
        r = cls(_json.dumps(data, separators=(",", ":")), status, headers, status_text)
        if r.headers.get("content-type", "").startswith("text/plain"):
            r.headers.set("content-type", "application/json")
        return r

    async def _read_json(self):
        return _loads(await self.bytes())

    json = _dual(_from_json, _read_json)
    from_json = classmethod(_from_json)

    @classmethod
    def redirect(cls, url, status=302):
        """A redirect to url (status 301, 302, 303, 307 or 308; else
        ValueError, as JavaScript's RangeError)."""
        status = int(status)
        if status not in _REDIRECTS:
            raise ValueError(f"redirect status {status} is not one of {', '.join(map(str, _REDIRECTS))}")
        return cls(None, status, {"location": str(url)})

    @property
    def ok(self):
        return 200 <= self.status <= 299

    @property
    def webSocket(self):
        return self.web_socket

    @property
    def statusText(self):
        return self.status_text

    @property
    def body_used(self):
        return self._used or (isinstance(self.body, Body) and self.body.used)

    bodyUsed = body_used

    @property
    def js_object(self):
        return self

    async def bytes(self):
        if self._used:
            raise TypeError("the body has already been read")
        self._used = True
        return await _read_all(self.body)

    async def text(self):
        return (await self.bytes()).decode()

    async def arrayBuffer(self):
        return ArrayBuffer(await self.bytes())

    buffer = arrayBuffer

    async def form_data(self):
        return _parse_form(self.headers.get("content-type"), await self.bytes())

    formData = form_data

    def clone(self):
        """A copy; the body must be None, str or bytes-like."""
        if self.body is not None and not isinstance(self.body, (str, bytes, bytearray, memoryview)):
            raise TypeError("only a response whose body is None, str or bytes can be cloned")
        return type(self)(self.body, self.status, Headers(self.headers), self.status_text)

    def __repr__(self):
        return f"<Response {self.status}>"


def _chunk(c):
    if isinstance(c, str):
        return c.encode()
    return bytes(c)


def _send(out, resp):
    """Sends resp through out. Returns True when out was used up (a web
    socket forwarded: the caller must not drop or fail it), else None."""
    if not isinstance(resp, Response):
        raise TypeError(f"fetch must return a Response, got {type(resp).__name__}")
    if resp._upgrade is not None:
        # A Durable Object's 101 (stub.fetch): the client joins its socket.
        # forward takes out, whether or not it succeeds.
        up, resp._upgrade = resp._upgrade, None
        try:
            up.forward(out)
        except Err as e:
            print(f"forwarding the Durable Object's web socket: {_durable._case(e.value)}: {getattr(e.value, 'value', '')}", file=_sys.stderr)
        finally:
            _drop(up)
        return True
    if resp.web_socket is not None:
        raise TypeError("a Response with a web_socket is the answer of a Durable Object that accepted it "
                        "(ctx.accept_web_socket), or one from stub.fetch")
    if isinstance(resp.status, bool) or not isinstance(resp.status, int) or not 100 <= resp.status <= 599:
        raise ValueError(f"response status {resp.status!r} is not 100 to 599")
    headers = [(_text(k, "header name"), v.encode()) for k, v in resp.headers.items()]
    body = resp.body
    if body is None:
        out.send_full(resp.status, headers, b"")
        return
    if isinstance(body, (str, bytes, bytearray, memoryview)):
        out.send_full(resp.status, headers, _chunk(body))
        return
    if isinstance(body, Body):
        src = body._take()
        if src is not None:
            os = out.send(resp.status, headers)
            try:
                while os.splice(src, _SPLICE_ALL) == _SPLICE_ALL:
                    pass
            except Err as e:
                # Closed: the body had ended before the first byte (an
                # empty body), or the client left; either way it is done.
                if not isinstance(e.value, _streams.StreamError_Closed):
                    raise
            finally:
                _drop(os)
                _drop(src)
            return
    it = iter(body)
    first = next(it, None)
    if first is None:
        out.send_full(resp.status, headers, b"")
        return
    os = out.send(resp.status, headers)
    try:
        os.write(_chunk(first))
        for c in it:
            os.write(_chunk(c))
    finally:
        _drop(os)


# --- outbound fetch --------------------------------------------------------------


async def fetch(resource, init=None, **kwargs):
    """Outbound ``fetch`` (``from workers import fetch``, ``from js import
    fetch``): Bindery has no egress yet, so it raises FetchError, which the
    Worker can catch, without sending anything."""
    if isinstance(resource, Request):
        method, url = resource.method, resource.url
    else:
        url = str(resource)
        method = str(dict(init or {}, **kwargs).get("method") or "GET").upper()
    raise FetchError(f"fetch {method} {url}: outbound requests are not supported by Bindery yet (no egress); nothing was sent", url)


fetch._bindery_outbound = True


# --- KV ------------------------------------------------------------------------

_KV_GET = {"type": "type", "cacheTtl": "cache_ttl", "cache_ttl": "cache_ttl"}
_KV_PUT = {"expiration": "expiration", "expirationTtl": "expiration_ttl", "expiration_ttl": "expiration_ttl", "metadata": "metadata"}
_KV_LIST = {"prefix": "prefix", "limit": "limit", "cursor": "cursor"}


def _decode(v, type):
    if type == "text":
        return v.decode()
    if type == "json":
        return _loads(v)
    if type == "bytes":
        return v
    if type == "arrayBuffer":
        return ArrayBuffer(v)
    if type == "stream":
        return _BytesBody(v)
    raise ValueError(f"unknown type {type!r} (text, json, arrayBuffer, stream or bytes)")


async def _to_bytes(value):
    if value is None:
        return b""
    if isinstance(value, Body):
        return await value.bytes()
    if isinstance(value, Blob):
        return value._data
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        return _chunk(value)
    return b"".join(_chunk(c) for c in value)


class _KVList(JsObject):
    """A KV list result; ``result.keys`` is the list of keys (as in
    JavaScript), ``result["keys"]`` too."""

    __slots__ = ()
    keys = property(lambda self: self["keys"])


class KVNamespace:
    """A KV namespace binding (``env.STORE``). A binding's error is raised as
    a BindingError.

    The methods take Cloudflare's options as a dict or as keyword
    arguments, in JavaScript's spelling or snake_case:
    ``get(key, "json")``, ``get(key, type="json")``,
    ``put(key, value, expirationTtl=60, metadata={...})``,
    ``put(key, value, {"expirationTtl": 60})``,
    ``list(prefix="a", limit=10)``, ``list({"prefix": "a"})``.
    """

    def __init__(self, ns):
        self._ns = ns

    def _type(self, type, kw):
        opts = _options(type if isinstance(type, dict) else None, kw, _KV_GET, "KV get")
        t = type if isinstance(type, str) else opts.get("type", "text")
        if t not in ("text", "json", "bytes", "arrayBuffer", "stream"):
            raise ValueError(f"unknown type {t!r} (text, json, arrayBuffer, stream or bytes)")
        _uint(opts.get("cache_ttl"), "cacheTtl", _U64)  # accepted; there is no edge cache to keep it in
        return t

    async def get(self, key, type=None, **options):
        """The value of ``key`` (``type``: "text", "json", "arrayBuffer",
        "stream" or "bytes"), or None. A list of keys (at most 100) gives a
        dict of key to value (None for a missing key)."""
        t = self._type(type, options)
        if isinstance(key, (list, tuple)):
            vs = _call(self._ns.get_many, [_key(k) for k in key])
            return JsObject((k, None if v is None else _decode(v.value, t)) for k, v in zip(key, vs))
        v = _call(self._ns.get, _key(key))
        return None if v is None else _decode(v, t)

    async def get_with_metadata(self, key, type="text"):
        """``(value, metadata)``, or ``(None, None)`` for a missing key."""
        t = self._type(type, {})
        v = _call(self._ns.get_with_metadata, _key(key))
        if v is None:
            return None, None
        return _decode(v.value, t), None if v.metadata is None else _loads(v.metadata)

    async def getWithMetadata(self, key, type=None, **options):
        """Cloudflare's getWithMetadata: ``{"value", "metadata",
        "cacheStatus"}`` (a JsObject; value and metadata None for a missing
        key). A list of keys gives a dict of key to such an object."""
        t = self._type(type, options)

        def one(v):
            if v is None:
                return JsObject(value=None, metadata=None, cacheStatus=None)
            return JsObject(value=_decode(v.value, t), metadata=None if v.metadata is None else _loads(v.metadata), cacheStatus=None)

        if isinstance(key, (list, tuple)):
            vs = _call(self._ns.get_many, [_key(k) for k in key])
            return JsObject((k, one(v)) for k, v in zip(key, vs))
        return one(_call(self._ns.get_with_metadata, _key(key)))

    async def put(self, key, value, options=None, expiration_ttl=None, metadata=None, **kw):
        """Stores ``value`` (str, bytes-like, a Body or an iterable of
        chunks). Options: expiration (seconds since the epoch),
        expirationTtl / expiration_ttl (seconds from now), metadata (JSON)."""
        _key(key)
        if isinstance(options, int) and not isinstance(options, bool):
            kw["expiration"], options = options, None  # Bindery's put(key, value, expiration, ...)
        o = _options(options, dict(kw, expiration_ttl=expiration_ttl, metadata=metadata), _KV_PUT, "KV put")
        md = o.get("metadata")
        opts = _store.PutOptions(
            expiration=_uint(o.get("expiration"), "expiration", _U64),
            expiration_ttl=_uint(o.get("expiration_ttl"), "expiration_ttl", _U64),
            # json.dumps escapes every non-ASCII character: the text is UTF-8.
            metadata=None if md is None else _json.dumps(md, separators=(",", ":")),
        )
        data = await _to_bytes(value)
        _call(self._ns.put, key, data, opts)

    async def delete(self, key):
        _call(self._ns.delete, _key(key))

    async def list(self, options=None, limit=None, cursor=None, **kw):
        """One page of keys: ``{"keys": [{"name", "expiration"?,
        "metadata"?}], "list_complete": bool, "cursor"?: str}`` (JsObjects:
        ``result.keys``, ``k.name`` work too). Options: prefix, limit,
        cursor; ``list("prefix")`` is ``list(prefix="prefix")``."""
        if isinstance(options, str):
            kw["prefix"], options = options, None
        o = _options(options, dict(kw, limit=limit, cursor=cursor), _KV_LIST, "KV list")
        r = _call(self._ns.list_keys, _store.ListOptions(
            prefix=_text(o.get("prefix"), "list prefix"), limit=_uint(o.get("limit"), "list limit", _U32),
            cursor=_text(o.get("cursor"), "list cursor")))
        keys = []
        for k in r.keys:
            e = JsObject(name=k.name)
            if k.expiration is not None:
                e["expiration"] = k.expiration
            if k.metadata is not None:
                e["metadata"] = _loads(k.metadata)
            keys.append(e)
        out = _KVList(keys=keys, list_complete=r.list_complete)
        if r.cursor is not None:
            out["cursor"] = r.cursor
        return out

    def __repr__(self):
        return "<KVNamespace>"


# --- R2 ------------------------------------------------------------------------

_HTTP_FIELDS = ("content_type", "content_language", "content_disposition", "content_encoding", "cache_control")
_HTTP_NAMES = {f: f for f in _HTTP_FIELDS + ("cache_expiry",)}
for _f in _HTTP_FIELDS + ("cache_expiry",):
    _head, *_rest = _f.split("_")
    _HTTP_NAMES[_head + "".join(w.title() for w in _rest)] = _f  # contentType
    _HTTP_NAMES[_f.replace("_", "-")] = _f  # content-type
del _f, _head, _rest
_SUMS = ("md5", "sha1", "sha256", "sha384", "sha512")
_R2_GET = {"range": "range", "onlyIf": "only_if", "only_if": "only_if"}
_R2_PUT = {
    "httpMetadata": "http_metadata", "http_metadata": "http_metadata",
    "customMetadata": "custom_metadata", "custom_metadata": "custom_metadata",
    "storageClass": "storage_class", "storage_class": "storage_class",
    "onlyIf": "only_if", "only_if": "only_if",
    **{s: s for s in _SUMS},
}
_R2_MULTIPART = {k: v for k, v in _R2_PUT.items() if v in ("http_metadata", "custom_metadata", "storage_class")}
_R2_LIST = {
    "prefix": "prefix", "limit": "limit", "cursor": "cursor", "delimiter": "delimiter",
    "startAfter": "start_after", "start_after": "start_after", "include": "include",
}


def _ms_time(ms):
    return _datetime.datetime.fromtimestamp(ms / 1000, _datetime.timezone.utc)


def _camel(name):
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


class R2Object:
    """An R2 object's metadata: key, version, size, etag, http_etag,
    uploaded (a UTC datetime), http_metadata, custom_metadata, checksums
    (hex), storage_class, range. Cloudflare's names work too, as
    attributes or by subscript: ``obj.httpEtag``, ``obj["httpMetadata"]
    ["contentType"]``, ``obj.customMetadata``, ``obj.storageClass``,
    ``obj.writeHttpMetadata(headers)``."""

    def __init__(self, o):
        self.key = o.key
        self.version = o.version
        self.size = o.size
        self.etag = o.etag
        self.http_etag = f'"{o.etag}"'
        self.uploaded = _ms_time(o.uploaded)
        m = o.http_metadata
        self.http_metadata = {k: getattr(m, k) for k in _HTTP_FIELDS if getattr(m, k) is not None}
        if m.cache_expiry is not None:
            self.http_metadata["cache_expiry"] = _ms_time(m.cache_expiry)
        self.custom_metadata = dict(o.custom_metadata)
        self.checksums = {k: getattr(o.checksums, k).hex() for k in _SUMS if getattr(o.checksums, k) is not None}
        self.storage_class = o.storage_class
        self.range = None if o.range is None else {k: getattr(o.range, k) for k in ("offset", "length", "suffix") if getattr(o.range, k) is not None}

    @property
    def httpEtag(self):
        return self.http_etag

    @property
    def httpMetadata(self):
        return JsObject((_camel(k), v) for k, v in self.http_metadata.items())

    @property
    def customMetadata(self):
        return JsObject(self.custom_metadata)

    @property
    def storageClass(self):
        return self.storage_class

    def __getitem__(self, name):
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    def __contains__(self, name):
        return hasattr(self, name)

    def write_http_metadata(self, headers):
        """Sets the object's HTTP metadata as header fields on ``headers``
        (a Headers or a dict): content-type, content-language,
        content-disposition, content-encoding, cache-control, and expires."""
        for k in _HTTP_FIELDS:
            if k in self.http_metadata:
                headers[k.replace("_", "-")] = self.http_metadata[k]
        if "cache_expiry" in self.http_metadata:
            headers["expires"] = self.http_metadata["cache_expiry"].strftime("%a, %d %b %Y %H:%M:%S GMT")

    writeHttpMetadata = write_http_metadata

    def __repr__(self):
        return f"<R2Object {self.key!r} {self.size} bytes>"


class R2ObjectBody(R2Object):
    """An R2 object and its ``body`` (a Body): ``await obj.text()``,
    ``bytes()``, ``json()``, ``arrayBuffer()``, ``blob()``; ``bodyUsed``."""

    def __init__(self, o, body):
        super().__init__(o)
        self.body = Body(body) if body is not None else _EmptyBody()

    @property
    def body_used(self):
        return self.body.used

    bodyUsed = body_used

    async def bytes(self):
        return await self.body.bytes()

    async def text(self):
        return await self.body.text()

    async def json(self):
        return await self.body.json()

    async def arrayBuffer(self):
        return await self.body.arrayBuffer()

    async def blob(self):
        return Blob(await self.body.bytes(), self.http_metadata.get("content_type"))


class _R2List(JsObject):
    """An R2 list result; ``delimitedPrefixes`` is ``delimited_prefixes``."""

    __slots__ = ()

    def __missing__(self, key):
        if key == "delimitedPrefixes":
            return self["delimited_prefixes"]
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key):
        return dict.__contains__(self, "delimited_prefixes" if key == "delimitedPrefixes" else key)


_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}


def _http_date_ms(s):
    """An HTTP date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT") in
    milliseconds since the epoch, or None when s is not one."""
    try:
        _, day, mon, year, hms, _ = s.split()
        h, m, sec = (int(x) for x in hms.split(":"))
        t = _datetime.datetime(int(year), _MONTHS[mon.lower()], int(day), h, m, sec, tzinfo=_datetime.timezone.utc)
        return int(t.timestamp() * 1000)
    except (ValueError, KeyError):
        return None


def _when(v, what):
    if v is None:
        return None
    if isinstance(v, _datetime.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=_datetime.timezone.utc)
        return _uint(int(v.timestamp() * 1000), what, _U64)
    return _uint(v, what, _U64)


def _etags(v, what):
    if v is None:
        return []
    if isinstance(v, str):
        v = v.split(",")
    out = []
    for e in v:
        e = _text(e, what).strip()
        if e.startswith("W/"):
            e = e[2:]
        if len(e) >= 2 and e[0] == e[-1] == '"':
            e = e[1:-1]
        if e:
            out.append(e)
    return out


_COND_NAMES = {
    "etagMatches": "etag_matches", "etag_matches": "etag_matches",
    "etagDoesNotMatch": "etag_does_not_match", "etag_does_not_match": "etag_does_not_match",
    "uploadedBefore": "uploaded_before", "uploaded_before": "uploaded_before",
    "uploadedAfter": "uploaded_after", "uploaded_after": "uploaded_after",
    "secondsGranularity": "seconds_granularity", "seconds_granularity": "seconds_granularity",
}


def _conditional(c):
    """R2's onlyIf: a dict (etagMatches, etagDoesNotMatch, uploadedBefore,
    uploadedAfter as datetimes or ms, secondsGranularity) or a request's
    Headers (If-Match, If-None-Match, If-Unmodified-Since, If-Modified-Since)."""
    if c is None:
        return None
    if isinstance(c, Headers):
        d = {
            "etag_matches": c.get("if-match"), "etag_does_not_match": c.get("if-none-match"),
            "uploaded_before": _http_date_ms(c.get("if-unmodified-since", "")),
            "uploaded_after": _http_date_ms(c.get("if-modified-since", "")),
            "seconds_granularity": True,
        }
    else:
        d = _options(c, {}, _COND_NAMES, "R2 onlyIf")
    return _bucket.Conditional(
        etag_matches=_etags(d.get("etag_matches"), "onlyIf etagMatches"),
        etag_does_not_match=_etags(d.get("etag_does_not_match"), "onlyIf etagDoesNotMatch"),
        uploaded_before=_when(d.get("uploaded_before"), "onlyIf uploadedBefore"),
        uploaded_after=_when(d.get("uploaded_after"), "onlyIf uploadedAfter"),
        seconds_granularity=bool(d.get("seconds_granularity")),
    )


def _range(r):
    """R2's range: a dict (offset and length, or suffix) or a request's
    Headers (a single "Range: bytes=..." range; none without the header)."""
    if r is None:
        return None
    if isinstance(r, Headers):
        v = r.get("range")
        if v is None:
            return None
        unit, _, spec = v.partition("=")
        first, dash, last = spec.strip().partition("-")
        if unit.strip().lower() != "bytes" or not dash or "," in spec:
            raise BindingError("invalid-range", f"range {v!r} is not one bytes=first-last range")
        try:
            if not first:
                r = {"suffix": int(last)}
            elif not last:
                r = {"offset": int(first)}
            else:
                r = {"offset": int(first), "length": int(last) - int(first) + 1}
        except ValueError:
            raise BindingError("invalid-range", f"range {v!r} is not one bytes=first-last range") from None
    return _bucket.Range(**{k: _uint(r.get(k), f"range {k}", _U64, "invalid-range") for k in ("offset", "length", "suffix")})


def _http_metadata(h):
    """R2 HTTP metadata from a dict (snake_case, camelCase or header names)
    or a Headers."""
    if h is None:
        return None
    if isinstance(h, Headers):
        d = {k: h.get(k.replace("_", "-")) for k in _HTTP_FIELDS}
        d["cache_expiry"] = _http_date_ms(h.get("expires", ""))
    else:
        d = _options(h, {}, _HTTP_NAMES, "R2 httpMetadata")
    return _bucket.HttpMetadata(*(_text(d.get(k), k) for k in _HTTP_FIELDS), cache_expiry=_when(d.get("cache_expiry"), "cache_expiry"))


def _digest(v, name):
    if v is None:
        return None
    if isinstance(v, str):
        try:
            return bytes.fromhex(v)
        except ValueError:
            raise BindingError("invalid-argument", f"{name} {v!r} is not hex") from None
    return bytes(v)


def _checksums(o):
    return _bucket.Checksums(**{s: _digest(o.get(s), s) for s in _SUMS})


def _custom_metadata(m):
    return [(_text(k, "custom_metadata key"), _text(v, f"custom_metadata[{k!r}]")) for k, v in (m or {}).items()]


def _r2_body(value):
    """An unread Body's host stream (moved inside the host), or None."""
    if isinstance(value, Body):
        return value._take()
    return None


class R2MultipartUpload:
    """A multipart upload: ``key``, ``uploadId``; ``await
    upload.uploadPart(n, value)`` (→ ``{"partNumber", "etag"}``),
    ``complete(parts)`` (→ R2Object), ``abort()``. snake_case names too."""

    def __init__(self, u):
        self._u = u
        self.key = u.key()
        self.upload_id = u.upload_id()

    @property
    def uploadId(self):
        return self.upload_id

    def __getitem__(self, name):
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    async def upload_part(self, part_number, value):
        """Stores part ``part_number`` (1 to 10000): str or bytes-like in one
        call, an unread Body moved inside the host, an iterable of chunks
        streamed."""
        n = _uint(part_number, "part number", _U32)
        src = _r2_body(value)
        if src is not None:
            p = _call(self._u.upload_part, n, _bucket.Body_Stream(src))
        elif value is None or isinstance(value, (str, bytes, bytearray, memoryview, Body, Blob)):
            p = _call(self._u.upload_part, n, _bucket.Body_Bytes(await _to_bytes(value)))
        else:
            w = _call(self._u.part_writer, n)
            try:
                for c in value:
                    _call(w.write, _chunk(c))
                p = _call(w.finish)
            finally:
                _drop(w)
        return JsObject(partNumber=p.part_number, etag=p.etag)

    uploadPart = upload_part

    async def complete(self, parts):
        """Joins the parts (dicts with partNumber or part_number, and etag)."""
        ps = []
        for p in parts:
            n = p.get("partNumber", p.get("part_number"))
            ps.append(_bucket.UploadedPart(part_number=_uint(n, "part number", _U32), etag=_text(p.get("etag"), "part etag")))
        return R2Object(_call(self._u.complete, ps))

    async def abort(self):
        _call(self._u.abort)

    def __repr__(self):
        return f"<R2MultipartUpload {self.key!r} {self.upload_id!r}>"


class R2Bucket:
    """An R2 bucket binding (``env.FILES``). A binding's error is raised as a
    BindingError.

    The methods take Cloudflare's options as a dict or as keyword
    arguments, in JavaScript's spelling or snake_case:
    ``put(key, value, httpMetadata={"contentType": ...}, customMetadata={...})``,
    ``get(key, range={"offset": 0, "length": 10}, onlyIf=request.headers)``,
    ``list(prefix="a/", delimiter="/", include=["httpMetadata"])``.
    """

    def __init__(self, b):
        self._b = b

    async def head(self, key):
        """The object's metadata (an R2Object), or None."""
        o = _call(self._b.head, _key(key))
        return None if o is None else R2Object(o)

    async def get(self, key, options=None, **kw):
        """The object and its body (an R2ObjectBody), or None. Options:
        ``range`` (a dict with offset and length, or suffix; or Headers with
        a Range), ``onlyIf`` (see R2's conditional get; an R2Object without
        a body when it fails)."""
        o = _options(options, kw, _R2_GET, "R2 get")
        only_if = _conditional(o.get("only_if"))
        ob = _call(self._b.get, _key(key), _bucket.GetOptions(only_if=only_if, range=_range(o.get("range"))))
        if ob is None:
            return None
        if ob.body is None and only_if is not None:
            return R2Object(ob.object)
        return R2ObjectBody(ob.object, ob.body)

    async def put(self, key, value, options=None, custom_metadata=None, md5=None, storage_class=None, **kw):
        """Stores ``value``: str or bytes-like (sent in one call), an unread
        Body (moved inside the host), or an iterable of chunks (streamed).
        Options: httpMetadata (a dict or Headers), customMetadata, md5 (or
        sha1 ... sha512; hex or bytes), storageClass, onlyIf. Returns the
        new object's R2Object, or None when onlyIf failed."""
        _key(key)
        if options is not None and (isinstance(options, Headers) or not any(k in _R2_PUT for k in options)):
            kw["http_metadata"], options = options, None  # Bindery's put(key, value, http_metadata, ...)
        o = _options(options, dict(kw, custom_metadata=custom_metadata, md5=md5, storage_class=storage_class), _R2_PUT, "R2 put")
        opts = _bucket.PutOptions(
            http_metadata=_http_metadata(o.get("http_metadata")),
            custom_metadata=_custom_metadata(o.get("custom_metadata")),
            checksums=_checksums(o),
            only_if=_conditional(o.get("only_if")),
            storage_class=_text(o.get("storage_class"), "storage_class"),
        )
        src = _r2_body(value)
        if src is not None:
            r = _call(self._b.put, key, _bucket.Body_Stream(src), opts)
        elif value is None or isinstance(value, (str, bytes, bytearray, memoryview, Body, Blob)):
            r = _call(self._b.put, key, _bucket.Body_Bytes(await _to_bytes(value)), opts)
        else:
            w = _call(self._b.put_writer, key, opts)
            try:
                for c in value:
                    _call(w.write, _chunk(c))
                r = _call(w.finish)
            finally:
                _drop(w)
        return None if r is None else R2Object(r)

    async def delete(self, keys):
        """Deletes a key or a list of keys; a missing key is not an error."""
        _call(self._b.delete, [_key(k) for k in ([keys] if isinstance(keys, str) else keys)])

    async def list(self, options=None, limit=None, cursor=None, delimiter=None, start_after=None, include=None, **kw):
        """One page: ``{"objects": [R2Object], "truncated": bool, "cursor"?: str,
        "delimited_prefixes": [str]}`` (a JsObject: ``result.objects``,
        ``result["delimitedPrefixes"]`` work too). Options: prefix, limit,
        cursor, delimiter, startAfter, include (["httpMetadata",
        "customMetadata"]); ``list("prefix")`` is ``list(prefix="prefix")``."""
        if isinstance(options, str):
            kw["prefix"], options = options, None
        o = _options(options, dict(kw, limit=limit, cursor=cursor, delimiter=delimiter, start_after=start_after, include=include), _R2_LIST, "R2 list")
        inc = o.get("include") or ()
        r = _call(self._b.list_objects, _bucket.ListOptions(
            limit=_uint(o.get("limit"), "list limit", _U32), prefix=_text(o.get("prefix"), "list prefix"),
            cursor=_text(o.get("cursor"), "list cursor"), delimiter=_text(o.get("delimiter"), "list delimiter"),
            start_after=_text(o.get("start_after"), "list start_after"),
            include_http_metadata="http_metadata" in inc or "httpMetadata" in inc,
            include_custom_metadata="custom_metadata" in inc or "customMetadata" in inc,
        ))
        out = _R2List(objects=[R2Object(x) for x in r.objects], truncated=r.truncated,
                      delimited_prefixes=list(r.delimited_prefixes))
        if r.cursor is not None:
            out["cursor"] = r.cursor
        return out

    async def create_multipart_upload(self, key, options=None, **kw):
        """Starts a multipart upload (options: httpMetadata, customMetadata,
        storageClass); an R2MultipartUpload."""
        o = _options(options, kw, _R2_MULTIPART, "R2 createMultipartUpload")
        u = _call(self._b.create_multipart_upload, _key(key), _bucket.MultipartOptions(
            http_metadata=_http_metadata(o.get("http_metadata")),
            custom_metadata=_custom_metadata(o.get("custom_metadata")),
            storage_class=_text(o.get("storage_class"), "storage_class"),
        ))
        return R2MultipartUpload(u)

    createMultipartUpload = create_multipart_upload

    def resume_multipart_upload(self, key, upload_id):
        """The upload ``upload_id`` of ``key`` (not checked until it is used)."""
        return R2MultipartUpload(self._b.resume_multipart_upload(_key(key), _text(upload_id, "upload id", "no-such-upload")))

    resumeMultipartUpload = resume_multipart_upload

    def __repr__(self):
        return "<R2Bucket>"


# --- D1 ------------------------------------------------------------------------
#
# D1 as Cloudflare's Python Workers see it: env.DB is the JavaScript
# D1Database, reached through Pyodide, so results are JavaScript objects
# (here JsObjects and JsArrays: attributes and subscripts, to_py()). One
# host call (query) is D1's all, run, first and raw: the SDK shapes its
# columns and rows.

_S64_MIN, _S64_MAX = -(1 << 63), (1 << 63) - 1
_D1_RAW = {"columnNames": "column_names", "column_names": "column_names"}


class D1Error(BindingError, JsException):
    """A D1 error: ``code`` is the WIT case (``"sql"``, ``"limit"``,
    ``"refused"``, ``"invalid-argument"``, ``"no-such-database"``,
    ``"internal"``) and ``message`` D1's text, e.g. ``"D1_ERROR: no such
    table: nope: SQLITE_ERROR"``. A BindingError, and a JsException named
    Error, as D1's errors are in Cloudflare's Python Workers (``except
    Exception as e: e.message`` works in both)."""

    def __init__(self, code, message):
        Exception.__init__(self, f"{code}: {message}")
        self.code = code
        self.message = message
        self.name = "Error"


def _d1_call(f, *args):
    """Calls a D1 binding function and raises its WIT error as a D1Error."""
    try:
        return f(*args)
    except Err as e:
        v = e.value
        raise D1Error(_case(v), getattr(v, "value", "")) from None


def _d1_text(v, what):
    """v when it is a str UTF-8 can carry; else a D1Error (invalid-argument),
    or a TypeError for something that is not a str."""
    if not isinstance(v, str):
        raise TypeError(f"{what} must be a str, not {type(v).__name__}")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise D1Error("invalid-argument", f"{what} {v!r} is not valid UTF-8 (it holds a surrogate, e.g. from surrogateescape)") from None
    return str(v)


def _d1_param(v, i):
    """The WIT value of the i-th (from 1) bound value: None is NULL, a bool
    1 or 0, an int a 64-bit integer, a float a real, a str text, bytes-like
    a blob. Any other type is a TypeError with D1's D1_TYPE_ERROR."""
    if v is None:
        return _database.Value_Null()
    if isinstance(v, bool):
        return _database.Value_Integer(1 if v else 0)
    if isinstance(v, int):
        if not _S64_MIN <= v <= _S64_MAX:
            raise D1Error("invalid-argument", f"D1_TYPE_ERROR: parameter {i}: the integer {v} is out of SQLite's range (-2^63 to 2^63-1)")
        return _database.Value_Integer(int(v))
    if isinstance(v, float):
        return _database.Value_Real(float(v))
    if isinstance(v, str):
        return _database.Value_Text(_d1_text(v, f"parameter {i}"))
    if isinstance(v, (bytes, bytearray, memoryview)):
        return _database.Value_Blob(bytes(v))
    shown = repr(v)
    if len(shown) > 100:
        shown = shown[:97] + "..."
    raise TypeError(f"D1_TYPE_ERROR: Type '{type(v).__name__}' not supported for value {shown} (parameter {i})")


def _d1_value(v):
    """A WIT value as Python: None, int (all 64 bits), float, str, or an
    ArrayBuffer (bytes) for a blob."""
    if isinstance(v, _database.Value_Blob):
        return ArrayBuffer(v.value)
    if isinstance(v, _database.Value_Null):
        return None
    return v.value


def _d1_rows(r):
    """The rows of a query result as JsObjects (a repeated column name
    keeps the last column's value, as a JavaScript object would)."""
    cols = r.columns
    return JsArray(JsObject(zip(cols, map(_d1_value, row))) for row in r.rows)


def _d1_result(r):
    """A query result as D1's D1Result: ``{results, success, meta}``."""
    m = r.meta
    meta = JsObject(duration=m.duration, rows_read=m.rows_read, rows_written=m.rows_written,
                    last_row_id=m.last_row_id, changes=m.changes, changed_db=m.changed_db,
                    size_after=m.size_after)
    return JsObject(results=_d1_rows(r), success=True, meta=meta)


def _d1_statements(statements):
    out = []
    for i, s in enumerate(statements):
        if not isinstance(s, D1PreparedStatement):
            raise TypeError(f"batch: statement {i} is a {type(s).__name__}, not a D1PreparedStatement (from prepare)")
        out.append(s._statement())
    return out


class D1PreparedStatement:
    """A statement from ``DB.prepare(sql)``: ``bind(*values)`` gives a new
    statement with its parameters (for ``?`` and ``?NNN``), and ``await``
    one of ``all()``, ``run()``, ``first(column=None)`` or ``raw()`` runs
    it. Values bind as D1 does: None is NULL, a bool 1 or 0, an int a
    64-bit integer (whole, at any size SQLite holds), a float a real, a str
    text, bytes / bytearray / memoryview a blob."""

    def __init__(self, h, sql, params=()):
        self._h = h
        self._sql = sql
        self._params = list(params)

    def bind(self, *values):
        """A new statement with ``values`` bound (the first to ``?1``).
        A value of another type is a TypeError (D1_TYPE_ERROR)."""
        return D1PreparedStatement(self._h, self._sql, [_d1_param(v, i) for i, v in enumerate(values, 1)])

    def _statement(self):
        return _database.Statement(sql=self._sql, params=self._params)

    def _query(self):
        return _d1_call(self._h.query, self._statement())

    async def all(self):
        """D1's D1Result: ``{"results": [row], "success": True, "meta":
        {...}}``, a JsObject (``r.results``, ``row.name``, ``r.meta.changes``,
        ``r.to_py()``)."""
        return _d1_result(self._query())

    async def run(self):
        """As all(): D1's run returns the same D1Result."""
        return _d1_result(self._query())

    async def first(self, column=None):
        """The first row (a JsObject), or None when there is none. With
        ``column``, that column's value of the first row (None when there
        is no row); a column the result does not have is a D1Error
        (D1_COLUMN_NOTFOUND)."""
        if column is not None:
            column = _d1_text(column, "column name")
        r = self._query()
        if not r.rows:
            return None
        row = JsObject(zip(r.columns, map(_d1_value, r.rows[0])))
        if column is None:
            return row
        if column not in row:
            raise D1Error("invalid-argument", f"D1_COLUMN_NOTFOUND: Column not found ({column})")
        return row[column]

    async def raw(self, options=None, **kw):
        """The rows as lists of values in column order (JsArrays); with
        ``columnNames=True`` (or ``column_names=True``, or
        ``{"columnNames": True}``) the column names come first."""
        o = _options(options, kw, _D1_RAW, "D1 raw")
        r = self._query()
        rows = JsArray(JsArray(map(_d1_value, row)) for row in r.rows)
        if o.get("column_names"):
            rows.insert(0, JsArray(r.columns))
        return rows

    def __repr__(self):
        return f"<D1PreparedStatement {self._sql!r}>"


class D1DatabaseSession:
    """A D1 session (``DB.withSession(...)``): its reads never see the
    database older than its bookmark. ``prepare`` and ``batch`` as on
    D1Database; ``getBookmark()`` / ``get_bookmark()`` is the bookmark of
    the latest commit the session has seen (None before its first query
    when it started unconstrained)."""

    def __init__(self, s):
        self._s = s

    def prepare(self, sql):
        """A D1PreparedStatement that runs in this session."""
        return D1PreparedStatement(self._s, _d1_text(sql, "SQL"))

    async def batch(self, statements):
        """As D1Database.batch, in this session."""
        return JsArray(map(_d1_result, _d1_call(self._s.batch, _d1_statements(statements))))

    def get_bookmark(self):
        return self._s.bookmark()

    getBookmark = get_bookmark

    def __repr__(self):
        return "<D1DatabaseSession>"


class D1Database:
    """A D1 binding (``env.DB``), shaped as D1's JavaScript D1Database:
    ``prepare(sql)``, ``await batch([statements])``, ``await exec(sql)``,
    ``withSession(constraint_or_bookmark)``. Results are JsObjects and
    JsArrays (attributes or subscripts, ``to_py()``); an integer is a
    Python int with all its 64 bits, a blob an ArrayBuffer (bytes). A
    failure is a D1Error with D1's message."""

    def __init__(self, db):
        self._db = db

    def prepare(self, sql):
        """A D1PreparedStatement for ``sql`` (not run until awaited)."""
        return D1PreparedStatement(self._db, _d1_text(sql, "SQL"))

    async def batch(self, statements):
        """Runs the statements in one transaction and returns their
        D1Results (a JsArray): all take effect, or none does and the first
        failure is raised as a D1Error naming it."""
        return JsArray(map(_d1_result, _d1_call(self._db.batch, _d1_statements(statements))))

    async def exec(self, sql):
        """Runs unbound statements separated by semicolons, in order,
        stopping at the first error (those before it stay done):
        ``{"count", "duration"}`` (a JsObject)."""
        r = _d1_call(self._db.exec, _d1_text(sql, "SQL"))
        return JsObject(count=r.count, duration=r.duration)

    def with_session(self, constraint_or_bookmark=None):
        """A D1DatabaseSession: None or ``"first-unconstrained"`` reads from
        any replica, ``"first-primary"`` from the primary, a bookmark (from
        ``getBookmark()``) from a replica at least that new."""
        c = constraint_or_bookmark
        if c is not None:
            c = _d1_text(c, "session constraint or bookmark")
        return D1DatabaseSession(_d1_call(self._db.with_session, c))

    withSession = with_session

    def __repr__(self):
        return "<D1Database>"


# --- Queues ----------------------------------------------------------------------

_Q_SEND = {"contentType": "content_type", "content_type": "content_type",
           "delaySeconds": "delay_seconds", "delay_seconds": "delay_seconds"}
_Q_BATCH = {"delaySeconds": "delay_seconds", "delay_seconds": "delay_seconds"}
_Q_MESSAGE = {"body": "body", **_Q_SEND}
_CONTENT_TYPE = {
    "text": _queue_types.ContentType.TEXT, "bytes": _queue_types.ContentType.BYTES,
    "json": _queue_types.ContentType.JSON, "v8": _queue_types.ContentType.V8,
}
_CONTENT_TYPE_NAME = {v: k for k, v in _CONTENT_TYPE.items()}


class Queue:
    """A queue producer binding (``env.JOBS``), as Cloudflare's Queue:
    ``await send(body, contentType=..., delaySeconds=...)`` and
    ``await sendBatch([{"body": ..., "contentType": ..., "delaySeconds": ...}],
    delaySeconds=...)``. Options are keyword arguments or a dict, in
    JavaScript's spelling or snake_case (``content_type``,
    ``delay_seconds``, ``send_batch``). The content type is "text" (a str),
    "bytes" (bytes-like), "json" (a JSON value) or "v8" (a structured
    value, the default). A limit (a message over 128 KB, a batch over 100
    messages or 256 KB, a delay over 24 hours) is a BindingError
    (``too-large``, ``invalid-argument``) with the host's text; a body the
    content type cannot take is a TypeError (DataCloneError for v8)."""

    def __init__(self, q):
        self._q = q

    @staticmethod
    def _request(body, o):
        ct = _queue.content_type(o.get("content_type", _queue.DEFAULT_CONTENT_TYPE))
        return _producer.SendRequest(
            body=_queue.encode(body, ct), content_type=_CONTENT_TYPE[ct],
            delay_seconds=_uint(o.get("delay_seconds"), "delaySeconds", _U32))

    async def send(self, body, options=None, content_type=None, delay_seconds=None, **kw):
        """Sends one message; it returns once the message is stored."""
        o = _options(options, dict(kw, content_type=content_type, delay_seconds=delay_seconds), _Q_SEND, "Queue send")
        _call(self._q.send, self._request(body, o))

    async def send_batch(self, messages, options=None, delay_seconds=None, **kw):
        """Sends messages (an iterable of dicts with "body" and optionally
        "contentType" and "delaySeconds") at once, all or none;
        ``delaySeconds`` applies to each message that has none."""
        o = _options(options, dict(kw, delay_seconds=delay_seconds), _Q_BATCH, "Queue sendBatch")
        reqs = []
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or "body" not in m:
                raise TypeError(f"Queue sendBatch: message {i} must be a dict with a \"body\", not {type(m).__name__}")
            reqs.append(self._request(m["body"], _options(m, {}, _Q_MESSAGE, f"Queue sendBatch message {i}")))
        _call(self._q.send_batch, reqs, _uint(o.get("delay_seconds"), "delaySeconds", _U32))

    sendBatch = send_batch

    def __repr__(self):
        return "<Queue>"


# --- env -----------------------------------------------------------------------


class Env:
    """The Worker's bindings: ``env.NAME`` is a [vars] value (str, or the
    parsed JSON, its objects JsObjects) or a secret (str); else a KV
    namespace; else an R2 bucket; else a D1 database; else a Durable Object
    namespace; else a queue producer; else AttributeError. ``list(env)`` names
    the vars and secrets."""

    def __init__(self):
        self._cache = {}

    def _lookup(self, name):
        if name in self._cache:
            return self._cache[name]
        try:
            _text(name, "binding name")
        except (BindingError, TypeError):
            return _MISSING  # no binding can have a name UTF-8 cannot carry
        v = _vars.get(name)
        if v is not None:
            out = _loads(v.value) if isinstance(v, _vars.Value_Json) else v.value
        else:
            try:
                out = KVNamespace(_store.Namespace.open(name))
            except Err:
                try:
                    out = R2Bucket(_bucket.Bucket.open(name))
                except Err:
                    try:
                        out = D1Database(_database.Database.open(name))
                    except Err:
                        try:
                            out = DurableObjectNamespace(_client.Namespace.open(name))
                        except Err:
                            try:
                                out = Queue(_producer.Queue.open(name))
                            except Err:
                                out = _MISSING
        self._cache[name] = out
        return out

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        v = self._lookup(name)
        if v is _MISSING:
            raise AttributeError(f"the Worker has no binding named {name!r}")
        return v

    def __getitem__(self, name):
        v = self._lookup(name)
        if v is _MISSING:
            raise KeyError(name)
        return v

    def __contains__(self, name):
        return self._lookup(name) is not _MISSING

    def get(self, name, default=None):
        v = self._lookup(name)
        return default if v is _MISSING else v

    def __iter__(self):
        return iter(_vars.names())


_MISSING = object()


# --- entry points --------------------------------------------------------------


class Context:
    """``ctx`` (``self.ctx``): ``wait_until(awaitable)`` (or ``waitUntil``)
    runs it after the response is sent; ``pass_through_on_exception`` is
    accepted and does nothing (there is no origin to pass through to)."""

    def __init__(self):
        self._waits = []
        self.props = JsObject()

    def wait_until(self, aw):
        self._waits.append(aw)

    waitUntil = wait_until

    def pass_through_on_exception(self):
        pass

    passThroughOnException = pass_through_on_exception


_Context = Context


class WorkerEntrypoint:
    """The base class of a Worker's ``Default`` entry point, as in
    Cloudflare's ``workers`` module: a new instance per request, with
    ``self.env`` and ``self.ctx``; its ``fetch(self, request)`` answers."""

    def __init__(self, ctx, env):
        self.ctx = ctx
        self.env = env


def handler(func):
    """Cloudflare's ``@handler`` decorator for ``on_fetch``: Bindery's
    handlers already get Python objects, so it returns func unchanged."""
    return func


def _nargs(f):
    """How many positional arguments f takes (3 for *args, 2 when it has
    no code to tell)."""
    f = getattr(f, "__func__", f)
    while hasattr(f, "__wrapped__"):
        f = f.__wrapped__
    code = getattr(f, "__code__", None)
    if code is None:
        return 2
    if code.co_flags & 0x04:  # CO_VARARGS
        return 3
    return code.co_argcount


def _handler(module):
    """The Worker's fetch handler as a function of (request, env, ctx):
    a ``Default`` class's fetch (a new instance per request), else
    ``on_fetch``, else ``fetch``, each with as many of (request, env,
    ctx) as it takes."""
    name = getattr(module, "__name__", module)
    default = getattr(module, "Default", None)
    if isinstance(default, type):
        if not callable(getattr(default, "fetch", None)):
            raise TypeError(f"the Worker module {name!r}: class Default has no fetch(self, request) method")
        return lambda request, env, ctx: default(ctx, env).fetch(request)
    for attr in ("on_fetch", "fetch"):
        f = getattr(module, attr, None)
        if callable(f) and not getattr(f, "_bindery_outbound", False):
            n = max(1, min(_nargs(f), 3))
            return lambda request, env, ctx: f(*(request, env, ctx)[:n])
    if _durable._classes(module) or _event_handler(module, "queue") or _event_handler(module, "scheduled"):
        # A Worker that only defines Durable Object classes (for other
        # Workers' bindings), or only consumes queues or runs cron
        # triggers: requests to it fail.
        def no_fetch(request, env, ctx):
            raise TypeError(f"the Worker module {name!r} defines no fetch handler")
        return no_fetch
    raise TypeError(f"the Worker module {name!r} must define class Default(WorkerEntrypoint) with fetch(self, request), "
                    "or on_fetch(request, env) or fetch(request, env)")


def _event_handler(module, event):
    """The Worker's handler of event ("queue" or "scheduled") as a
    function of (event object, env, ctx), or None when it has none: a
    ``Default`` class's method of that name (a new instance per event),
    else the module's ``on_<event>``, else its ``<event>``, each with as
    many of (event object, env, ctx) as it takes."""
    default = getattr(module, "Default", None)
    if isinstance(default, type) and callable(getattr(default, event, None)):
        return lambda ev, env, ctx: getattr(default(ctx, env), event)(ev)
    for attr in ("on_" + event, event):
        f = getattr(module, attr, None)
        # A module (import queue, import sched) is not callable, nor is a
        # function of the SDK's own (the outbound fetch) a handler.
        if callable(f) and not isinstance(f, type) and not getattr(f, "_bindery_outbound", False):
            n = max(1, min(_nargs(f), 3))
            return lambda ev, env, ctx: f(*(ev, env, ctx)[:n])
    return None


# --- the handler ---------------------------------------------------------------


def _run(coro):
    """Runs a coroutine to its end. Every await of the SDK completes at once
    (the bindings are synchronous host calls), so there is no event loop; a
    coroutine that waits on something else is an error."""
    try:
        coro.send(None)
    except StopIteration as e:
        return e.value
    coro.close()
    raise RuntimeError("the handler awaited something other than a Bindery binding (there is no event loop)")


# _MAX_REASON bounds what a failed request sends to the host's log (bytes).
_MAX_REASON = 16 << 10


def _reason():
    """The exception being handled, as the host logs it: its traceback, cut
    to _MAX_REASON bytes of UTF-8 (surrogates, e.g. in a key the exception
    names, become backslash escapes: the host takes UTF-8 only)."""
    b = _traceback.format_exc().encode("utf-8", "backslashreplace")
    if len(b) > _MAX_REASON:
        # Keep the end too: the exception itself is the traceback's last line.
        b = b[:_MAX_REASON // 2] + b"\n...\n" + b[-_MAX_REASON // 2:]
    return b.decode("utf-8", "ignore")


def serve(module, env=None):
    """Returns the Handler class componentize-py exports for a Worker module
    that defines ``class Default(WorkerEntrypoint)`` with ``fetch(self,
    request)``, or ``on_fetch(request, env[, ctx])``, or ``fetch(request,
    env[, ctx])``, plain or async, returning a Response. env is the
    Worker's Env (one is made when None)."""
    call = _handler(module)
    env = Env() if env is None else env

    class Handler(_exports.BinderyHttpHandler):
        def handle(self, req, body, out):
            headers = Headers((k, v.decode("latin-1")) for k, v in req.headers)
            if req.method in ("GET", "HEAD"):
                _drop(body)
                b = _EmptyBody()
            else:
                b = Body(body)
            request = Request._incoming(req.method, req.url, headers, b)
            ctx = Context()
            moved = False
            try:
                resp = call(request, env, ctx)
                if hasattr(resp, "send") and hasattr(resp, "throw"):
                    resp = _run(resp)
                moved = _send(out, resp)
            except Exception:
                # An exception from fetch, or from the body as it streams
                # (a generator that raises): the host logs the traceback
                # once and answers 500, or cuts a response that had started,
                # so the client never takes a truncated body for a complete
                # one. The instance stays in service. (trap() raises a
                # BaseException, which this lets through.)
                out.fail(_reason())
            finally:
                if not moved:
                    _drop(out)
            _run_waits(ctx)

    return Handler


def _run_waits(ctx):
    """Runs the work ctx.wait_until was given; an exception in it goes to
    stderr (a warning)."""
    for w in ctx._waits:
        if hasattr(w, "send") and hasattr(w, "throw"):
            try:
                _run(w)
            except Exception:
                _traceback.print_exc(file=_sys.stderr)


def serve_queue(module, env=None):
    """Returns the Consumer class componentize-py exports for a Worker
    module (bindery:queue/consumer): the host calls it with a batch of a
    queue the Worker consumes, and it calls the module's queue handler
    (``Default.queue(self, batch)``, ``on_queue(batch, env, ctx)`` or
    ``queue(batch, env, ctx)``, plain or async) with a MessageBatch, and
    answers what the handler decided (acks, retries, ackAll, retryAll) and
    the traceback of an exception it raised. A module without a queue
    handler answers the error "no queue handler"."""
    call = _event_handler(module, "queue")
    env = Env() if env is None else env

    class Consumer(_exports.Consumer):
        def queue(self, queue, messages):
            batch = MessageBatch(queue, [(m.id, m.timestamp, m.body, _CONTENT_TYPE_NAME[m.content_type], m.attempts)
                                         for m in messages])
            error = None
            if call is None:
                error = "no queue handler"
            else:
                ctx = Context()
                try:
                    r = call(batch, env, ctx)
                    if hasattr(r, "send") and hasattr(r, "throw"):
                        _run(r)
                except Exception:
                    # The host retries every message not acked explicitly;
                    # trap() (a BaseException) traps.
                    error = _reason()
                _run_waits(ctx)
            o = batch._outcome
            return _consumer.Outcome(
                acked=list(o.acked), retried=[_consumer.RetryRequest(i, d) for i, d in o.retried.items()],
                ack_all=o.ack_all, retry_all=o.retry_all, retry_all_delay=o.retry_all_delay, error=error)

    return Consumer


def serve_scheduled(module, env=None):
    """Returns the BinderyScheduledHandler class componentize-py exports
    for a Worker module (bindery:scheduled/handler): the host calls it when
    a cron trigger fires, and it calls the module's scheduled handler
    (``Default.scheduled(self, controller)``, ``on_scheduled(controller,
    env, ctx)`` or ``scheduled(controller, env, ctx)``, plain or async)
    with a ScheduledController. An exception is the error (its
    traceback); a module without a scheduled handler answers the error
    "no scheduled handler"."""
    call = _event_handler(module, "scheduled")
    env = Env() if env is None else env

    class BinderyScheduledHandler(_exports.BinderyScheduledHandler):
        def scheduled(self, controller):
            if call is None:
                raise Err("no scheduled handler")
            ctx = Context()
            error = None
            try:
                r = call(ScheduledController(controller.cron, controller.scheduled_time), env, ctx)
                if hasattr(r, "send") and hasattr(r, "throw"):
                    _run(r)
            except Exception:
                error = _reason()
            _run_waits(ctx)
            if error is not None:
                raise Err(error)

    return BinderyScheduledHandler


def serve_objects(module, env=None):
    """Returns the Object class componentize-py exports for a Worker module:
    the events of the Durable Object classes it defines (DurableObject
    subclasses in the module), each made with ``(ctx, env)``. A module
    without classes describes none."""
    return _durable.serve_objects(module, Env() if env is None else env)


# Durable Objects need the classes above; their names are the package's.
from . import _durable  # noqa: E402
from ._durable import (  # noqa: E402
    AlarmInfo, DurableObject, DurableObjectId, DurableObjectNamespace, DurableObjectState,
    DurableObjectStorage, DurableObjectStub, DurableObjectTransaction, SqlStorage, SqlStorageCursor,
    WebSocket, WebSocketPair, WebSocketRequestResponsePair, WorkflowEntrypoint,
)
