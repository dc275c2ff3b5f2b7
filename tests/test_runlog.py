"""The run log: records, strict validation, export/import, merge and the table."""

import json
import re
import math

import numpy as np
import pytest

from mnist_sorter import runlog
from mnist_sorter.config import TrainConfig
from mnist_sorter.runlog import LogFullError, RunLogError

DATASET = {"name": "mnist-10k", "sha256": "ab" * 32}


def epoch(number, accuracy=0.9, seconds=1.5):
    return {"epoch": number, "train_loss": 0.3, "train_accuracy": 0.91,
            "test_loss": 0.35, "test_accuracy": accuracy, "seconds": seconds}


def make_run(run_id="r1", started="2026-11-29T10:00:00.000Z", epochs_done=2, status="done",
             accuracy=0.9, config=None, **fields):
    """Build a valid record through the public functions, as the page would."""
    config = config or TrainConfig(epochs=max(epochs_done, 1))
    run = runlog.new_run(run_id, started, config, DATASET)
    for number in range(1, epochs_done + 1):
        run = runlog.add_epoch(run, epoch(number, accuracy))
    if status != "running":
        run = runlog.finish(run, status, "", None, 3.0 * epochs_done)
    return {**run, **fields}


# ---- building records ----------------------------------------------------------------

def test_a_run_grows_epoch_by_epoch_and_finishes_without_changing_its_inputs():
    run = runlog.new_run("m3k9f2-a7b2", "2026-11-29T19:29:12.345Z", TrainConfig(epochs=2), DATASET)
    assert run["status"] == "running" and run["history"] == [] and run["test_accuracy"] is None
    one = runlog.add_epoch(run, epoch(1, 0.8, 2.0))
    two = runlog.add_epoch(one, epoch(2, 0.85, 3.0))
    assert run["history"] == [] and len(one["history"]) == 1  # new dicts every time
    assert two["test_accuracy"] == 0.85 and two["duration"] == 5.0
    done = runlog.finish(two, "done", "", 0.85, 5.5)
    assert (done["status"], done["duration"], two["status"]) == ("done", 5.5, "running")
    assert runlog.validate_run(json.loads(json.dumps(done))) == done


def test_epoch_figures_from_numpy_become_plain_json_numbers():
    run = runlog.new_run("r1", "2026-11-29T10:00:00Z", TrainConfig(epochs=1), DATASET)
    figures = {key: np.float32(0.5) for key in runlog.EPOCH_FIELDS} | {"epoch": np.int64(1)}
    step = runlog.add_epoch(run, figures)["history"][0]
    assert all(type(value) in (int, float) for value in step.values())


def test_finish_takes_the_last_epochs_accuracy_when_given_none_and_refuses_bad_endings():
    run = make_run(epochs_done=1, status="running", config=TrainConfig(epochs=5))
    assert runlog.finish(run, "stopped", "stopped by you", None, 2.0)["test_accuracy"] == 0.9
    with pytest.raises(RunLogError, match="'done' but 1 of 5 epochs"):
        runlog.finish(run, "done", "", None, 2.0)
    with pytest.raises(RunLogError, match="status: 'running' is not one of done, stopped, diverged"):
        runlog.finish(run, "running", "", None, 2.0)
    finished = runlog.finish(run, "stopped", "", None, 2.0)
    with pytest.raises(RunLogError, match="cannot finish a run that is 'stopped'"):
        runlog.finish(finished, "done", "", None, 2.0)
    with pytest.raises(RunLogError, match="cannot add an epoch to a run that is 'stopped'"):
        runlog.add_epoch(finished, epoch(2))


def test_a_run_that_diverged_in_its_first_epoch_has_no_accuracy():
    run = make_run(epochs_done=0, status="running")
    diverged = runlog.finish(run, "diverged", "training diverged: the loss rose to inf", None, 0.4)
    assert diverged["test_accuracy"] is None and runlog.summary_row(diverged)["test_accuracy"] == ""


