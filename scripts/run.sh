#!/usr/bin/env bash
# Set up (idempotent), then build the bundled example bulletin with the offline engine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p out
.venv/bin/producer build examples/*.txt -o out/example-bulletin.mp3
echo "Example bulletin: $(pwd)/out/example-bulletin.mp3 (+ .vtt transcript, .chapters.json)"
