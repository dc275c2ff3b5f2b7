"""Model files: round trip, and refusal of foreign or damaged files."""

import io
import zipfile

import numpy as np
import pytest

from mnist_sorter.config import TrainConfig
from mnist_sorter.model_io import ModelFileError, SavedModel, load_model, model_to_bytes, save_model
from mnist_sorter.network import init_network


@pytest.fixture
def model():
    config = TrainConfig(hidden_layers=(12, 6))
    network = init_network(config.layer_sizes, np.random.default_rng(0))
    return SavedModel(network, config, {"name": "mnist-10k", "sha256": "ab" * 32},
                      {"test_accuracy": 0.5, "epochs_trained": 1})


def test_round_trip_keeps_weights_config_and_provenance(model, tmp_path):
    path = tmp_path / "model.npz"
    save_model(path, model)
    loaded = load_model(path)
    for a, b in zip(model.network.parameters, loaded.network.parameters):
        np.testing.assert_array_equal(a, b)
        assert b.dtype == np.float32
    assert loaded.config == model.config
    assert loaded.bundle == model.bundle and loaded.metrics == model.metrics
    assert load_model(path.read_bytes()).network.layer_sizes == (784, 12, 6, 10)
    assert not list(tmp_path.glob("*.partial"))


def rewrite(raw: bytes, **changes) -> bytes:
    """Return the archive with members replaced (None deletes one)."""
    with np.load(io.BytesIO(raw)) as archive:
        members = {key: archive[key] for key in archive.files}
    for key, value in changes.items():
        if value is None:
            members.pop(key)
        else:
            members[key] = value
    buffer = io.BytesIO()
    np.savez(buffer, **members)
    return buffer.getvalue()


@pytest.mark.parametrize("changes, message", [
    ({"format": np.array("something-else")}, "not an MNIST Sorter model"),
    ({"version": np.array(99)}, "version"),
    ({"weight_1": np.zeros((12, 7), np.float32)}, "layer 1 has shapes"),
    ({"bias_2": None}, "missing"),
    ({"weight_0": np.full((784, 12), np.nan, np.float32)}, "NaN"),
    ({"layer_sizes": np.array([784, 12, 6, 9])}, "must run from 784 to 10"),
    ({"config": np.array("{not json")}, "not valid JSON"),
    ({"config": np.array('{"epochs": -3}')}, "config is invalid"),
    ({"extra": np.zeros(3)}, "unexpected members"),
])
def test_damaged_models_are_refused_with_a_reason(model, changes, message):
    with pytest.raises(ModelFileError, match=message):
        load_model(rewrite(model_to_bytes(model), **changes))


def test_foreign_files_are_refused(model, tmp_path):
    with pytest.raises(ModelFileError, match="not a model file"):
        load_model(b"this is not a zip archive")
    with pytest.raises(ModelFileError, match="not a model file"):
        load_model(model_to_bytes(model)[:500])  # truncated
    buffer = io.BytesIO()
    np.savez(buffer, data=np.array([1, 2, 3]))
    with pytest.raises(ModelFileError, match="not an MNIST Sorter model"):
        load_model(buffer.getvalue())
    with pytest.raises(ModelFileError, match="no such file"):
        load_model(tmp_path / "missing.npz")


def test_pickled_members_are_never_loaded(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        header = io.BytesIO()
        np.lib.format.write_array(header, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
        archive.writestr("format.npy", header.getvalue())
    with pytest.raises(ModelFileError):
        load_model(buffer.getvalue())
