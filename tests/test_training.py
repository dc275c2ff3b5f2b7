"""Training learns, is reproducible, reports progress, stops cleanly and detects divergence."""

import numpy as np
import pytest

from mnist_sorter.config import TrainConfig
from mnist_sorter.optimizers import make_optimizer
from mnist_sorter.training import BatchProgress, EpochEnd, Finished, evaluate, train


def run(config, data, **options):
    return list(train(config, data, **options))


@pytest.mark.parametrize("optimizer, learning_rate", [("sgd", 0.1), ("momentum", 0.05), ("adam", 0.002)])
def test_learns_real_digits_with_a_fixed_seed(small_digits, optimizer, learning_rate):
    config = TrainConfig(hidden_layers=(32,), epochs=8, batch_size=32, optimizer=optimizer,
                         learning_rate=learning_rate, seed=7)
    events = run(config, small_digits)
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in epochs] == list(range(1, 9))
    assert epochs[-1].train_loss < 0.5 * epochs[0].train_loss  # the loss falls
    assert epochs[-1].test_accuracy >= 0.90  # 10 % is chance
    assert isinstance(events[-1], Finished) and events[-1].status == "done"
    assert events[-1].test_accuracy == epochs[-1].test_accuracy


def test_softmax_regression_learns_too(small_digits):
    events = run(TrainConfig(hidden_layers=(), epochs=5, learning_rate=0.1, optimizer="sgd"), small_digits)
    assert events[-1].test_accuracy >= 0.85


def test_same_seed_gives_identical_weights_and_other_seed_does_not(small_digits):
    config = TrainConfig(hidden_layers=(16, 8), epochs=2, batch_size=50, seed=5)
    first = run(config, small_digits)[-1].network
    second = run(config, small_digits)[-1].network
    other = run(config.replace(seed=6), small_digits)[-1].network
    for a, b in zip(first.parameters, second.parameters):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.weights[0], other.weights[0])


def test_progress_events_cover_every_batch_and_test_chunk(small_digits):
    config = TrainConfig(hidden_layers=(8,), epochs=1, batch_size=100)
    events = run(config, small_digits, report_every=3, eval_chunk=300)
    train_steps = [e.done for e in events if isinstance(e, BatchProgress) and e.phase == "train"]
    test_steps = [e.done for e in events if isinstance(e, BatchProgress) and e.phase == "test"]
    assert train_steps == [3, 6, 9, 10]  # every 3rd batch and the last of 10
    assert test_steps == [300, 600]  # 797 test images in chunks of 300; the last chunk ends the epoch
    end = next(e for e in events if isinstance(e, EpochEnd))
    assert end.seconds > 0 and 0 <= end.train_accuracy <= 1
    assert set(end.to_dict()) == {"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds"}


def test_full_batch_is_plain_gradient_descent(small_digits):
    config = TrainConfig(hidden_layers=(8,), epochs=2, batch_size=60_000, optimizer="sgd", learning_rate=0.5)
    events = run(config, small_digits)
    assert [e.total for e in events if isinstance(e, BatchProgress) and e.phase == "train"] == [1, 1]


def test_stopping_early_leaves_a_usable_network(small_digits):
    iterator = train(TrainConfig(hidden_layers=(8,), epochs=50), small_digits)
    first_epoch = next(e for e in iterator if isinstance(e, EpochEnd))
    iterator.close()  # what the page's Stop button does
    loss, accuracy = evaluate(first_epoch.network, small_digits.test_images, small_digits.test_labels)
    assert accuracy == pytest.approx(first_epoch.test_accuracy)


def test_a_huge_learning_rate_diverges_with_a_message(small_digits):
    events = run(TrainConfig(hidden_layers=(64,), epochs=3, optimizer="sgd", learning_rate=10.0, l2=0), small_digits)
    last = events[-1]
    assert isinstance(last, Finished) and last.status == "diverged"
    assert "smaller learning rate" in last.message
    assert all(np.isfinite(e.train_loss) for e in events if isinstance(e, EpochEnd))


def test_learning_rate_decay_shrinks_the_step(small_digits):
    events = run(TrainConfig(hidden_layers=(8,), epochs=3, lr_decay=0.5, learning_rate=0.01), small_digits)
    rates = [e.learning_rate for e in events if isinstance(e, EpochEnd)]
    assert rates == pytest.approx([0.01, 0.005, 0.0025])


def test_continuing_needs_a_matching_network(small_digits):
    network = run(TrainConfig(hidden_layers=(8,), epochs=1), small_digits)[-1].network
    with pytest.raises(ValueError, match="layers"):
        next(train(TrainConfig(hidden_layers=(9,)), small_digits, network=network))


def test_optimizers_step_downhill_on_a_quadratic():
    for name in ("sgd", "momentum", "adam"):
        parameter = np.array([3.0, -2.0], dtype=np.float32)
        optimizer = make_optimizer(name, [parameter])
        for _ in range(200):
            optimizer.step([2 * parameter.copy()], 0.05)  # gradient of |p|^2
        assert np.abs(parameter).max() < 0.1, name
    with pytest.raises(ValueError, match="rmsprop"):
        make_optimizer("rmsprop", [])


def test_epoch_seconds_include_the_separately_timed_test_evaluation(small_digits):
    end = next(e for e in train(TrainConfig(hidden_layers=(8,), epochs=1), small_digits) if isinstance(e, EpochEnd))
    assert 0 < end.test_seconds < end.seconds
