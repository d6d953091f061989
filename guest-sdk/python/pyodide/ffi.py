"""``pyodide.ffi`` for Workers run by Bindery: there is no JavaScript
runtime, and the ``js`` module's objects are Python objects, so ``to_js``
returns its argument (dicts become JsObjects, which ``Object.fromEntries``
would make), and ``create_proxy`` returns the object itself."""

from bindery import JsArray, JsException, JsObject, JsProxy
from bindery._js import ArrayBuffer as JsBuffer
from bindery._js import to_js as _to_js

__all__ = ["JsArray", "JsBuffer", "JsException", "JsObject", "JsProxy", "create_once_callable", "create_proxy", "destroy_proxies", "to_js"]


def to_js(obj, *, depth=-1, pyproxies=None, create_pyproxies=True, dict_converter=None, default_converter=None, eager_converter=None):
    """obj, with dicts as JsObjects (whatever dict_converter is)."""
    return _to_js(obj)


def create_proxy(obj, *, capture_this=False, roundtrip=True):
    return obj


def create_once_callable(obj, *, _may_syncify=False):
    return obj


def destroy_proxies(proxies):
    pass
