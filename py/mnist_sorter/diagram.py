"""The network diagram: layers as columns of nodes, the strongest weights as edges.

Purpose: one picture of a whole network, returned as RGBA pixels (height, width, 4)
uint8 of exactly the requested size, like `plots.py`. Wide layers are drawn as a
fixed sample of their most important nodes (largest weight norms) with "+N more"
underneath; between shown nodes only the strongest edges of each layer are drawn,
blue for positive weights and red for negative, more opaque and thicker the
stronger. Given the activations of one image (the list `forward` returns), node
faces show how active each node is (normalised per layer), edges show what each
connection carries (activation times weight), and the output column shows the
probabilities. Non-goals: interaction, animation, I/O. No pyplot, no globals.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from mnist_sorter.network import Network, softmax
from mnist_sorter.plots import _exact_size

POSITIVE_COLOUR = "#1f6fb2"  # the blue of plots.py: a positive weight
NEGATIVE_COLOUR = "#d1495b"  # the red of plots.py: a negative weight
ACTIVE_COLOUR = "#6a3d9a"  # node faces fade from white to this as activation rises
TOP_COLOUR = "#2a9d3f"  # the most probable digit
NODE_EDGE_COLOUR = "#555555"
TEXT_COLOUR = "#222222"


def sample_nodes(network: Network, max_nodes: int = 16) -> list[np.ndarray]:
    """Choose the node indices to draw in each layer (sorted), at most `max_nodes` per layer.

    Layers up to `max_nodes` wide, and the output layer, are shown whole. Wider
    layers keep the nodes with the largest importance: the norm of the outgoing
    weights for the input, incoming norm times outgoing norm for hidden nodes.
    Depends on the weights only, so the sample does not jump as the input changes;
    ties go to the lower index.
    """
    if max_nodes < 2:
        raise ValueError(f"max_nodes must be at least 2, got {max_nodes}")
    sizes = network.layer_sizes
    chosen = []
    for layer, size in enumerate(sizes):
        if size <= max_nodes or layer == len(sizes) - 1:
            chosen.append(np.arange(size))
            continue
        importance = np.ones(size)
        if layer > 0:
            importance *= np.linalg.norm(network.weights[layer - 1], axis=0)  # incoming, (size,)
        importance *= np.linalg.norm(network.weights[layer], axis=1)  # outgoing, (size,)
        order = np.argsort(-importance, kind="stable")
        chosen.append(np.sort(order[:max_nodes]))
    return chosen


def network_diagram(network: Network, width: int, height: int, scale: float = 1.0,
                    activations: Sequence[np.ndarray] | None = None, max_nodes: int = 16,
                    max_edges: int = 60) -> np.ndarray:
    """Draw the network (and optionally one image's activations); return (height, width, 4) uint8.

    The same as `diagram_pixels(diagram_figure(...), width, height)`: the two halves
    let a browser lay out and rasterise in two tasks (each half a few tens of ms in Pyodide).
    """
    return diagram_pixels(diagram_figure(network, width, height, scale, activations, max_nodes, max_edges),
                          width, height)


def diagram_pixels(canvas: FigureCanvasAgg, width: int, height: int) -> np.ndarray:
    """Rasterise a figure from `diagram_figure`; return (height, width, 4) uint8."""
    canvas.draw()
    return _exact_size(np.asarray(canvas.buffer_rgba()), width, height)


def diagram_figure(network: Network, width: int, height: int, scale: float = 1.0,
                   activations: Sequence[np.ndarray] | None = None, max_nodes: int = 16,
                   max_edges: int = 60) -> FigureCanvasAgg:
    """Lay out the diagram `network_diagram` draws, without rasterising it; return its canvas.

    `width` and `height` are the image's pixels and `scale` the device pixel ratio
    (same layout, sharper pixels); `activations` is `forward`'s list for one image
    (vectors or (1, n) rows); `max_nodes` caps the nodes drawn per layer (the output's
    ten are always drawn) and `max_edges` the edges drawn between adjacent layers.
    """
    if width < 1 or height < 1:
        raise ValueError(f"diagram size must be positive, got {width}x{height}")
    sizes = network.layer_sizes
    values = _check_activations(activations, sizes)
    shown = sample_nodes(network, max_nodes)
    # Lay out in CSS pixels (y downwards) so sizes read the same at every scale.
    css_width, css_height = width / scale, height / scale
    columns = len(sizes)
    font = float(np.clip(css_width / columns / 7.5, 6.0, 9.0))
    char = font * 0.62 * 100 / 72  # rough width of one character in CSS pixels
    # Room for the column labels and "+N more" left of the input, the digits and
    # their probabilities right of the output.
    left = 4 + char * max(len(_more_text(sizes[0] - len(shown[0]))), len("input")) / 2
    label = "0 100%" if values is not None else "0"
    right = max(4 + 11 + char * len(label) * 1.1, 4 + char * len("output") / 2)  # 11: radius + gap
    xs = left + (css_width - left - right) * np.arange(columns) / max(columns - 1, 1)
    spacing_x = (xs[1] - xs[0]) if columns > 1 else css_width
    line = font * 1.45 * 100 / 72  # one line of text in CSS pixels
    top, bottom = 2 * line + 10, line + 8  # two label lines above, "+N more" below
    ys = [_column_ys(len(nodes), top, css_height - bottom) for nodes in shown]
    node_gap = min(float(np.diff(y).min()) if len(y) > 1 else 40.0 for y in ys)
    radius = float(np.clip(min(node_gap * 0.36, spacing_x * 0.22), 1.5, 8.0))

    dpi = 100 * scale
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor="white")
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    axes.set_xlim(0, css_width)
    axes.set_ylim(css_height, 0)
    points_per_css_pixel = 72 / 100  # dpi is 100 per CSS pixel

    segments, colours, widths = [], [], []
    for layer, weights in enumerate(network.weights):
        strength = weights[np.ix_(shown[layer], shown[layer + 1])]  # (shown in, shown out)
        if values is not None:
            strength = strength * values[layer][shown[layer]][:, None]  # what each edge carries now
        _strongest_edges(strength, max_edges, xs[layer], ys[layer], xs[layer + 1], ys[layer + 1],
                         segments, colours, widths)
    if segments:
        axes.add_collection(LineCollection(segments, colors=colours, linewidths=widths, zorder=1))

    faces = _node_faces(values, shown) if values is not None else None
    # All nodes in one scatter: a collection costs more to draw than its points.
    node_x = np.concatenate([np.full(len(nodes), xs[layer]) for layer, nodes in enumerate(shown)])
    node_y = np.concatenate(ys)
    node_faces = np.concatenate(faces) if faces is not None else "white"
    diameter_points = 2 * radius * points_per_css_pixel
    axes.scatter(node_x, node_y, s=diameter_points ** 2, c=node_faces,
                 edgecolors=NODE_EDGE_COLOUR, linewidths=0.8, zorder=2)
    for layer, nodes in enumerate(shown):
        _column_labels(axes, layer, sizes, nodes, xs[layer], top, css_height - bottom, font)
    _output_labels(axes, values, xs[-1], ys[-1], radius, font)
    return canvas


def _check_activations(activations, sizes: tuple[int, ...]) -> list[np.ndarray] | None:
    """Return one float vector per layer (output as probabilities), or None."""
    if activations is None:
        return None
    if len(activations) != len(sizes):
        raise ValueError(f"activations must have one entry per layer ({len(sizes)}), got {len(activations)}")
    values = []
    for size, layer in zip(sizes, activations):
        vector = np.asarray(layer, dtype=np.float64).reshape(-1)
        if vector.shape != (size,):
            raise ValueError(f"activations of one image expected: a layer of {size} has shape "
                             f"{np.shape(layer)}")
        values.append(vector)
    values[-1] = softmax(values[-1][None])[0]  # logits -> probabilities
    return values


def _column_ys(count: int, top: float, bottom: float) -> np.ndarray:
    """Spread `count` nodes evenly over [top, bottom], not further apart than 44 px."""
    if count == 1:
        return np.array([(top + bottom) / 2])
    span = min(bottom - top, 44.0 * (count - 1))
    start = (top + bottom - span) / 2
    return start + span * np.arange(count) / (count - 1)


def _strongest_edges(strength: np.ndarray, max_edges: int, x0: float, y0: np.ndarray, x1: float,
                     y1: np.ndarray, segments: list, colours: list, widths: list) -> None:
    """Append the `max_edges` strongest edges of one layer, shaded relative to the strongest."""
    magnitude = np.abs(strength).ravel()
    count = min(max_edges, int(np.count_nonzero(magnitude)))
    if count == 0:
        return
    picked = np.argsort(-magnitude, kind="stable")[:count]
    rows, cols = np.unravel_index(picked, strength.shape)
    relative = magnitude[picked] / magnitude[picked[0]]  # (count,) in (0, 1]
    positive, negative = np.array(to_rgba(POSITIVE_COLOUR)), np.array(to_rgba(NEGATIVE_COLOUR))
    rgba = np.where((strength[rows, cols] > 0)[:, None], positive, negative)
    rgba[:, 3] = 0.12 + 0.78 * relative ** 1.5  # fade the weak ones faster
    # Weakest first, so the strong edges are drawn on top.
    for i in range(count - 1, -1, -1):
        segments.append(((x0, y0[rows[i]]), (x1, y1[cols[i]])))
        colours.append(rgba[i])
        widths.append(0.3 + 2.2 * relative[i] ** 1.5)


def _node_faces(values: list[np.ndarray], shown: list[np.ndarray]) -> list[np.ndarray]:
    """Colour each shown node by its activation over the layer's largest (whole layer)."""
    white, active = np.array(to_rgba("white")), np.array(to_rgba(ACTIVE_COLOUR))
    faces = []
    for layer, nodes in enumerate(shown):
        vector = values[layer]
        peak = np.abs(vector).max()
        level = np.abs(vector[nodes]) / peak if peak > 0 else np.zeros(len(nodes))
        if layer == len(values) - 1:
            level = vector[nodes]  # probabilities are already on a common scale
        faces.append(white + (active - white) * level[:, None])
    return faces


def _column_labels(axes, layer: int, sizes: tuple[int, ...], nodes: np.ndarray, x: float,
                   top: float, bottom: float, font: float) -> None:
    last = len(sizes) - 1
    role = "input" if layer == 0 else "output" if layer == last else "hidden"
    axes.text(x, top - 7, f"{role}\n{sizes[layer]:,}", ha="center", va="bottom", fontsize=font,
              color=TEXT_COLOUR, linespacing=1.15)
    hidden_count = sizes[layer] - len(nodes)
    if hidden_count > 0:
        axes.text(x, bottom + 5, _more_text(hidden_count), ha="center", va="top",
                  fontsize=font * 0.9, color="#666666")


def _more_text(count: int) -> str:
    return f"+{count:,} more" if count > 0 else ""


def _output_labels(axes, values, x: float, ys: np.ndarray, radius: float, font: float) -> None:
    """Label the output nodes 0-9, with their probabilities when an image is shown."""
    best = int(values[-1].argmax()) if values is not None else -1
    for digit, y in enumerate(ys):
        text = str(digit)
        if values is not None:
            text += f" {values[-1][digit]:.0%}"
        axes.text(x + radius + 3, y, text, ha="left", va="center", fontsize=font,
                  color=TOP_COLOUR if digit == best else TEXT_COLOUR,
                  fontweight="bold" if digit == best else "normal")

