"""Tests of bindery/structured.py under the machine's python3: every
vector of the shared file wit/deps/durable/testdata/structured-values.json
(or the file STRUCTURED_VECTORS names), then Python's own mappings. Run by
structured_test.go (go test ./guest-sdk/python -run TestStructured), or
directly: python3 guest-sdk/python/tests/test_structured.py

bindery/__init__.py needs componentize-py's generated bindings, so the
package is stood up here without it: structured.py uses only bindery._js.
"""

import array
import dataclasses
import datetime
import json
import math
import os
import sys
import types
import unittest

_SDK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
_pkg = types.ModuleType("bindery")
_pkg.__path__ = [os.path.join(_SDK, "bindery")]
sys.modules["bindery"] = _pkg

from bindery import structured as s  # noqa: E402
from bindery._js import JsException  # noqa: E402

_VECTORS = os.environ.get("STRUCTURED_VECTORS") or os.path.join(
    _SDK, "..", "..", "wit", "deps", "durable", "testdata", "structured-values.json")
with open(_VECTORS, encoding="utf-8") as f:
    VECTORS = json.load(f)["vectors"]

UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)


def build(v, undefined):
    """The Python value of a vector's typed JSON value, undefined standing
    for JavaScript's undefined."""
    (kind, x), = ((k, x) for k, x in v.items() if k != "bytes" or len(v) == 1)
    if kind == "undefined":
        return undefined
    if kind == "null":
        return None
    if kind == "bool":
        return x
    if kind == "number":
        # A number reads as an int when it is an integer within 2**53 - 1.
        x = float(x.replace("Infinity", "inf")) if isinstance(x, str) else x
        negative_zero = isinstance(x, float) and x == 0 and math.copysign(1, x) < 0
        if float(x).is_integer() and abs(x) <= 2**53 - 1 and not negative_zero:
            return int(x)
        return float(x)
    if kind == "bigint":
        return s.BigInt(int(x))
    if kind == "string":
        return x
    if kind == "bytes":
        return bytes.fromhex(x)
    if kind == "typed":
        return s.TypedArray(x, bytes.fromhex(v["bytes"]))
    if kind == "array":
        return [build(e, undefined) for e in x]
    if kind == "object":
        return {k: build(e, undefined) for k, e in x}
    if kind == "map":
        return s.Map((build(k, undefined), build(e, undefined)) for k, e in x)
    if kind == "set":
        return s.Set(build(e, undefined) for e in x)
    if kind == "date":
        if x == "NaN":
            return s.Date(float("nan"))
        try:
            return EPOCH + datetime.timedelta(milliseconds=x)
        except OverflowError:  # beyond datetime's years 1 to 9999
            return s.Date(x)
    if kind == "error":
        e = s._ERROR_CLASSES[x["name"]](x["name"], x["message"])
        e.stack = x.get("stack")
        if "cause" in x:
            e.cause = build(x["cause"], undefined)
        return e
    raise ValueError(f"unknown kind {kind}")


def same(test, got, want, path="value"):
    """Asserts that got is want as the encoding sees values: kinds, order,
    -0.0 and NaN included."""
    where = f"{path}: got {got!r}, want {want!r}"
    if isinstance(want, float):
        test.assertIs(type(got), float, where)
        if math.isnan(want):
            test.assertTrue(math.isnan(got), where)
        else:
            test.assertEqual((got, math.copysign(1, got)), (want, math.copysign(1, want)), where)
        return
    if isinstance(want, s.BigInt) or isinstance(want, (bool, int)):
        test.assertIs(type(got), type(want), where)
        test.assertEqual(got, want, where)
        return
    if isinstance(want, BaseException):
        test.assertIs(type(got), type(want), where)
        test.assertEqual((got.name, got.message, got.stack), (want.name, want.message, want.stack), where)
        test.assertEqual(hasattr(got, "cause"), hasattr(want, "cause"), where)
        if hasattr(want, "cause"):
            same(test, got.cause, want.cause, path + ".cause")
        return
    if isinstance(want, list):
        test.assertIs(type(got), list, where)
        test.assertEqual(len(got), len(want), where)
        for i, (g, w) in enumerate(zip(got, want)):
            same(test, g, w, f"{path}[{i}]")
        return
    if isinstance(want, dict):
        test.assertIs(type(got), dict, where)
        test.assertEqual(list(got), list(want), where)
        for k in want:
            same(test, got[k], want[k], f"{path}[{k!r}]")
        return
    if isinstance(want, s.Map):
        test.assertIs(type(got), s.Map, where)
        test.assertEqual(len(got), len(want), where)
        for i, ((gk, gv), (wk, wv)) in enumerate(zip(got.items(), want.items())):
            same(test, gk, wk, f"{path}.<key {i}>")
            same(test, gv, wv, f"{path}.<value {i}>")
        return
    if isinstance(want, s.Set):
        same(test, list(got), list(want), path)
        test.assertIs(type(got), s.Set, where)
        return
    test.assertIs(type(got), type(want), where)
    test.assertEqual(got, want, where)


