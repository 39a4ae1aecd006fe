"""The content-addressed segment cache: speakable text + engine + voice + options → audio on disk.

An entry is one plain audio file, FLAC (16-bit, lossless for the engines' 16-bit output) or, for
a segment with no audio, a zero-frame WAV, since FLAC cannot hold zero frames. Its Vorbis/INFO
comment records the frame count, rate and a digest of the encoded audio frames — the bytes after
the metadata, which the comment is written into afterwards without moving them — so a lookup
verifies an entry by reading it, not decoding it, and a truncated or damaged entry is caught,
deleted and voiced again. Files are written to a temporary name and
renamed, so two processes can render into one cache at once; the oldest entries are evicted once
the cache outgrows its size limit (see filecache).
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
from producer.filecache import FileCache
from producer.models import Clip
from producer.tts.base import AudioChunk, Engine

_FORMAT = "producer-cache/2"
_DIGEST_PLACEHOLDER = "0" * 32
_COMMENT = re.compile(rb"producer-cache/2 rate=(\d+) frames=(\d+) blake2b=([0-9a-f]{32})")
_SUFFIXES = (".flac", ".wav")
_FLAC_LEVEL = 0.5  # libsndfile's scale 0-1: nearly the smallest files at half the slowest encode time
DEFAULT_RATE = 22050


@dataclass(frozen=True)
class SpeechClip:
    """A voiced segment stored in the cache; its length is known without reading the audio."""

    path: Path
    frames: int
    rate: int
    digest: str  # of the encoded audio, as written in the entry's comment

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


def _digest(rate: int, frames: int, encoded: bytes | memoryview) -> str:
    h = hashlib.blake2b(f"{rate}:{frames}:".encode(), digest_size=16)
    h.update(encoded)
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
            path = self.path(key, suffix)
            clip = self.read(path, lambda data, path=path: _checked(path, data))
            if clip is not None:
                self.found(True)
                return clip
        self.found(False)
        return None

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
        # A FLAC entry's digest covers its encoded frames: known once written, then sealed in.
        digest = _DIGEST_PLACEHOLDER if len(audio) else _digest(rate, 0, b"")

        def write(name: str) -> None:
            nonlocal digest
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
            if len(audio):
                digest = _seal(name, rate, len(audio))

        try:
            self.write(path, write)
        except (OSError, sf.LibsndfileError) as exc:
            raise AudioError(f"The segment cache in {self.root} cannot be written: {exc}.") from exc
        return SpeechClip(path, len(audio), rate, digest)


def _seal(name: str, rate: int, frames: int) -> str:
    """Write the digest of the FLAC file's audio frames into its comment, in place."""
    with open(name, "r+b") as f:
        data = f.read()
        layout = _flac_layout(data)
        if layout is None:
            raise AudioError(f"libsndfile wrote no FLAC metadata to {name}.")
        audio_start = layout[0]
        digest = _digest(rate, frames, memoryview(data)[audio_start:])
        placeholder = f"blake2b={_DIGEST_PLACEHOLDER}".encode()
        at = data.find(placeholder, 0, audio_start)
        if at < 0:
            raise AudioError(f"libsndfile did not write the entry's comment to {name}.")
        f.seek(at)
        f.write(f"blake2b={digest}".encode())
    return digest


def _flac_layout(data: bytes) -> tuple[int, int, int] | None:
    """(where the audio frames start, sample rate, total samples) of FLAC `data`; None if it is
    not a complete FLAC header."""
    if data[:4] != b"fLaC":
        return None
    pos, rate, total = 4, 0, -1
    while True:
        if pos + 4 > len(data):
            return None
        header, length = data[pos], int.from_bytes(data[pos + 1 : pos + 4], "big")
        if header & 0x7F == 0 and length >= 18:  # STREAMINFO
            info = data[pos + 4 : pos + 22]
            rate = int.from_bytes(info[10:13], "big") >> 4
            total = int.from_bytes(info[13:18], "big") & ((1 << 36) - 1)
        pos += 4 + length
        if header & 0x80:  # the last metadata block
            return (pos, rate, total) if pos <= len(data) else None


def _checked(path: Path, data: bytes) -> SpeechClip | None:
    """The entry held in `data` if its audio matches the digest it was written with."""
    layout = _flac_layout(data)
    if layout is None:
        return _checked_empty(path, data)
    audio_start, rate, total = layout
    found = _COMMENT.search(data, 0, audio_start)
    if found is None or int(found[1]) != rate or int(found[2]) != total or total <= 0:
        return None
    digest = found[3].decode()
    if _digest(rate, total, memoryview(data)[audio_start:]) != digest:
        return None
    return SpeechClip(path, total, rate, digest)


def _checked_empty(path: Path, data: bytes) -> SpeechClip | None:
    """A zero-frame WAV entry (a segment with no audio), if that is what `data` holds."""
    try:
        with sf.SoundFile(io.BytesIO(data)) as snd:
            fields = dict(part.partition("=")[::2] for part in snd.comment.split()[1:])
            if not snd.comment.startswith(_FORMAT + " ") or snd.frames != 0 or fields.get("frames") != "0":
                return None
            rate = int(fields["rate"])
            if snd.samplerate != rate or fields["blake2b"] != _digest(rate, 0, b""):
                return None
    except (sf.LibsndfileError, RuntimeError, ValueError, KeyError):
        return None
    return SpeechClip(path, 0, rate, fields["blake2b"])
