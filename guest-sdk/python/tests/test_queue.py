"""Tests of bindery/_queue.py under the machine's python3: what a queue
handler's calls record (workerd's first-call-wins rules and their
warnings), message bodies per content type, timestamps, retry options and
the scheduled controller. Run by queue_test.go (go test
./guest-sdk/python -run TestQueue), or directly: python3
guest-sdk/python/tests/test_queue.py

bindery/__init__.py needs componentize-py's generated bindings, so the
package is stood up here without it: _queue.py uses only bindery._js and
bindery.structured.
"""

import contextlib
import datetime
import io
import os
import sys
import types
import unittest

_SDK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
_pkg = types.ModuleType("bindery")
_pkg.__path__ = [os.path.join(_SDK, "bindery")]
sys.modules["bindery"] = _pkg

from bindery import _queue as q  # noqa: E402
from bindery import structured  # noqa: E402
from bindery._js import ArrayBuffer, JsArray, JsObject  # noqa: E402

_IDS = ["%032x" % i for i in range(3)]


def batch(n=3):
    return q.MessageBatch("jobs", [(_IDS[i], 1700000000000 + i, b"x", "text", 1) for i in range(n)])


def run(ops, n=3):
    """Runs ops on a batch of n messages: ("ack", i), ("retry", i[, delay]),
    ("ackAll",), ("retryAll"[, delay]). Returns the outcome as a tuple and
    the warnings (stderr lines)."""
    b = batch(n)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        for op in ops:
            if op[0] == "ack":
                b.messages[op[1]].ack()
            elif op[0] == "retry":
                b.messages[op[1]].retry(*op[2:])
            elif op[0] == "ackAll":
                b.ackAll()
            elif op[0] == "retryAll":
                b.retryAll(*op[1:])
            else:
                raise ValueError(op)
    o = b._outcome
    return (list(o.acked), list(o.retried.items()), o.ack_all, o.retry_all, o.retry_all_delay), err.getvalue().splitlines()


