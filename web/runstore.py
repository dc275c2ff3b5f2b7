"""The run log in localStorage: one key holding the whole log as `runlog.export_log` text.

localStorage writes a key whole or not at all, so a record is never half
written. Every change re-reads the stored log and applies itself to that, so
two tabs each adding their own runs do not erase each other's. A stored log
that does not parse is never overwritten: it is copied to CORRUPT_KEY first,
and if even that copy fails, nothing is written until the user deals with it.
The rules (what a valid log is, how runs merge) live in `mnist_sorter.runlog`.
"""

from __future__ import annotations

from typing import Callable

import js

from mnist_sorter.runlog import LogFullError, RunLogError, export_log, parse_import

LOG_KEY = "mnist-sorter:runs:v1"  # GitHub Pages sites share one origin: prefix every key
CORRUPT_KEY = LOG_KEY + ":corrupt"


class StorageFull(Exception):
    """The log could not be written: the browser's storage (or the log's 2 MB limit) is full."""


class StorageBlocked(Exception):
    """The log cannot be written at all (storage disabled, or a damaged log not yet set aside)."""


def is_quota_error(error: Exception) -> bool:
    """Say whether a JavaScript exception is the browser refusing more storage."""
    name = str(getattr(error, "name", "") or "")
    return name in ("QuotaExceededError", "NS_ERROR_DOM_QUOTA_REACHED") or "QuotaExceeded" in str(error)


def replace_run(runs: list[dict], run: dict) -> list[dict]:
    """Return the log with `run` put in place of the run with its id (or added at the end)."""
    replaced = [run if other["id"] == run["id"] else other for other in runs]
    return replaced if any(other["id"] == run["id"] for other in runs) else [*runs, run]


class RunStore:
    """Read and change the stored log; `problem` is news for the user (damage found, no storage)."""

    def __init__(self) -> None:
        self.problem = ""  # what the user should know about the stored log
        self.writable = True
        self._known = (None, [])  # (text, runs) last read or written: skip parsing it again
        try:
            self.storage = js.window.localStorage
            self.storage.getItem(LOG_KEY)
        except Exception:  # storage disabled (privacy settings, sandboxed frames)
            self.storage = None
            self.writable = False
            self.problem = "This browser does not let the page keep data, so runs are not saved."

    def read(self) -> list[dict]:
        """Return the stored runs ([] when none). A damaged log is set aside, never lost."""
        if self.storage is None:
            return []
        text = self.storage.getItem(LOG_KEY)
        if text is None:
            return []
        text = str(text)
        if text == self._known[0]:  # records are never changed in place, so sharing them is safe
            return list(self._known[1])
        try:
            runs = parse_import(text)
        except RunLogError as error:
            self._set_aside(text, str(error))
            return []
        self._known = (text, runs)
        return list(runs)

    def _set_aside(self, text: str, reason: str) -> None:
        try:
            self.storage.setItem(CORRUPT_KEY, text)
        except Exception:
            self.writable = False
            self.problem = (f"The saved run log is damaged ({reason}) and could not be set aside, "
                            f"so it is left as it is under {LOG_KEY} and new runs are not saved.")
            return
        self.storage.removeItem(LOG_KEY)
        self.problem = (f"The saved run log was damaged ({reason}); it was kept aside under "
                        f"{CORRUPT_KEY} and a new log begins.")

    def update(self, change: Callable[[list[dict]], list[dict]]) -> list[dict]:
        """Apply `change` to the stored runs and write them; return the runs written.

        Raise StorageFull (the caller offers to delete old runs) or StorageBlocked.
        """
        stored = self.read()
        if not self.writable:  # no storage, or read() found a log it could not set aside
            raise StorageBlocked(self.problem)
        runs = change(stored)
        try:
            text = export_log(runs)
        except LogFullError as error:
            raise StorageFull(f"the run log is too big to keep ({error})") from None
        try:
            self.storage.setItem(LOG_KEY, text)
        except Exception as error:
            if is_quota_error(error):
                raise StorageFull("this browser's storage for the page is full") from None
            raise StorageBlocked(f"The run log could not be saved ({error}).") from None
        self._known = (text, runs)
        return runs
