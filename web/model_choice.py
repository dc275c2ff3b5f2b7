"""Which network reads the drawing pad, and how the page names it.

In order of preference: the network trained in this page (the controller's last
run that finished or was stopped after at least one epoch), else the default
model shipped with the site (`default-model.npz` in the app directory, fetched
by a relative URL). The run log's kept model, once it exists, slots in between.
"""

from __future__ import annotations

from dataclasses import dataclass

import js

from mnist_sorter.model_io import load_model
from mnist_sorter.network import Network


@dataclass(frozen=True)
class ModelInUse:
    """A network and the sentence that names it on the page; `kind` is "default" or "trained"."""

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


def trained_model(network: Network, dataset: str, epochs: int, test_accuracy: float | None) -> ModelInUse:
    """Name a network trained in this page (a copy: the caller may train it further)."""
    figures = [dataset, f"{epochs} epoch{'' if epochs == 1 else 's'}"]
    if test_accuracy is not None:
        figures.append(f"{test_accuracy * 100:.1f} % on the test set")
    return ModelInUse(network.copy(), "trained", f"the network you just trained ({', '.join(figures)})")
