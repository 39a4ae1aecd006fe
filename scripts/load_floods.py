"""/feed.xml latency while `producer serve` is flooded, on loopback only, stopping by itself.

The companion of scripts/load.py for issue #15's floors. It starts its own server over a temporary
data folder, then for each flood measures GET /feed.xml from FEED_CLIENTS clients for DURATION
seconds while the flood runs:

- slow:    SLOW connections (default 2,100) that send a request head a byte at a time and never
           finish it; each one the server cuts is opened again at once
- preview: PREVIEWS concurrent segment previews (default 80) from one logged-in viewer, again and
           again

The attackers run in a process of their own, so the feed's figures are never those of the flood
generator's event loop. Real attackers are on other machines; here they share the server's cores.
`--attackers normal` runs them at the server's priority (they take CPU the server would have had),
`--attackers low` at nice 19 (the server's processes come first, the flood takes what is left:
the nearest this one machine comes to attackers elsewhere), `both` (the default) runs each flood
both ways. Each line names the way it ran, with the load average before and after, the CPU seconds
the server (all its processes) and the attackers used, and what the flood achieved.

It prints p50 / p95 / p99 / max of the feed and its failed requests for each flood and exits 1 when
a run's feed p99 reaches 200 ms or a feed request fails.

Usage: python scripts/load_floods.py [--duration 12] [--slow 2100] [--previews 80]
                                     [--flood slow|preview|both] [--attackers normal|low|both]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.web.support import (
    ARTICLE_WATER,
    VIEWER_PASSWORD,
    csrf_of,
    login_form_token,
    run_cli,
    server_env,
    start_server,
)

GOAL_P99_MS = 200.0
FEED_CLIENTS = 5
LOW_NICE = 19
TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def group_cpu(group: int) -> float:
    """CPU seconds (user + system) of every live process in a process group: the server, its
    preview and render processes."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


# ---- the feed's listeners (this process, normal priority) ------------------------------------------


async def feed_clients(url: str, until: float) -> tuple[list[float], Counter[str]]:
    times: list[float] = []
    failures: Counter[str] = Counter()

    async def one() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            while time.monotonic() < until:
                start = time.perf_counter()
                try:
                    status = (await client.get("/feed.xml")).status_code
                    if status != 200:
                        failures[str(status)] += 1
                except httpx.HTTPError as exc:
                    failures[type(exc).__name__] += 1
                times.append(time.perf_counter() - start)
                await asyncio.sleep(0.05)

    await asyncio.gather(*(one() for _ in range(FEED_CLIENTS)))
    return times, failures


# ---- the attackers (a process of their own) ------------------------------------------------------------


async def slow_flood(host: str, port: int, count: int, until: float, outcome: Counter[str]) -> None:
    async def one() -> None:
        while time.monotonic() < until:
            try:
                _reader, writer = await asyncio.open_connection(host, port)
            except OSError:
                outcome["connect refused"] += 1
                await asyncio.sleep(0.5)
                continue
            outcome["opened"] += 1
            try:
                writer.write(b"GET /feed.xml HTTP/1.1\r\nHost: x\r\n")
                while time.monotonic() < until:
                    writer.write(b"X")  # a header that never ends
                    await writer.drain()
                    await asyncio.sleep(1.0)
            except OSError:
                outcome["cut by the server"] += 1
            finally:
                writer.close()

    await asyncio.gather(*(one() for _ in range(count)))


async def preview_flood(
    url: str,
    cookies: dict[str, str],
    csrf: str,
    bulletin: int,
    count: int,
    until: float,
    outcome: Counter[str],
) -> None:
    async def one(i: int) -> None:
        async with httpx.AsyncClient(base_url=url, cookies=cookies, timeout=120) as client:
            while time.monotonic() < until:
                data = {"csrf_token": csrf, "text": f"خبر رقم {i} عن المياه في المدينة."}
                try:
                    reply = await client.post(f"/bulletins/{bulletin}/listen", data=data)
                    outcome[str(reply.status_code)] += 1
                except httpx.HTTPError as exc:
                    outcome[type(exc).__name__] += 1
                await asyncio.sleep(0.01)

    await asyncio.gather(*(one(i) for i in range(count)))


