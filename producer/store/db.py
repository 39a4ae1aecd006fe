"""The newsroom's database: users, bulletins, render jobs, episodes, station settings, audit log.

SQLAlchemy 2.0 over SQLite by default (one file, WAL mode so readers never wait for the writer)
or PostgreSQL by URL. Reads and writes go through `Database.read()` / `Database.write()`; on
SQLite a write transaction starts with BEGIN IMMEDIATE, so two writers queue on the busy timeout
instead of failing when one upgrades a read lock. PostgreSQL writers run side by side: what must
stay whole is kept so by the schema and single statements (a unique index allows one active job
per bulletin, jobs are claimed with SELECT … FOR UPDATE SKIP LOCKED and fenced by conditional
UPDATEs, station values are upserts); only migrations take an advisory lock, to run one at a time.
"""

from __future__ import annotations

import itertools
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    create_engine,
    delete,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from producer.models import Target
from producer.settings import DATABASE_FILE

FEED_CHANGED = "feed_changed"
SQLITE_POOL = 40
_WAL_ATTEMPTS = 200  # about 12 s of retries
# The advisory lock migrations take on PostgreSQL; any key does, such locks are per database.
MIGRATE_LOCK = 0x70726F64


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATES = (JobState.QUEUED.value, JobState.RUNNING.value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (SQLite keeps no zone), always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LoginFailure(Base):
    """Failed logins of one (client address, account) pair or of one address, shared by every web
    process. The key is a digest of the length-limited pair, so a row's size never depends on
    what a client typed."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class LoginSession(Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    expires: Mapped[datetime] = mapped_column(UTCDateTime)


class Bulletin(Base):
    __tablename__ = "bulletins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    target: Mapped[str] = mapped_column(String(16), default=Target.PODCAST.value)
    engine: Mapped[str | None] = mapped_column(String(32), nullable=True)
    voice: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The articles as typed or uploaded, kept so a draft is never lost; `script` is None until composed.
    articles: Mapped[list[str]] = mapped_column(JSON, default=list)
    script: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    author: Mapped[str] = mapped_column(String(64), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED.value, index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(64), default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    episode_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # What to render, frozen when the job was queued: later edits never change a running render.
    script: Mapped[dict[str, Any]] = mapped_column(JSON)
    engine: Mapped[str | None] = mapped_column(String(32), nullable=True)
    voice: Mapped[str | None] = mapped_column(String(200), nullable=True)
    target: Mapped[str] = mapped_column(String(16), default=Target.PODCAST.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    author: Mapped[str] = mapped_column(String(64), default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The lease of the running attempt, by the database's clock; `attempts` is its fencing token.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    # The outbox mark: when a queue message was last sent for this row (None = never, or lost).
    enqueued: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Fairness: jobs are taken in order of `due` = created + a delay growing with the script's size.
    due: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    # The store prefix the running attempt uploads under, so a failed attempt's objects are deleted.
    output: Mapped[str | None] = mapped_column(String(500), nullable=True)

    __table_args__ = (
        # One queued or running render per bulletin, kept by the database itself (double clicks,
        # two editors, two web servers at once).
        Index(
            "uq_jobs_active_bulletin",
            "bulletin_id",
            unique=True,
            sqlite_where=text("state IN ('queued', 'running')"),
            postgresql_where=text("state IN ('queued', 'running')"),
        ),
    )


class Episode(Base):
    """A bulletin's published form; it exists only once all its files are stored.

    `guid` never changes; each render gets a new `revision`, which is part of the media keys,
    so podcast apps see a new enclosure URL after a re-render.
    """

    __tablename__ = "episodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guid: Mapped[str] = mapped_column(String(64), unique=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[str] = mapped_column(String(32))
    audio_key: Mapped[str] = mapped_column(String(500))
    audio_type: Mapped[str] = mapped_column(String(64))
    audio_bytes: Mapped[int] = mapped_column(BigInteger)
    transcript_key: Mapped[str] = mapped_column(String(500))
    subtitles_key: Mapped[str | None] = mapped_column(String(500), nullable=True)
    chapters_key: Mapped[str] = mapped_column(String(500))
    duration: Mapped[float] = mapped_column(Float)
    chapters: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    cues: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rendered: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


def episode_media(guid: str, revision: str | None = None) -> str:
    """The store prefix of an episode's files: all its revisions, or one of them."""
    return f"episodes/{guid}" if revision is None else f"episodes/{guid}/{revision}"


class StationValue(Base):
    """One station setting (key → JSON value) edited on the settings page."""

    __tablename__ = "station"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Secret(Base):
    """A key the servers share (the form-signing key), generated once by whichever starts first."""

    __tablename__ = "secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Database:
    """An engine plus read and write session factories; build one per process from a URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _engine(url, immediate=False)
        # SQLite: a second engine whose transactions take the write lock up front.
        self.write_engine = _engine(url, immediate=True) if self.is_sqlite else self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        self.is_postgresql = self.engine.dialect.name == "postgresql"

    def migrate(self) -> None:
        """Upgrade the schema to this release's newest revision (see producer/store/migrations).

        A fresh database gets every revision; one made by create_all before there were migrations
        is first stamped at the baseline revision, its rows kept. In a write transaction, so
        processes starting together (serve and its workers) migrate one after the other and the
        later ones find nothing left to do: PostgreSQL's advisory lock, or on SQLite BEGIN
        IMMEDIATE, orders them, and the DDL commits with the revision stamp or not at all.
        """
        # Alembic loads only here: the render processes import this module but never migrate.
        from producer.store import migrations

        with self.write() as session:
            if self.is_postgresql:
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK})
            migrations.upgrade(session.connection())

    def revision(self) -> str | None:
        """The schema's revision; None on an empty database or one made before migrations."""
        from producer.store import migrations

        with self.read() as session:
            return migrations.current(session.connection())

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._write() as session, session.begin():
            yield session

    def now(self, s: Session) -> datetime:
        """The database's clock: leases are timed by it, never by the clocks of worker machines.
        SQLite lives on one machine, whose clock is the database's."""
        if self.is_postgresql:
            return s.scalar(select(func.now())).astimezone(UTC)  # type: ignore[union-attr]
        return utcnow()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


def database_url(data_dir: Path, url: str | None) -> str:
    return url or f"sqlite:///{data_dir / DATABASE_FILE}"


def _engine(url: str, *, immediate: bool) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    # As many pooled connections as the web server has worker threads (AnyIO's 40), so a busy
    # server reuses them instead of opening, configuring and closing one per request.
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=SQLITE_POOL,
        max_overflow=SQLITE_POOL,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own transaction handling is turned off so BEGIN is ours (SQLAlchemy recipe).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        _wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _wal(cursor: Any) -> None:
    """Switch the file to WAL (once for all: the mode is stored in it), riding out the others.

    Connections converting a fresh file at once can each hold the lock another waits for, and
    SQLite then answers "database is locked" at once instead of waiting on the busy timeout.
    """
    for attempt in itertools.count():
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt >= _WAL_ATTEMPTS:
                raise
            time.sleep(0.02 * (1 + attempt % 5))


def storable(key: str) -> bool:
    """Whether a looked-up text can be in a row at all: PostgreSQL refuses a query whose text
    holds NUL (a 500 where SQLite answered "not found"), and no stored name or id has one."""
    return "\x00" not in key


# ---- users, sessions, tokens ------------------------------------------------------------------


def user_by_name(s: Session, name: str) -> User | None:
    if not storable(name):
        return None
    return s.scalar(select(User).where(User.name == name))


def list_users(s: Session) -> Sequence[User]:
    return s.scalars(select(User).order_by(User.name)).all()


def add_session(s: Session, user: User, digest: str, csrf: str, expires: datetime) -> LoginSession:
    row = LoginSession(digest=digest, user_id=user.id, csrf=csrf, expires=expires)
    s.add(row)
    return row


def session_by_digest(s: Session, digest: str) -> tuple[LoginSession, User] | None:
    row = s.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.digest == digest)
    ).first()
    return None if row is None else (row[0], row[1])


