"""Load Pyodide packages straight from its lock file, and fail loudly.

`pyodide.loadPackage` fetches each wheel next to pyodide.mjs, checks it against
the sha256 in pyodide-lock.json, and installs it: no micropip, no index. It
reports a failed download through `errorCallback` and still resolves, so the
errors are collected here and raised.
"""

from __future__ import annotations

import pyodide_js
from pyodide.ffi import create_proxy


class PackageError(RuntimeError):
    """A package could not be downloaded or installed."""


async def load_packages(*names: str) -> None:
    """Load the packages and their dependencies; raise PackageError naming what failed."""
    errors: list[str] = []
    on_error = create_proxy(errors.append)
    try:
        await pyodide_js.loadPackage(list(names), checkIntegrity=True, errorCallback=on_error)
    finally:
        on_error.destroy()
    if errors:
        raise PackageError(f"could not load {', '.join(names)}: {errors[0]}")
