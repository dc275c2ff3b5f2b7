"""The run log on the page: recording this tab's runs, the table, comparing, import and export.

The controller (app.py) calls `run_started`, `epoch_done`, `run_finished` and
`run_ended` around each run; this panel writes the whole log after each (see
runstore.py) and shows it. Every rule about runs lives in
`mnist_sorter.runlog`; this file only wires it to the page.

A tab holds a Web Lock named `mnist-sorter:run:<id>` while it trains a run, so
a page opened meanwhile does not take that run for one whose page was closed.
"""

from __future__ import annotations

import asyncio
import math
import secrets

import js
from pyodide.ffi import JsException, create_once_callable, create_proxy

import view
from data import manifest
from files import chosen_file, download, file_bytes
from form import format_value
from model_panel import ModelPanel
from runlog_view import build_header, render_rows, run_label, show_sort
from runstore import LOG_KEY, RunStore, StorageBlocked, StorageFull, replace_run
from mnist_sorter.config import FIELDS, TrainConfig
from mnist_sorter.model_io import SavedModel
from mnist_sorter.runlog import (
    MAX_LOG_BYTES, RunLogError, add_epoch, best_run_id, delete_runs, export_log, finish, merge,
    mark_interrupted, new_run, oldest_first, parse_import, relabel, sort_runs,
)
from mnist_sorter.share import config_to_hash

LOCK_PREFIX = "mnist-sorter:run:"
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
        self.editing: str | None = None
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
        for element_id, event, handler in (
                ("run-table", "click", self.on_table_click), ("run-table", "change", self.on_table_change),
                ("log-export", "click", self.on_export),
                ("log-import-button", "click", lambda event: view.by_id("log-import").click()),
                ("log-import", "change", lambda event: self.spawn(self.import_file())),
                ("copy-link", "click", lambda event: self.spawn(self.copy_link())),
                ("log-delete-all", "click", self.on_delete_all),
                ("confirm-yes", "click", self.on_confirm_delete_all),
                ("confirm-no", "click", lambda event: view.by_id("confirm-dialog").close()),
                ("log-free-space", "click", self.on_free_space),
                ("edit-save", "click", self.on_edit_save),
                ("edit-name", "keydown", self.on_edit_key),
                ("edit-cancel", "click", lambda event: view.by_id("edit-dialog").close())):
            self._listen(view.by_id(element_id), event, handler)
        self._listen(js.window, "storage", self.on_storage)
        for element_id in ("log-export", "log-import-button", "copy-link"):
            view.by_id(element_id).disabled = False
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
        self.release_lock = hold_lock(LOCK_PREFIX + run_id)
        self.save_run(self.current)

    def epoch_done(self, end) -> None:
        if self.current is None:
            return
        self.current = add_epoch(self.current, end.to_dict())
        network, copied = end.network, False
        if sum(array.size for array in network.parameters) <= SNAPSHOT_LIMIT:
            network, copied = network.copy(), True  # the trainer goes on changing the live one
        self.snapshot = (network, copied, end.epoch, end.test_accuracy)
        self.save_run(self.current)

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
        key = (width, height, tuple(labels),
               tuple((run["id"], len(run["history"])) for run in chosen))
        caption.textContent = (f"Test accuracy and test loss per epoch of "
                               f"{view.plural(len(chosen), 'ticked run')}.")
        if key == self.compare_key:
            return
        from mnist_sorter.compare import Curve, compare_chart  # noqa: PLC0415 - needs matplotlib

        curves = [Curve(label, [step["test_accuracy"] for step in run["history"]],
                        [step["test_loss"] for step in run["history"]])
                  for label, run in zip(labels, chosen)]
        pixels = compare_chart(curves, width, height, scale)
        put_pixels(canvas, pixels)
        canvas.style.height = f"{height / scale}px"
        self.compare_key = key
        view.set_marker("compare", str(len(chosen)))

    # ---- the table's controls -----------------------------------------------------

    def run_by_id(self, run_id: str) -> dict | None:
        return next((run for run in self.runs if run["id"] == run_id), None)

    def on_table_change(self, event) -> None:
        target = event.target
        if target.getAttribute("data-action") != "select":
            return
        run_id = str(target.getAttribute("data-run-id"))
        if target.checked:
            self.selected.add(run_id)
        else:
            self.selected.discard(run_id)
        self.draw_comparison()

    def on_table_click(self, event) -> None:
        button = event.target.closest("button")
        if button is None:
            return
        column = button.getAttribute("data-column")
        if column:
            column = str(column)
            if column == self.sort_column:
                self.descending = not self.descending
            else:
                self.sort_column, self.descending = column, column in ("date", "test_accuracy")
            self.render()
            view.by_id("run-table").querySelector(f'button[data-column="{column}"]').focus()
            return
        run = self.run_by_id(str(button.getAttribute("data-run-id") or ""))
        action = str(button.getAttribute("data-action") or "")
        if run is None:
            return
        if action == "use":
            self.use_config(run)
        elif action == "edit":
            self.editing = run["id"]
            view.by_id("edit-name").value = run["name"]
            view.by_id("edit-note").value = run["note"]
            view.by_id("edit-error").hidden = True
            view.by_id("edit-dialog").showModal()
        elif action == "delete":
            self.pending.pop(run["id"], None)
            self.commit(lambda runs: delete_runs(runs, [run["id"]]))
            self.render()
            self.say(f"Deleted the run {run_label(run, self.offset)}.")
            view.by_id("run-log-title").focus()

    def use_config(self, run: dict) -> None:
        """Put a run's settings back into the form."""
        if self.is_busy():
            self.say("The form is locked while a run trains.", error=True)
            return
        for spec in FIELDS:
            self.form.controls[spec.name].value = format_value(spec.name, run["config"][spec.name])
        self.form.learning_rate_touched = True  # keep the run's rate whatever the optimizer
        valid = self.form.validate() is not None
        label = run_label(run, self.offset)
        if valid:
            self.say(f"The form now holds the settings of {label}.")
        else:
            self.say(f"The form now holds the settings of {label}, but some cannot be used here: "
                     "see the form.", error=True)
        view.by_id("train-button" if valid else "config-form").scrollIntoView()
        if valid:
            view.by_id("train-button").focus()

    def on_edit_key(self, event) -> None:
        if event.key == "Enter":
            event.preventDefault()
            self.on_edit_save(event)

    def on_edit_save(self, event) -> None:
        run = self.run_by_id(self.editing or "")
        dialog = view.by_id("edit-dialog")
        if run is None:
            dialog.close()
            return
        try:
            changed = relabel(run, name=str(view.by_id("edit-name").value),
                              note=str(view.by_id("edit-note").value))
        except RunLogError as error:
            message = view.by_id("edit-error")
            message.textContent = str(error).split(": ", 1)[-1]
            message.hidden = False
            return
        dialog.close()
        self.save_run(changed)
        self.say(f"Saved the name and note of {run_label(changed, self.offset)}.")

    def on_delete_all(self, event) -> None:
        count = sum(run["status"] != "running" for run in self.runs)
        view.by_id("confirm-text").textContent = (
            f"Delete all {view.plural(count, 'run')} from this browser? This cannot be undone; "
            "export them first to keep a copy.")
        view.by_id("confirm-dialog").showModal()
        view.by_id("confirm-no").focus()  # the safe choice first

    def on_confirm_delete_all(self, event) -> None:
        view.by_id("confirm-dialog").close()
        doomed = [run["id"] for run in self.runs if run["status"] != "running"]
        for run_id in doomed:
            self.pending.pop(run_id, None)
        self.commit(lambda runs: delete_runs(runs, doomed))
        self.render()
        self.say(f"Deleted {view.plural(len(doomed), 'run')}.")

    # ---- export, import, link ---------------------------------------------------

    def on_export(self, event) -> None:
        try:
            text = export_log(self.runs)
        except RunLogError as error:
            self.say(f"The runs could not be exported: {error}.", error=True)
            return
        day = str(js.Date.new().toISOString())[:10]
        download(f"mnist-sorter-runs-{day}.json", text, "application/json")
        self.say(f"Exported {view.plural(len(self.runs), 'run')}.")

    async def import_file(self) -> None:
        field = view.by_id("log-import")
        file = chosen_file(field)
        if file is None:
            return
        name = str(file.name)
        try:
            if file.size > MAX_LOG_BYTES:
                raise RunLogError(f"the file is larger than {MAX_LOG_BYTES // 2**20} MB; "
                                  "a run log is never that big")
            incoming = parse_import(await file_bytes(file))
        except RunLogError as error:
            self.say(f"Nothing imported from {name}: {error}. The run log is unchanged.", error=True)
            return
        finally:
            field.value = ""  # choosing the same file again fires `change` again
        _, added, skipped = merge(self.runs, incoming)
        saved = self.commit(lambda runs: merge(runs, incoming)[0])
        self.render()
        already = f"; {skipped} {'was' if skipped == 1 else 'were'} already here" if skipped else ""
        self.say(f"Imported {view.plural(added, 'run')} from {name}{already}."
                 + ("" if saved else " They are not saved: storage is full."))

    async def copy_link(self) -> None:
        config = self.form.validate()
        if config is None:
            self.say("Fix the highlighted settings first: a link holds valid settings only.", error=True)
            return
        url = str(js.location.href).split("#")[0] + config_to_hash(config)
        try:
            await js.navigator.clipboard.writeText(url)
        except (JsException, AttributeError):
            self.say(f"Copy this link to share these settings: {url}")
            return
        self.say(f"Copied a link to these settings: {url}")


