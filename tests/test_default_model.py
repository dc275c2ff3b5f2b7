"""scripts/build_default_model.py: deterministic training, provenance recorded, rebuilds skipped."""

import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import pytest

from mnist_sorter import bundles
from mnist_sorter.config import TrainConfig
from mnist_sorter.model_io import load_model, model_to_bytes

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build_default_model.py"
TINY_CONFIG = TrainConfig(hidden_layers=(32,), epochs=4, batch_size=32, seed=3, dataset="digits")
TINY_AUGMENTATION = {"copies": 1, "max_rotation_degrees": 10.0, "max_shear": 0.2, "max_scale_change": 0.1,
                     "max_shift_pixels": 1.0, "seed": 5}


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("build_default_model", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def data_dir(tmp_path, small_digits):
    """A data folder holding the small digits as a bundle called "digits", with its manifest."""
    folder = tmp_path / "data"
    folder.mkdir()
    entry = bundles.write_bundle(folder / "digits.npz", small_digits.train_images, small_digits.train_labels,
                                 small_digits.test_images, small_digits.test_labels)
    manifest = {"format": 1, "bundles": [{"name": "digits", "file": "digits.npz", **entry}]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_distort_keeps_shape_and_is_seeded(script, small_digits):
    images = small_digits.train_images[:50]
    ranges = {key: value for key, value in TINY_AUGMENTATION.items() if key.startswith("max_")}
    first = script.distort(images, np.random.default_rng(0), **ranges)
    again = script.distort(images, np.random.default_rng(0), **ranges)
    assert first.shape == images.shape and first.dtype == np.uint8
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, images)
    # The ink moves a little but stays: total ink grows at most by the zoom's area, 1.1**2.
    ratio = first.reshape(50, -1).sum(axis=1) / images.reshape(50, -1).sum(axis=1)
    assert (ratio > 0.75).all() and (ratio < 1.3).all()


def test_no_distortion_is_the_identity(script, small_digits):
    images = small_digits.train_images[:20]
    same = script.distort(images, np.random.default_rng(0), 0.0, 0.0, 0.0, 0.0)
    np.testing.assert_array_equal(same, images)


def test_training_is_deterministic_and_records_provenance(script, small_digits):
    first = script.train_model(TINY_CONFIG, small_digits, TINY_AUGMENTATION)
    second = script.train_model(TINY_CONFIG, small_digits, TINY_AUGMENTATION)
    for a, b in zip(first.network.parameters, second.network.parameters):
        np.testing.assert_array_equal(a, b)
    assert model_to_bytes(first) == model_to_bytes(second)  # the file too, byte for byte
    assert first.bundle == {"name": small_digits.name, "sha256": small_digits.sha256}
    assert first.metrics["epochs_trained"] == 4
    assert first.metrics["test_accuracy"] > 0.8  # it learns the small digits
    assert first.metrics["augmentation"] == TINY_AUGMENTATION


def test_build_writes_a_loadable_model_then_skips_until_something_changes(script, data_dir, tmp_path):
    out = tmp_path / "model"
    message = script.build(out, data_dir, train_config=TINY_CONFIG, augmentation=TINY_AUGMENTATION)
    assert "test accuracy" in message and "trained" in message
    model = load_model(out / script.MODEL_NAME)
    assert model.config == TINY_CONFIG
    assert model.bundle["name"] == "digits" and len(model.bundle["sha256"]) == 64
    stamp = json.loads((out / script.STAMP_NAME).read_text())
    assert stamp["test_accuracy"] == model.metrics["test_accuracy"]

    started = time.perf_counter()
    message = script.build(out, data_dir, train_config=TINY_CONFIG, augmentation=TINY_AUGMENTATION)
    assert message.startswith("default model up to date")
    assert time.perf_counter() - started < 0.5

    changed = TINY_CONFIG.replace(seed=4)  # another config: retrained
    assert "trained" in script.build(out, data_dir, train_config=changed, augmentation=TINY_AUGMENTATION)
    (out / script.MODEL_NAME).write_bytes(b"damaged")  # a damaged model file: retrained
    assert "trained" in script.build(out, data_dir, train_config=changed, augmentation=TINY_AUGMENTATION)
    load_model(out / script.MODEL_NAME)


def test_default_config_is_valid_and_trains_on_the_full_set(script):
    assert script.DEFAULT_CONFIG.dataset == "mnist-full"
    assert script.DEFAULT_CONFIG.layer_sizes[0] == 784 and script.DEFAULT_CONFIG.layer_sizes[-1] == 10


def test_a_missing_data_folder_is_one_line_and_exit_code_2(script, tmp_path, capsys):
    code = script.main(["--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path / "model")])
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith("build_default_model: error: no data manifest")
    assert error.count("\n") == 1
    assert not (tmp_path / "model").exists()
