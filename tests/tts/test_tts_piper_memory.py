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
    with errors.open("wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "producer", "build", str(article), "-o", str(out), "--engine", "piper"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        # wait4 gives this child's own peak, not the largest of every child the test run waited for.
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, errors.read_text(encoding="utf-8", errors="replace")
    assert out.stat().st_size > 0
    peak_mb = usage.ru_maxrss / 1024  # KiB on Linux
    print(f"peak RSS of the build: {peak_mb:.0f} MB")
    assert peak_mb <= LIMIT_MB
