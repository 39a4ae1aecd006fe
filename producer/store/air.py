"""The automation's tables: sources, the articles they gave, programmes, and their runs.

A run is one bulletin of a programme for one air time; (programme, air time) is unique, so
however many processes run the scheduler, each slot is claimed once (an insert that only one of
them wins). Articles are kept with their source, URL and times; `same_as` points a near-duplicate
at the article it repeats, so the same news from two sources is read once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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
    no_repeat: Mapped[int] = mapped_column(Integer, default=3)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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
