"""Benchmark `producer build` against a naive pipeline and against its own floor.

One run prints a table for the example bulletin and the fixture article at 1x and 8x:
- naive: one espeak call per paragraph, pydub `+` to join, pydub normalize, one MP3 export
  (what a newcomer writes from the product card);
- build: `producer build` cold, in a fresh data folder (empty caches), as a subprocess;
- limit: the engine's synthesis of the same paragraphs alone (same parallelism) plus one ffmpeg
  MP3 encode of audio of the programme's length (the speech, then silence), with the same encoder
  settings;
then the warm re-render after editing one story of the 8x bulletin, and peak RSS of a ~60 minute
programme. The 8x and 60-minute bulletins are made of distinct stories (the fixture's paragraphs
rotated), so the segment cache cannot flatter the figures.

Usage: python scripts/bench.py [--skip-naive] [--skip-hour]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CANDIDATES = (
    ROOT.parent / "shared" / "fixtures" / "alwan_article.txt",
    ROOT / "tests" / "data" / "pages" / "alwan.txt",
)


def fixture_text() -> str:
    for path in FIXTURE_CANDIDATES:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise SystemExit("no fixture article found")


def distinct_variants(text: str, count: int) -> list[str]:
    """`count` different articles from one: the body's paragraphs rotated, so each story differs."""
    from producer.ingest import clean

    story = clean(text)
    paras = list(story.paragraphs)
    out = []
    for k in range(count):
        shift = k % len(paras)
        body = paras[shift:] + paras[:shift]
        out.append("\n\n".join([story.headline, *body]) + "\n")
    return out


def write_articles(texts: list[str], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, text in enumerate(texts):
        path = folder / f"story{i:02d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def _high_water_mark(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_producer(args: list[str], data_dir: Path) -> tuple[float, int]:
    """Wall seconds and the peak RSS (bytes) of the largest process of one `producer` run.

    The peak is each process's own high-water mark (VmHWM), polled: the rusage of a child forked
    from this (large) benchmark process would report the parent's size instead.
    """
    env = {**os.environ, "PRODUCER_DATA_DIR": str(data_dir)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "producer", *args], env=env, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max([peak, *(_high_water_mark(pid) for pid in _descendants(proc.pid))])
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"producer {args[0]} failed: {proc.stderr.read().decode()}")
    return elapsed, peak


