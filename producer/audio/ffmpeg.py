"""The ffmpeg edge: which binary to run, decoding any audio file it reads into a Clip, and
streaming audio into an encoder."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
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


# Audio files are the station's uploads: read only as the container their bytes show, never as a
# playlist (HLS, concat) that could point ffmpeg at other files or the network, and never longer,
# faster or wider than a station's music can be.
MAX_SECONDS = 3600.0
MAX_RATE = 192_000
MAX_CHANNELS = 8
DECODE_TIMEOUT = 120.0
_SNDFILE = ("wav", "flac", "ogg")
_BLOCK = 1 << 16


def sniff(head: bytes) -> str | None:
    """The container the first bytes show, as ffmpeg's demuxer name, or None when not audio we take."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[4:8] == b"ftyp":
        return "mov"  # MP4 / M4A
    if head[:3] == b"ID3":
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "aac" if head[1] & 0x06 == 0 else "mp3"  # ADTS has layer bits 00, MPEG audio does not
    return None


@dataclass(frozen=True)
class AudioHeader:
    container: str
    seconds: float
    rate: int
    channels: int


def read_header(path: Path) -> AudioHeader:
    """Container, duration, rate and channels from the file's header, without decoding it."""
    if not path.is_file():
        raise AudioError(f"audio file not found: {path}")
    with open(path, "rb") as f:
        head = f.read(12)
    container = sniff(head)
    if container is None:
        raise AudioError(
            f"{path.name} is not an audio file this service reads (WAV, FLAC, Ogg, MP3, M4A, AAC)"
        )
    if container in _SNDFILE:
        try:
            info = sf.info(str(path))
        except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
            if container != "ogg":  # Opus in Ogg is left to mutagen
                raise AudioError(f"cannot read audio file {path.name}: {exc}") from exc
        else:
            return AudioHeader(container, float(info.duration), int(info.samplerate), int(info.channels))
    import mutagen

    try:
        found = mutagen.File(path)
    except mutagen.MutagenError as exc:
        raise AudioError(f"cannot read audio file {path.name}: {exc}") from exc
    if found is None or not getattr(found.info, "length", 0):
        raise AudioError(f"cannot read the length of audio file {path.name}")
    info = found.info
    return AudioHeader(
        container, float(info.length), int(getattr(info, "sample_rate", 0)), int(getattr(info, "channels", 1))
    )


def decode_file(path: Path, rate: int, max_seconds: float = MAX_SECONDS) -> Clip:
    """Decode an audio file into mono float32 at `rate` Hz, at most `max_seconds` of it.

    The header is checked first (container by content, duration, rate, channels), so a file that
    claims an hour at 96 kHz is refused before any decoding; the decode itself stops at the limit
    whatever the header said. WAV, FLAC and Ogg are decoded in-process by libsndfile block by block
    and resampled as they go with soxr (an ffmpeg start costs a build ~40 ms a jingle); ffmpeg reads
    everything else, MP3 included (libsndfile's MP3 decoder prints its complaints to stderr).
    """
    header = read_header(path)
    if header.seconds > max_seconds:
        raise AudioError(f"audio file {path.name} lasts {header.seconds:.0f} s, over {max_seconds:.0f} s")
    if header.rate > MAX_RATE or header.channels > MAX_CHANNELS:
        raise AudioError(
            f"audio file {path.name} has {header.channels} channels at {header.rate} Hz: too many"
        )
    clip = None
    if header.container in _SNDFILE:
        try:
            clip = _decode_with_sndfile(path, rate, max_seconds)
        except (sf.LibsndfileError, RuntimeError, TypeError):
            clip = None
    if clip is None:
        clip = _decode_with_ffmpeg(path, rate, max_seconds, header.container)
    if clip.samples.size == 0:
        raise AudioError(f"audio file {path} holds no audio")
    return clip


def _decode_with_sndfile(path: Path, rate: int, max_seconds: float) -> Clip:
    with sf.SoundFile(str(path)) as f:
        native = f.samplerate
        limit = int(max_seconds * native) + 1
        resampler = (
            soxr.ResampleStream(native, rate, 1, dtype="float32", quality="HQ") if native != rate else None
        )
        pieces, read = [], 0
        for block in f.blocks(blocksize=_BLOCK, dtype="float32", always_2d=True):
            read += len(block)
            if read > limit:
                raise AudioError(f"audio file {path.name} is longer than its header says")
            mono = block.mean(axis=1, dtype=np.float32)
            pieces.append(resampler.resample_chunk(mono) if resampler else mono)
        if resampler is not None:
            pieces.append(resampler.resample_chunk(np.zeros(0, np.float32), last=True))
    samples = np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32)
    return Clip(np.ascontiguousarray(samples), rate)


def _decode_with_ffmpeg(
    path: Path, rate: int, max_seconds: float = MAX_SECONDS, container: str | None = None
) -> Clip:
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-protocol_whitelist", "file,pipe"]
    if container is not None:
        cmd += ["-f", container]  # the demuxer the content shows: never a playlist or concat list
    # A little past the limit, so a file longer than its header said is told from one that fits.
    cmd += ["-i", f"file:{path}", "-t", f"{max_seconds + 1:.3f}"]
    cmd += ["-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"]
    try:
        result = subprocess.run(cmd, capture_output=True, check=False, timeout=DECODE_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise AudioError(f"decoding audio file {path.name} took over {DECODE_TIMEOUT:.0f} s") from exc
    if result.returncode != 0:
        raise AudioError(f"cannot decode audio file {path}: {last_line(result.stderr)}")
    samples = np.frombuffer(result.stdout, dtype="<f4").astype(np.float32)
    if samples.size == 0:
        raise AudioError(f"audio file {path} holds no audio")
    if samples.size > max_seconds * rate:
        raise AudioError(f"audio file {path.name} is longer than its header says")
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
