"""The render queue on both of its backends, a SQLite file and a real Redis server, with the job
rows on SQLite or a real PostgreSQL server. Renders themselves are tested through the service
(tests/web/test_server.py, test_worker.py, test_crash.py); here: submitting, taking, leases and
fencing, the reconciler (outbox), fairness and cancel."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey
from sqlalchemy import select

from producer import auth
from producer.jobs import MAX_ATTEMPTS, JobQueue, LeaseLost, QueueUnavailable
from producer.jobs.child import RenderResult
from producer.jobs.lease import FAIR_MAX, Lease, claim_next, due_at
from producer.jobs.publish import publish, revision_of
from producer.models import Chapter, Cue
from producer.settings import Settings, load_settings
from producer.store import db
from producer.store.db import Bulletin, Database, Episode, Job, utcnow
from producer.store.files import open_store
from producer.web import service
from producer.web.app import create_app
from tests.backends import Backend, RedisServer, run_together
from tests.web.support import server_env

SCRIPT = {
    "title": "نشرة",
    "station": "راديو ألوان",
    "programme": "نشرة الأخبار",
    "created": "2026-12-06T08:00:00+02:00",
    "headlines": ["عنوان"],
    "segments": [{"kind": "story", "text": "خبر", "story": 0}],
}

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
        queue.broker.submit(job_id)
else:
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 1.0:
        job_id = queue.broker.take()
        if job_id is None:
            time.sleep(0.01)
            continue
        print(job_id, flush=True)
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
    first.broker.submit("only-here")
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


def add_job(queue: JobQueue, *, text: str = "خبر", created: datetime | None = None) -> str:
    """A bulletin with a queued render job, as the service queues one (no queue message yet)."""
    script = {**SCRIPT, "segments": [{"kind": "story", "text": text, "story": 0}]}
    with queue.db.write() as s:
        bulletin = Bulletin(title="نشرة", articles=[text], script=script)
        s.add(bulletin)
        s.flush()
        when = created or utcnow()
        job = Job(
            id=f"job-{bulletin.id:04d}",
            bulletin_id=bulletin.id,
            script=script,
            created=when,
            due=due_at(when, script),
        )
        s.add(job)
        return job.id


def expire(queue: JobQueue, job_id: str) -> None:
    """The lease ran out (the worker froze or died): its end lies in the database's past."""
    with queue.db.write() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.state == "running"
        job.lease_until = queue.db.now(s) - timedelta(seconds=1)


def job_row(queue: JobQueue, job_id: str) -> Job:
    with queue.db.read() as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


def test_reconcilers_together_requeue_each_expired_job_once(queues: Callable[[], JobQueue]) -> None:
    reconcilers = [queues() for _ in range(8)]
    job_ids = sorted(add_job(reconcilers[0]) for _ in range(5))
    for _ in job_ids:
        assert claim_next(reconcilers[0].db, "frozen-worker", 30) is not None
    for job_id in job_ids:
        expire(reconcilers[0], job_id)
    requeued = run_together([reconciler.reap for reconciler in reconcilers])
    assert sorted(job_id for ids in requeued for job_id in ids) == job_ids
    taker = queues()
    with taker.db.read() as s:
        jobs = s.scalars(select(Job).where(Job.id.in_(job_ids))).all()
        assert {(job.state, job.stage, job.worker, job.attempts) for job in jobs} == {
            ("queued", "retry", None, 1)
        }
    # The requeued rows got their queue messages back (the outbox), each job at least once.
    messages = []
    while (message := taker.broker.take()) is not None:
        messages.append(message)
    assert set(messages) == set(job_ids)


def test_a_job_whose_lease_expired_too_often_fails_with_the_reason(queues: Callable[[], JobQueue]) -> None:
    queue = queues()
    job_id = add_job(queue)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        claim = claim_next(queue.db, "worker", 30)
        assert claim is not None and claim.attempt == attempt
        expire(queue, job_id)
        queue.reap()
    job = job_row(queue, job_id)
    assert job.state == "failed" and job.finished is not None and job.attempts == MAX_ATTEMPTS
    assert job.error is not None and "انقطع العامل" in job.error
    assert claim_next(queue.db, "worker", 30) is None


