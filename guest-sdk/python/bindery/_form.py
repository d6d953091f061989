"""Blob, File and FormData, as Cloudflare's Python SDK (``workers``) has
them: ``await request.form_data()`` parses a urlencoded or multipart body
into a FormData; a FormData given as a Response body is sent as
multipart/form-data."""

import os as _os
from urllib.parse import parse_qsl as _parse_qsl

from ._js import ArrayBuffer

__all__ = ["Blob", "File", "FormData", "encode_form", "parse_form", "parse_params"]


def _part_bytes(p):
    if isinstance(p, Blob):
        return p._data
    if isinstance(p, str):
        return p.encode()
    if isinstance(p, (bytes, bytearray, memoryview)):
        return bytes(p)
    raise TypeError(f"a Blob part must be str, bytes-like or a Blob, not {type(p).__name__}")


class Blob:
    """Immutable bytes with a content type: ``Blob(parts, content_type=None)``;
    parts is one str, bytes-like or Blob, or an iterable of them."""

    def __init__(self, blob_parts=(), content_type=None, endings=None):
        if isinstance(blob_parts, (str, bytes, bytearray, memoryview, Blob)):
            if content_type is None and isinstance(blob_parts, Blob):
                content_type = blob_parts.content_type
            blob_parts = [blob_parts]
        self._data = b"".join(_part_bytes(p) for p in blob_parts)
        self.content_type = content_type or ""

    @property
    def size(self):
        return len(self._data)

    @property
    def type(self):
        return self.content_type

    async def bytes(self):
        return self._data

    async def text(self):
        return self._data.decode()

    async def arrayBuffer(self):
        return ArrayBuffer(self._data)

    def slice(self, start=None, end=None, content_type=None):
        return Blob(self._data[start:end], content_type)

    def __repr__(self):
        return f"<Blob {self.size} bytes {self.content_type!r}>"


class File(Blob):
    """A Blob with a file name (a multipart form's file field)."""

    def __init__(self, blob_parts, filename, content_type=None, endings=None, last_modified=None):
        super().__init__(blob_parts, content_type)
        self.name = filename
        self.last_modified = last_modified or 0

    @property
    def lastModified(self):
        return self.last_modified

    def __repr__(self):
        return f"<File {self.name!r} {self.size} bytes {self.content_type!r}>"


class FormData:
    """Form fields in order; a name may repeat. ``fd[name]`` and
    ``fd.get(name)`` are the first value (a str, or a File for a file
    field), ``get_all(name)`` every one; ``keys()``, ``values()``,
    ``items()``, ``append``, ``set``, ``delete``, ``in``, ``len``. A dict
    makes one: ``FormData({"a": "1"})``."""

    def __init__(self, form_data=None):
        self._items = []
        if form_data is None:
            return
        if isinstance(form_data, FormData):
            self._items = list(form_data._items)
        elif isinstance(form_data, dict):
            for k, v in form_data.items():
                self.append(k, v)
        else:
            raise TypeError("FormData takes a dict or a FormData")

    @classmethod
    def new(cls, form_data=None):
        return cls(form_data)

    def _value(self, value, filename=None):
        if isinstance(value, Blob):
            if filename is not None or not isinstance(value, File):
                return File([value], filename or "blob", value.content_type)
            return value
        return str(value)

    def append(self, key, value, filename=None):
        self._items.append((str(key), self._value(value, filename)))

    def set(self, key, value, filename=None):
        self.delete(key)
        self.append(key, value, filename)

    def delete(self, key):
        self._items = [(k, v) for k, v in self._items if k != key]

    def get(self, key, default=None):
        for k, v in self._items:
            if k == key:
                return v
        return default

    def get_all(self, key):
        return [v for k, v in self._items if k == key]

    getAll = get_all

    def has(self, key):
        return any(k == key for k, _ in self._items)

    def keys(self):
        seen = []
        for k, _ in self._items:
            if k not in seen:
                seen.append(k)
        return seen

    def values(self):
        return [v for _, v in self._items]

    def items(self):
        return list(self._items)

    entries = items

    def __getitem__(self, key):
        for k, v in self._items:
            if k == key:
                return v
        raise KeyError(key)

    def __setitem__(self, key, value):
        self.set(key, value)

    def __delitem__(self, key):
        if not self.has(key):
            raise KeyError(key)
        self.delete(key)

    def __contains__(self, key):
        return self.has(key)

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __repr__(self):
        return f"FormData({self._items!r})"


