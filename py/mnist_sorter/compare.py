"""Several runs' curves overlaid in one chart: test accuracy and test loss per epoch.

The run log's comparison: each run gets a distinct colour (and, past the
palette, a distinct dash), a legend names them, and two panels share the
legend, side by side on a wide canvas and stacked on a narrow one. Like
`plots.py` it returns an RGBA image (height, width, 4) uint8 of exactly the
requested size, for a canvas's ImageData or a PNG. No pyplot, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator, PercentFormatter

from mnist_sorter.plots import _exact_size

# Okabe and Ito's colour-blind-safe palette (yellow left out: too pale on white).
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
DASHES = ("-", "--", ":", "-.")  # the next round of the palette gets the next dash
SIDE_BY_SIDE_WIDTH = 560  # CSS pixels: narrower canvases stack the two panels
MAX_LABEL = 32  # characters of a legend entry


@dataclass(frozen=True)
class Curve:
    """One run's per-epoch test figures (epoch 1 first) and its legend label."""

    label: str
    test_accuracy: Sequence[float] = field(default_factory=tuple)
    test_loss: Sequence[float] = field(default_factory=tuple)


def style(index: int) -> tuple[str, str]:
    """Return the (colour, dash) of the index-th curve: colours first, then dashes."""
    return PALETTE[index % len(PALETTE)], DASHES[(index // len(PALETTE)) % len(DASHES)]


def legend_label(text: str) -> str:
    """Make a run's label safe for matplotlib: shortened, and `$` not read as maths."""
    text = " ".join(text.split())  # newlines and tabs from a note or name
    if len(text) > MAX_LABEL:
        text = text[:MAX_LABEL - 1] + "\N{HORIZONTAL ELLIPSIS}"
    return text.replace("$", r"\$")


def compare_chart(curves: Sequence[Curve], width: int, height: int, scale: float = 1.0) -> np.ndarray:
    """Draw every curve's test accuracy and test loss per epoch; return (height, width, 4) uint8."""
    if width < 1 or height < 1:
        raise ValueError(f"chart size must be positive, got {width}x{height}")
    dpi = 100 * scale  # `scale` is the device pixel ratio: same layout, sharper pixels
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor="white")
    canvas = FigureCanvasAgg(figure)
    css_width, css_height = width / scale, height / scale
    side_by_side = css_width >= SIDE_BY_SIDE_WIDTH
    columns = max(1, min(len(curves), int(css_width // 170)))
    legend_rows = math.ceil(len(curves) / columns) if curves else 0
    top = 24 + 19 * legend_rows  # CSS pixels kept for the legend and the panel titles
    figure.subplots_adjust(left=min(52 / css_width, 0.4), right=max(1 - 12 / css_width, 0.6),
                           bottom=min(40 / css_height, 0.3), top=max(1 - top / css_height, 0.6),
                           wspace=0.28 if side_by_side else 0.2,
                           hspace=0.2 if side_by_side else 70 / max(css_height / 2, 1))
    grid = (1, 2) if side_by_side else (2, 1)
    accuracy_axes = figure.add_subplot(*grid, 1)
    loss_axes = figure.add_subplot(*grid, 2)
    last_epoch = max([2, *(max(len(c.test_accuracy), len(c.test_loss)) for c in curves)])
    for axes, title in ((accuracy_axes, "test accuracy"), (loss_axes, "test loss")):
        axes.set_title(title, fontsize=9, loc="left", pad=4)
        axes.set_xlim(0.8, last_epoch + 0.2)
        ticks = MaxNLocator(integer=True, nbins=6).tick_values(1, last_epoch)
        axes.xaxis.set_major_locator(FixedLocator([tick for tick in ticks if 1 <= tick <= last_epoch]))
        axes.yaxis.set_major_locator(MaxNLocator(nbins=5))
        axes.tick_params(labelsize=8)
        axes.grid(True, color="#e3e3e3", linewidth=0.8)
        axes.spines[["top", "right"]].set_visible(False)
    loss_axes.set_xlabel("epoch", fontsize=8.5)
    if side_by_side:
        accuracy_axes.set_xlabel("epoch", fontsize=8.5)
    accuracy_axes.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))

    handles = []
    for index, curve in enumerate(curves):
        colour, dash = style(index)
        options = {"color": colour, "linestyle": dash, "linewidth": 1.6, "marker": "o", "markersize": 3}
        accuracy = np.asarray(curve.test_accuracy, dtype=float)
        loss = np.asarray(curve.test_loss, dtype=float)
        line, = accuracy_axes.plot(np.arange(1, len(accuracy) + 1), accuracy,
                                   label=legend_label(curve.label), **options)
        loss_axes.plot(np.arange(1, len(loss) + 1), loss, **options)
        handles.append(line)
    if not any(len(c.test_accuracy) for c in curves):
        accuracy_axes.set_ylim(0.0, 1.0)
    if not any(len(c.test_loss) for c in curves):
        loss_axes.set_ylim(0.0, 2.5)
    if handles:
        figure.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1.0), ncols=columns,
                      fontsize=8.5, frameon=False, handlelength=2.2, borderaxespad=0.3,
                      columnspacing=1.2)
    canvas.draw()
    return _exact_size(np.asarray(canvas.buffer_rgba()), width, height)
