#!/usr/bin/env bash
# Set up, build, and serve the app at http://127.0.0.1:8000/ (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec .venv/bin/python scripts/serve.py --port "${PORT:-8000}"