def naive(paths: list[Path], out: Path) -> float:
    from pydub import AudioSegment
    from pydub.effects import normalize

    from producer.audio.ffmpeg import ffmpeg_exe
    from producer.ingest import clean
    from producer.settings import load_settings
    from producer.tts.registry import create_engine

    AudioSegment.converter = ffmpeg_exe()
    start = time.perf_counter()
    engine = create_engine("espeak", load_settings())
    programme = AudioSegment.empty()
    for path in paths:
        story = clean(path.read_text(encoding="utf-8"))
        for paragraph in (story.headline, *story.paragraphs):
            chunks = list(engine.synthesize(paragraph))
            pcm = np.concatenate([c.samples for c in chunks])
            programme = programme + AudioSegment(
                (np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes(),
                frame_rate=chunks[0].rate,
                sample_width=2,
                channels=1,
            )
    normalize(programme).export(out, format="mp3", bitrate="96k", parameters=["-ar", "44100"])
    return time.perf_counter() - start


_ENGINE = None


def _voice(text: str) -> np.ndarray:
    global _ENGINE
    if _ENGINE is None:
        from producer.settings import load_settings
        from producer.tts.registry import create_engine

        _ENGINE = create_engine("espeak", load_settings())
    chunks = [c.samples for c in _ENGINE.synthesize(text)]
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


def limit(paths: list[Path], seconds: float) -> tuple[float, float]:
    """(synthesis seconds, encode seconds) — the floor of a cold build of a `seconds` programme."""
    from producer.arabic import Lexicon
    from producer.audio.mp3 import RATE, lame_command
    from producer.ingest import clean
    from producer.pipeline import compose_script, speakable_texts
    from producer.settings import load_settings
    from producer.tts.registry import wants_diacritics

    settings = load_settings()
    script = compose_script([clean(p.read_text(encoding="utf-8")) for p in paths], settings)
    texts = speakable_texts(script, Lexicon.default(), diacritize=wants_diacritics("espeak"))
    # The build voices paragraph by paragraph: so does the limit, longest first.
    texts = sorted((line for text in texts for line in text.split("\n") if line), key=len, reverse=True)
    start = time.perf_counter()
    with ProcessPoolExecutor(settings.workers) as pool:
        clips = list(pool.map(_voice, texts))
    synth = time.perf_counter() - start
    # The speech at the programme rate, then silence (the pauses) up to the programme's length.
    speech = np.repeat(np.concatenate(clips), 2)
    audio = np.zeros(max(round(seconds * RATE), len(speech)), "<f4")
    audio[: len(speech)] = speech
    start = time.perf_counter()
    subprocess.run(lame_command(), input=audio.tobytes(), stdout=subprocess.DEVNULL, check=True)
    return synth, time.perf_counter() - start


def mp3_seconds(path: Path) -> float:
    from mutagen.mp3 import MP3

    return MP3(path).info.length


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-naive", action="store_true", help="do not run the naive reference")
    parser.add_argument("--skip-hour", action="store_true", help="do not build the 60-minute programme")
    args = parser.parse_args()

    article = fixture_text()
    work = Path(tempfile.mkdtemp(prefix="producer-bench-"))
    cases = {
        "example": sorted((ROOT / "examples").glob("*.txt")),
        "fixture 1x": write_articles(distinct_variants(article, 1), work / "1x"),
        "fixture 8x": write_articles(distinct_variants(article, 8), work / "8x"),
    }
    rows = []
    results: dict[str, dict[str, float]] = {}
    for name, paths in cases.items():
        out = work / f"{name.replace(' ', '_')}.mp3"
        t_build, rss = run_producer(
            ["build", *map(str, paths), "-o", str(out), "--quiet"], work / f"data-{len(rows)}"
        )
        synth, enc = limit(paths, mp3_seconds(out))
        t_naive = naive(paths, work / "naive.mp3") if not args.skip_naive else float("nan")
        results[name] = {"build": t_build, "limit": synth + enc, "naive": t_naive}
        rows.append(
            f"{name:<11} {mp3_seconds(out) / 60:6.1f} min  naive {t_naive:6.1f} s  build {t_build:6.1f} s  "
            f"limit {synth + enc:6.1f} s (synth {synth:4.1f} + encode {enc:4.1f})  "
            f"build/limit {t_build / (synth + enc):4.2f}  naive/build {t_naive / t_build:5.1f}x  "
            f"peak RSS {rss / 2**20:4.0f} MB"
        )
        print(rows[-1], flush=True)

    # Warm re-render: the 8x bulletin as an edited script, one story changed.
    script = work / "8x.script"
    run_producer(["script", *map(str, cases["fixture 8x"]), "-o", str(script)], work / "data-warm")
    data = work / "data-warm"
    cold, _ = run_producer(["build", str(script), "-o", str(work / "warm.mp3"), "--quiet"], data)
    text = script.read_text(encoding="utf-8")
    head, sep, tail = text.partition("[story 4]")
    script.write_text(head + sep + tail.replace("قالت", "ذكرت", 1), encoding="utf-8")
    warm, _ = run_producer(["build", str(script), "-o", str(work / "warm.mp3"), "--quiet"], data)
    print(f"warm re-render after editing story 4 of 8: {warm:.1f} s vs cold {cold:.1f} s = {warm / cold:.0%}")

    t1, t8 = results["fixture 1x"]["build"], results["fixture 8x"]["build"]
    print(f"t(8x)/t(1x) = {t8 / t1:.2f}")

    if not args.skip_hour:
        hour = write_articles(distinct_variants(article, 10), work / "10x")
        out = work / "hour.mp3"
        hour_args = ["build", *map(str, hour), "-o", str(out), "--quiet"]
        t_hour, rss = run_producer(hour_args, work / "data-hour")
        minutes = mp3_seconds(out) / 60
        print(f"{minutes:.1f}-minute programme: build {t_hour:.1f} s, peak RSS {rss / 2**20:.0f} MB")
    print(f"(work files in {work})")


if __name__ == "__main__":
    main()
