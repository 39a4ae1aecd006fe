"""How long the automation keeps what it made.

An hourly programme makes 24 bulletins a day, each published into the feed with its files (a
4-minute broadcast WAV is ~46 MB): left alone, the storage fills within weeks and the feed grows
by thousands of items. So the bulletins of runs that aired more than `air_keep_days` ago are
removed (producer.store.removal: the episode leaves the feed, its files the storage, then its rows
the database). The run's row stays, as the history on /runs, without its bulletin; the editors'
picks for past slots go. Bulletins made by staff are never removed here. A storage that cannot
delete, or a render under way, stops the pass with nothing lost, and the next pass tries again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from producer.air.runs import AUTHOR, Services
from producer.store.air import Pick, Run, RunState
from producer.store.files import StoreError
from producer.store.removal import BulletinBusy, remove_bulletin

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
        assert bulletin_id is not None  # selected so
        try:
            remove_bulletin(services.db, services.store, bulletin_id, who=AUTHOR, now=now)
        except (BulletinBusy, StoreError, OSError) as exc:  # a render, the storage: the next pass retries
            log.warning("could not remove the bulletin of run %s: %s", run_id, exc)
            break
        pruned += 1
    with services.db.read() as s:
        stale = s.scalars(select(Pick.id).where(Pick.air_time < cutoff).limit(1)).first()
    if stale is not None:  # looked for first: most passes find none to delete
        with services.db.write() as s:
            s.execute(delete(Pick).where(Pick.air_time < cutoff))
    if pruned:
        log.info("removed the bulletins of %d runs aired before %s", pruned, cutoff.isoformat())
    return pruned
