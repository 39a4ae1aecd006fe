"""The cache folders' shared second level: entries written on one machine are read on another
through a file store (a local folder here; the S3 bucket in tests/faults), checked on read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from producer import filecache
from producer.filecache import FileCache, use_shared_tier
from producer.store.files import LocalFileStore

KEY = "ab" + "0" * 62


def intact(data: bytes) -> bytes | None:
    return data if data.startswith(b"OK:") else None


@pytest.fixture
def machines(tmp_path: Path) -> Iterator[tuple[FileCache, FileCache, LocalFileStore]]:
    """Two machines' cache folders of one kind, and the store they share."""
    store = LocalFileStore(tmp_path / "bucket")
    yield (
        FileCache(tmp_path / "a" / "cache" / "speech", 1 << 30, (".bin",)),
        FileCache(tmp_path / "b" / "cache" / "speech", 1 << 30, (".bin",)),
        store,
    )
    use_shared_tier(None, tmp_path)


def test_an_entry_made_on_one_machine_is_read_on_another(
    machines: tuple[FileCache, FileCache, LocalFileStore], tmp_path: Path
) -> None:
    first, second, store = machines
    use_shared_tier(store, tmp_path / "a" / "cache")
    first.write(first.path(KEY, ".bin"), lambda name: Path(name).write_bytes(b"OK:voiced"))
    assert store.read_bytes(f"cache/speech/ab/{KEY}.bin") == b"OK:voiced"
    use_shared_tier(store, tmp_path / "b" / "cache")
    shared_before = filecache._TOTALS["shared_hits"]
    assert second.read(second.path(KEY, ".bin"), intact) == b"OK:voiced"
    assert second.path(KEY, ".bin").read_bytes() == b"OK:voiced"  # now in B's own folder too
    assert filecache._TOTALS["shared_hits"] == shared_before + 1
    assert second.read(second.path("cd" + "1" * 62, ".bin"), intact) is None  # a miss on both levels


def test_a_damaged_shared_entry_is_deleted_on_both_levels(
    machines: tuple[FileCache, FileCache, LocalFileStore], tmp_path: Path
) -> None:
    _first, second, store = machines
    store.put_bytes(f"cache/speech/ab/{KEY}.bin", b"garbage")
    use_shared_tier(store, tmp_path / "b" / "cache")
    assert second.read(second.path(KEY, ".bin"), intact) is None
    assert not second.path(KEY, ".bin").exists()
    assert store.stat(f"cache/speech/ab/{KEY}.bin") is None


def test_a_cache_outside_the_shared_folder_stays_local(
    machines: tuple[FileCache, FileCache, LocalFileStore], tmp_path: Path
) -> None:
    first, _second, store = machines
    use_shared_tier(store, tmp_path / "elsewhere")
    first.write(first.path(KEY, ".bin"), lambda name: Path(name).write_bytes(b"OK:scratch"))
    assert store.stat(f"cache/speech/ab/{KEY}.bin") is None
