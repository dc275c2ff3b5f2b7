"""The "Draw a digit" panel: read the pad, predict, show what the network sees and does.

drawing-pad.mjs draws and sends `mnist-sorter:pad-change` a few times a second
at most; each one here becomes at most one prediction task (changes that arrive
meanwhile are folded into the next). A prediction is cheap (`to_mnist` and one
forward pass, a few ms); the network diagram is a matplotlib render drawn in a
task of its own, once matplotlib is in (the controller says when).

The controller (app.py) calls `on_epoch` after each epoch of a run (the diagram
follows the network being trained) and `run_ended` when a run ends (a finished
or stopped run's network becomes the model that reads the pad).
"""

from __future__ import annotations

import asyncio
import time

import js
import numpy as np
from pyodide.ffi import create_proxy

import view
from canvas_pixels import css_size, grey_to_rgba, put_rgba, read_ink
from inside_view import InsideViews
from model_choice import ModelInUse, fetch_default_model, fetch_kept_model, same_network, trained_model
from models import SAVED_EVENT
from prob_bars import ProbabilityBars
from mnist_sorter.network import Network, forward, softmax
from mnist_sorter.preprocess import to_mnist

MAX_EDGES = 40  # edges drawn between two layers: enough to read, quick to rasterise
SNAPSHOT_LIMIT = 4_000_000  # parameters copied at each epoch's end (16 MB); wider networks are not copied


