"""Job-system figures for the scale-out setup, on throwaway PostgreSQL and Redis servers.

- heartbeats: HEARTBEAT_PROCS processes each hold a claimed job and renew its lease (with a
  progress write) as fast as the lease thread would under load, for --seconds; prints p50 / p99 /
  max of one renewal. With no global write lock they do not queue behind each other.
- throughput: six bulletins (each its own text, so little comes from the caches) rendered by a
  cluster (`serve` without its worker, PostgreSQL, Redis, moto's S3 server) with 1 and then 2
  `producer worker` processes on data folders of their own, each run with a cache of its own;
  prints the seconds from the first render request to the last episode.
- crossworker: on the same kind of cluster, one bulletin of STORIES distinct stories (scripts/
  bench_corpus.py) rendered cold with only worker A running; A stopped, one word of one story
  changed (scripts/bench.py's edit), and the bulletin rendered again with only worker B, whose
  local cache is empty, running; prints both renders' seconds (from the worker taking the job to
  the episode), warm/cold, and what B took from the shared tier in the bucket (the entries B holds
  that it did not add there) and what it had to make.

Usage: python scripts/bench_jobs.py [heartbeats|throughput|crossworker|all] [--seconds 10]
Timings depend on the machine's load: each figure is printed with the load average over its run.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from producer.filecache import SHARED_PREFIX

if TYPE_CHECKING:
    import httpx

    from tests.web.support import Server

HEARTBEAT_PROCS = 10
BULLETINS = 6
STORIES = 8
BUCKET = "bench"


def _load() -> str:
    """The 1-minute load average and the number of cores, to print beside a timing."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _beat(url: str, seconds: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from producer.jobs.lease import Lease, claim_next
    from producer.store.db import Database

    database = Database(url)
    claim = claim_next(database, f"bench-{os.getpid()}", 30)
    assert claim is not None
    lease = Lease(database, claim, 30)
    took = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        lease.renew((0.5, "encode"))
        took.append(time.perf_counter() - start)
        time.sleep(0.02)
    out.put(took)
    database.dispose()


def heartbeats(seconds: float) -> None:
    from producer.store.db import Bulletin, Database, Job, utcnow
    from tests.backends import PostgresServer, postgres_bindir

    bindir = postgres_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed")
    with PostgresServer.running(bindir) as server:
        url = server.new_database()
        database = Database(url)
        database.migrate()
        script = {
            "title": "نشرة",
            "headlines": [],
            "segments": [{"kind": "story", "text": "خبر", "story": 0}],
        }
        with database.write() as s:
            for n in range(HEARTBEAT_PROCS):
                bulletin = Bulletin(title=f"{n}", articles=["خبر"], script=script)
                s.add(bulletin)
                s.flush()
                s.add(Job(id=f"bench-{n}", bulletin_id=bulletin.id, script=script, due=utcnow()))
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        procs = [context.Process(target=_beat, args=(url, seconds, out)) for _ in range(HEARTBEAT_PROCS)]
        for proc in procs:
            proc.start()
        took = sorted(t for _ in procs for t in out.get())
        load = _load()
        for proc in procs:
            proc.join()
        database.dispose()
    p99 = statistics.quantiles(took, n=100)[98]
    print(
        f"heartbeat renewals by {HEARTBEAT_PROCS} processes on PostgreSQL: {len(took)} in {seconds:.0f} s, "
        f"p50 {statistics.median(took) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {took[-1] * 1000:.1f} ms "
        f"({load})",
        flush=True,
    )


