"""A programme's runs, driven by their rows: built, rendered, published, handed to the playout.

`start_run` claims a slot's run (one process wins the unique row), chooses the articles, plans
the bulletin and queues its render the way the web app does: the job row is the truth.
`advance_runs` moves every open run one step from what the rows say, so it is idempotent and any
number of processes may call it: each transition is a conditional UPDATE that only one wins.
`schedule_tick` starts the slots whose build time fell since the programme was last checked; a
slot whose air time passed meanwhile (the service was down) is recorded MISSED, never aired late.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from producer.air.handoff import hand_off, target_due
from producer.air.plan import Furniture, Planned, plan
from producer.air.schedule import Slot, due, next_slot
from producer.errors import InputError, ProducerError
from producer.models import Story
from producer.store.air import (
    Mode,
    Programme,
    Run,
    RunState,
    Source,
    chosen_with_picks,
    claim_run,
    programme_by_name,
    story_of,
)
from producer.store.db import Bulletin, Database, Episode, Job, JobState, User, utcnow
from producer.store.files import FileStore, LocalFileStore

if TYPE_CHECKING:
    from producer.jobs import JobQueue
    from producer.settings import Settings
    from producer.web.deps import AppState

log = logging.getLogger("producer.air")

AUTHOR = "automation"  # who the bulletins, jobs and publications of the automation are by
MISSED_LOOKBACK = timedelta(days=1)  # missed slots recorded at most this far back after an outage
# A hand-off under way keeps other processes off its run this long (a retry waits for it).
HANDOFF_HOLD = timedelta(seconds=30)
# A run claimed but never given its bulletin (its process died) is failed after this long.
ABANDONED = timedelta(minutes=10)


@dataclass
class Services:
    """What the newsroom's operations use of the app's state (producer.web.service takes these)."""

    settings: Settings
    db: Database
    store: FileStore
    queue: JobQueue

    def as_state(self) -> AppState:
        # service.* read only settings, db, store and queue of the AppState they are given.
        return cast("AppState", self)


def _automation() -> User:
    return User(name=AUTHOR, role="editor")


# ---- building --------------------------------------------------------------------------------------


def start_run(services: Services, programme_id: int, air_time: datetime, *, now: datetime) -> int | None:
    """Claim and build the run of `programme_id` for `air_time`; its id, or None when another
    process has that slot. Nothing new to read: the run is SKIPPED with the reason."""
    window = timedelta(hours=services.settings.article_window_hours)
    with services.db.write() as s:
        programme = s.get(Programme, programme_id)
        if programme is None:
            return None
        run = claim_run(s, programme, air_time, RunState.BUILDING)
        if run is None:
            return None
        # Claimed by this clock: a run claimed before its air time is a scheduled one (see _late).
        run.created = now
        articles, lineup = chosen_with_picks(s, programme, air_time, now, window=window)
        unread = [] if articles else _unread_sources(s, programme)
        if not articles:
            run.state, run.error = RunState.SKIPPED.value, _nothing_new(unread)
        run.article_ids, run.updated = [a.id for a in articles], now
        s.flush()
        run_id, error = run.id, run.error
        name, length, target = programme.name, programme.length_seconds, programme.target
        stories = [story_of(a) for a in articles]
        ids = [a.id for a in articles]
    if not stories:
        level = logging.WARNING if unread else logging.INFO
        log.log(level, "programme %s at %s skipped: %s", name, air_time, error)
        return run_id
    try:
        bulletin_id, chosen = _build(
            services, name, length, target, stories, ids, air_time, least=lineup.least, keep=lineup.keep
        )
    except ProducerError as exc:
        _settle(services.db, run_id, RunState.FAILED, f"the bulletin could not be composed: {exc}", now)
        return run_id
    with services.db.write() as s:
        row = s.get(Run, run_id)
        if row is not None:
            row.bulletin_id, row.article_ids, row.updated = bulletin_id, chosen, now
    _queue(services, bulletin_id)
    return run_id


def _unread_sources(s: Session, programme: Programme) -> list[str]:
    """The programme's sources whose last poll failed."""
    return list(
        s.scalars(
            select(Source.name)
            .where(Source.name.in_(programme.sources), Source.error.is_not(None))
            .order_by(Source.name)
        )
    )


