#!/usr/bin/env bash
# Set up (idempotent), then start the newsroom web service on its embedded defaults: SQLite
# database, local media folder and segment cache under PRODUCER_DATA_DIR, the render worker inside
# the same process, the offline espeak-ng voice. The first start prints the admin password.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/producer serve "$@"
