"""Programmes that run themselves: slots claimed once, bulletins built from the sources, rendered
by the real engine, published into the feed and handed to a watch folder; missed slots, the
approval deadline and stories not repeated, with the clock injected."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import LOCAL, Hook, Site
from fastapi.testclient import TestClient
from mutagen import File as MutagenFile
from sqlalchemy import select
from wavinfo import WavInfoReader

from producer.air.handoff import retry_wait
from producer.air.poll import poll
from producer.air.retention import prune
from producer.air.runs import Services, advance_runs, schedule_tick, start_run
from producer.air.scheduler import BUSY_INTERVAL, Scheduler, next_wait
from producer.jobs import JobQueue
from producer.settings import Settings, load_settings
from producer.store.air import (
    Article,
    Mode,
    Pick,
    Programme,
    Run,
    RunState,
    Source,
    SourceKind,
    add_programme,
    add_source,
)
from producer.store.db import Bulletin, Database, Episode, User, database_url
from producer.store.files import StoreError, open_store
from producer.web import service
from producer.web.airtext import run_error
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
    assert poll(services.db, source_id, now=T0 - timedelta(minutes=10), limits=LOCAL).stored.new == 2
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
    # Reported: the programme's history lists each missed slot with its reason, newest first.
    env = {**os.environ, "PRODUCER_DATA_DIR": str(station.settings.data_dir)}
    listed = subprocess.run(
        [sys.executable, "-m", "producer", "programme", "runs", "نشرة الساعة"],
        capture_output=True,
        text=True,
        env=env,
    )
    zone = ZoneInfo(station.settings.timezone)
    assert listed.stdout.splitlines() == [
        f"{run.air_time.astimezone(zone):%Y-%m-%d %H:%M}\t{run.state}\t{len(run.article_ids)} stories"
        + (f"\t{run.error}" if run.error else "")
        for run in reversed(_runs(station))
    ], listed.stderr
    assert listed.stdout.count("\tmissed\t0 stories\tthe service was down at its build time\n") == 2


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
    assert poll(station.db, source_id, now=T0 + timedelta(minutes=30), limits=LOCAL).stored.updated == 1
    rebuilt = start_run(
        station, programme_id, T0 + timedelta(hours=1, minutes=5), now=T0 + timedelta(hours=1)
    )
    run = _runs(station)[-1]
    assert run.id == rebuilt and run.state == RunState.BUILDING and run.article_ids == [ids[WATER]]


def test_a_run_with_nothing_to_read_names_the_sources_that_could_not_be_read(
    station: Services, site: Site
) -> None:
    with station.db.write() as s:
        gone = add_source(s, "عنب بلدي", site.url("/gone.xml"), SourceKind.FEED).id
    assert poll(station.db, gone, now=T0 - timedelta(minutes=10), limits=LOCAL).error is not None
    programme_id = _programme(station, sources=["عنب بلدي"])
    run_id = start_run(station, programme_id, T0 + timedelta(minutes=5), now=T0)
    (run,) = _runs(station)
    assert run.id == run_id and (run.state, run.error) == (
        RunState.SKIPPED,
        "no new articles in its sources; these could not be read: عنب بلدي",
    )
    assert run_error(run.error) == "لا أخبار جديدة في مصادرها؛ تعذّرت قراءة: عنب بلدي."


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


def _deliver_now(station: Services, playout: list[str], **values: object) -> int:
    """A run of a programme handing off to `playout`, claimed at T0 for T0+5, rendered."""
    programme_id = _programme(station, playout=playout, **values)
    run_id = start_run(station, programme_id, T0 + timedelta(minutes=5), now=T0)
    assert run_id is not None
    _render(station)
    return run_id


def test_the_watch_folder_gets_the_broadcast_wav_as_other_readers_see_it(
    station: Services, tmp_path: Path
) -> None:
    """A programme renders the broadcast WAV by default; ffprobe and wavinfo (readers we did not
    write) find its format, bext with the loudness figures, the Arabic title and the cart chunk."""
    playout = tmp_path / "playout"
    run_id = _deliver_now(station, [f"dir:{playout}"])
    assert advance_runs(station, now=T0 + timedelta(minutes=1)) == [run_id]
    (run,) = _runs(station)
    assert run.state == RunState.HANDED_OFF, run.error
    (delivered,) = playout.iterdir()
    assert delivered.suffix == ".wav" and not delivered.name.startswith(".")
    with station.db.read() as s:
        episode = s.get(Episode, run.episode_id)
    assert episode is not None and episode.audio_type == "audio/wav"

    probed = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(delivered)],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    )
    (stream,) = probed["streams"]
    assert (stream["codec_name"], stream["sample_rate"], stream["channels"]) == ("pcm_s24le", "48000", 2)
    assert float(probed["format"]["duration"]) > 20
    tags = probed["format"]["tags"]
    assert tags["comment"].startswith("News bulletin ") and tags["title"] == episode.title
    assert tags["coding_history"].startswith("A=PCM,F=48000,W=24")

    wav = WavInfoReader(str(delivered), info_encoding="utf-8")
    assert wav.bext is not None and wav.bext.version == 2
    assert abs(wav.bext.loudness_value - -23.0) <= 0.5
    assert wav.bext.max_true_peak <= -1.0
    assert wav.info is not None and wav.info.title == episode.title
    assert episode.title.startswith("نشرة الساعة ")
    # AES46: the cart chunk, found by wavinfo's chunk walker, read at the standard's offsets.
    (cart,) = [c for c in wav.main_list if getattr(c, "ident", None) == b"cart"]
    with delivered.open("rb") as f:
        body = cart.read_data(f)
    assert body[:4] == b"0101"
    assert body[4:68].rstrip(b"\0").decode() == episode.title
    assert body[260:324].rstrip(b"\0") == b"NEWS"


def test_a_podcast_programme_renders_the_mp3(station: Services, hook: Hook) -> None:
    station.settings = station.settings.model_copy(update={"base_url": "https://radio.example"})
    run_id = _deliver_now(station, [f"webhook:{hook.url}"], target="podcast")
    assert advance_runs(station, now=T0 + timedelta(minutes=1)) == [run_id]
    (run,) = _runs(station)
    assert run.state == RunState.HANDED_OFF, run.error
    with station.db.read() as s:
        episode = s.get(Episode, run.episode_id)
    assert episode is not None and episode.audio_type == "audio/mpeg"
    sent = json.loads(hook.received[0][1])["audio_url"]
    assert sent == f"https://radio.example/media/{episode.audio_key}" and sent.endswith(".mp3")


def test_a_bulletin_ready_after_its_air_time_does_not_air(station: Services, tmp_path: Path) -> None:
    """Rendered too late (the worker was slow or the service down between build and air): the run
    is LATE with the reason, nothing is pushed to the playout nor published."""
    playout = tmp_path / "playout"
    connections: list[object] = []
    with socket.create_server(("127.0.0.1", 0)) as liquidsoap:
        liquidsoap.settimeout(0.5)
        port = liquidsoap.getsockname()[1]
        run_id = _deliver_now(station, [f"dir:{playout}", f"liquidsoap:127.0.0.1:{port}"])
        assert advance_runs(station, now=T0 + timedelta(minutes=5, seconds=12)) == [run_id]
        with contextlib.suppress(TimeoutError):
            connections.append(liquidsoap.accept())
    (run,) = _runs(station)
    zone = ZoneInfo(station.settings.timezone)
    assert run.state == RunState.LATE
    ready, air = (T0 + timedelta(minutes=5, seconds=12)).astimezone(zone), (T0 + timedelta(minutes=5))
    assert run.error == (
        f"its bulletin was ready only at {ready:%H:%M:%S}, after its air time "
        f"{air.astimezone(zone):%H:%M}: not aired"
    )
    assert not playout.exists() and connections == [] and not run.handoff
    with station.db.read() as s:
        episode = s.get(Episode, run.episode_id)
    assert episode is not None and not episode.published  # kept for an editor, not in the feed
    assert advance_runs(station, now=T0 + timedelta(minutes=6)) == []


def test_an_approved_bulletin_reached_only_after_its_air_time_is_late(
    station: Services, tmp_path: Path
) -> None:
    """Approved in time, but the service was down from then until after air time: not aired late."""
    playout = tmp_path / "playout"
    programme_id = _programme(station, mode=Mode.APPROVE.value, approve_minutes=2, playout=[f"dir:{playout}"])
    run_id = start_run(station, programme_id, T0 + timedelta(minutes=5), now=T0)
    _render(station)
    advance_runs(station, now=T0 + timedelta(minutes=1))
    (run,) = _runs(station)
    assert run.state == RunState.AWAITING and run.episode_id is not None
    service.set_published(station.as_state(), User(name="editor", role="editor"), run.episode_id, True)
    assert advance_runs(station, now=T0 + timedelta(minutes=7)) == [run_id]
    (run,) = _runs(station)
    assert run.state == RunState.LATE and (run.error or "").endswith("not aired")
    assert not playout.exists() and not run.handoff


def test_a_failed_hand_off_is_retried_with_backoff_and_shown(station: Services, hook: Hook) -> None:
    """The playout answers 503 twice, then takes the bulletin: tries at +0, +30 s and +90 s, each
    failure's count, reason and next try in the run and in `programme list`."""
    hook.failures = 2
    spec = f"webhook:{hook.url}"
    run_id = _deliver_now(station, [spec])
    first = T0 + timedelta(minutes=1)

    def entry() -> dict[str, object]:
        (run,) = _runs(station)
        return dict(run.handoff[spec])

    assert advance_runs(station, now=first) == [run_id]
    assert entry()["attempts"] == 1 and entry()["next"] == (first + timedelta(seconds=30)).isoformat()
    assert advance_runs(station, now=first + timedelta(seconds=29)) == []
    assert len(hook.received) == 1
    assert advance_runs(station, now=first + timedelta(seconds=30)) == [run_id]
    assert entry()["attempts"] == 2 and entry()["next"] == (first + timedelta(seconds=90)).isoformat()
    (run,) = _runs(station)
    assert (
        run.state == RunState.PUBLISHED and run.error == f"{spec}: the webhook {hook.url} answered HTTP 503"
    )

    env = {**os.environ, "PRODUCER_DATA_DIR": str(station.settings.data_dir)}
    listed = subprocess.run(
        [sys.executable, "-m", "producer", "programme", "list"], capture_output=True, text=True, env=env
    )
    zone = ZoneInfo(station.settings.timezone)
    retry = (first + timedelta(seconds=90)).astimezone(zone)
    assert (
        f"\t{spec}: failed 2 times, next try {retry:%H:%M:%S}: the webhook {hook.url} answered HTTP 503\n"
        in (listed.stdout)
    ), listed.stdout + listed.stderr
    assert "\tlast: published " in listed.stdout

    assert advance_runs(station, now=first + timedelta(seconds=89)) == []
    assert advance_runs(station, now=first + timedelta(seconds=90)) == [run_id]
    (run,) = _runs(station)
    assert (run.state, run.error) == (RunState.HANDED_OFF, None)
    assert entry() == {
        "receipt": "HTTP 204",
        "at": (first + timedelta(seconds=90)).isoformat(),
        "attempts": 3,
    }
    assert len(hook.received) == 3
    listed = subprocess.run(
        [sys.executable, "-m", "producer", "programme", "list"], capture_output=True, text=True, env=env
    )
    assert f"\t{spec}: handed off (HTTP 204; try 3)\n" in listed.stdout


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (4, 240), (5, 240), (40, 240)])
def test_retry_waits_double_up_to_four_minutes(attempts: int, seconds: int) -> None:
    assert retry_wait(attempts) == timedelta(seconds=seconds)


