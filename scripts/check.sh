#!/usr/bin/env bash
# The project's static checks: formatter and linter (ruff).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff format --check producer tests scripts
.venv/bin/ruff check producer tests scripts
