"""The last trained (or uploaded) model, kept in IndexedDB so it survives a reload.

For any part of the page that needs the model (the run log's download, the drawing pad):

    data = await load_last_model()   # bytes of a `.npz` (model_io format) or None
    await save_last_model(data)      # replaces it; raises ModelStoreError if storage fails

After a save, window receives a `mnist-sorter:model-saved` event. The bytes are
stored as they are; `mnist_sorter.model_io.load_model` checks them when read.
Database `mnist-sorter-models` (prefixed: GitHub Pages sites share one origin),
store `models`, key `last`, value {bytes: ArrayBuffer, saved: ISO time}.
"""

from __future__ import annotations

import asyncio

import js
from pyodide.ffi import create_proxy, to_js

DB_NAME = "mnist-sorter-models"
STORE = "models"
LAST = "last"
SAVED_EVENT = "mnist-sorter:model-saved"


class ModelStoreError(RuntimeError):
    """IndexedDB could not be opened, read or written."""


def _settle(target, ok: str = "onsuccess", fail: str = "onerror", extra: str | None = None) -> asyncio.Future:
    """Return a future settled by an IndexedDB request's (or transaction's) events."""
    future = asyncio.get_running_loop().create_future()
    proxies = []

    def finish(result=None, error=None) -> None:
        for proxy in proxies:
            proxy.destroy()
        if future.done():
            return
        if error is not None:
            future.set_exception(ModelStoreError(error))
        else:
            future.set_result(result)

    def on_ok(event) -> None:
        finish(result=getattr(target, "result", None) if ok == "onsuccess" else None)

    def on_fail(event) -> None:
        problem = getattr(target, "error", None)
        finish(error=str(getattr(problem, "message", "") or problem or "the browser refused"))

    for name, handler in ((ok, on_ok), (fail, on_fail), *(((extra, on_fail),) if extra else ())):
        proxy = create_proxy(handler)
        proxies.append(proxy)
        setattr(target, name, proxy)
    return future


async def _open():
    try:
        opening = js.indexedDB.open(DB_NAME, 1)
    except Exception as error:  # storage disabled: open() itself throws
        raise ModelStoreError(str(error)) from None
    upgrade = create_proxy(lambda event: opening.result.createObjectStore(STORE))
    opening.onupgradeneeded = upgrade
    try:
        return await _settle(opening)
    finally:
        upgrade.destroy()


async def save_last_model(data: bytes) -> None:
    """Keep `data` (a model file's bytes) as the last model."""
    database = await _open()
    try:
        array = js.Uint8Array.new(len(data))
        array.assign(data)
        record = to_js({"bytes": array.buffer, "saved": js.Date.new().toISOString()},
                       dict_converter=js.Object.fromEntries)
        transaction = database.transaction(STORE, "readwrite")
        done = _settle(transaction, "oncomplete", "onerror", "onabort")
        transaction.objectStore(STORE).put(record, LAST)
        await done
    finally:
        database.close()
    js.window.dispatchEvent(js.CustomEvent.new(SAVED_EVENT))


async def load_last_model() -> bytes | None:
    """Return the last model's bytes, or None if none is kept (or storage is unusable)."""
    try:
        database = await _open()
    except ModelStoreError:
        return None
    try:
        record = await _settle(database.transaction(STORE).objectStore(STORE).get(LAST))
    except ModelStoreError:
        return None
    finally:
        database.close()
    if record is None or not hasattr(record, "bytes"):
        return None
    return record.bytes.to_bytes()
