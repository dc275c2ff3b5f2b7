"""The command line: python -m mnist_sorter {train,evaluate,predict,bundles}.

Bad flags or values print one line naming the problem and exit with code 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from mnist_sorter import bundles
from mnist_sorter.config import DEFAULT_LEARNING_RATES, FIELDS_BY_NAME, OPTIMIZERS, TrainConfig
from mnist_sorter.model_io import ModelFileError, SavedModel, load_model, save_model
from mnist_sorter.network import predict_proba
from mnist_sorter.training import EpochEnd, Finished, evaluate, train

USAGE_ERROR = 2


class UsageError(Exception):
    """A problem with what the user asked for: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """Describe every command and flag."""
    defaults = TrainConfig()
    parser = _Parser(prog="mnist-sorter", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def help_for(name: str) -> str:
        spec = FIELDS_BY_NAME[name]
        return f"{spec.help} ({spec.range_text()}; default {getattr(defaults, name)})"

    run = commands.add_parser("train", help="train a network and print its progress")
    run.add_argument("--hidden", type=int, nargs="*", metavar="N", default=list(defaults.hidden_layers),
                     help=help_for("hidden_layers"))
    run.add_argument("--lr", type=float, default=None,
                     help=f"learning rate (default per optimizer: {DEFAULT_LEARNING_RATES})")
    run.add_argument("--epochs", type=int, default=defaults.epochs, help=help_for("epochs"))
    run.add_argument("--batch-size", type=int, default=defaults.batch_size, help=help_for("batch_size"))
    run.add_argument("--l2", type=float, default=defaults.l2, help=help_for("l2"))
    run.add_argument("--optimizer", choices=OPTIMIZERS, default=defaults.optimizer, help=help_for("optimizer"))
    run.add_argument("--lr-decay", type=float, default=defaults.lr_decay, help=help_for("lr_decay"))
    run.add_argument("--seed", type=int, default=defaults.seed, help=help_for("seed"))
    run.add_argument("--bundle", default=defaults.dataset, help="data bundle from the manifest (see `bundles`)")
    run.add_argument("--save", type=Path, metavar="MODEL.npz", help="save the trained model here")
    run.add_argument("--json", action="store_true", help="print one JSON object at the end instead of lines")
    _data_dir_flag(run)

    check = commands.add_parser("evaluate", help="test accuracy, per-class accuracy and confusion matrix")
    check.add_argument("model", type=Path, help="a model saved by train --save or by the web page")
    check.add_argument("--bundle", default=None, help="bundle whose test set to use (default: the model's)")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    _data_dir_flag(check)

    guess = commands.add_parser("predict", help="classify a picture of one digit")
    guess.add_argument("model", type=Path)
    guess.add_argument("image", type=Path, help="a PNG/JPEG/... of one digit, any size, any polarity")
    guess.add_argument("--json", action="store_true", help="print one JSON object")

    listing = commands.add_parser("bundles", help="list the data bundles that are built")
    _data_dir_flag(listing)
    return parser


def _data_dir_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder holding manifest.json (default: $MNIST_SORTER_DATA or build/data)")


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (UsageError, ValueError, ModelFileError, OSError) as error:
        print(f"mnist-sorter: error: {error}", file=sys.stderr)
        return USAGE_ERROR


def run_train(args: argparse.Namespace) -> int:
    """Train, printing a line per epoch (or JSON at the end), and optionally save."""
    try:
        config = _config_from_flags(args)
    except ValueError as error:
        # Name the flag the user typed, not the config field behind it.
        field, _, rest = str(error).partition(":")
        raise UsageError(f"{FLAGS.get(field, field)}:{rest}") from None
    data = bundles.load_bundle(config.dataset, args.data_dir)
    if args.save:
        _check_writable(args.save)
    history, status, message, network, test_accuracy = [], "stopped", "stopped by the user", None, None
    started = time.perf_counter()
    try:
        for event in train(config, data):
            if isinstance(event, EpochEnd):
                history.append(event.to_dict())
                network, test_accuracy = event.network, event.test_accuracy
                if not args.json:
                    print(_epoch_line(event, config.epochs), flush=True)
            elif isinstance(event, Finished):
                status, message, network = event.status, event.message, event.network
    except KeyboardInterrupt:
        pass  # a stopped run still reports and saves what it has
    seconds = time.perf_counter() - started
    if args.save and network is not None and status != "diverged":
        metrics = {"test_accuracy": test_accuracy, "epochs_trained": len(history)}
        save_model(args.save, SavedModel(network, config, {"name": data.name, "sha256": data.sha256}, metrics))
    if args.json:
        print(json.dumps({"config": config.to_dict(), "history": history, "test_accuracy": test_accuracy,
                          "status": status, "seconds": round(seconds, 3)}))
    else:
        shown = "n/a" if test_accuracy is None else f"{test_accuracy:.2%}"
        print(f"{status}: {message}; test accuracy {shown}; {seconds:.1f} s"
              + (f"; saved {args.save}" if args.save and status != "diverged" else ""))
    return 0 if status == "done" else 1


FLAGS = {"hidden_layers": "--hidden", "learning_rate": "--lr", "epochs": "--epochs", "batch_size": "--batch-size",
         "l2": "--l2", "optimizer": "--optimizer", "lr_decay": "--lr-decay", "seed": "--seed", "dataset": "--bundle"}


def _config_from_flags(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        hidden_layers=tuple(args.hidden), epochs=args.epochs, batch_size=args.batch_size,
        l2=args.l2, optimizer=args.optimizer, lr_decay=args.lr_decay, seed=args.seed, dataset=args.bundle,
        learning_rate=DEFAULT_LEARNING_RATES[args.optimizer] if args.lr is None else args.lr,
    )


def _epoch_line(event: EpochEnd, epochs: int) -> str:
    width = len(str(epochs))
    return (f"epoch {event.epoch:>{width}}/{epochs}  loss {event.train_loss:.4f}  "
            f"train {event.train_accuracy:.2%}  test {event.test_accuracy:.2%}  {event.seconds:.2f} s")


def _check_writable(path: Path) -> None:
    if path.is_dir() or not path.parent.exists():
        raise UsageError(f"--save {path}: not a file in an existing folder")


def run_evaluate(args: argparse.Namespace) -> int:
    """Print test accuracy, per-class accuracy and the confusion matrix of a saved model."""
    model = load_model(args.model)
    name = args.bundle or model.bundle.get("name") or "mnist-10k"
    data = bundles.load_bundle(name, args.data_dir)
    probabilities = predict_proba(model.network, data.test_images)
    predicted = probabilities.argmax(axis=1)
    labels = data.test_labels.astype(np.intp)
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    accuracy = float((predicted == labels).mean())
    if args.json:
        print(json.dumps({"test_accuracy": accuracy, "per_class_accuracy": per_class.round(6).tolist(),
                          "confusion_matrix": confusion.tolist(), "bundle": name}))
        return 0
    print(f"test accuracy {accuracy:.2%} on {len(labels):,} images of {name}")
    print("per-class accuracy: " + "  ".join(f"{digit}: {value:.1%}" for digit, value in enumerate(per_class)))
    print("confusion matrix (rows: true digit, columns: predicted)")
    print("      " + "".join(f"{digit:>6}" for digit in range(10)))
    for digit, row in enumerate(confusion):
        print(f"{digit:>6}" + "".join(f"{count:>6}" for count in row))
    return 0


def run_predict(args: argparse.Namespace) -> int:
    """Preprocess a picture as MNIST digits were and print the class probabilities."""
    from mnist_sorter.preprocess import ink_from_picture, to_mnist

    model = load_model(args.model)
    picture = _read_picture(args.image)
    digit = to_mnist(ink_from_picture(picture))
    if digit is None:
        raise UsageError(f"{args.image}: the picture is blank; there is no digit to read")
    probabilities = predict_proba(model.network, digit[None])[0]
    best = int(probabilities.argmax())
    if args.json:
        print(json.dumps({"digit": best, "probabilities": probabilities.round(6).tolist()}))
        return 0
    print(f"digit {best} ({probabilities[best]:.1%})")
    for value, probability in enumerate(probabilities):
        print(f"  {value}: {probability:6.1%} {'#' * round(probability * 40)}")
    return 0


def _read_picture(path: Path) -> np.ndarray:
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise UsageError("predict needs Pillow to read pictures: pip install pillow") from None
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGBA" if "A" in image.getbands() else "RGB"))
    except UnidentifiedImageError:
        raise UsageError(f"{path}: not a picture Pillow can read") from None


def run_bundles(args: argparse.Namespace) -> int:
    """List the bundles in the manifest."""
    manifest = bundles.load_manifest(args.data_dir or bundles.default_data_dir())
    for entry in manifest["bundles"]:
        print(f"{entry['name']:<12} {entry['train_count']:>6,} train / {entry['test_count']:,} test images  "
              f"{entry['bytes'] / 1e6:.1f} MB  sha256 {entry['sha256'][:12]}")
    return 0


COMMANDS = {"train": run_train, "evaluate": run_evaluate, "predict": run_predict, "bundles": run_bundles}
