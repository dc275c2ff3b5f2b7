"""The training config in the URL hash, so a link reproduces a run's settings.

Like TensorFlow Playground's state.ts: one table maps short, stable hash keys
to config fields, and every value is written the way `config.parse_field`
reads it back. Reading never fails: a bad or unknown part of a link is skipped
with a notice, and the rest is applied over the defaults. Non-goals: reading
or writing `location.hash` (the page does that) and any state but the config.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from mnist_sorter.config import TrainConfig, parse_field

# hash key -> TrainConfig field. Published in links: never rename a key.
HASH_KEYS = {
    "hidden": "hidden_layers", "lr": "learning_rate", "epochs": "epochs", "batch": "batch_size",
    "l2": "l2", "optimizer": "optimizer", "decay": "lr_decay", "seed": "seed", "dataset": "dataset",
}
MAX_HASH_LENGTH = 2000  # a real link is under 300 characters
MAX_NOTICES = 10  # one notice per bad part, but a junk link must not flood the page
_SHOWN_VALUE = 30  # characters of a bad value quoted in its notice


def config_to_hash(config: TrainConfig) -> str:
    """Return the URL hash ("#hidden=128,64&lr=0.001&...") that reproduces `config`."""
    values = config.to_dict()
    parts = []
    for key, field in HASH_KEYS.items():
        value = values[field]
        if field == "hidden_layers":
            text = ",".join(map(str, value))
        elif isinstance(value, float):
            text = shortest_number(value)
        else:
            text = str(value)
        parts.append(f"{key}={quote(text, safe=',.-')}")
    return "#" + "&".join(parts)


def shortest_number(value: float) -> str:
    """Write a float in the shortest text that reads back exactly: 0.001, 1e-5, 2."""
    text = repr(float(value))
    if text.endswith(".0"):
        text = text[:-2]
    mantissa, _, exponent = text.partition("e")
    if exponent:  # repr writes 1e-05 and 1e+16; 1e-5 and 1e16 read back the same
        text = f"{mantissa}e{int(exponent)}"
    return text


def config_from_hash(text: str | bytes,
                     default: TrainConfig = TrainConfig()) -> tuple[TrainConfig, list[str]]:
    """Read a URL hash; return (config, notices), one notice per part that was ignored.

    Never raises: whatever the link holds, the result is a valid config.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return default, [f"ignored the link's settings: {type(text).__name__} is not text"]
    if len(text) > MAX_HASH_LENGTH:
        return default, [f"ignored the link's settings: longer than {MAX_HASH_LENGTH} characters"]
    changes, notices = {}, []
    for part in text.removeprefix("#").split("&"):
        if not part:
            continue  # "&&" or an empty hash
        key, equals, raw = part.partition("=")
        key, value = _unquote(key), _unquote(raw)
        field = HASH_KEYS.get(key)
        if not equals:
            notices.append(f"ignored {_shown(key)}: not a key=value setting")
        elif field is None:
            notices.append(f"ignored {_shown(key)}={_shown(value)}: unknown setting; "
                           f"known: {', '.join(HASH_KEYS)}")
        elif field in changes:
            notices.append(f"ignored {key}={_shown(value)}: {key} is given twice")
        else:
            try:
                changes[field] = parse_field(field, value)
            except ValueError as error:
                notices.append(f"ignored {key}={_shown(value)}: {_reason(str(error), field)}")
    try:
        config = default.replace(**changes)
    except ValueError as error:  # a rule across fields; none today, but stay safe
        return default, [*notices, f"ignored the link's settings: {error}"][:MAX_NOTICES]
    if len(notices) > MAX_NOTICES:
        notices = notices[:MAX_NOTICES - 1] + [f"and {len(notices) - MAX_NOTICES + 1} more parts ignored"]
    return config, notices


def _unquote(text: str) -> str:
    """Decode %xx escapes; malformed ones (%zz) stay as typed."""
    return unquote(text, errors="replace")


def _shown(text: str) -> str:
    """Quote a part of the link in a notice: short, and with control characters made visible."""
    # lone surrogates too: they cannot cross into JavaScript text
    text = re.sub(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]", "\N{REPLACEMENT CHARACTER}", text)
    return text if len(text) <= _SHOWN_VALUE else text[:_SHOWN_VALUE - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _reason(message: str, field: str) -> str:
    """Drop the field-name prefix from config's message: "not a number; allowed: ..."."""
    message = message.removeprefix(f"{field}: ")
    return re.sub(r"^(?:'[^']*'|\"[^\"]*\"|[-+.\w]+) is ", "", message)[:200]
