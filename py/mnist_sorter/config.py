"""The training configuration: one validated dataclass.

The command line's flags, the page's form, the run log and the URL hash all
mirror these fields one to one. `FIELDS` describes each field (label, bounds,
help) so that every mirror can be generated from one table instead of being
written out by hand four times.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any

OPTIMIZERS = ("sgd", "momentum", "adam")

# A learning rate that suits each optimiser on MNIST; used when none is given.
DEFAULT_LEARNING_RATES = {"sgd": 0.1, "momentum": 0.05, "adam": 0.001}

MAX_HIDDEN_LAYERS = 8
MAX_LAYER_WIDTH = 4096
MAX_EPOCHS = 200
MAX_BATCH_SIZE = 60_000
MAX_SEED = 2**32 - 1
_DATASET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class FieldSpec:
    """How one config field is shown, parsed and bounded."""

    name: str
    label: str  # the form control's accessible name
    kind: str  # "int", "float", "choice", "layers" or "name"
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""

    def range_text(self) -> str:
        """Describe the allowed values, for messages and the form's hints."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "layers":
            return (f"0 to {MAX_HIDDEN_LAYERS} widths, each 1 to {MAX_LAYER_WIDTH}, "
                    "separated by commas")
        if self.kind == "name":
            return "lower-case letters, digits and dashes"
        if self.kind == "float" and self.name == "learning_rate":
            return f"greater than 0 and at most {_fmt(self.maximum)}"
        return f"{_fmt(self.minimum)} to {_fmt(self.maximum)}"


