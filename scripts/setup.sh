#!/usr/bin/env bash
# Install everything the project needs, on a fresh machine or an old checkout:
#   - .venv with the pinned Python packages (requirements-dev.txt) and this package (editable);
#   - the pinned npm packages (package-lock.json) with `npm ci`;
#   - with --browser: Debian's chromium for the end-to-end tests, when it is missing.
# Each step is skipped when it is already up to date, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "setup: Python 3.11 or newer is needed (found $(python3 --version 2>&1))" >&2; exit 2; }
command -v npm >/dev/null || { echo "setup: npm (Node.js 20+) is needed" >&2; exit 2; }

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(cat requirements-dev.txt pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  rm -f .venv/.installed-* && touch "$stamp"
fi

if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json .npm-ci-stamp 2>/dev/null; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json .npm-ci-stamp
fi

if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null; then
  echo "setup: installing Debian's chromium for the browser tests"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
