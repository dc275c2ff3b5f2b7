"""Training charts as pixels: per-epoch loss and accuracy drawn by matplotlib's Agg.

A `LineChart` keeps its figure between epochs and only swaps the line data, which
roughly halves the drawing time (it matters in the browser, where one drawing
must fit in one short main-thread task). `render` returns an RGBA image
(height, width, 4) uint8 of exactly the requested size, ready for a canvas's
ImageData or a PNG. No pyplot (no global figure state, no backend selection), no
legend or y label (the page's caption names the chart and its lines, in the same
colours) and no file I/O.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator, PercentFormatter

TRAIN_COLOUR = "#1f6fb2"  # web/style.css uses the same colours for the HTML legend
TEST_COLOUR = "#d1495b"
# y range shown before the first epoch: where the values will be, not matplotlib's -0.05..0.05.
EMPTY_LIMITS = {"loss": (0.0, 2.5), "accuracy": (0.0, 1.0)}


class LineChart:
    """One chart (train and test lines over epochs 1..epochs) of a fixed pixel size."""

    def __init__(self, kind: str, epochs: int, width: int, height: int, scale: float = 1.0) -> None:
        if kind not in EMPTY_LIMITS:
            raise ValueError(f"chart kind must be one of {', '.join(EMPTY_LIMITS)}, got {kind!r}")
        if width < 1 or height < 1:
            raise ValueError(f"chart size must be positive, got {width}x{height}")
        self.kind, self.epochs, self.width, self.height = kind, epochs, width, height
        dpi = 100 * scale  # `scale` is the device pixel ratio: same layout, sharper pixels
        self.figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor="white")
        self.canvas = FigureCanvasAgg(self.figure)
        # Fixed margins (CSS pixels) instead of tight_layout: cheaper, and the plot area
        # does not jump as the tick labels change from one epoch to the next.
        left, right, bottom, top = 48 * scale, 12 * scale, 42 * scale, 10 * scale
        self.figure.subplots_adjust(left=min(left / width, 0.45), right=max(1 - right / width, 0.55),
                                    bottom=min(bottom / height, 0.45), top=max(1 - top / height, 0.55))
        axes = self.axes = self.figure.add_subplot()
        self.train_line, = axes.plot([], [], marker="o", markersize=3, color=TRAIN_COLOUR)
        self.test_line, = axes.plot([], [], marker="s", markersize=3, color=TEST_COLOUR, linestyle="--")
        self.set_epochs(epochs)
        axes.yaxis.set_major_locator(MaxNLocator(nbins=5))
        axes.set_xlabel("epoch", fontsize=9)  # no y label: the page's caption names the chart
        axes.tick_params(labelsize=8.5)
        if kind == "accuracy":
            axes.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
        axes.grid(True, color="#e3e3e3", linewidth=0.8)
        axes.spines[["top", "right"]].set_visible(False)

    def set_epochs(self, epochs: int) -> None:
        """Set the x axis to epochs 1..epochs (cheaper than a new chart: a first drawing is slow)."""
        self.epochs = epochs
        last = max(epochs, 2)
        self.axes.set_xlim(0.8, last + 0.2)
        ticks = MaxNLocator(integer=True, nbins=6).tick_values(1, last)
        self.axes.xaxis.set_major_locator(FixedLocator([tick for tick in ticks if 1 <= tick <= last]))

    def render(self, train: Sequence[float], test: Sequence[float]) -> np.ndarray:
        """Draw the histories so far; return (height, width, 4) uint8."""
        self.train_line.set_data(np.arange(1, len(train) + 1), np.asarray(train, dtype=float))
        self.test_line.set_data(np.arange(1, len(test) + 1), np.asarray(test, dtype=float))
        if len(train) or len(test):
            self.axes.set_autoscaley_on(True)  # an empty chart's fixed limits turned it off
            self.axes.relim()
            self.axes.autoscale_view(scalex=False)
        else:
            self.axes.set_ylim(*EMPTY_LIMITS[self.kind])
        self.canvas.draw()
        return _exact_size(np.asarray(self.canvas.buffer_rgba()), self.width, self.height)


def loss_chart(train_loss: Sequence[float], test_loss: Sequence[float], epochs: int,
               width: int, height: int, scale: float = 1.0) -> np.ndarray:
    """Draw mean cross-entropy per epoch (train and test) once; return (height, width, 4) uint8."""
    return LineChart("loss", epochs, width, height, scale).render(train_loss, test_loss)


def accuracy_chart(train_accuracy: Sequence[float], test_accuracy: Sequence[float], epochs: int,
                   width: int, height: int, scale: float = 1.0) -> np.ndarray:
    """Draw accuracy per epoch (fractions 0..1 shown as %) once; return (height, width, 4) uint8."""
    return LineChart("accuracy", epochs, width, height, scale).render(train_accuracy, test_accuracy)


def _exact_size(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Crop or pad (white) to exactly (height, width, 4): figure sizes round to whole pixels."""
    result = np.full((height, width, 4), 255, dtype=np.uint8)
    rows, columns = min(height, pixels.shape[0]), min(width, pixels.shape[1])
    result[:rows, :columns] = pixels[:rows, :columns]
    return result