def rendered(tmp_path: Path, tag: str) -> RenderResult:
    folder = tmp_path / tag
    folder.mkdir()
    files = {
        name: folder / f"bulletin{suffix}"
        for name, suffix in (("a", ".mp3"), ("t", ".vtt"), ("c", ".json"), ("s", ".srt"))
    }
    for name, path in files.items():
        path.write_bytes(f"{tag}-{name}".encode() * 100)
    return RenderResult(
        files["a"],
        files["t"],
        files["c"],
        files["s"],
        1.5,
        [Chapter("خبر", 0.0, 1.5)],
        [Cue(0.0, 1.5, "خبر")],
    )


def test_a_worker_that_lost_its_lease_cannot_heartbeat_or_publish(
    queues: Callable[[], JobQueue], tmp_path: Path
) -> None:
    """The SIGSTOP case: worker A's lease expires, B takes the job; when A wakes, every write it
    tries is refused by the fence, its uploaded objects are deleted, and B's episode stands."""
    queue = queues()
    job_id = add_job(queue)
    first = claim_next(queue.db, "worker-a", 30)
    assert first is not None
    expire(queue, job_id)
    assert queue.reap() == [job_id]
    second = claim_next(queue.db, "worker-b", 30)
    assert second is not None and (second.job_id, second.attempt) == (job_id, 2)
    stop = threading.Event()
    with Lease(queue.db, second, 30) as lease_b:
        episode_id = publish(queue.db, queue.store, second, rendered(tmp_path, "b"), lease_b, stop)
    stale = Lease(queue.db, first, 30)
    with pytest.raises(LeaseLost):
        stale.renew((0.5, "encode"))
    with pytest.raises(LeaseLost):
        publish(queue.db, queue.store, first, rendered(tmp_path, "a"), stale, stop)
    with queue.db.read() as s:
        episode = s.get(Episode, episode_id)
        assert episode is not None and episode.revision == revision_of(second)
        keys = (episode.audio_key, episode.transcript_key, episode.chapters_key)
    job = job_row(queue, job_id)
    assert (job.state, job.attempts, job.episode_id, job.worker) == ("done", 2, episode_id, "worker-b")
    assert [queue.store.read_bytes(key)[:3] for key in keys] == [b"b-a", b"b-t", b"b-c"]
    # Nothing of the stale attempt stays in the store; only B's revision is there.
    media = queue.settings.data_dir / "media" / "episodes"
    assert sorted(p.name for p in media.glob("*/*")) == [revision_of(second)]


def test_re_render_replaces_the_revision_and_deletes_the_old_one(
    queues: Callable[[], JobQueue], tmp_path: Path
) -> None:
    queue = queues()
    job_id = add_job(queue)
    stop = threading.Event()
    revisions = []
    for tag in ("one", "two"):
        if tag == "two":
            with queue.db.write() as s:
                bulletin_id = s.get(Job, job_id).bulletin_id  # type: ignore[union-attr]
                s.add(Job(id="second", bulletin_id=bulletin_id, script=SCRIPT, due=utcnow()))
        claim = claim_next(queue.db, "worker", 30)
        assert claim is not None
        with Lease(queue.db, claim, 30) as lease:
            publish(queue.db, queue.store, claim, rendered(tmp_path, tag), lease, stop)
        revisions.append(revision_of(claim))
    media = queue.settings.data_dir / "media" / "episodes"
    assert sorted(p.name for p in media.glob("*/*")) == revisions[1:]


def test_small_bulletins_go_before_a_huge_one_that_still_gets_its_turn(
    queues: Callable[[], JobQueue],
) -> None:
    queue = queues()
    now = utcnow()
    huge = add_job(queue, text="خبر طويل " * 20_000, created=now - timedelta(seconds=5))
    small = [add_job(queue, created=now + timedelta(seconds=n)) for n in range(3)]
    old_huge = add_job(queue, text="خبر طويل " * 20_000, created=now - FAIR_MAX - timedelta(minutes=1))
    order = [claim.job_id for claim in iter(lambda: claim_next(queue.db, "worker", 30), None)]
    assert order == [old_huge, *small, huge]


