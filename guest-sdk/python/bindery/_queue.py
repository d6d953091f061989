"""Cloudflare Queues and cron triggers (docs/sdk-python.md, "Queues and
cron triggers"): what a queue handler and a scheduled handler are given,
and how a message's body is written and read for each content type.

The classes here are plain Python: the WIT glue (the producer binding,
and the bindery:queue/consumer and bindery:scheduled/handler exports) is
in the package's ``__init__``, so that tests/test_queue.py can run this
module under the machine's python3.

A queue handler's decisions follow workerd (src/workerd/api/queue.c++):
on a message, ``ack()`` after ``retry()`` and ``retry()`` after ``ack()``
are ignored with a warning (a second ``retry()`` keeps the message
retried, with the new delay when it gives one); after ``ackAll()``,
``retry()`` is ignored with a warning and ``ack()`` silently; after
``retryAll()``, ``ack()`` is ignored with a warning; ``ackAll()`` after
``retryAll()`` and ``retryAll()`` after ``ackAll()`` have no effect (a
warning). Warnings go to stderr: the Worker's log at warn.
"""

import datetime as _datetime
import json as _json
import sys as _sys

from . import structured as _structured
from ._js import ArrayBuffer, JsArray, JsObject, JsProxy

__all__ = ["Message", "MessageBatch", "QueueDate", "ScheduledController"]

# CONTENT_TYPES are Cloudflare's content types, as the WIT's enum has them.
CONTENT_TYPES = ("text", "bytes", "json", "v8")

# DEFAULT_CONTENT_TYPE is what send uses when it is given none: "v8", as
# in JavaScript (a Cloudflare Python Worker's send is JavaScript's).
DEFAULT_CONTENT_TYPE = "v8"

_U32 = (1 << 32) - 1
_EPOCH = _datetime.datetime(1970, 1, 1, tzinfo=_datetime.timezone.utc)
_MS = _datetime.timedelta(milliseconds=1)


def content_type(ct):
    """The content type named ct ("text", "bytes", "json" or "v8", in any
    case, as workerd takes it); else a TypeError."""
    if not isinstance(ct, str):
        raise TypeError(f"a queue message's content type must be a str, not {type(ct).__name__}")
    low = ct.lower()
    if low not in CONTENT_TYPES:
        raise TypeError(f"Unsupported queue message content type: {ct} (text, bytes, json or v8)")
    return low


def encode(body, ct=DEFAULT_CONTENT_TYPE):
    """The bytes of a message body sent with content type ct (see
    content_type): "text" a str, as UTF-8; "bytes" anything bytes-like;
    "json" any JSON value (dicts, lists, str, numbers, bools, None), as
    JSON text; "v8" any structured value (bindery.structured). A body the
    content type cannot take is a TypeError (DataCloneError for v8, a
    ValueError for a NaN in JSON, UnicodeEncodeError for a text with a
    lone surrogate)."""
    ct = content_type(ct)
    if ct == "text":
        if not isinstance(body, str):
            raise TypeError(f'content type "text" requires a str, not {type(body).__name__}')
        return body.encode("utf-8")
    if ct == "bytes":
        if isinstance(body, str):
            raise TypeError('content type "bytes" requires a bytes-like value, not str')
        try:
            return memoryview(body).tobytes()
        except TypeError:
            raise TypeError(f'content type "bytes" requires a bytes-like value, not {type(body).__name__}') from None
    if ct == "json":
        try:
            text = _json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except TypeError as e:
            raise TypeError(f'content type "json": {e}') from None
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate: escaped, as JSON.stringify does.
            return _json.dumps(body, separators=(",", ":"), allow_nan=False).encode("ascii")
    return _structured.dumps(body)


def _js_value(v):
    """A JSON or structured value as a Cloudflare Python Worker sees one
    (a JsProxy): plain objects as JsObjects, arrays as JsArrays,
    ArrayBuffers as ArrayBuffers (all of them still dicts, lists and
    bytes)."""
    t = type(v)
    if t is dict:
        return JsObject((k, _js_value(x)) for k, x in v.items())
    if t is list:
        return JsArray(_js_value(x) for x in v)
    if t is bytes:
        return ArrayBuffer(v)
    return v


