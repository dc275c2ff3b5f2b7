"""Read MNIST from its known sources and check that it is the genuine data set.

Two sources hold the same 70,000 images:
- the classic pickle `mnist.pkl.gz` (train 50k, valid 10k, test 10k; float32
  pixels that are exactly k/256; int64 labels), read with an unpickler that
  can rebuild numpy arrays and nothing else, because the file is third-party;
- the four official IDX files (`train-images-idx3-ubyte[.gz]` ...).

Everything here is a pure function of bytes or arrays (the IDX folder reader
only opens the four files). Non-goals: downloading, caching and writing
bundles; those live in `scripts/build_data.py` and `bundles.py`.
"""

from __future__ import annotations

import gzip
import io
import pickle
from pathlib import Path

import numpy as np

IMAGE_SHAPE = (28, 28)
PIXEL_COUNT = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
CLASS_COUNT = 10

# The official MNIST class counts for digits 0..9: a cheap, strong fingerprint.
TRAIN_CLASS_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
TEST_CLASS_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)

# (images file, labels file) base names; each may also end in ".gz".
IDX_TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
IDX_TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
IDX_UNSIGNED_BYTE = 0x08

# The only globals a pickle of plain numpy arrays needs. numpy 2 renamed
# numpy.core to numpy._core; pickles written by numpy 1 name the old path.
_ALLOWED_GLOBALS = frozenset({
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
})


def _array_reconstruct():
    """Return numpy's array-rebuilding function under either numpy layout."""
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


class NumpyArrayUnpickler(pickle.Unpickler):
    """Unpickle numpy arrays and plain containers, refusing every other global.

    A pickle can name any importable callable (os.system, eval ...) and call it
    while loading; allowing only array reconstruction closes that door.
    """

    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"refused to load global {module}.{name}: this pickle may only "
                "contain numpy arrays (it may be malicious or not the MNIST pickle)")
        if name == "_reconstruct":
            return _array_reconstruct()
        return getattr(np, name)


def unpickle_arrays(stream) -> object:
    """Load a pickle from a binary stream with `NumpyArrayUnpickler`.

    latin1 lets numpy arrays written by Python 2 (the classic MNIST pickle) load.
    """
    return NumpyArrayUnpickler(stream, encoding="latin1").load()


def pixels_to_uint8(images: np.ndarray, split: str) -> np.ndarray:
    """Convert float pixels k/256 to uint8 k, refusing any other value.

    Multiplying a float32 by 256 is exact, so the check `x*256 == round(x*256)`
    proves the conversion loses nothing.
    """
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(f"{split} images: expected float pixels, got dtype {images.dtype}")
    scaled = images * images.dtype.type(256)
    whole = np.rint(scaled)
    if not np.array_equal(scaled, whole):  # also false for NaN
        raise ValueError(f"{split} images: some pixels are not exactly k/256")
    if whole.size and (whole.min() < 0 or whole.max() > 255):
        raise ValueError(f"{split} images: pixels outside 0..255/256")
    return whole.astype(np.uint8).reshape(-1, *IMAGE_SHAPE)  # (N, 28, 28)


