"""Pixels between numpy and `<canvas>`: read a pad's ink, put RGBA images, size to the CSS box.

Shared by the drawing pad, the network diagram and the inside views. The
backing store gets the CSS size times the device pixel ratio (capped at 2, as
charts.py does), so pictures stay crisp on phones.
"""

from __future__ import annotations

import math

import js
import numpy as np
from pyodide.ffi import to_js
from pyscript import window

MAX_SCALE = 2.0


def css_size(canvas) -> tuple[int, int, float]:
    """Return (width, height, scale): the canvas's CSS box in device pixels, and the ratio."""
    box = canvas.getBoundingClientRect()
    scale = min(float(window.devicePixelRatio or 1), MAX_SCALE)
    return max(1, math.floor(box.width * scale)), max(1, math.floor(box.height * scale)), scale


def put_rgba(canvas, pixels: np.ndarray) -> None:
    """Copy a (height, width, 4) uint8 array onto the canvas, resizing its backing store."""
    height, width = pixels.shape[:2]
    if canvas.width != width or canvas.height != height:
        canvas.width, canvas.height = width, height
    data = js.Uint8ClampedArray.new(to_js(memoryview(np.ascontiguousarray(pixels).reshape(-1))).buffer)
    canvas.getContext("2d").putImageData(js.ImageData.new(data, width, height), 0, 0)


def grey_to_rgba(ink: np.ndarray) -> np.ndarray:
    """Return ink (H, W) in [0, 1] as dark-on-white RGBA (H, W, 4) uint8, as the gallery shows digits."""
    paper = np.round(255 * (1 - np.clip(ink, 0, 1))).astype(np.uint8)
    return np.dstack([paper, paper, paper, np.full_like(paper, 255)])


def read_ink(canvas, max_side: int = 280) -> np.ndarray:
    """Return the canvas's alpha channel as ink (H, W) float in [0, 1], at most `max_side` a side.

    A pad drawn at twice its CSS size is averaged down by blocks first: the same
    picture, a quarter of the pixels for `to_mnist` to resample.
    """
    width, height = int(canvas.width), int(canvas.height)
    data = canvas.getContext("2d").getImageData(0, 0, width, height).data
    alpha = np.frombuffer(data.to_bytes(), dtype=np.uint8).reshape(height, width, 4)[..., 3]
    factor = max(1, math.ceil(max(width, height) / max_side))
    if factor > 1:
        height, width = height // factor * factor, width // factor * factor
        alpha = alpha[:height, :width].reshape(height // factor, factor, width // factor, factor).mean(axis=(1, 3))
    return alpha.astype(np.float64) / 255.0
