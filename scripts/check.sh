#!/usr/bin/env bash
# The project's static checks: formatter and linter (ruff), and the type checker (mypy) on the
# whole package (its settings, and the short list of per-module exceptions, are in pyproject.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff format --check producer tests scripts
.venv/bin/ruff check producer tests scripts
.venv/bin/mypy -p producer
