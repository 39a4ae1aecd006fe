"""Faults of a scale-out cluster, on real servers: PostgreSQL and Redis of the test's own (so
stopping them touches no other test), moto's S3 server behind a fault-injecting proxy, a
`producer serve` without its worker, and `producer worker` processes on data folders of their
own (as on separate machines). Leases are 3 s (tests.web.support.server_env).

Every test ends the same way: each job done (or failed with a reason), none stuck; every episode
published, its feed enclosure fetchable with the advertised length; in the bucket, exactly one
revision of each episode (nothing written twice, no orphans of lost attempts).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from sqlalchemy import select

from producer.store import words
from producer.store.db import Database, Episode, Job
from tests.backends import PostgresServer, RedisServer, postgres_bindir
from tests.faults.proxy import FaultProxy, proxy_to
from tests.web.support import (
    ARTICLE_SCHOOL,
    ARTICLE_WATER,
    Server,
    free_port,
    producer_command,
    run_cli,
    server_env,
    start_server,
)

moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")

pytestmark = pytest.mark.slow

BUCKET = "faults"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
SETTLE = 180.0  # seconds a test waits for its jobs to end, outages included


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL's server (initdb) is not installed")
    with PostgresServer.running(bindir) as server:
        yield server


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    with RedisServer.running(Path(binary)) as server:
        yield server


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class Cluster:
    tmp: Path
    env: dict[str, str]
    server: Server
    api: httpx.Client
    database: Database
    s3: Any
    prefix: str
    proxy: FaultProxy
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        data = self.tmp / name
        data.mkdir(exist_ok=True)
        env = {**self.env, "PRODUCER_DATA_DIR": str(data)}
        log = (self.tmp / f"{name}.log").open("ab")
        worker = subprocess.Popen(producer_command("worker"), env=env, stdout=log, stderr=subprocess.STDOUT)
        self.workers[name] = worker
        return worker

    def log_of(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def bulletin(self, *articles: str) -> int:
        return int(self.api.post("/api/v1/bulletins", json={"articles": list(articles)}).json()["id"])

    def render(self, bulletin: int) -> httpx.Response:
        return self.api.post(f"/api/v1/bulletins/{bulletin}/render")

    def job(self, job_id: str) -> Job:
        with self.database.read() as s:
            job = s.get(Job, job_id)
            assert job is not None
            return job

    def wait(self, what: Callable[[], bool], timeout: float = SETTLE) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if what():
                    return
            except Exception:  # the database may be down in the middle of a fault
                pass
            time.sleep(0.1)
        raise AssertionError(f"timed out; worker logs:\n{self.logs()[-6000:]}")

    def wait_ended(self, *job_ids: str) -> list[Job]:
        self.wait(lambda: all(self.job(j).state in ("done", "failed", "cancelled") for j in job_ids))
        return [self.job(j) for j in job_ids]

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log_of(name)}" for name in self.workers)

    def check_published(self) -> None:
        """No job stuck; every episode published and fetchable; one revision of each stored."""
        with self.database.read() as s:
            jobs = s.scalars(select(Job)).all()
            episodes = s.scalars(select(Episode)).all()
        assert all(job.state not in ("queued", "running") for job in jobs), [(j.id, j.state) for j in jobs]
        for episode in episodes:
            assert self.api.post(f"/api/v1/episodes/{episode.id}/publish").status_code == 200
        feed = feedparser.parse(self.api.get("/feed.xml").content)
        enclosures = [link for entry in feed.entries for link in entry.enclosures]
        assert len(enclosures) == len(episodes) > 0
        for enclosure in enclosures:
            audio = httpx.get(enclosure.href, timeout=60)
            assert audio.status_code == 200 and len(audio.content) == int(enclosure.length) > 0
        stored = sorted(
            item["Key"].removeprefix(self.prefix)
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=self.prefix)
            for item in page.get("Contents", [])
            if item["Key"].startswith(self.prefix + "episodes/")
        )
        expected = sorted(
            key
            for e in episodes
            for key in (e.audio_key, e.transcript_key, e.chapters_key, e.subtitles_key)
            if key is not None
        )
        assert stored == expected


@pytest.fixture
def cluster(
    tmp_path: Path, own_postgres: PostgresServer, own_redis: RedisServer, s3_endpoint: str
) -> Iterator[Cluster]:
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
    if BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=BUCKET)
    prefix = f"{tmp_path.name}/"
    with proxy_to(s3_endpoint) as proxy:
        data = tmp_path / "web"
        data.mkdir()
        env = server_env(
            data,
            PRODUCER_EMBEDDED_WORKER="false",
            PRODUCER_DATABASE_URL=own_postgres.new_database(),
            PRODUCER_QUEUE_URL=own_redis.new_url(),
            PRODUCER_STORAGE="s3",
            PRODUCER_S3_BUCKET=BUCKET,
            PRODUCER_S3_ENDPOINT_URL=proxy.url,
            PRODUCER_S3_REGION="us-east-1",
            PRODUCER_S3_PREFIX=prefix,
            PRODUCER_S3_ACCESS_KEY_ID="testing",
            PRODUCER_S3_SECRET_ACCESS_KEY="testing",
        )
        server = start_server(data, env)
        token = run_cli(data, "token", "create", "admin", env=env).stdout.strip()
        api = server.client(headers={"Authorization": f"Bearer {token}"})
        database = Database(env["PRODUCER_DATABASE_URL"])
        made = Cluster(tmp_path, env, server, api, database, s3, prefix, proxy)
        try:
            yield made
        finally:
            for worker in made.workers.values():
                if worker.poll() is None:
                    os.kill(worker.pid, signal.SIGCONT)
                    worker.terminate()
                    try:
                        worker.wait(30)
                    except subprocess.TimeoutExpired:
                        worker.kill()
                        worker.wait()
            api.close()
            server.stop()
            database.dispose()


def worker_pid(job: Job) -> int:
    assert job.worker is not None
    return int(job.worker.split(":")[1])


def test_a_worker_frozen_past_its_lease_is_fenced_out(cluster: Cluster) -> None:
    """SIGSTOP the worker holding a job until another worker finished it, then resume it: the
    frozen worker's writes are refused, it discards its work, and the episode is the other's."""
    first, second = cluster.start_worker("w1"), cluster.start_worker("w2")
    job_id = cluster.render(cluster.bulletin(ARTICLE_WATER)).json()["job"]
    cluster.wait(lambda: cluster.job(job_id).state == "running")
    frozen = worker_pid(cluster.job(job_id))
    os.kill(frozen, signal.SIGSTOP)
    try:
        (job,) = cluster.wait_ended(job_id)
    finally:
        os.kill(frozen, signal.SIGCONT)
    assert job.state == "done" and job.attempts == 2, job.error
    assert worker_pid(job) != frozen  # finished by the other worker
    frozen_name = "w1" if frozen == first.pid else "w2"
    assert frozen in (first.pid, second.pid)
    cluster.wait(lambda: "lease lost" in cluster.log_of(frozen_name), timeout=60)
    assert cluster.job(job_id).attempts == 2  # the resumed worker changed nothing
    cluster.check_published()


def test_redis_killed_and_stopped_loses_no_job(cluster: Cluster, own_redis: RedisServer) -> None:
    """A message in Redis when it is killed (no persistence) and a render asked for while it is
    down (503 with Retry-After, the row kept): both rendered once Redis and a worker are back."""
    queued = cluster.render(cluster.bulletin(ARTICLE_WATER)).json()["job"]
    own_redis.stop(signal.SIGKILL)
    during = cluster.bulletin(ARTICLE_SCHOOL)
    refused = [cluster.render(during) for _ in range(2)]
    assert [r.status_code for r in refused] == [503, 503]
    assert all(int(r.headers["retry-after"]) > 0 for r in refused)
    with cluster.database.read() as s:
        rows = s.scalars(select(Job).where(Job.bulletin_id == during)).all()
    assert [(job.state, job.enqueued) for job in rows] == [("queued", None)]  # one row, kept
    worker = cluster.start_worker("w1")  # starts during the outage: it must wait, not exit
    cluster.wait(lambda: "job queue unavailable" in cluster.log_of("w1"), timeout=60)
    assert worker.poll() is None
    own_redis.start()
    jobs = cluster.wait_ended(queued, rows[0].id)
    assert [job.state for job in jobs] == ["done", "done"], [job.error for job in jobs]
    assert worker.poll() is None
    cluster.check_published()


def test_postgresql_restart_mid_render_with_one_worker(
    cluster: Cluster, own_postgres: PostgresServer
) -> None:
    """The database goes away for longer than the lease while the only worker renders: that
    worker recovers its own expired job afterwards, and a job queued meanwhile is not dropped."""
    cluster.start_worker("w1")
    first = cluster.render(cluster.bulletin(ARTICLE_WATER)).json()["job"]
    second = cluster.render(cluster.bulletin(ARTICLE_SCHOOL)).json()["job"]
    cluster.wait(lambda: cluster.job(first).state == "running")
    cluster.database.dispose()
    own_postgres.stop()
    time.sleep(5)  # the outage outlasts the 3 s lease
    own_postgres.start()
    jobs = cluster.wait_ended(first, second)
    assert [job.state for job in jobs] == ["done", "done"], [job.error for job in jobs]
    assert "database unavailable" in cluster.log_of("w1") or "heartbeat failed" in cluster.log_of("w1")
    cluster.check_published()


def test_slow_storage_keeps_the_lease_and_writes_once(cluster: Cluster) -> None:
    """Every upload of the episode held for longer than the lease: heartbeats go on, so no
    second attempt. (The shared cache's uploads pass: they are many and would only add time.)"""
    faults = cluster.proxy.faults
    faults.slow_method, faults.slow_seconds, faults.slow_path = b"PUT", 4.0, b"/episodes/"
    cluster.start_worker("w1")
    cluster.start_worker("w2")
    job_id = cluster.render(cluster.bulletin(ARTICLE_WATER)).json()["job"]
    (job,) = cluster.wait_ended(job_id)
    assert faults.held >= 3
    faults.slow_method = None
    assert job.state == "done" and job.attempts == 1, job.error
    cluster.check_published()


def test_storage_down_during_upload_is_ridden_out(cluster: Cluster) -> None:
    """The store refuses every connection for a while during the upload: retried, then done."""
    cluster.start_worker("w1")
    job_id = cluster.render(cluster.bulletin(ARTICLE_WATER)).json()["job"]
    cluster.wait(lambda: cluster.job(job_id).state == "running")
    cluster.proxy.faults.down = True
    try:
        cluster.wait(lambda: cluster.job(job_id).stage in ("store", "retry"), timeout=SETTLE)
        time.sleep(6)
    finally:
        cluster.proxy.faults.down = False
    (job,) = cluster.wait_ended(job_id)
    assert job.state == "done", job.error
    assert "storing" in cluster.log_of("w1") or "storage failed" in cluster.log_of("w1")
    cluster.check_published()


def test_a_full_disk_fails_the_job_with_a_reason_then_renders_once_freed(cluster: Cluster) -> None:
    """#15: the worker's disk is full. The job fails with "disk full" (no internal path shown),
    nothing stays queued, and a render once space is freed is a new job that completes."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    disk = cluster.tmp / "w1"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        filler = disk / "filler"
        with filler.open("wb") as out, pytest.raises(OSError):
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        cluster.start_worker("w1")
        bulletin = cluster.bulletin(ARTICLE_WATER)
        (failed,) = cluster.wait_ended(cluster.render(bulletin).json()["job"])
        assert failed.state == "failed" and failed.error is not None
        assert "امتلأ القرص" in failed.error and "/" not in failed.error, failed.error
        filler.unlink()
        again = cluster.render(bulletin).json()["job"]
        assert again != failed.id
        (done,) = cluster.wait_ended(again)
        assert done.state == "done", done.error
        cluster.check_published()
    finally:
        for worker in cluster.workers.values():
            worker.terminate()
            worker.wait(30)
        subprocess.run(["umount", "-l", str(disk)], check=False)


def children_of(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):
            found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_kill_9_of_a_worker_leaves_no_process_or_work_folder(cluster: Cluster) -> None:
    """#15: the render child dies with its worker; the restarted worker removes the dead
    attempt's work folder and takes the job again once its lease has run out."""
    worker = cluster.start_worker("w1")
    job_id = cluster.render(cluster.bulletin(ARTICLE_WATER)).json()["job"]
    work = cluster.tmp / "w1" / "work" / f"{job_id}-1"
    # The job is marked running when claimed, a moment before its work folder is made.
    cluster.wait(lambda: cluster.job(job_id).state == "running" and work.is_dir())
    cluster.wait(lambda: bool(children_of(worker.pid)))
    renders = children_of(worker.pid)
    worker.kill()
    worker.wait()
    cluster.wait(lambda: not any(alive(pid) for pid in renders), timeout=30)
    cluster.start_worker("w1")
    (job,) = cluster.wait_ended(job_id)
    assert job.state == "done" and job.attempts == 2, job.error
    # Removed when attempt 2 was claimed, so before the job could end.
    assert not work.exists()
    # Attempt 2 removes its own folder after it has recorded the job as done.
    cluster.wait(lambda: not any((cluster.tmp / "w1" / "work").iterdir()), timeout=30)
    cluster.check_published()


def test_saves_and_logins_on_a_full_disk_say_so(tmp_path: Path) -> None:
    """#15: with the server's data disk full (SQLite), a save answers 507 with a sentence, not a
    bare 500; once space is freed saving works and nothing saved before was lost."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    data = tmp_path / "data"
    data.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(data)], check=False).returncode:
        pytest.skip("cannot mount a tmpfs here")
    server = None
    try:
        env = server_env(data, PRODUCER_EMBEDDED_WORKER="false")
        server = start_server(data, env)
        token = run_cli(data, "token", "create", "admin", env=env).stdout.strip()
        api = server.client(headers={"Authorization": f"Bearer {token}"})
        saved = api.post("/api/v1/bulletins", json={"articles": [ARTICLE_WATER]})
        assert saved.status_code == 201
        filler = data / "filler"
        with filler.open("wb") as out, pytest.raises(OSError):
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        refused = [api.post("/api/v1/bulletins", json={"articles": [ARTICLE_SCHOOL * 40]}) for _ in range(3)]
        assert {r.status_code for r in refused} == {507}, [r.text for r in refused]
        assert all("امتلأ" in r.json()["detail"] for r in refused)
        filler.unlink()
        again = api.post("/api/v1/bulletins", json={"articles": [ARTICLE_SCHOOL]})
        assert again.status_code == 201
        assert api.get(f"/api/v1/bulletins/{saved.json()['id']}").status_code == 200
        api.close()
    finally:
        if server is not None:
            server.stop()
        subprocess.run(["umount", "-l", str(data)], check=False)


def test_a_second_worker_reuses_what_the_first_voiced_and_encoded(cluster: Cluster) -> None:
    """The shared cache tier: a re-render on another machine (its own empty cache folder) reads
    every segment and part from the bucket and writes none of them again."""
    # The shipped greeting says the time of the render, which a minute between the two renders
    # changes (and so voices again); this station's greeting says neither time nor day.
    with cluster.database.write() as s:
        words.set_templates(s, {"greeting": "أهلا بكم، معكم نشرة الأخبار."}, "test")
    first = cluster.start_worker("w1")
    bulletin = cluster.bulletin(ARTICLE_WATER, ARTICLE_SCHOOL)
    (cold,) = cluster.wait_ended(cluster.render(bulletin).json()["job"])
    assert cold.state == "done", cold.error
    first.terminate()
    first.wait(60)

    def shared() -> dict[str, tuple[str, Any]]:
        pages = cluster.s3.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix=cluster.prefix + "cache/"
        )
        return {
            item["Key"].removeprefix(cluster.prefix): (item["ETag"], item["LastModified"])
            for page in pages
            for item in page.get("Contents", [])
        }

    before = shared()
    assert any(key.startswith("cache/speech/") for key in before)
    assert any(key.startswith("cache/parts/") for key in before)
    cluster.start_worker("w2")
    (warm,) = cluster.wait_ended(cluster.render(bulletin).json()["job"])
    assert warm.state == "done", warm.error
    assert shared() == before  # nothing voiced or encoded again
    local = {
        "cache/" + path.relative_to(cluster.tmp / "w2" / "cache").as_posix()
        for path in (cluster.tmp / "w2" / "cache").rglob("*")
        if path.is_file()
    }
    assert set(before) <= local  # fetched from the shared tier into the local one
    cluster.check_published()