def _fmt(number: float | None) -> str:
    if number is None:
        return ""
    if float(number).is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:g}"


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("hidden_layers", "Hidden layers", "layers",
              help="widths of the hidden layers, e.g. 128, 64; empty for softmax regression"),
    FieldSpec("learning_rate", "Learning rate", "float", 0.0, 10.0,
              help="step size of gradient descent"),
    FieldSpec("epochs", "Epochs", "int", 1, MAX_EPOCHS,
              help="passes over the training set"),
    FieldSpec("batch_size", "Batch size", "int", 1, MAX_BATCH_SIZE,
              help="images per gradient step; the whole set gives plain gradient descent"),
    FieldSpec("l2", "L2", "float", 0.0, 1.0,
              help="weight decay strength lambda: loss += lambda/2 * sum(W**2)"),
    FieldSpec("optimizer", "Optimizer", "choice", choices=OPTIMIZERS,
              help="sgd, momentum (0.9) or adam (0.9, 0.999)"),
    FieldSpec("lr_decay", "Learning-rate decay", "float", 0.0, 0.99,
              help="fraction the learning rate shrinks after each epoch; 0 keeps it fixed"),
    FieldSpec("seed", "Seed", "int", 0, MAX_SEED,
              help="seeds initial weights and shuffling: same seed, same run"),
    FieldSpec("dataset", "Dataset", "name",
              help="which data bundle to train on, e.g. mnist-10k or mnist-full"),
)
FIELDS_BY_NAME = {spec.name: spec for spec in FIELDS}


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one training run. Construction validates every field."""

    hidden_layers: tuple[int, ...] = (128, 64)  # two layers: ~97-98 % on 10k images
    learning_rate: float = DEFAULT_LEARNING_RATES["adam"]
    epochs: int = 10  # enough for the default network to level off on mnist-10k
    batch_size: int = 64  # small batches generalise well and keep steps short in the browser
    l2: float = 1e-4  # mild weight decay; helps the wider networks
    optimizer: str = "adam"  # forgiving of the learning rate, converges fastest
    lr_decay: float = 0.0  # no decay by default
    seed: int = 0
    dataset: str = "mnist-10k"  # small enough to train in seconds in a browser

    def __post_init__(self) -> None:
        # Normalise friendly inputs (lists, numpy ints) before checking them.
        object.__setattr__(self, "hidden_layers", _check_layers(self.hidden_layers))
        for spec in FIELDS:
            if spec.kind in ("int", "float"):
                value = _check_number(spec, getattr(self, spec.name))
                object.__setattr__(self, spec.name, value)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(_bad("optimizer", self.optimizer, FIELDS_BY_NAME["optimizer"]))
        if not isinstance(self.dataset, str) or not _DATASET_NAME.match(self.dataset):
            raise ValueError(_bad("dataset", self.dataset, FIELDS_BY_NAME["dataset"]))

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """All layer widths from input to output: (784, *hidden, 10)."""
        return (784, *self.hidden_layers, 10)

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON-ready values (hidden_layers as a list)."""
        values = dataclasses.asdict(self)
        values["hidden_layers"] = list(self.hidden_layers)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build a config from a mapping; unknown keys are an error, missing ones default."""
        if not isinstance(values, dict):
            raise ValueError(f"config must be a mapping of field names to values, not {type(values).__name__}")
        unknown = sorted(set(values) - set(FIELDS_BY_NAME))
        if unknown:
            raise ValueError(f"unknown config field(s): {', '.join(map(str, unknown))}")
        return cls(**values)

    def replace(self, **changes: Any) -> TrainConfig:
        """Return a copy with some fields changed (and validated)."""
        return dataclasses.replace(self, **changes)


def parse_field(name: str, text: str) -> Any:
    """Parse one field from user text (form input, URL hash); raise ValueError if invalid.

    The result is validated against the field's bounds too, so a form can show
    the message next to its control.
    """
    spec = FIELDS_BY_NAME.get(name)
    if spec is None:
        raise ValueError(f"unknown config field: {name}")
    text = str(text).strip()
    if spec.kind == "layers":
        parts = [part.strip() for part in re.split(r"[,\s]+", text) if part.strip()]
        widths = []
        for part in parts:
            if not re.fullmatch(r"[0-9]+", part):
                raise ValueError(_bad(name, text, spec))
            widths.append(int(part))
        return _check_layers(tuple(widths))
    if spec.kind in ("int", "float"):
        if text == "":
            raise ValueError(f"{name}: a value is required ({spec.range_text()})")
        try:
            # float() also takes "1_000" and non-ASCII digits ("١٢", "１２"): plain ASCII only.
            if not text.isascii() or "_" in text:
                raise ValueError(text)
            number: Any = float(text)
        except ValueError:
            raise ValueError(f"{name}: {text!r} is not a number; allowed: {spec.range_text()}") from None
        if spec.kind == "int" and re.fullmatch(r"[+-]?[0-9]+", text):
            number = int(text)  # exact, even beyond float precision
        return _check_number(spec, number)
    if spec.kind == "choice":
        if text not in spec.choices:
            raise ValueError(_bad(name, text, spec))
        return text
    if not _DATASET_NAME.match(text):
        raise ValueError(_bad(name, text, spec))
    return text


def _bad(name: str, value: Any, spec: FieldSpec) -> str:
    return f"{name}: {value!r} is not allowed; allowed: {spec.range_text()}"


def _check_layers(value: Any) -> tuple[int, ...]:
    spec = FIELDS_BY_NAME["hidden_layers"]
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(_bad("hidden_layers", value, spec))
    widths = tuple(value)
    if len(widths) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"hidden_layers: {len(widths)} layers is too many; allowed: {spec.range_text()}")
    checked = []
    for width in widths:
        if isinstance(width, bool) or not _is_integral(width) or not 1 <= int(width) <= MAX_LAYER_WIDTH:
            raise ValueError(f"hidden_layers: width {width!r} is not allowed; allowed: {spec.range_text()}")
        checked.append(int(width))
    return tuple(checked)


def _is_integral(value: Any) -> bool:
    try:
        return int(value) == value
    except (TypeError, ValueError, OverflowError):
        return False


def _check_number(spec: FieldSpec, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise ValueError(f"{spec.name}: {value!r} is not a number; allowed: {spec.range_text()}")
    if spec.kind == "int":
        if not _is_integral(value):
            raise ValueError(f"{spec.name}: {value!r} is not a whole number; allowed: {spec.range_text()}")
        number: int | float = int(value)
    else:
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{spec.name}: {value!r} is not a finite number; allowed: {spec.range_text()}")
    low, high = spec.minimum, spec.maximum
    # The learning rate must be strictly positive; every other bound is inclusive.
    too_low = number <= low if spec.name == "learning_rate" else number < low
    if too_low or number > high:
        raise ValueError(f"{spec.name}: {value!r} is out of range; allowed: {spec.range_text()}")
    return number
