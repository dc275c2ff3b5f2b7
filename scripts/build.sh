#!/usr/bin/env bash
# Build the static site into site/: data bundles, the default model trained on them, then the site.
# Assumes scripts/setup.sh has run. Used by serve.sh, test.sh and the Pages workflow.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python scripts/build_data.py
.venv/bin/python scripts/build_default_model.py
.venv/bin/python scripts/build_site.py
