"""MNIST-style preprocessing of drawn or photographed digits."""

import numpy as np
import pytest

from mnist_sorter.preprocess import centre_by_mass, ink_from_picture, resample, to_mnist


def stroke_digit(size=200, offset=(0, 0), scale=1.0):
    """Draw a '7'-like shape (bar and diagonal) on a canvas of `size` pixels."""
    canvas = np.zeros((size, size))
    top, left = 40 + offset[0], 50 + offset[1]
    width, height, thick = int(80 * scale), int(110 * scale), max(2, int(10 * scale))
    canvas[top:top + thick, left:left + width] = 1.0
    for step in range(height):
        col = left + width - int(step * width / height / 1.5)
        canvas[top + step, col - thick:col] = 1.0
    return canvas


def test_output_is_28x28_in_20x20_box_centred_by_mass():
    image = to_mnist(stroke_digit())
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert 0 <= image.min() and image.max() <= 1.0001
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) == 20
    mass = image / image.sum()
    assert (mass.sum(axis=1) @ np.arange(28)) == pytest.approx(13.5, abs=0.6)
    assert (mass.sum(axis=0) @ np.arange(28)) == pytest.approx(13.5, abs=0.6)


def test_shifted_or_scaled_digits_give_nearly_the_same_image():
    reference = to_mnist(stroke_digit())
    for variant in (stroke_digit(offset=(30, -20)), stroke_digit(scale=0.6), stroke_digit(size=400, scale=1.8)):
        image = to_mnist(variant)
        assert np.abs(image - reference).mean() < 0.06


def test_blank_pictures_give_no_digit():
    assert to_mnist(np.zeros((280, 280))) is None
    assert to_mnist(np.full((50, 50), 0.01)) is None


def test_a_thin_vertical_stroke_stays_thin_like_an_mnist_one():
    canvas = np.zeros((280, 280))
    canvas[40:240, 135:150] = 1.0
    image = to_mnist(canvas)
    cols = np.flatnonzero(image.max(axis=0) > 0.3)
    assert len(cols) <= 4  # aspect ratio kept: not stretched into a block


def test_dark_ink_on_paper_and_transparent_rgba_are_read_as_ink():
    ink = stroke_digit()
    paper = np.stack([255 - ink * 255] * 3, axis=2).astype(np.uint8)  # black ink on white RGB
    np.testing.assert_allclose(ink_from_picture(paper), ink, atol=1e-6)
    rgba = np.zeros((200, 200, 4), np.uint8)
    rgba[..., 3] = (ink * 255).astype(np.uint8)  # black ink on a transparent background
    np.testing.assert_allclose(ink_from_picture(rgba), ink, atol=1e-6)
    with pytest.raises(ValueError):
        ink_from_picture(np.zeros((2, 2, 2, 2)))


def test_resample_preserves_mean_and_centre_by_mass_places_the_mass():
    image = np.random.default_rng(0).random((37, 53))
    assert resample(image, 20, 14).mean() == pytest.approx(image.mean(), rel=1e-9)
    dot = np.zeros((3, 3))
    dot[0, 0] = 1
    field = centre_by_mass(dot)
    assert field.shape == (28, 28) and field.sum() == 1
    assert field[14, 14] == 1  # the centre 13.5 rounds half to even
