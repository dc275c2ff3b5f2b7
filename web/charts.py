"""Put the training charts on the page: `mnist_sorter.plots.LineChart` pixels into `<canvas>`.

The canvas gets as many pixels as it shows CSS pixels times the device pixel
ratio (capped at 2: sharper is not worth the drawing time), so charts stay crisp
on phones without the browser scaling a blurry bitmap. The chart's figure is
kept between epochs and runs, and rebuilt only when the canvas size changes. Imported only once matplotlib is loaded.
"""

from __future__ import annotations

import math

import js
from pyodide.ffi import to_js
from pyscript import document, window

from mnist_sorter.plots import LineChart

MAX_SCALE = 2.0


class ChartCanvas:
    """One canvas, the chart drawn on it, and the placeholder shown until the first drawing."""

    def __init__(self, kind: str, canvas_id: str, placeholder_id: str) -> None:
        self.kind = kind
        self.canvas = document.getElementById(canvas_id)
        self.placeholder = document.getElementById(placeholder_id)
        self.chart: LineChart | None = None

    def pixel_size(self) -> tuple[int, int, float]:
        """Return (width, height, scale) in device pixels for the canvas's current CSS box."""
        box = self.canvas.getBoundingClientRect()
        scale = min(float(window.devicePixelRatio or 1), MAX_SCALE)
        return max(1, math.floor(box.width * scale)), max(1, math.floor(box.height * scale)), scale

    def render(self, train: list[float], test: list[float], epochs: int) -> None:
        """Draw both histories (one value per finished epoch) on an axis of `epochs` epochs."""
        width, height, scale = self.pixel_size()
        chart = self.chart
        if chart is None or (chart.width, chart.height) != (width, height):
            chart = self.chart = LineChart(self.kind, epochs, width, height, scale)
        elif chart.epochs != epochs:
            chart.set_epochs(epochs)
        self.draw(chart.render(train, test))

    def draw(self, pixels) -> None:
        """Copy a (height, width, 4) uint8 array onto the canvas."""
        height, width = pixels.shape[:2]
        if self.canvas.width != width or self.canvas.height != height:
            self.canvas.width, self.canvas.height = width, height
        data = js.Uint8ClampedArray.new(to_js(memoryview(pixels.reshape(-1))).buffer)
        self.canvas.getContext("2d").putImageData(js.ImageData.new(data, width, height), 0, 0)
        self.placeholder.hidden = True
