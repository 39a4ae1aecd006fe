"""The editors' desk: a programme's next bulletin as they shape it, and its run's approval.

Before a slot is built, editors pin, drop, reorder and extend its candidate stories (rows of
`picks`, read by `start_run`); a bulletin awaiting approval is picked again and `rebuild` before
its deadline. `next_bulletin` shows them with the plan the run would make now,
each story's estimated seconds at the station's pace and the total against the target. Once the
slot is built, its bulletin waits (approve mode) for `approve` or `skip` until the deadline; a
published run whose hand-off failed can be sent again with `retry_handoff`. Refusals are
`Invalid` (English for logs and the command line, Arabic for the pages).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from producer.air.fit import seconds_for
from producer.air.handoff import hand_off
from producer.air.picks import Choice, line_up
from producer.air.plan import fixed_seconds
from producer.air.programmes import Invalid
from producer.air.runs import (
    Services,
    _advance,
    _automation,
    _build,
    _deadline,
    _move,
    _queue,
    furniture,
    plan_programme,
    start_run,
)
from producer.air.schedule import Slot, next_slot
from producer.models import Script, SegmentKind
from producer.store.air import (
    Programme,
    Run,
    RunState,
    Source,
    candidate_articles,
    chosen_with_picks,
    picks_of,
    set_pick,
    story_of,
)
from producer.store.db import User

MAX_CANDIDATES = 30  # stories shown to the editors (the newest)


@dataclass(frozen=True)
class Candidate:
    article_id: int
    headline: str
    source: str
    url: str
    updated: datetime
    paragraphs: int
    choice: Choice
    chosen: bool  # the bulletin reads it, as planned now
    kept: int  # paragraphs read (0 when not chosen)
    seconds: float  # estimated reading time of what is read (of its lead when not chosen)


@dataclass(frozen=True)
class NextBulletin:
    programme_id: int
    slot: Slot
    run_id: int | None  # the slot's run, once built
    editable: bool  # picks may change: not built yet, or awaiting approval before its deadline
    candidates: tuple[Candidate, ...]
    total: float  # the whole bulletin as planned, estimated seconds (0 with no story)
    target: int  # the programme's length, seconds


def _programme(services: Services, programme_id: int) -> Programme:
    with services.db.read() as s:
        programme = s.get(Programme, programme_id)
    if programme is None:
        raise Invalid("programme", f"there is no programme {programme_id}", "البرنامج غير موجود.")
    return programme


def _slot(services: Services, programme: Programme, now: datetime) -> Slot:
    return next_slot(
        programme.cron, services.settings.timezone, after=now, lead_minutes=programme.lead_minutes
    )


@dataclass(frozen=True)
class _Desk:
    """The slot the editors work on: a bulletin awaiting approval before its deadline (picks
    change it by a rebuild), else the next slot (picks change it until it is built)."""

    slot: Slot
    run: Run | None
    editable: bool


def _desk(services: Services, programme: Programme, now: datetime) -> _Desk:
    with services.db.read() as s:
        awaiting = s.scalars(
            select(Run)
            .where(Run.programme_id == programme.id, Run.state == RunState.AWAITING, Run.air_time > now)
            .order_by(Run.air_time)
        ).first()
    if awaiting is not None and now <= _deadline(awaiting, programme):
        return _Desk(Slot(awaiting.created, awaiting.air_time), awaiting, True)
    slot = _slot(services, programme, now)
    with services.db.read() as s:
        run = s.scalars(select(Run).where(Run.programme_id == programme.id, Run.air_time == slot.air)).first()
    return _Desk(slot, run, run is None)


def next_bulletin(services: Services, programme_id: int, *, now: datetime) -> NextBulletin:
    """The programme's next slot with its candidates as the editors picked them and as planned."""
    programme = _programme(services, programme_id)
    desk = _desk(services, programme, now)
    slot = desk.slot
    if not desk.editable and desk.run is not None:
        # Built and fixed: what it reads is the run's own page; no plan to show.
        return NextBulletin(programme.id, slot, desk.run.id, False, (), 0.0, programme.length_seconds)
    window = timedelta(hours=services.settings.article_window_hours)
    with services.db.read() as s:
        articles = candidate_articles(s, programme, now, window=window)[:MAX_CANDIDATES]
        choices = picks_of(s, programme.id, slot.air)
        names: dict[int, str] = {row.id: row.name for row in s.execute(select(Source.id, Source.name))}
    stories = {a.id: story_of(a) for a in articles}
    lineup = line_up(
        [a.id for a in articles],
        {i: len(story.paragraphs) for i, story in stories.items()},
        choices,
        programme.max_stories,
    )
    planned = None
    if lineup.chosen:
        planned, _ = plan_programme(
            services,
            programme.name,
            programme.length_seconds,
            [stories[i] for i in lineup.chosen],
            slot.air,
            least=lineup.least,
            keep=lineup.keep,
        )
    read = {}
    if planned is not None:
        by_headline = {stories[i].headline: i for i in lineup.chosen}
        read = {by_headline[f.story.headline]: f for f in planned.stories if f.story.headline in by_headline}
    wpm = _pace(services)
    by_id = {a.id: a for a in articles}
    order = [*lineup.order, *(a.id for a in articles if choices.get(a.id, Choice()).dropped)]
    candidates = []
    for article_id in order:
        article, story = by_id[article_id], stories[article_id]
        fitted = read.get(article_id)
        candidates.append(
            Candidate(
                article_id=article_id,
                headline=story.headline,
                source=names.get(article.source_id, ""),
                url=article.url,
                updated=article.updated,
                paragraphs=len(story.paragraphs),
                choice=choices.get(article_id, Choice()),
                chosen=fitted is not None,
                kept=len(fitted.story.paragraphs) if fitted else 0,
                seconds=fitted.seconds
                if fitted
                else seconds_for([story.headline, *story.paragraphs[:1]], wpm),
            )
        )
    return NextBulletin(
        programme.id,
        slot,
        desk.run.id if desk.run is not None else None,
        desk.editable,
        tuple(candidates),
        planned.seconds if planned is not None else 0.0,
        programme.length_seconds,
    )


