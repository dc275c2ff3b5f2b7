#!/usr/bin/env bash
# Set up (chromium included), build, and run every test: unit tests, then end-to-end.
# Extra arguments go to pytest, e.g. scripts/test.sh -k cli
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
bash scripts/build.sh
exec .venv/bin/python -m pytest "$@"
