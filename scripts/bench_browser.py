"""Benchmark the app in headless Chromium against native numpy and TensorFlow.js.

Prints figures; asserts nothing. One command, on the built site:

    .venv/bin/python scripts/bench_browser.py [--epochs 3] [--skip-tfjs] [--memory]

The job (from the performance issue): a 784-128-64-10 ReLU network, SGD with
learning rate 0.1, batch 64, epochs over the 10,000 training images of
mnist-10k, then the 10,000 test images. It runs
  - in the app, through its form, as a user would (the page reports each
    epoch's compute seconds and the test evaluation's seconds);
  - natively, with this package's training code in this process;
  - in TensorFlow.js 4.22 (wasm backend, SIMD), from scripts/bench-tfjs/
    (installed here on first use with `npm ci`, served from a temporary folder).
It also measures cold and warm start to `ready`, time to the first chart after
the first epoch, the longest main-thread task while training (a `longtask`
PerformanceObserver), and the renderer's peak memory; with --memory, three
epochs of the default network on mnist-full as well.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "py"))
sys.path.insert(0, str(ROOT / "scripts"))

import numpy as np  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from mnist_sorter.bundles import load_bundle  # noqa: E402
from mnist_sorter.config import TrainConfig  # noqa: E402
from mnist_sorter.training import EpochEnd, evaluate, train  # noqa: E402
from serve import start_server  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
JOB = TrainConfig(hidden_layers=(128, 64), optimizer="sgd", learning_rate=0.1, batch_size=64,
                  epochs=3, seed=0, dataset="mnist-10k", l2=0.0)
TFJS = ROOT / "scripts" / "bench-tfjs"
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push([entry.startTime, entry.duration]);
}).observe({ type: "longtask", buffered: true });
"""


def native(config: TrainConfig) -> dict:
    """Train the job with this package natively; return per-epoch and evaluation seconds."""
    data = load_bundle(config.dataset)
    epochs = [event for event in train(config, data, report_every=10_000) if isinstance(event, EpochEnd)]
    started = time.perf_counter()
    evaluate(epochs[-1].network, data.test_images, data.test_labels)
    return {"epoch_seconds": [e.seconds for e in epochs], "eval_seconds": time.perf_counter() - started,
            "test_accuracy": epochs[-1].test_accuracy}


