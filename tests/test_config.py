import math

import pytest

from mnist_sorter.config import FIELDS, TrainConfig, parse_field


def test_defaults_are_valid_and_round_trip_through_dict():
    config = TrainConfig()
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert config.layer_sizes == (784, 128, 64, 10)


def test_every_field_has_a_form_label():
    assert [spec.label for spec in FIELDS] == [
        "Hidden layers", "Learning rate", "Epochs", "Batch size", "L2", "Optimizer",
        "Learning-rate decay", "Seed", "Dataset"]


@pytest.mark.parametrize("field, value, fragment", [
    ("learning_rate", 0.0, "greater than 0"),
    ("learning_rate", -1.0, "out of range"),
    ("learning_rate", 11.0, "out of range"),
    ("learning_rate", math.nan, "not a finite number"),
    ("learning_rate", math.inf, "not a finite number"),
    ("learning_rate", "0.1", "not a number"),
    ("epochs", 0, "1 to 200"),
    ("epochs", 201, "out of range"),
    ("epochs", 2.5, "not a whole number"),
    ("batch_size", 0, "out of range"),
    ("batch_size", 60_001, "out of range"),
    ("l2", -0.1, "out of range"),
    ("l2", 1.5, "out of range"),
    ("lr_decay", 1.0, "out of range"),
    ("seed", -1, "out of range"),
    ("seed", 2**32, "out of range"),
    ("optimizer", "rmsprop", "one of sgd, momentum, adam"),
    ("dataset", "../etc", "lower-case letters"),
    ("hidden_layers", (0,), "width 0"),
    ("hidden_layers", (4097,), "1 to 4096"),
    ("hidden_layers", (8,) * 9, "too many"),
    ("hidden_layers", "128", "not allowed"),
    ("hidden_layers", (True,), "width True"),
])
def test_invalid_values_are_refused_naming_field_value_and_range(field, value, fragment):
    with pytest.raises(ValueError) as error:
        TrainConfig(**{field: value})
    message = str(error.value)
    assert message.startswith(field + ":")
    assert fragment in message
    assert "allowed" in message


def test_bounds_themselves_are_allowed():
    TrainConfig(hidden_layers=(), epochs=1, batch_size=60_000, l2=0.0, seed=0, lr_decay=0.0)
    TrainConfig(hidden_layers=(4096,) + (1,) * 7, epochs=200, l2=1.0, seed=2**32 - 1,
                learning_rate=10.0, lr_decay=0.99, batch_size=1)


def test_unknown_fields_are_refused():
    with pytest.raises(ValueError, match="unknown config field"):
        TrainConfig.from_dict({"epochs": 2, "dropout": 0.5})


@pytest.mark.parametrize("name, text, expected", [
    ("hidden_layers", "128, 64", (128, 64)),
    ("hidden_layers", "", ()),
    ("hidden_layers", " 32 ", (32,)),
    ("learning_rate", "1e-3", 0.001),
    ("epochs", "12", 12),
    ("optimizer", "sgd", "sgd"),
])
def test_parse_field_accepts_form_text(name, text, expected):
    assert parse_field(name, text) == expected


@pytest.mark.parametrize("name, text", [
    ("hidden_layers", "128, x"), ("hidden_layers", "-5"), ("learning_rate", "abc"),
    ("learning_rate", ""), ("epochs", "1.5"), ("epochs", "9999999"), ("seed", "nan"),
    ("optimizer", "Adam!"), ("unknown", "1"),
])
def test_parse_field_refuses_bad_text(name, text):
    with pytest.raises(ValueError):
        parse_field(name, text)