class Vectors(unittest.TestCase):
    def test_vectors(self):
        self.assertGreater(len(VECTORS), 100)
        for v in VECTORS:
            with self.subTest(v["name"]):
                data = bytes.fromhex(v["hex"])
                if "error" in v:
                    with self.assertRaises(s.DataCloneError) as cm:
                        s.loads(data)
                    self.assertIn("at byte", str(cm.exception))
                    self.assertTrue(0 <= cm.exception.offset <= len(data), cm.exception.offset)
                    continue
                # undefined reads as None, as null does...
                same(self, s.loads(data), build(v["value"], None))
                # ...or as Undefined when asked, and then every value
                # writes back to the same bytes.
                got = s.loads(data, undefined=s.Undefined)
                same(self, got, build(v["value"], s.Undefined))
                if not v.get("decodeOnly"):
                    self.assertEqual(s.dumps(build(v["value"], s.Undefined)).hex(), v["hex"], "dumps(value)")
                    self.assertEqual(s.dumps(got).hex(), v["hex"], "dumps(loads(hex))")


@dataclasses.dataclass
class Point:
    y: int
    x: int


class Mappings(unittest.TestCase):
    def hex(self, v):
        return s.dumps(v).hex()

    def test_numbers(self):
        self.assertEqual(self.hex(2**53 - 1), "d9d9f71b001fffffffffffff")
        self.assertEqual(self.hex(2**53), "d9d9f7c24720000000000000")  # beyond 2^53-1: a bigint
        self.assertEqual(self.hex(-(2**64)), "d9d9f7c348ffffffffffffffff")
        self.assertEqual(self.hex(s.BigInt(5)), "d9d9f7c24105")
        self.assertEqual(self.hex(1.0), "d9d9f701")  # an integral float is an integer
        self.assertEqual(self.hex(-0.0), "d9d9f7fb8000000000000000")
        self.assertEqual(self.hex(2.0**53), "d9d9f7fb4340000000000000")
        self.assertEqual(self.hex(True), "d9d9f7f5")
        self.assertIs(type(s.loads(bytes.fromhex("d9d9f7c24105"))), s.BigInt)
        self.assertEqual(s.loads(bytes.fromhex("d9d9f7c24105")) + 1, 6)

    def test_undefined(self):
        self.assertEqual(self.hex(s.Undefined), "d9d9f7f7")
        self.assertIsNone(s.loads(bytes.fromhex("d9d9f7f7")))
        self.assertIs(s.loads(bytes.fromhex("d9d9f7f7"), undefined=s.Undefined), s.Undefined)
        self.assertFalse(s.Undefined)

    def test_bytes(self):
        for v in (b"ab", bytearray(b"ab"), memoryview(b"xaby")[1:3]):
            self.assertEqual(self.hex(v), "d9d9f7426162")
        self.assertEqual(s.loads(bytes.fromhex("d9d9f7426162")), b"ab")
        self.assertEqual(s.loads(bytearray.fromhex("d9d9f7426162")), b"ab")
        self.assertEqual(s.loads(memoryview(bytes.fromhex("d9d9f7426162"))), b"ab")

    def test_typed_arrays(self):
        self.assertEqual(self.hex(array.array("H", [1, 65535])), "d9d9f7d845440100ffff")
        self.assertEqual(self.hex(array.array("i", [-1, 2])), "d9d9f7d84e48ffffffff02000000")
        self.assertEqual(self.hex(array.array("q", [-1])), "d9d9f7d84f48ffffffffffffffff")
        self.assertEqual(self.hex(array.array("d", [1])), "d9d9f7d85648000000000000f03f")
        self.assertEqual(self.hex(array.array("B", b"\x01")), "d9d9f7d8404101")
        t = s.loads(bytes.fromhex("d9d9f7d8544400bc0042"))
        self.assertEqual((t.kind, t.tolist(), len(t), bytes(t)), ("Float16Array", [-1.0, 3.0], 2, b"\x00\xbc\x00\x42"))
        self.assertEqual(s.TypedArray.of("Int32Array", [-1, 2]).tolist(), [-1, 2])
        with self.assertRaises(ValueError):
            s.TypedArray("Uint32Array", b"\x00")
        with self.assertRaises(ValueError):
            s.TypedArray("DataView", b"")
        with self.assertRaises(s.DataCloneError):
            s.dumps(array.array("u", "x"))

    def test_containers(self):
        self.assertEqual(self.hex((1, [2])), "d9d9f782018102")
        # dicts keep insertion order; any non-str key makes a Map.
        self.assertEqual(self.hex({"b": 1, "a": 2}), "d9d9f7a2616201616102")
        self.assertEqual(self.hex({1: "a", "b": 2}), "d9d9f7d90103a2016161616202")
        self.assertEqual(self.hex({}), "d9d9f7a0")
        # Python sets are written in the order of their elements' bytes.
        self.assertEqual(self.hex({"b", 10, "a", 1}), "d9d9f7d9010284010a61616162")
        self.assertEqual(self.hex(frozenset({3, 2})), "d9d9f7d90102820203")
        # Decoded Maps take unhashable keys and compare keys as JavaScript does.
        m = s.loads(bytes.fromhex("d9d9f7d90103a3016161c241016162806163"))
        self.assertEqual(m.keys()[:2], [1, 1])
        self.assertEqual((m[1], m[s.BigInt(1)], m.get(1.0), len(m)), ("a", "b", "a", 3))
        self.assertEqual(m.keys()[2], [])
        self.assertNotIn([], m)  # arrays are keys by identity
        self.assertNotIn(True, m)
        del m[1]
        self.assertEqual(m.items()[0], (s.BigInt(1), "b"))
        m[float("nan")] = 1
        m[float("nan")] = 2
        self.assertEqual(m.values()[-1], 2)
        self.assertEqual(len(m), 3)
        st = s.Set([1, 1.0, [1], [1]])
        self.assertEqual(len(st), 3)
        st.discard(1)
        self.assertNotIn(1, st)
        self.assertEqual(self.hex(s.Map({"a": 1})), "d9d9f7d90103a1616101")

    def test_dataclass(self):
        self.assertEqual(self.hex(Point(1, 2)), "d9d9f7a2617901617802")

    def test_dates(self):
        dt = datetime.datetime(2026, 12, 8, 0, 0, 0, 123999, tzinfo=UTC)  # truncated to .123
        self.assertEqual(self.hex(dt), "d9d9f7c1fb41dac5d22007df3b")
        naive = datetime.datetime(2026, 12, 8)
        self.assertEqual(self.hex(naive), "d9d9f7c11a6b174880")  # naive is UTC
        tz = datetime.timezone(datetime.timedelta(hours=1))
        self.assertEqual(self.hex(datetime.datetime(2026, 12, 8, 1, tzinfo=tz)), "d9d9f7c11a6b174880")
        before = datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)  # -0.000001 s: floor to -1 ms
        self.assertEqual(self.hex(before), "d9d9f7c1fbbf50624dd2f1a9fc")
        got = s.loads(bytes.fromhex("d9d9f7c1fb41dac5d22007df3b"))
        self.assertEqual(got, datetime.datetime(2026, 12, 8, 0, 0, 0, 123000, tzinfo=UTC))
        self.assertEqual(got.tzinfo, UTC)
        # Beyond datetime's years: a Date of milliseconds.
        far = s.loads(bytes.fromhex("d9d9f7c11b000007dba8218000"))
        self.assertEqual(far, s.Date(8.64e15))
        self.assertEqual(self.hex(far), "d9d9f7c11b000007dba8218000")
        self.assertTrue(math.isnan(s.loads(bytes.fromhex("d9d9f7c1fb7ff8000000000000")).ms))
        self.assertTrue(math.isnan(s.Date(8.64e15 + 1).ms))
        with self.assertRaises(s.DataCloneError):
            s.dumps(datetime.date(2026, 1, 1))

    def test_exceptions(self):
        cases = [
            (TypeError("t"), "TypeError", TypeError),
            (ValueError("v"), "RangeError", ValueError),
            (IndexError("i"), "RangeError", ValueError),
            (OverflowError("o"), "RangeError", ValueError),
            (NameError("n"), "ReferenceError", NameError),
            (SyntaxError("s"), "SyntaxError", SyntaxError),
            (KeyError("k"), "Error", Exception),
            (JsException("URIError", "u"), "URIError", Exception),
            (JsException("AggregateError", "a"), "Error", Exception),
        ]
        for e, name, cls in cases:
            with self.subTest(name=name, e=repr(e)):
                got = s.loads(s.dumps(e))
                self.assertIsInstance(got, JsException)
                self.assertIsInstance(got, cls)
                self.assertEqual(got.name, name)
                self.assertEqual(got.message, e.message if isinstance(e, JsException) else str(e))
                self.assertIsNone(got.stack)
                self.assertFalse(hasattr(got, "cause"))
        try:
            try:
                raise KeyError("inner")
            except KeyError as inner:
                raise ValueError("outer") from inner
        except ValueError as e:
            got = s.loads(s.dumps(e))
        self.assertEqual(got.name, "RangeError")
        self.assertIn('raise ValueError("outer") from inner', got.stack)
        self.assertNotIn("inner", got.stack.replace("from inner", ""))  # the cause's own traceback is its own
        self.assertEqual((got.cause.name, got.cause.message), ("Error", "'inner'"))
        self.assertIs(got.__cause__, got.cause)
        self.assertEqual(s.dumps(got), s.dumps(s.loads(s.dumps(got))))  # round trip
        js = JsException("TypeError", "m")
        js.cause = s.Undefined
        self.assertEqual(self.hex(js), "d9d9f7d81b82654572726f72a3646e616d6569547970654572726f72676d657373616765616d656361757365f7")

    def test_refused(self):
        cyclic = []
        cyclic.append(cyclic)
        d = {}
        d["self"] = [d]
        e = ValueError("x")
        e.__cause__ = e
        cases = [
            (lambda: 1, "value is a builtins.function"),
            ({"a": [object()]}, "value['a'][0] is a builtins.object"),
            ({"a": 1j}, "value['a'] is a builtins.complex"),
            ("a\ud800", "lone surrogate (U+D800 at index 1)"),
            ("\ud83d\ude00", "lone surrogate"),  # a pair of surrogates is not UTF-8 in Python
            ({"\udc00": 1}, "lone surrogate"),
            (cyclic, "value[0] contains itself"),
            (d, "value['self'][0] contains itself"),
            (e, "value.cause contains itself"),
            (s.Map({1: {2: print}}), "value[1][2] is a builtins.builtin_function_or_method"),
            ({1, print}, "value.<element> is a builtins.builtin_function_or_method"),
        ]
        for v, part in cases:
            with self.subTest(part):
                with self.assertRaises(s.DataCloneError) as cm:
                    s.dumps(v)
                self.assertIn(part, str(cm.exception))
                self.assertIsNone(cm.exception.offset)
        shared = {"x": 1}
        self.assertEqual(self.hex({"a": shared, "b": [shared, shared]}), "d9d9f7a26161a1617801616282a1617801a1617801")
        deep = 0
        for _ in range(256):
            deep = [deep]
        s.loads(s.dumps(deep))
        with self.assertRaises(s.DataCloneError) as cm:
            s.dumps([deep])
        self.assertIn("nests deeper than 256", str(cm.exception))

    def test_decode_errors(self):
        for hexs, offset, part in [
            ("d9d9f78181811c", 6, "reserved additional information 28"),
            ("d9d9f7a2616101616102", 7, "the key 'a' twice"),
            ("d9d9f70000", 4, "1 bytes after the value"),
            ("00", 0, "no d9 d9 f7 prefix"),
        ]:
            with self.assertRaises(s.DataCloneError) as cm:
                s.loads(bytes.fromhex(hexs))
            self.assertEqual(cm.exception.offset, offset)
            self.assertIn(part, str(cm.exception))
        # Strings are kept as written: a BOM is not stripped.
        self.assertEqual(s.loads(bytes.fromhex("d9d9f764efbbbf61")), "\ufeffa")


if __name__ == "__main__":
    unittest.main()