def test_the_scheduler_wakes_at_the_build_time_and_often_while_a_bulletin_builds(station: Services) -> None:
    assert next_wait(station, now=T0 - timedelta(minutes=1), interval=15) == 15  # no programme yet
    programme_id = _programme(station)
    assert next_wait(station, now=T0 - timedelta(seconds=10), interval=15) == pytest.approx(10.05)
    assert next_wait(station, now=T0 - timedelta(minutes=1), interval=15) == 15
    assert start_run(station, programme_id, T0 + timedelta(minutes=5), now=T0) is not None
    assert next_wait(station, now=T0 + timedelta(seconds=5), interval=15) == BUSY_INTERVAL
    _render(station)
    advance_runs(station, now=T0 + timedelta(seconds=30))
    assert next_wait(station, now=T0 + timedelta(seconds=30), interval=15) == 15


def _aired(station: Services) -> tuple[Run, Episode]:
    """A run of the hourly programme, rendered, published and handed off (T0 + 5 min)."""
    run_id = _deliver_now(station, [])
    assert advance_runs(station, now=T0 + timedelta(minutes=1)) == [run_id]
    (run,) = _runs(station)
    with station.db.read() as s:
        episode = s.get(Episode, run.episode_id)
    assert episode is not None and episode.published
    return run, episode


