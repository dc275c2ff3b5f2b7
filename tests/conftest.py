"""Shared fixtures: small real handwritten digits that need no download."""

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "py"))


@pytest.fixture(scope="session")
def small_digits():
    """scikit-learn's 1,797 8x8 handwritten digits, scaled to 28x28 uint8 like MNIST.

    1,000 images to train on and 797 to test: enough to show that training
    learns, small enough to train in well under a second.
    """
    from sklearn.datasets import load_digits

    from mnist_sorter.preprocess import centre_by_mass, resample

    digits = load_digits()
    images = np.stack([centre_by_mass(resample(image / 16.0, 20, 20)) for image in digits.images])
    images = np.round(images * 255).astype(np.uint8)  # (1797, 28, 28)
    labels = digits.target.astype(np.uint8)
    return SimpleNamespace(name="digits", sha256="0" * 64,
                           train_images=images[:1000], train_labels=labels[:1000],
                           test_images=images[1000:], test_labels=labels[1000:])
