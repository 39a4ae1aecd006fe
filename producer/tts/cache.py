"""The content-addressed segment cache: speakable text + engine + voice + options → audio on disk.

An entry is one plain audio file, FLAC (16-bit, lossless for the engines' 16-bit output) or, for
a segment with no audio, a zero-frame WAV, since FLAC cannot hold zero frames. Its Vorbis/INFO
comment records the frame count, rate and a digest of the samples, so a truncated or damaged
entry is caught on lookup, deleted and voiced again. Files are written to a temporary name and
renamed, so two processes can render into one cache at once; a hit refreshes the file's mtime,
and the oldest files are evicted once the cache outgrows its size limit.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from producer.errors import AudioError, EngineError
from producer.models import Clip
from producer.tts.base import AudioChunk, Engine

_FORMAT = "producer-cache/1"
_SUFFIXES = (".flac", ".wav")
_FLAC_LEVEL = 0.5  # libsndfile's scale 0-1: nearly the smallest files at half the slowest encode time
_LOW_WATER = 0.9  # evict down to this share of the limit, so one eviction scan serves many writes
_STALE_TEMP_SECONDS = 3600.0
DEFAULT_RATE = 22050


@dataclass(frozen=True)
class CacheStats:
    entries: int
    bytes: int
    hits: int
    misses: int


@dataclass(frozen=True)
class SpeechClip:
    """A voiced segment stored in the cache; its length is known without reading the audio."""

    path: Path
    frames: int
    rate: int

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


def _digest(rate: int, samples: np.ndarray) -> str:
    h = hashlib.blake2b(f"{rate}:{len(samples)}:".encode(), digest_size=16)
    h.update(samples.astype("<i2", copy=False).tobytes())
    return h.hexdigest()


def _to_int16(samples: np.ndarray) -> np.ndarray:
    # Scale by 32768 so int16 audio that arrived as x / 32768 comes back exactly.
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)


@dataclass(frozen=True)
class _Entry:
    path: Path
    size: int
    mtime: float


class SegmentCache:
    """Voiced segments under `root`, kept below `max_bytes` by least-recently-used eviction.

    `hits` and `misses` count this object's lookups; entries and bytes are read from disk.
    """

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        self._estimated_bytes: int | None = None

    def __reduce__(self) -> tuple[type[SegmentCache], tuple[Path, int]]:
        # A worker process gets a fresh cache over the same folder: lock and counters stay here.
        return (SegmentCache, (self.root, self.max_bytes))

    def key(self, engine: Engine, voice: str, text: str) -> str:
        material = [_FORMAT, engine.name, engine.version(), voice, engine.options_key(), text]
        return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode()).hexdigest()

    def _path(self, key: str, suffix: str) -> Path:
        return self.root / key[:2] / f"{key}{suffix}"

    def get(self, key: str) -> SpeechClip | None:
        """The entry for `key` if present and intact; a damaged entry is deleted."""
        for suffix in _SUFFIXES:
            clip = self._verified(self._path(key, suffix))
            if clip is not None:
                with self._lock:
                    self._hits += 1
                return clip
        with self._lock:
            self._misses += 1
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
            _discard(path, identity)
            return None
        try:
            os.utime(path)  # mark as recently used for the LRU eviction
        except FileNotFoundError:
            return None  # evicted by another process since it was read
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
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        rate = rate or rate_if_empty
        suffix = ".flac" if len(audio) else ".wav"
        path = self._path(key, suffix)
        try:
            self._write(path, audio, rate)
        except (OSError, sf.LibsndfileError) as exc:
            raise AudioError(f"The segment cache in {self.root} cannot be written: {exc}.") from exc
        self._account(path)
        return SpeechClip(path, len(audio), rate)

    def _write(self, path: Path, audio: np.ndarray, rate: int) -> None:
        """Write the entry under a temporary name in its folder, then rename it into place."""
        suffix = path.suffix
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:12]}-", suffix=".tmp")
        os.close(fd)
        try:
            with sf.SoundFile(
                temp_name,
                "w",
                samplerate=rate,
                channels=1,
                subtype="PCM_16",
                format=suffix[1:].upper(),
                compression_level=_FLAC_LEVEL if len(audio) else None,
            ) as out:
                # Strings must be set before the first frame is written.
                out.comment = f"{_FORMAT} rate={rate} frames={len(audio)} blake2b={_digest(rate, audio)}"
                out.write(audio)
            # No fsync: an entry lost to a power cut fails its check and is simply voiced again.
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def _account(self, written: Path) -> None:
        try:
            size = written.stat().st_size
        except FileNotFoundError:
            return  # already evicted by another process: nothing of it to count
        with self._lock:
            if self._estimated_bytes is None:
                self._estimated_bytes = sum(e.size for e in self._entries())
            else:
                self._estimated_bytes += size
            over = self._estimated_bytes > self.max_bytes
        if over:
            self._evict(keep=written)

    def _evict(self, keep: Path) -> None:
        entries = sorted(self._entries(), key=lambda e: e.mtime)
        total = sum(e.size for e in entries)
        target = int(self.max_bytes * _LOW_WATER)
        for entry in entries:
            if total <= target:
                break
            if entry.path == keep:
                continue  # the segment just voiced is needed now, even if it alone is over the limit
            entry.path.unlink(missing_ok=True)
            total -= entry.size
        with self._lock:
            self._estimated_bytes = total

    def _entries(self) -> Iterator[_Entry]:
        """Every entry on disk; temporary files abandoned by a crashed writer are removed."""
        if not self.root.is_dir():
            return
        now = time.time()
        for shard in os.scandir(self.root):
            if not shard.is_dir():
                continue
            for item in os.scandir(shard.path):
                try:
                    info = item.stat()
                except FileNotFoundError:
                    continue
                if item.name.endswith(".tmp"):
                    if now - info.st_mtime > _STALE_TEMP_SECONDS:
                        Path(item.path).unlink(missing_ok=True)
                elif item.name.endswith(_SUFFIXES):
                    yield _Entry(Path(item.path), info.st_size, info.st_mtime)

    def stats(self) -> CacheStats:
        entries = list(self._entries())
        with self._lock:
            return CacheStats(len(entries), sum(e.size for e in entries), self._hits, self._misses)

    def clear(self) -> int:
        """Delete every entry; returns how many there were."""
        removed = 0
        for entry in list(self._entries()):
            entry.path.unlink(missing_ok=True)
            removed += 1
        with self._lock:
            self._estimated_bytes = 0
        return removed


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
    return SpeechClip(path, frames, rate)


def _discard(path: Path, identity: os.stat_result) -> None:
    """Delete a damaged entry unless another process has meanwhile replaced it with a good one."""
    try:
        current = os.stat(path)
        if (current.st_ino, current.st_dev) == (identity.st_ino, identity.st_dev):
            path.unlink()
    except FileNotFoundError:
        pass
