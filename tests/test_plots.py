"""The chart renderers return exactly-sized RGBA pixels that show the data."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from mnist_sorter.plots import TEST_COLOUR, TRAIN_COLOUR, LineChart, accuracy_chart, loss_chart


def _has_colour(pixels: np.ndarray, colour: str, tolerance: int = 40) -> bool:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    distance = np.abs(pixels[..., :3].astype(int) - rgb).sum(axis=-1)
    return bool((distance < tolerance).sum() > 20)


@pytest.mark.parametrize("width, height, scale", [(600, 400, 1.0), (351, 221, 2.0), (90, 70, 1.0)])
def test_chart_has_requested_size_and_dtype(width, height, scale):
    pixels = loss_chart([2.0, 1.0], [2.1, 1.2], epochs=5, width=width, height=height, scale=scale)
    assert pixels.shape == (height, width, 4)
    assert pixels.dtype == np.uint8
    assert (pixels[..., 3] == 255).all()  # opaque: the canvas shows it as drawn


def test_lines_of_both_series_are_drawn():
    pixels = accuracy_chart([0.80, 0.90, 0.93], [0.82, 0.91, 0.94], epochs=3, width=600, height=400)
    assert _has_colour(pixels, TRAIN_COLOUR)
    assert _has_colour(pixels, TEST_COLOUR)


def test_empty_history_gives_empty_axes():
    pixels = loss_chart([], [], epochs=10, width=300, height=200)
    assert pixels.shape == (200, 300, 4)
    assert not _has_colour(pixels, TRAIN_COLOUR)
    assert pixels[..., :3].std() > 0  # axes and labels are drawn


def test_same_history_same_pixels():
    first = loss_chart([1.5, 0.7], [1.6, 0.8], epochs=4, width=320, height=200)
    second = loss_chart([1.5, 0.7], [1.6, 0.8], epochs=4, width=320, height=200)
    assert np.array_equal(first, second)


def test_rejects_empty_size():
    with pytest.raises(ValueError, match="chart size"):
        loss_chart([1.0], [1.0], epochs=1, width=0, height=100)


def test_chart_reused_across_epochs_matches_a_fresh_one():
    chart = LineChart("loss", epochs=5, width=320, height=200)
    chart.render([1.5], [1.6])
    again = chart.render([1.5, 0.7], [1.6, 0.8])
    assert np.array_equal(again, loss_chart([1.5, 0.7], [1.6, 0.8], epochs=5, width=320, height=200))


def test_rejects_unknown_kind():
    with pytest.raises(ValueError, match="chart kind"):
        LineChart("speed", epochs=3, width=100, height=100)


def test_changing_the_epochs_matches_a_fresh_chart():
    chart = LineChart("accuracy", epochs=10, width=300, height=200)
    chart.render([0.5, 0.7], [0.55, 0.72])
    chart.set_epochs(4)
    assert np.array_equal(chart.render([0.8], [0.81]),
                          accuracy_chart([0.8], [0.81], epochs=4, width=300, height=200))


def test_empty_chart_then_data_rescales_to_the_data():
    chart = LineChart("loss", epochs=3, width=300, height=200)
    chart.render([], [])
    assert chart.axes.get_ylim() == (0.0, 2.5)
    chart.render([10.0, 9.0], [10.5, 9.5])
    low, high = chart.axes.get_ylim()
    assert 8.0 < low < 9.0 and 10.5 < high < 11.0
