"""Files in and out of the page: a download from bytes or text, and the bytes of a chosen file."""

from __future__ import annotations

import js
from pyodide.ffi import create_once_callable, to_js


def download(filename: str, data: bytes | str, mime: str) -> None:
    """Offer `data` as a file download (a Blob behind a temporary object URL)."""
    if isinstance(data, str):
        part = data
    else:
        part = js.Uint8Array.new(len(data))
        part.assign(data)
    blob = js.Blob.new(to_js([part]), to_js({"type": mime}, dict_converter=js.Object.fromEntries))
    url = js.URL.createObjectURL(blob)
    link = js.document.createElement("a")
    link.href = url
    link.download = filename
    link.hidden = True
    js.document.body.appendChild(link)
    link.click()
    link.remove()
    # The download has its own copy once started; free the Blob a little later.
    js.setTimeout(create_once_callable(lambda: js.URL.revokeObjectURL(url)), 10_000)


def chosen_file(file_input):
    """Return the File picked in an <input type=file>, or None."""
    files = file_input.files
    return files.item(0) if files is not None and files.length else None


async def file_bytes(file) -> bytes:
    """Read a File whole."""
    return (await file.arrayBuffer()).to_bytes()
