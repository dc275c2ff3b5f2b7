"""The run comparison chart: exact-size RGBA, one distinct colour per run, safe labels."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from mnist_sorter.compare import PALETTE, Curve, compare_chart, legend_label, style


def _colour_pixels(pixels: np.ndarray, colour: str, tolerance: int = 40) -> int:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels[..., :3].astype(int) - rgb).sum(axis=-1) < tolerance).sum())


RUNS = [Curve("run a", [0.80, 0.88, 0.90], [0.7, 0.45, 0.38]),
        Curve("run b", [0.70, 0.84], [0.9, 0.55]),
        Curve("run c", [0.91], [0.33])]


@pytest.mark.parametrize("width, height, scale", [(900, 320, 1.0), (700, 900, 2.0), (120, 90, 1.0)])
def test_size_dtype_and_opaque(width, height, scale):
    pixels = compare_chart(RUNS, width, height, scale)
    assert pixels.shape == (height, width, 4)
    assert pixels.dtype == np.uint8
    assert (pixels[..., 3] == 255).all()


@pytest.mark.parametrize("width, height", [(900, 320), (360, 560)])  # side by side, stacked
def test_each_run_has_its_own_colour(width, height):
    pixels = compare_chart(RUNS, width, height)
    for index in range(len(RUNS)):
        assert _colour_pixels(pixels, style(index)[0]) > 30, index


def test_colours_and_dashes_are_distinct_for_many_runs():
    styles = [style(index) for index in range(len(PALETTE) * 3)]
    assert len(set(styles)) == len(styles)
    assert len(set(PALETTE)) == len(PALETTE)


def test_unsafe_labels_are_drawn_as_text():
    assert legend_label("cost $5 $") == r"cost \$5 \$"
    assert legend_label("a\nb\tc") == "a b c"
    assert len(legend_label("x" * 200)) == 32
    # mathtext would raise on an unbalanced or bad `$...$`; the label is plain text instead.
    pixels = compare_chart([Curve("$\\frac{$", [0.5], [1.0]), Curve("<img src=x>", [0.6], [0.9])], 400, 300)
    assert pixels.shape == (300, 400, 4)


def test_no_runs_or_no_epochs_still_draws_axes():
    for curves in ([], [Curve("started", [], [])]):
        pixels = compare_chart(curves, 500, 300)
        assert pixels[..., :3].std() > 0
        assert _colour_pixels(pixels, PALETTE[0]) < 30 or curves  # legend swatch only


def test_same_input_same_pixels():
    assert np.array_equal(compare_chart(RUNS, 400, 300), compare_chart(RUNS, 400, 300))


def test_bad_size_is_refused():
    with pytest.raises(ValueError):
        compare_chart(RUNS, 0, 100)
