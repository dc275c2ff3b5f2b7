"""The run log on the page: recording this tab's runs, the table and the comparison chart.

The controller (app.py) calls `run_started`, `epoch_done`, `run_finished` and
`run_ended` around each run; this panel writes the whole log after each (see
runstore.py) and shows it; runlog_controls.py handles what the user does to it.
Every rule about runs lives in `mnist_sorter.runlog`; this file only wires it to the page.
"""

from __future__ import annotations

import asyncio
import math
import secrets

import js
from pyodide.ffi import create_proxy, to_js

import view
from data import manifest
from model_panel import ModelPanel
from runlocks import held_run_locks, hold_lock
from runlog_controls import RunLogControls
from runlog_view import build_header, render_rows, run_label, show_sort
from runstore import LOG_KEY, RunStore, StorageBlocked, StorageFull, replace_run
from mnist_sorter.config import TrainConfig
from mnist_sorter.model_io import SavedModel
from mnist_sorter.runlog import (
    add_epoch, best_run_id, delete_runs, finish, mark_interrupted, new_run, oldest_first, sort_runs,
)

SNAPSHOT_LIMIT = 4_000_000  # parameters: copy the weights at each epoch's end up to this size
COMPARE_HEIGHT = {"wide": 330, "narrow": 560}  # CSS pixels: panels side by side, or stacked


