"""The 'inside the network' figures: exact sizes, visible content, and the numbers behind them."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from mnist_sorter.diagram import network_diagram, sample_nodes
from mnist_sorter.inside import (
    TOP_COLOUR, confusion_chart, confusion_matrix, gallery, gallery_layout, misclassified,
    probability_bars, tile_at, weight_images, weights_grid,
)
from mnist_sorter.network import forward, init_network

SIZES = [(640, 400, 1.0), (360, 300, 2.0), (120, 90, 1.0)]


def _network(*hidden: int, seed: int = 0):
    return init_network((784, *hidden, 10), np.random.default_rng(seed))


def _one_image_activations(network, seed: int = 1):
    image = np.random.default_rng(seed).random((1, 784)).astype(np.float32)
    return [layer[0] for layer in forward(network, image)]


def _check_picture(pixels: np.ndarray, width: int, height: int) -> None:
    assert pixels.shape == (height, width, 4)
    assert pixels.dtype == np.uint8
    assert (pixels[..., 3] == 255).all()
    colours = np.unique(pixels[..., :3].reshape(-1, 3), axis=0)
    assert len(colours) > 8, "the picture is (nearly) blank"


def _colour_mask(pixels: np.ndarray, colour: str, tolerance: int = 40) -> np.ndarray:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return np.abs(pixels[..., :3].astype(int) - rgb).sum(axis=-1) < tolerance


@pytest.fixture(scope="module")
def predictions():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 10, 60)
    probabilities = rng.dirichlet(np.ones(10), 60)
    images = rng.integers(0, 256, (60, 28, 28)).astype(np.uint8)
    return images, labels, probabilities


@pytest.mark.parametrize("width, height, scale", SIZES)
def test_every_figure_has_the_requested_size(width, height, scale, predictions):
    images, labels, probabilities = predictions
    network = _network(16, 8)
    matrix = confusion_matrix(labels, probabilities.argmax(axis=1))
    pictures = [
        network_diagram(network, width, height, scale),
        network_diagram(network, width, height, scale, activations=_one_image_activations(network)),
        weights_grid(network, width, height, scale),
        confusion_chart(matrix, width, height, scale),
        gallery(images, labels, probabilities, misclassified(probabilities, labels), width, height, scale),
        probability_bars(probabilities[0], width, height, scale),
    ]
    for pixels in pictures:
        _check_picture(pixels, width, height)


@pytest.mark.parametrize("hidden", [(), (1,), (4096,), (20, 10, 5), (12,) * 8])
def test_diagram_draws_any_shape_with_and_without_activations(hidden):
    network = _network(*hidden)
    _check_picture(network_diagram(network, 400, 260), 400, 260)
    _check_picture(network_diagram(network, 400, 260, activations=_one_image_activations(network)), 400, 260)


def test_diagram_accepts_activations_of_a_batch_of_one():
    network = _network(8)
    batch = forward(network, np.zeros((1, 784), np.float32))  # shapes (1, n)
    _check_picture(network_diagram(network, 300, 200, activations=batch), 300, 200)


def test_diagram_refuses_activations_of_the_wrong_shape():
    network = _network(8)
    with pytest.raises(ValueError, match="one entry per layer"):
        network_diagram(network, 300, 200, activations=[np.zeros(784)])
    with pytest.raises(ValueError, match="one image"):
        network_diagram(network, 300, 200, activations=forward(network, np.zeros((2, 784), np.float32)))


def test_wide_layers_are_sampled_by_weight_norm_deterministically():
    network = _network(4096, 64)
    network.weights[1][123] *= 50  # a hidden node with huge outgoing weights must be shown
    first, second = sample_nodes(network, 16), sample_nodes(network.copy(), 16)
    assert [len(nodes) for nodes in first] == [16, 16, 16, 10]
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert 123 in first[1]
    assert all((np.diff(nodes) > 0).all() for nodes in first)
    assert np.array_equal(network_diagram(network, 320, 200), network_diagram(network.copy(), 320, 200))


def test_weight_images_are_the_first_layers_columns():
    network = _network(5)
    images = weight_images(network, count=3)
    assert images.shape == (3, 28, 28)
    np.testing.assert_allclose(images[2].ravel(), network.weights[0][:, 2])
    assert weight_images(_network(), count=64).shape == (10, 28, 28)  # softmax regression: 10 templates


def test_weights_grid_draws_templates_without_hidden_layers():
    _check_picture(weights_grid(_network(), 360, 300), 360, 300)


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    labels = np.array([0, 0, 1, 2, 2, 2, 9])
    predicted = np.array([0, 1, 1, 2, 0, 2, 9])
    matrix = confusion_matrix(labels, predicted)
    expected = np.zeros((10, 10), dtype=np.int64)
    expected[0, 0], expected[0, 1], expected[1, 1], expected[2, 2], expected[2, 0], expected[9, 9] = 1, 1, 1, 2, 1, 1
    assert matrix.dtype == np.int64
    np.testing.assert_array_equal(matrix, expected)


def test_misclassified_puts_the_most_confident_mistakes_first():
    probabilities = np.full((5, 10), 0.01)
    probabilities[0, 3] = 0.91  # label 3: right
    probabilities[1, 5] = 0.60  # label 2: wrong, 60 %
    probabilities[2, 7] = 0.91  # label 1: wrong, 91 %
    probabilities[3, 4] = 0.60  # label 0: wrong, 60 %, ties with 1: lower index first
    probabilities[4, 8] = 0.91  # label 8: right
    labels = np.array([3, 2, 1, 0, 8])
    np.testing.assert_array_equal(misclassified(probabilities, labels), [2, 1, 3])
    np.testing.assert_array_equal(misclassified(probabilities, labels, limit=1), [2])


@pytest.mark.parametrize("count, width, height, columns, scale",
                         [(48, 640, 400, None, 1.0), (48, 720, 600, None, 2.0), (7, 360, 300, 3, 1.0),
                          (100, 200, 120, None, 1.0)])
def test_gallery_tiles_are_inside_the_canvas_and_apart(count, width, height, columns, scale):
    layout = gallery_layout(count, width, height, columns, scale)
    assert 0 < len(layout) <= count
    left, top, tile_width, tile_height = layout.T
    assert (left >= 0).all() and (top >= 0).all()
    assert (left + tile_width <= width).all() and (top + tile_height <= height).all()
    for i in range(len(layout)):
        for j in range(i + 1, len(layout)):
            apart = (left[i] + tile_width[i] <= left[j] or left[j] + tile_width[j] <= left[i]
                     or top[i] + tile_height[i] <= top[j] or top[j] + tile_height[j] <= top[i])
            assert apart, f"tiles {i} and {j} overlap"
    middle = layout[-1, :2] + layout[-1, 2:] // 2
    assert tile_at(layout, *middle) == len(layout) - 1
    assert tile_at(layout, 0, 0) is None


def test_gallery_shows_each_thumbnail_in_its_tile(predictions):
    _, labels, probabilities = predictions
    images = np.zeros((60, 28, 28), np.uint8)
    images[5] = 255  # all ink: a black square on the page
    pixels = gallery(images, labels, probabilities, [0, 5], 400, 300)
    left, top, tile_width, _ = gallery_layout(2, 400, 300)[1]
    assert (pixels[top + 5, left + tile_width // 2, :3] < 10).all()
    left, top, tile_width, _ = gallery_layout(2, 400, 300)[0]
    assert (pixels[top + 5, left + tile_width // 2, :3] > 245).all()


def test_probability_bars_highlight_the_most_probable_digit():
    probabilities = np.full(10, 0.02)
    probabilities[7] = 0.82
    pixels = probability_bars(probabilities, 400, 200)
    columns = np.flatnonzero(_colour_mask(pixels, TOP_COLOUR).sum(axis=0) > 20)
    plot_left, plot_right = 42, 400 - 8  # the chart's margins; x runs from -0.6 to 9.6
    per_digit = (plot_right - plot_left) / 10.2
    centre = columns.mean()
    assert abs(centre - (plot_left + (7 + 0.6) * per_digit)) < per_digit / 2
    probabilities[2] = 0.3  # the caller may highlight another digit, e.g. the true one
    other = np.flatnonzero(_colour_mask(probability_bars(probabilities, 400, 200, highlight=2),
                                        TOP_COLOUR).sum(axis=0) > 20)
    assert abs(other.mean() - (plot_left + (2 + 0.6) * per_digit)) < per_digit / 2


def test_figures_refuse_an_empty_size():
    with pytest.raises(ValueError, match="size"):
        network_diagram(_network(), 0, 100)
    with pytest.raises(ValueError, match="size"):
        probability_bars(np.full(10, 0.1), 100, 0)