def labels_to_uint8(labels: np.ndarray, split: str) -> np.ndarray:
    """Convert integer labels 0..9 to uint8, refusing anything else."""
    if not np.issubdtype(labels.dtype, np.integer) or labels.ndim != 1:
        raise ValueError(f"{split} labels: expected a 1-D integer array, "
                         f"got dtype {labels.dtype} with shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= CLASS_COUNT):
        raise ValueError(f"{split} labels: values outside 0..9")
    return labels.astype(np.uint8)


def _pickle_split(split_data, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (images, labels) as uint8 from one (images, labels) pair of the pickle."""
    if not (isinstance(split_data, (tuple, list)) and len(split_data) == 2
            and all(isinstance(part, np.ndarray) for part in split_data)):
        raise ValueError(f"{split}: expected a pair (images, labels) of numpy arrays")
    images, labels = split_data
    if images.ndim != 2 or images.shape[1] != PIXEL_COUNT:
        raise ValueError(f"{split} images: expected shape (N, {PIXEL_COUNT}), got {images.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{split}: {len(images)} images but {len(labels)} labels")
    return pixels_to_uint8(images, split), labels_to_uint8(labels, split)


def read_mnist_pickle(gz_bytes: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read the classic `mnist.pkl.gz` into (train_images, train_labels, test_images, test_labels).

    The pickle's train (50k) and valid (10k) splits, in that order, form the
    official 60,000-image training set. Images come out (N, 28, 28) uint8.
    """
    with gzip.GzipFile(fileobj=io.BytesIO(gz_bytes)) as stream:
        content = unpickle_arrays(stream)
    if not (isinstance(content, (tuple, list)) and len(content) == 3):
        raise ValueError("MNIST pickle: expected a tuple (train, valid, test)")
    train_images, train_labels = _pickle_split(content[0], "train")
    valid_images, valid_labels = _pickle_split(content[1], "valid")
    test_images, test_labels = _pickle_split(content[2], "test")
    return (np.concatenate([train_images, valid_images]),
            np.concatenate([train_labels, valid_labels]),
            test_images, test_labels)


def read_idx(raw: bytes, expected_ndim: int, what: str = "IDX file") -> np.ndarray:
    """Parse one unsigned-byte IDX file: magic 0x0000 0x08 ndim, big-endian int32 dims, data."""
    if len(raw) < 4:
        raise ValueError(f"{what}: too short to be an IDX file ({len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] != IDX_UNSIGNED_BYTE or raw[3] != expected_ndim:
        raise ValueError(f"{what}: bad magic number 0x{raw[:4].hex()} "
                         f"(expected 0x000008{expected_ndim:02x})")
    header_size = 4 + 4 * expected_ndim
    if len(raw) < header_size:
        raise ValueError(f"{what}: truncated header")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=expected_ndim, offset=4))
    expected_size = header_size + int(np.prod(dims))
    if len(raw) != expected_size:
        raise ValueError(f"{what}: expected {expected_size} bytes for dimensions {dims}, "
                         f"got {len(raw)}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(dims).copy()


def find_idx_files(folder: Path | str) -> list[Path]:
    """Return the paths of the four official IDX files in `folder` (plain preferred over .gz)."""
    folder = Path(folder)
    found = []
    for base in (*IDX_TRAIN_FILES, *IDX_TEST_FILES):
        candidates = [folder / base, folder / f"{base}.gz"]
        existing = [path for path in candidates if path.is_file()]
        if not existing:
            raise ValueError(f"{folder}: missing {base} (or {base}.gz)")
        found.append(existing[0])
    return found


def _read_maybe_gzip(path: Path) -> bytes:
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.name.endswith(".gz") else raw


def _idx_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(_read_maybe_gzip(images_path), 3, images_path.name)
    labels = read_idx(_read_maybe_gzip(labels_path), 1, labels_path.name)
    if images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"{images_path.name}: expected 28x28 images, got {images.shape[1:]}")
    if len(images) != len(labels):
        raise ValueError(f"{images_path.name}: {len(images)} images but "
                         f"{labels_path.name} has {len(labels)} labels")
    return images, labels


def read_idx_folder(folder: Path | str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read the four official IDX files into (train_images, train_labels, test_images, test_labels)."""
    train_images_path, train_labels_path, test_images_path, test_labels_path = find_idx_files(folder)
    return (*_idx_pair(train_images_path, train_labels_path),
            *_idx_pair(test_images_path, test_labels_path))


def _check_split(images: np.ndarray, labels: np.ndarray, split: str,
                 expected_counts: tuple[int, ...]) -> None:
    count = sum(expected_counts)
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise ValueError(f"{split}: expected uint8 images and labels, "
                         f"got {images.dtype} and {labels.dtype}")
    if images.shape != (count, *IMAGE_SHAPE):
        raise ValueError(f"{split} images: expected shape {(count, *IMAGE_SHAPE)}, got {images.shape}")
    if labels.shape != (count,):
        raise ValueError(f"{split} labels: expected shape {(count,)}, got {labels.shape}")
    if labels.max() >= CLASS_COUNT:
        raise ValueError(f"{split} labels: values outside 0..9 (max {labels.max()})")
    counts = tuple(int(c) for c in np.bincount(labels, minlength=CLASS_COUNT))
    if counts != expected_counts:
        raise ValueError(f"{split} class counts {list(counts)} differ from the official MNIST "
                         f"counts {list(expected_counts)}: this is not the MNIST {split} set")


def check_mnist(train_images: np.ndarray, train_labels: np.ndarray,
                test_images: np.ndarray, test_labels: np.ndarray) -> None:
    """Raise ValueError unless the arrays have MNIST's shapes, dtypes, labels and class counts."""
    _check_split(train_images, train_labels, "train", TRAIN_CLASS_COUNTS)
    _check_split(test_images, test_labels, "test", TEST_CLASS_COUNTS)


def stratified_sample(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Draw `per_class` indices of each class without replacement; return them sorted.

    Sorting keeps the source order, so the subset interleaves classes as the
    full set does. Same labels and same seeded rng give the same indices.
    """
    chosen = []
    for digit in range(CLASS_COUNT):
        members = np.flatnonzero(labels == digit)
        if len(members) < per_class:
            raise ValueError(f"class {digit} has {len(members)} examples, fewer than {per_class}")
        chosen.append(rng.choice(members, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))