def parse_params(value):
    """Splits a header value such as 'form-data; name="a"; filename="b.txt"'
    into ("form-data", {"name": "a", "filename": "b.txt"}) (names
    lower-cased, quoted strings unquoted)."""
    parts, cur, quoted, i = [], [], False, 0
    while i < len(value):
        c = value[i]
        if quoted and c == "\\" and i + 1 < len(value):
            cur.append(value[i + 1])
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == ";" and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    params = {}
    for p in parts[1:]:
        k, sep, v = p.partition("=")
        if sep:
            params[k.strip().lower()] = v.strip()
    return parts[0].strip().lower(), params


def parse_form(content_type, data):
    """A FormData from a body: application/x-www-form-urlencoded or
    multipart/form-data (by content_type). Anything else, or a malformed
    multipart body, is a TypeError (as formData() throws in JavaScript)."""
    kind, params = parse_params(content_type or "")
    fd = FormData()
    if kind == "application/x-www-form-urlencoded":
        for k, v in _parse_qsl(data.decode(), keep_blank_values=True):
            fd.append(k, v)
        return fd
    if kind != "multipart/form-data":
        raise TypeError(f"cannot parse a form from a body of content-type {content_type!r} (want multipart/form-data or application/x-www-form-urlencoded)")
    boundary = params.get("boundary")
    if not boundary:
        raise TypeError("a multipart/form-data body needs a boundary in its content-type")
    chunks = (b"\r\n" + data).split(b"\r\n--" + boundary.encode())
    if len(chunks) < 2:
        raise TypeError("the multipart body has no part with its boundary")
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            return fd
        _, sep, part = chunk.partition(b"\r\n")
        if not sep:
            break
        head, sep, body = part.partition(b"\r\n\r\n")
        if not sep:
            if not part.endswith(b"\r\n"):
                raise TypeError("a multipart part has no blank line after its headers")
            head, body = part[:-2], b""
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            k, sep, v = line.partition(":")
            if sep:
                headers[k.strip().lower()] = v.strip()
        disposition, dp = parse_params(headers.get("content-disposition", ""))
        if disposition != "form-data" or "name" not in dp:
            raise TypeError("a multipart part has no content-disposition form-data with a name")
        if "filename" in dp:
            fd.append(dp["name"], File(body, dp["filename"], headers.get("content-type", "application/octet-stream")))
        else:
            fd.append(dp["name"], body.decode("utf-8", "replace"))
    raise TypeError("the multipart body does not end with its closing boundary")


def _quote_param(s):
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "%0D").replace("\n", "%0A")


def encode_form(fd):
    """(body, content_type): fd as multipart/form-data."""
    boundary = "----bindery" + _os.urandom(12).hex()
    out = []
    for k, v in fd.items():
        out.append(f"--{boundary}\r\n".encode())
        if isinstance(v, File):
            out.append(f'content-disposition: form-data; name="{_quote_param(k)}"; filename="{_quote_param(v.name)}"\r\n'.encode())
            out.append(f"content-type: {v.content_type or 'application/octet-stream'}\r\n\r\n".encode())
            out.append(v._data)
        else:
            out.append(f'content-disposition: form-data; name="{_quote_param(k)}"\r\n\r\n'.encode())
            out.append(v.encode())
        out.append(b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"
