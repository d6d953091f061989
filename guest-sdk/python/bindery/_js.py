"""Stand-ins for the JavaScript values a Cloudflare Python Worker sees.

On Cloudflare a Python Worker reaches JavaScript objects through Pyodide's
foreign function interface: a KV list result, an R2 object or a parsed
JSON body is a ``JsProxy``, whose properties read both as ``obj.name`` and
as ``obj["name"]``, and ``to_py()`` turns into plain Python. The types
here behave the same way, so code written for Cloudflare runs unchanged,
while staying plain Python values (a JsObject is a dict: ``json.dumps``,
``==`` and ``isinstance(x, dict)`` work).
"""

import json as _json

__all__ = ["ArrayBuffer", "JsArray", "JsException", "JsObject", "JsProxy", "loads", "to_js", "to_py"]


class JsProxy:
    """The base class of the SDK's stand-ins for JavaScript values
    (JsObject, JsArray, ArrayBuffer), as ``pyodide.ffi.JsProxy`` is on Cloudflare."""

    __slots__ = ()

    def to_py(self, *, depth=-1, default_converter=None):
        """A plain Python copy (dicts, lists, bytes)."""
        return to_py(self)


class JsObject(dict, JsProxy):
    """A JavaScript object: a dict whose keys are also attributes
    (``obj.key`` is ``obj["key"]``; a missing one is an AttributeError, or
    a KeyError by subscript). Methods of dict keep their names (``obj.get``,
    ``obj.items``)."""

    __slots__ = ()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"the object has no property {name!r}") from None

    def __setattr__(self, name, value):
        self[name] = value

    def __delattr__(self, name):
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def as_object_map(self):
        """The object itself (Pyodide's as_object_map gives a mapping view)."""
        return self


class JsArray(list, JsProxy):
    """A JavaScript array: a list, with ``to_py()`` (a plain list, its
    JsObjects as dicts), as Pyodide's ``JsArray`` (a D1 result's
    ``results``, a row of ``raw()``)."""

    __slots__ = ()

    @property
    def length(self):
        return len(self)


class ArrayBuffer(bytes, JsProxy):
    """A JavaScript ArrayBuffer: bytes, with the JsBuffer methods Cloudflare
    Workers call on one (``to_bytes()``, ``to_py()`` (a memoryview),
    ``to_string()``, ``byteLength``)."""

    __slots__ = ()

    def to_bytes(self):
        return bytes(self)

    def to_memoryview(self):
        return memoryview(self)

    def to_py(self, *, depth=-1, default_converter=None):
        return memoryview(bytes(self))

    def to_string(self, encoding="utf-8"):
        return self.decode(encoding)

    @property
    def byteLength(self):
        return len(self)


class JsException(Exception):
    """An error JavaScript would throw (``pyodide.ffi.JsException``):
    ``name`` is the JavaScript error's name (e.g. "TypeError") and
    ``message`` its text."""

    def __init__(self, name, message=""):
        super().__init__(f"{name}: {message}" if message else name)
        self.name = name
        self.message = message


def to_py(v):
    """v with every JsObject turned into a dict and every ArrayBuffer into
    bytes, recursively."""
    if isinstance(v, ArrayBuffer):
        return bytes(v)
    if isinstance(v, dict):
        return {k: to_py(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_py(x) for x in v]
    return v


def loads(text):
    """Parses JSON text, its objects as JsObjects (as JSON.parse would
    give them to a Cloudflare Python Worker)."""
    return _json.loads(text, object_hook=JsObject)


def to_js(v):
    """v with every dict turned into a JsObject, recursively (what
    ``pyodide.ffi.to_js(v, dict_converter=Object.fromEntries)`` gives)."""
    if isinstance(v, dict):
        return JsObject((k, to_js(x)) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return [to_js(x) for x in v]
    return v
