"""Web Locks that say which runs some open tab is still training.

A tab holds `mnist-sorter:run:<id>` while it trains that run; the browser
releases it when the tab closes or reloads. A page that finds a run still
"running" in the log but no one holding its lock knows the run was interrupted.
Where Web Locks are missing (http on another host), every such run counts as interrupted.
"""

from __future__ import annotations

import js
from pyodide.ffi import JsException, create_once_callable

LOCK_PREFIX = "mnist-sorter:run:"


def hold_lock(run_id: str):
    """Hold a Web Lock until the returned function is called (a no-op where locks are missing)."""
    locks = getattr(js.navigator, "locks", None)
    if locks is None:
        return lambda: None
    release = {}
    held = js.Promise.new(create_once_callable(lambda resolve, reject: release.update(resolve=resolve)))
    locks.request(LOCK_PREFIX + run_id, create_once_callable(lambda lock: held))
    return lambda: release["resolve"]()


async def held_run_locks() -> set[str]:
    """Return the ids of runs some tab is training now (their Web Locks are held)."""
    locks = getattr(js.navigator, "locks", None)
    if locks is None:
        return set()
    try:
        snapshot = await locks.query()
    except JsException:
        return set()
    return {str(lock.name)[len(LOCK_PREFIX):] for lock in snapshot.held
            if str(lock.name).startswith(LOCK_PREFIX)}
