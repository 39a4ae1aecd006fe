"""Bounded load test of `producer serve`, on loopback only, stopping by itself.

It starts its own server on a free 127.0.0.1 port over a temporary data folder, adds an editor
and an API token, renders and publishes one episode, then runs CLIENTS concurrent async clients
for a fixed DURATION (or until MAX_REQUESTS), a third of them on each route:

- feed:  GET /feed.xml
- media: GET of a random 64 KiB range of the published MP3 (206, exact length checked)
- job:   GET /api/v1/jobs/{id}: the first render's job, then, once a fifth of the DURATION has
         passed and the render of a second, longer bulletin is queued, that render's job

It prints p50 / p99 / max latency and the errors of each route, for the whole run and for the
requests made while the render was running, and exits 1 when a goal is missed: no errors, feed
and media p99 under 50 ms. Requests during the render staying as fast as the others is the
evidence that the render never blocks the server's event loop.

Each client pauses about THINK seconds between its requests, as a listener's app or browser does
(--think 0 sends back to back and measures saturation instead).

Usage: python scripts/load.py [--clients 50] [--duration 20] [--max-requests 50000] [--think 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The load test starts the service the way the web tests do.
from tests.web.support import EDITOR_PASSWORD, run_cli, server_env, start_server, wait_job

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = (
    "انقطاع المياه عن أحياء في المدينة لمدة يومين\n"
    "أعلنت مؤسسة المياه أن الضخ سيتوقف عن 3 أحياء في المدينة يومي السبت والأحد لإجراء أعمال صيانة.\n"
    "وقالت المؤسسة إن الفرق الفنية ستعمل على مدار الساعة لإعادة الضخ في أقرب وقت ممكن."
)
LONG_ARTICLE = ROOT / "tests" / "data" / "pages" / "alwan.txt"
GOAL_P99_MS = {"feed": 50.0, "media": 50.0}
RANGE_BYTES = 64 * 1024


@dataclass
class Sample:
    route: str
    seconds: float
    ok: bool
    during_render: bool


@dataclass
class Run:
    duration: float
    max_requests: int
    render_job: str  # the job the pollers ask about: the first (done) one, then the load's render
    audio_path: str
    audio_bytes: int
    started: float = field(default_factory=time.monotonic)
    deadline: float = math.inf
    sent: int = 0
    render_running: bool = False
    render_outcome: str = "not finished when the load ended"
    render_span: list[float] = field(default_factory=list)  # seconds into the load: start, end
    samples: list[Sample] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def take(self) -> bool:
        """One more request allowed (the cap and the clock are shared by all clients)."""
        if self.sent >= self.max_requests or time.monotonic() >= self.deadline:
            return False
        self.sent += 1
        return True

    def render_ended(self, outcome: str) -> None:
        self.render_running, self.render_outcome = False, outcome
        self.render_span.append(time.monotonic() - self.started)


async def one_request(client: httpx.AsyncClient, run: Run, route: str, rng: random.Random) -> None:
    during = run.render_running
    started = time.perf_counter()
    problem = None
    try:
        if route == "feed":
            reply = await client.get("/feed.xml")
            if reply.status_code != 200 or not reply.content.startswith(b"<?xml"):
                problem = f"feed {reply.status_code}"
        elif route == "media":
            first = rng.randrange(0, run.audio_bytes)
            last = min(first + RANGE_BYTES, run.audio_bytes) - 1
            reply = await client.get(run.audio_path, headers={"Range": f"bytes={first}-{last}"})
            if reply.status_code != 206 or len(reply.content) != last - first + 1:
                problem = f"media {reply.status_code} {len(reply.content)} bytes"
        else:
            job_id = run.render_job
            reply = await client.get(f"/api/v1/jobs/{job_id}")
            job = reply.json() if reply.status_code == 200 else {}
            if job.get("state") not in ("queued", "running", "done", "failed"):
                problem = f"job {reply.status_code} {reply.text[:200]}"
            elif run.render_running and job_id == run.render_job and job["state"] in ("done", "failed"):
                run.render_ended("done" if job["state"] == "done" else f"failed: {job['error']}")
    except httpx.HTTPError as exc:
        problem = f"{route} {type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - started
    run.samples.append(Sample(route, elapsed, problem is None, during))
    if problem is not None:
        run.errors[route].append(problem)


async def client_loop(client: httpx.AsyncClient, run: Run, route: str, think: float, seed: int) -> None:
    """One listener or app: a request, a pause of about `think` seconds, another request, …"""
    rng = random.Random(seed)
    async with client:
        await asyncio.sleep(rng.uniform(0, think))  # clients start spread out, not in lockstep
        while run.take():
            await one_request(client, run, route, rng)
            if think:
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


async def start_render(url: str, token: str, run: Run, bulletin: int, after: float) -> None:
    """Queue the render of a second bulletin once the load is under way."""
    await asyncio.sleep(after)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as api:
        reply = await api.post(f"/api/v1/bulletins/{bulletin}/render")
    run.render_job, run.render_running = reply.json()["job"], True
    run.render_span.append(time.monotonic() - run.started)


async def warm_up(url: str, run: Run) -> None:
    """A few requests of each kind first, so the figures are of a running server, not of its
    first feed rendering and first imports."""
    rng = random.Random(0)
    async with httpx.AsyncClient(base_url=url) as client:
        for _ in range(20):
            for route in ("feed", "media"):
                await one_request(client, run, route, rng)
    run.samples.clear()
    run.errors.clear()


async def load(url: str, token: str, run: Run, clients: int, think: float, bulletin: int) -> None:
    await warm_up(url, run)
    routes = [("feed", "media", "job")[i % 3] for i in range(clients)]
    # One AsyncClient (one connection) per client, all made before the clock starts: a single pool
    # shared by 50 connections costs httpx more CPU per request than the server spends, and
    # making a client (its TLS context) takes milliseconds; either would measure the client.
    sessions = [
        httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"} if route == "job" else {}, timeout=30
        )
        for route in routes
    ]
    run.started = time.monotonic()
    run.deadline = run.started + run.duration
    tasks = [
        client_loop(c, run, route, think, seed=i)
        for i, (c, route) in enumerate(zip(sessions, routes, strict=True))
    ]
    await asyncio.gather(start_render(url, token, run, bulletin, after=run.duration / 5), *tasks)


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(q * 1000) - 1]


def report(run: Run, seconds: float) -> bool:
    print(f"\n{run.sent} requests in {seconds:.1f} s ({run.sent / seconds:.0f}/s)")
    span = " to ".join(f"{t:.1f} s" for t in run.render_span)
    print(f"render of the second bulletin: from {span}; outcome: {run.render_outcome}")
    print(f"{'route':<8}{'subset':<15}{'count':>7}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    met = True
    for route in ("feed", "media", "job"):
        mine = [s for s in run.samples if s.route == route]
        subsets = (
            ("all", mine),
            ("during render", [s for s in mine if s.during_render]),
            ("no render", [s for s in mine if not s.during_render]),
        )
        for subset, chosen in subsets:
            if not chosen:
                continue
            ms = sorted(s.seconds * 1000 for s in chosen)
            errors = sum(not s.ok for s in chosen)
            p50, p99 = percentile(ms, 0.50), percentile(ms, 0.99)
            print(f"{route:<8}{subset:<15}{len(ms):>7}{errors:>8}{p50:>9.1f}{p99:>9.1f}{ms[-1]:>9.1f}")
            if subset == "all":
                met = met and errors == 0 and p99 < GOAL_P99_MS.get(route, float("inf"))
    for route, problems in run.errors.items():
        print(f"{route} errors (first 5 of {len(problems)}): {problems[:5]}")
    print("goals met" if met else "GOALS MISSED: 0 errors, feed and media p99 < 50 ms")
    if run.render_outcome != "done":
        print("the render did not finish during the load: make --duration longer")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument(
        "--think",
        type=float,
        default=0.1,
        help="mean pause of each client between requests, seconds (0: none)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="producer-load-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        added = run_cli(data_dir, "user", "add", "loader", "--role", "editor", stdin=EDITOR_PASSWORD)
        token = run_cli(data_dir, "token", "create", "loader")
        if added.returncode or token.returncode:
            raise SystemExit(f"cannot create the load user: {added.stderr}{token.stderr}")
        # The service's own limits, not the tests' tight ones.
        env = server_env(data_dir, PRODUCER_JOB_STALE_SECONDS="30", PRODUCER_MAX_UPLOAD_MB="20")
        server = start_server(data_dir, env)
        token = token.stdout.strip()
        try:
            with httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
            ) as api:
                print("publishing one episode …", flush=True)
                first = api.post(
                    "/api/v1/bulletins", json={"title": "نشرة الحمل", "articles": [ARTICLE]}
                ).json()
                job = api.post(f"/api/v1/bulletins/{first['id']}/render").json()["job"]
                done = wait_job(api, job, timeout=300)
                if done["state"] != "done":
                    raise SystemExit(f"the first render failed: {done['error']}")
                episode = api.post(f"/api/v1/episodes/{done['episode']}/publish").json()
                long_text = LONG_ARTICLE.read_text(encoding="utf-8") if LONG_ARTICLE.is_file() else ARTICLE
                second = api.post(
                    "/api/v1/bulletins", json={"title": "نشرة طويلة", "articles": [long_text, ARTICLE]}
                ).json()
            audio_path = "/media/" + str(episode["audio_url"]).split("/media/", 1)[1]
            print(
                f"load: {args.clients} clients pausing ~{args.think:g} s, "
                f"{args.duration:.0f} s or {args.max_requests} requests; a render starts after a fifth",
                flush=True,
            )
            run = Run(args.duration, args.max_requests, str(done["id"]), audio_path, episode["audio_bytes"])
            asyncio.run(load(server.url, token, run, args.clients, args.think, second["id"]))
            met = report(run, time.monotonic() - run.started)
            met = met and run.render_outcome == "done"
        finally:
            server.stop()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
