"""Removing a bulletin at the storage boundary, on both backends: nothing is removed while it is
being rendered, and a storage that cannot delete leaves every row for a later try."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from producer.store.db import Bulletin, Database, Episode, Job
from producer.store.files import LocalFileStore, StoreError
from producer.store.removal import BulletinBusy, remove_bulletin

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


def _bulletin_with_episode(database: Database, store: LocalFileStore) -> tuple[int, str]:
    with database.write() as s:
        bulletin = Bulletin(title="نشرة", articles=["نص"])
        s.add(bulletin)
        s.flush()
        episode = Episode(
            guid="c370bb4f4968c3d6a7c977143e4a0459",
            bulletin_id=bulletin.id,
            title="نشرة",
            revision="r1",
            audio_key="episodes/c370bb4f4968c3d6a7c977143e4a0459/r1/a.mp3",
            audio_type="audio/mpeg",
            audio_bytes=3,
            transcript_key="episodes/c370bb4f4968c3d6a7c977143e4a0459/r1/a.vtt",
            chapters_key="episodes/c370bb4f4968c3d6a7c977143e4a0459/r1/a.json",
            duration=1.0,
            published=True,
        )
        s.add(episode)
        bulletin_id = bulletin.id
    store.put_bytes(episode.audio_key, b"ID3")
    return bulletin_id, episode.audio_key


def test_a_bulletin_being_rendered_is_not_removed(database: Database, tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "media")
    bulletin_id, audio = _bulletin_with_episode(database, store)
    with database.write() as s:
        s.add(Job(id="j1", bulletin_id=bulletin_id, script={}, state="running"))
    with pytest.raises(BulletinBusy):
        remove_bulletin(database, store, bulletin_id, who="sara", now=NOW)
    assert store.stat(audio) is not None
    with database.read() as s:
        assert s.get(Bulletin, bulletin_id) is not None
        assert s.scalars(select(Episode.published)).all() == [True]


def test_a_storage_that_cannot_delete_leaves_the_rows(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalFileStore(tmp_path / "media")
    bulletin_id, audio = _bulletin_with_episode(database, store)

    def refuse(prefix: str) -> None:
        raise StoreError(f"cannot delete {prefix}")

    with monkeypatch.context() as patch:
        patch.setattr(store, "delete_prefix", refuse)
        with pytest.raises(StoreError):
            remove_bulletin(database, store, bulletin_id, who="sara", now=NOW)
    with database.read() as s:
        assert s.get(Bulletin, bulletin_id) is not None
        assert s.scalars(select(Episode.published)).all() == [False]  # out of the feed already
    assert remove_bulletin(database, store, bulletin_id, who="sara", now=NOW)
    assert store.stat(audio) is None
    with database.read() as s:
        assert s.get(Bulletin, bulletin_id) is None and s.scalars(select(Episode)).all() == []
    assert not remove_bulletin(database, store, bulletin_id, who="sara", now=NOW)
