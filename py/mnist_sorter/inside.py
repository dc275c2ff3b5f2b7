"""Looking inside a trained network: first-layer weights, confusion, mistakes, probabilities.

Purpose: the numbers (`weight_images`, `confusion_matrix`, `misclassified`,
`gallery_layout`) and their pictures (`weights_grid`, `confusion_chart`,
`gallery`, `probability_bars`). Each picture is RGBA pixels (height, width, 4)
uint8 of exactly the requested size, drawn with matplotlib's Agg like
`plots.py`; `scale` is the device pixel ratio (same layout, sharper pixels), and
every pixel position (`gallery_layout`) is in the image's own pixels. Non-goals:
I/O, the DOM, pyplot.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mnist_sorter.network import CLASSES, Network
from mnist_sorter.plots import _exact_size

TOP_COLOUR = "#2a9d3f"  # the most probable digit, and right answers
WRONG_COLOUR = "#d1495b"  # mistakes (the red of plots.py)
BAR_COLOUR = "#9aa5b1"
TEXT_COLOUR = "#222222"
FRAME_GREY = 200  # thumbnail frames


def weight_images(network: Network, count: int = 64) -> np.ndarray:
    """Return the first layer's incoming weights of its first `count` units as (count, 28, 28).

    With no hidden layer the first layer is the output layer, and these are the
    ten digit templates of softmax regression.
    """
    first = network.weights[0]  # (784, n_units)
    count = min(count, first.shape[1])
    return first[:, :count].T.reshape(count, 28, 28).astype(np.float64)


def weights_grid(network: Network, width: int, height: int, scale: float = 1.0,
                 max_units: int = 64) -> np.ndarray:
    """Draw the first layer's weights as a grid of 28x28 images; return (height, width, 4) uint8.

    Blue is positive, red negative, white zero; each unit is scaled to its own
    largest |weight| so that faint units still show their pattern.
    """
    figure, canvas = _figure(width, height, scale)
    images = weight_images(network, max_units)  # (count, 28, 28)
    units = network.layer_sizes[1]
    templates = len(network.weights) == 1
    count = len(images)
    title = ("output weights: one template per digit" if templates else
             f"first hidden layer: {'all ' if count == units else f'{count} of '}{units} units")
    figure.text(0.5, 1 - 6 * scale / height, title, ha="center", va="top", fontsize=9, color=TEXT_COLOUR)
    figure.text(0.5, 4 * scale / height, "blue: positive weight, red: negative (each image scaled alone)",
                ha="center", va="bottom", fontsize=7.5, color="#666666")
    top, bottom, side = 26 * scale, 20 * scale, 6 * scale
    label_room = 12 * scale if templates else 0  # a digit under each template
    rows, columns, tile = _grid_shape(count, width - 2 * side, height - top - bottom, label_room)
    peak = np.abs(images).max(axis=(1, 2), keepdims=True)
    normalised = images / np.where(peak > 0, peak, 1)  # (count, 28, 28) in [-1, 1]
    gap = 2  # image pixels between tiles, in 28-pixel units
    mosaic = np.full((rows * (28 + gap) - gap, columns * (28 + gap) - gap), np.nan)
    for unit in range(count):
        row, column = divmod(unit, columns)
        mosaic[row * (28 + gap):row * (28 + gap) + 28, column * (28 + gap):column * (28 + gap) + 28] = \
            normalised[unit]
    cell = tile * (28 + gap) / 28  # screen pixels per tile including the gap
    grid_width, grid_height = columns * cell - tile * gap / 28, rows * cell - tile * gap / 28
    grid_height_total = grid_height + rows * label_room
    left = (width - grid_width) / 2
    lowest = bottom + (height - top - bottom - grid_height_total) / 2
    if templates:  # one axes per row leaves room for the digit labels between rows
        for row in range(rows):
            y = lowest + (rows - 1 - row) * (cell + label_room) + label_room
            strip = mosaic[row * (28 + gap):row * (28 + gap) + 28]
            _image_axes(figure, strip, left, y, grid_width, tile, width, height)
            for column in range(columns):
                digit = row * columns + column
                if digit < count:
                    figure.text((left + column * cell + tile / 2) / width, (y - 2 * scale) / height,
                                str(digit), ha="center", va="top", fontsize=8, color=TEXT_COLOUR)
    else:
        _image_axes(figure, mosaic, left, lowest, grid_width, grid_height, width, height)
    canvas.draw()
    return _exact_size(np.asarray(canvas.buffer_rgba()), width, height)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Count (true digit, predicted digit) pairs: rows are true digits, columns predictions."""
    matrix = np.zeros((CLASSES, CLASSES), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels, dtype=np.intp), np.asarray(predicted, dtype=np.intp)), 1)
    return matrix


