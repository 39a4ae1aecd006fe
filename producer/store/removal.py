"""Removing a bulletin for good: its episode leaves the feed, its files the storage, then its rows
(bulletin, episode, jobs) the database; a run that made it keeps its row without it.

In that order, so a fault leaves nothing behind: when the storage cannot delete, StoreError is
raised before any row is removed (the episode is only unpublished) and the removal can be done
again later. Used by an editor's delete and by the automation's retention (producer.air.retention).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from producer.store import db
from producer.store.air import Run
from producer.store.db import Bulletin, Database, Episode, Job, JobState
from producer.store.files import FileStore

ACTIVE = (JobState.QUEUED.value, JobState.RUNNING.value)


class BulletinBusy(Exception):
    """The bulletin is being rendered: it can be removed once the render ends or is cancelled."""


def remove_bulletin(
    database: Database, store: FileStore, bulletin_id: int, *, who: str, now: datetime
) -> bool:
    """Remove the bulletin; False when there was none. BulletinBusy while it renders; StoreError
    or OSError (nothing removed but the publication) when the storage cannot delete its files."""
    with database.write() as s:
        _check_idle(s, bulletin_id)
        episodes = s.scalars(select(Episode).where(Episode.bulletin_id == bulletin_id)).all()
        guids = [episode.guid for episode in episodes]
        if any(episode.published for episode in episodes):
            for episode in episodes:
                episode.published = False
            db.touch_feed(s, now)
    for guid in guids:
        store.delete_prefix(db.episode_media(guid))
    with database.write() as s:
        _check_idle(s, bulletin_id)  # a render started meanwhile keeps the rows
        s.execute(update(Run).where(Run.bulletin_id == bulletin_id).values(bulletin_id=None, episode_id=None))
        s.execute(delete(Episode).where(Episode.bulletin_id == bulletin_id))
        s.execute(delete(Job).where(Job.bulletin_id == bulletin_id))
        found = s.get(Bulletin, bulletin_id) is not None
        if found:
            s.execute(delete(Bulletin).where(Bulletin.id == bulletin_id))
            db.audit(s, who, "delete", f"bulletin {bulletin_id}", episodes=guids)
    return found


def _check_idle(s: Session, bulletin_id: int) -> None:
    active = s.scalars(select(Job.id).where(Job.bulletin_id == bulletin_id, Job.state.in_(ACTIVE))).first()
    if active is not None:
        raise BulletinBusy(f"bulletin {bulletin_id} is being rendered (job {active})")
