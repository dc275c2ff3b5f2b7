"""The config in the URL hash: exact round trips, and junk links that never break the page."""

import numpy as np
import pytest

from mnist_sorter.config import OPTIMIZERS, TrainConfig
from mnist_sorter.share import HASH_KEYS, MAX_NOTICES, config_from_hash, config_to_hash, shortest_number


def test_the_default_config_makes_the_documented_hash():
    assert config_to_hash(TrainConfig()) == (
        "#hidden=128,64&lr=0.001&epochs=10&batch=64&l2=0.0001&optimizer=adam"
        "&decay=0&seed=0&dataset=mnist-10k")


def test_every_config_field_has_one_hash_key():
    assert sorted(HASH_KEYS.values()) == sorted(TrainConfig().to_dict())
    assert len(set(HASH_KEYS.values())) == len(HASH_KEYS)


@pytest.mark.parametrize("value, text", [
    (0.001, "0.001"), (1e-05, "1e-5"), (2.0, "2"), (0.0, "0"), (1e16, "1e16"),
    (0.1 + 0.2, "0.30000000000000004"), (1.5e-7, "1.5e-7"),
])
def test_floats_are_written_in_the_shortest_exact_form(value, text):
    assert shortest_number(value) == text and float(text) == value


def random_config(rng):
    layers = tuple(int(width) for width in rng.integers(1, 4097, size=rng.integers(0, 9)))
    return TrainConfig(
        hidden_layers=layers,
        learning_rate=float(10 ** rng.uniform(-7, 1)),
        epochs=int(rng.integers(1, 201)),
        batch_size=int(rng.integers(1, 60_001)),
        l2=float(rng.choice([0.0, 10 ** rng.uniform(-9, 0)])),
        optimizer=str(rng.choice(OPTIMIZERS)),
        lr_decay=float(rng.choice([0.0, rng.uniform(0, 0.99)])),
        seed=int(rng.integers(0, 2**32)),
        dataset=str(rng.choice(["mnist-10k", "mnist-full", "a", "x9-" + "z" * 37])))


def test_every_config_survives_the_round_trip_exactly():
    rng = np.random.default_rng(0)
    for _ in range(500):
        config = random_config(rng)
        link = config_to_hash(config)
        assert config_from_hash(link) == (config, []), link
        assert config_from_hash(link.removeprefix("#")) == (config, [])  # location.hash without '#'
        assert len(link) < 300  # far below MAX_HASH_LENGTH


def test_the_round_trip_holds_at_the_bounds():
    for config in (TrainConfig(hidden_layers=(), learning_rate=10.0, epochs=200, batch_size=60_000,
                               l2=1.0, optimizer="sgd", lr_decay=0.99, seed=2**32 - 1),
                   TrainConfig(hidden_layers=(1,) * 8, learning_rate=5e-324, epochs=1, batch_size=1,
                               l2=0.0, lr_decay=0.0, seed=0)):
        assert config_from_hash(config_to_hash(config)) == (config, [])


def test_a_link_sets_only_what_it_names_over_the_given_defaults():
    base = TrainConfig(epochs=3, optimizer="sgd", learning_rate=0.1)
    config, notices = config_from_hash("#lr=0.05&hidden=", default=base)
    assert config == base.replace(learning_rate=0.05, hidden_layers=()) and notices == []
    assert config_from_hash("%6Cr=0.2&hidden=32%2C16")[0] == TrainConfig(learning_rate=0.2,
                                                                        hidden_layers=(32, 16))
    for empty in ("", "#", "#&&&"):
        assert config_from_hash(empty) == (TrainConfig(), [])