def confusion_chart(matrix: np.ndarray, width: int, height: int, scale: float = 1.0) -> np.ndarray:
    """Draw a 10x10 confusion matrix with its counts; return (height, width, 4) uint8.

    Right answers (the diagonal) are shaded blue by their share of the true
    digit's row; mistakes red by their share relative to the worst mistake, so
    that the commonest confusions stand out even in a 99 % network.
    """
    matrix = np.asarray(matrix)
    if matrix.shape != (CLASSES, CLASSES):
        raise ValueError(f"confusion matrix must be 10x10, got {matrix.shape}")
    figure, canvas = _figure(width, height, scale)
    left, right, top, bottom = 44 * scale, 8 * scale, 24 * scale, 34 * scale
    side = max(min(width - left - right, height - top - bottom), 10.0)
    axes = figure.add_axes(((left + (width - left - right - side) / 2) / width,
                            (bottom + (height - top - bottom - side) / 2) / height,
                            side / width, side / height))
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)  # (10, 10) fraction of each row
    correct = np.eye(CLASSES, dtype=bool)
    blue, red = np.array([0.12, 0.44, 0.70]), np.array([0.82, 0.29, 0.36])
    # Mistakes are a few % of a row or less: shade them relative to the worst one.
    worst = share[~correct].max()
    mistakes = np.where(share > 0, 0.12 + 0.73 * share / worst if worst > 0 else 0.0, 0.0)
    level = np.where(correct, share, mistakes)[..., None]
    colours = np.where(correct[..., None], blue, red) * level + (1 - level)  # blend from white
    axes.imshow(colours, interpolation="nearest", aspect="auto")
    cell_css = side / scale / CLASSES
    digits = max(len(str(int(matrix.max()))), 1)
    font = float(np.clip(cell_css / (0.62 * digits + 0.5) * 0.72, 4.5, 9.0))
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            dark = level[row, column, 0] > 0.55
            axes.text(column, row, str(count), ha="center", va="center", fontsize=font,
                      color="white" if dark else TEXT_COLOUR)
    axes.set_xticks(range(CLASSES))
    axes.set_yticks(range(CLASSES))
    axes.tick_params(length=0, labelsize=8, pad=2)
    axes.set_xlabel("predicted digit", fontsize=8.5, labelpad=3)
    axes.set_ylabel("true digit", fontsize=8.5, labelpad=3)
    for spine in axes.spines.values():
        spine.set_color("#bbbbbb")
    total = int(matrix.sum())
    accuracy = matrix.trace() / total if total else 0.0
    figure.text(0.5, 1 - 5 * scale / height, f"{total:,} images, {accuracy:.2%} correct",
                ha="center", va="top", fontsize=9, color=TEXT_COLOUR)
    canvas.draw()
    return _exact_size(np.asarray(canvas.buffer_rgba()), width, height)


