"""Faults and bad input, as a user meets them, in headless Chromium against the built site.

The data bundle's request fails (404, 500, connection reset, cut short, wrong bytes) at
start-up and in the middle of a session; IndexedDB is missing altogether; a learning rate
makes the loss diverge; every hyperparameter at and beyond its bounds; a URL hash full of
junk; model files that are not models. Each ends with a clear message, the form still
working and nothing the user had (stored runs, the trained network) lost. Related cases
live elsewhere: manifest 404 / missing wheel / IndexedDB refusing to open in
test_browser_page.py; full localStorage, a page closed mid-training and bad run-log imports
in test_runlog_page.py.
"""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest

from e2e_helpers import SITE, wait_for_state

pytestmark = pytest.mark.e2e

MANIFEST = json.loads((SITE / "data" / "manifest.json").read_text()) if (SITE / "data").exists() else {}
BUNDLES = {entry["name"]: entry for entry in MANIFEST.get("bundles", [])}
SMALL = {"Hidden layers": "16", "Epochs": "1", "Batch size": "64", "Seed": "2"}
LOG_KEY = "mnist-sorter:runs:v1"


def fill(page, values: dict[str, str]) -> None:
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)


def train_and_wait(page) -> None:
    """Click Train and wait for that run to end; short runs (0.4 s) are counted, not polled for."""
    runs = page.evaluate("""() => {
        if (window.__runsStarted === undefined) {
            window.__runsStarted = 0;
            new MutationObserver(() => {
                if (document.documentElement.dataset.state === "training") window.__runsStarted++;
            }).observe(document.documentElement, {attributes: true, attributeFilter: ["data-state"]});
        }
        return window.__runsStarted;
    }""")
    page.get_by_role("button", name="Train").click()
    page.wait_for_function("""runs => window.__runsStarted > runs
        && document.documentElement.dataset.state === "ready" """, arg=runs, timeout=240_000)


def wait_for_charts(page) -> None:
    page.wait_for_function("document.documentElement.dataset.charts === 'ready'")


def status(page) -> str:
    return page.locator("#status").text_content()


def expect_console_errors(strict, *patterns: str) -> None:
    """Drop the console errors a deliberate fault causes (e.g. "404 (Not Found)"); keep others."""
    strict.log.errors[:] = [error for error in strict.log.errors
                            if not any(re.search(pattern, error) for pattern in patterns)]


