""""Inside the network": first-layer weights, the confusion matrix, the worst mistakes.

The test set's predictions (10,000 forward passes, about a second) are computed
in slices of ~25 ms that yield to the browser, only when the section is open,
never during a run, and once per model. Each picture is one matplotlib render
in a task of its own. A mistake is picked by clicking its thumbnail or with the
select listing them; its probabilities then show as bars.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
from pyodide.ffi import create_proxy
from pyscript import document

import view
from canvas_pixels import css_size, grey_to_rgba, put_rgba
from prob_bars import ProbabilityBars
from mnist_sorter.network import forward, softmax

SLICE_SECONDS = 0.025
CHUNK = 50  # test images per forward pass inside a slice
MISTAKES = 48  # at most; as many whole rows as the gallery's canvas holds are shown


class InsideViews:
    """The `<details id="inside">` section and what it shows of one model."""

    def __init__(self, test_set, idle: asyncio.Event) -> None:
        self.test_set = test_set  # () -> awaitable runner.Inputs
        self.idle = idle  # set while no training run is going on
        self.details = view.by_id("inside")
        self.select = view.by_id("mistake-select")
        self.gallery_canvas = view.by_id("gallery-chart")
        self.bars = ProbabilityBars("mistake-probabilities")
        self.model = None
        self.shown_for = None  # the model whose views are on the page
        self.summary = ""
        self.matplotlib = False
        self.task = None
        self.probabilities = self.labels = self.images = None
        self.mistakes = np.zeros(0, dtype=np.intp)
        self.layout = np.zeros((0, 4), dtype=np.int64)
        self._proxies = [create_proxy(self.refresh), create_proxy(self.on_select),
                         create_proxy(self.on_gallery_click)]
        self.details.addEventListener("toggle", self._proxies[0])
        self.select.addEventListener("change", self._proxies[1])
        self.gallery_canvas.addEventListener("click", self._proxies[2])

    def use(self, model) -> None:
        self.model = model
        self.refresh()

    def matplotlib_ready(self) -> None:
        self.matplotlib = True
        self.refresh()

    @property
    def running(self) -> bool:
        return not self.idle.is_set()

    def run_ended(self) -> None:
        """Draw the views for the new model once the controller is idle again."""
        async def when_idle():
            await self.idle.wait()
            self.refresh()
        self.waiting = asyncio.ensure_future(when_idle())

    def refresh(self, event=None) -> None:
        """Bring the views up to date with the model, if they are open and can be drawn now."""
        status = view.by_id("inside-status")
        if not self.details.open or self.model is None:
            return
        if self.shown_for is self.model:
            status.textContent = self.summary
            return
        if self.running:
            status.textContent = "These views are drawn when the run ends (they would slow training)."
        elif not self.matplotlib:
            status.textContent = "The pictures appear once matplotlib has loaded."
        elif self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self.compute(self.model))

    async def compute(self, model) -> None:
        status = view.by_id("inside-status")
        status.textContent = f"Reading the 10,000 test images with {model.description}…"
        inputs = await self.test_set()
        images, labels = inputs.test_images, np.asarray(inputs.test_labels)  # (N, 784), (N,)
        logits = np.empty((len(images), 10), dtype=np.float32)
        slice_start = time.perf_counter()
        for start in range(0, len(images), CHUNK):
            logits[start:start + CHUNK] = forward(model.network, images[start:start + CHUNK])[-1]
            if time.perf_counter() - slice_start > SLICE_SECONDS:
                await asyncio.sleep(0)
                if self.running or model is not self.model:
                    status.textContent = ""
                    return  # a run began or the model changed: start again later
                slice_start = time.perf_counter()
        self.probabilities, self.labels = softmax(logits), labels
        self.images = images.reshape(-1, 28, 28)
        await self.draw(model)
        self.shown_for = model
        wrong = int((self.probabilities.argmax(axis=1) != labels).sum())
        self.summary = (f"{model.description[0].upper()}{model.description[1:]}: "
                        f"{wrong:,} of {len(labels):,} test images misread.")
        status.textContent = self.summary
        view.announce("Inside the network: weights, confusion matrix and mistakes drawn.")
        self.refresh()  # the model may have changed meanwhile

    async def draw(self, model) -> None:
        from mnist_sorter.inside import (  # noqa: PLC0415 - needs matplotlib
            confusion_chart, confusion_matrix, gallery, gallery_layout, misclassified, weights_grid)

        canvas = view.by_id("weights-chart")
        self._render(canvas, "weights", lambda w, h, s: weights_grid(model.network, w, h, s))
        await asyncio.sleep(0)
        matrix = confusion_matrix(self.labels, self.probabilities.argmax(axis=1))
        self._render(view.by_id("confusion-chart"), "confusion", lambda w, h, s: confusion_chart(matrix, w, h, s))
        await asyncio.sleep(0)
        self.mistakes = misclassified(self.probabilities, self.labels, MISTAKES)
        width, height, scale = css_size(self.gallery_canvas)
        layout = gallery_layout(len(self.mistakes), width, height, scale=scale)
        columns = len(np.unique(layout[:, 0]))
        shown = len(layout) - len(layout) % columns if len(layout) > columns else len(layout)  # whole rows
        self.layout, self.mistakes = layout[:shown], self.mistakes[:shown]  # only those shown are listed
        self._render(self.gallery_canvas, "gallery", lambda w, h, s: gallery(
            self.images, self.labels, self.probabilities, self.mistakes, w, h, s))
        self.fill_select()

    def _render(self, canvas, name: str, draw) -> None:
        started = time.perf_counter()
        width, height, scale = css_size(canvas)
        put_rgba(canvas, draw(width, height, scale))
        canvas.dataset.renderMs = f"{(time.perf_counter() - started) * 1000:.1f}"
        view.by_id(f"{name}-placeholder").hidden = True

    def fill_select(self) -> None:
        options = [document.createElement("option")]
        options[0].value, options[0].textContent = "", "Pick a mistake…"
        for position, index in enumerate(self.mistakes):
            predicted = int(self.probabilities[index].argmax())
            option = document.createElement("option")
            option.value = str(position)
            option.textContent = (f"{position + 1}. a {int(self.labels[index])} read as {predicted} "
                                  f"({self.probabilities[index][predicted] * 100:.0f}%)")
            options.append(option)
        self.select.replaceChildren(*options)
        self.select.disabled = len(self.mistakes) == 0
        self.show_mistake(None)

    def mark(self, position: int | None) -> None:
        """Frame the picked thumbnail (a box over the canvas, in % of its size)."""
        frame = view.by_id("gallery-mark")
        frame.hidden = position is None
        if position is None:
            return
        left, top, tile_width, tile_height = (int(value) for value in self.layout[position])
        width, height = int(self.gallery_canvas.width), int(self.gallery_canvas.height)
        for name, value, whole in (("left", left, width), ("top", top, height),
                                   ("width", tile_width, width), ("height", tile_height, height)):
            frame.style.setProperty(name, f"{value / whole * 100:.3f}%")

    def on_select(self, event) -> None:
        value = str(self.select.value)
        self.show_mistake(int(value) if value else None)

    def on_gallery_click(self, event) -> None:
        if not len(self.layout):
            return
        box = self.gallery_canvas.getBoundingClientRect()
        ratio = self.gallery_canvas.width / max(box.width, 1)
        from mnist_sorter.inside import tile_at  # noqa: PLC0415 - needs matplotlib

        position = tile_at(self.layout, (event.clientX - box.left) * ratio, (event.clientY - box.top) * ratio)
        if position is not None:
            self.select.value = str(position)
            self.show_mistake(position)

    def show_mistake(self, position: int | None) -> None:
        """Show one listed mistake's image and probabilities (None: nothing picked)."""
        picked = view.by_id("mistake-picked")
        self.mark(position)
        if position is None:
            self.bars.show(None)
            put_rgba(view.by_id("mistake-image"), grey_to_rgba(np.zeros((28, 28))))
            picked.textContent = "Click a thumbnail, or pick one from the list, to see its probabilities."
            return
        index = int(self.mistakes[position])
        probabilities = self.probabilities[index]
        predicted = int(probabilities.argmax())
        put_rgba(view.by_id("mistake-image"), grey_to_rgba(self.images[index]))
        self.bars.show(probabilities)
        picked.textContent = (f"Test image {index:,}: a {int(self.labels[index])}, read as {predicted} "
                              f"({probabilities[predicted] * 100:.0f}%).")
