"""The structured-value encoding (docs/durable-objects.md, "The
structured-value encoding"): the bytes in which Durable Object storage
values, RPC arguments and results, socket attachments and thrown values
cross the ABI, written and read identically by every Bindery SDK. It is a
subset of CBOR (RFC 8949) behind the prefix ``d9 d9 f7`` for the values
JavaScript's structured clone moves::

    from bindery import structured

    data = structured.dumps({"n": 1, "tags": {"a", "b"}, "when": datetime.now(timezone.utc)})
    value = structured.loads(data)

Python values and what they encode as (and decode back to):

- ``None`` is null; ``Undefined`` is undefined. Both null and undefined
  decode to ``None`` (``loads(data, undefined=Undefined)`` keeps them apart).
- ``bool``; ``int`` is a number when ``|n| <= 2**53 - 1`` and a bigint
  otherwise; ``BigInt(n)`` is always a bigint. A float that is an integer
  in that range is written as one (``1.0`` as ``1``). An integer decodes to
  ``int``, a float to ``float``, a bigint to ``BigInt`` (an ``int``).
- ``str`` (strings with lone surrogates are refused).
- ``bytes``, ``bytearray``, ``memoryview``: a byte string (an ArrayBuffer),
  which decodes to ``bytes``.
- ``TypedArray(kind, data)``, and ``array.array``, which is written as the
  typed array of its item type (``"i"`` as Int32Array): a typed array, which
  decodes to ``TypedArray`` (``.tolist()`` gives its elements).
- ``list``, ``tuple``: an array, which decodes to ``list``.
- ``dict`` whose keys are all ``str``: a plain object, keys in insertion
  order, which decodes to ``dict``. A ``dict`` with other keys, and ``Map``,
  is a JavaScript Map, which decodes to ``Map`` (its keys may be lists or
  dicts, which a dict cannot hold).
- ``set``, ``frozenset`` (elements in the order of their encoded bytes, so
  one set has one encoding), ``Set``: a JavaScript Set, which decodes to
  ``Set`` (ordered, like a JavaScript Set).
- ``datetime.datetime`` (a naive one is taken as UTC), truncated to the
  millisecond: a Date, which decodes to an aware ``datetime`` in UTC, or to
  ``Date(ms)`` when ``datetime`` cannot hold it (an invalid Date, or one
  outside the years 1 to 9999).
- An exception: an Error. Its name is the JavaScript one its class maps
  to (``TypeError`` is TypeError; ``ValueError``, ``IndexError`` and
  ``OverflowError`` are RangeError; ``NameError`` is ReferenceError;
  ``SyntaxError`` is SyntaxError; any other is Error), or a ``JsException``'s
  ``name``; its message is ``str(e)`` (a JsException's ``message``); its
  stack is its formatted traceback when it has one; its cause is
  ``e.__cause__`` when that is set. An Error decodes to a ``JsException``
  that is also an instance of the Python class of its name (a TypeError
  is a ``TypeError``, a RangeError a ``ValueError``, a ReferenceError a
  ``NameError``, a SyntaxError a ``SyntaxError``), with ``name``,
  ``message``, ``stack`` (or None) and, when it has one, ``cause``.
- A dataclass instance: a plain object of its fields in declaration order.

Anything else is refused with a ``DataCloneError`` naming where in the
value it is (``value["a"][2]``), as are cycles (a value that contains
itself; a value in two places is written twice) and nesting deeper than
256 arrays, maps and tags. ``loads`` raises a ``DataCloneError`` whose
``offset`` is the byte at fault for bytes that are not one valid value.
"""

import array as _array
import dataclasses as _dataclasses
import datetime as _datetime
import math as _math
import struct as _struct
import sys as _sys
import traceback as _traceback

from ._js import JsException

__all__ = [
    "BigInt", "DataCloneError", "Date", "Map", "Set", "TypedArray", "Undefined", "dumps", "loads",
]

_PREFIX = b"\xd9\xd9\xf7"
_MAX_DEPTH = 256
_MAX_SAFE = 2**53 - 1
_NAN = b"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00"
_EPOCH = _datetime.datetime(1970, 1, 1, tzinfo=_datetime.timezone.utc)
# The milliseconds of datetime's first and last representable instants.
_MIN_MS = -62135596800000
_MAX_MS = 253402300799999