def bundle_fault(kind: str, name: str):
    """Return a route handler that breaks the named bundle's download in one way."""
    entry = BUNDLES[name]
    original = (SITE / "data" / entry["file"]).read_bytes()

    def handle(route):
        if kind in ("404", "500"):
            route.fulfill(status=int(kind), body=f"HTTP {kind}")
        elif kind == "reset":
            route.abort("connectionreset")
        elif kind == "cut":  # the connection ends half-way
            route.fulfill(status=200, body=original[: len(original) // 2],
                          headers={"Content-Type": "application/octet-stream"})
        else:  # "wrong": the right size, other bytes
            route.fulfill(status=200, body=original[::-1], headers={"Content-Type": "application/octet-stream"})

    return handle


REASONS = {"404": "HTTP 404", "500": "HTTP 500", "reset": "could not be downloaded",
           "cut": "the manifest says", "wrong": "does not match its sha256"}


def stored_log() -> str:
    """A run log holding one run, trained natively (a tiny network, one epoch)."""
    from mnist_sorter.bundles import load_bundle
    from mnist_sorter.config import TrainConfig
    from mnist_sorter.runlog import add_epoch, export_log, finish, new_run
    from mnist_sorter.training import EpochEnd, Finished, train

    config = TrainConfig(hidden_layers=(8,), epochs=1)
    data = load_bundle(config.dataset, SITE / "data")
    run = new_run("faults-1", "2026-11-28T09:15:00.000Z", config, {"name": data.name, "sha256": data.sha256})
    for event in train(config, data):
        if isinstance(event, EpochEnd):
            run = add_epoch(run, event.to_dict())
        elif isinstance(event, Finished):
            run = finish(run, event.status, event.message, event.test_accuracy, run["duration"])
    return export_log([run])


@pytest.mark.parametrize("kind", list(REASONS))
def test_a_broken_bundle_at_start_says_so_keeps_the_runs_and_a_reload_recovers(desktop, kind):
    stored = stored_log()
    desktop.context.add_init_script(f"""if (!localStorage.getItem({json.dumps(LOG_KEY)}))
        localStorage.setItem({json.dumps(LOG_KEY)}, {json.dumps(stored)});""")
    page = desktop.new_page()
    handler = bundle_fault(kind, "mnist-10k")
    page.route("**/data/mnist-10k.npz*", handler)
    page.goto(desktop.url)
    wait_for_state(page, "error")
    alert = page.get_by_role("alert").filter(has_text="Loading failed").text_content()
    assert "mnist-10k" in alert and REASONS[kind] in alert and "Reload the page" in alert, alert
    assert page.get_by_role("button", name="Train").is_disabled()
    assert page.evaluate(f"localStorage.getItem({json.dumps(LOG_KEY)})") == stored  # nothing lost
    kept = page.evaluate("""() => new Promise(resolve => {
        const opening = indexedDB.open("mnist-sorter-bundles");
        opening.onsuccess = () => {
            const db = opening.result;
            if (!db.objectStoreNames.contains("bundles")) { resolve(0); return; }
            const count = db.transaction("bundles").objectStore("bundles").count();
            count.onsuccess = () => resolve(count.result);
        };
        opening.onerror = () => resolve(-1);
    })""")
    assert kept == 0, "a broken download was kept"

    page.unroute("**/data/mnist-10k.npz*", handler)
    page.reload()
    wait_for_state(page, "ready")
    assert page.evaluate(f"localStorage.getItem({json.dumps(LOG_KEY)})") == stored
    assert page.locator("#run-table tbody tr").count() == 1
    wait_for_charts(page)
    expect_console_errors(desktop, r"status of (404|500)", r"ERR_CONNECTION_RESET", r"HTTP (404|500): .*/mnist-10k\.npz",
                          r"mnist-10k.*(HTTP|bytes|sha256|Failed to fetch)")


def test_a_bundle_failing_mid_session_loses_nothing_and_the_next_try_works(desktop_without_service_worker):
    desktop = desktop_without_service_worker
    page = desktop.new_page()
    page.goto(desktop.url)
    wait_for_state(page, "ready")
    wait_for_charts(page)
    fill(page, SMALL)
    train_and_wait(page)
    first = page.get_by_test_id("test-accuracy").get_attribute("data-value")
    assert first is not None
    assert page.locator("#run-table tbody tr").count() == 1

    handler = bundle_fault("500", "mnist-full")
    page.route("**/data/mnist-full.npz*", handler)
    page.evaluate("""() => {  // every status message, in order: a later one may replace it
        window.__said = [];
        const box = document.getElementById("status");
        new MutationObserver(() => window.__said.push(box.textContent))
            .observe(box, {childList: true, characterData: true, subtree: true});
    }""")
    page.get_by_label("Dataset").select_option("mnist-full")
    train_and_wait(page)
    said = page.evaluate("window.__said")
    failed = [text for text in said if text.startswith("Training failed")]
    assert failed and "mnist-full" in failed[0] and "HTTP 500" in failed[0], said
    assert page.get_by_role("button", name="Train").is_enabled()
    assert page.get_by_label("Epochs").is_enabled()
    assert page.locator("#run-table tbody tr").count() == 1  # the earlier run is still there
    assert page.get_by_test_id("prediction") is not None

    page.unroute("**/data/mnist-full.npz*", handler)
    train_and_wait(page)  # the same button, the same settings: downloads and trains this time
    assert "Done: 1 epoch" in page.locator("#run-text").text_content(), page.locator("#run-text").text_content()
    assert page.locator("#run-table tbody tr").count() == 2
    expect_console_errors(desktop, r"status of 500", r"HTTP 500: .*/mnist-full\.npz")


def test_with_indexeddb_turned_off_the_page_says_why_it_cannot_start(make_context):
    """PyScript itself needs IndexedDB: without it the page cannot start, and says so plainly.
    (The app's own databases refused while PyScript's work: test_browser_page.py.)"""
    strict = make_context("Object.defineProperty(window, 'indexedDB', {value: undefined, configurable: true});")
    page = strict.new_page()
    page.goto(strict.url)
    wait_for_state(page, "error")
    alert = page.get_by_role("alert").filter(has_text="Loading failed").text_content()
    assert "no IndexedDB storage" in alert and "allow site data" in alert, alert
    assert page.get_by_role("button", name="Train").is_disabled()
    expect_console_errors(strict, r"pageerror: .*reading 'open'")  # PyScript's own, as expected


def test_a_diverging_learning_rate_ends_as_diverged_and_the_form_still_works(desktop):
    page = desktop.new_page()
    page.goto(desktop.url)
    wait_for_state(page, "ready")
    wait_for_charts(page)
    page.get_by_label("Optimizer").select_option("adam")
    fill(page, {**SMALL, "Learning rate": "10", "Epochs": "3"})
    train_and_wait(page)
    assert page.locator("#run-text").text_content() == "Diverged."
    assert "diverged" in status(page)
    assert page.locator("#run-table tbody tr").first.get_attribute("data-status") == "diverged"
    fill(page, {"Learning rate": "0.001", "Epochs": "1"})  # adam's own
    train_and_wait(page)
    assert "Done" in page.locator("#run-text").text_content()
    assert float(page.get_by_test_id("test-accuracy").get_attribute("data-value")) > 0.8


BOUNDS = {  # label: (at the bounds, beyond them and not numbers)
    "Learning rate": (["1e-9", "10"], ["0", "-0.1", "10.0001", "1e999", "abc", "nan", "１"]),
    "Epochs": (["1", "200"], ["0", "201", "-1", "1.5", "2e9", "x", "1_0"]),
    "Batch size": (["1", "60000"], ["0", "60001", "-64", "6.4", "inf", "٣"]),
    "L2": (["0", "1"], ["-0.001", "1.001", "NaN", "1e-999x", ",1"]),
    "Learning-rate decay": (["0", "0.99"], ["1", "-0.01", "0.999", "half"]),
    "Seed": (["0", "4294967295"], ["-1", "4294967296", "1e100", "", "0x1"]),
    "Hidden layers": (["", "4096, 1, 1, 1, 1, 1, 1, 1"], ["0", "4097", "1, 1, 1, 1, 1, 1, 1, 1, 1", "12a",
                                                          "-5", "1.5"]),
}


def test_every_hyperparameter_at_and_beyond_its_bounds_and_not_numbers(desktop):
    page = desktop.new_page()
    page.goto(desktop.url)
    wait_for_state(page, "ready")
    train = page.get_by_role("button", name="Train")
    for label, (good, bad) in BOUNDS.items():
        control = page.get_by_label(label, exact=True)
        original = control.input_value()
        message = page.locator(f"#error-{control.get_attribute('name')}")
        for value in good:
            control.fill(value)
            assert not message.is_visible(), (label, value, message.text_content())
            assert train.is_enabled(), (label, value)
        for value in bad:
            control.fill(value)
            assert message.is_visible(), (label, value)
            assert control.get_attribute("aria-invalid") == "true", (label, value)
            assert train.is_disabled(), (label, value)
        control.fill(original)
        assert train.is_enabled()
    wait_for_charts(page)


JUNK = ("#<img src=x onerror=alert(1)>&epochs=%E0%A4%A&lr=1e999&&&==&seed=-1&hidden=9,9,9,9,9,9,9,9,9"
        "&__proto__=1&dataset=../../etc&optimizer=<script>&epochs=4&epochs=5")


def test_a_junk_url_hash_keeps_defaults_shows_text_and_non_models_are_refused(desktop):
    page = desktop.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(desktop.url + JUNK)
    wait_for_state(page, "ready")
    text = status(page)
    assert "ignored" in text and "<img src=x onerror=alert(1)>" in text  # shown as text, not markup
    assert page.locator("img").count() == 0
    assert page.get_by_label("Epochs").input_value() == "4"  # the one valid setting applies
    assert page.get_by_label("Hidden layers").input_value() == "128, 64"
    assert page.get_by_label("Learning rate").input_value() == "0.001"
    assert page.get_by_role("button", name="Train").is_enabled()

    wait_for_charts(page)
    npy = io.BytesIO()
    np.save(npy, np.zeros((784, 10), np.float32))
    files = [("weights.npy", npy.getvalue(), "application/octet-stream"),
             ("runs.json", b'{"app": "mnist-sorter", "schema": 1, "runs": []}', "application/json"),
             ("empty.npz", b"", "application/octet-stream"),
             ("picture.npz", b"\x89PNG\r\n\x1a\n" + bytes(100), "image/png")]
    for name, data, mime in files:
        page.set_input_files("#model-upload", files=[{"name": name, "mimeType": mime, "buffer": data}])
        page.wait_for_function("name => document.getElementById('log-message').textContent.includes(name)",
                               arg=name)
        message = page.locator("#log-message").text_content()
        assert "was not loaded" in message and "unchanged" in message, message
        assert page.get_by_role("button", name="Download model").is_disabled()
    assert dialogs == []
