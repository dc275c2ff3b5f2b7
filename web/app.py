"""The page's controller: the form, the Train/Stop buttons, progress and the charts.

Imported by main.py once numpy is loaded (the data and training modules need it).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time

import js
from pyodide.ffi import create_proxy

import view
from data import bundle_names, load_dataset
from drawing import DrawingPanel
from form import ConfigForm
from packages import load_packages
from mnist_sorter.config import TrainConfig
from mnist_sorter.share import config_from_hash, config_to_hash
from runlog_panel import RunLogPanel
from runner import History, Outcome, TrainingRun, as_inputs


# matplotlib's import, in dependency order (each import finds its predecessors loaded).
MATPLOTLIB_STEPS = ("PIL.Image", "pyparsing", "dateutil.parser", "dateutil.rrule", "matplotlib",
                    "matplotlib.font_manager", "matplotlib.mathtext", "matplotlib.text",
                    "matplotlib.collections", "matplotlib.axis", "matplotlib.axes", "matplotlib.figure",
                    "matplotlib.backends.backend_agg")


class App:
    """What the page holds between events: loaded datasets, the form, the current run."""

    def __init__(self) -> None:
        self.datasets = {}  # name -> task giving runner.Inputs
        self.form: ConfigForm | None = None
        self.run: TrainingRun | None = None
        self.stop_requested = False
        self.charts = None  # (loss ChartCanvas, accuracy ChartCanvas) once matplotlib is in
        self.history = None
        self.planned_epochs = TrainConfig().epochs
        self._proxies = []
        self.tasks = set()  # keep running tasks referenced until the page goes
        self.idle = asyncio.Event()  # set while no run is going
        self.idle.set()

    async def start(self) -> None:
        """Load the default data set, build the form, and go to `ready`."""
        default = TrainConfig()
        view.show_step("data", "checking")
        loaded = await load_dataset(default.dataset)
        names = await bundle_names()
        initial, notices = config_from_hash(str(js.location.hash))
        if initial.dataset not in names:
            notices.append(f"ignored dataset={initial.dataset}: this site has {', '.join(names)}")
            initial = initial.replace(dataset=default.dataset)
        # Converting the images (~0.1 s) can wait until after `ready`.
        self.datasets[default.dataset] = asyncio.ensure_future(as_inputs(loaded.dataset))
        view.show_step("data", f"{len(loaded.dataset.train_labels):,} training images "
                               f"({'from this browser' if loaded.source == 'cache' else 'downloaded'})", 1.0)

        fields = view.by_id("fields")
        self.form = ConfigForm(fields, view.by_id("train-button"), names, initial)
        self._listen("config-form", "submit", self.on_train)
        self._listen("stop-button", "click", self.on_stop)
        self.runlog = RunLogPanel(self.form, lambda: not self.idle.is_set())
        await self.runlog.start()
        view.set_running(False, move_focus=False)
        self.form.validate()
        view.show_loading(False)
        view.set_state("ready")
        link = "".join(f" From the link: {notice}." for notice in notices)
        view.announce(("Ready to train. " + loaded.note + link).strip())
        # The pad reads with the default model until a run ends; inside views test on the default data.
        self.drawing = DrawingPanel(lambda: self.datasets[default.dataset], self.idle)
        self.tasks.add(asyncio.ensure_future(self.drawing.start()))
        self.tasks.add(asyncio.ensure_future(self.load_charts()))

    def _listen(self, element_id: str, event: str, handler) -> None:
        proxy = create_proxy(handler)
        self._proxies.append(proxy)
        view.by_id(element_id).addEventListener(event, proxy)

    async def load_charts(self) -> None:
        """Load matplotlib after the form is usable, then draw (empty) axes."""
        try:
            await load_packages("matplotlib")
            await asyncio.sleep(0)
            # matplotlib logs a warning (to stderr, which PyScript shows as an error) while it
            # builds its font cache, as it does on every page load here: expected, not a fault.
            logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
            # Importing matplotlib takes ~2 s of main thread; one module per task keeps the
            # page responsive meanwhile (steps take up to ~0.4 s), and no step runs during
            # a run, whose tasks must stay short: the charts then appear when it ends.
            for module in MATPLOTLIB_STEPS:
                await self.idle.wait()
                importlib.import_module(module)
                await asyncio.sleep(0)
            await self.idle.wait()
            from charts import ChartCanvas  # noqa: PLC0415 - deliberately late: matplotlib is big

            self.charts = (ChartCanvas("loss", "loss-chart", "loss-placeholder"),
                           ChartCanvas("accuracy", "accuracy-chart", "accuracy-placeholder"))
            await self.draw_charts()
        except Exception as error:  # charts are a nicety: training works without them
            view.announce(f"The charts could not be loaded ({error}); training still works.")
            return
        view.set_marker("charts", "ready")
        self.runlog.charts_ready()
        self.drawing.matplotlib_ready()

    async def draw_charts(self) -> None:
        """Draw the current run's history, one chart per main-thread task."""
        if self.charts is None:
            return
        history = self.history or History()
        loss_canvas, accuracy_canvas = self.charts
        loss_canvas.render(history.train_loss, history.test_loss, self.planned_epochs)
        await asyncio.sleep(0)
        accuracy_canvas.render(history.train_accuracy, history.test_accuracy, self.planned_epochs)

    def on_stop(self, event) -> None:
        self.stop_requested = True  # seen before the run starts too (while its data loads)
        if self.run is not None:
            self.run.stop()
        view.announce("Stopping…")

    def on_train(self, event) -> None:
        event.preventDefault()
        if self.run is not None or self.form is None:
            return
        config = self.form.validate()
        if config is not None:
            # The address now reproduces this run's settings (a link to share).
            js.history.replaceState(None, "", config_to_hash(config))
            self.tasks.add(asyncio.ensure_future(self.train(config)))

    async def train(self, config: TrainConfig) -> None:
        self.idle.clear()
        view.set_state("training")
        view.set_running(True)
        view.bring_run_into_view()
        view.show_test_accuracy(None)
        view.by_id("test-accuracy").textContent = "training…"
        self.stop_requested = False
        try:
            dataset = await self.dataset_for(config.dataset)
            if self.stop_requested:
                view.show_run_progress(0.0, "Stopped before the first epoch.")
                view.show_test_accuracy(None)
                view.announce("Training stopped.")
                return
            self.run = TrainingRun(config, dataset)
            self.runlog.run_started(config)
            self.history, self.planned_epochs = self.run.history, config.epochs
            view.clear_epoch_table()
            await self.draw_charts()  # fresh axes for this run
            started = time.perf_counter()
            view.show_run_progress(0.0, "Starting…")
            view.announce(f"Training on {config.dataset} for {view.plural(config.epochs, 'epoch')}.")

            def on_progress(progress, fraction):
                view.show_run_progress(fraction, progress_text(config, progress, fraction,
                                                               time.perf_counter() - started))

            outcome = await self.run.run(on_progress, self.on_epoch)
            self.finish(outcome, time.perf_counter() - started)
            self.drawing.run_ended(outcome, config)
        except Exception as error:
            view.announce(f"Training failed: {error}")
            view.show_test_accuracy(None)
        finally:
            self.run = None
            self.form.validate()  # enables Train first, so that focus can move to it
            view.set_running(False)
            view.set_state("ready")
            self.idle.set()
            self.runlog.run_ended()

    async def on_epoch(self, end, test_seconds: float) -> None:
        self.runlog.epoch_done(end)  # recorded first: the page may close at any moment
        view.announce(f"Epoch {end.epoch}: test accuracy {end.test_accuracy * 100:.1f}% "
                      f"({end.seconds:.1f} s).")
        row = view.add_epoch_row(end, test_seconds)
        await self.draw_charts()
        if self.charts is not None:
            view.mark_charted(row)
        await self.drawing.on_epoch(end)

    def finish(self, outcome: Outcome, seconds: float) -> None:
        self.runlog.run_finished(outcome, seconds)
        view.show_test_accuracy(outcome.test_accuracy)
        done = outcome.epochs_done / max(self.planned_epochs, 1)
        if outcome.status == "done":
            took = f"{seconds:.1f} s" if seconds < 60 else view.format_duration(seconds)
            view.show_run_progress(1.0, f"Done: {view.plural(outcome.epochs_done, 'epoch')} in {took}.")
            view.announce(f"Training done. Test accuracy {outcome.test_accuracy * 100:.1f}%.")
        elif outcome.status == "stopped":
            view.show_run_progress(done, f"Stopped after {outcome.epochs_done} of {self.planned_epochs} epochs.")
            view.announce(f"Training {outcome.message}.")
        else:
            view.show_run_progress(done, "Diverged.")
            view.announce(f"Training diverged: {outcome.message}.")

    async def dataset_for(self, name: str):
        """Return the named data set as network inputs, loading it on first use."""
        if name not in self.datasets:
            view.show_run_progress(0.0, f"Loading {name}…")
            view.announce(f"Loading the {name} data…")
            loaded = await load_dataset(name)
            self.datasets[name] = asyncio.ensure_future(as_inputs(loaded.dataset))
            if loaded.note:
                view.announce(loaded.note)
        return await self.datasets[name]


def progress_text(config: TrainConfig, progress, fraction: float, elapsed: float) -> str:
    """Describe where a run is: epoch, batch (or test images), elapsed and time left."""
    where = (f"batch {progress.done:,} of {progress.total:,}" if progress.phase == "train"
             else f"testing {progress.done:,} of {progress.total:,} images")
    if fraction > 0.02:  # earlier estimates jump around too much to be useful
        left = f"about {view.format_duration(elapsed * (1 - fraction) / fraction)} left"
    else:
        left = "estimating time left"
    return (f"Epoch {progress.epoch} of {config.epochs} · {where} · "
            f"{view.format_duration(elapsed)} elapsed · {left}")
