"""The network's maths: gradients against finite differences, stability, shapes."""

import numpy as np
import pytest

from mnist_sorter.network import (
    Network, init_network, log_softmax, loss_and_gradients, predict_proba, softmax,
)


def as_float64(network: Network) -> Network:
    return Network([w.astype(np.float64) for w in network.weights],
                   [b.astype(np.float64) for b in network.biases])


@pytest.mark.parametrize("hidden", [(), (7,), (9, 6, 5)])
def test_gradients_match_finite_differences(hidden):
    """Backpropagation must equal the numerical derivative of the loss, L2 included."""
    rng = np.random.default_rng(3)
    sizes = (784, *hidden, 10)
    network = as_float64(init_network(sizes, rng))
    for b in network.biases:  # non-zero biases so their gradients are exercised
        b += rng.normal(0, 0.1, b.shape)
    x = rng.random((5, 784))
    labels = rng.integers(0, 10, 5)
    l2 = 0.01
    _, _, gradients = loss_and_gradients(network, x, labels, l2)
    epsilon = 1e-6
    for parameter, gradient in zip(network.parameters, gradients):
        # Check a sample of entries in every parameter array (all of them would be slow).
        flat, flat_gradient = parameter.reshape(-1), gradient.reshape(-1)
        for index in rng.choice(flat.size, size=min(flat.size, 12), replace=False):
            saved = flat[index]
            flat[index] = saved + epsilon
            plus = loss_and_gradients(network, x, labels, l2)[0]
            flat[index] = saved - epsilon
            minus = loss_and_gradients(network, x, labels, l2)[0]
            flat[index] = saved
            numeric = (plus - minus) / (2 * epsilon)
            assert flat_gradient[index] == pytest.approx(numeric, rel=1e-4, abs=1e-7)


def test_he_initialisation_scale_and_dtype():
    network = init_network((784, 512, 10), np.random.default_rng(0))
    assert all(w.dtype == np.float32 for w in network.parameters)
    assert network.weights[0].std() == pytest.approx(np.sqrt(2 / 784), rel=0.02)
    assert network.weights[1].std() == pytest.approx(np.sqrt(2 / 512), rel=0.05)
    assert not network.biases[0].any()


def test_softmax_is_stable_for_huge_logits():
    logits = np.array([[1e4, 0.0, -1e4], [50.0, 50.0, 50.0]], dtype=np.float32)
    probabilities = softmax(logits)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert probabilities[0, 0] == pytest.approx(1.0)
    assert np.isfinite(log_softmax(logits)).all()
    assert log_softmax(logits)[0, 1] == pytest.approx(-1e4)


def test_forward_stays_float32_and_predicts_probabilities():
    network = init_network((784, 16, 10), np.random.default_rng(1))
    images = np.random.default_rng(2).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    probabilities = predict_proba(network, images)
    assert probabilities.shape == (3, 10) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    loss, correct, gradients = loss_and_gradients(
        network, images.reshape(3, -1).astype(np.float32) / 255, np.array([1, 2, 3]), 1e-4)
    assert all(g.dtype == np.float32 for g in gradients)
    assert 0 <= correct <= 3 and np.isfinite(loss)


def test_predict_refuses_wrong_image_size():
    network = init_network((784, 10), np.random.default_rng(0))
    with pytest.raises(ValueError, match="28x28"):
        predict_proba(network, np.zeros((2, 20, 20)))
