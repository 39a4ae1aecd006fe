#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
# Two test processes keep both cores busy (a serial run leaves one mostly idle); each starts its own
# throwaway PostgreSQL and Redis servers, so the processes share nothing.
exec .venv/bin/python -m pytest -n "${PRODUCER_TEST_WORKERS:-2}" "$@"
