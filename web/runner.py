"""Run `mnist_sorter.training.train` on the page's main thread without freezing it.

The iterator yields after every batch (a few milliseconds each); this loop
hands control back to the browser whenever it has computed for `SLICE_SECONDS`,
so clicks, typing and painting go on during training, and Stop is seen within
one slice. Stopping is just no longer iterating.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from mnist_sorter.config import TrainConfig
from mnist_sorter.network import images_to_inputs
from mnist_sorter.training import BatchProgress, EpochEnd, Finished, train

SLICE_SECONDS = 0.025  # main-thread work between two yields; keeps every task well under 50 ms
TEST_COST = 1 / 3  # evaluating an image costs about a third of training on it (forward only)


@dataclass(frozen=True)
class Inputs:
    """A dataset ready for the page: training images as uint8 rows (N, 784), test
    images as float32 inputs (N, 784) in [0, 1] (the inside views read them often)."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


async def as_inputs(dataset, chunk: int = 2000) -> Inputs:
    """Convert a Dataset's test images to inputs a chunk per task, once per dataset.

    Training images stay uint8 (`train` converts a batch at a time): a float32
    copy of mnist-full's 60,000 would cost 188 MB of the tab's memory. The same
    function does the conversion, so the numbers are identical.
    """
    images = dataset.test_images
    test_inputs = np.empty((len(images), 784), dtype=np.float32)  # (N, 784)
    for start in range(0, len(images), chunk):
        test_inputs[start:start + chunk] = images_to_inputs(images[start:start + chunk])
        await asyncio.sleep(0)
    train_rows = dataset.train_images.reshape(len(dataset.train_images), 784)  # a view, no copy
    return Inputs(dataset.name, train_rows, dataset.train_labels, test_inputs, dataset.test_labels)


@dataclass
class History:
    """Per-epoch figures for the charts."""

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)

    def add(self, end: EpochEnd) -> None:
        self.train_loss.append(end.train_loss)
        self.test_loss.append(end.test_loss)
        self.train_accuracy.append(end.train_accuracy)
        self.test_accuracy.append(end.test_accuracy)


@dataclass(frozen=True)
class Outcome:
    """How a run ended: status "done", "diverged" or "stopped"."""

    status: str
    message: str
    test_accuracy: float | None
    epochs_done: int


def fraction_done(config: TrainConfig, event: BatchProgress, train_count: int, test_count: int) -> float:
    """Return the share of the whole run finished at this event, weighting test work lightly."""
    train_share = train_count / (train_count + TEST_COST * test_count)
    within = (event.done / event.total * train_share if event.phase == "train"
              else train_share + (1 - train_share) * event.done / event.total)
    return (event.epoch - 1 + within) / config.epochs


class TrainingRun:
    """One run of `train`; call `stop()` from an event handler to end it early."""

    def __init__(self, config: TrainConfig, dataset) -> None:
        self.config = config
        self.dataset = dataset
        self.history = History()
        self.stop_requested = False

    def stop(self) -> None:
        self.stop_requested = True

    async def run(self, on_progress: Callable[[BatchProgress, float], None],
                  on_epoch: Callable[[EpochEnd, float], object]) -> Outcome:
        """Consume the training iterator, yielding to the browser between slices.

        `on_progress(event, fraction)` gets every BatchProgress (cheap DOM updates);
        `await on_epoch(end, test_seconds)` reports and draws each finished epoch;
        test_seconds is the compute time of its test evaluation (part of end.seconds).
        """
        events = train(self.config, self.dataset)
        train_count, test_count = len(self.dataset.train_labels), len(self.dataset.test_labels)
        epochs_done, last_accuracy = 0, None
        test_seconds = 0.0  # compute time of this epoch's test evaluation
        await asyncio.sleep(0)  # start computing in a task of its own
        slice_start = time.perf_counter()
        try:
            while True:
                computing = time.perf_counter()
                event = next(events, None)
                if event is None:
                    break
                if isinstance(event, EpochEnd) or getattr(event, "phase", "") == "test":
                    test_seconds += time.perf_counter() - computing
                if isinstance(event, BatchProgress):
                    on_progress(event, fraction_done(self.config, event, train_count, test_count))
                elif isinstance(event, EpochEnd):
                    epochs_done, last_accuracy = event.epoch, event.test_accuracy
                    self.history.add(event)
                    await asyncio.sleep(0)
                    await on_epoch(event, test_seconds)
                    test_seconds = 0.0
                    slice_start = time.perf_counter()
                elif isinstance(event, Finished):
                    return Outcome(event.status, event.message, event.test_accuracy, epochs_done)
                if time.perf_counter() - slice_start >= SLICE_SECONDS:
                    await asyncio.sleep(0)
                    slice_start = time.perf_counter()
                if self.stop_requested:
                    return Outcome("stopped", f"stopped after {epochs_done} of {self.config.epochs} epochs",
                                   last_accuracy, epochs_done)
        finally:
            events.close()
        return Outcome("stopped", "training ended without finishing", last_accuracy, epochs_done)