def misclassified(probabilities: np.ndarray, labels: np.ndarray, limit: int = 48) -> np.ndarray:
    """Return indices of wrongly predicted images, the most confident mistakes first.

    Ties keep the lower index first, so the order is deterministic.
    """
    probabilities = np.asarray(probabilities)
    predicted = probabilities.argmax(axis=1)  # (N,)
    wrong = np.flatnonzero(predicted != np.asarray(labels))
    confidence = probabilities[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")][:limit]


def gallery_layout(count: int, width: int, height: int, columns: int | None = None,
                   scale: float = 1.0) -> np.ndarray:
    """Return each thumbnail tile's pixel rectangle as rows [left, top, width, height] (int).

    A tile is a square thumbnail with its caption underneath. Only the tiles that
    fit are returned (fewer than `count` when the canvas is small); `columns`
    defaults to as many tiles of at least 92 CSS pixels as fit across.
    """
    gap, caption = round(6 * scale), round(16 * scale)
    if columns is None:
        columns = max(1, int((width - gap) // (round(92 * scale) + gap)))
    tile_width = (width - gap * (columns + 1)) // columns
    if tile_width < 8 or count <= 0:
        return np.zeros((0, 4), dtype=np.int64)
    rows_needed = -(-count // columns)
    # Square thumbnails as wide as the tile, unless the rows must shrink to fit.
    tile_height = min(tile_width + caption, (height - gap) // max(rows_needed, 1) - gap)
    tile_height = max(tile_height, min(tile_width + caption, round(48 * scale) + caption))
    rows = max(0, min(rows_needed, (height - gap) // (tile_height + gap)))
    shown = min(count, rows * columns)
    index = np.arange(shown)
    row, column = index // columns, index % columns
    return np.stack([gap + column * (tile_width + gap), gap + row * (tile_height + gap),
                     np.full(shown, tile_width), np.full(shown, tile_height)], axis=1).astype(np.int64)


def tile_at(layout: np.ndarray, x: float, y: float) -> int | None:
    """Return the position in `layout` of the tile containing pixel (x, y), or None."""
    for position, (left, top, tile_width, tile_height) in enumerate(layout):
        if left <= x < left + tile_width and top <= y < top + tile_height:
            return position
    return None


def gallery(images: np.ndarray, labels: np.ndarray, probabilities: np.ndarray, indices: np.ndarray,
            width: int, height: int, scale: float = 1.0, columns: int | None = None) -> np.ndarray:
    """Draw thumbnails of images[indices] captioned "true 4 → 9 (87%)"; return (height, width, 4) uint8.

    Tiles follow `gallery_layout(len(indices), width, height, columns, scale)`.
    """
    indices = np.asarray(indices, dtype=np.intp)
    layout = gallery_layout(len(indices), width, height, columns, scale)
    figure, canvas = _figure(width, height, scale)
    caption_height = round(16 * scale)
    if len(indices) == 0:
        figure.text(0.5, 0.5, "no mistakes to show", ha="center", va="center", fontsize=9, color="#666666")
    for (left, top, tile_width, tile_height), index in zip(layout, indices):
        predicted = int(np.argmax(probabilities[index]))
        true = int(labels[index])
        text = f"true {true} → {predicted} ({probabilities[index][predicted]:.0%})"
        figure.text((left + tile_width / 2) / width, 1 - (top + tile_height - caption_height / 2) / height,
                    text, ha="center", va="center", fontsize=7.5 if tile_width / scale >= 84 else 6.5,
                    color=WRONG_COLOUR if predicted != true else TOP_COLOUR)
    canvas.draw()
    pixels = _exact_size(np.asarray(canvas.buffer_rgba()), width, height)
    for (left, top, tile_width, tile_height), index in zip(layout, indices):
        side = max(min(tile_width, tile_height - caption_height), 1)
        offset = left + (tile_width - side) // 2
        ink = np.asarray(images[index], dtype=np.float64)
        ink = ink / 255 if np.asarray(images).dtype == np.uint8 else ink
        nearest = (np.arange(side) * 28) // side  # nearest-neighbour upscaling, crisp pixels
        paper = np.round(255 * (1 - np.clip(ink[np.ix_(nearest, nearest)], 0, 1))).astype(np.uint8)
        pixels[top:top + side, offset:offset + side, :3] = paper[..., None]
        pixels[top:top + side, offset:offset + side, 3] = 255
        frame = pixels[max(top - 1, 0):top + side + 1, max(offset - 1, 0):offset + side + 1]
        frame[[0, -1], :, :3] = FRAME_GREY  # a thin frame: the paper is as white as the page
        frame[:, [0, -1], :3] = FRAME_GREY
    return pixels


def probability_bars(probabilities: np.ndarray, width: int, height: int, scale: float = 1.0,
                     highlight: int | None = None) -> np.ndarray:
    """Draw P(digit) for 0-9 as bars, the most probable (or `highlight`) in green; return RGBA."""
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    if probabilities.shape != (CLASSES,):
        raise ValueError(f"expected 10 probabilities, got shape {probabilities.shape}")
    best = int(probabilities.argmax()) if highlight is None else int(highlight)
    figure, canvas = _figure(width, height, scale)
    left, right, top, bottom = 42 * scale, 8 * scale, 18 * scale, 22 * scale
    axes = figure.add_axes((left / width, bottom / height, max(width - left - right, 1) / width,
                            max(height - top - bottom, 1) / height))
    colours = [TOP_COLOUR if digit == best else BAR_COLOUR for digit in range(CLASSES)]
    axes.bar(range(CLASSES), probabilities, color=colours, width=0.72)
    axes.set_xlim(-0.6, CLASSES - 0.4)
    axes.set_ylim(0, 1)
    axes.set_xticks(range(CLASSES))
    axes.set_yticks([0, 0.5, 1])
    axes.set_yticklabels(["0%", "50%", "100%"])
    axes.tick_params(labelsize=8, length=2, pad=2)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(True, axis="y", color="#e3e3e3", linewidth=0.8)
    axes.set_axisbelow(True)
    for tick in axes.get_xticklabels():
        if tick.get_text() == str(best):
            tick.set_color(TOP_COLOUR)
            tick.set_fontweight("bold")
    for digit, probability in enumerate(probabilities):
        if digit == best or probability >= 0.1:  # label the bars that matter, not ten tiny ones
            axes.text(digit, min(probability, 1.0) + 0.02, f"{probability:.0%}", ha="center", va="bottom",
                      fontsize=8, color=TOP_COLOUR if digit == best else "#555555",
                      fontweight="bold" if digit == best else "normal", clip_on=False)
    canvas.draw()
    return _exact_size(np.asarray(canvas.buffer_rgba()), width, height)


def _figure(width: int, height: int, scale: float) -> tuple[Figure, FigureCanvasAgg]:
    if width < 1 or height < 1:
        raise ValueError(f"figure size must be positive, got {width}x{height}")
    dpi = 100 * scale  # `scale` is the device pixel ratio: same layout, sharper pixels
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor="white")
    return figure, FigureCanvasAgg(figure)


def _grid_shape(count: int, width: float, height: float, label_room: float) -> tuple[int, int, float]:
    """Choose rows and columns that make the tiles largest; return (rows, columns, tile side)."""
    best = (1, max(count, 1), 0.0)
    for rows in range(1, max(count, 1) + 1):
        columns = -(-count // rows)
        tile = min(width / (columns * 30 / 28), (height - rows * label_room) / (rows * 30 / 28))
        if tile > best[2]:
            best = (rows, columns, tile)
    return best[0], best[1], max(best[2], 1.0)


def _image_axes(figure: Figure, image: np.ndarray, left: float, bottom: float, width: float,
                height: float, figure_width: int, figure_height: int) -> None:
    axes = figure.add_axes((left / figure_width, bottom / figure_height,
                            width / figure_width, height / figure_height))
    axes.imshow(np.ma.masked_invalid(image), cmap=_diverging(), vmin=-1, vmax=1,
                interpolation="nearest", aspect="auto")
    axes.set_axis_off()


def _diverging():
    from matplotlib import colormaps

    colormap = colormaps["RdBu"].copy()  # red negative, white zero, blue positive
    colormap.set_bad("white")
    return colormap
