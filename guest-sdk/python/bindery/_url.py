"""URL and URLSearchParams as JavaScript has them (WHATWG URL, the parts
Workers use), for ``from js import URL``: ``URL.new(request.url).pathname``,
``url.searchParams.get("q")``."""

from urllib.parse import parse_qsl as _parse_qsl
from urllib.parse import quote as _quote
from urllib.parse import quote_plus as _quote_plus
from urllib.parse import urljoin as _urljoin
from urllib.parse import urlsplit as _urlsplit

__all__ = ["URL", "URLSearchParams"]

_DEFAULT_PORTS = {"http:": "80", "https:": "443", "ws:": "80", "wss:": "443", "ftp:": "21"}


def _form_encode(s):
    # application/x-www-form-urlencoded as URLSearchParams writes it: space
    # is "+", and only ASCII alphanumerics and *-._ stay as they are.
    return _quote_plus(s, safe="*").replace("~", "%7E")


class URLSearchParams:
    """A URL's query: ordered name/value pairs, a name may repeat.
    ``URLSearchParams.new(init)`` or ``URLSearchParams(init)``; init is a
    query string (a leading "?" is dropped), a dict or pairs."""

    def __init__(self, init=None):
        self._pairs = []
        self._owner = None
        if init is None:
            return
        if isinstance(init, URLSearchParams):
            self._pairs = list(init._pairs)
        elif isinstance(init, str):
            self._pairs = _parse_qsl(init[1:] if init.startswith("?") else init, keep_blank_values=True)
        elif isinstance(init, dict):
            self._pairs = [(str(k), str(v)) for k, v in init.items()]
        else:
            self._pairs = [(str(k), str(v)) for k, v in init]

    @classmethod
    def new(cls, init=None):
        return cls(init)

    def _changed(self):
        if self._owner is not None:
            self._owner._query = self.toString()

    def get(self, name):
        """The first value of name, or None (JavaScript's null)."""
        for k, v in self._pairs:
            if k == name:
                return v
        return None

    def getAll(self, name):
        return [v for k, v in self._pairs if k == name]

    get_all = getAll

    def has(self, name):
        return any(k == name for k, _ in self._pairs)

    def append(self, name, value):
        self._pairs.append((str(name), str(value)))
        self._changed()

    def set(self, name, value):
        name, value = str(name), str(value)
        out, done = [], False
        for k, v in self._pairs:
            if k == name:
                if not done:
                    out.append((name, value))
                    done = True
            else:
                out.append((k, v))
        if not done:
            out.append((name, value))
        self._pairs = out
        self._changed()

    def delete(self, name):
        self._pairs = [(k, v) for k, v in self._pairs if k != name]
        self._changed()

    def sort(self):
        self._pairs.sort(key=lambda kv: kv[0])
        self._changed()

    def entries(self):
        return iter(list(self._pairs))

    def keys(self):
        return iter([k for k, _ in self._pairs])

    def values(self):
        return iter([v for _, v in self._pairs])

    def items(self):
        return list(self._pairs)

    @property
    def size(self):
        return len(self._pairs)

    def __iter__(self):
        return iter(list(self._pairs))

    def __len__(self):
        return len(self._pairs)

    def __contains__(self, name):
        return self.has(name)

    def toString(self):
        return "&".join(f"{_form_encode(k)}={_form_encode(v)}" for k, v in self._pairs)

    def __str__(self):
        return self.toString()

    def __repr__(self):
        return f"URLSearchParams({self.toString()!r})"


class URL:
    """An absolute URL, parsed: ``URL.new(url, base=None)`` or
    ``URL(url, base)``. Properties as in JavaScript: href, origin, protocol,
    username, password, host, hostname, port, pathname, search,
    searchParams, hash. A URL that is not absolute (and has no base) raises
    TypeError, as ``new URL`` throws."""

    def __init__(self, url, base=None):
        url = str(url)
        if base is not None:
            url = _urljoin(str(base), url)
        try:
            p = _urlsplit(url)
            port = p.port
        except ValueError as e:
            raise TypeError(f"Invalid URL: {url!r} ({e})") from None
        if not p.scheme or (p.scheme in ("http", "https", "ws", "wss", "ftp") and not p.hostname):
            raise TypeError(f"Invalid URL: {url!r}")
        self.protocol = p.scheme.lower() + ":"
        self.username = p.username or ""
        self.password = p.password or ""
        host = (p.hostname or "").lower()
        self.hostname = f"[{host}]" if ":" in host else host
        self.port = "" if port is None or str(port) == _DEFAULT_PORTS.get(self.protocol) else str(port)
        path = p.path
        if not path and self.protocol in _DEFAULT_PORTS:
            path = "/"
        self.pathname = _quote(path, safe="/%:@!$&'()*+,;=-._~")
        self._query = p.query
        self._params = None
        self._fragment = p.fragment

    @classmethod
    def new(cls, url, base=None):
        return cls(url, base)

    @classmethod
    def canParse(cls, url, base=None):
        try:
            cls(url, base)
            return True
        except TypeError:
            return False

    @property
    def host(self):
        return self.hostname + (":" + self.port if self.port else "")

    @property
    def origin(self):
        return f"{self.protocol}//{self.host}"

    @property
    def search(self):
        return "?" + self._query if self._query else ""

    @search.setter
    def search(self, value):
        value = str(value)
        self._query = value[1:] if value.startswith("?") else value
        if self._params is not None:
            self._params._pairs = URLSearchParams(self._query)._pairs

    @property
    def searchParams(self):
        if self._params is None:
            self._params = URLSearchParams(self._query)
            self._params._owner = self
        return self._params

    @property
    def hash(self):
        return "#" + self._fragment if self._fragment else ""

    @hash.setter
    def hash(self, value):
        value = str(value)
        self._fragment = value[1:] if value.startswith("#") else value

    @property
    def href(self):
        auth = ""
        if self.username or self.password:
            auth = self.username + (":" + self.password if self.password else "") + "@"
        return f"{self.protocol}//{auth}{self.host}{self.pathname}{self.search}{self.hash}"

    def toString(self):
        return self.href

    toJSON = toString

    def __str__(self):
        return self.href

    def __repr__(self):
        return f"URL({self.href!r})"

    def __eq__(self, other):
        return isinstance(other, URL) and other.href == self.href

    def __hash__(self):
        return hash(self.href)
