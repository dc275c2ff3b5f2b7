"""The command line as a user types it: output formats, saving, and one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnist_sorter.bundles import write_bundle
from mnist_sorter.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data_dir(small_digits, tmp_path_factory):
    """A folder with a manifest and one small bundle (the 8x8 digits scaled to 28x28)."""
    folder = tmp_path_factory.mktemp("data")
    d = small_digits
    entry = write_bundle(folder / "digits.npz", d.train_images, d.train_labels, d.test_images, d.test_labels)
    manifest = {"format": 1, "bundles": [{"name": "digits", "file": "digits.npz", **entry}]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def run_main(capsys, *argv):
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_train_json_has_the_promised_keys_and_is_reproducible(capsys, data_dir):
    argv = ["train", "--bundle", "digits", "--hidden", "24", "--epochs", "4", "--seed", "4", "--lr", "0.003",
            "--json", "--data-dir", data_dir]
    code, out, _ = run_main(capsys, *argv)
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"config", "history", "test_accuracy", "status", "seconds"}
    assert result["status"] == "done" and result["config"]["hidden_layers"] == [24]
    assert [h["epoch"] for h in result["history"]] == [1, 2, 3, 4]
    assert set(result["history"][0]) >= {"epoch", "train_loss", "train_accuracy", "test_accuracy", "seconds"}
    assert result["test_accuracy"] == result["history"][-1]["test_accuracy"] > 0.8
    again = json.loads(run_main(capsys, *argv)[1])
    assert [h["train_loss"] for h in again["history"]] == [h["train_loss"] for h in result["history"]]


def test_train_prints_a_line_per_epoch_then_save_evaluate_and_predict(capsys, data_dir, tmp_path, small_digits):
    model = tmp_path / "model.npz"
    code, out, _ = run_main(capsys, "train", "--bundle", "digits", "--hidden", "32", "--epochs", "2",
                            "--optimizer", "sgd", "--save", model, "--data-dir", data_dir)
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 3
    assert lines[0].startswith("epoch 1/2") and "test" in lines[0]
    assert lines[-1].startswith("done:") and str(model) in lines[-1]

    code, out, _ = run_main(capsys, "evaluate", model, "--json", "--data-dir", data_dir)
    report = json.loads(out)
    shown = float(lines[-1].split("test accuracy ")[1].split("%")[0]) / 100
    assert report["test_accuracy"] == pytest.approx(shown, abs=5e-5)
    assert np.array(report["confusion_matrix"]).sum() == len(small_digits.test_labels)
    assert len(report["per_class_accuracy"]) == 10

    picture = tmp_path / "digit.png"
    from PIL import Image
    # A test digit, enlarged and drawn dark on white paper, as a user's scan would be.
    ink = np.kron(small_digits.test_images[0], np.ones((5, 5), np.uint8))
    Image.fromarray(255 - ink).save(picture)
    code, out, _ = run_main(capsys, "predict", model, picture, "--json")
    prediction = json.loads(out)
    assert code == 0 and sum(prediction["probabilities"]) == pytest.approx(1, abs=1e-4)
    assert 0 <= prediction["digit"] <= 9


@pytest.mark.parametrize("argv, fragment", [
    (["train", "--lr", "-1"], "--lr: -1.0 is out of range"),
    (["train", "--lr", "abc"], "invalid float value: 'abc'"),
    (["train", "--epochs", "0"], "--epochs: 0 is out of range"),
    (["train", "--hidden", "0"], "--hidden: width 0"),
    (["train", "--hidden", "x"], "invalid int value"),
    (["train", "--batch-size", "0"], "--batch-size"),
    (["train", "--l2", "2"], "--l2"),
    (["train", "--optimizer", "rmsprop"], "invalid choice"),
    (["train", "--seed", "-4"], "--seed"),
    (["train", "--bundle", "nope"], "nope"),
    (["train", "--frobnicate"], "unrecognized arguments"),
    (["evaluate", "missing.npz"], "no such file"),
    (["evaluate", str(REPO / "pyproject.toml")], "not a model file"),
    (["predict"], "required"),
    ([], "required"),
])
def test_bad_input_gives_one_line_and_exit_code_2(capsys, data_dir, argv, fragment):
    if argv and argv[0] in ("train", "evaluate"):
        argv = argv + ["--data-dir", str(data_dir)]
    code, out, err = run_main(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and fragment in err and "Traceback" not in err


def test_module_entry_point_runs_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mnist_sorter", "train", "--epochs", "-2"],
                            capture_output=True, text=True, cwd=REPO, env={"PYTHONPATH": str(REPO / "py")})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "mnist-sorter: error: --epochs: -2 is out of range; allowed: 1 to 200")
