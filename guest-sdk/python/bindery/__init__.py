"""Bindery Python Worker runtime.

Implements the ``bindery:http/handler`` export on top of the Bindery
imports (the bindings componentize-py generates from ``wit/``) and calls a
Cloudflare-style Worker module::

    # worker.py
    from bindery import Response

    async def fetch(request, env):
        count = int(await env.STORE.get("count") or 0) + 1
        await env.STORE.put("count", str(count))
        return Response(f"{env.GREETING} #{count}\\n")

``build.sh`` generates the component's entry module, which is just::

    import worker
    from bindery import serve
    Handler = serve(worker)

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
from wit_world.imports import bucket as _bucket
from wit_world.imports import store as _store
from wit_world.imports import streams as _streams
from wit_world.imports import vars as _vars

__all__ = [
    "BindingError", "Body", "Env", "Headers", "KVNamespace", "R2Bucket", "R2Object",
    "R2ObjectBody", "Request", "Response", "Trap", "serve", "trap",
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
        """The whole body, parsed as JSON."""
        return _json.loads(await self.bytes())


class Headers:
    """Header fields: case-insensitive names, in order, a name may repeat."""

    def __init__(self, init=None):
        self._items = []
        if init is None:
            return
        if isinstance(init, Headers):
            init = init.items()
        elif isinstance(init, dict):
            init = init.items()
        for k, v in init:
            self.append(k, v)

    def get(self, name, default=None):
        """The values of ``name`` joined by ", ", or default."""
        name = name.lower()
        vs = [v for k, v in self._items if k == name]
        return ", ".join(vs) if vs else default

    def get_all(self, name):
        name = name.lower()
        return [v for k, v in self._items if k == name]

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

    def keys(self):
        return [k for k, _ in self._items]

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


class Request:
    """An incoming request: ``method``, absolute ``url``, ``headers`` and a
    streamed ``body`` (a Body; empty for GET and HEAD)."""

    def __init__(self, method, url, headers, body):
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body

    async def bytes(self):
        return await self.body.bytes()

    async def text(self):
        return await self.body.text()

    async def json(self):
        return await self.body.json()

    def __repr__(self):
        return f"<Request {self.method} {self.url}>"


class Response:
    """A response. ``body`` is None, ``str`` (sent as UTF-8, text/plain by
    default), bytes-like, a Body (moved inside the host when unread), or an
    iterable of bytes or str chunks (streamed)."""

    def __init__(self, body=None, status=200, headers=None):
        self.body = body
        self.status = int(status)
        self.headers = Headers(headers)
        if isinstance(body, str) and "content-type" not in self.headers:
            self.headers.set("content-type", "text/plain; charset=utf-8")

    @classmethod
    def json(cls, data, status=200, headers=None):
        """A JSON response (compact, as JSON.stringify writes it)."""
        r = cls(_json.dumps(data, separators=(",", ":")), status, headers)
        r.headers.set("content-type", "application/json")
        return r


def _chunk(c):
    if isinstance(c, str):
        return c.encode()
    return bytes(c)


def _send(out, resp):
    if not isinstance(resp, Response):
        raise TypeError(f"fetch must return a Response, got {type(resp).__name__}")
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


# --- KV ------------------------------------------------------------------------


def _decode(v, type):
    if type == "text":
        return v.decode()
    if type == "json":
        return _json.loads(v)
    if type in ("bytes", "arrayBuffer"):
        return v
    raise ValueError(f"unknown type {type!r} (text, json or bytes)")


async def _to_bytes(value):
    if value is None:
        return b""
    if isinstance(value, Body):
        return await value.bytes()
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        return _chunk(value)
    return b"".join(_chunk(c) for c in value)


class KVNamespace:
    """A KV namespace binding (``env.STORE``). A binding's error is raised as
    a BindingError."""

    def __init__(self, ns):
        self._ns = ns

    async def get(self, key, type="text"):
        """The value of ``key`` (``type``: "text", "json" or "bytes"), or None."""
        v = _call(self._ns.get, _key(key))
        return None if v is None else _decode(v, type)

    async def get_with_metadata(self, key, type="text"):
        """``(value, metadata)``, or ``(None, None)`` for a missing key."""
        v = _call(self._ns.get_with_metadata, _key(key))
        if v is None:
            return None, None
        return _decode(v.value, type), None if v.metadata is None else _json.loads(v.metadata)

    async def put(self, key, value, expiration=None, expiration_ttl=None, metadata=None):
        """Stores ``value`` (str, bytes-like, a Body or an iterable of chunks)."""
        _key(key)
        opts = _store.PutOptions(
            expiration=_uint(expiration, "expiration", _U64),
            expiration_ttl=_uint(expiration_ttl, "expiration_ttl", _U64),
            # json.dumps escapes every non-ASCII character: the text is UTF-8.
            metadata=None if metadata is None else _json.dumps(metadata, separators=(",", ":")),
        )
        data = await _to_bytes(value)
        _call(self._ns.put, key, data, opts)

    async def delete(self, key):
        _call(self._ns.delete, _key(key))

    async def list(self, prefix=None, limit=None, cursor=None):
        """One page of keys: ``{"keys": [{"name", "expiration"?, "metadata"?}],
        "list_complete": bool, "cursor"?: str}``."""
        r = _call(self._ns.list_keys, _store.ListOptions(
            prefix=_text(prefix, "list prefix"), limit=_uint(limit, "list limit", _U32), cursor=_text(cursor, "list cursor")))
        keys = []
        for k in r.keys:
            o = {"name": k.name}
            if k.expiration is not None:
                o["expiration"] = k.expiration
            if k.metadata is not None:
                o["metadata"] = _json.loads(k.metadata)
            keys.append(o)
        out = {"keys": keys, "list_complete": r.list_complete}
        if r.cursor is not None:
            out["cursor"] = r.cursor
        return out


# --- R2 ------------------------------------------------------------------------

_HTTP_FIELDS = ("content_type", "content_language", "content_disposition", "content_encoding", "cache_control")
_SUMS = ("md5", "sha1", "sha256", "sha384", "sha512")


class R2Object:
    """An R2 object's metadata: key, version, size, etag, http_etag,
    uploaded (a UTC datetime), http_metadata, custom_metadata, checksums
    (hex), storage_class, range."""

    def __init__(self, o):
        self.key = o.key
        self.version = o.version
        self.size = o.size
        self.etag = o.etag
        self.http_etag = f'"{o.etag}"'
        self.uploaded = _datetime.datetime.fromtimestamp(o.uploaded / 1000, _datetime.timezone.utc)
        m = o.http_metadata
        self.http_metadata = {k: getattr(m, k) for k in _HTTP_FIELDS if getattr(m, k) is not None}
        if m.cache_expiry is not None:
            self.http_metadata["cache_expiry"] = _datetime.datetime.fromtimestamp(m.cache_expiry / 1000, _datetime.timezone.utc)
        self.custom_metadata = dict(o.custom_metadata)
        self.checksums = {k: getattr(o.checksums, k).hex() for k in _SUMS if getattr(o.checksums, k) is not None}
        self.storage_class = o.storage_class
        self.range = None if o.range is None else {k: getattr(o.range, k) for k in ("offset", "length", "suffix") if getattr(o.range, k) is not None}

    def write_http_metadata(self, headers):
        """Sets the object's HTTP metadata as header fields on ``headers``."""
        for k in _HTTP_FIELDS:
            if k in self.http_metadata:
                headers.set(k.replace("_", "-"), self.http_metadata[k])

    def __repr__(self):
        return f"<R2Object {self.key!r} {self.size} bytes>"


