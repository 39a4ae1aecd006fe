"""Programmes that run themselves: slots claimed once, bulletins built from the sources, rendered
by the real engine, published into the feed and handed to a watch folder; missed slots, the
approval deadline and stories not repeated, with the clock injected."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from conftest import Site
from fastapi.testclient import TestClient
from mutagen import File as MutagenFile
from sqlalchemy import select

from producer.air.poll import poll
from producer.air.runs import Services, advance_runs, schedule_tick, start_run
from producer.air.scheduler import Scheduler
from producer.jobs import JobQueue
from producer.settings import Settings, load_settings
from producer.store.air import (
    Article,
    Mode,
    Programme,
    Run,
    RunState,
    Source,
    SourceKind,
    add_programme,
    add_source,
)
from producer.store.db import Bulletin, Database, Episode, User, database_url
from producer.store.files import open_store
from producer.web import service
from producer.web.app import create_app

WATER = "عودة المياه إلى 12 حيا في مدينة حلب"
SCHOOLS = "افتتاح ثلاث مدارس جديدة في ريف إدلب"
# The tests' clock starts at a build minute (:55) of the hourly cron below, a day ahead, so an
# editor's publish (stamped by the wall clock) comes before the approval deadline.
T0 = (datetime.now(UTC) + timedelta(days=1)).replace(minute=55, second=0, microsecond=0)


def _services(settings: Settings) -> Services:
    database = Database(database_url(settings.data_dir, settings.database_url))
    store = open_store(settings)
    return Services(settings, database, store, JobQueue(settings, database, store))


@pytest.fixture
def station(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: Site) -> Services:
    """A station whose source (the Alwan feed) was polled at T0 - 10 minutes."""
    monkeypatch.setenv("PRODUCER_DATA_DIR", str(tmp_path / "data"))
    settings = load_settings()
    settings.data_dir.mkdir(parents=True)
    services = _services(settings)
    services.db.migrate()
    with services.db.write() as s:
        source = add_source(s, "ألوان", site.url("/feed.xml"), SourceKind.FEED)
        source_id = source.id
    assert poll(services.db, source_id, now=T0 - timedelta(minutes=10)).stored.new == 2
    return services


def _programme(services: Services, **values: object) -> int:
    fields: dict[str, object] = {
        "name": "نشرة الساعة",
        "cron": "55 * * * *",
        "lead_minutes": 5,
        "length_seconds": 60,
        "max_stories": 2,
        "sources": ["ألوان"],
        "mode": Mode.AUTO.value,
        "playout": [],
        "no_repeat": 3,
        "created": T0 - timedelta(hours=1),
    } | values
    with services.db.write() as s:
        return add_programme(s, Programme(**fields)).id


def _runs(services: Services) -> list[Run]:
    with services.db.read() as s:
        return list(s.scalars(select(Run).order_by(Run.air_time)))


def _render(services: Services) -> None:
    """Run the queued render in this process, as `producer programme run` does."""
    assert services.queue.work_once()


def test_programme_run_now_renders_publishes_and_hands_off_to_a_watch_folder(
    site: Site, tmp_path: Path
) -> None:
    env = {**os.environ, "PRODUCER_DATA_DIR": str(tmp_path / "data")}

    def producer(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "producer", *args], capture_output=True, text=True, env=env, timeout=600
        )

    playout = tmp_path / "playout"
    assert producer("source", "add", site.url("/feed.xml"), "--name", "ألوان").returncode == 0
    assert producer("source", "fetch").returncode == 0
    added = producer(
        "programme", "add", "نشرة الساعة", "--cron", "55 * * * *", "--length", "1:00",
        "--sources", "ألوان", "--auto", "--playout", f"dir:{playout}",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr

    ran = producer("programme", "run", "نشرة الساعة", "--now")
    assert ran.returncode == 0, ran.stderr
    audio = Path(ran.stdout.strip())
    (delivered,) = playout.iterdir()  # the file alone: no temporary name left behind
    assert not delivered.name.startswith(".")
    assert delivered.read_bytes() == audio.read_bytes()
    assert MutagenFile(delivered).info.length > 5  # type: ignore[union-attr]

    settings = Settings(data_dir=tmp_path / "data")
    database = Database(database_url(settings.data_dir, None))
    with database.read() as s:
        (run,) = s.scalars(select(Run)).all()
        episode = s.get(Episode, run.episode_id)
        bulletin = s.get(Bulletin, run.bulletin_id)
    assert run.state == RunState.HANDED_OFF and run.error is None
    assert run.handoff[f"dir:{playout}"]["receipt"] == str(delivered)
    assert episode is not None and episode.published and bulletin is not None
    assert bulletin.script is not None
    # One minute holds one of the feed's two stories, with its lead at least.
    assert bulletin.script["headlines"] in ([WATER], [SCHOOLS]) and len(run.article_ids) == 1

    feed = feedparser.parse(TestClient(create_app(settings)).get("/feed.xml").content)
    (entry,) = feed.entries
    assert entry.title == episode.title and entry.title.startswith("نشرة الساعة ")
    assert entry.enclosures[0]["length"] == str(audio.stat().st_size)

    listed = producer("programme", "list").stdout
    assert "last: handed_off" in listed


def test_two_processes_ticking_the_same_slot_make_one_run(station: Services) -> None:
    _programme(station)
    with station.db.write() as s:
        s.execute(Programme.__table__.update().values(checked=T0 - timedelta(minutes=1)))
    others = [_services(station.settings) for _ in range(2)]
    barrier = threading.Barrier(len(others))
    started: list[list[int]] = []

    def tick(services: Services) -> None:
        barrier.wait()
        started.append(schedule_tick(services, now=T0 + timedelta(seconds=5)))

    threads = [threading.Thread(target=tick, args=(services,)) for services in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(ids) for ids in started) == [0, 1]
    (run,) = _runs(station)
    assert run.state == RunState.BUILDING and run.bulletin_id is not None
    assert run.air_time == T0 + timedelta(minutes=5)
    # The slot itself is claimed once even when both reach start_run.
    assert start_run(station, run.programme_id, run.air_time, now=T0) is None
    assert len(_runs(station)) == 1


def test_slots_missed_while_the_service_was_down_are_recorded_never_aired_late(station: Services) -> None:
    _programme(station)
    with station.db.write() as s:
        s.execute(Programme.__table__.update().values(checked=T0 - timedelta(minutes=5)))
    # Down from 08:50 to 10:57: the 08:55 and 09:55 builds fell and their air times passed; the
    # 10:55 build fell too, but its air time (11:00) is still ahead, so it is built now.
    now = T0 + timedelta(hours=2, minutes=2)
    schedule_tick(station, now=now)
    runs = _runs(station)
    assert [(r.air_time, r.state) for r in runs] == [
        (T0 + timedelta(minutes=5), RunState.MISSED),
        (T0 + timedelta(hours=1, minutes=5), RunState.MISSED),
        (T0 + timedelta(hours=2, minutes=5), RunState.BUILDING),
    ]
    assert runs[0].error == "the service was down at its build time"
    assert schedule_tick(station, now=now + timedelta(seconds=15)) == []
    assert len(_runs(station)) == 3


def test_approve_mode_waits_for_an_editor_then_skips_after_the_deadline(station: Services) -> None:
    programme_id = _programme(station, mode=Mode.APPROVE.value, approve_minutes=2)
    air = T0 + timedelta(minutes=5)
    run_id = start_run(station, programme_id, air, now=T0)
    assert run_id is not None
    _render(station)
    assert advance_runs(station, now=T0 + timedelta(minutes=1)) == [run_id]
    (run,) = _runs(station)
    assert run.state == RunState.AWAITING and run.episode_id is not None
    assert advance_runs(station, now=T0 + timedelta(minutes=2)) == []  # deadline 08:58 not yet passed
    assert advance_runs(station, now=T0 + timedelta(minutes=3, seconds=1)) == [run_id]
    (run,) = _runs(station)
    assert (run.state, run.error) == (RunState.SKIPPED, "not approved in time")
    with station.db.read() as s:
        episode = s.get(Episode, run.episode_id)
    assert episode is not None and not episode.published


def test_an_approved_run_is_handed_off(station: Services, tmp_path: Path) -> None:
    playout = tmp_path / "playout"
    programme_id = _programme(station, mode=Mode.APPROVE.value, approve_minutes=2, playout=[f"dir:{playout}"])
    run_id = start_run(station, programme_id, T0 + timedelta(minutes=5), now=T0)
    _render(station)
    advance_runs(station, now=T0 + timedelta(minutes=1))
    (run,) = _runs(station)
    assert run.state == RunState.AWAITING and not playout.exists()
    assert run.episode_id is not None
    service.set_published(station.as_state(), User(name="editor", role="editor"), run.episode_id, True)
    assert advance_runs(station, now=T0 + timedelta(minutes=2)) == [run_id]
    (run,) = _runs(station)
    assert run.state == RunState.HANDED_OFF
    (delivered,) = playout.iterdir()
    assert run.handoff[f"dir:{playout}"]["receipt"] == str(delivered)


def test_a_failed_target_is_retried_until_air_time(station: Services, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    programme_id = _programme(station, playout=[f"dir:{blocker}"])
    run_id = start_run(station, programme_id, T0 + timedelta(minutes=5), now=T0)
    _render(station)
    assert advance_runs(station, now=T0 + timedelta(minutes=1)) == [run_id]
    (run,) = _runs(station)
    assert run.state == RunState.PUBLISHED and "cannot be written" in (run.error or "")
    blocker.unlink()
    assert advance_runs(station, now=T0 + timedelta(minutes=2)) == [run_id]
    (run,) = _runs(station)
    assert run.state == RunState.HANDED_OFF and run.error is None
    assert len(list(blocker.iterdir())) == 1


def test_a_story_aired_recently_is_not_chosen_again_unless_updated(station: Services, site: Site) -> None:
    programme_id = _programme(station, max_stories=1)
    with station.db.read() as s:
        ids = {a.headline: a.id for a in s.scalars(select(Article))}
    with station.db.write() as s:
        s.add(
            Run(
                programme_id=programme_id,
                air_time=T0 - timedelta(minutes=5),
                state=RunState.HANDED_OFF.value,
                article_ids=[ids[WATER], ids[SCHOOLS]],
                created=T0 - timedelta(minutes=5),
                updated=T0 - timedelta(minutes=5),
            )
        )
    skipped = start_run(station, programme_id, T0 + timedelta(minutes=5), now=T0)
    (_, run) = _runs(station)
    assert run.id == skipped and (run.state, run.error) == (
        RunState.SKIPPED,
        "no new articles in its sources",
    )

    kind, body = site.pages["/feed.xml"]
    site.pages["/feed.xml"] = (kind, body.replace("عاد إلى 12 حيا".encode(), "عاد إلى 15 حيا".encode()))
    with station.db.read() as s:
        source_id = s.scalars(select(Source.id)).one()
    assert poll(station.db, source_id, now=T0 + timedelta(minutes=30)).stored.updated == 1
    rebuilt = start_run(
        station, programme_id, T0 + timedelta(hours=1, minutes=5), now=T0 + timedelta(hours=1)
    )
    run = _runs(station)[-1]
    assert run.id == rebuilt and run.state == RunState.BUILDING and run.article_ids == [ids[WATER]]


def test_the_scheduler_polls_stale_sources_and_starts_due_slots_on_its_clock(
    station: Services, site: Site
) -> None:
    _programme(station)
    with station.db.write() as s:
        s.execute(Programme.__table__.update().values(checked=T0 - timedelta(minutes=1)))
    served = len(site.requests)
    now = T0 + timedelta(minutes=1)  # the source was fetched 11 minutes ago: older than 10
    scheduler = Scheduler(station, clock=lambda: now, interval=3600)
    scheduler.start()
    deadline = time.monotonic() + 60
    while not _runs(station) and time.monotonic() < deadline:
        time.sleep(0.1)
    scheduler.stop()
    assert site.requests[served:] and site.requests[served][0] == "/feed.xml"
    (run,) = _runs(station)
    assert run.air_time == T0 + timedelta(minutes=5) and run.state == RunState.BUILDING


def test_serve_starts_and_stops_its_scheduler(station: Services) -> None:
    def alive() -> bool:
        return any(t.name == "producer-scheduler" for t in threading.enumerate())

    with TestClient(create_app(station.settings)):
        assert alive()
    assert not alive()


def test_a_worker_process_runs_a_due_programme_with_no_one_involved(
    station: Services, tmp_path: Path
) -> None:
    """`producer worker` alone, on the wall clock: its scheduler starts the slot whose build minute
    has just passed, its job loop renders it, and the scheduler hands it to the watch folder."""
    playout = tmp_path / "playout"
    now = datetime.now(UTC)
    build = now.replace(second=0, microsecond=0)
    _programme(station, cron="* * * * *", lead_minutes=2, playout=[f"dir:{playout}"])
    with station.db.write() as s:
        s.execute(Programme.__table__.update().values(checked=build - timedelta(seconds=1)))
    env = {**os.environ, "PRODUCER_DATA_DIR": str(station.settings.data_dir)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "producer", "worker"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and worker.poll() is None:
            runs = _runs(station)
            if runs and runs[0].state not in (RunState.BUILDING, RunState.PUBLISHED):
                break
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err[-2000:]
    run = _runs(station)[0]
    assert (run.air_time, run.state) == (build + timedelta(minutes=2), RunState.HANDED_OFF), run.error
    # (A second slot may have come due if the worker started across a minute's turn.)
    delivered = Path(run.handoff[f"dir:{playout}"]["receipt"])
    assert delivered.parent == playout and not delivered.name.startswith(".")
    assert MutagenFile(delivered).info.length > 5  # type: ignore[union-attr]
