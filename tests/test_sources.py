"""Unit tests for mnist_sorter.sources on tiny synthetic data (no network, no real MNIST)."""

import gzip
import io
import os
import pickle
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "py"))

from mnist_sorter import sources  # noqa: E402


class RunsAShellCommand:
    """Pickles into a call of os.system, as a malicious pickle would."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class EvaluatesAnExpression:
    """Pickles into a call of builtins.eval."""

    def __reduce__(self):
        return (eval, ("1 + 1",))


def synthetic_split(rng, count, pixel_count=784):
    """Return float32 pixels that are exactly k/256, int64 labels cycling 0..9, and the k."""
    levels = rng.integers(0, 256, size=(count, pixel_count), dtype=np.int64)
    return levels.astype(np.float32) / 256, np.arange(count) % 10, levels


# Python 3 writes bytes in protocol 2 as calls of _codecs.encode, which the
# unpickler refuses; the real file, written by Python 2, needs no such call.
# Protocols 3 and 4 store bytes directly, as Python 2's protocol 2 did.
def gzipped_pickle(content, protocol=4) -> bytes:
    return gzip.compress(pickle.dumps(content, protocol=protocol))


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def official_shaped_mnist():
    """Return arrays with MNIST's shapes and exact official class counts (all-black images)."""
    train_labels = np.repeat(np.arange(10, dtype=np.uint8), sources.TRAIN_CLASS_COUNTS)
    test_labels = np.repeat(np.arange(10, dtype=np.uint8), sources.TEST_CLASS_COUNTS)
    return (np.zeros((60000, 28, 28), np.uint8), train_labels,
            np.zeros((10000, 28, 28), np.uint8), test_labels)


def test_unpickler_refuses_a_pickle_that_would_run_code(tmp_path):
    marker = tmp_path / "pwned"
    payload = gzipped_pickle(RunsAShellCommand(marker))
    with pytest.raises(pickle.UnpicklingError, match="refused to load global .*system"):
        sources.read_mnist_pickle(payload)
    assert not marker.exists()


def test_unpickler_refuses_builtins_eval():
    payload = pickle.dumps(EvaluatesAnExpression())
    with pytest.raises(pickle.UnpicklingError, match="builtins.eval"):
        sources.unpickle_arrays(io.BytesIO(payload))


@pytest.mark.parametrize("protocol", [3, 4])
def test_unpickler_accepts_numpy_arrays(protocol):
    arrays = (np.arange(6, dtype=np.int64), np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4))
    stream = io.BytesIO(pickle.dumps(arrays, protocol=protocol))
    loaded = sources.unpickle_arrays(stream)
    for original, copy in zip(arrays, loaded):
        np.testing.assert_array_equal(original, copy)
        assert original.dtype == copy.dtype


def test_read_mnist_pickle_joins_train_and_valid_losslessly():
    rng = np.random.default_rng(0)
    train, valid, test = (synthetic_split(rng, count) for count in (5, 3, 4))
    payload = gzipped_pickle(tuple(split[:2] for split in (train, valid, test)))
    train_images, train_labels, test_images, test_labels = sources.read_mnist_pickle(payload)
    assert train_images.shape == (8, 28, 28) and train_images.dtype == np.uint8
    np.testing.assert_array_equal(train_images.reshape(8, -1), np.concatenate([train[2], valid[2]]))
    np.testing.assert_array_equal(train_labels, np.concatenate([train[1], valid[1]]))
    np.testing.assert_array_equal(test_images.reshape(4, -1), test[2])
    assert train_labels.dtype == np.uint8 and test_labels.dtype == np.uint8


@pytest.mark.parametrize("bad_pixel, message", [(0.5 / 256, "not exactly k/256"),
                                                (1.0, "outside 0..255/256"),
                                                (np.nan, "not exactly k/256")])