def decode(data, ct):
    """A received body: "text" a str (bytes that are not UTF-8 read as
    U+FFFD); "bytes" an ArrayBuffer (bytes, with ``to_bytes()``); "json"
    the parsed value and "v8" the structured value, their plain objects
    as JsObjects, arrays as JsArrays and ArrayBuffers as ArrayBuffers."""
    if ct == "text":
        return bytes(data).decode("utf-8", "replace")
    if ct == "bytes":
        return ArrayBuffer(data)
    if ct == "json":
        return _js_value(_json.loads(bytes(data)))
    if ct == "v8":
        return _js_value(_structured.loads(bytes(data)))
    raise ValueError(f"unknown content type {ct!r}")


def _warn(msg):
    print(msg, file=_sys.stderr)


def _delay(options, kw, what):
    """The delaySeconds of a retry's options (a dict, or the keyword
    delaySeconds / delay_seconds), or None."""
    opts = {}
    if options is not None:
        if isinstance(options, int) and not isinstance(options, bool):
            opts["delay_seconds"] = options
        elif isinstance(options, dict):
            opts.update(options)
        else:
            raise TypeError(f"{what} options must be a dict, not {type(options).__name__}")
    opts.update((k, v) for k, v in kw.items() if v is not None)
    d = None
    for k, v in opts.items():
        if k not in ("delaySeconds", "delay_seconds"):
            raise TypeError(f"{what}: unknown option {k!r} (known: delaySeconds)")
        if v is not None:
            d = v
    if d is None:
        return None
    if isinstance(d, bool) or not isinstance(d, int):
        raise TypeError(f"{what}: delaySeconds must be an int, not {type(d).__name__}")
    if d < 0 or d > _U32:
        raise ValueError(f"{what}: delaySeconds {d} is out of range (0 to {_U32})")
    return d


class Outcome:
    """What a queue handler decided, recorded by its batch and messages
    with workerd's rules (see the module's docstring): ``acked``
    (message indexes, in the order of their first ack), ``retried``
    (index to delay or None, in order), ``ack_all``, ``retry_all``,
    ``retry_all_delay``."""

    __slots__ = ("acked", "retried", "ack_all", "retry_all", "retry_all_delay")

    def __init__(self):
        self.acked = {}
        self.retried = {}
        self.ack_all = False
        self.retry_all = False
        self.retry_all_delay = None

    def record_ack(self, i, id):
        if self.ack_all:
            return
        if self.retry_all:
            _warn(f"Received a call to ack() on message {id} after retryAll() was already called. "
                  "Calling ack() on a message after calling retryAll() has no effect.")
            return
        if i in self.retried:
            _warn(f"Received a call to ack() on message {id} after retry() was already called. "
                  "Calling ack() on a message after calling retry() has no effect.")
            return
        self.acked[i] = True

    def record_retry(self, i, id, delay):
        if self.ack_all:
            _warn(f"Received a call to retry() on message {id} after ackAll() was already called. "
                  "Calling retry() on a message after calling ackAll() has no effect.")
            return
        if i in self.acked:
            _warn(f"Received a call to retry() on message {id} after ack() was already called. "
                  "Calling retry() on a message after calling ack() has no effect.")
            return
        self.retried[i] = delay if delay is not None else self.retried.get(i)

    def record_retry_all(self, delay):
        if self.ack_all:
            _warn("Received a call to retryAll() after ackAll() was already called. "
                  "Calling retryAll() after calling ackAll() has no effect.")
            return
        self.retry_all = True
        if delay is not None:
            self.retry_all_delay = delay

    def record_ack_all(self):
        if self.retry_all:
            _warn("Received a call to ackAll() after retryAll() was already called. "
                  "Calling ackAll() after calling retryAll() has no effect.")
            return
        self.ack_all = True


