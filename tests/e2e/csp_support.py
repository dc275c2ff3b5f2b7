"""Browser tests under the page's Content-Security-Policy (script-src without 'unsafe-eval').

Two pieces, installed by conftest.py:
- CSP_WATCH, an init script that reports every `securitypolicyviolation` event to the
  test (through a binding), so that any violation fails the test;
- `Page.wait_for_function` re-implemented by polling `page.evaluate`: Playwright's own
  evaluates its predicate with `eval()` inside the page, which the page's CSP rightly
  refuses, while `evaluate` goes through the DevTools protocol, which CSP does not govern.
  Same arguments, same results: the predicate may be an expression or a function of `arg`,
  and an exception thrown by it fails the wait at once.
"""

from __future__ import annotations

import time

from playwright.sync_api import Error, Page, TimeoutError

from e2e_helpers import LOAD_TIMEOUT_MS

CSP_WATCH = """document.addEventListener("securitypolicyviolation", (event) => {
    globalThis.mnistSorterCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
        + ` at ${event.sourceFile}:${event.lineNumber} (${(event.sample || "").slice(0, 80)})`);
}, true);"""

POLL_MS = 20
NAVIGATING = ("Execution context was destroyed", "Cannot find context", "frame was detached")


def wait_for_function(self: Page, expression: str, *, arg=None, timeout: float | None = None,
                      polling=None):
    """Wait until `expression` (or the function, called with `arg`) returns a truthy value."""
    timeout = LOAD_TIMEOUT_MS if timeout is None else timeout  # strict pages use this default
    interval = POLL_MS if polling in (None, "raf") else max(float(polling), 1.0)
    deadline = time.monotonic() + timeout / 1000 if timeout else float("inf")
    while True:
        try:
            value = self.evaluate(expression, arg)
        except Error as error:
            if not any(text in error.message for text in NAVIGATING):
                raise
            value = None
        if value:
            return self.evaluate_handle("value => value", value)
        if time.monotonic() > deadline:
            raise TimeoutError(f"Page.wait_for_function: Timeout {timeout:.0f}ms exceeded "
                               f"waiting for {expression[:200]}")
        self.wait_for_timeout(interval)


def install() -> None:
    """Replace Playwright's eval-based Page.wait_for_function with the polling one above."""
    Page.wait_for_function = wait_for_function
