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
    """Wait until `<html data-state>` is `state`; fail at once if it becomes "error"."""
    page.wait_for_function(
        """state => {
            const current = document.documentElement.dataset.state;
            if (current === "error" && state !== "error") {
                throw new Error("page entered the error state: "
                    + document.getElementById("load-error").textContent);
            }
            return current === state;
        }""", arg=state, timeout=timeout, polling="raf")


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky chart panel follows the scroll
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
