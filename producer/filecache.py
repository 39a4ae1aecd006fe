"""A folder of content-addressed files kept under a size limit by least-recently-used eviction.

Entries live in 256 shards by the first two characters of their key. They are written under a
temporary name and renamed, so two processes can fill one folder at once; a hit refreshes the
file's mtime, and once the folder outgrows its limit the oldest files go. The voiced segments and
the encoded parts of episodes are each kept in one.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from producer.store.files import FileStore

log = logging.getLogger("producer.cache")

_LOW_WATER = 0.9  # evict down to this share of the limit, so one eviction scan serves many writes
_STALE_TEMP_SECONDS = 3600.0
# The disk is "nearly full" below this much free space (or 5 % of a small disk): caches then shrink
# by half, entries unused for an hour first, so renders, saves and the database keep room to write.
MIN_FREE_BYTES = 512 * 2**20
_FULL_DISK_SHARE = 0.5
_RECENT_SECONDS = 3600.0
_FULL_SLACK = 256 * 1024  # less free space than this after a write: the write may have been cut
# Lookups counted by every cache of this process, for the render's report to its worker's metrics.
_TOTALS = {"hits": 0, "misses": 0, "shared_hits": 0}
SHARED_PREFIX = "cache"
_TOTALS_LOCK = threading.Lock()
T = TypeVar("T")
_SHARED: SharedTier | None = None


@dataclass(frozen=True)
class CacheStats:
    entries: int
    bytes: int
    hits: int
    misses: int


@dataclass(frozen=True)
class _Entry:
    path: Path
    size: int
    mtime: float


class FileCache:
    """Files named `<key><suffix>` under `root`, below `max_bytes` in all.

    `hits` and `misses` count this object's lookups (`found`); entries and bytes are read from disk.
    """

    def __init__(self, root: Path, max_bytes: int, suffixes: tuple[str, ...]) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._suffixes = suffixes
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        self._estimated_bytes: int | None = None

    def path(self, key: str, suffix: str) -> Path:
        return self.root / key[:2] / f"{key}{suffix}"

    def found(self, hit: bool) -> None:
        """Count one lookup."""
        with self._lock:
            if hit:
                self._hits += 1
            else:
                self._misses += 1
        with _TOTALS_LOCK:
            _TOTALS["hits" if hit else "misses"] += 1

    @staticmethod
    def touch(path: Path) -> bool:
        """Mark `path` as recently used; False if another process has evicted it meanwhile."""
        try:
            os.utime(path)
        except FileNotFoundError:
            return False
        return True

    def read(self, path: Path, check: Callable[[bytes], T | None]) -> T | None:
        """`check` of the entry's bytes; None if it is missing or damaged (then it is deleted).

        A miss here is looked up in the shared tier (when there is one), fetched into this folder
        and checked like any local entry; a damaged shared entry is deleted there too."""
        found = _read_file(path)
        fetched = False
        if found is None and _SHARED is not None and _SHARED.fetch(path):
            found, fetched = _read_file(path), True
        if found is None:
            return None
        data, identity = found
        entry = check(data)
        if entry is None:
            discard(path, identity)
            if fetched and _SHARED is not None:
                _SHARED.forget(path)
            return None
        return entry if self.touch(path) else None

    def write(self, path: Path, writer: Callable[[str], None]) -> None:
        """`writer(name)` fills a temporary file beside `path`, which is then renamed into place.

        No fsync: an entry lost to a power cut fails its check on lookup and is made again.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:12]}-", suffix=".tmp")
        os.close(fd)
        try:
            writer(temp_name)
            if disk_full(path.parent):
                # Some writers (libsndfile) drop what a full disk refuses without an error: an
                # entry written then may be cut short, and would be a damaged hit later.
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path.name))
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        if _SHARED is not None:
            _SHARED.offer(path)
        self._account(path)

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
        elif disk_nearly_full(self.root):
            self._evict(keep=written, share=_FULL_DISK_SHARE)

    def _evict(self, keep: Path, share: float | None = None) -> None:
        entries = sorted(self._entries(), key=lambda e: e.mtime)
        total = sum(e.size for e in entries)
        target = int(self.max_bytes * _LOW_WATER) if share is None else int(total * share)
        # On a nearly full disk, entries used lately stay: a render under way reads them again.
        recent = time.time() - _RECENT_SECONDS if share is not None else None
        for entry in entries:
            if total <= target or (recent is not None and entry.mtime > recent):
                break
            if entry.path == keep:
                continue  # the entry just made is needed now, even if it alone is over the limit
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
                elif item.name.endswith(self._suffixes):
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