def drop_session(s: Session, digest: str) -> None:
    s.execute(delete(LoginSession).where(LoginSession.digest == digest))


def drop_expired_sessions(s: Session, now: datetime) -> None:
    s.execute(delete(LoginSession).where(LoginSession.expires < now))


def drop_user_sessions(s: Session, user_id: int) -> None:
    s.execute(delete(LoginSession).where(LoginSession.user_id == user_id))


def user_by_token(s: Session, digest: str) -> User | None:
    return s.scalar(select(User).join(ApiToken, ApiToken.user_id == User.id).where(ApiToken.digest == digest))


def token_by_digest(s: Session, digest: str) -> tuple[ApiToken, User] | None:
    row = s.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.digest == digest)
    ).first()
    return None if row is None else (row[0], row[1])


def list_tokens(s: Session) -> Sequence[tuple[ApiToken, User]]:
    rows = s.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id))
    return [(row[0], row[1]) for row in rows]


def drop_token(s: Session, token_id: int) -> bool:
    return bool(s.execute(delete(ApiToken).where(ApiToken.id == token_id)).rowcount)  # type: ignore[attr-defined]


def drop_user_tokens(s: Session, user_id: int) -> None:
    s.execute(delete(ApiToken).where(ApiToken.user_id == user_id))


# ---- login throttle ---------------------------------------------------------------------------