class R2ObjectBody(R2Object):
    """An R2 object and its ``body`` (a Body)."""

    def __init__(self, o, body):
        super().__init__(o)
        self.body = Body(body) if body is not None else _EmptyBody()

    async def bytes(self):
        return await self.body.bytes()

    async def text(self):
        return await self.body.text()

    async def json(self):
        return await self.body.json()


class _EmptyBody(Body):
    """An empty body (a GET's, or an empty object's)."""

    def __init__(self):
        super().__init__(None)
        self.used = False

    def _take(self):
        return None

    def __iter__(self):
        self.used = True
        return iter(())


def _http_metadata(h):
    if h is None:
        return None
    if isinstance(h, Headers):
        h = {k: h.get(k.replace("_", "-")) for k in _HTTP_FIELDS}
    expiry = h.get("cache_expiry")
    if isinstance(expiry, _datetime.datetime):
        expiry = int(expiry.timestamp() * 1000)
    return _bucket.HttpMetadata(*(_text(h.get(k), k) for k in _HTTP_FIELDS), cache_expiry=_uint(expiry, "cache_expiry", _U64))


def _checksums(md5=None):
    if isinstance(md5, str):
        md5 = bytes.fromhex(md5)
    return _bucket.Checksums(md5=md5, sha1=None, sha256=None, sha384=None, sha512=None)