def test_running_runs_found_at_page_load_become_interrupted_and_keep_their_epochs():
    log = [make_run("a"), make_run("b", epochs_done=3, status="running", config=TrainConfig(epochs=9))]
    marked, count = runlog.mark_interrupted(log)
    assert count == 1 and log[1]["status"] == "running"
    assert [run["status"] for run in marked] == ["done", "interrupted"]
    assert len(marked[1]["history"]) == 3 and marked[1]["message"] == runlog.INTERRUPTED_MESSAGE
    assert marked[0] is log[0]
    assert runlog.validate_log(marked) == marked


def test_names_and_notes_are_kept_verbatim_as_text():
    markup = "<img src=x onerror=alert(1)>"
    note = "lr too high?\n\ttry 0.0005 & \"adam\" </script>"
    run = runlog.relabel(make_run(), name=markup, note=note)
    assert (run["name"], run["note"]) == (markup, note)
    exported = runlog.export_log([run], exported="2026-11-29T12:00:00Z")
    imported = runlog.parse_import(exported)[0]
    assert (imported["name"], imported["note"]) == (markup, note)
    assert runlog.summary_row(imported)["name"] == markup


def test_delete_runs_removes_only_the_given_ids():
    log = [make_run("a"), make_run("b"), make_run("c")]
    assert [run["id"] for run in runlog.delete_runs(log, ["b", "zz"])] == ["a", "c"]


# ---- validation ----------------------------------------------------------------------

def _with(run, path, value):
    """Return a deep copy of `run` with the value at `path` (keys and indices) replaced."""
    copy = json.loads(json.dumps(run))
    target = copy
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return copy


@pytest.mark.parametrize("path, value, message", [
    (("history", 1, "test_accuracy"), 1.7, "history[1].test_accuracy: 1.7 is not between 0 and 1"),
    (("history", 0, "train_accuracy"), -0.1, "history[0].train_accuracy: -0.1 is not between 0 and 1"),
    (("history", 0, "train_loss"), -1.0, "history[0].train_loss: -1.0 is negative"),
    (("history", 0, "test_loss"), math.inf, "history[0].test_loss: inf is not a finite number"),
    (("history", 0, "test_loss"), math.nan, "history[0].test_loss: nan is not a finite number"),
    (("history", 0, "seconds"), -2, "history[0].seconds: -2 is negative"),
    (("history", 0, "seconds"), "2", "history[0].seconds: '2' is not a number"),
    (("history", 0, "test_accuracy"), True, "history[0].test_accuracy: True is not a number"),
    (("history", 0, "epoch"), 0, "history[0].epoch: 0 is not a whole number from 1 to 200"),
    (("history", 0, "epoch"), 1.5, "history[0].epoch: 1.5 is not a whole number"),
    (("history", 1, "epoch"), 1, "history[1].epoch: 1 does not come after epoch 1"),
    (("history", 1, "epoch"), 7, "history[1].epoch: 7 is beyond the 2 planned"),
    (("history", 0, "loss"), 1.0, "history[0]: unknown field(s) 'loss'"),
    (("history", 0, "seconds"), KeyError, "history[0]: missing field(s) 'seconds'"),
    (("history",), {}, "history: expected a list of epochs, not an object"),
    (("test_accuracy",), 2.0, "test_accuracy: 2.0 is not between 0 and 1"),
    (("test_accuracy",), None, "test_accuracy: null although epochs finished"),
    (("duration",), -1.0, "duration: -1.0 is negative"),
    (("duration",), math.inf, "duration: inf is not a finite number"),
    (("status",), "paused", "status: 'paused' is not one of running, done, stopped, diverged, interrupted"),
    (("id",), "a b", "id: 'a b' is not 1 to 64 letters"),
    (("id",), "x" * 65, "id: 'xxxx"),
    (("id",), 7, "id: 7 is not 1 to 64"),
    (("started",), "yesterday", "started: 'yesterday' is not an ISO 8601 UTC time"),
    (("started",), "2026-13-01T00:00:00Z", "started: '2026-13-01T00:00:00Z' is not an ISO"),
    (("started",), "2026-11-29T10:00:00+02:00", "is not an ISO 8601 UTC time"),
    (("config", "learning_rate"), 0.0, "config.learning_rate: 0.0 is out of range"),
    (("config", "learning_rate"), math.nan, "config.learning_rate: nan is not a finite number"),
    (("config", "optimizer"), "rmsprop", "config.optimizer: 'rmsprop' is not allowed"),
    (("config", "seed"), KeyError, "config: missing field(s) 'seed'"),
    (("config", "momentum"), 0.9, "config: unknown field(s) 'momentum'"),
    (("config",), [], "config: expected an object"),
    (("dataset", "sha256"), "abc", "dataset.sha256: 'abc' is not 64 lower-case hex digits"),
    (("dataset", "name"), "../x", "dataset.name: '../x' is not a dataset name"),
    (("dataset", "name"), "mnist-full", "dataset.name: 'mnist-full' differs from config.dataset 'mnist-10k'"),
    (("name",), "n" * 81, "name: 81 characters is more than 80"),
    (("note",), "n" * 1001, "note: 1001 characters is more than 1000"),
    (("message",), "m" * 1001, "message: 1001 characters is more than 1000"),
    (("name",), "bell\x07", "name: control character U+0007 at position 5"),
    (("note",), "a\x1b[31m", "note: control character U+001B at position 2"),
    (("note",), "\ud800", "note: unpaired surrogate U+D800 at position 1"),
    (("name",), None, "name: None is not text"),
    (("colour",), "red", "unknown field(s) 'colour'"),
    (("note",), KeyError, "missing field(s) 'note'"),
])
def test_each_bad_field_is_named_with_its_value_and_run(path, value, message):
    bad = _with(make_run("abc"), path, value)
    named = "" if path == ("id",) else " (id 'abc')"  # a bad id is not repeated as the run's name
    with pytest.raises(RunLogError) as single:
        runlog.validate_run(bad)
    assert str(single.value).startswith(f"run{named}: ") and message in str(single.value)
    log = [make_run("r1"), make_run("r2"), bad]
    with pytest.raises(RunLogError) as whole:
        runlog.validate_log(log)
    assert str(whole.value).startswith(f"run 3{named}: ") and message in str(whole.value)