def _pace(services: Services) -> float:
    from producer.web import service

    return float(service.station(services.as_state()).pace)


ACTIONS = ("pin", "unpin", "drop", "restore", "up", "down", "extend", "shorten")


def change_pick(
    services: Services, programme_id: int, article_id: int, action: str, *, now: datetime
) -> None:
    """Apply one editor's action to one story of the bulletin the editors work on (see _desk)."""
    if action not in ACTIONS:
        raise Invalid("action", f"unknown action {action!r}", "إجراء غير معروف.")
    programme = _programme(services, programme_id)
    desk = _desk(services, programme, now)
    if not desk.editable:
        raise Invalid(
            "story",
            "the next bulletin is built already",
            "حُضّرت النشرة التالية؛ لم يعد تغيير أخبارها ممكنًا.",
        )
    try:
        _change(services, programme, desk.slot, article_id, action, now)
    except IntegrityError as exc:
        # Another editor's first pick of the same story was written at the same moment.
        raise Invalid(
            "story", "the story was changed meanwhile", "تغيّر الخبر للتو؛ أعيدوا المحاولة."
        ) from exc


def _change(
    services: Services, programme: Programme, slot: Slot, article_id: int, action: str, now: datetime
) -> None:
    window = timedelta(hours=services.settings.article_window_hours)
    with services.db.write() as s:
        articles = candidate_articles(s, programme, now, window=window)[:MAX_CANDIDATES]
        if article_id not in {a.id for a in articles}:
            raise Invalid(
                "story", f"article {article_id} is not a candidate", "هذا الخبر ليس بين أخبار النشرة التالية."
            )
        choices = picks_of(s, programme.id, slot.air)
        current = choices.get(article_id, Choice())
        paragraphs = {a.id: len(story_of(a).paragraphs) for a in articles}
        if action in ("up", "down"):
            order = list(line_up([a.id for a in articles], paragraphs, choices, programme.max_stories).order)
            if article_id not in order:
                return
            i = order.index(article_id)
            j = i - 1 if action == "up" else i + 1
            if 0 <= j < len(order):
                order[i], order[j] = order[j], order[i]
            # Every story gets its place, so later arrivals do not shuffle the editor's order.
            for position, other in enumerate(order):
                set_pick(
                    s,
                    programme.id,
                    slot.air,
                    other,
                    replace(choices.get(other, Choice()), position=position),
                    now,
                )
            return
        changed = {
            "pin": replace(current, pinned=True, dropped=False),
            "unpin": replace(current, pinned=False),
            "drop": replace(current, dropped=True, pinned=False),
            "restore": replace(current, dropped=False),
            "extend": replace(current, extra=min(current.extra + 1, max(0, paragraphs[article_id] - 1))),
            "shorten": replace(current, extra=max(0, current.extra - 1)),
        }[action]
        set_pick(s, programme.id, slot.air, article_id, changed, now)


def build_next(services: Services, programme_id: int, *, now: datetime) -> int:
    """Build the programme's next bulletin at once (its render is queued); the run's id."""
    programme = _programme(services, programme_id)
    slot = _slot(services, programme, now)
    run_id = start_run(services, programme.id, slot.air, now=now)
    if run_id is None:
        raise Invalid("run", "the next bulletin is built already", "حُضّرت النشرة التالية من قبل.")
    return run_id