class SharedTier:
    """The second level: entries of the caches under `base` kept in the object store under
    `cache/<cache>/<shard>/<name>`, so any worker reuses what any worker voiced or encoded. Names
    are content hashes and every entry is checked on read, so a shared entry is trusted no more
    than a local one. Storage failures only cost a miss: the render goes on locally."""

    def __init__(self, store: FileStore, base: Path) -> None:
        self.store, self.base = store, base.resolve()

    def _key(self, path: Path) -> str | None:
        try:
            relative = path.resolve().relative_to(self.base)
        except ValueError:
            return None  # a scratch cache outside the shared folders
        return f"{SHARED_PREFIX}/{relative.as_posix()}"

    def fetch(self, path: Path) -> bool:
        key = self._key(path)
        if key is None:
            return False
        try:
            if self.store.stat(key) is None:
                return False
            path.parent.mkdir(parents=True, exist_ok=True)
            self.store.fetch(key, path)
        except Exception as exc:  # the store is down or slow: a miss, not a failed render
            log.warning("shared cache: cannot fetch %s (%s: %s)", key, type(exc).__name__, exc)
            return False
        with _TOTALS_LOCK:
            _TOTALS["shared_hits"] += 1
        return True

    def offer(self, path: Path) -> None:
        key = self._key(path)
        if key is None:
            return
        try:
            self.store.put_file(key, path)
        except Exception as exc:
            log.warning("shared cache: cannot store %s (%s: %s)", key, type(exc).__name__, exc)

    def forget(self, path: Path) -> None:
        key = self._key(path)
        if key is not None:
            try:
                self.store.delete_prefix(key)
            except Exception as exc:
                log.warning("shared cache: cannot delete %s (%s: %s)", key, type(exc).__name__, exc)


def use_shared_tier(store: FileStore | None, base: Path) -> None:
    """Give this process's caches under `base` a shared second level in `store` (None: none)."""
    global _SHARED
    _SHARED = None if store is None else SharedTier(store, base)


def _read_file(path: Path) -> tuple[bytes, os.stat_result] | None:
    try:
        with open(path, "rb") as f:
            return f.read(), os.fstat(f.fileno())
    except FileNotFoundError:
        return None


def entry_crc(data: bytes | memoryview, *fields: object) -> int:
    """The CRC-32 of an entry's header fields (joined by ":"), then of its data: a damaged field is
    caught like damaged data. CRC-32 rather than a digest: every lookup checks it."""
    return zlib.crc32(data, zlib.crc32(":".join(map(str, fields)).encode()))


def disk_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path).free < _FULL_SLACK
    except OSError:
        return False


def disk_nearly_full(path: Path) -> bool:
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return False
    return usage.free < min(MIN_FREE_BYTES, usage.total // 20)


def lookup_totals() -> tuple[int, int]:
    """(hits, misses) of every cache lookup in this process so far."""
    with _TOTALS_LOCK:
        return _TOTALS["hits"], _TOTALS["misses"]


def discard(path: Path, identity: os.stat_result) -> None:
    """Delete a damaged entry unless another process has meanwhile replaced it with a good one."""
    try:
        current = os.stat(path)
        if (current.st_ino, current.st_dev) == (identity.st_ino, identity.st_dev):
            path.unlink()
    except FileNotFoundError:
        pass
