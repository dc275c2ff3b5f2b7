"""Browser fixtures: the built site/ served under /mnist-sorter/, Debian's Chromium, strict pages.

Every page routes requests for any host but 127.0.0.1 to an abort and records
them; a test fails if the page asked for one, logged a console error, or threw.
Tests wait on `<html data-state>`, never on sleeps. Skipped (with the reason)
when site/ is not built or Chromium is missing.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from e2e_helpers import DESKTOP, LOAD_TIMEOUT_MS, PHONE, PREFIX, REPO, SITE

try:  # the page's CSP refuses eval: watch for violations, and wait without eval
    import csp_support
    from csp_support import CSP_WATCH
    csp_support.install()
except ImportError:  # playwright missing: the browser fixture skips
    CSP_WATCH = ""

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if str(REPO / "py") not in sys.path:
    sys.path.insert(0, str(REPO / "py"))  # the native package, for reference results


def _import_serve():
    spec = importlib.util.spec_from_file_location("mnist_sorter_serve", REPO / "scripts" / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def site_url():
    if not (SITE / "index.html").exists():
        pytest.skip("site/ is not built: run `python scripts/build_site.py` first")
    server, url = _import_serve().start_server(0, PREFIX, SITE)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class PageLog:
    """What a page did that a test may check: its requests, errors and off-host attempts."""

    requests: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def count(self, suffix: str) -> int:
        return sum(1 for url in self.requests if urlparse(url).path.endswith(suffix))


class Strict:
    """A browser context whose pages are all watched; `new_page()` opens one more."""

    def __init__(self, context, url: str) -> None:
        self.context, self.url, self.log = context, url, PageLog()
        context.route("**/*", self._route)
        # Every securitypolicyviolation event (the page's Content-Security-Policy) is reported here.
        context.expose_binding("mnistSorterCspViolation",
                               lambda source, text: self.log.csp_violations.append(text))
        context.add_init_script(CSP_WATCH)

    def _route(self, route) -> None:
        url = route.request.url
        if urlparse(url).hostname != "127.0.0.1":
            self.log.external.append(url)
            route.abort()
            return
        self.log.requests.append(url)
        route.continue_()

    def new_page(self):
        page = self.context.new_page()
        page.on("console", lambda message: message.type == "error"
                and self.log.errors.append(f"console: {message.text[:500]}"))
        page.on("pageerror", lambda error: self.log.errors.append(f"pageerror: {error}"))
        page.on("response", lambda response: response.status >= 400
                and self.log.errors.append(f"HTTP {response.status}: {response.url}"))
        page.set_default_timeout(LOAD_TIMEOUT_MS)
        return page


def _strict(browser, site_url, viewport, init_script=None, **options):
    context = browser.new_context(viewport=viewport, **options)
    if init_script:
        context.add_init_script(init_script)
    strict = Strict(context, site_url)
    yield strict
    context.close()
    assert strict.log.external == [], f"the page asked other hosts: {strict.log.external}"
    assert strict.log.errors == [], "console errors or page errors:\n" + "\n".join(strict.log.errors)
    assert strict.log.csp_violations == [], "CSP violations:\n" + "\n".join(strict.log.csp_violations)


@pytest.fixture
def desktop(site_url, browser):
    yield from _strict(browser, site_url, DESKTOP)


@pytest.fixture
def desktop_without_service_worker(site_url, browser):
    """A desktop context whose service worker never registers, so that page.route sees
    every request (a controlling worker's fetches bypass the page's routes)."""
    yield from _strict(browser, site_url, DESKTOP, service_workers="block")


@pytest.fixture
def phone(site_url, browser):
    yield from _strict(browser, site_url, PHONE)


@pytest.fixture
def make_context(site_url, browser):
    """Open a strict context with an init script (e.g. to break IndexedDB)."""
    made = []

    def make(init_script: str, viewport=DESKTOP):
        generator = _strict(browser, site_url, viewport, init_script)
        made.append(generator)
        return next(generator)

    yield make
    for generator in made:
        next(generator, None)  # closes the context and runs its checks
