"""Bad input, the pure-Python rules: every hyperparameter at and beyond its bounds and as
non-numbers (as the form and the URL hash give them, text), a URL hash full of junk, and
files that are not models. The browser side of the same cases is in tests/e2e/test_faults.py."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from mnist_sorter.config import FIELDS, TrainConfig, parse_field
from mnist_sorter.model_io import ModelFileError, load_model
from mnist_sorter.share import MAX_HASH_LENGTH, config_from_hash

NUMERIC = [spec for spec in FIELDS if spec.kind in ("int", "float")]
NOT_NUMBERS = ["abc", "", " ", "nan", "NaN", "inf", "-inf", "1e999", "0x10", "1,5", "1 2", "--1",
               "1_000", "１２", "٣", "½", "1e", "e5", "💥", "<script>", "None", "[1]"]


def step(spec) -> float:
    return 1 if spec.kind == "int" else 1e-9


@pytest.mark.parametrize("spec", NUMERIC, ids=lambda spec: spec.name)
def test_every_numeric_field_takes_its_bounds_as_text_and_refuses_beyond(spec):
    low = spec.minimum + (step(spec) if spec.name == "learning_rate" else 0)  # lr > 0, strictly
    for text in (repr(low) if spec.kind == "float" else str(int(low)),
                 repr(float(spec.maximum)) if spec.kind == "float" else str(int(spec.maximum))):
        value = parse_field(spec.name, text)
        TrainConfig(**{spec.name: value})
    for beyond in (spec.minimum - step(spec), spec.maximum + step(spec), spec.maximum * 10 + 1,
                   -1e308, 1e308):
        text = str(int(beyond)) if spec.kind == "int" and abs(beyond) < 1e18 else repr(beyond)
        with pytest.raises(ValueError, match=f"^{spec.name}: .*allowed"):
            parse_field(spec.name, text)
    if spec.name == "learning_rate":
        with pytest.raises(ValueError, match="greater than 0"):
            parse_field(spec.name, "0")


@pytest.mark.parametrize("spec", NUMERIC, ids=lambda spec: spec.name)
@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_non_numbers_are_refused_with_the_field_named(spec, text):
    with pytest.raises(ValueError, match=f"^{spec.name}: "):
        parse_field(spec.name, text)


@pytest.mark.parametrize("text", ["1.5", "-1", "4097", "0", "a", "1;2", "１", "8," * 9])
def test_hidden_layers_beyond_bounds_or_not_numbers_are_refused(text):
    with pytest.raises(ValueError, match="^hidden_layers: "):
        parse_field("hidden_layers", text)


JUNK_HASHES = [
    "#" + "x" * (MAX_HASH_LENGTH + 1), "#%", "#%zz=1", "#epochs=%00", "#=&&&==", "#&&&", "#;;;",
    "#<script>alert(1)</script>", "#epochs=<img src=x onerror=alert(1)>", "#seed=1e400", "#lr=nan",
    "#lr=Infinity", "#épochs=３", "#\ud800", "#hidden=" + "9," * 500, "#__proto__=1&constructor=2",
    "#epochs=" + "9" * 1000, "#dataset=../../etc/passwd", "#optimizer=adam%00", b"#\xff\xfe\x00",
    "#?a=b#c=d", "#" + "&" * 1999, "#epochs=1&epochs=2&epochs=3",
]


@pytest.mark.parametrize("junk", JUNK_HASHES, ids=range(len(JUNK_HASHES)))
def test_a_junk_hash_never_raises_and_leaves_a_valid_config(junk):
    config, notices = config_from_hash(junk)
    assert isinstance(config, TrainConfig)
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert sum(len(notice) for notice in notices) < 20_000  # the status line stays readable
    assert all(isinstance(notice, str) for notice in notices)


def test_a_junk_hash_keeps_the_valid_part():
    config, notices = config_from_hash("#epochs=3&<b>=1&lr=-1")
    assert config.epochs == 3 and config.learning_rate == TrainConfig().learning_rate
    assert len(notices) == 2


def npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


NOT_MODELS = {
    "empty": b"",
    "text": b"hello, world",
    "json run log": json.dumps({"app": "mnist-sorter", "schema": 1, "runs": []}).encode(),
    "png": b"\x89PNG\r\n\x1a\n" + bytes(64),
    "lone npy array": npy_bytes(np.zeros((784, 10), np.float32)),
    "zip, not npz": zip_bytes({"readme.txt": b"hi"}),
    "zip cut short": zip_bytes({"format.npy": npy_bytes(np.array("mnist-sorter-model"))})[:40],
    "npz of pickles": zip_bytes({"format.npy": npy_bytes(np.array([{"a": 1}], dtype=object))}),
}


@pytest.mark.parametrize("name", list(NOT_MODELS))
def test_a_file_that_is_not_a_model_is_refused_with_a_reason(name):
    with pytest.raises(ModelFileError, match="not a model file|not an MNIST Sorter model"):
        load_model(NOT_MODELS[name])
