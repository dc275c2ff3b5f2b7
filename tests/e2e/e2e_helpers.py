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


# Counts finished runs on <html data-test-finished-runs>: a short run can go from
# "training" back to "ready" between two polls, but never without a mutation record.
_RUN_COUNTER = """() => {
    if (window.__mnistSorterRunCounter) return;
    window.__mnistSorterRunCounter = true;
    const root = document.documentElement;
    let finished = 0;
    new MutationObserver(records => {
        for (const record of records) {
            if (record.oldValue === "training" && root.dataset.state !== "training") finished++;
        }
        root.setAttribute("data-test-finished-runs", String(finished));
    }).observe(root, {attributes: true, attributeFilter: ["data-state"], attributeOldValue: true});
}"""


def run_and_wait(page, start, timeout: float = 240_000) -> None:
    """Call `start()` (a click or a key press that starts a run), then wait until it ends."""
    page.evaluate(_RUN_COUNTER)
    before = int(page.locator("html").get_attribute("data-test-finished-runs") or 0)
    start()
    page.locator(f'html[data-test-finished-runs="{before + 1}"]').wait_for(state="attached",
                                                                           timeout=timeout)
    wait_for_state(page, "ready")


def wait_for_charts(page) -> None:
    """Wait for matplotlib's background load: leaving earlier aborts fetches (console errors)."""
    page.locator('html[data-charts="ready"]').wait_for(state="attached")


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky chart panel follows the scroll
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_page(strict, url_suffix: str = ""):
    """Open the app in a new page of a strict context and wait for `ready`."""
    page = strict.new_page()
    page.goto(strict.url + url_suffix)
    wait_for_state(page, "ready")
    return page


def fill(page, values: dict[str, str]) -> None:
    """Type text into form controls found by their exact accessible names."""
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)