def rebuild(services: Services, programme_id: int, *, now: datetime) -> int:
    """Build the bulletin awaiting approval again with its editors' picks (before its deadline);
    the run is rendered again and waits for approval with its new episode. The run's id."""
    programme = _programme(services, programme_id)
    desk = _desk(services, programme, now)
    run = desk.run
    if run is None or not desk.editable or run.state != RunState.AWAITING:
        raise Invalid("run", "no bulletin awaits approval", "لا نشرة بانتظار الاعتماد لإعادة تحضيرها.")
    window = timedelta(hours=services.settings.article_window_hours)
    with services.db.read() as s:
        articles, lineup = chosen_with_picks(s, programme, run.air_time, now, window=window)
        stories = [story_of(a) for a in articles]
    if not stories:
        raise Invalid("run", "every story was dropped", "استُبعدت الأخبار كلها؛ أعيدوا خبرًا واحدًا على الأقل.")
    bulletin_id, chosen = _build(
        services,
        programme.name,
        programme.length_seconds,
        programme.target,
        stories,
        [a.id for a in articles],
        run.air_time,
        least=lineup.least,
        keep=lineup.keep,
    )
    # The old episode stays unpublished; only the run's state decides what airs.
    if not _move(
        services.db, run, RunState.BUILDING, now, bulletin_id=bulletin_id, episode_id=None, article_ids=chosen
    ):
        raise Invalid("run", f"run {run.id} changed meanwhile", "تغيّرت حال النشرة للتو؛ أعيدوا تحميل الصفحة.")
    _queue(services, bulletin_id)
    return run.id


def _awaiting(services: Services, run_id: int, now: datetime) -> tuple[Run, Programme]:
    with services.db.read() as s:
        run = s.get(Run, run_id)
        programme = s.get(Programme, run.programme_id) if run is not None else None
    if run is None or programme is None:
        raise Invalid("run", f"there is no run {run_id}", "النشرة غير موجودة.")
    if run.state != RunState.AWAITING:
        raise Invalid("run", f"run {run_id} is not awaiting approval", "هذه النشرة لا تنتظر الاعتماد.")
    if now > deadline_of(run, programme):
        raise Invalid("run", f"run {run_id} is past its deadline", "فات موعد الاعتماد.")
    return run, programme


def deadline_of(run: Run, programme: Programme) -> datetime:
    return _deadline(run, programme)


def approve(services: Services, run_id: int, user: User, *, now: datetime) -> None:
    """An editor approves the run's bulletin before its deadline: published and handed off now."""
    from producer.web import service

    run, programme = _awaiting(services, run_id, now)
    if run.episode_id is None:
        raise Invalid("run", f"run {run_id} has no episode", "النشرة بلا حلقة.")
    service.set_published(services.as_state(), user, run.episode_id, True)
    # This run alone moves on now (the scheduler's pass would too): published, then handed off.
    _advance(services, run, programme, now)


def skip(services: Services, run_id: int, user: User, *, now: datetime) -> None:
    """An editor skips the run's bulletin: it is not published nor aired."""
    run, _ = _awaiting(services, run_id, now)
    if not _move(services.db, run, RunState.SKIPPED, now, error=f"skipped by {user.name}"):
        raise Invalid("run", f"run {run_id} changed meanwhile", "تغيّرت حال النشرة للتو؛ أعيدوا تحميل الصفحة.")


def retry_handoff(services: Services, run_id: int, *, now: datetime) -> None:
    """Send a published run's bulletin again to the targets that failed, before its air time."""
    with services.db.read() as s:
        run = s.get(Run, run_id)
        programme = s.get(Programme, run.programme_id) if run is not None else None
    if run is None or programme is None:
        raise Invalid("run", f"there is no run {run_id}", "النشرة غير موجودة.")
    if run.state != RunState.PUBLISHED or not run.error:
        raise Invalid("run", f"run {run_id} has no failed hand-off", "لا تسليم فاشل لهذه النشرة.")
    if now >= run.air_time:
        raise Invalid("run", f"run {run_id} is past its air time", "فات موعد بث هذه النشرة.")
    # The compare-and-set keeps a scheduler pass from handing it off at the same moment.
    if not _move(services.db, run, RunState.PUBLISHED, now, error=run.error):
        raise Invalid("run", f"run {run_id} changed meanwhile", "تغيّرت حال النشرة للتو؛ أعيدوا تحميل الصفحة.")
    hand_off(services, run.id, programme, now, _automation(), force=True)


@dataclass(frozen=True)
class Estimate:
    """A script's reading time as the plan counts it, for the script editor."""

    seconds: tuple[float, ...]  # each segment's words at the station's pace
    total: float  # the whole programme: segments, jingles, stingers and pauses
    target: int | None  # the programme's length, when a run built this bulletin


def estimate_script(services: Services, bulletin_id: int, script: Script) -> Estimate:
    from producer.store.station import station_settings
    from producer.web import service

    state = services.as_state()
    with service.workdir(state) as work:
        conf = station_settings(services.settings, service.station(state), services.store, work)
        sound = furniture(conf)
    seconds = tuple(seconds_for(segment.text.split("\n"), conf.pace) for segment in script.segments)
    stories = [
        s for s, segment in zip(seconds, script.segments, strict=True) if segment.kind is SegmentKind.STORY
    ]
    total = fixed_seconds(script, sound, conf.pace) + sum(stories)
    with services.db.read() as s:
        programme_id = s.scalars(select(Run.programme_id).where(Run.bulletin_id == bulletin_id)).first()
        programme = s.get(Programme, programme_id) if programme_id is not None else None
    return Estimate(seconds, total, programme.length_seconds if programme is not None else None)
