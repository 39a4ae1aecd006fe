"""How long the automation keeps what it made.

An hourly programme makes 24 bulletins a day, each published into the feed with its files (a
4-minute broadcast WAV is ~46 MB): left alone, the storage fills within weeks and the feed grows
by thousands of items. So the bulletins of runs that aired more than `air_keep_days` ago are
removed: the episode leaves the feed, its files the storage, then the bulletin (with its episode
and jobs) the database. The run's row stays, as the history on /runs, without its bulletin; the
editors' picks for past slots go. Bulletins made by staff are never removed here.

In that order, so a fault leaves nothing behind: a storage that cannot delete stops the pass
before any row is removed, and the next pass tries again. Several processes pruning at once
delete the same files (idempotent) and the same rows (the second finds none).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from producer.air.runs import AUTHOR, Services
from producer.store import db
from producer.store.air import Pick, Run, RunState
from producer.store.db import Bulletin, Episode, Job

log = logging.getLogger("producer.air")

BATCH = 20  # runs pruned per pass, so a pass stays short after a long outage
_UNSETTLED = (RunState.BUILDING.value, RunState.AWAITING.value)


def prune(services: Services, *, now: datetime) -> int:
    """Remove the bulletins of runs aired before `now` - air_keep_days (at most BATCH); how many."""
    cutoff = now - timedelta(days=services.settings.air_keep_days)
    with services.db.read() as s:
        expired = s.execute(
            select(Run.id, Run.bulletin_id)
            .where(Run.air_time < cutoff, Run.bulletin_id.is_not(None), Run.state.not_in(_UNSETTLED))
            .order_by(Run.air_time)
            .limit(BATCH)
        ).all()
    pruned = 0
    for run_id, bulletin_id in expired:
        with services.db.write() as s:
            episodes = s.scalars(select(Episode).where(Episode.bulletin_id == bulletin_id)).all()
            guids = [episode.guid for episode in episodes]
            if any(episode.published for episode in episodes):
                for episode in episodes:
                    episode.published = False
                db.touch_feed(s, now)
        try:
            for guid in guids:
                services.store.delete_prefix(f"episodes/{guid}")
        except Exception as exc:  # the storage may be down: the rows stay for the next pass
            log.warning("could not delete the files of run %s (%s: %s)", run_id, type(exc).__name__, exc)
            break
        with services.db.write() as s:
            run = s.get(Run, run_id)
            if run is None or run.bulletin_id != bulletin_id:
                continue  # another process pruned it meanwhile
            run.bulletin_id = run.episode_id = None
            s.execute(
                delete(Pick).where(Pick.programme_id == run.programme_id, Pick.air_time == run.air_time)
            )
            s.execute(delete(Episode).where(Episode.bulletin_id == bulletin_id))
            s.execute(delete(Job).where(Job.bulletin_id == bulletin_id))
            s.execute(delete(Bulletin).where(Bulletin.id == bulletin_id))
            db.audit(s, AUTHOR, "prune", f"run {run_id}", bulletin=bulletin_id, episodes=guids)
        pruned += 1
    with services.db.read() as s:
        stale = s.scalars(select(Pick.id).where(Pick.air_time < cutoff).limit(1)).first()
    if stale is not None:  # picks for slots that never ran (looked for first: most passes find none)
        with services.db.write() as s:
            s.execute(delete(Pick).where(Pick.air_time < cutoff))
    if pruned:
        log.info("removed the bulletins of %d runs aired before %s", pruned, cutoff.isoformat())
    return pruned
