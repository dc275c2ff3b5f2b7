"""Unit tests for mnist_sorter.bundles on tiny synthetic bundles (no network, no real MNIST)."""

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "py"))

from mnist_sorter import bundles  # noqa: E402
from mnist_sorter.bundles import BundleError  # noqa: E402


def tiny_arrays(seed=0):
    """Return a small data set: 30 training and 20 test images, labels cycling 0..9."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8),
            (np.arange(30) % 10).astype(np.uint8),
            rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8),
            (np.arange(20)[::-1] % 10).astype(np.uint8))


def entry_for(raw: bytes, train_labels, test_labels, name="tiny"):
    fields = bundles.describe_bundle(raw, train_labels, test_labels)
    return {"name": name, "file": f"{name}.npz", **fields, "source": "synthetic",
            "description": "test data"}


def good_bundle():
    arrays = tiny_arrays()
    raw = bundles.bundle_bytes(*arrays)
    return raw, entry_for(raw, arrays[1], arrays[3]), arrays


def npz_bytes(**members) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **members)
    return buffer.getvalue()


def write_data_dir(folder: Path, names=("tiny", "small")):
    """Write one bundle per name and a manifest listing them; return the manifest."""
    entries = []
    for seed, name in enumerate(names):
        arrays = tiny_arrays(seed)
        fields = bundles.write_bundle(folder / f"{name}.npz", *arrays)
        entries.append({"name": name, "file": f"{name}.npz", **fields})
    manifest = {"format": 1, "bundles": entries}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def test_write_bundle_is_deterministic_and_readable_by_np_load(tmp_path):
    arrays = tiny_arrays()
    first = bundles.write_bundle(tmp_path / "a.npz", *arrays)
    second = bundles.write_bundle(tmp_path / "b.npz", *arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    assert first == second
    assert first["bytes"] == (tmp_path / "a.npz").stat().st_size
    assert first["train_count"] == 30 and first["test_count"] == 20
    assert first["train_class_counts"] == [3] * 10 and first["test_class_counts"] == [2] * 10
    with np.load(tmp_path / "a.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(bundles.MEMBERS)
        np.testing.assert_array_equal(archive["train_images"], arrays[0])


def test_write_bundle_refuses_bad_arrays(tmp_path):
    train_images, train_labels, test_images, test_labels = tiny_arrays()
    with pytest.raises(BundleError, match="must have shape"):
        bundles.write_bundle(tmp_path / "x.npz", train_images[:, :27], train_labels,
                             test_images, test_labels)
    with pytest.raises(BundleError, match="must be uint8"):
        bundles.write_bundle(tmp_path / "x.npz", train_images, train_labels.astype(np.int64),
                             test_images, test_labels)


def test_dataset_from_bytes_accepts_a_good_bundle():
    raw, entry, arrays = good_bundle()
    dataset = bundles.dataset_from_bytes(raw, entry)
    assert dataset.name == "tiny" and dataset.sha256 == entry["sha256"]
    loaded = (dataset.train_images, dataset.train_labels, dataset.test_images, dataset.test_labels)
    for original, read in zip(arrays, loaded):
        np.testing.assert_array_equal(original, read)
        assert read.dtype == np.uint8


def test_dataset_from_bytes_accepts_a_memoryview():
    raw, entry, _ = good_bundle()
    assert bundles.dataset_from_bytes(memoryview(raw), entry).train_images.shape == (30, 28, 28)


def test_dataset_from_bytes_refuses_a_truncated_bundle():
    raw, entry, _ = good_bundle()
    with pytest.raises(BundleError, match=f"tiny.npz: truncated: expected {len(raw)} bytes, "
                                          f"got {len(raw) - 100}"):
        bundles.dataset_from_bytes(raw[:-100], entry)


def test_dataset_from_bytes_refuses_a_one_byte_alteration():
    raw, entry, _ = good_bundle()
    altered = bytearray(raw)
    altered[len(raw) // 2] ^= 0x01
    with pytest.raises(BundleError, match="tiny.npz: sha256 mismatch \\(file is damaged or "
                                          f"altered\\): expected {entry['sha256']}, got "):
        bundles.dataset_from_bytes(bytes(altered), entry)


def test_dataset_from_bytes_refuses_wrong_members():
    train_images, train_labels, test_images, test_labels = tiny_arrays()
    raw = npz_bytes(train_images=train_images, train_labels=train_labels,
                    test_images=test_images, labels=test_labels)
    with pytest.raises(BundleError, match=r"tiny.npz: members \['labels', "):
        bundles.dataset_from_bytes(raw, entry_for(raw, train_labels, test_labels))


def test_dataset_from_bytes_refuses_a_wrong_shape():
    train_images, train_labels, test_images, test_labels = tiny_arrays()
    raw = npz_bytes(train_images=train_images.reshape(30, 784), train_labels=train_labels,
                    test_images=test_images, test_labels=test_labels)
    with pytest.raises(BundleError, match=r"train_images must have shape \(N, 28, 28\), "
                                          r"got \(30, 784\)"):
        bundles.dataset_from_bytes(raw, entry_for(raw, train_labels, test_labels))


def test_dataset_from_bytes_refuses_counts_that_differ_from_the_manifest():
    raw, entry, _ = good_bundle()
    with pytest.raises(BundleError, match="30 train examples, manifest says 31"):
        bundles.dataset_from_bytes(raw, {**entry, "train_count": 31})
    wrong_counts = [4, 2] + [3] * 8
    with pytest.raises(BundleError, match="train class counts .* manifest says"):
        bundles.dataset_from_bytes(raw, {**entry, "train_class_counts": wrong_counts})


def test_dataset_from_bytes_refuses_a_bare_npy_file():
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3, np.uint8))
    raw = buffer.getvalue()
    with pytest.raises(BundleError, match="not a zip"):
        bundles.dataset_from_bytes(raw, entry_for(raw, np.zeros(0, np.uint8), np.zeros(0, np.uint8)))


def test_load_bundle_reads_from_a_data_dir(tmp_path):
    write_data_dir(tmp_path)
    dataset = bundles.load_bundle("small", tmp_path)
    np.testing.assert_array_equal(dataset.train_images, tiny_arrays(1)[0])


def test_load_bundle_uses_the_environment_variable(tmp_path, monkeypatch):
    write_data_dir(tmp_path)
    monkeypatch.setenv("MNIST_SORTER_DATA", str(tmp_path))
    assert bundles.default_data_dir() == tmp_path
    assert bundles.load_bundle("tiny").name == "tiny"


def test_default_data_dir_is_build_data_in_the_repo(monkeypatch):
    monkeypatch.delenv("MNIST_SORTER_DATA", raising=False)
    repo_root = Path(__file__).resolve().parents[1]
    assert bundles.default_data_dir() == repo_root / "build" / "data"


def test_unknown_name_lists_the_available_ones(tmp_path):
    manifest = write_data_dir(tmp_path)
    with pytest.raises(BundleError, match="unknown dataset 'mnist-1k'; available: tiny, small"):
        bundles.find_entry(manifest, "mnist-1k")
    with pytest.raises(BundleError, match="available: tiny, small"):
        bundles.load_bundle("mnist-1k", tmp_path)


def test_missing_manifest_says_how_to_build(tmp_path):
    with pytest.raises(BundleError, match="no data manifest at .*scripts/build_data.py"):
        bundles.load_manifest(tmp_path)


def test_manifest_of_another_format_is_refused():
    with pytest.raises(BundleError, match="expected a manifest of format 1"):
        bundles.parse_manifest('{"format": 2, "bundles": []}')


def test_manifest_cannot_point_outside_its_folder(tmp_path):
    manifest = write_data_dir(tmp_path)
    manifest["bundles"][0]["file"] = "../elsewhere.npz"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="must be a plain file name"):
        bundles.load_bundle("tiny", tmp_path)
