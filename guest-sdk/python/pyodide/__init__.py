"""The parts of Pyodide's ``pyodide`` package that Cloudflare Python
Workers import (``pyodide.ffi``), for Workers run by Bindery, where there
is no JavaScript: ``to_js`` gives the Python value back (dicts as
JsObjects), proxies are the objects themselves."""