@pytest.mark.parametrize("link, kept, notice", [
    ("#lr=abc&epochs=5", {"epochs": 5}, "ignored lr=abc: not a number"),
    ("#epochs=0&seed=4", {"seed": 4}, "ignored epochs=0: out of range; allowed: 1 to 200"),
    ("#epochs=2.5", {}, "ignored epochs=2.5: not a whole number"),
    ("#lr=nan", {}, "ignored lr=nan: not a finite number"),
    ("#lr=inf", {}, "ignored lr=inf: not a finite number"),
    ("#optimizer=rmsprop&l2=0", {"l2": 0.0}, "ignored optimizer=rmsprop: not allowed; allowed: one of sgd"),
    ("#hidden=0,5", {}, "ignored hidden=0,5: width 0 is not allowed"),
    ("#hidden=1,2,3,4,5,6,7,8,9", {}, "ignored hidden=1,2,3,4,5,6,7,8,9: 9 layers is too many"),
    ("#dataset=..%2Fetc", {}, "ignored dataset=../etc: not allowed"),
    ("#dataset=%3Cscript%3Ealert(1)%3C%2Fscript%3E", {}, "ignored dataset=<script>alert(1)</script>:"),
    ("#colour=red&batch=8", {"batch_size": 8}, "ignored colour=red: unknown setting; known: hidden, lr"),
    ("#seed&batch=8", {"batch_size": 8}, "ignored seed: not a key=value setting"),
    ("#lr=0.1&lr=0.2", {"learning_rate": 0.1}, "ignored lr=0.2: lr is given twice"),
    ("#lr=", {}, "ignored lr=: a value is required"),
    ("#%zz=1&decay=%zz", {}, "ignored %zz=1: unknown setting"),
])
def test_each_bad_part_is_ignored_with_one_notice_and_the_rest_applied(link, kept, notice):
    config, notices = config_from_hash(link)
    assert config == TrainConfig().replace(**kept)
    assert any(message.startswith(notice) for message in notices), notices
    assert len(notices) == link.count("&") + 1 - len(kept)


@pytest.mark.parametrize("junk", [
    "%zz", "%", "=", "==&=", "#<script>alert(1)</script>",
    "#hidden=" + "9," * 900, "#lr=" + "1" * 1990, "x" * 2001, "#lr=0.1&" * 300,
    "\x00\x01\x7f#lr=\u202e1", "#lr=\ud800", "#seed=" + "9" * 400, "\n\r\t",
    b"\xff\xfe\x80#lr=2", bytes(range(256)), None, 42,
])
def test_junk_never_raises_and_yields_the_defaults_with_notices(junk):
    config, notices = config_from_hash(junk)
    assert config == TrainConfig()
    assert notices and len(notices) <= MAX_NOTICES
    assert all(isinstance(message, str) and len(message) < 400 for message in notices)
    assert not any(0xD800 <= ord(char) <= 0xDFFF or char in "\x00\x01\x7f" for message in notices
                   for char in message)  # safe to hand to JavaScript as text


def test_random_bytes_never_raise():
    rng = np.random.default_rng(1)
    for _ in range(300):
        raw = rng.integers(0, 256, size=rng.integers(0, 300), dtype=np.uint8).tobytes()
        config, notices = config_from_hash(raw)
        assert isinstance(config, TrainConfig) and len(notices) <= MAX_NOTICES
        text = "".join(chr(code) for code in rng.integers(0, 0x3000, size=rng.integers(0, 300)))
        config, notices = config_from_hash("#" + text)
        assert isinstance(config, TrainConfig) and len(notices) <= MAX_NOTICES


def test_a_link_with_too_many_bad_parts_summarises_the_rest():
    config, notices = config_from_hash("&".join(f"k{index}=1" for index in range(50)))
    assert config == TrainConfig() and len(notices) == MAX_NOTICES
    assert notices[-1] == f"and {50 - MAX_NOTICES + 1} more parts ignored"


def test_a_long_value_is_shortened_in_its_notice():
    _, notices = config_from_hash("#dataset=" + "<b>" * 100)
    assert notices[0].startswith("ignored dataset=<b><b>") and len(notices[0]) < 300
