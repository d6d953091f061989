"""Durable Objects (docs/durable-objects.md): the client side (namespace
bindings, ids, stubs with fetch and RPC) and the object side (classes,
their state, storage, SQL, alarms and hibernatable web sockets), over the
WIT interfaces bindery:durable/client, /state and /object.

Every name has Cloudflare's spelling (``idFromName``, ``ctx.storage``,
``acceptWebSocket``, ``webSocketMessage``) and a Pythonic one
(``id_from_name``, ``accept_web_socket``, ``web_socket_message``); see
docs/sdk-python.md. Values (storage values, RPC arguments and results,
socket attachments, thrown errors) travel in the structured-value
encoding (``bindery.structured``).

Each event keeps its state in locals and in an entry of ``_events``, a
stack: an event that runs nested inside another's host call (an object
calling another object of the same instance) pushes its own entry and
pops it before the outer event resumes, so the module declares itself
reentrant.
"""

import datetime as _datetime

from componentize_py_types import Err
from wit_world import exports as _exports
from wit_world.exports import object as _object
from wit_world.imports import bindery_durable_types as _types
from wit_world.imports import bindery_http_types as _http
from wit_world.imports import client as _client
from wit_world.imports import state as _state

from . import (
    ArrayBuffer, Body, BindingError, Headers, JsObject, Request, Response, WorkerEntrypoint,
    _EmptyBody, _drop, _nargs, _options, _reason, _run, _send, _text, _U32,
)
from ._js import JsException
from . import structured as _structured

_SQL_BATCH = 256
_S64 = 1 << 63