class OutcomeTest(unittest.TestCase):
    def test_rules(self):
        # (name, ops, (acked, retried, ack_all, retry_all, retry_all_delay), warnings that must appear, in order)
        cases = [
            ("nothing", [], ([], [], False, False, None), []),
            ("acks in call order", [("ack", 2), ("ack", 0)], ([2, 0], [], False, False, None), []),
            ("ack twice is one ack", [("ack", 1), ("ack", 1)], ([1], [], False, False, None), []),
            ("retry with and without delay", [("retry", 0, 30), ("retry", 1)],
             ([], [(0, 30), (1, None)], False, False, None), []),
            ("ack then retry: the ack wins", [("ack", 0), ("retry", 0)], ([0], [], False, False, None),
             ["retry() on message " + _IDS[0] + " after ack()"]),
            ("retry then ack: the retry wins", [("retry", 0, 5), ("ack", 0)], ([], [(0, 5)], False, False, None),
             ["ack() on message " + _IDS[0] + " after retry()"]),
            ("a second retry keeps the first delay when it gives none", [("retry", 0, 5), ("retry", 0)],
             ([], [(0, 5)], False, False, None), []),
            ("a second retry's delay replaces the first", [("retry", 0, 5), ("retry", 0, 9)],
             ([], [(0, 9)], False, False, None), []),
            ("ackAll", [("ackAll",)], ([], [], True, False, None), []),
            ("ack after ackAll: silent, no effect", [("ackAll",), ("ack", 0)], ([], [], True, False, None), []),
            ("retry after ackAll: no effect", [("ackAll",), ("retry", 0)], ([], [], True, False, None),
             ["retry() on message " + _IDS[0] + " after ackAll()"]),
            ("retryAll with a delay", [("retryAll", 60)], ([], [], False, True, 60), []),
            ("ack after retryAll: no effect", [("retryAll",), ("ack", 1)], ([], [], False, True, None),
             ["ack() on message " + _IDS[1] + " after retryAll()"]),
            ("retry after retryAll is recorded", [("retryAll",), ("retry", 1, 3)], ([], [(1, 3)], False, True, None), []),
            ("ackAll after retryAll: no effect", [("retryAll", 7), ("ackAll",)], ([], [], False, True, 7),
             ["ackAll() after retryAll()"]),
            ("retryAll after ackAll: no effect", [("ackAll",), ("retryAll", 7)], ([], [], True, False, None),
             ["retryAll() after ackAll()"]),
            ("acks before retryAll stay", [("ack", 0), ("retryAll",)], ([0], [], False, True, None), []),
            ("retries before ackAll stay", [("retry", 2), ("ackAll",)], ([], [(2, None)], True, False, None), []),
            ("a second retryAll's delay replaces the first", [("retryAll", 1), ("retryAll", 2)],
             ([], [], False, True, 2), []),
            ("a second retryAll without a delay keeps it", [("retryAll", 1), ("retryAll",)],
             ([], [], False, True, 1), []),
        ]
        for name, ops, want, warnings in cases:
            with self.subTest(name):
                got, warned = run(ops)
                self.assertEqual(got, want)
                self.assertEqual(len(warned), len(warnings), warned)
                for w, line in zip(warnings, warned):
                    self.assertIn("Received a call to " + w, line)
                    self.assertIn("has no effect", line)

    def test_retry_options(self):
        cases = [
            ("positional dict", lambda m: m.retry({"delaySeconds": 4}), 4),
            ("camelCase keyword", lambda m: m.retry(delaySeconds=5), 5),
            ("snake_case keyword", lambda m: m.retry(delay_seconds=6), 6),
            ("JsObject", lambda m: m.retry(JsObject(delaySeconds=7)), 7),
            ("no options", lambda m: m.retry(), None),
            ("zero", lambda m: m.retry(delaySeconds=0), 0),
        ]
        for name, f, want in cases:
            with self.subTest(name):
                b = batch(1)
                f(b.messages[0])
                self.assertEqual(b._outcome.retried, {0: want})
        bad = [
            ("unknown option", lambda m: m.retry(delay=5), TypeError),
            ("a str delay", lambda m: m.retry(delaySeconds="5"), TypeError),
            ("a float delay", lambda m: m.retry(delaySeconds=1.5), TypeError),
            ("a bool delay", lambda m: m.retry(delaySeconds=True), TypeError),
            ("negative", lambda m: m.retry(delaySeconds=-1), ValueError),
            ("over u32", lambda m: m.retry(delaySeconds=1 << 32), ValueError),
            ("options not a dict", lambda m: m.retry("5"), TypeError),
        ]
        for name, f, exc in bad:
            with self.subTest(name):
                b = batch(1)
                with self.assertRaises(exc):
                    f(b.messages[0])
                self.assertEqual(b._outcome.retried, {})
        b = batch(1)
        b.retry_all(delay_seconds=9)
        self.assertEqual((b._outcome.retry_all, b._outcome.retry_all_delay), (True, 9))
        b = batch(1)
        b.retry_all({"delaySeconds": 10})
        self.assertEqual(b._outcome.retry_all_delay, 10)
        with self.assertRaises(ValueError):
            batch(1).retryAll(delaySeconds=-3)


