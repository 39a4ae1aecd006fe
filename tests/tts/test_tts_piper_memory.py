"""Peak memory of a real build with a real-size Piper voice (63 MB medium, see real_size_voice.py).

A 600-word paragraph without a full stop, voiced in one inference, took 11 GB; cut into bounded
inferences the whole build must stay within 800 MB.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from real_size_voice import install_real_size_voice
from tts_support import LONG

LIMIT_MB = 800
# Runs the command given as its arguments, prints its peak RSS (KiB) and exits with its status.
LAUNCHER = """
import os, sys
pid = os.spawnv(os.P_NOWAIT, sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _paragraph(words: int) -> str:
    pool = LONG.replace(".", "").replace("،", "").split()
    return " ".join((pool * (words // len(pool) + 1))[:words])


@pytest.mark.slow
def test_a_600_word_paragraph_without_a_full_stop_builds_within_800_mb(tmp_path: Path) -> None:
    install_real_size_voice(tmp_path / "voices")
    article = tmp_path / "article.txt"
    article.write_text(f"البلدية تفتتح جسرا جديدا\n\n{_paragraph(600)}\n", encoding="utf-8")
    out = tmp_path / "out.mp3"
    env = {
        **os.environ,
        "PRODUCER_DATA_DIR": str(tmp_path / "data"),
        "PRODUCER_PIPER_VOICES_DIR": str(tmp_path / "voices"),
    }
    errors = tmp_path / "stderr.txt"
    build = [sys.executable, "-m", "producer", "build", str(article), "-o", str(out), "--engine", "piper"]
    with errors.open("wb") as stderr:
        # A small launcher forks the build and reads its peak with wait4. Forked straight from this
        # test run, the build's maxrss would start at the size of the whole pytest process (Linux
        # counts the forked copy before exec), which grows over a full suite.
        launched = subprocess.run(
            [sys.executable, "-c", LAUNCHER, *build],
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            check=False,
        )
    assert launched.returncode == 0, errors.read_text(encoding="utf-8", errors="replace")
    assert out.stat().st_size > 0
    peak_mb = int(launched.stdout) / 1024  # KiB on Linux
    print(f"peak RSS of the build: {peak_mb:.0f} MB")
    assert peak_mb <= LIMIT_MB
