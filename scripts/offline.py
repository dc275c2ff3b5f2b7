"""Write the site's service worker (web/sw.js filled in) for offline use after the first visit.

Called by build_site.py once everything else is in site/. The worker precaches every file
the page loads before it is useful offline: index.html, the app directory, PyScript, Pyodide
with its wheels, and data/manifest.json (the bundles themselves are cached when used). Its
VERSION hashes all of them, so any change to any of them is a new deployment for browsers.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "web" / "sw.js"
# What the page needs offline; data bundles (tens of MB) are kept only once used.
PRECACHE_TOP = ("index.html", "stale-page.js", "data/manifest.json")
# Loaded by index.html from the site's root, unhashed: it must work for a page of any deployment.
STALE_PAGE = TEMPLATE.parent / "stale-page.js"
PRECACHE_DIRS = ("app-", "pyodide-", "pyscript-")


def precache_paths(site: Path) -> list[str]:
    """Return the site-relative paths to precache, sorted (index.html and manifest included)."""
    paths = [name for name in PRECACHE_TOP if (site / name).is_file()]
    for folder in sorted(site.iterdir()):
        if folder.is_dir() and folder.name.startswith(PRECACHE_DIRS):
            paths += [path.relative_to(site).as_posix() for path in sorted(folder.rglob("*"))
                      if path.is_file()]
    return sorted(paths)


def site_version(site: Path, paths: list[str]) -> str:
    """Return 12 hex digits of sha256 over every precached path and its bytes."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.encode() + b"\0" + (site / path).read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def service_worker(site: Path) -> tuple[str, str]:
    """Return (version, sw.js text) for the site as it is in `site`."""
    paths = precache_paths(site)
    if "index.html" not in paths or not any(path.startswith("app-") for path in paths):
        raise ValueError(f"{site} has no index.html or app directory to precache")
    version = site_version(site, paths)
    text = TEMPLATE.read_text()
    for key, value in {"VERSION": version, "PRECACHE": json.dumps(paths, indent=1)}.items():
        if "{{" + key + "}}" not in text:
            raise ValueError(f"web/sw.js has no {{{{{key}}}}} placeholder")
        text = text.replace("{{" + key + "}}", value)
    return version, text


def write_service_worker(site: Path) -> str:
    """Write site/sw.js (and site/stale-page.js, precached too); return the worker's version."""
    (site / STALE_PAGE.name).write_bytes(STALE_PAGE.read_bytes())
    version, text = service_worker(site)
    (site / "sw.js").write_text(text)
    return version