def _nothing_new(unread: Sequence[str]) -> str:
    """Why a run has nothing to read: with nobody at the desk, "no new articles" alone would hide
    a source that has stopped answering."""
    reason = "no new articles in its sources"
    # Joined by the Arabic comma: the names are the station's, and the reason is shown in Arabic.
    return f"{reason}; these could not be read: {'، '.join(unread)}" if unread else reason


def _build(
    services: Services,
    name: str,
    length: int,
    target: str,
    stories: Sequence[Story],
    ids: Sequence[int],
    air_time: datetime,
    *,
    least: Sequence[int] | None = None,
    keep: int = 0,
) -> tuple[int, list[int]]:
    """Plan the bulletin and store it as the web app does; its id and the articles it reads."""
    from producer.scriptfile import script_to_dict

    planned, title = plan_programme(services, name, length, stories, air_time, least=least, keep=keep)
    by_headline = {story.headline: article_id for story, article_id in zip(stories, ids, strict=True)}
    chosen = [by_headline[f.story.headline] for f in planned.stories if f.story.headline in by_headline]
    texts = ["\n\n".join((f.story.headline, *f.story.paragraphs)) for f in planned.stories]
    with services.db.write() as s:
        bulletin = Bulletin(
            title=title,
            target=target,
            articles=texts,
            script=script_to_dict(planned.script),
            author=AUTHOR,
        )
        s.add(bulletin)
        s.flush()
        return bulletin.id, chosen


def plan_programme(
    services: Services,
    name: str,
    length: int,
    stories: Sequence[Story],
    air_time: datetime,
    *,
    least: Sequence[int] | None = None,
    keep: int = 0,
) -> tuple[Planned, str]:
    """The bulletin of `stories` for `air_time` fitted to `length` seconds at the station's pace
    (the first `keep` stories always read, each with at least `least` paragraphs), and its title."""
    from producer.pipeline import compose_script
    from producer.store.station import station_settings
    from producer.store.words import station_words
    from producer.web import service

    state = services.as_state()
    config = service.station(state)
    local = air_time.astimezone(ZoneInfo(services.settings.timezone))
    title = f"{name} {local:%Y-%m-%d %H:%M}"
    templates = station_words(services.db).templates
    with service.workdir(state) as work:
        conf = station_settings(services.settings, config, services.store, work)
        planned = plan(
            stories,
            length_seconds=length,
            words_per_minute=conf.pace,
            furniture=furniture(conf),
            compose=lambda chosen: compose_script(chosen, conf, templates=templates, title=title, now=local),
            least=least,
            keep=keep,
        )
    return planned, title


def furniture(conf: Settings) -> Furniture:
    """The lengths of the music the render plays around the stories: the station's jingles, else
    the bundled ones (as audio.assets chooses), read from their headers by mutagen."""
    from mutagen import File as MutagenFile

    from producer.audio.assemble import Pacing
    from producer.resources import bundled

    shipped = bundled("audio")

    def length(path: Path | None, name: str) -> float:
        found = MutagenFile(path or shipped / name)
        if found is None or found.info is None:
            raise ProducerError(f"the jingle {path or name} is not an audio file mutagen reads")
        return float(found.info.length)

    pacing = Pacing()
    return Furniture(
        max(0.0, length(conf.jingle_intro, "intro.ogg") - pacing.intro_overlap),
        length(conf.jingle_outro, "outro.ogg"),
        length(conf.stinger, "stinger.ogg") + 2 * pacing.around_stinger,
    )


def _queue(services: Services, bulletin_id: int) -> None:
    from producer.web import service

    try:
        service.start_render(
            services.as_state(), _automation(), bulletin_id, engine=None, voice=None, target=None
        )
    except service.Rejected as exc:
        # The queue is down: the job row is kept, and the reconciler sends it once it is back.
        log.warning("render of bulletin %s waits for the queue: %s", bulletin_id, exc.message)


# ---- advancing -------------------------------------------------------------------------------------


def advance_runs(services: Services, *, now: datetime) -> list[int]:
    """Move every open run one step; returns the ids of the runs that changed."""
    with services.db.read() as s:
        open_runs = s.scalars(
            select(Run).where(
                or_(
                    Run.state.in_((RunState.BUILDING.value, RunState.AWAITING.value)),
                    (Run.state == RunState.PUBLISHED.value) & (Run.air_time > now),
                )
            )
        ).all()
        programmes = {p.id: p for p in s.scalars(select(Programme))}
    changed = []
    for run in open_runs:
        programme = programmes.get(run.programme_id)
        if programme is None:
            continue
        try:
            if _advance(services, run, programme, now):
                changed.append(run.id)
        except ProducerError as exc:
            log.warning("run %s of %s: %s", run.id, programme.name, exc)
    return changed


