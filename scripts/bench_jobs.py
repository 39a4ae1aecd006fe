"""Job-system figures for the scale-out setup, on throwaway PostgreSQL and Redis servers.

- heartbeats: HEARTBEAT_PROCS processes each hold a claimed job and renew its lease (with a
  progress write) as fast as the lease thread would under load, for --seconds; prints p50 / p99 /
  max of one renewal. With no global write lock they do not queue behind each other.
- throughput: six bulletins (each its own text, so little comes from the caches) rendered by a
  cluster (`serve` without its worker, PostgreSQL, Redis, moto's S3 server) with 1 and then 2
  `producer worker` processes on data folders of their own, each run with a cache of its own;
  prints the seconds from the first render request to the last episode.

Usage: python scripts/bench_jobs.py [heartbeats|throughput|all] [--seconds 10]
Timings depend on the machine's load: each figure is printed with the load average over its run.
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEARTBEAT_PROCS = 10
BULLETINS = 6


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


def throughput() -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    from tests.backends import PostgresServer, RedisServer, postgres_bindir
    from tests.web.support import (
        ARTICLE_SCHOOL,
        ARTICLE_WATER,
        free_port,
        producer_command,
        run_cli,
        server_env,
        start_server,
        wait_job,
    )

    bindir, redis_binary = postgres_bindir(), shutil.which("redis-server")
    if bindir is None or redis_binary is None:
        raise SystemExit("PostgreSQL and redis-server are needed")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log

    def distinct(n: int) -> list[str]:
        return [
            "\n".join(f"{line} في النشرة رقم {n + 1}." for line in article.splitlines() if line.strip())
            for article in (ARTICLE_WATER, ARTICLE_SCHOOL)
        ]

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    ).create_bucket(Bucket="bench")
    try:
        with PostgresServer.running(bindir) as pg, RedisServer.running(Path(redis_binary)) as redis:
            for workers in (1, 2):
                root = Path(tempfile.mkdtemp(prefix=f"bench-jobs-{workers}-"))
                data = root / "web"
                data.mkdir()
                env = server_env(
                    data,
                    PRODUCER_EMBEDDED_WORKER="false",
                    PRODUCER_DATABASE_URL=pg.new_database(),
                    PRODUCER_QUEUE_URL=redis.new_url(),
                    PRODUCER_STORAGE="s3",
                    PRODUCER_S3_BUCKET="bench",
                    PRODUCER_S3_ENDPOINT_URL=endpoint,
                    PRODUCER_S3_REGION="us-east-1",
                    PRODUCER_S3_PREFIX=f"w{workers}/",
                    PRODUCER_S3_ACCESS_KEY_ID="t",
                    PRODUCER_S3_SECRET_ACCESS_KEY="t",
                    PRODUCER_JOB_STALE_SECONDS="30",
                )
                server = start_server(data, env)
                procs = []
                try:
                    for n in range(workers):
                        folder = root / f"worker-{n}"
                        folder.mkdir()
                        procs.append(
                            subprocess.Popen(
                                producer_command("worker"),
                                env={**env, "PRODUCER_DATA_DIR": str(folder)},
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                            )
                        )
                    token = run_cli(data, "token", "create", "admin", env=env).stdout.strip()
                    with server.client(headers={"Authorization": f"Bearer {token}"}) as api:
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
                    for proc in procs:
                        proc.terminate()
                        proc.wait(60)
                    server.stop()
                    shutil.rmtree(root, ignore_errors=True)
    finally:
        moto.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", nargs="?", default="all", choices=("heartbeats", "throughput", "all"))
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    # Stopped with SIGTERM, the servers and workers it started are stopped too (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if args.what in ("heartbeats", "all"):
        heartbeats(args.seconds)
    if args.what in ("throughput", "all"):
        throughput()


if __name__ == "__main__":
    main()
