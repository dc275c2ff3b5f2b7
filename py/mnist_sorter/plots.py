"""Training charts as pixels: per-epoch loss and accuracy drawn by matplotlib's Agg.

Each function takes the history so far and returns an RGBA image (height, width, 4)
uint8 of exactly the requested size, ready for a canvas's ImageData or a PNG.
No pyplot (no global figure state, no backend selection) and no file I/O.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

TRAIN_COLOUR = "#1f6fb2"
TEST_COLOUR = "#d1495b"


def loss_chart(train_loss: Sequence[float], test_loss: Sequence[float], epochs: int,
               width: int, height: int, scale: float = 1.0) -> np.ndarray:
    """Draw mean cross-entropy per epoch (train and test); return (height, width, 4) uint8."""
    return _line_chart(train_loss, test_loss, epochs, width, height, scale,
                       ylabel="cross-entropy loss", percent=False)


def accuracy_chart(train_accuracy: Sequence[float], test_accuracy: Sequence[float], epochs: int,
                   width: int, height: int, scale: float = 1.0) -> np.ndarray:
    """Draw accuracy per epoch (fractions 0..1 shown as %); return (height, width, 4) uint8."""
    return _line_chart(train_accuracy, test_accuracy, epochs, width, height, scale,
                       ylabel="accuracy", percent=True)


def _line_chart(train: Sequence[float], test: Sequence[float], epochs: int, width: int,
                height: int, scale: float, ylabel: str, percent: bool) -> np.ndarray:
    if width < 1 or height < 1:
        raise ValueError(f"chart size must be positive, got {width}x{height}")
    dpi = 100 * scale  # `scale` is the device pixel ratio: same layout, sharper pixels
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor="white")
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    epochs_axis = np.arange(1, len(train) + 1)
    axes.plot(epochs_axis, np.asarray(train, dtype=float), marker="o", markersize=3,
              color=TRAIN_COLOUR, label="train")
    axes.plot(np.arange(1, len(test) + 1), np.asarray(test, dtype=float), marker="s", markersize=3,
              color=TEST_COLOUR, label="test", linestyle="--")
    axes.set_xlim(0.8, max(epochs, 2) + 0.2)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    axes.set_xlabel("epoch", fontsize=9)
    axes.set_ylabel(ylabel, fontsize=9)
    axes.tick_params(labelsize=8.5)
    if percent:
        axes.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
    axes.grid(True, color="#e3e3e3", linewidth=0.8)
    axes.spines[["top", "right"]].set_visible(False)
    if len(train) or len(test):
        axes.legend(loc="best", frameon=False, fontsize=9)
    # Fixed margins (in CSS pixels) instead of tight_layout: cheaper, and the plot area
    # does not jump as the tick labels change from one epoch to the next.
    left, right, bottom, top = 66 * scale, 12 * scale, 40 * scale, 10 * scale
    figure.subplots_adjust(left=min(left / width, 0.45), right=max(1 - right / width, 0.55),
                           bottom=min(bottom / height, 0.45), top=max(1 - top / height, 0.55))
    canvas.draw()
    return _exact_size(np.asarray(canvas.buffer_rgba()), width, height)


def _exact_size(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Crop or pad (white) to exactly (height, width, 4): figure sizes round to whole pixels."""
    result = np.full((height, width, 4), 255, dtype=np.uint8)
    rows, columns = min(height, pixels.shape[0]), min(width, pixels.shape[1])
    result[:rows, :columns] = pixels[:rows, :columns]
    return result
