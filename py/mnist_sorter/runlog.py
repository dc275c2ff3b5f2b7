"""The run log: every training run kept as a plain JSON-ready record.

The page keeps the log in localStorage, shows it as a table, and exports and
imports it as a file. Every rule about the log lives here as pure functions on
dicts and lists, so the browser glue only stores, shows and calls. Non-goals:
storage, the clock, random ids and the DOM; the caller passes ids and times in.

A record (schema 1); functions never change one in place, they return new ones:

    {"id": "m3k9f2-a7b2", "started": "2026-11-29T19:29:12.345Z",
     "dataset": {"name": "mnist-10k", "sha256": "<64 hex digits>"},
     "config": TrainConfig.to_dict(),
     "history": [EpochEnd.to_dict(), ...],  # epochs 1.. in order
     "test_accuracy": 0.9752, "duration": 41.3, "status": "done",
     "message": "", "name": "", "note": ""}

Names and notes are plain text kept verbatim: show them as text, never as HTML.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from mnist_sorter.config import MAX_EPOCHS, TrainConfig, parse_field

APP = "mnist-sorter"
SCHEMA = 1
MAX_LOG_BYTES = 2 * 1024 * 1024  # the import limit, so every export can be imported again
MAX_NAME = 80
MAX_NOTE = 1000
MAX_MESSAGE = 1000
STATUSES = ("running", "done", "stopped", "diverged", "interrupted")
FINISHED = ("done", "stopped", "diverged")  # statuses `finish` may set
RUN_FIELDS = ("id", "started", "dataset", "config", "history", "test_accuracy",
              "duration", "status", "message", "name", "note")
EPOCH_FIELDS = ("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds")
COLUMNS = ("date", "name", "dataset", "layers", "learning_rate", "optimizer",
           "epochs", "test_accuracy", "duration", "status")
INTERRUPTED_MESSAGE = "the page was closed or reloaded before the run finished"

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?(Z|\+00:00)")
# control characters but tab and newline; unpaired surrogates (JSON "\ud800") cannot reach JavaScript
_FORBIDDEN_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class RunLogError(ValueError):
    """A run or log that breaks a rule; the message says what and where."""


class LogFullError(RunLogError):
    """The log is over MAX_LOG_BYTES: offer to delete the oldest runs."""


# ---- building records ---------------------------------------------------------------

def new_run(run_id: str, started: str, config: TrainConfig | dict, dataset: dict) -> dict:
    """Return the record of a run that has just started (status "running")."""
    config_dict = config.to_dict() if isinstance(config, TrainConfig) else config
    return validate_run({
        "id": run_id, "started": started, "dataset": dataset, "config": config_dict,
        "history": [], "test_accuracy": None, "duration": 0.0, "status": "running",
        "message": "", "name": "", "note": ""})


def add_epoch(run: dict, epoch: dict) -> dict:
    """Return `run` with one more finished epoch; accuracy and duration follow the history."""
    if run.get("status") != "running":
        raise RunLogError(f"cannot add an epoch to a run that is {run.get('status')!r}")
    # Any accuracy passes here; the real one comes from the checked epoch below.
    draft = validate_run({**run, "history": [*run["history"], epoch], "test_accuracy": 0.0})
    history = draft["history"]
    return {**draft, "test_accuracy": history[-1]["test_accuracy"],
            "duration": sum(step["seconds"] for step in history)}


def finish(run: dict, status: str, message: str, test_accuracy: float | None,
           duration: float) -> dict:
    """Return `run` ended with `status` (done, stopped or diverged).

    A missing `test_accuracy` becomes the last epoch's, so that a run stopped
    after some epochs still ranks by what it reached.
    """
    if run.get("status") != "running":
        raise RunLogError(f"cannot finish a run that is {run.get('status')!r}")
    if status not in FINISHED:
        raise RunLogError(f"status: {status!r} is not one of {', '.join(FINISHED)}")
    if test_accuracy is None and run["history"]:
        test_accuracy = run["history"][-1]["test_accuracy"]
    return validate_run({**run, "status": status, "message": message,
                         "test_accuracy": test_accuracy, "duration": duration})


def relabel(run: dict, name: str | None = None, note: str | None = None) -> dict:
    """Return `run` with a new name and/or note (plain text, length-checked)."""
    changes = {key: value for key, value in (("name", name), ("note", note)) if value is not None}
    return validate_run({**run, **changes})


def mark_interrupted(runs: list[dict]) -> tuple[list[dict], int]:
    """Mark runs still "running" at page load as "interrupted"; return (runs, how many).

    They keep the epochs they finished; no tab is running them any more.
    """
    marked = [_interrupted(run) if run["status"] == "running" else run for run in runs]
    return marked, sum(run["status"] == "running" for run in runs)


def _interrupted(run: dict) -> dict:
    return {**run, "status": "interrupted", "message": run["message"] or INTERRUPTED_MESSAGE}


def delete_runs(runs: list[dict], ids: list[str]) -> list[dict]:
    """Return the log without the runs whose ids are given."""
    doomed = set(ids)
    return [run for run in runs if run["id"] not in doomed]


# ---- validation ---------------------------------------------------------------------

def validate_run(obj: Any) -> dict:
    """Check one record strictly; return a normalised copy or raise RunLogError."""
    try:
        return _check_run(obj)
    except RunLogError as error:
        raise RunLogError(f"{_describe(obj, None)}: {error}") from None


def validate_log(obj: Any) -> list[dict]:
    """Check a whole log (a list of records with distinct ids); return normalised copies."""
    if not isinstance(obj, list):
        raise RunLogError(f"the run log must be a list of runs, not {_type(obj)}")
    runs, seen = [], set()
    for index, item in enumerate(obj):
        try:
            run = _check_run(item)
        except RunLogError as error:
            raise RunLogError(f"{_describe(item, index)}: {error}") from None
        if run["id"] in seen:
            raise RunLogError(f"{_describe(item, index)}: id: {run['id']!r} is used by an earlier run")
        seen.add(run["id"])
        runs.append(run)
    return runs


def _describe(obj: Any, index: int | None) -> str:
    """Name a run in a message: "run 3 (id 'abc')", counting from 1 as people do."""
    where = "run" if index is None else f"run {index + 1}"
    run_id = obj.get("id") if isinstance(obj, dict) else None
    return f"{where} (id {run_id!r})" if isinstance(run_id, str) and _ID.fullmatch(run_id) else where


def _check_run(obj: Any) -> dict:
    _check_keys(obj, RUN_FIELDS, "")
    run_id = obj["id"]
    if not isinstance(run_id, str) or not _ID.fullmatch(run_id):
        raise RunLogError(f"id: {_show(run_id)} is not 1 to 64 letters, digits, '-' or '_'")
    started = obj["started"]
    if not isinstance(started, str) or not _UTC_TIME.fullmatch(started) or _parse_time(started) is None:
        raise RunLogError(f"started: {_show(started)} is not an ISO 8601 UTC time "
                          "like 2026-11-29T19:29:12.345Z")
    config = _check_config(obj["config"])
    dataset = _check_dataset(obj["dataset"], config["dataset"])
    history = _check_history(obj["history"], config["epochs"])
    status = obj["status"]
    if status not in STATUSES:
        raise RunLogError(f"status: {_show(status)} is not one of {', '.join(STATUSES)}")
    if status == "done" and (not history or history[-1]["epoch"] != config["epochs"]):
        raise RunLogError(f"status: 'done' but {len(history)} of {config['epochs']} epochs are recorded")
    accuracy = obj["test_accuracy"]
    if accuracy is not None:
        accuracy = _fraction(accuracy, "test_accuracy")
    if history and accuracy is None:
        raise RunLogError("test_accuracy: null although epochs finished")
    if not history and accuracy is not None:
        raise RunLogError(f"test_accuracy: {accuracy!r} although no epoch finished")
    return {"id": run_id, "started": started, "dataset": dataset, "config": config,
            "history": history, "test_accuracy": accuracy,
            "duration": _at_least_zero(obj["duration"], "duration"), "status": status,
            "message": _text(obj["message"], "message", MAX_MESSAGE),
            "name": _text(obj["name"], "name", MAX_NAME),
            "note": _text(obj["note"], "note", MAX_NOTE)}


def _check_keys(obj: Any, fields: tuple[str, ...], path: str) -> None:
    where = f"{path}: " if path else ""
    if not isinstance(obj, dict):
        raise RunLogError(f"{where}expected an object with {', '.join(fields)}, not {_type(obj)}")
    missing = [key for key in fields if key not in obj]
    unknown = sorted(str(key) for key in obj if key not in fields)
    if missing:
        raise RunLogError(f"{where}missing field(s) {', '.join(map(repr, missing))}")
    if unknown:
        raise RunLogError(f"{where}unknown field(s) {', '.join(_show(key) for key in unknown)}")


def _check_config(obj: Any) -> dict:
    _check_keys(obj, tuple(TrainConfig().to_dict()), "config")
    try:
        return TrainConfig.from_dict(obj).to_dict()
    except ValueError as error:  # its messages start with the field's name
        raise RunLogError(f"config.{error}") from None


def _check_dataset(obj: Any, config_dataset: str) -> dict:
    _check_keys(obj, ("name", "sha256"), "dataset")
    name, sha256 = obj["name"], obj["sha256"]
    try:
        parse_field("dataset", name if isinstance(name, str) else "")
    except ValueError:
        raise RunLogError(f"dataset.name: {_show(name)} is not a dataset name") from None
    if name != config_dataset:
        raise RunLogError(f"dataset.name: {name!r} differs from config.dataset {config_dataset!r}")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise RunLogError(f"dataset.sha256: {_show(sha256)} is not 64 lower-case hex digits")
    return {"name": name, "sha256": sha256}


def _check_history(obj: Any, planned: int) -> list[dict]:
    if not isinstance(obj, list):
        raise RunLogError(f"history: expected a list of epochs, not {_type(obj)}")
    history, previous = [], 0
    for index, step in enumerate(obj):
        path = f"history[{index}]"
        _check_keys(step, EPOCH_FIELDS, path)
        epoch = step["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or not 1 <= epoch <= MAX_EPOCHS:
            raise RunLogError(f"{path}.epoch: {_show(epoch)} is not a whole number from 1 to {MAX_EPOCHS}")
        if epoch <= previous:
            raise RunLogError(f"{path}.epoch: {epoch} does not come after epoch {previous}")
        if epoch > planned:
            raise RunLogError(f"{path}.epoch: {epoch} is beyond the {planned} planned in config.epochs")
        previous = int(epoch)
        history.append({
            "epoch": int(epoch),
            "train_loss": _at_least_zero(step["train_loss"], f"{path}.train_loss"),
            "train_accuracy": _fraction(step["train_accuracy"], f"{path}.train_accuracy"),
            "test_loss": _at_least_zero(step["test_loss"], f"{path}.test_loss"),
            "test_accuracy": _fraction(step["test_accuracy"], f"{path}.test_accuracy"),
            "seconds": _at_least_zero(step["seconds"], f"{path}.seconds")})
    return history


def _real(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise RunLogError(f"{path}: {_show(value)} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise RunLogError(f"{path}: {value!r} is not a finite number")
    return number


def _fraction(value: Any, path: str) -> float:
    number = _real(value, path)
    if not 0.0 <= number <= 1.0:
        raise RunLogError(f"{path}: {value!r} is not between 0 and 1")
    return number


def _at_least_zero(value: Any, path: str) -> float:
    number = _real(value, path)
    if number < 0:
        raise RunLogError(f"{path}: {value!r} is negative")
    return number


def _text(value: Any, path: str, limit: int) -> str:
    """Check plain text: bounded, no control characters but tab and newline. Never altered."""
    if not isinstance(value, str):
        raise RunLogError(f"{path}: {_show(value)} is not text")
    if len(value) > limit:
        raise RunLogError(f"{path}: {len(value)} characters is more than {limit}")
    bad = _FORBIDDEN_CHARACTER.search(value)
    if bad:
        kind = "unpaired surrogate" if bad.group() >= "\ud800" else "control character"
        raise RunLogError(f"{path}: {kind} U+{ord(bad.group()):04X} at position {bad.start() + 1}")
    return value


def _show(value: Any) -> str:
    """Return a short repr of a bad value for a message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", type(None): "null",
            bool: "true/false"}.get(type(value), type(value).__name__)


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


