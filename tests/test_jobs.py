"""The render queue on both of its backends, a SQLite file and a real Redis server, with the job
rows on SQLite or a real PostgreSQL server. Renders themselves are tested through the service
(tests/web/test_server.py, test_worker.py, test_crash.py); here: submitting, taking, reaping."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey
from sqlalchemy import select

from producer import auth
from producer.jobs import MAX_ATTEMPTS, JobQueue
from producer.settings import Settings, load_settings
from producer.store import db
from producer.store.db import Bulletin, Database, Job, utcnow
from producer.store.files import open_store
from producer.web import service
from producer.web.app import create_app
from tests.backends import Backend, RedisServer, run_together
from tests.web.support import server_env

SCRIPT = {"title": "نشرة", "headlines": ["عنوان"], "segments": [{"kind": "story", "text": "خبر", "story": 0}]}

# A `producer` process's own queue, built from its environment as `producer worker` builds it:
# "submit ID…" queues render jobs, "take" prints the job ids it takes until the queue stays empty.
QUEUE_PROCESS = """
import sys, time
from producer.jobs import JobQueue
from producer.settings import load_settings
from producer.store.db import Database, database_url
from producer.store.files import open_store

settings = load_settings()
database = Database(database_url(settings.data_dir, settings.database_url))
queue = JobQueue(settings, database, open_store(settings))
if sys.argv[1] == "submit":
    for job_id in sys.argv[2:]:
        queue.submit(job_id)
else:
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 1.0:
        task = queue.huey.dequeue()
        if task is None:
            time.sleep(0.01)
            continue
        print(task.args[0], flush=True)
        idle_since = time.monotonic()
"""


def queue_process(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", QUEUE_PROCESS, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-3000:]
    return out


def test_each_job_is_taken_exactly_once_across_processes(queue_url: str | None, tmp_path: Path) -> None:
    env = server_env(tmp_path, PRODUCER_QUEUE_URL=queue_url or "")
    job_ids = [f"job-{n:02d}" for n in range(40)]
    finished(queue_process(env, "submit", *job_ids))
    takers = [queue_process(env, "take") for _ in range(2)]
    taken = [line for taker in takers for line in finished(taker).split()]
    assert sorted(taken) == job_ids  # none lost, none taken twice
    queue = make_queue(load_settings(data_dir=tmp_path, queue_url=queue_url))
    assert isinstance(queue.huey, RedisHuey if queue_url else SqliteHuey)
    assert queue.huey.pending_count() == 0


def test_redis_queues_on_different_databases_are_apart(redis_server: RedisServer, tmp_path: Path) -> None:
    """The database index in a redis:// URL is honoured: two stations on one Redis stay apart."""
    first = make_queue(load_settings(data_dir=tmp_path, queue_url=redis_server.new_url()))
    second = make_queue(load_settings(data_dir=tmp_path, queue_url=redis_server.new_url()))
    first.submit("only-here")
    assert (first.huey.pending_count(), second.huey.pending_count()) == (1, 0)


def make_queue(settings: Settings) -> JobQueue:
    """A job queue as `producer worker` builds one from its settings."""
    database = Database(db.database_url(settings.data_dir, settings.database_url))
    return JobQueue(settings, database, open_store(settings))


@pytest.fixture
def queues(database_url: str, queue_url: str | None, tmp_path: Path) -> Iterator[Callable[[], JobQueue]]:
    """Build job queues over one database and one queue, as separate workers would."""
    settings = load_settings(data_dir=tmp_path, database_url=database_url, queue_url=queue_url)
    made: list[JobQueue] = []

    def make() -> JobQueue:
        made.append(make_queue(settings))
        return made[-1]

    make().db.migrate()
    yield make
    for queue in made:
        queue.db.dispose()


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def running_job(queue: JobQueue, attempts: int) -> str:
    """A job left running by a worker of this machine that has since died."""
    with queue.db.write() as s:
        bulletin = Bulletin(title="نشرة", articles=["خبر"], script=SCRIPT)
        s.add(bulletin)
        s.flush()
        job = Job(
            id=f"job-{bulletin.id}",
            bulletin_id=bulletin.id,
            script=SCRIPT,
            state="running",
            attempts=attempts,
            worker=f"{socket.gethostname()}:{dead_pid()}:gone",
            heartbeat=utcnow() - timedelta(seconds=1),
        )
        s.add(job)
        return job.id


def test_reapers_together_requeue_each_dead_workers_job_once(queues: Callable[[], JobQueue]) -> None:
    reapers = [queues() for _ in range(8)]
    job_ids = sorted(running_job(reapers[0], attempts=1) for _ in range(5))
    requeued = run_together([reaper.reap for reaper in reapers])
    assert sorted(job_id for ids in requeued for job_id in ids) == job_ids
    taker = queues()
    with taker.db.read() as s:
        jobs = s.scalars(select(Job).where(Job.id.in_(job_ids))).all()
        assert {(job.state, job.stage, job.worker) for job in jobs} == {("queued", "retry", None)}
    tasks = [taker.huey.dequeue() for _ in range(len(job_ids) + 1)]
    assert tasks[-1] is None
    assert sorted(task.args[0] for task in tasks[:-1] if task is not None) == job_ids


def test_a_job_that_lost_its_worker_twice_fails_with_the_reason(queues: Callable[[], JobQueue]) -> None:
    reaper = queues()
    job_id = running_job(reaper, attempts=MAX_ATTEMPTS)
    assert reaper.reap() == []
    with queues().db.read() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.state == "failed" and job.finished is not None
        assert job.error is not None and "انقطع العامل" in job.error
    assert reaper.huey.pending_count() == 0


def test_render_requests_at_once_queue_one_job(backend: Backend, tmp_path: Path) -> None:
    """Double clicks and two editors at once: one render, the others are shown it."""
    settings = load_settings(
        data_dir=tmp_path, database_url=backend.database_url, queue_url=backend.queue_url
    )
    state = create_app(settings).state.producer
    try:
        with state.db.write() as s:
            user = auth.add_user(s, "sara", "editor", "a-long-password")
            bulletin = Bulletin(title="نشرة", articles=["خبر"], script=SCRIPT, author="sara")
            s.add(bulletin)
            s.flush()

        def request() -> str:
            return service.start_render(state, user, bulletin.id, engine=None, voice=None, target=None).id

        answered = run_together([request] * 6)
        with state.db.read() as s:
            stored = s.scalars(select(Job.id)).all()
        assert len(set(answered)) == 1 and stored == answered[:1]
        assert state.queue.huey.pending_count() == 1
    finally:
        state.previews.shutdown()
        state.db.dispose()
