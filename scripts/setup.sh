#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine that has only Python: a virtualenv in .venv with the
# package and its dependencies (espeak-ng and ffmpeg come as wheels: espeakng-loader, imageio-ffmpeg).
# With --test it also installs the test tools and, from Debian: chromium for the browser tests,
# postgresql and redis-server for the scale-out backend tests, and the mp3val stream validator.
# The backend tests start throwaway servers of their own: this script starts or enables no
# service (on a machine with systemd, Debian's packages start theirs when installed).
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  as_root apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    apt_install python3-venv
    "$PY" -m venv .venv
  fi
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$want_tests" = 1 ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
  missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-noto-core)
  # Debian keeps initdb off the PATH, under /usr/lib/postgresql/<version>/bin.
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  # An MPEG stream validator, to check the episodes' frames and Xing/LAME header independently.
  command -v mp3val >/dev/null 2>&1 || missing+=(mp3val)
  # Independent readers of the episodes: ffprobe (chapters), mpg123 and GStreamer (decoded length).
  command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
  command -v mpg123 >/dev/null 2>&1 || missing+=(mpg123)
  command -v gst-launch-1.0 >/dev/null 2>&1 || missing+=(gstreamer1.0-tools gstreamer1.0-plugins-good)
  # gPodder's command line client, to subscribe to the served feed and download an episode.
  command -v gpo >/dev/null 2>&1 || missing+=(gpodder)
  # The on-air hand-off test streams the example script to a real Icecast.
  command -v liquidsoap >/dev/null 2>&1 || missing+=(liquidsoap)
  command -v icecast2 >/dev/null 2>&1 || missing+=(icecast2)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
else
  .venv/bin/python -m pip install -q -e .
fi
.venv/bin/python -c "import producer.cli" || { echo "setup failed: producer does not import" >&2; exit 1; }