def renderer_peak_mb() -> float:
    """Return the largest peak resident memory (VmHWM) of this process's Chromium renderers, in MB.

    Only descendants of this process count (Playwright's driver starts the
    browser), so other browsers on the machine do not.
    """
    parents, renderers = {}, {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            parents[int(status.parent.name)] = int(fields["PPid"])
            if b"--type=renderer" in (status.parent / "cmdline").read_bytes():
                renderers[int(status.parent.name)] = int(fields.get("VmHWM", "0 kB").split()[0])
        except (OSError, KeyError, ValueError):
            continue
    mine = os.getpid()

    def descends(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == mine:
                return True
        return False

    return max((kb for pid, kb in renderers.items() if descends(pid)), default=0) / 1024


def wait_state(page, *states: str, timeout_ms: float = 600_000) -> str:
    """Wait until <html data-state> is one of `states` (a selector wait: the page's CSP forbids eval)."""
    selector = ", ".join(f"html[data-state='{state}']" for state in states)
    page.wait_for_selector(selector, state="attached", timeout=timeout_ms)
    return page.evaluate("document.documentElement.dataset.state")


def wait_ready(page, timeout_ms: float = 120_000) -> None:
    if wait_state(page, "ready", "error", timeout_ms=timeout_ms) == "error":
        raise RuntimeError("the app failed to load: " + page.locator("#load-error").inner_text())


def fill_form(page, config: TrainConfig) -> None:
    page.get_by_label("Hidden layers").fill(", ".join(map(str, config.hidden_layers)))
    page.get_by_label("Optimizer").select_option(config.optimizer)
    page.get_by_label("Learning rate", exact=True).fill(repr(config.learning_rate))
    page.get_by_label("Epochs").fill(str(config.epochs))
    page.get_by_label("Batch size").fill(str(config.batch_size))
    page.get_by_label("L2").fill(repr(config.l2))
    page.get_by_label("Seed").fill(str(config.seed))
    page.get_by_label("Dataset").select_option(config.dataset)


def app(browser, url: str, config: TrainConfig) -> dict:
    """Time start-up and the job in the app, driving it through its form."""
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(LONG_TASKS)
    # Start-up is read from the page's own clock: navigation start to its "data-state:ready" mark.
    page.goto(url)
    wait_ready(page)
    cold = page.evaluate("performance.getEntriesByName('data-state:ready')[0].startTime") / 1000
    page.reload()
    wait_ready(page)
    warm = page.evaluate("performance.getEntriesByName('data-state:ready')[0].startTime") / 1000
    # Charts need matplotlib, which loads after `ready`; wait for it so it does not share the epoch.
    page.wait_for_selector("html[data-charts='ready']", state="attached", timeout=120_000)

    fill_form(page, config)
    page.evaluate("window.__longTasks = []")
    page.get_by_role("button", name="Train").click()
    wait_state(page, "training")
    training_started = page.evaluate("performance.now()")
    wait_state(page, "ready")
    epochs = page.evaluate("""() => Array.from(document.querySelectorAll('#epoch-table tbody tr'))
        .map((row) => ({seconds: Number(row.dataset.seconds), testSeconds: Number(row.dataset.testSeconds),
                        shownAt: Number(row.dataset.shownAt), chartAt: Number(row.dataset.chartAt)}))""")
    long_tasks = page.evaluate(f"window.__longTasks.filter(([start]) => start >= {training_started})")
    accuracy = page.get_by_test_id("test-accuracy").inner_text()
    peak = renderer_peak_mb()
    context.close()
    return {"cold": cold, "warm": warm, "epochs": epochs, "accuracy": accuracy, "peak_mb": peak,
            "longest_task_ms": max((duration for _, duration in long_tasks), default=0.0),
            "long_tasks": len(long_tasks)}


def tfjs(browser, epochs: int, backend: str = "wasm") -> dict:
    """Run the job in TensorFlow.js from a temporary folder of its files and the raw data."""
    if not (TFJS / "node_modules" / "@tensorflow" / "tfjs").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                       cwd=TFJS, check=True)
    data = load_bundle("mnist-10k")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for source in ["tfjs/dist/tf.es2017.js", "tfjs-backend-wasm/dist/tf-backend-wasm.es2017.js",
                       "tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
                       "tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",
                       "tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm"]:
            shutil.copy(TFJS / "node_modules" / "@tensorflow" / source, folder)
        shutil.copy(TFJS / "tfjs-job.html", folder)
        shutil.copy(TFJS / "tfjs-job.js", folder)
        for name in ("train_images", "train_labels", "test_images", "test_labels"):
            (folder / f"{name}.u8").write_bytes(np.ascontiguousarray(getattr(data, name), dtype=np.uint8).tobytes())
        server, url = start_server(directory=folder)
        try:
            page = browser.new_page()
            page.goto(f"{url}tfjs-job.html?backend={backend}&epochs={epochs}")
            page.wait_for_function("window.benchResult !== undefined", timeout=600_000)
            result = page.evaluate("window.benchResult")
            page.close()
        finally:
            server.shutdown()
    if "error" in result:
        raise RuntimeError("TF.js job failed: " + result["error"])
    return result


def memory_run(browser, url: str) -> dict:
    """Train the default network on mnist-full for 3 epochs; return the renderer's peak memory."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(url)
    wait_ready(page)
    fill_form(page, TrainConfig(dataset="mnist-full", epochs=3))
    page.get_by_role("button", name="Train").click()
    wait_state(page, "training")
    wait_state(page, "ready", timeout_ms=900_000)
    heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize / 1e6 : 0")
    peak = renderer_peak_mb()
    context.close()
    return {"peak_mb": peak, "js_heap_mb": heap}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--skip-tfjs", action="store_true")
    parser.add_argument("--memory", action="store_true", help="also train on mnist-full and report memory")
    args = parser.parse_args()
    if not (ROOT / "site" / "index.html").exists():
        print("bench_browser: error: site/ is not built; run scripts/build.sh first", file=sys.stderr)
        return 2
    config = JOB.replace(epochs=args.epochs)
    print(f"job: {config.layer_sizes} sgd lr {config.learning_rate} batch {config.batch_size}, "
          f"{config.epochs} epochs on mnist-10k; then 10,000 test images")
    ours_native = native(config)
    server, url = start_server(prefix="/mnist-sorter/")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                                 args=CHROMIUM_ARGS)
            ours = app(browser, url, config)
            peer = None if args.skip_tfjs else tfjs(browser, args.epochs)
            memory = memory_run(browser, url) if args.memory else None
            browser.close()
    finally:
        server.shutdown()

    # The first epoch includes one-time warm-up in every runtime; report the best later one too.
    app_epochs = [row["seconds"] for row in ours["epochs"]]
    app_epoch = min(app_epochs[1:] or app_epochs)
    app_eval = min(row["testSeconds"] for row in ours["epochs"])
    native_epoch = min(ours_native["epoch_seconds"][1:] or ours_native["epoch_seconds"])
    chart_delays = [row["chartAt"] - row["shownAt"] for row in ours["epochs"] if row["chartAt"]]
    print()
    print(f"{'':28}{'epoch s':>10}{'eval 10k s':>12}  accuracy")
    print(f"{'app (Pyodide, this page)':28}{app_epoch:10.3f}{app_eval:12.3f}  {ours['accuracy']}"
          f"   epochs: {', '.join(f'{s:.3f}' for s in app_epochs)}")
    print(f"{'native numpy (this package)':28}{native_epoch:10.3f}{ours_native['eval_seconds']:12.3f}  "
          f"{ours_native['test_accuracy']:.2%}")
    if peer:
        peer_epoch = min(peer["epochSeconds"][1:] or peer["epochSeconds"])
        print(f"{'TensorFlow.js ' + peer['backend']:28}{peer_epoch:10.3f}{peer['evalSeconds']:12.3f}  "
              f"{peer['testAccuracy']:.2%}   epochs: {', '.join(f'{s:.3f}' for s in peer['epochSeconds'])}")
    print()
    print(f"browser / native epoch time:    {app_epoch / native_epoch:6.2f}   (target <= 6)")
    if peer:
        print(f"app / TF.js wasm epoch time:    {app_epoch / peer_epoch:6.2f}   (target <= 0.5)")
        print(f"app / TF.js wasm evaluation:    {app_eval / peer['evalSeconds']:6.2f}   (target <= 1)")
    print(f"cold start to ready:            {ours['cold']:6.2f} s (target <= 4)")
    print(f"warm start to ready:            {ours['warm']:6.2f} s (target <= 2.5)")
    if chart_delays:
        print(f"first chart after epoch end:    {chart_delays[0]:6.3f} s (target <= 1)")
    print(f"longest main-thread task:       {ours['longest_task_ms']:6.0f} ms while training "
          f"({ours['long_tasks']} tasks over 50 ms; target: none)")
    print(f"renderer peak memory:           {ours['peak_mb']:6.0f} MB (the job above)")
    if memory:
        print(f"mnist-full, 3 epochs, default network: renderer peak {memory['peak_mb']:.0f} MB "
              f"(JS heap {memory['js_heap_mb']:.0f} MB; target < 600 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
