"""The automation's loop: poll sources, start due slots, advance runs, remove what has aired long
ago (producer.air.retention); every ~15 seconds.

It runs in a thread inside `producer serve` and in each `producer worker`; several at once are
safe because every step is decided by rows (unique runs, compare-and-set transitions). Time comes
from a clock callable, so tests drive it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select

from producer.air.fetch import source_limits
from producer.air.poll import poll
from producer.air.retention import prune
from producer.air.runs import Services, advance_runs, schedule_tick
from producer.air.schedule import next_slot
from producer.errors import ProducerError
from producer.store.air import Programme, Run, RunState, Source

log = logging.getLogger("producer.air")

INTERVAL = 15.0  # seconds between two passes
# While a bulletin is being built (its render may finish in any process) the passes come this
# often, so a rendered bulletin is handed off within seconds, not up to a whole interval later.
BUSY_INTERVAL = 2.0
BUILD_MARGIN = 0.05  # seconds past a build time at which its pass runs

Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


def poll_due(services: Services, *, now: datetime) -> int:
    """Fetch the active sources last fetched more than settings.source_poll_minutes ago; how many."""
    stale = now - timedelta(minutes=services.settings.source_poll_minutes)
    with services.db.read() as s:
        ids = s.scalars(
            select(Source.id).where(
                Source.active.is_(True), or_(Source.fetched.is_(None), Source.fetched < stale)
            )
        ).all()
    for source_id in ids:
        try:
            poll(services.db, source_id, now=now, limits=source_limits(services.settings))
        except Exception:  # one source's fault must not stop the others, nor the bulletins
            log.exception("polling source %s failed", source_id)
    return len(ids)


def next_wait(services: Services, *, now: datetime, interval: float) -> float:
    """Seconds until the next pass: `interval`, BUSY_INTERVAL while a run is building, and never
    past the next build time of an active programme (its slot starts on the second)."""
    with services.db.read() as s:
        building = s.scalars(select(Run.id).where(Run.state == RunState.BUILDING.value).limit(1)).first()
        programmes = s.scalars(select(Programme).where(Programme.active.is_(True))).all()
    wait = min(interval, BUSY_INTERVAL) if building is not None else interval
    for programme in programmes:
        try:
            slot = next_slot(
                programme.cron, services.settings.timezone, after=now, lead_minutes=programme.lead_minutes
            )
        except ProducerError:
            continue
        wait = min(wait, (slot.build - now).total_seconds() + BUILD_MARGIN)
    return max(wait, BUILD_MARGIN)


def run_pass(services: Services, *, now: datetime) -> None:
    """One pass of the loop; each step's fault is logged and the next step still runs."""
    steps = (("poll", poll_due), ("schedule", schedule_tick), ("advance", advance_runs), ("prune", prune))
    for name, step in steps:
        try:
            step(services, now=now)
        except Exception:
            log.exception("the scheduler's %s step failed", name)


class Scheduler:
    """The loop in a daemon thread; `stop` ends it after the current pass."""

    def __init__(self, services: Services, clock: Clock = wall_clock, interval: float = INTERVAL) -> None:
        self.services, self.clock, self.interval = services, clock, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="producer-scheduler", daemon=True)
        self._thread.start()

    def run(self) -> None:
        while not self._stop.is_set():
            run_pass(self.services, now=self.clock())
            try:
                wait = next_wait(self.services, now=self.clock(), interval=self.interval)
            except Exception:
                log.exception("the scheduler could not work out its next pass")
                wait = self.interval
            self._stop.wait(wait)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