class R2Bucket:
    """An R2 bucket binding (``env.FILES``). A binding's error is raised as a
    BindingError."""

    def __init__(self, b):
        self._b = b

    async def head(self, key):
        """The object's metadata (an R2Object), or None."""
        o = _call(self._b.head, _key(key))
        return None if o is None else R2Object(o)

    async def get(self, key, range=None):
        """The object and its body (an R2ObjectBody), or None. ``range`` is a
        dict with ``offset`` and ``length``, or ``suffix``."""
        r = None
        if range is not None:
            r = _bucket.Range(**{k: _uint(range.get(k), f"range {k}", _U64, "invalid-range") for k in ("offset", "length", "suffix")})
        ob = _call(self._b.get, _key(key), _bucket.GetOptions(only_if=None, range=r))
        return None if ob is None else R2ObjectBody(ob.object, ob.body)

    async def put(self, key, value, http_metadata=None, custom_metadata=None, md5=None, storage_class=None):
        """Stores ``value``: str or bytes-like (sent in one call), an unread
        Body (moved inside the host), or an iterable of chunks (streamed).
        Returns the new object's R2Object."""
        _key(key)
        opts = _bucket.PutOptions(
            http_metadata=_http_metadata(http_metadata),
            custom_metadata=[(_text(k, "custom_metadata key"), _text(v, f"custom_metadata[{k!r}]"))
                             for k, v in (custom_metadata or {}).items()],
            checksums=_checksums(md5),
            only_if=None,
            storage_class=_text(storage_class, "storage_class"),
        )
        if isinstance(value, Body):
            src = value._take()
            if src is not None:
                o = _call(self._b.put, key, _bucket.Body_Stream(src), opts)
                return None if o is None else R2Object(o)
        if value is None or isinstance(value, (str, bytes, bytearray, memoryview, Body)):
            o = _call(self._b.put, key, _bucket.Body_Bytes(await _to_bytes(value)), opts)
            return None if o is None else R2Object(o)
        w = _call(self._b.put_writer, key, opts)
        try:
            for c in value:
                _call(w.write, _chunk(c))
            o = _call(w.finish)
        finally:
            _drop(w)
        return None if o is None else R2Object(o)

    async def delete(self, keys):
        """Deletes a key or a list of keys; a missing key is not an error."""
        _call(self._b.delete, [_key(k) for k in ([keys] if isinstance(keys, str) else keys)])

    async def list(self, prefix=None, limit=None, cursor=None, delimiter=None, start_after=None, include=()):
        """One page: ``{"objects": [R2Object], "truncated": bool, "cursor"?: str,
        "delimited_prefixes": [str]}``. ``include`` may name "http_metadata"
        and "custom_metadata"."""
        r = _call(self._b.list_objects, _bucket.ListOptions(
            limit=_uint(limit, "list limit", _U32), prefix=_text(prefix, "list prefix"), cursor=_text(cursor, "list cursor"),
            delimiter=_text(delimiter, "list delimiter"), start_after=_text(start_after, "list start_after"),
            include_http_metadata="http_metadata" in include,
            include_custom_metadata="custom_metadata" in include,
        ))
        out = {"objects": [R2Object(o) for o in r.objects], "truncated": r.truncated,
               "delimited_prefixes": list(r.delimited_prefixes)}
        if r.cursor is not None:
            out["cursor"] = r.cursor
        return out


# --- env -----------------------------------------------------------------------


class Env:
    """The Worker's bindings: ``env.NAME`` is a [vars] value (str, or the
    parsed JSON) or a secret (str); else a KV namespace; else an R2 bucket;
    else AttributeError. ``list(env)`` names the vars and secrets."""

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
            out = _json.loads(v.value) if isinstance(v, _vars.Value_Json) else v.value
        else:
            try:
                out = KVNamespace(_store.Namespace.open(name))
            except Err:
                try:
                    out = R2Bucket(_bucket.Bucket.open(name))
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
    raise RuntimeError("fetch awaited something other than a Bindery binding (there is no event loop)")


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


class _Context:
    """``ctx``: wait_until(awaitable) runs it after the response is sent."""

    def __init__(self):
        self._waits = []

    def wait_until(self, aw):
        self._waits.append(aw)

    def pass_through_on_exception(self):
        pass


def serve(module):
    """Returns the Handler class componentize-py exports for a Worker module
    that defines ``fetch(request, env[, ctx])`` (or ``on_fetch``), plain or
    async, returning a Response."""
    fetch = getattr(module, "fetch", None) or getattr(module, "on_fetch", None)
    if not callable(fetch):
        raise TypeError(f"the Worker module {getattr(module, '__name__', module)!r} must define fetch(request, env)")
    nargs = fetch.__code__.co_argcount if hasattr(fetch, "__code__") else 2
    env = Env()

    class Handler(_exports.Handler):
        def handle(self, req, body, out):
            headers = Headers((k, v.decode("latin-1")) for k, v in req.headers)
            if req.method in ("GET", "HEAD"):
                _drop(body)
                b = _EmptyBody()
            else:
                b = Body(body)
            request = Request(req.method, req.url, headers, b)
            ctx = _Context()
            try:
                args = (request, env, ctx)[:max(1, min(nargs, 3))]
                resp = fetch(*args)
                if hasattr(resp, "send") and hasattr(resp, "throw"):
                    resp = _run(resp)
                _send(out, resp)
            except Exception:
                # An exception from fetch, or from the body as it streams
                # (a generator that raises): the host logs the traceback
                # once and answers 500, or cuts a response that had started,
                # so the client never takes a truncated body for a complete
                # one. The instance stays in service. (trap() raises a
                # BaseException, which this lets through.)
                out.fail(_reason())
            finally:
                _drop(out)
            for w in ctx._waits:
                if hasattr(w, "send") and hasattr(w, "throw"):
                    try:
                        _run(w)
                    except Exception:
                        _traceback.print_exc(file=_sys.stderr)

    return Handler
