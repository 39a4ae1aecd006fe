"""The ffmpeg edge: which binary to run, and decoding any audio file it reads into a Clip."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

import numpy as np

from producer.errors import AudioError
from producer.models import Clip


@cache
def ffmpeg_exe() -> str:
    """The system `ffmpeg` when one is on PATH, else the binary imageio-ffmpeg ships."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def last_line(stderr: bytes) -> str:
    """ffmpeg's last complaint, which is the one that names the cause."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1] if lines else "ffmpeg gave no reason"


def decode_file(path: Path, rate: int) -> Clip:
    """Decode any file ffmpeg reads into mono float32 at `rate` Hz."""
    if not path.is_file():
        raise AudioError(f"audio file not found: {path}")
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path)]
    cmd += ["-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"]
    result = subprocess.run(cmd, capture_output=True, check=False)
    if result.returncode != 0:
        raise AudioError(f"cannot decode audio file {path}: {last_line(result.stderr)}")
    samples = np.frombuffer(result.stdout, dtype="<f4").astype(np.float32)
    if samples.size == 0:
        raise AudioError(f"audio file {path} holds no audio")
    return Clip(samples, rate)
