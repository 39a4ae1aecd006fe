"""The content-addressed segment cache: speakable text + engine + voice + options → audio on disk.

An entry is one plain 16-bit PCM WAV file (lossless for the engines' 16-bit output; a segment with
no audio is a zero-frame WAV). Its INFO comment, which libsndfile writes before the audio, records
the frame count, rate, a digest of the PCM bytes (the clip's identity in the encoded parts' keys)
and their CRC-32, so a lookup verifies an entry by reading it, and a truncated or damaged entry is
caught, deleted and voiced again. The lookup checks the CRC, not the digest: it catches the same
damage at under half the cost (88 MB of PCM: 0.04 s against 0.095 s), and a re-render after a
one-word edit looks up every segment of the bulletin. Uncompressed on purpose:
measured on 52 minutes of espeak-ng speech, FLAC (level 0.5) cost 0.81 s of CPU to write and 0.64 s
to read back and verify, FLAC level 0 0.73 s and 0.57 s, WAV 0.31 s and 0.20 s, for files twice
as large (133 MB against 69 MB; the cache is an LRU under its size limit). Files are written to a
temporary name and renamed, so two processes can render into one cache at once; the oldest entries
are evicted once the cache outgrows its size limit (see filecache).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from producer.errors import AudioError, EngineError
from producer.filecache import FileCache, entry_crc
from producer.models import Clip
from producer.tts.base import AudioChunk, Engine

_FORMAT = "producer-cache/4"
_COMMENT = re.compile(
    re.escape(_FORMAT.encode()) + rb" rate=(\d+) frames=(\d+) blake2b=([0-9a-f]{32}) crc32=([0-9a-f]{8})"
)
_SUFFIX = ".wav"
# Entries of the previous format (FLAC) are never read, only evicted like any other.
_SUFFIXES = (_SUFFIX, ".flac")
DEFAULT_RATE = 22050


@dataclass(frozen=True)
class SpeechClip:
    """A voiced segment stored in the cache; its length is known without reading the audio."""

    path: Path
    frames: int
    rate: int
    digest: str  # of the PCM, as written in the entry's comment

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


def _digest(rate: int, frames: int, pcm: bytes | memoryview) -> str:
    h = hashlib.blake2b(f"{rate}:{frames}:".encode(), digest_size=16)
    h.update(pcm)
    return h.hexdigest()


def _to_int16(samples: np.ndarray) -> np.ndarray:
    # Scale by 32768 so int16 audio that arrived as x / 32768 comes back exactly; little-endian,
    # as WAV stores it, so the digest is of the very bytes in the file.
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype("<i2")


class SegmentCache(FileCache):
    """Voiced segments under `root`, kept below `max_bytes` by least-recently-used eviction."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        super().__init__(root, max_bytes, _SUFFIXES)

    def __reduce__(self) -> tuple[type[SegmentCache], tuple[Path, int]]:
        # A worker process gets a fresh cache over the same folder: lock and counters stay here.
        return (SegmentCache, (self.root, self.max_bytes))

    def key(self, engine: Engine, voice: str, text: str) -> str:
        return self.keys(engine, voice, [text])[0]

    def keys(self, engine: Engine, voice: str, texts: Iterable[str]) -> list[str]:
        """The keys of many texts: the engine's version (a voice folder's listing for Piper) read once."""
        common = [_FORMAT, engine.name, engine.version(), voice, engine.options_key()]
        return [
            hashlib.sha256(json.dumps([*common, text], ensure_ascii=False).encode()).hexdigest()
            for text in texts
        ]

    def present(self, key: str) -> bool:
        """Whether this folder has an entry for `key` (unchecked; `get` checks it)."""
        return self.path(key, _SUFFIX).is_file()

    def get(self, key: str) -> SpeechClip | None:
        """The entry for `key` if present and intact; a damaged entry is deleted."""
        path = self.path(key, _SUFFIX)
        clip = self.read(path, lambda data: _checked(path, data))
        self.found(clip is not None)
        return clip

    def put(self, key: str, chunks: Iterable[AudioChunk], *, rate_if_empty: int = DEFAULT_RATE) -> SpeechClip:
        """Store the audio of `chunks` (one segment) under `key`; `rate_if_empty` if there is none."""
        parts: list[np.ndarray] = []
        rate: int | None = None
        for chunk in chunks:
            if rate is not None and chunk.rate != rate:
                raise EngineError(f"The engine returned one segment at {rate} and at {chunk.rate} Hz.")
            rate = chunk.rate
            parts.append(_to_int16(chunk.samples))
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype="<i2")
        rate = rate or rate_if_empty
        path = self.path(key, _SUFFIX)
        pcm = audio.tobytes()
        digest = _digest(rate, len(audio), pcm)
        crc = entry_crc(pcm, rate, len(audio), digest)

        # Built in memory and written by Python: libsndfile reports a full disk as a bare "System
        # error", and the job must be able to say the disk is full (an OSError with ENOSPC).
        encoded = io.BytesIO()
        with sf.SoundFile(encoded, "w", samplerate=rate, channels=1, subtype="PCM_16", format="WAV") as out:
            # Set before the first frame, so libsndfile writes the comment ahead of the audio.
            out.comment = f"{_FORMAT} rate={rate} frames={len(audio)} blake2b={digest} crc32={crc:08x}"
            out.write(audio)

        def write(name: str) -> None:
            Path(name).write_bytes(encoded.getvalue())

        try:
            self.write(path, write)
        except (OSError, sf.LibsndfileError) as exc:
            raise AudioError(f"The segment cache in {self.root} cannot be written: {exc}.") from exc
        return SpeechClip(path, len(audio), rate, digest)


def _wav_layout(data: bytes) -> tuple[int, int, int, int] | None:
    """(sample rate, where the comments end, where the PCM starts, its length) of a mono 16-bit
    PCM WAV in `data`; None for anything else or a file cut short."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    pos, rate, header_end = 12, 0, 12
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = pos + 8
        if chunk == b"fmt " and size >= 16:
            fmt, channels = int.from_bytes(data[body : body + 2], "little"), data[body + 2]
            bits = int.from_bytes(data[body + 14 : body + 16], "little")
            if (fmt, channels, bits) != (1, 1, 16):
                return None
            rate = int.from_bytes(data[body + 4 : body + 8], "little")
        elif chunk == b"data":
            return (rate, header_end, body, size) if rate and body + size <= len(data) else None
        pos = body + size + (size & 1)
        header_end = pos
    return None


def _checked(path: Path, data: bytes) -> SpeechClip | None:
    """The entry held in `data` if its audio matches the CRC it was written with."""
    layout = _wav_layout(data)
    if layout is None:
        return None
    rate, header_end, start, size = layout
    found = _COMMENT.search(data, 0, header_end)
    frames = size // 2
    if found is None or int(found[1]) != rate or int(found[2]) != frames:
        return None
    digest = found[3].decode()
    if entry_crc(memoryview(data)[start : start + size], rate, frames, digest) != int(found[4], 16):
        return None
    return SpeechClip(path, frames, rate, digest)
