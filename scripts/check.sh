#!/usr/bin/env bash
# The project's static checks: formatter and linter (ruff), and the type checker (mypy) on the
# modules that pass it so far (the job system, the stores, the caches, operations).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff format --check producer tests scripts
.venv/bin/ruff check producer tests scripts
.venv/bin/mypy --ignore-missing-imports -p producer.jobs -p producer.store -m producer.filecache \
  -m producer.metrics -m producer.web.ops \
  -m producer.air.desk -m producer.air.picks -m producer.air.programmes -m producer.web.air -m producer.web.airtext -m producer.web.sources
