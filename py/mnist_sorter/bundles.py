"""Data bundles: the on-disk format of the data sets, their manifest, and loading.

A bundle is an `.npz` (a zip of `.npy` members, readable by `np.load` with
allow_pickle=False) holding exactly:

    train_images (N, 28, 28) uint8    train_labels (N,) uint8
    test_images  (M, 28, 28) uint8    test_labels  (M,) uint8

`manifest.json` next to the bundles lists each one with its size, sha256 and
class counts; a bundle is checked against its entry before it is used.

The bytes path (`dataset_from_bytes`, `parse_manifest`, `find_entry`) needs
numpy and the standard library only and does no file I/O, so the browser
(Pyodide) uses it on fetched bytes; `load_bundle` adds the native file reading.
Non-goals: reading MNIST's original sources (`sources.py`) and building the
bundles (`scripts/build_data.py`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MANIFEST_FORMAT = 1
MANIFEST_NAME = "manifest.json"
MEMBERS = ("train_images", "train_labels", "test_images", "test_labels")
IMAGE_SHAPE = (28, 28)
CLASS_COUNT = 10
DATA_DIR_VARIABLE = "MNIST_SORTER_DATA"
BUILD_HINT = "run `python scripts/build_data.py` to build the data"

# A fixed timestamp and fixed attributes make the zip a pure function of the
# arrays, so the manifest's sha256 is stable from one build to the next.
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_ZIP_FILE_MODE = 0o644 << 16
_ZIP_UNIX = 3


class BundleError(ValueError):
    """A bundle or manifest is missing, damaged, or not what its manifest says."""


@dataclass(frozen=True)
class Dataset:
    """One loaded data set; arrays are uint8, images (N, 28, 28), labels (N,) in 0..9."""

    name: str
    sha256: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def class_counts(labels: np.ndarray) -> list[int]:
    """Count the labels of each digit 0..9."""
    return [int(count) for count in np.bincount(labels, minlength=CLASS_COUNT)[:CLASS_COUNT]]


def _check_arrays(name: str, arrays: dict[str, np.ndarray]) -> None:
    """Raise BundleError unless the four arrays have the bundle's shapes, dtypes and labels."""
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.dtype != np.uint8 or labels.dtype != np.uint8:
            raise BundleError(f"{name}: {split} arrays must be uint8, "
                              f"got {images.dtype} images and {labels.dtype} labels")
        if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
            raise BundleError(f"{name}: {split}_images must have shape (N, 28, 28), "
                              f"got {images.shape}")
        if labels.shape != (len(images),):
            raise BundleError(f"{name}: {split}_labels must have shape ({len(images)},), "
                              f"got {labels.shape}")
        if labels.size and labels.max() >= CLASS_COUNT:
            raise BundleError(f"{name}: {split}_labels has values outside 0..9")


