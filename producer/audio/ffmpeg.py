"""The ffmpeg edge: which binary to run, decoding any audio file it reads into a Clip, and
streaming audio into an encoder."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import IO, Any

import numpy as np
import soundfile as sf
import soxr

from producer.errors import AudioError
from producer.models import Clip, Samples

_PIPE_BYTES = 1 << 20


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
    """Decode any audio file into mono float32 at `rate` Hz.

    WAV, FLAC and Ogg files are decoded in-process by libsndfile and resampled with soxr (an
    ffmpeg start costs a build ~40 ms a jingle); ffmpeg reads everything else, MP3 included
    (libsndfile's MP3 decoder prints its complaints to stderr).
    """
    if not path.is_file():
        raise AudioError(f"audio file not found: {path}")
    with open(path, "rb") as f:
        head = f.read(12)
    if not (head[:4] in (b"fLaC", b"OggS") or (head[:4] == b"RIFF" and head[8:12] == b"WAVE")):
        return _decode_with_ffmpeg(path, rate)
    try:
        frames, native = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return _decode_with_ffmpeg(path, rate)
    samples = frames.mean(axis=1, dtype=np.float32)
    if native != rate and len(samples):
        samples = soxr.resample(samples, native, rate, quality="HQ").astype(np.float32)
    if samples.size == 0:
        raise AudioError(f"audio file {path} holds no audio")
    return Clip(np.ascontiguousarray(samples), rate)


def _decode_with_ffmpeg(path: Path, rate: int) -> Clip:
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path)]
    cmd += ["-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"]
    result = subprocess.run(cmd, capture_output=True, check=False)
    if result.returncode != 0:
        raise AudioError(f"cannot decode audio file {path}: {last_line(result.stderr)}")
    samples = np.frombuffer(result.stdout, dtype="<f4").astype(np.float32)
    if samples.size == 0:
        raise AudioError(f"audio file {path} holds no audio")
    return Clip(samples, rate)


def pipe_to_ffmpeg(
    blocks: Iterable[Samples], cmd: list[str], *, what: str, stdout: IO[Any] | int = subprocess.DEVNULL
) -> None:
    """Run `cmd` with the mono float32 `blocks` on its stdin; AudioError naming `what` if it fails."""
    # stderr goes to a file: a pipe nobody reads could fill and stall ffmpeg while we write.
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=stdout, stderr=errors)
        except OSError as exc:
            raise AudioError(f"cannot run ffmpeg ({cmd[0]}): {exc.strerror or exc}") from exc
        assert proc.stdin is not None
        _widen(proc.stdin.fileno())
        try:
            for block in blocks:
                proc.stdin.write(np.ascontiguousarray(block, dtype="<f4").data)
            proc.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped reading; its exit code and stderr say why
        except BaseException as exc:
            proc.kill()
            proc.wait()
            if isinstance(exc, OSError):  # from producing the blocks: not a write to the output
                raise AudioError(f"the programme could not be rendered: {exc}") from exc
            raise
        if proc.wait() != 0:
            errors.seek(0)
            raise AudioError(f"ffmpeg could not encode {what}: {last_line(errors.read())}")


def _widen(fd: int) -> None:
    """Let the pipe hold a couple of blocks, so mastering runs ahead while ffmpeg encodes.

    With the default 64 KiB each write waits for ffmpeg to drain it, and the two take turns
    instead of running side by side on two cores. Linux only; elsewhere the default stays.
    """
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass  # the default pipe works, with less overlap