class RunLogPanel:
    """The log as shown (stored runs plus any this tab could not save) and its controls."""

    def __init__(self, form, is_busy) -> None:
        self.form, self.is_busy = form, is_busy
        self.store = RunStore()
        self.runs: list[dict] = []
        self.pending: dict[str, dict] = {}  # runs this tab could not write yet, by id
        self.current: dict | None = None  # the record of the run this tab is training
        self.snapshot = None  # (network, copied, epoch, test accuracy) at the last epoch's end
        self.release_lock = None
        self.selected: set[str] = set()
        self.sort_column, self.descending = "date", True
        self.offset = -int(js.Date.new().getTimezoneOffset())  # minutes east of UTC
        self.bundles: dict[str, str] = {}  # dataset name -> sha256
        self.charts_loaded = False
        self.compare_key = None  # what the comparison chart shows now
        self.tasks = set()
        self._proxies = []
        self.models = ModelPanel(self.say)
        self.sortable = build_header(view.by_id("run-table").tHead.rows[0])

    # ---- start-up and events ------------------------------------------------------

    async def start(self) -> None:
        """Read the log (marking runs whose page closed as interrupted) and wire the controls."""
        self.bundles = {entry["name"]: entry["sha256"] for entry in (await manifest())["bundles"]}
        live = await held_run_locks()
        marked = 0

        def interrupt(runs: list[dict]) -> list[dict]:
            nonlocal marked
            stale, marked = mark_interrupted([run for run in runs if run["id"] not in live])
            by_id = {run["id"]: run for run in stale}
            return [by_id.get(run["id"], run) for run in runs]

        self.runs = self.store.read()
        if any(run["status"] == "running" and run["id"] not in live for run in self.runs):
            self.commit(interrupt)
        self._listen(view.by_id("log-free-space"), "click", self.on_free_space)
        self.controls = RunLogControls(self)
        self._listen(js.window, "storage", self.on_storage)
        self.render()
        notes = [self.store.problem] if self.store.problem else []
        if marked:
            notes.append(f"{view.plural(marked, 'run')} stopped when the page closed: "
                         "marked interrupted, with the epochs they finished.")
        if notes:
            self.say(" ".join(notes), error=bool(self.store.problem))
        self.spawn(self.models.start())

    def _listen(self, target, event: str, handler) -> None:
        proxy = create_proxy(handler)
        self._proxies.append(proxy)
        target.addEventListener(event, proxy)

    def spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def say(self, message: str, error: bool = False) -> None:
        element = view.by_id("log-message")
        element.textContent = message
        element.classList.toggle("error", error)

    def charts_ready(self) -> None:
        """matplotlib is loaded: the comparison can be drawn."""
        self.charts_loaded = True
        self.draw_comparison()

    def on_storage(self, event) -> None:
        """Another tab changed the log: show its version (with this tab's unsaved runs)."""
        if event.key is not None and str(event.key) != LOG_KEY:
            return
        self.runs = self._with_pending(self.store.read())
        self.render()

    # ---- writing ------------------------------------------------------------------

    def _with_pending(self, runs: list[dict]) -> list[dict]:
        for run in self.pending.values():
            runs = replace_run(runs, run)
        return runs

    def commit(self, change) -> bool:
        """Apply `change` (runs -> runs) to the stored log; keep it in memory if it cannot be written."""
        try:
            self.runs = self.store.update(lambda stored: change(self._with_pending(stored)))
        except StorageFull as error:
            self.runs = change(self._with_pending(self.runs))
            self.show_quota(f"Runs are not being saved: {error}. They stay on this page until it "
                            "closes. Delete the oldest runs to make room?")
            return False
        except StorageBlocked as error:
            self.runs = change(self._with_pending(self.runs))
            self.say(str(error), error=True)
            return False
        self.pending.clear()
        view.by_id("log-quota").hidden = True
        return True

    def save_run(self, run: dict) -> None:
        self.pending[run["id"]] = run
        self.commit(lambda runs: runs)
        self.render()

    def show_quota(self, text: str) -> None:
        view.by_id("log-quota-text").textContent = text
        view.by_id("log-quota").hidden = False

    def on_free_space(self, event) -> None:
        """Delete the oldest runs, as few as it takes for the log to be written again."""
        candidates = oldest_first([run for run in self.runs if run["id"] not in self.pending],
                                  len(self.runs))
        for count in range(1, len(candidates) + 1):
            doomed = candidates[:count]
            try:
                self.runs = self.store.update(lambda stored: delete_runs(self._with_pending(stored), doomed))
            except StorageFull:
                continue
            except StorageBlocked as error:
                self.say(str(error), error=True)
                return
            self.pending.clear()
            self.selected -= set(doomed)
            view.by_id("log-quota").hidden = True
            self.say(f"Deleted the {view.plural(count, 'oldest run')}; the run log is saved again.")
            self.render()
            return
        self.show_quota("Deleting old runs does not free enough room: other data fills this site's "
                        "storage. Runs stay on this page until it closes; export them to keep them.")

    # ---- recording this tab's run -------------------------------------------------

    def run_started(self, config: TrainConfig) -> None:
        run_id = f"{int(js.Date.now()):x}-{secrets.token_hex(3)}"
        dataset = {"name": config.dataset, "sha256": self.bundles.get(config.dataset, "0" * 64)}
        self.current = new_run(run_id, str(js.Date.new().toISOString()), config, dataset)
        self.snapshot = None
        self.release_lock = hold_lock(run_id)
        self.save_run(self.current)

    def epoch_done(self, end) -> None:
        if self.current is None:
            return
        self.current = add_epoch(self.current, end.to_dict())
        network, copied = end.network, False
        if sum(array.size for array in network.parameters) <= SNAPSHOT_LIMIT:
            network, copied = network.copy(), True  # the trainer goes on changing the live one
        self.snapshot = (network, copied, end.epoch, end.test_accuracy)
        self.pending[self.current["id"]] = self.current
        self.spawn(self._flush())

    async def _flush(self) -> None:
        """Write what is pending in a task of its own: the charts' drawing has just used this one."""
        await asyncio.sleep(0)
        if self.pending:  # a later write (the run's end) may have carried it already
            self.commit(lambda runs: runs)
            self.render()

    def run_finished(self, outcome, seconds: float) -> None:
        """Record how the run ended, and keep its model (the weights of its last finished epoch)."""
        if self.current is None:
            return
        run = self.current = finish(self.current, outcome.status, outcome.message,
                                    outcome.test_accuracy, seconds)
        self.save_run(run)
        if self.snapshot is None or outcome.status == "diverged":
            return
        network, copied, epoch, accuracy = self.snapshot
        if outcome.status != "done" and not copied:
            return  # a big live network moved on after its last epoch: no exact model to keep
        config = TrainConfig.from_dict(run["config"])
        model = SavedModel(network, config, dict(run["dataset"]),
                           {"test_accuracy": float(accuracy), "epochs_trained": int(epoch)})
        self.spawn(self.models.keep(model))

    def run_ended(self) -> None:
        """After every run, however it ended (a failure leaves the record still running)."""
        if self.current is not None and self.current["status"] == "running":
            self.save_run(finish(self.current, "stopped", "training failed", None, self.current["duration"]))
        self.current = self.snapshot = None
        if self.release_lock is not None:
            self.release_lock()
            self.release_lock = None
        self.render()

    def run_by_id(self, run_id: str) -> dict | None:
        return next((run for run in self.runs if run["id"] == run_id), None)

    # ---- showing ------------------------------------------------------------------

    def render(self) -> None:
        ordered = sort_runs(self.runs, self.sort_column, self.descending)
        self.selected &= {run["id"] for run in self.runs}
        show_sort(self.sortable, self.sort_column, self.descending)
        render_rows(view.by_id("run-table").tBodies[0], ordered, best_run_id(self.runs), self.selected,
                    self.offset, self.is_busy())
        view.by_id("log-empty").hidden = bool(self.runs)
        view.by_id("run-table").hidden = not self.runs
        view.by_id("log-delete-all").disabled = not any(run["status"] != "running" for run in self.runs)
        self.draw_comparison()

    def draw_comparison(self) -> None:
        """Overlay the ticked runs' curves (oldest first, so each keeps its colour)."""
        chosen = [run for run in sort_runs(self.runs, "date") if run["id"] in self.selected]
        canvas, caption = view.by_id("compare-chart"), view.by_id("compare-caption")
        if len(chosen) < 2:
            canvas.hidden = True
            self.compare_key = None
            caption.textContent = ("Tick one more run to compare it." if chosen else
                                   "Tick two or more runs to overlay their curves.")
            return
        if not self.charts_loaded:
            caption.textContent = "The comparison appears once matplotlib has loaded."
            return
        canvas.hidden = False
        box = canvas.parentElement.getBoundingClientRect()
        scale = min(float(js.window.devicePixelRatio or 1), 2.0)
        narrow = box.width < 560
        width = max(1, math.floor(box.width * scale))
        height = max(1, math.floor(COMPARE_HEIGHT["narrow" if narrow else "wide"] * scale))
        labels = [run_label(run, self.offset) for run in chosen]
        shown = (width, height, tuple(labels), tuple(run["id"] for run in chosen))
        key = (*shown, tuple(len(run["history"]) for run in chosen))
        caption.textContent = (f"Test accuracy and test loss per epoch of "
                               f"{view.plural(len(chosen), 'ticked run')}.")
        if key == self.compare_key:
            return
        if self.is_busy() and self.compare_key is not None and self.compare_key[:4] == shown:
            return  # only a new epoch: drawn when the run ends, keeping the run's tasks short
        from mnist_sorter.compare import Curve, compare_chart  # noqa: PLC0415 - needs matplotlib

        curves = [Curve(label, [step["test_accuracy"] for step in run["history"]],
                        [step["test_loss"] for step in run["history"]])
                  for label, run in zip(labels, chosen)]
        pixels = compare_chart(curves, width, height, scale)
        put_pixels(canvas, pixels)
        canvas.style.height = f"{height / scale}px"
        self.compare_key = key
        view.set_marker("compare", str(len(chosen)))


def put_pixels(canvas, pixels) -> None:
    """Copy a (height, width, 4) uint8 array onto a canvas."""
    height, width = pixels.shape[:2]
    if canvas.width != width or canvas.height != height:
        canvas.width, canvas.height = width, height
    data = js.Uint8ClampedArray.new(to_js(memoryview(pixels.reshape(-1))).buffer)
    canvas.getContext("2d").putImageData(js.ImageData.new(data, width, height), 0, 0)