def bundle_bytes(train_images: np.ndarray, train_labels: np.ndarray,
                 test_images: np.ndarray, test_labels: np.ndarray) -> bytes:
    """Return the bundle as bytes: deterministic, same arrays give the same bytes."""
    arrays = dict(zip(MEMBERS, (train_images, train_labels, test_images, test_labels)))
    _check_arrays("bundle", arrays)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, array in arrays.items():
            info = zipfile.ZipInfo(f"{member}.npy", date_time=_ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = _ZIP_FILE_MODE
            info.create_system = _ZIP_UNIX
            with archive.open(info, "w") as stream:
                np.lib.format.write_array(stream, np.ascontiguousarray(array),
                                          allow_pickle=False)
    return buffer.getvalue()


def describe_bundle(raw: bytes, train_labels: np.ndarray, test_labels: np.ndarray) -> dict:
    """Return the manifest fields that pin a bundle: size, sha256, counts."""
    return {
        "bytes": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "train_count": int(len(train_labels)),
        "test_count": int(len(test_labels)),
        "train_class_counts": class_counts(train_labels),
        "test_class_counts": class_counts(test_labels),
    }


def write_bundle(path: Path | str, train_images: np.ndarray, train_labels: np.ndarray,
                 test_images: np.ndarray, test_labels: np.ndarray) -> dict:
    """Write a bundle to `path`; return its manifest fields (bytes, sha256, counts)."""
    raw = bundle_bytes(train_images, train_labels, test_images, test_labels)
    Path(path).write_bytes(raw)
    return describe_bundle(raw, train_labels, test_labels)


def _entry_field(entry: dict, field: str):
    if field not in entry:
        raise BundleError(f"manifest entry {entry.get('name', '?')!r} lacks {field!r}")
    return entry[field]


def _check_bytes(raw: bytes, entry: dict, file_name: str) -> str:
    """Check size then sha256 against the entry; return the sha256."""
    expected_size = _entry_field(entry, "bytes")
    if len(raw) < expected_size:
        raise BundleError(f"{file_name}: truncated: expected {expected_size} bytes, got {len(raw)}")
    if len(raw) != expected_size:
        raise BundleError(f"{file_name}: wrong size: expected {expected_size} bytes, got {len(raw)}")
    expected_sha = _entry_field(entry, "sha256")
    actual_sha = hashlib.sha256(raw).hexdigest()
    if actual_sha != expected_sha:
        raise BundleError(f"{file_name}: sha256 mismatch (file is damaged or altered): "
                          f"expected {expected_sha}, got {actual_sha}")
    return actual_sha


def _read_members(raw: bytes, file_name: str) -> dict[str, np.ndarray]:
    """Load the four arrays of a bundle, refusing missing, extra or pickled members."""
    # np.load would read a lone .npy as one array: insist on a zip archive.
    if not raw.startswith(b"PK\x03\x04"):
        raise BundleError(f"{file_name}: not a readable bundle: not a zip (.npz) archive")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            names = sorted(archive.files)
            if names != sorted(MEMBERS):
                raise BundleError(f"{file_name}: members {names}, expected {sorted(MEMBERS)}")
            return {member: archive[member] for member in MEMBERS}
    except BundleError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise BundleError(f"{file_name}: not a readable bundle: {error}") from error


def _check_counts(arrays: dict[str, np.ndarray], entry: dict, file_name: str) -> None:
    for split in ("train", "test"):
        labels = arrays[f"{split}_labels"]
        expected_count = _entry_field(entry, f"{split}_count")
        if len(labels) != expected_count:
            raise BundleError(f"{file_name}: {len(labels)} {split} examples, "
                              f"manifest says {expected_count}")
        expected_counts = _entry_field(entry, f"{split}_class_counts")
        if class_counts(labels) != list(expected_counts):
            raise BundleError(f"{file_name}: {split} class counts {class_counts(labels)}, "
                              f"manifest says {list(expected_counts)}")


def dataset_from_bytes(raw: bytes, entry: dict) -> Dataset:
    """Check a bundle's bytes against its manifest entry and load it as a Dataset.

    Size and sha256 come first: a damaged download is named as such before numpy
    ever parses it.
    """
    file_name = entry.get("file") or entry.get("name") or "bundle"
    raw = bytes(raw)  # Pyodide may hand over a memoryview or bytearray
    sha256 = _check_bytes(raw, entry, file_name)
    arrays = _read_members(raw, file_name)
    _check_arrays(file_name, arrays)
    _check_counts(arrays, entry, file_name)
    return Dataset(name=_entry_field(entry, "name"), sha256=sha256, **arrays)


def default_data_dir() -> Path:
    """Return $MNIST_SORTER_DATA if set, else `<repo root>/build/data`."""
    configured = os.environ.get(DATA_DIR_VARIABLE)
    if configured:
        return Path(configured)
    here = Path(__file__).resolve()  # <repo>/py/mnist_sorter/bundles.py
    # Under Pyodide the module may sit near the filesystem root; stay relative then.
    repo_root = here.parents[2] if len(here.parents) > 2 else Path.cwd()
    return repo_root / "build" / "data"


def parse_manifest(text: str | bytes, origin: str = MANIFEST_NAME) -> dict:
    """Parse and check a manifest's JSON text (format and bundle list)."""
    try:
        manifest = json.loads(text)
    except ValueError as error:
        raise BundleError(f"{origin}: not valid JSON ({error}); {BUILD_HINT}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise BundleError(f"{origin}: expected a manifest of format {MANIFEST_FORMAT}; {BUILD_HINT}")
    bundles = manifest.get("bundles")
    if not isinstance(bundles, list) or not all(isinstance(entry, dict) for entry in bundles):
        raise BundleError(f"{origin}: 'bundles' must be a list of entries")
    return manifest


def load_manifest(data_dir: Path | str | None = None) -> dict:
    """Read `manifest.json` from `data_dir` (default: `default_data_dir()`)."""
    path = Path(data_dir if data_dir is not None else default_data_dir()) / MANIFEST_NAME
    if not path.is_file():
        raise BundleError(f"no data manifest at {path}: {BUILD_HINT}")
    return parse_manifest(path.read_bytes(), str(path))


def find_entry(manifest: dict, name: str) -> dict:
    """Return the manifest entry called `name`, or raise naming the ones available."""
    for entry in manifest["bundles"]:
        if entry.get("name") == name:
            return entry
    available = ", ".join(str(entry.get("name")) for entry in manifest["bundles"]) or "none"
    raise BundleError(f"unknown dataset {name!r}; available: {available}")


def load_bundle(name: str, data_dir: Path | str | None = None) -> Dataset:
    """Load and check the bundle `name` from `data_dir` (default: `default_data_dir()`)."""
    data_dir = Path(data_dir if data_dir is not None else default_data_dir())
    entry = find_entry(load_manifest(data_dir), name)
    file_name = str(_entry_field(entry, "file"))
    # The manifest names a file beside it, never a path elsewhere.
    if Path(file_name).name != file_name:
        raise BundleError(f"manifest entry {name!r}: file {file_name!r} must be a plain file name")
    path = data_dir / file_name
    if not path.is_file():
        raise BundleError(f"missing bundle {path}: {BUILD_HINT}")
    return dataset_from_bytes(path.read_bytes(), entry)