# ---- export, import, merge ----------------------------------------------------------

def export_log(runs: list[dict], exported: str | None = None) -> str:
    """Return the log as JSON text a later `parse_import` accepts; raise LogFullError if too big.

    `exported` is the ISO time to stamp (now, by default). The page stores the
    same text in localStorage, so one parser reads both.
    """
    stamp = exported or datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    envelope = {"app": APP, "schema": SCHEMA, "exported": stamp, "runs": validate_log(runs)}
    text = json.dumps(envelope, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    size = len(text.encode("utf-8"))
    if size > MAX_LOG_BYTES:
        raise LogFullError(f"the log of {len(runs)} runs is {size / 2**20:.1f} MB, over the "
                           f"{MAX_LOG_BYTES / 2**20:.0f} MB limit: delete some old runs")
    return text


def parse_import(text: str | bytes) -> list[dict]:
    """Read an exported log; return its runs, or raise RunLogError and import nothing."""
    limit = f"{MAX_LOG_BYTES / 2**20:.0f} MB"
    if len(text) > MAX_LOG_BYTES:  # characters <= UTF-8 bytes, so this is a cheap first check
        raise RunLogError(f"the file is larger than {limit}; a run log is never that big")
    if isinstance(text, str):
        raw = text.encode("utf-8", errors="surrogatepass")
    else:
        raw = bytes(text)
    if len(raw) > MAX_LOG_BYTES:
        raise RunLogError(f"the file is larger than {limit}; a run log is never that big")
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RunLogError("the file is not UTF-8 text, so not a run log") from None
    try:
        envelope = json.loads(decoded, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise RunLogError(f"the file is not JSON (line {error.lineno}, column {error.colno}: "
                          f"{error.msg}), so not a run log") from None
    except RecursionError:
        raise RunLogError("the file is not a run log: it nests too deeply") from None
    if not isinstance(envelope, dict) or envelope.get("app") != APP:
        raise RunLogError("the file is JSON but not an MNIST Sorter run log")
    schema = envelope.get("schema")
    if type(schema) is not int or schema != SCHEMA:  # true == 1 and 1.0 == 1 in Python
        raise RunLogError(f"the file has run log schema {_show(schema)}; "
                          f"this page reads schema {SCHEMA}")
    _check_keys(envelope, ("app", "schema", "exported", "runs"), "the file")
    if not isinstance(envelope["exported"], str) or _parse_time(envelope["exported"]) is None:
        raise RunLogError(f"exported: {_show(envelope['exported'])} is not an ISO 8601 time")
    return validate_log(envelope["runs"])


def _refuse_constant(name: str) -> None:
    raise RunLogError(f"the file holds {name}, which is not a number JSON allows")


def merge(existing: list[dict], incoming: list[dict]) -> tuple[list[dict], int, int]:
    """Join imported runs to the log; return (merged, added, skipped), ordered by start time.

    The same id is the same run. A duplicate is skipped unless the log's copy is
    unfinished (running or interrupted) and the imported one got further (a
    final status, or more epochs): then it replaces that copy and counts as
    added. Imported runs still marked "running" arrive "interrupted": no tab here
    runs them.
    """
    merged = {run["id"]: run for run in existing}
    added = skipped = 0
    for run in mark_interrupted(incoming)[0]:
        current = merged.get(run["id"])
        if current is None or (current["status"] in ("running", "interrupted")
                               and _progress(run) > _progress(current)):
            merged[run["id"]] = run
            added += 1
        else:
            skipped += 1
    ordered = sorted(merged.values(), key=_SORT_KEYS["date"])
    return ordered, added, skipped


def _progress(run: dict) -> tuple[bool, int]:
    return run["status"] in FINISHED, len(run["history"])


# ---- the table ----------------------------------------------------------------------

def summary_row(run: dict, utc_offset_minutes: int = 0) -> dict:
    """Return the display text of one table row, keyed by COLUMNS (plus "id")."""
    config = run["config"]
    started = _parse_time(run["started"]) + timedelta(minutes=utc_offset_minutes)
    accuracy = run["test_accuracy"]
    return {
        "id": run["id"], "date": started.strftime("%Y-%m-%d %H:%M"), "name": run["name"],
        "dataset": run["dataset"]["name"],
        "layers": "-".join(map(str, config["hidden_layers"])) or "none",
        "learning_rate": f"{config['learning_rate']:g}", "optimizer": config["optimizer"],
        "epochs": f"{len(run['history'])}/{config['epochs']}",
        "test_accuracy": "" if accuracy is None else f"{accuracy * 100:.2f}%",
        "duration": format_duration(run["duration"]), "status": run["status"]}


def format_duration(seconds: float) -> str:
    """Format seconds as m:ss, or h:mm:ss from an hour."""
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _parameter_count(hidden_layers: list[int]) -> int:
    widths = (784, *hidden_layers, 10)
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(widths, widths[1:]))


_SORT_KEYS = {
    "date": lambda run: _parse_time(run["started"]),
    "name": lambda run: run["name"].casefold(),
    "dataset": lambda run: run["dataset"]["name"],
    # the network's size (weights and biases), not its text: "32" < "128-64"
    "layers": lambda run: (_parameter_count(run["config"]["hidden_layers"]),
                           run["config"]["hidden_layers"]),
    "learning_rate": lambda run: run["config"]["learning_rate"],
    "optimizer": lambda run: run["config"]["optimizer"],
    "epochs": lambda run: (len(run["history"]), run["config"]["epochs"]),
    "test_accuracy": lambda run: run["test_accuracy"],
    "duration": lambda run: run["duration"],
    "status": lambda run: run["status"],
}


def sort_runs(runs: list[dict], column: str, descending: bool = False) -> list[dict]:
    """Return runs ordered by a column; ties stay by start time; no accuracy sorts last."""
    if column not in COLUMNS:
        raise RunLogError(f"cannot sort by {column!r}; columns: {', '.join(COLUMNS)}")
    key = _SORT_KEYS[column]
    by_date = sorted(runs, key=_SORT_KEYS["date"])
    known = [run for run in by_date if key(run) is not None]
    unknown = [run for run in by_date if key(run) is None]
    return sorted(known, key=key, reverse=descending) + unknown


def best_run_id(runs: list[dict]) -> str | None:
    """Return the id of the done or stopped run with the highest test accuracy (earliest on a tie)."""
    candidates = [run for run in runs
                  if run["status"] in ("done", "stopped") and run["test_accuracy"] is not None]
    if not candidates:
        return None
    return sort_runs(candidates, "test_accuracy", descending=True)[0]["id"]


def oldest_first(runs: list[dict], count: int) -> list[str]:
    """Return the ids of the `count` oldest runs, to offer deleting when storage is full.

    A running run is never offered: its tab is still writing to it.
    """
    finished = [run for run in runs if run["status"] != "running"]
    return [run["id"] for run in sort_runs(finished, "date")[:max(0, count)]]
