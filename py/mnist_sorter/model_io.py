"""Save and load trained models as `.npz` files.

Format (version 1), one uncompressed numpy archive, read with allow_pickle=False:

| member          | dtype / shape          | meaning                                           |
|-----------------|------------------------|---------------------------------------------------|
| `format`        | str, ()                | always "mnist-sorter-model"                       |
| `version`       | int64, ()              | 1                                                 |
| `layer_sizes`   | int64, (L+1,)          | widths from input to output, 784 ... 10           |
| `weight_<i>`    | float32, (n_i, n_i+1)  | weights of layer i, i = 0 .. L-1                  |
| `bias_<i>`      | float32, (n_i+1,)      | biases of layer i                                 |
| `config`        | str, ()                | JSON of the TrainConfig the model was trained with |
| `bundle`        | str, ()                | JSON {"name", "sha256"} of the data bundle        |
| `metrics`       | str, ()                | JSON {"test_accuracy", "epochs_trained"}          |

The browser's download and upload use the same functions, on bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from mnist_sorter.config import TrainConfig
from mnist_sorter.network import CLASSES, INPUT_SIZE, Network

FORMAT = "mnist-sorter-model"
VERSION = 1
MAX_LAYERS = 9  # 8 hidden layers + the output layer


class ModelFileError(ValueError):
    """A file that is not a valid MNIST Sorter model."""


@dataclass
class SavedModel:
    """A network together with where it came from."""

    network: Network
    config: TrainConfig | None = None
    bundle: dict = field(default_factory=dict)  # {"name": ..., "sha256": ...}
    metrics: dict = field(default_factory=dict)  # {"test_accuracy": ..., "epochs_trained": ...}


def model_to_bytes(model: SavedModel) -> bytes:
    """Serialise a model into the `.npz` format above."""
    network = model.network
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT),
        "version": np.array(VERSION, dtype=np.int64),
        "layer_sizes": np.array(network.layer_sizes, dtype=np.int64),
        "config": np.array(json.dumps(model.config.to_dict() if model.config else None)),
        "bundle": np.array(json.dumps(model.bundle)),
        "metrics": np.array(json.dumps(model.metrics)),
    }
    for i, (w, b) in enumerate(zip(network.weights, network.biases)):
        arrays[f"weight_{i}"] = np.ascontiguousarray(w, dtype=np.float32)
        arrays[f"bias_{i}"] = np.ascontiguousarray(b, dtype=np.float32)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def save_model(path: str | Path, model: SavedModel) -> None:
    """Write a model file (whole, via a temporary file, so a crash leaves no half file)."""
    path = Path(path)
    temporary = path.with_name(path.name + ".partial")
    temporary.write_bytes(model_to_bytes(model))
    temporary.replace(path)


def load_model(source: str | Path | bytes | BinaryIO) -> SavedModel:
    """Read and check a model file; raise ModelFileError saying what is wrong."""
    name = str(source) if isinstance(source, (str, Path)) else "model file"
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        loaded = np.load(source, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):  # a lone .npy array
            raise ValueError("a single numpy array, not an archive")
        with loaded as archive:
            members = {key: archive[key] for key in archive.files}
    except FileNotFoundError:
        raise ModelFileError(f"{name}: no such file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"{name}: not a model file (not a readable .npz archive: {error})") from None
    try:
        return _check(members)
    except ModelFileError as error:
        raise ModelFileError(f"{name}: {error}") from None


def _check(members: dict[str, np.ndarray]) -> SavedModel:
    if _text(members, "format") != FORMAT:
        raise ModelFileError("not an MNIST Sorter model (its 'format' member is missing or different)")
    if "version" not in members or members["version"].shape != () or int(members["version"]) != VERSION:
        raise ModelFileError(f"unsupported model format version (this program reads version {VERSION})")
    sizes = members.get("layer_sizes")
    if sizes is None or sizes.ndim != 1 or not 2 <= len(sizes) <= MAX_LAYERS + 1 or sizes.dtype.kind not in "iu":
        raise ModelFileError("layer_sizes is missing or malformed")
    sizes = tuple(int(n) for n in sizes)
    if sizes[0] != INPUT_SIZE or sizes[-1] != CLASSES or min(sizes) < 1:
        raise ModelFileError(f"layer_sizes {sizes} must run from {INPUT_SIZE} to {CLASSES}")
    weights, biases = [], []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w, b = members.get(f"weight_{i}"), members.get(f"bias_{i}")
        if w is None or b is None:
            raise ModelFileError(f"layer {i} is missing its weights or biases")
        if w.shape != (n_in, n_out) or b.shape != (n_out,):
            raise ModelFileError(f"layer {i} has shapes {w.shape} and {b.shape}, expected ({n_in}, {n_out}) and ({n_out},)")
        if w.dtype.kind != "f" or b.dtype.kind != "f":
            raise ModelFileError(f"layer {i} does not hold floating-point numbers")
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise ModelFileError(f"layer {i} holds NaN or infinite numbers")
        weights.append(w.astype(np.float32))
        biases.append(b.astype(np.float32))
    extra = set(members) - {"format", "version", "layer_sizes", "config", "bundle", "metrics"} - {
        f"{kind}_{i}" for kind in ("weight", "bias") for i in range(len(sizes) - 1)}
    if extra:
        raise ModelFileError(f"unexpected members: {', '.join(sorted(extra))}")
    config_values = _json(members, "config")
    config = None
    if config_values is not None:
        try:
            config = TrainConfig.from_dict(config_values)
        except (ValueError, TypeError) as error:
            raise ModelFileError(f"its config is invalid: {error}") from None
        if config.layer_sizes != sizes:
            raise ModelFileError(f"its config describes layers {config.layer_sizes}, the weights {sizes}")
    bundle = _json(members, "bundle") or {}
    metrics = _json(members, "metrics") or {}
    if not isinstance(bundle, dict) or not isinstance(metrics, dict):
        raise ModelFileError("its bundle or metrics member is not a JSON object")
    return SavedModel(Network(weights, biases), config, bundle, metrics)


def _text(members: dict[str, np.ndarray], key: str) -> str | None:
    value = members.get(key)
    if value is None or value.shape != () or value.dtype.kind != "U":
        return None
    return str(value)


def _json(members: dict[str, np.ndarray], key: str):
    text = _text(members, key)
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise ModelFileError(f"its {key} member is not valid JSON") from None