def _case(v):
    """The WIT case name of a generated variant value: Error_InvalidId -> invalid-id."""
    name = type(v).__name__.split("_", 1)[-1]
    return "".join(("-" + c.lower()) if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _raise(e):
    """Raises the WIT error e: a thrown value as the caller's exception (the
    Error the object threw), anything else as a BindingError."""
    v = e.value
    if isinstance(v, _types.Error_Thrown):
        raise _thrown_exception(v.value) from None
    raise BindingError(_case(v), getattr(v, "value", None)) from None


def _call(f, *args):
    """Calls a Durable Objects import, raising its error (see _raise)."""
    try:
        return f(*args)
    except Err as e:
        _raise(e)


def _thrown_exception(t):
    """The exception for a thrown record: its decoded value when that is an
    exception (a JsException of the Error's class: a TypeError is also a
    Python TypeError), else a JsException of its name and message (with the
    value, when it decodes, as ``value``)."""
    if t.value is not None:
        try:
            v = _structured.loads(t.value)
        except _structured.DataCloneError:
            v = None
        else:
            if isinstance(v, BaseException):
                return v
            e = JsException(t.name, t.message)
            e.value = v
            return e
    return JsException(t.name, t.message)


def _thrown(e):
    """The thrown record of an exception an object's code raised."""
    try:
        value = _structured.dumps(e)
    except Exception:
        value = None
    if isinstance(e, JsException):
        name, message = e.name, e.message
    else:
        name = next((n for c, n in _structured._NAME_OF if isinstance(e, c)), "Error")
        message = str(e)
    return _types.Thrown(name=name, message=message, value=value)


def _complete(v):
    """Runs v to its end when it is a coroutine (every await of the SDK
    completes at once), else returns it."""
    if hasattr(v, "send") and hasattr(v, "throw"):
        return _run(v)
    return v


class _Done:
    """An awaitable whose result is already known (what an eager call
    returns where JavaScript returns a Promise)."""

    __slots__ = ("_v",)

    def __init__(self, v):
        self._v = v

    def __await__(self):
        return self._v
        yield  # a generator, so that await works


# --- client: namespaces, ids, stubs ----------------------------------------------


class DurableObjectId:
    """An object's id: ``str(id)`` (or ``id.toString()``) is its 64 hex
    digits, ``id.name`` the name it was made from (None for a unique id or
    one parsed from a string), ``id.equals(other)`` (or ``==``) compares."""

    __slots__ = ("_hex", "name")

    def __init__(self, hex, name=None):
        self._hex = hex
        self.name = name

    def __str__(self):
        return self._hex

    def to_string(self):
        return self._hex

    toString = to_string

    def equals(self, other):
        return isinstance(other, DurableObjectId) and other._hex == self._hex

    def __eq__(self, other):
        return self.equals(other)

    def __hash__(self):
        return hash(self._hex)

    def __repr__(self):
        return f"<DurableObjectId {self._hex}{'' if self.name is None else ' ' + repr(self.name)}>"


class DurableObjectNamespace:
    """A Durable Object namespace binding (``env.COUNTER``): ids
    (``id_from_name``, ``new_unique_id``, ``id_from_string``) and stubs
    (``get(id)``, ``get_by_name(name)``). Creating a stub does not create
    the object; its first request does. A malformed id, or one of another
    class, is a BindingError ``invalid-id``."""

    def __init__(self, ns):
        self._ns = ns

    def id_from_name(self, name):
        """The id of the object called name: the same name always gives the same id."""
        name = _text(name, "object name")
        return DurableObjectId(_call(self._ns.id_from_name, name), name)

    idFromName = id_from_name

    def new_unique_id(self, options=None, jurisdiction=None):
        """A new random id, never equal to a named one. jurisdiction ("eu",
        "fedramp"; or ``{"jurisdiction": ...}``) is accepted and ignored."""
        o = _options(options, {"jurisdiction": jurisdiction}, {"jurisdiction": "jurisdiction"}, "newUniqueId")
        return DurableObjectId(_call(self._ns.new_unique_id, _text(o.get("jurisdiction"), "jurisdiction")))

    newUniqueId = new_unique_id

    def id_from_string(self, id):
        """The id written as 64 hex digits (str(id))."""
        return DurableObjectId(_call(self._ns.id_from_string, _text(id, "id")))

    idFromString = id_from_string

    def get(self, id, options=None, **kw):
        """A stub for the object id (a named id reaches the object by its
        name, so that it sees ``ctx.id.name``). Options (locationHint) are
        accepted and ignored."""
        if not isinstance(id, DurableObjectId):
            raise TypeError(f"get takes a DurableObjectId (from id_from_name, new_unique_id or id_from_string), not {type(id).__name__}")
        if id.name is not None:
            return self.get_by_name(id.name)
        return DurableObjectStub(_call(self._ns.get, id._hex), id)

    def get_by_name(self, name, options=None, **kw):
        """A stub for the object called name: get(id_from_name(name))."""
        name = _text(name, "object name")
        h = _call(self._ns.get_by_name, name)
        return DurableObjectStub(h, DurableObjectId(h.id(), name))

    getByName = get_by_name

    def __repr__(self):
        return "<DurableObjectNamespace>"


class DurableObjectStub:
    """The way to one object: ``await stub.fetch(request)`` sends it a
    request; any other method is an RPC call, ``await stub.increment(2)``,
    whose arguments and result travel in the structured-value encoding. An
    exception the method raises is raised here: an Error comes back as a
    JsException that is also the Python class of its name (a TypeError is a
    TypeError)."""

    def __init__(self, h, id):
        self._h = h
        self.id = id
        self.name = id.name

    async def fetch(self, input, init=None, **kwargs):
        """Sends the object a request (a Request, or a URL with Request's
        arguments) and returns its Response; its body streams. A 101 that
        accepted a web socket can be returned from the Worker's fetch as it
        is: the client's connection is joined to the object's socket."""
        if not isinstance(input, Request) or init or kwargs:
            input = Request.new(input, init, **kwargs) if not isinstance(input, Request) else Request(input, **dict(init or {}, **kwargs))
        url = input.url
        if "://" not in url:
            url = "http://do.invalid" + (url if url.startswith("/") else "/" + url)
        headers = [(_text(k, "header name"), v.encode()) for k, v in input.headers.items()]
        req = _http.Request(method=input.method, url=url, headers=headers)
        body = input.body
        stream = body._take() if isinstance(body, Body) else None
        if stream is not None:
            wbody = _types.Body_Stream(stream)
        else:
            data = b"" if body is None or isinstance(body, _EmptyBody) else await input.bytes()
            wbody = _types.Body_Bytes(data)
        r = _call(self._h.fetch, req, wbody)
        resp = Response(Body(r.body), r.status, Headers((k, v.decode("latin-1")) for k, v in r.headers))
        if r.upgrade is not None:
            resp._upgrade = r.upgrade
            resp.web_socket = WebSocket(None, None)
        return resp

    def _rpc(self, method, args):
        try:
            data = _structured.dumps(list(args))
        except _structured.DataCloneError as e:
            raise _structured.DataCloneError(f"{method}: the arguments: {e}") from None
        return _structured.loads(_call(self._h.call, _text(method, "method name"), data))

    def __getattr__(self, method):
        if method.startswith("_"):
            raise AttributeError(method)

        async def rpc(*args):
            return self._rpc(method, args)

        rpc.__name__ = method
        return rpc

    def __repr__(self):
        return f"<DurableObjectStub {self.id._hex}>"


# --- the object's state ------------------------------------------------------------


class _Event:
    """One event in progress: what must not leak into another event that
    runs nested inside it."""

    __slots__ = ("state", "out", "accepted")

    def __init__(self, state, out=None):
        self.state = state
        self.out = out
        self.accepted = False


# _events are the events in progress on this instance, innermost last.
_events = []


def _sql_param(v, i):
    if v is None:
        return _types.SqlValue_Null()
    if isinstance(v, bool):
        return _types.SqlValue_Integer(int(v))
    if isinstance(v, int):
        if not -_S64 <= v < _S64:
            raise BindingError("invalid-argument", f"SQL parameter {i}: {v} does not fit in 64 bits")
        return _types.SqlValue_Integer(v)
    if isinstance(v, float):
        return _types.SqlValue_Real(v)
    if isinstance(v, str):
        return _types.SqlValue_Text(_text(v, f"SQL parameter {i}"))
    if isinstance(v, (bytes, bytearray, memoryview)):
        return _types.SqlValue_Blob(bytes(v))
    raise TypeError(f"SQL parameter {i}: a {type(v).__name__} cannot be bound (None, bool, int, float, str or bytes)")


def _sql_value(v):
    if isinstance(v, _types.SqlValue_Null):
        return None
    if isinstance(v, _types.SqlValue_Blob):
        return ArrayBuffer(v.value)
    return v.value


class SqlStorageCursor:
    """The rows of ``sql.exec``: iterate for rows as JsObjects (column name
    to value), or ``to_array()`` / ``one()`` / ``raw()`` (lists of values);
    ``column_names``, ``rows_read``, ``rows_written`` (also in camelCase).
    An integer keeps its 64 bits, a blob is an ArrayBuffer (bytes)."""

    def __init__(self, c):
        self._c = c
        self.column_names = c.column_names()
        self._batch = []
        self._done = False

    @property
    def columnNames(self):
        return self.column_names

    def _next_row(self):
        if not self._batch and not self._done:
            self._batch = self._c.next(_SQL_BATCH)
            self._batch.reverse()
            if not self._batch:
                self._done = True
                _drop(self._c)
        if not self._batch:
            return None
        return [_sql_value(v) for v in self._batch.pop()]

    def raw(self):
        """The remaining rows as lists of values, in column order."""
        while (row := self._next_row()) is not None:
            yield row

    def __iter__(self):
        for row in self.raw():
            yield JsObject(zip(self.column_names, row))

    def __next__(self):
        row = self._next_row()
        if row is None:
            raise StopIteration
        return JsObject(zip(self.column_names, row))

    def next(self):
        """Cloudflare's cursor.next(): ``{"done": bool, "value": row}``."""
        row = self._next_row()
        if row is None:
            return JsObject(done=True)
        return JsObject(done=False, value=JsObject(zip(self.column_names, row)))

    def to_array(self):
        """The remaining rows, as a list of JsObjects."""
        return list(self)

    toArray = to_array

    def one(self):
        """The only row; a BindingError ``sql`` when there is none or more."""
        row = self._next_row()
        if row is None:
            raise BindingError("sql", "Expected exactly one result from SQL query, but got no results.")
        if self._next_row() is not None:
            raise BindingError("sql", "Expected exactly one result from SQL query, but got multiple results.")
        return JsObject(zip(self.column_names, row))

    @property
    def rows_read(self):
        return self._c.rows_read()

    @property
    def rows_written(self):
        return self._c.rows_written()

    rowsRead = rows_read
    rowsWritten = rows_written


class SqlStorage:
    """``ctx.storage.sql`` of a SQLite-backed class: ``exec(query,
    *bindings)`` runs statements separated by semicolons (only the last
    may take bindings) and returns a SqlStorageCursor; ``database_size``.
    A KV-backed class refuses it (BindingError ``refused``)."""

    def exec(self, query, *bindings):
        params = [_sql_param(v, i) for i, v in enumerate(bindings, 1)]
        return SqlStorageCursor(_call(_state.sql_exec, _text(query, "SQL"), params))

    @property
    def database_size(self):
        return _call(_state.database_size)

    databaseSize = database_size


_LIST = {"start": "start", "startAfter": "start_after", "start_after": "start_after", "end": "end",
         "prefix": "prefix", "reverse": "reverse", "limit": "limit"}


def _ms(t):
    """An alarm time (milliseconds since the epoch, or a datetime) in whole milliseconds."""
    if isinstance(t, _datetime.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_datetime.timezone.utc)
        return (t - _structured._EPOCH) // _datetime.timedelta(milliseconds=1)
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise TypeError(f"an alarm time is milliseconds since the epoch or a datetime, not {type(t).__name__}")
    return int(t // 1)


class DurableObjectStorage:
    """An object's storage (``ctx.storage``): values are any value the
    structured-value encoding takes (dicts, lists, str, int, float, bytes,
    datetime, sets...), so objects in other languages read them. Each call
    is one transaction, durable when it returns. ``sql`` is the SQL API of
    a SQLite-backed class."""

    def __init__(self):
        self.sql = SqlStorage()

    async def get(self, keys, options=None, **kw):
        """The value of a key (None when missing), or, for a list of keys (at
        most 128), a dict of those that exist."""
        if isinstance(keys, (list, tuple)):
            ks = [_text(k, "key") for k in keys]
            vs = _call(_state.get, ks)
            return {k: _structured.loads(v) for k, v in zip(ks, vs) if v is not None}
        v = _call(_state.get, [_text(keys, "key")])[0]
        return None if v is None else _structured.loads(v)

    async def put(self, key, value=None, options=None, **kw):
        """Stores value under key, or every entry of a dict (at most 128),
        all or none."""
        if isinstance(key, dict):
            entries = key.items()
        else:
            entries = [(key, value)]
        es = []
        for k, v in entries:
            try:
                data = _structured.dumps(v)
            except _structured.DataCloneError as e:
                raise _structured.DataCloneError(f"the value of {k!r}: {e}") from None
            es.append(_state.Entry(key=_text(k, "key"), value=data))
        _call(_state.put, es)

    async def delete(self, keys, options=None, **kw):
        """Deletes a key and returns whether it existed, or a list of keys
        (at most 128) and returns how many existed."""
        if isinstance(keys, (list, tuple)):
            return _call(_state.delete, [_text(k, "key") for k in keys])
        return _call(_state.delete, [_text(keys, "key")]) > 0

    async def list(self, options=None, **kw):
        """The entries (a dict, in key order) that the options select:
        start, start_after (startAfter), end, prefix, reverse, limit."""
        o = _options(options, kw, _LIST, "storage list")
        limit = o.get("limit")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= _U32):
            raise BindingError("invalid-argument", f"list limit {limit!r} must be a positive int")
        es = _call(_state.list, _state.ListOptions(
            start=_text(o.get("start"), "list start"), start_after=_text(o.get("start_after"), "list startAfter"),
            end=_text(o.get("end"), "list end"), prefix=_text(o.get("prefix"), "list prefix"),
            reverse=bool(o.get("reverse", False)), limit=limit))
        return {e.key: _structured.loads(e.value) for e in es}

    async def delete_all(self, options=None, **kw):
        """Deletes every key (for a SQLite-backed class, every table)."""
        _call(_state.delete_all)

    deleteAll = delete_all

    def _txn(self, closure, sync):
        t = _call(_state.begin_transaction)
        txn = DurableObjectTransaction(self, t)
        try:
            try:
                result = closure() if sync else _complete(closure(txn))
            except BaseException:
                if not txn._done:
                    txn._done = True
                    try:
                        t.rollback()
                    except Err:
                        pass
                raise
            if not txn._done:
                txn._done = True
                _call(t.commit)
            return result
        finally:
            _drop(t)

    async def transaction(self, closure):
        """Runs closure(txn) (async or not) in a transaction: its storage
        calls, through txn or this storage, commit together when it returns
        and roll back when it raises (the exception goes on) or calls
        txn.rollback(). Returns what closure returned. Transactions nest."""
        return self._txn(closure, False)

    def transaction_sync(self, closure):
        """Runs closure() (a plain function, as Cloudflare's
        transactionSync: its SQL, sql.exec, is synchronous) in a
        transaction, without await: committed when it returns, rolled back
        when it raises. Returns what closure returned."""
        return self._txn(closure, True)

    transactionSync = transaction_sync

    async def get_alarm(self, options=None, **kw):
        """The alarm's time in milliseconds since the epoch, or None."""
        return _call(_state.get_alarm)

    getAlarm = get_alarm

    async def set_alarm(self, scheduled_time, options=None, **kw):
        """Sets the one alarm to scheduled_time (milliseconds since the
        epoch, or a datetime), replacing any other; the object's alarm
        method runs then."""
        _call(_state.set_alarm, _ms(scheduled_time))

    setAlarm = set_alarm

    async def delete_alarm(self, options=None, **kw):
        _call(_state.delete_alarm)

    deleteAlarm = delete_alarm

    async def sync(self):
        """Every write is durable when its call returns: nothing to wait for."""

    def __repr__(self):
        return "<DurableObjectStorage>"


class DurableObjectTransaction(DurableObjectStorage):
    """The storage inside a transaction, and ``rollback()``."""

    def __init__(self, storage, t):
        self.sql = storage.sql
        self._t = t
        self._done = False

    def rollback(self):
        """Undoes the transaction's writes; it ends when its closure returns."""
        if self._done:
            raise BindingError("transaction", "the transaction has already ended")
        self._done = True
        _call(self._t.rollback)


class WebSocket:
    """A web socket the object accepted (hibernatable): ``send(str or
    bytes)``, ``close(code, reason)``, ``serialize_attachment(value)`` /
    ``deserialize_attachment()`` (also in camelCase). The same socket is
    the same WebSocket in each event while the object stays in memory."""

    def __init__(self, h, key):
        self._h = h
        self._key = key
        self._listeners = {}

    def _handle(self):
        if self._h is None:
            raise BindingError("invalid-argument", "the web socket was not accepted (ctx.accept_web_socket)")
        return self._h

    def send(self, message):
        """Sends a text (str) or binary (bytes-like) message."""
        if isinstance(message, str):
            m = _types.Message_Text(_text(message, "message"))
        elif isinstance(message, (bytes, bytearray, memoryview)):
            m = _types.Message_Binary(bytes(message))
        else:
            raise TypeError(f"a web socket message is a str or bytes, not {type(message).__name__}")
        _call(self._handle().send, m)

    def close(self, code=None, reason=""):
        """Closes it with code (1000, or 3000 to 4999; None sends none) and reason."""
        _call(self._handle().close, code, _text(reason or "", "close reason"))

    def serialize_attachment(self, value):
        """Keeps value (at most 16 KiB encoded) with the socket across hibernation."""
        _call(self._handle().serialize_attachment, _structured.dumps(value))

    serializeAttachment = serialize_attachment

    def deserialize_attachment(self):
        """What serialize_attachment kept, or None."""
        b = self._handle().deserialize_attachment()
        return None if b is None else _structured.loads(b)

    deserializeAttachment = deserialize_attachment

    def accept(self):
        """Accepts the server end of a WebSocketPair without hibernation
        (in the object's fetch handler): the object stays in memory while
        the socket is open. Its events go to the listeners added with
        add_event_listener, else to the class's web_socket_message,
        web_socket_close and web_socket_error."""
        _accept(None, self, _state.accept_web_socket_in_memory)

    def add_event_listener(self, type, listener):
        """Calls listener(event) (plain or async) for each "message"
        (``event.data``: str or bytes), "close" (``code``, ``reason``,
        ``wasClean``) or "error" (``error``, ``message``) of the socket,
        while the object stays in memory (a socket accepted with accept()
        keeps it there)."""
        if type not in ("message", "close", "error"):
            raise TypeError(f"unknown web socket event {type!r} (message, close or error)")
        self._listeners.setdefault(type, []).append(listener)

    addEventListener = add_event_listener

    def _dispatch(self, type, event):
        """Calls the listeners of type with event; False when there are none."""
        listeners = self._listeners.get(type)
        for f in listeners or ():
            _complete(f(event))
        return bool(listeners)

    def __repr__(self):
        return f"<WebSocket {self._key}>"


class WebSocketPair:
    """Cloudflare's WebSocketPair (``from js import WebSocketPair``):
    ``client, server = WebSocketPair.new()``; the object accepts
    ``server`` with ``ctx.acceptWebSocket(server)`` and answers
    ``Response(None, status=101, web_socket=client)``."""

    def __init__(self):
        self.client = WebSocket(None, None)
        self.server = WebSocket(None, None)

    @classmethod
    def new(cls):
        return cls()

    def __iter__(self):
        return iter((self.client, self.server))

    def __getitem__(self, i):
        return (self.client, self.server)[i]

    def object_values(self):
        return [self.client, self.server]


class DurableObjectState:
    """An object's context (``self.ctx``): ``id`` (a DurableObjectId),
    ``storage``, web sockets, ``block_concurrency_while`` and ``abort``.
    Its calls act on the object whose event is running."""

    def __init__(self, id):
        self.id = id
        self.storage = DurableObjectStorage()
        self._sockets = {}

    def _socket(self, h):
        """The object's WebSocket for handle h (one per socket)."""
        key = h.key()
        ws = self._sockets.get(key)
        if ws is None:
            ws = self._sockets[key] = WebSocket(h, key)
        elif ws._h is not h:
            if ws._h is not None:
                _drop(ws._h)
            ws._h = h
        return ws

    def accept_web_socket(self, ws=None, tags=None):
        """Accepts the web socket the running fetch event's request asks for:
        the client gets 101 Switching Protocols now, and the socket's
        messages come as web_socket_message events, across hibernation.
        ``ws`` is the server end of a WebSocketPair (Cloudflare's shape), or
        None; tags (at most 10) select it in get_web_sockets. Returns the
        WebSocket; the fetch handler then returns a 101 Response (or None)."""
        tags = [_text(t, "tag") for t in (tags or [])]
        return _accept(self, ws, lambda out: _state.accept_web_socket(out, tags))

    acceptWebSocket = accept_web_socket

    def get_web_sockets(self, tag=None):
        """The object's open web sockets (those tagged tag), in the order they were accepted."""
        return [self._socket(h) for h in _state.get_web_sockets(_text(tag, "tag"))]

    getWebSockets = get_web_sockets

    def get_tags(self, ws):
        """The tags ws was accepted with."""
        return ws._handle().tags()

    getTags = get_tags

    def set_web_socket_auto_response(self, pair=None):
        """Makes the host answer pair's request with its response on every
        socket without waking the object; None clears it. pair is a
        WebSocketRequestResponsePair or a (request, response) tuple."""
        if pair is not None:
            req, resp = (pair.request, pair.response) if hasattr(pair, "request") else pair
            pair = _state.AutoResponse(request=_text(req, "auto-response request"), response=_text(resp, "auto-response response"))
        _call(_state.set_web_socket_auto_response, pair)

    setWebSocketAutoResponse = set_web_socket_auto_response

    def get_web_socket_auto_response(self):
        p = _state.get_web_socket_auto_response()
        return None if p is None else WebSocketRequestResponsePair(p.request, p.response)

    getWebSocketAutoResponse = get_web_socket_auto_response

    def get_web_socket_auto_response_timestamp(self, ws):
        """When the host last sent the auto-response on ws (a datetime), or None."""
        ms = ws._handle().auto_response_timestamp()
        return None if ms is None else _structured._date(ms)

    getWebSocketAutoResponseTimestamp = get_web_socket_auto_response_timestamp

    def set_hibernatable_web_socket_event_timeout(self, timeout_ms=None):
        _call(_state.set_hibernatable_web_socket_event_timeout, timeout_ms)

    setHibernatableWebSocketEventTimeout = set_hibernatable_web_socket_event_timeout

    def get_hibernatable_web_socket_event_timeout(self):
        return _state.get_hibernatable_web_socket_event_timeout()

    getHibernatableWebSocketEventTimeout = get_hibernatable_web_socket_event_timeout

    def block_concurrency_while(self, callback):
        """Runs callback (async or not) while none of the object's other
        events is delivered, and returns an awaitable of its result. An
        exception resets the object (abort), as Cloudflare does, and is
        raised."""
        b = _call(_state.block_concurrency)
        try:
            result = _complete(callback())
        except Exception as e:
            _state.abort(f"blockConcurrencyWhile: {type(e).__name__}: {e}")
            raise
        finally:
            _drop(b)
        return _Done(result)

    blockConcurrencyWhile = block_concurrency_while

    def abort(self, reason=""):
        """Resets the object: the event fails (its caller gets an
        ``object-failed`` BindingError), open transactions roll back, and
        the next event constructs it afresh. The handler should return
        after it (its storage calls are refused)."""
        _state.abort(_text(str(reason), "reason"))

    def wait_until(self, aw):
        """Runs aw to its end now (an object's event has no after)."""
        _complete(aw)

    waitUntil = wait_until


def _accept(state, ws, accept):
    """Accepts the running fetch event's web socket with accept(out), as
    state's (None: the running event's object), into ws (None: a new
    WebSocket)."""
    ev = _events[-1] if _events else None
    if ev is None or ev.out is None or (state is not None and ev.state is not state):
        raise BindingError("invalid-argument", "a web socket is accepted in the object's fetch handler")
    if ev.accepted:
        raise BindingError("invalid-argument", "the request's web socket was already accepted")
    h = _call(accept, ev.out)
    ev.accepted = True
    key = h.key()
    if ws is None:
        ws = WebSocket(h, key)
    else:
        ws._h, ws._key = h, key
    ev.state._sockets[key] = ws
    return ws


class WebSocketRequestResponsePair:
    """An auto-response: the host answers ``request`` with ``response``."""

    def __init__(self, request, response):
        self.request = request
        self.response = response


class AlarmInfo:
    """What the alarm handler is told: ``retry_count`` (``retryCount``),
    ``is_retry`` (``isRetry``)."""

    __slots__ = ("retry_count", "is_retry")

    def __init__(self, retry_count, is_retry):
        self.retry_count = retry_count
        self.is_retry = is_retry

    retryCount = property(lambda self: self.retry_count)
    isRetry = property(lambda self: self.is_retry)

    def __getitem__(self, name):
        return getattr(self, name)


# --- the object's class and its events --------------------------------------------------


class DurableObject:
    """The base class of a Durable Object class, as Cloudflare's
    (``from workers import DurableObject``): made with ``(ctx, env)`` on the
    object's first event after a start or an eviction. Its methods handle
    the events: ``fetch(self, request)``; ``alarm(self, alarm_info)``;
    ``web_socket_message(self, ws, message)`` (or ``webSocketMessage``),
    ``web_socket_close(self, ws, code, reason, was_clean)``,
    ``web_socket_error(self, ws, error)``; any other public method is an
    RPC method (``await env.NS.get(id).method(args)``)."""

    def __init__(self, ctx, env):
        self.ctx = ctx
        self.env = env


# _HANDLERS are the event methods, not callable by RPC.
_HANDLERS = frozenset(("fetch", "alarm", "webSocketMessage", "webSocketClose", "webSocketError",
                       "web_socket_message", "web_socket_close", "web_socket_error"))


def _classes(module):
    """The Durable Object classes module defines, by name."""
    out = {}
    for name, v in vars(module).items():
        if isinstance(v, type) and issubclass(v, DurableObject) and v is not DurableObject \
                and not issubclass(v, WorkerEntrypoint) and not getattr(v, "_bindery_not_an_object", False):
            out[name] = v
    return out


def _method(obj, *names):
    for n in names:
        m = getattr(obj, n, None)
        if callable(m):
            return m
    return None


def serve_objects(module, env):
    """The Object class componentize-py exports for module: its Durable
    Object classes' events."""
    classes = _classes(module)
    live = {}

    def instance(info):
        key = (info.class_name, info.id)
        obj = live.get(key)
        if obj is not None:
            return obj
        cls = classes.get(info.class_name)
        if cls is None:
            raise TypeError(f"the Worker defines no Durable Object class {info.class_name!r} (a DurableObject subclass in its main module)")
        ctx = DurableObjectState(DurableObjectId(info.id, info.name))
        obj = cls.__new__(cls)
        obj.ctx, obj.env = ctx, env
        live[key] = obj  # before __init__: its calls may nest events
        try:
            obj.__init__(ctx, env)
        except BaseException:
            live.pop(key, None)
            raise
        return obj

    def event(info, out=None):
        obj = instance(info)
        ev = _Event(obj.ctx, out)
        _events.append(ev)
        return obj, ev

    def done(ev):
        _events.remove(ev)

    def guarded(fn):
        """fn's errors as the thrown record the host takes."""
        try:
            return fn()
        except Exception as e:
            raise Err(_thrown(e)) from None

    def socket_event(info, h, run, closed=False):
        """Runs run(obj, ws) for an event of socket h; after a close or an
        error (closed) the object forgets the socket and drops its handle."""
        def fn():
            try:
                obj, ev = event(info)
            except BaseException:
                _drop(h)
                raise
            ws = obj.ctx._socket(h)
            try:
                run(obj, ws)
            finally:
                done(ev)
                if closed:
                    obj.ctx._sockets.pop(ws._key, None)
                    ws._h = None
                    _drop(h)
        guarded(fn)

    class Object(_exports.Object):
        def describe(self):
            return _object.ModuleInfo(classes=sorted(classes), reentrant=True)

        def fetch(self, info, req, body, out):
            ev = None
            try:
                obj, ev = event(info, out)
                headers = Headers((k, v.decode("latin-1")) for k, v in req.headers)
                if req.method in ("GET", "HEAD"):
                    _drop(body)
                    b = _EmptyBody()
                else:
                    b = Body(body)
                request = Request._incoming(req.method, req.url, headers, b)
                f = getattr(obj, "fetch", None)
                if not callable(f):
                    raise TypeError(f"the Durable Object class {info.class_name} has no fetch(self, request) method")
                resp = _complete(f(request))
                if not ev.accepted:
                    _send(out, resp)
            except Exception:
                out.fail(_reason())
            finally:
                if ev is not None:
                    done(ev)
                _drop(out)

        def call(self, info, method, args):
            def fn():
                obj, ev = event(info)
                try:
                    m = None if method.startswith("_") or method in _HANDLERS else getattr(type(obj), method, None)
                    if not callable(m):
                        raise TypeError(f'The RPC receiver does not implement the method "{method}".')
                    a = _structured.loads(args)
                    if not isinstance(a, list):
                        raise TypeError(f"{method}: the arguments are not an encoded array")
                    r = _complete(getattr(obj, method)(*a))
                    return _structured.dumps(_structured.Undefined if r is None else r)
                finally:
                    done(ev)
            return guarded(fn)

        def alarm(self, info, ai):
            def fn():
                obj, ev = event(info)
                try:
                    f = getattr(obj, "alarm", None)
                    if not callable(f):
                        raise TypeError(f"the Durable Object class {info.class_name} has no alarm method")
                    a = AlarmInfo(ai.retry_count, ai.is_retry)
                    _complete(f(a) if _nargs(f) != 1 else f())
                finally:
                    done(ev)
            guarded(fn)

        def web_socket_message(self, info, h, message):
            def run(obj, ws):
                m = message.value if isinstance(message, _types.Message_Text) else ArrayBuffer(message.value)
                if ws._dispatch("message", JsObject(type="message", data=m)):
                    return
                f = _method(obj, "webSocketMessage", "web_socket_message")
                if f is None:
                    raise TypeError(f"the Durable Object class {info.class_name} has no webSocketMessage method")
                _complete(f(ws, m))
            socket_event(info, h, run)

        def web_socket_close(self, info, h, code, reason, was_clean):
            def run(obj, ws):
                if ws._dispatch("close", JsObject(type="close", code=code, reason=reason, wasClean=was_clean)):
                    return
                f = _method(obj, "webSocketClose", "web_socket_close")
                if f is not None:
                    _complete(f(ws, code, reason, was_clean))
            socket_event(info, h, run, closed=True)

        def web_socket_error(self, info, h, reason):
            def run(obj, ws):
                error = JsException("Error", reason)
                if ws._dispatch("error", JsObject(type="error", error=error, message=reason)):
                    return
                f = _method(obj, "webSocketError", "web_socket_error")
                if f is not None:
                    _complete(f(ws, error))
            socket_event(info, h, run, closed=True)

        def evict(self, info):
            live.pop((info.class_name, info.id), None)

    return Object


class WorkflowEntrypoint(DurableObject):
    """Cloudflare's Workflow base class. Bindery has no Workflows yet: a
    module may define one (so it imports), but nothing calls it."""

    _bindery_not_an_object = True
