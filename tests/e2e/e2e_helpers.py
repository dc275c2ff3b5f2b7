"""Constants and helpers shared by the browser tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "site"
PREFIX = "/mnist-sorter/"  # served under a sub-path, as GitHub Pages does
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots")
LOAD_TIMEOUT_MS = 90_000  # a cold start takes ~5 s; leave room for a loaded machine


def wait_for_state(page, state: str, timeout: float = LOAD_TIMEOUT_MS) -> None:
    """Wait until `<html data-state>` is `state`; fail at once if it becomes "error".

    Waits on a selector, not a JavaScript predicate: the page's Content-Security-Policy
    forbids the string evaluation `wait_for_function` relies on.
    """
    wanted = f'html[data-state="{state}"]'
    if state != "error":
        wanted += ', html[data-state="error"]'
    page.locator(wanted).wait_for(state="attached", timeout=timeout)
    if state != "error" and page.locator("html").get_attribute("data-state") == "error":
        raise AssertionError("page entered the error state: "
                             + (page.locator("#load-error").text_content() or ""))


def wait_for_charts(page) -> None:
    """Wait for matplotlib's background load: leaving earlier aborts fetches (console errors)."""
    page.locator('html[data-charts="ready"]').wait_for(state="attached")


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky chart panel follows the scroll
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