# ---- browser helpers ------------------------------------------------------------------

def hold_lock(name: str):
    """Hold a Web Lock until the returned function is called (a no-op where locks are missing)."""
    locks = getattr(js.navigator, "locks", None)
    if locks is None:
        return lambda: None
    release = {}
    held = js.Promise.new(create_once_callable(lambda resolve, reject: release.update(resolve=resolve)))
    locks.request(name, create_once_callable(lambda lock: held))
    return lambda: release["resolve"]()


async def held_run_locks() -> set[str]:
    """Return the ids of runs some tab is training now (their Web Locks are held)."""
    locks = getattr(js.navigator, "locks", None)
    if locks is None:
        return set()
    try:
        snapshot = await locks.query()
    except JsException:
        return set()
    return {str(lock.name)[len(LOCK_PREFIX):] for lock in snapshot.held
            if str(lock.name).startswith(LOCK_PREFIX)}


def put_pixels(canvas, pixels) -> None:
    """Copy a (height, width, 4) uint8 array onto a canvas."""
    from pyodide.ffi import to_js  # noqa: PLC0415

    height, width = pixels.shape[:2]
    if canvas.width != width or canvas.height != height:
        canvas.width, canvas.height = width, height
    data = js.Uint8ClampedArray.new(to_js(memoryview(pixels.reshape(-1))).buffer)
    canvas.getContext("2d").putImageData(js.ImageData.new(data, width, height), 0, 0)