def test_the_exact_message_of_the_issue():
    bad = _with(make_run("abc", epochs_done=3), ("history", 2, "test_accuracy"), 1.7)
    with pytest.raises(RunLogError, match=r"^run 3 \(id 'abc'\): history\[2\].test_accuracy: "
                                          r"1.7 is not between 0 and 1$"):
        runlog.validate_log([make_run("a"), make_run("b"), bad])


def test_tab_and_newline_are_allowed_in_text_and_the_limits_are_inclusive():
    run = runlog.relabel(make_run(), name="x" * 80, note="line\n\tindented" + "y" * 986)
    assert len(runlog.validate_run(run)["note"]) == 1000


def test_a_log_must_be_a_list_of_runs_with_distinct_ids():
    with pytest.raises(RunLogError, match="must be a list of runs, not an object"):
        runlog.validate_log({"runs": []})
    with pytest.raises(RunLogError, match=r"run 2 \(id 'a'\): id: 'a' is used by an earlier run"):
        runlog.validate_log([make_run("a"), make_run("a")])
    with pytest.raises(RunLogError, match=r"^run 1: expected an object"):
        runlog.validate_log(["not a run"])
    assert runlog.validate_log([]) == []


def test_done_needs_every_planned_epoch():
    run = _with(make_run(epochs_done=2, status="stopped", config=TrainConfig(epochs=4)), ("status",), "done")
    with pytest.raises(RunLogError, match="status: 'done' but 2 of 4 epochs are recorded"):
        runlog.validate_run(run)


def test_no_accuracy_without_an_epoch():
    run = _with(make_run(epochs_done=0, status="running"), ("test_accuracy",), 0.5)
    with pytest.raises(RunLogError, match="test_accuracy: 0.5 although no epoch finished"):
        runlog.validate_run(run)