def test_pixels_that_are_not_k_over_256_are_refused(bad_pixel, message):
    rng = np.random.default_rng(1)
    train, valid, test = (synthetic_split(rng, 2) for _ in range(3))
    train[0][1, 17] = bad_pixel
    payload = gzipped_pickle(tuple(split[:2] for split in (train, valid, test)))
    with pytest.raises(ValueError, match=f"train images: .*{message}"):
        sources.read_mnist_pickle(payload)


def test_read_mnist_pickle_refuses_labels_outside_0_to_9():
    rng = np.random.default_rng(2)
    train, valid, test = (synthetic_split(rng, 2) for _ in range(3))
    payload = gzipped_pickle((train[:2], valid[:2], (test[0], np.array([3, 10]))))
    with pytest.raises(ValueError, match="test labels: values outside 0..9"):
        sources.read_mnist_pickle(payload)


def test_check_mnist_accepts_official_shapes_and_counts():
    sources.check_mnist(*official_shaped_mnist())


def test_check_mnist_refuses_wrong_class_counts():
    train_images, train_labels, test_images, test_labels = official_shaped_mnist()
    train_labels[0] = 1  # one 0 becomes a 1
    with pytest.raises(ValueError, match="train class counts .* differ from the official"):
        sources.check_mnist(train_images, train_labels, test_images, test_labels)


def test_check_mnist_refuses_wrong_shapes_and_dtypes():
    train_images, train_labels, test_images, test_labels = official_shaped_mnist()
    with pytest.raises(ValueError, match=r"test images: expected shape \(10000, 28, 28\)"):
        sources.check_mnist(train_images, train_labels, test_images[:, :27], test_labels)
    with pytest.raises(ValueError, match=r"train images: expected shape \(60000, 28, 28\)"):
        sources.check_mnist(train_images[:-1], train_labels, test_images, test_labels)
    with pytest.raises(ValueError, match="expected uint8"):
        sources.check_mnist(train_images, train_labels.astype(np.int64), test_images, test_labels)


def write_idx_folder(folder: Path, rng, gz: bool):
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, size=(6, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.arange(6, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.array([9, 8, 7, 6], dtype=np.uint8),
    }
    for name, array in arrays.items():
        raw = idx_bytes(array)
        (folder / (name + ".gz" if gz else name)).write_bytes(gzip.compress(raw) if gz else raw)
    return tuple(arrays.values())


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_round_trips(tmp_path, gz):
    expected = write_idx_folder(tmp_path, np.random.default_rng(3), gz)
    for original, read in zip(expected, sources.read_idx_folder(tmp_path)):
        np.testing.assert_array_equal(original, read)
        assert read.dtype == np.uint8


def test_idx_reader_refuses_bad_magic_and_wrong_length():
    raw = idx_bytes(np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="bad magic number 0x00000803"):
        sources.read_idx(raw, 1, "labels")
    with pytest.raises(ValueError, match="bad magic number"):
        sources.read_idx(b"\x00\x00\x0d\x03" + raw[4:], 3)
    with pytest.raises(ValueError, match="expected 1584 bytes .* got 1583"):
        sources.read_idx(raw[:-1], 3)


def test_idx_folder_names_a_missing_file(tmp_path):
    write_idx_folder(tmp_path, np.random.default_rng(4), gz=True)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(ValueError, match="missing t10k-labels-idx1-ubyte"):
        sources.read_idx_folder(tmp_path)


def test_stratified_sample_is_balanced_sorted_and_seeded():
    labels = np.random.default_rng(5).integers(0, 10, size=500).astype(np.uint8)
    first = sources.stratified_sample(labels, 7, np.random.default_rng(42))
    again = sources.stratified_sample(labels, 7, np.random.default_rng(42))
    other = sources.stratified_sample(labels, 7, np.random.default_rng(43))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert np.all(np.diff(first) > 0)
    assert np.bincount(labels[first], minlength=10).tolist() == [7] * 10


def test_stratified_sample_refuses_a_class_too_small():
    labels = np.repeat(np.arange(10), 3)
    with pytest.raises(ValueError, match="class 0 has 3 examples, fewer than 4"):
        sources.stratified_sample(labels, 4, np.random.default_rng(0))
