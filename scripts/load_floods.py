"""/feed.xml latency while `producer serve` is flooded, on loopback only, stopping by itself.

The companion of scripts/load.py for issue #15's floors. It starts its own server over a temporary
data folder, then for each flood measures GET /feed.xml from FEED_CLIENTS clients for DURATION
seconds while the flood runs:

- slow:    SLOW connections (default 2,100) that send a request head a byte at a time and never
           finish it; each one the server cuts is opened again at once
- preview: PREVIEWS concurrent segment previews (default 80) from one logged-in viewer, again and
           again

It prints p50 / p99 / max of the feed and the flood's outcome, and exits 1 when the feed's p99
reaches 200 ms or a feed request fails.

Usage: python scripts/load_floods.py [--duration 15] [--slow 2100] [--previews 80] [--flood slow|preview|both]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def feed_clients(url: str, until: float) -> tuple[list[float], int]:
    times: list[float] = []
    failures = 0

    async def one() -> None:
        nonlocal failures
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            while time.monotonic() < until:
                start = time.perf_counter()
                try:
                    ok = (await client.get("/feed.xml")).status_code == 200
                except httpx.HTTPError:
                    ok = False
                times.append(time.perf_counter() - start)
                failures += not ok
                await asyncio.sleep(0.05)

    await asyncio.gather(*(one() for _ in range(FEED_CLIENTS)))
    return times, failures


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
    cookies: httpx.Cookies,
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


async def measure(
    url: str, flood: str, args: argparse.Namespace, viewer: tuple[httpx.Cookies, str], bulletin: int
) -> bool:
    outcome: Counter[str] = Counter()
    until = time.monotonic() + args.duration
    host, port = url.removeprefix("http://").split(":")
    if flood == "slow":
        attack = slow_flood(host, int(port), args.slow, until, outcome)
    else:
        attack = preview_flood(url, viewer[0], viewer[1], bulletin, args.previews, until, outcome)
    (times, failures), _ = await asyncio.gather(feed_clients(url, until), attack)
    p50, p99 = percentile(times, 0.5) * 1000, percentile(times, 0.99) * 1000
    print(
        f"{flood} flood: /feed.xml {len(times)} requests, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms, {failures} failed; flood: {dict(outcome)}",
        flush=True,
    )
    return failures == 0 and p99 < GOAL_P99_MS


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--slow", type=int, default=2100)
    parser.add_argument("--previews", type=int, default=80)
    parser.add_argument("--flood", choices=("slow", "preview", "both"), default="both")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.slow + 500)), hard))

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
                viewer = (client.cookies, csrf_of(client.get("/").text))
                for _ in range(20):
                    client.get("/feed.xml")  # warm: the figures are of a running server
            floods = ("slow", "preview") if args.flood == "both" else (args.flood,)
            met = all([asyncio.run(measure(server.url, flood, args, viewer, bulletin)) for flood in floods])
        finally:
            server.stop()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
