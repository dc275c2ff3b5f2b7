"""Offline after the first visit: the service worker serves the whole app with no network.

One visit online (ready, charts loaded, the worker active and controlling, the bundle it
used handed to it), then the browser goes offline and the page is reloaded: it must reach
`ready`, train one epoch of a small network and read a digit drawn on the pad, and no
request may leave 127.0.0.1 at any point. Also: the worker's caches carry the app's prefix,
version and scope, and an older deployment's cache is deleted on activation while another
app's cache on the same origin is left alone.
"""

from __future__ import annotations

import re
import shutil

import pytest

from e2e_helpers import SITE, wait_for_state
from test_draw import ONE, read_digit

pytestmark = pytest.mark.e2e

SMALL = {"Hidden layers": "32", "Epochs": "1", "Batch size": "64", "Seed": "3"}
CONTROLLED = """() => document.documentElement.dataset.offline === "ready"
    && navigator.serviceWorker.controller !== null"""
CACHES = "async () => (await caches.keys()).sort()"


def version(site=SITE) -> str:
    """The service worker version of a built site (read once: other builds may replace site/)."""
    return re.search(r'const VERSION = "(\w+)"', (site / "sw.js").read_text()).group(1)


def first_visit(strict):
    page = strict.new_page()
    page.goto(strict.url)
    wait_for_state(page, "ready")
    page.wait_for_function("document.documentElement.dataset.charts === 'ready'")
    page.wait_for_function(CONTROLLED)
    return page


def test_after_one_visit_the_app_loads_trains_and_reads_a_digit_offline(desktop):
    page = first_visit(desktop)
    names = page.evaluate(CACHES)
    assert len(names) == 1 and re.fullmatch(r"mnist-sorter-[0-9a-f]{12} /mnist-sorter/", names[0]), names
    kept = page.evaluate("""async () => (await (await caches.open((await caches.keys())[0])).keys())
        .map(request => new URL(request.url).pathname)""")
    for needed in ("/mnist-sorter/index.html", "/mnist-sorter/data/manifest.json",
                   "/mnist-sorter/pyodide-0.27.7/pyodide.asm.wasm", "/mnist-sorter/data/mnist-10k.npz"):
        assert needed in kept, needed
    assert any(re.search(r"/matplotlib-[\d.]+-.*\.whl$", path) for path in kept)
    assert any(re.search(r"/app-\w+/main\.py$", path) for path in kept)

    desktop.context.set_offline(True)
    before = len(desktop.log.requests)
    page.reload()
    wait_for_state(page, "ready")
    assert page.evaluate("navigator.onLine") is False
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    for label, value in SMALL.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Dataset").select_option("mnist-10k")
    page.get_by_role("button", name="Train").click()
    wait_for_state(page, "training")
    wait_for_state(page, "ready", timeout=240_000)
    assert "Done: 1 epoch" in page.locator("#run-text").text_content()
    accuracy = float(page.get_by_test_id("test-accuracy").get_attribute("data-value"))
    assert accuracy > 0.8, accuracy
    page.wait_for_function("document.documentElement.dataset.charts === 'ready'")  # matplotlib offline
    text = read_digit(page, ONE)
    assert re.fullmatch(r"\d \(\d+%\)", text), text
    print(f"\noffline: trained 784-32-10 for 1 epoch, test accuracy {accuracy:.3f}; a stroke read as {text}; "
          f"{len(desktop.log.requests) - before} page requests seen while offline")
    assert desktop.log.external == []
    assert all(re.match(r"http://127\.0\.0\.1:\d+/", url) for url in desktop.log.requests)


def test_activation_drops_older_versions_of_this_app_only(desktop):
    page = desktop.new_page()
    page.goto(desktop.url + "data/manifest.json")  # same origin, before any worker exists
    page.evaluate("""async () => {
        for (const name of ["mnist-sorter-000000000000 /mnist-sorter/", "mnist-sorter-000000000000 /other-copy/",
                            "another-app-v1"]) await (await caches.open(name)).put("x", new Response("x"));
    }""")
    page.goto(desktop.url)
    page.wait_for_function(CONTROLLED)
    names = page.evaluate(CACHES)
    assert "mnist-sorter-000000000000 /mnist-sorter/" not in names
    assert "mnist-sorter-000000000000 /other-copy/" in names and "another-app-v1" in names
    assert len(names) == 3 and any(re.fullmatch(r"mnist-sorter-[0-9a-f]{12} /mnist-sorter/", name)
                                   for name in names), names


def test_a_new_deployment_is_offered_and_never_swapped_during_a_run(browser, tmp_path):
    """Deploy v1, visit, deploy v2 under the page: "Update available", held back during a run."""
    from conftest import Strict, _import_serve

    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    server, url = _import_serve().start_server(0, "/mnist-sorter/", site)
    context = browser.new_context()
    strict = Strict(context, url)
    try:
        page = first_visit(strict)
        old = page.evaluate(CACHES)
        # The next deployment: a changed page, hence a new worker version.
        page_text = (site / "index.html").read_text().replace("<title>", "<title>v2 ")
        (site / "index.html").write_text(page_text)
        worker = (site / "sw.js").read_text()
        assert f'"{version(site)}"' in worker
        (site / "sw.js").write_text(worker.replace(f'"{version(site)}"', '"0123456789ab"'))
        banner = page.get_by_test_id("update-banner")
        page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        banner.wait_for()
        assert page.evaluate("document.documentElement.dataset.update") == "available"
        reload = banner.get_by_role("button", name="Reload")
        assert reload.is_enabled()

        for label, value in {**SMALL, "Epochs": "2"}.items():
            page.get_by_label(label, exact=True).fill(value)
        page.get_by_role("button", name="Train").click()
        wait_for_state(page, "training")
        assert reload.is_disabled() and "once this run ends" in banner.text_content()
        assert set(old) < set(page.evaluate(CACHES))  # the new one waits beside the running one
        wait_for_state(page, "ready", timeout=240_000)
        assert not page.title().startswith("v2")

        reload.click()
        page.wait_for_function("document.title.startsWith('v2 ')")
        wait_for_state(page, "ready")
        page.wait_for_function("async () => (await caches.keys()).length === 1 "
                               "&& (await caches.keys())[0].startsWith('mnist-sorter-0123456789ab ')")
    finally:
        context.close()
        server.shutdown()
        server.server_close()
    assert strict.log.external == []
    assert strict.log.errors == [], strict.log.errors
    assert strict.log.csp_violations == []


def test_a_stale_page_from_an_older_deployment_reloads_itself_once(desktop):
    """GitHub Pages lets a browser keep index.html ten minutes: an old page names an app
    directory the new deployment no longer has. It must reload into the current one."""
    current = (SITE / "index.html").read_text()
    stale = re.sub(r"app-[0-9a-f]{12}/", "app-000000000000/", current)
    served = []

    def index(route):
        served.append("stale" if not served else "current")
        if served[-1] == "stale":
            route.fulfill(status=200, body=stale, headers={"Content-Type": "text/html; charset=utf-8"})
        else:
            route.fallback()

    page = desktop.new_page()
    page.route(desktop.url, index)
    page.goto(desktop.url)
    wait_for_state(page, "ready")
    assert served == ["stale", "current"]
    assert page.evaluate("sessionStorage.getItem('mnist-sorter:stale-page-reload')") is not None
    page.wait_for_function("document.documentElement.dataset.charts === 'ready'")
    desktop.log.errors[:] = [error for error in desktop.log.errors if "app-000000000000" not in error
                             and "status of 404" not in error]
