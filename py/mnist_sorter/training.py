"""Training as an iterator: mini-batch gradient descent that yields its progress.

`train` runs the whole schedule (shuffle every epoch, one optimiser step per
batch, the test set evaluated at each epoch's end) and yields an event after
every `report_every` batches, after every chunk of the test evaluation, and at
each epoch's end. The caller prints, plots, or simply stops iterating to stop
the run. Nothing here prints or sleeps. The last event of a run that is not
stopped is always `Finished`, with status "done" or "diverged" (the loss became
NaN or infinite, or grew far above where it started).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Iterator, Protocol

import numpy as np

from mnist_sorter.config import TrainConfig
from mnist_sorter.network import (
    Network, forward, images_to_inputs, init_network, log_softmax, loss_and_gradients,
)
from mnist_sorter.optimizers import make_optimizer


# Gradient descent lowers the loss; a loss this many times the first one (or
# above 10 times 10 for a loss that starts small) has blown up even if still finite.
DIVERGENCE_FACTOR = 10.0


class LabelledImages(Protocol):
    """What training needs of a dataset (bundles.Dataset satisfies it)."""

    train_images: np.ndarray  # (N, 28, 28) uint8
    train_labels: np.ndarray  # (N,) integers 0..9
    test_images: np.ndarray
    test_labels: np.ndarray


@dataclass(frozen=True)
class BatchProgress:
    """Progress inside an epoch: `phase` is "train" (batches) or "test" (evaluation chunks)."""

    epoch: int
    phase: str
    done: int
    total: int
    loss: float  # running mean over this epoch's batches so far (train phase)


@dataclass(frozen=True)
class EpochEnd:
    """Figures of one finished epoch; `network` is the live network (copy it to keep it)."""

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float  # compute time of the whole epoch, test evaluation included
    test_seconds: float  # of which evaluating the test set
    learning_rate: float
    network: Network

    def to_dict(self) -> dict:
        """Return the figures as a JSON-ready mapping (without the network)."""
        return {
            "epoch": self.epoch, "train_loss": self.train_loss,
            "train_accuracy": self.train_accuracy, "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy, "seconds": self.seconds,
        }


@dataclass(frozen=True)
class Finished:
    """The end of a run that was not stopped: status "done" or "diverged"."""

    status: str
    message: str
    network: Network
    test_accuracy: float | None  # of the last completed epoch


def evaluate(network: Network, images: np.ndarray, labels: np.ndarray,
             chunk: int = 1000) -> tuple[float, float]:
    """Return (mean cross-entropy, accuracy) on a labelled set."""
    result = None
    for result in evaluate_in_chunks(network, _flat(images), labels.astype(np.intp), chunk):
        pass
    return result  # type: ignore[return-value]


def evaluate_in_chunks(network: Network, x: np.ndarray, labels: np.ndarray,
                       chunk: int) -> Iterator[tuple[int, int] | tuple[float, float]]:
    """Yield (done, total) after each chunk, then finally (loss, accuracy).

    `x` holds images (N, 784), uint8 or already float inputs.
    """
    total = len(x)
    loss_sum, correct = 0.0, 0
    for start in range(0, total, chunk):
        logits = forward(network, images_to_inputs(x[start:start + chunk]))[-1]  # (chunk, 10)
        part = labels[start:start + chunk]
        log_probs = log_softmax(logits)
        loss_sum -= float(log_probs[np.arange(len(part)), part].sum(dtype=np.float64))
        correct += int((logits.argmax(axis=1) == part).sum())
        done = min(start + chunk, total)
        if done < total:
            yield done, total
    yield loss_sum / max(total, 1), correct / max(total, 1)


def train(config: TrainConfig, data: LabelledImages, network: Network | None = None,
          report_every: int = 1, eval_chunk: int = 1000) -> Iterator[BatchProgress | EpochEnd | Finished]:
    """Train a network on `data` as `config` says, yielding progress events.

    The same config (seed included) and data give the same weights. Pass
    `network` to continue training one; otherwise a new one is created from
    the seed. `seconds` counts compute time only, not time the caller spends
    between events.
    """
    rng = np.random.default_rng(config.seed)
    if network is None:
        network = init_network(config.layer_sizes, rng)
    elif network.layer_sizes != config.layer_sizes:
        raise ValueError(f"network has layers {network.layer_sizes}, config asks for {config.layer_sizes}")
    # Images stay as they come (uint8 for a bundle) and become float32 inputs a batch
    # at a time: a float32 copy of mnist-full would cost 188 MB, a browser tab's memory.
    x_train = _flat(data.train_images)  # (N, 784)
    y_train = np.asarray(data.train_labels, dtype=np.intp)
    x_test = _flat(data.test_images)
    y_test = np.asarray(data.test_labels, dtype=np.intp)
    optimizer = make_optimizer(config.optimizer, network.parameters)
    count = len(x_train)
    batch_size = min(config.batch_size, count)
    batches = math.ceil(count / batch_size)
    last_test_accuracy = None
    first_loss = None  # the objective at the very first step, the yardstick for divergence

    for epoch in range(1, config.epochs + 1):
        learning_rate = config.learning_rate * (1 - config.lr_decay) ** (epoch - 1)
        order = rng.permutation(count)
        seconds, resumed = 0.0, time.perf_counter()
        loss_sum, correct, seen = 0.0, 0, 0
        for batch in range(batches):
            indices = order[batch * batch_size:(batch + 1) * batch_size]
            loss, batch_correct, gradients = loss_and_gradients(
                network, images_to_inputs(x_train[indices]), y_train[indices], config.l2)
            first_loss = loss if first_loss is None else first_loss
            if not math.isfinite(loss) or loss > DIVERGENCE_FACTOR * max(first_loss, 10.0):
                yield Finished("diverged", _diverged_message(config, epoch, batch + 1, loss, first_loss),
                               network, last_test_accuracy)
                return
            optimizer.step(gradients, learning_rate)
            loss_sum += loss * len(indices)
            correct += batch_correct
            seen += len(indices)
            if (batch + 1) % report_every == 0 or batch + 1 == batches:
                seconds += time.perf_counter() - resumed
                yield BatchProgress(epoch, "train", batch + 1, batches, loss_sum / seen)
                resumed = time.perf_counter()

        seconds += time.perf_counter() - resumed
        test_seconds, resumed = 0.0, time.perf_counter()
        for outcome in evaluate_in_chunks(network, x_test, y_test, eval_chunk):
            if isinstance(outcome[0], int):
                test_seconds += time.perf_counter() - resumed
                yield BatchProgress(epoch, "test", outcome[0], outcome[1], loss_sum / seen)
                resumed = time.perf_counter()
        test_loss, test_accuracy = outcome
        if not math.isfinite(test_loss):
            # Weights that overflow only on unseen images still mean the run blew up.
            yield Finished("diverged", _diverged_message(config, epoch, batches, test_loss, first_loss),
                           network, last_test_accuracy)
            return
        test_seconds += time.perf_counter() - resumed
        seconds += test_seconds
        last_test_accuracy = test_accuracy
        yield EpochEnd(epoch, loss_sum / seen, correct / seen, test_loss, test_accuracy,
                       seconds, test_seconds, learning_rate, network)

    yield Finished("done", f"trained {config.epochs} epochs", network, last_test_accuracy)


def _flat(images: np.ndarray) -> np.ndarray:
    """Return images as rows of 784 pixels (a view, no copy), keeping their dtype."""
    images = np.asarray(images)
    flat = images.reshape(len(images), -1)
    if flat.shape[1] != 784:
        raise ValueError(f"images must be 28x28 (784 pixels), got shape {images.shape}")
    return flat


def _diverged_message(config: TrainConfig, epoch: int, batch: int, loss: float, first_loss: float) -> str:
    return (f"training diverged: the loss rose to {loss:.4g} (from {first_loss:.3g} at the start) "
            f"at epoch {epoch}, batch {batch}; try a smaller learning rate than {config.learning_rate:g}")
