"""Benchmark: native training of the default network, side by side with scikit-learn.

Prints figures; asserts nothing. Both trainers get the same data, architecture,
optimiser (Adam), learning rate, batch size, epochs and L2 strength, in one
process on the same BLAS. scikit-learn scales its L2 term by the batch size
(alpha / (2 * batch) * sum W**2 per batch), so alpha = l2 * batch_size gives
the same gradient as our l2.

    .venv/bin/python scripts/bench_native.py [--bundle mnist-full] [--epochs 10]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "py"))

import numpy as np  # noqa: E402

from mnist_sorter.bundles import load_bundle  # noqa: E402
from mnist_sorter.config import TrainConfig  # noqa: E402
from mnist_sorter.network import images_to_inputs  # noqa: E402
from mnist_sorter.training import Finished, train  # noqa: E402


def ours(config: TrainConfig, data) -> tuple[float, float]:
    started = time.perf_counter()
    for event in train(config, data, report_every=10_000):
        if isinstance(event, Finished):
            return time.perf_counter() - started, event.test_accuracy
    raise RuntimeError("training did not finish")


def scikit_learn(config: TrainConfig, data) -> tuple[float, float]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=config.hidden_layers, activation="relu", solver="adam",
        learning_rate_init=config.learning_rate, batch_size=config.batch_size,
        alpha=config.l2 * config.batch_size, max_iter=config.epochs, shuffle=True,
        tol=0.0, n_iter_no_change=config.epochs + 1, random_state=config.seed)
    x_train, x_test = images_to_inputs(data.train_images), images_to_inputs(data.test_images)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the epoch count on purpose
        model.fit(x_train, data.train_labels)
    accuracy = float((model.predict(x_test) == data.test_labels).mean())
    return time.perf_counter() - started, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default="mnist-full")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = TrainConfig(dataset=args.bundle, epochs=args.epochs, seed=args.seed)
    data = load_bundle(config.dataset)
    images = len(data.train_labels) * config.epochs
    print(f"job: {config.layer_sizes} adam lr {config.learning_rate} batch {config.batch_size} "
          f"l2 {config.l2}, {config.epochs} epochs on {config.dataset} ({len(data.train_labels):,} images)")
    our_seconds, our_accuracy = ours(config, data)
    print(f"mnist_sorter   {our_seconds:7.2f} s  {images / our_seconds:9,.0f} images/s  "
          f"test accuracy {our_accuracy:.4f}")
    their_seconds, their_accuracy = scikit_learn(config, data)
    print(f"scikit-learn   {their_seconds:7.2f} s  {images / their_seconds:9,.0f} images/s  "
          f"test accuracy {their_accuracy:.4f}")
    print(f"time ratio (ours / scikit-learn) {our_seconds / their_seconds:.2f}; "
          f"accuracy difference {100 * (our_accuracy - their_accuracy):+.2f} points")
    print("target: accuracy at least scikit-learn's - 0.3 points, in no more time: "
          + ("met" if our_accuracy >= their_accuracy - 0.003 and our_seconds <= their_seconds else "MISSED"))


if __name__ == "__main__":
    main()