@dataclass
class Site:
    """One scale-out site on the throwaway backends: `serve` without its worker, and its settings."""

    root: Path
    env: dict[str, str]
    server: Server
    token: str

    def api(self) -> httpx.Client:
        return self.server.client(headers={"Authorization": f"Bearer {self.token}"})

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        """A `producer worker` on a data folder (and so a local cache) of its own, as on another machine."""
        from tests.web.support import producer_command

        folder = self.root / f"worker-{name}"
        folder.mkdir()
        return subprocess.Popen(
            producer_command("worker"),
            env={**self.env, "PRODUCER_DATA_DIR": str(folder)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
        proc.wait(60)


@contextlib.contextmanager
def _backends() -> Iterator[Callable[[str], contextlib.AbstractContextManager[Site]]]:
    """PostgreSQL, Redis and moto's S3 server (bucket "bench"); yields a maker of sites on them,
    each with a database, a queue and a bucket prefix of its own."""
    import boto3
    from moto.server import ThreadedMotoServer

    from tests.backends import PostgresServer, RedisServer, postgres_bindir
    from tests.web.support import free_port, run_cli, server_env, start_server

    bindir, redis_binary = postgres_bindir(), shutil.which("redis-server")
    if bindir is None or redis_binary is None:
        raise SystemExit("PostgreSQL and redis-server are needed")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    ).create_bucket(Bucket=BUCKET)
    try:
        with PostgresServer.running(bindir) as pg, RedisServer.running(Path(redis_binary)) as redis:

            @contextlib.contextmanager
            def site(name: str) -> Iterator[Site]:
                root = Path(tempfile.mkdtemp(prefix=f"bench-jobs-{name}-"))
                data = root / "web"
                data.mkdir()
                env = server_env(
                    data,
                    PRODUCER_EMBEDDED_WORKER="false",
                    PRODUCER_DATABASE_URL=pg.new_database(),
                    PRODUCER_QUEUE_URL=redis.new_url(),
                    PRODUCER_STORAGE="s3",
                    PRODUCER_S3_BUCKET=BUCKET,
                    PRODUCER_S3_ENDPOINT_URL=endpoint,
                    PRODUCER_S3_REGION="us-east-1",
                    PRODUCER_S3_PREFIX=f"{name}/",
                    PRODUCER_S3_ACCESS_KEY_ID="t",
                    PRODUCER_S3_SECRET_ACCESS_KEY="t",
                    PRODUCER_JOB_STALE_SECONDS="30",
                )
                server = start_server(data, env)
                try:
                    token = run_cli(data, "token", "create", "admin", env=env).stdout.strip()
                    yield Site(root, env, server, token)
                finally:
                    server.stop()
                    shutil.rmtree(root, ignore_errors=True)

            yield site
    finally:
        moto.stop()


def throughput() -> None:
    from tests.web.support import ARTICLE_SCHOOL, ARTICLE_WATER, wait_job

    def distinct(n: int) -> list[str]:
        return [
            "\n".join(f"{line} في النشرة رقم {n + 1}." for line in article.splitlines() if line.strip())
            for article in (ARTICLE_WATER, ARTICLE_SCHOOL)
        ]

    with _backends() as sites:
        for workers in (1, 2):
            with sites(f"w{workers}") as site:
                procs = [site.worker(str(n)) for n in range(workers)]
                try:
                    with site.api() as api:
                        ids = [
                            api.post("/api/v1/bulletins", json={"articles": distinct(n)}).json()["id"]
                            for n in range(BULLETINS)
                        ]
                        start = time.monotonic()
                        jobs = [api.post(f"/api/v1/bulletins/{b}/render").json()["job"] for b in ids]
                        states = [wait_job(api, job, timeout=1800)["state"] for job in jobs]
                        took = time.monotonic() - start
                    done = states.count("done")
                    print(
                        f"{BULLETINS} bulletins with {workers} worker(s): {took:.1f} s, "
                        f"{done / took * 60:.2f} bulletins a minute, {done} done of {len(states)} "
                        f"({_load()})",
                        flush=True,
                    )
                finally:
                    _stop(procs)


def _render(api: httpx.Client, bulletin: int) -> float:
    """Seconds from a worker taking the render (state "running") to its episode; the worker's own
    start-up and the queue wait are left out."""
    job = api.post(f"/api/v1/bulletins/{bulletin}/render").json()["job"]
    requested = time.monotonic()
    started: float | None = None
    while time.monotonic() < requested + 1800:
        state = api.get(f"/api/v1/jobs/{job}").json()
        if state["state"] == "running" and started is None:
            started = time.monotonic()
        if state["state"] in ("done", "failed", "cancelled"):
            if state["state"] != "done":
                raise SystemExit(f"render {job} ended {state['state']}: {state['error']}")
            return time.monotonic() - (started or requested)
        time.sleep(0.1)
    raise SystemExit(f"render {job} did not finish")


def _edit_one_word(api: httpx.Client, bulletin: int) -> None:
    """The one-word edit of scripts/bench.py, made through the API's script edit."""
    from bench import one_word_edit

    from producer.scriptfile import script_from_dict, script_from_text, script_to_dict, script_to_text

    script = script_from_dict(api.get(f"/api/v1/bulletins/{bulletin}").json()["script"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "script.txt"
        path.write_text(script_to_text(script), encoding="utf-8")
        one_word_edit(path)
        edited = script_from_text(path.read_text(encoding="utf-8"))
    if edited.segments == script.segments:
        raise SystemExit("the one-word edit changed nothing")
    reply = api.patch(f"/api/v1/bulletins/{bulletin}", json={"segments": script_to_dict(edited)["segments"]})
    reply.raise_for_status()


def _entries(folder: Path) -> Counter[str]:
    """Cache entries under `folder` by cache (speech, parts, cues), temporary files left out."""
    return Counter(
        p.relative_to(folder).parts[0]
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )


def crossworker() -> None:
    import boto3
    from bench_corpus import distinct_stories, fixture_text

    with _backends() as sites, sites("cross") as site:
        bucket = boto3.resource(
            "s3",
            endpoint_url=site.env["PRODUCER_S3_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id="t",
            aws_secret_access_key="t",
        ).Bucket(BUCKET)

        def shared() -> Counter[str]:
            prefix = f"cross/{SHARED_PREFIX}/"
            return Counter(o.key[len(prefix) :].split("/")[0] for o in bucket.objects.filter(Prefix=prefix))

        with site.api() as api:
            created = api.post(
                "/api/v1/bulletins", json={"articles": distinct_stories(fixture_text(), STORIES)}
            )
            created.raise_for_status()
            bulletin = created.json()["id"]
            a = site.worker("a")
            try:
                cold = _render(api, bulletin)
                cold_load = _load()
            finally:
                _stop([a])
            after_cold = shared()
            _edit_one_word(api, bulletin)
            b = site.worker("b")
            try:
                warm = _render(api, bulletin)
                warm_load = _load()
            finally:
                _stop([b])
        added = shared() - after_cold
        on_b = _entries(site.root / "worker-b" / "cache")
        # B began with an empty cache: each entry it holds was fetched from the bucket (a shared
        # hit) or made by B and offered to the bucket (a new object there).
        hits = on_b - added
    print(f"{STORIES}-story bulletin, cold on worker A: {cold:.1f} s ({cold_load})", flush=True)
    print(
        f"after a one-word edit, warm on worker B (empty local cache): {warm:.1f} s ({warm_load}), "
        f"warm/cold {warm / cold:.0%}",
        flush=True,
    )
    print(
        f"shared tier: {sum(after_cold.values())} objects after A ({_counts(after_cold)}); "
        f"B fetched {sum(hits.values())} ({_counts(hits)}) "
        f"and added {sum(added.values())} ({_counts(added)})",
        flush=True,
    )


def _counts(counts: Counter[str]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items())) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "what", nargs="?", default="all", choices=("heartbeats", "throughput", "crossworker", "all")
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    # Stopped with SIGTERM, the servers and workers it started are stopped too (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if args.what in ("heartbeats", "all"):
        heartbeats(args.seconds)
    if args.what in ("throughput", "all"):
        throughput()
    if args.what in ("crossworker", "all"):
        crossworker()


if __name__ == "__main__":
    main()