class DrawingPanel:
    """The pad's reader, the model in use, the diagram, and the inside views."""

    def __init__(self, test_set, idle: asyncio.Event) -> None:
        self.section = view.by_id("draw")
        self.pad = view.by_id("drawing-pad")
        self.seen = view.by_id("pad-seen")
        self.diagram = view.by_id("network-diagram")
        self.bars = ProbabilityBars("pad-probabilities")
        self.inside = InsideViews(test_set, idle)
        self.idle = idle  # set while no run is going on
        self.finished_stroke = False  # a stroke ended (or Clear/Undo): say the result aloud
        self.model: ModelInUse | None = None
        self.training: Network | None = None  # the network of the run going on
        self.snapshot: Network | None = None  # a copy of it at its last epoch's end
        self.training_epochs = 0
        self.image: np.ndarray | None = None  # (28, 28) what the network sees, or None
        self.diagram_ready = False  # matplotlib is in
        self.dirty = False  # the pad changed since the last prediction
        self.busy = False
        self.tasks = set()
        self._proxies = [create_proxy(self.on_pad_change), create_proxy(self.on_model_saved)]
        self.pad.addEventListener("mnist-sorter:pad-change", self._proxies[0])
        js.window.addEventListener(SAVED_EVENT, self._proxies[1])

    async def start(self) -> None:
        """Use the model kept in this browser, else the default one (unless a run ended first)."""
        kept = await fetch_kept_model()
        if kept is not None:
            if self.model is None:
                self.use(kept)
            return
        try:
            default = await fetch_default_model(str(self.section.dataset.defaultModel))
        except Exception as error:  # drawing is a nicety: training works without it
            view.by_id("draw-model").textContent = f"The default model could not be loaded ({error})."
            view.announce(f"The default model could not be loaded ({error}); train one to read drawings.")
            return
        if self.model is None:
            self.use(default)

    def on_model_saved(self, event) -> None:
        """A model was kept (an upload, or the run log keeping the run that just ended)."""
        async def switch():
            kept = await fetch_kept_model()
            if kept is None or (self.model is not None and same_network(kept.network, self.model.network)):
                return  # the network this page just trained: keep calling it that
            self.use(kept)
        self._spawn(switch())

    def use(self, model: ModelInUse) -> None:
        self.model = model
        view.by_id("draw-model").textContent = f"Reading with {model.description}."
        view.set_marker("drawModel", model.kind)
        self.inside.use(model)
        self.on_pad_change()

    def matplotlib_ready(self) -> None:
        """Called once matplotlib is importable: draw the diagram, enable the inside views."""
        self.diagram_ready = True
        self.inside.matplotlib_ready()
        self._spawn(self.draw_diagram())

    def on_pad_change(self, event=None) -> None:
        if event is not None and event.detail.final:
            self.finished_stroke = True
        self.dirty = True
        if not self.busy:
            self._spawn(self.predict())

    async def predict(self) -> None:
        """Read the pad and show the prediction, then the diagram; repeat while it changed."""
        self.busy = True
        try:
            while self.dirty:
                self.dirty = False
                self.show_prediction()
                await asyncio.sleep(0)
                await self.draw_diagram()
        finally:
            self.busy = False

    def show_prediction(self) -> None:
        version = self.pad.getAttribute("data-version")  # the change event this reading follows
        self.image = to_mnist(read_ink(self.pad))  # (28, 28) float32 or None
        paper = np.zeros((28, 28)) if self.image is None else self.image
        put_rgba(self.seen, grey_to_rgba(paper))
        prediction = view.by_id("prediction")
        if version is not None:
            prediction.dataset.version = str(version)
        if self.image is None or self.model is None:
            prediction.textContent = "Draw a digit" if self.model is not None else "Loading the model…"
            prediction.removeAttribute("data-digit")
            self.bars.show(None)
            self.say("The drawing pad is empty." if self.image is None else "The model is still loading.")
            return
        logits = forward(self.model.network, self.image.reshape(1, 784))[-1]  # (1, 10)
        probabilities = softmax(logits)[0]
        digit = int(probabilities.argmax())
        prediction.textContent = f"{digit} ({probabilities[digit] * 100:.0f}%)"
        prediction.dataset.digit = str(digit)
        self.bars.show(probabilities)
        self.say(f"Your drawing reads as {digit}, {probabilities[digit] * 100:.0f}% sure.")

    def say(self, message: str) -> None:
        """Announce the reading of a finished stroke, unless a run is reporting its progress."""
        if self.finished_stroke and self.idle.is_set():
            view.announce(message)
        self.finished_stroke = False

    async def draw_diagram(self) -> None:
        """Draw the network (in training, else in use), with the pad's activations if any.

        Laying out and rasterising take a few tens of ms each in Pyodide, so they
        run in two tasks; data-layout-ms and data-draw-ms on the canvas record them.
        """
        network = self.training or (self.model.network if self.model else None)
        if not self.diagram_ready or network is None:
            return
        from mnist_sorter.diagram import diagram_figure, diagram_pixels  # noqa: PLC0415 - needs matplotlib

        started = time.perf_counter()
        activations = None
        if self.image is not None:
            activations = forward(network, self.image.reshape(1, 784))
        width, height, scale = css_size(self.diagram)
        figure = diagram_figure(network, width, height, scale, activations, max_edges=MAX_EDGES)
        laid_out = time.perf_counter()
        await asyncio.sleep(0)
        drawing = time.perf_counter()
        put_rgba(self.diagram, diagram_pixels(figure, width, height))
        done = time.perf_counter()
        self.diagram.dataset.layoutMs = f"{(laid_out - started) * 1000:.1f}"
        self.diagram.dataset.drawMs = f"{(done - drawing) * 1000:.1f}"
        self.diagram.dataset.renderMs = f"{(laid_out - started + done - drawing) * 1000:.1f}"
        view.by_id("diagram-placeholder").hidden = True
        view.by_id("diagram-caption").textContent = self.diagram_caption(network, activations is not None)

    def diagram_caption(self, network: Network, with_digit: bool) -> str:
        sizes = " → ".join(f"{size:,}" for size in network.layer_sizes)
        whose = (f"The network in training, after epoch {self.training_epochs}" if self.training is not None
                 else "The network reading the pad")
        what = ("; node colour: how strongly each node responds to your digit" if with_digit
                else "; draw a digit to see which nodes respond")
        return f"{whose} ({sizes}). Lines: strongest weights, blue positive, red negative{what}."

    async def on_epoch(self, end) -> None:
        """Follow the network being trained (called after each epoch, charts already drawn)."""
        self.training, self.training_epochs = end.network, end.epoch
        # The weights whose test accuracy was just measured (the run log keeps the same ones).
        small = sum(array.size for array in end.network.parameters) <= SNAPSHOT_LIMIT
        self.snapshot = end.network.copy() if small else end.network
        await asyncio.sleep(0)
        await self.draw_diagram()

    def run_ended(self, outcome, config) -> None:
        """Make a finished or stopped run's network the one that reads the pad."""
        network, self.training, self.snapshot = self.snapshot, None, None
        if network is not None and outcome.status in ("done", "stopped") and outcome.epochs_done > 0:
            self.use(trained_model(network, config.dataset, outcome.epochs_done, outcome.test_accuracy))
        else:
            self._spawn(self.draw_diagram())
        self.inside.run_ended()

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