def _advance(services: Services, run: Run, programme: Programme, now: datetime) -> bool:
    if run.state == RunState.BUILDING:
        return _after_render(services, run, programme, now)
    if run.state == RunState.AWAITING:
        episode = _episode(services.db, run.episode_id)
        deadline = _deadline(run, programme)
        # Approved is published by the deadline; when this pass comes after it does not matter.
        if (
            episode is not None
            and episode.published
            and episode.published_at is not None
            and episode.published_at <= deadline
        ):
            if _late(run, now):
                return _move(services.db, run, RunState.LATE, now, error=_late_reason(services, run, now))
            if _move(services.db, run, RunState.PUBLISHED, now):
                hand_off(services, run.id, programme, now, _automation())
                return True
            return False
        if now > deadline:
            return _move(services.db, run, RunState.SKIPPED, now, error="not approved in time")
        return False
    # PUBLISHED before air time: a target failed (or the process handing off died); try again when
    # its wait is over, but not while another process may still be handing it off.
    handoff = run.handoff or {}
    if not any(target_due(handoff.get(spec), now) for spec in programme.playout):
        return False
    if now - run.updated < HANDOFF_HOLD:
        return False
    if _move(services.db, run, RunState.PUBLISHED, now):
        hand_off(services, run.id, programme, now, _automation())
        return True
    return False


def _after_render(services: Services, run: Run, programme: Programme, now: datetime) -> bool:
    if run.bulletin_id is None:
        if now - run.updated > ABANDONED:
            return _move(services.db, run, RunState.FAILED, now, error="its build was interrupted")
        return False
    with services.db.read() as s:
        job = s.scalars(
            select(Job).where(Job.bulletin_id == run.bulletin_id).order_by(Job.created.desc())
        ).first()
    if job is None or job.state in (JobState.QUEUED, JobState.RUNNING):
        return False
    if job.state != JobState.DONE or job.episode_id is None:
        reason = job.error or f"its render was {job.state}"
        return _move(services.db, run, RunState.FAILED, now, error=f"render failed: {reason}")
    if _late(run, now):
        error = _late_reason(services, run, now)
        log.warning("run %s of %s: %s", run.id, programme.name, error)
        return _move(services.db, run, RunState.LATE, now, error=error, episode_id=job.episode_id)
    if programme.mode == Mode.APPROVE:
        return _move(services.db, run, RunState.AWAITING, now, episode_id=job.episode_id)
    if not _move(services.db, run, RunState.PUBLISHED, now, episode_id=job.episode_id):
        return False
    hand_off(services, run.id, programme, now, _automation())
    return True


def _late(run: Run, now: datetime) -> bool:
    """A bulletin airs at its hour or not at all: a scheduled run (claimed before its air time)
    whose bulletin is ready only at or after that time is not published nor handed off. A run
    claimed at its air time (`programme run --now`) goes out whenever it is ready."""
    return run.created < run.air_time <= now


def _late_reason(services: Services, run: Run, now: datetime) -> str:
    zone = ZoneInfo(services.settings.timezone)
    return (
        f"its bulletin was ready only at {now.astimezone(zone):%H:%M:%S}, after its air time "
        f"{run.air_time.astimezone(zone):%H:%M}: not aired"
    )


def _deadline(run: Run, programme: Programme) -> datetime:
    return run.air_time - timedelta(minutes=programme.approve_minutes or 0)