def login_failures(s: Session, keys: Sequence[str]) -> Sequence[LoginFailure]:
    return s.scalars(select(LoginFailure).where(LoginFailure.key.in_(keys))).all()


def count_login_failure(s: Session, key: str, now: datetime) -> int:
    """One more failure under the key (the caller holds the write lock); the count so far."""
    row = s.get(LoginFailure, key)
    if row is None:
        row = LoginFailure(key=key, failures=0)
        s.add(row)
    row.failures, row.last = row.failures + 1, now
    return row.failures


def block_login(s: Session, key: str, until: datetime) -> None:
    row = s.get(LoginFailure, key)
    if row is not None:
        row.blocked_until = until


def drop_login_failures(s: Session, keys: Sequence[str]) -> None:
    s.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))


def forget_login_failures(s: Session, before: datetime, now: datetime, max_rows: int) -> None:
    """Drop entries idle since `before` whose wait is over, then the oldest beyond `max_rows`."""
    s.flush()
    s.execute(
        delete(LoginFailure).where(
            LoginFailure.last < before,
            (LoginFailure.blocked_until.is_(None)) | (LoginFailure.blocked_until < now),
        )
    )
    extra = (s.scalar(select(func.count()).select_from(LoginFailure)) or 0) - max_rows
    if extra > 0:
        oldest = select(LoginFailure.key).order_by(LoginFailure.last).limit(extra).scalar_subquery()
        s.execute(delete(LoginFailure).where(LoginFailure.key.in_(oldest)))


# ---- bulletins ---------------------------------------------------------------------------------


def recent_bulletins(s: Session, limit: int = 50) -> Sequence[Bulletin]:
    return s.scalars(
        select(Bulletin).order_by(Bulletin.updated.desc(), Bulletin.id.desc()).limit(limit)
    ).all()


def episode_of(s: Session, bulletin_id: int) -> Episode | None:
    return s.scalar(select(Episode).where(Episode.bulletin_id == bulletin_id))


# ---- jobs -------------------------------------------------------------------------------------


def active_job(s: Session, bulletin_id: int) -> Job | None:
    return s.scalar(
        select(Job)
        .where(Job.bulletin_id == bulletin_id, Job.state.in_(ACTIVE_STATES))
        .order_by(Job.created.desc())
    )