class DataCloneError(ValueError):
    """A value dumps cannot encode, or bytes loads cannot decode.
    ``offset`` is the byte at fault in what loads read (None for dumps)."""

    def __init__(self, message, offset=None):
        super().__init__(message)
        self.offset = offset


class _UndefinedType:
    """The type of Undefined."""

    __slots__ = ()
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "Undefined"

    def __bool__(self):
        return False

    def __reduce__(self):
        return "Undefined"


Undefined = _UndefinedType()
"""JavaScript's undefined, for dumps (None is null). loads reads undefined
as None, or as Undefined when asked to (``loads(data, undefined=Undefined)``)."""


class BigInt(int):
    """An int that dumps writes as a JavaScript bigint whatever its size
    (a plain int is a bigint only beyond 2**53 - 1). loads reads bigints as
    BigInt, so they are written back as bigints."""

    __slots__ = ()

    def __repr__(self):
        return f"BigInt({int(self)})"


# _KINDS maps a typed array's kind to its RFC 8746 tag and struct format.
_KINDS = {
    "Uint8Array": (64, "B"), "Uint8ClampedArray": (68, "B"), "Int8Array": (72, "b"),
    "Uint16Array": (69, "H"), "Uint32Array": (70, "I"), "BigUint64Array": (71, "Q"),
    "Int16Array": (77, "h"), "Int32Array": (78, "i"), "BigInt64Array": (79, "q"),
    "Float16Array": (84, "e"), "Float32Array": (85, "f"), "Float64Array": (86, "d"),
}
_KIND_BY_TAG = {tag: kind for kind, (tag, _) in _KINDS.items()}


class TypedArray:
    """A JavaScript typed array: ``kind`` is its class's name (e.g.
    "Uint16Array") and ``data`` its bytes, little-endian, a whole number of
    elements. ``tolist()`` gives the elements, ``bytes(t)`` the bytes."""

    __slots__ = ("kind", "data")

    def __init__(self, kind, data=b""):
        if kind not in _KINDS:
            raise ValueError(f"TypedArray: unknown kind {kind!r} (one of {', '.join(_KINDS)})")
        data = bytes(data)
        size = _struct.calcsize(_KINDS[kind][1])
        if len(data) % size:
            raise ValueError(f"TypedArray: {len(data)} bytes are not a whole number of {kind} elements of {size} bytes")
        self.kind = kind
        self.data = data

    @classmethod
    def of(cls, kind, values):
        """The typed array of kind holding values (numbers, or ints for the
        BigInt kinds)."""
        if kind not in _KINDS:
            raise ValueError(f"TypedArray: unknown kind {kind!r} (one of {', '.join(_KINDS)})")
        return cls(kind, _struct.pack(f"<{len(values)}{_KINDS[kind][1]}", *values))

    def tolist(self):
        """The elements, as ints or floats."""
        fmt = _KINDS[self.kind][1]
        return list(_struct.unpack(f"<{len(self)}{fmt}", self.data))

    def __len__(self):
        return len(self.data) // _struct.calcsize(_KINDS[self.kind][1])

    def __bytes__(self):
        return self.data

    def __eq__(self, other):
        if not isinstance(other, TypedArray):
            return NotImplemented
        return self.kind == other.kind and self.data == other.data

    __hash__ = None

    def __repr__(self):
        return f"TypedArray({self.kind!r}, {self.data!r})"


def _key(k):
    """The identity of k as a JavaScript Map key or Set element
    (SameValueZero): primitives by value and kind (1 and 1.0 are one
    number, True is not 1, NaN is NaN), anything else by identity."""
    if k is None:
        return ("null",)
    if k is Undefined:
        return ("undefined",)
    if isinstance(k, bool):
        return ("bool", k)
    if isinstance(k, BigInt):
        return ("bigint", int(k))
    if isinstance(k, int):
        return ("number", k) if -_MAX_SAFE <= k <= _MAX_SAFE else ("bigint", k)
    if isinstance(k, float):
        return ("number", "NaN") if k != k else ("number", k)
    if isinstance(k, str):
        return ("string", k)
    return ("object", id(k))


