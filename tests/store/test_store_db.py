"""The database layer on both of its backends: a SQLite file and a real PostgreSQL server.

Each test gets a fresh, empty database (the `database_url` fixture), writes through `Database`
and reads back through a second `Database` on the same URL, so nothing comes from the first
one's sessions or connections.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from producer import auth
from producer.store import db
from producer.store.db import (
    ApiToken,
    Bulletin,
    Database,
    Episode,
    Job,
    LoginSession,
    User,
)
from tests.backends import run_together

ARTICLE = 'قال "المتحدث" إنّ 5 غارات استهدفت المدينة… 🙂\nوأضاف: «لا تعليق».'
SCRIPT = {"title": "نشرة الظهيرة", "headlines": ["عنوان أول"], "segments": [{"kind": "story", "text": "خبر"}]}
NOON = datetime(2024, 5, 3, 9, 30, 15, 123456, tzinfo=UTC)
DAMASCUS = timezone(timedelta(hours=3))


@pytest.fixture
def reopened(database: Database) -> Iterator[Database]:
    """The same database opened again, as another process would."""
    other = Database(database.url)
    yield other
    other.dispose()


def add_bulletin(database: Database, title: str = "نشرة", updated: datetime = NOON) -> int:
    with database.write() as s:
        bulletin = Bulletin(title=title, articles=[ARTICLE], script=SCRIPT, author="sara", updated=updated)
        s.add(bulletin)
        s.flush()
        return bulletin.id


def add_job(database: Database, bulletin_id: int, job_id: str, state: str, created: datetime) -> None:
    with database.write() as s:
        s.add(Job(id=job_id, bulletin_id=bulletin_id, script=SCRIPT, state=state, created=created))


def add_episode(database: Database, bulletin_id: int, guid: str, published_at: datetime | None) -> int:
    with database.write() as s:
        episode = Episode(
            guid=guid,
            bulletin_id=bulletin_id,
            title="حلقة",
            revision="r1",
            audio_key=f"episodes/{guid}/r1/a.mp3",
            audio_type="audio/mpeg",
            audio_bytes=123_456,
            transcript_key=f"episodes/{guid}/r1/a.vtt",
            chapters_key=f"episodes/{guid}/r1/a.chapters.json",
            duration=95.25,
            chapters=[{"title": "العناوين", "start": 0.0, "end": 12.5}],
            published=published_at is not None,
            published_at=published_at,
        )
        s.add(episode)
        s.flush()
        return episode.id


def test_rows_read_back_exactly(database: Database, reopened: Database) -> None:
    bulletin_id = add_bulletin(database, title="نشرة «المساء»", updated=NOON.astimezone(DAMASCUS))
    add_job(database, bulletin_id, "a" * 32, "queued", NOON)
    episode_id = add_episode(database, bulletin_id, "g1", NOON)
    with database.write() as s:
        db.set_station_values(s, {"station_name": "راديو ألوان", "templates": {"ident": "هنا {{ station }}"}})
    with reopened.read() as s:
        bulletin = s.get(Bulletin, bulletin_id)
        job = s.get(Job, "a" * 32)
        episode = s.get(Episode, episode_id)
        values = db.station_values(s)
    assert bulletin is not None and job is not None and episode is not None
    assert (bulletin.title, bulletin.articles, bulletin.script) == ("نشرة «المساء»", [ARTICLE], SCRIPT)
    # Stored as UTC, read back as the same instant, timezone-aware, to the microsecond.
    assert bulletin.updated == NOON and bulletin.updated.tzinfo == UTC
    assert job.created == NOON and job.state == "queued" and job.script == SCRIPT
    assert episode.chapters == [{"title": "العناوين", "start": 0.0, "end": 12.5}]
    assert (episode.published, episode.duration, episode.audio_bytes) == (True, 95.25, 123_456)
    assert values["station_name"] == "راديو ألوان"
    assert values["templates"] == {"ident": "هنا {{ station }}"}
    assert values[db.FEED_CHANGED] is not None  # station settings show in the feed's channel


def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"), database.write() as s:
        s.add(Bulletin(title="x", articles=[], updated=datetime(2024, 5, 3, 9, 0)))
    with database.read() as s:
        assert s.scalar(select(func.count()).select_from(Bulletin)) == 0


def test_queries_select_and_order(database: Database, reopened: Database) -> None:
    old = add_bulletin(database, "قديمة", NOON - timedelta(hours=2))
    new = add_bulletin(database, "جديدة", NOON)
    add_job(database, old, "old-done", "done", NOON - timedelta(minutes=10))
    add_job(database, old, "old-running", "running", NOON - timedelta(minutes=5))
    add_job(database, new, "new-failed", "failed", NOON)
    first = add_episode(database, old, "g-old", NOON - timedelta(days=1))
    second = add_episode(database, new, "g-new", NOON)
    with reopened.read() as s:
        assert [b.title for b in db.recent_bulletins(s)] == ["جديدة", "قديمة"]
        assert [b.title for b in db.recent_bulletins(s, limit=1)] == ["جديدة"]
        active = db.active_job(s, old)
        assert active is not None and active.id == "old-running"
        assert db.active_job(s, new) is None
        latest = db.latest_job(s, new)
        assert latest is not None and latest.id == "new-failed"
        by_state = db.jobs_by_state(s)
        assert by_state == {"queued": 0, "running": 1, "done": 1, "failed": 1, "cancelled": 0}
        assert [e.id for e in db.published_episodes(s)] == [second, first]
        found = db.episode_by_guid(s, "g-old")
        assert found is not None and found.id == first
        of_new = db.episode_of(s, new)
        assert of_new is not None and of_new.guid == "g-new"
    with database.write() as s:
        unpublished = s.get(Episode, second)
        assert unpublished is not None
        unpublished.published = False
    with reopened.read() as s:
        assert [e.id for e in db.published_episodes(s)] == [first]


def test_feed_stamp_and_audit_trail(database: Database, reopened: Database) -> None:
    with reopened.read() as s:
        assert db.feed_changed(s) is None
    for minute, action in ((0, "publish"), (1, "unpublish"), (2, "settings.lexicon")):
        with database.write() as s:
            db.touch_feed(s, NOON + timedelta(minutes=minute))
            db.audit(s, "sara", action, "episode 1", title="نشرة")
    with reopened.read() as s:
        assert db.feed_changed(s) == NOON + timedelta(minutes=2)
        trail = db.audit_log(s)
    assert [(a.user, a.action, a.detail) for a in trail] == [
        ("sara", "settings.lexicon", {"title": "نشرة"}),
        ("sara", "unpublish", {"title": "نشرة"}),
        ("sara", "publish", {"title": "نشرة"}),
    ]


def test_accounts_sessions_and_tokens(database: Database, reopened: Database) -> None:
    now = datetime.now(UTC)
    with database.write() as s:
        user = auth.add_user(s, "نور", "editor", "a-long-password")
        token = auth.create_token(s, "نور")
        live = auth.start_session(s, user, 12.0, now)
        stale = auth.start_session(s, user, 1.0, now - timedelta(hours=2))
    with reopened.read() as s:
        found = auth.authenticate(s, "نور", "a-long-password")
        assert found is not None and found.password_hash.startswith("$argon2")
        assert auth.authenticate(s, "نور", "wrong-password") is None
        assert auth.authenticate(s, "نو", "a-long-password") is None
        by_token = auth.token_user(s, token)
        assert by_token is not None and by_token.name == "نور"
        assert auth.token_user(s, token + "x") is None
        session = auth.session_user(s, live.token, now)
        assert session is not None and session[1].csrf == live.csrf
        assert auth.session_user(s, stale.token, now) is None  # expired an hour ago
        assert not auth.admin_is_safe(s)  # no admin at all
    with database.write() as s:
        db.drop_expired_sessions(s, now)
        s.add(User(name="boss", role="admin", password_hash=auth.hash_password("changeme")))
    with reopened.read() as s:
        assert s.scalars(select(LoginSession.csrf)).all() == [live.csrf]
        assert not auth.admin_is_safe(s)  # only a well-known password
    with database.write() as s:
        auth.ensure_admin(s, "a-strong-admin-password")
    with reopened.read() as s:
        assert auth.admin_is_safe(s)


def test_constraints_hold(database: Database) -> None:
    with database.write() as s:
        auth.add_user(s, "sara", "editor", "a-long-password")
    with pytest.raises(IntegrityError), database.write() as s:
        s.add(User(name="sara", role="viewer", password_hash="x"))
    with pytest.raises(IntegrityError), database.write() as s:  # no such bulletin
        s.add(Job(id="orphan", bulletin_id=999_999, script=SCRIPT))
    bulletin_id = add_bulletin(database)
    add_job(database, bulletin_id, "j1", "done", NOON)
    add_episode(database, bulletin_id, "g1", None)
    with pytest.raises(IntegrityError):  # one episode per bulletin
        add_episode(database, bulletin_id, "g2", None)
    # Deleting a bulletin or a user takes what hangs off it along.
    with database.write() as s:
        user = db.user_by_name(s, "sara")
        assert user is not None
        auth.create_token(s, "sara")
        auth.start_session(s, user, 1.0, datetime.now(UTC))
    with database.write() as s:
        s.execute(delete(Bulletin))
        s.execute(delete(User))
    with database.read() as s:
        for model in (Job, Episode, ApiToken, LoginSession):
            assert s.scalar(select(func.count()).select_from(model)) == 0, model.__name__


def test_first_saves_of_station_values_at_once_all_succeed(database: Database) -> None:
    """Station values are upserts: racing first inserts of one key neither fail nor lose the row."""
    threads, rounds = 6, 10

    def save(n: int) -> None:
        for r in range(rounds):
            with database.write() as s:
                db.set_station_values(s, {"name": f"{n}-{r}", f"own-{n}": r})

    run_together([lambda n=n: save(n) for n in range(threads)])  # type: ignore[misc]
    with database.read() as s:
        values = db.station_values(s)
    assert values["name"].endswith(f"-{rounds - 1}")
    assert {values[f"own-{n}"] for n in range(threads)} == {rounds - 1}
    assert db.FEED_CHANGED in values


def test_postgresql_writers_of_different_rows_do_not_wait_for_each_other(database: Database) -> None:
    """No global write lock: a heartbeat commits while another transaction (a login's slow
    password hash) is still open. SQLite keeps its single writer."""
    if not database.is_postgresql:
        pytest.skip("SQLite has one writer by design")
    job_bulletin = add_bulletin(database)
    add_job(database, job_bulletin, "beating", "running", NOON)
    holding, released = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with database.write() as s:
            db.set_station_values(s, {"name": "slow"})
            holding.set()
            released.wait(60)

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        assert holding.wait(60)
        with database.write() as s:
            job = s.get(Job, "beating")
            assert job is not None
            job.heartbeat = database.now(s)
        with reopened_read(database) as s:
            job = s.get(Job, "beating")
            assert job is not None and job.heartbeat is not None
            assert db.station_values(s).get("name") is None  # the slow one has not committed yet
    finally:
        released.set()
        thread.join()


@contextmanager
def reopened_read(database: Database) -> Iterator[Session]:
    other = Database(database.url)
    try:
        with other.read() as s:
            yield s
    finally:
        other.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'p.db'}")
    database.migrate()
    with database.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    database.dispose()