# ---- export and import ---------------------------------------------------------------

def test_export_then_import_gives_back_the_same_runs():
    log = [make_run("a", name="first"), make_run("b", epochs_done=3, status="stopped",
                                                   config=TrainConfig(epochs=8, hidden_layers=()))]
    text = runlog.export_log(log, exported="2026-11-29T12:00:00.000Z")
    envelope = json.loads(text)
    assert list(envelope) == ["app", "schema", "exported", "runs"]
    assert (envelope["app"], envelope["schema"], envelope["exported"]) == (
        "mnist-sorter", 1, "2026-11-29T12:00:00.000Z")
    assert list(envelope["runs"][0]) == list(runlog.RUN_FIELDS)
    assert runlog.parse_import(text) == log
    assert runlog.parse_import(text.encode("utf-8")) == log
    assert runlog.parse_import(b"\xef\xbb\xbf" + text.encode()) == log  # a BOM from some editors


def test_export_stamps_the_current_utc_time_by_default():
    exported = json.loads(runlog.export_log([]))["exported"]
    assert exported.endswith("Z") and runlog.parse_import(runlog.export_log([])) == []


def test_export_refuses_invalid_runs():
    with pytest.raises(RunLogError, match="history"):
        runlog.export_log([_with(make_run(), ("history", 0, "test_loss"), -1)])


def _envelope(run_list=(), **changes):
    return {"app": "mnist-sorter", "schema": 1, "exported": "2026-11-29T12:00:00Z",
            "runs": list(run_list)} | changes