def latest_job(s: Session, bulletin_id: int) -> Job | None:
    return s.scalar(select(Job).where(Job.bulletin_id == bulletin_id).order_by(Job.created.desc()).limit(1))


def jobs_by_state(s: Session) -> dict[str, int]:
    rows = s.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    return {state.value: 0 for state in JobState} | {str(state): int(n) for state, n in rows}


# ---- episodes and the feed ---------------------------------------------------------------------


def published_episodes(s: Session, limit: int = 300) -> Sequence[Episode]:
    return s.scalars(
        select(Episode)
        .where(Episode.published.is_(True))
        .order_by(Episode.published_at.desc(), Episode.id.desc())
        .limit(limit)
    ).all()


def episode_by_guid(s: Session, guid: str) -> Episode | None:
    return s.scalar(select(Episode).where(Episode.guid == guid))


def feed_changed(s: Session) -> datetime | None:
    """When anything the feed shows last changed (publish, unpublish, re-render, station settings)."""
    row = s.get(StationValue, FEED_CHANGED)
    return None if row is None else row.updated


def touch_feed(s: Session, now: datetime | None = None) -> None:
    stamp = now or utcnow()
    _upsert_station(s, FEED_CHANGED, stamp.isoformat(), stamp)
    event.listen(s, "after_commit", _feed_committed, once=True)


# This process's commits that changed the feed: the web server answers the feed from memory while
# the number it rendered at is still current (writers in other processes: see web.feedcache).
_feed_commits = itertools.count(1)
_feed_generation = 0


def feed_generation() -> int:
    return _feed_generation


def _feed_committed(_session: Session) -> None:
    global _feed_generation
    # Values are unique (count is atomic), so any commit after a reader took the number changes it.
    _feed_generation = next(_feed_commits)


def _upsert_station(s: Session, key: str, value: Any, stamp: datetime) -> None:
    """One statement, so two first saves at once cannot both insert (no lock needed)."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(StationValue).values(key=key, value=value, updated=stamp)
    s.execute(
        statement.on_conflict_do_update(
            index_elements=[StationValue.key],
            set_={"value": statement.excluded.value, "updated": statement.excluded.updated},
        )
    )
    # Rows of this session already loaded must show the new value.
    row = s.identity_map.get(s.identity_key(StationValue, key))  # type: ignore[arg-type]
    if row is not None:
        s.expire(row)


# ---- station settings and audit -------------------------------------------------------------------


def station_values(s: Session) -> dict[str, Any]:
    return {row.key: row.value for row in s.scalars(select(StationValue))}


def set_station_values(s: Session, values: dict[str, Any], now: datetime | None = None) -> None:
    """Store changed settings and mark the feed changed (its channel shows several of them)."""
    stamp = now or utcnow()
    for key, value in values.items():
        _upsert_station(s, key, value, stamp)
    touch_feed(s, stamp)


def shared_secret(s: Session, name: str, fresh: str) -> str:
    """The stored secret `name`; `fresh` is stored first when there is none. One statement, so
    servers starting together agree on one value."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    s.execute(
        insert(Secret)
        .values(name=name, value=fresh, created=utcnow())
        .on_conflict_do_nothing(index_elements=[Secret.name])
    )
    return str(s.scalar(select(Secret.value).where(Secret.name == name)))


def rotate_secret(s: Session, name: str, fresh: str) -> None:
    s.execute(delete(Secret).where(Secret.name == name))
    s.add(Secret(name=name, value=fresh, created=utcnow()))


def audit(s: Session, user: str, action: str, subject: str = "", **detail: Any) -> None:
    s.add(AuditEntry(user=user, action=action, subject=subject, detail=detail))


def audit_log(s: Session, limit: int = 100) -> Sequence[AuditEntry]:
    return s.scalars(
        select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    ).all()
