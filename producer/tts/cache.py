"""The content-addressed segment cache: speakable text + engine + voice + options → audio on disk.

An entry is one plain audio file, FLAC (16-bit, lossless for the engines' 16-bit output) or, for
a segment with no audio, a zero-frame WAV, since FLAC cannot hold zero frames. Its Vorbis/INFO
comment records the frame count, rate and a digest of the samples, so a truncated or damaged
entry is caught on lookup, deleted and voiced again. Files are written to a temporary name and
renamed, so two processes can render into one cache at once; the oldest entries are evicted once
the cache outgrows its size limit (see filecache).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from producer.errors import AudioError, EngineError
from producer.filecache import FileCache, discard
from producer.models import Clip
from producer.tts.base import AudioChunk, Engine

_FORMAT = "producer-cache/1"
_SUFFIXES = (".flac", ".wav")
_FLAC_LEVEL = 0.5  # libsndfile's scale 0-1: nearly the smallest files at half the slowest encode time
DEFAULT_RATE = 22050


@dataclass(frozen=True)
class SpeechClip:
    """A voiced segment stored in the cache; its length is known without reading the audio."""

    path: Path
    frames: int
    rate: int
    digest: str  # of the samples, as written in the entry's comment

    @property
    def duration(self) -> float:
        return self.frames / self.rate

    def load(self) -> Clip:
        if self.frames == 0:
            return Clip(np.zeros(0, dtype=np.float32), self.rate)
        try:
            samples, rate = sf.read(self.path, dtype="float32")
        except (sf.LibsndfileError, OSError) as exc:
            raise AudioError(f"The cached speech file {self.path} cannot be read: {exc}.") from exc
        if rate != self.rate or len(samples) != self.frames:
            raise AudioError(f"The cached speech file {self.path} changed while the programme was built.")
        return Clip(samples, rate)

    def identity(self) -> str:
        return self.digest


def _digest(rate: int, samples: np.ndarray) -> str:
    h = hashlib.blake2b(f"{rate}:{len(samples)}:".encode(), digest_size=16)
    h.update(samples.astype("<i2", copy=False).tobytes())
    return h.hexdigest()


def _to_int16(samples: np.ndarray) -> np.ndarray:
    # Scale by 32768 so int16 audio that arrived as x / 32768 comes back exactly.
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)


class SegmentCache(FileCache):
    """Voiced segments under `root`, kept below `max_bytes` by least-recently-used eviction."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        super().__init__(root, max_bytes, _SUFFIXES)

    def __reduce__(self) -> tuple[type[SegmentCache], tuple[Path, int]]:
        # A worker process gets a fresh cache over the same folder: lock and counters stay here.
        return (SegmentCache, (self.root, self.max_bytes))

    def key(self, engine: Engine, voice: str, text: str) -> str:
        material = [_FORMAT, engine.name, engine.version(), voice, engine.options_key(), text]
        return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode()).hexdigest()

    def get(self, key: str) -> SpeechClip | None:
        """The entry for `key` if present and intact; a damaged entry is deleted."""
        for suffix in _SUFFIXES:
            clip = self._verified(self.path(key, suffix))
            if clip is not None:
                self.found(True)
                return clip
        self.found(False)
        return None

    def _verified(self, path: Path) -> SpeechClip | None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            identity = os.fstat(fd)
            clip = _read_checked(path, fd)
        finally:
            os.close(fd)
        if clip is None:
            discard(path, identity)
            return None
        return clip if self.touch(path) else None

    def put(self, key: str, chunks: Iterable[AudioChunk], *, rate_if_empty: int = DEFAULT_RATE) -> SpeechClip:
        """Store the audio of `chunks` (one segment) under `key`; `rate_if_empty` if there is none."""
        parts: list[np.ndarray] = []
        rate: int | None = None
        for chunk in chunks:
            if rate is not None and chunk.rate != rate:
                raise EngineError(f"The engine returned one segment at {rate} and at {chunk.rate} Hz.")
            rate = chunk.rate
            parts.append(_to_int16(chunk.samples))
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        rate = rate or rate_if_empty
        suffix = ".flac" if len(audio) else ".wav"
        path = self.path(key, suffix)
        digest = _digest(rate, audio)

        def write(name: str) -> None:
            with sf.SoundFile(
                name,
                "w",
                samplerate=rate,
                channels=1,
                subtype="PCM_16",
                format=suffix[1:].upper(),
                compression_level=_FLAC_LEVEL if len(audio) else None,
            ) as out:
                # Strings must be set before the first frame is written.
                out.comment = f"{_FORMAT} rate={rate} frames={len(audio)} blake2b={digest}"
                out.write(audio)

        try:
            self.write(path, write)
        except (OSError, sf.LibsndfileError) as exc:
            raise AudioError(f"The segment cache in {self.root} cannot be written: {exc}.") from exc
        return SpeechClip(path, len(audio), rate, digest)


def _read_checked(path: Path, fd: int) -> SpeechClip | None:
    """The clip in the open file `fd` if its samples match the digest it was written with."""
    try:
        with sf.SoundFile(fd, closefd=False) as snd:
            if not snd.comment.startswith(_FORMAT + " ") or snd.channels != 1:
                return None
            fields = dict(part.partition("=")[::2] for part in snd.comment.split()[1:])
            rate, frames = int(fields["rate"]), int(fields["frames"])
            samples = snd.read(dtype="int16")
            if snd.samplerate != rate or len(samples) != frames:
                return None
    except (sf.LibsndfileError, RuntimeError, ValueError, KeyError):
        return None
    if _digest(rate, samples) != fields["blake2b"]:
        return None
    return SpeechClip(path, frames, rate, fields["blake2b"])