class Map:
    """A JavaScript Map: entries in insertion order, keys of any type.
    Keys compare as JavaScript compares them: numbers, strings, booleans,
    None and bigints by value, anything else (lists, dicts, bytes) by
    identity. ``m[k]``, ``m.get(k)``, ``k in m``, ``m[k] = v``, ``del m[k]``,
    ``len``; iterating gives the keys; ``items()``, ``keys()``, ``values()``."""

    __slots__ = ("_entries", "_index")

    def __init__(self, entries=()):
        self._entries = []
        self._index = {}
        if isinstance(entries, (dict, Map)):
            entries = entries.items()
        for k, v in entries:
            self[k] = v

    def __setitem__(self, k, v):
        i = self._index.get(_key(k))
        if i is None:
            self._index[_key(k)] = len(self._entries)
            self._entries.append((k, v))
        else:
            self._entries[i] = (self._entries[i][0], v)

    def __getitem__(self, k):
        i = self._index.get(_key(k))
        if i is None:
            raise KeyError(k)
        return self._entries[i][1]

    def get(self, k, default=None):
        """The value of k, or default."""
        i = self._index.get(_key(k))
        return default if i is None else self._entries[i][1]

    def __delitem__(self, k):
        i = self._index.pop(_key(k))
        del self._entries[i]
        self._index = {_key(e[0]): j for j, e in enumerate(self._entries)}

    def __contains__(self, k):
        return _key(k) in self._index

    def __len__(self):
        return len(self._entries)

    def __iter__(self):
        return (k for k, _ in self._entries)

    def keys(self):
        """The keys, in insertion order."""
        return [k for k, _ in self._entries]

    def values(self):
        """The values, in insertion order."""
        return [v for _, v in self._entries]

    def items(self):
        """The (key, value) pairs, in insertion order."""
        return list(self._entries)

    def __eq__(self, other):
        if not isinstance(other, Map):
            return NotImplemented
        return self._entries == other._entries

    __hash__ = None

    def __repr__(self):
        return f"Map({self._entries!r})"


class Set:
    """A JavaScript Set: elements in insertion order, of any type, compared
    as Map compares keys. ``add``, ``discard``, ``x in s``, ``len``,
    iteration."""

    __slots__ = ("_map",)

    def __init__(self, elements=()):
        self._map = Map((e, None) for e in elements)

    def add(self, e):
        """Adds e, unless the set has it."""
        self._map[e] = None

    def discard(self, e):
        """Removes e, if the set has it."""
        if e in self._map:
            del self._map[e]

    def __contains__(self, e):
        return e in self._map

    def __len__(self):
        return len(self._map)

    def __iter__(self):
        return iter(self._map)

    def __eq__(self, other):
        if not isinstance(other, Set):
            return NotImplemented
        return self._map.keys() == other._map.keys()

    __hash__ = None

    def __repr__(self):
        return f"Set({self._map.keys()!r})"


class Date:
    """A JavaScript Date that datetime cannot hold: ``ms`` is its time in
    milliseconds since the epoch (a float), NaN for an invalid Date. loads
    gives one only for those; dumps takes one for any time."""

    __slots__ = ("ms",)

    def __init__(self, ms):
        ms = float(ms)
        # JavaScript's TimeClip: whole milliseconds within 8.64e15 of the epoch.
        self.ms = float("nan") if not abs(ms) <= 8.64e15 else float(int(ms)) + 0.0

    def __eq__(self, other):
        if not isinstance(other, Date):
            return NotImplemented
        return self.ms == other.ms or (self.ms != self.ms and other.ms != other.ms)

    def __hash__(self):
        return hash(("Date", "NaN" if self.ms != self.ms else self.ms))

    def __repr__(self):
        return f"Date({self.ms!r})"


# _ERROR_NAMES are the Error names the encoding keeps.
_ERROR_NAMES = ("Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError")

# _NAME_OF maps Python exception classes to the JavaScript Error names they
# encode as; the first that an exception is an instance of wins.
_NAME_OF = (
    (TypeError, "TypeError"),
    ((ValueError, IndexError, OverflowError), "RangeError"),
    (NameError, "ReferenceError"),
    (SyntaxError, "SyntaxError"),
)