def test_the_bulletins_of_runs_aired_long_ago_leave_the_feed_and_the_storage(station: Services) -> None:
    """An hourly programme would fill the storage and the feed: past air_keep_days the run's
    episode leaves both, its bulletin the database; the run's history stays, staff's bulletins too."""
    run, episode = _aired(station)
    with TestClient(create_app(station.settings)) as client:
        (entry,) = feedparser.parse(client.get("/feed.xml").content).entries
        assert entry.id.endswith(episode.guid)
    with station.db.write() as s:
        articles = s.scalars(select(Article.id).order_by(Article.id)).all()
        staff = Bulletin(title="نشرة كتبتها سارة", articles=["نص"], created=T0 - timedelta(days=400))
        s.add(staff)
        s.add(Pick(programme_id=run.programme_id, air_time=run.air_time, article_id=articles[0], pinned=True))
        # A pick for a slot that never ran.
        s.add(Pick(programme_id=run.programme_id, air_time=T0 - timedelta(days=30), article_id=articles[1]))
    keep = timedelta(days=station.settings.air_keep_days)
    assert station.store.stat(episode.audio_key) is not None
    assert prune(station, now=run.air_time + keep - timedelta(minutes=1)) == 0  # not yet
    assert prune(station, now=run.air_time + keep + timedelta(minutes=1)) == 1
    (kept,) = _runs(station)
    assert (kept.id, kept.state, kept.bulletin_id, kept.episode_id) == (run.id, run.state, None, None)
    with station.db.read() as s:
        assert s.scalars(select(Episode)).all() == []
        assert [b.title for b in s.scalars(select(Bulletin))] == ["نشرة كتبتها سارة"]
        assert s.scalars(select(Pick)).all() == []
    for key in (episode.audio_key, episode.transcript_key, episode.chapters_key):
        assert station.store.stat(key) is None
    with TestClient(create_app(station.settings)) as client:
        assert feedparser.parse(client.get("/feed.xml").content).entries == []
    assert prune(station, now=run.air_time + keep + timedelta(hours=1)) == 0  # nothing left to do


def test_a_storage_that_cannot_delete_keeps_the_rows_until_it_can(
    station: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The episode leaves the feed at once; its rows stay while its files cannot be deleted, so
    nothing is left in the storage without a row that names it, and the next pass finishes."""
    run, episode = _aired(station)
    later = run.air_time + timedelta(days=station.settings.air_keep_days, hours=1)

    def refuse(prefix: str) -> None:
        raise StoreError(f"cannot delete {prefix}: the storage is down")

    with monkeypatch.context() as patch:
        patch.setattr(station.store, "delete_prefix", refuse)
        assert prune(station, now=later) == 0
    (kept,) = _runs(station)
    assert kept.bulletin_id == run.bulletin_id
    with station.db.read() as s:
        stored = s.get(Episode, episode.id)
    assert stored is not None and not stored.published
    assert station.store.stat(episode.audio_key) is not None
    assert prune(station, now=later) == 1
    assert station.store.stat(episode.audio_key) is None
