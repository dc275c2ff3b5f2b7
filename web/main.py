"""Boot the page: numpy first, then the controller (app.py), then matplotlib.

Start-up order, chosen for time to `ready`: the data bundle is already on its way
(data-loader.mjs started with the page); numpy loads straight from Pyodide's own
lock with `loadPackage` (no micropip, one request per wheel, integrity checked);
the form is usable once numpy and the data are in; matplotlib loads afterwards
and the charts show a placeholder until then.
"""

import time

import view
from packages import load_packages


async def main() -> None:
    view.show_step("runtime", "ready", 1.0)
    view.show_step("packages", "loading")
    try:
        started = time.perf_counter()
        await load_packages("numpy")
        view.show_step("packages", f"ready ({time.perf_counter() - started:.1f} s)", 1.0)
        from app import App  # needs numpy

        await App().start()
    except Exception as error:  # one readable line; the details stay in the console
        view.show_load_error(str(error) or type(error).__name__)


await main()  # noqa: F704 - PyScript runs this module with top-level await
