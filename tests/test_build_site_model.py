"""The site build ships the drawing pad's default model, and stops with one line without it."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("build_site_for_model", REPO / "scripts" / "build_site.py")
build_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_site)


def test_a_missing_default_model_stops_the_build_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(build_site, "DEFAULT_MODEL", tmp_path / "default-model.npz")
    monkeypatch.setattr(build_site, "assemble", lambda site: build_site.app_files())
    monkeypatch.setattr(build_site, "SITE", tmp_path / "site")
    monkeypatch.setattr(build_site, "ROOT", tmp_path)
    assert build_site.main() == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("build_site: error:")
    assert "default-model.npz is missing" in error and "build_default_model.py" in error


def test_the_default_model_is_an_app_file(tmp_path, monkeypatch):
    model = tmp_path / "default-model.npz"
    model.write_bytes(b"model bytes")
    monkeypatch.setattr(build_site, "DEFAULT_MODEL", model)
    monkeypatch.setattr(build_site, "assemble_kernel", lambda: b"")
    files = build_site.app_files()
    assert files["default-model.npz"] == b"model bytes"  # in the content-hashed app directory
    for name in ("drawing-pad.mjs", "draw.css", "drawing.py", "inside_view.py"):
        assert name in files