def test_import_checks_the_size_before_parsing():
    huge = " " * (runlog.MAX_LOG_BYTES + 1)  # valid JSON whitespace, never parsed
    with pytest.raises(RunLogError, match="larger than 2 MB"):
        runlog.parse_import(huge)
    with pytest.raises(RunLogError, match="larger than 2 MB"):
        runlog.parse_import(huge.encode())
    # fewer characters than the limit, but more bytes once encoded
    wide = "é" * (runlog.MAX_LOG_BYTES // 2 + 1)
    with pytest.raises(RunLogError, match="larger than 2 MB"):
        runlog.parse_import(wide)


def test_export_refuses_a_log_that_import_would_refuse():
    run = make_run(note="n" * 1000)
    runs = [{**run, "id": f"r{index}"} for index in range(2200)]  # about 3.5 MB
    with pytest.raises(LogFullError, match="over the 2 MB limit: delete some old runs"):
        runlog.export_log(runs)


@pytest.mark.parametrize("text, message", [
    ("", "not JSON"),
    ("run log", "not JSON (line 1, column 1"),
    ("{\"app\": ", "not JSON"),
    (b"\xff\xfe\x00{", "not UTF-8 text"),
    ("[" * 100_000, "not"),
    ("[]", "JSON but not an MNIST Sorter run log"),
    (json.dumps({"app": "other", "schema": 1, "runs": []}), "not an MNIST Sorter run log"),
    (json.dumps(_envelope(schema=2)), "schema 2; this page reads schema 1"),
    (json.dumps(_envelope(schema="1")), "schema '1'"),
    (json.dumps(_envelope(schema=True)), "schema True"),
    (json.dumps(_envelope(extra=1)), "the file: unknown field(s) 'extra'"),
    (json.dumps({"app": "mnist-sorter", "schema": 1, "runs": []}), "missing field(s) 'exported'"),
    (json.dumps(_envelope(exported="soon")), "exported: 'soon' is not an ISO 8601 time"),
    (json.dumps(_envelope(runs={})), "must be a list of runs"),
])
def test_import_refuses_what_is_not_a_run_log(text, message):
    with pytest.raises(RunLogError, match=re.escape(message)):
        runlog.parse_import(text)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_import_refuses_nan_and_infinity_anywhere(constant):
    text = json.dumps(_envelope([make_run()])).replace('"duration": 6.0', f'"duration": {constant}')
    assert constant in text
    with pytest.raises(RunLogError, match=f"holds {constant}, which is not a number JSON allows"):
        runlog.parse_import(text)


def test_import_is_all_or_nothing():
    good, bad = make_run("good"), _with(make_run("bad"), ("history", 0, "test_accuracy"), 1.5)
    with pytest.raises(RunLogError, match=r"run 2 \(id 'bad'\): history\[0\].test_accuracy"):
        runlog.parse_import(json.dumps(_envelope([good, bad])))


# ---- merge ---------------------------------------------------------------------------

def test_merge_adds_new_runs_skips_duplicates_and_orders_by_start():
    early, middle, late = (make_run(run_id, f"2026-11-{day:02d}T10:00:00Z")
                           for run_id, day in (("early", 1), ("middle", 15), ("late", 28)))
    renamed = {**middle, "name": "kept locally"}
    merged, added, skipped = runlog.merge([late, renamed], [middle, early, late])
    assert [run["id"] for run in merged] == ["early", "middle", "late"]
    assert (added, skipped) == (1, 2)
    assert merged[1]["name"] == "kept locally"  # the log's copy wins a tie
    again, added, skipped = runlog.merge(merged, merged)
    assert again == merged and (added, skipped) == (0, 3)


def test_merge_keeps_start_order_stable_for_equal_times():
    same = "2026-11-01T10:00:00Z"
    merged, _, _ = runlog.merge([make_run("b", same)], [make_run("a", same), make_run("c", same)])
    assert [run["id"] for run in merged] == ["b", "a", "c"]


def test_merge_replaces_an_unfinished_copy_with_one_that_got_further():
    config = TrainConfig(epochs=5)
    interrupted = runlog.mark_interrupted([make_run("r", epochs_done=2, status="running", config=config)])[0][0]
    finished = make_run("r", epochs_done=5, config=config)
    merged, added, skipped = runlog.merge([interrupted], [finished])
    assert merged == [finished] and (added, skipped) == (1, 0)
    # a finished copy is never replaced, even by one with more epochs
    stopped = make_run("s", epochs_done=1, status="stopped", config=config)
    merged, added, skipped = runlog.merge([stopped], [make_run("s", epochs_done=5, config=config)])
    assert merged == [stopped] and (added, skipped) == (0, 1)


def test_imported_runs_still_running_arrive_interrupted():
    running = make_run("r", epochs_done=1, status="running", config=TrainConfig(epochs=3))
    merged, added, _ = runlog.merge([], [running])
    assert merged[0]["status"] == "interrupted" and added == 1


# ---- the table -----------------------------------------------------------------------

def test_summary_row_shows_each_column():
    run = make_run("r", "2026-11-29T19:29:12.345Z", epochs_done=3, status="stopped", accuracy=0.97531,
                   config=TrainConfig(epochs=10, learning_rate=0.0005, optimizer="momentum"))
    run = {**run, "duration": 3725.4}
    assert runlog.summary_row(run) == {
        "id": "r", "date": "2026-11-29 19:29", "name": "", "dataset": "mnist-10k",
        "layers": "128-64", "learning_rate": "0.0005", "optimizer": "momentum", "epochs": "3/10",
        "test_accuracy": "97.53%", "duration": "1:02:05", "status": "stopped"}
    assert list(runlog.summary_row(run))[1:] == list(runlog.COLUMNS)
    assert runlog.summary_row(run, utc_offset_minutes=60)["date"] == "2026-11-29 20:29"
    no_layers = make_run(config=TrainConfig(hidden_layers=(), epochs=2))
    assert runlog.summary_row(no_layers)["layers"] == "none"
    assert runlog.format_duration(59.6) == "1:00" and runlog.format_duration(0) == "0:00"


def _table():
    """Five runs whose every column orders them differently from their start times."""
    specs = [  # id, day, name, layers, lr, optimizer, done/planned, accuracy, duration, status
        ("a", 1, "zeta", (128, 64), 0.1, "sgd", (2, 2), 0.91, 30.0, "done"),
        ("b", 2, "Alpha", (32,), 0.001, "adam", (1, 4), 0.97, 300.0, "stopped"),
        ("c", 3, "", (), 0.02, "momentum", (0, 3), None, 2.0, "diverged"),
        ("d", 4, "beta", (256,), 0.5, "adam", (3, 3), 0.2, 95.0, "done"),
        ("e", 5, "gamma", (16, 16), 0.0003, "sgd", (1, 12), 0.5, 10.0, "interrupted"),
    ]
    runs = []
    for run_id, day, name, layers, rate, optimizer, (done, planned), accuracy, duration, status in specs:
        config = TrainConfig(hidden_layers=layers, learning_rate=rate, optimizer=optimizer, epochs=planned)
        final = "running" if status == "interrupted" else status
        run = make_run(run_id, f"2026-11-{day:02d}T08:00:00Z", done, final, accuracy or 0.5, config,
                       name=name)
        if status == "interrupted":
            run = runlog.mark_interrupted([run])[0][0]
        runs.append({**run, "duration": duration})
    return runlog.validate_log(runs)


@pytest.mark.parametrize("column, ascending", [
    ("date", "abcde"),
    ("name", "cbdea"),  # case-insensitive; an empty name first
    ("dataset", "abcde"),  # all equal: ties stay by start time
    ("layers", "cebad"),  # by parameter count: none < 16-16 < 32 < 128-64 < 256
    ("learning_rate", "ebcad"),
    ("optimizer", "bdcae"),
    ("epochs", "cbead"),  # by epochs done, then planned
    ("test_accuracy", "deab" + "c"),
    ("duration", "ceadb"),
    ("status", "cadeb"),
])
def test_sort_runs_by_every_column(column, ascending):
    runs = _table()[::-1]  # the input order must not matter
    assert "".join(run["id"] for run in runlog.sort_runs(runs, column)) == ascending
    descending = "".join(run["id"] for run in runlog.sort_runs(runs, column, descending=True))
    if column == "test_accuracy":
        assert descending == "baed" + "c"  # no accuracy stays last both ways
    elif column == "dataset":
        assert descending == "abcde"
    elif column == "optimizer":
        assert descending == "aecbd"  # ties keep start order in both directions
    elif column == "status":
        assert descending == "beadc"
    else:
        assert descending == ascending[::-1]


def test_numbers_sort_as_numbers_not_text():
    runs = [make_run(run_id, config=TrainConfig(learning_rate=rate, epochs=2), duration=seconds,
                     accuracy=accuracy)
            for run_id, rate, seconds, accuracy in (("a", 0.1, 9.0, 5e-05), ("b", 10.0, 100.0, 1.0),
                                                    ("c", 2.0, 20.0, 0.25))]
    for column in ("learning_rate", "duration", "test_accuracy"):
        assert [run["id"] for run in runlog.sort_runs(runs, column)] == ["a", "c", "b"], column


def test_sort_runs_refuses_an_unknown_column():
    with pytest.raises(RunLogError, match="cannot sort by 'colour'"):
        runlog.sort_runs([], "colour")


def test_best_run_is_the_most_accurate_done_or_stopped_run():
    runs = _table()
    assert runlog.best_run_id(runs) == "b"
    assert runlog.best_run_id([run for run in runs if run["id"] != "b"]) == "a"
    # an interrupted or diverged run is never best, however accurate
    assert runlog.best_run_id([run for run in runs if run["status"] in ("interrupted", "diverged")]) is None
    assert runlog.best_run_id([]) is None
    tie = [make_run("late", "2026-11-02T00:00:00Z"), make_run("early", "2026-11-01T00:00:00Z")]
    assert runlog.best_run_id(tie) == "early"


def test_oldest_first_offers_the_oldest_finished_runs():
    runs = _table()
    running = make_run("now", "2026-10-01T00:00:00Z", epochs_done=0, status="running")
    assert runlog.oldest_first([*runs, running], 2) == ["a", "b"]
    assert runlog.oldest_first(runs, 0) == [] and len(runlog.oldest_first(runs, 99)) == 5
