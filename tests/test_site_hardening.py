"""Build-time hardening: the service worker's precache list and version, the CSP patch to
PyScript, and cache-busting names for everything in site/ whose content can change."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


offline = load("offline")
build_site = load("build_site")


def fake_site(root: Path) -> Path:
    files = {"index.html": "<script src='app-abc/main.py'>", "data/manifest.json": "{}",
             "data/mnist-10k.npz": "big", "app-abc/main.py": "print()", "app-abc/mnist_sorter/x.py": "",
             "pyodide-0.27.7/pyodide.mjs": "", "pyscript-0.6.66/core.js": "", ".nojekyll": "",
             "notes/other.txt": ""}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_precache_holds_the_page_runtime_and_manifest_but_not_bundles(tmp_path):
    site = fake_site(tmp_path)
    assert offline.precache_paths(site) == [
        "app-abc/main.py", "app-abc/mnist_sorter/x.py", "data/manifest.json", "index.html",
        "pyodide-0.27.7/pyodide.mjs", "pyscript-0.6.66/core.js"]


def test_the_version_changes_with_any_precached_byte_and_only_then(tmp_path):
    site = fake_site(tmp_path)
    first, text = offline.service_worker(site)
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    assert f'const VERSION = "{first}";' in text and "{{" not in text
    assert json.loads(re.search(r"const PRECACHE = (\[.*?\]);", text, re.S).group(1)) \
        == offline.precache_paths(site)
    (site / "data" / "mnist-10k.npz").write_text("other bundle")  # not precached
    assert offline.service_worker(site)[0] == first
    (site / "pyscript-0.6.66" / "core.js").write_text("patched")
    assert offline.service_worker(site)[0] != first


def test_no_page_no_worker(tmp_path):
    with pytest.raises(ValueError, match="no index.html or app directory"):
        offline.service_worker(tmp_path)


def test_the_csp_patch_applies_to_exactly_one_chunk(tmp_path):
    old, new = build_site.PYSCRIPT_CSP_PATCH
    (tmp_path / "core-A.js").write_text(f"a;{old};b")
    (tmp_path / "core-B.js").write_text("nothing")
    build_site.patch_for_csp(tmp_path)
    assert (tmp_path / "core-A.js").read_text() == f"a;{new};b"
    with pytest.raises(build_site.BuildError, match="found in 0 chunks"):
        build_site.patch_for_csp(tmp_path)  # already patched, or PyScript changed: refuse


SITE = REPO / "site"


@pytest.mark.skipif(not (SITE / "index.html").exists(), reason="site/ is not built")
def test_every_changing_asset_the_page_names_is_content_addressed():
    """index.html names only hashed or versioned directories; bundles carry their sha256."""
    page = (SITE / "index.html").read_text()
    for url in re.findall(r'(?:src|href|data-default-model|config)="([^"#]+)"', page):
        if url == "stale-page.js":  # the one unhashed file, stable by design: it must suit any page
            continue
        assert re.match(r"(app-[0-9a-f]{12}|pyodide-0\.27\.7|pyscript-0\.6\.66)/", url), url
    assert "Content-Security-Policy" in page
    assert "'unsafe-eval'" not in page and "'unsafe-inline'" not in page
    loader = (REPO / "web" / "data-loader.mjs").read_text()
    assert "?sha256=${entry.sha256" in loader  # bundle URLs name their content
    assert 'fetch(MANIFEST_URL, { cache: "no-cache" })' in loader  # the manifest is revalidated
    worker = (SITE / "sw.js").read_text()
    assert '{ cache: fresh ? "reload" : "default" }' in worker  # page and manifest bypass the HTTP cache
