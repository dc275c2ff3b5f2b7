"""Turn any picture of one digit into a 28x28 image prepared the way MNIST's were.

MNIST digits were size-normalised to fit a 20x20 box keeping their aspect
ratio, anti-aliased to grey levels, then placed in a 28x28 field so that their
centre of mass sits at the centre. A drawing that skips these steps is read
badly even by a network with 98 % test accuracy, so the drawing pad and the
command line's `predict` both go through `to_mnist`.

Images here are float arrays with ink high (1.0) on a dark (0.0) background.
"""

from __future__ import annotations

import numpy as np

FIELD = 28  # side of the MNIST image
BOX = 20  # side of the box the digit is scaled into
INK_THRESHOLD = 0.1  # fraction of the brightest pixel that counts as ink for cropping


def ink_from_picture(picture: np.ndarray) -> np.ndarray:
    """Return ink intensity in [0, 1] from a grey, RGB or RGBA picture of any polarity.

    Dark ink on light paper is inverted; transparent pixels are composited onto white.
    """
    picture = np.asarray(picture, dtype=np.float64)
    if picture.ndim == 3 and picture.shape[2] in (3, 4):
        scale = 255.0 if picture.max(initial=0) > 1.0 else 1.0
        grey = picture[..., :3].mean(axis=2) / scale
        if picture.shape[2] == 4:  # composite onto white paper, as an image viewer shows it
            alpha = picture[..., 3] / scale
            grey = alpha * grey + (1.0 - alpha)
    elif picture.ndim == 2:
        grey = picture / (255.0 if picture.max(initial=0) > 1.0 else 1.0)
    else:
        raise ValueError(f"expected a grey, RGB or RGBA picture, got shape {picture.shape}")
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 0.5:  # light paper: ink is dark
        grey = 1.0 - grey
    return np.clip(grey, 0.0, 1.0)


def to_mnist(ink: np.ndarray) -> np.ndarray | None:
    """Return the 28x28 float32 MNIST-style image of `ink` (H, W), or None if it is blank."""
    ink = np.asarray(ink, dtype=np.float64)
    if ink.ndim != 2 or ink.size == 0:
        raise ValueError(f"expected a 2-D image, got shape {ink.shape}")
    peak = float(ink.max())
    if not np.isfinite(peak) or peak <= 0.02:
        return None
    rows = np.flatnonzero((ink > INK_THRESHOLD * peak).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD * peak).any(axis=0))
    cropped = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] / peak  # (h, w)
    height, width = cropped.shape
    scale = BOX / max(height, width)
    new_height = max(1, round(height * scale))
    new_width = max(1, round(width * scale))
    scaled = resample(cropped, new_height, new_width)  # (<=20, <=20)
    return centre_by_mass(scaled).astype(np.float32)


def resample(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize by area averaging (anti-aliased when shrinking, linear-like when growing)."""
    return _area_matrix(image.shape[0], height) @ image @ _area_matrix(image.shape[1], width).T


def _area_matrix(source: int, target: int) -> np.ndarray:
    """Return (target, source) weights: each target cell averages the source span it covers."""
    edges = np.linspace(0.0, source, target + 1)  # target cell boundaries in source units
    starts, ends = edges[:-1, None], edges[1:, None]
    left = np.arange(source)[None, :]
    overlap = np.clip(np.minimum(ends, left + 1) - np.maximum(starts, left), 0.0, None)  # (target, source)
    return overlap / overlap.sum(axis=1, keepdims=True)


def centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place `digit` (at most 28x28) in a 28x28 field with its centre of mass at the centre."""
    height, width = digit.shape
    total = digit.sum()
    row_mass = (digit.sum(axis=1) * np.arange(height)).sum() / total
    col_mass = (digit.sum(axis=0) * np.arange(width)).sum() / total
    centre = (FIELD - 1) / 2
    top = int(np.clip(round(centre - row_mass), 0, FIELD - height))
    left = int(np.clip(round(centre - col_mass), 0, FIELD - width))
    field = np.zeros((FIELD, FIELD))
    field[top:top + height, left:left + width] = digit
    return field
