"""Which network reads the drawing pad, and how the page names it.

In order of preference: the network trained in this page (the controller's last
run that finished or was stopped after at least one epoch), else the last model
kept in this browser (models.py: IndexedDB, written by the run log after a run
or an upload), else the default model shipped with the site
(`default-model.npz` in the app directory, fetched by a relative URL).
"""

from __future__ import annotations

from dataclasses import dataclass

import js
import numpy as np

from models import load_last_model
from mnist_sorter.model_io import ModelFileError, SavedModel, load_model
from mnist_sorter.network import Network


@dataclass(frozen=True)
class ModelInUse:
    """A network and the sentence that names it on the page; `kind`: "default", "kept" or "trained"."""

    network: Network
    kind: str
    description: str


async def fetch_default_model(url: str) -> ModelInUse:
    """Download and check the site's default model; raise with a readable reason on failure."""
    response = await js.fetch(url)
    if not response.ok:
        raise OSError(f"the default model could not be downloaded (HTTP {response.status})")
    saved = load_model((await response.arrayBuffer()).to_bytes())
    accuracy = saved.metrics.get("test_accuracy")
    figure = f", {accuracy * 100:.1f} % on the test set" if isinstance(accuracy, float) else ""
    return ModelInUse(saved.network, "default", f"the default model{figure}")


async def fetch_kept_model() -> ModelInUse | None:
    """Return the model kept in this browser, or None if there is none (or it is unreadable)."""
    data = await load_last_model()
    if data is None:
        return None
    try:
        saved = load_model(data)
    except ModelFileError:
        return None
    return ModelInUse(saved.network, "kept", f"the model kept in this browser ({_figures(saved)})")


def same_network(one: Network, other: Network) -> bool:
    """Say whether two networks have the same weights and biases (a kept copy of a trained one)."""
    return one.layer_sizes == other.layer_sizes and all(
        np.array_equal(a, b) for a, b in zip(one.parameters, other.parameters))


def _figures(saved: SavedModel) -> str:
    figures = ["-".join(map(str, saved.network.layer_sizes))]
    epochs, bundle = saved.metrics.get("epochs_trained"), saved.bundle.get("name")
    if isinstance(epochs, int):
        figures.append(f"{epochs} epoch{'' if epochs == 1 else 's'}" + (f" on {bundle}" if bundle else ""))
    accuracy = saved.metrics.get("test_accuracy")
    if isinstance(accuracy, float):
        figures.append(f"{accuracy * 100:.1f} % on the test set")
    return ", ".join(figures)


def trained_model(network: Network, dataset: str, epochs: int, test_accuracy: float | None) -> ModelInUse:
    """Name a network trained in this page (the caller must not train it further)."""
    figures = [dataset, f"{epochs} epoch{'' if epochs == 1 else 's'}"]
    if test_accuracy is not None:
        figures.append(f"{test_accuracy * 100:.1f} % on the test set")
    return ModelInUse(network, "trained", f"the network you just trained ({', '.join(figures)})")