def _move(
    database: Database, run: Run, state: RunState, now: datetime, *, error: str | None = None, **values: Any
) -> bool:
    """Take the run from the state (and update stamp) it was read in to `state`; False if another
    process moved it first."""
    with database.write() as s:
        result = s.execute(
            update(Run)
            .where(Run.id == run.id, Run.state == run.state, Run.updated == run.updated)
            .values(state=state.value, error=error, updated=now, **values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _settle(database: Database, run_id: int, state: RunState, error: str | None, now: datetime) -> None:
    with database.write() as s:
        run = s.get(Run, run_id)
        if run is not None:
            run.state, run.error, run.updated = state.value, error, now


def _episode(database: Database, episode_id: int | None) -> Episode | None:
    if episode_id is None:
        return None
    with database.read() as s:
        return s.get(Episode, episode_id)


# ---- the schedule ----------------------------------------------------------------------------------


def schedule_tick(services: Services, *, now: datetime) -> list[int]:
    """Start the slots due since each active programme's last check; returns the new runs' ids."""
    with services.db.read() as s:
        programmes = s.scalars(select(Programme).where(Programme.active.is_(True))).all()
    started = []
    for programme in programmes:
        for slot in _take_due(services.db, programme, services.settings.timezone, now):
            run_id = _start_slot(services, programme, slot, now)
            if run_id is not None:
                started.append(run_id)
    return started


def _take_due(database: Database, programme: Programme, zone: str, now: datetime) -> list[Slot]:
    """The slots built in (last check, now], the check moved to now; none if another process
    moved it first (it starts them)."""
    since = max(programme.checked or programme.created, now - MISSED_LOOKBACK)
    if since >= now:
        return []
    with database.write() as s:
        taken = s.execute(
            update(Programme)
            .where(
                Programme.id == programme.id,
                Programme.checked.is_(None)
                if programme.checked is None
                else Programme.checked == programme.checked,
            )
            .values(checked=now)
        ).rowcount  # type: ignore[attr-defined]
    if not taken:
        return []
    return due(programme.cron, zone, since=since, now=now, lead_minutes=programme.lead_minutes)


def _start_slot(services: Services, programme: Programme, slot: Slot, now: datetime) -> int | None:
    if slot.air <= now:
        with services.db.write() as s:
            row = s.get(Programme, programme.id)
            if row is None:
                return None
            run = claim_run(s, row, slot.air, RunState.MISSED)
            if run is None:
                return None
            run.error, run.updated = "the service was down at its build time", now
            s.flush()
            log.warning("programme %s missed its bulletin for %s", programme.name, slot.air)
            return run.id
    return start_run(services, programme.id, slot.air, now=now)


# ---- at once, from the command line ----------------------------------------------------------------

RUN_WAIT = timedelta(minutes=30)  # how long `programme run` waits for a worker's render


def run_now(settings: Settings, database: Database, queue: JobQueue, name: str, *, air_now: bool) -> str:
    """Build the programme's next bulletin (or one airing now) at once, render it here (embedded
    queue) or wait for the workers (Redis), publish and hand off as its mode says; returns where
    the episode's audio is. Raises ProducerError with the run's reason when it did not air."""
    services = Services(settings, database, queue.store, queue)
    now = utcnow()
    with database.read() as s:
        programme = programme_by_name(s, name)
    if programme is None:
        raise InputError(f"there is no programme named {name!r}")
    air = now
    if not air_now:
        air = next_slot(programme.cron, settings.timezone, after=now, lead_minutes=programme.lead_minutes).air
    run_id = start_run(services, programme.id, air, now=now)
    if run_id is None:
        raise InputError(f"the bulletin of {name} for {air:%Y-%m-%d %H:%M} UTC is already being built")
    while (run := _run(database, run_id)).state == RunState.BUILDING:
        if utcnow() - now > RUN_WAIT:
            raise ProducerError(f"no worker rendered the bulletin within {RUN_WAIT.seconds // 60} minutes")
        if settings.queue_url is not None or not queue.work_once():
            time.sleep(1.0)
        advance_runs(services, now=utcnow())
    if run.state in (RunState.SKIPPED, RunState.FAILED, RunState.MISSED, RunState.LATE):
        raise ProducerError(f"{name}: {run.state}: {run.error}")
    if run.error:
        raise ProducerError(f"{name}: published, but not handed off: {run.error}")
    episode = _episode(database, run.episode_id)
    if episode is None:
        raise ProducerError(f"{name}: its episode vanished")
    if run.state == RunState.AWAITING:
        log.warning("%s: built, waiting for an editor to publish it by %s", name, _deadline(run, programme))
    if isinstance(services.store, LocalFileStore):
        return str(services.store.path(episode.audio_key))
    base = settings.base_url
    return f"{base.rstrip('/')}/media/{episode.audio_key}" if base else episode.audio_key


def _run(database: Database, run_id: int) -> Run:
    with database.read() as s:
        run = s.get(Run, run_id)
    if run is None:
        raise ProducerError(f"run {run_id} vanished")
    return run