def test_cancel_stops_queued_and_running_jobs(queues: Callable[[], JobQueue]) -> None:
    queue = queues()
    waiting, running = add_job(queue), add_job(queue)
    with queue.db.write() as s:
        s.get(Job, waiting).due = utcnow() + timedelta(hours=1)  # type: ignore[union-attr]
    claim = claim_next(queue.db, "worker", 30)
    assert claim is not None and claim.job_id == running
    assert queue.cancel(waiting) and queue.cancel(running)
    assert not queue.cancel(running)  # already over
    with pytest.raises(LeaseLost):
        Lease(queue.db, claim, 30).renew()
    assert {job_row(queue, j).state for j in (waiting, running)} == {"cancelled"}
    assert claim_next(queue.db, "worker", 30) is None


def test_render_request_during_a_queue_outage_answers_503_and_strands_nothing(
    database_url: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    """The job row is kept; a second request returns it; once the queue is back the reconciler
    sends its message and a worker takes it."""
    down = load_settings(
        data_dir=tmp_path, database_url=database_url, queue_url=f"unix://{tmp_path}/no-redis.sock?db=1"
    )
    state = create_app(down).state.producer
    try:
        with state.db.write() as s:
            user = auth.add_user(s, "sara", "editor", "a-long-password")
            bulletin = Bulletin(title="نشرة", articles=["خبر"], script=SCRIPT, author="sara")
            s.add(bulletin)
            s.flush()
        for _ in range(2):
            with pytest.raises(service.Rejected) as refused:
                service.start_render(state, user, bulletin.id, engine=None, voice=None, target=None)
            assert (refused.value.status, refused.value.retry_after) == (503, service.QUEUE_DOWN_RETRY)
        with state.db.read() as s:
            jobs = s.scalars(select(Job)).all()
        assert [(job.state, job.enqueued) for job in jobs] == [("queued", None)]
        with pytest.raises(QueueUnavailable):
            state.queue.reconcile()
    finally:
        state.previews.shutdown()
        state.db.dispose()
    up = make_queue(
        load_settings(data_dir=tmp_path, database_url=database_url, queue_url=redis_server.new_url())
    )
    up.reconcile()
    assert up.broker.take() == jobs[0].id
    assert job_row(up, jobs[0].id).enqueued is not None
    claim = claim_next(up.db, "worker", 30)
    assert claim is not None and claim.job_id == jobs[0].id


def test_a_job_is_marked_sent_before_its_message_rings(
    queues: Callable[[], JobQueue], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers claim with SKIP LOCKED on PostgreSQL: a mark written after the message could hold
    the row while a worker looks for it, the message would find nothing and the job would wait
    for the reconciler. So the mark is committed first, by a render request and the reconciler."""
    queue, worker = queues(), queues()
    marked_when_rung: dict[str, bool] = {}
    send = queue.broker.submit

    def ring(job_id: str) -> None:
        marked_when_rung[job_id] = job_row(worker, job_id).enqueued is not None
        send(job_id)

    monkeypatch.setattr(queue.broker, "submit", ring)
    requested = add_job(queue)
    queue.submit(requested)
    lost = add_job(queue)
    queue.reconcile()
    assert marked_when_rung == {requested: True, lost: True}
    assert [worker.broker.take(), worker.broker.take()] == [requested, lost]


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


def test_a_worker_renders_each_job_in_a_child_started_before_the_job(queues: Callable[[], JobQueue]) -> None:
    """The render child of the next job is started (and imports the pipeline) ahead of it; a
    render takes it, the next one is started, and a stopped worker leaves none behind."""
    import os
    import time

    queue = queues()
    worker = threading.Thread(target=queue.run, name="test-worker")
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while (ahead := queue.renderer.waiting()) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ahead is not None
        job = add_job(queue, text="خبر عن المياه في حلب.")
        queue.submit(job)
        while job_row(queue, job).state in ("queued", "running") and time.monotonic() < deadline + 120:
            time.sleep(0.1)
        assert job_row(queue, job).state == "done", job_row(queue, job).error
        following = queue.renderer.waiting()
        assert following is not None and following != ahead  # the waiting child took the job
        with pytest.raises(ProcessLookupError):
            os.kill(ahead, 0)
    finally:
        queue.request_stop()
        worker.join(30)
    assert queue.renderer.waiting() is None
    with pytest.raises(ProcessLookupError):
        os.kill(following, 0)