def attack(flood: str, nice: int, until: float, params: dict[str, Any], results: Any) -> None:
    """The flood, in its own process (multiprocessing target): returns its outcome and CPU seconds."""
    os.nice(nice)
    outcome: Counter[str] = Counter()
    if flood == "slow":
        run = slow_flood(params["host"], params["port"], params["count"], until, outcome)
    else:
        run = preview_flood(
            params["url"],
            params["cookies"],
            params["csrf"],
            params["bulletin"],
            params["count"],
            until,
            outcome,
        )
    asyncio.run(run)
    used = resource.getrusage(resource.RUSAGE_SELF)
    results.put((dict(outcome), used.ru_utime + used.ru_stime))


# ---- one measured run ------------------------------------------------------------------------------------


def measure(
    url: str, group: int, flood: str, attackers: str, args: argparse.Namespace, viewer: dict[str, Any]
) -> bool:
    host, port = url.removeprefix("http://").split(":")
    if flood == "slow":
        params: dict[str, Any] = {"host": host, "port": int(port), "count": args.slow}
    else:
        params = {"url": url, "count": args.previews, **viewer}
    nice = LOW_NICE if attackers == "low" else 0
    load_before = os.getloadavg()[0]
    cpu_before = group_cpu(group)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start = time.monotonic() + 1.0  # the attackers' process starts first
    until = start + args.duration
    process = context.Process(target=attack, args=(flood, nice, until, params, results))
    process.start()
    time.sleep(max(0.0, start - time.monotonic()))
    times, failures = asyncio.run(feed_clients(url, until))
    outcome, attacker_cpu = results.get(timeout=120)
    process.join(30)
    server_cpu = group_cpu(group) - cpu_before
    p50, p95, p99 = (percentile(times, q) * 1000 for q in (0.5, 0.95, 0.99))
    failed = sum(failures.values())
    print(
        f"{flood} flood, attackers {attackers} (nice {nice}): /feed.xml {len(times)} requests, "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {max(times) * 1000:.1f} ms, "
        f"{failed} failed{f' {dict(failures)}' if failed else ''}\n"
        f"    load {load_before:.2f} -> {os.getloadavg()[0]:.2f}; CPU s: server {server_cpu:.1f}, "
        f"attackers {attacker_cpu:.1f}; flood: {outcome}",
        flush=True,
    )
    return failed == 0 and p99 < GOAL_P99_MS


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=12.0)
    parser.add_argument("--slow", type=int, default=2100)
    parser.add_argument("--previews", type=int, default=80)
    parser.add_argument("--flood", choices=("slow", "preview", "both"), default="both")
    parser.add_argument("--attackers", choices=("normal", "low", "both"), default="both")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.slow + 500)), hard))
    print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)

    with tempfile.TemporaryDirectory(prefix="producer-floods-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        env = server_env(data_dir, PRODUCER_MAX_UPLOAD_MB="20")
        for name, role, stdin in (
            ("viewer", "viewer", VIEWER_PASSWORD),
            ("loader", "editor", "loader-kettle-lantern"),
        ):
            added = run_cli(data_dir, "user", "add", name, "--role", role, stdin=stdin, env=env)
            if added.returncode:
                raise SystemExit(f"cannot create {name}: {added.stderr}")
        token = run_cli(data_dir, "token", "create", "loader", env=env).stdout.strip()
        server = start_server(data_dir, env)
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                bulletin = client.post(
                    "/api/v1/bulletins",
                    json={"articles": [ARTICLE_WATER]},
                    headers={"Authorization": f"Bearer {token}"},
                ).json()["id"]
                logged = client.post(
                    "/login",
                    data={
                        "name": "viewer",
                        "password": VIEWER_PASSWORD,
                        "csrf_token": login_form_token(client),
                    },
                )
                if logged.status_code != 303:
                    raise SystemExit(f"the viewer cannot log in: {logged.status_code}")
                viewer = {
                    "cookies": dict(client.cookies.items()),
                    "csrf": csrf_of(client.get("/").text),
                    "bulletin": bulletin,
                }
                for _ in range(20):
                    client.get("/feed.xml")  # warm: the figures are of a running server
            floods = ("slow", "preview") if args.flood == "both" else (args.flood,)
            ways = ("normal", "low") if args.attackers == "both" else (args.attackers,)
            met = [measure(server.url, server.process.pid, f, a, args, viewer) for f in floods for a in ways]
        finally:
            server.stop()
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