class BodyTest(unittest.TestCase):
    def test_round_trip(self):
        value = {"key": "k", "n": 1.5, "b": b"\x00\x01\xff", "list": [1, {"x": None}]}
        cases = [
            ("text", "héllo ✓", str, "héllo ✓".encode()),
            ("text", "", str, b""),
            ("bytes", b"\x00\xff", ArrayBuffer, b"\x00\xff"),
            ("bytes", bytearray(b"ab"), ArrayBuffer, b"ab"),
            ("bytes", memoryview(b"cd"), ArrayBuffer, b"cd"),
            ("json", {"key": "k", "a": [1, 2.5, True, None], "s": "é"}, JsObject,
             '{"key":"k","a":[1,2.5,true,null],"s":"é"}'.encode()),
            ("json", "just a string", str, b'"just a string"'),
            ("json", [1, {"a": [2]}], JsArray, b'[1,{"a":[2]}]'),
            ("json", None, type(None), b"null"),
            ("v8", value, JsObject, structured.dumps(value)),
            ("v8", "x", str, structured.dumps("x")),
            ("v8", [1, 2], JsArray, structured.dumps([1, 2])),
        ]
        for ct, body, typ, data in cases:
            with self.subTest(f"{ct} {body!r}"):
                got = q.encode(body, ct)
                self.assertEqual(got, data)
                back = q.decode(got, ct)
                self.assertIsInstance(back, typ)
                want = bytes(body) if ct == "bytes" else body
                self.assertEqual(back, want)

    def test_json_values_as_javascript(self):
        back = q.decode(b'{"l":[{"x":1}],"o":{"y":[]}}', "json")
        self.assertIsInstance(back, JsObject)
        self.assertIsInstance(back.l, JsArray)
        self.assertIsInstance(back.l[0], JsObject)
        self.assertEqual(back.o.y.to_py(), [])
        self.assertEqual(back.to_py(), {"l": [{"x": 1}], "o": {"y": []}})

    def test_v8_values_as_javascript(self):
        back = q.decode(structured.dumps({"key": "k", "b": b"\x00\x01", "l": [{"x": 1}]}), "v8")
        self.assertEqual(back.key, "k")  # a JsObject: attributes and to_py()
        self.assertIsInstance(back.b, ArrayBuffer)
        self.assertEqual(back.b.to_bytes(), b"\x00\x01")
        self.assertIsInstance(back.l, JsArray)
        self.assertEqual(back.l[0].x, 1)
        self.assertEqual(back.to_py(), {"key": "k", "b": b"\x00\x01", "l": [{"x": 1}]})

    def test_default_and_case(self):
        self.assertEqual(q.DEFAULT_CONTENT_TYPE, "v8")
        self.assertEqual(q.encode({"a": 1}), structured.dumps({"a": 1}))
        self.assertEqual(q.content_type("JSON"), "json")
        self.assertEqual(q.encode([1], "Json"), b"[1]")

    def test_json_lone_surrogate_is_escaped(self):
        self.assertEqual(q.encode("a\udcff", "json"), b'"a\\udcff"')

    def test_refused(self):
        cases = [
            ("text", b"bytes", TypeError),
            ("text", 1, TypeError),
            ("text", "a\udcff", UnicodeEncodeError),
            ("bytes", "str", TypeError),
            ("bytes", 5, TypeError),
            ("json", {"f": print}, TypeError),
            ("json", float("nan"), ValueError),
            ("v8", print, structured.DataCloneError),
            ("xml", "x", TypeError),
            (None, "x", TypeError),
        ]
        for ct, body, exc in cases:
            with self.subTest(f"{ct} {body!r}"):
                with self.assertRaises(exc):
                    q.encode(body, ct)

    def test_text_not_utf8_reads_replaced(self):
        self.assertEqual(q.decode(b"a\xffb", "text"), "a\ufffdb")

    def test_body_decoded_when_read(self):
        b = q.MessageBatch("jobs", [(_IDS[0], 0, b"{not json", "json", 1), (_IDS[1], 0, b"[1]", "json", 2)])
        self.assertEqual(b.messages[1].body, [1])
        with self.assertRaises(ValueError):
            b.messages[0].body
        self.assertEqual(b.messages[1].attempts, 2)
        self.assertEqual(b.queue, "jobs")
        self.assertEqual(len(b.messages), 2)


class TimestampTest(unittest.TestCase):
    def test_ms(self):
        for ms in (0, 1, 999, 1700000000123, 1733616000000, -1, -1001, 253402300799999):
            with self.subTest(ms):
                d = q.QueueDate.from_ms(ms)
                self.assertEqual(d.getTime(), ms)
                self.assertEqual(d.valueOf(), ms)
                self.assertIsInstance(d, datetime.datetime)
                self.assertEqual(d.tzinfo, datetime.timezone.utc)
                self.assertEqual(d, datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
                                 + datetime.timedelta(milliseconds=ms))
                self.assertIs(type(d.to_py()), datetime.datetime)
        self.assertEqual(q.QueueDate.from_ms(1700000000123).toISOString(), "2023-11-14T22:13:20.123Z")

    def test_message(self):
        m = q.MessageBatch("jobs", [(_IDS[0], 1700000000123, b"hi", "text", 3)]).messages[0]
        self.assertEqual((m.id, m.timestamp.getTime(), m.body, m.attempts), (_IDS[0], 1700000000123, "hi", 3))


class ScheduledTest(unittest.TestCase):
    def test_controller(self):
        c = q.ScheduledController("*/5 * * * *", 1733616000000)
        self.assertEqual((c.cron, c.scheduled_time, c.scheduledTime, c.type),
                         ("*/5 * * * *", 1733616000000, 1733616000000, "scheduled"))
        self.assertIsNone(c.noRetry())
        self.assertIsNone(c.no_retry())


if __name__ == "__main__":
    unittest.main()