class QueueDate(_datetime.datetime, JsProxy):
    """A message's timestamp: an aware UTC datetime (to the millisecond)
    that also answers as the JavaScript Date a Cloudflare Worker gets:
    ``getTime()`` / ``valueOf()`` (milliseconds since the Unix epoch, an
    int), ``toISOString()``."""

    @classmethod
    def from_ms(cls, ms):
        d = _EPOCH + _datetime.timedelta(milliseconds=ms)
        return cls(d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond, _datetime.timezone.utc)

    def getTime(self):
        return (self - _EPOCH) // _MS

    valueOf = getTime

    def toISOString(self):
        return self.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.microsecond // 1000:03d}Z"

    def to_py(self, *, depth=-1, default_converter=None):
        return _datetime.datetime(self.year, self.month, self.day, self.hour, self.minute, self.second,
                                  self.microsecond, _datetime.timezone.utc)


class Message:
    """A delivered message (Cloudflare's Message): ``id`` (32 hex digits,
    the same on every attempt), ``timestamp`` (when it was sent: a
    QueueDate, an aware UTC datetime with ``getTime()``), ``body`` (as its
    content type reads: see decode), ``attempts`` (1 on the first
    delivery); ``ack()``, ``retry(delaySeconds=None)``."""

    __slots__ = ("id", "timestamp", "attempts", "_data", "_type", "_body", "_index", "_outcome")

    def __init__(self, outcome, index, id, timestamp_ms, data, ct, attempts):
        self.id = id
        self.timestamp = QueueDate.from_ms(timestamp_ms)
        self.attempts = attempts
        self._data = data
        self._type = ct
        self._body = self
        self._index = index
        self._outcome = outcome

    @property
    def body(self):
        """The body, decoded on first use (a JSON or structured body that
        does not decode raises here, in the handler)."""
        if self._body is self:
            self._body = decode(self._data, self._type)
        return self._body

    def ack(self):
        """Acknowledges the message: it is not delivered again, whatever
        the handler does next."""
        self._outcome.record_ack(self._index, self.id)

    def retry(self, options=None, delay_seconds=None, **kw):
        """Delivers the message again later (``delaySeconds`` /
        ``delay_seconds``, or ``{"delaySeconds": n}``; else the consumer's
        retry_delay). It counts as an attempt."""
        self._outcome.record_retry(self._index, self.id, _delay(options, dict(kw, delay_seconds=delay_seconds), "retry"))

    def __repr__(self):
        return f"<Message {self.id} attempts={self.attempts}>"


class MessageBatch:
    """A batch of messages of one queue (Cloudflare's MessageBatch):
    ``queue`` (the queue's name), ``messages`` (a list of Message, in
    delivery order); ``ack_all()`` / ``ackAll()``, ``retry_all()`` /
    ``retryAll(delaySeconds=None)``."""

    __slots__ = ("queue", "messages", "_outcome")

    def __init__(self, queue, messages):
        """messages: (id, timestamp in ms, body bytes, content type, attempts) each."""
        self.queue = queue
        self._outcome = Outcome()
        self.messages = JsArray(Message(self._outcome, i, *m) for i, m in enumerate(messages))

    def ack_all(self):
        """Acknowledges every message not retried explicitly."""
        self._outcome.record_ack_all()

    def retry_all(self, options=None, delay_seconds=None, **kw):
        """Delivers every message not acked explicitly again later
        (``delaySeconds`` / ``delay_seconds``, else the consumer's
        retry_delay)."""
        self._outcome.record_retry_all(_delay(options, dict(kw, delay_seconds=delay_seconds), "retryAll"))

    ackAll = ack_all
    retryAll = retry_all

    def __repr__(self):
        return f"<MessageBatch {self.queue} of {len(self.messages)}>"


class ScheduledController:
    """A cron trigger's event (Cloudflare's ScheduledController): ``cron``
    (the expression that fired, as the config has it), ``scheduled_time``
    / ``scheduledTime`` (milliseconds since the Unix epoch, an int),
    ``type`` ("scheduled"); ``no_retry()`` / ``noRetry()`` is accepted and
    does nothing (Bindery never retries a scheduled event)."""

    __slots__ = ("cron", "scheduled_time")

    type = "scheduled"

    def __init__(self, cron, scheduled_time):
        self.cron = cron
        self.scheduled_time = scheduled_time

    scheduledTime = property(lambda self: self.scheduled_time)

    def no_retry(self):
        pass

    noRetry = no_retry

    def __repr__(self):
        return f"<ScheduledController {self.cron!r} at {self.scheduled_time}>"