def _error_classes():
    """The JsException classes loads makes Errors of, by name."""
    def make(name, base):
        bases = (JsException,) if base is None else (JsException, base)
        return type(name, bases, {"__module__": __name__, "__doc__":
                                  f"A JavaScript {name} that loads decoded: a JsException"
                                  + (f" and a {base.__name__}." if base else ".")})
    python = {"TypeError": TypeError, "RangeError": ValueError, "ReferenceError": NameError,
              "SyntaxError": SyntaxError}
    return {name: make("Js" + name, python.get(name)) for name in _ERROR_NAMES}


_ERROR_CLASSES = _error_classes()

_MISSING = object()


class _Encoder:
    __slots__ = ("out", "path", "stack", "depth")

    def __init__(self):
        self.out = bytearray(_PREFIX)
        self.path = ["value"]
        self.stack = []
        self.depth = 0

    def fail(self, what):
        p = self.path
        where = "".join(p) if len(p) <= 16 else "".join(p[:8]) + "…" + "".join(p[-7:])
        return DataCloneError(f"structured.dumps: {where} {what}")

    def head(self, major, n):
        m = major << 5
        if n < 24:
            self.out.append(m | n)
        elif n < 0x100:
            self.out += bytes((m | 24, n))
        elif n < 0x10000:
            self.out.append(m | 25)
            self.out += n.to_bytes(2, "big")
        elif n < 0x100000000:
            self.out.append(m | 26)
            self.out += n.to_bytes(4, "big")
        else:
            self.out.append(m | 27)
            self.out += n.to_bytes(8, "big")

    def enter(self, v, levels):
        if any(x is v for x in self.stack):
            raise self.fail("contains itself (a cycle): it cannot be cloned")
        self.nest(levels)
        self.stack.append(v)

    def nest(self, levels):
        if self.depth + levels > _MAX_DEPTH:
            raise self.fail(f"nests deeper than {_MAX_DEPTH} arrays, maps and tags")
        self.depth += levels

    def leave(self, levels):
        self.depth -= levels
        self.stack.pop()

    def at(self, step, v):
        self.path.append(step)
        self.value(v)
        self.path.pop()

    def float64(self, x):
        if x != x:
            self.out += _NAN
        else:
            self.out += _struct.pack(">Bd", 0xFB, x)

    def integer(self, n):
        if n >= 0:
            self.head(0, n)
        else:
            self.head(1, -1 - n)

    def bigint(self, n):
        self.nest(1)
        mag = -1 - n if n < 0 else n
        self.head(6, 3 if n < 0 else 2)
        b = mag.to_bytes((mag.bit_length() + 7) // 8, "big")
        self.head(2, len(b))
        self.out += b
        self.depth -= 1

    def string(self, s):
        try:
            b = s.encode("utf-8")
        except UnicodeEncodeError as e:
            raise self.fail(f"has a lone surrogate (U+{ord(s[e.start]):04X} at index {e.start}): "
                            "the encoding holds only UTF-8 strings") from None
        self.head(3, len(b))
        self.out += b

    def tagged_bytes(self, tag, b):
        self.nest(1)
        self.head(6, tag)
        self.head(2, len(b))
        self.out += b
        self.depth -= 1

    def value(self, v):
        if v is None:
            self.out.append(0xF6)
        elif v is Undefined:
            self.out.append(0xF7)
        elif v is True or v is False:
            self.out.append(0xF5 if v else 0xF4)
        elif isinstance(v, BigInt):
            self.bigint(int(v))
        elif isinstance(v, int):
            if -_MAX_SAFE <= v <= _MAX_SAFE:
                self.integer(int(v))
            else:
                self.bigint(int(v))
        elif isinstance(v, float):
            if v.is_integer() and -_MAX_SAFE <= v <= _MAX_SAFE and not (v == 0 and _math.copysign(1, v) < 0):
                self.integer(int(v))
            else:
                self.float64(v)
        elif isinstance(v, str):
            self.string(v)
        elif isinstance(v, (bytes, bytearray)):
            self.head(2, len(v))
            self.out += v
        elif isinstance(v, memoryview):
            b = v.tobytes()
            self.head(2, len(b))
            self.out += b
        elif isinstance(v, TypedArray):
            self.tagged_bytes(_KINDS[v.kind][0], v.data)
        elif isinstance(v, _array.array):
            self.typed_array(v)
        elif isinstance(v, (list, tuple)):
            self.enter(v, 1)
            self.head(4, len(v))
            for i, x in enumerate(v):
                self.at(f"[{i}]", x)
            self.leave(1)
        elif isinstance(v, dict):
            if all(isinstance(k, str) for k in v):
                self.object(v, v.items())
            else:
                self.map(v, v.items())
        elif isinstance(v, Map):
            self.map(v, v.items())
        elif isinstance(v, (set, frozenset)):
            self.set(v, sorted(v, key=_sort_key(self)))
        elif isinstance(v, Set):
            self.set(v, v)
        elif isinstance(v, _datetime.datetime):
            if v.tzinfo is None:
                v = v.replace(tzinfo=_datetime.timezone.utc)
            td = v - _EPOCH
            self.date(((td.days * 86400 + td.seconds) * 1000000 + td.microseconds) // 1000)
        elif isinstance(v, Date):
            self.date(v.ms)
        elif isinstance(v, BaseException):
            self.error(v)
        elif _dataclasses.is_dataclass(v) and not isinstance(v, type):
            self.object(v, ((f.name, getattr(v, f.name)) for f in _dataclasses.fields(v)))
        else:
            raise self.fail(f"is a {type(v).__module__}.{type(v).__qualname__}, which cannot be cloned")

    def typed_array(self, a):
        if a.typecode in "fd":
            kind = "Float32Array" if a.itemsize == 4 else "Float64Array"
        elif a.typecode in "bhilq":
            kind = {1: "Int8Array", 2: "Int16Array", 4: "Int32Array", 8: "BigInt64Array"}[a.itemsize]
        elif a.typecode in "BHILQ":
            kind = {1: "Uint8Array", 2: "Uint16Array", 4: "Uint32Array", 8: "BigUint64Array"}[a.itemsize]
        else:
            raise self.fail(f"is an array.array of typecode {a.typecode!r}, which no typed array holds")
        if _sys.byteorder == "big":
            a = _array.array(a.typecode, a)
            a.byteswap()
        self.tagged_bytes(_KINDS[kind][0], a.tobytes())

    def object(self, v, items):
        items = list(items)
        self.enter(v, 1)
        self.head(5, len(items))
        for k, x in items:
            self.string(k)
            self.at(f"[{k!r}]", x)
        self.leave(1)

    def map(self, v, items):
        items = list(items)
        self.enter(v, 2)
        self.head(6, 259)
        self.head(5, len(items))
        for i, (k, x) in enumerate(items):
            self.at(f".<key {i}>", k)
            self.at(f"[{k!r}]", x)
        self.leave(2)

    def set(self, v, elements):
        elements = list(elements)
        self.enter(v, 2)
        self.head(6, 258)
        self.head(4, len(elements))
        for i, x in enumerate(elements):
            self.at(f".<element {i}>", x)
        self.leave(2)

    def date(self, ms):
        self.nest(1)
        self.head(6, 1)
        if ms != ms:
            self.out += _NAN
        elif ms % 1000 == 0:
            self.integer(int(ms) // 1000)
        else:
            self.float64(ms / 1000)
        self.depth -= 1

    def error(self, e):
        if isinstance(e, JsException):
            name = e.name if e.name in _ERROR_NAMES else "Error"
            message = e.message
        else:
            name = next((n for c, n in _NAME_OF if isinstance(e, c)), "Error")
            message = str(e)
        stack = getattr(e, "stack", None) if isinstance(e, JsException) else None
        if stack is None and e.__traceback__ is not None:
            stack = "".join(_traceback.format_exception(type(e), e, e.__traceback__, chain=False))
        cause = getattr(e, "cause", _MISSING) if isinstance(e, JsException) else _MISSING
        if cause is _MISSING and e.__cause__ is not None:
            cause = e.__cause__
        fields = [("name", name), ("message", message)]
        if isinstance(stack, str):
            fields.append(("stack", stack))
        if cause is not _MISSING:
            fields.append(("cause", cause))
        self.enter(e, 3)
        self.head(6, 27)
        self.head(4, 2)
        self.string("Error")
        self.head(5, len(fields))
        for k, x in fields:
            self.string(k)
            self.at(f".{k}", x)
        self.leave(3)


def _sort_key(enc):
    """The key that sorts a Python set's elements by their encoded bytes,
    written by enc's rules (and refused with its path)."""
    def key(x):
        sub = _Encoder()
        sub.path = enc.path + [".<element>"]
        sub.stack = enc.stack
        sub.depth = enc.depth + 2
        sub.out = bytearray()
        sub.value(x)
        return bytes(sub.out)
    return key


def dumps(value):
    """The structured-value encoding of value (see the module's doc), as
    bytes. Raises DataCloneError for what it cannot encode."""
    e = _Encoder()
    e.value(value)
    return bytes(e.out)


# _FLOATS are the struct formats of the float items, by additional information.
_FLOATS = {25: ">e", 26: ">f", 27: ">d"}


class _Decoder:
    __slots__ = ("b", "pos", "depth", "undefined")

    def __init__(self, b, undefined):
        self.b = b
        self.pos = 0
        self.depth = 0
        self.undefined = undefined

    def fail(self, at, what):
        return DataCloneError(f"structured.loads: at byte {at}: {what}", at)

    def need(self, at, n):
        if len(self.b) - self.pos < n:
            raise self.fail(at, f"the input ends inside an item ({n} more bytes wanted at byte {self.pos})")

    def head(self):
        """Reads an item's initial byte and argument: (at, major, ai, n)."""
        at = self.pos
        self.need(at, 1)
        ib = self.b[at]
        self.pos += 1
        major, ai = ib >> 5, ib & 0x1F
        n = ai
        if 24 <= ai <= 27:
            size = 1 << (ai - 24)
            self.need(at, size)
            n = int.from_bytes(self.b[self.pos:self.pos + size], "big")
            self.pos += size
        elif 28 <= ai <= 30:
            raise self.fail(at, f"reserved additional information {ai}")
        elif ai == 31:
            raise self.fail(at, "a break outside an indefinite-length item" if major == 7 else "an indefinite length")
        return at, major, ai, n

    def length(self, at, n):
        if n > len(self.b) - self.pos:
            raise self.fail(at, f"length {n} runs past the end of the input")
        return n

    def nest(self, at, levels):
        self.depth += levels
        if self.depth > _MAX_DEPTH:
            raise self.fail(at, f"nesting deeper than {_MAX_DEPTH} arrays, maps and tags")

    def bytes(self, at, n):
        n = self.length(at, n)
        out = bytes(self.b[self.pos:self.pos + n])
        self.pos += n
        return out

    def value(self):
        at, major, ai, n = self.head()
        if major == 0:
            return n if n <= _MAX_SAFE else BigInt(n)
        if major == 1:
            return -1 - n if n < _MAX_SAFE else BigInt(-1 - n)
        if major == 2:
            return self.bytes(at, n)
        if major == 3:
            b = self.bytes(at, n)
            try:
                return b.decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail(at, "a text string that is not UTF-8") from None
        if major == 4:
            n = self.length(at, n)
            self.nest(at, 1)
            out = [self.value() for _ in range(n)]
            self.depth -= 1
            return out
        if major == 5:
            n = self.length(at, n)
            self.nest(at, 1)
            out = {}
            for _ in range(n):
                kat = self.pos
                k = self.value()
                if type(k) is not str:
                    raise self.fail(kat, "an object key that is not a text string (a Map is tag 259)")
                if k in out:
                    raise self.fail(kat, f"the key {k!r} twice in one object")
                out[k] = self.value()
            self.depth -= 1
            return out
        if major == 6:
            return self.tagged(at, n)
        if ai == 20:
            return False
        if ai == 21:
            return True
        if ai == 22:
            return None
        if ai == 23:
            return self.undefined
        if 25 <= ai <= 27:
            x = _struct.unpack(_FLOATS[ai], n.to_bytes(1 << (ai - 24), "big"))[0]
            # One number, one Python value: an integer in int's range is an int.
            if x.is_integer() and -_MAX_SAFE <= x <= _MAX_SAFE and not (x == 0 and _math.copysign(1, x) < 0):
                return int(x)
            return x
        raise self.fail(at, f"simple value {n} (only false, true, null and undefined are allowed)")

    def expect(self, tag, what, *majors):
        """Checks the major type of the item under tag (7 standing for a float)."""
        at = self.pos
        self.need(at, 1)
        major, ai = self.b[at] >> 5, self.b[at] & 0x1F
        if major not in majors or (major == 7 and not 25 <= ai <= 27):
            raise self.fail(at, f"tag {tag} over {what}")
        return at

    def tagged(self, at, tag):
        self.nest(at, 1)
        if tag == 1:
            self.expect(tag, "anything but an integer or float", 0, 1, 7)
            v = _date(float(self.value()) * 1000)
        elif tag in (2, 3):
            self.expect(tag, "anything but a byte string", 2)
            hat, _, _, n = self.head()
            mag = int.from_bytes(self.bytes(hat, n), "big")
            v = BigInt(mag if tag == 2 else -1 - mag)
        elif tag in _KIND_BY_TAG:
            kind = _KIND_BY_TAG[tag]
            self.expect(tag, "anything but a byte string", 2)
            hat, _, _, n = self.head()
            data = self.bytes(hat, n)
            size = _struct.calcsize(_KINDS[kind][1])
            if len(data) % size:
                raise self.fail(hat, f"a {kind} of {len(data)} bytes, not a multiple of {size}")
            v = TypedArray(kind, data)
        elif tag == 258:
            self.expect(tag, "anything but an array", 4)
            v = Set(map(_zero, self.value()))
        elif tag == 259:
            self.expect(tag, "anything but a map", 5)
            mat, _, _, n = self.head()
            n = self.length(mat, n)
            self.nest(mat, 1)
            v = Map()
            for _ in range(n):
                k = _zero(self.value())
                v[k] = self.value()
            self.depth -= 1
        elif tag == 27:
            v = self.error()
        else:
            raise self.fail(at, f"tag {tag} is not part of the encoding")
        self.depth -= 1
        return v

    def error(self):
        what = 'anything but the array ["Error", {name, message, …}]'
        at = self.expect(27, what, 4)
        _, _, _, n = self.head()
        if n != 2:
            raise self.fail(at, f"tag 27 over {what}")
        self.nest(at, 1)
        if self.value() != "Error":
            raise self.fail(at, f"tag 27 over {what}")
        self.expect(27, what, 5)
        fields = self.value()
        self.depth -= 1
        for k in ("name", "message", "stack"):
            if k in fields and not isinstance(fields[k], str):
                raise self.fail(at, f"tag 27 over an Error whose {k} is not a string")
        name = fields.get("name")
        name = name if name in _ERROR_NAMES else "Error"
        e = _ERROR_CLASSES[name](name, fields.get("message", ""))
        e.stack = fields.get("stack")
        if "cause" in fields:
            e.cause = fields["cause"]
            if isinstance(e.cause, BaseException):
                e.__cause__ = e.cause
        return e


def _zero(x):
    """x, but -0 as 0: a Map key or Set element, as JavaScript's Map.set
    and Set.add store it."""
    return 0 if type(x) is float and x == 0 else x


def _date(x):
    """The datetime (or Date) of x milliseconds, rounded to the nearest
    integer with halves away from zero, as the spec says."""
    if x != x or abs(x) > 8.64e15:
        return Date(float("nan"))
    a = abs(x)
    r = _math.floor(a)
    if a - r >= 0.5:
        r += 1
    ms = int(_math.copysign(r, x))
    if _MIN_MS <= ms <= _MAX_MS:
        return _EPOCH + _datetime.timedelta(milliseconds=ms)
    return Date(ms)


def loads(data, *, undefined=None):
    """The value data encodes (see the module's doc). undefined is what
    JavaScript's undefined reads as: None, as null does, unless given
    (``undefined=Undefined`` keeps it, so that dumps writes it back).
    Raises DataCloneError, naming the byte offset, for bytes that are not
    one valid encoded value."""
    b = memoryview(data).cast("B") if not isinstance(data, (bytes, bytearray)) else data
    d = _Decoder(b, undefined)
    if bytes(b[:3]) != _PREFIX:
        raise d.fail(0, "no d9 d9 f7 prefix: not the structured-value encoding")
    d.pos = 3
    v = d.value()
    if d.pos != len(b):
        raise d.fail(d.pos, f"{len(b) - d.pos} bytes after the value")
    return v
