"""The automation's tables: sources, the articles they gave, programmes, and their runs.

A run is one bulletin of a programme for one air time; (programme, air time) is unique, so
however many processes run the scheduler, each slot is claimed once (an insert that only one of
them wins). Articles are kept with their source, URL and times; `same_as` points a near-duplicate
at the article it repeats, so the same news from two sources is read once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from producer.air.dedupe import canonical_url, fingerprint, first_match
from producer.air.feeds import SourceArticle
from producer.air.picks import Choice, Lineup, line_up
from producer.errors import InputError
from producer.models import Story, Target
from producer.store.db import Base, UTCDateTime, utcnow


class SourceKind(StrEnum):
    FEED = "feed"
    PAGE = "page"


class Mode(StrEnum):
    AUTO = "auto"  # published and handed off as soon as it is built
    APPROVE = "approve"  # waits for an editor until the deadline


class RunState(StrEnum):
    BUILDING = "building"
    AWAITING = "awaiting"  # built, waiting for an editor's approval
    PUBLISHED = "published"
    HANDED_OFF = "handed_off"
    SKIPPED = "skipped"  # nothing to air, or not approved in time
    MISSED = "missed"  # its build time passed while the service was down
    LATE = "late"  # its bulletin was ready only after its air time: not handed off
    FAILED = "failed"


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(8))
    etag: Mapped[str | None] = mapped_column(String(300), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(100), nullable=True)
    fetched: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # off: the scheduler does not poll it


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    url_key: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the canonical URL
    headline: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)  # the paragraphs, one a line
    fingerprint: Mapped[str] = mapped_column(Text)
    same_as: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fetched: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Programme(Base):
    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    cron: Mapped[str] = mapped_column(String(100))
    lead_minutes: Mapped[int] = mapped_column(Integer, default=5)
    length_seconds: Mapped[int] = mapped_column(Integer)
    max_stories: Mapped[int] = mapped_column(Integer)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    mode: Mapped[str] = mapped_column(String(16), default=Mode.AUTO.value)
    approve_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    playout: Mapped[list[str]] = mapped_column(JSON, default=list)
    # What its run renders: the broadcast WAV (BWF with bext and cart) that the air targets take,
    # or the podcast MP3 for the feed alone (see check_targets).
    target: Mapped[str] = mapped_column(
        String(16), default=Target.BROADCAST.value, server_default="broadcast"
    )
    no_repeat: Mapped[int] = mapped_column(Integer, default=3)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The scheduler's last look at this programme: the slots built since then are due.
    checked: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("programme_id", "air_time", name="uq_runs_slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    air_time: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default=RunState.BUILDING.value, index=True)
    article_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    bulletin_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    episode_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    handoff: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Pick(Base):
    """An editor's choice about one story of a programme's bulletin for one air time."""

    __tablename__ = "picks"
    __table_args__ = (UniqueConstraint("programme_id", "air_time", "article_id", name="uq_picks_story"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    air_time: Mapped[datetime] = mapped_column(UTCDateTime)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)  # read whatever the fit says
    dropped: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the editor's order
    extra: Mapped[int] = mapped_column(Integer, default=0)  # paragraphs kept beyond the lead
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---- sources and their articles -----------------------------------------------------------------

# Near-duplicates are looked for among the articles of the last this many hours.
DUPLICATE_WINDOW = timedelta(hours=48)


def add_source(s: Session, name: str, url: str, kind: SourceKind) -> Source:
    if source_by_name(s, name) is not None:
        raise InputError(f"there is already a source named {name!r}")
    source = Source(name=name, url=url, kind=kind.value)
    s.add(source)
    s.flush()
    return source


def source_by_name(s: Session, name: str) -> Source | None:
    return s.scalars(select(Source).where(Source.name == name)).first()


def all_sources(s: Session) -> Sequence[Source]:
    return s.scalars(select(Source).order_by(Source.name)).all()


def url_key(url: str) -> str:
    return hashlib.sha256(canonical_url(url).encode()).hexdigest()


@dataclass(frozen=True)
class Stored:
    new: int = 0
    updated: int = 0
    duplicates: int = 0


def store_articles(s: Session, source: Source, articles: Sequence[SourceArticle], now: datetime) -> Stored:
    """Keep each article once by URL (updated when its text changed); a near-duplicate of another
    recent article is kept pointing at it, so it is never read twice."""
    new = updated = duplicates = 0
    recent = s.execute(
        select(Article.id, Article.fingerprint).where(
            Article.same_as.is_(None), Article.fetched >= now - DUPLICATE_WINDOW
        )
    ).all()
    known: list[tuple[int, str]] = [(row.id, row.fingerprint) for row in recent]
    for item in articles:
        key = url_key(item.url)
        body = "\n".join(item.story.paragraphs)
        existing = s.scalars(select(Article).where(Article.url_key == key)).first()
        if existing is not None:
            if (existing.headline, existing.body) != (item.story.headline[:500], body):
                existing.headline, existing.body = item.story.headline[:500], body
                existing.fingerprint, existing.updated = fingerprint(item.story), now
                updated += 1
            continue
        text = fingerprint(item.story)
        same_as = first_match(text, known)
        row = Article(
            source_id=source.id,
            url=item.url,
            url_key=key,
            headline=item.story.headline[:500],
            body=body,
            fingerprint=text,
            same_as=same_as,
            published=item.published,
            fetched=now,
            updated=now,
        )
        s.add(row)
        s.flush()
        if same_as is None:
            known.append((row.id, text))
            new += 1
        else:
            duplicates += 1
    return Stored(new, updated, duplicates)


def story_of(article: Article) -> Story:
    return Story(article.headline, tuple(p for p in article.body.split("\n") if p))


# ---- programmes and runs ------------------------------------------------------------------------


def add_programme(s: Session, programme: Programme) -> Programme:
    if programme_by_name(s, programme.name) is not None:
        raise InputError(f"there is already a programme named {programme.name!r}")
    missing = [name for name in programme.sources if source_by_name(s, name) is None]
    if missing:
        raise InputError(f"no source is named {', '.join(map(repr, missing))}")
    s.add(programme)
    s.flush()
    return programme


def programme_by_name(s: Session, name: str) -> Programme | None:
    return s.scalars(select(Programme).where(Programme.name == name)).first()


def all_programmes(s: Session) -> Sequence[Programme]:
    return s.scalars(select(Programme).order_by(Programme.name)).all()


def last_run(s: Session, programme: Programme) -> Run | None:
    return s.scalars(
        select(Run).where(Run.programme_id == programme.id).order_by(Run.air_time.desc())
    ).first()


_AIRED = (RunState.PUBLISHED.value, RunState.HANDED_OFF.value)


def candidate_articles(
    s: Session, programme: Programme, now: datetime, *, window: timedelta
) -> list[Article]:
    """The newest articles of the programme's sources, fetched within `window`, one per news
    item, without those read in its last `no_repeat` bulletins unless updated since."""
    ids = s.scalars(select(Source.id).where(Source.name.in_(programme.sources))).all()
    aired: dict[int, datetime] = {}
    recent_runs = s.scalars(
        select(Run)
        .where(Run.programme_id == programme.id, Run.state.in_(_AIRED))
        .order_by(Run.air_time.desc())
        .limit(programme.no_repeat)
    ).all()
    for run in recent_runs:
        for article_id in run.article_ids:
            aired.setdefault(article_id, run.created)
    candidates = s.scalars(
        select(Article)
        .where(Article.source_id.in_(ids), Article.same_as.is_(None), Article.fetched >= now - window)
        .order_by(Article.updated.desc(), Article.id.desc())
    ).all()
    return [a for a in candidates if a.id not in aired or a.updated > aired[a.id]]


def claim_run(s: Session, programme: Programme, air_time: datetime, state: RunState) -> Run | None:
    """The run of `programme` for `air_time`, created now; None if another process has it."""
    run = Run(programme_id=programme.id, air_time=air_time, state=state.value)
    try:
        with s.begin_nested():
            s.add(run)
    except IntegrityError:
        return None
    return run


# ---- editors' picks for a programme's next bulletin ------------------------------------------------


def picks_of(s: Session, programme_id: int, air_time: datetime) -> dict[int, Choice]:
    rows = s.scalars(select(Pick).where(Pick.programme_id == programme_id, Pick.air_time == air_time))
    return {p.article_id: Choice(p.pinned, p.dropped, p.position, p.extra) for p in rows}


def set_pick(
    s: Session, programme_id: int, air_time: datetime, article_id: int, choice: Choice, now: datetime
) -> None:
    row = s.scalars(
        select(Pick).where(
            Pick.programme_id == programme_id, Pick.air_time == air_time, Pick.article_id == article_id
        )
    ).first()
    if row is None:
        row = Pick(programme_id=programme_id, air_time=air_time, article_id=article_id)
        s.add(row)
    row.pinned, row.dropped, row.position, row.extra = (
        choice.pinned,
        choice.dropped,
        choice.position,
        choice.extra,
    )
    row.updated = now


def chosen_with_picks(
    s: Session, programme: Programme, air_time: datetime, now: datetime, *, window: timedelta
) -> tuple[list[Article], Lineup]:
    """The articles the bulletin of `air_time` reads, in order, as its editors picked them."""
    candidates = candidate_articles(s, programme, now, window=window)
    by_id = {a.id: a for a in candidates}
    lineup = line_up(
        [a.id for a in candidates],
        {a.id: len(story_of(a).paragraphs) for a in candidates},
        picks_of(s, programme.id, air_time),
        programme.max_stories,
    )
    return [by_id[i] for i in lineup.chosen], lineup
